#!/usr/bin/env bats
# make install / uninstall put every tool, man page and completion in its
# conventional place under DESTDIR, and take them all away again.

load test_helper

setup() { common_setup; }

@test "make install DESTDIR puts binaries, man pages and completions in place; uninstall removes them" {
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
  run -0 make -s -C "$ROOT" uninstall CUDA="$mode" DESTDIR="$stage" PREFIX=/usr/local
  run find "$stage" -type f
  assert_output ""
}
