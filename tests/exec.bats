#!/usr/bin/env bats
# The exec kind: the buyer's own program, cut by job-split, run by job-run
# in the bubblewrap sandbox, checked by proof-check's trace, rerun and
# compare. Every field of the spec and every flag exec adds, through the
# real binaries.

bats_require_minimum_version 1.5.0
load test_helper

setup() {
  common_setup
  write_key key1 "$SEED1"
  write_key vkey "$SEED2"
  EXEC_EX=$ROOT/examples/exec
}

# job SPEC-JSON: an exec job message with this exec part.
job() {
  jq -cn --argjson s "$1" '{kind: "job", v: 1, type: "exec", exec: $s}'
}

# one_task SPEC-JSON: the job's only task.
one_task() {
  job "$1" | job-split
}

# run_task SPEC-JSON [JOB-RUN FLAGS...]: its one task run; the result on
# stdout (run --separate-stderr).
run_task() {
  local spec=$1
  shift
  one_task "$spec" >task.jsonl
  run --separate-stderr job-run --store S --key key1 "$@" task.jsonl
}

# file_input PATH NAME: an input {path, sha256, url} for the local file.
file_input() {
  jq -cn --arg p "$2" --arg s "sha256:$(sha256sum "$1" | cut -d' ' -f1)" --arg u "file://$(realpath "$1")" \
    '{path: $p, sha256: $s, url: $u}'
}

