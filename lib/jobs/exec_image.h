// Root filesystem images for exec tasks: a tarball as `podman export` or
// `docker export` writes it, named by SHA-256, unpacked once into the store
// (images/<hex>/) and shared read-only by every task that names it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/crypto.h"

namespace grid {

class Store;

// The folder of the unpacked image `key` in `store`, unpacking the tarball
// `tarball` (a file whose bytes hash to `key`) when it is not there yet.
// Unpacking goes to a temporary folder renamed into place whole, so a
// half-unpacked image is never used; concurrent callers take turns.
// Refused (Exit::data at `field`): an entry with an absolute path or a ".."
// component, a hard link to such a path, a symbolic link whose relative
// target climbs out of the root, anything libarchive's secure extraction
// refuses. Device nodes, FIFOs and sockets are left out (the sandbox
// makes its own /dev); set-id bits are dropped.
std::string unpack_image(Store& store, const Digest& key, const std::string& tarball, const std::string& field);

// The folder an unpacked image `key` has in `store`, whether or not it is
// there.
std::string image_dir(const Store& store, const Digest& key);

// An entry of <store>/images/: an unpacked image (`key` set), or what a
// killed run left (an unfinished unpack, an image half-removed by gc).
// `changed` is the entry's ctime (seconds since the epoch): when it was
// renamed into place, which a tarball's own times cannot set.
struct StoredImage {
  std::optional<Digest> key;
  std::string path;
  int64_t changed = 0;
};

// Every entry of <store>/images/, images in order of key, then the
// leftovers; the unpackers' lock files are not listed. None when there is
// no images folder.
std::vector<StoredImage> stored_images(const Store& store);

// Removes an entry stored_images listed, whatever the tarball's modes
// were. An image is first renamed out of its name (atomic), so a task
// never finds half of one, and a gc killed midway leaves a leftover that
// the next removes. Exit::io on failure.
void remove_image(const Store& store, const StoredImage& image);

}  // namespace grid
