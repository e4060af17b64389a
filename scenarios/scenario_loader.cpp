// Loader and strict validator of scenario format v1 (docs/scenario-format.md). Every error names
// the file, the JSON pointer of the offending field and what was expected. The program is
// expanded here, once: loops and expressions are evaluated, task and tensor names resolved to
// indices and views composed, so the simulation interprets a flat list of runtime calls.
#include "scenarios/loader_fields.h"

#include "runtime/ring_buffers.h"

#include "simcore/hashing.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <unordered_map>
#include <sstream>

namespace ptosim::scenarios {

namespace loader {

namespace {

using runtime::ArgKind;
using runtime::ArgSpec;
using runtime::NO_INDEX;
using runtime::OpKind;
using runtime::ProgramOp;

constexpr std::uint64_t EXTERNAL_BASE = 0x2000'0000'0000ULL;
constexpr std::size_t MAX_SELECTED_ROWS = 1 << 20;  // rows a gather or scatter may select
constexpr std::int64_t MAX_ARG_RUNS = 1 << 20;      // contiguous element runs of one argument
// A detector's window is a product of valid fields (a spin limit times a spin length); it must
// fit the simulated clock with room to spare: at most 10^15 ns (about 11.6 days), far beyond
// any run's time budget and below 2^53, where the engine's clock stays exact.
constexpr std::int64_t MAX_DETECTOR_WINDOW_NS = 1'000'000'000'000'000LL;

struct TensorBinding {
  std::uint32_t external = NO_INDEX;
  std::uint32_t task = NO_INDEX;
  std::uint32_t output = 0;
  runtime::TensorLayout layout;
};

class Loader : public FieldReader {
 public:
  explicit Loader(std::string file) : FieldReader(std::move(file)) {}

  Scenario load(const std::string& text) {
    json doc = parse_strict(text);
    Field root{&doc, nullptr, {}, 0, false};
    if (doc.is_object() && doc.contains("format") && doc["format"].is_string()) {
      const std::string format = doc["format"].get<std::string>();
      if (format == "ptosim-recording") fail_raw(root, "this is a ptosim recording, not a scenario: use `ptosim replay`");
      if (format == "ptosim-snapshot") fail_raw(root, "this is a ptosim snapshot, not a scenario: use `ptosim inspect`");
    }
    Scenario scenario;
    scenario.text = text;
    scenario.text_hash = fnv1a64(text);
    check_object(root, {"format", "name", "description", "platform", "runtime", "tensors", "kernels", "program",
                        "faults", "expect"},
                 {"format", "name", "description", "platform", "kernels", "program"});
    const Field format = child(root, "format");
    if (integer(format, 0, 1'000'000) != SCENARIO_FORMAT_VERSION) {
      fail(format, "format version " + std::to_string(SCENARIO_FORMAT_VERSION) + " (the only version this ptosim reads)");
    }
    scenario.name = string(child(root, "name"));
    if (scenario.name.empty()) fail(child(root, "name"), "a non-empty name");
    scenario.description = string(child(root, "description"));
    if (scenario.description.empty()) fail(child(root, "description"), "a non-empty description of what the scenario shows");
    load_platform(child(root, "platform"), scenario.model.platform);
    if (has(root, "runtime")) load_runtime(child(root, "runtime"), scenario.model);
    load_kernels(child(root, "kernels"), scenario.model.kernels);
    const Field program = child(root, "program");
    check_object(program, {"params", "body"}, {"body"});
    if (has(program, "params")) load_params(child(program, "params"));
    if (has(root, "tensors")) load_tensors(child(root, "tensors"));
    collect_declared_names(child(program, "body"));
    model_ = &scenario.model;
    expand_block(child(program, "body"));
    check_scope_fits(program, 0);
    program_.externals = externals_;
    scenario.model.program = std::move(program_);
    if (has(root, "faults")) load_faults(child(root, "faults"), scenario.model);
    if (has(root, "expect")) scenario.expect = load_expect(*this, child(root, "expect"), externals_, written_externals_);
    scenario.warnings = warnings_;
    return scenario;
  }

 private:
  // Parses JSON and rejects duplicate keys, which a plain parse would silently merge (last wins).
  json parse_strict(const std::string& text) {
    struct Frame {
      bool array = false;
      std::size_t index = 0;
      std::string key;
      std::set<std::string> keys;
    };
    std::vector<Frame> stack;
    std::string duplicate;
    auto path = [&stack](std::size_t frames) {
      std::string pointer;
      for (std::size_t i = 0; i < frames; ++i) {
        pointer += "/" + (stack[i].array ? std::to_string(stack[i].index) : escape_token(stack[i].key));
      }
      return pointer;
    };
    auto element_done = [&stack] {
      if (!stack.empty() && stack.back().array) ++stack.back().index;
    };
    json::parser_callback_t callback = [&](int, json::parse_event_t event, json& parsed) {
      switch (event) {
        case json::parse_event_t::object_start: stack.push_back(Frame{}); break;
        case json::parse_event_t::array_start: stack.push_back(Frame{true, 0, {}, {}}); break;
        case json::parse_event_t::key: {
          const std::string key = parsed.get<std::string>();
          if (!stack.back().keys.insert(key).second && duplicate.empty()) {
            duplicate = path(stack.size() - 1) + "/" + escape_token(key);
          }
          stack.back().key = key;
          break;
        }
        case json::parse_event_t::object_end:
        case json::parse_event_t::array_end:
          stack.pop_back();
          element_done();
          break;
        case json::parse_event_t::value: element_done(); break;
      }
      return true;
    };
    json doc;
    try {
      doc = json::parse(text, callback);
    } catch (const json::exception& e) {
      // parse_error, and out_of_range for a number too large for a double (1e400).
      throw ScenarioError(file_, "", std::string("not valid JSON: ") + e.what());
    }
    if (!duplicate.empty()) throw ScenarioError(file_, duplicate, "duplicate key (JSON objects must not repeat a key)");
    return doc;
  }