# stored REF: the path of object REF in the store S.
stored() {
  local h=${1#sha256:}
  echo "S/sha256/${h:0:2}/${h:2}"
}

# ---- job-split ----------------------------------------------------------

@test "job-split: range cuts one task a step; {index}, {start}, {end} replaced in argv, env and outputs" {
  run --separate-stderr job-split < <(job '{"command":["echo","{index}","{start}-{end}","{unknown}"],"env":{"FROM":"{start}"},"outputs":["part-{index}.txt"],"image":"host","range":{"start":5,"end":12,"step":3}}')
  assert_success
  assert_jq_all 'map(.exec.command | join(" "))' '["echo 0 5-8 {unknown}","echo 1 8-11 {unknown}","echo 2 11-12 {unknown}"]'
  assert_jq_all 'map(.exec.env.FROM)' '["5","8","11"]'
  assert_jq_all 'map(.exec.outputs[0])' '["part-0.txt","part-1.txt","part-2.txt"]'
  assert_jq_all 'map(.exec.part)' '[{"end":8,"index":0,"start":5},{"end":11,"index":1,"start":8},{"end":12,"index":2,"start":11}]'
  assert_jq_all 'map(.exec | has("range"))' '[false,false,false]'
  assert_jq_all 'map(.count)' '[3,3,3]'
}

@test "job-split: items cut one task an item; {item} is the item, an integer as written; no cut is one task" {
  run --separate-stderr job-split < <(job '{"command":["sh","-c","echo {item}"],"image":"host","items":["a b",7]}')
  assert_success
  assert_jq_all 'map(.exec.command[2])' '["echo a b","echo 7"]'
  run --separate-stderr job-split < <(job '{"command":["true"],"image":"host"}')
  assert_success
  assert_jq_all 'map(.exec.part)' '[{"index":0}]'
}

@test "every field is checked: one-line errors naming the field, exit 65" {
  check() {
    run --separate-stderr job-split < <(job "$1")
    assert_equal "$status" 65
    stderr_has "$2"
    [ "$(wc -l <<<"$stderr")" -eq 1 ] || fail "more than one line: $stderr"
  }
  check '{"image":"host"}' 'field .exec.command'
  check '{"command":"ls","image":"host"}' 'field .exec.command'
  check '{"command":[],"image":"host"}' 'field .exec.command'
  check '{"command":[""],"image":"host"}' 'field .exec.command[0]'
  check '{"command":["ls",3],"image":"host"}' 'field .exec.command[1]'
  check '{"command":["ls"]}' 'field .exec.image'
  check '{"command":["ls"],"image":"docker"}' 'field .exec.image'
  check '{"command":["ls"],"image":{"sha256":"sha256:00"}}' 'field .exec.image.sha256'
  check '{"command":["ls"],"image":{"sha256":"sha256:'"$(printf '%064d' 0)"'"}}' 'field .exec.image.url'
  check '{"command":["ls"],"image":"host","env":{"TZ":"CET"}}' 'field .exec.env.TZ'
  check '{"command":["ls"],"image":"host","env":{"GRID_SEED":"1"}}' 'field .exec.env.GRID_SEED'
  check '{"command":["ls"],"image":"host","env":{"1X":"1"}}' 'field .exec.env.1X'
  check '{"command":["ls"],"image":"host","env":{"X":1}}' 'field .exec.env.X'
  check '{"command":["ls"],"image":"host","inputs":[{"path":"/etc/passwd","sha256":"sha256:'"$(printf '%064d' 0)"'"}]}' 'field .exec.inputs[0].path'
  check '{"command":["ls"],"image":"host","inputs":[{"path":"a/../b","sha256":"sha256:'"$(printf '%064d' 0)"'"}]}' 'field .exec.inputs[0].path'
  check '{"command":["ls"],"image":"host","inputs":[{"path":"a","sha256":"sha256:'"$(printf '%064d' 0)"'"},{"path":"a/b","sha256":"sha256:'"$(printf '%064d' 0)"'"}]}' 'field .exec.inputs[1].path'
  check '{"command":["ls"],"image":"host","inputs":[{"path":"a"}]}' 'field .exec.inputs[0].sha256'
  check '{"command":["ls"],"image":"host","inputs":[{"path":"a","sha256":"sha256:'"$(printf '%064d' 0)"'","url":"ftp://x"}]}' 'field .exec.inputs[0].url'
  check '{"command":["ls"],"image":"host","outputs":["../x"]}' 'field .exec.outputs[0]'
  check '{"command":["ls"],"image":"host","limits":{"wall_seconds":0}}' 'field .exec.limits.wall_seconds'
  check '{"command":["ls"],"image":"host","limits":{"memory_bytes":1.5}}' 'field .exec.limits.memory_bytes'
  check '{"command":["ls"],"image":"host","limits":{"processes":5000}}' 'field .exec.limits.processes'
  check '{"command":["ls"],"image":"host","limits":{"swap":1}}' 'field .exec.limits.swap'
  check '{"command":["ls"],"image":"host","network":"yes"}' 'field .exec.network'
  check '{"command":["ls"],"image":"host","verify":"vote"}' 'field .exec.verify'
  check '{"command":["ls"],"image":"host","verify":{"compare":[]}}' 'field .exec.verify.compare'
  check '{"command":["ls"],"image":"host","range":{"start":3,"end":3}}' 'field .exec.range.end'
  check '{"command":["ls"],"image":"host","range":{"start":0,"end":10,"step":0}}' 'field .exec.range.step'
  check '{"command":["ls"],"image":"host","range":{"start":0,"end":1000000}}' 'field .exec.range.step'
  check '{"command":["ls"],"image":"host","range":{"start":0,"end":2},"items":["a"]}' 'field .exec.items'
  check '{"command":["ls"],"image":"host","items":[]}' 'field .exec.items'
  check '{"command":["ls"],"image":"host","items":[1.5]}' 'field .exec.items[0]'
  check '{"command":["ls"],"image":"host","items":["../x"],"outputs":["{item}"]}' 'field .exec.items[0]'
  check '{"command":["ls","{item}"],"image":"host"}' 'field .exec.command[1]'
  check '{"command":["ls"],"image":"host","env":{"A":"{start}"}}' 'field .exec.env.A'
  check '{"command":["ls"],"image":"host","colour":1}' 'field .exec.colour'
}

@test "lease-bid order: an input without a URL is refused, a provider cannot fetch it" {
  job '{"command":["ls"],"image":"host","inputs":[{"path":"a","sha256":"sha256:'"$(printf '%064d' 0)"'"}]}' | job-split >t.jsonl
  run --separate-stderr lease-bid order --key key1 --max-price 10 --deadline 2h t.jsonl
  assert_equal "$status" 65
  stderr_has 'field .exec.inputs[0].url'
}

# ---- job-run ------------------------------------------------------------

@test "job-run: a host-image task runs; its outputs are in the store and the result commits to them" {
  run_task '{"command":["sh","-c","printf hello >/out/a.txt; mkdir /out/d; printf x >/out/d/b; echo said"],"image":"host"}'
  assert_success
  echo "$output" >r.jsonl
  assert_jq .exec.status ok
  assert_jq .exec.reason ''
  assert_jq .exec.exit_code 0
  assert_jq '.exec.outputs | map(.path) | join(",")' 'a.txt,d/b'
  assert_jq '.exec.stdout_sha256' "sha256:$(printf 'said\n' | sha256sum | cut -d' ' -f1)"
  assert_jq '.exec.outputs[0].sha256' "sha256:$(printf hello | sha256sum | cut -d' ' -f1)"
  cmp <(printf hello) "$(stored "$(jq -r '.exec.outputs[0].sha256' r.jsonl)")"
  # output_root: RFC 6962 over path, 0, size (8 bytes big-endian), SHA-256.
  want=$(python3 - r.jsonl <<'PY'
import json, sys
from merkle_reference import leaf, mth
r = json.load(open(sys.argv[1]))["exec"]
print("sha256:" + mth([leaf((o["path"].encode() + b"\0" + o["size"].to_bytes(8, "big")).hex() + o["sha256"][7:])
                        for o in r["outputs"]]).hex())
PY
)
  assert_jq .exec.output_root "$want"
  run grid-key verify --by "$PUB1" r.jsonl
  assert_success
}

@test "job-run: the environment is fixed and nothing of the provider's passes in" {
  export LEAK=provider-secret
  run_task '{"command":["sh","-c","env | sort >/out/env; hostname >/out/host; pwd >/out/pwd"],"env":{"MINE":"x{index}"},"image":"host"}'
  assert_success
  echo "$output" >r.jsonl
  seed=$(jq -r .seed task.jsonl)
  env=$(cat "$(stored "$(jq -r '.exec.outputs[] | select(.path == "env") | .sha256' r.jsonl)")")
  for want in TZ=UTC LC_ALL=C SOURCE_DATE_EPOCH=946684800 HOME=/tmp GRID_TASK_INDEX=0 "GRID_SEED=$seed" MINE=x0; do
    grep -qx "$want" <<<"$env" || fail "no $want in: $env"
  done
  ! grep -q LEAK <<<"$env" || fail "the provider's environment leaked: $env"
  assert_equal "$(cat "$(stored "$(jq -r '.exec.outputs[] | select(.path == "host") | .sha256' r.jsonl)")")" grid
}

@test "job-run: a task whose index or seed is no integer is refused with the field and line (65), not run" {
  one_task '{"command":["true"],"image":"host"}' >good.jsonl
  local field value
  for field in index seed; do
    for value in '"x"' null '{}' -1; do
      jq -c --argjson v "$value" ".$field = \$v | del(.id)" good.jsonl | grid-key id >task.jsonl
      run -65 --separate-stderr job-run --store S --key key1 task.jsonl
      assert_output ''
      [[ $stderr == "job-run: error: "*"(input line 1 of task.jsonl, field .$field)" ]] || fail "$field = $value: $stderr"
      [[ $stderr != *json.exception* ]] || fail "$field = $value: $stderr"
    done
  done
}

@test "job-run: inputs are fetched by URL into the store and bound read-only at /in" {
  printf 'some words here\n' >words.txt
  spec=$(jq -cn --argjson i "$(file_input words.txt data/words.txt)" \
    '{command: ["sh", "-c", "wc -w </in/data/words.txt >/out/n; echo x >/in/data/words.txt || echo refused >/out/w"], image: "host", inputs: [$i]}')
  run_task "$spec"
  assert_success
  echo "$output" >r.jsonl
  assert_equal "$(tr -d ' ' <"$(stored "$(jq -r '.exec.outputs[] | select(.path == "n") | .sha256' r.jsonl)")")" 3
  assert_equal "$(cat "$(stored "$(jq -r '.exec.outputs[] | select(.path == "w") | .sha256' r.jsonl)")")" refused
  assert_jq '.header.inputs.files["data/words.txt"]' "sha256:$(sha256sum words.txt | cut -d' ' -f1)"
  assert_file_exists "$(stored "sha256:$(sha256sum words.txt | cut -d' ' -f1)")"
  # The bytes must be the ones named.
  spec=$(jq -c '.inputs[0].sha256 = "sha256:'"$(printf '%064d' 0)"'"' <<<"$spec")
  run_task "$spec"
  assert_equal "$status" 65
  stderr_has 'field .exec.inputs[0].sha256'
}

@test "job-run: a failing program is a signed result with status failed and the reason" {
  run_task '{"command":["sh","-c","echo partial >/out/p; exit 3"],"image":"host"}'
  assert_success
  assert_jq .exec.status failed
  assert_jq .exec.reason 'exit 3'
  assert_jq .exec.exit_code 3
  assert_jq '.exec.outputs | length' 1
  echo "$output" | grid-key verify --by "$PUB1"
}

@test "job-run: limits from the spec: a wall-time limit ends the task as failed: timeout" {
  run_task '{"command":["sleep","30"],"image":"host","limits":{"wall_seconds":1}}'
  assert_success
  assert_jq .exec.status failed
  assert_jq .exec.reason timeout
}

@test "job-run: an output the job expects and the program did not write fails the task" {
  run_task '{"command":["sh","-c","echo >/out/other"],"image":"host","outputs":["want.txt"]}'
  assert_success
  assert_jq .exec.status failed
  assert_jq .exec.reason 'missing output want.txt'
}

@test "job-run --allow-network: a task that asks for the network is refused (69) without it" {
  run_task '{"command":["true"],"image":"host","network":true}'
  assert_equal "$status" 69
  stderr_has '--allow-network'
  run_task '{"command":["true"],"image":"host","network":true}' --allow-network
  assert_success
  assert_jq .exec.status ok
  # Without "network" the task gets none, --allow-network or not: only lo.
  run_task '{"command":["sh","-c","tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d \" \" >/out/net"],"image":"host"}' --allow-network
  assert_success
  echo "$output" >r.jsonl
  assert_equal "$(cat "$(stored "$(jq -r '.exec.outputs[0].sha256' r.jsonl)")")" lo
}

@test "job-run --device cuda: without a GPU it is exit 69 and runs nothing" {
  [ -e /dev/nvidiactl ] && skip "this machine has a GPU: the refusal is what a machine without one gives"
  run_task '{"command":["sh","-c","echo ran >/out/x"],"image":"host"}' --device cuda
  assert_equal "$status" 69
  [ -z "$output" ] || fail "printed a result: $output"
}

@test "job-run: a busybox rootfs image is unpacked once into the store and is the whole root" {
  "$EXEC_EX/busybox-rootfs" rootfs.tar
  "$EXEC_EX/busybox.job" rootfs.tar | job-split >tasks.jsonl
  run --separate-stderr job-run --store S --key key1 tasks.jsonl
  assert_success
  echo "$output" >r.jsonl
  assert_jq_all 'map(.exec.status) | unique' '["ok"]'
  sha=$(sha256sum rootfs.tar | cut -d' ' -f1)
  # One folder for the image, however many tasks named it; none half-made.
  run ls -A S/images
  assert_output "$sha"
  [ "$(ls -d S/images/"$sha" S/images/.unpack-* 2>/dev/null | wc -l)" -eq 1 ]
  # The root is the image's: no /usr, no python.
  root=$(cat "$(stored "$(jq -r 'select(.index == 0) | .exec.outputs[] | select(.path == "root.txt") | .sha256' r.jsonl)")")
  ! grep -qx usr <<<"$root" || fail "the host's /usr is inside: $root"
  grep -qx bin <<<"$root" || fail "no /bin: $root"
  run jq -r '.exec.outputs[] | select(.path == "count") | .sha256' r.jsonl
  for i in 0 1 2; do
    assert_equal "$(tr -d ' ' <"$(stored "${lines[$i]}")")" $((i + 1))
  done
}

# ---- proof-check --------------------------------------------------------

@test "proof-check trace and rerun accept honest results; the verdict names the draw over the job's tasks" {
  job '{"command":["sh","-c","echo $GRID_TASK_INDEX {start} >/out/n"],"image":"host","range":{"start":0,"end":4}}' | job-split >tasks.jsonl
  job-run --store S --key key1 tasks.jsonl >results.jsonl
  run --separate-stderr proof-check --key vkey --store S --tasks tasks.jsonl --mode sig,trace,rerun --samples 2 results.jsonl
  assert_success
  assert_jq_all 'map(.status) | unique' '["accept"]'
  assert_jq_all 'map(.checked.rerun.rerun) | map(select(.)) | length' 2
  assert_jq_all 'map(.checked.rerun.draw.over) | unique | length' 1
  assert_jq_all 'map(.checked.rerun.tasks) | unique' '[4]'
  assert_jq_all 'map(.detection_probability) | unique' '[0.5]'
  # --detect picks the sample size over tasks.
  run --separate-stderr proof-check --key vkey --store S --tasks tasks.jsonl --mode rerun --detect 0.99 --cheat-fraction 0.25 results.jsonl
  assert_success
  assert_jq_all 'map(.checked.rerun.sampled) | unique' '[4]'
}

@test "proof-check rerun: a drawn task without its task message is inconclusive (3)" {
  job '{"command":["true"],"image":"host"}' | job-split >tasks.jsonl
  job-run --store S --key key1 tasks.jsonl >results.jsonl
  run --separate-stderr proof-check --key vkey --store S --mode rerun results.jsonl
  assert_equal "$status" 3
  stderr_has '--tasks'
}

@test "proof-check compare: the buyer's comparator sees the outputs at /a and /b; exit 0 accepts, else rejects" {
  # The program prints the time: no two runs agree byte for byte, and the
  # comparator looks only at the first field.
  spec='{"command":["sh","-c","echo 42 $(date +%s%N) >/out/v"],"image":"host","verify":{"compare":["sh","-c","[ \"$(cut -d\" \" -f1 /a/v)\" = \"$(cut -d\" \" -f1 /b/v)\" ]"]}}'
  one_task "$spec" >tasks.jsonl
  job-run --store S --key key1 tasks.jsonl >results.jsonl
  run --separate-stderr proof-check --key vkey --store S --tasks tasks.jsonl --mode compare results.jsonl
  assert_success
  assert_jq .checked.compare.comparator equivalent
  # rerun rejects the same result: its bytes are not reproducible.
  run --separate-stderr proof-check --key vkey --store S --tasks tasks.jsonl --mode rerun results.jsonl
  assert_equal "$status" 1
  # A provider whose value is wrong: the comparator says no.
  cheat_task=$(jq -c '.exec.command[2] = "echo 41 $(date +%s%N) >/out/v"' tasks.jsonl | jq -c 'del(.id)' | grid-key id)
  job-run --store S --key key1 <<<"$cheat_task" | jq -c --arg t "$(jq -r .id tasks.jsonl)" '.task = $t | .header.task = $t' |
    grid-key sign --key key1 >cheat.jsonl
  run --separate-stderr proof-check --key vkey --store S --tasks tasks.jsonl --mode compare cheat.jsonl
  assert_equal "$status" 1
  assert_jq .status reject
  assert_jq '.reason | startswith("compare: the comparator")' true
  # Without a comparator in the task, compare cannot decide.
  one_task '{"command":["true"],"image":"host"}' >t2.jsonl
  job-run --store S --key key1 t2.jsonl >r2.jsonl
  run --separate-stderr proof-check --key vkey --store S --tasks t2.jsonl --mode compare r2.jsonl
  assert_equal "$status" 3
}

# ---- examples -----------------------------------------------------------

@test "examples/exec: the Monte-Carlo job over seeds and the shard pipeline run and verify by rerun" {
  "$EXEC_EX/montecarlo.job" | job-split >mc.jsonl
  run jq -s length mc.jsonl
  assert_output 4
  # Two tasks are enough to show it; the other two are the same program.
  head -2 mc.jsonl >mc2.jsonl
  job-run --store S --key key1 mc2.jsonl >mc-results.jsonl
  run jq -r .exec.status mc-results.jsonl
  assert_output $'ok\nok'
  pi=$(jq -r .pi "$(stored "$(jq -r 'select(.index == 0) | .exec.outputs[0].sha256' mc-results.jsonl)")")
  python3 -c "import sys; assert abs(float(sys.argv[1]) - 3.14159) < 0.05, sys.argv[1]" "$pi"
  "$EXEC_EX/shards.job" | job-split >sh.jsonl
  job-run --store S --key key1 sh.jsonl >sh-results.jsonl
  counts=$(cat "$(stored "$(jq -r 'select(.index == 2) | .exec.outputs[0].sha256' sh-results.jsonl)")")
  [ "$(awk '$2 == "fig" {print $1}' <<<"$counts")" = 3 ] || fail "shard 2's counts: $counts"
  run --separate-stderr proof-check --key vkey --store S --tasks mc2.jsonl --tasks sh.jsonl --mode sig,trace,rerun \
    --samples 1 mc-results.jsonl sh-results.jsonl
  assert_success
}

# ---- the whole flow ---------------------------------------------------------

@test "the flow for an exec job: split, order, bid, award, run, proof-check (rerun and quorum), pay-settle" {
  write_key buyer "$SEED3"
  grid-key gen --out alice.key
  grid-key gen --out bob.key
  grid-key gen --out operator.key
  for p in alice bob; do
    gpu-bench --quick --device cpu --only gemm --key "$p.key" >"$p.profile"
    mkdir -p "$p"
  done
  grid-key pub --key vkey >trust.txt
  pay-settle init --ledger ledger.db --currency USD --key operator.key >/dev/null
  {
    pay-settle deposit --ledger ledger.db --key operator.key --account "$PUB3" --amount 100000
    for p in alice bob; do
      pay-settle deposit --ledger ledger.db --key operator.key --account "$(grid-key pub --key $p.key)" --amount 20000
      pay-settle stake --ledger ledger.db --key "$p.key" --amount 10000
    done
  } >funding.jsonl
  pay-settle apply --ledger ledger.db --trust trust.txt funding.jsonl >/dev/null

  "$EXEC_EX/montecarlo.job" | jq -c '.exec.range.end = 20' | grid-key sign --key buyer | job-split --key buyer >tasks.jsonl
  lease-bid order --key buyer --max-price 5000 --deadline 2h tasks.jsonl >orders.jsonl
  for p in alice bob; do
    lease-bid bid --key "$p.key" --profile "$p.profile" --policy "$ROOT/examples/demo/alice-policy.json" orders.jsonl >"$p/bids.jsonl"
  done
  lease-bid award --key buyer orders.jsonl alice/bids.jsonl bob/bids.jsonl >leases.jsonl
  run jq -s length leases.jsonl
  assert_output 2
  for p in alice bob; do
    jq -c --arg me "$(grid-key pub --key $p.key)" 'select(.provider == $me)' leases.jsonl >"$p/leases.jsonl"
    job-run --key "$p.key" --store "$p/store" "$p/leases.jsonl" >"$p/results.jsonl"
  done
  pay-settle apply --ledger ledger.db --trust trust.txt leases.jsonl >/dev/null
  # rerun: every task drawn (two tasks, --detect 0.99), each provider's store.
  : >verdicts.jsonl
  for p in alice bob; do
    [ -s "$p/results.jsonl" ] || continue
    proof-check --key vkey --leases leases.jsonl --store "$p/store" --mode sig,trace,rerun "$p/results.jsonl" >>verdicts.jsonl
  done
  run jq -s -c 'map(.status) | unique' verdicts.jsonl
  assert_output '["accept"]'
  run jq -s -c 'map(.checked.rerun.rerun) | unique' verdicts.jsonl
  assert_output '[true]'
  # quorum: the other provider runs the same tasks; sealed, they agree.
  job-run --key alice.key --store q tasks.jsonl >qa.jsonl
  job-run --key bob.key --store q tasks.jsonl >qb.jsonl
  jq -c '{kind: "seal", v: 1, task, seal}' qa.jsonl | grid-key sign --key alice.key >seals.jsonl
  jq -c '{kind: "seal", v: 1, task, seal}' qb.jsonl | grid-key sign --key bob.key >>seals.jsonl
  run --separate-stderr proof-check --key vkey --tasks tasks.jsonl --store q --mode sig,trace,quorum --seals seals.jsonl qa.jsonl qb.jsonl
  assert_success
  assert_jq_all 'map(.status) | unique' '["accept"]'
  # Settlement: the accepted leases are paid, nothing is left held.
  pay-settle apply --ledger ledger.db --trust trust.txt --verifier-fee-bp 500 verdicts.jsonl >/dev/null
  run pay-settle check --ledger ledger.db
  assert_success
  run jq -s 'map(.held_micros) | add' <(pay-settle balance --ledger ledger.db)
  assert_output 0
  paid=$(jq -s 'map(.price_micros - (.price_micros * 500 / 10000 | floor)) | add' leases.jsonl)
  got=0
  for p in alice bob; do
    got=$((got + $(pay-settle balance --ledger ledger.db | jq -s --arg k "$(grid-key pub --key $p.key)" 'map(select(.account == $k) | .available_micros) | add' ) - 10000))
  done
  assert_equal "$got" "$paid"
}
