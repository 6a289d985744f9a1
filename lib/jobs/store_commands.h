// The grid-store subcommands: the content store (core/store.h) from the
// command line — objects out (as stored, or predictions as CSV), files in,
// a listing, a check of every object, and garbage collection.
#pragma once

#include <string>
#include <vector>

namespace grid {

class Tool;

struct StoreOptions {
  std::string store;                // --store; Store::default_dir() when empty
  std::string object;               // get: sha256:<hex>, <hex>, or a unique prefix of 4+ hex digits
  std::string as;                   // get: "" (the bytes), "npy" (checked) or "csv" (converted)
  std::string out;                  // get: file written atomically; stdout when empty
  std::vector<std::string> inputs;  // put: files, URLs or "-"; gc: roots
  bool dry_run = false;             // gc: list, remove nothing
  std::string grace = "1h";         // gc: keep what was written this recently; "0" keeps nothing by age
};

int store_get(Tool& tool, const StoreOptions& opt);
int store_put(Tool& tool, const StoreOptions& opt);
int store_ls(Tool& tool, const StoreOptions& opt);
// Exit::ok when every object hashes to its name, Exit::negative otherwise.
int store_verify(Tool& tool, const StoreOptions& opt);
int store_gc(Tool& tool, const StoreOptions& opt);

}  // namespace grid
