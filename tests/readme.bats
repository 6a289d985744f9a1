#!/usr/bin/env bats
# Every ```sh block of README.md runs as written, the way a new user meets
# it: the tools and examples/ from `make install` (staged under DESTDIR,
# $EXAMPLES naming the installed examples as the README says), a fresh
# folder and a fresh $HOME for each "## " section, the blocks of a section
# one after another in one folder, with what a block exports carried to
# the next as in one terminal. A block that cannot run here says so in the
# README, on the line before its fence:
#   <!-- readme-test: skip (the reason) -->
# and the run reports it; every other block runs, new ones included.

bats_require_minimum_version 1.5.0
load test_helper

setup_file() {
  local mode
  mode=$(cat "$ROOT/build/.cuda-mode")
  STAGE=$BATS_FILE_TMPDIR/stage
  # In the mode build/bin was built in: another would rebuild it.
  make -s -C "$ROOT" install CUDA="$mode" DESTDIR="$STAGE" PREFIX=/usr/local >/dev/null
  export STAGE
}

setup() {
  common_setup
  export PATH="$STAGE/usr/local/bin:$PATH"
  export EXAMPLES=$STAGE/usr/local/share/gridutils/examples
}

# readme_blocks README DIR: each ```sh block of README into DIR/N.sh, and
# one line per block into DIR/index: N, the line of its fence, the number
# of its "## " section, and the skip reason ("" when it runs).
readme_blocks() {
  awk -v dir="$2" '
    /^## / && !inblock { section++ }
    !inblock && /^<!-- readme-test: skip \(.*\) -->[[:space:]]*$/ {
      reason = $0
      sub(/^<!-- readme-test: skip \(/, "", reason)
      sub(/\) -->[[:space:]]*$/, "", reason)
      marked = 1
      text_since = 0
      next
    }
    !inblock && /^```sh[[:space:]]*$/ {
      n++
      inblock = 1
      file = sprintf("%s/%03d.sh", dir, n)
      printf "" > file
      # A marker counts only for the fence right after it (blank lines between are fine).
      printf "%03d\t%d\t%d\t%s\n", n, NR, section, (marked && !text_since) ? reason : "" > (dir "/index")
      marked = 0; text_since = 0; reason = ""
      next
    }
    inblock && /^```[[:space:]]*$/ { inblock = 0; close(file); next }
    inblock { print > file; next }
    /[^[:space:]]/ { text_since = 1 }
  ' "$1"
}

# run_readme README: runs the blocks as described at the top; prints one
# line per block, and on a failure the block and what it printed. Fails
# at the first block that fails.
run_readme() {
  local readme=$1 work=$BATS_TEST_TMPDIR/readme-run blocks n line section reason dir="" env last="" name
  name=$(basename "$readme")
  blocks=$work/blocks
  mkdir -p "$blocks"
  : >"$blocks/index"
  readme_blocks "$readme" "$blocks"
  [ -s "$blocks/index" ] || { echo "no sh blocks in $readme"; return 1; }
  while IFS=$'\t' read -r n line section reason; do
    if [ "$section" != "$last" ]; then
      last=$section
      dir=$work/section-$section
      mkdir -p "$dir/work" "$dir/home"
      env=$dir/env
      (cd "$dir/work" && HOME=$dir/home && export HOME && export -p) >"$env"
    fi
    if [ -n "$reason" ]; then
      echo "$name:$line: skipped ($reason)"
      continue
    fi
    # One bash per block, started from what the section's blocks before it
    # exported; what this one exports is kept for the next.
    if (cd "$dir/work" && timeout 300 bash -c '. "$1" || exit 70; set -eo pipefail; . "$2"; export -p >"$1"' \
      block "$env" "$blocks/$n.sh") >"$blocks/$n.log" 2>&1; then
      echo "$name:$line: ok"
    else
      echo "$name:$line: FAILED (exit $?) in $dir/work:"
      sed 's/^/  | /' "$blocks/$n.sh"
      echo "  output:"
      tail -n 30 "$blocks/$n.log" | sed 's/^/  > /'
      return 1
    fi
  done <"$blocks/index"
}

@test "every sh block of the README runs as written in a fresh folder, with the installed tools and examples" {
  run run_readme "$ROOT/README.md"
  # The per-block report is worth reading even on success (what was skipped).
  printf '# %s\n' "${lines[@]}" >&3
  assert_success
}

@test "a block that fails fails the run, naming its line; the blocks before it ran" {
  # The README with one command that fails put into its first block that runs.
  awk '
    !done && prev !~ /readme-test: skip/ && /^```sh/ { print; print "false  # broken on purpose"; done = 1; prev = $0; next }
    /[^[:space:]]/ { prev = $0 }
    { print }' "$ROOT/README.md" >README.md
  want=$(grep -n 'broken on purpose' README.md | cut -d: -f1)
  run run_readme README.md
  assert_failure
  assert_line --regexp "^README.md:$((want - 1)): FAILED \(exit 1\)"
  assert_line "  | false  # broken on purpose"
  refute_line --partial ": ok"
}

@test "blocks run unless marked; a section's blocks share a folder and exports; a new section starts afresh" {
  cat >README.md <<'MD'
## One

```sh
export GREETING=hello
echo "$GREETING" > note.txt
```

<!-- readme-test: skip (needs a moon) -->
```sh
false
```

```sh
[ "$GREETING" = hello ] && [ -e note.txt ] && [ "$HOME" != "$REAL_HOME" ]
```

## Two

```sh
[ -z "${GREETING:-}" ] && [ ! -e note.txt ]
```

```sh
exit 3
```
MD
  REAL_HOME=$HOME run run_readme README.md
  assert_failure
  assert_line "README.md:3: ok"
  assert_line "README.md:9: skipped (needs a moon)"
  assert_line "README.md:13: ok"
  assert_line "README.md:19: ok"
  assert_line --partial "README.md:23: FAILED (exit 3)"
}