  // ---------------------------------------------------------------- sections
  void load_platform(const Field& field, runtime::PlatformConfig& platform) {
    check_object(field, {"kind", "clusters", "scheduler_threads", "core_timing", "host_cpus", "background_threads",
                         "time_slice_ns", "host_costs", "memory"},
                 {"clusters", "scheduler_threads"});
    if (has(field, "kind")) {
      const Field kind = child(field, "kind");
      const std::string value = string(kind);
      if (value == "a2a3sim") {
        host_platform_ = true;
      } else if (value != "a2a3") {
        fail(kind, "\"a2a3\" (the board) or \"a2a3sim\" (the simulator board), found \"" + value + "\"");
      }
    }
    platform.clusters = static_cast<int>(integer(child(field, "clusters"), 1, 64));
    platform.scheduler_threads = static_cast<int>(integer(child(field, "scheduler_threads"), 1, 6));
    if (platform.scheduler_threads > platform.clusters) {
      fail(child(field, "scheduler_threads"), "at most as many scheduler threads as clusters (each owns clusters)");
    }
    static constexpr const char* HOST_KEYS[] = {"host_cpus", "background_threads", "time_slice_ns", "host_costs"};
    if (!host_platform_) {
      for (const char* key : HOST_KEYS) {
        if (has(field, key)) fail_raw(child(field, key), std::string(key) + " applies to platform kind \"a2a3sim\" only");
      }
    } else {
      // The simulator board: every thread a host thread; no defaults for the host, which no
      // source describes (each scenario states and justifies its own).
      for (const char* key : HOST_KEYS) {
        if (!has(field, key)) {
          Field missing{field.value, &field, key, 0, false};
          fail_raw(missing, std::string("missing required key '") + key + "' (platform kind \"a2a3sim\")");
        }
      }
      if (has(field, "core_timing")) {
        fail_raw(child(field, "core_timing"),
                 "core_timing applies to platform kind \"a2a3\" only: on \"a2a3sim\" registers are host memory, seen at "
                 "the next poll");
      }
      simcore::HostPlatformSpec host;
      host.cpus = static_cast<int>(integer(child(field, "host_cpus"), 1, 1024));
      host.background_threads = static_cast<int>(integer(child(field, "background_threads"), 0, 1024));
      const runtime::DurationRange slice = duration_range(child(field, "time_slice_ns"), 1000);
      host.time_slice = {slice.min_ns, slice.max_ns};
      const Field costs = child(field, "host_costs");
      check_object(costs, {"spin_ns", "poll_ns", "idle_iteration_ns"}, {"spin_ns", "poll_ns", "idle_iteration_ns"});
      static constexpr const char* COST_KEYS[simcore::LOOP_KIND_COUNT] = {"spin_ns", "idle_iteration_ns", "poll_ns"};
      static constexpr const char* COST_STREAMS[simcore::LOOP_KIND_COUNT] = {"host.spin_ns", "host.idle_iteration_ns",
                                                                            "host.poll_ns"};
      for (int k = 0; k < simcore::LOOP_KIND_COUNT; ++k) {
        const runtime::DurationRange range = duration_range(child(costs, COST_KEYS[k]), 1);
        host.loop_costs[k] = simcore::LoopCost{COST_STREAMS[k], {range.min_ns, range.max_ns}};
      }
      platform.host = host;
      // Registers and COND are host memory: a write is there at once, seen at the next poll.
      platform.core_timing.register_visible_ns = 0;
      platform.core_timing.start_latency_ns = 0;
      platform.core_timing.fin_visible_ns = 0;
    }
    if (has(field, "core_timing")) {
      const Field timing = child(field, "core_timing");
      check_object(timing, {"register_visible_ns", "start_latency_ns", "fin_visible_ns"}, {});
      auto& t = platform.core_timing;
      if (has(timing, "register_visible_ns")) t.register_visible_ns = duration(child(timing, "register_visible_ns"));
      if (has(timing, "start_latency_ns")) t.start_latency_ns = duration(child(timing, "start_latency_ns"));
      if (has(timing, "fin_visible_ns")) t.fin_visible_ns = duration(child(timing, "fin_visible_ns"));
    }
    if (has(field, "memory")) {
      // How GM writes become visible: no source gives the commit delay, so each scenario states
      // the range it chose; and whether a kernel's FIN waits for its bursts to commit.
      const Field memory = child(field, "memory");
      check_object(memory, {"commit_delay_ns", "fin_before_commit", "drain_bytes_per_us"}, {});
      auto& commit = platform.core_timing.commit;
      if (has(memory, "commit_delay_ns")) {
        const runtime::DurationRange range = duration_range(child(memory, "commit_delay_ns"), 0);
        commit.commit_min_ns = range.min_ns;
        commit.commit_max_ns = range.max_ns;
      }
      if (has(memory, "fin_before_commit")) commit.fin_before_commit = boolean(child(memory, "fin_before_commit"));
      if (has(memory, "drain_bytes_per_us")) commit.drain_bytes_per_us = integer(child(memory, "drain_bytes_per_us"), 1, 1'000'000'000);
    }
  }

  // Faults, declared as data: mte_hang (a chance per MTE2 read overlapping an in-flight MTE3
  // write's line), slow_core (a duration multiplier), commit_delay (a range per core).
  void load_faults(const Field& faults, runtime::ModelInput& model) {
    if (!faults->is_array()) fail(faults, "an array of faults");
    if (faults->size() > 1024) fail(faults, "at most 1024 faults");
    const int cores = 3 * model.platform.clusters;
    model.core_faults.assign(static_cast<std::size_t>(cores), hwmodel::CoreFaults{});
    for (std::size_t i = 0; i < faults->size(); ++i) {
      const Field fault = child(faults, i);
      if (!fault->is_object() || !has(fault, "kind")) fail(fault, "a fault object with a \"kind\"");
      const Field kind_field = child(fault, "kind");
      const std::string kind = string(kind_field);
      std::vector<std::int64_t> targets;
      auto target_cores = [&](bool required) {
        targets.clear();
        if (!has(fault, "cores")) {
          if (required) fail_raw(fault, "missing required key 'cores'");
          for (int c = 0; c < cores; ++c) targets.push_back(c);
          return;
        }
        targets = int_list(child(fault, "cores"), 1, static_cast<std::size_t>(cores), 0, cores - 1);
      };
      if (kind == "mte_hang") {
        check_object(fault, {"kind", "chance", "cores", "description"}, {"kind", "chance"});
        const Field chance = child(fault, "chance");
        if (!chance->is_array() || chance->size() != 2) fail(chance, "an integer ratio [num, den]");
        const auto den = static_cast<std::uint32_t>(integer(child(chance, std::size_t{1}), 1, 1'000'000));
        const auto num = static_cast<std::uint32_t>(integer(child(chance, std::size_t{0}), 0, den));
        target_cores(false);
        for (std::int64_t c : targets) {
          model.core_faults[static_cast<std::size_t>(c)].hang_num = num;
          model.core_faults[static_cast<std::size_t>(c)].hang_den = den;
        }
      } else if (kind == "slow_core") {
        check_object(fault, {"kind", "factor", "cores", "description"}, {"kind", "factor", "cores"});
        const Field factor = child(fault, "factor");
        if (!factor->is_array() || factor->size() != 2) fail(factor, "an integer ratio [num, den] (2, 1 doubles every duration)");
        const auto num = static_cast<std::uint32_t>(integer(child(factor, std::size_t{0}), 1, 1000));
        const auto den = static_cast<std::uint32_t>(integer(child(factor, std::size_t{1}), 1, 1000));
        target_cores(true);
        for (std::int64_t c : targets) {
          model.core_faults[static_cast<std::size_t>(c)].slow_num = num;
          model.core_faults[static_cast<std::size_t>(c)].slow_den = den;
        }
      } else if (kind == "commit_delay") {
        check_object(fault, {"kind", "commit_delay_ns", "cores", "description"}, {"kind", "commit_delay_ns", "cores"});
        const runtime::DurationRange range = duration_range(child(fault, "commit_delay_ns"), 0);
        target_cores(true);
        for (std::int64_t c : targets) {
          hwmodel::CoreFaults& f = model.core_faults[static_cast<std::size_t>(c)];
          f.commit_override = true;
          f.commit_min_ns = range.min_ns;
          f.commit_max_ns = range.max_ns;
        }
      } else {
        fail(kind_field, "a fault kind: \"mte_hang\", \"slow_core\" or \"commit_delay\", found \"" + kind + "\"");
      }
    }
  }

  // A scalar (all four rings) or exactly four per-ring values.
  template <class T, class Check>
  void per_ring(const Field& field, std::array<runtime::RingConfig, runtime::MAX_RING_DEPTH>& rings, T runtime::RingConfig::*member,
                std::int64_t min, std::int64_t max, Check check) {
    if (field->is_array()) {
      if (field->size() != runtime::MAX_RING_DEPTH) fail(field, "a value or exactly 4 per-ring values");
      for (std::size_t r = 0; r < runtime::MAX_RING_DEPTH; ++r) {
        const Field item = child(field, r);
        rings[r].*member = static_cast<T>(integer(item, min, max));
        check(item, rings[r].*member);
      }
    } else {
      const auto value = static_cast<T>(integer(field, min, max));
      check(field, value);
      for (auto& ring : rings) ring.*member = value;
    }
  }

  void load_runtime(const Field& field, runtime::ModelInput& model) {
    check_object(field, {"ring", "manual_publish", "detectors", "orchestrator_costs", "scheduler_costs",
                         "truth_budget_ns", "limits"},
                 {});
    runtime::RuntimeConfig& config = model.runtime;
    if (has(field, "ring")) {
      const Field ring = child(field, "ring");
      check_object(ring, {"task_window", "heap_bytes", "dep_pool"}, {});
      auto none = [](const Field&, auto) {};
      if (has(ring, "task_window")) {
        per_ring(child(ring, "task_window"), config.rings, &runtime::RingConfig::task_window, 4, INT32_MAX,
                 [this](const Field& item, std::uint32_t value) {
                   if ((value & (value - 1)) != 0) fail(item, "a power of two (the task window), found " + std::to_string(value));
                 });
      }
      if (has(ring, "heap_bytes")) {
        per_ring(child(ring, "heap_bytes"), config.rings, &runtime::RingConfig::heap_bytes, 1024, 1LL << 40, none);
      }
      if (has(ring, "dep_pool")) {
        per_ring(child(ring, "dep_pool"), config.rings, &runtime::RingConfig::dep_pool_entries, 4, INT32_MAX, none);
      }
    }
    if (has(field, "manual_publish")) {
      const Field policy = child(field, "manual_publish");
      const std::string value = string(policy);
      if (value == "submit") {
        config.manual_publish = runtime::ManualPublish::submit;
      } else if (value == "deferred") {
        config.manual_publish = runtime::ManualPublish::deferred;
      } else {
        fail(policy, "\"submit\" or \"deferred\", found \"" + value + "\"");
      }
    }
    if (has(field, "detectors")) load_detectors(child(field, "detectors"), config.detectors);
    if (has(field, "orchestrator_costs")) {
      const Field costs = child(field, "orchestrator_costs");
      check_object(costs, {"submit_ns", "tensormap_lookup_ns", "tensormap_insert_ns", "edge_ns", "alloc_tensors_ns",
                           "scope_begin_ns", "scope_end_per_task_ns"},
                   {});
      auto& c = config.orchestrator;
      for (auto [key, member] : {std::pair{"submit_ns", &runtime::OrchestratorCosts::submit_ns},
                                 std::pair{"tensormap_lookup_ns", &runtime::OrchestratorCosts::tensormap_lookup_ns},
                                 std::pair{"tensormap_insert_ns", &runtime::OrchestratorCosts::tensormap_insert_ns},
                                 std::pair{"edge_ns", &runtime::OrchestratorCosts::edge_ns},
                                 std::pair{"alloc_tensors_ns", &runtime::OrchestratorCosts::alloc_tensors_ns},
                                 std::pair{"scope_begin_ns", &runtime::OrchestratorCosts::scope_begin_ns},
                                 std::pair{"scope_end_per_task_ns", &runtime::OrchestratorCosts::scope_end_per_task_ns}}) {
        if (has(costs, key)) c.*member = duration(child(costs, key));
      }
    }
    if (has(field, "scheduler_costs")) {
      const Field costs = child(field, "scheduler_costs");
      check_object(costs, {"idle_iteration_ns", "poll_per_running_core_ns", "complete_ns", "release_consumer_ns",
                           "dispatch_ns", "deferred_release_ns", "deferred_release_cap", "dummy_batch"},
                   {});
      auto& c = config.scheduler;
      if (has(costs, "idle_iteration_ns")) {
        if (host_platform_) {
          fail_raw(child(costs, "idle_iteration_ns"),
                   "on platform kind \"a2a3sim\" an idle iteration is a host cost: set /platform/host_costs/idle_iteration_ns");
        }
        c.idle_iteration_ns = duration_range(child(costs, "idle_iteration_ns"), 1);
      }
      for (auto [key, member] : {std::pair{"poll_per_running_core_ns", &runtime::SchedulerCosts::poll_per_running_core_ns},
                                 std::pair{"complete_ns", &runtime::SchedulerCosts::complete_ns},
                                 std::pair{"release_consumer_ns", &runtime::SchedulerCosts::release_consumer_ns},
                                 std::pair{"dispatch_ns", &runtime::SchedulerCosts::dispatch_ns},
                                 std::pair{"deferred_release_ns", &runtime::SchedulerCosts::deferred_release_ns}}) {
        if (has(costs, key)) c.*member = duration(child(costs, key));
      }
      if (has(costs, "deferred_release_cap")) {
        c.deferred_release_cap = static_cast<std::uint32_t>(integer(child(costs, "deferred_release_cap"), 1, 1 << 20));
      }
      if (has(costs, "dummy_batch")) c.dummy_batch = static_cast<std::uint32_t>(integer(child(costs, "dummy_batch"), 1, 1 << 20));
    }
    check_detector_windows(field, model);
    if (has(field, "truth_budget_ns")) config.truth_budget_ns = integer(child(field, "truth_budget_ns"), 1, MAX_DURATION_NS);
    if (has(field, "limits")) {
      const Field limits = child(field, "limits");
      check_object(limits, {"max_events", "max_sim_time_ns"}, {});
      if (has(limits, "max_events")) {
        model.limits.max_events = static_cast<std::uint64_t>(integer(child(limits, "max_events"), 1, 500'000'000));
      }
      if (has(limits, "max_sim_time_ns")) {
        model.limits.max_sim_time_ns = integer(child(limits, "max_sim_time_ns"), 1, MAX_DURATION_NS * 10);
      }
    }
  }

  // Products of valid fields that the detectors turn into deadlines: each must fit
  // MAX_DETECTOR_WINDOW_NS (spin_ns 1e12 with orchestrator_spin_limit 2^40 used to overflow and
  // fire the detector at once, "after 1099511627776 spins").
  void check_detector_windows(const Field& runtime_field, const runtime::ModelInput& model) {
    const runtime::DetectorConfig& detectors = model.runtime.detectors;
    const runtime::SchedulerCosts& costs = model.runtime.scheduler;
    const bool legacy = detectors.kind == runtime::DetectorKind::legacy;
    const int threads = model.platform.scheduler_threads;
    const auto owned_cores = static_cast<std::uint64_t>((model.platform.clusters + threads - 1) / threads * 3);
    auto check = [&](const char* limit_key, std::uint64_t count, TimeNs unit_ns, const std::string& what) {
      const TimeNs window_ns = mul_ns(count, unit_ns);
      if (window_ns <= MAX_DETECTOR_WINDOW_NS) return;
      const Field where = !has(runtime_field, "detectors") ? runtime_field : child(runtime_field, "detectors");
      const Field at = has(where, limit_key) ? child(where, limit_key) : where;
      fail_raw(at, std::string(limit_key) + " x " + what + " is " +
                       (window_ns == TIME_NEVER ? std::string("beyond 2^63") : std::to_string(window_ns)) +
                       " ns; a detector window must be at most " + std::to_string(MAX_DETECTOR_WINDOW_NS) + " ns");
    };
    if (legacy) {
      check("orchestrator_spin_limit", detectors.orchestrator_spin_limit, detectors.spin_ns.max_ns, "spin_ns max");
      const TimeNs idle_iteration_ns =
          add_ns(costs.idle_iteration_ns.max_ns, mul_ns(owned_cores, costs.poll_per_running_core_ns));
      check("scheduler_idle_limit", detectors.scheduler_idle_limit, idle_iteration_ns,
            "the longest idle iteration (idle_iteration_ns max + poll_per_running_core_ns per owned core)");
    } else {
      check("structural_check_spins", detectors.structural_check_spins, detectors.spin_ns.max_ns, "spin_ns max");
    }
  }

  void load_detectors(const Field& field, runtime::DetectorConfig& detectors) {
    check_object(field, {"kind", "spin_ns", "orchestrator_spin_limit", "scheduler_idle_limit", "structural_check_spins",
                         "no_reclaim_timeout_ns", "scheduler_timeout_ns"},
                 {"kind"});
    const Field kind = child(field, "kind");
    const std::string value = string(kind);
    if (value == "legacy") {
      detectors.kind = runtime::DetectorKind::legacy;
    } else if (value == "current") {
      detectors.kind = runtime::DetectorKind::current;
    } else {
      fail(kind, "\"legacy\" or \"current\", found \"" + value + "\"");
    }
    // Reject settings of the other detector generation: they would be silently ignored.
    const bool legacy = detectors.kind == runtime::DetectorKind::legacy;
    for (const char* key : {"orchestrator_spin_limit", "scheduler_idle_limit"}) {
      if (!legacy && has(field, key)) fail_raw(child(field, key), std::string(key) + " applies to kind \"legacy\" only");
    }
    for (const char* key : {"structural_check_spins", "no_reclaim_timeout_ns", "scheduler_timeout_ns"}) {
      if (legacy && has(field, key)) fail_raw(child(field, key), std::string(key) + " applies to kind \"current\" only");
    }
    if (has(field, "spin_ns")) {
      if (host_platform_) {
        fail_raw(child(field, "spin_ns"),
                 "on platform kind \"a2a3sim\" a spin's duration comes from the host (pause + sched_yield): set "
                 "/platform/host_costs/spin_ns instead");
      }
      detectors.spin_ns = duration_range(child(field, "spin_ns"), 1);
    }
    if (has(field, "orchestrator_spin_limit")) {
      detectors.orchestrator_spin_limit = static_cast<std::uint64_t>(integer(child(field, "orchestrator_spin_limit"), 1, 1LL << 40));
    }
    if (has(field, "scheduler_idle_limit")) {
      detectors.scheduler_idle_limit = static_cast<std::uint64_t>(integer(child(field, "scheduler_idle_limit"), 1, 1LL << 40));
    }
    if (has(field, "structural_check_spins")) {
      detectors.structural_check_spins = static_cast<std::uint64_t>(integer(child(field, "structural_check_spins"), 1, 1LL << 30));
    }
    if (has(field, "no_reclaim_timeout_ns")) {
      detectors.no_reclaim_timeout_ns = integer(child(field, "no_reclaim_timeout_ns"), 1, MAX_DURATION_NS);
    }
    if (has(field, "scheduler_timeout_ns")) {
      detectors.scheduler_timeout_ns = integer(child(field, "scheduler_timeout_ns"), 1, MAX_DURATION_NS);
    }
  }

  void load_kernels(const Field& field, std::vector<hwmodel::KernelSpec>& kernels) {
    if (!field->is_object()) fail(field, std::string("an object of kernels, found ") + type_name(*field));
    if (field->empty()) fail(field, "at least one kernel");
    for (const auto& [name, value] : field->items()) {
      const Field kernel = child(field, name);
      if (!is_identifier(name)) fail_raw(kernel, "kernel name '" + name + "' is not an identifier");
      check_object(kernel, {"core", "duration_ns", "host_compute_ns", "description", "reads", "writes", "data_flow",
                            "block_num", "program"},
                   {"core"});
      hwmodel::KernelSpec spec;
      spec.name = name;
      const Field core = child(kernel, "core");
      const std::string core_kind = string(core);
      if (core_kind == "aic") {
        spec.shape = hwmodel::TaskShape::aic;
      } else if (core_kind == "aiv") {
        spec.shape = hwmodel::TaskShape::aiv;
      } else if (core_kind == "mix") {
        spec.shape = hwmodel::TaskShape::mix;
      } else {
        fail(core, "\"aic\", \"aiv\" or \"mix\", found \"" + core_kind + "\"");
      }
      if (has(kernel, "block_num")) spec.block_num = static_cast<std::uint32_t>(integer(child(kernel, "block_num"), 1, MAX_BLOCK_NUM));
      if (!has(kernel, "duration_ns") && !has(kernel, "program")) {
        Field missing{kernel.value, &kernel, "duration_ns", 0, false};
        fail_raw(missing, "missing required key 'duration_ns' (a kernel without a program needs one)");
      }
      runtime::DurationRange range = has(kernel, "duration_ns") ? duration_range(child(kernel, "duration_ns"), 0)
                                                                : runtime::DurationRange{0, 0};
      // On the simulator board a kernel is host code: what it costs is its host compute, which
      // needs a host CPU for its whole length. The board ignores it.
      if (has(kernel, "host_compute_ns")) {
        const runtime::DurationRange host_range = duration_range(child(kernel, "host_compute_ns"), 1);
        if (host_platform_) range = host_range;
      } else if (host_platform_) {
        Field missing{kernel.value, &kernel, "host_compute_ns", 0, false};
        fail_raw(missing, "missing required key 'host_compute_ns' (platform kind \"a2a3sim\": a kernel is host code)");
      }
      spec.min_duration_ns = range.min_ns;
      spec.max_duration_ns = range.max_ns;
      if (has(kernel, "description")) string(child(kernel, "description"));
      if (has(kernel, "reads")) {
        const Field reads = child(kernel, "reads");
        const std::string timing = string(reads);
        if (timing == "sweep") {
          spec.reads = hwmodel::ReadTiming::sweep;
        } else if (timing != "start") {
          fail(reads, "\"start\" (every read when the kernel starts) or \"sweep\" (row by row across its duration), found \"" + timing + "\"");
        }
      }
      if (has(kernel, "writes")) {
        const Field writes = child(kernel, "writes");
        const std::string timing = string(writes);
        if (timing == "sweep") {
          spec.writes = hwmodel::WriteTiming::sweep;
        } else if (timing != "end") {
          fail(writes, "\"end\" (every write when the kernel ends) or \"sweep\" (row by row across its duration), found \"" + timing + "\"");
        }
      }
      if (has(kernel, "data_flow")) {
        const Field flow = child(kernel, "data_flow");
        const std::string granularity = string(flow);
        if (granularity == "row") {
          spec.data_flow = hwmodel::DataFlow::row;
        } else if (granularity != "task") {
          fail(flow, "\"task\" (a wrong input taints every later write) or \"row\" (input row i feeds output row i), found \"" + granularity + "\"");
        }
      }
      if (has(kernel, "program")) {
        if (spec.shape == hwmodel::TaskShape::mix) {
          fail_raw(child(kernel, "program"), "a micro-program runs on one core: give it to an \"aic\" or \"aiv\" kernel");
        }
        spec.program = load_kernel_program(*this, child(kernel, "program"), spec);
      }
      kernel_index_[name] = static_cast<std::uint32_t>(kernels.size());
      kernels.push_back(spec);
    }
  }

  void load_params(const Field& field) {
    if (!field->is_object()) fail(field, std::string("an object of integer parameters, found ") + type_name(*field));
    if (field->size() > MAX_PROGRAM_PARAMS) fail(field, "at most " + std::to_string(MAX_PROGRAM_PARAMS) + " parameters");
    for (const auto& [name, value] : field->items()) later_params_.push_back(name);
    for (const auto& [name, value] : field->items()) {
      const Field param = child(field, name);
      later_params_.erase(later_params_.begin());
      if (!is_identifier(name)) fail_raw(param, "parameter name '" + name + "' is not an identifier");
      if (env_.contains(name)) fail_raw(param, "parameter '" + name + "' is defined twice");
      env_.push(name, int_expr(param, INT64_MIN, INT64_MAX));
    }
    later_params_.clear();
  }

  runtime::TensorLayout tensor_shape(const Field& field, const std::string& dtype_key) {
    const Field shape = child(field, "shape");
    std::vector<std::int64_t> dims = int_list(shape, 1, runtime::MAX_TENSOR_DIMS, 1, MAX_DIM);
    std::int64_t elements = 1;
    for (std::int64_t d : dims) {
      if (__builtin_mul_overflow(elements, d, &elements) || elements > MAX_DIM) fail(shape, "at most 2^40 elements");
    }
    runtime::DType dtype = runtime::DType::f32;
    if (has(field, dtype_key.c_str())) {
      const Field type = child(field, dtype_key);
      if (!runtime::parse_dtype(string(type), dtype)) fail(type, "a dtype: f32, f16, bf16, i32, i8, u8 or i64");
    }
    runtime::TensorLayout layout = runtime::make_contiguous(dims, dtype);
    if (has(field, "manual_dep")) layout.manual_dep = boolean(child(field, "manual_dep"));
    return layout;
  }

  void load_tensors(const Field& field) {
    if (!field->is_object()) fail(field, std::string("an object of tensors, found ") + type_name(*field));
    std::uint64_t next = EXTERNAL_BASE;
    for (const auto& [name, value] : field->items()) {
      const Field tensor = child(field, name);
      if (!is_identifier(name)) fail_raw(tensor, "tensor name '" + name + "' is not an identifier");
      check_object(tensor, {"shape", "dtype", "manual_dep", "description"}, {"shape"});
      runtime::ExternalTensor external;
      external.name = name;
      external.layout = tensor_shape(tensor, "dtype");
      external.bytes = static_cast<std::uint64_t>(external.layout.element_count()) * runtime::dtype_bytes(external.layout.dtype);
      external.address = next;
      next = runtime::align_up(next + external.bytes, 4096);
      if (has(tensor, "description")) string(child(tensor, "description"));
      TensorBinding binding;
      binding.external = static_cast<std::uint32_t>(externals_.size());
      binding.layout = external.layout;
      tensors_[name] = binding;
      externals_.push_back(std::move(external));
    }
  }

  // ---------------------------------------------------------------- program expansion
  // Names that a statement somewhere declares: to tell "undefined" from "not submitted yet".
  void collect_declared_names(const Field& block, int depth = 0) {
    if (!block->is_array() || depth > MAX_STATEMENT_DEPTH) return;  // expansion reports the depth
    for (std::size_t i = 0; i < block->size(); ++i) {
      const json& stmt = (*block)[i];
      if (!stmt.is_object()) continue;
      for (const char* key : {"submit", "alloc", "dummy"}) {
        if (!stmt.contains(key) || !stmt[key].is_string()) continue;
        const std::string name = std::string(key) == "submit" && stmt.contains("name") && stmt["name"].is_string()
                                     ? stmt["name"].get<std::string>()
                                     : stmt[key].get<std::string>();
        declared_tasks_.insert(name);
      }
      for (const char* key : {"args", "outputs"}) {
        if (!stmt.contains(key) || !stmt[key].is_array()) continue;
        for (const auto& arg : stmt[key]) {
          if (arg.is_object() && arg.contains("output") && arg["output"].is_string()) {
            declared_tensors_.insert(arg["output"].get<std::string>());
          }
          if (arg.is_object() && arg.contains("name") && arg["name"].is_string()) {
            declared_tensors_.insert(arg["name"].get<std::string>());
          }
        }
      }
      Field stmt_field{&stmt, &block, {}, i, true};
      for (const char* key : {"body", "then", "else"}) {
        if (stmt.contains(key)) collect_declared_names(child(stmt_field, key), depth + 1);
      }
    }
  }

  // Whether some statement's name template could produce `name` (in another iteration). Each
  // match is linear in name x template; templates too long to be used are skipped.
  bool could_be_declared(const Field& where, const std::string& name) {
    for (const std::string& declared : declared_tasks_) {
      if (declared.size() > MAX_NAME_LENGTH) continue;
      step(where, 1 + name.size() * declared.size() / 256);
      try {
        if (NameTemplate::parse(declared).matches(name)) return true;
      } catch (const ExpressionError&) {
        // A template that does not parse is reported where it is used.
      }
    }
    return false;
  }

  std::uint32_t origin_of(const Field& stmt) {
    auto it = origin_index_.find(stmt.value);
    if (it != origin_index_.end()) return it->second;
    const auto index = static_cast<std::uint32_t>(program_.origins.size());
    program_.origins.push_back(stmt.pointer());
    origin_index_.emplace(stmt.value, index);
    return index;
  }

  // A scope's tasks stay in its ring until scope_end, so a scope with window-1 tasks or more can
  // never finish: warn (the runtime reports SCOPE_DEADLOCK; a scenario may want exactly that).
  void check_scope_fits(const Field& stmt, std::size_t depth) {
    const std::size_t ring = depth < runtime::MAX_RING_DEPTH - 1 ? depth : runtime::MAX_RING_DEPTH - 1;
    const std::uint32_t window = model_->runtime.rings[ring].task_window;
    const std::uint64_t tasks = scope_task_counts_[depth];
    const std::string where = depth == 0 ? std::string("/program/body (outside every scope)") : stmt.pointer();
    if (tasks + 1 < window || !warned_scopes_.insert(where).second) return;
    warnings_.push_back("the scope at " + where + " holds " + std::to_string(tasks) + " tasks" + iteration_context() +
                        ", but ring " + std::to_string(ring) + " keeps at most " + std::to_string(window - 1) +
                        " in flight and a scope's tasks are reclaimed only at its end: SCOPE_DEADLOCK is certain");
  }

  void push_op(ProgramOp op) {
    if (program_.ops.size() >= MAX_PROGRAM_OPS) {
      throw ScenarioError(file_, "/program", "the program expands to more than " + std::to_string(MAX_PROGRAM_OPS) +
                                                 " runtime calls (the limit of one scenario)");
    }
    program_.ops.push_back(std::move(op));
  }

  void expand_block(const Field& block) {
    if (!block->is_array()) fail(block, std::string("an array of statements, found ") + type_name(*block));
    if (++block_depth_ > MAX_STATEMENT_DEPTH) {
      fail_raw(block, "statements nested more than " + std::to_string(MAX_STATEMENT_DEPTH) + " levels deep");
    }
    for (std::size_t i = 0; i < block->size(); ++i) expand_statement(child(block, i));
    --block_depth_;
  }

  void expand_statement(const Field& stmt) {
    step(stmt);
    if (!stmt->is_object()) fail(stmt, std::string("a statement object, found ") + type_name(*stmt));
    const char* kind = nullptr;
    for (const char* key : {"for", "if", "scope", "submit", "alloc", "dummy"}) {
      if (find_key(*stmt, key) == nullptr) continue;
      if (kind != nullptr) fail(stmt, std::string("exactly one of for, if, scope, submit, alloc, dummy; found both '") + kind + "' and '" + key + "'");
      kind = key;
    }
    if (kind == nullptr) fail(stmt, "a statement: an object with one of for, if, scope, submit, alloc, dummy");
    const std::string k = kind;
    if (k == "for") return expand_for(stmt);
    if (k == "if") return expand_if(stmt);
    if (k == "scope") return expand_scope(stmt);
    if (k == "submit") return expand_task(stmt, OpKind::submit);
    if (k == "alloc") return expand_task(stmt, OpKind::alloc_tensors);
    expand_task(stmt, OpKind::dummy);
  }

  void expand_for(const Field& stmt) {
    check_object(stmt, {"for", "from", "to", "step", "body"}, {"for", "to", "body"});
    const Field var = child(stmt, "for");
    const std::string name = string(var);
    if (!is_identifier(name)) fail(var, "a loop variable name (an identifier)");
    if (env_.contains(name)) fail_raw(var, "loop variable '" + name + "' shadows a parameter or an outer loop variable");
    const std::int64_t from = has(stmt, "from") ? int_expr(child(stmt, "from"), -MAX_DIM, MAX_DIM) : 0;
    const std::int64_t to = int_expr(child(stmt, "to"), -MAX_DIM, MAX_DIM);
    const std::int64_t stride = has(stmt, "step") ? int_expr(child(stmt, "step"), 1, MAX_DIM) : 1;
    const Field body = child(stmt, "body");
    if (to > from && static_cast<std::uint64_t>((to - from) / stride) > MAX_PROGRAM_OPS) {
      fail(child(stmt, "to"), "at most " + std::to_string(MAX_PROGRAM_OPS) + " iterations");
    }
    env_.push(name, from);
    loop_vars_.push_back(name);
    for (std::int64_t v = from; v < to; v += stride) {
      env_.set_top(v);
      step(stmt);
      expand_block(body);
    }
    loop_vars_.pop_back();
    env_.pop();
  }

  void expand_if(const Field& stmt) {
    check_object(stmt, {"if", "then", "else"}, {"if", "then"});
    if (int_expr(child(stmt, "if"), INT64_MIN, INT64_MAX) != 0) {
      expand_block(child(stmt, "then"));
    } else if (has(stmt, "else")) {
      expand_block(child(stmt, "else"));
    }
  }

  void expand_scope(const Field& stmt) {
    check_object(stmt, {"scope", "body"}, {"scope", "body"});
    const Field mode_field = child(stmt, "scope");
    const std::string mode = string(mode_field);
    ProgramOp begin;
    begin.kind = OpKind::scope_begin;
    if (mode == "auto") {
      begin.mode = runtime::ScopeMode::automatic;
    } else if (mode == "manual") {
      begin.mode = runtime::ScopeMode::manual;
    } else {
      fail(mode_field, "\"auto\" or \"manual\", found \"" + mode + "\"");
    }
    begin.origin = origin_of(stmt);
    push_op(std::move(begin));
    scope_task_counts_.push_back(0);
    expand_block(child(stmt, "body"));
    check_scope_fits(stmt, scope_task_counts_.size() - 1);
    scope_task_counts_.pop_back();
    ProgramOp end;
    end.kind = OpKind::scope_end;
    end.origin = origin_of(stmt);
    push_op(std::move(end));
  }

  std::string task_name(const Field& field) {
    auto it = name_cache_.find(field.value);
    if (it == name_cache_.end()) {
      const std::string text = string(field);
      if (text.empty()) fail(field, "a non-empty task name");
      if (text.size() > MAX_NAME_LENGTH) fail(field, "a task name of at most " + std::to_string(MAX_NAME_LENGTH) + " characters");
      try {
        it = name_cache_.emplace(field.value, NameTemplate::parse(text)).first;
      } catch (const ExpressionError& e) {
        fail_raw(field, e.what());
      }
    }
    step(field, it->second.cost());
    std::string name;
    try {
      name = it->second.evaluate(env_);
    } catch (const ExpressionError& e) {
      fail_raw(field, e.what());
    }
    for (char c : name) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.')) {
        fail(field, "a task name of letters, digits, '_', '-' and '.', found \"" + name + "\"");
      }
    }
    return name;
  }

