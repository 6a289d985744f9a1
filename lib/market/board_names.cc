#include "market/board_names.h"

#include <cctype>

#include "core/error.h"
#include "core/message.h"

namespace grid {
namespace {

constexpr size_t kHexDigits = 64;

bool lower_hex(const std::string& s) {
  if (s.size() != kHexDigits) return false;
  for (char c : s)
    if (!std::isdigit(static_cast<unsigned char>(c)) && !(c >= 'a' && c <= 'f')) return false;
  return true;
}

// The value of the row's place field in `message`, or nullptr.
const json* place_value(const BoardKind& k, const json& message) {
  const std::string place = k.place;
  if (place == "sig.by") {
    auto sig = message.find("sig");
    if (sig == message.end() || !sig->is_object()) return nullptr;
    auto by = sig->find("by");
    return by == sig->end() ? nullptr : &*by;
  }
  auto it = message.find(place);
  return it == message.end() ? nullptr : &*it;
}

}  // namespace

const std::vector<BoardKind>& board_kinds() {
  static const std::vector<BoardKind> kinds = {
      {"order", "orders", "", ""},
      {"bid", "bids", "order", "--order"},
      {"lease", "leases", "provider", "--for"},
      {"result", "results", "task", "--task"},
      {"verdict", "verdicts", "result", "--result"},
      {"profile", "profiles", "sig.by", "--for"},
  };
  return kinds;
}

const BoardKind& board_kind(const std::string& name) {
  std::string all;
  for (const BoardKind& k : board_kinds()) {
    if (name == k.kind || name == k.folder) return k;
    all += std::string(all.empty() ? "" : ", ") + k.folder;
  }
  throw Error(Exit::usage, "no kind '" + name + "' on the board (" + all + ")");
}

std::string board_ref_hex(const std::string& ref) {
  for (const char* prefix : {"sha256:", "ed25519:"}) {
    const std::string p = prefix;
    if (ref.compare(0, p.size(), p) == 0 && lower_hex(ref.substr(p.size()))) return ref.substr(p.size());
  }
  return "";
}

std::string board_name(const json& message) {
  const std::string& kind = require_string(message, "kind");
  const BoardKind* row = nullptr;
  for (const BoardKind& k : board_kinds())
    if (kind == k.kind) row = &k;
  if (!row) throw data_error("the board takes no '" + kind + "' messages", ".kind");
  std::string name = std::string(row->folder) + "/";
  if (row->place[0] != '\0') {
    const json* v = place_value(*row, message);
    std::string hex = v && v->is_string() ? board_ref_hex(v->get<std::string>()) : "";
    if (hex.empty()) throw data_error("missing, or not sha256:<hex> or ed25519:<hex>", std::string(".") + row->place);
    name += hex + "/";
  }
  return name + board_ref_hex(require_string(message, "id")) + ".json";
}

Status check_board_entry(const std::string& name, const json& message) {
  if (!message.is_object()) return Status::Fail("not a JSON object");
  try {
    check_envelope(message);
  } catch (const Error& e) {
    return Status::Fail(e.describe());
  }
  const std::string& kind = message["kind"].get_ref<const std::string&>();
  const BoardKind& row = board_kind(name.substr(0, name.find('/')));
  if (kind != row.kind) return Status::Fail("a '" + kind + "' message in " + row.folder + "/");
  Status sig = check_signature(message);
  if (!sig.ok()) return sig;
  std::string want;
  try {
    want = board_name(message);
  } catch (const Error& e) {
    return Status::Fail(e.describe());
  }
  if (want != name) return Status::Fail("misplaced: it belongs at " + want);
  return Status::Ok();
}

}  // namespace grid
