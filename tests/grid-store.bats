#!/usr/bin/env bats
# grid-store: objects out of the store (as stored, checked .npy, or CSV),
# files in, the listing, verify and gc, through the real binary, against
# stores that job-run fills. NumPy is in /usr/bin/python3.

bats_require_minimum_version 1.5.0
load test_helper

NUMPY=/usr/bin/python3

setup() {
  common_setup
  EX=$ROOT/examples/jobs
}

# sha_of FILE: sha256:<hex> of the file's bytes.
sha_of() {
  echo "sha256:$(sha256sum "$1" | cut -d' ' -f1)"
}

# objects STORE: how many objects STORE holds, by find.
objects() {
  find "$1/sha256" -type f | wc -l
}

# train_and_infer: the train example into store S (train.jsonl), then the
# infer example with its model (infer.jsonl: two shards of predictions).
train_and_infer() {
  job-split "$EX/train.json" | job-run --store S >train.jsonl
  job-split "$EX/infer.json" | job-run --store S >infer.jsonl
}

# corrupt STORE REF BYTES: overwrites an object as a failing disk would.
corrupt() {
  local path
  path=$(object "$1" "$2")
  chmod u+w "$path"
  printf '%s' "$3" >"$path"
}

# ---- flags -------------------------------------------------------------

@test "--help lists the subcommands; no subcommand, or an unknown one, is 64" {
  run -0 --separate-stderr grid-store --help
  for word in get put ls verify gc --store; do
    assert_output --partial -- "$word"
  done
  run -64 --separate-stderr grid-store
  run -64 --separate-stderr grid-store lst
  stderr_has "unknown subcommand 'lst'"
  run -64 --separate-stderr grid-store get
  run -64 --separate-stderr grid-store get --as png abcd
  run -64 --separate-stderr grid-store gc --grace soon x.jsonl
  stderr_has "--grace soon"
}

# ---- put and get -------------------------------------------------------

@test "an empty --store is no folder (64), not the default store" {
  HOME=$PWD/home XDG_DATA_HOME= run -64 --separate-stderr grid-store --store '' ls
  stderr_has "--store: an empty value is no folder"
  assert_not_exist home
}

