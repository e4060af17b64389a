// Tensors as the runtime sees them: a buffer (address, bytes), the task that created it, and a
// view layout (element start offset, shapes, element strides). view/reshape/slice only change
// the layout, so every view keeps the buffer address and the owner task (ChipTensor semantics).
//
// check_overlap() is the TensorMap overlap cascade of the real runtime (runtime-model.md §2.5):
// version, 1-D range, layout compatibility, then the per-dimension interval test.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace ptosim::runtime {

inline constexpr int MAX_TENSOR_DIMS = 5;

enum class DType : std::uint8_t { f32, f16, bf16, i32, i8, u8, i64 };

bool parse_dtype(const std::string& text, DType& out);
std::uint32_t dtype_bytes(DType dtype);
const char* to_string(DType dtype);

struct TensorLayout {
  std::int64_t start_offset = 0;  // elements from the buffer base
  int ndims = 1;
  std::array<std::int64_t, MAX_TENSOR_DIMS> shapes{};
  std::array<std::int64_t, MAX_TENSOR_DIMS> strides{};  // elements, > 0
  DType dtype = DType::f32;
  std::uint32_t version = 0;
  bool manual_dep = false;

  // Elements spanned from start_offset: 1 + sum((shape-1) * stride), 0 for an empty view.
  std::int64_t extent() const;
  std::int64_t element_count() const;
  bool is_contiguous() const;
};

// A contiguous row-major layout of the given shape.
TensorLayout make_contiguous(const std::vector<std::int64_t>& shapes, DType dtype);

// Metadata-only views. They return an empty string on success, else what is wrong.
std::string apply_view(TensorLayout& layout, const std::vector<std::int64_t>& shapes,
                       const std::vector<std::int64_t>& offsets);
std::string apply_reshape(TensorLayout& layout, const std::vector<std::int64_t>& shapes);
std::string apply_slice(TensorLayout& layout, int dim, std::int64_t start, std::int64_t end, std::int64_t step);

enum class Overlap : std::uint8_t { no_overlap, covered, other };
const char* to_string(Overlap overlap);

// `input` is the new access, `entry` an earlier writer's view of the same buffer. COVERED means
// the input contains the entry in every dimension.
Overlap check_overlap(const TensorLayout& input, const TensorLayout& entry);

}  // namespace ptosim::runtime
