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
// version taints what is computed from it and every store of it (tile granularity).
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

struct DataVerdict {
  bool wrong = false;               // a read, or an external tensor's final contents, differ
  std::string summary;              // one line naming the first wrong read and the tensors
  std::uint64_t wrong_reads = 0;    // reads (segments) that observed another version
  std::vector<TensorMismatch> tensors;  // one per external tensor the program writes
};

// The sequential execution of a program, computed once per scenario and shared by every run.
class DataReference {
 public:
  DataReference(const Program& program, const std::vector<hwmodel::KernelSpec>& kernels);

  // Judges a completed run from its GM access log; accesses after `end_ns` never happened.
  DataVerdict judge(const hwmodel::GmAccessLog& log, TimeNs end_ns) const;

 private:
  struct Reading;
  std::uint32_t buffer_of(std::uint32_t task, const ArgSpec& spec, std::uint32_t output_index) const;
  // A micro-program task executed sequentially: blocks in order, ops in program order, every
  // store committed before the next op.
  void reference_program(std::uint32_t task, const ProgramOp& op, const hwmodel::KernelSpec& kernel,
                         std::vector<bool>& external_written);
  std::uint32_t arg_buffer(std::uint32_t task, const ProgramOp& op, std::uint32_t arg) const;

  const Program& program_;
  const std::vector<hwmodel::KernelSpec>& kernels_;
  std::vector<std::uint32_t> task_ops_;
  std::vector<std::uint32_t> output_base_;  // per task: its first output's logical buffer index
  // What every read of the reference observed: pieces of byte offsets from the buffer's base.
  std::vector<hwmodel::VersionPiece> pieces_;
  std::vector<std::uint32_t> segment_pieces_;  // segment -> first piece (one extra at the end)
  std::vector<std::uint32_t> view_segments_;   // task_view_base_[task] + arg -> first read segment
  std::vector<std::uint32_t> task_view_base_;
  std::vector<hwmodel::VersionMap> final_;     // per logical buffer, after the last task
  // Micro-program reads of the reference: (task, block, read number, burst) -> first segment.
  std::map<std::array<std::uint32_t, 4>, std::uint32_t> program_segments_;
  std::vector<std::uint32_t> written_externals_;
};

}  // namespace ptosim::runtime
