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

// Checked arithmetic for times, deadlines and budgets built from scenario values (a spin limit
// times a spin length, a cost times a task count): a result that does not fit saturates at
// TIME_NEVER, which every wait treats as "later than any budget", instead of wrapping negative.
inline TimeNs add_ns(TimeNs a, TimeNs b) {
  TimeNs sum = 0;
  return __builtin_add_overflow(a, b, &sum) || sum > TIME_NEVER ? TIME_NEVER : sum;
}
inline TimeNs mul_ns(std::uint64_t count, TimeNs unit_ns) {
  TimeNs product = 0;
  if (unit_ns < 0) return TIME_NEVER;
  return __builtin_mul_overflow(count, unit_ns, &product) ? TIME_NEVER : product;
}

}  // namespace ptosim
