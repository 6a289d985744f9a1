#!/usr/bin/env bats
# make install / uninstall put every tool, man page, completion and the
# examples in their conventional places under DESTDIR, and take them all
# away again.

load test_helper

setup() { common_setup; }

@test "make install DESTDIR puts binaries, man pages, completions and examples in place; uninstall removes them" {
  stage="$BATS_TEST_TMPDIR/stage"
  # In the mode build/bin was built in: another would rebuild it under the other tests.
  mode=$(cat "$ROOT/build/.cuda-mode")
  run -0 make -s -C "$ROOT" install CUDA="$mode" DESTDIR="$stage" PREFIX=/usr/local
  for src in "$ROOT"/cmd/*.cc; do
    t=$(basename "$src" .cc)
    assert_file_executable "$stage/usr/local/bin/$t"
    assert_file_exist "$stage/usr/local/share/man/man1/$t.1"
    assert_file_exist "$stage/usr/local/share/bash-completion/completions/$t"
    assert_file_exist "$stage/usr/local/share/zsh/site-functions/_$t"
    assert_file_exist "$stage/usr/local/share/fish/vendor_completions.d/$t.fish"
    # The man page is rendered roff, not scdoc source.
    run -0 grep -q '^\.TH' "$stage/usr/local/share/man/man1/$t.1"
    run -0 "$stage/usr/local/bin/$t" --version
    assert_output --partial "gridutils"
  done
  # A CUDA build's kernels go where the tools look for them: BINDIR/../lib/gridutils.
  if [ "$mode" = 1 ]; then
    assert_file_exist "$stage/usr/local/lib/gridutils/libgridutils-cuda.so"
  fi
  # examples/ as it is in the checkout, scripts still executable, and the
  # README's commands work with it from any folder (it names them $EXAMPLES).
  ex=$stage/usr/local/share/gridutils/examples
  run -0 diff -r "$ROOT/examples" "$ex"
  assert_file_executable "$ex/cron/provider.sh"
  assert_file_executable "$ex/pricing/price.sh"
  mkdir "$BATS_TEST_TMPDIR/elsewhere"
  cd "$BATS_TEST_TMPDIR/elsewhere"
  EXAMPLES=$ex PATH="$stage/usr/local/bin:$PATH" run -0 --separate-stderr bash -c \
    'job-split $EXAMPLES/jobs/train-sweep.json > tasks.jsonl && jq -c "{index, sweep_point: .train.sweep_point, flops}" tasks.jsonl'
  assert_equal "${#lines[@]}" 6
  cd "$BATS_TEST_TMPDIR"
  run -0 make -s -C "$ROOT" uninstall CUDA="$mode" DESTDIR="$stage" PREFIX=/usr/local
  run find "$stage" -type f
  assert_output ""
}

@test "make install with another PREFIX: the crontab names that PREFIX's examples and tools" {
  stage="$BATS_TEST_TMPDIR/stage"
  mode=$(cat "$ROOT/build/.cuda-mode")
  run -0 make -s -C "$ROOT" install CUDA="$mode" DESTDIR="$stage" PREFIX=/opt/grid
  crontab=$stage/opt/grid/share/gridutils/examples/cron/crontab
  run -0 grep -E '^(EXAMPLES|PATH)=' "$crontab"
  assert_output "$(printf '%s\n' EXAMPLES=/opt/grid/share/gridutils/examples PATH=/opt/grid/bin:/usr/bin:/bin)"
  # Its provider lines name scripts that are there, under that PREFIX.
  run -0 grep -c '\$EXAMPLES/cron/provider.sh' "$crontab"
  assert_file_executable "$stage/opt/grid/share/gridutils/examples/cron/provider.sh"
  run -0 make -s -C "$ROOT" uninstall CUDA="$mode" DESTDIR="$stage" PREFIX=/opt/grid
}
