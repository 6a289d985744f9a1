// The CUDA exact GEMM's tiling (exact_gemm_tiling.h), checked on the CPU:
// the kernel's own load, store, multiply and output functions run here as
// its blocks and threads would, phase by phase between its barriers, on
// awkward shapes. Checks that every output is written exactly once and
// nothing else in C, that every output's chain is the DEFINITION's (one
// link per p = 0..k-1, in order, joining A[i][p] and B[p][j]), and that the
// result has exact_gemm_cpu's bits.
#include "compute/exact_gemm_tiling.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "compute/exact_gemm.h"
#include "compute/exact_gemm_grid.h"

namespace grid {

namespace exact_tiling_check {

// A value that records where it came from, so a simulated chain can be
// checked link by link: an element of A (i, p), of B (p, j), an output's
// accumulator (i, j, links so far), or T{} (what an out-of-range load
// reads, and an accumulator before its first link).
struct Tag {
  enum Kind : std::uint8_t { none, a, b, acc, untouched } kind = none;
  std::int64_t i = -1, p = -1, j = -1;
  std::int64_t links = 0;
  bool bad = false;  // some link broke the chain's rules
};

// One link: found by the tiling functions through argument-dependent
// lookup, as they find the float one. A chain is good when every link joins
// A[i][p] and B[p][j] with p its own position, for one (i, j) throughout.
Tag chain_fma(const Tag& x, const Tag& y, const Tag& acc) {
  Tag r = acc;
  const bool fresh = acc.kind == Tag::none && acc.links == 0;
  const bool ok = x.kind == Tag::a && y.kind == Tag::b && x.p == y.p && x.p == acc.links &&
                  (fresh || (acc.kind == Tag::acc && acc.i == x.i && acc.j == y.j));
  r.kind = Tag::acc;
  r.i = x.i;
  r.j = y.j;
  r.links = acc.links + 1;
  r.bad = acc.bad || !ok;
  return r;
}

}  // namespace exact_tiling_check

namespace {

using exact_tiling_check::Tag;
namespace xt = exact_tiling;

// When the kernel's threads run each phase (between two barriers) relative
// to one another: the GPU may interleave them any way, and the results must
// not depend on it. The two extremes: each thread's multiplies before any
// thread's stores into the next buffer, and the reverse, which would read
// overwritten operands were both tiles in one buffer.
enum class Order { multiply_first, store_first };

// exact_gemm_kernel<Tl> of lib/cuda/exact_gemm.cu with its threads run one
// after another within each phase.
template <typename Tl, typename T>
void run_kernel_on_cpu(const xt::GemmOperands<T>& o, Order order) {
  const ExactGemmGrid g = exact_gemm_grid(o.m, o.n, Tl::kTileM, Tl::kTileN);
  auto s = std::make_unique<xt::TileBuffers<Tl, T>>();
  std::vector<xt::Fragment<T>> f(Tl::kThreads);
  struct Acc {
    xt::Accumulators<Tl, T> v;
  };
  std::vector<Acc> acc(Tl::kThreads);
  for (std::int64_t block = 0; block < g.blocks; ++block) {
    const std::int64_t row0 = block / g.col_tiles * Tl::kTileM, col0 = block % g.col_tiles * Tl::kTileN;
    for (Acc& a : acc)
      for (auto& row : a.v)
        for (T& x : row) x = T{};
    const int tiles = xt::k_tiles(o.k);
    if (tiles > 0)
      for (int tid = 0; tid < Tl::kThreads; ++tid) {
        xt::load_fragment<Tl>(o, row0, col0, 0, tid, &f[tid]);
        xt::store_fragment<Tl>(f[tid], xt::buffer_of(0), tid, s.get());
      }
    for (int t = 0; t < tiles; ++t) {
      const bool more = t + 1 < tiles;
      for (int tid = 0; tid < Tl::kThreads; ++tid)
        if (more) xt::load_fragment<Tl>(o, row0, col0, t + 1, tid, &f[tid]);
      auto multiply = [&] {
        for (int tid = 0; tid < Tl::kThreads; ++tid)
          xt::multiply_tile<Tl>(*s, o.k, t, Tl::thread_x(tid), Tl::thread_y(tid), acc[tid].v);
      };
      auto store = [&] {
        for (int tid = 0; tid < Tl::kThreads; ++tid)
          if (more) xt::store_fragment<Tl>(f[tid], xt::buffer_of(t + 1), tid, s.get());
      };
      if (order == Order::multiply_first) multiply(), store();
      else store(), multiply();
    }
    for (int tid = 0; tid < Tl::kThreads; ++tid)
      xt::store_outputs<Tl>(o, row0, col0, Tl::thread_x(tid), Tl::thread_y(tid), acc[tid].v);
  }
}

struct Shape {
  int m, n, k;
};

// Edges of the 128 x 128 and 32 x 32 tiles, of the 4-float vectors and of
// the K tile (8) and its two buffers; skinny shapes; k = 0.
const Shape kShapes[] = {{1, 1, 1},     {1, 1, 17},    {2, 3, 0},     {3, 5, 7},    {4, 4, 8},
                         {5, 6, 9},     {127, 129, 7}, {128, 128, 8}, {129, 127, 9}, {128, 132, 16},
                         {131, 130, 17}, {1, 300, 24}, {300, 1, 23},  {257, 131, 33}, {64, 257, 2}};

// The same edges with less work, for the chain check's bookkeeping type,
// which costs tens of times a float fma (the sanitizer build runs it too).
const Shape kChainShapes[] = {{1, 1, 1},     {1, 1, 17},    {2, 3, 0},     {3, 5, 7},     {4, 4, 8},
                              {5, 6, 9},     {127, 129, 7}, {128, 128, 8}, {129, 127, 9}, {128, 132, 16},
                              {131, 130, 17}, {1, 300, 9},  {300, 1, 10},  {64, 257, 2}};

std::string describe(const Shape& s, bool vec, Order order) {
  std::ostringstream o;
  o << s.m << "x" << s.n << "x" << s.k << (vec ? " vector" : " scalar") << " loads/stores, "
    << (order == Order::multiply_first ? "multiplies first" : "stores first");
  return o.str();
}

// Both tilings, every test.
template <typename Tl>
class ExactGemmTiling : public ::testing::Test {};
using Tilings = ::testing::Types<xt::LargeTiling, xt::SmallTiling>;
TYPED_TEST_SUITE(ExactGemmTiling, Tilings);

TYPED_TEST(ExactGemmTiling, EachOutputOfATileHasOneOwnerAndItsRowsComeInVectors) {
  using Tl = TypeParam;
  std::vector<int> owners(static_cast<std::size_t>(Tl::kTileM) * Tl::kTileN, 0);
  for (int tid = 0; tid < Tl::kThreads; ++tid) {
    const int tx = Tl::thread_x(tid), ty = Tl::thread_y(tid);
    ASSERT_EQ(ty * Tl::kThreadsX + tx, tid);
    for (int r = 0; r < Tl::kPerThreadM; ++r)
      for (int c = 0; c < Tl::kPerThreadN; ++c) {
        const int i = Tl::out_row(ty, r), j = Tl::out_col(tx, c);
        ASSERT_TRUE(i >= 0 && i < Tl::kTileM && j >= 0 && j < Tl::kTileN) << tid << " " << r << " " << c;
        ++owners[static_cast<std::size_t>(i) * Tl::kTileN + j];
        // multiply_step and store_outputs read and write runs of 4.
        EXPECT_EQ(i, Tl::out_row(ty, r / xt::kVec * xt::kVec) + r % xt::kVec);
        EXPECT_EQ(j, Tl::out_col(tx, c / xt::kVec * xt::kVec) + c % xt::kVec);
        EXPECT_EQ(Tl::out_col(tx, c / xt::kVec * xt::kVec) % xt::kVec, 0) << "a vector store must be aligned";
      }
  }
  for (std::size_t e = 0; e < owners.size(); ++e) ASSERT_EQ(owners[e], 1) << "tile output " << e;
}

TYPED_TEST(ExactGemmTiling, EachOperandElementOfAKTileIsLoadedByOneThread) {
  using Tl = TypeParam;
  std::vector<int> a(static_cast<std::size_t>(Tl::kTileM) * xt::kTileK, 0);
  std::vector<int> b(static_cast<std::size_t>(xt::kTileK) * Tl::kTileN, 0);
  for (int tid = 0; tid < Tl::kThreads; ++tid)
    for (int e = 0; e < xt::kVec; ++e) {
      ++a[static_cast<std::size_t>(Tl::a_load_row(tid)) * xt::kTileK + Tl::a_load_p(tid) + e];
      ++b[static_cast<std::size_t>(Tl::b_load_p(tid)) * Tl::kTileN + Tl::b_load_col(tid) + e];
    }
  for (std::size_t e = 0; e < a.size(); ++e) ASSERT_EQ(a[e], 1) << "A tile element " << e;
  for (std::size_t e = 0; e < b.size(); ++e) ASSERT_EQ(b[e], 1) << "B tile element " << e;
  EXPECT_NE(xt::buffer_of(0), xt::buffer_of(1)) << "tiles t and t + 1 must be in different buffers";
  EXPECT_EQ(xt::buffer_of(0), xt::buffer_of(2));
  EXPECT_EQ(xt::k_tiles(0), 0);
  EXPECT_EQ(xt::k_tiles(8), 1);
  EXPECT_EQ(xt::k_tiles(9), 2);
  EXPECT_EQ(xt::k_tiles(2147483647), 268435456);
  EXPECT_EQ(xt::live_k(9, 1), 1);
  EXPECT_EQ(xt::live_k(2147483647, 268435455), 7);
}

// Every output's chain, link by link, and nothing written outside C's
// m x n entries (C's padding columns hold a mark that must survive).
TYPED_TEST(ExactGemmTiling, EveryOutputIsWrittenOnceWithItsWholeChainInOrder) {
  using Tl = TypeParam;
  for (const Shape& s : kChainShapes)
    for (bool vec : {false, true})
      for (Order order : {Order::multiply_first, Order::store_first}) {
        const int lda = s.k + 1, ldb = s.n + 2, ldc = s.n + 3;
        std::vector<Tag> A(static_cast<std::size_t>(s.m) * lda), B(static_cast<std::size_t>(s.k) * ldb);
        for (int i = 0; i < s.m; ++i)
          for (int p = 0; p < s.k; ++p) A[static_cast<std::size_t>(i) * lda + p] = {Tag::a, i, p, -1, 0, false};
        for (int p = 0; p < s.k; ++p)
          for (int j = 0; j < s.n; ++j) B[static_cast<std::size_t>(p) * ldb + j] = {Tag::b, -1, p, j, 0, false};
        // Padding of A and B holds T{}: a chain that reads it breaks.
        std::vector<Tag> C(static_cast<std::size_t>(s.m) * ldc, Tag{Tag::untouched, -1, -1, -1, 0, false});
        const xt::GemmOperands<Tag> o = {s.m, s.n, s.k, A.data(), lda, B.data(), ldb, C.data(), ldc, vec, vec, vec};
        run_kernel_on_cpu<Tl>(o, order);
        for (int i = 0; i < s.m; ++i)
          for (int j = 0; j < ldc; ++j) {
            const Tag& c = C[static_cast<std::size_t>(i) * ldc + j];
            const std::string where = describe(s, vec, order) + ": C[" + std::to_string(i) + "][" +
                                      std::to_string(j) + "]";
            if (j >= s.n) {
              ASSERT_EQ(c.kind, Tag::untouched) << where << " is padding, yet was written";
            } else if (s.k == 0) {
              ASSERT_TRUE(c.kind == Tag::none && c.links == 0) << where << ": k = 0 must store the initial +0";
            } else {
              ASSERT_FALSE(c.bad) << where << ": a link joined the wrong elements or came out of order";
              ASSERT_EQ(c.kind, Tag::acc) << where;
              ASSERT_EQ(c.i, i) << where;
              ASSERT_EQ(c.j, j) << where;
              ASSERT_EQ(c.links, s.k) << where << ": not one link per p";
            }
          }
      }
}

// Each output written exactly once: a store that lands on an output a
// second time (another thread's, or this thread's twice) is counted.
TYPED_TEST(ExactGemmTiling, NoOutputIsStoredTwice) {
  using Tl = TypeParam;
  for (const Shape& s : kShapes)
    for (bool vec : {false, true}) {
      const ExactGemmGrid g = exact_gemm_grid(s.m, s.n, Tl::kTileM, Tl::kTileN);
      const int ldc = s.n + 3;
      std::vector<int> writes(static_cast<std::size_t>(s.m) * ldc, 0);
      // store_outputs through a C of counters: each value it stores is the
      // old count + 1, read at the moment of the store (the accumulators
      // are set from C just before).
      std::vector<float> C(writes.size(), 0.0f);
      const xt::GemmOperands<float> o = {s.m, s.n, s.k, nullptr, 1, nullptr, 1, C.data(), ldc, vec, vec, vec};
      for (std::int64_t block = 0; block < g.blocks; ++block) {
        const std::int64_t row0 = block / g.col_tiles * Tl::kTileM, col0 = block % g.col_tiles * Tl::kTileN;
        for (int tid = 0; tid < Tl::kThreads; ++tid) {
          const int tx = Tl::thread_x(tid), ty = Tl::thread_y(tid);
          xt::Accumulators<Tl, float> acc;
          for (int r = 0; r < Tl::kPerThreadM; ++r)
            for (int c = 0; c < Tl::kPerThreadN; ++c) {
              const std::int64_t i = row0 + Tl::out_row(ty, r), j = col0 + Tl::out_col(tx, c);
              acc[r][c] = i < s.m && j < s.n ? C[static_cast<std::size_t>(i * ldc + j)] + 1.0f : -1.0f;
            }
          xt::store_outputs<Tl>(o, row0, col0, tx, ty, acc);
        }
      }
      for (int i = 0; i < s.m; ++i)
        for (int j = 0; j < ldc; ++j)
          ASSERT_EQ(C[static_cast<std::size_t>(i) * ldc + j], j < s.n ? 1.0f : 0.0f)
              << describe(s, vec, Order::multiply_first) << ": C[" << i << "][" << j << "] written that many times";
    }
}

// The float run gives exact_gemm_cpu's bits, signed zeros and the -0 chains
// of exact_edge_cases.h included.
TYPED_TEST(ExactGemmTiling, FloatRunOnTheCpuHasExactGemmBits) {
  using Tl = TypeParam;
  const std::uint32_t seed = 4242;
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  for (const Shape& s : kShapes)
    for (bool minus_zero : {false, true}) {
      const int lda = s.k + 4, ldb = s.n + 4, ldc = s.n + 4;
      std::vector<float> A(static_cast<std::size_t>(s.m) * lda), B(static_cast<std::size_t>(s.k) * ldb);
      for (float& x : A) x = minus_zero ? -0x1p-149f : dist(rng);  // -0 chains: every product rounds to -0
      for (float& x : B) x = minus_zero ? 0.5f : dist(rng);
      std::vector<float> cpu(static_cast<std::size_t>(s.m) * ldc, 7.0f), sim = cpu;
      exact_gemm_cpu(s.m, s.n, s.k, A.data(), lda, B.data(), ldb, cpu.data(), ldc, 1);
      for (Order order : {Order::multiply_first, Order::store_first}) {
        std::fill(sim.begin(), sim.end(), 7.0f);
        run_kernel_on_cpu<Tl>(xt::GemmOperands<float>{s.m, s.n, s.k, A.data(), lda, B.data(), ldb, sim.data(), ldc, true,
                                                  true, true},
                          order);
        for (std::size_t e = 0; e < cpu.size(); ++e) {
          std::uint32_t x, y;
          std::memcpy(&x, &cpu[e], 4);
          std::memcpy(&y, &sim[e], 4);
          ASSERT_EQ(x, y) << "seed " << seed << " " << describe(s, true, order) << (minus_zero ? " -0 chain" : "")
                          << ": element " << e;
        }
      }
    }
}

}  // namespace
}  // namespace grid
