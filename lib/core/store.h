// The content-addressed artifact store (doc/design.md, "Storage and network"): objects
// keyed by their SHA-256, and named references ("the result of task X")
// that point at objects.
//
// Layout under the store folder:
//   sha256/ab/cdef...   an object: its bytes, named by the hex of their
//                       SHA-256 (2 hex digits of fan-out, then 62); mode 0444
//   refs/ab/cdef...     a reference: "sha256:<hex>\n", named by the hex of
//                       the SHA-256 of its logical name
//   tmp/                files being written; same file system, so a rename
//                       moves them into place atomically
// Every write is temp file, fsync, rename, fsync of the folder; folders are
// made as needed with mode 0755 (less the umask). Concurrent writers of
// the same object are safe: both rename the same bytes into place.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/crypto.h"

namespace grid {

// An object as listed: its key, where it is, its size and when it was
// last written (seconds since the epoch).
struct StoredObject {
  Digest key{};
  std::string path;
  uint64_t bytes = 0;
  int64_t mtime = 0;
};

// A reference file as listed: where it is, when it was written, and what it
// points at (nullopt when the file is malformed).
struct StoredRef {
  std::string path;
  int64_t mtime = 0;
  std::optional<Digest> target;
};

// A file under tmp/ (an unfinished write or download).
struct TempFile {
  std::string path;
  uint64_t bytes = 0;
  int64_t mtime = 0;
};

class Store {
 public:
  // Nothing is created until the first write.
  explicit Store(std::string dir);

  // $XDG_DATA_HOME/gridutils/store when XDG_DATA_HOME is an absolute path,
  // else $HOME/.local/share/gridutils/store (HOME, else the password
  // database). Exit::usage when neither gives a home.
  static std::string default_dir();
  // The store a --store flag names: `dir`, or default_dir() when empty.
  static Store from_flag(const std::string& dir) { return Store(dir.empty() ? default_dir() : dir); }

  const std::string& dir() const { return dir_; }

  // Makes the folders a store in use has (tmp/ and the 256 fan-out folders
  // of objects and of references), so that a write makes none: for timing
  // a task as it runs on a provider's store, not on a new one.
  void make_folders() const;

  // Stores `bytes` and returns their key. Idempotent: an object already
  // present with these bytes is left alone; one present with other bytes
  // (corrupted on disk) is replaced. Exit::io on a failed write.
  Digest put(std::string_view bytes);

  // Copies the file at `src` into the store without holding it in memory,
  // hashing as it copies; returns the key. Exit::no_input when `src` does
  // not exist, Exit::io on a failed read or write.
  Digest put_file(const std::string& src);
  // The same from an open descriptor (left open), read to its end; `name`
  // names it in errors.
  Digest put_fd(int fd, const std::string& name);

  // Whether an object with this key exists (its bytes are not checked).
  bool has(const Digest& key) const;

  // Whether it exists and its bytes hash to `key` (read in pieces, never
  // held in memory whole): for large objects that need not be loaded.
  bool intact(const Digest& key) const;
  // The SHA-256 of the object's bytes as they are now (read in pieces);
  // nullopt when it is absent or cannot be read.
  std::optional<Digest> rehash(const Digest& key) const;

  // Where the object with this key is, or would be.
  std::string path(const Digest& key) const;

  // The object's bytes, re-hashed on every read: Exit::no_input when it is
  // absent, Exit::data naming the object's path when its bytes no longer
  // hash to `key` (a corrupted object is never returned; a later put of
  // the right bytes repairs it).
  std::string get(const Digest& key) const;

  // Where a download of object `key` is assembled (tmp/fetch-<hex>; its
  // ".part" file is what a later run resumes), the tmp folder made. Bytes
  // there are not an object until adopt() moves them into place.
  std::string download_path(const Digest& key);

  // Moves `file` (on the store's file system, e.g. a download_path whose
  // bytes the caller has checked hash to `key`) into place as object `key`:
  // mode 0444, rename, fsync of the folder. Exit::io on failure.
  void adopt(const std::string& file, const Digest& key);

  // Points the reference `name` (any string, e.g. "result " + task id) at
  // `key`, replacing what it pointed at. Exit::io on a failed write.
  void put_ref(const std::string& name, const Digest& key);

  // What reference `name` points at; nullopt when it was never set. The
  // object it names may be absent (check has()). Exit::data when the
  // reference file is malformed.
  std::optional<Digest> get_ref(const std::string& name) const;

  // Where reference `name` is kept.
  std::string ref_path(const std::string& name) const;

  // Every object, in order of key. Files under sha256/ whose names are no
  // key (a stray copy, an editor's backup) are left out. An absent store
  // has none. Exit::io when a folder cannot be read.
  std::vector<StoredObject> objects() const;

  // The keys of the objects whose hex starts with `hex_prefix` (lower-case
  // hex, at least 2 digits), in order.
  std::vector<Digest> keys_with_prefix(const std::string& hex_prefix) const;

  // Every reference file, and every file under tmp/.
  std::vector<StoredRef> refs() const;
  std::vector<TempFile> temp_files() const;

  // Removes objects, references or temp files (paths these listings gave),
  // then fsyncs each folder that lost one, so that all are durably gone
  // when it returns. One that is already gone is no error. Exit::io on
  // failure.
  void remove(const std::vector<std::string>& paths);

 private:
  std::string dir_;
};

}  // namespace grid
