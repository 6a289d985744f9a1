#!/usr/bin/env bats
# grid-key: keys, ids and signatures, driven through the real binary.

bats_require_minimum_version 1.5.0
load test_helper

# A message with a non-ASCII string, nested members and members out of
# order, and the id RFC 8785 gives it (checked independently below).
KNOWN='{"v":1,"kind":"task","name":"héllo ✓","n":42,"tags":["b","a"],"spec":{"z":"1","a":2}}'
KNOWN_ID=sha256:3fc71e30f9cb600d68067b822f5b088dcc8977f07753705a08f2d9ac47e5dae2

setup() {
  common_setup
  write_key key1 "$SEED1"
  write_key key2 "$SEED2"
  printf '%s\n' '{"kind":"task","v":1,"name":"a"}' '{"kind":"task","v":1,"name":"b","extra":{"x":[1,2]}}' >msgs.jsonl
}

# stderr_has TEXT: the last run's stderr contains TEXT.
# RFC 8785 form of a message with only strings, small integers, arrays and
# objects, computed without grid-key; prints the sha256: id.
independent_id() {
  python3 -c '
import json, sys
m = json.loads(sys.argv[1])
m.pop("id", None)
m.pop("sig", None)
sys.stdout.write(json.dumps(m, sort_keys=True, separators=(",", ":"), ensure_ascii=False))
' "$1" | sha256sum | sed 's/ .*//; s/^/sha256:/'
}

sign1() {
  grid-key sign --key key1 "$@"
}

# ---- top level ---------------------------------------------------------

@test "--version prints the gridutils version" {
  run -0 --separate-stderr grid-key --version
  assert_output --regexp '^gridutils [0-9]+\.[0-9]+\.[0-9]+$'
}

@test "--help lists the subcommands and the global flags" {
  run -0 --separate-stderr grid-key --help
  for word in gen pub sign id verify --version -q,--quiet -h,--help; do
    assert_output --partial "$word"
  done
  run -0 --separate-stderr grid-key -h
  assert_output --partial "Subcommands:"
}

@test "each subcommand has --help" {
  for sub in gen pub sign id verify; do
    run -0 --separate-stderr grid-key "$sub" --help
    assert_output --partial "Usage: grid-key $sub"
  done
  run -0 --separate-stderr grid-key gen --help
  assert_output --partial --out
  assert_output --partial --force
  run -0 --separate-stderr grid-key verify --help
  assert_output --partial --by
  assert_output --partial --format
  assert_output --partial --keep-going
}

@test "no subcommand is a usage error (64)" {
  run -64 --separate-stderr grid-key
  stderr_matches '^grid-key: error: '
  assert_output ''
}

@test "an unknown flag or subcommand is a usage error (64)" {
  run -64 --separate-stderr grid-key --no-such-flag
  stderr_matches '^grid-key: error: '
  run -64 --separate-stderr grid-key verify --no-such-flag
  stderr_has "--no-such-flag"
  run -64 --separate-stderr grid-key frobnicate
  run -64 --separate-stderr grid-key gen surplus
}

@test "a misspelt subcommand is named as unknown, with the subcommands there are (64)" {
  run -64 --separate-stderr grid-key sing msgs.jsonl
  stderr_has "grid-key: error: unknown subcommand 'sing' (one of: gen, pub, sign, id, verify)"
  # After an unknown flag, its value is not taken for the subcommand.
  run -64 --separate-stderr grid-key --kee key1 sing
  stderr_has "unknown subcommand 'sing'"
  run -64 --separate-stderr pay-settle depositt
  stderr_has "unknown subcommand 'depositt' (one of: init, deposit,"
  # No subcommand at all is still said as such.
  run -64 --separate-stderr grid-key
  stderr_has "A subcommand is required"
}

@test "-q and --quiet are accepted before and after the subcommand" {
  run -0 --separate-stderr grid-key -q pub --key key1
  assert_output "$PUB1"
  run -0 --separate-stderr grid-key pub --quiet --key key1
  assert_output "$PUB1"
  run -0 --separate-stderr grid-key --quiet id msgs.jsonl
  assert_equal "${#lines[@]}" 2
}

# ---- gen ---------------------------------------------------------------

@test "gen prints 64 hex digits and a newline; each key is new" {
  run -0 --separate-stderr grid-key gen
  assert_output --regexp '^[0-9a-f]{64}$'
  first=$output
  grid-key gen >k
  assert_equal "$(wc -c <k)" 65
  run -0 --separate-stderr grid-key gen
  refute_output "$first"
}

@test "gen's stdout is a usable key file" {
  grid-key gen >k
  chmod 600 k
  run -0 --separate-stderr grid-key pub --key k
  assert_output --regexp '^ed25519:[0-9a-f]{64}$'
}

