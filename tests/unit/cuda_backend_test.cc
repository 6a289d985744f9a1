// The CUDA backend library and its loader (cuda_backend.h). Here, with no
// GPU, the library still loads and its calls fail as a GPU-less machine's
// do; on a GPU machine the GPU tests cover what it computes.
#include "compute/cuda_backend.h"

#include <gtest/gtest.h>

#include <cstdlib>

namespace grid {
namespace {

#if GRID_CUDA

TEST(CudaBackend, FoundBesideTheExecutableUnlessTheEnvironmentSays) {
  ::unsetenv("GRID_CUDA_BACKEND");
  const std::string path = cuda_backend_path();
  const std::string tail = "/../lib/gridutils/libgridutils-cuda.so";
  ASSERT_GE(path.size(), tail.size());
  EXPECT_EQ(path.substr(path.size() - tail.size()), tail);
  EXPECT_EQ(path[0], '/') << path;
  ::setenv("GRID_CUDA_BACKEND", "/opt/elsewhere/backend.so", 1);
  EXPECT_EQ(cuda_backend_path(), "/opt/elsewhere/backend.so");
  ::unsetenv("GRID_CUDA_BACKEND");
}

TEST(CudaBackend, TheBuiltLibraryLoadsAndAnswersAsTheRuntimeDoes) {
  ::unsetenv("GRID_CUDA_BACKEND");
  std::string why;
  const CudaBackend* b = load_cuda_backend(cuda_backend_path(), &why);
  ASSERT_NE(b, nullptr) << why;
  EXPECT_EQ(b->abi, kCudaBackendAbi);
  EXPECT_EQ(b->size, sizeof(CudaBackend));
  std::string runtime;
  if (b->device_count(&runtime) > 0) GTEST_SKIP() << "a GPU answers here: the GPU tests cover the backend";
  EXPECT_EQ(runtime.rfind("cudaGetDeviceCount: ", 0), 0u) << runtime;
  // A failure inside the library reaches the tool as the tool's own type.
  const float a = 1.5f, x = 2.0f;
  float c = 0;
  EXPECT_THROW(b->exact_gemm_host(1, 1, 1, &a, 1, &x, 1, &c, 1), DeviceError);
  EXPECT_THROW(b->facts(0), DeviceError);
}

TEST(CudaBackend, AMissingOrForeignLibraryIsRefusedWithTheReason) {
  std::string why;
  EXPECT_EQ(load_cuda_backend("/nonexistent/libgridutils-cuda.so", &why), nullptr);
  EXPECT_NE(why.find("cannot load the CUDA backend: /nonexistent/libgridutils-cuda.so"), std::string::npos) << why;
  why.clear();
  EXPECT_EQ(load_cuda_backend("libsqlite3.so.0", &why), nullptr);
  // The loader's own words say which symbol is missing.
  EXPECT_EQ(why.rfind("the CUDA backend libsqlite3.so.0 is not of this build of gridutils: ", 0), 0u) << why;
  EXPECT_NE(why.find("undefined symbol: grid_cuda_backend"), std::string::npos) << why;
}

TEST(CudaBackend, WithoutADriverNoGpuCountsAndCallsSayWhy) {
  std::string why;
  if (cuda_device_count(&why) > 0) GTEST_SKIP() << "a GPU answers here";
  EXPECT_FALSE(why.empty());
}

#else

TEST(CudaBackend, NoneInABuildWithoutCuda) { GTEST_SKIP() << "built with CUDA=0: no backend library"; }

#endif

}  // namespace
}  // namespace grid
