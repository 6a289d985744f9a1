#include "compute/exact_math.h"

#include <gtest/gtest.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <random>
#include <sstream>
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

// A value the compiler cannot see through, so the special cases below run
// the arithmetic at run time instead of being folded at compile time.
float opaque(float x) {
  volatile float v = x;
  return v;
}

// Stands for "any NaN" in the expectations (sign and payload are outside
// the contract).
const float kNaN = std::numeric_limits<float>::quiet_NaN();

::testing::AssertionResult same_bits(float got, float want) {
  if (std::isnan(want) ? std::isnan(got) : float_bits(got) == float_bits(want))
    return ::testing::AssertionSuccess();
  // One stream: AssertionResult's << would drop the manipulators.
  std::ostringstream text;
  text << "got " << std::hexfloat << got << " (0x" << std::hex << float_bits(got) << "), want "
       << std::hexfloat << want << " (0x" << std::hex << float_bits(want) << ")";
  return ::testing::AssertionFailure() << text.str();
}

// IEEE-754 results (round to nearest even, subnormals kept) worked out by
// hand, bits and signs of zero included.
TEST(ExactMath, BasicOpsSpecialValues) {
  const float inf = std::numeric_limits<float>::infinity();
  const float snan = bits_float(0x7fa00000u);  // signaling NaN
  const float sub_max = 0x1.fffffcp-127f;      // largest subnormal
  const float tiny = FLT_TRUE_MIN;
  struct Case {
    ExactBinary op;
    float a, b, want;
  };
  using E = ExactBinary;
  const Case cases[] = {
      // Signed zeros: x + -x is +0, only -0 + -0 is -0.
      {E::add, -0.0f, -0.0f, -0.0f},
      {E::add, -0.0f, 0.0f, 0.0f},
      {E::add, 0.0f, -0.0f, 0.0f},
      {E::add, 1.0f, -1.0f, 0.0f},
      {E::add, -1.0f, 1.0f, 0.0f},
      {E::add, -tiny, tiny, 0.0f},
      {E::add, -0.0f, -tiny, -tiny},
      {E::sub, 0.0f, 0.0f, 0.0f},
      {E::sub, -0.0f, 0.0f, -0.0f},
      {E::sub, 0.0f, -0.0f, 0.0f},
      {E::sub, -0.0f, -0.0f, 0.0f},
      {E::sub, 3.0f, 3.0f, 0.0f},
      {E::mul, 0.0f, -1.0f, -0.0f},
      {E::mul, -0.0f, -0.0f, 0.0f},
      {E::mul, -0.0f, 5.0f, -0.0f},
      {E::mul, -0.0f, FLT_MAX, -0.0f},
      {E::div, -0.0f, 1.0f, -0.0f},
      {E::div, 0.0f, -1.0f, -0.0f},
      {E::div, 1.0f, inf, 0.0f},
      {E::div, -1.0f, inf, -0.0f},
      {E::div, 1.0f, -inf, -0.0f},
      // Division by zero, Inf and NaN.
      {E::div, 1.0f, 0.0f, inf},
      {E::div, 1.0f, -0.0f, -inf},
      {E::div, -1.0f, -0.0f, inf},
      {E::div, -tiny, 0.0f, -inf},
      {E::div, 0.0f, 0.0f, kNaN},
      {E::div, -0.0f, 0.0f, kNaN},
      {E::div, inf, inf, kNaN},
      {E::div, inf, -0.0f, -inf},
      {E::div, -inf, 2.0f, -inf},
      {E::add, inf, -inf, kNaN},
      {E::sub, inf, inf, kNaN},
      {E::sub, -inf, -inf, kNaN},
      {E::add, inf, inf, inf},
      {E::add, -inf, -FLT_MAX, -inf},
      {E::sub, FLT_MAX, -inf, inf},
      {E::mul, 0.0f, inf, kNaN},
      {E::mul, -0.0f, -inf, kNaN},
      {E::mul, inf, -1.0f, -inf},
      {E::mul, -inf, -tiny, inf},
      {E::add, kNaN, 1.0f, kNaN},
      {E::add, 1.0f, -kNaN, kNaN},
      {E::sub, snan, 0.0f, kNaN},
      {E::mul, kNaN, 0.0f, kNaN},
      {E::mul, snan, inf, kNaN},
      {E::div, kNaN, kNaN, kNaN},
      {E::div, 0.0f, snan, kNaN},
      // Overflow: to Inf, and the exact tie at FLT_MAX + half an ulp
      // (2^103), which rounds to the even 2^128, i.e. Inf.
      {E::add, FLT_MAX, FLT_MAX, inf},
      {E::sub, -FLT_MAX, FLT_MAX, -inf},
      {E::add, FLT_MAX, 0x1p103f, inf},
      {E::add, FLT_MAX, 0x1.fffffep102f, FLT_MAX},
      {E::sub, -FLT_MAX, 0x1p103f, -inf},
      {E::mul, FLT_MAX, 2.0f, inf},
      {E::mul, FLT_MAX, -1.0000001f, -inf},
      {E::mul, 0x1p64f, 0x1p64f, inf},
      {E::mul, 0x1p64f, 0x1.fffffep63f, 0x1.fffffep127f},
      {E::div, FLT_MAX, 0.5f, inf},
      {E::div, 1.0f, tiny, inf},
      {E::div, -1.0f, FLT_MIN, -0x1p126f},
      // Subnormal results, and underflow to a signed zero.
      {E::add, tiny, tiny, 0x1p-148f},
      {E::sub, FLT_MIN, tiny, sub_max},
      {E::sub, FLT_MIN, 0x1p-127f, 0x1p-127f},
      {E::add, sub_max, tiny, FLT_MIN},
      {E::mul, FLT_MIN, 0.5f, 0x1p-127f},
      {E::mul, FLT_MIN, 0x1p-23f, tiny},
      {E::mul, tiny, 0.5f, 0.0f},            // tie: to the even 0
      {E::mul, -tiny, 0.5f, -0.0f},
      {E::mul, tiny, 0.75f, tiny},
      {E::mul, tiny, 1.5f, 0x1p-148f},       // tie 1.5: to the even 2
      {E::mul, tiny, 2.5f, 0x1p-148f},       // tie 2.5: to the even 2
      {E::mul, 0x1p-100f, 0x1p-100f, 0.0f},
      {E::mul, -0x1p-100f, 0x1p-100f, -0.0f},
      {E::mul, 0x1p-75f, 0x1p-75f, 0.0f},    // exactly half of tiny: to 0
      {E::mul, 0x1.000002p-75f, 0x1p-75f, tiny},
      {E::mul, 0x1p-70f, 0x1p-70f, 0x1p-140f},
      {E::div, FLT_MIN, 2.0f, 0x1p-127f},
      {E::div, tiny, 2.0f, 0.0f},
      {E::div, tiny, -2.0f, -0.0f},
      {E::div, 0x1p-148f, 2.0f, tiny},
      {E::div, 0x1.8p-148f, 2.0f, 0x1p-148f},  // 1.5 ulps: tie to even
      {E::div, 1.0f, FLT_MAX, 0x1p-128f},
      {E::div, -1.0f, 0x1p127f, -0x1p-127f},
      {E::div, tiny, FLT_MAX, 0.0f},
      // Ordinary rounding: ties to even, and a quotient that is not exact.
      {E::add, 1.0f, 0x1p-24f, 1.0f},
      {E::add, 0x1.000002p0f, 0x1p-24f, 0x1.000004p0f},
      {E::sub, 1.0f, 0x1p-25f, 1.0f},
      {E::sub, 1.0f, 0x1p-24f, 0x1.fffffep-1f},
      {E::add, 16777216.0f, 1.0f, 16777216.0f},
      {E::add, 16777216.0f, 3.0f, 16777220.0f},
      {E::div, 1.0f, 3.0f, 0x1.555556p-2f},
      {E::div, 2.0f, 3.0f, 0x1.555556p-1f},
      {E::div, -1.0f, 10.0f, -0x1.99999ap-4f},
      {E::mul, 0x1.000002p0f, 0x1.000002p0f, 0x1.000004p0f},
      {E::mul, 3.0f, -3.0f, -9.0f},
      {E::mul, -1.0f, 1.0f, -1.0f},
  };
  for (const Case& c : cases) {
    const float a = opaque(c.a), b = opaque(c.b);
    const float direct = c.op == E::add   ? exact_add(a, b)
                         : c.op == E::sub ? exact_sub(a, b)
                         : c.op == E::mul ? exact_mul(a, b)
                                          : exact_div(a, b);
    SCOPED_TRACE(::testing::Message() << "op " << static_cast<int>(c.op) << " a=" << std::hexfloat
                                      << c.a << " b=" << c.b);
    EXPECT_TRUE(same_bits(direct, c.want));
    EXPECT_TRUE(same_bits(exact_binary(c.op, a, b), c.want));
  }
}

