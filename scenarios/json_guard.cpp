#include "scenarios/json_guard.h"

#include "scenarios/loader_fields.h"

#include <cassert>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <vector>

namespace ptosim::scenarios {

namespace {

// One open array or object. For an object, `key` is the raw text of the member being read (its
// escapes left as written: good enough to name a field in a message).
struct Frame {
  bool array = false;
  bool expect_key = false;
  std::size_t index = 0;
  std::string_view key;
};

// The pointer of the value being read at the innermost frame.
std::string pointer_of(const std::vector<Frame>& frames) {
  std::string pointer;
  for (const Frame& frame : frames) {
    pointer += "/" + (frame.array ? std::to_string(frame.index) : loader::escape_token(frame.key));
  }
  return pointer;
}

bool is_number_char(char c) { return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'; }

// True when the JSON number `token` overflows a double (nlohmann rejects such a number with an
// out_of_range exception). Underflow (1e-400) reads as 0, as the parser reads it.
bool overflows_double(std::string_view token) {
  if (token.size() > 4096) return false;  // not a valid JSON number in any input of ours; the parser says so
  const std::string copy(token);
  errno = 0;
  char* end = nullptr;
  const double value = std::strtod(copy.c_str(), &end);
  return !std::isfinite(value);
}

}  // namespace

JsonBoundsProblem check_json_bounds(std::string_view text) {
  std::vector<Frame> frames;
  frames.reserve(16);
  std::size_t i = 0;
  const std::size_t size = text.size();
  while (i < size) {
    const char c = text[i];
    if (c == '"') {
      const std::size_t start = i + 1;
      std::size_t j = start;
      while (j < size && text[j] != '"') j += text[j] == '\\' ? 2 : 1;
      if (!frames.empty() && !frames.back().array && frames.back().expect_key) {
        frames.back().key = text.substr(start, std::min(j, size) - start);
      }
      i = j + 1;
      continue;
    }
    if (c == '{' || c == '[') {
      if (frames.size() >= MAX_JSON_DEPTH) {
        return {pointer_of(frames), "nested deeper than " + std::to_string(MAX_JSON_DEPTH) +
                                        " arrays and objects (the most any ptosim input may nest)"};
      }
      frames.push_back(Frame{c == '[', c == '{', 0, {}});
    } else if (c == '}' || c == ']') {
      if (!frames.empty()) frames.pop_back();
    } else if (c == ',') {
      if (!frames.empty()) {
        if (frames.back().array) {
          ++frames.back().index;
        } else {
          frames.back().expect_key = true;
        }
      }
    } else if (c == ':') {
      if (!frames.empty()) frames.back().expect_key = false;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      std::size_t j = i;
      while (j < size && is_number_char(text[j])) ++j;
      if (overflows_double(text.substr(i, j - i))) {
        return {pointer_of(frames), "the number " + std::string(text.substr(i, std::min<std::size_t>(j - i, 40))) +
                                        " is out of range (beyond a double's 1.8e308)"};
      }
      i = j;
      continue;
    }
    ++i;
  }
  assert(frames.size() <= MAX_JSON_DEPTH);
  return {};
}

}  // namespace ptosim::scenarios
