#include "runtime/tensor_map.h"

#include "simcore/model_assert.h"

#include <algorithm>
#include <string>

namespace ptosim::runtime {

void TensorMap::lookup(std::uint64_t buffer, const TensorLayout& input, bool remove_covered,
                       const std::function<void(const TensorMapEntry&, Overlap)>& on_hit) {
  auto it = chains_.find(buffer);
  if (it == chains_.end()) return;
  Chain& chain = it->second;
  candidates_.clear();
  if (input.version > 0) {
    for (std::uint32_t i = 0; i < chain.entries.size(); ++i) {
      if (!chain.removed[i]) candidates_.push_back(i);
    }
  } else {
    // Entries whose range [start, start + extent) meets [input.start, input.start + extent).
    const std::int64_t input_begin = input.start_offset;
    const std::int64_t input_end = input.start_offset + input.extent();
    for (auto s = chain.starts.upper_bound(input_begin - chain.max_extent); s != chain.starts.end() && s->first < input_end;
         ++s) {
      const TensorLayout& entry = chain.entries[s->second].layout;
      if (entry.start_offset + entry.extent() > input_begin) candidates_.push_back(s->second);
    }
  }
  // Newest first, as the real chain (new entries at the head) is walked.
  std::sort(candidates_.begin(), candidates_.end(), [](std::uint32_t a, std::uint32_t b) { return a > b; });
  for (std::uint32_t index : candidates_) {
    const TensorMapEntry& entry = chain.entries[index];
    const Overlap overlap = check_overlap(input, entry.layout);
    if (overlap == Overlap::no_overlap) continue;
    on_hit(entry, overlap);
    if (remove_covered && overlap == Overlap::covered) {
      chain.removed[index] = true;
      auto [first, last] = chain.starts.equal_range(entry.layout.start_offset);
      for (auto s = first; s != last; ++s) {
        if (s->second != index) continue;
        chain.starts.erase(s);
        break;
      }
      PTOSIM_ASSERT(chain.live > 0 && entries_ > 0, "TensorMap entry count underflow");
      --chain.live;
      --entries_;
    }
  }
  if (chain.live == 0) chains_.erase(it);
}

void TensorMap::insert(const TensorMapEntry& entry) {
  Chain& chain = chains_[entry.buffer];
  // Tasks insert in submission order, so "newest first" is "highest index first": check it.
  PTOSIM_ASSERT(chain.entries.empty() || chain.entries.back().producer <= entry.producer,
                "TensorMap insert of task " + std::to_string(entry.producer) + " after task " +
                    (chain.entries.empty() ? std::string() : std::to_string(chain.entries.back().producer)));
  const auto index = static_cast<std::uint32_t>(chain.entries.size());
  chain.entries.push_back(entry);
  chain.removed.push_back(false);
  chain.starts.emplace(entry.layout.start_offset, index);
  chain.max_extent = std::max(chain.max_extent, entry.layout.extent());
  ++chain.live;
  ++entries_;
}

}  // namespace ptosim::runtime
