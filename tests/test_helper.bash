# Shared setup for the BATS suites: bats-support, bats-assert, bats-file
# from Debian's packages, the freshly built tools first on PATH, and a
# private temporary folder per test.
bats_require_minimum_version 1.5.0
load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'
load '/usr/lib/bats/bats-file/load'

ROOT="${GRIDUTILS_ROOT:-$(cd "$BATS_TEST_DIRNAME/.." && pwd)}"
export PATH="$ROOT/build/bin:$PATH"

common_setup() {
  cd "$BATS_TEST_TMPDIR" || return 1
  unset GRID_KEY
}
