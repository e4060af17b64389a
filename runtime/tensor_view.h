// Tensors as the runtime sees them: a buffer (address, bytes), the task that created it, and a
// view layout (hwmodel/gm_layout.h: element start offset, shapes, element strides).
// view/reshape/slice only change the layout, so every view keeps the buffer address and the
// owner task (ChipTensor semantics).
//
// check_overlap() is the TensorMap overlap cascade of the real runtime (runtime-model.md §2.5):
// version, 1-D range, layout compatibility, then the per-dimension interval test. It is
// deliberately conservative (OTHER for layouts it cannot compare); the exact element-set answer
// is hwmodel::views_intersect, which the oracles use and the runtime model must not.
#pragma once

#include "hwmodel/gm_layout.h"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace ptosim::runtime {

// Layouts, dtypes and view operations are GM geometry and live in hwmodel; the runtime names
// them here because its TensorMap entries and task arguments are made of them.
using hwmodel::apply_reshape;
using hwmodel::apply_slice;
using hwmodel::apply_view;
using hwmodel::DType;
using hwmodel::dtype_bytes;
using hwmodel::make_contiguous;
using hwmodel::MAX_TENSOR_DIMS;
using hwmodel::parse_dtype;
using hwmodel::TensorLayout;
using hwmodel::to_string;

enum class Overlap : std::uint8_t { no_overlap, covered, other };
const char* to_string(Overlap overlap);

// `input` is the new access, `entry` an earlier writer's view of the same buffer. COVERED means
// the input contains the entry in every dimension.
Overlap check_overlap(const TensorLayout& input, const TensorLayout& entry);

}  // namespace ptosim::runtime
