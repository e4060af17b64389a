// The TensorMap: for every buffer address, the chain of earlier writers' views (INOUT and
// OUTPUT_EXISTING inserts). Lookups walk the chain newest first, skip entries whose producer has
// retired (lazy invalidation) and report the overlap class of each live entry; cleanup removes
// retired entries in batches, as sync_tensormap does every 64 watermark moves.
//
// Left out: the fixed entry pool and its back-pressure (TENSORMAP_OVERFLOW, code 11).
#pragma once

#include "runtime/tensor_view.h"

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <vector>

namespace ptosim::runtime {

struct TensorMapEntry {
  std::uint64_t buffer = 0;
  std::uint32_t producer = 0;  // task ordinal
  std::uint8_t ring = 0;
  std::uint32_t local_id = 0;
  TensorLayout layout;
};

class TensorMap {
 public:
  // Reports every live overlapping entry of `buffer` (newest first). With `remove_covered`, an
  // entry the input COVERS is removed after being reported (INOUT semantics).
  // `retired(ring, local_id)` tells whether an entry's producer has been reclaimed.
  void lookup(std::uint64_t buffer, const TensorLayout& input, bool remove_covered,
              const std::function<bool(std::uint8_t, std::uint32_t)>& retired,
              const std::function<void(const TensorMapEntry&, Overlap)>& on_hit);
  void insert(const TensorMapEntry& entry);
  // Drops entries of `ring` whose producer local id is below `last_alive`.
  void cleanup_retired(std::uint8_t ring, std::uint32_t last_alive);

  std::size_t size() const { return live_entries_; }

 private:
  std::map<std::uint64_t, std::vector<TensorMapEntry>> chains_;  // oldest first within a chain
  std::size_t live_entries_ = 0;
  // Insertion order per ring, so cleanup touches only the chains that hold retired entries.
  std::map<std::uint8_t, std::deque<std::pair<std::uint32_t, std::uint64_t>>> inserted_;
};

}  // namespace ptosim::runtime
