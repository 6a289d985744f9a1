#include "market/need_expr.h"

#include <cctype>
#include <cmath>
#include <cstdlib>

#include "core/error.h"

namespace grid {

struct NeedNode {
  enum Kind { kOr, kAnd, kNot, kCmp, kIn, kTruth } kind;
  std::vector<std::unique_ptr<NeedNode>> kids;
  // kCmp, kIn, kTruth: the path (as written and as steps) and the values.
  std::string path;
  std::vector<json> steps;  // strings (member names) or unsigned (indices)
  std::string op;
  std::vector<json> values;
};

namespace {

struct SyntaxError {
  size_t pos;  // 0-based
  std::string what;
};

class Parser {
 public:
  explicit Parser(const std::string& s) : s_(s) {}

  std::unique_ptr<NeedNode> parse_all() {
    // Strings in an expression end up in signed messages: bytes that are not
    // UTF-8 would be written out otherwise than they were hashed.
    for (size_t at = 0, n = 0; at < s_.size(); at += n)
      if ((n = utf8_length(at)) == 0) {
        i_ = at;
        fail("not valid UTF-8");
      }
    auto n = parse_or();
    skip();
    if (i_ < s_.size()) fail("unexpected '" + s_.substr(i_, 1) + "'");
    return n;
  }

 private:
  [[noreturn]] void fail(const std::string& what) { throw SyntaxError{i_, what}; }

  // Bytes of the UTF-8 sequence at `at`; 0 when it is not one (overlong
  // forms, surrogates and code points past U+10FFFF included).
  size_t utf8_length(size_t at) const {
    const auto b = [&](size_t k) { return at + k < s_.size() ? static_cast<unsigned char>(s_[at + k]) : 0u; };
    const unsigned c = b(0);
    if (c < 0x80) return 1;
    const auto cont = [&](size_t k) { return (b(k) & 0xc0) == 0x80; };
    if (c >= 0xc2 && c <= 0xdf) return cont(1) ? 2 : 0;
    if (c >= 0xe0 && c <= 0xef) {
      const unsigned lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
      return b(1) >= lo && b(1) <= hi && cont(2) ? 3 : 0;
    }
    if (c >= 0xf0 && c <= 0xf4) {
      const unsigned lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
      return b(1) >= lo && b(1) <= hi && cont(2) && cont(3) ? 4 : 0;
    }
    return 0;
  }

  // Parentheses and 'not' nest by recursion: bounded, so that an order's
  // expression cannot exhaust a bidder's stack.
  struct Nesting {
    explicit Nesting(Parser& p) : p_(p) {
      if (++p_.depth_ > kMaxDepth) p_.fail("nested more than " + std::to_string(kMaxDepth) + " deep");
    }
    ~Nesting() { --p_.depth_; }
    Parser& p_;
  };

  void skip() {
    while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
  }
  static bool name_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
  static bool name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'; }

  // True (and consumes it) when the next token is the word `w`.
  bool word(const char* w) {
    skip();
    size_t n = std::char_traits<char>::length(w);
    if (s_.compare(i_, n, w) != 0) return false;
    if (i_ + n < s_.size() && name_char(s_[i_ + n])) return false;
    i_ += n;
    return true;
  }
  bool punct(const char* p) {
    skip();
    size_t n = std::char_traits<char>::length(p);
    if (s_.compare(i_, n, p) != 0) return false;
    i_ += n;
    return true;
  }

  std::unique_ptr<NeedNode> node(NeedNode::Kind k) {
    auto n = std::make_unique<NeedNode>();
    n->kind = k;
    return n;
  }

  std::unique_ptr<NeedNode> parse_or() {
    auto left = parse_and();
    if (!word("or")) return left;
    auto n = node(NeedNode::kOr);
    n->kids.push_back(std::move(left));
    do n->kids.push_back(parse_and());
    while (word("or"));
    return n;
  }

  std::unique_ptr<NeedNode> parse_and() {
    auto left = parse_unary();
    if (!word("and")) return left;
    auto n = node(NeedNode::kAnd);
    n->kids.push_back(std::move(left));
    do n->kids.push_back(parse_unary());
    while (word("and"));
    return n;
  }

  std::unique_ptr<NeedNode> parse_unary() {
    if (word("not")) {
      Nesting guard(*this);
      auto n = node(NeedNode::kNot);
      n->kids.push_back(parse_unary());
      return n;
    }
    return parse_primary();
  }

