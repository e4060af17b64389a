#include "scenarios/layout_table.h"

#include "runtime/program.h"
#include "simcore/model_assert.h"

namespace ptosim::scenarios::loader {

namespace {

using runtime::NO_INDEX;
using runtime::TensorLayout;

std::uint64_t mix(std::uint64_t hash, std::uint64_t value) { return (hash ^ value) * 0x100000001B3ULL; }

// Every field, also the dimensions past ndims (always zero): two layouts that hash apart differ.
std::uint64_t hash_of(const TensorLayout& layout) {
  std::uint64_t hash = 0xCBF29CE484222325ULL;
  hash = mix(hash, static_cast<std::uint64_t>(layout.start_offset));
  for (std::size_t d = 0; d < runtime::MAX_TENSOR_DIMS; ++d) {
    hash = mix(hash, static_cast<std::uint64_t>(layout.shapes[d]));
    hash = mix(hash, static_cast<std::uint64_t>(layout.strides[d]));
  }
  hash = mix(hash, static_cast<std::uint64_t>(layout.ndims) | static_cast<std::uint64_t>(layout.dtype) << 8 |
                       static_cast<std::uint64_t>(layout.manual_dep) << 16 | static_cast<std::uint64_t>(layout.version) << 32);
  return hash ^ (hash >> 29);
}

bool same(const TensorLayout& a, const TensorLayout& b) {
  return a.start_offset == b.start_offset && a.ndims == b.ndims && a.shapes == b.shapes && a.strides == b.strides &&
         a.dtype == b.dtype && a.version == b.version && a.manual_dep == b.manual_dep;
}

}  // namespace

std::uint32_t LayoutTable::intern(const TensorLayout& layout) {
  if (2 * (layouts_.size() + 1) > slots_.size()) grow();
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t slot = hash_of(layout) & mask;; slot = (slot + 1) & mask) {
    if (slots_[slot] == NO_INDEX) {
      slots_[slot] = static_cast<std::uint32_t>(layouts_.size());
      layouts_.push_back(layout);
      return slots_[slot];
    }
    if (same(layouts_[slots_[slot]], layout)) return slots_[slot];
  }
}

void LayoutTable::grow() {
  slots_.assign(slots_.empty() ? 64 : 2 * slots_.size(), NO_INDEX);
  const std::size_t mask = slots_.size() - 1;
  for (std::uint32_t index = 0; index < layouts_.size(); ++index) {
    std::size_t slot = hash_of(layouts_[index]) & mask;
    while (slots_[slot] != NO_INDEX) slot = (slot + 1) & mask;
    slots_[slot] = index;
  }
  PTOSIM_ASSERT(2 * layouts_.size() < slots_.size(), "layout table over half full after growing");
}

}  // namespace ptosim::scenarios::loader
