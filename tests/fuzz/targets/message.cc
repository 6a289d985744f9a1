// A message's envelope, id and signature checks on a stranger's line: any
// outcome but a crash or an escaped exception is fine, and a message whose
// signature verifies must have the id it claims.
#include <cstdint>
#include <string>

#include "core/error.h"
#include "core/jsonl.h"
#include "core/message.h"
#include "fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    grid::json m = grid::parse_json_text(std::string(reinterpret_cast<const char*>(data), size));
    if (!m.is_object()) return 0;
    grid::check_envelope(m);
    const std::string id = grid::message_id(m);
    const bool id_ok = grid::check_message_id(m).ok();
    FUZZ_CHECK(id_ok == (m.contains("id") && m["id"] == id));
    std::string signer;
    if (grid::check_signature(m, &signer).ok()) {
      FUZZ_CHECK(id_ok);
      FUZZ_CHECK(signer.rfind("ed25519:", 0) == 0);
    }
  } catch (const grid::Error& e) {
    FUZZ_CHECK(e.code() == grid::Exit::data);
  }
  return 0;
}
