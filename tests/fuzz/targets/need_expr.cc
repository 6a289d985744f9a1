// lease-bid --need and an order's "need": any text parses or is refused
// with a position; what parses evaluates on a profile without a crash.
#include <cstdint>
#include <string>

#include "core/error.h"
#include "fuzz_check.h"
#include "market/need_expr.h"

namespace {

const grid::json& profile() {
  static const grid::json p = grid::json::parse(R"({"kind":"profile","v":1,"device":"cuda","quick":false,
    "summary":{"gpu_model":"H100","gpu_count":8,"exact_gemm_tflops":51.5,"memory_gib":80,"tags":["a","b"],
    "nested":{"x":[1,2,{"y":null}]},"faulty":false}})");
  return p;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  grid::NeedExpr e;
  std::string error;
  if (!grid::NeedExpr::parse(text, &e, &error)) {
    FUZZ_CHECK(error.rfind("at position ", 0) == 0);
    return 0;
  }
  std::string why;
  if (!e.eval(profile(), &why)) FUZZ_CHECK(!why.empty());
  (void)e.eval(grid::json::object());
  (void)e.eval(grid::json::array());
  return 0;
}
