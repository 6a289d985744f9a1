#!/usr/bin/env bats
# Shell completion, driven through the shells themselves. Each tool writes
# its bash, zsh and fish scripts from its own flag definitions (the hidden
# --completion SHELL); `make` puts them under build/completions. For every
# tool, every flag and subcommand that --help lists (walk, in
# test_helper.bash) must complete in bash, fish and zsh; choices, files,
# folders, URLs and devices complete as values; nothing else is offered.

bats_require_minimum_version 1.5.0
load test_helper

setup() {
  common_setup
  local shell
  for shell in zsh fish; do
    command -v "$shell" >/dev/null || fail "$shell is not installed (scripts/install-deps installs it)"
  done
}

# complete_in SHELL LINE: what SHELL's completion of LINE offers (the tool
# is LINE's first word; a LINE ending in a space completes an empty word).
complete_in() {
  local shell=$1 line=$2 words
  case $shell in
    bash)
      read -ra words <<<"$line"
      [[ $line == *' ' ]] && words+=('')
      bash_complete "${words[0]}" "${words[@]}"
      ;;
    fish) fish_complete "${line%% *}" "$line" ;;
    zsh) zsh_complete "${line%% *}" "$line" || fail "zsh did not finish completing '$line'" ;;
  esac
}

# lacking LIST WORD...: the WORDs that are not lines of LIST.
lacking() {
  local list=$1 word
  shift
  for word in "$@"; do
    grep -qxF -- "$word" <<<"$list" || echo "$word"
  done
}

