#!/usr/bin/env bats
# job-split: jobs cut into tasks, driven through the real binary. Nothing
# here runs a task; the profiles for --weights come from gpu-bench --quick
# on the CPU, or are hand-edited and re-signed with grid-key sign.

bats_require_minimum_version 1.5.0
load test_helper

setup() {
  common_setup
  EX=$ROOT/examples/jobs
  write_key key1 "$SEED1"
  write_key key2 "$SEED2"
  write_key key3 "$SEED3"
  TRAIN=$(head -1 "$EX/train.json")
  GEMM=$(head -1 "$EX/gemm.json")
  INFER='{"kind":"job","v":1,"type":"infer","infer":{"model":{"sha256":"sha256:'$(printf '%064d' 0)'","layers":[8,32,3]},"data":{"synthetic":{"kind":"blobs","rows":300,"features":8,"classes":3,"seed":5}},"batch":64}}'
}

# job_id JSON: the job's id as doc/design.md, "Messages", defines it.
job_id() {
  grid-key id <<<"$1" | jq -r .id
}

# expected_seed JOB_ID INDEX: the documented task seed, the first 53 bits of
# SHA-256(job id ":" index), computed here with hashlib alone.
expected_seed() {
  python3 -c '
import hashlib, sys
d = hashlib.sha256(f"{sys.argv[1]}:{sys.argv[2]}".encode()).digest()
print(int.from_bytes(d, "big") >> (256 - 53))' "$1" "$2"
}

# profile KEY RATE: a signed gpu-bench profile whose exact GEMM rate is RATE:
# measured once per file by gpu-bench, then edited and signed with KEY by
# grid-key sign.
profile() {
  local measured=$BATS_FILE_TMPDIR/measured.json
  [ -s "$measured" ] || gpu-bench --device cpu --quick --only gemm >"$measured"
  jq -c --argjson r "$2" '.summary.exact_gemm_tflops = $r' "$measured" | grid-key sign --key "$1"
}

# bad_job JSON FIELD: job-split rejects the job with 65, naming FIELD and
# input line 1, and writes no task.
bad_job() {
  run -65 --separate-stderr job-split <<<"$1"
  assert_output ''
  [[ $stderr == "job-split: error: "*"(input line 1, field $2)" ]] ||
    fail "want an error naming field $2 for $1; stderr was: $stderr"
}

