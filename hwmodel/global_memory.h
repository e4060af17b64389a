// Global memory (GM) as versions, not numbers. Every write creates a new version of the bytes it
// covers; a read observes, per byte range, the version present when it samples. A version is
// named by its writer (task ordinal and which write of that task) and a taint bit, never by a
// global counter, so the versions of a run and of a reference execution of the same program can
// be compared one to one.
//
// Versions are kept as byte ranges in an interval map (never one entry per element: a KV cache
// is millions of elements), and every core logs the GM accesses of the tasks it runs with the
// simulated time of each: at task level a kernel reads its input views when it starts and
// writes its output views when it ends, or sweeps them row by row across its duration; a core
// logs a task's argument addresses with its actual start and end. Nothing in the model waits on
// a value: the access log is resolved against the versions after the run
// (runtime/data_oracle.h), in time order.
//
// Kernels with a micro-program log their GM traffic burst by burst instead (ProgramAccess): loads
// when they sample, stores when each burst commits, data-cache fills, reads, writes and
// write-backs; the oracle replays them together with the task-level accesses.
#pragma once

#include "hwmodel/micro_program.h"
#include "hwmodel/range_map.h"
#include "hwmodel/task_descriptor.h"
#include "simcore/key_index.h"
#include "simcore/sim_time.h"

#include <cstdint>
#include <map>
#include <vector>

namespace ptosim::hwmodel {

inline constexpr std::uint32_t UNWRITTEN = 0xFFFFFFFFu;

// Which write produced a range of bytes. `writer` UNWRITTEN names the contents GM held before
// the program ran (an external tensor's input, or whatever a fresh heap buffer holds).
struct Version {
  std::uint32_t writer = UNWRITTEN;  // task ordinal
  std::uint16_t write = 0;           // which write of that task: its argument index at task level
  bool tainted = false;              // written by a task that had read a wrong value
  bool operator==(const Version& other) const = default;
};

// A byte range and the version it holds.
struct VersionPiece {
  std::uint64_t begin = 0;
  std::uint64_t end = 0;
  Version version;
};

// Versions of a byte address space: disjoint ranges, anything not covered is UNWRITTEN. How the
// bytes are cut into pieces is not part of the answer: a write merges with a left neighbour of the
// same version, ranges are cut at page boundaries, and callers compare pieces byte by byte.
//
// The space is cut into pages of PAGE_BYTES, found through a hash table, each page a RangeMap of
// its own: the judge's GM holds every live version of a run (a ring heap wrapping many times
// leaves tens of thousands of ranges), and a lookup then searches one page of a few ranges.
class VersionMap {
 public:
  static constexpr int PAGE_SHIFT = 16;
  static constexpr std::uint64_t PAGE_BYTES = std::uint64_t{1} << PAGE_SHIFT;

  void write(std::uint64_t begin, std::uint64_t end, Version version);
  // Appends the pieces of [begin, end) in address order, gaps as UNWRITTEN (a piece that
  // continues the last one appended with the same version extends it).
  void read(std::uint64_t begin, std::uint64_t end, std::vector<VersionPiece>& out) const;
  std::size_t segments() const;
  void clear();

 private:
  using Page = RangeMap<std::uint64_t, Version>;
  // A write of at least this many whole pages is kept as one span of pages, so that the work and
  // memory of a write do not grow with its size (a tensor of a TiB is one entry, not 2^24 pages).
  static constexpr std::uint64_t SPAN_MIN_PAGES = 64;
  struct Span {
    std::uint64_t end_page = 0;  // one past the last page
    Version version;
  };
  // The page holding byte page_number << PAGE_SHIFT, or null.
  const Page* find_page(std::uint64_t page_number) const;
  Page& page(std::uint64_t page_number);
  // The page to write into: taken out of the span that holds it first, holding the span's version.
  Page& page_for_write(std::uint64_t page_number);
  // The span holding this page, or spans_.end().
  std::map<std::uint64_t, Span>::const_iterator span_of(std::uint64_t page_number) const;
  void write_pages(std::uint64_t begin, std::uint64_t end, Version version);
  void write_span(std::uint64_t first_page, std::uint64_t end_page, Version version);
  void write_in_page(Page& ranges, std::uint64_t begin, std::uint64_t end, Version version);

  // Invariant: a page inside a span is empty (the span says what it holds).
  std::map<std::uint64_t, Span> spans_;  // first page -> span; ordered, disjoint
  std::vector<std::uint64_t> page_numbers_;  // per page in pages_
  std::vector<Page> pages_;
  simcore::KeyIndex page_index_;         // page number -> its page in pages_
  mutable std::uint64_t last_key_ = 0;   // the last page found (page number + 1), 0: none
  mutable std::uint32_t last_page_ = 0;
};

// How a kernel spreads its accesses over its duration (declared per kernel in the scenario).
enum class ReadTiming : std::uint8_t { at_start, sweep };
enum class WriteTiming : std::uint8_t { at_end, sweep };
// How wrong inputs propagate inside a kernel: to everything it writes after the bad read
// (task), or from input row i to output row i only (row).
enum class DataFlow : std::uint8_t { task, row };

// One task execution as a core logged it: the task, the block and the core, when the kernel
// started and ended, and the buffer address of each tensor argument,
// addresses[first_address, first_address + view_count). What each argument is (its layout, how
// the kernel accesses it, the rows it selects) is the program's, so the log does not copy it:
// 32 bytes a record and 8 an argument.
struct GmTaskAccess {
  TimeNs start_ns = 0;
  TimeNs end_ns = 0;
  std::uint32_t task = 0;
  std::uint32_t block = 0;
  std::uint32_t first_address = 0;
  std::uint16_t core = 0;
  std::uint16_t view_count = 0;
};

// Records come in any order (a core may log a task when it is written to it, or when it ends)
// and may describe kernels that end after the run did: the judge orders them, and takes the
// run's end to ignore what happens after it.
struct GmAccessLog {
  std::vector<GmTaskAccess> tasks;
  std::vector<std::uint64_t> addresses;  // buffer addresses of the records' arguments
  std::vector<ProgramAccess> program;    // micro-program bursts and cache traffic, in the order logged
  // Not GM traffic, but the cores' own record of their micro-programs, logged the same way: what
  // each operation occupied (for traces) and the faults that fired (for the report).
  std::vector<PipeSlice> slices;
  std::vector<FaultFired> faults;
};

class GlobalMemory {
 public:
  // A core ran `descriptor` over [start_ns, end_ns].
  void log_task(const TaskDescriptor& descriptor, std::uint32_t core, TimeNs start_ns, TimeNs end_ns);
  // One GM access of a micro-program (a burst, a cache fill, a write-back ...).
  void log_program(const ProgramAccess& access) { log_.program.push_back(access); }
  void log_slice(const PipeSlice& slice) { log_.slices.push_back(slice); }
  void log_fault(FaultFired fault) { log_.faults.push_back(std::move(fault)); }
  const GmAccessLog& log() const { return log_; }
  GmAccessLog take_log() { return std::move(log_); }

 private:
  GmAccessLog log_;
};

}  // namespace ptosim::hwmodel
