// Loader and strict validator of scenario format v1 (docs/scenario-format.md). Every error names
// the file, the JSON pointer of the offending field and what was expected. This file reads the
// sections (platform, runtime, kernels, parameters, tensors, faults) and hands the program to
// program_compiler.cpp and program_expander.cpp, which compile it once and expand it into the
// flat list of runtime calls the simulation interprets.
#include "scenarios/loader_fields.h"
#include "scenarios/json_guard.h"
#include "scenarios/kernel_costs.h"
#include "scenarios/uncertain.h"

#include "runtime/ring_buffers.h"

#include "simcore/hashing.h"
#include "simcore/marks.h"

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

constexpr std::uint64_t EXTERNAL_BASE = 0x2000'0000'0000ULL;
// A detector's window is a product of valid fields (a spin limit times a spin length); it must
// fit the simulated clock with room to spare: at most 10^15 ns (about 11.6 days), far beyond
// any run's time budget and below 2^53, where the engine's clock stays exact.
constexpr std::int64_t MAX_DETECTOR_WINDOW_NS = 1'000'000'000'000'000LL;

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
                        "faults", "expect", "uncertain"},
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
    ExpandedProgram expanded = expand_program(*this, program, scenario.model, kernel_index_, externals_);
    scenario.model.program = std::move(expanded.program);
    scenario.model.kernel_costs = compile_kernel_costs(file(), duration_exprs_, env(), scenario.model.program,
                                                       scenario.model.kernels, MAX_DURATION_NS);
    scenario.work = expanded.work;
    if (has(root, "faults")) load_faults(child(root, "faults"), scenario.model);
    if (has(root, "expect")) {
      scenario.expect = load_expect(*this, child(root, "expect"), externals_, expanded.written_externals);
    }
    scenario.warnings = std::move(expanded.warnings);
    if (has(root, "uncertain")) scenario.uncertain = load_uncertain(*this, child(root, "uncertain"), doc);
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
    const JsonBoundsProblem bounds = check_json_bounds(text);
    if (!bounds.ok()) throw ScenarioError(file_, bounds.pointer, bounds.problem);
    json doc;
    try {
      doc = json::parse(text, callback);
    } catch (const json::exception& e) {
      // parse_error, and out_of_range for a number too large for a double (1e400).
      throw ScenarioError(file_, "", std::string("not valid JSON: ") + e.what());
    }
    if (!duplicate.empty()) {
      PTOSIM_MARK("scenario duplicate key");
      throw ScenarioError(file_, duplicate, "duplicate key (JSON objects must not repeat a key)");
    }
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
    check_object(field, {"ring", "tensormap_pool", "tensormap_lookup_cap", "manual_publish", "manual_tracking", "detectors", "orchestrator_costs",
                         "scheduler_costs", "dispatch", "truth_budget_ns", "limits", "watermark_publish_interval",
                         "publication_request_timeout_ns"},
                 {});
    runtime::RuntimeConfig& config = model.runtime;
    if (has(field, "ring")) {
      const Field ring = child(field, "ring");
      check_object(ring, {"task_window", "heap_bytes", "dep_pool", "fanin_spill_pool"}, {});
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
      // The runtime sizes the spill pool with the dep pool's setting; a scenario may size it alone.
      if (has(ring, "fanin_spill_pool")) {
        per_ring(child(ring, "fanin_spill_pool"), config.rings, &runtime::RingConfig::fanin_spill_entries, 4, INT32_MAX,
                 none);
      }
    }
    // PTO2_TENSORMAP_POOL_SIZE is a compile-time constant in the runtime (65536); no range of its own.
    if (has(field, "tensormap_pool")) {
      config.tensormap_pool_entries = static_cast<std::uint32_t>(integer(child(field, "tensormap_pool"), 1, INT32_MAX));
    }
    // 0: no cap (HEAD, PR #669); 16 = PTO2_LOOKUP_MAX_RESULTS of the runtimes before it.
    if (has(field, "tensormap_lookup_cap")) {
      config.tensormap_lookup_cap = static_cast<std::uint32_t>(integer(child(field, "tensormap_lookup_cap"), 0, 65536));
    }
    // 1 = every advance (a2a3); a5 batches PUBLISH_INTERVAL_K = 16 (pto_scheduler.h, PR #1575).
    if (has(field, "watermark_publish_interval")) {
      config.watermark_publish_interval =
          static_cast<std::uint32_t>(integer(child(field, "watermark_publish_interval"), 1, 65536));
    }
    if (has(field, "publication_request_timeout_ns")) {
      config.publication_request_timeout_ns =
          integer(child(field, "publication_request_timeout_ns"), 1, MAX_DETECTOR_WINDOW_NS);
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
    if (has(field, "manual_tracking")) {
      const Field tracking = child(field, "manual_tracking");
      const std::string value = string(tracking);
      if (value == "none") {
        config.manual_tracking = runtime::ManualTracking::none;
      } else if (value == "boundary") {
        config.manual_tracking = runtime::ManualTracking::boundary;
      } else {
        fail(tracking, "\"none\" or \"boundary\", found \"" + value + "\"");
      }
    }
    if (has(field, "detectors")) load_detectors(child(field, "detectors"), config.detectors);
    if (has(field, "orchestrator_costs")) {
      const Field costs = child(field, "orchestrator_costs");
      load_orchestrator_costs(costs, config.orchestrator, true);
      config.orchestrator_manual = config.orchestrator;
      if (has(costs, "manual")) load_orchestrator_costs(child(costs, "manual"), config.orchestrator_manual, false);
    } else {
      config.orchestrator_manual = config.orchestrator;
    }
    if (has(field, "scheduler_costs")) {
      const Field costs = child(field, "scheduler_costs");
      load_scheduler_costs(costs, config.scheduler);
      config.scheduler_manual = config.scheduler;
      if (has(costs, "manual")) load_scheduler_phase_costs(child(costs, "manual"), config.scheduler_manual, true);
    } else {
      config.scheduler_manual = config.scheduler;
    }
    if (has(field, "dispatch")) {
      const Field dispatch = child(field, "dispatch");
      check_object(dispatch, {"pending_slot"}, {});
      if (has(dispatch, "pending_slot")) config.dispatch.pending_slot = boolean(child(dispatch, "pending_slot"));
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

  // The scheduler's costs; `manual` (an override of the per-phase terms for tasks of MANUAL scopes)
  // is loaded by load_scheduler_phase_costs.
  void load_scheduler_costs(const Field& costs, runtime::SchedulerCosts& c) {
    check_object(costs, {"idle_iteration_ns", "poll_per_running_core_ns", "complete_ns", "release_consumer_ns",
                         "dispatch_ns", "deferred_release_ns", "deferred_release_cap", "dummy_batch", "ring_advance_ns",
                         "slot_reset_ns", "manual"},
                 {});
    if (has(costs, "idle_iteration_ns")) {
      if (host_platform_) {
        fail_raw(child(costs, "idle_iteration_ns"),
                 "on platform kind \"a2a3sim\" an idle iteration is a host cost: set /platform/host_costs/idle_iteration_ns");
      }
      c.idle_iteration_ns = duration_range(child(costs, "idle_iteration_ns"), 1);
    }
    load_scheduler_phase_costs(costs, c, false);
    if (has(costs, "deferred_release_cap")) {
      c.deferred_release_cap = static_cast<std::uint32_t>(integer(child(costs, "deferred_release_cap"), 1, 1 << 20));
    }
    if (has(costs, "dummy_batch")) c.dummy_batch = static_cast<std::uint32_t>(integer(child(costs, "dummy_batch"), 1, 1 << 20));
    // The ring advance is the thread's (or the orchestrator's), not priced per scope mode.
    if (has(costs, "ring_advance_ns")) c.ring_advance_ns = integer(child(costs, "ring_advance_ns"), 0, 1'000'000);
    if (has(costs, "slot_reset_ns")) c.slot_reset_ns = integer(child(costs, "slot_reset_ns"), 0, 1'000'000);
  }

  // The per-phase terms; `alone` in a `manual` override, where no other key is allowed.
  void load_scheduler_phase_costs(const Field& costs, runtime::SchedulerCosts& c, bool alone) {
    using C = runtime::SchedulerCosts;
    static constexpr std::pair<const char*, TimeNs C::*> TERMS[] = {
        {"poll_per_running_core_ns", &C::poll_per_running_core_ns}, {"complete_ns", &C::complete_ns},
        {"release_consumer_ns", &C::release_consumer_ns}, {"dispatch_ns", &C::dispatch_ns},
        {"deferred_release_ns", &C::deferred_release_ns}};
    if (alone) {
      check_object(costs, {"poll_per_running_core_ns", "complete_ns", "release_consumer_ns", "dispatch_ns",
                           "deferred_release_ns"},
                   {});
    }
    for (const auto& [key, member] : TERMS) {
      if (has(costs, key)) c.*member = duration(child(costs, key));
    }
  }

  // The orchestrator's cost terms; `manual` (an override object for MANUAL scopes) only at the top.
  void load_orchestrator_costs(const Field& costs, runtime::OrchestratorCosts& c, bool top) {
    using C = runtime::OrchestratorCosts;
    static constexpr std::pair<const char*, TimeNs C::*> TERMS[] = {
        {"submit_ns", &C::submit_ns}, {"tensormap_lookup_ns", &C::tensormap_lookup_ns},
        {"tensormap_insert_ns", &C::tensormap_insert_ns}, {"edge_ns", &C::edge_ns},
        {"alloc_tensors_ns", &C::alloc_tensors_ns}, {"scope_begin_ns", &C::scope_begin_ns},
        {"scope_end_per_task_ns", &C::scope_end_per_task_ns}, {"tensor_arg_ns", &C::tensor_arg_ns},
        {"scalar_ns", &C::scalar_ns}, {"lookup_step_ns", &C::lookup_step_ns}, {"explicit_dep_ns", &C::explicit_dep_ns},
        {"scope_end_ns", &C::scope_end_ns}, {"get_tensor_data_ns", &C::get_tensor_data_ns}};
    if (top) {
      check_object(costs, {"submit_ns", "tensormap_lookup_ns", "tensormap_insert_ns", "edge_ns", "alloc_tensors_ns",
                           "scope_begin_ns", "scope_end_per_task_ns", "tensor_arg_ns", "scalar_ns", "lookup_step_ns",
                           "explicit_dep_ns", "scope_end_ns", "get_tensor_data_ns", "manual"},
                   {});
    } else {
      check_object(costs, {"submit_ns", "tensormap_lookup_ns", "tensormap_insert_ns", "edge_ns", "alloc_tensors_ns",
                           "scope_begin_ns", "scope_end_per_task_ns", "tensor_arg_ns", "scalar_ns", "lookup_step_ns",
                           "explicit_dep_ns", "scope_end_ns", "get_tensor_data_ns"},
                   {});
    }
    for (const auto& [key, member] : TERMS) {
      if (has(costs, key)) c.*member = duration(child(costs, key));
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
      // The dearer of the two modes' poll prices bounds an idle iteration.
      const TimeNs poll_ns =
          std::max(costs.poll_per_running_core_ns, model.runtime.scheduler_manual.poll_per_running_core_ns);
      const TimeNs idle_iteration_ns = add_ns(costs.idle_iteration_ns.max_ns, mul_ns(owned_cores, poll_ns));
      check("scheduler_idle_limit", detectors.scheduler_idle_limit, idle_iteration_ns,
            "the longest idle iteration (idle_iteration_ns max + poll_per_running_core_ns per owned core)");
    } else {
      check("structural_check_spins", detectors.structural_check_spins, detectors.spin_ns.max_ns, "spin_ns max");
    }
  }

  void load_detectors(const Field& field, runtime::DetectorConfig& detectors) {
    check_object(field, {"kind", "spin_ns", "orchestrator_spin_limit", "scheduler_idle_limit", "structural_check_spins",
                         "no_reclaim_timeout_ns", "scheduler_timeout_ns", "tensor_wait_timeout_ns"},
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
    if (has(field, "tensor_wait_timeout_ns")) {
      detectors.tensor_wait_timeout_ns = integer(child(field, "tensor_wait_timeout_ns"), 1, MAX_DETECTOR_WINDOW_NS);
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
      runtime::DurationRange range{0, 0};
      if (has(kernel, "duration_ns") && child(kernel, "duration_ns")->is_object()) {
        // An expression per task, evaluated once the program is expanded (kernel_costs.h).
        if (!host_platform_) duration_exprs_.push_back(duration_expr(child(kernel, "duration_ns"), kernels.size()));
      } else if (has(kernel, "duration_ns")) {
        range = duration_range(child(kernel, "duration_ns"), 0);
      }
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
        spec.program = load_kernel_program(*this, child(kernel, "program"), spec);
      }
      kernel_index_[name] = static_cast<std::uint32_t>(kernels.size());
      kernels.push_back(spec);
    }
  }

  KernelDurationExpr duration_expr(const Field& field, std::size_t kernel) {
    check_object(field, {"expr", "spread_pct"}, {"expr"});
    KernelDurationExpr out;
    out.kernel = static_cast<std::uint32_t>(kernel);
    const Field text = child(field, "expr");
    out.expr = expression(text, string(text));
    if (has(field, "spread_pct")) out.spread_pct = integer(child(field, "spread_pct"), 0, 100);
    out.pointer = text.pointer();
    return out;
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
      const auto elements = static_cast<std::uint64_t>(external.layout.element_count());
      const std::uint64_t element_bytes = runtime::dtype_bytes(external.layout.dtype);
      if (elements > MAX_EXTERNAL_BYTES / element_bytes || next - EXTERNAL_BASE > MAX_EXTERNAL_BYTES - elements * element_bytes) {
        fail(child(tensor, "shape"), "at most " + std::to_string(MAX_EXTERNAL_BYTES >> 30) +
                                         " GiB of external tensors in all (the data oracle's work and memory grow with their size)");
      }
      external.bytes = elements * element_bytes;
      external.address = next;
      next = runtime::align_up(next + external.bytes, 4096);
      if (has(tensor, "description")) string(child(tensor, "description"));
      externals_.push_back(std::move(external));
    }
  }

  bool host_platform_ = false;  // platform kind "a2a3sim"
  std::vector<runtime::ExternalTensor> externals_;
  std::unordered_map<std::string, std::uint32_t> kernel_index_;  // looked up, never iterated
  std::vector<KernelDurationExpr> duration_exprs_;  // kernels whose duration is an expression
};

}  // namespace

}  // namespace loader

