#include "core/key_commands.h"

#include <algorithm>

#include "core/keyfile.h"
#include "core/message.h"
#include "core/tool.h"

namespace grid {
namespace {

SigningKey key_from_flags(const Tool& tool) {
  const std::string path = tool.key_path();
  if (path.empty()) throw Error(Exit::usage, "no key: give --key FILE or set GRID_KEY");
  return load_key(path);
}

json verify_report(const json& message, const Position& at, const Status& s, const std::string& signer) {
  json r = {{"source", at.source}, {"line", at.line}, {"ok", s.ok()}};
  if (message.contains("id") && message["id"].is_string()) r["id"] = message["id"];
  if (!signer.empty()) r["by"] = signer;
  if (!s.ok()) r["reason"] = s.reason();
  return r;
}

std::string verify_row(const json& r) {
  std::string row = r["ok"].get<bool>() ? "ok    " : "FAIL  ";
  row += "line " + std::to_string(r["line"].get<size_t>());
  if (r["source"] != "-") row += " of " + r["source"].get<std::string>();
  if (r.contains("id")) row += "  " + r["id"].get<std::string>();
  if (r.contains("by")) row += "  by " + r["by"].get<std::string>();
  if (r.contains("reason")) row += "  (" + r["reason"].get<std::string>() + ")";
  return row + "\n";
}

}  // namespace

int key_gen(Tool&, const KeyOptions& opt) {
  SigningKey key = generate_signing_key();
  if (opt.out.empty()) {
    write_stdout(key_file_text(key));
  } else {
    save_key(opt.out, key, opt.force);
  }
  return 0;
}

int key_pub(Tool& tool, const KeyOptions&) {
  write_stdout(public_key_ref(key_from_flags(tool).public_key) + "\n");
  return 0;
}

int key_sign(Tool& tool, const KeyOptions& opt) {
  SigningKey key = key_from_flags(tool);
  tool.each_message(opt.inputs, [&](json& m, const Position&) {
    check_envelope(m);
    sign_message(m, key);
    write_message(m);
  });
  return 0;
}

int key_id(Tool& tool, const KeyOptions& opt) {
  tool.each_message(opt.inputs, [&](json& m, const Position&) {
    check_envelope(m);
    set_message_id(m);
    write_message(m);
  });
  return 0;
}

int key_verify(Tool& tool, const KeyOptions& opt) {
  std::vector<std::string> accepted;  // in the one spelling check_signature reports
  for (const std::string& b : opt.by) {
    const std::optional<std::string> key = key_ref_from_text(b);
    if (!key) throw Error(Exit::usage, "--by " + b + " is not ed25519:<64 hex digits>");
    accepted.push_back(*key);
  }
  const bool table = tool.table_format();
  size_t failed = 0;
  tool.each_message(opt.inputs, [&](json& m, const Position& at) {
    check_envelope(m);
    std::string signer;
    Status s = check_signature(m, &signer);
    if (s.ok() && !accepted.empty() && std::find(accepted.begin(), accepted.end(), signer) == accepted.end())
      s = Status::Fail("signed by " + signer + ", not by a key given with --by");
    if (!s.ok()) ++failed;
    json r = verify_report(m, at, s, signer);
    if (table) write_stdout(verify_row(r));
    else write_message(r);
  });
  return failed ? static_cast<int>(Exit::negative) : 0;
}

}  // namespace grid