  void expand_task(const Field& stmt, OpKind kind) {
    ProgramOp op;
    op.kind = kind;
    op.origin = origin_of(stmt);
    std::string name;
    if (kind == OpKind::submit) {
      check_object(stmt, {"submit", "name", "args", "deps"}, {"submit"});
      const Field kernel = child(stmt, "submit");
      const std::string kernel_name = string(kernel);
      auto it = kernel_index_.find(kernel_name);
      if (it == kernel_index_.end()) fail_raw(kernel, "undefined kernel '" + kernel_name + "' (define it under /kernels)");
      op.kernel = it->second;
      name = has(stmt, "name") ? task_name(child(stmt, "name")) : kernel_name;
    } else if (kind == OpKind::alloc_tensors) {
      check_object(stmt, {"alloc", "outputs"}, {"alloc", "outputs"});
      name = task_name(child(stmt, "alloc"));
    } else {
      check_object(stmt, {"dummy", "args", "deps"}, {"dummy"});
      name = task_name(child(stmt, "dummy"));
    }
    if (program_.task_count >= MAX_PROGRAM_TASKS) {
      fail_raw(stmt, "the program submits more than " + std::to_string(MAX_PROGRAM_TASKS) + " tasks (the limit of one scenario)");
    }
    op.task = program_.task_count;
    std::vector<std::pair<std::string, TensorBinding>> new_outputs;
    if (kind == OpKind::alloc_tensors) {
      const Field outputs = child(stmt, "outputs");
      if (!outputs->is_array() || outputs->empty()) fail(outputs, "a non-empty array of output tensors");
      for (std::size_t i = 0; i < outputs->size(); ++i) {
        const Field out = child(outputs, i);
        check_object(out, {"name", "shape", "dtype", "manual_dep"}, {"name", "shape"});
        op.args.push_back(output_arg(out, child(out, "name"), op.task, new_outputs));
      }
    } else if (has(stmt, "args")) {
      const Field args = child(stmt, "args");
      if (!args->is_array()) fail(args, std::string("an array of arguments, found ") + type_name(*args));
      if (args->size() > 32) fail(args, "at most 32 tensor arguments per task");
      for (std::size_t i = 0; i < args->size(); ++i) {
        step(args);
        op.args.push_back(argument(child(args, i), op.task, new_outputs));
      }
    }
    if (has(stmt, "deps")) op.deps = dependencies(child(stmt, "deps"));
    if (kind == OpKind::submit) check_row_flow(stmt, op);
    if (kind == OpKind::submit && model_->kernels[op.kernel].program) check_program_operands(*this, stmt, model_->kernels[op.kernel], op);
    // The task's name and outputs become visible to later statements only now, so a task that
    // names itself in deps refers to the previous task of that name.
    ++scope_task_counts_.back();
    task_by_name_[name] = op.task;
    for (auto& [tensor, binding] : new_outputs) tensors_[tensor] = binding;
    program_.task_names.push_back(std::move(name));
    std::string loops;
    for (const std::string& var : loop_vars_) {
      loops += (loops.empty() ? "" : " ") + var + "=" + std::to_string(*env_.find(var));
    }
    program_.task_loops.push_back(std::move(loops));
    ++program_.task_count;
    push_op(std::move(op));
  }

