// RFC 6962 Merkle trees (section 2.1): roots, audit paths, consistency
// proofs and their verification, for any number of leaves.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "core/crypto.h"

namespace grid {

// SHA-256(0x00 || data): what a leaf's data is hashed to.
Digest merkle_leaf_hash(std::string_view data);
// SHA-256(0x01 || left || right).
Digest merkle_node_hash(const Digest& left, const Digest& right);

// MTH over leaves given as leaf hashes; SHA-256("") for none.
Digest merkle_root(const std::vector<Digest>& leaf_hashes);

// PATH(index, D[n]); requires index < leaf_hashes.size().
std::vector<Digest> merkle_audit_path(size_t index, const std::vector<Digest>& leaf_hashes);

// True when `path` proves leaf `index` of a tree of `size` leaves with
// root `root` (RFC 9162 section 2.1.3.2).
bool merkle_verify_inclusion(const Digest& leaf_hash, size_t index, size_t size,
                             const std::vector<Digest>& path, const Digest& root);

// PROOF(m, D[n]) for 0 < m <= n = leaf_hashes.size().
std::vector<Digest> merkle_consistency_proof(size_t m, const std::vector<Digest>& leaf_hashes);

// True when `proof` shows the tree of `old_size` leaves with `old_root`
// is a prefix of the one of `new_size` leaves with `new_root`
// (RFC 9162 section 2.1.4.2).
bool merkle_verify_consistency(size_t old_size, size_t new_size, const Digest& old_root,
                               const Digest& new_root, const std::vector<Digest>& proof);

}  // namespace grid
