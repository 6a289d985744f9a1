#include "compute/device.h"

#include <gtest/gtest.h>

#include "compute/device_cuda.h"
#include "core/error.h"

namespace grid {
namespace {

Exit code_of(const std::string& spec) {
  try {
    select_device(spec);
  } catch (const Error& e) {
    return e.code();
  }
  return Exit::ok;
}

TEST(Device, CpuAndAuto) {
  EXPECT_EQ(select_device("cpu").name(), "cpu");
  Device a = select_device("auto");
  EXPECT_EQ(a.backend == Backend::cuda, cuda_device_count() > 0);
}

TEST(Device, BadSpecsAreUsageErrors) {
  for (const char* s : {"gpu", "cuda:", "cuda:x", "cuda:-1", "cuda:1x", "cuda: 0", "cuda:+0", "cuda:00", "CPU", ""})
    EXPECT_EQ(code_of(s), Exit::usage) << s;
}

TEST(Device, CudaWithoutGpuIsUnavailable) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a GPU answers here";
  EXPECT_EQ(code_of("cuda"), Exit::unavailable);
  EXPECT_EQ(code_of("cuda:0"), Exit::unavailable);
  EXPECT_FALSE(cuda_absence_reason().empty());
}

}  // namespace
}  // namespace grid
