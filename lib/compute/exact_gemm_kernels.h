// The exact GEMM's micro-kernels (compute/exact_gemm.h), one row each: the
// driver (exact_gemm.cc) packs A and B into the panels a kernel reads and
// hands it one tile of C at a time.
#pragma once

#include <cstddef>

#include "compute/exact_gemm.h"

namespace grid {

// Runs the chains of one mr x nr tile of C for kc steps. `a` holds kc
// groups of mr values (column p of the tile's A rows), `b` kc groups of nr
// values (row p of its B columns). Each chain resumes from its value in
// `in` (rows ld_in apart: a later K block), or starts from +0 when `in` is
// null, and ends in `out` (rows ld_out apart), which may be `in`. Each
// output gets exactly one fma per step, in step order: the DEFINITION's
// chain.
using MicroKernelFn = void (*)(int kc, const float* a, const float* b, const float* in, std::ptrdiff_t ld_in,
                               float* out, std::ptrdiff_t ld_out);

struct MicroKernel {
  GemmKernel kernel;
  int mr, nr;  // the tile
  int kc;      // K block: one kc x nr panel of B stays in L1 while A panels stream past
  MicroKernelFn run;
};

// The row of `kernel`, which must not be best (exact_gemm_kernel resolves it).
const MicroKernel& micro_kernel(GemmKernel kernel);

}  // namespace grid
