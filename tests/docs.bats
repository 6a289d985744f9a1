#!/usr/bin/env bats
# The docs keep up with the code. For every tool built from cmd/*.cc:
# every flag that its --help, or any subcommand's --help, prints must be in
# the OPTIONS section of man/TOOL.1.scd and in each of the three completion
# scripts that `make` writes from the tool's definition (tests/completion.bats
# drives the shells with them); every subcommand must be named there too;
# the man page must have the sections doc/design.md ("Layout") lists and render with scdoc.
# tools and walk are in test_helper.bash.

bats_require_minimum_version 1.5.0
load test_helper

SECTIONS=(NAME SYNOPSIS DESCRIPTION OPTIONS INPUT OUTPUT "EXIT STATUS" ENVIRONMENT EXAMPLES "SEE ALSO")

setup() {
  common_setup
}

# has_word FILE WORD: WORD occurs in FILE, not as part of a longer name.
has_word() {
  grep -Eq -- "(^|[^[:alnum:]_-])$2([^[:alnum:]_-]|\$)" "$1"
}

# has_fish_flag FILE FLAG: fish spells --long as "-l long" and -s as "-s s".
has_fish_flag() {
  local file=$1 flag=$2 name
  if [[ $flag == --* ]]; then
    name=${flag#--}
    grep -Eq -- "(^|[[:space:]])(-l|--long-option|-o|--old-option)[[:space:]=]+['\"]?$name(['\"]|[[:space:]]|\$)" "$file" ||
      has_word "$file" "$flag"
  else
    name=${flag#-}
    grep -Eq -- "(^|[[:space:]])(-s|--short-option)[[:space:]=]*['\"]?$name(['\"]|[[:space:]]|\$)" "$file"
  fi
}

# has_fish_sub FILE NAME: fish offers subcommand NAME as an argument (-a).
has_fish_sub() {
  grep -Eq -- "(^|[[:space:]])(-a|--arguments)[[:space:]=]+['\"]?([^'\"]*[[:space:]])?$2(['\"]|[[:space:]]|\$)" "$1"
}

# section FILE HEADING: the text of one "# HEADING" section of an scdoc page.
section() {
  awk -v want="# $2" '
    /^# / { inside = ($0 == want); next }
    inside { print }' "$1"
}

# inventory: walk every tool into $BATS_TEST_TMPDIR/TOOL.inv.
inventory() {
  local tool
  for tool in $(tools); do
    command -v "$tool" >/dev/null || fail "$tool (from cmd/$tool.cc) is not built or not on PATH"
    walk "$tool" >"$BATS_TEST_TMPDIR/$tool.inv" || fail "cannot read the help of $tool"
    grep -q "	flag	--help$" "$BATS_TEST_TMPDIR/$tool.inv" ||
      fail "no flags found in the help of $tool: is the help format still CLI11's?"
  done
}

# report_missing: fail listing $missing, one per line, if there are any.
report_missing() {
  if [ "${#missing[@]}" -gt 0 ]; then
    printf '%s\n' "${missing[@]}" >&2
    fail "${#missing[@]} documentation gap(s), listed above"
  fi
}

@test "there is at least one tool, and each one's help can be read" {
  run -0 tools
  [ "${#lines[@]}" -gt 0 ] || fail "no cmd/*.cc under $ROOT"
  inventory
}

@test "every man page has the standard sections and renders with scdoc" {
  missing=()
  local tool page s out
  for tool in $(tools); do
    page=$ROOT/man/$tool.1.scd
    if [ ! -f "$page" ]; then
      missing+=("$tool: no man page man/$tool.1.scd")
      continue
    fi
    head -1 "$page" | grep -qx "$tool(1)" || missing+=("$page: first line is not '$tool(1)'")
    for s in "${SECTIONS[@]}"; do
      grep -qx "# $s" "$page" || missing+=("$page: no '# $s' section")
    done
    if ! out=$(scdoc <"$page" 2>&1 >"$BATS_TEST_TMPDIR/$tool.1"); then
      missing+=("$page: scdoc fails: $out")
    elif ! grep -q "^\.TH \"$tool\" \"1\"" "$BATS_TEST_TMPDIR/$tool.1"; then
      missing+=("$page: scdoc output has no .TH line for $tool(1)")
    fi
  done
  report_missing
}

@test "every flag, subcommand and environment variable in --help is in the man page" {
  inventory
  missing=()
  local tool page opts env cmd kind name
  for tool in $(tools); do
    page=$ROOT/man/$tool.1.scd
    [ -f "$page" ] || { missing+=("$tool: no man page man/$tool.1.scd"); continue; }
    opts=$BATS_TEST_TMPDIR/$tool.options
    env=$BATS_TEST_TMPDIR/$tool.environment
    section "$page" OPTIONS >"$opts"
    section "$page" ENVIRONMENT >"$env"
    while IFS=$'\t' read -r cmd kind name; do
      case $kind in
        flag) has_word "$opts" "$name" || missing+=("$page: OPTIONS lacks $name (from '$cmd --help')") ;;
        sub) has_word "$page" "$name" || missing+=("$page: lacks subcommand $name (from '$cmd --help')") ;;
        env) has_word "$env" "$name" || missing+=("$page: ENVIRONMENT lacks $name (from '$cmd --help')") ;;
      esac
    done <"$BATS_TEST_TMPDIR/$tool.inv"
  done
  report_missing
}

