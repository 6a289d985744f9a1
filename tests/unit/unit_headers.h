// The headers nearly every unit test includes, precompiled once per build
// and given to each test unit by the Makefile (-include): GoogleTest's and
// json's headers were most of a test unit's compile time. No include guard:
// it is only ever the first thing a unit reads.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "core/canonical_json.h"
#include "core/error.h"
