#!/usr/bin/env bats
# Providers against exec results, and buyers' images against providers: a
# changed output file, a swapped output, a result copied from another
# provider and a forged exit status are rejected by rerun or quorum; a
# rootfs tarball with "../" paths, absolute paths or a link pointing out is
# refused before anything runs, and no half-unpacked image is left to use.

bats_require_minimum_version 1.5.0
GRIDUTILS_ROOT=${GRIDUTILS_ROOT:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
load ../test_helper
source "$BATS_TEST_DIRNAME/forge.bash"

# Four tasks of a deterministic program, run honestly by providers 1 and 2.
setup_file() {
  in_file_tmpdir
  jq -cn '{kind: "job", v: 1, type: "exec", exec: {
      command: ["sh", "-c", "seq 1 $((GRID_TASK_INDEX + 3)) >/out/seq; echo task {index} >/out/name; echo ran"],
      image: "host", range: {start: 0, end: 4}, verify: "rerun"}}' | job-split >tasks.jsonl
  job-run --store S --key key1 tasks.jsonl >r1.jsonl
  job-run --store S --key key2 tasks.jsonl >r2.jsonl
}

setup() {
  from_file_tmpdir tasks.jsonl r1.jsonl r2.jsonl
}

# check ARGS...: proof-check by the verifier, every task drawn, on store S.
check() {
  proof-check --key vkey --store S --tasks tasks.jsonl --samples 4 "$@"
}

# task_result N FILE: result N (by task index) of FILE.
task_result() {
  jq -c --argjson n "$1" 'select(.index == $n)' "$2"
}

@test "the honest results pass trace, rerun and quorum" {
  run -0 --separate-stderr check --mode sig,trace,rerun,quorum r1.jsonl r2.jsonl
  assert_jq_all 'map(.status) | unique' '["accept"]'
}

@test "a changed output file in the provider's store: trace rejects it" {
  ref=$(task_result 1 r1.jsonl | jq -r '.exec.outputs[] | select(.path == "seq") | .sha256')
  f=S/sha256/${ref:7:2}/${ref:9}
  chmod u+w "$f"
  echo 99 >>"$f"
  run -1 --separate-stderr check --mode trace <(task_result 1 r1.jsonl)
  assert_jq '.reason | startswith("trace: the stored output seq does not hash to its sha256")' true
}

@test "a changed output listed and committed to anew: rerun and quorum reject it" {
  printf '1\n2\n' >fake
  fake=$(sha256sum fake | cut -d' ' -f1)
  task_result 1 r1.jsonl | jq -c --arg s "sha256:$fake" \
    '(.exec.outputs[] | select(.path == "seq")) |= (.sha256 = $s | .size = 4)' |
    forge exec-recommit | forge reseal | sign key1 >forged.jsonl
  run -1 --separate-stderr check --mode trace,rerun forged.jsonl
  assert_jq .status reject
  assert_jq '.reason' "rerun: the rerun's output_root is $(task_result 1 r2.jsonl | jq -c .exec.output_root), the result's $(jq -c .exec.output_root forged.jsonl)"
  run -1 --separate-stderr check --mode quorum forged.jsonl <(task_result 1 r2.jsonl) <(task_result 1 r1.jsonl | forge reseal "$PUB3" | sign key3)
  assert_jq_all '.[0].status' reject
}

@test "a swapped output: task 1's result carrying task 2's outputs is rejected by rerun and quorum" {
  two=$(task_result 2 r1.jsonl)
  task_result 1 r1.jsonl | jq -c --argjson t "$two" '.exec = $t.exec' | forge reseal | sign key1 >swapped.jsonl
  run -1 --separate-stderr check --mode trace,rerun swapped.jsonl
  assert_jq '.reason | startswith("rerun: the rerun'"'"'s output_root is")' true
  run -1 --separate-stderr check --mode quorum swapped.jsonl <(task_result 1 r2.jsonl) <(task_result 1 r2.jsonl | forge reseal "$PUB3" | sign key3)
  assert_jq_all '.[0].status' reject
}

