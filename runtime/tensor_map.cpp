#include "runtime/tensor_map.h"

namespace ptosim::runtime {

void TensorMap::lookup(std::uint64_t buffer, const TensorLayout& input, bool remove_covered,
                       const std::function<void(const TensorMapEntry&, Overlap)>& on_hit) {
  auto it = chains_.find(buffer);
  if (it == chains_.end()) return;
  std::vector<TensorMapEntry>& chain = it->second;
  for (std::size_t i = chain.size(); i-- > 0;) {
    const TensorMapEntry& entry = chain[i];
    Overlap overlap = check_overlap(input, entry.layout);
    if (overlap == Overlap::no_overlap) continue;
    on_hit(entry, overlap);
    if (remove_covered && overlap == Overlap::covered) {
      chain.erase(chain.begin() + static_cast<std::ptrdiff_t>(i));
      --entries_;
    }
  }
  if (chain.empty()) chains_.erase(it);
}

void TensorMap::insert(const TensorMapEntry& entry) {
  chains_[entry.buffer].push_back(entry);
  ++entries_;
}

}  // namespace ptosim::runtime
