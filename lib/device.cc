#include "device.h"

#include <cstdlib>

#include "device_cuda.h"
#include "error.h"

namespace grid {

std::string Device::name() const { return backend == Backend::cpu ? "cpu" : "cuda:" + std::to_string(index); }

std::string cuda_absence_reason() {
std::string why;
  return cuda_device_count(&why) > 0 ? "" : GRID_CUDA ? "no CUDA GPU answers on this machine (" + why + ")" : why;
}

Device select_device(const std::string& spec) {
  Device d;
  if (spec == "cpu") return d;
  if (spec == "auto") {
    if (cuda_device_count() > 0) d.backend = Backend::cuda;
    return d;
  }
  if (spec != "cuda" && spec.rfind("cuda:", 0) != 0)
    throw Error(Exit::usage, "--device " + spec + " is not auto, cpu, cuda or cuda:N");
  d.backend = Backend::cuda;
  if (spec != "cuda") {
    const std::string ordinal = spec.substr(5);
    bool digits = !ordinal.empty() && ordinal.size() <= 4 && (ordinal == "0" || ordinal[0] != '0') &&
                  ordinal.find_first_not_of("0123456789") == std::string::npos;
    long n = digits ? std::stol(ordinal) : -1;
    if (!digits || n > 1023)
      throw Error(Exit::usage, "--device " + spec + ": N in cuda:N must be a GPU number");
    d.index = static_cast<int>(n);
  }
  int count = cuda_device_count();
  if (count == 0) throw Error(Exit::unavailable, "--device " + spec + ": " + cuda_absence_reason());
  if (d.index >= count)
    throw Error(Exit::unavailable, "--device " + spec + ": this machine has " + std::to_string(count) + " GPU(s)");
  return d;
}

}  // namespace grid