@test "put stores files and stdin, one JSON line each; get gives the bytes back" {
  printf 'hello\n' >a.txt
  head -c 100000 /dev/urandom >b.bin
  run -0 --separate-stderr grid-store --store S put a.txt b.bin
  assert_equal "${#lines[@]}" 2
  assert_equal "$(jq -c . <<<"${lines[0]}")" "$(jq -nc --arg s "$(sha_of a.txt)" '{bytes: 6, file: "a.txt", sha256: $s}')"
  assert_equal "$(jq -r .sha256 <<<"${lines[1]}")" "$(sha_of b.bin)"
  assert_equal "$(jq -r .bytes <<<"${lines[1]}")" 100000
  run -0 --separate-stderr grid-store --store S put - <b.bin
  assert_jq .file -
  assert_jq .sha256 "$(sha_of b.bin)"
  run -0 --separate-stderr grid-store --store S put <a.txt
  assert_jq .sha256 "$(sha_of a.txt)"
  assert_equal "$(objects S)" 2
  # The object, by full name, bare hex, upper case or prefix.
  s=$(sha_of b.bin)
  for name in "$s" "${s#sha256:}" "$(tr a-f A-F <<<"${s#sha256:}")" "${s:0:13}" "${s:7:8}"; do
    grid-store --store S get "$name" >out.bin
    cmp out.bin b.bin || fail "get $name gave other bytes"
  done
  grid-store get --store S "$s" --out copy.bin
  cmp copy.bin b.bin
  # --store after the subcommand, or the default store under XDG_DATA_HOME.
  XDG_DATA_HOME=$PWD/xdg grid-store put a.txt >/dev/null
  assert_file_exist "$(object xdg/gridutils/store "$(sha_of a.txt)")"
  run -0 env XDG_DATA_HOME="$PWD/xdg" grid-store get "$(sha_of a.txt)"
  assert_output hello
}

@test "put: a missing file or a folder is 66, and what came before it is stored" {
  printf 'x' >x.txt
  run -66 --separate-stderr grid-store --store S put x.txt missing.txt
  stderr_has "missing.txt"
  assert_jq .file x.txt
  assert_file_exist "$(object S "$(sha_of x.txt)")"
  mkdir dir
  run -66 --separate-stderr grid-store --store S put dir
  stderr_has "dir is a folder"
}

@test "get: an unknown object is 66, a bad or ambiguous name 64, a corrupt object 65 and writes nothing" {
  printf 'right' >r.txt
  s=$(grid-store --store S put r.txt | jq -r .sha256)
  run -66 --separate-stderr grid-store --store S get "sha256:$(printf '0%.0s' {1..64})"
  stderr_has "is not in the store S"
  run -66 --separate-stderr grid-store --store S get 0000
  stderr_has "no object in the store S starts with 0000"
  for bad in abc sha256:zz xyzw "${s}0" ""; do
    run -64 --separate-stderr grid-store --store S get "$bad"
    assert_output ""
  done
  # Two objects that share their first 6 hex digits (names made by hand:
  # the lookup reads names, not bytes).
  mkdir -p S/sha256/ab
  touch "S/sha256/ab/cdef$(printf '1%.0s' {1..58})" "S/sha256/ab/cdef$(printf '2%.0s' {1..58})"
  run -64 --separate-stderr grid-store --store S get abcdef
  stderr_has "'abcdef' is ambiguous: 2 objects start with it (sha256:abcdef111"
  run -65 --separate-stderr grid-store --store S get abcdef1
  stderr_has "is corrupt"
  # A corrupt object: named, and not a byte of it written.
  corrupt S "$s" wrong
  run -65 --separate-stderr grid-store --store S get "$s"
  assert_output ""
  stderr_has "$(object S "$s") is corrupt"
  run -65 --separate-stderr grid-store --store S get "$s" --out out.txt
  assert_file_not_exist out.txt
}

@test "get --as npy checks the object is a .npy matrix; --as csv converts it" {
  printf 'not a matrix' >t.txt
  s=$(grid-store --store S put t.txt | jq -r .sha256)
  run -65 --separate-stderr grid-store --store S get --as npy "$s"
  assert_output ""
  stderr_has "object $s"
  run -65 --separate-stderr grid-store --store S get --as csv "$s"
  assert_output ""
  "$NUMPY" -c 'import numpy as np; np.save("m.npy", np.array([[1.5, -2, 0.1], [3e-8, 7, -0.0]], dtype=np.float32))'
  s=$(grid-store --store S put m.npy | jq -r .sha256)
  grid-store --store S get --as npy "$s" >back.npy
  cmp back.npy m.npy
  run -0 --separate-stderr grid-store --store S get --as csv "$s"
  assert_output "$(printf '1.5,-2,0.1\n3e-08,7,-0')"
}

# ---- end to end ----------------------------------------------------------

@test "the train example's model and the infer example's predictions come out of the store" {
  train_and_infer
  model=$(jq -r .train.final.model_sha256 train.jsonl)
  grid-store --store S get "$model" >model.bin
  assert_equal "$(sha_of model.bin)" "$model"
  # Every checkpoint the trace names, too.
  for c in $(jq -r '.train.trace.checkpoints[].sha256' train.jsonl); do
    grid-store --store S get "$c" --out cp.bin
    assert_equal "$(sha_of cp.bin)" "$c"
  done
  # Predictions as CSV: the .npy's shape, and its float32 values bit for bit.
  run -0 jq -r '"\(.infer.predictions_sha256) \(.infer.row_end - .infer.row_begin)"' infer.jsonl
  assert_equal "${#lines[@]}" 2
  for line in "${lines[@]}"; do
    read -r p rows <<<"$line"
    grid-store --store S get "$p" --as npy >p.npy
    grid-store --store S get "$p" --as csv >p.csv
    assert_equal "$(wc -l <p.csv)" "$rows"
    "$NUMPY" -c '
import sys
import numpy as np
npy = np.load("p.npy")
csv = np.loadtxt("p.csv", delimiter=",", dtype=np.float32, ndmin=2)
assert npy.dtype == np.float32, npy.dtype
assert csv.shape == npy.shape == (int(sys.argv[1]), 3), (csv.shape, npy.shape)
assert csv.tobytes() == npy.tobytes(), "values differ"' "$rows"
  done
}

# ---- ls and verify -------------------------------------------------------

@test "ls lists every object once, as JSON or as a table; an empty or absent store lists nothing" {
  run -0 --separate-stderr grid-store --store Nowhere ls
  assert_output ""
  assert_file_not_exist Nowhere
  train_and_infer
  run -0 --separate-stderr grid-store --store S ls
  assert_equal "${#lines[@]}" "$(objects S)"
  # Each line names a real object, its size and the time it was written.
  while read -r sha bytes mtime; do
    assert_equal "$(stat -c %s "$(object S "$sha")")" "$bytes"
    assert_equal "$(sha_of "$(object S "$sha")")" "$sha"
    [[ $mtime =~ ^20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T[0-9:]{8}Z$ ]] || fail "mtime $mtime"
  done < <(jq -r '"\(.sha256) \(.bytes) \(.mtime)"' <<<"$output")
  assert_equal "$(jq -r .sha256 <<<"$output" | sort -u | wc -l)" "$(objects S)"
  run -0 --separate-stderr grid-store --store S ls --format table
  assert_equal "${#lines[@]}" "$(objects S)"
  assert_line --regexp "^$(jq -r .train.final.model_sha256 train.jsonl) +[0-9]+  20"
  # A reader that goes away ends it quietly.
  run -0 --separate-stderr bash -c 'set -o pipefail; grid-store --store S ls | head -1'
  assert_equal "${#lines[@]}" 1
  assert_equal "$stderr" ""
}

@test "verify re-hashes every object: 0 when all hold, 1 naming each corrupt one" {
  train_and_infer
  run -0 --separate-stderr grid-store --store S verify
  assert_equal "$(jq -s 'map(select(.ok)) | length' <<<"$output")" "$(objects S)"
  model=$(jq -r .train.final.model_sha256 train.jsonl)
  corrupt S "$model" "not the model"
  run -1 --separate-stderr grid-store --store S verify
  assert_equal "$(jq -sc 'map(select(.ok | not))' <<<"$output")" \
    "$(jq -nc --arg s "$model" --arg g "$(printf 'not the model' | sha256sum | cut -c1-64)" \
      '[{bytes: 13, ok: false, reason: "its bytes hash to sha256:\($g)", sha256: $s}]')"
  stderr_has "1 corrupt object(s)"
  run -1 --separate-stderr grid-store --store S verify --format table
  assert_line "FAIL  $model  (its bytes hash to sha256:$(printf 'not the model' | sha256sum | cut -c1-64))"
  # A put of the right bytes repairs it.
  job-split "$EX/train.json" | job-run --store S --force >/dev/null
  run -0 --separate-stderr grid-store --store S verify
}

# ---- gc ------------------------------------------------------------------

@test "gc with no root is 64 and removes nothing" {
  train_and_infer
  before=$(objects S)
  run -64 --separate-stderr grid-store --store S gc --grace 0
  stderr_has "at least one root"
  run -64 --separate-stderr grid-store --store S gc --grace 0 --dry-run
  assert_equal "$(objects S)" "$before"
}

@test "gc keeps what the results name and the cached results; removes the rest and their references" {
  train_and_infer
  model=$(jq -r .train.final.model_sha256 train.jsonl)
  all=$(objects S)
  # --dry-run lists, and removes nothing.
  run -0 --separate-stderr grid-store --store S gc --grace 0 --dry-run infer.jsonl
  dry=$output
  assert_equal "$(objects S)" "$all"
  stderr_has "would remove"
  run -0 --separate-stderr grid-store --store S gc --grace 0 infer.jsonl
  assert_equal "$output" "$dry"
  stderr_has "removed ${#lines[@]} object(s)"
  # Left: the model the tasks name, the two predictions and the two result lines.
  assert_equal "$(objects S)" 5
  assert_equal "$((all - 5))" "${#lines[@]}"
  grid-store --store S get "$model" >/dev/null
  for p in $(jq -r .infer.predictions_sha256 infer.jsonl); do
    assert_file_exist "$(object S "$p")"
  done
  for c in $(jq -r '.train.trace.checkpoints[].sha256' train.jsonl); do
    [ "$c" = "$model" ] || assert_file_not_exist "$(object S "$c")"
  done
  # Each removed object was listed, and is gone.
  while read -r sha; do
    assert_file_not_exist "$(object S "$sha")"
  done < <(jq -r .sha256 <<<"$output")
  # No reference names a removed object; job-run still finds its cached
  # infer results, and recomputes the train result it no longer has.
  for ref in $(find S/refs -type f); do
    assert_file_exist "$(object S "$(cat "$ref")")"
  done
  run -0 --separate-stderr job-run --store S <(job-split "$EX/infer.json")
  stderr_has "already in the store"
  run -0 --separate-stderr job-run --store S <(job-split "$EX/train.json")
  [[ $stderr != *"already in the store"* ]] || fail "the removed train result was reused: $stderr"
  assert_equal "$(jq -r .train.final.model_sha256 <<<"$output")" "$model"
  run -0 --separate-stderr grid-store --store S verify
}

@test "gc keeping train results keeps every checkpoint their traces name: proof-check still accepts" {
  write_key key1 "$SEED1"
  write_key vkey "$SEED3"
  job-split "$EX/train.json" >tasks.jsonl
  job-run --key key1 --store S tasks.jsonl >train.jsonl
  printf 'other' | grid-store --store S put >/dev/null
  run -0 --separate-stderr grid-store --store S gc --grace 0 train.jsonl
  # Removed: that object, and the progress records only --resume reads.
  assert_line --partial "sha256:$(printf other | sha256sum | cut -c1-64)"
  for c in $(jq -r '.train.trace.checkpoints[].sha256, .train.final.model_sha256' train.jsonl); do
    assert_file_exist "$(object S "$c")"
  done
  run -0 --separate-stderr check --tasks tasks.jsonl --mode sig,trace,spot train.jsonl
  assert_jq .status accept
}

@test "gc roots: sha256:<hex> arguments and stdin; the default grace keeps what was just written" {
  printf 'keep me' >k.txt
  printf 'drop me' >d.txt
  grid-store --store S put k.txt d.txt >put.jsonl
  k=$(sha_of k.txt)
  d=$(sha_of d.txt)
  # Written a moment ago: the default grace (1h) keeps everything.
  run -0 --separate-stderr grid-store --store S gc "$k"
  assert_output ""
  assert_equal "$(objects S)" 2
  run -0 --separate-stderr grid-store --store S -q gc --grace 0 "$k"
  assert_jq .sha256 "$d"
  assert_equal "$stderr" ""
  assert_equal "$(objects S)" 1
  # A root file on stdin.
  grid-store --store S put d.txt >/dev/null
  run -0 --separate-stderr grid-store --store S gc --grace 0 - <put.jsonl
  assert_output ""
  # Older than the grace: removed.
  touch -d '2 hours ago' "$(object S "$d")"
  run -0 --separate-stderr grid-store --store S gc --grace 90m "$k"
  assert_jq .sha256 "$d"
}

@test "gc: unpacked images go with their tarball's name: kept while a root names it, else removed" {
  "$ROOT/examples/exec/busybox-rootfs" a.tar
  # A second image, its tarball with a read-only folder (as exports have).
  cp a.tar b.tar
  mkdir -p ro/sub
  chmod 555 ro/sub ro
  tar rf b.tar ro
  "$ROOT/examples/exec/busybox.job" a.tar | job-split | head -1 | job-run --store S >a.jsonl
  "$ROOT/examples/exec/busybox.job" b.tar | job-split | head -1 | job-run --store S >b.jsonl
  a=$(sha256sum a.tar | cut -c1-64)
  b=$(sha256sum b.tar | cut -c1-64)
  # A killed unpack's folder, and a lock file, beside them.
  mkdir -p "S/images/.unpack-$b.x1/etc" && chmod 555 "S/images/.unpack-$b.x1/etc"
  touch "S/images/.$b.lock"
  # Unpacked a moment ago: the default grace keeps both.
  run -0 --separate-stderr grid-store --store S gc a.jsonl
  assert_equal "$(ls S/images)" "$(printf '%s\n' "$a" "$b" | sort)"
  run -0 --separate-stderr grid-store --store S gc --grace 0 --dry-run a.jsonl
  assert_line "{\"image\":\"sha256:$b\"}"
  assert_equal "$(ls S/images | wc -l)" 2
  run -0 --separate-stderr grid-store --store S gc --grace 0 a.jsonl
  assert_line "{\"image\":\"sha256:$b\"}"
  refute_line --partial "sha256:$a"
  stderr_has "1 image(s)"
  assert_equal "$(ls -A S/images)" "$(printf '%s\n' ".$b.lock" "$a" | sort)"
  # The removed image's task, run again, unpacks it anew and gives the same.
  "$ROOT/examples/exec/busybox.job" b.tar | job-split | head -1 | job-run --store S --force >b2.jsonl
  assert_equal "$(jq -r .exec.output_root b2.jsonl)" "$(jq -r .exec.output_root b.jsonl)"
  assert_dir_exist "S/images/$b"
}

@test "gc: a bad root line (65) or a missing root (66) removes nothing" {
  train_and_infer
  all=$(objects S)
  { head -1 infer.jsonl; echo '{"kind": "result", broken'; } >bad.jsonl
  run -65 --separate-stderr grid-store --store S gc --grace 0 bad.jsonl
  stderr_has "line 2 of bad.jsonl"
  assert_output ""
  run -66 --separate-stderr grid-store --store S gc --grace 0 infer.jsonl missing.jsonl
  assert_output ""
  assert_equal "$(objects S)" "$all"
  # A kept JSON object that is corrupt: what it names cannot be known.
  line=$(head -1 infer.jsonl)
  corrupt S "$(printf '%s' "$line" | sha256sum | sed 's/^/sha256:/; s/ .*//')" '{"tampered": true}'
  run -65 --separate-stderr grid-store --store S gc --grace 0 infer.jsonl
  stderr_has "nothing is removed"
  assert_equal "$(objects S)" "$all"
}

@test "gc killed at any point (kill -9) leaves a consistent store; a second gc finishes the job" {
  train_and_infer
  # Many unnamed objects, so that a kill lands mid-sweep.
  mkdir junk
  for i in $(seq 2000); do printf 'junk %d' "$i" >"junk/$i"; done
  grid-store --store S put junk/* >/dev/null
  local before after midway=0
  for delay in 0.005 0.01 0.02 0.05 0.1 0.2 0.4 0.8; do
    before=$(objects S)
    grid-store --store S gc --grace 0 infer.jsonl >/dev/null 2>&1 &
    sleep "$delay"
    kill -9 $! 2>/dev/null || true
    wait $! 2>/dev/null || true
    after=$(objects S)
    [ "$after" -lt "$before" ] && [ "$after" -gt 5 ] && midway=$((midway + 1))
    # Every object holds its bytes; every reference names a present object;
    # everything the roots name is there.
    run -0 --separate-stderr grid-store --store S verify
    for ref in $(find S/refs -type f); do
      assert_file_exist "$(object S "$(cat "$ref")")"
    done
    for s in $(jq -r '.infer.predictions_sha256, .header.inputs.model' infer.jsonl); do
      assert_file_exist "$(object S "$s")"
    done
  done
  [ "$midway" -gt 0 ] || fail "no kill landed while gc was removing objects"
  grid-store --store S gc --grace 0 infer.jsonl >/dev/null
  assert_equal "$(objects S)" 5
}

@test "--retries N: transient failures in a row before 75 for put's files and gc's roots by URL; out of range is 64" {
  dead=$(dead_url)
  grid-store --store S put "$EX/gemm.json" >/dev/null
  run -75 --separate-stderr grid-store --store S put --retries 0 "$dead/x.bin"
  assert_output ''
  stderr_matches "cannot fetch $dead/x.bin: .*\(gave up after 1 attempt\)\$"
  # gc with a root it cannot read removes nothing.
  run -75 --separate-stderr grid-store --store S gc --grace 0 --retries 1 "$dead/results.jsonl"
  stderr_matches "cannot fetch $dead/results.jsonl: .*\(gave up after 2 attempts\)\$"
  run -0 grid-store --store S ls --format json
  [ "${#lines[@]}" -eq 1 ]
  run -64 --separate-stderr grid-store --store S put --retries -1 "$EX/gemm.json"
  stderr_has "--retries"
  run -64 --separate-stderr grid-store --store S gc --retries 1001 "$EX/gemm.json"
  stderr_has "--retries"
}
