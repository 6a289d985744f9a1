#include "jobs/result.h"

#include "core/crypto.h"
#include "jobs/job_spec.h"

namespace grid {

std::string result_output(const json& r) {
  const std::string type = r.contains("type") && r["type"].is_string() ? r["type"].get<std::string>() : "";
  for (const JobKind& k : job_kinds()) {
    if (type != k.name) continue;
    const json::json_pointer ptr(k.output);
    if (r.contains(ptr) && r[ptr].is_string()) return r[ptr];
  }
  return "";
}

std::string result_seal(const std::string& provider, const std::string& task_id, const std::string& output) {
  return sha256_ref(sha256("gridutils seal v1\n" + provider + "\n" + task_id + "\n" + output));
}

const json* task_of(const json& m) {
  // A kind of the wrong type is no task: the caller's check_envelope names it.
  const std::string kind = m.contains("kind") && m["kind"].is_string() ? m["kind"].get<std::string>() : "";
  if (kind == "task") return &m;
  if (kind == "lease") {
    if (m.contains("task") && m["task"].is_object()) return &m["task"];
    if (m.contains("order") && m["order"].is_object() && m["order"].contains("task")) return &m["order"]["task"];
  }
  return nullptr;
}

}  // namespace grid
