#!/usr/bin/env bats
# Render cheats against proof-check crop: a provider (key1) renders a job's
# two frames honestly, then fakes frame 1 in each way below and re-signs;
# every fake is rejected. Honest renders at random seeds are accepted (a
# handful here; make bench runs 50: bench/render_cheats). Frames are
# 64x48 at 8 samples.

bats_require_minimum_version 1.5.0
GRIDUTILS_ROOT=${GRIDUTILS_ROOT:-$(cd "$BATS_TEST_DIRNAME/../.." && pwd)}
load ../test_helper
load forge

setup_file() {
  in_file_tmpdir || return 1
  "$ROOT/examples/render/make-job" scene \
    '.render.frames.end = 2 | .render.resolution = {width: 64, height: 48} | .render.samples = 8' || return 1
  job-split scene/job.json >tasks.jsonl || return 1
  # The honest result, and the renders the cheats take their frames from:
  # a quarter of the samples, another seed, another scene (Blender's
  # default cube), each of frame 1 only.
  blender -b --factory-startup --python-expr \
    "import bpy; bpy.ops.wm.save_as_mainfile(filepath='$PWD/other.blend')" >/dev/null 2>&1 || return 1
  local other="sha256:$(sha256sum other.blend | cut -d' ' -f1)"
  {
    jq -c '.render.samples = 2 | .render.frames.end = 1' tasks.jsonl
    jq -c '.render.seed = 8 | .render.frames.end = 1' tasks.jsonl
    jq -c --arg s "$other" --arg u "file://$PWD/other.blend" '.render.scene = {sha256: $s, url: $u} | .render.frames.end = 1' tasks.jsonl
  } | grid-key id >cheat-tasks.jsonl
  job-run --key key1 --store S tasks.jsonl cheat-tasks.jsonl >all.jsonl || return 1
  head -1 all.jsonl >honest.jsonl
  local i=0 name
  for name in quarter seed scene; do
    i=$((i + 1))
    grid-store --store S get "$(sed -n "$((i + 1))p" all.jsonl | jq -r '.render.images[0].png')" >"$name.png"
  done
  grid-store --store S get "$(jq -r '.render.images[0].png' honest.jsonl)" >frame1.png
  grid-store --store S get "$(jq -r '.render.images[1].png' honest.jsonl)" >neighbour.png
  ffmpeg -v error -i frame1.png -vf 'noise=alls=12:allf=u' -pix_fmt rgba noise.png || return 1
  ffmpeg -v error -i frame1.png -vf 'crop=iw-1:ih:0:0,pad=iw+1:ih:1:0' -pix_fmt rgba shifted.png || return 1
  ffmpeg -v error -f lavfi -i color=c=black:s=64x48 -frames:v 1 -pix_fmt rgba blank.png || return 1
}

setup() {
  common_setup
  cp -r "$BATS_FILE_TMPDIR"/{S,tasks.jsonl,honest.jsonl,*.png} .
  keys
}

# fake_frame PNG [JQ]: the honest result with frame 1 replaced by PNG (put
# in the store, its pixels' SHA-256 as the leaf, the root made again), JQ
# applied, re-signed by the provider.
fake_frame() {
  local key pixels
  key=$(grid-store --store S put "$1" | jq -r .sha256)
  pixels=$(ffmpeg -v error -i "$1" -f rawvideo -pix_fmt rgba - | sha256sum | cut -d' ' -f1)
  jq -c --arg k "$key" --arg p "$pixels" '.render.images[0].png = $k | .render.trace.leaves[0] = $p' honest.jsonl |
    "$PY" -c 'import json, sys; from merkle_reference import leaf, mth
r = json.loads(sys.stdin.read())
r["render"]["trace"]["root"] = "sha256:" + mth([leaf(h) for h in r["render"]["trace"]["leaves"]]).hex()
print(json.dumps(r))' | jq -c "${2:-.}" | sign key1
}

@test "every cheat is rejected by crop: quarter samples, a neighbour's frame, another seed, another scene, noise, a one-pixel shift, a blank frame" {
  for name in quarter neighbour seed scene noise shifted blank; do fake_frame "$name.png"; done >forged.jsonl
  run --separate-stderr proof-check --key vkey --tasks tasks.jsonl --store S --mode sig,trace,crop forged.jsonl
  [ "$status" = 1 ] || fail "status $status: $stderr"
  [ "$(wc -l <<<"$output")" = 7 ] || fail "$output"
  while read -r v; do
    [ "$(jq -r .status <<<"$v")" = reject ] || fail "a cheat passed: $v"
    [[ $(jq -r .reason <<<"$v") == *"crop: frame 1, crop "*"the pixels differ from a re-render"* ]] || fail "$(jq -r .reason <<<"$v")"
  done <<<"$output"
}

@test "the frames a result names must be the task's, and the stored frame its leaf" {
  # Frame 2 claimed at frame 1's place with frame 1's leaf: the stored PNG
  # no longer hashes to the leaf.
  jq -c '.render.images[0].png = .render.images[1].png' honest.jsonl | sign key1 >swapped.jsonl
  jq -c '.render.samples = 2' honest.jsonl | sign key1 >fewer.jsonl
  run --separate-stderr proof-check --key vkey --tasks tasks.jsonl --store S --mode crop swapped.jsonl fewer.jsonl
  [ "$status" = 1 ] || fail "status $status: $stderr"
  assert_jq_all '[.[].status] | unique' '["reject"]'
  assert_jq_all '.[0].reason' "crop: the stored frame 1's pixels do not hash to its leaf"
  assert_jq_all '.[1].reason' 'crop: samples 2, the task'"'"'s is 8'
}

@test "across Blender builds (tolerance): a blank frame and another scene are still rejected, the honest frames pass" {
  other='.render.blender.build = "sha256:" + ("1" * 64)'
  { jq -c "$other" honest.jsonl | sign key1; fake_frame blank.png "$other"; fake_frame scene.png "$other"; } >builds.jsonl
  run --separate-stderr proof-check --key vkey --tasks tasks.jsonl --store S --mode crop builds.jsonl
  [ "$status" = 1 ] || fail "status $status: $stderr"
  assert_jq_all '[.[].status] | join(",")' 'accept,reject,reject'
  # 8 samples: 20 + 10 log10(8 / 16) dB.
  assert_jq_all '.[0].checked.crop.compare | startswith("PSNR >= 16.99 dB and SSIM >= 0.2")' true
  assert_jq_all '.[1].reason | test("crop: frame 1, crop .*: PSNR .* below the threshold")' true
}

@test "honest renders at random seeds are never rejected (a handful; make bench runs 50)" {
  local seeds=() s
  for _ in 1 2; do seeds+=($((RANDOM * 32768 + RANDOM))); done
  echo "# seeds: ${seeds[*]}" >&3
  for s in "${seeds[@]}"; do jq -c --argjson s "$s" '.render.seed = $s | .render.frames.end = 1' tasks.jsonl; done |
    grid-key id >seeded.jsonl
  job-run --key key1 --store S seeded.jsonl >seeded-results.jsonl
  run --separate-stderr proof-check --key vkey --tasks seeded.jsonl --store S seeded-results.jsonl
  assert_success
  assert_jq_all '[.[].status] | unique' '["accept"]'
}
