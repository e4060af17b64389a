// Simulated time. Every duration in ptosim is an integer count of nanoseconds; SimGrid's double
// clock is touched only inside simcore, and converted exactly (all values stay below 2^53 ns).
#pragma once

#include <cstdint>
#include <limits>

namespace ptosim {

using TimeNs = std::int64_t;

inline constexpr TimeNs NS_PER_US = 1'000;
inline constexpr TimeNs NS_PER_MS = 1'000'000;
inline constexpr TimeNs NS_PER_S = 1'000'000'000;
inline constexpr TimeNs TIME_NEVER = std::numeric_limits<TimeNs>::max();

}  // namespace ptosim
