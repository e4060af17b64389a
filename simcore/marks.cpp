#include "simcore/marks.h"

#include <algorithm>
#include <atomic>

namespace ptosim::simcore {

namespace {

// The registered sites, a lock-free list (a site registers once, when its branch first runs).
std::atomic<MarkSite*> g_first_site{nullptr};

}  // namespace

MarkSite::MarkSite(const char* name) noexcept : name_(name) {
  MarkSite* head = g_first_site.load(std::memory_order_acquire);
  do {
    next_ = head;
  } while (!g_first_site.compare_exchange_weak(head, this, std::memory_order_acq_rel));
}

std::uint64_t mark_count(std::string_view name) {
  std::uint64_t total = 0;
  for (MarkSite* site = g_first_site.load(std::memory_order_acquire); site != nullptr; site = site->next()) {
    if (name == site->name()) total += site->count();
  }
  return total;
}

std::vector<std::string> marks_hit() {
  std::vector<std::string> names;
  for (MarkSite* site = g_first_site.load(std::memory_order_acquire); site != nullptr; site = site->next()) {
    if (site->count() > 0) names.emplace_back(site->name());
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

void reset_marks() {
  for (MarkSite* site = g_first_site.load(std::memory_order_acquire); site != nullptr; site = site->next()) {
    site->reset();
  }
}

}  // namespace ptosim::simcore