  std::unique_ptr<NeedNode> parse_primary() {
    skip();
    if (i_ >= s_.size()) fail("expression ends where a field path or '(' should come");
    if (punct("(")) {
      Nesting guard(*this);
      auto n = parse_or();
      if (!punct(")")) fail("expected ')'");
      return n;
    }
    if (!name_start(s_[i_])) fail("expected a field path, 'not' or '(', got '" + s_.substr(i_, 1) + "'");
    for (const char* kw : {"and", "or", "in"})
      if (word(kw)) {
        i_ -= std::char_traits<char>::length(kw);
        fail(std::string("expected a field path, got the keyword '") + kw + "'");
      }
    auto n = node(NeedNode::kTruth);
    parse_path(n.get());
    static const char* kOps[] = {"==", "!=", "<=", ">=", "<", ">"};
    for (const char* op : kOps)
      if (punct(op)) {
        n->kind = NeedNode::kCmp;
        n->op = op;
        n->values.push_back(parse_value());
        return n;
      }
    if (word("in")) {
      n->kind = NeedNode::kIn;
      if (!punct("[")) fail("expected '[' after 'in'");
      if (!punct("]")) {
        do n->values.push_back(parse_value());
        while (punct(","));
        if (!punct("]")) fail("expected ',' or ']'");
      }
      return n;
    }
    skip();
    if (i_ < s_.size() && s_[i_] == '=') fail("'=' is not an operator; use '=='");
    return n;
  }

  void parse_path(NeedNode* n) {
    size_t begin = i_;
    for (;;) {
      if (i_ >= s_.size() || !name_start(s_[i_])) fail("expected a field name");
      size_t b = i_;
      while (i_ < s_.size() && name_char(s_[i_])) ++i_;
      n->steps.push_back(s_.substr(b, i_ - b));
      while (i_ < s_.size() && s_[i_] == '[') {
        size_t d = ++i_;
        while (i_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[i_]))) ++i_;
        if (i_ == d || i_ - d > 9) fail("expected an index of 1 to 9 digits");
        n->steps.push_back(std::stoul(s_.substr(d, i_ - d)));
        if (i_ >= s_.size() || s_[i_] != ']') fail("expected ']'");
        ++i_;
      }
      if (i_ < s_.size() && s_[i_] == '.') {
        ++i_;
        continue;
      }
      break;
    }
    n->path = s_.substr(begin, i_ - begin);
  }

  json parse_value() {
    skip();
    if (i_ >= s_.size()) fail("expression ends where a value should come");
    char c = s_[i_];
    if (c == '"' || c == '\'') {
      std::string v;
      size_t start = i_++;
      while (i_ < s_.size() && s_[i_] != c) {
        if (s_[i_] == '\\' && i_ + 1 < s_.size()) ++i_;
        v += s_[i_++];
      }
      if (i_ >= s_.size()) {
        i_ = start;
        fail("string not closed");
      }
      ++i_;
      return v;
    }
    if (std::isdigit(static_cast<unsigned char>(c)) || c == '-' || c == '+' || c == '.') {
      const char* b = s_.c_str() + i_;
      char* e = nullptr;
      double d = std::strtod(b, &e);
      if (e == b || (e < s_.c_str() + s_.size() && name_char(*e))) fail("malformed number");
      const std::string written(b, static_cast<size_t>(e - b));
      if (!std::isfinite(d)) fail("number out of range");
      i_ += e - b;
      // Integers stay integers, so reasons show them as written.
      if (written.find_first_of(".eE") == std::string::npos && std::abs(d) < 9007199254740992.0)
        return static_cast<int64_t>(d);
      return d;
    }
    if (word("true")) return true;
    if (word("false")) return false;
    if (word("null")) return nullptr;
    fail("expected a number, a quoted string, true, false or null");
  }

  static constexpr int kMaxDepth = 64;
  const std::string& s_;
  size_t i_ = 0;
  int depth_ = 0;
};

std::string show(const json& v) { return v.dump(-1, ' ', false, json::error_handler_t::replace); }

// The value at the node's path, or nullptr when the profile lacks it.
const json* lookup(const json& profile, const NeedNode& n) {
  const json* at = &profile;
  for (const json& step : n.steps) {
    if (step.is_string()) {
      if (!at->is_object()) return nullptr;
      auto it = at->find(step.get_ref<const std::string&>());
      if (it == at->end()) return nullptr;
      at = &*it;
    } else {
      size_t k = step.get<size_t>();
      if (!at->is_array() || k >= at->size()) return nullptr;
      at = &(*at)[k];
    }
  }
  return at;
}

