#include "hwmodel/global_memory.h"

#include "simcore/model_assert.h"

#include <optional>

namespace ptosim::hwmodel {

void VersionMap::write(std::uint64_t begin, std::uint64_t end, Version version) {
  if (end <= begin) return;
  auto it = segments_.lower_bound(begin);  // the first segment starting at or after `begin`
  // A segment starting before `begin` and reaching into the range keeps its head (and its tail
  // beyond `end`, when it covers the whole range).
  if (it != segments_.begin()) {
    auto previous = std::prev(it);
    if (previous->second.end > begin) {
      const Segment old = previous->second;
      previous->second.end = begin;
      if (old.end > end) segments_.emplace_hint(it, end, Segment{old.end, old.version});
    }
  }
  // Segments starting inside the range go, except the tail of one that reaches beyond it. The
  // first of them is kept as the node of the new segment: no allocation when a write replaces
  // what was there.
  std::optional<decltype(segments_)::node_type> reused;
  while (it != segments_.end() && it->first < end) {
    if (it->second.end > end) {
      const Segment tail = it->second;
      if (!reused) {
        reused = segments_.extract(it++);
      } else {
        it = segments_.erase(it);
      }
      it = segments_.emplace_hint(it, end, tail);
      break;
    }
    if (!reused) {
      reused = segments_.extract(it++);
    } else {
      it = segments_.erase(it);
    }
  }
  // Merge with a left neighbour that ends here and holds the same version (row-by-row writes).
  auto next = segments_.lower_bound(begin);
  if (next != segments_.begin()) {
    auto previous = std::prev(next);
    if (previous->second.end == begin && previous->second.version == version) {
      previous->second.end = end;
      return;
    }
  }
  if (reused) {
    reused->key() = begin;
    reused->mapped() = Segment{end, version};
    segments_.insert(next, std::move(*reused));
    return;
  }
  segments_.emplace_hint(next, begin, Segment{end, version});
}

void VersionMap::read(std::uint64_t begin, std::uint64_t end, std::vector<VersionPiece>& out) const {
  if (end <= begin) return;
  std::uint64_t cursor = begin;
  auto it = segments_.upper_bound(begin);
  if (it != segments_.begin() && std::prev(it)->second.end > begin) --it;
  for (; it != segments_.end() && it->first < end; ++it) {
    if (it->first > cursor) out.push_back(VersionPiece{cursor, it->first, Version{}});
    const std::uint64_t piece_begin = it->first > cursor ? it->first : cursor;
    const std::uint64_t piece_end = it->second.end < end ? it->second.end : end;
    out.push_back(VersionPiece{piece_begin, piece_end, it->second.version});
    cursor = piece_end;
  }
  if (cursor < end) out.push_back(VersionPiece{cursor, end, Version{}});
}

void GlobalMemory::log_task(const TaskDescriptor& descriptor, std::uint32_t core, TimeNs start_ns, TimeNs end_ns) {
  PTOSIM_ASSERT(end_ns >= start_ns, "a kernel ends before it starts");
  GmTaskAccess task;
  task.task = descriptor.task;
  task.core = core;
  task.start_ns = start_ns;
  task.end_ns = end_ns;
  task.kernel = descriptor.kernel;
  task.first_view = static_cast<std::uint32_t>(log_.views.size());
  task.view_count = static_cast<std::uint32_t>(descriptor.views.size());
  log_.views.insert(log_.views.end(), descriptor.views.begin(), descriptor.views.end());
  log_.tasks.push_back(task);
}

}  // namespace ptosim::hwmodel
