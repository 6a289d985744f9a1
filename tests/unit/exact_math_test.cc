#include "exact_math.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <vector>

namespace grid {
namespace {

const std::uint32_t kSeed = 20240611;
const double kMaxUlp = 2.0;  // the accuracy target of exact_exp / exact_log

// Distance between got and the exact value ref, in units of the float spacing
// at ref (subnormal spacing below 2^-126). A float Inf counts as 2^128, unless
// ref itself rounds to Inf, which is a correct overflow.
double ulp_error(float got, double ref) {
  if (std::isinf(got) && std::isinf(static_cast<float>(ref)) && (got > 0) == (ref > 0)) return 0;
  if (std::isinf(ref)) return std::isinf(got) && (got > 0) == (ref > 0) ? 0 : INFINITY;
  double g = std::isinf(got) ? std::copysign(std::ldexp(1.0, 128), got) : got;
  int e = ref == 0 ? -126 : std::max(std::ilogb(ref), -126);
  return std::fabs(g - ref) / std::ldexp(1.0, e - 23);
}

struct Worst {
  double ulp = 0;
  float x = 0;
  void update(double u, float at) {
    if (u > ulp) ulp = u, x = at;
  }
};

float random_bits_float(std::mt19937& rng) {
  std::uint32_t u = static_cast<std::uint32_t>(rng());
  return bits_float(u);
}

TEST(ExactMath, ExpWithinTwoUlpOfDouble) {
  std::mt19937 rng(kSeed);
  std::uniform_real_distribution<float> in_range(-104.0f, 89.0f);
  Worst worst;
  for (int i = 0; i < 1000000; ++i) {
    float x = i % 3 == 2 ? random_bits_float(rng) : in_range(rng);
    float got = exact_exp(x);
    if (std::isnan(x)) {
      ASSERT_TRUE(std::isnan(got)) << "seed " << kSeed << " x=" << x;
      continue;
    }
    worst.update(ulp_error(got, std::exp(static_cast<double>(x))), x);
  }
  EXPECT_LE(worst.ulp, kMaxUlp) << "seed " << kSeed << " worst x=" << std::hexfloat << worst.x;
  std::printf("exact_exp: max error %.3f ulp at %a\n", worst.ulp, worst.x);
}

TEST(ExactMath, LogWithinTwoUlpOfDouble) {
  std::mt19937 rng(kSeed + 1);
  std::uniform_real_distribution<float> near_one(0.5f, 2.0f);
  Worst worst;
  for (int i = 0; i < 1000000; ++i) {
    float x = i % 3 == 2 ? near_one(rng) : std::fabs(random_bits_float(rng));
    float got = exact_log(x);
    if (std::isnan(x)) {
      ASSERT_TRUE(std::isnan(got)) << "seed " << kSeed + 1 << " x=" << x;
      continue;
    }
    worst.update(ulp_error(got, std::log(static_cast<double>(x))), x);
  }
  EXPECT_LE(worst.ulp, kMaxUlp) << "seed " << kSeed + 1 << " worst x=" << std::hexfloat
                                << worst.x;
  std::printf("exact_log: max error %.3f ulp at %a\n", worst.ulp, worst.x);
}

TEST(ExactMath, ExpSpecialValues) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(float_bits(exact_exp(0.0f)), float_bits(1.0f));
  EXPECT_EQ(float_bits(exact_exp(-0.0f)), float_bits(1.0f));
  EXPECT_EQ(float_bits(exact_exp(inf)), float_bits(inf));
  EXPECT_EQ(float_bits(exact_exp(-inf)), float_bits(0.0f));
  EXPECT_TRUE(std::isnan(exact_exp(nan)));
  EXPECT_TRUE(std::isnan(exact_exp(-nan)));
  EXPECT_EQ(exact_exp(FLT_TRUE_MIN), 1.0f);
  EXPECT_EQ(exact_exp(-FLT_TRUE_MIN), 1.0f);
  EXPECT_EQ(exact_exp(FLT_MAX), inf);
  EXPECT_EQ(float_bits(exact_exp(-FLT_MAX)), float_bits(0.0f));
  // The last finite result and the first overflow.
  EXPECT_LE(ulp_error(exact_exp(0x1.62e42ep+6f), std::exp(0x1.62e42ep+6)), kMaxUlp);
  EXPECT_TRUE(std::isfinite(exact_exp(0x1.62e42ep+6f)));
  EXPECT_EQ(exact_exp(0x1.62e430p+6f), inf);
  // Across the normal/subnormal boundary and down to the last subnormal.
  const float edges[] = {-87.0f, -87.3365f, -87.33655f, -87.3366f, -88.0f, -100.0f,
                         -103.0f, -103.27893f, -103.9f, -103.972f, -103.97208f,
                         -103.9721f, -104.0f, 1e-30f, -1e-30f, 1e-7f, 0.5f, 1.0f,
                         -1.0f, 0.34657359f, -0.34657359f, 10.0f, 88.0f, 88.7228f};
  for (float x : edges) {
    EXPECT_LE(ulp_error(exact_exp(x), std::exp(static_cast<double>(x))), kMaxUlp)
        << std::hexfloat << x;
  }
  EXPECT_EQ(float_bits(exact_exp(-104.0f)), float_bits(0.0f));
  EXPECT_GT(exact_exp(-103.9f), 0.0f);
}

TEST(ExactMath, LogSpecialValues) {
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(float_bits(exact_log(1.0f)), float_bits(0.0f));
  EXPECT_EQ(exact_log(0.0f), -inf);
  EXPECT_EQ(exact_log(-0.0f), -inf);
  EXPECT_EQ(exact_log(inf), inf);
  EXPECT_TRUE(std::isnan(exact_log(-inf)));
  EXPECT_TRUE(std::isnan(exact_log(-1.0f)));
  EXPECT_TRUE(std::isnan(exact_log(-FLT_TRUE_MIN)));
  EXPECT_TRUE(std::isnan(exact_log(nan)));
  const float edges[] = {FLT_TRUE_MIN, 2 * FLT_TRUE_MIN, 0x1.fffffcp-127f, FLT_MIN,
                         0x1.000002p-126f, FLT_MAX, 0x1.6a09e6p+0f, 0x1.6a09e8p+0f,
                         0x1.6a09e6p-1f, 0x1.fffffep-1f, 0x1.000002p+0f, 2.0f, 0.5f,
                         2.7182817f, 10.0f, 1e-30f, 1e30f, 0x1.6a09e6p-140f};
  for (float x : edges) {
    EXPECT_LE(ulp_error(exact_log(x), std::log(static_cast<double>(x))), kMaxUlp)
        << std::hexfloat << x;
  }
}

// add, mul, div and sqrt of floats done in double and rounded once to float
// are correctly rounded (double has more than 2*24+2 bits), so the exact ops
// must match them bit for bit.
TEST(ExactMath, BasicOpsAreCorrectlyRounded) {
  std::mt19937 rng(kSeed + 2);
  for (int i = 0; i < 200000; ++i) {
    float a = random_bits_float(rng), b = random_bits_float(rng);
    if (std::isnan(a) || std::isnan(b)) continue;
    double da = a, db = b;
    float want[] = {static_cast<float>(da + db), static_cast<float>(da * db),
                    static_cast<float>(da / db), static_cast<float>(std::sqrt(std::fabs(da)))};
    float got[] = {exact_add(a, b), exact_mul(a, b), exact_div(a, b),
                   exact_sqrt(std::fabs(a))};
    for (int op = 0; op < 4; ++op) {
      if (std::isnan(want[op])) {
        ASSERT_TRUE(std::isnan(got[op]));
      } else {
        ASSERT_EQ(float_bits(got[op]), float_bits(want[op]))
            << "seed " << kSeed + 2 << " op " << op << " a=" << std::hexfloat << a
            << " b=" << b;
      }
    }
  }
  // (1+2^-12)^2 - 1 = 2^-11 + 2^-24: a separate multiply would round the
  // 2^-24 away (tie to even), only a single rounding keeps it.
  EXPECT_EQ(float_bits(exact_fma(0x1.001p0f, 0x1.001p0f, -1.0f)), float_bits(0x1.0008p-11f));
}

TEST(ExactMath, Relu) {
  EXPECT_EQ(float_bits(exact_relu(-0.0f)), float_bits(0.0f));
  EXPECT_EQ(float_bits(exact_relu(-1.0f)), float_bits(0.0f));
  EXPECT_EQ(float_bits(exact_relu(-std::numeric_limits<float>::infinity())), float_bits(0.0f));
  EXPECT_EQ(exact_relu(FLT_TRUE_MIN), FLT_TRUE_MIN);
  EXPECT_EQ(exact_relu(3.5f), 3.5f);
  EXPECT_TRUE(std::isnan(exact_relu(std::numeric_limits<float>::quiet_NaN())));
  EXPECT_TRUE(std::isnan(exact_relu(-std::numeric_limits<float>::quiet_NaN())));
}

TEST(ExactMath, UnaryDispatchAndRepeatedRunsAgree) {
  std::mt19937 rng(kSeed + 3);
  std::vector<float> xs(100000);
  for (float& x : xs) x = random_bits_float(rng);
  const ExactUnary ops[] = {ExactUnary::exp, ExactUnary::log, ExactUnary::sqrt,
                            ExactUnary::relu};
  for (ExactUnary op : ops) {
    for (float x : xs) {
      float once = exact_unary(op, x), again = exact_unary(op, x);
      float direct = op == ExactUnary::exp    ? exact_exp(x)
                     : op == ExactUnary::log  ? exact_log(x)
                     : op == ExactUnary::sqrt ? exact_sqrt(x)
                                              : exact_relu(x);
      ASSERT_EQ(float_bits(once), float_bits(again));
      ASSERT_EQ(float_bits(once), float_bits(direct))
          << "seed " << kSeed + 3 << " op " << static_cast<int>(op) << " x=" << std::hexfloat
          << x;
    }
  }
}

}  // namespace
}  // namespace grid
