#include "runtime/runtime_config.h"

#include "runtime/program.h"

namespace ptosim::runtime {

std::string_view to_string(ManualPublish policy) { return policy == ManualPublish::submit ? "submit" : "deferred"; }

std::string_view to_string(ManualTracking tracking) { return tracking == ManualTracking::none ? "none" : "boundary"; }

std::string_view to_string(DetectorKind kind) { return kind == DetectorKind::legacy ? "legacy" : "current"; }

const char* to_string(ScopeMode mode) { return mode == ScopeMode::automatic ? "auto" : "manual"; }

const char* to_string(ArgKind kind) {
  switch (kind) {
    case ArgKind::input: return "input";
    case ArgKind::output: return "output";
    case ArgKind::inout: return "inout";
    case ArgKind::output_existing: return "output_existing";
    case ArgKind::no_dep: return "no_dep";
  }
  return "?";
}

}  // namespace ptosim::runtime
