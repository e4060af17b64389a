// Assertions of the model: preconditions, postconditions and invariants that document the
// runtime and stay on in every build. A failure is a bug in ptosim: it ends the run with an
// internal error naming the simulated time, the actor and the broken condition.
#pragma once

#include <string>

namespace ptosim::simcore {

[[noreturn]] void assertion_failed(const char* condition, const std::string& message, const char* file, int line);

}  // namespace ptosim::simcore

#define PTOSIM_ASSERT(condition, message)                                                   \
  do {                                                                                      \
    if (!(condition)) ::ptosim::simcore::assertion_failed(#condition, (message), __FILE__, __LINE__); \
  } while (false)