ScenarioError::ScenarioError(std::string file, std::string pointer, std::string problem)
    : std::runtime_error(file + ": " + (pointer.empty() ? std::string("at the document root") : "at " + pointer) +
                         ": " + problem),
      file_(std::move(file)),
      pointer_(std::move(pointer)),
      problem_(std::move(problem)) {}

namespace {

// Every value a parameter can reach at its ends (a range's bounds, each listed value), the others
// at their nominal values, must give a valid scenario: a sweep must not find a bad file in its
// middle. The largest platform met on the way is the one every run's hosts must cover.
void check_uncertain_region(Scenario& scenario, const std::string& origin) {
  for (const UncertainParam& param : scenario.uncertain) {
    std::vector<std::string> ends;
    if (param.kind == UncertainKind::list) {
      ends = param.values;
    } else {
      ends = {std::to_string(param.lo), std::to_string(param.hi)};
    }
    for (const std::string& value : ends) {
      if (value == param.nominal) continue;
      Scenario at;
      try {
        at = loader::Loader(origin).load(text_at_point(scenario.text, origin, {Override{param.pointer, value}}));
      } catch (const ScenarioError& e) {
        throw ScenarioError(origin, "/uncertain/" + loader::escape_token(param.pointer),
                            "at " + param.pointer + "=" + value + " the scenario is not valid: " +
                                (e.pointer().empty() ? std::string("at the document root") : "at " + e.pointer()) +
                                ": " + e.problem());
      }
      scenario.max_clusters = std::max(scenario.max_clusters, at.model.platform.clusters);
      scenario.max_scheduler_threads = std::max(scenario.max_scheduler_threads, at.model.platform.scheduler_threads);
    }
  }
}

}  // namespace

Scenario load_scenario_text(const std::string& text, const std::string& origin) {
  Scenario scenario = loader::Loader(origin).load(text);
  scenario.path = origin;
  scenario.max_clusters = scenario.model.platform.clusters;
  scenario.max_scheduler_threads = scenario.model.platform.scheduler_threads;
  if (!scenario.uncertain.empty()) check_uncertain_region(scenario, origin);
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
