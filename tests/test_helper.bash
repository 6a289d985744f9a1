# Shared setup for the BATS suites: bats-support, bats-assert, bats-file
# from Debian's packages, the freshly built tools first on PATH, and a
# private temporary folder per test.
bats_require_minimum_version 1.5.0
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load '/usr/lib/bats/bats-file/load'

ROOT="${GRIDUTILS_ROOT:-$(cd "$BATS_TEST_DIRNAME/.." && pwd)}"
export PATH="$ROOT/build/bin:$PATH"

common_setup() {
  cd "$BATS_TEST_TMPDIR" || return 1
  unset GRID_KEY
}

# Helpers every suite uses.

# write_key FILE SEED: a key file holding a known seed, mode 0600.
write_key() {
  (umask 077 && printf '%s\n' "$2" >"$1")
}

stderr_has() {
  [[ $stderr == *"$1"* ]] || fail "stderr lacks '$1'; stderr was: $stderr"
}

stderr_matches() {
  [[ $stderr =~ $1 ]] || fail "stderr does not match /$1/; stderr was: $stderr"
}

# assert_jq FILTER WANT: jq -r FILTER of the last run's output is WANT.
assert_jq() {
  local got
  got=$(jq -r "$1" <<<"$output") || fail "jq '$1' failed on: $output"
  [ "$got" = "$2" ] || fail "jq '$1' gave '$got', want '$2'"
}

# assert_jq_all FILTER WANT: jq -s FILTER over all lines of the output.
assert_jq_all() {
  local got
  got=$(jq -s -c -r "$1" <<<"$output") || fail "jq -s '$1' failed on: $output"
  [ "$got" = "$2" ] || fail "jq -s '$1' gave '$got', want '$2'"
}

# bash_complete TOOL WORD...: what TOOL's bash completion offers for the
# command line WORD... (the last word is the one being completed).
bash_complete() {
  local tool=$1
  shift
  source "$ROOT/completions/$tool.bash"
  COMP_WORDS=("$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMPREPLY=()
  "_${tool//-/_}"
  printf '%s\n' "${COMPREPLY[@]}"
}