# bad_jobs JSON < CASES: each line of CASES is a jq edit of JSON, a tab, and
# the field the error must name. The edited jobs go to job-split as one
# file, one per line, with --keep-going (one jq and one job-split for all
# of them): each line must be reported as bad input naming its field, no
# task may be written, and the exit status must be 65.
bad_jobs() {
  local base=$1 program="" n filter field i
  local -a fields=() filters=() missing=()
  while IFS=$'\t' read -r filter field; do
    [ -n "$filter" ] || continue
    filters+=("$filter")
    fields+=("$field")
    program+="${program:+, }($filter)"
  done
  n=${#fields[@]}
  jq -c "$program" <<<"$base" >bad.jsonl || fail "jq failed on: $program"
  [ "$(wc -l <bad.jsonl)" -eq "$n" ] || fail "jq made $(wc -l <bad.jsonl) jobs of $n edits"
  run --separate-stderr job-split --keep-going bad.jsonl
  for ((i = 0; i < n; i++)); do
    [[ $stderr == *"(input line $((i + 1)) of bad.jsonl, field ${fields[i]})"* ]] ||
      missing+=("line $((i + 1)), '${filters[i]}': no error naming ${fields[i]}")
  done
  if [ "${#missing[@]}" -gt 0 ] || [ "$status" -ne 65 ] || [ -n "$output" ]; then
    printf '%s\n' "${missing[@]}" >&2
    fail "exit $status (want 65); stdout: ${output:0:400}; stderr: $stderr"
  fi
  [[ $stderr == *"$n bad input line(s) skipped"* ]] || fail "want $n bad lines reported; stderr: $stderr"
}

# ---- flags -------------------------------------------------------------

@test "--version prints the gridutils version; --help lists every flag" {
  run -0 --separate-stderr job-split --version
  assert_output --regexp '^gridutils [0-9]+\.[0-9]+\.[0-9]+$'
  run -0 --separate-stderr job-split --help
  for flag in --weights --shard-rows --tasks --delimiter --pass --key --keep-going -q,--quiet; do
    assert_output --partial -- "$flag"
  done
}

@test "an unknown flag, or a bad --tasks or --shard-rows, is a usage error (64)" {
  run -64 --separate-stderr job-split --no-such-flag "$EX/gemm.json"
  stderr_matches '^job-split: error: '
  stderr_has --no-such-flag
  assert_output ''
  for args in "--tasks 0" "--tasks x" "--tasks 1048577" "--shard-rows 0" "--shard-rows -5"; do
    run -64 --separate-stderr job-split $args "$EX/gemm.json"
    assert_output ''
  done
}

@test "--shard-rows with --tasks, or --weights with either, is a usage error (64)" {
  run -64 --separate-stderr job-split --shard-rows 100 --tasks 4 "$EX/gemm.json"
  assert_output ''
  stderr_has --tasks
  profile key1 1 >w.jsonl
  run -64 --separate-stderr job-split --weights w.jsonl --tasks 4 "$EX/gemm.json"
  assert_output ''
  run -64 --separate-stderr job-split --weights w.jsonl --shard-rows 4 "$EX/gemm.json"
  assert_output ''
}

# ---- determinism and ids -------------------------------------------------

@test "the same job gives byte-identical tasks, from a file or stdin" {
  for job in train-sweep train-random-sweep train gemm; do
    a=$(job-split "$EX/$job.json")
    b=$(job-split "$EX/$job.json")
    c=$(job-split <"$EX/$job.json")
    [ -n "$a" ] || fail "$job gave no tasks"
    assert_equal "$b" "$a"
    assert_equal "$c" "$a"
  done
  a=$(job-split --tasks 7 "$EX/gemm.json")
  assert_equal "$(job-split --tasks 7 "$EX/gemm.json")" "$a"
}

@test "task ids are their content's ids and tasks point at the job by its id" {
  run -0 --separate-stderr job-split "$EX/train-sweep.json"
  want_job=$(job_id "$(head -1 "$EX/train-sweep.json")")
  assert_jq_all '[.[].job] | unique | join(" ")' "$want_job"
  # Recomputed by grid-key, the ids are the same: no id is stale.
  assert_equal "$(grid-key id <<<"$output" | jq -r .id)" "$(jq -r .id <<<"$output")"
  assert_jq_all '[.[].id] | unique | length' 6
  assert_jq_all '[.[] | .id | test("^sha256:[0-9a-f]{64}$")] | all' true
  # An unsigned cut carries ids only.
  assert_jq_all '[.[] | has("sig")] | any' false
  # A job that carries its (true) id or a signature gives the same tasks.
  with_id=$(grid-key id "$EX/train-sweep.json" | job-split)
  signed=$(grid-key sign --key key2 "$EX/train-sweep.json" | job-split)
  assert_equal "$with_id" "$output"
  assert_equal "$signed" "$output"
}

@test "task seeds are distinct, within 0..2^53-1, and differ between jobs" {
  run -0 --separate-stderr job-split "$EX/train-sweep.json"
  assert_jq_all '[.[].seed] | unique | length' 6
  assert_jq_all '[.[].seed | . >= 0 and . < 9007199254740992 and . == floor] | all' true
  other=$(jq -c '.train.steps = 151' "$EX/train-sweep.json" | job-split | jq -s -c '[.[].seed]')
  assert_jq_all "[.[].seed] as \$a | $other as \$b | [\$a, \$b] | transpose | map(.[0] != .[1]) | all" true
}

@test "task seeds are the first 53 bits of SHA-256(job id \":\" index)" {
  for job in train-sweep train-random-sweep gemm; do
    run -0 --separate-stderr job-split --tasks 3 "$EX/$job.json"
    id=$(job_id "$(head -1 "$EX/$job.json")")
    while read -r index seed; do
      assert_equal "$seed" "$(expected_seed "$id" "$index")"
    done < <(jq -r '"\(.index) \(.seed)"' <<<"$output")
  done
}

# ---- the examples ------------------------------------------------------

@test "train-sweep.json: 6 tasks, one per grid point, in grid order" {
  run -0 --separate-stderr job-split "$EX/train-sweep.json"
  assert_equal "${#lines[@]}" 6
  assert_jq_all '[.[] | [.kind, .v, .type, .mode, .count]] | unique | tostring' '[["task",1,"train","exact",6]]'
  assert_jq_all '[.[].index] | tostring' '[0,1,2,3,4,5]'
  # Paths sorted, the last varying fastest, values in the order given.
  assert_jq_all '[.[].train.sweep_point | [."optimizer.lr", ."optimizer.name"]] | tostring' \
    '[[0.003,"sgd"],[0.003,"adam"],[0.01,"sgd"],[0.01,"adam"],[0.03,"sgd"],[0.03,"adam"]]'
  # The settings are applied, the sweep is gone, the rest is the job's.
  assert_jq_all '[.[].train | .optimizer.lr == .sweep_point."optimizer.lr" and .optimizer.name == .sweep_point."optimizer.name"] | all' true
  assert_jq_all '[.[].train | has("sweep")] | any' false
  assert_jq_all '[.[].train | del(.sweep_point, .optimizer)] | unique | length' 1
  assert_jq_all ".[0].train | del(.sweep_point, .optimizer) == ($(jq -c '.train | del(.sweep, .optimizer)' "$EX/train-sweep.json"))" true
  # 6 x batch x steps x (8*32 + 32*3) multiply-adds.
  assert_jq_all '[.[].flops] | unique | tostring' "[$((6 * 32 * 150 * (8 * 32 + 32 * 3)))]"
  assert_jq_all '[.[] | has("provider")] | any' false
}

@test "train-random-sweep.json: 4 tasks with values in their ranges" {
  run -0 --separate-stderr job-split "$EX/train-random-sweep.json"
  assert_equal "${#lines[@]}" 4
  assert_jq_all '[.[].index] | tostring' '[0,1,2,3]'
  assert_jq_all '[.[].train.sweep_point | keys] | unique | tostring' '[["batch","optimizer.lr"]]'
  assert_jq_all '[.[].train.sweep_point."optimizer.lr" | . >= 0.001 and . <= 0.1] | all' true
  assert_jq_all '[.[].train.sweep_point.batch | . == 16 or . == 32] | all' true
  assert_jq_all '[.[].train | .optimizer.lr == .sweep_point."optimizer.lr" and .batch == .sweep_point.batch] | all' true
  assert_jq_all '[.[].train.sweep_point] | unique | length' 4
  assert_jq_all '[.[].train | has("sweep")] | any' false
  # The draws come from the job's seed: another seed, other draws.
  other=$(jq -c '.train.seed = 4' "$EX/train-random-sweep.json" | job-split | jq -s -c '[.[].train.sweep_point]')
  refute [ "$other" = "$(jq -s -c '[.[].train.sweep_point]' <<<"$output")" ]
}

@test "train.json (no sweep) is one task without a sweep_point" {
  run -0 --separate-stderr job-split "$EX/train.json"
  assert_equal "${#lines[@]}" 1
  assert_jq '[.index, .count] | tostring' '[0,1]'
  assert_jq '.train == ('"$(jq -c .train "$EX/train.json")"')' true
}

@test "gemm: by default ceil(m / 1024) tasks of nearly equal size" {
  run -0 --separate-stderr job-split "$EX/gemm.json"
  assert_equal "${#lines[@]}" 1
  assert_jq '.gemm | [.row_begin, .row_end, .m, .n, .k, .dtype, .seed] | tostring' '[0,512,512,512,512,"f32",42]'
  assert_jq .flops $((2 * 512 * 512 * 512))
  run -0 --separate-stderr job-split <<<"$(jq -c '.gemm.m = 2500 | del(.gemm.dtype)' <<<"$GEMM")"
  assert_jq_all '[.[].gemm | [.row_begin, .row_end]] | tostring' '[[0,833],[833,1666],[1666,2500]]'
  assert_jq_all '[.[].gemm.dtype] | unique | tostring' '["f32"]'
}

@test "gemm --tasks 4: contiguous row blocks covering 0..m" {
  run -0 --separate-stderr job-split --tasks 4 "$EX/gemm.json"
  assert_equal "${#lines[@]}" 4
  assert_jq_all '[.[].gemm | [.row_begin, .row_end]] | tostring' '[[0,128],[128,256],[256,384],[384,512]]'
  assert_jq_all '[.[].flops] | unique | tostring' "[$((2 * 128 * 512 * 512))]"
  assert_jq_all '[.[].count] | unique | tostring' '[4]'
  for t in 3 100 1000; do
    run -0 --separate-stderr job-split --tasks "$t" "$EX/gemm.json"
    want=$((t < 512 ? t : 512))
    assert_equal "${#lines[@]}" "$want"
    assert_jq_all '.[0].gemm.row_begin == 0 and .[-1].gemm.row_end == 512' true
    assert_jq_all '[range(1; length) as $i | .[$i].gemm.row_begin == .[$i - 1].gemm.row_end] | all' true
    assert_jq_all '[.[].gemm | .row_end - .row_begin] | (max - min) <= 1 and min >= 1' true
  done
}

@test "--shard-rows: blocks of N rows, the last one shorter" {
  run -0 --separate-stderr job-split --shard-rows 100 "$EX/gemm.json"
  assert_jq_all '[.[].gemm | [.row_begin, .row_end]] | tostring' '[[0,100],[100,200],[200,300],[300,400],[400,500],[500,512]]'
  assert_jq_all '[.[].flops] | .[-1]' $((2 * 12 * 512 * 512))
  run -0 --separate-stderr job-split --shard-rows 4096 "$EX/gemm.json"
  assert_equal "${#lines[@]}" 1
  # infer: by rows of the data; by default ceil(rows / 4096) even tasks.
  run -0 --separate-stderr job-split --shard-rows 128 <<<"$INFER"
  assert_jq_all '[.[].infer | [.row_begin, .row_end]] | tostring' '[[0,128],[128,256],[256,300]]'
  assert_jq_all '[.[].flops] | tostring' "[$((128 * 2 * (8 * 32 + 32 * 3))),$((128 * 2 * (8 * 32 + 32 * 3))),$((44 * 2 * (8 * 32 + 32 * 3)))]"
  assert_jq_all '[.[].infer | del(.row_begin, .row_end)] | unique | length' 1
  run -0 --separate-stderr job-split <<<"$(jq -c '.infer.data.synthetic.rows = 10000' <<<"$INFER")"
  assert_jq_all '[.[].infer | [.row_begin, .row_end]] | tostring' '[[0,3333],[3333,6666],[6666,10000]]'
  run -0 --separate-stderr job-split --tasks 2 <<<"$INFER"
  assert_jq_all '[.[].infer | [.row_begin, .row_end]] | tostring' '[[0,150],[150,300]]'
  # train jobs are cut by configuration: row flags do not change them.
  assert_equal "$(job-split --tasks 4 "$EX/train.json")" "$(job-split "$EX/train.json")"
}

@test "several jobs in one input are cut in order; an empty input gives nothing" {
  cat "$EX/gemm.json" "$EX/train-sweep.json" >two.jsonl
  run -0 --separate-stderr job-split --tasks 2 two.jsonl
  assert_equal "${#lines[@]}" 8
  assert_jq_all '[.[].type] | tostring' '["gemm","gemm","train","train","train","train","train","train"]'
  run -0 --separate-stderr job-split "$EX/gemm.json" "$EX/train.json"
  assert_equal "${#lines[@]}" 2
  : >empty.jsonl
  run -0 --separate-stderr job-split empty.jsonl
  assert_output ''
  assert_equal "$stderr" ''
}

@test "mode is copied from the job; exact by default" {
  run -0 --separate-stderr job-split <<<"$(jq -c '.mode = "fast"' <<<"$GEMM")"
  assert_jq .mode fast
  run -0 --separate-stderr job-split <<<"$(jq -c 'del(.mode)' <<<"$GEMM")"
  assert_jq .mode exact
}

# ---- weights -----------------------------------------------------------

@test "--weights with two measured profiles: one block each, sized by rate" {
  gpu-bench --device cpu --quick --only gemm --key key1 >w.jsonl
  gpu-bench --device cpu --quick --only gemm --key key2 >>w.jsonl
  run -0 --separate-stderr job-split --weights w.jsonl "$EX/gemm.json"
  assert_equal "${#lines[@]}" 2
  assert_jq_all '[.[].provider] | tostring' "[\"$PUB1\",\"$PUB2\"]"
  assert_jq_all '[.[].profile] | tostring' "$(jq -s -c '[.[].id]' w.jsonl)"
  assert_jq_all '[.[].gemm | [.row_begin, .row_end]] | flatten | .[0] == 0 and .[1] == .[2] and .[3] == 512' true
  # Largest remainder over the two rates, recomputed here.
  want=$(jq -s -r '[.[].summary.exact_gemm_tflops] as [$a, $b] |
    (512 * ($a / ($a + $b))) as $x0 | (512 * ($b / ($a + $b))) as $x1 |
    ($x0 | floor) + (if ($x0 | floor) + ($x1 | floor) < 512 and $x0 - ($x0 | floor) >= $x1 - ($x1 | floor) then 1 else 0 end)' w.jsonl)
  assert_jq_all '.[0].gemm.row_end' "$want"
  # The tasks are signed-ready: their ids are right.
  assert_equal "$(grid-key id <<<"$output" | jq -r .id)" "$(jq -r .id <<<"$output")"
}

@test "--weights with rates 3 and 1 splits rows 3:1, named for their signers" {
  { profile key1 3 && profile key2 1; } >w.jsonl
  grid-key verify w.jsonl >/dev/null
  run -0 --separate-stderr job-split --weights w.jsonl "$EX/gemm.json"
  assert_jq_all '[.[] | [.provider, .gemm.row_begin, .gemm.row_end]] | tostring' "[[\"$PUB1\",0,384],[\"$PUB2\",384,512]]"
  assert_jq_all '[.[].profile] | tostring' "$(jq -s -c '[.[].id]' w.jsonl)"
  assert_jq_all '[.[].flops] | tostring' "[$((2 * 384 * 512 * 512)),$((2 * 128 * 512 * 512))]"
  # Largest remainder: 10 rows at 2:1 are 6.67 and 3.33, so 7 and 3.
  { profile key1 2 && profile key2 1; } >w21.jsonl
  run -0 --separate-stderr job-split --weights w21.jsonl <<<"$(jq -c '.gemm.m = 10' <<<"$GEMM")"
  assert_jq_all '[.[].gemm | .row_end - .row_begin] | tostring' '[7,3]'
  # Three equal rates over 10 rows: ties go to the earlier profile.
  { profile key1 1 && profile key2 1 && profile key3 1; } >w111.jsonl
  run -0 --separate-stderr job-split --weights w111.jsonl <<<"$(jq -c '.gemm.m = 10' <<<"$GEMM")"
  assert_jq_all '[.[].gemm | .row_end - .row_begin] | tostring' '[4,3,3]'
  assert_jq_all '[.[].provider] | tostring' "[\"$PUB1\",\"$PUB2\",\"$PUB3\"]"
  # A provider too slow to get a row gets no task.
  { profile key1 1000 && profile key2 1; } >wslow.jsonl
  run -0 --separate-stderr job-split --weights wslow.jsonl <<<"$(jq -c '.gemm.m = 10' <<<"$GEMM")"
  assert_equal "${#lines[@]}" 1
  assert_jq '[.provider, .gemm.row_begin, .gemm.row_end, .count] | tostring' "[\"$PUB1\",0,10,1]"
}

@test "--weights shares infer rows and train configurations by rate" {
  { profile key1 3 && profile key2 1; } >w.jsonl
  run -0 --separate-stderr job-split --weights w.jsonl <<<"$INFER"
  assert_jq_all '[.[] | [.provider, .infer.row_begin, .infer.row_end]] | tostring' "[[\"$PUB1\",0,225],[\"$PUB2\",225,300]]"
  # 6 configurations at 3:1 are 4.5 and 1.5: the tie goes to the first.
  run -0 --separate-stderr job-split --weights w.jsonl "$EX/train-sweep.json"
  assert_equal "${#lines[@]}" 6
  assert_jq_all '[.[].provider] | tostring' "[\"$PUB1\",\"$PUB1\",\"$PUB1\",\"$PUB1\",\"$PUB1\",\"$PUB2\"]"
  assert_jq_all '[.[].train.sweep_point] | unique | length' 6
}

@test "--weights with an unsigned, tampered, faulty or rateless profile is 65" {
  profile key1 3 >good.jsonl
  # Unsigned.
  { cat good.jsonl && jq -c 'del(.sig)' good.jsonl | grid-key id; } >w.jsonl
  run -65 --separate-stderr job-split --weights w.jsonl "$EX/gemm.json"
  assert_output ''
  stderr_has "input line 2 of w.jsonl, field .sig"
  # Edited after signing.
  jq -c '.summary.exact_gemm_tflops = 30' good.jsonl >w.jsonl
  run -65 --separate-stderr job-split --weights w.jsonl "$EX/gemm.json"
  assert_output ''
  stderr_has "input line 1 of w.jsonl, field .sig"
  # Signed by someone else than sig.by says.
  jq -c --arg by "$PUB2" '.sig.by = $by' good.jsonl >w.jsonl
  run -65 --separate-stderr job-split --weights w.jsonl "$EX/gemm.json"
  stderr_has "field .sig"
  # Faulty, or without a positive rate, though properly signed.
  jq -c '.faulty = true' good.jsonl | grid-key sign --key key1 >w.jsonl
  run -65 --separate-stderr job-split --weights w.jsonl "$EX/gemm.json"
  stderr_has "field .faulty"
  for edit in '.summary.exact_gemm_tflops = 0' 'del(.summary.exact_gemm_tflops)' '.summary.exact_gemm_tflops = "3"'; do
    jq -c "$edit" good.jsonl | grid-key sign --key key1 >w.jsonl
    run -65 --separate-stderr job-split --weights w.jsonl "$EX/gemm.json"
    assert_output ''
    stderr_has "field .summary.exact_gemm_tflops"
  done
  # Not a profile at all; an empty file; a missing file (66).
  grid-key sign --key key1 "$EX/gemm.json" >w.jsonl
  run -65 --separate-stderr job-split --weights w.jsonl "$EX/gemm.json"
  stderr_has "field .kind"
  : >w.jsonl
  run -65 --separate-stderr job-split --weights w.jsonl "$EX/gemm.json"
  stderr_has "holds no profile"
  run -66 --separate-stderr job-split --weights no-such.jsonl "$EX/gemm.json"
  stderr_has no-such.jsonl
}

# ---- pass, signing, trust ------------------------------------------------

@test "--pass passes non-job messages through in place; without it they are 65" {
  other='{"kind":"profile","v":1,"note":{"b":[1,2],"a":"x"},"extra":null}'
  printf '%s\n' "$other" "$GEMM" '{"kind":"verdict","v":1,"ok":true}' >mixed.jsonl
  run -0 --separate-stderr job-split --pass --tasks 2 mixed.jsonl
  assert_equal "${#lines[@]}" 4
  assert_equal "$(jq -cS . <<<"${lines[0]}")" "$(jq -cS . <<<"$other")"
  assert_equal "$(jq -r .kind <<<"${lines[1]}")" task
  assert_equal "$(jq -r .kind <<<"${lines[2]}")" task
  assert_equal "$(jq -cS . <<<"${lines[3]}")" '{"kind":"verdict","ok":true,"v":1}'
  run -65 --separate-stderr job-split --tasks 2 mixed.jsonl
  assert_output ''
  stderr_matches '^job-split: error: .*\(input line 1 of mixed\.jsonl, field \.kind\)$'
}

@test "--key signs every task and grid-key verify accepts them; GRID_KEY too" {
  run -0 --separate-stderr job-split --key key1 "$EX/train-sweep.json"
  assert_equal "${#lines[@]}" 6
  assert_jq_all '[.[].sig.by] | unique | tostring' "[\"$PUB1\"]"
  printf '%s\n' "$output" >tasks.jsonl
  run -0 --separate-stderr grid-key verify --by "$PUB1" tasks.jsonl
  assert_jq_all '[.[].ok] | all' true
  # Signing changes nothing but sig: same ids as the unsigned cut.
  assert_equal "$(jq -r .id tasks.jsonl)" "$(job-split "$EX/train-sweep.json" | jq -r .id)"
  GRID_KEY=key2 run -0 --separate-stderr job-split "$EX/gemm.json"
  assert_jq .sig.by "$PUB2"
  GRID_KEY=key2 run -0 --separate-stderr job-split --key key1 "$EX/gemm.json"
  assert_jq .sig.by "$PUB1"
  GRID_KEY=no-such-key run -66 --separate-stderr job-split "$EX/gemm.json"
  assert_output ''
  chmod 644 key1
  run -65 --separate-stderr job-split --key key1 "$EX/gemm.json"
  assert_output ''
}

@test "a signed job with a tampered field, or a wrong id, is 65" {
  grid-key sign --key key2 "$EX/gemm.json" >signed.json
  run -0 --separate-stderr job-split signed.json
  assert_jq .job "$(jq -r .id signed.json)"
  jq -c '.gemm.m = 256' signed.json >tampered.json
  run -65 --separate-stderr job-split tampered.json
  assert_output ''
  # The content changed, so its id no longer holds: as every tool names it.
  stderr_has "job: id does not match the content"
  stderr_has "input line 1 of tampered.json, field .id"
  jq -c 'del(.sig) | .gemm.seed = 43' signed.json >wrong-id.json
  run -65 --separate-stderr job-split wrong-id.json
  assert_output ''
  stderr_has "field .id"
  jq -c '.sig.sig = ("00" + .sig.sig[2:])' signed.json >bad-sig.json
  run -65 --separate-stderr job-split bad-sig.json
  stderr_has "field .sig"
}

# ---- bad input ---------------------------------------------------------

@test "malformed JSON is 65 naming the line; earlier jobs' tasks are out" {
  printf '%s\n' "$GEMM" '{"kind":"job",' >bad.jsonl
  run -65 --separate-stderr job-split bad.jsonl
  assert_equal "${#lines[@]}" 1
  assert_jq .kind task
  stderr_matches '^job-split: error: malformed JSON.*\(input line 2 of bad\.jsonl\)$'
  printf '\n%s\n' '[1,2]' >bad.jsonl
  run -65 --separate-stderr job-split bad.jsonl
  stderr_has "input line 2 of bad.jsonl"
  run -65 --separate-stderr job-split <<<'not json'
  assert_output ''
  stderr_matches '\(input line 1\)$'
}

@test "an example exec job is a script: given as the job, 65 says to run it; its output splits" {
  run -65 --separate-stderr job-split "$ROOT/examples/exec/montecarlo.job"
  assert_output ''
  stderr_matches '^job-split: error: malformed JSON: this starts with "#!", as a script does: run the script and give what it prints \(input line 1 of .*/examples/exec/montecarlo\.job\)$'
  "$ROOT/examples/exec/montecarlo.job" >job.jsonl
  run -0 --separate-stderr job-split job.jsonl
  assert_equal "${#lines[@]}" 4
}

@test "--keep-going splits the good jobs, reports the bad, exits 65" {
  printf '%s\n' "$(jq -c '.gemm.dtype = "bf16"' <<<"$GEMM")" "$GEMM" 'nope' >mixed.jsonl
  run -65 --separate-stderr job-split --keep-going mixed.jsonl
  assert_equal "${#lines[@]}" 1
  assert_jq .gemm.m 512
  stderr_has "input line 1 of mixed.jsonl, field .gemm.dtype"
  stderr_has "input line 3 of mixed.jsonl"
  stderr_has "2 bad input line(s)"
}

@test "bad job envelopes are 65 naming the field" {
  bad_jobs "$TRAIN" <<'EOF'
del(.type)	.type
.type = "bake"	.type
.type = 3	.type
.mode = "turbo"	.mode
.mode = true	.mode
.v = 2	.v
del(.kind)	.kind
.kind = "task"	.kind
del(.train)	.train
.train = [1]	.train
.type = "gemm"	.gemm
EOF
}

@test "bad train specs are 65 naming the field" {
  bad_jobs "$TRAIN" <<'EOF'
del(.train.model)	.train.model
.train.model.layers = [8]	.train.model.layers
.train.model.layers = "8,3"	.train.model.layers
del(.train.model.layers)	.train.model.layers
.train.model.layers = [8, "32", 3]	.train.model.layers[1]
.train.model.layers = [8, 3.5, 3]	.train.model.layers[1]
.train.model.layers = [8, 0, 3]	.train.model.layers[1]
.train.model.layers = [8, 65537, 3]	.train.model.layers[1]
.train.model.activation = "tanh"	.train.model.activation
.train.loss = "hinge"	.train.loss
del(.train.loss)	.train.loss
.train.optimizer = "adam"	.train.optimizer
.train.optimizer.name = "rmsprop"	.train.optimizer.name
.train.optimiser = {"name":"sgd","lr":0.1}	.train.optimiser
.train.optimizer.lrr = 0.1	.train.optimizer.lrr
.train.model.dropout = 0.1	.train.model.dropout
del(.train.optimizer.lr)	.train.optimizer.lr
.train.optimizer.lr = 0	.train.optimizer.lr
.train.optimizer.lr = -0.1	.train.optimizer.lr
.train.optimizer.lr = 101	.train.optimizer.lr
.train.optimizer.lr = "0.1"	.train.optimizer.lr
.train.optimizer.momentum = 1	.train.optimizer.momentum
.train.optimizer.beta1 = -0.5	.train.optimizer.beta1
.train.optimizer.beta2 = 1	.train.optimizer.beta2
.train.optimizer.eps = 0	.train.optimizer.eps
.train.optimizer.weight_decay = 2	.train.optimizer.weight_decay
.train.batch = 0	.train.batch
.train.batch = 2.5	.train.batch
del(.train.batch)	.train.batch
.train.steps = 0	.train.steps
.train.seed = -1	.train.seed
del(.train.seed)	.train.seed
.train.checkpoint_every = 201	.train.checkpoint_every
.train.checkpoint_every = 0	.train.checkpoint_every
del(.train.checkpoint_every)	.train.checkpoint_every
.train.model.layers = [9, 32, 3]	.train.model.layers[0]
.train.model.layers = [8, 32, 4]	.train.model.layers[2]
.train.loss = "mse" | .train.data.synthetic = {"kind":"teacher","rows":64,"features":8,"outputs":2,"seed":1}	.train.model.layers[2]
EOF
}

@test "a train result that would pass the 64 MiB line cap is 65 naming .train.steps" {
  # The documented bounds (man job-split, steps): 985966 steps with one
  # checkpoint at the end, 291012 with a checkpoint every step.
  for ok in '.train.steps = 985966 | .train.checkpoint_every = 985966' \
    '.train.steps = 291012 | .train.checkpoint_every = 1'; do
    run -0 --separate-stderr job-split <<<"$(jq -c "$ok" <<<"$TRAIN")"
    assert_equal "$(jq -r .train.steps <<<"$output")" "$(jq -r "$ok | .train.steps" <<<"$TRAIN")"
  done
  bad_job "$(jq -c '.train.steps = 985967 | .train.checkpoint_every = 985967' <<<"$TRAIN")" .train.steps
  stderr_has "at most 985966 steps"
  bad_job "$(jq -c '.train.steps = 291013 | .train.checkpoint_every = 1' <<<"$TRAIN")" .train.steps
  stderr_has "64 MiB line cap"
  bad_jobs "$TRAIN" <<'EOF'
.train.steps = 1099511627776 | .train.checkpoint_every = 1099511627776	.train.steps
.train.steps = 600000 | .train.checkpoint_every = 3	.train.steps
.train.sweep = {"grid":{"steps":[200, 2000000]}}	.train.steps
EOF
}

@test "bad data specs are 65 naming the field" {
  bad_jobs "$TRAIN" <<'EOF'
del(.train.data)	.train.data
.train.data = "blobs"	.train.data
.train.data = {}	.train.data
.train.data.synthetic.kind = "spiral"	.train.data.synthetic.kind
.train.data.synthetic.rows = 0	.train.data.synthetic.rows
.train.data.synthetic.features = 0	.train.data.synthetic.features
.train.data.synthetic.classes = 1	.train.data.synthetic.classes
del(.train.data.synthetic.seed)	.train.data.synthetic.seed
.train.data.synthetic = {"kind":"teacher","rows":64,"features":8,"seed":1}	.train.data.synthetic.outputs
.train.data = {"format":"parquet","x":{"path":"x.npy"}}	.train.data.format
.train.data = {"x":{"path":"x.npy"}}	.train.data.format
.train.data = {"format":"npy","x":{"url":"https://example.org/x.npy"}}	.train.data.x.sha256
.train.data = {"format":"npy","x":{"path":"x.npy"},"y":{"url":"https://example.org/y.npy"}}	.train.data.y.sha256
.train.data = {"format":"npy","x":{"path":"x.npy","url":"https://example.org/x.npy"}}	.train.data.x
.train.data = {"format":"npy","x":{}}	.train.data.x
.train.data = {"format":"npy","x":"x.npy"}	.train.data.x
.train.data = {"format":"npy","x":{"path":7}}	.train.data.x.path
.train.data = {"format":"npy","x":{"path":"x.npy","sha256":"abc"}}	.train.data.x.sha256
.train.data = {"format":"npy","x":{"path":"x.npy","sha256":"0000000000000000000000000000000000000000000000000000000000000000"}}	.train.data.x.sha256
.train.data = {"format":"npy","x":{"path":"x.npy"},"rows":0}	.train.data.rows
EOF
}

@test "--delimiter gives CSV data that names none its delimiter, in the tasks; the job keeps its id" {
  csv=$(jq -c '.train.data = {"format":"csv","x":{"path":"x.csv"},"y":{"path":"y.csv"}}' <<<"$TRAIN")
  run -0 --separate-stderr job-split --delimiter ';' <<<"$csv"
  assert_jq .train.data.delimiter ';'
  # The tasks point at the job as the buyer wrote it.
  assert_jq .job "$(job_id "$csv")"
  # \t spells a tab, as does a tab itself.
  run -0 --separate-stderr job-split --delimiter '\t' <<<"$csv"
  assert_jq .train.data.delimiter $'\t'
  tab=$output
  run -0 --separate-stderr job-split --delimiter $'\t' <<<"$csv"
  assert_output "$tab"
  # Infer shards get it too.
  infer=$(jq -c '.infer.data = {"format":"csv","x":{"path":"x.csv"},"rows":10}' <<<"$INFER")
  run -0 --separate-stderr job-split --delimiter '|' --tasks 2 <<<"$infer"
  assert_jq_all '[.[].infer.data.delimiter] | tostring' '["|","|"]'
  # The job's own delimiter stands: the same value is no conflict, another is 65.
  run -0 --separate-stderr job-split --delimiter ';' <<<"$(jq -c '.train.data.delimiter = ";"' <<<"$csv")"
  assert_jq .train.data.delimiter ';'
  run -65 --separate-stderr job-split --delimiter ';' <<<"$(jq -c '.train.data.delimiter = ","' <<<"$csv")"
  assert_output ''
  stderr_has 'the job'"'"'s data names the delimiter ",", --delimiter ";" (input line 1, field .train.data.delimiter)'
  # .npy and synthetic data have none, and get none.
  npy=$(jq -c '.train.data = {"format":"npy","x":{"path":"x.npy"},"y":{"path":"y.npy"}}' <<<"$TRAIN")
  assert_equal "$(job-split --delimiter ';' <<<"$npy")" "$(job-split <<<"$npy")"
  assert_equal "$(job-split --delimiter ';' <<<"$TRAIN")" "$(job-split <<<"$TRAIN")"
  assert_equal "$(job-split --delimiter ';' <<<"$GEMM")" "$(job-split <<<"$GEMM")"
}

@test "a bad --delimiter is a usage error (64); a bad data.delimiter is 65 naming the field" {
  for d in '' ab '"' . + - ' ' x 7 $'\n' 'é'; do
    run -64 --separate-stderr job-split --delimiter "$d" "$EX/train.json"
    assert_output ''
    stderr_has "--delimiter: expected one character: a tab, or ASCII punctuation"
  done
  csv=$(jq -c '.train.data = {"format":"csv","x":{"path":"x.csv"},"y":{"path":"y.csv"}}' <<<"$TRAIN")
  bad_jobs "$csv" <<'EOF'
.train.data.delimiter = ";;"	.train.data.delimiter
.train.data.delimiter = ""	.train.data.delimiter
.train.data.delimiter = "\""	.train.data.delimiter
.train.data.delimiter = "\n"	.train.data.delimiter
.train.data.delimiter = "a"	.train.data.delimiter
.train.data.delimiter = 59	.train.data.delimiter
.train.data.format = "npy" | .train.data.delimiter = ";"	.train.data.delimiter
EOF
  for d in ';' '|' $'\t' ':' '#'; do
    run -0 --separate-stderr job-split <<<"$(jq -c --arg d "$d" '.train.data.delimiter = $d' <<<"$csv")"
  done
}

@test "bad sweeps are 65 naming the field" {
  bad_jobs "$TRAIN" <<'EOF'
.train.sweep = {"grid":{}}	.train.sweep.grid
.train.sweep = {"grid":{"batch":[]}}	.train.sweep.grid.batch
.train.sweep = {"grid":{"batch":16}}	.train.sweep.grid.batch
.train.sweep = {"grid":[1]}	.train.sweep.grid
.train.sweep = {"bogus":1}	.train.sweep
.train.sweep = [1]	.train.sweep
.train.sweep = {"grid":{"optimizer.lr":[0.01, 500]}}	.train.optimizer.lr
.train.sweep = {"grid":{"optimizer.name":["sgd","lbfgs"]}}	.train.optimizer.name
.train.sweep = {"grid":{"checkpoint_every":[20, 400]}}	.train.checkpoint_every
.train.sweep = {"random":0,"ranges":{"optimizer.lr":{"min":0.001,"max":0.1}}}	.train.sweep.random
.train.sweep = {"random":2}	.train.sweep.ranges
.train.sweep = {"random":2,"ranges":{}}	.train.sweep.ranges
.train.sweep = {"random":2,"ranges":{"optimizer.lr":0.1}}	.train.sweep.ranges.optimizer.lr
.train.sweep = {"random":2,"ranges":{"optimizer.lr":{"values":[]}}}	.train.sweep.ranges.optimizer.lr.values
.train.sweep = {"random":2,"ranges":{"optimizer.lr":{"max":0.1}}}	.train.sweep.ranges.optimizer.lr.min
.train.sweep = {"random":2,"ranges":{"optimizer.lr":{"min":0.001}}}	.train.sweep.ranges.optimizer.lr.max
.train.sweep = {"random":2,"ranges":{"optimizer.lr":{"min":0.1,"max":0.01}}}	.train.sweep.ranges.optimizer.lr.max
.train.sweep = {"random":2,"ranges":{"optimizer.lr":{"min":0,"max":0.01,"scale":"log"}}}	.train.sweep.ranges.optimizer.lr.min
.train.sweep = {"random":2,"ranges":{"optimizer.lr":{"min":-1,"max":0.01,"scale":"log"}}}	.train.sweep.ranges.optimizer.lr.min
.train.sweep = {"random":2,"ranges":{"optimizer.lr":{"min":0.001,"max":0.01,"scale":"cubic"}}}	.train.sweep.ranges.optimizer.lr.scale
.train.sweep = {"random":2,"ranges":{"optimizer.lr":{"min":0.001,"max":0.01,"step":2}}}	.train.sweep.ranges.optimizer.lr.step
.train.sweep = {"random":2,"ranges":{"batch":{"values":[16],"min":8}}}	.train.sweep.ranges.batch.min
.train.sweep = {"grid":{"optimizer.lrr":[0.1, 0.2]}}	.train.optimizer.lrr
.train.sweep = {"grid":{"batch":[16]},"random":2}	.train.sweep.random
.train.sweep = {"grid":{"batch":[16]},"ranges":{}}	.train.sweep.ranges
.train.sweep = {"random":2,"ranges":{"batch":{"min":8,"max":64}}}	.train.batch
EOF
}

@test "an error in one sweep point names the point: a misspelt path, a non-integer draw" {
  run -65 --separate-stderr job-split <<<"$(jq -c '.train.sweep = {"grid":{"optimizer.lrr":[0.1, 0.2]}}' <<<"$TRAIN")"
  assert_output ''
  stderr_matches '^job-split: error: unknown field "lrr" \(known: name, lr, .*\) \(in the sweep point \{"optimizer.lrr":0.1\}\) .*field \.train\.optimizer\.lrr\)$'
  run -65 --separate-stderr job-split <<<"$(jq -c '.train.sweep = {"random":2,"ranges":{"batch":{"min":8,"max":64}}}' <<<"$TRAIN")"
  stderr_matches 'expected an integer, got number \(in the sweep point \{"batch":[0-9.]+\}\) .*field \.train\.batch\)$'
}

@test "a random sweep whose draws leave the valid range is 65, whatever the seed" {
  # lr drawn from [1, 110]: the draw of job seed 13 is above lr's limit of
  # 100, so that configuration is not a valid spec and the job must be
  # rejected, not cut into a task that job-run will refuse.
  job=$(jq -c '.train.seed = 13 | .train.sweep = {"random":1,"ranges":{"optimizer.lr":{"min":1,"max":110}}}' <<<"$TRAIN")
  run --separate-stderr job-split <<<"$job"
  if [ "$status" -eq 0 ]; then
    fail "exit 0, with a task whose lr is out of range: $(jq -c .train.optimizer.lr <<<"$output")"
  fi
  assert_equal "$status" 65
  assert_output ''
  stderr_has "field .train.optimizer.lr"
}

@test "bad gemm specs are 65 naming the field" {
  bad_jobs "$GEMM" <<'EOF'
.gemm.dtype = "bf16"	.gemm.dtype
.gemm.dtype = "f16"	.gemm.dtype
.gemm.m = 0	.gemm.m
.gemm.n = -3	.gemm.n
.gemm.k = 1048577	.gemm.k
.gemm.k = "512"	.gemm.k
.gemm.m = 1.5	.gemm.m
del(.gemm.m)	.gemm.m
del(.gemm.seed)	.gemm.seed
.gemm.seed = -1	.gemm.seed
.gemm.seed = "42"	.gemm.seed
.gemm.m = 1048576 | .gemm.n = 1048576 | .gemm.k = 1048576	.gemm
.gemm = 512	.gemm
EOF
}

@test "bad infer specs are 65 naming the field" {
  bad_jobs "$INFER" <<'EOF'
del(.infer.model)	.infer.model
del(.infer.model.sha256)	.infer.model.sha256
.infer.model.sha256 = "sha256:abc"	.infer.model.sha256
.infer.model.sha256 = "md5:0000000000000000000000000000000000000000000000000000000000000000"	.infer.model.sha256
.infer.model.sha256 = 5	.infer.model.sha256
.infer.model.url = 5	.infer.model.url
.infer.model.layers = 3	.infer.model.layers
del(.infer.batch)	.infer.batch
.infer.batch = 0	.infer.batch
.infer.data.synthetic.rows = 0	.infer.data.synthetic.rows
.infer.data = {"format":"npy","x":{"path":"x.npy"}}	.infer.data.rows
.infer.data = {"format":"csv","x":{"url":"https://example.org/x.csv"},"rows":10}	.infer.data.x.sha256
EOF
}

@test "what job-run would refuse for its content is 65 here, naming the field" {
  # One validator decides for job-split, job-run and lease-bid order:
  # synthetic data past what the generator makes (2^28 values: 33554432
  # rows of 8), training without labels, a field that is not read.
  bad_jobs "$TRAIN" <<'EOF'
.train.data.synthetic.rows = 33554433	.train.data.synthetic.rows
.train.data.synthetic.rows = 2147483648	.train.data.synthetic.rows
.train.data = {"format":"csv","x":{"path":"x.csv"}}	.train.data.y
.train.loss = "mse" | .train.model.layers = [8, 32, 2] | .train.data = {"format":"npy","x":{"path":"x.npy"}}	.train.data.y
.train.data.shuffle = true	.train.data.shuffle
.train.data.synthetic.colour = "red"	.train.data.synthetic.colour
.train.data.synthetic.outputs = 3	.train.data.synthetic.outputs
.train.data = {"format":"csv","x":{"path":"x.csv","sha":"sha256:00"},"y":{"path":"y.csv"}}	.train.data.x.sha
.train.data = {"format":"csv","x":{"path":"x.csv"},"y":{"path":"y.csv"},"colour":1}	.train.data.colour
.train.data = {"format":"csv","x":{"path":"x.csv"},"y":{"path":"y.csv"},"delimiter":";;"}	.train.data.delimiter
.train.data = {"format":"csv","x":{"path":"x.csv"},"y":{"path":"y.csv"},"delimiter":4}	.train.data.delimiter
.train.data = {"format":"csv","x":{"url":"ftp://example.org/x.csv","sha256":"sha256:0000000000000000000000000000000000000000000000000000000000000000"},"y":{"path":"y.csv"}}	.train.data.x.url
EOF
  bad_jobs "$GEMM" <<'EOF'
.gemm.colour = 1	.gemm.colour
EOF
  bad_jobs "$INFER" <<'EOF'
.infer.seed = 1	.infer.seed
.infer.model.colour = 1	.infer.model.colour
.infer.data.synthetic.rows = 134217729 | .infer.data.synthetic.features = 2	.infer.data.synthetic.rows
.infer.row_begin = 0 | .infer.row_end = 301	.infer.row_end
.infer.model.url = "gopher://example.org/m"	.infer.model.url
EOF
  run -65 --separate-stderr job-split <<<"$(jq -c '.train.data.synthetic.rows = 33554433' <<<"$TRAIN")"
  stderr_has "33554433 rows x 8 is more than the 268435456 values (1 GiB of FP32) synthetic data can be: at most 33554432 rows"
  # The bound itself is accepted, and a CSV delimiter of one character.
  run -0 --separate-stderr job-split <<<"$(jq -c '.train.data.synthetic.rows = 33554432' <<<"$TRAIN")"
  run -0 --separate-stderr job-split <<<"$(jq -c '.train.data = {"format":"csv","x":{"path":"x.csv"},"y":{"path":"y.csv"},"delimiter":";"}' <<<"$TRAIN")"
}

@test "flops is written as an integer; the ids are those of the same tasks with a float flops" {
  run -0 --separate-stderr job-split "$EX/train-sweep.json"
  [[ ${lines[0]} == *'"flops":10137600,'* ]] || fail "want \"flops\":10137600, in ${lines[0]:0:200}"
  ! grep -q '"flops":[0-9]*[.e]' <<<"$output" || fail "a flops written as a float: $output"
  # Canonical JSON writes 10137600.0 as 10137600: the id covers the same bytes.
  for l in "${lines[@]}"; do
    assert_equal "$(sed 's/"flops":\([0-9]*\),/"flops":\1.0,/' <<<"$l" | grid-key id | jq -r .id)" "$(jq -r .id <<<"$l")"
  done
}

@test "infer model layers must be integer widths (65 naming the element)" {
  bad_job "$(jq -c '.infer.model.layers = [8, "32", 3]' <<<"$INFER")" '.infer.model.layers[1]'
  bad_job "$(jq -c '.infer.model.layers = [8, 0.5, 3]' <<<"$INFER")" '.infer.model.layers[1]'
}

@test "a sweep setting below a field that is not an object is 65 naming it" {
  bad_job "$(jq -c '.train.optimizer = 5' "$EX/train-sweep.json")" '.train.optimizer.lr'
  bad_job "$(jq -c '.train.optimizer = [1, 2]' "$EX/train-sweep.json")" '.train.optimizer.lr'
}

@test "a closed stdout ends job-split quietly with 0 (EPIPE)" {
  run -0 --separate-stderr bash -c '
    jq -c ".gemm.m = 20000 | .gemm.n = 16 | .gemm.k = 16" "$1" | job-split --tasks 20000 2>err | head -1
    echo "status ${PIPESTATUS[1]}"' _ "$EX/gemm.json"
  assert_equal "${#lines[@]}" 2
  assert_equal "$(jq -r .kind <<<"${lines[0]}")" task
  assert_line -n 1 "status 0"
  assert_equal "$(cat err)" ''
}

# ---- completion --------------------------------------------------------

@test "bash completion offers flags and files" {
  complete_words() { bash_complete job-split "$@"; }
  run -0 complete_words job-split --sh
  assert_output --shard-rows
  run -0 complete_words job-split --we
  assert_output --weights
  : >profiles.jsonl
  run -0 complete_words job-split --weights prof
  assert_output profiles.jsonl
  : >job.json
  run -0 complete_words job-split jo
  assert_output job.json
}

@test "--retries N: transient failures in a row before 75 for a job or --weights by URL; out of range is 64" {
  dead=$(dead_url)
  run -75 --separate-stderr job-split --retries 0 "$dead/job.json"
  assert_output ''
  stderr_matches "^job-split: error: cannot fetch $dead/job.json: .*\(gave up after 1 attempt\)\$"
  run -75 --separate-stderr job-split --retries 1 --weights "$dead/profiles.jsonl" "$EX/gemm.json"
  assert_output ''
  stderr_matches "cannot fetch $dead/profiles.jsonl: .*\(gave up after 2 attempts\)\$"
  for n in -1 1001 some; do
    run -64 --separate-stderr job-split --retries "$n" "$EX/gemm.json"
    assert_output ''
    stderr_has "--retries"
  done
}

@test "an error quoting the input's own text stays one line: line breaks, escapes and bytes that are not UTF-8 are escaped" {
  jq -nc '{kind:"job",v:1,type:"gemm",gemm:{m:4,n:4,k:4,seed:1,"a\nb":1}}' >nl.jsonl
  run -65 --separate-stderr job-split nl.jsonl
  [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ] || fail "more than one line: $stderr"
  stderr_has 'a\nb'
  jq -nc '{kind:"job",v:1,type:"gemm",gemm:{m:4,n:4,k:4,seed:1,dtype:"f\n\u001b[31mred"}}' >esc.jsonl
  run -65 --separate-stderr job-split esc.jsonl
  [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ] || fail "more than one line: $stderr"
  [[ $stderr != *$'\e'* ]] || fail "a raw ESC reached stderr"
  stderr_has 'f\n\u001b[31mred'
  printf '{"kind":"job","v":1,"type":"x\\u0085\xff"}\n' >bytes.jsonl
  run -65 --separate-stderr job-split bytes.jsonl
  [ "$(printf '%s\n' "$stderr" | wc -l)" -eq 1 ] || fail "more than one line: $stderr"
  # A usage error is one line too, with where to look.
  run -64 --separate-stderr job-split --tasks 0 nl.jsonl
  [ "${#stderr_lines[@]}" -eq 1 ] || fail "more than one line: $stderr"
  stderr_matches '^job-split: error: --tasks: .* \(see job-split --help\)$'
}
