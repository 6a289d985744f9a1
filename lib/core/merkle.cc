#include "core/merkle.h"

#include <stdexcept>

#include "core/error.h"

namespace grid {
namespace {

using Leaves = std::vector<Digest>;

// Largest power of two strictly below n (n >= 2).
size_t split_point(size_t n) {
  size_t k = 1;
  while (k << 1 < n) k <<= 1;
  return k;
}

Digest root_of(const Leaves& d, size_t begin, size_t end) {
  size_t n = end - begin;
  if (n == 1) return d[begin];
  size_t k = split_point(n);
  return merkle_node_hash(root_of(d, begin, begin + k), root_of(d, begin + k, end));
}

void path_of(size_t m, const Leaves& d, size_t begin, size_t end, Leaves& out) {
  size_t n = end - begin;
  if (n <= 1) return;
  size_t k = split_point(n);
  if (m < k) {
    path_of(m, d, begin, begin + k, out);
    out.push_back(root_of(d, begin + k, end));
  } else {
    path_of(m - k, d, begin + k, end, out);
    out.push_back(root_of(d, begin, begin + k));
  }
}

void subproof(size_t m, const Leaves& d, size_t begin, size_t end, bool whole, Leaves& out) {
  size_t n = end - begin;
  if (m == n) {
    if (!whole) out.push_back(root_of(d, begin, end));
    return;
  }
  size_t k = split_point(n);
  if (m <= k) {
    subproof(m, d, begin, begin + k, whole, out);
    out.push_back(root_of(d, begin + k, end));
  } else {
    subproof(m - k, d, begin + k, end, false, out);
    out.push_back(root_of(d, begin, begin + k));
  }
}

}  // namespace

Digest merkle_leaf_hash(std::string_view data) {
  Sha256 h;
  const uint8_t prefix = 0x00;
  return h.update(&prefix, 1).update(data).final();
}

Digest merkle_node_hash(const Digest& left, const Digest& right) {
  Sha256 h;
  const uint8_t prefix = 0x01;
  return h.update(&prefix, 1).update(left.data(), left.size()).update(right.data(), right.size()).final();
}

Digest merkle_root(const Leaves& leaf_hashes) {
  if (leaf_hashes.empty()) return sha256(std::string_view());
  return root_of(leaf_hashes, 0, leaf_hashes.size());
}

Leaves merkle_audit_path(size_t index, const Leaves& leaf_hashes) {
  if (index >= leaf_hashes.size()) throw Error(Exit::internal, "audit path for a leaf past the tree");
  Leaves out;
  path_of(index, leaf_hashes, 0, leaf_hashes.size(), out);
  return out;
}

bool merkle_verify_inclusion(const Digest& leaf_hash, size_t index, size_t size, const Leaves& path,
                             const Digest& root) {
  if (index >= size) return false;
  size_t fn = index, sn = size - 1;
  Digest r = leaf_hash;
  for (const Digest& p : path) {
    if (sn == 0) return false;
    if ((fn & 1) || fn == sn) {
      r = merkle_node_hash(p, r);
      while (!(fn & 1) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      r = merkle_node_hash(r, p);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return sn == 0 && r == root;
}

Leaves merkle_consistency_proof(size_t m, const Leaves& leaf_hashes) {
  if (m == 0 || m > leaf_hashes.size()) throw Error(Exit::internal, "consistency proof for an impossible size");
  Leaves out;
  subproof(m, leaf_hashes, 0, leaf_hashes.size(), true, out);
  return out;
}

bool merkle_verify_consistency(size_t old_size, size_t new_size, const Digest& old_root,
                               const Digest& new_root, const Leaves& proof) {
  if (old_size > new_size) return false;
  if (old_size == new_size) return proof.empty() && old_root == new_root;
  if (old_size == 0) return proof.empty();
  Leaves path;
  if ((old_size & (old_size - 1)) == 0) path.push_back(old_root);
  path.insert(path.end(), proof.begin(), proof.end());
  if (path.empty()) return false;
  size_t fn = old_size - 1, sn = new_size - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Digest fr = path[0], sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    const Digest& c = path[i];
    if (sn == 0) return false;
    if ((fn & 1) || fn == sn) {
      fr = merkle_node_hash(c, fr);
      sr = merkle_node_hash(c, sr);
      while (!(fn & 1) && fn != 0) {
        fn >>= 1;
        sn >>= 1;
      }
    } else {
      sr = merkle_node_hash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  return fr == old_root && sr == new_root && sn == 0;
}

}  // namespace grid
