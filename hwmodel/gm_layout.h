// How a tensor lies in global memory (GM): a buffer base, an element start offset, up to five
// dimensions with element strides, and a dtype. This is silicon-level geometry: the task
// descriptor the runtime writes carries it (the 128-byte ChipTensor), the cores address GM with
// it, and the runtime's TensorMap builds its conservative overlap cascade on top of it.
//
// Besides the metadata-only view operations (view, reshape, slice; ChipTensor semantics), this
// file gives the EXACT element set of a view: as sorted contiguous runs of element offsets, and
// as a pairwise intersection test that never enumerates elements. The data oracle and the race
// detector need the exact answer; the runtime deliberately does not (runtime/tensor_view.h).
//
// Left out: transpose/permute (not in the scenario language), address spaces other than GM.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace ptosim::hwmodel {

inline constexpr int MAX_TENSOR_DIMS = 5;

enum class DType : std::uint8_t { f32, f16, bf16, i32, i8, u8, i64 };

bool parse_dtype(const std::string& text, DType& out);
const char* to_string(DType dtype);
// Inline: the oracles and the TensorMap ask for every access.
inline std::uint32_t dtype_bytes(DType dtype) {
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

struct TensorLayout {
  std::int64_t start_offset = 0;  // elements from the buffer base
  int ndims = 1;
  std::array<std::int64_t, MAX_TENSOR_DIMS> shapes{};
  std::array<std::int64_t, MAX_TENSOR_DIMS> strides{};  // elements, > 0
  DType dtype = DType::f32;
  // Descriptor fields the runtime's TensorMap reads (ChipTensor line 1); geometry ignores them.
  std::uint32_t version = 0;
  bool manual_dep = false;

  // Elements spanned from start_offset: 1 + sum((shape-1) * stride), 0 for an empty view.
  std::int64_t extent() const {
    std::int64_t span = 1;
    for (int d = 0; d < ndims; ++d) {
      if (shapes[d] == 0) return 0;
      span += (shapes[d] - 1) * strides[d];
    }
    return span;
  }
  std::int64_t element_count() const {
    std::int64_t count = 1;
    for (int d = 0; d < ndims; ++d) count *= shapes[d];
    return count;
  }
  bool is_contiguous() const {
    std::int64_t expected = 1;
    for (int d = ndims - 1; d >= 0; --d) {
      if (shapes[d] != 1 && strides[d] != expected) return false;
      expected *= shapes[d];
    }
    return true;
  }
};

// A contiguous row-major layout of the given shape.
TensorLayout make_contiguous(const std::vector<std::int64_t>& shapes, DType dtype);

// Metadata-only views. They return an empty string on success, else what is wrong.
std::string apply_view(TensorLayout& layout, const std::vector<std::int64_t>& shapes,
                       const std::vector<std::int64_t>& offsets);
std::string apply_reshape(TensorLayout& layout, const std::vector<std::int64_t>& shapes);
std::string apply_slice(TensorLayout& layout, int dim, std::int64_t start, std::int64_t end, std::int64_t step);

// ---------------------------------------------------------------- exact element sets

// A half-open range [begin, end) of element offsets from the buffer base.
struct ElementRange {
  std::int64_t begin = 0;
  std::int64_t end = 0;
  bool operator==(const ElementRange& other) const = default;
};

// The view narrowed to index `row` of its outermost dimension (dimension 0 keeps size 1), the
// way a gather reads one selected row. Precondition: 0 <= row < shapes[0].
TensorLayout select_row(const TensorLayout& layout, std::int64_t row);

// How many contiguous runs append_runs() produces for this view, computed without enumerating.
std::int64_t run_count(const TensorLayout& layout);

// Appends the view's element set as ascending, disjoint, non-adjacent runs.
void append_runs(const TensorLayout& layout, std::vector<ElementRange>& out);

// Turns any list of ranges into their union: ascending, disjoint, non-adjacent.
void normalize_ranges(std::vector<ElementRange>& ranges);

// Whether the element sets of two views of the same buffer share at least one element. Exact:
// it splits the views along their dimensions, prunes with bounding intervals and remembers
// sub-problems that differ only by a translation, so it does not enumerate elements. A search
// of more than INTERSECT_STEP_LIMIT steps (far beyond any view the scenario language builds)
// answers "intersect", the safe side for both of its users.
inline constexpr std::uint64_t INTERSECT_STEP_LIMIT = 1ULL << 26;
bool views_intersect(const TensorLayout& a, const TensorLayout& b);

}  // namespace ptosim::hwmodel
