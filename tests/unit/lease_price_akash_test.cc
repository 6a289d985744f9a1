#include "market/lease_price_akash.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>

namespace grid {
namespace {

AkashRates rates(double denom_price, double block_seconds = kAkashBlockSeconds) {
  AkashRates r;
  r.denom_price = denom_price;
  r.block_seconds = block_seconds;
  r.denom = "uakt";
  return r;
}

TEST(AkashPricedRequest, CarriesTheGroupsTheDenomAndSixPlaces) {
  const json groups = json::array({{{"cpu", 8000}, {"count", 1}}});
  const json r = akash_priced_request(groups, rates(2), 100000, 72);  // 12 blocks
  EXPECT_EQ(r["resources"], groups);
  EXPECT_EQ(r["price"]["denom"], "uakt");
  EXPECT_EQ(r["price"]["amount"], "4166.666666");  // 100000 / 24, rounded down
  EXPECT_EQ(r["price_precision"], 6);
}

// The cap, read back as the script reads it, never lets the bid's price
// (akash_price of a rate at the cap) past the order's max price, and is
// within a millionth of a unit a block of the exact quotient.
TEST(AkashPricedRequest, TheCapNeverLetsAPricePastTheMaxPrice) {
  std::mt19937_64 rng(20261207);
  for (int i = 0; i < 2000; ++i) {
    const int64_t max_price = std::uniform_int_distribution<int64_t>(1, int64_t{1} << 40)(rng);
    const double denom_price = std::uniform_real_distribution<double>(0.01, 50)(rng);
    const double seconds = std::uniform_real_distribution<double>(0, 1e5)(rng);
    const AkashRates r = rates(denom_price);
    const std::string amount = akash_priced_request(json::array(), r, max_price, seconds)["price"]["amount"];
    const double cap = std::stod(amount);
    const double exact = static_cast<double>(max_price) / (akash_blocks(r, seconds) * denom_price);
    ASSERT_LE(cap, exact * (1 + 1e-15)) << amount;
    ASSERT_GT(cap, exact - 1e-6 - exact * 1e-15) << amount;
    if (cap <= 0) continue;
    int64_t price = 0;
    json pricing;
    ASSERT_TRUE(akash_price(cap, r, seconds, &price, &pricing).ok());
    ASSERT_LE(price, max_price) << "amount " << amount;
    EXPECT_EQ(pricing["denom"], "uakt");
  }
}

TEST(AkashBlocks, ALeasePaysEachBlockItStarts) {
  EXPECT_EQ(akash_blocks(rates(1, 6), 0), 1);
  EXPECT_EQ(akash_blocks(rates(1, 6), 6), 1);
  EXPECT_EQ(akash_blocks(rates(1, 6), 6.5), 2);
  EXPECT_EQ(akash_blocks(rates(1, 36), 72), 2);
}

// Names as nvidia-smi gives them, and the short names of Akash's GPU list.
TEST(AkashGpuAttributes, ShortLowerCaseModelsRamAndInterface) {
  constexpr int64_t GiB = int64_t{1} << 30;
  EXPECT_EQ(akash_gpu_attributes("NVIDIA H100 80GB HBM3", 81559 * (int64_t{1} << 20)),
            (json{{"model", "h100"}, {"ram", "80Gi"}}));
  EXPECT_EQ(akash_gpu_attributes("NVIDIA A100-SXM4-80GB", 80 * GiB),
            (json{{"model", "a100"}, {"ram", "80Gi"}, {"interface", "sxm"}}));
  EXPECT_EQ(akash_gpu_attributes("NVIDIA A100-PCIE-40GB", 40 * GiB),
            (json{{"model", "a100"}, {"ram", "40Gi"}, {"interface", "pcie"}}));
  EXPECT_EQ(akash_gpu_attributes("NVIDIA H100 PCIe", 0), (json{{"model", "h100"}, {"interface", "pcie"}}));
  EXPECT_EQ(akash_gpu_attributes("NVIDIA GeForce RTX 4090", 24564 * (int64_t{1} << 20)),
            (json{{"model", "rtx4090"}, {"ram", "24Gi"}}));
  EXPECT_EQ(akash_gpu_attributes("NVIDIA RTX A6000", 48 * GiB), (json{{"model", "rtxa6000"}, {"ram", "48Gi"}}));
  EXPECT_EQ(akash_gpu_attributes("Tesla T4", 15 * GiB), (json{{"model", "t4"}, {"ram", "15Gi"}}));
  EXPECT_EQ(akash_gpu_attributes("NVIDIA L40S", 0), (json{{"model", "l40s"}}));
  EXPECT_EQ(akash_gpu_attributes("H100", 0), (json{{"model", "h100"}}));
}

}  // namespace
}  // namespace grid