  ArgSpec output_arg(const Field& spec, const Field& name_field, std::uint32_t task,
                     std::vector<std::pair<std::string, TensorBinding>>& new_outputs) {
    const std::string name = string(name_field);
    if (!is_identifier(name)) fail(name_field, "a tensor name (an identifier)");
    auto existing = tensors_.find(name);
    if (existing != tensors_.end() && existing->second.external != NO_INDEX) {
      fail_raw(name_field, "output '" + name + "' would hide the external tensor of the same name");
    }
    ArgSpec arg;
    arg.kind = ArgKind::output;
    arg.layout = tensor_shape(spec, "dtype");
    auto named = tensor_name_index_.find(name);
    if (named == tensor_name_index_.end()) {
      named = tensor_name_index_.emplace(name, static_cast<std::uint32_t>(program_.tensor_names.size())).first;
      program_.tensor_names.push_back(name);
    }
    arg.name = named->second;
    arg.bytes = static_cast<std::uint64_t>(arg.layout.element_count()) * runtime::dtype_bytes(arg.layout.dtype);
    TensorBinding binding;
    binding.task = task;
    binding.output = static_cast<std::uint32_t>(new_outputs.size());
    binding.layout = arg.layout;
    new_outputs.emplace_back(name, binding);
    return arg;
  }

