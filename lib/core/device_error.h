// The one exception type for failures of a device (GPU) call.
#ifndef GRID_DEVICE_ERROR_H
#define GRID_DEVICE_ERROR_H

#include <stdexcept>

namespace grid {

// A device call failed or no device is usable: the message names the call,
// the driver's error and the source file:line that made the call.
struct DeviceError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

}  // namespace grid

#endif  // GRID_DEVICE_ERROR_H