@test "gen --out writes mode 0600 whatever the umask" {
  umask 000
  run -0 --separate-stderr grid-key gen --out k
  assert_output ''
  assert_equal "$(stat -c %a k)" 600
  run -0 grid-key pub --key k
  assert_output --regexp '^ed25519:[0-9a-f]{64}$'
  grep -Eqx '[0-9a-f]{64}' k
  assert_equal "$(wc -l <k)" 1
}

@test "gen --out refuses to overwrite an existing file (64) and leaves it" {
  grid-key gen --out k
  before=$(cat k)
  run -64 --separate-stderr grid-key gen --out k
  stderr_has "k"
  stderr_has "--force"
  assert_equal "$(cat k)" "$before"
  assert_equal "$(stat -c %a k)" 600
  : >other
  run -64 --separate-stderr grid-key gen --out other
  assert_equal "$(wc -c <other)" 0
}

@test "gen --out --force replaces the key, mode 0600 again" {
  printf 'old\n' >k
  chmod 644 k
  run -0 --separate-stderr grid-key gen --out k --force
  refute [ "$(cat k)" = old ]
  grep -Eqx '[0-9a-f]{64}' k
  assert_equal "$(stat -c %a k)" 600
  # No temporary file is left beside it.
  run -0 bash -c 'ls -A | grep -c "\.tmp\." || true'
  assert_output 0
}

# ---- pub and key files -------------------------------------------------

@test "pub --key prints the RFC 8032 TEST 1 public key" {
  run -0 --separate-stderr grid-key pub --key key1
  assert_output "$PUB1"
  run -0 --separate-stderr grid-key pub --key key2
  assert_output "$PUB2"
}

@test "pub reads the key file named by GRID_KEY" {
  GRID_KEY=key2 run -0 --separate-stderr grid-key pub
  assert_output "$PUB2"
}

@test "--key wins over GRID_KEY" {
  GRID_KEY=key2 run -0 --separate-stderr grid-key sign --key key1 msgs.jsonl
  assert_equal "$(head -1 <<<"$output" | jq -r .sig.by)" "$PUB1"
  GRID_KEY=key2 run -0 --separate-stderr grid-key sign msgs.jsonl
  assert_equal "$(head -1 <<<"$output" | jq -r .sig.by)" "$PUB2"
  GRID_KEY=key2 run -0 --separate-stderr grid-key pub --key key1
  assert_output "$PUB1"
  GRID_KEY=no-such-key run -0 --separate-stderr grid-key pub --key key1
  assert_output "$PUB1"
}

@test "pub and sign without --key or GRID_KEY are a usage error (64)" {
  run -64 --separate-stderr grid-key pub
  stderr_has GRID_KEY
  run -64 --separate-stderr grid-key sign msgs.jsonl
  assert_output ''
}

@test "a key file readable by group or others is refused (65), naming the file" {
  chmod 644 key1
  run -65 --separate-stderr grid-key pub --key key1
  assert_output ''
  stderr_matches '^grid-key: error: .*key1'
  stderr_has "chmod 600"
  run -65 --separate-stderr grid-key sign --key key1 msgs.jsonl
  assert_output ''
  stderr_has key1
  chmod 640 key1
  run -65 --separate-stderr grid-key pub --key key1
  chmod 604 key1
  run -65 --separate-stderr grid-key pub --key key1
  GRID_KEY=key1 run -65 --separate-stderr grid-key pub
  stderr_has key1
  chmod 400 key1
  run -0 --separate-stderr grid-key pub --key key1
  assert_output "$PUB1"
}

@test "a folder given as the key file is 66, saying it is a folder" {
  mkdir keys
  run -66 --separate-stderr grid-key pub --key keys
  assert_output ''
  stderr_has "key file keys is a folder, not a key file"
  GRID_KEY=keys run -66 --separate-stderr grid-key sign msgs.jsonl
  stderr_has "is a folder"
}

@test "a missing key file is exit 66, naming the file" {
  run -66 --separate-stderr grid-key pub --key no-such-key
  stderr_has no-such-key
  run -66 --separate-stderr grid-key sign --key no-such-key msgs.jsonl
  assert_output ''
  GRID_KEY=no-such-key run -66 --separate-stderr grid-key pub
}

@test "a key file without a hex seed is bad input (65)" {
  write_key bad 'not a key'
  run -65 --separate-stderr grid-key pub --key bad
  stderr_has bad
  write_key short "${SEED1:0:62}"
  run -65 --separate-stderr grid-key pub --key short
  write_key empty ''
  run -65 --separate-stderr grid-key pub --key empty
}

# ---- sign --------------------------------------------------------------