  ArgSpec argument(const Field& field, std::uint32_t task, std::vector<std::pair<std::string, TensorBinding>>& new_outputs) {
    if (!field->is_object()) fail(field, std::string("an argument object, found ") + type_name(*field));
    static const std::pair<const char*, ArgKind> kinds[] = {{"input", ArgKind::input},
                                                            {"output", ArgKind::output},
                                                            {"inout", ArgKind::inout},
                                                            {"output_existing", ArgKind::output_existing},
                                                            {"no_dep", ArgKind::no_dep}};
    const char* key = nullptr;
    ArgKind kind = ArgKind::input;
    for (const auto& [name, arg_kind] : kinds) {
      if (find_key(*field, name) == nullptr) continue;
      if (key != nullptr) fail(field, std::string("one argument kind; found both '") + key + "' and '" + name + "'");
      key = name;
      kind = arg_kind;
    }
    if (key == nullptr) fail(field, "an argument with one of input, output, inout, output_existing, no_dep");
    if (kind == ArgKind::output) {
      check_object(field, {"output", "shape", "dtype", "manual_dep"}, {"output", "shape"});
      return output_arg(field, child(field, "output"), task, new_outputs);
    }
    check_object(field, {key, "view", "reshape", "slice", "views", "rows"}, {key});
    const Field tensor_field = child(field, key);
    const std::string tensor = string(tensor_field);
    auto it = tensors_.find(tensor);
    if (it == tensors_.end()) {
      if (declared_tensors_.count(tensor) != 0) {
        fail_raw(tensor_field, "tensor '" + tensor + "' is not created yet at this point of the program");
      }
      fail_raw(tensor_field, "undefined tensor '" + tensor + "' (declare it under /tensors or create it with an output)");
    }
    ArgSpec arg;
    arg.kind = kind;
    arg.source.external = it->second.external;
    arg.source.task = it->second.task;
    arg.source.output = it->second.output;
    arg.layout = it->second.layout;
    if (kind == ArgKind::inout || kind == ArgKind::output_existing) {
      if (it->second.external != NO_INDEX) written_externals_.insert(it->second.external);
    }
    int transforms = 0;
    for (const char* transform : {"view", "reshape", "slice", "views"}) transforms += has(field, transform) ? 1 : 0;
    if (transforms > 1) fail(field, "at most one of view, reshape, slice, views (use views for a chain)");
    if (has(field, "views")) {
      const Field chain = child(field, "views");
      if (!chain->is_array()) fail(chain, "an array of view operations");
      for (std::size_t i = 0; i < chain->size(); ++i) {
        const Field view_step = child(chain, i);
        step(view_step);
        check_object(view_step, {"view", "reshape", "slice"}, {});
        if (view_step->size() != 1) fail(view_step, "exactly one of view, reshape, slice");
        apply_transform(view_step, arg.layout);
      }
    } else {
      apply_transform(field, arg.layout);
    }
    if (has(field, "rows")) arg.rows = row_list(child(field, "rows"), arg.layout);
    check_runs(field, arg);
    return arg;
  }

