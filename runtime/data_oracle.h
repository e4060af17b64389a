// The data oracle: did every read of a completed run observe the data the program means?
//
// The reference is the program executed sequentially: tasks in submission order, each finishing
// before the next starts (its reads see everything written before it, then it writes), on
// logical buffers (heap addresses depend on timing; names do not). The run's GM is physical:
// its access log (hwmodel/global_memory.h) is replayed in (time, sequence) order against an
// interval map of versions, and every read is mapped back to its (task, argument) to be compared
// with what the reference read there. A read that observes another version is a mismatch. A
// task that read a mismatched element writes tainted versions: at task granularity every later
// write of that task (data_flow "task"), or only the output rows fed by the bad input row
// (data_flow "row"); taint then propagates along the data flow on its own, because a tainted
// version never equals a reference version.
//
// A read of a runtime-allocated buffer where the reference sees no write yet reads undefined
// contents: it is not judged (a kernel cannot depend on it), so a reused heap block's old data is
// no false alarm, while a reader that sees a later occupant's data where the reference sees a
// write still is one. The final contents of every external tensor the program writes are
// compared too: the host reads them after the run.
//
// Micro-program kernels are judged burst by burst: the reference executes each block's ops in
// program order with every store committed before the next op (scalar accesses go straight to
// GM); the run replays the logged bursts, cache fills, cache reads and writes and write-backs in
// time order, keeping each core's cache lines as versions. A tile loaded from a mismatched
// version taints what is computed from it and the stores of it: row by row when a store's rows
// come from the load's rows through vector operations, else the whole store (hwmodel::store_sources).
//
// The oracle watches; it never changes what the run did or decided.
#pragma once

#include "hwmodel/global_memory.h"
#include "runtime/program.h"

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace ptosim::runtime {

// The final contents of one external tensor the program writes, against the reference.
struct TensorMismatch {
  std::string tensor;
  std::int64_t elements = 0;
  std::int64_t mismatched_elements = 0;
  std::vector<hwmodel::ElementRange> first_ranges;  // at most MAX_REPORTED_RANGES, element offsets
};
inline constexpr std::size_t MAX_REPORTED_RANGES = 4;

// A micro-program read that observed another version than the reference (for traces).
struct StaleRead {
  TimeNs time_ns = 0;
  std::uint32_t task = 0;
  std::uint32_t core = 0;
  std::uint32_t block = 0;
  std::uint32_t read = 0;   // which load of the block (program order)
  std::uint32_t burst = 0;  // which row of it
};
inline constexpr std::size_t MAX_STALE_READS = 1024;

struct DataVerdict {
  bool wrong = false;               // a read, or an external tensor's final contents, differ
  std::string summary;              // one line naming the first wrong read and the tensors
  std::uint64_t wrong_reads = 0;    // reads (segments) that observed another version
  std::vector<TensorMismatch> tensors;  // one per external tensor the program writes
  std::vector<StaleRead> stale_reads;   // the first MAX_STALE_READS micro-program reads that did
};

// The sequential execution of a program, computed once per scenario and shared by every run.
//
// What it keeps for the judge is one record of 8 bytes per read (a task's reading argument, or
// one row of it when the kernel reads row by row): the version the read observed over all its
// bytes, or, when it saw several, where its pieces are. The versions of the buffers while the
// program executes are transient: a buffer holds one piece until a partial write splits it, and
// only then gets a range map; after the last task only the final contents of the external tensors
// the program writes remain.
class DataReference {
 public:
  DataReference(const Program& program, const std::vector<hwmodel::KernelSpec>& kernels);

  // Judges a completed run from its GM access log; accesses after `end_ns` never happened.
  DataVerdict judge(const hwmodel::GmAccessLog& log, TimeNs end_ns) const;

  // The heap bytes the reference keeps between runs (reads, pieces, finals, indices).
  std::size_t kept_bytes() const;

  // For tests: the version the reference's read of argument `arg` of `task` saw at byte `offset`
  // of its buffer (`row`: which row, when the kernel reads row by row; else 0), and the version
  // an external tensor the program writes ends with at byte `offset`.
  hwmodel::Version expected_version(std::uint32_t task, std::uint32_t arg, std::uint32_t row, std::uint64_t offset) const;
  hwmodel::Version final_version(std::uint32_t external, std::uint64_t offset) const;

  // What one read of the reference observed: one version over all its bytes, or pieces.
  struct ExpectedRead {
    static constexpr std::uint32_t PIECES = 0x80000000u;
    std::uint32_t first = hwmodel::UNWRITTEN;  // the writer task, or the first piece in pieces_
    std::uint32_t count = 0;                   // the write of that task, or PIECES | the piece count
    bool single() const { return (count & PIECES) == 0; }
    hwmodel::Version version() const { return hwmodel::Version{first, static_cast<std::uint16_t>(count), false}; }
  };

 private:
  friend class SequentialExecution;
  friend class LogReplay;
  // Where the reads of argument `arg` of `task` start in reads_.
  std::uint32_t read_index(std::uint32_t task, std::uint32_t arg) const;
  // The pieces of a read with several versions.
  const hwmodel::VersionPiece* pieces_of(const ExpectedRead& read) const { return pieces_.data() + read.first; }

  const Program& program_;
  const std::vector<hwmodel::KernelSpec>& kernels_;
  std::vector<std::uint32_t> task_ops_;
  std::vector<std::uint32_t> task_reads_;  // per task: its first read in reads_, one extra at the end
  std::vector<ExpectedRead> reads_;        // every read, task by task, argument by argument, row by row
  std::vector<hwmodel::VersionPiece> pieces_;  // of the reads that saw several versions: byte offsets from the buffer
  // The final contents of each external tensor the program writes: pieces over [0, bytes).
  std::vector<std::pair<std::uint32_t, std::vector<hwmodel::VersionPiece>>> finals_;
  // Micro-program reads of the reference: (task, block, read number, burst) -> its read.
  std::map<std::array<std::uint32_t, 4>, std::uint32_t> program_reads_;
};

}  // namespace ptosim::runtime
