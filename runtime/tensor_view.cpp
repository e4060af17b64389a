#include "runtime/tensor_view.h"

namespace ptosim::runtime {

bool parse_dtype(const std::string& text, DType& out) {
  static const std::pair<const char*, DType> table[] = {{"f32", DType::f32}, {"f16", DType::f16},
                                                         {"bf16", DType::bf16}, {"i32", DType::i32},
                                                         {"i8", DType::i8},   {"u8", DType::u8},
                                                         {"i64", DType::i64}};
  for (const auto& [name, dtype] : table) {
    if (text == name) {
      out = dtype;
      return true;
    }
  }
  return false;
}

std::uint32_t dtype_bytes(DType dtype) {
  switch (dtype) {
    case DType::f32: return 4;
    case DType::f16: return 2;
    case DType::bf16: return 2;
    case DType::i32: return 4;
    case DType::i8: return 1;
    case DType::u8: return 1;
    case DType::i64: return 8;
  }
  return 1;
}

const char* to_string(DType dtype) {
  switch (dtype) {
    case DType::f32: return "f32";
    case DType::f16: return "f16";
    case DType::bf16: return "bf16";
    case DType::i32: return "i32";
    case DType::i8: return "i8";
    case DType::u8: return "u8";
    case DType::i64: return "i64";
  }
  return "?";
}

std::int64_t TensorLayout::extent() const {
  std::int64_t span = 1;
  for (int d = 0; d < ndims; ++d) {
    if (shapes[d] == 0) return 0;
    span += (shapes[d] - 1) * strides[d];
  }
  return span;
}

std::int64_t TensorLayout::element_count() const {
  std::int64_t count = 1;
  for (int d = 0; d < ndims; ++d) count *= shapes[d];
  return count;
}

bool TensorLayout::is_contiguous() const {
  std::int64_t expected = 1;
  for (int d = ndims - 1; d >= 0; --d) {
    if (shapes[d] != 1 && strides[d] != expected) return false;
    expected *= shapes[d];
  }
  return true;
}

TensorLayout make_contiguous(const std::vector<std::int64_t>& shapes, DType dtype) {
  TensorLayout layout;
  layout.ndims = static_cast<int>(shapes.size());
  layout.dtype = dtype;
  std::int64_t stride = 1;
  for (int d = layout.ndims - 1; d >= 0; --d) {
    layout.shapes[d] = shapes[d];
    layout.strides[d] = stride;
    stride *= shapes[d];
  }
  return layout;
}

std::string apply_view(TensorLayout& layout, const std::vector<std::int64_t>& shapes,
                       const std::vector<std::int64_t>& offsets) {
  if (static_cast<int>(shapes.size()) != layout.ndims || static_cast<int>(offsets.size()) != layout.ndims) {
    return "view needs " + std::to_string(layout.ndims) + " shapes and offsets (the tensor's rank)";
  }
  for (int d = 0; d < layout.ndims; ++d) {
    if (shapes[d] < 0 || offsets[d] < 0 || offsets[d] + shapes[d] > layout.shapes[d]) {
      return "view dimension " + std::to_string(d) + " [" + std::to_string(offsets[d]) + ", " +
             std::to_string(offsets[d] + shapes[d]) + ") exceeds the tensor's extent " + std::to_string(layout.shapes[d]);
    }
  }
  for (int d = 0; d < layout.ndims; ++d) {
    layout.start_offset += offsets[d] * layout.strides[d];
    layout.shapes[d] = shapes[d];
  }
  return {};
}

std::string apply_reshape(TensorLayout& layout, const std::vector<std::int64_t>& shapes) {
  if (!layout.is_contiguous()) return "reshape needs a contiguous tensor";
  if (shapes.empty() || shapes.size() > MAX_TENSOR_DIMS) return "reshape needs 1 to 5 dimensions";
  std::int64_t count = 1;
  for (std::int64_t s : shapes) {
    if (s < 0) return "reshape dimensions must be >= 0";
    if (__builtin_mul_overflow(count, s, &count)) return "reshape to more elements than an int64 holds";
  }
  if (count != layout.element_count()) {
    return "reshape to " + std::to_string(count) + " elements from " + std::to_string(layout.element_count());
  }
  TensorLayout reshaped = make_contiguous(shapes, layout.dtype);
  reshaped.start_offset = layout.start_offset;
  reshaped.version = layout.version;
  reshaped.manual_dep = layout.manual_dep;
  layout = reshaped;
  return {};
}

std::string apply_slice(TensorLayout& layout, int dim, std::int64_t start, std::int64_t end, std::int64_t step) {
  if (dim < 0 || dim >= layout.ndims) return "slice dimension " + std::to_string(dim) + " out of range";
  if (step < 1) return "slice step must be >= 1";
  if (start < 0 || end < start || end > layout.shapes[dim]) {
    return "slice [" + std::to_string(start) + ", " + std::to_string(end) + ") exceeds the extent " +
           std::to_string(layout.shapes[dim]);
  }
  layout.start_offset += start * layout.strides[dim];
  layout.shapes[dim] = (end - start + step - 1) / step;
  layout.strides[dim] *= step;
  return {};
}

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