  // The rows of dimension 0 a kernel touches: a list of row indices (integers or expressions),
  // or {"var": "r", "count": N, "row": "expression of r"}.
  std::uint32_t row_list(const Field& field, const runtime::TensorLayout& layout) {
    std::vector<std::int64_t> rows;
    const std::int64_t extent = layout.shapes[0];
    auto add = [&](const Field& where, std::int64_t row) {
      if (row < 0 || row >= extent) {
        fail(where, "a row of dimension 0 of the view, in [0, " + std::to_string(extent) + "), got " + std::to_string(row));
      }
      rows.push_back(row);
    };
    if (field->is_array()) {
      if (field->empty() || field->size() > MAX_SELECTED_ROWS) fail(field, "a list of 1 to 1048576 rows");
      for (std::size_t i = 0; i < field->size(); ++i) {
        const Field item = child(field, i);
        add(item, int_expr(item, INT64_MIN, INT64_MAX));
      }
    } else if (field->is_object()) {
      check_object(field, {"var", "count", "row"}, {"var", "count", "row"});
      const Field var = child(field, "var");
      const std::string name = string(var);
      if (!is_identifier(name)) fail(var, "a variable name (an identifier)");
      if (env_.contains(name)) fail_raw(var, "row variable '" + name + "' shadows a parameter or a loop variable");
      const std::int64_t count = int_expr(child(field, "count"), 1, static_cast<std::int64_t>(MAX_SELECTED_ROWS));
      const Field row = child(field, "row");
      env_.push(name, 0);
      for (std::int64_t i = 0; i < count; ++i) {
        env_.set_top(i);
        add(row, int_expr(row, INT64_MIN, INT64_MAX));
      }
      env_.pop();
    } else {
      fail(field, std::string("a list of rows or {\"var\", \"count\", \"row\"}, found ") + type_name(*field));
    }
    program_.row_lists.push_back(std::move(rows));
    return static_cast<std::uint32_t>(program_.row_lists.size() - 1);
  }

