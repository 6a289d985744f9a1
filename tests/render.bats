#!/usr/bin/env bats
# The render kind through the real binaries: Blender (Debian's) renders in
# the exec sandbox; the scene is built by examples/render/make-job. Frames
# are 64x48 at 4 samples: each Blender start costs more than its frames.

bats_require_minimum_version 1.5.0
load test_helper

setup_file() {
  cd "$BATS_FILE_TMPDIR" || return 1
  "$ROOT/examples/render/make-job" scene \
    '.render.frames.end = 4 | .render.resolution = {width: 64, height: 48} | .render.samples = 4' || return 1
  # One honest task of the 4 frames, rendered once for the tests that read it.
  job-split --key <(printf '%s\n' "$SEED1") scene/job.json >tasks.jsonl || return 1
  job-run --key <(printf '%s\n' "$SEED2") --store store --threads 2 tasks.jsonl >results.jsonl || return 1
}

setup() {
  common_setup
  F=$BATS_FILE_TMPDIR
  JOB=$(cat "$F/scene/job.json")
  write_key buyer "$SEED1"
  write_key prov "$SEED2"
  write_key verifier "$SEED3"
}

# pixels PNG: the SHA-256 of a PNG's pixels as ffmpeg decodes them (RGBA,
# rows top first): the frame's commitment, by a decoder gridutils does not use.
pixels() {
  ffmpeg -v error -i "$1" -f rawvideo -pix_fmt rgba - | sha256sum | cut -d' ' -f1
}

@test "job-split: frames cut into tasks of consecutive frames; --tasks; each field's error is 65 naming it" {
  run --separate-stderr job-split --tasks 2 <<<"$JOB"
  assert_success
  assert_jq_all '[.[].render.frames | "\(.start)-\(.end)"] | join(",")' '1-2,3-4'
  assert_jq_all '[.[].flops] | unique' '[24576]'
  while IFS=$'\t' read -r edit field; do
    run --separate-stderr job-split <<<"$(jq -c "$edit" <<<"$JOB")"
    [ "$status" = 65 ] || fail "$edit: status $status"
    stderr_has "field $field)"
  done <<'E'
.render.engine = "EEVEE"	.render.engine
.render.device = "vulkan"	.render.device
.render.frames.end = 0	.render.frames.end
.render.resolution.width = 0	.render.resolution.width
.render.samples = 0	.render.samples
.render.seed = -1	.render.seed
.render.output = "EXR"	.render.output
.render.scene.sha256 = "x"	.render.scene.sha256
.render.tiles = {x: 2}	.render.tiles.y
.render.denoise = true	.render.denoise
E
}

@test "job-split --weights: frames in proportion to each profile's render rate; a profile without one is 65" {
  for k in prov verifier; do
    jq -nc --argjson r "$([ $k = prov ] && echo 300000 || echo 100000)" \
      '{kind: "profile", v: 1, device: "cpu", summary: {exact_gemm_tflops: 1, render_samples_per_s: $r}}' |
      grid-key sign --key $k
  done >profiles.jsonl
  run --separate-stderr job-split --weights profiles.jsonl <<<"$JOB"
  assert_success
  assert_jq_all '[.[] | "\(.render.frames.start)-\(.render.frames.end) \(.provider)"] | join(",")' "1-3 $PUB2,4-4 $PUB3"
  jq -c 'del(.summary.render_samples_per_s)' profiles.jsonl | grid-key sign --key prov >gemm-only.jsonl
  run --separate-stderr job-split --weights gemm-only.jsonl <<<"$JOB"
  [ "$status" = 65 ] || fail "status $status"
  stderr_has "has no render rate"
  stderr_has "field .summary.render_samples_per_s)"
}

@test "job-run: each frame in the sandbox, committed to by its decoded pixels; stored without clocks; same bits on 1 or 2 threads" {
  cp "$F/tasks.jsonl" "$F/results.jsonl" .
  ln -s "$F/store" store
  output=$(cat results.jsonl)
  assert_jq '.render.images | length' 4
  assert_jq '.render.blender.version' 3.4.1
  assert_jq '.render.blender.build' "sha256:$(sha256sum "$(command -v blender)" | cut -d' ' -f1)"
  for i in 0 3; do
    grid-store --store store get "$(jq -r ".render.images[$i].png" results.jsonl)" >f.png
    [ "$(pixels f.png)" = "$(jq -r ".render.trace.leaves[$i]" results.jsonl)" ] || fail "frame $i's leaf is not its pixels"
    ! grep -aq 'RenderTime' f.png || fail "the stored PNG keeps its render time"
    grep -aq 'Frame' f.png || fail "the stored PNG lost its other text"
  done
  run --separate-stderr job-run --store store2 --threads 1 tasks.jsonl
  assert_success
  assert_jq '.render.trace.root' "$(jq -r .render.trace.root results.jsonl)"
  assert_jq '[.render.images[].png] | join(",")' "$(jq -r '[.render.images[].png] | join(",")' results.jsonl)"
}

