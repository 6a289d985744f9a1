#include "jobs/store_commands.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <set>

#include "compute/csv_write.h"
#include "compute/npy.h"
#include "core/file_io.h"
#include "core/store.h"
#include "core/store_gc.h"
#include "core/text_pad.h"
#include "core/timestamp.h"
#include "core/tool.h"
#include "jobs/exec_image.h"

namespace grid {
namespace {

// A prefix shorter than this names too many objects to be worth a lookup
// (git's minimum abbreviation too).
constexpr size_t kMinPrefix = 4;
// How many of an ambiguous prefix's objects its error names.
constexpr size_t kAmbiguousShown = 4;

Store open_store(const StoreOptions& opt) { return Store::from_flag(opt.store); }

// The object `text` names: sha256:<hex>, <hex>, or a prefix of either
// that only one object in the store starts with.
Digest resolve_key(const Store& store, const std::string& text) {
  const std::string h = ascii_lower(text.rfind("sha256:", 0) == 0 ? text.substr(7) : text);
  Digest d;
  if (h.size() == 64 && unhex(h, d.data(), d.size())) {
    if (!store.has(d)) throw Error(Exit::no_input, "object " + sha256_ref(d) + " is not in the store " + store.dir());
    return d;
  }
  if (h.size() < kMinPrefix || h.size() > 64 || h.find_first_not_of("0123456789abcdef") != std::string::npos)
    throw Error(Exit::usage, "'" + text + "' is neither a SHA-256 (sha256:<64 hex digits>) nor a prefix of one of " +
                                 std::to_string(kMinPrefix) + " or more hex digits");
  const std::vector<Digest> found = store.keys_with_prefix(h);
  if (found.empty()) throw Error(Exit::no_input, "no object in the store " + store.dir() + " starts with " + h);
  if (found.size() > 1) {
    std::vector<std::string> names;
    for (size_t i = 0; i < found.size() && i < kAmbiguousShown; ++i) names.push_back(sha256_ref(found[i]));
    if (found.size() > kAmbiguousShown) names.push_back("...");
    throw Error(Exit::usage, "'" + text + "' is ambiguous: " + std::to_string(found.size()) +
                                 " objects start with it (" + join(names) + ")");
  }
  return found.front();
}

json object_line(const StoredObject& o) {
  return {{"sha256", sha256_ref(o.key)}, {"bytes", o.bytes}, {"mtime", format_rfc3339(o.mtime)}};
}

std::string object_row(const StoredObject& o) {
  return sha256_ref(o.key) + "  " + pad_left(std::to_string(o.bytes), 12) + "  " + format_rfc3339(o.mtime) + "\n";
}

}  // namespace

int store_get(Tool&, const StoreOptions& opt) {
  const Store store = open_store(opt);
  const Digest key = resolve_key(store, opt.object);
  // Whole, and verified, before a byte goes out: a corrupt object writes
  // nothing, not a prefix of itself.
  std::string bytes = store.get(key);
  if (!opt.as.empty()) {
    const Matrix m = parse_npy(bytes, "object " + sha256_ref(key));
    if (opt.as == "csv") bytes = csv_text(m);
  }
  if (opt.out.empty()) write_stdout(bytes);
  else write_file_atomic(opt.out, bytes, 0644);
  return 0;
}

int store_put(Tool&, const StoreOptions& opt) {
  Store store = open_store(opt);
  for (const std::string& input : opt.inputs.empty() ? std::vector<std::string>{"-"} : opt.inputs) {
    std::string source;
    const int fd = open_input(input, &source);
    FdCloser closer(fd == 0 ? -1 : fd);
    struct stat st;
    if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) throw Error(Exit::no_input, source + " is a folder, not a file");
    const Digest key = store.put_fd(fd, source);
    if (::stat(store.path(key).c_str(), &st) != 0) throw Error(Exit::io, "cannot stat " + store.path(key));
    write_message({{"sha256", sha256_ref(key)}, {"bytes", static_cast<uint64_t>(st.st_size)}, {"file", source}});
  }
  return 0;
}

int store_ls(Tool& tool, const StoreOptions& opt) {
  const bool table = tool.table_format();
  for (const StoredObject& o : open_store(opt).objects()) {
    if (table) write_stdout(object_row(o));
    else write_message(object_line(o));
  }
  return 0;
}

