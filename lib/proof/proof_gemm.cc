// trace, rows and freivalds for gemm results: rows [row_begin, row_end) of
// C = A B, A and B drawn from the gemm spec's seed (seeded_matrix.h). rows
// recomputes sampled rows with the exact kernel and compares their leaf
// hashes; freivalds checks the whole stored C in O(n^2) per round against
// an FP32 error bound, which holds for exact and fast mode alike.

#include <algorithm>
#include <cmath>
#include <cstring>

#include "compute/freivalds.h"
#include "core/merkle.h"
#include "compute/mlp.h"
#include "core/parallel_for.h"
#include "proof/proof_modes.h"
#include "compute/seeded_matrix.h"
#include "core/store.h"

namespace grid {
namespace {

struct GemmClaim {
  int64_t m = 0, n = 0, k = 0, begin = 0, end = 0;
  uint64_t seed = 0;
  std::vector<Digest> leaves;  // row_leaves: already RFC 6962 leaf hashes
  Digest root{}, c_sha{};
};

GemmClaim read_claim(const CheckContext& c) {
  const json& part = c.message()["gemm"];
  GemmClaim g;
  g.begin = part["row_begin"];
  g.end = part["row_end"];
  g.leaves = hex_digests(part["row_leaves"]);
  g.root = ref_digest(part["row_root"]);
  g.c_sha = ref_digest(part["c_sha256"]);
  if (c.task) {
    const json& spec = (*c.task)["gemm"];
    g.m = spec["m"];
    g.n = spec["n"];
    g.k = spec["k"];
    g.seed = spec["seed"].get<uint64_t>();
  }
  return g;
}

// The task's rows against the result's, and one leaf per row.
Status check_rows_claimed(const CheckContext& c, const GemmClaim& g) {
  if (c.task) {
    const json& spec = (*c.task)["gemm"];
    const int64_t b = spec.value("row_begin", int64_t{0}), e = spec.value("row_end", g.m);
    if (b != g.begin || e != g.end)
      return Status::Fail("the result covers rows " + std::to_string(g.begin) + ".." + std::to_string(g.end) +
                          ", the task asks for " + std::to_string(b) + ".." + std::to_string(e));
  }
  if (static_cast<int64_t>(g.leaves.size()) != g.end - g.begin)
    return Status::Fail(std::to_string(g.leaves.size()) + " row leaves for " + std::to_string(g.end - g.begin) + " rows");
  return Status::Ok();
}

ModeReport needs_task(const CheckContext& c, const char* mode) {
  return task_not_given(c, std::string(mode) + " regenerates its matrices from it");
}

std::string row_name(const GemmClaim& g, int64_t i) {
  return "row " + std::to_string(i) + " (C row " + std::to_string(g.begin + i) + ")";
}

// C's bytes: one row per leaf, each hashing to its leaf. The row length is
// the task's n, else what the size implies.
Status check_stored_rows(const GemmClaim& g, const std::string& bytes, int threads) {
  const size_t rows = static_cast<size_t>(g.end - g.begin);
  if (g.n > 0 ? bytes.size() != rows * static_cast<size_t>(g.n) * 4 : bytes.size() % (rows * 4) != 0)
    return Status::Fail("the stored C has " + std::to_string(bytes.size()) + " bytes, not " + std::to_string(rows) +
                        " rows of " + (g.n > 0 ? std::to_string(g.n) : std::string("equal")) + " floats");
  const size_t row_size = bytes.size() / rows;
  std::vector<char> differs(rows, 0);
  parallel_for(rows, threads, [&](size_t i) {
    differs[i] = merkle_leaf_hash(std::string_view(bytes.data() + i * row_size, row_size)) != g.leaves[i];
  });
  for (size_t i = 0; i < rows; ++i)
    if (differs[i])
      return Status::Fail(row_name(g, static_cast<int64_t>(i)) + " of the stored C does not match row_leaves[" +
                          std::to_string(i) + "]");
  return Status::Ok();
}

// The stored C's FP32 little-endian bytes as floats.
std::vector<float> little_endian_floats(const std::string& bytes) {
  std::vector<float> out(bytes.size() / 4);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
  std::memcpy(out.data(), bytes.data(), out.size() * 4);
#else
  for (size_t e = 0; e < out.size(); ++e) {
    uint32_t bits = 0;
    for (int b = 0; b < 4; ++b) bits |= uint32_t{static_cast<uint8_t>(bytes[e * 4 + b])} << (8 * b);
    std::memcpy(&out[e], &bits, 4);
  }
#endif
  return out;
}

// The index of the first Inf or NaN, or v.size(). An exponent test OR-ed
// over pieces first: it vectorizes, and a C is almost always all finite.
size_t first_non_finite(const std::vector<float>& v) {
  constexpr size_t kPiece = 4096;
  for (size_t at = 0; at < v.size(); at += kPiece) {
    const size_t end = std::min(at + kPiece, v.size());
    uint32_t any = 0;
    for (size_t e = at; e < end; ++e) {
      uint32_t bits;
      std::memcpy(&bits, &v[e], 4);
      any |= (bits & 0x7f800000u) == 0x7f800000u;
    }
    if (any)
      for (size_t e = at; e < end; ++e)
        if (!std::isfinite(v[e])) return e;
  }
  return v.size();
}

}  // namespace

ModeReport check_trace_gemm(CheckContext& c) {
  GemmClaim g = read_claim(c);
  json checked = {{"leaves", g.leaves.size()}};
  if (Status s = check_rows_claimed(c, g); !s.ok()) return ModeReport::fail(s.reason(), checked);
  const Digest root = merkle_root(g.leaves);
  if (root != g.root)
    return ModeReport::fail("row_root " + sha256_ref(g.root) + " is not the root of row_leaves (" + sha256_ref(root) + ")",
                            checked);
  const int64_t n = static_cast<int64_t>(g.leaves.size());
  std::vector<int64_t> proved = draw_indices(c.draw.seed, "trace", n, sample_count(*c.opt, n, n));
  if (Status s = check_inclusion(g.leaves, proved, g.root); !s.ok()) return ModeReport::fail(s.reason(), checked);
  checked["inclusion_proofs"] = proved.size();
  // The stored C, when at hand, must be the rows the leaves commit to:
  // c_sha256 (what quorum compares) and row_root then name the same C.
  if (c.store && c.store->has(g.c_sha)) {
    if (!c.store->intact(g.c_sha))
      return ModeReport::fail("the stored C " + c.store->path(g.c_sha) + " does not hash to c_sha256", checked);
    if (Status s = check_stored_rows(g, c.store->get(g.c_sha), c.opt->threads); !s.ok()) return ModeReport::fail(s.reason(), checked);
    checked["c_verified"] = true;
  }
  return ModeReport::pass(checked);
}

ModeReport check_rows_gemm(CheckContext& c) {
  if (!c.task) return needs_task(c, "rows");
  json checked = json::object();
  const json& header = c.message()["header"];
  if (header["mode"] != "exact")
    return ModeReport::inconclusive("rows compares exact row hashes; this result ran in " +
                                        header["mode"].get<std::string>() + " mode (freivalds checks it)",
                                    checked);
  GemmClaim g = read_claim(c);
  if (Status s = check_rows_claimed(c, g); !s.ok()) return ModeReport::fail(s.reason(), checked);
  const int64_t rows = g.end - g.begin;
  const int64_t q = sample_count(*c.opt, rows, static_cast<int64_t>(std::floor(c.opt->budget * static_cast<double>(rows))));
  const std::vector<int64_t> drawn = draw_indices(c.draw.seed, "rows", rows, q);
  checked["rows"] = index_list(drawn);
  checked["of"] = rows;

  const int n = static_cast<int>(g.n), k = static_cast<int>(g.k);
  std::vector<float> B = seeded_matrix(g.seed, kStreamB, k, n, c.opt->threads);
  std::vector<float> A;
  A.reserve(drawn.size() * static_cast<size_t>(k));
  for (int64_t i : drawn) {
    const int r = static_cast<int>(g.begin + i);
    std::vector<float> row = seeded_rows(g.seed, kStreamA, r, r + 1, k);
    A.insert(A.end(), row.begin(), row.end());
  }
  std::vector<float> C(drawn.size() * static_cast<size_t>(n));
  GemmEngine engine;
  engine.cuda = c.device.backend == Backend::cuda;
  engine.threads = c.opt->threads;
  engine.gemm(static_cast<int>(drawn.size()), n, k, A.data(), k, B.data(), n, C.data(), n);
  const std::vector<Digest> got = row_leaf_hashes(C.data(), static_cast<int>(drawn.size()), n);
  for (size_t s = 0; s < drawn.size(); ++s)
    if (got[s] != g.leaves[static_cast<size_t>(drawn[s])])
      return ModeReport::fail(row_name(g, drawn[s]) + ": the recomputed row differs from row_leaves[" +
                                  std::to_string(drawn[s]) + "]",
                              checked);
  if (merkle_root(g.leaves) != g.root) return ModeReport::fail("row_root is not the root of row_leaves", checked);
  if (Status s = check_inclusion(g.leaves, drawn, g.root); !s.ok()) return ModeReport::fail(s.reason(), checked);
  checked["cheat_fraction"] = c.opt->cheat_fraction;
  return ModeReport::pass(checked, sample_detection(*c.opt, rows, q));
}

ModeReport check_freivalds_gemm(CheckContext& c) {
  if (!c.task) return needs_task(c, "freivalds");
  json checked = {{"rounds", kFreivaldsRounds}};
  GemmClaim g = read_claim(c);
  if (Status s = check_rows_claimed(c, g); !s.ok()) return ModeReport::fail(s.reason(), checked);
  Fetched f = fetch_object(c, g.c_sha);
  if (f.state == Fetched::State::corrupt) return ModeReport::fail("the stored C is corrupt: " + f.problem, checked);
  if (f.state == Fetched::State::absent) return ModeReport::inconclusive("C is unavailable: " + f.problem, checked);
  const int64_t rows = g.end - g.begin, n = g.n, k = g.k;
  // c_sha256 and row_root must commit to the same rows.
  if (Status s = check_stored_rows(g, f.bytes, c.opt->threads); !s.ok()) return ModeReport::fail(s.reason(), checked);
  std::vector<float> C = little_endian_floats(f.bytes);
  if (const size_t e = first_non_finite(C); e < C.size())
    return ModeReport::fail(row_name(g, static_cast<int64_t>(e) / n) + " holds a non-finite value; A and B are in [-1, 1)",
                            checked);

  const std::vector<float> A = seeded_rows(g.seed, kStreamA, static_cast<int>(g.begin), static_cast<int>(g.end),
                                           static_cast<int>(k), c.opt->threads);
  const std::vector<float> B = seeded_matrix(g.seed, kStreamB, static_cast<int>(k), static_cast<int>(n), c.opt->threads);
  // |C~ - C| <= gamma_k |A| |B| entrywise for any order of the k FP32
  // multiply-adds, gamma_k = k u / (1 - k u), u = 2^-24; with r in {-1, 1}^n
  // the row sums bound (C~ r - A B r)_i by gamma_k (|A| |B| 1)_i. Twice
  // that covers the double rounding of the check itself.
  const double u = std::ldexp(1.0, -24), ku = static_cast<double>(k) * u;
  const double gamma = ku / (1.0 - ku);

  // All rounds at once: R (n x rounds) holds each round's vector as a
  // column, drawn round by round as documented; B R, A (B R) and C R are
  // then one pass each over B, A and C, which also sum |B| 1 and
  // |A| (|B| 1) for the bound. Summation order in double does not matter at
  // the FP32 bound's scale.
  constexpr int R = kFreivaldsRounds;
  static_assert(R == kFreivaldsProbes, "one pass computes every round");
  DrawStream stream(c.draw.seed, "freivalds");
  std::vector<double> r(static_cast<size_t>(n * R));
  for (int round = 0; round < R; ++round) {
    uint64_t word = 0;
    for (int64_t j = 0; j < n; ++j) {
      if (j % 64 == 0) word = stream.next_word();
      r[j * R + round] = (word >> (j % 64)) & 1 ? 1.0 : -1.0;
    }
  }
  const FreivaldsSums sums = freivalds_sums(A.data(), B.data(), C.data(), rows, n, k, r, c.opt->threads);
  double worst = 0;
  for (int round = 0; round < R; ++round) {
    for (int64_t i = 0; i < rows; ++i) {
      const double tol = 2.0 * gamma * sums.bound[i] + 1e-30;
      const double err = std::fabs(sums.cr[i * R + round] - sums.abr[i * R + round]);
      worst = std::max(worst, err / tol);
      if (err > tol) {
        checked["max_error_over_bound"] = worst;
        char buf[160];
        std::snprintf(buf, sizeof buf, ": C r differs from A (B r) by %.3g, past the FP32 bound %.3g (round %d)", err,
                      tol, round);
        return ModeReport::fail(row_name(g, i) + buf, checked);
      }
    }
  }
  checked["rows"] = rows;
  checked["max_error_over_bound"] = worst;
  // Per round, a C with an entry off by more than 1.5 times its row's
  // bound passes with probability at most 1/2.
  return ModeReport::pass(checked, 1.0 - std::ldexp(1.0, -kFreivaldsRounds));
}

}  // namespace grid
