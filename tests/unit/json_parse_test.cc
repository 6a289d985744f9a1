// parse_json_text's two paths, differentially: simdjson's (the fast one)
// and nlohmann's (the reference) must build the same value, typed alike
// (-0 is a signed integer, 5 an unsigned one, 5.0 a double), or refuse the
// text with the same error, on the fuzz corpus, on mutants of it and on
// random texts made to hit the places where the two parsers differ.
#include "core/json_parse.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.h"

namespace grid {
namespace {

// What a parse gave: the value, or the error's code, field and message.
struct Outcome {
  bool ok = false;
  json value;
  std::string error;
};

template <typename Parse>
Outcome outcome_of(Parse parse, const std::string& text) {
  Outcome o;
  try {
    o.value = parse(text);
    o.ok = true;
  } catch (const Error& e) {
    o.error = std::to_string(static_cast<int>(e.code())) + " " + e.field() + " " + e.what();
  }
  return o;
}

// Equal values of equal types at every node; doubles bit for bit.
bool same_tree(const json& a, const json& b) {
  if (a.type() != b.type()) return false;
  switch (a.type()) {
    case json::value_t::object: {
      if (a.size() != b.size()) return false;
      for (auto i = a.begin(), j = b.begin(); i != a.end(); ++i, ++j)
        if (i.key() != j.key() || !same_tree(*i, *j)) return false;
      return true;
    }
    case json::value_t::array: {
      if (a.size() != b.size()) return false;
      for (size_t i = 0; i < a.size(); ++i)
        if (!same_tree(a[i], b[i])) return false;
      return true;
    }
    case json::value_t::number_float: {
      const double x = a.get<double>(), y = b.get<double>();
      return std::memcmp(&x, &y, sizeof x) == 0;
    }
    default:
      return a == b;
  }
}

std::string canonical_or_error(const json& v) {
  try {
    return canonical_json(v);
  } catch (const Error& e) {
    return std::string("error ") + e.what();
  }
}

// Both paths give the same outcome for `text`; a gtest failure naming it
// otherwise. Returns whether the text parsed.
bool expect_agree(const std::string& text, const std::string& what) {
  const Outcome fast = outcome_of(parse_json_text, text);
  const Outcome ref = outcome_of(parse_json_text_nlohmann, text);
  const std::string shown = text.substr(0, 200);
  EXPECT_EQ(fast.ok, ref.ok) << what << ": " << shown << "\nfast: " << fast.error << "\nnlohmann: " << ref.error;
  if (fast.ok && ref.ok) {
    EXPECT_TRUE(same_tree(fast.value, ref.value)) << what << ": " << shown << "\nfast: " << fast.value.dump()
                                                  << "\nnlohmann: " << ref.value.dump();
    EXPECT_EQ(canonical_or_error(fast.value), canonical_or_error(ref.value)) << what << ": " << shown;
  } else if (!fast.ok && !ref.ok) {
    EXPECT_EQ(fast.error, ref.error) << what << ": " << shown;
  }
  return ref.ok;
}

std::string root() {
  const char* r = std::getenv("GRIDUTILS_ROOT");
  return r ? r : ".";
}

// Every file of the fuzz corpus and regressions, whole and line by line.
std::vector<std::string> corpus_texts() {
  std::vector<std::string> texts;
  for (const char* dir : {"/tests/fuzz/corpus", "/tests/fuzz/regressions"}) {
    const std::filesystem::path base = root() + dir;
    if (!std::filesystem::exists(base)) continue;
    for (const auto& f : std::filesystem::recursive_directory_iterator(base)) {
      if (!f.is_regular_file() || f.file_size() > (size_t{4} << 20)) continue;
      std::ifstream in(f.path(), std::ios::binary);
      std::stringstream all;
      all << in.rdbuf();
      texts.push_back(all.str());
      std::istringstream lines(texts.back());
      for (std::string l; std::getline(lines, l);) texts.push_back(l);
    }
  }
  return texts;
}

TEST(JsonParsePaths, AgreeOnTheFuzzCorpus) {
  const std::vector<std::string> texts = corpus_texts();
  ASSERT_GT(texts.size(), 100u) << "no corpus under " << root() << "/tests/fuzz: set GRIDUTILS_ROOT";
  size_t parsed = 0;
  for (const std::string& t : texts) parsed += expect_agree(t, "corpus");
  EXPECT_GT(parsed, 50u);
}

TEST(JsonParsePaths, AgreeOnMutantsOfTheCorpus) {
  const uint32_t seed = 20261206;
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937 rng(seed);
  std::vector<std::string> texts;
  for (std::string& t : corpus_texts())
    if (t.size() < 4096 && !t.empty()) texts.push_back(std::move(t));
  ASSERT_FALSE(texts.empty());
  const std::string bytes = "{}[]\":,.-+eE0123456789\\u \t\r\nabtfnr\x7f\x80\xbf\xc3\xed\xef\xf0\xff";
  for (int i = 0; i < 8000; ++i) {
    std::string t = texts[rng() % texts.size()];
    for (int k = 1 + rng() % 3; k > 0; --k) {
      const size_t at = rng() % (t.size() + 1);
      const char b = bytes[rng() % bytes.size()];
      switch (rng() % 3) {
        case 0: if (at < t.size()) t[at] = b; break;
        case 1: t.insert(t.begin() + static_cast<long>(at), b); break;
        default: if (at < t.size()) t.erase(at, 1);
      }
    }
    expect_agree(t, "mutant " + std::to_string(i));
  }
}

// Random JSON texts, mostly valid, built from the pieces where simdjson
// and nlohmann could part: number forms and ranges, escapes and surrogates,
// raw UTF-8, repeated names, depth, whitespace.
class RandomText {
 public:
  explicit RandomText(uint32_t seed) : rng_(seed) {}
  std::string value(int depth = 0) {
    switch (depth > 70 ? rng_() % 4 : rng_() % 7) {
      case 0: return number();
      case 1: return string();
      case 2: return pick({"true", "false", "null"});
      case 3: return pick({"-0", "0", "-0.0", "0e0", "-0E-0", "1"});
      case 4: {
        std::string s = "[" + ws();
        for (int n = rng_() % 4, i = 0; i < n; ++i) s += (i ? "," : "") + ws() + value(depth + 1) + ws();
        return s + "]";
      }
      default: {
        std::string s = "{" + ws();
        for (int n = rng_() % 4, i = 0; i < n; ++i)
          s += (i ? "," : "") + ws() + name() + ws() + ":" + ws() + value(depth + 1) + ws();
        return s + "}";
      }
    }
  }

