#!/usr/bin/env bats
# job-run across ranks (doc/design.md, "Training across ranks"): real Open
# MPI (mpirun, oversubscribed on this machine's cores) and a real one-node
# Slurm cluster started here (munged, slurmctld, slurmd on 127.0.0.1, each
# with its own folder, socket, ports and pid file, stopped by pid). In exact
# mode every rank count that divides the micro-batches trains the bits of
# one process without MPI.

bats_require_minimum_version 1.5.0
load test_helper

# Open MPI refuses root unless told; the tests run as whoever runs them.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
# Ranks poll while they wait: on a busy 2-core machine, let them yield.
export OMPI_MCA_mpi_yield_when_idle=1

# task RANKS [JQ]: the example's training, small, in 12 micro-batches of 3
# rows, asking for RANKS ranks (none: the field left out).
task() {
  jq -c --argjson r "${1:-null}" '.train.batch = 36 | .train.micro_batches = 12 | .train.steps = 30 |
    .train.checkpoint_every = 10 | if $r == null then . else .train.ranks = $r end | '"${2:-.}" \
    "$ROOT/examples/jobs/train.json" | job-split
}

# The parts of a train result that are its bits (not the task's id).
bits() {
  jq -cS '{leaves: .train.trace.leaves, root: .train.trace.root, losses: .train.losses, final: .train.final}'
}

setup() {
  common_setup
}

# kill_rank1 READY VAR LAUNCHER: once the file or folder READY exists, kill -9
# the job-run that is rank 1 (its VAR is 1) of this test's launch (started
# with GRID_TEST_LAUNCH=$BATS_TEST_TMPDIR in its environment), then wait for
# the LAUNCHER pid, which must fail (not time out); its status in $status.
kill_rank1() {
  local ready=$1 var=$2 launcher=$3 p env rank1=
  for _ in $(seq 600); do
    sleep 0.05
    [ -e "$ready" ] || continue
    for p in $(pgrep -x job-run); do
      env=$(tr '\0' '\n' <"/proc/$p/environ" 2>/dev/null) || continue
      grep -qx "GRID_TEST_LAUNCH=$BATS_TEST_TMPDIR" <<<"$env" && grep -qx "$var=1" <<<"$env" && rank1=$p
    done
    [ -n "$rank1" ] && break
  done
  [ -n "$rank1" ] || fail "rank 1 never started"
  kill -9 "$rank1"
  status=0
  wait "$launcher" || status=$?
  [ "$status" -ne 0 ] && [ "$status" -ne 124 ] || fail "the launcher ended with $status after rank 1 was killed"
}

teardown() {
  slurm_stop
}

@test "mpirun -np 1, 2, 3, 4: the same leaves, losses and root as one process without MPI" {
  task >solo-task.jsonl
  run -0 --separate-stderr job-run --store S0 --threads 1 solo-task.jsonl
  echo "$output" | bits >want
  # New bits, pinned: 12 micro-batches sum in another order than one batch.
  assert_jq .train.trace.root sha256:9f7f0c6b3e3fc43d56710ffff9b13a191e59a6b52bc299b201faf7b8458128e2
  task '' '.train.micro_batches = 1' | job-run --store S1 --threads 1 | bits >one-batch
  [ "$(jq -r .root one-batch)" != "$(jq -r .root want)" ] || fail "micro-batches changed no bit: the test tests nothing"
  for np in 1 2 3 4; do
    task "$np" >"task$np.jsonl"
    run -0 --separate-stderr timeout 120 mpirun --oversubscribe -np "$np" job-run --store "S$np" --threads 1 "task$np.jsonl"
    [ "$(wc -l <<<"$output")" = 1 ] || fail "-np $np wrote $(wc -l <<<"$output") lines: $output"
    assert_equal "$(echo "$output" | bits)" "$(cat want)"
    assert_jq .task "$(jq -r .id "task$np.jsonl")"
    assert_jq .train.metrics.ranks "$([ "$np" = 1 ] && echo null || echo "$np")"
  done
  # One micro-batch a rank: rank 0 has nothing to add up before sending (micro_batch_sum.cc).
  task '' '.train.micro_batches = 2' | job-run --store W2 --threads 1 | bits >want2
  task 2 '.train.micro_batches = 2' >pair.jsonl
  run -0 --separate-stderr timeout 120 mpirun --oversubscribe -np 2 job-run --store P --threads 1 pair.jsonl
  assert_equal "$(echo "$output" | bits)" "$(cat want2)"
}

