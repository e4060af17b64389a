// Uncertain parameters: what a scenario does not know, and the point a run draws in it.
//
// A scenario may declare `uncertain: {"/json/pointer": spec}` (docs/scenario-format.md): the
// value at each pointer is the nominal one, the spec says what else a user could plausibly meet
// (`{"range": [lo, hi]}`, `{"log_range": [lo, hi]}`, `{"list": [v, ...]}`). A run draws one value
// per parameter (replay/uncertain_point.h: keyed decisions whose default is the nominal value) and
// runs the scenario re-evaluated at that point: the values applied as `--set` would apply them,
// `uncertain` dropped, the result loaded and validated like any file.
//
// The log scale is integer-only, like every decision: a value v >= 1 sits at position
// e + (v - 2^e) / 2^e (e = floor(log2 v)) in 32-bit fixed point, linear within each doubling, so
// drawing the position uniformly gives every doubling of [lo, hi] the same chance.
#pragma once

#include "scenarios/scenario.h"

#include <cstdint>
#include <string>
#include <vector>

namespace ptosim::scenarios {

// The stream of the decisions that draw a point; the subject of a parameter's decision is
// uncertain_subject(pointer), which does not depend on the other parameters, so pinning one
// leaves the draws of the others as they were.
inline constexpr const char* UNCERTAIN_STREAM = "uncertain.point";
std::uint64_t uncertain_subject(const std::string& pointer);

// The log scale: position of `value` (>= 1) in 32-bit fixed point, and the largest value at or
// below a position (from_log_scale(log_scale(v)) == v for v < 2^32).
std::uint64_t log_scale(std::int64_t value);
std::int64_t from_log_scale(std::uint64_t position);

// `count` (1..MAX_SPACED_VALUES) integers from `lo` to `hi` inclusive (0 <= lo, hi <=
// MAX_UNCERTAIN_VALUE; lo >= 1 on the log scale), evenly spaced on the linear or log scale,
// without repeats (fewer than `count` when the range holds fewer integers).
inline constexpr std::size_t MAX_SPACED_VALUES = 4096;
std::vector<std::int64_t> spaced_values(std::int64_t lo, std::int64_t hi, std::size_t count, bool log);

// The value of a parameter for a decision's value: the integer itself for a range, the listed
// value at that index for a list; as compact JSON text.
std::string uncertain_value_text(const UncertainParam& param, std::uint64_t decision_value);

// The text of the scenario at a point: the values applied (each pins its parameter) and
// `uncertain` dropped.
std::string text_at_point(const std::string& text, const std::string& origin, const std::vector<Override>& point);

// "/a=1 /b=[2,3]" for messages and text output.
std::string point_text(const std::vector<Override>& point);

}  // namespace ptosim::scenarios
