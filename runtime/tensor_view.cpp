#include "runtime/tensor_view.h"

namespace ptosim::runtime {

const char* to_string(Overlap overlap) {
  switch (overlap) {
    case Overlap::no_overlap: return "NO_OVERLAP";
    case Overlap::covered: return "COVERED";
    case Overlap::other: return "OTHER";
  }
  return "?";
}

namespace {

// Splits a start offset into per-dimension offsets for nested strides; false if it does not
// decompose into a view that stays inside each enclosing dimension.
bool decompose(const TensorLayout& layout, std::array<std::int64_t, MAX_TENSOR_DIMS>& offsets) {
  std::int64_t rest = layout.start_offset;
  for (int d = 0; d < layout.ndims; ++d) {
    offsets[d] = rest / layout.strides[d];
    rest %= layout.strides[d];
  }
  if (rest != 0) return false;
  for (int d = 1; d < layout.ndims; ++d) {
    std::int64_t enclosing = layout.strides[d - 1] / layout.strides[d];
    if (offsets[d] + layout.shapes[d] > enclosing) return false;
  }
  return true;
}

bool comparable_layouts(const TensorLayout& a, const TensorLayout& b) {
  if (a.dtype != b.dtype || a.ndims != b.ndims) return false;
  for (int d = 0; d < a.ndims; ++d) {
    if (a.strides[d] != b.strides[d]) return false;
  }
  if (a.strides[a.ndims - 1] != 1) return false;
  for (int d = 0; d + 1 < a.ndims; ++d) {
    if (a.strides[d] % a.strides[d + 1] != 0) return false;
  }
  return true;
}

}  // namespace

Overlap check_overlap(const TensorLayout& input, const TensorLayout& entry) {
  if (input.version > entry.version) return Overlap::other;
  const std::int64_t input_end = input.start_offset + input.extent();
  const std::int64_t entry_end = entry.start_offset + entry.extent();
  if (input_end <= entry.start_offset || entry_end <= input.start_offset) return Overlap::no_overlap;
  if (!comparable_layouts(input, entry)) return Overlap::other;
  std::array<std::int64_t, MAX_TENSOR_DIMS> in_off{};
  std::array<std::int64_t, MAX_TENSOR_DIMS> en_off{};
  if (!decompose(input, in_off) || !decompose(entry, en_off)) return Overlap::other;
  bool contains_all = true;
  for (int d = 0; d < input.ndims; ++d) {
    const std::int64_t in_lo = in_off[d];
    const std::int64_t in_hi = in_off[d] + input.shapes[d];
    const std::int64_t en_lo = en_off[d];
    const std::int64_t en_hi = en_off[d] + entry.shapes[d];
    if (in_hi <= en_lo || en_hi <= in_lo) return Overlap::no_overlap;
    if (!(in_lo <= en_lo && en_hi <= in_hi)) contains_all = false;
  }
  return contains_all ? Overlap::covered : Overlap::other;
}

}  // namespace ptosim::runtime
