// RFC 6962 proofs from a stranger: inclusion and consistency proofs of any
// shape are verified without a crash, and the proofs we build for the
// leaves in the input always verify (and fail against another root).
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "core/merkle.h"
#include "fuzz_check.h"
#include "proof/proof_modes.h"

namespace {

struct Input {
  const uint8_t* p;
  size_t left;
  uint64_t take(size_t n) {
    uint64_t v = 0;
    for (size_t i = 0; i < n && left; ++i, --left) v = v << 8 | *p++;
    return v;
  }
  grid::Digest digest() {
    grid::Digest d{};
    for (auto& b : d) b = static_cast<uint8_t>(take(1));
    return d;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  Input in{data, size};
  // The stranger's own proof, checked as a verifier would.
  const size_t index = in.take(2), tree = in.take(2), old_size = in.take(2);
  const grid::Digest leaf = in.digest(), root = in.digest(), old_root = in.digest();
  std::vector<grid::Digest> path(in.take(1) % 70);
  for (auto& d : path) d = in.digest();
  (void)grid::merkle_verify_inclusion(leaf, index, tree, path, root);
  (void)grid::merkle_verify_consistency(old_size, tree, old_root, root, path);

  // A tree of the rest of the input, up to 300 leaves of up to 8 bytes.
  std::vector<grid::Digest> leaves;
  while (in.left && leaves.size() < 300) {
    const size_t n = std::min<size_t>(in.left, 1 + in.take(1) % 8);
    leaves.push_back(grid::merkle_leaf_hash(std::string_view(reinterpret_cast<const char*>(in.p), n)));
    in.p += n;
    in.left -= n;
  }
  if (leaves.empty()) return 0;
  const grid::Digest real = grid::merkle_root(leaves);
  const size_t at = index % leaves.size();
  const auto audit = grid::merkle_audit_path(at, leaves);
  FUZZ_CHECK(grid::merkle_verify_inclusion(leaves[at], at, leaves.size(), audit, real));
  FUZZ_CHECK(!grid::merkle_verify_inclusion(leaves[at], at, leaves.size(), audit, root) || root == real);
  FUZZ_CHECK(grid::check_inclusion(leaves, {static_cast<int64_t>(at)}, real).ok());
  FUZZ_CHECK(!grid::check_inclusion(leaves, {static_cast<int64_t>(leaves.size())}, real).ok());
  const size_t m = 1 + old_size % leaves.size();
  const auto proof = grid::merkle_consistency_proof(m, leaves);
  const grid::Digest prefix = grid::merkle_root(std::vector<grid::Digest>(leaves.begin(), leaves.begin() + m));
  FUZZ_CHECK(grid::merkle_verify_consistency(m, leaves.size(), prefix, real, proof));
  return 0;
}
