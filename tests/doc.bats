#!/usr/bin/env bats
# The project's own documents hold: every message example of
# doc/protocol.md is a real message whose id (and signature, when signed)
# verifies, of a kind the document has a section for, and every kind
# documented has an example; and every path a file of the tree cites
# exists (scripts/check-doc-paths), a check shown to fail on a bad citation.

bats_require_minimum_version 1.5.0
load test_helper

PROTOCOL=$ROOT/doc/protocol.md

setup() {
  common_setup
}

# examples: each ```json block of doc/protocol.md as one line of JSON.
examples() {
  awk '/^```json$/ { on = 1; buf = ""; next }
       on && /^```$/ { on = 0; print buf; next }
       on { buf = buf $0 "\n" }' "$PROTOCOL" | jq -c .
}

# kinds: the message kinds doc/protocol.md has a section for ("## job").
kinds() {
  sed -n 's/^## \([a-z][a-z]*\)$/\1/p' "$PROTOCOL"
}

@test "doc/protocol.md documents the message kinds, each with an example" {
  run -0 kinds
  local documented=$output
  [ "$(wc -l <<<"$documented")" -ge 13 ] || fail "only these kind sections: $documented"
  examples >examples.jsonl
  local n kind
  n=$(wc -l <examples.jsonl)
  [ "$n" -ge "$(wc -l <<<"$documented")" ] || fail "$n examples for $(wc -l <<<"$documented") kinds"
  while read -r kind; do
    jq -se --arg k "$kind" 'any(.[]; .kind == $k)' examples.jsonl >/dev/null ||
      fail "the section '## $kind' has no example of kind $kind"
  done <<<"$documented"
  while read -r kind; do
    grep -qx "$kind" <<<"$documented" || fail "an example of kind $kind, which has no section"
  done < <(jq -r .kind examples.jsonl)
}

@test "every example of doc/protocol.md is a message whose id and signature verify" {
  examples >examples.jsonl
  jq -c 'select(.v != 1 or (.id | type) != "string")' examples.jsonl >bad.jsonl || true
  [ ! -s bad.jsonl ] || fail "examples without v 1 or an id: $(cat bad.jsonl)"
  run -0 --separate-stderr grid-key id examples.jsonl
  cmp <(jq -c .id examples.jsonl) <(jq -c .id <<<"$output") ||
    fail "an example's id is not the hash of its content"
  # Signed ones verify; an unsigned one fails only for being unsigned.
  run --separate-stderr grid-key verify examples.jsonl
  [ "$status" -le 1 ] || fail "grid-key verify failed ($status): $stderr"
  local wrong
  wrong=$(jq -c 'select(.ok == false and .reason != "unsigned")' <<<"$output")
  [ -z "$wrong" ] || fail "examples that do not verify: $wrong"
  paste -d' ' <(jq -r 'has("sig")' examples.jsonl) <(jq -r .ok <<<"$output") >pairs
  ! grep -qx 'true false' pairs || fail "a signed example does not verify"
  [ "$(jq -s 'map(select(.ok)) | length' <<<"$output")" -ge 13 ] || fail "fewer signed examples than kinds"
}

@test "every path cited in the tree exists" {
  run --separate-stderr "$ROOT/scripts/check-doc-paths"
  [ "$status" -eq 0 ] || fail "check-doc-paths failed: $stderr"
}

# copy_tree: the tree's files (not build/) in a folder of this test's own.
copy_tree() {
  mkdir tree
  (cd "$ROOT" && { git ls-files -co --exclude-standard 2>/dev/null ||
    find . -type f ! -path './build/*' ! -path './.git/*'; }) >files
  tar -C "$ROOT" -cf - -T files | tar -C tree -xf -
}

# The planted citations below are spelt through $md, $scd and $h, so that
# this file cites none of them itself.
md=md scd=scd h=h t=tree

@test "a citation of a document that does not exist fails the check, naming file, line and path" {
  copy_tree
  run -0 --separate-stderr "$ROOT/scripts/check-doc-paths" tree
  printf '// The envelope of every message (notes/market-messages.%s).\n' "$md" >>tree/lib/core/message.h
  local line
  line=$(wc -l <tree/lib/core/message.h)
  run -1 --separate-stderr "$ROOT/scripts/check-doc-paths" tree
  stderr_has "lib/core/message.h:$line: cites notes/market-messages.$md"
}

@test "a bare design file name, a missing man page and a missing header are each caught" {
  copy_tree
  printf '# See DESIGN.%s section 2.\n' "$md" >>tree/Makefile
  printf 'The kernel is *lib/compute/exact_gemm2.%s*; see *man/job-runner.1.%s*.\n' "$h" "$scd" >>"$t/man/job-run.1.scd"
  run -1 --separate-stderr "$ROOT/scripts/check-doc-paths" tree
  stderr_has "Makefile:"
  stderr_has "cites DESIGN.$md"
  stderr_has "cites lib/compute/exact_gemm2.$h"
  stderr_has "cites man/job-runner.1.$scd"
}

@test "patterns and URLs are not citations; a Markdown link is read from its file's folder" {
  copy_tree
  {
    printf 'Pages are `man/*.scd`, one `man/TOOL.1.scd` each (`"$ROOT/man/$tool.1.scd"`),\n'
    printf 'as https://example.org/notes/readme.%s says; see [the design](design.%s).\n' "$md" "$md"
  } >>"$t/README.md"
  cp "$t/README.md" "$t/doc/links.$md"
  run -1 --separate-stderr "$ROOT/scripts/check-doc-paths" tree
  stderr_has "README.$md:"
  stderr_has "cites design.$md"
  [[ $stderr != *links* ]] || fail "the link from doc/ to design is good: $stderr"
  [[ $stderr != *example.org* && $stderr != *TOOL* && $stderr != *'man/*'* && $stderr != *'$tool'* ]] ||
    fail "a pattern or URL was taken for a citation: $stderr"
}

@test "doc/protocol.md's board names are where grid-board posts each kind's example" {
  examples >examples.jsonl
  # The table's rows: | kind | `NAME` | placed by |.
  sed -n 's/^| \([a-z]*\) | `\([a-z]*s\/[^`]*\.json\)` | .*/\1 \2/p' "$PROTOCOL" >names
  [ "$(wc -l <names)" = 6 ] || fail "board names table: $(cat names)"
  local kind name field want
  while read -r kind name; do
    rm -rf board
    jq -c --arg k "$kind" 'select(.kind == $k)' examples.jsonl | head -1 >one.jsonl
    [ -s one.jsonl ] || fail "no example of kind $kind"
    run -0 --separate-stderr grid-board post "file://$PWD/board" one.jsonl
    want=$name
    while [[ $want =~ \<([a-z.]+)\> ]]; do
      field=${BASH_REMATCH[1]}
      want=${want/<$field>/$(jq -r ".$field" one.jsonl | sed 's/^[a-z0-9]*://')}
    done
    run -0 find board -type f
    assert_output "board/$want"
  done <names
}
