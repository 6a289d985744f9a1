// The tools' side of the CUDA backend (cuda_backend.h): find and load
// libgridutils-cuda.so once, and forward device_cuda.h's and
// gpu_bench_cuda.h's functions to it.
#include "compute/cuda_backend.h"

#if GRID_CUDA

#include <cuda.h>
#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <climits>

namespace grid {
namespace {

std::string dl_error() {
  const char* e = ::dlerror();
  return e ? e : "the dynamic loader gave no reason";
}

// The NVIDIA driver's own count, through libcuda.so.1 opened here: no
// driver (most machines a verifier runs on) is known without loading the
// backend. 0 with *why set when there is no driver or it answers none.
int driver_device_count(std::string* why) {
  struct Driver {
    CUresult (*init)(unsigned) = nullptr;
    CUresult (*count)(int*) = nullptr;
    CUresult (*error_string)(CUresult, const char**) = nullptr;
    std::string missing;
  };
  static const Driver d = [] {
    Driver r;
    void* h = ::dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!h) {
      r.missing = "no NVIDIA driver: " + dl_error();
      return r;
    }
    ::dlerror();  // clear a stale error: the one read below must be dlsym's
    r.init = reinterpret_cast<CUresult (*)(unsigned)>(::dlsym(h, "cuInit"));
    r.count = reinterpret_cast<CUresult (*)(int*)>(::dlsym(h, "cuDeviceGetCount"));
    r.error_string = reinterpret_cast<CUresult (*)(CUresult, const char**)>(::dlsym(h, "cuGetErrorString"));
    if (!r.init || !r.count)
      r.missing = "the NVIDIA driver's libcuda.so.1 lacks cuInit or cuDeviceGetCount: " + dl_error();
    return r;
  }();
  auto say = [&](const char* call, CUresult rc) {
    const char* text = nullptr;
    if (d.error_string) d.error_string(rc, &text);
    if (why) *why = std::string(call) + ": " + (text ? text : "unknown error") + " (error " + std::to_string(rc) + ")";
    return 0;
  };
  if (!d.missing.empty()) {
    if (why) *why = d.missing;
    return 0;
  }
  if (CUresult rc = d.init(0); rc != CUDA_SUCCESS) return say("cuInit", rc);
  int n = 0;
  if (CUresult rc = d.count(&n); rc != CUDA_SUCCESS) return say("cuDeviceGetCount", rc);
  if (n == 0 && why) *why = "cuDeviceGetCount: no device";
  return n;
}

const CudaBackend& need(const char* what) {
  std::string why;
  if (const CudaBackend* b = cuda_backend(&why)) return *b;
  throw DeviceError(std::string(what) + ": " + why);
}

}  // namespace

std::string cuda_backend_path() {
  if (const char* p = std::getenv("GRID_CUDA_BACKEND"); p && *p) return p;
  char exe[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe);
  // Never a path relative to the working folder: whoever owns that folder
  // would choose the code loaded.
  if (n <= 0 || n >= static_cast<ssize_t>(sizeof exe) || exe[0] != '/') return "";
  const std::string self(exe, static_cast<size_t>(n));
  return self.substr(0, self.find_last_of('/')) + "/../lib/gridutils/libgridutils-cuda.so";
}

const CudaBackend* load_cuda_backend(const std::string& path, std::string* why) {
  if (path.empty()) {
    if (why) *why = "cannot load the CUDA backend: this program's own path is unknown (/proc/self/exe)";
    return nullptr;
  }
  void* h = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    if (why) *why = "cannot load the CUDA backend: " + dl_error();
    return nullptr;
  }
  // dlerror() holds the last failure until read: clear it, or a stale one
  // (from any earlier dl call in the process) would be reported as dlsym's.
  ::dlerror();
  auto entry = reinterpret_cast<const CudaBackend* (*)()>(::dlsym(h, "grid_cuda_backend"));
  if (!entry) {
    if (why) *why = "the CUDA backend " + path + " is not of this build of gridutils: " + dl_error();
    ::dlclose(h);
    return nullptr;
  }
  const CudaBackend* b = entry();
  if (!b || b->abi != kCudaBackendAbi || b->size != sizeof(CudaBackend) || !b->build ||
      std::string(b->build) != kCudaBackendBuild) {
    if (why) *why = "the CUDA backend " + path + " is not of this build of gridutils";
    ::dlclose(h);
    return nullptr;
  }
  return b;  // never closed: its kernels stay registered for the process
}

const CudaBackend* cuda_backend(std::string* why) {
  static std::string failed;
  static const CudaBackend* const b = load_cuda_backend(cuda_backend_path(), &failed);
  if (!b && why) *why = failed;
  return b;
}

// device_cuda.h: a GPU counts only when the driver sees it and the backend
// that drives it loads.
CudaProbe cuda_probe() {
  CudaProbe p;
  p.seen = driver_device_count(&p.why);
  if (p.seen == 0) return p;
  if (const CudaBackend* b = cuda_backend(&p.why)) p.usable = b->device_count(&p.why);
  return p;
}

int cuda_device_count(std::string* why) {
  CudaProbe p = cuda_probe();
  if (why) *why = std::move(p.why);
  return p.usable;
}

