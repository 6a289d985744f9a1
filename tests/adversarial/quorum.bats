#!/usr/bin/env bats
# Providers against the quorum: one who copies another's published result
# under its own key (counted once only when seals were committed before the
# reveal, with --seals), and a colluding pair agreeing on a wrong answer
# (quorum follows the majority; pinpoint still names the honest one).

bats_require_minimum_version 1.5.0
GRIDUTILS_ROOT=${GRIDUTILS_ROOT:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
load ../test_helper
source "$BATS_TEST_DIRNAME/forge.bash"

# A 40-step task (4 segments) run honestly by providers 1 and 2.
setup_file() {
  in_file_tmpdir
  train_tasks 40 10 >tasks.jsonl
  job-run --store S --key key1 tasks.jsonl >r1.jsonl
  job-run --store S --key key2 tasks.jsonl >r2.jsonl
}

setup() {
  from_file_tmpdir tasks.jsonl r1.jsonl r2.jsonl
}

@test "job-run seals each result: SHA-256 over its signer, task and output" {
  want=$(printf 'gridutils seal v1\n%s\n%s\n%s' "$PUB1" "$(jq -r .task r1.jsonl)" "$(jq -r .train.final.state_sha256 r1.jsonl)" |
    sha256sum | cut -c1-64)
  assert_equal "$(jq -r .seal r1.jsonl)" "sha256:$want"
  # Honest providers agree on the output, not on the seal.
  assert_equal "$(jq -r .train.final.state_sha256 r2.jsonl)" "$(jq -r .train.final.state_sha256 r1.jsonl)"
  [ "$(jq -r .seal r2.jsonl)" != "$(jq -r .seal r1.jsonl)" ]
}

@test "a copier who re-signs another's result but keeps its seal is rejected and not counted" {
  sign key3 <r1.jsonl >copy.jsonl
  run -1 --separate-stderr check --mode sig,quorum r1.jsonl copy.jsonl
  assert_jq_all 'map(.status) | tostring' '["inconclusive","reject"]'
  assert_jq_all '.[1].reason' "quorum: its seal $(jq -r .seal r1.jsonl) is not the seal of its signer, task and output"
  assert_jq_all '.[0].reason' "quorum: no output of task $(jq -r .task r1.jsonl) has 2 distinct providers (the most is 1 of 1)"
}

@test "a copier who reseals for its own key: counted without --seals (documented), counted for nothing with them" {
  forge reseal "$PUB3" <r1.jsonl | sign key3 >copy.jsonl
  # Without commitments a copy cannot be told from agreement: k = 2 is reached.
  run -0 --separate-stderr check --mode sig,quorum r1.jsonl copy.jsonl
  assert_jq_all 'map(.status) | tostring' '["accept","accept"]'
  # The honest provider committed its seal before the reveal; the copier
  # saw the output only after, so it has no committed seal.
  seal_of r1.jsonl key1 >seals.jsonl
  run -1 --separate-stderr check --mode sig,quorum --seals seals.jsonl r1.jsonl copy.jsonl
  assert_jq_all 'map(.status) | tostring' '["inconclusive","reject"]'
  assert_jq_all '.[1].reason | test("^quorum: its seal sha256:[0-9a-f]{64} is not in --seals: not committed before the results were revealed")' true
  assert_jq_all '.[0].checked.quorum | [.providers, .agree] | tostring' '[1,1]'
  # With a second honest provider who committed too: the honest pair wins, the copy still counts for nothing.
  seal_of r2.jsonl key2 >>seals.jsonl
  run -1 --separate-stderr check --mode sig,quorum --seals seals.jsonl r1.jsonl copy.jsonl r2.jsonl
  assert_jq_all 'map(.status) | tostring' '["accept","reject","accept"]'
  assert_jq_all '.[0].checked.quorum | [.k, .providers, .agree] | tostring' '[2,2,2]'
  # Committing the honest provider's seal under its own key does not help the copier.
  jq -c 'del(.sig, .id)' seals.jsonl | head -1 | sign key3 >>seals.jsonl
  run -1 --separate-stderr check --mode sig,quorum --seals seals.jsonl copy.jsonl
  assert_jq .status reject
  # --k 3 with the copier excluded: nobody wins.
  run -1 --separate-stderr check --mode sig,quorum --k 3 --seals seals.jsonl r1.jsonl copy.jsonl r2.jsonl
  assert_jq_all 'map(.status) | tostring' '["inconclusive","reject","inconclusive"]'
}

@test "--seals: an unsigned or badly signed seal is untrusted input (65); a result with no seal does not count" {
  jq -c '{kind: "seal", v: 1, task, seal}' r1.jsonl | grid-key id >unsigned.jsonl
  run -65 --separate-stderr check --mode quorum --seals unsigned.jsonl r1.jsonl
  stderr_matches 'input line 1 of unsigned\.jsonl, field \.sig'
  # Content changed after signing: the id no longer matches, and the error
  # names it; with the id remade over the change, the signature is what fails.
  seal_of r1.jsonl key1 | jq -c '.seal = "sha256:" + ("00" * 32)' >tampered.jsonl
  run -65 --separate-stderr check --mode quorum --seals tampered.jsonl r1.jsonl
  stderr_matches 'input line 1 of tampered\.jsonl, field \.id'
  grid-key id <tampered.jsonl >reided.jsonl
  run -65 --separate-stderr check --mode quorum --seals reided.jsonl r1.jsonl
  stderr_matches 'bad signature.*input line 1 of reided\.jsonl, field \.sig'
  jq -c '{kind: "seal", v: 1, task}' r1.jsonl | sign key1 >noseal.jsonl
  run -65 --separate-stderr check --mode quorum --seals noseal.jsonl r1.jsonl
  stderr_matches 'field \.seal\)$'
  # A result made before seals existed: counted without --seals, not with them.
  jq -c 'del(.seal)' r1.jsonl | sign key1 >old1.jsonl
  jq -c 'del(.seal)' r2.jsonl | sign key2 >old2.jsonl
  run -0 --separate-stderr check --mode quorum old1.jsonl old2.jsonl
  assert_jq_all 'map(.status) | unique | tostring' '["accept"]'
  seal_of r1.jsonl key1 >seals.jsonl
  run -1 --separate-stderr check --mode quorum --seals seals.jsonl old1.jsonl r1.jsonl
  assert_jq_all '.[0].reason' 'quorum: it carries no seal; with --seals only results sealed before the reveal count'
}

@test "a colluding pair agreeing on a wrong answer wins a k=2 quorum, but pinpoint names the honest result" {
  # Providers 2 and 3 both commit to a trace that goes wrong at step 17, seals and all.
  forge diverge 17 <r1.jsonl >wrong.jsonl
  forge reseal "$PUB2" <wrong.jsonl | sign key2 >c2.jsonl
  forge reseal "$PUB3" <wrong.jsonl | sign key3 >c3.jsonl
  cat r1.jsonl c2.jsonl c3.jsonl >all.jsonl
  { seal_of r1.jsonl key1; seal_of c2.jsonl key2; seal_of c3.jsonl key3; } >seals.jsonl
  # Quorum counts heads: the honest result is the one rejected (a known limit of voting).
  run -1 --separate-stderr check --tasks tasks.jsonl --mode sig,quorum --seals seals.jsonl all.jsonl
  assert_jq_all 'map(.status) | tostring' '["reject","accept","accept"]'
  # Pinpoint re-runs one segment and names the honest result against each colluder.
  honest=$(jq -r .id r1.jsonl)
  run -1 --separate-stderr check --tasks tasks.jsonl --mode sig,pinpoint all.jsonl
  assert_jq_all 'map(.status) | tostring' '["accept","reject","reject"]'
  assert_jq_all '.[1].reason' "pinpoint: step 17: its state hash differs from re-execution; $honest ($PUB1) has the right one"
  assert_jq_all '.[2].reason' "pinpoint: step 17: its state hash differs from re-execution; $honest ($PUB1) has the right one"
  assert_jq_all '.[0].checked.pinpoint.disputes | map([.provider, .first_differing_step, .rerun_from, .honest]) | tostring' \
    "[[\"$PUB2\",17,10,\"$honest\"],[\"$PUB3\",17,10,\"$honest\"]]"
  # And spot alone catches each colluder once segment 1 (steps 10..20) is drawn.
  run -1 --separate-stderr check --tasks tasks.jsonl --samples 4 c2.jsonl
  assert_reason '^spot: segment 1 \(steps 10\.\.20\): the state after step 17 differs from leaf 17$'
}

@test "a provider that signs two outputs for one task is rejected and counts for neither" {
  # Provider 1 signs the honest output and a wrong one; provider 2 the wrong
  # one, provider 3 the honest one. Counting provider 1 on both sides gave
  # each output 2 providers, and every verdict was inconclusive.
  forge diverge 17 <r1.jsonl >wrong.jsonl
  forge reseal "$PUB1" <wrong.jsonl | sign key1 >b1.jsonl
  forge reseal "$PUB2" <wrong.jsonl | sign key2 >b2.jsonl
  forge reseal "$PUB3" <r1.jsonl | sign key3 >a3.jsonl
  cat r1.jsonl b1.jsonl b2.jsonl a3.jsonl >all.jsonl
  run -1 --separate-stderr check --mode sig,quorum all.jsonl
  assert_jq_all 'map(.status) | tostring' '["reject","reject","inconclusive","inconclusive"]'
  assert_jq_all '.[0].reason' "quorum: its signer signed 2 different outputs for task $(jq -r .task r1.jsonl): at most one can be right, and it counts for none"
  assert_jq_all '.[2].reason' "quorum: no output of task $(jq -r .task r1.jsonl) has 2 distinct providers (the most is 1 of 2)"
  # With provider 2 honest too, the honest output has its quorum without provider 1.
  sign key2 <r2.jsonl >a2.jsonl
  run -1 --separate-stderr check --mode sig,quorum r1.jsonl b1.jsonl a2.jsonl a3.jsonl
  assert_jq_all 'map(.status) | tostring' '["reject","reject","accept","accept"]'
}
