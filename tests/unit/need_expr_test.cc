#include "market/need_expr.h"

#include <gtest/gtest.h>

#include "core/error.h"

namespace grid {
namespace {

json profile() {
  return json::parse(R"({"device":"cuda","quick":false,"faulty":false,
    "summary":{"gpu_model":"H100","gpu_count":8,"exact_gemm_tflops":51.5,"gpu_memory_bytes":85899345920},
    "gpus":[{"name":"H100","memory_bytes":85899345920},{"name":"H100 SXM"}],
    "flags":{"nvlink":true,"mig":null}})");
}

bool holds(const std::string& text, const json& p = profile()) {
  NeedExpr e;
  std::string err;
  EXPECT_TRUE(NeedExpr::parse(text, &e, &err)) << text << ": " << err;
  return e.eval(p);
}

// The error of a text that must not parse.
std::string error_of(const std::string& text) {
  NeedExpr e;
  std::string err;
  EXPECT_FALSE(NeedExpr::parse(text, &e, &err)) << text << " parsed";
  return err;
}

TEST(NeedExpr, EmptyIsNoRequirement) {
  EXPECT_TRUE(holds(""));
  EXPECT_TRUE(holds("   "));
  EXPECT_TRUE(holds("", json::object()));
}

TEST(NeedExpr, PathsAreListedOnceInOrderWithTheirSteps) {
  NeedExpr e;
  std::string err;
  ASSERT_TRUE(NeedExpr::parse("summary.gpu_count >= 1 and (gpus[2].name in ['a'] or not summary.gpu_count == 3) "
                              "or quick",
                              &e, &err))
      << err;
  const std::vector<NeedPath> paths = e.paths();
  ASSERT_EQ(paths.size(), 3u);
  EXPECT_EQ(paths[0].text, "summary.gpu_count");
  EXPECT_EQ(paths[1].text, "gpus[2].name");
  EXPECT_EQ(paths[1].steps, (std::vector<json>{"gpus", 2u, "name"}));
  EXPECT_EQ(paths[2].text, "quick");
  EXPECT_TRUE(NeedExpr().paths().empty());
}

TEST(NeedExpr, Comparisons) {
  EXPECT_TRUE(holds("summary.gpu_count == 8"));
  EXPECT_FALSE(holds("summary.gpu_count != 8"));
  EXPECT_TRUE(holds("summary.gpu_count >= 8"));
  EXPECT_FALSE(holds("summary.gpu_count > 8"));
  EXPECT_TRUE(holds("summary.exact_gemm_tflops < 51.6"));
  EXPECT_TRUE(holds("summary.exact_gemm_tflops <= 51.5"));
  EXPECT_TRUE(holds("summary.exact_gemm_tflops > 5e1"));
  EXPECT_TRUE(holds("summary.exact_gemm_tflops >= -1"));
  EXPECT_TRUE(holds("summary.gpu_model == \"H100\""));
  EXPECT_TRUE(holds("summary.gpu_model == 'H100'"));
  EXPECT_TRUE(holds("summary.gpu_model < \"H200\""));  // strings by bytes
  EXPECT_TRUE(holds("device != 'cpu'"));
}

TEST(NeedExpr, MixedTypesCompareFalse) {
  EXPECT_FALSE(holds("summary.gpu_model == 1"));
  EXPECT_FALSE(holds("summary.gpu_model != 1"));
  EXPECT_FALSE(holds("summary.gpu_count == '8'"));
  EXPECT_FALSE(holds("summary.gpu_count > 'a'"));
  EXPECT_FALSE(holds("quick < true"));
}

TEST(NeedExpr, BooleansNullAndBarePaths) {
  EXPECT_TRUE(holds("flags.nvlink"));
  EXPECT_TRUE(holds("flags.nvlink == true"));
  EXPECT_TRUE(holds("not quick"));
  EXPECT_FALSE(holds("faulty"));
  EXPECT_TRUE(holds("flags.mig == null"));
  EXPECT_FALSE(holds("summary"));  // an object is not true
}

TEST(NeedExpr, InLists) {
  EXPECT_TRUE(holds("summary.gpu_model in [\"H100\", \"H200\"]"));
  EXPECT_FALSE(holds("summary.gpu_model in ['A100']"));
  EXPECT_FALSE(holds("summary.gpu_model in []"));
  EXPECT_TRUE(holds("summary.gpu_count in [1, 2, 4, 8]"));
  EXPECT_TRUE(holds("device in['cpu','cuda']"));
}

TEST(NeedExpr, IndexedPaths) {
  EXPECT_TRUE(holds("gpus[0].name == 'H100'"));
  EXPECT_TRUE(holds("gpus[1].name == 'H100 SXM'"));
  EXPECT_FALSE(holds("gpus[2].name == 'H100'"));
  EXPECT_FALSE(holds("summary[0] == 1"));
}

TEST(NeedExpr, PrecedenceNotOverAndOverOr) {
  // or binds loosest: true or (false and false)
  EXPECT_TRUE(holds("summary.gpu_count == 8 or device == 'cpu' and quick"));
  // parentheses change it: (true or false) and false
  EXPECT_FALSE(holds("(summary.gpu_count == 8 or device == 'cpu') and quick"));
  // not binds tighter than and: (not false) and true
  EXPECT_TRUE(holds("not quick and summary.gpu_count == 8"));
  EXPECT_FALSE(holds("not (quick or summary.gpu_count == 8)"));
  EXPECT_TRUE(holds("not not flags.nvlink"));
  EXPECT_TRUE(holds("((summary.gpu_count==8))"));
  // Keywords only as whole words: "order" is a path, not "or" + "der".
  EXPECT_FALSE(holds("order == 1 or android"));
}

TEST(NeedExpr, MissingPathIsFalseAndExplained) {
  NeedExpr e;
  std::string err, why;
  ASSERT_TRUE(NeedExpr::parse("summary.gpu_count >= 1 and summary.bf16_tflops >= 500", &e, &err));
  EXPECT_FALSE(e.eval(profile(), &why));
  EXPECT_EQ(why, "summary.bf16_tflops is missing from the profile");
  EXPECT_FALSE(holds("not_there != 1"));
  ASSERT_TRUE(NeedExpr::parse("summary.gpu_model in ['A100']", &e, &err));
  EXPECT_FALSE(e.eval(profile(), &why));
  EXPECT_EQ(why, "summary.gpu_model is \"H100\", not in [\"A100\"]");
  ASSERT_TRUE(NeedExpr::parse("summary.gpu_count > 8 or device == 'cpu'", &e, &err));
  EXPECT_FALSE(e.eval(profile(), &why));
  EXPECT_EQ(why, "summary.gpu_count is 8, not > 8; and device is \"cuda\", not == \"cpu\"");
}

TEST(NeedExpr, ErrorsNamePositions) {
  EXPECT_EQ(error_of("a >"), "at position 4: expression ends where a value should come");
  EXPECT_EQ(error_of("a = 1"), "at position 3: '=' is not an operator; use '=='");
  EXPECT_EQ(error_of("(a == 1"), "at position 8: expected ')'");
  EXPECT_EQ(error_of("a == 1 b"), "at position 8: unexpected 'b'");
  EXPECT_EQ(error_of("a in 1"), "at position 6: expected '[' after 'in'");
  EXPECT_EQ(error_of("a in [1 2]"), "at position 9: expected ',' or ']'");
  EXPECT_EQ(error_of("a == 'x"), "at position 6: string not closed");
  EXPECT_EQ(error_of("and a"), "at position 1: expected a field path, got the keyword 'and'");
  EXPECT_EQ(error_of("a == 1 and"), "at position 11: expression ends where a field path or '(' should come");
  EXPECT_EQ(error_of("a.== 1"), "at position 3: expected a field name");
  EXPECT_EQ(error_of("a[x] == 1"), "at position 3: expected an index of 1 to 9 digits");
  EXPECT_EQ(error_of("a == 12abc"), "at position 6: malformed number");
  EXPECT_EQ(error_of("a == H100"), "at position 6: expected a number, a quoted string, true, false or null");
  EXPECT_EQ(error_of("3 > a"), "at position 1: expected a field path, 'not' or '(', got '3'");
  EXPECT_EQ(error_of("a == 1e999"), "at position 6: number out of range");
  EXPECT_EQ(error_of("a == \"\xff\""), "at position 7: not valid UTF-8");
  EXPECT_EQ(error_of("a == \"\xc0\xaf\""), "at position 7: not valid UTF-8");        // overlong '/'
  EXPECT_EQ(error_of("a == \"\xed\xa0\x80\""), "at position 7: not valid UTF-8");    // a surrogate
  EXPECT_TRUE(holds("not (summary.gpu_model == \"H\xc3\xa9\")"));                  // UTF-8 is fine
}

// An order's expression comes from anyone: nesting is bounded so that it
// cannot exhaust the stack of a provider's bid or a buyer's award.
TEST(NeedExpr, NestingIsBounded) {
  EXPECT_TRUE(holds(std::string(64, '(') + "faulty == false" + std::string(64, ')')));
  std::string not64;
  for (int i = 0; i < 64; ++i) not64 += "not ";
  EXPECT_FALSE(holds(not64 + "faulty"));  // an even count of nots
  EXPECT_EQ(error_of(std::string(65, '(') + "a" + std::string(65, ')')), "at position 66: nested more than 64 deep");
  EXPECT_EQ(error_of(not64 + "not a"), "at position 260: nested more than 64 deep");
  const std::string deep = std::string(200000, '(') + "a" + std::string(200000, ')');
  EXPECT_EQ(error_of(deep), "at position 66: nested more than 64 deep");
}

TEST(NeedExpr, ThrowsWithTheExitCodeAsked) {
  try {
    parse_need_or_throw("a >", static_cast<int>(Exit::usage), "--need");
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::usage);
    EXPECT_EQ(std::string(e.what()), "--need 'a >': at position 4: expression ends where a value should come");
  }
  try {
    parse_need_or_throw("(", static_cast<int>(Exit::data), "need");
    FAIL() << "no throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), Exit::data);
    EXPECT_EQ(e.field(), ".need");
  }
}

}  // namespace
}  // namespace grid
