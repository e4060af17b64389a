// libFuzzer entry point for one fuzz target (built only with -DPTOSIM_LIBFUZZER=ON and clang).
// An internal error aborts, so libFuzzer records it as a crash with the input that caused it.
#include "tools/fuzz/fuzz_targets.h"

#include <cstdio>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
#if defined(PTOSIM_FUZZ_TARGET_recording)
  constexpr auto target = ptosim::fuzz::Target::recording;
#elif defined(PTOSIM_FUZZ_TARGET_set)
  constexpr auto target = ptosim::fuzz::Target::set_value;
#else
  constexpr auto target = ptosim::fuzz::Target::scenario;
#endif
  const auto result = ptosim::fuzz::run_target(target, std::string(reinterpret_cast<const char*>(data), size));
  if (result.verdict == ptosim::fuzz::Verdict::internal_error) {
    std::fprintf(stderr, "internal error: %s\n", result.message.c_str());
    std::abort();
  }
  return 0;
}