  // GM keeps versions per contiguous run of elements: bound how many runs one argument spans.
  void check_runs(const Field& field, const ArgSpec& arg) {
    std::int64_t runs = 0;
    if (arg.rows == NO_INDEX) {
      runs = hwmodel::run_count(arg.layout);
    } else {
      const std::int64_t per_row = hwmodel::run_count(hwmodel::select_row(arg.layout, 0));
      const auto selected = static_cast<std::int64_t>(program_.row_lists[arg.rows].size());
      if (__builtin_mul_overflow(per_row, selected, &runs)) runs = INT64_MAX;
    }
    if (runs > MAX_ARG_RUNS) {
      fail_raw(field, "the view splits into " + std::to_string(runs) +
                          " separate runs of contiguous elements; GM versions are kept per run and one argument may "
                          "span at most " + std::to_string(MAX_ARG_RUNS));
    }
  }

  // A kernel with row-to-row data flow feeds output row i from input row i: every argument must
  // have the same number of rows.
  void check_row_flow(const Field& stmt, const ProgramOp& op) {
    if (op.kernel == NO_INDEX || model_->kernels[op.kernel].data_flow != hwmodel::DataFlow::row) return;
    std::int64_t expected = -1;
    for (std::size_t i = 0; i < op.args.size(); ++i) {
      const ArgSpec& arg = op.args[i];
      const std::int64_t rows = arg.rows != NO_INDEX ? static_cast<std::int64_t>(program_.row_lists[arg.rows].size())
                                                     : arg.layout.shapes[0];
      if (expected < 0) expected = rows;
      if (rows != expected) {
        fail_raw(child(child(stmt, "args"), i), "kernel '" + model_->kernels[op.kernel].name +
                                                     "' has data_flow \"row\", so every argument needs the same number "
                                                     "of rows: the first has " + std::to_string(expected) + ", this one " +
                                                     std::to_string(rows));
      }
    }
  }

