// Scratch folders for the unit tests: made under /tmp, removed with all they
// hold (write permission given back first: some tests take it away).
#pragma once

#include <gtest/gtest.h>
#include <stdlib.h>

#include <string>

#include "core/file_io.h"

namespace grid {

// "" when mkdtemp fails.
inline std::string make_temp_dir() {
  std::string path = "/tmp/grid-unit-test-XXXXXX";
  return ::mkdtemp(path.data()) ? path : "";
}

// A fixture with a fresh folder, dir_, for each test.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir();
    ASSERT_FALSE(dir_.empty()) << "mkdtemp failed";
  }
  void TearDown() override {
    if (!dir_.empty()) remove_tree(dir_);
  }
  std::string dir_;
};

}  // namespace grid
