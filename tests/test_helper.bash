# Shared setup for the BATS suites: bats-support, bats-assert, bats-file
# from Debian's packages, the freshly built tools first on PATH, and a
# private temporary folder per test.
bats_require_minimum_version 1.5.0
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load '/usr/lib/bats/bats-file/load'

ROOT="${GRIDUTILS_ROOT:-$(cd "$BATS_TEST_DIRNAME/.." && pwd)}"
export PATH="$ROOT/build/bin:$PATH"
# The suites' Python finds tests/merkle_reference.py (RFC 6962 by hashlib).
export PYTHONPATH="$ROOT/tests${PYTHONPATH:+:$PYTHONPATH}"

common_setup() {
  cd "$BATS_TEST_TMPDIR" || return 1
  unset GRID_KEY
}

# RFC 8032 section 7.1, TESTS 1 to 3: seeds and their public keys, the
# participants every suite can name without generating keys.
SEED1=9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60
PUB1=ed25519:d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a
SEED2=4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb
PUB2=ed25519:3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c
SEED3=c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7
PUB3=ed25519:fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025

# Helpers every suite uses.

# stop_pidfile FILE TRIES: a server stopped by its pid file.
# shellcheck source=tests/stop_pidfile.bash
. "$(dirname "${BASH_SOURCE[0]}")/stop_pidfile.bash"

# write_key FILE SEED: a key file holding a known seed, mode 0600.
write_key() {
  (umask 077 && printf '%s\n' "$2" >"$1")
}

# dead_url: http://127.0.0.1:PORT with nothing listening on PORT, a port
# this shell had and gave back (the --retries tests' connection refused).
dead_url() {
  printf 'http://127.0.0.1:%s' "$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
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

# tools: the name of every tool built from cmd/*.cc.
tools() {
  local f
  for f in "$ROOT"/cmd/*.cc; do
    [ -e "$f" ] && basename "$f" .cc
  done
}

# help_section HEADING: the first words of the lines under "HEADING:" in
# CLI11 help text on stdin.
help_section() {
  awk -v want="$1:" '
    /^[^ ]/ { inside = ($1 == want); next }
    inside && /^  [^ ]/ { print $1 }'
}

# walk TOOL [SUB...]: one line "COMMAND<TAB>KIND<TAB>NAME" for each flag
# (KIND flag), environment variable (env) and subcommand (sub) of the
# command and, recursively, of its subcommands. Fails when a --help fails.
walk() {
  local help sub
  help=$("$@" --help) || {
    echo "walk: '$* --help' failed" >&2
    return 1
  }
  help_section Options <<<"$help" | tr ',' '\n' | grep '^-' | sed "s/^/$*\tflag\t/"
  grep -o '(Env:[A-Za-z_][A-Za-z0-9_]*)' <<<"$help" | sed 's/^(Env://; s/)$//' | sed "s/^/$*\tenv\t/"
  for sub in $(help_section Subcommands <<<"$help"); do
    printf '%s\t%s\t%s\n' "$*" sub "$sub"
    walk "$@" "$sub" || return 1
  done
}

# completion_file TOOL SHELL: the completion script `make` wrote for TOOL.
completion_file() {
  local file=$ROOT/build/completions/$1.$2
  [ -f "$file" ] || fail "no $file: run make"
  echo "$file"
}

# object STORE REF: where STORE keeps the object "sha256:<hex>".
object() {
  local hex=${2#sha256:}
  printf '%s/sha256/%s/%s\n' "$1" "${hex:0:2}" "${hex:2}"
}

# check ARGS...: proof-check as the verifier (key file vkey) on store S.
check() {
  proof-check --key vkey --store S "$@"
}

# assert_reason PATTERN: the single verdict rejects, its reason matching PATTERN.
assert_reason() {
  assert_jq .status reject
  local reason
  reason=$(jq -r .reason <<<"$output")
  [[ $reason =~ $1 ]] || fail "reason '$reason' does not match /$1/"
}

# bash_complete TOOL WORD...: what TOOL's bash completion offers for the
# command line WORD... (the last word is the one being completed), one a
# line, through the function the script registers with `complete -F`.
bash_complete() {
  local tool=$1 fn
  shift
  source "$(completion_file "$tool" bash)" || return 1
  fn=$(complete -p "$tool" | sed -n 's/.* -F \([^ ]*\) .*/\1/p')
  [ -n "$fn" ] || fail "the bash completion of $tool registers no function"
  COMP_WORDS=("$@")
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
  COMP_LINE="$*"
  COMP_POINT=${#COMP_LINE}
  COMPREPLY=()
  "$fn" "$tool" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
  printf '%s\n' "${COMPREPLY[@]}"
}

# fish_complete TOOL LINE: what TOOL's fish completion offers for the
# command line LINE, one candidate a line (descriptions cut off).
fish_complete() {
  fish --no-config -c 'source $argv[1]; and complete -C $argv[2]' "$(completion_file "$1" fish)" "$2" | cut -f1
}

# zsh_complete TOOL LINE: what TOOL's zsh completion offers for the command
# line LINE, one word a line, sorted; the completion system loaded with
# compinit finds the script as _TOOL on fpath (tests/zsh_complete.zsh).
zsh_complete() {
  local dir=$BATS_TEST_TMPDIR/zsh-fpath
  mkdir -p "$dir" && cp "$(completion_file "$1" zsh)" "$dir/_$1" || return 1
  zsh -f "$ROOT/tests/zsh_complete.zsh" "$dir" "$2"
}
