#include "jobs/data_spec.h"

#include <string_view>

#include "compute/csv_matrix.h"
#include "core/crypto.h"
#include "core/error.h"
#include "core/fields.h"
#include "core/message.h"

namespace grid {
namespace {

constexpr int64_t kMaxRows = int64_t{1} << 31;
constexpr int64_t kMaxWidth = 1 << 20;

void validate_file_ref(const json& ref, const std::string& path) {
  if (!ref.is_object()) throw data_error("expected an object with \"path\" or \"url\"", path);
  bool has_path = ref.contains("path"), has_url = ref.contains("url");
  if (has_path == has_url) throw data_error("give exactly one of \"path\" and \"url\"", path);
  get_string(ref, has_path ? "path" : "url", path);
  if (ref.contains("sha256")) {
    Digest d;
    if (!parse_sha256_ref(get_string(ref, "sha256", path), &d)) throw data_error("expected sha256:<64 hex digits>", path + ".sha256");
  } else if (has_url) {
    throw data_error("a URL input must name its sha256", path + ".sha256");
  }
}

}  // namespace

void validate_data(const json& data, const std::string& path) {
  if (!data.is_object()) throw data_error(std::string("expected an object, got ") + data.type_name(), path);
  if (data.contains("synthetic")) {
    const std::string p = path + ".synthetic";
    const json& s = get_object(data, "synthetic", path);
    std::string kind = get_choice(s, "kind", p, {"blobs", "teacher"});
    get_int(s, "rows", p, 1, kMaxRows);
    get_int(s, "features", p, 1, kMaxWidth);
    get_int(s, kind == "blobs" ? "classes" : "outputs", p, kind == "blobs" ? 2 : 1, kMaxWidth);
    get_int(s, "seed", p, 0, int64_t{1} << 53);
    return;
  }
  if (!data.contains("x")) throw data_error("expected \"synthetic\" or \"x\" (and \"y\") files", path);
  get_choice(data, "format", path, {"npy", "csv"});
  validate_file_ref(data["x"], path + ".x");
  if (data.contains("y")) validate_file_ref(data["y"], path + ".y");
  if (data.contains("rows")) get_int(data, "rows", path, 1, kMaxRows);
  if (data.contains("delimiter")) {
    if (data["format"] != "csv") throw data_error("only CSV data has a delimiter", path + ".delimiter");
    if (std::string why = delimiter_problem(get_string(data, "delimiter", path)); !why.empty())
      throw data_error(why, path + ".delimiter");
  }
}

std::string delimiter_problem(const std::string& d) {
  // A quote, a line end or a space would make fields ambiguous; a dot or
  // sign would split numbers. Punctuation is tested by hand: the locale
  // must not change which jobs are valid.
  const char c = d.size() == 1 ? d[0] : '\0';
  const bool punct = (c >= '!' && c <= '/') || (c >= ':' && c <= '@') || (c >= '[' && c <= '`') || (c >= '{' && c <= '~');
  if (c == '\t' || (punct && std::string_view("\".+-").find(c) == std::string_view::npos)) return "";
  return "expected one character: a tab, or ASCII punctuation other than \" . + - (got " +
         json(d).dump(-1, ' ', false, json::error_handler_t::replace) + ")";
}

char data_delimiter(const json& data) {
  return data.contains("delimiter") ? data["delimiter"].get<std::string>()[0] : kCsvDelimiter;
}

int64_t data_rows_declared(const json& data) {
  if (data.contains("synthetic")) return data["synthetic"]["rows"];
  return data.contains("rows") ? data["rows"].get<int64_t>() : -1;
}

int64_t data_features_declared(const json& data) {
  return data.contains("synthetic") ? data["synthetic"]["features"].get<int64_t>() : -1;
}

int64_t data_outputs_declared(const json& data) {
  if (!data.contains("synthetic")) return -1;
  const json& s = data["synthetic"];
  return s.contains("classes") ? s["classes"].get<int64_t>() : s["outputs"].get<int64_t>();
}

}  // namespace grid