@test "job-run: a tiled frame (border renders put together) has the whole frame's pixels" {
  jq -c '.render.frames.end = 1 | .render.tiles = {x: 3, y: 2}' <<<"$JOB" | job-split >tiled.jsonl
  run --separate-stderr job-run --store store tiled.jsonl
  assert_success
  assert_jq '.render.trace.leaves[0]' "$(jq -r '.render.trace.leaves[0]' "$F/results.jsonl")"
}

@test "job-run: a device this Blender lacks is 69 naming it; a scene not in the store and without URL is 66" {
  jq -c '.render.frames.end = 1 | .render.device = "optix"' <<<"$JOB" | job-split >optix.jsonl
  run --separate-stderr job-run --store store optix.jsonl
  [ "$status" = 69 ] || fail "status $status: $stderr"
  stderr_has "Blender has no optix device"
  jq -c '.render.frames.end = 1 | del(.render.scene.url)' <<<"$JOB" | job-split >nourl.jsonl
  run --separate-stderr job-run --store empty nourl.jsonl
  [ "$status" = 66 ] || fail "status $status: $stderr"
  stderr_has "field .render.scene)"
}

@test "proof-check crop: an honest result passes, every frame drawn, with the detection probability" {
  cp "$F/tasks.jsonl" "$F/results.jsonl" .
  ln -s "$F/store" store
  run --separate-stderr proof-check --key verifier --tasks tasks.jsonl --store store --mode sig,trace,crop results.jsonl
  assert_success
  assert_jq .status accept
  # 4 frames, a tenth faked is one: all 4 are drawn to reach 99%.
  assert_jq '.checked.crop.crops | length' 4
  assert_jq '.checked.crop.compare | startswith("identical pixels")' true
  assert_jq .detection_probability 1
}

@test "the flow (scripts/demo-render): gpu-bench render, split --weights, order, bid, award, run, proof-check, pay-settle, assemble" {
  run --separate-stderr "$ROOT/scripts/demo-render" "$PWD/demo" \
    '.render.frames.end = 4 | .render.resolution = {width: 64, height: 48} | .render.samples = 4'
  assert_success
  cd demo
  # gpu-bench --only gemm,render,kinds --kinds gemm: Blender, its start-up
  # and its rate, and a render task's costs beside them.
  output=$(cat profile.json)
  assert_jq '[has("gemm"), has("kinds"), has("render")] | tostring' '[true,true,true]'
  assert_jq '[.kinds.exact, .kinds.fast | keys] | tostring' '[["gemm","render"],["gemm","render"]]'
  assert_jq .render.blender.version 3.4.1
  assert_jq .render.blender.build "sha256:$(sha256sum "$(command -v blender)" | cut -d' ' -f1)"
  assert_jq '.render.blender.backends[0]' cpu
  assert_jq '.render.samples_per_s > 0 and .render.startup_seconds > 0' true
  assert_jq '.render.frame_seconds > 0 and .render.first_render_seconds >= 0' true
  assert_jq '.summary.render_samples_per_s == .render.samples_per_s' true
  assert_jq '.render.pixel_seconds >= 0' true
  assert_jq '.render.scene | tostring' '{"frames":10,"height":64,"large":{"height":256,"width":384},"samples":[1,16],"width":96}'
  # Weighted by that rate: the one provider's tasks name it.
  [ "$(jq -r .provider tasks.jsonl | sort -u)" = "$(cat provider.pub)" ] || fail "tasks not weighted to the provider"
  [ "$(wc -l <leases.jsonl)" = 1 ] || fail "$(cat leases.jsonl)"
  # The bid estimated the task by the profile's render costs: Blender's
  # start at least (from flops at the GEMM rate it was 2e-7 s), and the
  # demo shows it beside the run's time and the deadline, which was met.
  jq -e --slurpfile p profile.json '.bid.estimated_seconds >= $p[0].render.startup_seconds' leases.jsonl ||
    fail "estimated from flops: $(jq -c .bid.estimated_seconds leases.jsonl)"
  [[ $stderr == *'"estimated_seconds":'*'"deadline_met":true}'* ]] || fail "the demo does not show it: $stderr"
  run jq -s -c '[.[] | {deadline_met, shown: (.estimated_seconds > 0 and .seconds > 0)}] | unique' deadlines.jsonl
  assert_output '[{"deadline_met":true,"shown":true}]'
  run jq -s -c '[.[] | {status, modes, crops: (.checked.spot.crops | length)}] | unique' verdicts.jsonl
  assert_output '[{"status":"accept","modes":["sig","trace","spot"],"crops":4}]'
  paid=$(jq -s -r --arg p "$(cat provider.pub)" '[.[] | select(.account == $p)][0].available_micros' balances.jsonl)
  [ "$paid" -gt 10000 ] || fail "the provider was not paid: $(cat balances.jsonl)"
  run ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames,width,height -of csv=p=0 render.mp4
  assert_output 64,48,4
}

@test "examples/render/assemble: the frames into a video and a contact sheet with ffmpeg" {
  run --separate-stderr "$ROOT/examples/render/assemble" --store "$F/store" "$F/results.jsonl" out
  assert_success
  run ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames,width,height -of csv=p=0 out.mp4
  assert_output 64,48,4
  run ffprobe -v error -show_entries stream=width,height -of csv=p=0 out-sheet.png
  assert_output 256,48
}
