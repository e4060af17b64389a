#include "tools/cli.h"
#include "tools/progress.h"

#include "scenarios/uncertain.h"
#include "simcore/plural.h"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>
#include <sstream>

namespace ptosim::cli {

scenarios::Scenario ScenarioArgs::load() const {
  std::vector<scenarios::Override> overrides;
  for (const std::string& text : sets) {
    scenarios::Override item;
    const std::string problem = scenarios::parse_override(text, item);
    if (!problem.empty()) throw CLI::ValidationError("--set", problem);
    overrides.push_back(std::move(item));
  }
  return scenarios::load_scenario_file(scenario, overrides, nominal);
}

simcore::StrategySpec ScenarioArgs::strategy_spec(const scenarios::Scenario& loaded) const {
  simcore::StrategySpec spec;
  spec.name = strategy;
  spec.depth = depth;
  spec.steps = pct_steps;
  const std::string problem = simcore::validate_strategy(spec);
  if (!problem.empty()) throw CLI::ValidationError("--strategy", problem);
  return replay::resolve_strategy(spec, loaded);
}

namespace {

// The flag itself is g_stop_signal (tools/progress.h), which StopSignals sets too: one flag
// for the whole process, whichever handler saw the signal.
volatile std::sig_atomic_t g_stop_deferred = 0;

// Async-signal-safe: writes two sig_atomic_t and calls signal() and raise(), nothing else.
extern "C" void on_early_stop_signal(int signal_number) {
  if (g_stop_signal == 0) g_stop_signal = signal_number;
  if (g_stop_deferred == 0) {
    std::signal(signal_number, SIG_DFL);
    std::raise(signal_number);
  }
}

}  // namespace

void install_stop_signals(bool deferred) {
  g_stop_deferred = deferred ? 1 : 0;
  struct sigaction action {};
  action.sa_handler = on_early_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: a blocking poll() or read() returns at once with EINTR
  for (int signal_number : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(signal_number, &action, nullptr);
}

volatile std::sig_atomic_t* stop_signal_flag() { return &g_stop_signal; }

int exit_code_after_signal(int code, int signal_number) {
  if (signal_number == 0 || code >= EXIT_INTERRUPTED_BASE) return code;
  return EXIT_INTERRUPTED_BASE + signal_number;
}

int exit_code_for(simcore::Outcome outcome) {
  switch (outcome) {
    case simcore::Outcome::pass: return EXIT_PASS;
    case simcore::Outcome::wrong_values: return 10;
    case simcore::Outcome::hang: return 11;
    case simcore::Outcome::deadlock_true: return 12;
    case simcore::Outcome::deadlock_false: return 13;
    case simcore::Outcome::runtime_error: return 14;
    case simcore::Outcome::sim_limit: return 15;
  }
  return EXIT_INTERNAL;
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

Outputs::Outputs(std::initializer_list<const std::string*> paths) {
  int to_stdout = 0;
  for (const std::string* path : paths) to_stdout += *path == "-" ? 1 : 0;
  if (to_stdout > 1) throw CLI::ValidationError("output", "at most one output may be - (stdout)");
  stdout_taken_ = to_stdout == 1;
}

namespace {

std::string micros(TimeNs ns) {
  std::ostringstream text;
  text << ns / 1000 << "." << (ns % 1000) / 100 << " us";
  return text.str();
}

std::string percent(TimeNs busy_ns, TimeNs total_ns) {
  if (total_ns <= 0) return "0.0%";
  const TimeNs tenths = busy_ns * 1000 / total_ns;
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + "%";
}

// a2a3sim: time off the host CPU, the orchestrator and scheduler threads one by one, the
// emulated cores as mean and max (`run --json` lists every thread under timing.host_threads).
void print_host_threads(std::ostream& out, const runtime::TimingReport& timing) {
  if (timing.host_threads.empty()) return;
  out << "  off host CPU (runnable, another thread held the CPU):";
  TimeNs core_total = 0;
  const runtime::HostThreadView* worst_core = nullptr;
  std::size_t cores = 0;
  for (const runtime::HostThreadView& thread : timing.host_threads) {
    if (thread.name == "orchestrator" || thread.name.rfind("sched", 0) == 0) {
      out << " " << thread.name << " " << micros(thread.off_cpu_ns) << " (" << percent(thread.off_cpu_ns, timing.end_ns) << ")";
      continue;
    }
    core_total += thread.off_cpu_ns;
    ++cores;
    if (worst_core == nullptr || thread.off_cpu_ns > worst_core->off_cpu_ns) worst_core = &thread;
  }
  out << "\n";
  if (worst_core != nullptr) {
    out << "  " << simcore::count_noun(cores, "emulated core") << " off host CPU: mean "
        << percent(core_total / static_cast<TimeNs>(cores), timing.end_ns) << ", max " << worst_core->name << " "
        << micros(worst_core->off_cpu_ns) << " (" << percent(worst_core->off_cpu_ns, timing.end_ns) << ")\n";
  }
}

// The run's time breakdown in a few lines; `run --json` has every figure under "timing".
void print_timing(std::ostream& out, const runtime::TimingReport& timing) {
  out << "\ntiming: orchestrator " << micros(timing.orchestrator_ns)
      << (timing.orchestration_done ? " (to the end of the executor scope)" : " (the run ended before the executor scope)")
      << " of " << micros(timing.end_ns) << "\n";
  out << "  orchestrator work by term:";
  for (const auto& [term, ns] : timing.orchestrator_terms) {
    if (ns > 0) out << " " << term << " " << micros(ns);
  }
  out << "\n  scheduler threads busy:";
  for (TimeNs busy : timing.thread_busy_ns) out << " " << micros(busy) << " (" << percent(busy, timing.end_ns) << ")";
  out << "\n";
  for (const char* kind : {"aic", "aiv"}) {
    TimeNs total = 0;
    TimeNs low = TIME_NEVER;
    TimeNs high = 0;
    std::size_t count = 0;
    for (const runtime::CoreTimingReport& core : timing.cores) {
      if (core.kind.rfind(kind, 0) != 0) continue;
      total += core.busy_ns;
      low = std::min(low, core.busy_ns);
      high = std::max(high, core.busy_ns);
      ++count;
    }
    if (count == 0) continue;
    out << "  " << simcore::count_noun(count, std::string(kind) + " core") << " busy: mean "
        << percent(total / static_cast<TimeNs>(count), timing.end_ns) << " (min " << percent(low, timing.end_ns)
        << ", max " << percent(high, timing.end_ns) << ")\n";
  }
  print_host_threads(out, timing);
  for (std::size_t r = 0; r < timing.rings.size(); ++r) {
    const runtime::RingTiming& ring = timing.rings[r];
    if (ring.peak_tasks_in_flight == 0) continue;
    out << "  ring " << r << ": peak " << ring.peak_tasks_in_flight << "/" << ring.task_window << " tasks in flight, heap "
        << ring.peak_heap_bytes << "/" << ring.heap_bytes << " bytes, dep pool " << ring.peak_dep_pool_entries << "/"
        << ring.dep_pool_entries << " (live peak " << ring.peak_dep_pool_live << "); orchestrator blocked on task_window " << micros(ring.blocked_ns[0]) << ", heap "
        << micros(ring.blocked_ns[1]) << ", dep_pool " << micros(ring.blocked_ns[2]);
    // The waits issue 17 added are named only when they happened, so older outputs read the same.
    const char* later[] = {"fanin_spill", "tensormap", "tensor_data"};
    for (std::size_t w = 0; w < 3; ++w) {
      if (ring.blocked_ns[3 + w] != 0) out << ", " << later[w] << " " << micros(ring.blocked_ns[3 + w]);
    }
    out << "\n";
  }
}

}  // namespace

void print_result(std::ostream& out, const replay::RunResult& result) {
  if (!result.point.empty()) out << "point " << scenarios::point_text(result.point) << "\n";
  out << "outcome " << simcore::to_string(result.outcome) << ": " << result.summary << "\n";
  out << "digest " << replay::hex64(result.digest) << "\n";
  out << "sim_time_ns " << result.sim_time_ns << "  tasks " << result.tasks << " (" << result.tasks_submitted
            << " submitted, " << result.tasks_completed << " completed)  events " << result.events << "  decisions "
            << result.decisions << "\n";
  if (result.report) {
    out << "\nruntime report (" << result.report->detector << ", " << result.report->actor << ", t="
              << result.report->time_ns << " ns):\n"
              << result.report->message;
  }
  if (!result.faults_fired.empty()) {
    out << "\nfaults fired:\n";
    for (const hwmodel::FaultFired& fault : result.faults_fired) {
      out << "  - " << fault.kind << " on core " << fault.core << " at t=" << fault.time_ns << " ns (task ordinal " << fault.task
          << ", block " << fault.block << ", statement " << fault.statement << ")\n";
    }
  }
  if (!result.findings.empty()) {
    out << "\nfindings:\n";
    for (const simcore::Finding& finding : result.findings) {
      out << "  - " << simcore::to_string(finding.kind) << ": " << finding.summary << "\n";
    }
  }
  if (result.data_checked && !result.mismatches.empty()) {
    out << "\ntensors written by the program, against the sequential program:\n";
    for (const runtime::TensorMismatch& mismatch : result.mismatches) {
      out << "  " << mismatch.tensor << ": ";
      if (mismatch.mismatched_elements == 0) {
        out << "correct (" << mismatch.elements << " elements)\n";
        continue;
      }
      const replay::Json j = replay::mismatch_to_json(mismatch);
      out << mismatch.mismatched_elements << " of " << mismatch.elements << " elements wrong ("
                << replay::json_text(j["mismatch_percent"]) << "%), first";
      for (const hwmodel::ElementRange& range : mismatch.first_ranges) out << " [" << range.begin << ", " << range.end << ")";
      out << "\n";
    }
  }
  if (!result.wait_chain.empty()) {
    out << "\nwhy no progress was possible:\n";
    for (const std::string& step : result.wait_chain) out << "  - " << step << "\n";
  }
  if (result.timing) print_timing(out, *result.timing);
}

void print_warnings(const scenarios::Scenario& scenario) {
  for (const std::string& warning : scenario.warnings) std::cerr << "warning: " << scenario.path << ": " << warning << "\n";
}

// Reports an error in the --json shape as well as on stderr, and returns its exit code.
int report_error(bool json, const char* kind, const std::string& message, int code) {
  std::cerr << "error: " << message << "\n";
  if (json) {
    replay::Json out;
    out["error"] = {{"kind", kind}, {"message", message}, {"exit_code", code}};
    std::cout << replay::json_text(out, 2) << "\n";
  }
  return code;
}

}  // namespace ptosim::cli
