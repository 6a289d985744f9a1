#include "core/store_gc.h"

#include <fstream>
#include <map>

#include "core/error.h"
#include "core/file_io.h"
#include "core/jsonl.h"

namespace grid {
namespace {

// Whether a stored object may be JSON that names others: read only then.
bool may_name_others(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  char c = 0;
  return in.get(c) && (c == '{' || c == '[');
}

// The JSON values in `text`: the whole of it when it parses, else each
// line that does (JSON Lines). What does not parse names nothing.
std::vector<json> json_values(const std::string& text) {
  std::vector<json> out;
  try {
    out.push_back(parse_json_text(text));
    return out;
  } catch (const Error&) {
  }
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find('\n', begin);
    if (end == std::string::npos) end = text.size();
    try {
      out.push_back(parse_json_text(text.substr(begin, end - begin)));
    } catch (const Error&) {
    }
    begin = end + 1;
  }
  return out;
}

}  // namespace

void each_named_digest(const json& v, DigestForms forms, const std::function<void(const Digest&)>& fn) {
  if (v.is_string()) {
    const std::string& s = v.get_ref<const std::string&>();
    Digest d{};
    if (parse_sha256_ref(s, &d) ||
        (forms == DigestForms::refs_and_bare_hex && s.size() == 64 && unhex(s, d.data(), d.size())))
      fn(d);
  } else if (v.is_structured()) {
    for (const json& item : v) each_named_digest(item, forms, fn);
  }
}

GcPlan gc_plan(const Store& store, const std::set<Digest>& roots, int64_t keep_since) {
  const std::vector<StoredObject> objects = store.objects();
  std::map<Digest, const StoredObject*> by_key;
  for (const StoredObject& o : objects) by_key[o.key] = &o;
  const std::vector<StoredRef> refs = store.refs();

  std::set<Digest> live;
  std::vector<Digest> unread;  // live, and not yet read for what it names
  auto keep = [&](const Digest& d) {
    if (live.insert(d).second) unread.push_back(d);
  };
  for (const Digest& d : roots) keep(d);
  for (const StoredObject& o : objects)
    if (o.mtime >= keep_since) keep(o.key);
  for (const StoredRef& r : refs)
    if (r.target && r.mtime >= keep_since) keep(*r.target);
  while (!unread.empty()) {
    const Digest d = unread.back();
    unread.pop_back();
    auto it = by_key.find(d);
    if (it == by_key.end() || !may_name_others(it->second->path)) continue;
    std::string text;
    try {
      text = store.get(d);
    } catch (const Error& e) {
      if (e.code() != Exit::data) throw;
      throw Error(Exit::data, std::string(e.what()) + "; it is kept, and what it named cannot be known, so nothing is removed");
    }
    for (const json& v : json_values(text)) each_named_digest(v, DigestForms::refs_and_bare_hex, keep);
  }

  GcPlan plan;
  for (const StoredRef& r : refs)
    if (r.target && r.mtime < keep_since && !(live.count(*r.target) && by_key.count(*r.target))) plan.refs.push_back(r);
  for (const StoredObject& o : objects) {
    if (live.count(o.key)) {
      ++plan.kept;
      plan.kept_bytes += o.bytes;
    } else {
      plan.objects.push_back(o);
    }
  }
  for (const TempFile& t : store.temp_files())
    if (t.mtime < keep_since) plan.temp.push_back(t);
  plan.live = std::move(live);
  return plan;
}

void gc_sweep(Store& store, const GcPlan& plan, const std::function<void(const StoredObject&)>& removed) {
  std::vector<std::string> paths;
  for (const StoredRef& r : plan.refs) paths.push_back(r.path);
  store.remove(paths);
  // A folder at a time (objects() lists them in key order, so a fan-out
  // folder's are together): one fsync each, not one an object.
  for (size_t i = 0; i < plan.objects.size();) {
    const std::string folder = parent_of(plan.objects[i].path);
    size_t end = i;
    paths.clear();
    for (; end < plan.objects.size() && parent_of(plan.objects[end].path) == folder; ++end)
      paths.push_back(plan.objects[end].path);
    store.remove(paths);
    for (; i < end; ++i) removed(plan.objects[i]);
  }
  paths.clear();
  for (const TempFile& t : plan.temp) paths.push_back(t.path);
  store.remove(paths);
}

}  // namespace grid
