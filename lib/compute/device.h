// Which backend runs the numbers: --device auto|cpu|cuda|cuda:N
// (doc/design.md, "Devices and numeric modes").
#pragma once

#include <string>

namespace grid {

enum class Backend { cpu, cuda };

struct Device {
  Backend backend = Backend::cpu;
  int index = 0;                // CUDA ordinal
  std::string name() const;     // "cpu" or "cuda:N"
};

// Resolves a --device value. `auto` takes CUDA device 0 when a GPU answers
// and the CPU otherwise; `cuda`/`cuda:N` with no such GPU is Exit::unavailable
// (69) with the reason; anything else is Exit::usage. `note`, when given,
// gets a line for the user when `auto` falls back to the CPU although the
// driver reports a GPU (its CUDA backend cannot be loaded).
Device select_device(const std::string& spec, std::string* note = nullptr);

// Why there is no usable GPU, for messages ("" when there is one).
std::string cuda_absence_reason();

}  // namespace grid
