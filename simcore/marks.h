// Coverage marks: a named probe on a rare branch (a detector firing, a limit reached, an overflow,
// a fault), so that a test asserts that the branch ran instead of matching report text
// (TigerBeetle's marks, FoundationDB's CODE_PROBE).
//
//   PTOSIM_MARK("structural head-of-line");
//
// Each mark site is a function-local static that registers itself the first time the branch
// runs and counts its hits; the model never reads a mark, so marks cannot change a run. Counts
// are per process (a forked child reports its own: tests/sim/sim_harness.cpp). Names are unique
// string literals; lint/marks_asserted checks that a test asserts every one by name.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace ptosim::simcore {

class MarkSite {
 public:
  explicit MarkSite(const char* name) noexcept;
  MarkSite(const MarkSite&) = delete;
  MarkSite& operator=(const MarkSite&) = delete;

  void hit() noexcept { count_.fetch_add(1, std::memory_order_relaxed); }
  const char* name() const { return name_; }
  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  void reset() noexcept { count_.store(0, std::memory_order_relaxed); }
  MarkSite* next() const { return next_; }

 private:
  const char* name_;
  std::atomic<std::uint64_t> count_{0};
  MarkSite* next_ = nullptr;
};

// Hits of every site named `name` in this process since the last reset (0: never reached).
std::uint64_t mark_count(std::string_view name);
// Names of the marks hit in this process since the last reset, sorted, each once.
std::vector<std::string> marks_hit();
// Forgets every hit so far (a test that asserts a mark starts from zero).
void reset_marks();

}  // namespace ptosim::simcore

#define PTOSIM_MARK(name)                                     \
  do {                                                        \
    static ::ptosim::simcore::MarkSite ptosim_mark_site_{name}; \
    ptosim_mark_site_.hit();                                  \
  } while (false)
