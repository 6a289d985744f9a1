// Garbage collection of the store (grid-store gc): what some roots name,
// and whatever a kept object names in turn, stays; the rest goes.
//
// An object is named by a JSON string that is "sha256:<64 hex>" or bare
// 64 hex digits (a train trace lists its states bare). Stored objects
// whose first byte is '{' or '[' are read as JSON or JSON Lines (result
// lines job-run caches, train progress records) and what they name is kept
// too; other objects (matrices, models, states) name nothing.
//
// Crash-safe by order: references to doomed objects go first (and their
// folders are synced), then the objects, each unlink(2) atomic, a fan-out
// folder at a time, each folder synced before the next. The kept set is
// closed under naming, so whenever a run stops, no kept object or
// reference names a removed one.
#pragma once

#include <cstdint>
#include <functional>
#include <set>
#include <vector>

#include "core/canonical_json.h"
#include "core/crypto.h"
#include "core/store.h"

namespace grid {

enum class DigestForms {
  refs,               // "sha256:<64 hex>" only
  refs_and_bare_hex,  // and strings of exactly 64 hex digits
};

// Calls fn for each string anywhere in `v` (members and items, nested)
// that names a digest in one of `forms`, in document order, repeats
// included.
void each_named_digest(const json& v, DigestForms forms, const std::function<void(const Digest&)>& fn);

struct GcPlan {
  std::vector<StoredRef> refs;     // to remove: they point at doomed or absent objects
  std::vector<StoredObject> objects;  // to remove
  std::vector<TempFile> temp;      // to remove: unfinished writes older than the grace
  std::set<Digest> live;           // every digest kept: named, or written within the grace, stored or not
  size_t kept = 0;                 // objects kept
  uint64_t kept_bytes = 0;
};

// What a gc keeping `roots` would remove. Objects, references and temp
// files written at or after `keep_since` (seconds since the epoch) are kept
// as if they were roots, so that a run writing to the store meanwhile keeps
// its work. A malformed reference is left alone. Exit::data naming the
// object when a kept object that may name others is corrupt (nothing can
// be known to be garbage then).
GcPlan gc_plan(const Store& store, const std::set<Digest>& roots, int64_t keep_since);

// Removes what `plan` lists, references first; calls `removed` after each
// object is gone.
void gc_sweep(Store& store, const GcPlan& plan, const std::function<void(const StoredObject&)>& removed);

}  // namespace grid