TEST(ExactMath, SqrtSpecialValues) {
  const float inf = std::numeric_limits<float>::infinity();
  const struct {
    float x, want;
  } cases[] = {
      {0.0f, 0.0f},         {-0.0f, -0.0f},  // IEEE: sqrt(-0) = -0
      {-1.0f, kNaN},        {-FLT_TRUE_MIN, kNaN},
      {-inf, kNaN},         {inf, inf},
      {kNaN, kNaN},         {-kNaN, kNaN},
      {4.0f, 2.0f},         {1.0f, 1.0f},
      {2.0f, 0x1.6a09e6p0f}, {FLT_MAX, 0x1.fffffep63f},
      {0x1p-148f, 0x1p-74f}, {FLT_TRUE_MIN, 0x1.6a09e6p-75f},
      {FLT_MIN, 0x1p-63f},
  };
  for (const auto& c : cases) {
    const float x = opaque(c.x);
    EXPECT_TRUE(same_bits(exact_sqrt(x), c.want)) << std::hexfloat << c.x;
    EXPECT_TRUE(same_bits(exact_unary(ExactUnary::sqrt, x), c.want)) << std::hexfloat << c.x;
  }
}

// The zeros' signs and the NaN inputs, in bits, of exp, log and relu (the
// *SpecialValues tests above compare some only by value).
TEST(ExactMath, UnarySpecialValueBits) {
  const float inf = std::numeric_limits<float>::infinity();
  const struct {
    ExactUnary op;
    float x, want;
  } cases[] = {
      {ExactUnary::exp, 0.0f, 1.0f},        {ExactUnary::exp, -0.0f, 1.0f},
      {ExactUnary::exp, -inf, 0.0f},        {ExactUnary::exp, inf, inf},
      {ExactUnary::exp, -FLT_MAX, 0.0f},    {ExactUnary::exp, FLT_MAX, inf},
      {ExactUnary::exp, 89.0f, inf},        {ExactUnary::exp, -104.0f, 0.0f},
      {ExactUnary::exp, kNaN, kNaN},        {ExactUnary::exp, -kNaN, kNaN},
      {ExactUnary::log, 1.0f, 0.0f},        {ExactUnary::log, 0.0f, -inf},
      {ExactUnary::log, -0.0f, -inf},       {ExactUnary::log, inf, inf},
      {ExactUnary::log, -1.0f, kNaN},       {ExactUnary::log, -inf, kNaN},
      {ExactUnary::log, -FLT_TRUE_MIN, kNaN}, {ExactUnary::log, kNaN, kNaN},
      {ExactUnary::log, -kNaN, kNaN},
      {ExactUnary::relu, -0.0f, 0.0f},      {ExactUnary::relu, 0.0f, 0.0f},
      {ExactUnary::relu, -FLT_TRUE_MIN, 0.0f}, {ExactUnary::relu, FLT_TRUE_MIN, FLT_TRUE_MIN},
      {ExactUnary::relu, -inf, 0.0f},       {ExactUnary::relu, inf, inf},
      {ExactUnary::relu, kNaN, kNaN},       {ExactUnary::relu, -kNaN, kNaN},
  };
  for (const auto& c : cases) {
    EXPECT_TRUE(same_bits(exact_unary(c.op, opaque(c.x)), c.want))
        << "op " << static_cast<int>(c.op) << " x=" << std::hexfloat << c.x;
  }
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

TEST(ExactMath, BinaryDispatchMatchesTheOps) {
  std::mt19937 rng(kSeed + 4);
  const ExactBinary ops[] = {ExactBinary::add, ExactBinary::sub, ExactBinary::mul,
                             ExactBinary::div};
  for (int i = 0; i < 100000; ++i) {
    const float a = random_bits_float(rng), b = random_bits_float(rng);
    const float direct[] = {exact_add(a, b), exact_sub(a, b), exact_mul(a, b), exact_div(a, b)};
    for (int op = 0; op < 4; ++op)
      ASSERT_TRUE(same_bits(exact_binary(ops[op], a, b), direct[op]))
          << "seed " << kSeed + 4 << " op " << op << " a=" << std::hexfloat << a << " b=" << b;
  }
}

}  // namespace
}  // namespace grid
