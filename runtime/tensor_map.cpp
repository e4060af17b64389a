#include "runtime/tensor_map.h"

#include "simcore/model_assert.h"

#include <algorithm>
#include <string>

namespace ptosim::runtime {

void TensorMap::lookup(std::uint64_t buffer, const TensorLayout& input, bool remove_covered,
                       const std::function<bool(std::uint8_t, std::uint32_t)>& retired,
                       const std::function<void(const TensorMapEntry&, Overlap)>& on_hit) {
  auto it = chains_.find(buffer);
  if (it == chains_.end()) return;
  std::vector<TensorMapEntry>& chain = it->second;
  for (std::size_t i = chain.size(); i-- > 0;) {
    const TensorMapEntry& entry = chain[i];
    PTOSIM_ASSERT(entry.buffer == buffer, "TensorMap entry filed under another buffer");
    if (retired(entry.ring, entry.local_id)) continue;
    Overlap overlap = check_overlap(input, entry.layout);
    if (overlap == Overlap::no_overlap) continue;
    on_hit(entry, overlap);
    if (remove_covered && overlap == Overlap::covered) {
      PTOSIM_ASSERT(live_entries_ > 0, "TensorMap entry count underflow");
      chain.erase(chain.begin() + static_cast<std::ptrdiff_t>(i));
      --live_entries_;
    }
  }
  if (chain.empty()) chains_.erase(it);
}

void TensorMap::insert(const TensorMapEntry& entry) {
  // A ring allocates local ids in order, so its inserts arrive in order: cleanup relies on it.
  auto& order = inserted_[entry.ring];
  PTOSIM_ASSERT(order.empty() || order.back().first <= entry.local_id,
                "TensorMap insert of ring " + std::to_string(entry.ring) + " local id " + std::to_string(entry.local_id) +
                    " after local id " + std::to_string(order.back().first));
  chains_[entry.buffer].push_back(entry);
  inserted_[entry.ring].emplace_back(entry.local_id, entry.buffer);
  ++live_entries_;
}

void TensorMap::cleanup_retired(std::uint8_t ring, std::uint32_t last_alive) {
  auto records = inserted_.find(ring);
  if (records == inserted_.end()) return;
  while (!records->second.empty() && records->second.front().first < last_alive) {
    auto [local_id, buffer] = records->second.front();
    records->second.pop_front();
    auto chain = chains_.find(buffer);
    if (chain == chains_.end()) continue;  // already removed by a COVERED INOUT
    auto& entries = chain->second;
    auto pos = std::find_if(entries.begin(), entries.end(), [&](const TensorMapEntry& e) {
      return e.ring == ring && e.local_id == local_id;
    });
    if (pos != entries.end()) {
      PTOSIM_ASSERT(live_entries_ > 0, "TensorMap entry count underflow");
      entries.erase(pos);
      --live_entries_;
    }
    if (entries.empty()) chains_.erase(chain);
  }
}

}  // namespace ptosim::runtime
