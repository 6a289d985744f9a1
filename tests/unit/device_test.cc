#include "compute/device.h"

#include <gtest/gtest.h>

#include "code_of.h"
#include "compute/device_cuda.h"
#include "core/error.h"

namespace grid {
namespace {

Exit select_code(const std::string& spec) {
  return code_of([&] { select_device(spec); });
}

TEST(Device, CpuAndAuto) {
  EXPECT_EQ(select_device("cpu").name(), "cpu");
  Device a = select_device("auto");
  EXPECT_EQ(a.backend == Backend::cuda, cuda_device_count() > 0);
}

TEST(Device, BadSpecsAreUsageErrors) {
  for (const char* s : {"gpu", "cuda:", "cuda:x", "cuda:-1", "cuda:1x", "cuda: 0", "cuda:+0", "cuda:00", "CPU", ""})
    EXPECT_EQ(select_code(s), Exit::usage) << s;
}

TEST(Device, CudaWithoutGpuIsUnavailable) {
  if (cuda_device_count() > 0) GTEST_SKIP() << "a GPU answers here";
  EXPECT_EQ(select_code("cuda"), Exit::unavailable);
  EXPECT_EQ(select_code("cuda:0"), Exit::unavailable);
  EXPECT_FALSE(cuda_absence_reason().empty());
}

}  // namespace
}  // namespace grid