@test "proof-check verifies a 4-rank result on one CPU; a forged leaf is caught" {
  task 4 >task.jsonl
  write_key key "$SEED1"
  timeout 120 mpirun --oversubscribe -np 4 job-run --store S --threads 1 --key key task.jsonl >result.jsonl
  write_key vkey "$SEED2"
  run -0 --separate-stderr proof-check --key vkey --store S --tasks task.jsonl --mode sig,trace,spot --samples 3 result.jsonl
  assert_jq .status accept
  # Step 14's leaf replaced by step 15's state hash: spot re-executes the
  # segment in one process and finds the step that differs.
  jq -c '.train.trace.leaves[14] = .train.trace.leaves[15]' result.jsonl | grid-key sign --key key >forged.jsonl
  run -1 --separate-stderr proof-check --key vkey --store S --tasks task.jsonl --mode spot --samples 3 forged.jsonl
  assert_jq .status reject
}

@test "fast mode on 2 ranks (MPI_Allreduce): proof-check's fast spot accepts it, and its loss is one process's within tolerance" {
  task 2 '.mode = "fast"' >task.jsonl
  write_key key "$SEED1"
  timeout 120 mpirun --oversubscribe -np 2 job-run --store S --threads 1 --key key task.jsonl >result.jsonl
  task '' '.mode = "fast"' | job-run --store W --threads 1 >solo.jsonl
  python3 -c 'import json, sys
a, b = (json.load(open(f))["train"]["final"]["loss"] for f in sys.argv[1:])
assert abs(a - b) <= 1e-3 * abs(b), (a, b)' result.jsonl solo.jsonl
  write_key vkey "$SEED2"
  run -0 --separate-stderr proof-check --key vkey --store S --tasks task.jsonl --mode sig,trace,spot --samples 2 result.jsonl
  assert_jq .status accept
}

@test "a task's train.ranks must be the launch's: refused before any work" {
  task 3 >task3.jsonl
  run -64 --separate-stderr timeout 120 mpirun --oversubscribe -np 2 job-run --store S --threads 1 task3.jsonl
  assert_output ''
  stderr_has "job-run: error: the task asks for 3 rank(s), the run has 2 ranks (OMPI_COMM_WORLD_SIZE) (field .train.ranks)"
  [ ! -e S/refs ] || [ -z "$(find S/refs -type f)" ] || fail "the refused run wrote to the store"
  task 2 >task2.jsonl
  run -64 --separate-stderr job-run --store S --threads 1 task2.jsonl
  stderr_has "the task asks for 2 rank(s), the run has 1 rank (no mpirun or srun) (field .train.ranks)"
  # A rank count that does not divide the micro-batches is no task at all.
  run -65 --separate-stderr task 5
  stderr_has "ranks 5 does not divide micro_batches 12"
}

@test "a rank killed mid-run ends the job with an error naming it; --resume ends on the uninterrupted root" {
  task 2 '.train.steps = 400' >task.jsonl
  task '' '.train.steps = 400' | job-run --store W --threads 1 | bits >want
  progress=$(python3 -c 'import hashlib, sys; h = hashlib.sha256(sys.argv[1].encode()).hexdigest(); print(f"S/refs/{h[:2]}/{h[2:]}")' \
    "progress $(jq -r .id task.jsonl) exact")
  GRID_TEST_LAUNCH=$BATS_TEST_TMPDIR timeout 120 mpirun --oversubscribe -np 2 job-run --store S --threads 1 task.jsonl \
    </dev/null >killed.jsonl 2>killed.err &
  kill_rank1 "$progress" OMPI_COMM_WORLD_RANK $!
  assert_equal "$(cat killed.jsonl)" ''
  grep -q "process rank 1 with PID .* exited on signal 9" killed.err || fail "no error names rank 1: $(cat killed.err)"
  run -0 --separate-stderr timeout 120 mpirun --oversubscribe -np 2 job-run --store S --threads 1 --resume task.jsonl
  assert_jq .train.metrics.resumed true
  assert_equal "$(echo "$output" | bits)" "$(cat want)"
}

