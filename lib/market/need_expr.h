// Requirement expressions on a provider's profile (lease-bid --need, an
// order's "need"): one small grammar, parsed once and evaluated per profile.
//
//   expr    := and { "or" and }
//   and     := unary { "and" unary }
//   unary   := "not" unary | primary
//   primary := "(" expr ")" | path [ op value | "in" "[" [ value { "," value } ] "]" ]
//   op      := "==" | "!=" | "<" | "<=" | ">" | ">="
//   path    := name { "." name | "[" digits "]" }      name: [A-Za-z_][A-Za-z0-9_-]*
//   value   := number | "string" | 'string' | true | false | null
//
// A bare path is true when the profile holds true there. Numbers compare
// as numbers, strings as strings (byte order); any other pairing, and a
// path the profile lacks, makes the comparison false.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/canonical_json.h"

namespace grid {

struct NeedNode;

// A path as written ("summary.gpu_model") and as its steps: member names
// (strings) and indices (unsigned numbers).
struct NeedPath {
  std::string text;
  std::vector<json> steps;
};

class NeedExpr {
 public:
  NeedExpr();
  ~NeedExpr();
  NeedExpr(NeedExpr&&) noexcept;
  NeedExpr& operator=(NeedExpr&&) noexcept;

  // Parses `text`. On a syntax error returns false and stores in *error
  // "at position N: what" (N counts characters from 1).
  static bool parse(const std::string& text, NeedExpr* out, std::string* error);

  // True when the empty expression (no requirement) or when `profile`
  // meets it. When false and `why` is given, stores a one-line reason
  // naming the failing comparison ("summary.gpu_model is "none", not in
  // [...]" or "summary.x is missing from the profile").
  bool eval(const json& profile, std::string* why = nullptr) const;

  // The paths the expression reads, each once, in order of first
  // appearance.
  std::vector<NeedPath> paths() const;

  bool empty() const { return !root_; }
  const std::string& text() const { return text_; }

 private:
  std::unique_ptr<NeedNode> root_;
  std::string text_;
};

// Parses or throws Error(code) "EXPR: at position N: what", for flags
// (Exit::usage, field "") and for orders (Exit::data, field ".need").
NeedExpr parse_need_or_throw(const std::string& text, int exit_code, const std::string& what);

}  // namespace grid
