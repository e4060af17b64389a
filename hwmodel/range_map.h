// Ordered, disjoint half-open ranges [begin, end), each with a payload: the container under
// versioned GM (VersionMap), the data oracle's reference and the race detector's shadow state.
//
// The ranges are kept in blocks of at most BLOCK_RANGES, each block a sorted array: a lookup is
// a binary search over the blocks and one inside a block, an insertion or removal moves at most
// one block's tail. A std::map node per range cost an allocation for every split, and one flat
// array would move every range behind an insertion (a cache written row by row holds millions of
// ranges). Most maps hold one block of a few ranges.
//
// A Cursor names one range; inserting or erasing invalidates every cursor except the one the
// call returns. The container never merges or splits ranges on its own: what the caller stores is
// what it finds (the race detector reports the exact ranges its splits made).
#pragma once

#include "simcore/model_assert.h"

#include <cstdint>
#include <vector>

namespace ptosim::hwmodel {

template <class Key, class Payload>
class RangeMap {
 public:
  struct Range {
    Key begin{};
    Key end{};
    Payload payload{};
  };
  struct Cursor {
    std::uint32_t block = 0;
    std::uint32_t index = 0;
  };
  static constexpr std::uint32_t BLOCK_RANGES = 64;

  bool empty() const { return blocks_.empty(); }
  std::size_t size() const { return size_; }
  // Empties the map; the storage of its first block is kept for the next insert (a map that is
  // cleared and refilled allocates nothing).
  void clear() {
    if (!blocks_.empty()) {
      spare_ = std::move(blocks_.front());
      spare_.clear();
    }
    blocks_.clear();
    size_ = 0;
  }

  Cursor begin_cursor() const { return Cursor{0, 0}; }
  bool valid(Cursor cursor) const { return cursor.block < blocks_.size(); }
  Range& operator[](Cursor cursor) { return blocks_[cursor.block][cursor.index]; }
  const Range& operator[](Cursor cursor) const { return blocks_[cursor.block][cursor.index]; }

  Cursor next(Cursor cursor) const {
    if (++cursor.index == blocks_[cursor.block].size()) return Cursor{cursor.block + 1, 0};
    return cursor;
  }
  // Precondition: `cursor` is not the first range.
  Cursor previous(Cursor cursor) const {
    if (cursor.index > 0) return Cursor{cursor.block, cursor.index - 1};
    PTOSIM_ASSERT(cursor.block > 0, "RangeMap: no range before the first");
    return Cursor{cursor.block - 1, static_cast<std::uint32_t>(blocks_[cursor.block - 1].size() - 1)};
  }
  bool is_first(Cursor cursor) const { return cursor.block == 0 && cursor.index == 0; }

  // The first range that ends after `at`: the one holding `at`, else the first starting after it
  // (an invalid cursor when there is none).
  Cursor find(Key at) const {
    std::size_t low = 0;
    std::size_t high = blocks_.size();
    while (low < high) {
      const std::size_t middle = (low + high) / 2;
      if (blocks_[middle].back().end > at) {
        high = middle;
      } else {
        low = middle + 1;
      }
    }
    if (low == blocks_.size()) return end_cursor();
    const std::vector<Range>& block = blocks_[low];
    std::size_t first = 0;
    std::size_t last = block.size() - 1;  // block.back().end > at: the answer is in the block
    while (first < last) {
      const std::size_t middle = (first + last) / 2;
      if (block[middle].end > at) {
        last = middle;
      } else {
        first = middle + 1;
      }
    }
    return Cursor{static_cast<std::uint32_t>(low), static_cast<std::uint32_t>(first)};
  }

  // Inserts `range` before `before` (an invalid cursor: at the end); returns its cursor. The
  // caller keeps the ranges ordered and disjoint (checked against the neighbours).
  Cursor insert(Cursor before, const Range& range) {
    PTOSIM_ASSERT(range.begin < range.end, "RangeMap: an empty range");
    if (blocks_.empty()) {
      blocks_.push_back(std::move(spare_));
      blocks_.back().assign(1, range);
      spare_ = std::vector<Range>();
      size_ = 1;
      return Cursor{0, 0};
    }
    if (!valid(before)) before = Cursor{static_cast<std::uint32_t>(blocks_.size() - 1), static_cast<std::uint32_t>(blocks_.back().size())};
    std::vector<Range>& block = blocks_[before.block];
    PTOSIM_ASSERT(before.index == block.size() || range.end <= block[before.index].begin, "RangeMap: insert overlaps the next range");
    PTOSIM_ASSERT(is_first(before) || (*this)[previous(before)].end <= range.begin, "RangeMap: insert overlaps the previous range");
    block.insert(block.begin() + before.index, range);
    ++size_;
    if (block.size() <= BLOCK_RANGES) return before;
    // Split a full block in two halves; the new range goes with its half.
    const std::uint32_t half = BLOCK_RANGES / 2;
    std::vector<Range> upper(block.begin() + half, block.end());
    block.resize(half);
    blocks_.insert(blocks_.begin() + before.block + 1, std::move(upper));
    if (before.index >= half) return Cursor{before.block + 1, before.index - half};
    return before;
  }

  // Erases the range at `cursor`; returns the cursor of the range that followed it.
  Cursor erase(Cursor cursor) {
    std::vector<Range>& block = blocks_[cursor.block];
    block.erase(block.begin() + cursor.index);
    --size_;
    if (block.empty()) {
      blocks_.erase(blocks_.begin() + cursor.block);
      return Cursor{cursor.block, 0};
    }
    if (cursor.index == block.size()) return Cursor{cursor.block + 1, 0};
    return cursor;
  }

 private:
  Cursor end_cursor() const { return Cursor{static_cast<std::uint32_t>(blocks_.size()), 0}; }

  std::vector<std::vector<Range>> blocks_;  // none empty, in order
  std::vector<Range> spare_;                // storage for the first block of an empty map
  std::size_t size_ = 0;
};

}  // namespace ptosim::hwmodel