  void apply_transform(const Field& holder, runtime::TensorLayout& layout) {
    std::string problem;
    if (has(holder, "view")) {
      const Field view = child(holder, "view");
      check_object(view, {"shape", "offset"}, {"shape"});
      std::vector<std::int64_t> shapes = int_list(child(view, "shape"), 1, runtime::MAX_TENSOR_DIMS, 0, MAX_DIM);
      std::vector<std::int64_t> offsets(shapes.size(), 0);
      if (has(view, "offset")) offsets = int_list(child(view, "offset"), 1, runtime::MAX_TENSOR_DIMS, 0, MAX_DIM);
      problem = runtime::apply_view(layout, shapes, offsets);
      if (!problem.empty()) fail_raw(view, problem);
    } else if (has(holder, "reshape")) {
      const Field reshape = child(holder, "reshape");
      problem = runtime::apply_reshape(layout, int_list(reshape, 1, runtime::MAX_TENSOR_DIMS, 0, MAX_DIM));
      if (!problem.empty()) fail_raw(reshape, problem);
    } else if (has(holder, "slice")) {
      const Field slice = child(holder, "slice");
      check_object(slice, {"dim", "start", "end", "step"}, {"dim", "start", "end"});
      const auto dim = static_cast<int>(int_expr(child(slice, "dim"), 0, runtime::MAX_TENSOR_DIMS - 1));
      const std::int64_t start = int_expr(child(slice, "start"), 0, MAX_DIM);
      const std::int64_t end = int_expr(child(slice, "end"), 0, MAX_DIM);
      const std::int64_t slice_step = has(slice, "step") ? int_expr(child(slice, "step"), 1, MAX_DIM) : 1;
      problem = runtime::apply_slice(layout, dim, start, end, slice_step);
      if (!problem.empty()) fail_raw(slice, problem);
    }
  }

  std::vector<runtime::ExplicitDep> dependencies(const Field& field) {
    if (!field->is_array()) fail(field, std::string("an array of dependencies, found ") + type_name(*field));
    std::vector<runtime::ExplicitDep> deps;
    for (std::size_t i = 0; i < field->size(); ++i) {
      const Field entry = child(field, i);
      step(entry);
      Field name_field = entry;
      runtime::DepFlavor flavor = runtime::DepFlavor::wait_retain;
      if (entry->is_object()) {
        check_object(entry, {"task", "when", "kind"}, {"task"});
        if (has(entry, "when") && int_expr(child(entry, "when"), INT64_MIN, INT64_MAX) == 0) continue;
        if (has(entry, "kind")) {
          const Field kind = child(entry, "kind");
          const std::string value = string(kind);
          if (value == "wait") {
            flavor = runtime::DepFlavor::wait_only;
          } else if (value != "wait_retain") {
            fail(kind, "\"wait_retain\" (add_dep) or \"wait\" (add_dep_wait), found \"" + value + "\"");
          }
        }
        name_field = child(entry, "task");
      } else if (!entry->is_string()) {
        fail(entry, std::string("a task name or {\"task\": ..., \"when\": ..., \"kind\": ...}, found ") + type_name(*entry));
      }
      const std::string raw = string(name_field);
      const std::string name = task_name(name_field);
      auto it = task_by_name_.find(name);
      if (it == task_by_name_.end()) {
        if (declared_tasks_.count(raw) != 0 || could_be_declared(name_field, name)) {
          fail_raw(name_field, "dependency on task '" + name + "', which has not been submitted before this point");
        }
        fail_raw(name_field, "dependency on undefined task '" + name + "' (no statement submits a task of that name)");
      }
      deps.push_back(runtime::ExplicitDep{it->second, flavor});
    }
    return deps;
  }

  int block_depth_ = 0;
  std::vector<std::uint64_t> scope_task_counts_{0};  // tasks directly in each open scope
  std::set<std::string> warned_scopes_;
  std::vector<std::string> warnings_;
  const runtime::ModelInput* model_ = nullptr;
  bool host_platform_ = false;  // platform kind "a2a3sim"
  runtime::Program program_;
  std::vector<runtime::ExternalTensor> externals_;
  // Name tables: looked up, never iterated.
  std::unordered_map<std::string, std::uint32_t> kernel_index_;
  std::unordered_map<std::string, TensorBinding> tensors_;
  std::unordered_map<std::string, std::uint32_t> task_by_name_;
  std::unordered_map<std::string, std::uint32_t> tensor_name_index_;
  std::set<std::uint32_t> written_externals_;  // external tensors some task writes
  std::set<std::string> declared_tasks_;
  std::set<std::string> declared_tensors_;
  // Caches keyed by JSON node (lookups only, never iterated).
  std::unordered_map<const json*, NameTemplate> name_cache_;
  std::unordered_map<const json*, std::uint32_t> origin_index_;
};

}  // namespace

}  // namespace loader

ScenarioError::ScenarioError(std::string file, std::string pointer, std::string problem)
    : std::runtime_error(file + ": " + (pointer.empty() ? std::string("at the document root") : "at " + pointer) +
                         ": " + problem),
      file_(std::move(file)),
      pointer_(std::move(pointer)),
      problem_(std::move(problem)) {}

Scenario load_scenario_text(const std::string& text, const std::string& origin) {
  Scenario scenario = loader::Loader(origin).load(text);
  scenario.path = origin;
  return scenario;
}

std::string read_scenario_file(const std::string& path) {
  std::error_code error;
  if (std::filesystem::is_directory(path, error)) throw ScenarioError(path, "", "is a directory, not a scenario file");
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ScenarioError(path, "", std::string("cannot open the file: ") + std::strerror(errno));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw ScenarioError(path, "", "cannot read the file");
  return buffer.str();
}

Scenario load_scenario_file(const std::string& path) { return load_scenario_text(read_scenario_file(path), path); }

}  // namespace ptosim::scenarios
