// The TensorMap: for every buffer, the chain of earlier writers' views (INOUT and OUTPUT_EXISTING
// inserts). Lookups walk the chain newest first and report the overlap class of each entry;
// COVERED entries are removed under INOUT.
//
// This map belongs to the timing-free task graph (runtime/task_graph.h): buffers are logical
// (an external tensor, or a task's output) and nothing ever retires in it, so an edge to a writer
// that the run will find already retired is still an edge of the graph. The runtime's lazy
// invalidation (skip entries of retired producers, clean them up every 64 watermark moves) is
// applied by the run when it filters the graph's edges by producer state (live_fanin): a retired
// writer is "satisfied at submit", never waited on.
//
// Since nothing retires, a chain can grow with the program (one buffer written in many disjoint
// places, e.g. an output row per sequence). A lookup therefore visits only the entries whose 1-D
// element range meets the input's: the others are NO_OVERLAP by the cascade's first range test,
// so the hits and their order are exactly those of a walk of the whole chain. A short chain is
// scanned; one with more than INDEX_FROM live entries gets an index by start offset. (An input of
// a newer version overlaps every entry and walks the whole chain.) A chain whose entries were all
// removed is emptied but kept, and removed entries are dropped once they outnumber the live ones.
//
#pragma once

#include "runtime/tensor_view.h"
#include "simcore/key_index.h"

#include <cstdint>
#include <map>
#include <type_traits>
#include <vector>

namespace ptosim::runtime {

struct TensorMapEntry {
  std::uint64_t buffer = 0;    // logical buffer key (program.h: logical_buffer_key)
  std::uint32_t producer = 0;  // task ordinal
  TensorLayout layout;
};

class TensorMap {
 public:
  // Reports every overlapping entry of `buffer` (newest first) to on_hit(entry, overlap). With
  // `remove_covered`, an entry the input COVERS is removed after being reported (INOUT
  // semantics). on_hit returns false for a hit it drops (the older runtime's lookup cap,
  // PTO2_LOOKUP_MAX_RESULTS): a dropped entry was never in the result buffer, so it is not
  // removed either. on_hit must not change the map.
  template <class OnHit>
  void lookup(std::uint64_t buffer, const TensorLayout& input, bool remove_covered, OnHit&& on_hit) {
    const std::uint32_t found = chain_of_.find(buffer);
    if (found == simcore::KeyIndex::ABSENT || chains_[found].live == 0) return;
    Chain& chain = chains_[found];
    collect(chain, input);
    steps_ += candidates_.size();
    bool removed = false;
    for (std::uint32_t index : candidates_) {
      const TensorMapEntry& entry = chain.entries[index];
      const Overlap overlap = check_overlap(input, entry.layout);
      if (overlap == Overlap::no_overlap) continue;
      bool taken = true;
      if constexpr (std::is_void_v<decltype(on_hit(entry, overlap))>) {
        on_hit(entry, overlap);
      } else {
        taken = on_hit(entry, overlap);
      }
      if (!taken || !remove_covered || overlap != Overlap::covered) continue;
      remove(chain, index);
      removed = true;
    }
    if (removed) settle(chain);
  }
  void insert(const TensorMapEntry& entry);

  std::size_t size() const { return entries_; }
  // Entries visited by lookups so far (what a lookup's chain walk costs).
  std::uint64_t lookup_steps() const { return steps_; }

 private:
  static constexpr std::size_t INDEX_FROM = 16;
  struct Chain {
    std::vector<TensorMapEntry> entries;   // in insertion order, removed ones too (until compacted)
    std::vector<std::uint8_t> removed;
    std::multimap<std::int64_t, std::uint32_t> starts;  // start offset -> index of a live entry, when indexed
    bool indexed = false;
    std::int64_t max_extent = 0;           // of every entry inserted since the chain was last empty
    std::size_t live = 0;
  };
  // The entries of the chain that may overlap `input`, newest first, into candidates_.
  void collect(const Chain& chain, const TensorLayout& input);
  void remove(Chain& chain, std::uint32_t index);
  // Empties a chain without live entries, compacts one with more removed entries than live ones.
  void settle(Chain& chain);
  void compact(Chain& chain);

  simcore::KeyIndex chain_of_;  // buffer -> its chain in chains_
  std::vector<Chain> chains_;
  std::size_t entries_ = 0;
  std::vector<std::uint32_t> candidates_;  // reused by lookups
  std::uint64_t steps_ = 0;
};

}  // namespace ptosim::runtime
