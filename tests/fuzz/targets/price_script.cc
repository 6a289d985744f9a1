// What a provider's price script printed: a positive whole number of
// micro-units no larger than the script's own number rounded up, or none.
#include <cmath>
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "market/lease_pricing.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto price = grid::parse_script_price(text);
  if (price) FUZZ_CHECK(*price > 0);
  return 0;
}
