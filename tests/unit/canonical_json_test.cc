#include "core/canonical_json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "core/crypto.h"
#include "core/error.h"
#include "core/jsonl.h"
#include "vectors.h"

namespace grid {
namespace {

double from_bits(const std::string& hex_bits) {
  uint64_t bits = std::stoull(hex_bits, nullptr, 16);
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

TEST(CanonicalJson, Rfc8785NumberSerialization) {
  auto rows = testing::load_vectors("jcs.jsonl", "number", "kind");
  ASSERT_GE(rows.size(), 20u);
  for (const auto& r : rows) {
    double d = from_bits(r["bits"]);
    if (r["expected"].is_null()) {
      EXPECT_THROW(es_number(d), Error) << r["bits"];
      EXPECT_THROW(canonical_json(json(d)), Error) << r["bits"];
    } else {
      EXPECT_EQ(es_number(d), r["expected"].get<std::string>()) << r["bits"];
    }
  }
}

TEST(CanonicalJson, PublishedCanonicalForms) {
  auto cases = testing::load_vectors("jcs.jsonl", "canonicalize", "kind");
  ASSERT_GE(cases.size(), 8u);
  for (const auto& c : cases) {
    std::string got = canonical_json(json::parse(c["input"].get<std::string>()));
    Bytes want;
    ASSERT_TRUE(unhex(c["canonical_hex"].get<std::string>(), &want));
    EXPECT_EQ(got, std::string(want.begin(), want.end())) << c["name"];
    EXPECT_EQ(got, c["canonical"].get<std::string>()) << c["name"];
  }
}

TEST(CanonicalJson, Rfc8785SortOrderIsByUtf16CodeUnits) {
  auto cases = testing::load_vectors("jcs.jsonl", "sort_order", "kind");
  ASSERT_FALSE(cases.empty());
  for (const auto& c : cases) {
    json parsed = json::parse(c["input"].get<std::string>());
    json back = json::parse(canonical_json(parsed));
    // Recover the order of values from the canonical text itself.
    std::string text = canonical_json(parsed);
    size_t last = 0;
    for (const auto& value : c["expected_value_order"]) {
      size_t at = text.find("\"" + value.get<std::string>() + "\"");
      ASSERT_NE(at, std::string::npos) << value;
      EXPECT_GE(at, last) << value << " is out of order in " << text;
      last = at;
    }
    EXPECT_EQ(back, parsed);
  }
}

TEST(CanonicalJson, IntegersBeyondDoublePrecisionAreRefused) {
  EXPECT_EQ(canonical_json(json::parse("[9007199254740992,-9007199254740992]")),
            "[9007199254740992,-9007199254740992]");
  try {
    canonical_json(json::parse(R"({"a":{"price_micros":9007199254740993}})"));
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::data);
    EXPECT_EQ(e.field(), ".a.price_micros");
  }
  EXPECT_THROW(canonical_json(json::parse("[-9007199254740993]")), Error);
}

TEST(CanonicalJson, EscapesOnlyWhatItMust) {
  json s = std::string("a\"\\\b\f\n\r\t\x01\x1f/\xc3\xa9\x7f");
  EXPECT_EQ(canonical_json(s), "\"a\\\"\\\\\\b\\f\\n\\r\\t\\u0001\\u001f/\xc3\xa9\x7f\"");
}

// Integers and the doubles equal to them canonicalise alike, so "1" and
// "1.0" give one id whichever way a producer wrote them.
TEST(CanonicalJson, IntegerAndFloatFormsAgree) {
  std::mt19937_64 rng(20261125);
  for (int i = 0; i < 10000; ++i) {
    int64_t v = static_cast<int64_t>(rng() % (uint64_t{1} << 53)) * (i % 2 ? 1 : -1);
    EXPECT_EQ(canonical_json(json(v)), es_number(static_cast<double>(v))) << v;
  }
}

// ES form must round-trip: parsing the text gives the same double back.
TEST(CanonicalJson, NumbersRoundTripOnRandomBits) {
  std::mt19937_64 rng(8785);
  for (int i = 0; i < 200000; ++i) {
    uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    if (!std::isfinite(d)) continue;
    std::string text = es_number(d);
    double back = std::strtod(text.c_str(), nullptr);
    EXPECT_EQ(back, d == 0 ? 0.0 : d) << text << " seed 8785 draw " << i;
  }
}

// Canonical form is a fixed point: the text canonical_json prints is read
// back (as every tool reads it) and canonicalizes to the same bytes. The
// whole doubles from 2^53 to 1e21 print as integers beyond 2^53, which
// must then be accepted (1e17 -> 100000000000000000, as JSON.stringify).
TEST(CanonicalJson, CanonicalFormIsAFixedPoint) {
  const uint64_t seed = 8785001;
  std::mt19937_64 rng(seed);
  std::vector<double> values = {1e17, -1e17, 9007199254740994.0, 1e21, 1e21 - 65536, 18446744073709551616.0,
                                -9223372036854775808.0, 4611686018427387904.0, 1152921504606846976.0};
  for (int i = 0; i < 30000; ++i) {
    uint64_t bits = rng();
    double d;
    std::memcpy(&d, &bits, sizeof d);
    if (std::isfinite(d)) values.push_back(d);
    // A whole double between 2^53 and 1e21, of either sign.
    const double whole = std::ldexp(static_cast<double>(rng() >> 11), static_cast<int>(rng() % 17));
    if (whole >= 9007199254740992.0 && whole < 1e21) values.push_back(i % 2 ? whole : -whole);
  }
  for (double d : values) {
    for (const json& v : {json(d), json::array({d, json::object({{"x", d}})})}) {
      const std::string once = canonical_json(v);
      std::string twice;
      try {
        twice = canonical_json(parse_json_text(once));
      } catch (const Error& e) {
        ADD_FAILURE() << once << " is refused: " << e.what() << " (seed " << seed << ")";
        continue;
      }
      EXPECT_EQ(twice, once) << "seed " << seed;
    }
  }
  EXPECT_EQ(canonical_json(parse_json_text("100000000000000000")), "100000000000000000");
  EXPECT_EQ(canonical_json(parse_json_text("-4000000000000000000")), "-4000000000000000000");
  EXPECT_EQ(canonical_json(parse_json_text("18446744073709551616")), "18446744073709552000");
  // Digits that are not a double's canonical form would be rounded.
  for (const char* text : {"9007199254740993", "1152921504606846976", "-9007199254740995", "18446744073709551615"})
    EXPECT_THROW(canonical_json(parse_json_text(text)), Error) << text;
}

TEST(CanonicalJson, WholeNumbersBecomeIntegersWithTheSameCanonicalForm) {
  EXPECT_EQ(json(10137600.0).dump(), "10137600.0");
  EXPECT_EQ(whole_number(10137600.0).dump(), "10137600");
  EXPECT_TRUE(whole_number(0.0).is_number_integer());
  EXPECT_TRUE(whole_number(0.5).is_number_float());
  EXPECT_TRUE(whole_number(0x1p63).is_number_float());  // no int64 holds it
  std::mt19937_64 rng(7);  // fixed seed: whole doubles of every magnitude below 2^63
  for (int i = 0; i < 10000; ++i) {
    const double d = std::floor(std::ldexp(static_cast<double>(rng() >> 11), static_cast<int>(rng() % 63) - 53));
    const json w = whole_number(d);
    ASSERT_TRUE(w.is_number_integer()) << d;
    // Same canonical bytes, so the same ids; and the integer is accepted.
    EXPECT_EQ(canonical_json(w), canonical_json(json(d))) << d;
    EXPECT_EQ(static_cast<double>(w.get<int64_t>()), d);
  }
}

}  // namespace
}  // namespace grid