@test "every flag and subcommand in --help is in the bash, zsh and fish completions" {
  inventory
  missing=()
  local tool shell file cmd kind name
  for tool in $(tools); do
    for shell in bash zsh fish; do
      file=$ROOT/build/completions/$tool.$shell
      [ -f "$file" ] || { missing+=("$tool: no $shell completion ${file#"$ROOT"/} (run make)"); continue; }
      while IFS=$'\t' read -r cmd kind name; do
        case $kind/$shell in
          flag/fish) has_fish_flag "$file" "$name" ;;
          flag/*) has_word "$file" "$name" ;;
          sub/fish) has_fish_sub "$file" "$name" ;;
          sub/*) has_word "$file" "$name" ;;
          *) continue ;;
        esac || missing+=("${file#"$ROOT"/}: lacks $kind $name (from '$cmd --help')")
      done <"$BATS_TEST_TMPDIR/$tool.inv"
    done
  done
  report_missing
}

@test "completion scripts load without syntax errors" {
  missing=()
  local tool out bash_file zsh_file fish_file
  for tool in $(tools); do
    bash_file=$ROOT/build/completions/$tool.bash
    zsh_file=$ROOT/build/completions/$tool.zsh
    fish_file=$ROOT/build/completions/$tool.fish
    if [ ! -f "$bash_file" ]; then
      missing+=("$tool: no bash completion")
    elif ! out=$(bash -n "$bash_file" 2>&1); then
      missing+=("bash/$tool: $out")
    elif ! out=$(bash -c 'source "$1" && complete -p "$2"' _ "$bash_file" "$tool" 2>&1); then
      missing+=("bash/$tool does not register a completion for $tool: $out")
    fi
    # zsh and fish are checked with the shells when they are installed.
    if [ ! -f "$zsh_file" ]; then
      missing+=("$tool: no zsh completion")
    elif ! head -1 "$zsh_file" | grep -qx "#compdef $tool"; then
      missing+=("zsh/_$tool: first line is not '#compdef $tool'")
    elif command -v zsh >/dev/null && ! out=$(zsh -n "$zsh_file" 2>&1); then
      missing+=("zsh/_$tool: $out")
    fi
    if [ ! -f "$fish_file" ]; then
      missing+=("$tool: no fish completion")
    elif command -v fish >/dev/null && ! out=$(fish -n "$fish_file" 2>&1); then
      missing+=("fish/$tool.fish: $out")
    fi
  done
  report_missing
}