bool compare(const json& have, const std::string& op, const json& want) {
  if (have.is_number() && want.is_number()) {
    double a = have.get<double>(), b = want.get<double>();
    if (op == "==") return a == b;
    if (op == "!=") return a != b;
    if (op == "<") return a < b;
    if (op == "<=") return a <= b;
    if (op == ">") return a > b;
    return a >= b;
  }
  if (have.is_string() && want.is_string()) {
    const std::string &a = have.get_ref<const std::string&>(), &b = want.get_ref<const std::string&>();
    if (op == "==") return a == b;
    if (op == "!=") return a != b;
    if (op == "<") return a < b;
    if (op == "<=") return a <= b;
    if (op == ">") return a > b;
    return a >= b;
  }
  // Booleans and null: equality only; mixed types are never equal.
  if (op == "==") return have.type() == want.type() && have == want;
  if (op == "!=") return have.type() == want.type() && have != want;
  return false;
}

bool eval_node(const NeedNode& n, const json& p, std::string* why) {
  switch (n.kind) {
    case NeedNode::kOr: {
      std::string all;
      for (const auto& k : n.kids) {
        std::string w;
        if (eval_node(*k, p, why ? &w : nullptr)) return true;
        if (why) all += (all.empty() ? "" : "; and ") + w;
      }
      if (why) *why = all;
      return false;
    }
    case NeedNode::kAnd:
      for (const auto& k : n.kids)
        if (!eval_node(*k, p, why)) return false;
      return true;
    case NeedNode::kNot: {
      if (!eval_node(*n.kids[0], p, nullptr)) return true;
      if (why) *why = "a 'not' condition holds (its inner condition is true)";
      return false;
    }
    default: break;
  }
  const json* have = lookup(p, n);
  if (!have) {
    if (why) *why = n.path + " is missing from the profile";
    return false;
  }
  bool ok = false;
  if (n.kind == NeedNode::kTruth) {
    ok = have->is_boolean() && have->get<bool>();
    if (!ok && why) *why = n.path + " is " + show(*have) + ", not true";
  } else if (n.kind == NeedNode::kCmp) {
    ok = compare(*have, n.op, n.values[0]);
    if (!ok && why) *why = n.path + " is " + show(*have) + ", not " + n.op + " " + show(n.values[0]);
  } else {
    for (const json& v : n.values)
      if (compare(*have, "==", v)) ok = true;
    if (!ok && why) *why = n.path + " is " + show(*have) + ", not in " + show(json(n.values));
  }
  return ok;
}

}  // namespace

NeedExpr::NeedExpr() = default;
NeedExpr::~NeedExpr() = default;
NeedExpr::NeedExpr(NeedExpr&&) noexcept = default;
NeedExpr& NeedExpr::operator=(NeedExpr&&) noexcept = default;

bool NeedExpr::parse(const std::string& text, NeedExpr* out, std::string* error) {
  out->text_ = text;
  out->root_.reset();
  size_t first = text.find_first_not_of(" \t\r\n");
  if (first == std::string::npos) return true;  // no requirement
  try {
    out->root_ = Parser(text).parse_all();
    return true;
  } catch (const SyntaxError& e) {
    if (error) *error = "at position " + std::to_string(e.pos + 1) + ": " + e.what;
    return false;
  }
}

namespace {

void collect_paths(const NeedNode& n, std::vector<const NeedNode*>* out) {
  if (n.kind == NeedNode::kCmp || n.kind == NeedNode::kIn || n.kind == NeedNode::kTruth) {
    for (const NeedNode* seen : *out)
      if (seen->path == n.path) return;
    out->push_back(&n);
  }
  for (const auto& kid : n.kids) collect_paths(*kid, out);
}

}  // namespace

std::vector<NeedPath> NeedExpr::paths() const {
  std::vector<const NeedNode*> nodes;
  if (root_) collect_paths(*root_, &nodes);
  std::vector<NeedPath> out;
  for (const NeedNode* n : nodes) out.push_back({n->path, n->steps});
  return out;
}

bool NeedExpr::eval(const json& profile, std::string* why) const {
  if (!root_) return true;
  return eval_node(*root_, profile, why);
}

NeedExpr parse_need_or_throw(const std::string& text, int exit_code, const std::string& what) {
  NeedExpr e;
  std::string error;
  if (!NeedExpr::parse(text, &e, &error)) {
    Error err(static_cast<Exit>(exit_code), what + " '" + text + "': " + error);
    if (static_cast<Exit>(exit_code) == Exit::data) err.at_field(".need");
    throw err;
  }
  return e;
}

}  // namespace grid
