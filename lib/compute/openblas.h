// OpenBLAS, loaded on first use, with the fastest kernel the CPU can run.
//
// OpenBLAS (DYNAMIC_ARCH builds, as Debian's) picks its kernels from the
// CPU model it recognises; a model newer than the library is given the
// generic one (Prescott): on an AVX-512 Xeon, sgemm ran at a fifth of what
// the same library does with OPENBLAS_CORETYPE=SkylakeX. So before loading
// it, when the user has not set OPENBLAS_CORETYPE, we choose the core type
// from the CPU's features; the user's setting always wins. The choice is
// read by the library as it loads, so it is fixed for the process.
//
// Loaded with dlopen, not linked: the tools that never run fast mode (most
// of them, and exact mode) never map it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "compute/cpu_features.h"

namespace grid {

// The OpenBLAS 0.3.21 core types (OPENBLAS_CORETYPE names) whose sgemm
// kernels run on a CPU with these features, fastest first; Prescott, the
// x86-64 baseline, is always last. Empty off x86-64.
std::vector<std::string> openblas_cores_runnable(const CpuFeatures& f);

// The core type to ask for: the fastest runnable with AVX2 and FMA or
// better; "" (leave it to OpenBLAS) below that, where its own choice is as
// good as ours.
std::string openblas_core_choice(const CpuFeatures& f);

// The environment variable that names the library to load, and the default.
constexpr const char* kOpenblasEnv = "GRID_OPENBLAS";
constexpr const char* kOpenblasDefault = "libopenblas.so.0";

struct Openblas {
  // cblas_sgemm, with the CBLAS_* enums passed as their int values.
  void (*sgemm)(int order, int trans_a, int trans_b, int m, int n, int k, float alpha, const float* A, int lda,
                const float* B, int ldb, float beta, float* C, int ldc) = nullptr;
  void (*set_num_threads)(int) = nullptr;
  const char* (*get_corename)() = nullptr;
  std::string library;  // the file the loader mapped, as it names it
  std::string core;     // the core type that runs (openblas_get_corename)
  std::string chosen;   // the OPENBLAS_CORETYPE we set; "" when the user's or none
};

// Loads `library` (a name the loader searches for, or a path), setting
// OPENBLAS_CORETYPE to `core` while it loads unless the user has set it or
// `core` is "". Not cached: for tests. Empty, with *why set, when it
// cannot be loaded (the loader's message names the file) or lacks a symbol.
std::optional<Openblas> load_openblas(const std::string& library, const std::string& core, std::string* why);

// The library of $GRID_OPENBLAS, else libopenblas.so.0, with the core type
// chosen from cpu_features(); loaded once per process. Throws an Error of
// Exit::unavailable (69) naming the library when it cannot be loaded.
const Openblas& openblas();

}  // namespace grid
