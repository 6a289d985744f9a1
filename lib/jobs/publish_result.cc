#include "jobs/publish_result.h"

#include <set>

#include "core/error.h"
#include "core/net.h"
#include "core/store.h"
#include "core/store_gc.h"

namespace grid {

std::vector<Digest> named_objects(const json& result, const Store& store) {
  std::set<Digest> seen;
  std::vector<Digest> out;
  each_named_digest(result, DigestForms::refs, [&](const Digest& d) {
    if (!seen.count(d) && store.has(d)) {
      seen.insert(d);
      out.push_back(d);
    }
  });
  return out;
}

void publish_result(const std::string& base_url, const json& result, const std::string& line, const Store& store) {
  // The URL is a store seen from afar: Store::path gives its object layout
  // (nothing is written through this Store).
  const Store remote(base_url);
  for (const Digest& d : named_objects(result, store)) publish(remote.path(d), store.get(d));
  Digest task{};
  if (!result.contains("task") || !result["task"].is_string() ||
      !parse_sha256_ref(result["task"].get_ref<const std::string&>(), &task))
    throw Error(Exit::internal, "a result without a task id cannot be published");
  publish(remote.dir() + "/results/" + hex(task) + ".json", line + "\n");
}

}  // namespace grid