 private:
  std::string pick(std::initializer_list<const char*> from) { return *(from.begin() + rng_() % from.size()); }
  std::string ws() { return rng_() % 4 ? "" : pick({" ", "\t", "\r\n", "  "}); }
  std::string digits(int n) {
    std::string s;
    for (int i = 0; i < n; ++i) s += static_cast<char>('0' + rng_() % 10);
    return s;
  }
  std::string number() {
    std::string s = rng_() % 2 ? "-" : "";
    const int n = 1 + rng_() % 22;  // past 2^64 too
    std::string whole = digits(n);
    if (whole.size() > 1 && whole[0] == '0') whole[0] = '1';
    s += whole;
    if (rng_() % 3 == 0) s += "." + digits(1 + rng_() % 20);
    if (rng_() % 3 == 0) s += pick({"e", "E", "e+", "e-", "E-"}) + std::to_string(rng_() % 420);
    return s;
  }
  std::string name() { return rng_() % 3 ? pick({"\"a\"", "\"b\"", "\"\\u0061\"", "\"id\""}) : string(); }
  std::string string() {
    std::string s = "\"";
    for (int n = rng_() % 8, i = 0; i < n; ++i)
      s += pick({"x", "-0", "\\\"", "\\\\", "\\/", "\\n", "\\u0000", "\\u00e9", "\\ud83d\\ude00", "\\ud800",
                 "\\udc00", "\\uD800\\u0041", "\xc3\xa9", "\xf0\x9f\x98\x80", "\xed\xa0\x80", "\xff", "\x01", " "});
    return s + "\"";
  }
  std::mt19937 rng_;
};

TEST(JsonParsePaths, AgreeOnRandomTexts) {
  const uint32_t seed = 1206;
  SCOPED_TRACE("seed " + std::to_string(seed));
  RandomText gen(seed);
  size_t parsed = 0;
  for (int i = 0; i < 8000; ++i) {
    std::string t = gen.value();
    if (i % 10 == 0) t = "\xef\xbb\xbf" + t;  // a byte order mark
    if (i % 13 == 0) t += " x";
    parsed += expect_agree(t, "random " + std::to_string(i));
  }
  EXPECT_GT(parsed, 5000u);
}

TEST(JsonParsePaths, KeepNegativeZeroASignedInteger) {
  for (const char* text : {"-0", "[-0]", "{\"a\":-0}", "{\"a\": -0 ,\"b\":0}", "[0,\t-0]", "{\"t\":\"2027-01-15\",\"n\":0}"}) {
    expect_agree(text, "negative zero");
  }
  EXPECT_TRUE(parse_json_text("{\"a\":-0}")["a"].is_number_integer());
  EXPECT_FALSE(parse_json_text("{\"a\":-0}")["a"].is_number_unsigned());
  EXPECT_TRUE(parse_json_text("{\"t\":\"-0\",\"a\":0}")["a"].is_number_unsigned());
  EXPECT_TRUE(parse_json_text("{\"a\":-0.0}")["a"].is_number_float());
}

TEST(JsonParsePaths, AgreeAtTheDepthLimit) {
  for (size_t n : {kMaxJsonDepth - 1, kMaxJsonDepth, kMaxJsonDepth + 1, size_t{2000}}) {
    expect_agree(std::string(n, '[') + std::string(n, ']'), "arrays " + std::to_string(n));
    std::string objects;
    for (size_t i = 0; i < n; ++i) objects += "{\"k\":";
    expect_agree(objects + "1" + std::string(n, '}'), "objects " + std::to_string(n));
  }
}

TEST(JsonParsePaths, ANulByteAnywhereIsMalformedNotTheEndOfTheText) {
  using namespace std::string_literals;
  for (const std::string& t : {"{\"kind\":\"note\",\"v\":1}\0junk"s, "{\"kind\":\"n\0te\"}"s, "\0{}"s, "{}\0"s}) {
    SCOPED_TRACE(t.size());
    try {
      parse_json_line(t);
      ADD_FAILURE() << "parsed";
    } catch (const Error& e) {
      EXPECT_EQ(e.code(), Exit::data);
      EXPECT_NE(std::string(e.what()).find("a NUL byte at column " + std::to_string(t.find('\0') + 1)), std::string::npos)
          << e.what();
    }
  }
  // Spelled as JSON spells it, a NUL is a string's character like any other.
  EXPECT_EQ(parse_json_line("{\"s\":\"a\\u0000b\"}")["s"].get<std::string>(), "a\0b"s);
}

}  // namespace
}  // namespace grid
