// Counted nouns for messages: "1 task", "2 tasks", "1 entry", "3 entries". Every layer prints
// counts, so the helper sits at the bottom with the other shared vocabulary.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ptosim::simcore {

// `plural` defaults to `singular` + "s".
inline std::string count_noun(std::uint64_t count, std::string_view singular, std::string_view plural = {}) {
  std::string out = std::to_string(count) + " ";
  if (count == 1) return out.append(singular);
  if (!plural.empty()) return out.append(plural);
  return out.append(singular).append("s");
}

}  // namespace ptosim::simcore
