#include "proof/proof_table.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "core/text_pad.h"

namespace grid {
namespace {

// Hex digits of an id or key a row shows: 64 bits, enough to tell apart
// the results, tasks and providers one run sees and to find them in the
// JSON form.
constexpr size_t kShortHex = 16;
constexpr size_t kStatusWidth = 12;  // "inconclusive"
constexpr size_t kDetectWidth = 8;   // "0.999984"
constexpr size_t kSecondsWidth = 8;

// "sha256:<hex>" or "ed25519:<hex>" as its first hex digits; "-" for null.
std::string short_ref(const json& ref) {
  if (!ref.is_string()) return "-";
  const std::string& s = ref.get_ref<const std::string&>();
  const size_t colon = s.find(':');
  const std::string hex = colon == std::string::npos ? s : s.substr(colon + 1);
  return hex.empty() ? "-" : hex.substr(0, kShortHex);
}

// A probability cut (never rounded up: 0.9999999 is not 1) to 6 decimals,
// trailing zeros dropped.
std::string probability(const json& v) {
  if (!v.is_number()) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.6f", std::floor(v.get<double>() * 1e6) / 1e6);
  std::string s = text;
  while (s.back() == '0') s.pop_back();
  if (s.back() == '.') s.pop_back();
  return s;
}

std::string seconds(const json& v) {
  if (!v.is_number()) return "-";
  char text[32];
  std::snprintf(text, sizeof text, "%.3f", v.get<double>());
  return text;
}

std::string line(const std::string& result, const std::string& provider, const std::string& task,
                 const std::string& status, const std::string& modes, size_t modes_width, const std::string& detect,
                 const std::string& secs, const std::string& reason) {
  std::string out = pad_right(result, kShortHex) + "  " + pad_right(provider, kShortHex) + "  " + pad_right(task, kShortHex) + "  " +
                    pad_right(status, kStatusWidth) + "  " + pad_right(modes, modes_width) + "  " + pad_left(detect, kDetectWidth) +
                    "  " + pad_left(secs, kSecondsWidth) + "  " + reason;
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out + "\n";
}

}  // namespace

VerdictTable::VerdictTable(const std::vector<const ProofMode*>& modes) {
  std::string all;
  for (const ProofMode* m : modes) all += (all.empty() ? "" : ",") + std::string(m->name);
  modes_width_ = std::max<size_t>(all.size(), 5);  // "modes"
}

std::string VerdictTable::header() const {
  return line("result", "provider", "task", "status", "modes", modes_width_, "detect", "seconds",
              "reason");
}

std::string VerdictTable::row(const json& v) const {
  std::string modes;
  for (const json& m : v.value("modes", json::array()))
    if (m.is_string()) modes += (modes.empty() ? "" : ",") + m.get<std::string>();
  const json task = v.contains("request") ? v["request"] : v.value("task", json());
  return line(short_ref(v.value("result", json())), short_ref(v.value("provider", json())), short_ref(task),
              v.value("status", "-"), modes.empty() ? "-" : modes, modes_width_,
              probability(v.value("detection_probability", json())),
              seconds(v.value("verifier_seconds", json())), v.value("reason", ""));
}

}  // namespace grid
