// Root filesystem images for exec tasks: a tarball as `podman export` or
// `docker export` writes it, named by SHA-256, unpacked once into the store
// (images/<hex>/) and shared read-only by every task that names it.
#pragma once

#include <string>

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

}  // namespace grid
