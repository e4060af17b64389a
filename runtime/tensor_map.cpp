#include "runtime/tensor_map.h"

#include "simcore/model_assert.h"

#include <algorithm>
#include <string>

namespace ptosim::runtime {

void TensorMap::collect(const Chain& chain, const TensorLayout& input) {
  candidates_.clear();
  const std::int64_t input_begin = input.start_offset;
  const std::int64_t input_end = input.start_offset + input.extent();
  if (input.version > 0) {
    for (auto i = static_cast<std::uint32_t>(chain.entries.size()); i-- > 0;) {
      if (chain.removed[i] == 0) candidates_.push_back(i);
    }
    return;
  }
  if (!chain.indexed) {
    // Entries whose range [start, start + extent) meets [input.start, input.start + extent),
    // newest first, as the real chain (new entries at the head) is walked.
    for (auto i = static_cast<std::uint32_t>(chain.entries.size()); i-- > 0;) {
      if (chain.removed[i] != 0) continue;
      const TensorLayout& entry = chain.entries[i].layout;
      if (entry.start_offset < input_end && entry.start_offset + entry.extent() > input_begin) candidates_.push_back(i);
    }
    return;
  }
  for (auto s = chain.starts.upper_bound(input_begin - chain.max_extent); s != chain.starts.end() && s->first < input_end; ++s) {
    const TensorLayout& entry = chain.entries[s->second].layout;
    if (entry.start_offset + entry.extent() > input_begin) candidates_.push_back(s->second);
  }
  std::sort(candidates_.begin(), candidates_.end(), [](std::uint32_t a, std::uint32_t b) { return a > b; });
}

void TensorMap::settle(Chain& chain) {
  if (chain.live == 0) {
    chain.entries.clear();
    chain.removed.clear();
    chain.starts.clear();
    chain.indexed = false;
    chain.max_extent = 0;
  } else if (chain.entries.size() - chain.live > chain.live && chain.entries.size() >= 2 * INDEX_FROM) {
    compact(chain);
  }
}

void TensorMap::remove(Chain& chain, std::uint32_t index) {
  chain.removed[index] = 1;
  if (chain.indexed) {
    auto [first, last] = chain.starts.equal_range(chain.entries[index].layout.start_offset);
    for (auto s = first; s != last; ++s) {
      if (s->second != index) continue;
      chain.starts.erase(s);
      break;
    }
  }
  PTOSIM_ASSERT(chain.live > 0 && entries_ > 0, "TensorMap entry count underflow");
  --chain.live;
  --entries_;
}

// Drops the removed entries, keeping the live ones in insertion order (newest first stays so).
void TensorMap::compact(Chain& chain) {
  std::size_t kept = 0;
  for (std::size_t i = 0; i < chain.entries.size(); ++i) {
    if (chain.removed[i] != 0) continue;
    chain.entries[kept++] = chain.entries[i];
  }
  PTOSIM_ASSERT(kept == chain.live, "TensorMap chain lost count of its live entries");
  chain.entries.resize(kept);
  chain.removed.assign(kept, 0);
  if (!chain.indexed) return;
  chain.starts.clear();
  for (std::uint32_t i = 0; i < kept; ++i) chain.starts.emplace(chain.entries[i].layout.start_offset, i);
}

void TensorMap::insert(const TensorMapEntry& entry) {
  const std::uint32_t index_of_chain = chain_of_.insert(entry.buffer);
  if (index_of_chain == chains_.size()) chains_.emplace_back();
  Chain& chain = chains_[index_of_chain];
  // Tasks insert in submission order, so "newest first" is "highest index first": check it.
  PTOSIM_ASSERT(chain.entries.empty() || chain.entries.back().producer <= entry.producer,
                "TensorMap insert of task " + std::to_string(entry.producer) + " after task " +
                    (chain.entries.empty() ? std::string() : std::to_string(chain.entries.back().producer)));
  const auto index = static_cast<std::uint32_t>(chain.entries.size());
  chain.entries.push_back(entry);
  chain.removed.push_back(0);
  chain.max_extent = std::max(chain.max_extent, entry.layout.extent());
  ++chain.live;
  ++entries_;
  if (chain.indexed) {
    chain.starts.emplace(entry.layout.start_offset, index);
  } else if (chain.live > INDEX_FROM) {
    for (std::uint32_t i = 0; i < chain.entries.size(); ++i) {
      if (chain.removed[i] == 0) chain.starts.emplace(chain.entries[i].layout.start_offset, i);
    }
    chain.indexed = true;
  }
}

}  // namespace ptosim::runtime
