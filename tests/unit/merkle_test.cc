#include "core/merkle.h"

#include <gtest/gtest.h>

#include "vectors.h"

namespace grid {
namespace {

std::vector<Digest> leaf_hashes_from_vectors() {
  auto leaves = testing::load_vectors("merkle.jsonl", "leaves");
  std::vector<Digest> out;
  if (leaves.empty()) return out;
  for (const auto& h : leaves[0]["leaves"]) {
    Bytes b;
    EXPECT_TRUE(unhex(h.get<std::string>(), &b));
    out.push_back(merkle_leaf_hash(std::string_view(reinterpret_cast<const char*>(b.data()), b.size())));
  }
  return out;
}

std::vector<Digest> digests(const json& list) {
  std::vector<Digest> out;
  for (const auto& h : list) {
    Digest d;
    EXPECT_TRUE(unhex(h.get<std::string>(), d.data(), d.size()));
    out.push_back(d);
  }
  return out;
}

std::vector<Digest> prefix(const std::vector<Digest>& v, size_t n) { return {v.begin(), v.begin() + n}; }

TEST(Merkle, PublishedRoots) {
  auto leaves = leaf_hashes_from_vectors();
  ASSERT_EQ(leaves.size(), 8u);
  auto roots = testing::load_vectors("merkle.jsonl", "root");
  ASSERT_GE(roots.size(), 8u);
  for (const auto& r : roots) {
    size_t n = r["size"];
    EXPECT_EQ(hex(merkle_root(prefix(leaves, n))), r["root"].get<std::string>()) << "size " << n;
  }
}

TEST(Merkle, PublishedAuditPaths) {
  auto leaves = leaf_hashes_from_vectors();
  auto paths = testing::load_vectors("merkle.jsonl", "inclusion");
  ASSERT_FALSE(paths.empty());
  for (const auto& p : paths) {
    size_t index = p["index"], size = p["size"];
    auto tree = prefix(leaves, size);
    auto want = digests(p["path"]);
    EXPECT_EQ(merkle_audit_path(index, tree), want) << "leaf " << index << " of " << size;
    EXPECT_TRUE(merkle_verify_inclusion(leaves[index], index, size, want, merkle_root(tree)));
  }
}

TEST(Merkle, PublishedConsistencyProofs) {
  auto leaves = leaf_hashes_from_vectors();
  auto proofs = testing::load_vectors("merkle.jsonl", "consistency");
  ASSERT_FALSE(proofs.empty());
  for (const auto& p : proofs) {
    size_t m = p["old_size"], n = p["new_size"];
    auto want = digests(p["proof"]);
    EXPECT_EQ(merkle_consistency_proof(m, prefix(leaves, n)), want) << m << " -> " << n;
    EXPECT_TRUE(merkle_verify_consistency(m, n, merkle_root(prefix(leaves, m)), merkle_root(prefix(leaves, n)), want));
  }
}

TEST(Merkle, EmptyTreeIsHashOfNothing) {
  EXPECT_EQ(hex(merkle_root({})), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

// Every leaf of every tree up to 70 leaves proves its inclusion, and a
// changed leaf, index or path step does not. (The size alone is not bound
// by a path: a signed tree head carries it.)
TEST(Merkle, InclusionForAnyLeafCount) {
  std::vector<Digest> all;
  for (int i = 0; i < 70; ++i) all.push_back(merkle_leaf_hash("leaf " + std::to_string(i)));
  for (size_t n = 1; n <= all.size(); ++n) {
    auto tree = prefix(all, n);
    Digest root = merkle_root(tree);
    for (size_t i = 0; i < n; ++i) {
      auto path = merkle_audit_path(i, tree);
      ASSERT_TRUE(merkle_verify_inclusion(tree[i], i, n, path, root)) << i << " of " << n;
      EXPECT_FALSE(merkle_verify_inclusion(merkle_leaf_hash("forged"), i, n, path, root));
      if (n > 1) {
        EXPECT_FALSE(merkle_verify_inclusion(tree[i], (i + 1) % n, n, path, root));
      }
      EXPECT_FALSE(merkle_verify_inclusion(tree[i], n, n, path, root));
      if (!path.empty()) {
        auto bad = path;
        bad.back()[0] ^= 1;
        EXPECT_FALSE(merkle_verify_inclusion(tree[i], i, n, bad, root));
      }
    }
  }
}

TEST(Merkle, ConsistencyForAnySizes) {
  std::vector<Digest> all;
  for (int i = 0; i < 40; ++i) all.push_back(merkle_leaf_hash("entry " + std::to_string(i)));
  for (size_t n = 1; n <= all.size(); ++n) {
    Digest new_root = merkle_root(prefix(all, n));
    for (size_t m = 1; m <= n; ++m) {
      Digest old_root = merkle_root(prefix(all, m));
      auto proof = merkle_consistency_proof(m, prefix(all, n));
      ASSERT_TRUE(merkle_verify_consistency(m, n, old_root, new_root, proof)) << m << " -> " << n;
      Digest wrong = old_root;
      wrong[5] ^= 0x40;
      EXPECT_FALSE(merkle_verify_consistency(m, n, wrong, new_root, proof)) << m << " -> " << n;
      if (m < n) {
        EXPECT_FALSE(merkle_verify_consistency(m, n, old_root, wrong, proof));
      }
    }
  }
}

}  // namespace
}  // namespace grid
