#include "compute/device.h"

#include <cstdlib>

#include "compute/device_cuda.h"
#include "core/error.h"

namespace grid {

std::string Device::name() const { return backend == Backend::cpu ? "cpu" : "cuda:" + std::to_string(index); }

namespace {

std::string absence_reason(const CudaProbe& p) {
  if (p.usable > 0) return "";
  if (!GRID_CUDA) return p.why;
  if (p.seen > 0) return "the NVIDIA driver reports " + std::to_string(p.seen) + " GPU(s), but none is usable: " + p.why;
  return "no CUDA GPU answers on this machine (" + p.why + ")";
}

}  // namespace

std::string cuda_absence_reason() { return absence_reason(cuda_probe()); }

Device select_device(const std::string& spec, std::string* note) {
  Device d;
  if (spec == "cpu") return d;
  if (spec == "auto") {
    const CudaProbe p = cuda_probe();
    if (p.usable > 0) d.backend = Backend::cuda;
    // A GPU left idle by a broken install must not pass unseen.
    else if (p.seen > 0 && note) *note = "running on the CPU: " + absence_reason(p);
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
  const CudaProbe p = cuda_probe();
  const int count = p.usable;
  if (count == 0) throw Error(Exit::unavailable, "--device " + spec + ": " + absence_reason(p));
  if (d.index >= count)
    throw Error(Exit::unavailable, "--device " + spec + ": this machine has " + std::to_string(count) + " GPU(s)");
  return d;
}

}  // namespace grid