@test "sign fills in id and sig; id matches 'grid-key id'; the output verifies" {
  run -0 --separate-stderr sign1 msgs.jsonl
  assert_equal "${#lines[@]}" 2
  printf '%s\n' "$output" >signed.jsonl
  ids=$(grid-key id msgs.jsonl | jq -r .id)
  assert_equal "$(jq -r .id signed.jsonl)" "$ids"
  for n in 1 2; do
    line=$(sed -n "${n}p" signed.jsonl)
    assert_equal "$(jq -r .sig.by <<<"$line")" "$PUB1"
    [[ $(jq -r .sig.sig <<<"$line") =~ ^[0-9a-f]{128}$ ]]
    [[ $(jq -r .id <<<"$line") =~ ^sha256:[0-9a-f]{64}$ ]]
  done
  assert_equal "$(sed -n 2p signed.jsonl | jq -c .extra)" '{"x":[1,2]}'
  run -0 --separate-stderr grid-key verify signed.jsonl
  assert_equal "$(jq -s 'map(.ok) | all' <<<"$output")" true
}

@test "sign with the RFC 8032 TEST 1 seed gives its public key in sig.by" {
  run -0 --separate-stderr grid-key sign --key key1 <<<"$KNOWN"
  assert_equal "$(jq -r .sig.by <<<"$output")" \
    "ed25519:d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a"
  assert_equal "$(jq -r .id <<<"$output")" "$KNOWN_ID"
}

@test "sign is deterministic and replaces a stale id and sig" {
  a=$(sign1 msgs.jsonl)
  b=$(sign1 <msgs.jsonl)
  assert_equal "$a" "$b"
  stale=$(head -1 <<<"$a" | jq -c '.name = "changed"')
  run -0 --separate-stderr grid-key sign --key key2 <<<"$stale"
  assert_equal "$(jq -r .sig.by <<<"$output")" "$PUB2"
  assert_equal "$(jq -r .id <<<"$output")" "$(independent_id "$stale")"
  grid-key verify <<<"$output" >/dev/null
}

# ---- id ----------------------------------------------------------------

@test "id fills in the id and adds no sig" {
  run -0 --separate-stderr grid-key id msgs.jsonl
  assert_equal "${#lines[@]}" 2
  for line in "${lines[@]}"; do
    assert_equal "$(jq 'has("sig")' <<<"$line")" false
    [[ $(jq -r .id <<<"$line") =~ ^sha256:[0-9a-f]{64}$ ]]
  done
  assert_equal "$(jq -c .extra <<<"${lines[1]}")" '{"x":[1,2]}'
  first=$output
  run -0 --separate-stderr grid-key id <<<"$first"
  assert_output "$first"
}

@test "the id of a known message is its RFC 8785 SHA-256, computed independently" {
  run -0 --separate-stderr grid-key id <<<"$KNOWN"
  got=$(jq -r .id <<<"$output")
  assert_equal "$got" "$(independent_id "$KNOWN")"
  assert_equal "$got" "$KNOWN_ID"
  # Member order, whitespace and an old id or sig do not change it.
  reordered='{ "spec" : {"a":2, "z":"1"}, "tags":["b","a"], "n":42, "name":"héllo ✓", "kind":"task", "v":1, "id":"sha256:00", "sig":{"by":"x","sig":"y"} }'
  run -0 --separate-stderr grid-key id <<<"$reordered"
  assert_equal "$(jq -r .id <<<"$output")" "$KNOWN_ID"
  assert_equal "$(independent_id '{"kind":"task","v":1}')" \
    sha256:9e1fa5fe647d0d66faba704a8092d15e0da4c9d80f9fc7ea9e4d789f900dcc5a
  run -0 --separate-stderr grid-key id <<<'{"v":1,"kind":"task"}'
  assert_output '{"id":"sha256:9e1fa5fe647d0d66faba704a8092d15e0da4c9d80f9fc7ea9e4d789f900dcc5a","kind":"task","v":1}'
}

# ---- verify ------------------------------------------------------------

@test "verify's JSON report has source, line, ok, id and by" {
  sign1 msgs.jsonl >signed.jsonl
  run -0 --separate-stderr grid-key verify signed.jsonl
  assert_equal "${#lines[@]}" 2
  r=${lines[1]}
  assert_equal "$(jq -r .source <<<"$r")" signed.jsonl
  assert_equal "$(jq -r .line <<<"$r")" 2
  assert_equal "$(jq -r .ok <<<"$r")" true
  assert_equal "$(jq -r .id <<<"$r")" "$(sed -n 2p signed.jsonl | jq -r .id)"
  assert_equal "$(jq -r .by <<<"$r")" "$PUB1"
  assert_equal "$(jq 'has("reason")' <<<"$r")" false
  run -0 --separate-stderr grid-key verify <signed.jsonl
  assert_equal "$(jq -r .source <<<"${lines[0]}")" -
  assert_equal "$(jq -r .line <<<"${lines[0]}")" 1
}

