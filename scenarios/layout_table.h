// Each distinct tensor layout of the program stored once (internal to scenarios/): the expander
// interns every argument's view into Program::layouts and keeps its index, since most views
// repeat (a loop reads the same tile shape at a few thousand offsets, and the same offset of
// several tensors).
#pragma once

#include "runtime/tensor_view.h"

#include <cstdint>
#include <vector>

namespace ptosim::scenarios::loader {

class LayoutTable {
 public:
  explicit LayoutTable(std::vector<runtime::TensorLayout>& layouts) : layouts_(layouts) {}
  // The index of an equal layout in `layouts`, appended when there is none.
  std::uint32_t intern(const runtime::TensorLayout& layout);

 private:
  void grow();

  std::vector<runtime::TensorLayout>& layouts_;
  std::vector<std::uint32_t> slots_;  // open addressing, linear probing; NO_INDEX is empty
};

}  // namespace ptosim::scenarios::loader
