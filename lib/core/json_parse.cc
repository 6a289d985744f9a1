#include "core/json_parse.h"

#include <simdjson.h>

#include <cstdint>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace grid {
namespace {

// nlohmann's messages start with "[json.exception.parse_error.101] ";
// the part after it is what a user needs.
std::string strip_exception_prefix(const std::string& what) {
  size_t close = what.find("] ");
  return what.rfind("[json.exception.", 0) == 0 && close != std::string::npos ? what.substr(close + 2) : what;
}

// Builds the value from nlohmann's SAX events, as json::parse does, and
// also refuses what json::parse lets through: nesting past kMaxJsonDepth
// (every later walk over a message recurses once per level), a member
// name repeated in an object (I-JSON, RFC 7493 section 2.3: readers would
// disagree on which one counts, and a signature covers only one), and a
// number beyond double's range.
class JsonBuilder {
 public:
  explicit JsonBuilder(json* root) : root_(root) {}

  bool null() { return put(nullptr); }
  bool boolean(bool v) { return put(v); }
  bool number_integer(json::number_integer_t v) { return put(v); }
  bool number_unsigned(json::number_unsigned_t v) { return put(v); }
  bool number_float(json::number_float_t v, const std::string&) { return put(v); }
  bool string(std::string& v) { return put(std::move(v)); }
  bool binary(json::binary_t& v) { return put(json::binary(std::move(v))); }

  bool start_object(size_t) { return open(json::object()); }
  bool key(std::string& name) {
    open_.back().key = std::move(name);
    return true;
  }
  bool end_object() { return close(); }
  bool start_array(size_t) { return open(json::array()); }
  bool end_array() { return close(); }

  [[noreturn]] bool parse_error(size_t, const std::string& token, const nlohmann::detail::exception& e) {
    if (e.id == 406) {  // out_of_range.406: the lexer's strtod overflowed
      Error overflow(Exit::data, "number " + token.substr(0, 40) + " is beyond the range of a double");
      // A bare number is the whole text: there is no member to name.
      if (!open_.empty()) overflow.at_field(path());
      throw overflow;
    }
    throw Error(Exit::data, "malformed JSON: " + strip_exception_prefix(e.what()));
  }

 private:
  struct Open {
    json value;
    std::string key;  // an object's member being read
  };

  bool open(json&& container) {
    if (open_.size() == kMaxJsonDepth)
      throw Error(Exit::data, "arrays and objects nested more than " + std::to_string(kMaxJsonDepth) + " deep")
          .at_field(path());
    open_.push_back(Open{std::move(container), {}});
    return true;
  }

  bool close() {
    json done = std::move(open_.back().value);
    open_.pop_back();
    return put(std::move(done));
  }

  template <typename T>
  bool put(T&& v) {
    if (open_.empty()) {
      *root_ = json(std::forward<T>(v));
      return true;
    }
    Open& in = open_.back();
    if (in.value.is_array()) {
      in.value.emplace_back(std::forward<T>(v));
    } else {
      auto [at, added] = in.value.emplace(std::move(in.key), std::forward<T>(v));
      if (!added) {
        in.key = at.key();
        throw Error(Exit::data, "a member name appears twice in one object").at_field(path());
      }
    }
    return true;
  }

  // Where the next value goes (".a[2].b"), for an error.
  std::string path() const {
    std::string s;
    for (const Open& o : open_)
      s += o.value.is_array() ? "[" + std::to_string(o.value.size()) + "]" : "." + o.key;
    return s.empty() ? "." : s;
  }

  json* root_;
  std::vector<Open> open_;
};

// A text whose parser buffers a thread keeps for the next one; a longer
// text (a whole file) gets a parser of its own, freed after it.
constexpr size_t kKeptParserBytes = size_t{1} << 20;

// The value simdjson read, as nlohmann's parser would build it, or nothing
// where the two could differ or the text is refused (the caller then asks
// nlohmann, for the value or the error).
class SimdjsonConverter {
 public:
  explicit SimdjsonConverter(const std::string& text) : text_(text) {}

