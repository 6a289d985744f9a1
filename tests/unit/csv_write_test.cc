#include "compute/csv_write.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include "compute/csv_matrix.h"

namespace grid {
namespace {

TEST(CsvWrite, RowsOfShortestValues) {
  Matrix m{{2, 3}, {0.1f, -2.0f, 1e-5f, 3.0f, 0.0f, -0.0f}};
  EXPECT_EQ(csv_text(m), "0.1,-2,1e-05\n3,0,-0\n");
}

TEST(CsvWrite, OneColumnForAVectorOneValueForAScalarFlattenedBeyondTwo) {
  EXPECT_EQ(csv_text(Matrix{{3}, {1, 2, 3}}), "1\n2\n3\n");
  EXPECT_EQ(csv_text(Matrix{{}, {7}}), "7\n");
  EXPECT_EQ(csv_text(Matrix{{2, 1, 2}, {1, 2, 3, 4}}), "1,2\n3,4\n");
  EXPECT_EQ(csv_text(Matrix{{0, 3}, {}}), "");
}

TEST(CsvWrite, NonFiniteValuesAsNumPyReadsThem) {
  const float inf = std::numeric_limits<float>::infinity();
  EXPECT_EQ(csv_text(Matrix{{1, 3}, {std::nanf(""), inf, -inf}}), "nan,inf,-inf\n");
}

TEST(CsvWrite, RandomValuesReadBackBitForBit) {
  const unsigned seed = 20261206;
  std::mt19937 rng(seed);
  Matrix m{{64, 7}, {}};
  for (size_t i = 0; i < 64 * 7; ++i) {
    // Any finite float32: random bits, non-finite ones redrawn.
    float f;
    do {
      const uint32_t bits = rng();
      std::memcpy(&f, &bits, sizeof f);
    } while (!std::isfinite(f));
    m.data.push_back(f);
  }
  const Matrix back = parse_csv_matrix(csv_text(m), "csv");
  ASSERT_EQ(back.shape, m.shape) << "seed " << seed;
  for (size_t i = 0; i < m.data.size(); ++i) {
    // Values too small for float32's normal range read back as 0 (csv_matrix.h).
    if (std::fpclassify(m.data[i]) == FP_SUBNORMAL) continue;
    ASSERT_EQ(std::memcmp(&back.data[i], &m.data[i], sizeof(float)), 0)
        << "seed " << seed << ", value " << i << ": " << m.data[i] << " read back as " << back.data[i];
  }
}

}  // namespace
}  // namespace grid
