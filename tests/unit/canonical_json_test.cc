#include "core/canonical_json.h"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

#include "core/crypto.h"
#include "core/error.h"
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

}  // namespace
}  // namespace grid