void exact_gemm_cuda(int m, int n, int k, const float* A, int lda, const float* B, int ldb, float* C, int ldc,
                     void* stream) {
  need("exact_gemm_cuda").exact_gemm(m, n, k, A, lda, B, ldb, C, ldc, stream);
}

void exact_gemm_cuda_host(int m, int n, int k, const float* A, int lda, const float* B, int ldb, float* C, int ldc) {
  need("exact_gemm_cuda_host").exact_gemm_host(m, n, k, A, lda, B, ldb, C, ldc);
}

void fast_gemm_cuda_host(bool trans_a, bool trans_b, int m, int n, int k, const float* A, int lda, const float* B,
                         int ldb, float* C, int ldc) {
  need("fast_gemm_cuda_host").fast_gemm_host(trans_a, trans_b, m, n, k, A, lda, B, ldb, C, ldc);
}

void exact_unary_cuda_host(ExactUnary op, const float* in, float* out, std::size_t n) {
  need("exact_unary_cuda_host").exact_unary_host(op, in, out, n);
}

void exact_binary_cuda_host(ExactBinary op, const float* a, const float* b, float* out, std::size_t n) {
  need("exact_binary_cuda_host").exact_binary_host(op, a, b, out, n);
}

// gpu_bench_cuda.h
bool cuda_gemm_supported(int dev, CudaGemm g) { return need("cuda_gemm_supported").gemm_supported(dev, g); }

CudaGemmRun cuda_gemm_run(int dev, CudaGemm g, int m, int n, int k, const float* A, const float* B,
                          const std::vector<std::pair<int, int>>& sample_at, int warmup, int reps) {
  return need("cuda_gemm_run").gemm_run(dev, g, m, n, k, A, B, sample_at, warmup, reps);
}

double cuda_exact_gemm_timed(int dev, int m, int n, int k, const float* A, const float* B, float* C) {
  return need("cuda_exact_gemm_timed").exact_gemm_timed(dev, m, n, k, A, B, C);
}

std::vector<double> cuda_time_copy(int dev, size_t bytes, int warmup, int reps) {
  return need("cuda_time_copy").time_copy(dev, bytes, warmup, reps);
}

std::vector<double> cuda_time_triad(int dev, size_t bytes, int warmup, int reps) {
  return need("cuda_time_triad").time_triad(dev, bytes, warmup, reps);
}

std::vector<double> cuda_time_h2d(int dev, size_t bytes, int warmup, int reps) {
  return need("cuda_time_h2d").time_h2d(dev, bytes, warmup, reps);
}

std::vector<double> cuda_time_d2h(int dev, size_t bytes, int warmup, int reps) {
  return need("cuda_time_d2h").time_d2h(dev, bytes, warmup, reps);
}

NcclRun cuda_nccl_allreduce(size_t bytes, int warmup, int reps) {
  return need("cuda_nccl_allreduce").nccl_allreduce(bytes, warmup, reps);
}

CudaFacts cuda_facts(int dev) { return need("cuda_facts").facts(dev); }

// mlp_cuda.h
MlpCudaState* mlp_cuda_create(const MlpCudaSetup& setup) { return need("mlp_cuda_create").mlp_create(setup); }

void mlp_cuda_destroy(MlpCudaState* s) {
  // Only a state the backend made reaches here, so the backend is loaded.
  if (s) cuda_backend(nullptr)->mlp_destroy(s);
}

void mlp_cuda_upload(MlpCudaState* s, const std::vector<std::vector<float>>& params,
                     const std::vector<std::vector<float>>& slots) {
  need("mlp_cuda_upload").mlp_upload(s, params, slots);
}

void mlp_cuda_download(MlpCudaState* s, std::vector<std::vector<float>>* params,
                       std::vector<std::vector<float>>* slots) {
  need("mlp_cuda_download").mlp_download(s, params, slots);
}

void mlp_cuda_step(MlpCudaState* s, const MlpCudaStep& step) { need("mlp_cuda_step").mlp_step(s, step); }

float mlp_cuda_loss(MlpCudaState* s) { return need("mlp_cuda_loss").mlp_loss(s); }

std::string cuda_nccl_unique_id() { return need("cuda_nccl_unique_id").nccl_unique_id(); }

NcclRun cuda_nccl_allreduce_rank(const std::string& unique_id, int rank, int size, int dev, size_t bytes, int warmup,
                                 int reps) {
  return need("cuda_nccl_allreduce_rank").nccl_allreduce_rank(unique_id, rank, size, dev, bytes, warmup, reps);
}

// nccl_cuda.h
void cuda_use_device(int dev) { need("cuda_use_device").use_device(dev); }

NcclSumState* nccl_sum_create(const std::string& unique_id, int rank, int size, int dev) {
  return need("nccl_sum_create").nccl_sum_create(unique_id, rank, size, dev);
}

void nccl_sum_destroy(NcclSumState* s) {
  // Only a state the backend made reaches here, so the backend is loaded.
  if (s) cuda_backend(nullptr)->nccl_sum_destroy(s);
}

void nccl_sum_host(NcclSumState* s, float* data, size_t count) { need("nccl_sum_host").nccl_sum_host(s, data, count); }

}  // namespace grid

#endif  // GRID_CUDA