  // Builds the value into *out, in place: a member or element is
  // converted where it will stay, not moved there. False: see above.
  bool convert(simdjson::dom::element e, json* out, size_t depth = 0) {
    using Type = simdjson::dom::element_type;
    switch (e.type()) {
      case Type::OBJECT: {
        if (depth == kMaxJsonDepth) return false;
        json::object_t members;
        for (simdjson::dom::key_value_pair m : simdjson::dom::object(e)) {
          const size_t before = members.size();
          // Members usually come sorted (every tool writes them so): then
          // each lands at the end without a search.
          auto at = members.emplace_hint(members.end(), std::string(m.key), json());
          if (members.size() == before) return false;  // a name twice
          if (!convert(m.value, &at->second, depth + 1)) return false;
        }
        *out = json(std::move(members));
        return true;
      }
      case Type::ARRAY: {
        if (depth == kMaxJsonDepth) return false;
        const simdjson::dom::array items(e);
        json::array_t values;
        values.reserve(items.size());
        for (simdjson::dom::element item : items)
          if (!convert(item, &values.emplace_back(), depth + 1)) return false;
        *out = json(std::move(values));
        return true;
      }
      case Type::STRING:
        *out = std::string(e.get_string().value_unsafe());
        return true;
      case Type::INT64: {
        // nlohmann keeps a number without a sign as unsigned, one with a
        // sign as signed, -0 too; simdjson reads -0 as 0.
        const int64_t i = e.get_int64().value_unsafe();
        if (i == 0 && may_hold_negative_zero()) return false;
        if (i < 0) *out = i;
        else *out = static_cast<uint64_t>(i);
        return true;
      }
      case Type::UINT64:
        *out = e.get_uint64().value_unsafe();
        return true;
      case Type::DOUBLE:
        *out = e.get_double().value_unsafe();
        return true;
      case Type::BOOL:
        *out = e.get_bool().value_unsafe();
        return true;
      case Type::NULL_VALUE:
        *out = nullptr;
        return true;
    }
    return false;
  }

 private:
  // Whether a number token "-0" may start anywhere in the text: a '-'
  // where a value may begin, then '0' and no fraction or exponent. A "-0"
  // inside a string may answer yes too; that only costs the slower path.
  bool may_hold_negative_zero() {
    if (!negative_zero_) {
      negative_zero_ = false;
      for (size_t at = text_.find("-0"); at != std::string::npos; at = text_.find("-0", at + 1)) {
        const char before = at == 0 ? ' ' : text_[at - 1];
        const char after = at + 2 < text_.size() ? text_[at + 2] : ' ';
        const bool value_start = before == ' ' || before == '\t' || before == '\r' || before == '\n' ||
                                 before == '[' || before == ',' || before == ':';
        if (value_start && after != '.' && after != 'e' && after != 'E') {
          negative_zero_ = true;
          break;
        }
      }
    }
    return *negative_zero_;
  }

  const std::string& text_;
  std::optional<bool> negative_zero_;
};

// No JSON text holds a NUL byte (a string spells it \u0000); simdjson
// took one after a document for its end, and the bytes after it went
// unread. Both paths refuse it first, with the same words.
void refuse_nul(const std::string& text) {
  if (const size_t nul = text.find('\0'); nul != std::string::npos)
    throw Error(Exit::data, "malformed JSON: a NUL byte at column " + std::to_string(nul + 1) +
                                " (a JSON string spells it \\u0000)");
}

std::optional<json> parse_with_simdjson(const std::string& text) {
  thread_local simdjson::dom::parser kept;
  std::optional<simdjson::dom::parser> own;
  simdjson::dom::parser& parser = text.size() <= kKeptParserBytes ? kept : own.emplace();
  simdjson::dom::element root;
  json out;
  if (parser.parse(text).get(root) != simdjson::SUCCESS || !SimdjsonConverter(text).convert(root, &out))
    return std::nullopt;
  return out;
}

}  // namespace

json parse_json_text_nlohmann(const std::string& text) {
  refuse_nul(text);
  json out;
  JsonBuilder builder(&out);
  json::sax_parse(text, &builder);
  return out;
}

json parse_json_text(const std::string& text) {
  refuse_nul(text);
  if (std::optional<json> fast = parse_with_simdjson(text)) return std::move(*fast);
  return parse_json_text_nlohmann(text);
}

json parse_json_line(const std::string& text) {
  // The examples' exec jobs are scripts that print their job (they hash
  // their inputs first): given one as the job itself, say what to do.
  if (text.rfind("#!", 0) == 0)
    throw Error(Exit::data, "malformed JSON: this starts with \"#!\", as a script does: run the script and give what it prints");
  json out = parse_json_text(text);
  if (!out.is_object()) throw Error(Exit::data, "line is not a JSON object");
  return out;
}

}  // namespace grid
