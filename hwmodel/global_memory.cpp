#include "hwmodel/global_memory.h"

#include "simcore/model_assert.h"

#include <cstdint>
#include <string>


namespace ptosim::hwmodel {

const VersionMap::Page* VersionMap::find_page(std::uint64_t page_number) const {
  const std::uint64_t key = page_number + 1;
  if (key == last_key_) return &pages_[last_page_];
  const std::uint32_t found = page_index_.find(page_number);
  if (found == simcore::KeyIndex::ABSENT) return nullptr;
  last_key_ = key;
  last_page_ = found;
  return &pages_[found];
}

VersionMap::Page& VersionMap::page(std::uint64_t page_number) {
  const std::uint64_t key = page_number + 1;
  if (key != last_key_) {
    last_page_ = page_index_.insert(page_number);
    last_key_ = key;
    if (last_page_ == pages_.size()) {
      pages_.emplace_back();
      page_numbers_.push_back(page_number);
    }
  }
  return pages_[last_page_];
}

std::map<std::uint64_t, VersionMap::Span>::const_iterator VersionMap::span_of(std::uint64_t page_number) const {
  auto next = spans_.upper_bound(page_number);
  if (next == spans_.begin()) return spans_.end();
  auto span = std::prev(next);
  return span->second.end_page > page_number ? span : spans_.end();
}

VersionMap::Page& VersionMap::page_for_write(std::uint64_t page_number) {
  Page& ranges = page(page_number);
  if (spans_.empty()) return ranges;
  const auto found = span_of(page_number);
  if (found == spans_.end()) return ranges;
  const std::uint64_t first = found->first;
  const Span span = found->second;
  spans_.erase(found);
  if (first < page_number) spans_.emplace(first, Span{page_number, span.version});
  if (page_number + 1 < span.end_page) spans_.emplace(page_number + 1, Span{span.end_page, span.version});
  PTOSIM_ASSERT(ranges.size() == 0, "a page inside a span holds ranges of its own");
  ranges.insert(ranges.find(page_number << PAGE_SHIFT), Page::Range{page_number << PAGE_SHIFT, (page_number + 1) << PAGE_SHIFT, span.version});
  return ranges;
}

void VersionMap::write_span(std::uint64_t first_page, std::uint64_t end_page, Version version) {
  // Pages inside the span lose what they held.
  for (std::size_t p = 0; p < pages_.size(); ++p) {
    if (page_numbers_[p] >= first_page && page_numbers_[p] < end_page) pages_[p].clear();
  }
  // Spans overlapping it keep only what lies outside.
  auto cursor = spans_.upper_bound(first_page);
  if (cursor != spans_.begin() && std::prev(cursor)->second.end_page > first_page) --cursor;
  while (cursor != spans_.end() && cursor->first < end_page) {
    const std::uint64_t first = cursor->first;
    const Span span = cursor->second;
    cursor = spans_.erase(cursor);
    if (first < first_page) spans_.emplace(first, Span{first_page, span.version});
    if (span.end_page > end_page) spans_.emplace(end_page, Span{span.end_page, span.version});
  }
  spans_.emplace(first_page, Span{end_page, version});
}

std::size_t VersionMap::segments() const {
  std::size_t count = 0;
  for (const Page& ranges : pages_) count += ranges.size();
  return count + spans_.size();
}

void VersionMap::clear() {
  pages_.clear();
  page_numbers_.clear();
  spans_.clear();
  page_index_.clear();
  last_key_ = 0;
}

void VersionMap::write(std::uint64_t begin, std::uint64_t end, Version version) {
  const std::uint64_t first_whole = (begin >> PAGE_SHIFT) + ((begin & (PAGE_BYTES - 1)) != 0 ? 1 : 0);
  const std::uint64_t end_whole = end >> PAGE_SHIFT;
  if (end_whole > first_whole && end_whole - first_whole >= SPAN_MIN_PAGES) {
    write_pages(begin, first_whole << PAGE_SHIFT, version);
    write_span(first_whole, end_whole, version);
    write_pages(end_whole << PAGE_SHIFT, end, version);
    return;
  }
  write_pages(begin, end, version);
}

void VersionMap::write_pages(std::uint64_t begin, std::uint64_t end, Version version) {
  while (begin < end) {
    const std::uint64_t page_number = begin >> PAGE_SHIFT;
    const std::uint64_t page_end = (page_number + 1) << PAGE_SHIFT;
    const std::uint64_t piece_end = end < page_end || page_end == 0 ? end : page_end;
    write_in_page(page_for_write(page_number), begin, piece_end, version);
    begin = piece_end;
  }
}

void VersionMap::write_in_page(Page& ranges, std::uint64_t begin, std::uint64_t end, Version version) {
  using Range = Page::Range;
  auto cursor = ranges.find(begin);  // the first range ending after `begin`
  // The common case: a write of exactly what a range holds (a buffer written again).
  if (ranges.valid(cursor) && ranges[cursor].begin == begin && ranges[cursor].end == end) {
    ranges[cursor].payload = version;
    return;
  }
  // A range starting before `begin` keeps its head, and its tail when it reaches beyond `end`.
  if (ranges.valid(cursor) && ranges[cursor].begin < begin) {
    Range& head = ranges[cursor];
    if (head.payload == version && head.end >= end) return;  // already there
    if (head.end > end) {
      const Range tail{end, head.end, head.payload};
      head.end = begin;
      cursor = ranges.insert(ranges.next(cursor), tail);
      ranges.insert(cursor, Range{begin, end, version});
      return;
    }
    head.end = begin;
    cursor = ranges.next(cursor);
  }
  // Merge with a left neighbour that ends here and holds the same version (row-by-row writes).
  const bool merge_left = !ranges.is_first(cursor) && ranges[ranges.previous(cursor)].end == begin &&
                          ranges[ranges.previous(cursor)].payload == version;
  // The first range inside [begin, end) becomes the new one (no block moves when a write replaces
  // what was there); the others inside go; one reaching beyond `end` keeps its tail.
  const bool reuse = !merge_left && ranges.valid(cursor) && ranges[cursor].begin < end && ranges[cursor].end <= end;
  if (reuse) {
    ranges[cursor] = Range{begin, end, version};
    cursor = ranges.next(cursor);
  }
  while (ranges.valid(cursor) && ranges[cursor].begin < end && ranges[cursor].end <= end) cursor = ranges.erase(cursor);
  if (ranges.valid(cursor) && ranges[cursor].begin < end) ranges[cursor].begin = end;
  if (reuse) return;
  if (merge_left) {
    ranges[ranges.previous(cursor)].end = end;
    return;
  }
  ranges.insert(cursor, Range{begin, end, version});
}

void VersionMap::read(std::uint64_t begin, std::uint64_t end, std::vector<VersionPiece>& out) const {
  // Pieces this call appends merge with one another, never with what the caller had appended.
  const std::size_t first = out.size();
  auto emit = [&out, first](std::uint64_t piece_begin, std::uint64_t piece_end, Version version) {
    if (out.size() > first && out.back().end == piece_begin && out.back().version == version) {
      out.back().end = piece_end;
      return;
    }
    out.push_back(VersionPiece{piece_begin, piece_end, version});
  };
  while (begin < end) {
    const std::uint64_t page_number = begin >> PAGE_SHIFT;
    const std::uint64_t page_end = (page_number + 1) << PAGE_SHIFT;
    const std::uint64_t piece_end = end < page_end || page_end == 0 ? end : page_end;
    if (!spans_.empty()) {
      const auto span = span_of(page_number);
      if (span != spans_.end()) {
        const std::uint64_t span_end = span->second.end_page << PAGE_SHIFT;
        const std::uint64_t stop = end < span_end ? end : span_end;
        emit(begin, stop, span->second.version);
        begin = stop;
        continue;
      }
    }
    const Page* ranges = find_page(page_number);
    std::uint64_t cursor_byte = begin;
    if (ranges != nullptr) {
      for (auto cursor = ranges->find(begin); ranges->valid(cursor) && (*ranges)[cursor].begin < piece_end;
           cursor = ranges->next(cursor)) {
        const auto& range = (*ranges)[cursor];
        if (range.begin > cursor_byte) emit(cursor_byte, range.begin, Version{});
        const std::uint64_t piece_begin = range.begin > cursor_byte ? range.begin : cursor_byte;
        const std::uint64_t piece_stop = range.end < piece_end ? range.end : piece_end;
        emit(piece_begin, piece_stop, range.payload);
        cursor_byte = piece_stop;
      }
    }
    if (cursor_byte < piece_end) emit(cursor_byte, piece_end, Version{});
    begin = piece_end;
  }
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