@test "verify --format table prints one row per message" {
  sign1 msgs.jsonl >signed.jsonl
  id1=$(head -1 signed.jsonl | jq -r .id)
  run -0 --separate-stderr grid-key verify --format table signed.jsonl
  assert_equal "${#lines[@]}" 2
  assert_line -n 0 "ok    line 1 of signed.jsonl  $id1  by $PUB1"
  assert_line -n 1 --regexp '^ok    line 2 of signed.jsonl  sha256:[0-9a-f]{64}  by ed25519:'
  grid-key id msgs.jsonl | head -1 >unsigned.jsonl
  run -1 --separate-stderr grid-key verify --format table <unsigned.jsonl
  assert_output "FAIL  line 1  $id1  (unsigned)"
  run -0 --separate-stderr grid-key verify --format json signed.jsonl
  assert_equal "$(jq -r .ok <<<"${lines[0]}")" true
}

@test "a bad --format value is a usage error (64)" {
  run -64 --separate-stderr grid-key verify --format xml </dev/null
  stderr_has --format
}

@test "verify --by accepts the signer and rejects another key" {
  sign1 msgs.jsonl >signed.jsonl
  run -0 --separate-stderr grid-key verify --by "$PUB1" <signed.jsonl
  assert_equal "$(jq -s 'map(.ok) | all' <<<"$output")" true
  run -1 --separate-stderr grid-key verify --by "$PUB2" <signed.jsonl
  assert_equal "$(jq -r .ok <<<"${lines[0]}")" false
  assert_equal "$(jq -r .by <<<"${lines[0]}")" "$PUB1"
  [[ $(jq -r .reason <<<"${lines[0]}") == *"not by a key given with --by"* ]]
  run -0 --separate-stderr grid-key verify --by "$PUB2" --by "$PUB1" <signed.jsonl
}

@test "verify --by KEY followed by an input file reads the file" {
  sign1 msgs.jsonl >signed.jsonl
  run -0 --separate-stderr grid-key verify --by "$PUB1" signed.jsonl
  assert_equal "${#lines[@]}" 2
  assert_equal "$(jq -r .source <<<"${lines[0]}")" signed.jsonl
  run -1 --separate-stderr grid-key verify --by "$PUB2" signed.jsonl
}

