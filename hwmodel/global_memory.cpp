#include "hwmodel/global_memory.h"

#include "simcore/model_assert.h"

#include <cstdint>
#include <string>


namespace ptosim::hwmodel {

void VersionMap::write(std::uint64_t begin, std::uint64_t end, Version version) {
  if (end <= begin) return;
  using Range = RangeMap<std::uint64_t, Version>::Range;
  auto cursor = ranges_.find(begin);  // the first range ending after `begin`
  // A range starting before `begin` keeps its head, and its tail when it reaches beyond `end`.
  if (ranges_.valid(cursor) && ranges_[cursor].begin < begin) {
    Range& head = ranges_[cursor];
    if (head.payload == version && head.end >= end) return;  // already there
    if (head.end > end) {
      const Range tail{end, head.end, head.payload};
      head.end = begin;
      cursor = ranges_.insert(ranges_.next(cursor), tail);
      ranges_.insert(cursor, Range{begin, end, version});
      return;
    }
    head.end = begin;
    cursor = ranges_.next(cursor);
  }
  // Merge with a left neighbour that ends here and holds the same version (row-by-row writes).
  const bool merge_left = !ranges_.is_first(cursor) && ranges_[ranges_.previous(cursor)].end == begin &&
                          ranges_[ranges_.previous(cursor)].payload == version;
  // The first range inside [begin, end) becomes the new one (no block moves when a write replaces
  // what was there); the others inside go; one reaching beyond `end` keeps its tail.
  const bool reuse = !merge_left && ranges_.valid(cursor) && ranges_[cursor].begin < end && ranges_[cursor].end <= end;
  if (reuse) {
    ranges_[cursor] = Range{begin, end, version};
    cursor = ranges_.next(cursor);
  }
  while (ranges_.valid(cursor) && ranges_[cursor].begin < end && ranges_[cursor].end <= end) cursor = ranges_.erase(cursor);
  if (ranges_.valid(cursor) && ranges_[cursor].begin < end) ranges_[cursor].begin = end;
  if (reuse) return;
  if (merge_left) {
    ranges_[ranges_.previous(cursor)].end = end;
    return;
  }
  ranges_.insert(cursor, Range{begin, end, version});
}

void VersionMap::read(std::uint64_t begin, std::uint64_t end, std::vector<VersionPiece>& out) const {
  if (end <= begin) return;
  std::uint64_t cursor_byte = begin;
  for (auto cursor = ranges_.find(begin); ranges_.valid(cursor) && ranges_[cursor].begin < end; cursor = ranges_.next(cursor)) {
    const auto& range = ranges_[cursor];
    if (range.begin > cursor_byte) out.push_back(VersionPiece{cursor_byte, range.begin, Version{}});
    const std::uint64_t piece_begin = range.begin > cursor_byte ? range.begin : cursor_byte;
    const std::uint64_t piece_end = range.end < end ? range.end : end;
    out.push_back(VersionPiece{piece_begin, piece_end, range.payload});
    cursor_byte = piece_end;
  }
  if (cursor_byte < end) out.push_back(VersionPiece{cursor_byte, end, Version{}});
}

void GlobalMemory::log_task(const TaskDescriptor& descriptor, std::uint32_t core, TimeNs start_ns, TimeNs end_ns) {
  PTOSIM_ASSERT(end_ns >= start_ns, "a kernel ends before it starts");
  PTOSIM_ASSERT(core <= UINT16_MAX, "core " + std::to_string(core) + " beyond the access log's numbering");
  PTOSIM_ASSERT(descriptor.views.size() <= UINT16_MAX, "a task with more arguments than the access log numbers");
  PTOSIM_ASSERT(log_.addresses.size() + descriptor.views.size() <= UINT32_MAX, "more logged arguments than the access log numbers");
  GmTaskAccess task;
  task.start_ns = start_ns;
  task.end_ns = end_ns;
  task.task = descriptor.task;
  task.block = descriptor.block;
  task.first_address = static_cast<std::uint32_t>(log_.addresses.size());
  task.core = static_cast<std::uint16_t>(core);
  task.view_count = static_cast<std::uint16_t>(descriptor.views.size());
  for (const GmView& view : descriptor.views) log_.addresses.push_back(view.buffer_address);
  log_.tasks.push_back(task);
}

}  // namespace ptosim::hwmodel