int store_verify(Tool& tool, const StoreOptions& opt) {
  const Store store = open_store(opt);
  const bool table = tool.table_format();
  size_t bad = 0;
  for (const StoredObject& o : store.objects()) {
    const std::optional<Digest> got = store.rehash(o.key);
    json r = {{"sha256", sha256_ref(o.key)}, {"bytes", o.bytes}, {"ok", got == o.key}};
    if (!got) r["reason"] = "cannot be read";
    else if (*got != o.key) r["reason"] = "its bytes hash to " + sha256_ref(*got);
    if (got != o.key) ++bad;
    if (!table) write_message(r);
    else write_stdout(std::string(got == o.key ? "ok    " : "FAIL  ") + sha256_ref(o.key) +
                      (r.contains("reason") ? "  (" + r["reason"].get<std::string>() + ")" : "") + "\n");
  }
  if (bad) tool.note(std::to_string(bad) + " corrupt object(s) in " + store.dir() +
                     ": a put of the right bytes repairs one; a gc that keeps none removes it");
  return bad ? static_cast<int>(Exit::negative) : 0;
}

int store_gc(Tool& tool, const StoreOptions& opt) {
  int64_t grace = 0;
  if (opt.grace != "0") {
    const std::optional<int64_t> g = parse_duration(opt.grace);
    if (!g) throw Error(Exit::usage, "--grace " + opt.grace + " is not a duration (90s, 1h30m, 2d) or 0");
    grace = *g;
  }
  if (opt.inputs.empty())
    throw Error(Exit::usage, "gc needs at least one root (a file of results, tasks... or sha256:<hex>): "
                             "with none it would remove every object");
  Store store = open_store(opt);
  // Every root is read before anything is removed: a bad line ends the
  // run with nothing touched.
  std::set<Digest> roots;
  std::vector<std::string> files;
  for (const std::string& r : opt.inputs) {
    Digest d;
    if (parse_sha256_ref(ascii_lower(r), &d)) roots.insert(d);
    else files.push_back(r);
  }
  auto keep = [&](const Digest& d) { roots.insert(d); };
  if (!files.empty())
    tool.each_message(files, [&](json& m, const Position& at) {
      each_named_digest(m, DigestForms::refs_and_bare_hex, keep);
      // The line itself, as job-run caches a result it wrote.
      roots.insert(sha256(at.text));
    });
  const int64_t keep_since = grace > 0 ? now_seconds() - grace : INT64_MAX;
  const GcPlan plan = gc_plan(store, roots, keep_since);
  // An unpacked image goes with its tarball's name: kept while that is
  // live, whether or not the tarball object is still there.
  std::vector<StoredImage> images, leftovers;
  for (const StoredImage& i : stored_images(store)) {
    if (i.changed >= keep_since) continue;
    if (!i.key) leftovers.push_back(i);
    else if (!plan.live.count(*i.key)) images.push_back(i);
  }
  uint64_t freed = 0;
  auto report = [&](const StoredObject& o) {
    freed += o.bytes;
    write_message(object_line(o));
  };
  auto report_image = [&](const StoredImage& i) { write_message({{"image", sha256_ref(*i.key)}}); };
  if (opt.dry_run) {
    for (const StoredObject& o : plan.objects) report(o);
    for (const StoredImage& i : images) report_image(i);
  } else {
    gc_sweep(store, plan, report);
    for (const StoredImage& i : images) {
      remove_image(store, i);
      report_image(i);
    }
    for (const StoredImage& i : leftovers) remove_image(store, i);
  }
  tool.note(std::string(opt.dry_run ? "would remove " : "removed ") + std::to_string(plan.objects.size()) +
            " object(s) (" + std::to_string(freed) + " bytes), " + std::to_string(images.size()) + " image(s), " +
            std::to_string(plan.refs.size()) + " reference(s) and " +
            std::to_string(plan.temp.size() + leftovers.size()) + " temp file(s); kept " +
            std::to_string(plan.kept) + " object(s) (" + std::to_string(plan.kept_bytes) + " bytes)");
  return 0;
}

}  // namespace grid