# check_every_flag SHELL: for every command of every tool (the tool and each
# subcommand), completing "-" in SHELL offers each flag its --help lists,
# and completing an empty word offers each of its subcommands.
check_every_flag() {
  local shell=$1 tool cmd kind name offered missing=() checked=0
  for tool in $(tools); do
    walk "$tool" >"$BATS_TEST_TMPDIR/$tool.inv" || fail "cannot read the help of $tool"
    for cmd in $(cut -f1 "$BATS_TEST_TMPDIR/$tool.inv" | sort -u | tr ' ' '+'); do
      cmd=${cmd//+/ }
      for kind in flag sub; do
        mapfile -t want < <(awk -F'\t' -v c="$cmd" -v k="$kind" '$1 == c && $2 == k { print $3 }' "$BATS_TEST_TMPDIR/$tool.inv")
        [ "${#want[@]}" -gt 0 ] || continue
        local word=-
        [ "$kind" = sub ] && word=
        offered=$(complete_in "$shell" "$cmd $word")
        while read -r name; do
          [ -n "$name" ] && missing+=("$shell: '$cmd $word' does not offer $kind $name")
        done < <(lacking "$offered" "${want[@]}")
        checked=$((checked + ${#want[@]}))
      done
    done
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    printf '%s\n' "${missing[@]}" >&2
    fail "${#missing[@]} of $checked flags and subcommands do not complete in $shell"
  fi
  # Every tool has at least -h, --help, --version, -q and --quiet.
  [ "$checked" -ge $((5 * $(tools | wc -l))) ] || fail "only $checked flags checked: is the help format still CLI11's?"
}

@test "--completion is hidden, works before required flags and subcommands are checked, and names the shells" {
  run -0 --separate-stderr job-run --help
  refute_output --partial --completion
  # pay-settle needs a subcommand; lease-bid order needs --max-price and --deadline.
  run -0 --separate-stderr pay-settle --completion bash
  assert_output --partial "complete -F"
  run -0 --separate-stderr lease-bid order --completion fish
  assert_output --partial "complete -c 'lease-bid'"
  run -64 --separate-stderr job-run --completion tcsh
  assert_output ''
  stderr_matches '^job-run: error: --completion: tcsh is not bash, zsh or fish'
  run -64 --separate-stderr job-run --completion
  assert_output ''
  stderr_matches '^job-run: error: '
}

@test "make's scripts under build/completions are what the built tools write now" {
  local tool shell
  for tool in $(tools); do
    for shell in bash zsh fish; do
      run -0 --separate-stderr "$tool" --completion "$shell"
      [ "$output" = "$(cat "$(completion_file "$tool" "$shell")")" ] ||
        fail "build/completions/$tool.$shell is stale: run make"
    done
  done
}

@test "bash: every flag and subcommand of every tool completes" {
  check_every_flag bash
}

@test "bash: a flag completes from its own prefix" {
  local tool cmd kind name missing=()
  for tool in $(tools); do
    walk "$tool" >"$BATS_TEST_TMPDIR/$tool.inv" || fail "cannot read the help of $tool"
    while IFS=$'\t' read -r cmd kind name; do
      [ "$kind" = flag ] || continue
      # shellcheck disable=SC2086
      bash_complete "$tool" $cmd "${name%?}" | grep -qxF -- "$name" || missing+=("'$cmd ${name%?}' does not offer $name")
    done <"$BATS_TEST_TMPDIR/$tool.inv"
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    printf '%s\n' "${missing[@]}" >&2
    fail "${#missing[@]} flags do not complete from their prefix"
  fi
}

@test "fish: every flag and subcommand of every tool completes" {
  check_every_flag fish
}

@test "zsh: every script loads with compinit, and every flag and subcommand of every tool completes" {
  local tool dir=$BATS_TEST_TMPDIR/fpath
  mkdir -p "$dir"
  for tool in $(tools); do
    cp "$(completion_file "$tool" zsh)" "$dir/_$tool"
  done
  for tool in $(tools); do
    run -0 zsh -f -c 'fpath=($1 $fpath); autoload -U compinit; compinit -u -D
      print -r -- $_comps[$2]; autoload +X _$2 && (( $+functions[_$2] )) && print defined' _ "$dir" "$tool"
    assert_output "$(printf '_%s\ndefined' "$tool")"
  done
  check_every_flag zsh
}

@test "values complete: choices, lists of choices, devices, files, folders and URLs, in bash, fish and zsh" {
  mkdir -p stores/a
  : >msgs.jsonl
  local shell line want
  for shell in bash fish zsh; do
    # LINE<TAB>WORDS: the words completing LINE offers, exactly.
    while IFS=$'\t' read -r line want; do
      run -0 complete_in "$shell" "$line"
      [ "$(sort <<<"$output" | tr '\n' ' ')" = "$(tr ' ' '\n' <<<"$want" | sort | tr '\n' ' ')" ] ||
        fail "$shell: '$line' offers [$(tr '\n' ' ' <<<"$output")], want [$want]"
    done <<EOF
job-run --mode 	exact fast
job-run --task-index 	env
lease-bid award --rule 	first-price second-price
pay-settle statement --format 	csv json
pay-settle balance --format 	json table
gpu-bench --only 	gemm kinds mem nccl pcie render
gpu-bench --kinds 	exec gemm infer train
lease-bid 	award bid order
pay-settle s	stake statement
grid-key sign --key key ms	msgs.jsonl
grid-store get --as 	csv npy
grid-store verify --format 	json table
grid-store g	gc get
EOF
  done
  # A list of choices completes after its last comma (zsh offers the word
  # itself; bash and fish the whole list so far).
  run -0 complete_in bash "proof-check --mode sig,tr"
  assert_output sig,trace
  run -0 complete_in fish "proof-check --mode sig,tr"
  assert_output sig,trace
  run -0 complete_in zsh "proof-check --mode sig,tr"
  assert_output trace
  # Devices: cuda:0 even where nvidia-smi lists no GPU.
  for shell in bash fish zsh; do
    run -0 complete_in "$shell" "job-run --device "
    for want in auto cpu cuda cuda:0; do
      assert_line "$want"
    done
  done
  # Folders, not files, for a DIR; URL schemes for a URL.
  : >stores.jsonl
  run -0 complete_in bash "job-run --store stor"
  assert_output stores
  run -0 complete_in fish "job-run --store stor"
  assert_output stores/
  run -0 complete_in bash "job-run --publish "
  assert_output "$(printf '%s\n' http:// https:// s3:// file://)"
  run -0 complete_in fish "proof-check --store-url "
  assert_output "$(printf '%s\n' file:// http:// https:// s3://)"
}

# bash_as_typed LINE: what bash's completion offers for LINE, given the words
# as bash itself splits them (':' and '=' of COMP_WORDBREAKS are words of
# their own: "cuda:" is "cuda" ":") and COMP_LINE as typed.
bash_as_typed() {
  local line=$1 tool=${1%% *} fn
  source "$(completion_file "$tool" bash)" || return 1
  fn=$(complete -p "$tool" | sed -n 's/.* -F \([^ ]*\) .*/\1/p')
  read -ra COMP_WORDS <<<"$(sed -E 's/([:=]+)/ \1 /g' <<<"$line")"
  [[ $line == *' ' ]] && COMP_WORDS+=('')
  COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) COMP_LINE=$line COMP_POINT=${#line}
  COMPREPLY=()
  "$fn" "$tool" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
  printf '%s\n' "${COMPREPLY[@]}"
}

@test "bash: values with a colon complete as typed (cuda:0, https://), with the rest of the line still read" {
  # readline replaces only the text after the last ':', so the offer is the rest.
  run -0 bash_as_typed "job-run --device cuda:"
  assert_output 0
  run -0 bash_as_typed "job-run --device=cuda:"
  assert_output 0
  run -0 bash_as_typed "job-run --publish https:"
  assert_output //
  # A word with colons before the cursor does not hide the flag before it.
  run -0 bash_as_typed "job-run --device cuda:0 --mode "
  assert_output $'exact\nfast'
  run -0 bash_as_typed "job-run --publish http://h:8080/x --mo"
  assert_output --mode
}

@test "what a command does not take is not offered: unknown flags, hidden flags, other subcommands' flags" {
  local shell
  for shell in bash fish zsh; do
    for line in "job-run --no-such" "job-run --comp" "lease-bid --max" "pay-settle apply --cur" "grid-key gen --for" "lease-bid ord"; do
      run -0 complete_in "$shell" "$line"
      case $line in
        "grid-key gen --for") assert_output --force ;;
        "lease-bid ord") assert_output order ;;
        *) [ -z "$(tr -d '\n' <<<"$output")" ] || fail "$shell: '$line' offers [$output], want nothing" ;;
      esac
    done
  done
}