@test "a result copied from another provider: quorum with committed seals counts it for nothing and rejects it" {
  task_result 0 r1.jsonl | forge reseal "$PUB3" | sign key3 >copy.jsonl
  task_result 0 r1.jsonl >h1.jsonl
  task_result 0 r2.jsonl >h2.jsonl
  seal_of h1.jsonl key1 >seals.jsonl
  seal_of h2.jsonl key2 >>seals.jsonl
  run -1 --separate-stderr check --mode sig,quorum --seals seals.jsonl h1.jsonl copy.jsonl h2.jsonl
  assert_jq_all 'map(.status) | tostring' '["accept","reject","accept"]'
  assert_jq_all '.[1].reason | test("not in --seals")' true
}

@test "a forged exit status: rerun rejects it, committed to or not; trace rejects the uncommitted one" {
  task_result 3 r1.jsonl | jq -c '.exec.status = "failed" | .exec.reason = "exit 1" | .exec.exit_code = 1' |
    forge reseal | sign key1 >lazy.jsonl
  run -1 --separate-stderr check --mode trace lazy.jsonl
  assert_jq '.reason | startswith("trace: run_sha256")' true
  run -1 --separate-stderr check --mode rerun lazy.jsonl
  assert_jq .reason "rerun: the rerun's status is \"ok\", the result's \"failed\""
  task_result 3 r1.jsonl | jq -c '.exec.status = "failed" | .exec.reason = "exit 1" | .exec.exit_code = 1' |
    forge exec-recommit | forge reseal | sign key1 >forged.jsonl
  run -1 --separate-stderr check --mode trace,rerun forged.jsonl
  assert_jq .reason "rerun: the rerun's status is \"ok\", the result's \"failed\""
  run -1 --separate-stderr check --mode quorum forged.jsonl <(task_result 3 r2.jsonl) <(task_result 3 r2.jsonl | forge reseal "$PUB3" | sign key3)
  assert_jq_all '.[0].status' reject
}

# ---- rootfs tarballs ------------------------------------------------------

# evil_tar OUT KIND: a tarball with /bin/busybox and one bad entry.
evil_tar() {
  python3 - "$1" "$2" <<'PY'
import io, sys, tarfile
out, kind = sys.argv[1], sys.argv[2]
with tarfile.open(out, "w", format=tarfile.GNU_FORMAT) as t:
    t.add("/bin/busybox", arcname="bin/busybox")
    def entry(name, type=tarfile.REGTYPE, link="", data=b"owned\n"):
        i = tarfile.TarInfo(name)
        i.type, i.linkname, i.mode = type, link, 0o644
        i.size = len(data) if type == tarfile.REGTYPE else 0
        t.addfile(i, io.BytesIO(data) if type == tarfile.REGTYPE else None)
    if kind == "dotdot":
        entry("etc/../../../escaped-dotdot")
    elif kind == "absolute":
        entry("/tmp/escaped-absolute")
    elif kind == "symlink":
        entry("etc/shadow", tarfile.SYMTYPE, "../../../../etc/shadow")
    elif kind == "symlink-write":
        entry("lib", tarfile.SYMTYPE, "../../../..")
        entry("lib/escaped-through-link")
    elif kind == "hardlink":
        entry("etc/passwd", tarfile.LNKTYPE, "../../../etc/passwd")
PY
}

@test "rootfs tarballs with ../ paths, absolute paths or links pointing out are refused (65), nothing escapes" {
  for kind in dotdot absolute symlink symlink-write hardlink; do
    evil_tar "$kind.tar" "$kind"
    jq -cn --arg sha "sha256:$(sha256sum "$kind.tar" | cut -d' ' -f1)" --arg url "file://$PWD/$kind.tar" \
      '{kind: "job", v: 1, type: "exec", exec: {command: ["true"], image: {sha256: $sha, url: $url}}}' |
      job-split >task.jsonl
    run --separate-stderr job-run --store S --key key1 task.jsonl
    assert_equal "$status" 65
    stderr_has 'field .exec.image'
    [ -z "$output" ] || fail "$kind: a result was written: $output"
    # No image folder was made, and neither the half-unpacked one nor the
    # lock is left.
    [ -z "$(ls -A S/images 2>/dev/null)" ] || fail "$kind: left in the images folder: $(ls -A S/images)"
  done
  for f in /escaped-dotdot /tmp/escaped-absolute "$BATS_TEST_TMPDIR/escaped-dotdot" /escaped-through-link; do
    assert_file_not_exists "$f"
  done
}