@test "verify --by with upper-case hex is refused or names the same key" {
  sign1 msgs.jsonl >signed.jsonl
  upper="ed25519:$(tr a-f A-F <<<"${PUB1#ed25519:}")"
  run --separate-stderr grid-key verify --by "$upper" <signed.jsonl
  [[ $status -eq 64 || $status -eq 0 ]] ||
    fail "--by $upper was accepted as a key but did not match sig.by $PUB1 (exit $status)"
}

@test "a bad --by value is a usage error (64)" {
  run -64 --separate-stderr grid-key verify --by nonsense </dev/null
  stderr_has nonsense
  run -64 --separate-stderr grid-key verify --by "${PUB1:0:70}" </dev/null
  run -64 --separate-stderr grid-key verify --by "sha256:${PUB1#ed25519:}" </dev/null
}

@test "one changed byte of content makes verify fail (1)" {
  sign1 msgs.jsonl | head -1 >signed.jsonl
  sed 's/"name":"a"/"name":"b"/' signed.jsonl >tampered.jsonl
  refute [ "$(cat signed.jsonl)" = "$(cat tampered.jsonl)" ]
  run -1 --separate-stderr grid-key verify tampered.jsonl
  assert_equal "$(jq -r .ok <<<"$output")" false
  [[ $(jq -r .reason <<<"$output") == *"id does not match"* ]]
  assert_equal "$stderr" ''
  # Recomputing the id does not help: the signature covers the old id.
  grid-key id tampered.jsonl >reid.jsonl
  run -1 --separate-stderr grid-key verify reid.jsonl
  [[ $(jq -r .reason <<<"$output") == *"bad signature"* ]]
}

@test "one changed byte of sig.sig makes verify fail (1)" {
  sign1 msgs.jsonl | head -1 >signed.jsonl
  sig=$(jq -r .sig.sig signed.jsonl)
  first=${sig:0:1}
  if [ "$first" = 0 ]; then repl=1; else repl=0; fi
  jq -c --arg s "$repl${sig:1}" '.sig.sig = $s' signed.jsonl >tampered.jsonl
  run -1 --separate-stderr grid-key verify tampered.jsonl
  assert_equal "$(jq -r .ok <<<"$output")" false
  assert_equal "$(jq -r .by <<<"$output")" "$PUB1"
  [[ $(jq -r .reason <<<"$output") == *"bad signature"* ]]
  jq -c '.sig.sig = "zz"' signed.jsonl >short.jsonl
  run -1 --separate-stderr grid-key verify short.jsonl
  [[ $(jq -r .reason <<<"$output") == *"128 hex"* ]]
}

@test "swapping sig.by to another key makes verify fail (1)" {
  sign1 msgs.jsonl | head -1 >signed.jsonl
  jq -c --arg k "$PUB2" '.sig.by = $k' signed.jsonl >swapped.jsonl
  run -1 --separate-stderr grid-key verify swapped.jsonl
  assert_equal "$(jq -r .ok <<<"$output")" false
  assert_equal "$(jq -r .by <<<"$output")" "$PUB2"
  run -1 --separate-stderr grid-key verify --by "$PUB2" <swapped.jsonl
}

@test "an unsigned message fails verify (1)" {
  grid-key id msgs.jsonl >ids.jsonl
  run -1 --separate-stderr grid-key verify ids.jsonl
  assert_equal "${#lines[@]}" 2
  assert_equal "$(jq -r .reason <<<"${lines[0]}")" unsigned
  assert_equal "$(jq -r .id <<<"${lines[0]}")" "$(head -1 ids.jsonl | jq -r .id)"
  assert_equal "$(jq 'has("by")' <<<"${lines[0]}")" false
  run -1 --separate-stderr grid-key verify msgs.jsonl
  assert_equal "$(jq -r .reason <<<"${lines[0]}")" "no id"
  assert_equal "$stderr" ''
}

@test "one failing message among good ones: all are reported, exit 1" {
  sign1 msgs.jsonl >signed.jsonl
  { head -1 signed.jsonl; grid-key id msgs.jsonl | tail -1; tail -1 signed.jsonl; } >mixed.jsonl
  run -1 --separate-stderr grid-key verify mixed.jsonl
  assert_equal "$(jq -s -c 'map(.ok)' <<<"$output")" '[true,false,true]'
  assert_equal "$(jq -s -c 'map(.line)' <<<"$output")" '[1,2,3]'
}

# ---- input errors ------------------------------------------------------

@test "a missing input file is exit 66, naming the file" {
  for sub in id verify; do
    run -66 --separate-stderr grid-key "$sub" no-such.jsonl
    stderr_matches '^grid-key: error: .*no-such\.jsonl'
  done
  run -66 --separate-stderr grid-key sign --key key1 no-such.jsonl
  stderr_has no-such.jsonl
  run -66 --separate-stderr grid-key id msgs.jsonl no-such.jsonl
  assert_equal "${#lines[@]}" 2
}

@test "malformed JSON is exit 65 naming the input line" {
  printf '%s\n' '{"kind":"task","v":1}' '{"kind":"task","v":1,"n":2}' '{"kind": "task", oops}' \
    '{"kind":"task","v":1,"n":4}' >bad.jsonl
  for sub in id verify; do
    run -65 --separate-stderr grid-key "$sub" bad.jsonl
    assert_equal "${#lines[@]}" 2
    stderr_matches '^grid-key: error: malformed JSON.*\(input line 3 of bad\.jsonl\)$'
  done
  run -65 --separate-stderr grid-key sign --key key1 bad.jsonl
  stderr_has "input line 3 of bad.jsonl"
  run -65 --separate-stderr grid-key id <bad.jsonl
  stderr_matches '\(input line 3\)$'
  # A last line without its newline is still a line.
  printf '{"kind":"task","v":1}\n{"kind":"task","v":1' >cut.jsonl
  run -65 --separate-stderr grid-key id cut.jsonl
  assert_equal "${#lines[@]}" 1
  stderr_has "input line 2 of cut.jsonl"
}

@test "a line that is not a JSON object is exit 65" {
  for line in '[1,2]' '"text"' 42 null; do
    printf '{"kind":"task","v":1}\n%s\n' "$line" >bad.jsonl
    run -65 --separate-stderr grid-key id bad.jsonl
    stderr_has "input line 2 of bad.jsonl"
    stderr_has "object"
  done
}

@test "a missing or wrong kind or v is exit 65 naming the field" {
  check() {
    printf '%s\n' '{"kind":"task","v":1}' "$1" >bad.jsonl
    run -65 --separate-stderr grid-key "${@:3}" bad.jsonl
    stderr_matches "^grid-key: error: .*\\(input line 2 of bad\\.jsonl, field \\$2\\)\$"
  }
  check '{"v":1}' .kind id
  check '{"kind":7,"v":1}' .kind id
  check '{"kind":"task"}' .v id
  check '{"kind":"task","v":2}' .v id
  check '{"kind":"task","v":"1"}' .v id
  check '{"kind":"task","v":1.5}' .v id
  check '{"v":1}' .kind verify
  check '{"kind":"task","v":2}' .v verify
  check '{"kind":"task","v":0}' .v sign --key key1
}

@test "--keep-going reports each bad line, keeps the good ones, exits 65" {
  printf '%s\n' '{"kind":"task","v":1,"n":1}' 'not json' '{"kind":"task","v":1,"n":3}' '[3]' \
    '{"v":1}' '{"kind":"task","v":1,"n":6}' >mixed.jsonl
  run -65 --separate-stderr grid-key id --keep-going mixed.jsonl
  assert_equal "$(jq -s -c 'map(.n)' <<<"$output")" '[1,3,6]'
  stderr_has "input line 2 of mixed.jsonl"
  stderr_has "input line 4 of mixed.jsonl"
  stderr_has "input line 5 of mixed.jsonl, field .kind"
  stderr_has "3 bad input line(s)"
  assert_equal "$(grep -c '^grid-key: error: ' <<<"$stderr")" 4
  run -65 --separate-stderr sign1 --keep-going mixed.jsonl
  assert_equal "${#lines[@]}" 3
  printf '%s\n' "$output" >signed.jsonl
  run -0 --separate-stderr grid-key verify signed.jsonl
  # verify too: bad lines get no report; a failing message still gets one.
  { cat signed.jsonl; echo '{oops'; grid-key id msgs.jsonl | head -1; } >v.jsonl
  run -65 --separate-stderr grid-key verify --keep-going v.jsonl
  assert_equal "$(jq -s -c 'map(.ok)' <<<"$output")" '[true,true,true,false]'
  stderr_has "input line 4 of v.jsonl"
}

@test "an empty input gives no output and exit 0" {
  : >empty.jsonl
  for sub in id verify; do
    run -0 --separate-stderr grid-key "$sub" empty.jsonl
    assert_output ''
    assert_equal "$stderr" ''
    run -0 --separate-stderr grid-key "$sub" </dev/null
    assert_output ''
  done
  run -0 --separate-stderr grid-key sign --key key1 </dev/null
  assert_output ''
}

@test "blank lines are skipped but counted" {
  printf '\n{"kind":"task","v":1,"n":2}\n   \n\t\r\n{"kind":"task","v":1,"n":5}\n\n' >blank.jsonl
  run -0 --separate-stderr grid-key id blank.jsonl
  assert_equal "${#lines[@]}" 2
  sign1 blank.jsonl >/dev/null
  printf '\n\n%s\n\n%s\n' "$(sign1 msgs.jsonl | head -1)" '{"kind":"task","v":1}' >b.jsonl
  run -1 --separate-stderr grid-key verify b.jsonl
  assert_equal "$(jq -s -c 'map(.line)' <<<"$output")" '[3,5]'
}

@test "several input files: read in order, line numbers per file" {
  sign1 msgs.jsonl >a.jsonl
  { echo; sign1 msgs.jsonl | tail -1; } >b.jsonl
  run -0 --separate-stderr grid-key verify a.jsonl b.jsonl
  assert_equal "$(jq -s -c 'map([.source, .line])' <<<"$output")" \
    '[["a.jsonl",1],["a.jsonl",2],["b.jsonl",2]]'
  run -0 --separate-stderr grid-key verify a.jsonl - <b.jsonl
  assert_equal "$(jq -s -c 'map([.source, .line])' <<<"$output")" \
    '[["a.jsonl",1],["a.jsonl",2],["-",2]]'
  run -0 --separate-stderr grid-key id msgs.jsonl msgs.jsonl
  assert_equal "${#lines[@]}" 4
  printf '%s\n' '{"kind":"task","v":1}' '{"kind":"task","v":1}' '{bad' >c.jsonl
  run -65 --separate-stderr grid-key id a.jsonl c.jsonl
  stderr_has "input line 3 of c.jsonl"
}

@test "a 70 MiB line is refused (65, 64 MiB limit) and the next line still verifies" {
  good=$(sign1 msgs.jsonl | head -1)
  {
    printf '{"kind":"task","v":1,"pad":"'
    head -c $((70 << 20)) /dev/zero | tr '\0' x
    printf '"}\n%s\n' "$good"
  } >big.jsonl
  run -65 --separate-stderr grid-key verify big.jsonl
  assert_output ''
  stderr_has "64 MiB"
  stderr_has "input line 1 of big.jsonl"
  run -65 --separate-stderr grid-key verify --keep-going big.jsonl
  assert_equal "${#lines[@]}" 1
  assert_equal "$(jq -r '[.ok, .line] | @tsv' <<<"$output")" "true	2"
  stderr_has "64 MiB"
  rm -f big.jsonl
}

@test "a line nested 40 000 deep is refused (65, nesting over 64) in id and verify, and skipped with --keep-going" {
  good=$(sign1 msgs.jsonl | head -1)
  python3 -c 'print("{\"kind\":\"x\",\"v\":1,\"a\":" + "[" * 40000 + "]" * 40000 + "}")' >deep.jsonl
  printf '%s\n' "$good" >>deep.jsonl
  for sub in id verify; do
    run -65 --separate-stderr grid-key "$sub" deep.jsonl
    assert_output ''
    stderr_matches '^grid-key: error: arrays and objects nested more than 64 deep \(input line 1 of deep\.jsonl, field \.a(\[0\])+\)$'
    run -65 --separate-stderr grid-key "$sub" --keep-going deep.jsonl
    assert_equal "${#lines[@]}" 1
    stderr_has "input line 1 of deep.jsonl"
  done
  assert_equal "$(jq -r '[.ok, .line] | @tsv' <<<"$output")" "true	2"
  # 64 levels are read; the 65th is not.
  nest() { python3 -c "import sys; n=int(sys.argv[1]); print('{\"kind\":\"x\",\"v\":1,\"a\":' + '[' * n + ']' * n + '}')" "$1"; }
  nest 63 | grid-key id >/dev/null
  run -65 --separate-stderr grid-key id <<<"$(nest 64)"
  stderr_has "nested more than 64 deep"
}

@test "the canonical digits of a whole double beyond 2^53 are accepted: 1e17 written as 100000000000000000 verifies" {
  # What JSON.stringify (and any RFC 8785 implementation) writes for 1e17.
  sign1 <<<'{"kind":"x","v":1,"amount":1e17,"neg":-4e18,"big":1.8446744073709552e19}' >float.jsonl
  sed 's/"amount":1e+17/"amount":100000000000000000/; s/"neg":-4e+18/"neg":-4000000000000000000/' float.jsonl >ints.jsonl
  grep -q '"amount":100000000000000000' ints.jsonl
  grep -q '"neg":-4000000000000000000' ints.jsonl
  run -0 --separate-stderr grid-key verify ints.jsonl
  assert_equal "$(jq -r .ok <<<"$output")" true
  run -0 grid-key id ints.jsonl
  assert_equal "$(jq -r .id <<<"$output")" "$(jq -r .id float.jsonl)"
  # An integer that is not a double's canonical digits would be rounded: refused.
  for n in 9007199254740993 1152921504606846976 -9007199254740993; do
    run -65 --separate-stderr grid-key id <<<"{\"kind\":\"x\",\"v\":1,\"amount\":$n}"
    stderr_matches "integer $n is beyond .* \\(input line 1, field \\.amount\\)\$"
  done
}

@test "a repeated member name is refused (65) in id, verify and sign, naming the member" {
  good=$(sign1 <<<'{"kind":"pay","v":1,"amount":2}')
  # The signature covers the one "amount" the parser kept; both readings must not verify.
  bad=$(sed 's/"amount":2/"amount":999999,"amount":2/' <<<"$good")
  printf '%s\n' "$bad" "$good" >dup.jsonl
  for sub in id verify "sign --key key1"; do
    # shellcheck disable=SC2086
    run -65 --separate-stderr grid-key $sub dup.jsonl
    assert_output ''
    stderr_matches '^grid-key: error: a member name appears twice in one object \(input line 1 of dup\.jsonl, field \.amount\)$'
  done
  run -65 --separate-stderr grid-key verify --keep-going dup.jsonl
  assert_equal "$(jq -r '[.ok, .line] | @tsv' <<<"$output")" "true	2"
  run -65 --separate-stderr grid-key id <<<'{"kind":"x","v":1,"a":[{"b":1,"c":{"d":1,"d":2}}]}'
  stderr_has "field .a[0].c.d"
}

@test "a number beyond double's range is refused (65) naming the line and field, and skipped with --keep-going" {
  printf '%s\n' '{"kind":"x","v":1,"n":1}' '{"kind":"x","v":1,"n":1e400}' '{"kind":"x","v":1,"n":-1e400}' \
    '{"kind":"x","v":1,"n":4}' >huge.jsonl
  run -65 --separate-stderr grid-key id huge.jsonl
  assert_equal "${#lines[@]}" 1
  stderr_matches "^grid-key: error: number 1e400 is beyond the range of a double \\(input line 2 of huge\\.jsonl, field \\.n\\)\$"
  run -65 --separate-stderr grid-key id <<<'{"kind":"x","v":1,"a":[{"b":[1,2e999]}]}'
  stderr_has "(input line 1, field .a[0].b[1])"
  for sub in id verify; do
    run -65 --separate-stderr grid-key "$sub" --keep-going huge.jsonl
    assert_equal "${#lines[@]}" 2
    stderr_has "input line 2 of huge.jsonl"
    stderr_has "input line 3 of huge.jsonl"
    stderr_has "2 bad input line(s)"
  done
}

@test "every tool's reader refuses a repeated member name and a number beyond double's range: 65 naming line and field" {
  pay-settle init --ledger L.db --currency USD --key key1 >/dev/null
  : >trust.txt
  readers=(
    "grid-key verify" "job-split" "job-run --store S" "proof-check --key key1"
    "lease-bid order --key key1 --max-price 5 --deadline 2h" "pay-settle apply --ledger L.db --trust trust.txt"
    "grid-board post file://$PWD/board" "grid-store --store S gc" "gpu-bench --key key1 --challenge"
  )
  echo '{"kind":"task","v":1,"spec":{"amount":999999,"amount":2}}' >dup.jsonl
  echo '{"kind":"task","v":1,"spec":{"flops":1e400}}' >huge.jsonl
  for reader in "${readers[@]}"; do
    tool=${reader%% *}
    # shellcheck disable=SC2086
    run -65 --separate-stderr $reader dup.jsonl
    [ "$stderr" = "$tool: error: a member name appears twice in one object (input line 1 of dup.jsonl, field .spec.amount)" ] ||
      fail "$reader: $stderr"
    # shellcheck disable=SC2086
    run -65 --separate-stderr $reader huge.jsonl
    [ "$stderr" = "$tool: error: number 1e400 is beyond the range of a double (input line 1 of huge.jsonl, field .spec.flops)" ] ||
      fail "$reader: $stderr"
  done
}

@test "a closed stdout ends grid-key quietly with 0 (EPIPE)" {
  signed=$(sign1 msgs.jsonl | head -1)
  run -0 --separate-stderr bash -c '
    yes "$1" | head -n 20000 | grid-key verify 2>err | head -1
    echo "status ${PIPESTATUS[2]}"' _ "$signed"
  assert_equal "${#lines[@]}" 2
  assert_equal "$(jq -r .ok <<<"${lines[0]}")" true
  assert_line -n 1 "status 0"
  assert_equal "$(cat err)" ''
  run -0 --separate-stderr bash -c '
    yes "$1" | head -n 20000 | grid-key id 2>err | head -1 >/dev/null
    echo "status ${PIPESTATUS[2]}"' _ '{"kind":"task","v":1}'
  assert_output "status 0"
  assert_equal "$(cat err)" ''
}

# ---- completion --------------------------------------------------------

@test "bash completion offers subcommands, flags and formats" {
  complete_words() { bash_complete grid-key "$@"; }
  run -0 complete_words grid-key ''
  assert_output "$(printf '%s\n' gen pub sign id verify)"
  run -0 complete_words grid-key verify --f
  assert_output --format
  run -0 complete_words grid-key verify --format ''
  assert_output "$(printf '%s\n' json table)"
  run -0 complete_words grid-key gen --
  assert_line --out
  assert_line --force
  run -0 complete_words grid-key sign --key key ms
  assert_output msgs.jsonl
}

@test "--retries N: transient failures in a row before 75 for an input by URL, in sign, id and verify; out of range is 64" {
  dead=$(dead_url)
  run -75 --separate-stderr grid-key sign --key key1 --retries 0 "$dead/m.jsonl"
  assert_output ''
  stderr_matches "^grid-key: error: cannot fetch $dead/m.jsonl: .*\(gave up after 1 attempt\)\$"
  run -75 --separate-stderr grid-key id --retries 1 "$dead/m.jsonl"
  stderr_matches "\(gave up after 2 attempts\)\$"
  run -75 --separate-stderr grid-key verify --retries 0 "$dead/m.jsonl"
  stderr_matches "\(gave up after 1 attempt\)\$"
  # The inputs before the URL are written first, as with any input.
  run -75 --separate-stderr grid-key id --retries 0 msgs.jsonl "$dead/m.jsonl"
  [ "${#lines[@]}" -eq 2 ]
  for sub in sign id verify; do
    run -64 --separate-stderr grid-key "$sub" --key key1 --retries 1001 msgs.jsonl
    assert_output ''
    stderr_has "--retries"
  done
}

@test "verify: a sig.by in upper case is no signer (one key, one spelling); --by takes either case" {
  grid-key sign --key key1 msgs.jsonl >signed.jsonl
  jq -c '.sig.by |= ("ed25519:" + (.[8:] | ascii_upcase))' signed.jsonl >upper.jsonl
  run -1 --separate-stderr grid-key verify upper.jsonl
  assert_jq_all '[.[].ok] | tostring' '[false,false]'
  assert_jq_all '.[0].reason' 'sig.by is not ed25519:<64 lower-case hex digits>'
  run -0 --separate-stderr grid-key verify --by "ed25519:$(tr a-f A-F <<<"${PUB1#ed25519:}")" signed.jsonl
}

@test "a NUL byte on a line is malformed JSON (65 naming the column), not the end of the line" {
  printf '{"kind":"note","v":1}\0junk\n' >nul.jsonl
  run -65 --separate-stderr grid-key id nul.jsonl
  assert_output ''
  stderr_has "malformed JSON: a NUL byte at column 22"
  stderr_has "input line 1 of nul.jsonl"
  printf '{"kind":"note","v":1,"s":"a\\u0000b"}\n' >escaped.jsonl
  run -0 --separate-stderr grid-key id escaped.jsonl
}

@test "a folder given as an input is 66 saying so, in every tool that reads messages" {
  mkdir d
  for t in "grid-key id" "job-split" "proof-check --key key1" "lease-bid order --key key1 --max-price 5 --deadline 1h"; do
    run -66 --separate-stderr $t d
    assert_output ''
    stderr_has "d is a folder, not a file of JSON Lines"
  done
}
