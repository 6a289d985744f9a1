// Loads a published test-vector file from tests/vectors/ (JSON Lines; a
// line with only "comment" names the source and is skipped).
#pragma once

#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "core/canonical_json.h"

namespace grid::testing {

inline std::vector<json> load_vectors(const std::string& name, const std::string& type = "",
                                      const std::string& type_key = "type") {
  const char* root = std::getenv("GRIDUTILS_ROOT");
  std::string path = std::string(root ? root : ".") + "/tests/vectors/" + name;
  std::ifstream in(path);
  std::vector<json> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    json v = json::parse(line);
    if (v.contains("comment") && v.size() == 1) continue;
    if (!type.empty() && v.value(type_key, "") != type) continue;
    out.push_back(v);
  }
  return out;
}

}  // namespace grid::testing
