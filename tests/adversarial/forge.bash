# Shared by the adversarial suites (sourced after load ../test_helper):
# honest inputs made by the real job-split and job-run, forgers that bend
# them, and the checks' assertions. Python forgers are in forge.py.

# The verifier's key.
SEEDV=0101010101010101010101010101010101010101010101010101010101010101

FORGE_PY="$BATS_TEST_DIRNAME/forge.py"
PY=/usr/bin/python3

# forge CMD ARGS...: forge.py on stdin (see its usage).
forge() {
  "$PY" "$FORGE_PY" "$@"
}

# keys: the providers' and the verifier's key files in the current folder.
keys() {
  write_key key1 "$SEED1"
  write_key key2 "$SEED2"
  write_key key3 "$SEED3"
  write_key vkey "$SEEDV"
}

# in_file_tmpdir: setup_file's start: in the file's own folder, the keys made.
in_file_tmpdir() {
  cd "$BATS_FILE_TMPDIR" || return 1
  unset GRID_KEY
  keys
}

# from_file_tmpdir NAME...: setup for a test: the store S and the files NAME
# (globs allowed) that setup_file made, copied into the test's folder.
from_file_tmpdir() {
  common_setup
  cp -r "$BATS_FILE_TMPDIR/S" S
  local name
  for name in "$@"; do
    # shellcheck disable=SC2086  # NAME may be a glob
    cp "$BATS_FILE_TMPDIR"/$name .
  done
  keys
}

# train_tasks STEPS EVERY [JQ-EDIT]: tasks of the train example with STEPS
# steps, a checkpoint every EVERY, and JQ-EDIT applied to the job.
train_tasks() {
  jq -c --argjson s "$1" --argjson e "$2" ".train.steps = \$s | .train.checkpoint_every = \$e | ${3:-.}" \
    "$ROOT/examples/jobs/train.json" | job-split
}

# pin_timing: a result with its run time and speed (the only fields that
# vary from run to run) fixed, so its id, and a verifier's draw, are too.
pin_timing() {
  jq -c '.timings.seconds = 1 | if .train.metrics then .train.metrics.steps_per_s = 1 else . end'
}

# sign KEY: re-sign a forged message as provider KEY.
sign() {
  grid-key sign --key "$1"
}

# hypergeometric N F Q: the chance that Q of N units drawn without
# replacement include one of F faked ones (printed to 12 digits).
hypergeometric() {
  "$PY" -c 'import sys; from math import comb
n, f, q = map(int, sys.argv[1:])
print("%.12f" % (1 - comb(n - f, q) / comb(n, q)))' "$@"
}

# binomial_interval N P: the central 99.9% interval "lo hi" of a
# binomial(N, P) count: P(X < lo) <= 0.0005 and P(X > hi) <= 0.0005.
binomial_interval() {
  "$PY" -c 'import sys; from math import comb
n, p = int(sys.argv[1]), float(sys.argv[2])
pmf = [comb(n, k) * p**k * (1 - p)**(n - k) for k in range(n + 1)]
lo, acc = 0, 0.0
while acc + pmf[lo] <= 0.0005: acc += pmf[lo]; lo += 1
hi, acc = n, 0.0
while acc + pmf[hi] <= 0.0005: acc += pmf[hi]; hi -= 1
print(lo, hi)' "$@"
}

# seal_of RESULTS KEY: the seal messages a provider commits for its results.
seal_of() {
  jq -c '{kind: "seal", v: 1, task, seal}' "$1" | sign "$2"
}