@test "an error only rank 1 meets (its copy of the data is corrupt) ends the job: one line naming the rank, its exit code, nothing written" {
  # mpirun's app contexts: rank 0 in n0, rank 1 in n1, each reading the
  # data by path from its own folder, as ranks on two machines would.
  mkdir n0 n1
  python3 -c 'import random
r = random.Random(7)
with open("n0/x.csv", "w") as fx, open("n0/y.csv", "w") as fy:
    for _ in range(64):
        v = [r.gauss(0, 1) for _ in range(4)]
        fx.write(",".join("%.6f" % a for a in v) + "\n")
        fy.write("%d\n" % (v[0] + v[1] > 0))'
  cp n0/*.csv n1/
  sed -i '1s/^./9/' n1/x.csv
  jq -nc --arg xs "sha256:$(sha256sum <n0/x.csv | cut -d' ' -f1)" --arg ys "sha256:$(sha256sum <n0/y.csv | cut -d' ' -f1)" \
    '{kind: "job", v: 1, type: "train", train: {model: {layers: [4, 8, 2]}, loss: "softmax_xent",
      optimizer: {name: "sgd", lr: 0.1}, batch: 16, micro_batches: 4, ranks: 2, steps: 20, seed: 1, checkpoint_every: 5,
      data: {format: "csv", x: {path: "x.csv", sha256: $xs}, y: {path: "y.csv", sha256: $ys}}}}' | job-split >task.jsonl
  launch() {
    timeout 60 mpirun --oversubscribe -np 1 -wdir n0 job-run --store "$PWD/S" --threads 1 "$PWD/task.jsonl" : \
      -np 1 -wdir n1 job-run --store "$PWD/S" --threads 1 "$PWD/task.jsonl"
  }
  run -65 --separate-stderr launch
  assert_output ''
  [ "$(grep -c '^job-run: error: ' <<<"$stderr")" = 1 ] || fail "not one error line: $stderr"
  stderr_has "job-run: error: rank 1 of 2: x.csv has SHA-256 sha256:"
  stderr_has "(field .train.data.x.sha256)"
  # The ranks agree on the data before rank 0 writes: no checkpoint, no
  # progress record, nothing half-written under tmp/.
  [ -z "$(find S -type f 2>/dev/null)" ] || fail "the store holds: $(find S -type f)"
  # Rank 1's copy mended, the same launch trains.
  cp n0/x.csv n1/x.csv
  run -0 --separate-stderr launch
  assert_jq .train.final.step 20
}

@test "gpu-bench under mpirun -np 2: --only nccl gives rank 0's one profile; other sections are refused" {
  # Without a GPU the section says it skipped; with one a GPU a rank, NCCL
  # bootstrapped over MPI (tests/gpu: the rank path as a world of one).
  run -0 --separate-stderr timeout 120 mpirun --oversubscribe -np 2 gpu-bench --device cpu --only nccl --format json
  [ "$(wc -l <<<"$output")" = 1 ] || fail "2 ranks wrote $(wc -l <<<"$output") lines: $output"
  assert_jq '.kind + " " + .nccl.skipped' 'profile no GPU in use'
  run -64 --separate-stderr timeout 120 mpirun --oversubscribe -np 2 gpu-bench --device cpu --only mem
  stderr_has "gpu-bench: error: on 2 ranks (OMPI_COMM_WORLD_SIZE) gpu-bench measures NCCL across them only: pass --only nccl"
}

# ---- Slurm: a one-node cluster of this machine ---------------------------

# slurm_start: munged, slurmctld and slurmd for the folder $SL, on free
# loopback ports; SLURM_CONF points the clients at it. slurmd launches jobs
# as their owner, which needs root.
slurm_start() {
  SL=$BATS_FILE_TMPDIR/slurm
  mkdir -p "$SL/state" "$SL/spool" "$SL/munge"
  chmod 700 "$SL/munge"
  head -c 1024 /dev/urandom >"$SL/munge/key"
  chmod 600 "$SL/munge/key"
  # --force: munged wants every folder above its socket searchable by all,
  # and bats makes its own private.
  munged --force --socket="$SL/munge/sock" --key-file="$SL/munge/key" --log-file="$SL/munge/log" \
    --pid-file="$SL/munge/pid" --seed-file="$SL/munge/seed"
  read -r ctld_port d_port < <(python3 -c '
import socket
s = [socket.socket() for _ in range(2)]
for x in s: x.bind(("127.0.0.1", 0))
print(*[x.getsockname()[1] for x in s])')
  local host
  host=$(hostname -s)
  cat >"$SL/slurm.conf" <<CONF
ClusterName=gridtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$d_port
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket=$SL/munge/sock
CredType=cred/munge
StateSaveLocation=$SL/state
SlurmdSpoolDir=$SL/spool
SlurmctldPidFile=$SL/slurmctld.pid
SlurmdPidFile=$SL/slurmd.pid
SlurmctldLogFile=$SL/slurmctld.log
SlurmdLogFile=$SL/slurmd.log
# No cgroups: a container may not delegate them.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
# Four CPUs on whatever this machine has: ranks are oversubscribed anyway.
SlurmdParameters=config_overrides
NodeName=$host NodeAddr=127.0.0.1 CPUs=4 RealMemory=1000 State=UNKNOWN
PartitionName=grid Nodes=$host Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES
CONF
  export SLURM_CONF=$SL/slurm.conf
  slurmctld -f "$SLURM_CONF"
  slurmd -f "$SLURM_CONF"
  for _ in $(seq 100); do
    [ "$(sinfo -h -o %t 2>/dev/null)" = idle ] && return 0
    sleep 0.1
  done
  echo "slurm_start: the node never became idle: $(sinfo 2>&1); $(tail -3 "$SL"/*.log)" >&2
  return 1
}

slurm_stop() {
  [ -n "${SL:-}" ] || return 0
  # Each gone (or a zombie) before bats removes the folder it was writing.
  local f
  for f in "$SL/slurmd.pid" "$SL/slurmctld.pid" "$SL/munge/pid"; do stop_pidfile "$f" 50; done
}

@test "stop_pidfile (slurm_stop's): a zombie counts as gone at once; a server deaf to SIGTERM is killed after its tries" {
  # A child that exits under a parent that never reaps it: a zombie.
  bash -c 'sleep 0 & echo $! >zombie.pid; exec sleep 5' 3>&- &
  local parent=$!
  sleep 0.3
  grep -q '^[0-9]* (.*) Z' "/proc/$(cat zombie.pid)/stat" || fail "no zombie to stop"
  local t0=$EPOCHREALTIME
  stop_pidfile zombie.pid 30
  (( $(bc <<<"$EPOCHREALTIME - $t0 < 1.5") )) || fail "a zombie was waited for: $(bc <<<"$EPOCHREALTIME - $t0") s"
  kill "$parent"
  # SIGTERM ignored (kept across exec): SIGKILL after 3 tenths of a second.
  bash -c 'trap "" TERM; echo $$ >deaf.pid; exec sleep 30' 3>&- &
  sleep 0.2
  stop_pidfile deaf.pid 3
  pid_gone "$(cat deaf.pid)" || fail "a server deaf to SIGTERM is still there"
}

@test "Slurm: sbatch --array fans tasks out with --task-index env; srun -n 2 trains one task on two ranks with the same root; a killed rank ends the step" {
  [ "$(id -u)" = 0 ] || skip "slurmd runs jobs as their owner, which takes root"
  slurm_start
  # Three tasks of a sweep over the seed, each an array element.
  task "" '.train.sweep = {"grid": {"seed": [11, 12, 13]}}' >tasks.jsonl
  job-run --store W --threads 1 tasks.jsonl | jq -r .train.trace.root >want-roots
  # -n 2: each batch script sees SLURM_NTASKS=2 yet is one process, and
  # its job-run one rank.
  run -0 timeout 120 sbatch --wait --array=0-2 -n 2 -o "$PWD/array-%a.out" -e "$PWD/array-%a.err" \
    --wrap "job-run --store $PWD/S --threads 1 --task-index env $PWD/tasks.jsonl"
  assert_equal "$(for i in 0 1 2; do jq -r .train.trace.root "array-$i.out"; done)" "$(cat want-roots)"
  # One task on two ranks: srun starts them, PMIx joins them into one MPI world.
  task 2 >task2.jsonl
  run -0 --separate-stderr timeout 120 srun --mpi=pmix -n 2 job-run --store "$PWD/S2" --threads 1 task2.jsonl
  [ "$(wc -l <<<"$output")" = 1 ] || fail "srun wrote $(wc -l <<<"$output") lines: $output"
  assert_jq .train.trace.root "$(sed -n 1p want-roots)"
  # A rank killed under srun ends the step, naming the task, without a hang.
  task 2 '.train.steps = 400' >long.jsonl
  GRID_TEST_LAUNCH=$BATS_TEST_TMPDIR timeout 120 srun --mpi=pmix -n 2 job-run --store "$PWD/S3" --threads 1 long.jsonl \
    </dev/null >killed.jsonl 2>killed.err &
  kill_rank1 S3/refs SLURM_PROCID $!
  assert_equal "$(cat killed.jsonl)" ''
  grep -q "task 1: Killed" killed.err || fail "no error names task 1: $(cat killed.err)"
}
