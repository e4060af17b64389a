// Bounds every JSON input is checked against before it is parsed: nesting depth and numbers a
// double can hold. A JSON parser builds the whole document first and complains after, so a
// 100,000-deep `[[[...]]]` or a `1e400` would cost memory, time or an exception from inside the
// parser before any field could be named. This check is one linear pass over the text with no
// allocation beyond the open containers (at most MAX_JSON_DEPTH of them), and it names the JSON
// pointer where the input went wrong. Text that is not JSON at all passes through: the parser
// reports that, as before.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace ptosim::scenarios {

// The deepest nesting of arrays and objects any ptosim input may have. The catalogue's deepest
// scenario nests 16 levels (program bodies in loops in scopes); recordings and snapshots fewer.
// A program nests two levels per scope ({"scope": ..., "body": [...]}) and the runtime accepts
// 64 nested scopes, so a program that reaches the runtime's scope-stack limit nests about 133:
// the bound leaves room for it, the runtime rejects it, not the reader.
inline constexpr std::size_t MAX_JSON_DEPTH = 256;

struct JsonBoundsProblem {
  std::string pointer;  // JSON pointer of the offending value (RFC 6901)
  std::string problem;  // empty when the text is within bounds
  bool ok() const { return problem.empty(); }
};

// Checks `text` against MAX_JSON_DEPTH and for numbers outside a double's range (1e400).
JsonBoundsProblem check_json_bounds(std::string_view text);

}  // namespace ptosim::scenarios
