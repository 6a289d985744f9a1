#include "jobs/data_spec.h"

#include <algorithm>
#include <string_view>

#include "compute/csv_matrix.h"
#include "core/crypto.h"
#include "core/error.h"
#include "core/fields.h"
#include "core/message.h"
#include "core/net.h"
#include "compute/synthetic_data.h"

namespace grid {
namespace {

constexpr int64_t kMaxRows = int64_t{1} << 31;
constexpr int64_t kMaxWidth = 1 << 20;

// How a buyer makes a file of theirs an input a provider can fetch.
constexpr const char* kPublishHint =
    "host the file at a URL (any web server; one that takes a PUT: curl -T FILE URL) and name it by \"url\" "
    "and \"sha256\" (\"sha256:\" and the hex sha256sum prints)";

void validate_file_ref(const json& ref, const std::string& path, RunsOn where) {
  if (!ref.is_object()) throw data_error("expected an object with \"path\" or \"url\"", path);
  check_known_fields(ref, path, {"path", "url", "sha256"});
  bool has_path = ref.contains("path"), has_url = ref.contains("url");
  if (has_path == has_url) throw data_error("give exactly one of \"path\" and \"url\"", path);
  if (has_url) check_input_url(get_string(ref, "url", path), path + ".url");
  else if (const std::string name = get_string(ref, "path", path); where == RunsOn::elsewhere)
    throw data_error(name + " is a path on this machine, which a provider cannot read: " + kPublishHint,
                     path + ".path");
  if (ref.contains("sha256")) {
    require_ref(ref, "sha256", path);
  } else if (has_url) {
    throw data_error("a URL input must name its sha256", path + ".sha256");
  }
}

}  // namespace

void check_input_url(const std::string& url, const std::string& field) {
  if (!is_url(url)) throw data_error("not an http://, https://, s3:// or file:// URL", field);
}

void validate_data(const json& data, const std::string& path, RunsOn where) {
  if (!data.is_object()) throw data_error(std::string("expected an object, got ") + data.type_name(), path);
  if (data.contains("synthetic")) {
    check_known_fields(data, path, {"synthetic"});
    const std::string p = path + ".synthetic";
    const json& s = get_object(data, "synthetic", path);
    const std::string kind = get_choice(s, "kind", p, {"blobs", "teacher"});
    const char* width = kind == "blobs" ? "classes" : "outputs";
    check_known_fields(s, p, {"kind", "rows", "features", width, "seed"});
    const int64_t rows = get_int(s, "rows", p, 1, kMaxRows);
    const int64_t features = get_int(s, "features", p, 1, kMaxWidth);
    const int64_t outputs = get_int(s, width, p, kind == "blobs" ? 2 : 1, kMaxWidth);
    get_int(s, "seed", p, 0, int64_t{1} << 53);
    if (rows > synthetic_max_rows(features, outputs))
      throw data_error(std::to_string(rows) + " rows x " + std::to_string(std::max(features, outputs)) +
                           " is more than the " + std::to_string(kSyntheticMaxValues) +
                           " values (1 GiB of FP32) synthetic data can be: at most " +
                           std::to_string(synthetic_max_rows(features, outputs)) + " rows",
                       p + ".rows");
    return;
  }
  if (!data.contains("x")) throw data_error("expected \"synthetic\" or \"x\" (and \"y\") files", path);
  check_known_fields(data, path, {"format", "x", "y", "rows", "delimiter"});
  get_choice(data, "format", path, {"npy", "csv"});
  validate_file_ref(data["x"], path + ".x", where);
  if (data.contains("y")) validate_file_ref(data["y"], path + ".y", where);
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
