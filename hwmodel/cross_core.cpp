// The counters of the cross-core flags and the static flag_protocol pass over a cluster's three
// op lists (see cross_core.h and micro_program.h).
#include "hwmodel/cross_core.h"

#include "simcore/marks.h"
#include "simcore/model_assert.h"

#include <map>
#include <tuple>
#include <string>

namespace ptosim::hwmodel {

namespace {

// Where a set of a core of `role` (0 AIC, 1 AIV0, 2 AIV1) in `mode` lands: (role, slot) pairs.
struct Target {
  std::uint32_t role = 0;
  std::uint32_t slot = 0;
};
std::vector<Target> targets_of(std::uint32_t role, std::uint8_t mode) {
  if (role == 0) return {{1, 0}, {2, 0}};  // mode 2: both AIVs
  if (mode == 1) return {{role == 1 ? 2u : 1u, 0}};
  return {{0, role - 1}};  // mode 2: the AIV's slot of the AIC
}

std::uint32_t role_of(CoreKind kind) { return static_cast<std::uint32_t>(kind); }

}  // namespace

CrossCoreHub::CrossCoreHub(const Topology& topology)
    : topology_(topology),
      counters_(static_cast<std::size_t>(topology.core_count())),
      waiting_id_(static_cast<std::size_t>(topology.core_count()), -1),
      waiters_(static_cast<std::size_t>(topology.core_count()), nullptr),
      last_source_(static_cast<std::size_t>(topology.core_count())) {}

bool CrossCoreHub::post(int core, std::uint8_t id, std::uint8_t mode, const SignalSource& source) {
  PTOSIM_ASSERT(id < CROSS_CORE_FLAG_IDS, "a cross-core flag id out of range");
  PTOSIM_ASSERT(mode == 1 || mode == 2, "a cross-core flag mode other than 1 and 2");
  const int cluster = topology_.cluster_of(core);
  bool fits = true;
  for (const Target& target : targets_of(role_of(topology_.kind_of(core)), mode)) {
    const int receiver = topology_.core_id(cluster, static_cast<CoreKind>(target.role));
    std::uint8_t& count = counters_[static_cast<std::size_t>(receiver)][id].slots[target.slot];
    if (count == CROSS_CORE_COUNTER_MAX) {
      PTOSIM_MARK("cross-core counter overflow");
      count = 0;  // the 4-bit counter wraps
      fits = false;
    } else {
      ++count;
    }
    PTOSIM_ASSERT(count <= CROSS_CORE_COUNTER_MAX, "a cross-core counter holds more than 15 sets");
    last_source_[static_cast<std::size_t>(receiver)][id] = source;
    auto& waiter = waiters_[static_cast<std::size_t>(receiver)];
    if (waiter != nullptr && waiting_id_[static_cast<std::size_t>(receiver)] == id && satisfied(receiver, id)) {
      consume(receiver, id);
      CrossCoreWaiter* told = waiter;
      waiter = nullptr;
      waiting_id_[static_cast<std::size_t>(receiver)] = -1;
      told->on_cross_core_satisfied(source);
    }
  }
  return fits;
}

bool CrossCoreHub::arrive(int core, std::uint8_t id, CrossCoreWaiter* waiter, SignalSource* source) {
  PTOSIM_ASSERT(id < CROSS_CORE_FLAG_IDS, "a cross-core flag id out of range");
  PTOSIM_ASSERT(waiters_[static_cast<std::size_t>(core)] == nullptr, "a core waits on two cross-core flags at once");
  if (satisfied(core, id)) {
    consume(core, id);
    if (source != nullptr) *source = last_source_[static_cast<std::size_t>(core)][id];
    return true;
  }
  waiters_[static_cast<std::size_t>(core)] = waiter;
  waiting_id_[static_cast<std::size_t>(core)] = id;
  return false;
}

bool CrossCoreHub::satisfied(int core, std::uint8_t id) const {
  const Counter& counter = counters_[static_cast<std::size_t>(core)][id];
  // The AIC's wait is the mode-2 reduce: a set from each AIV.
  if (topology_.kind_of(core) == CoreKind::aic) return counter.slots[0] > 0 && counter.slots[1] > 0;
  return counter.slots[0] > 0;
}

void CrossCoreHub::consume(int core, std::uint8_t id) {
  Counter& counter = counters_[static_cast<std::size_t>(core)][id];
  PTOSIM_ASSERT(counter.slots[0] > 0, "a cross-core wait consumed an empty counter");
  --counter.slots[0];
  if (topology_.kind_of(core) == CoreKind::aic) {
    PTOSIM_ASSERT(counter.slots[1] > 0, "an AIC wait consumed an empty AIV1 slot");
    --counter.slots[1];
  }
}

std::uint32_t CrossCoreHub::pending_sets() const {
  std::uint32_t total = 0;
  for (const auto& core : counters_) {
    for (const Counter& counter : core) total += counter.slots[0] + counter.slots[1];
  }
  return total;
}

std::vector<ClusterFinding> analyse_cluster(const std::array<const std::vector<MicroOp>*, 3>& lists) {
  std::vector<ClusterFinding> findings;
  // Per (receiver role, slot, id): the set ops that land there, in the setter's program order.
  struct Landing {
    std::uint32_t role = 0;
    std::uint32_t op = 0;
  };
  std::map<std::tuple<std::uint32_t, std::uint32_t, std::uint8_t>, std::vector<Landing>> sets;
  for (std::uint32_t role = 0; role < 3; ++role) {
    // Sets to one counter with no wait of the setter between them: more than 15 can overflow it.
    std::map<std::tuple<std::uint32_t, std::uint32_t, std::uint8_t>, std::uint32_t> run;
    const std::vector<MicroOp>& ops = *lists[role];
    for (std::uint32_t i = 0; i < ops.size(); ++i) {
      if (ops[i].kind == MicroOpKind::wait_flag_dev) run.clear();
      if (ops[i].kind != MicroOpKind::set_cross_core) continue;
      for (const Target& target : targets_of(role, ops[i].cross_mode)) {
        const auto key = std::make_tuple(target.role, target.slot, ops[i].flag_id);
        sets[key].push_back(Landing{role, i});
        if (++run[key] == CROSS_CORE_COUNTER_MAX + 1) {
          findings.push_back(ClusterFinding{{ProgramFinding::Kind::flag_protocol, "cross_overflow", i, i,
                                             "set_cross_core(" + std::to_string(ops[i].flag_id) + ") the 16th time with no wait_flag_dev of its "
                                             "core between: the 4-bit counter can overflow"},
                                            role});
        }
      }
    }
  }
  for (std::uint32_t role = 0; role < 3; ++role) {
    const std::vector<MicroOp>& ops = *lists[role];
    std::map<std::uint8_t, std::uint32_t> waits;  // id -> waits so far
    for (std::uint32_t i = 0; i < ops.size(); ++i) {
      if (ops[i].kind != MicroOpKind::wait_flag_dev) continue;
      const std::uint32_t n = ++waits[ops[i].flag_id];
      for (std::uint32_t slot = 0; slot < (role == 0 ? 2u : 1u); ++slot) {
        auto it = sets.find(std::make_tuple(role, slot, ops[i].flag_id));
        const std::size_t available = it == sets.end() ? 0 : it->second.size();
        if (n <= available) continue;
        findings.push_back(ClusterFinding{{ProgramFinding::Kind::flag_protocol, "cross_wait_never_set", i, i,
                                           "wait_flag_dev(" + std::to_string(ops[i].flag_id) + ") number " + std::to_string(n) +
                                               " on the " + (role == 0 ? "AIC" : role == 1 ? "AIV0" : "AIV1") +
                                               (role == 0 ? (slot == 0 ? " (AIV0's slot)" : " (AIV1's slot)") : "") +
                                               " with only " + std::to_string(available) + " set_cross_core to it: it can never be satisfied"},
                                          role});
        break;
      }
    }
    for (const auto& [key, landings] : sets) {
      if (std::get<0>(key) != role) continue;
      const std::uint32_t consumed = waits[std::get<2>(key)];
      if (landings.size() <= consumed) continue;
      const Landing& first_left = landings[consumed];
      const MicroOp& set = (*lists[first_left.role])[first_left.op];
      findings.push_back(ClusterFinding{{ProgramFinding::Kind::flag_protocol, "cross_set_at_exit", first_left.op, first_left.op,
                                         "set_cross_core(" + std::to_string(set.flag_id) + ") left " +
                                             std::to_string(landings.size() - consumed) + " set(s) in the " +
                                             (role == 0 ? "AIC" : role == 1 ? "AIV0" : "AIV1") + "'s counter at the end"},
                                        first_left.role});
    }
  }
  return findings;
}

}  // namespace ptosim::hwmodel
