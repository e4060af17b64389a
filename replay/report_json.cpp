#include "replay/report_json.h"

#include "replay/snapshot_render.h"

#include "scenarios/json_guard.h"

#include <cerrno>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

namespace ptosim::replay {

namespace {

using runtime::StateSnapshot;

// Checked reads from an untrusted document: a missing or mistyped field names its pointer.
class Reader {
 public:
  Reader(const Json& value, std::string pointer, const std::string& file) : value_(value), pointer_(std::move(pointer)), file_(file) {}

  Reader at(const std::string& key) const {
    if (!value_.is_object() || !value_.contains(key)) fail("missing field '" + key + "'", pointer_ + "/" + key);
    return Reader(value_.at(key), pointer_ + "/" + key, file_);
  }
  bool has(const std::string& key) const { return value_.is_object() && value_.contains(key); }
  Reader at(std::size_t index) const { return Reader(value_.at(index), pointer_ + "/" + std::to_string(index), file_); }
  std::size_t size() const {
    if (!value_.is_array()) fail("expected an array", pointer_);
    return value_.size();
  }
  std::uint64_t u64() const {
    if (!value_.is_number_unsigned() && !(value_.is_number_integer() && value_.get<std::int64_t>() >= 0)) {
      fail("expected a non-negative integer", pointer_);
    }
    return value_.get<std::uint64_t>();
  }
  // Integers are range-checked at their full width: a value that does not fit is an error, never
  // a silent wrap (an unsigned 2^63 read as int64, or 2^32+1 read as int).
  std::int64_t i64() const {
    if (!value_.is_number_integer()) fail("expected an integer", pointer_);
    if (value_.is_number_unsigned() && value_.get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
      fail("integer out of range", pointer_);
    }
    return value_.get<std::int64_t>();
  }
  int i32() const {
    const std::int64_t v = i64();
    if (v < INT32_MIN || v > INT32_MAX) fail("integer out of range", pointer_);
    return static_cast<int>(v);
  }
  std::uint32_t u32() const {
    std::uint64_t v = u64();
    if (v > 0xFFFFFFFFULL) fail("integer out of range", pointer_);
    return static_cast<std::uint32_t>(v);
  }
  bool boolean() const {
    if (!value_.is_boolean()) fail("expected true or false", pointer_);
    return value_.get<bool>();
  }
  std::string str() const {
    if (!value_.is_string()) fail("expected a string", pointer_);
    return value_.get<std::string>();
  }
  const Json& raw() const { return value_; }
  [[noreturn]] void fail(const std::string& problem, const std::string& pointer) const {
    throw InputError(file_, pointer, problem);
  }

 private:
  const Json& value_;
  std::string pointer_;
  const std::string& file_;
};

Json task_to_json(const runtime::TaskView& task) {
  Json j;
  j["task_id"] = task.task_id;
  j["ordinal"] = task.ordinal;
  j["name"] = task.name;
  j["ring"] = task.ring;
  j["local_id"] = task.local_id;
  j["state"] = task.state;
  j["state_number"] = task.state_number;
  j["stored_state"] = task.stored_state;
  j["fanin_refcount"] = task.fanin_refcount;
  j["fanin_count"] = task.fanin_count;
  j["consumers_released"] = task.consumers_released;
  j["consumers_claimed"] = task.consumers_claimed;
  j["scope_released"] = task.scope_released;
  j["scope_depth"] = task.scope_depth;
  j["kind"] = task.kind;
  j["kernel"] = task.kernel;
  j["cores"] = task.cores;
  j["producers"] = task.producers;
  j["consumers"] = task.consumers;
  j["could_progress"] = task.could_progress;
  return j;
}

runtime::TaskView task_from_json(const Reader& r) {
  runtime::TaskView task;
  task.task_id = r.at("task_id").u64();
  task.ordinal = r.at("ordinal").u32();
  task.name = r.at("name").str();
  task.ring = r.at("ring").u32();
  task.local_id = r.at("local_id").u32();
  task.state = r.at("state").str();
  task.state_number = r.at("state_number").i32();
  task.stored_state = r.at("stored_state").i32();
  task.fanin_refcount = r.at("fanin_refcount").u32();
  task.fanin_count = r.at("fanin_count").u32();
  task.consumers_released = r.at("consumers_released").u32();
  task.consumers_claimed = r.at("consumers_claimed").u32();
  task.scope_released = r.at("scope_released").boolean();
  task.scope_depth = r.at("scope_depth").u32();
  task.kind = r.at("kind").str();
  task.kernel = r.at("kernel").str();
  Reader cores = r.at("cores");
  for (std::size_t i = 0; i < cores.size(); ++i) task.cores.push_back(cores.at(i).str());
  Reader producers = r.at("producers");
  for (std::size_t i = 0; i < producers.size(); ++i) task.producers.push_back(producers.at(i).u32());
  Reader consumers = r.at("consumers");
  for (std::size_t i = 0; i < consumers.size(); ++i) task.consumers.push_back(consumers.at(i).u32());
  task.could_progress = r.at("could_progress").boolean();
  return task;
}

Json report_to_json(const runtime::RuntimeReport& report) {
  Json j;
  j["code"] = static_cast<int>(report.code);
  j["name"] = runtime::error_name(report.code);
  j["host_code"] = runtime::host_code_for(report.code);
  j["detector"] = report.detector;
  j["actor"] = report.actor;
  j["time_ns"] = report.time_ns;
  if (report.code == runtime::ErrorCode::scheduler_timeout) j["stall_sub_class"] = report.stall_sub_class;
  j["message"] = report.message;
  return j;
}

runtime::RuntimeReport report_from_json(const Reader& r) {
  runtime::RuntimeReport report;
  report.code = static_cast<runtime::ErrorCode>(r.at("code").i32());
  report.detector = r.at("detector").str();
  report.actor = r.at("actor").str();
  report.time_ns = r.at("time_ns").i64();
  if (r.has("stall_sub_class")) report.stall_sub_class = r.at("stall_sub_class").i32();
  report.message = r.at("message").str();
  return report;
}

StateSnapshot snapshot_from_reader(const Reader& r) {
  StateSnapshot snap;
  if (!r.has("format") || !r.at("format").raw().is_string() || r.at("format").str() != "ptosim-snapshot") {
    r.fail("not a ptosim snapshot (snapshots have \"format\": \"ptosim-snapshot\"; write one with "
           "`ptosim run --snapshot FILE`)",
           "/format");
  }
  snap.time_ns = r.at("time_ns").i64();
  snap.detector = r.at("detector").str();
  snap.error_code = r.at("error_code").i32();
  snap.error_name = r.at("error_name").str();
  snap.host_code = r.at("host_code").i32();
  snap.message = r.at("message").str();
  snap.completed_tasks = r.at("completed_tasks").u32();
  snap.total_tasks = r.at("total_tasks").u32();
  if (r.has("program_tasks")) snap.program_tasks = r.at("program_tasks").u32();
  snap.orchestration_done = r.at("orchestration_done").boolean();
  if (r.has("progress_task") && !r.at("progress_task").raw().is_null()) snap.progress_task = r.at("progress_task").u32();
  if (r.has("blocked_ring") && !r.at("blocked_ring").raw().is_null()) snap.blocked_ring = r.at("blocked_ring").u32();
  Reader rings = r.at("rings");
  for (std::size_t i = 0; i < rings.size(); ++i) {
    Reader ring = rings.at(i);
    runtime::RingView view;
    view.id = ring.at("id").u32();
    view.current_index = ring.at("current_index").u32();
    view.last_task_alive = ring.at("last_task_alive").u32();
    if (ring.has("scheduler_last_task_alive")) view.scheduler_last_task_alive = ring.at("scheduler_last_task_alive").u32();
    view.task_window = ring.at("task_window").u32();
    view.heap_top = ring.at("heap_top").u64();
    view.heap_tail = ring.at("heap_tail").u64();
    view.heap_size = ring.at("heap_size").u64();
    view.heap_used = ring.at("heap_used").u64();
    view.dep_pool_used = ring.at("dep_pool_used").u64();
    view.dep_pool_capacity = ring.at("dep_pool_capacity").u64();
    view.dep_pool_high_water = ring.at("dep_pool_high_water").u64();
    view.tasks_truncated = ring.at("tasks_truncated").boolean();
    Reader tasks = ring.at("tasks");
    for (std::size_t t = 0; t < tasks.size(); ++t) view.tasks.push_back(task_from_json(tasks.at(t)));
    snap.rings.push_back(std::move(view));
  }
  Reader scopes = r.at("scopes");
  for (std::size_t i = 0; i < scopes.size(); ++i) {
    Reader s = scopes.at(i);
    runtime::ScopeView scope;
    scope.depth = s.at("depth").u32();
    scope.mode = s.at("mode").str();
    scope.task_count = s.at("task_count").u32();
    if (s.has("oldest_task_id") && !s.at("oldest_task_id").raw().is_null()) scope.oldest_task_id = s.at("oldest_task_id").u64();
    scope.deferred_publish = s.at("deferred_publish").boolean();
    scope.unpublished = s.at("unpublished").u32();
    snap.scopes.push_back(std::move(scope));
  }
  Reader actors = r.at("actors");
  for (std::size_t i = 0; i < actors.size(); ++i) {
    Reader a = actors.at(i);
    snap.actors.push_back(runtime::ActorView{a.at("name").str(), a.at("state").str(), a.at("waits_for").str()});
  }
  if (r.has("host_threads")) {
    Reader threads = r.at("host_threads");
    for (std::size_t i = 0; i < threads.size(); ++i) {
      Reader t = threads.at(i);
      snap.host_threads.push_back(
          runtime::HostThreadView{t.at("name").str(), t.at("cpu").i32(), t.at("on_cpu_ns").i64(), t.at("off_cpu_ns").i64()});
    }
  }
  if (r.has("outcome")) snap.outcome = r.at("outcome").str();
  if (r.has("verdict")) snap.verdict = r.at("verdict").str();
  if (r.has("wait_chain")) {
    Reader chain = r.at("wait_chain");
    for (std::size_t i = 0; i < chain.size(); ++i) snap.wait_chain.push_back(chain.at(i).str());
  }
  return snap;
}

}  // namespace

InputError::InputError(std::string file, std::string pointer, std::string problem)
    : std::runtime_error(file + ": " + (pointer.empty() ? std::string("at the document root") : "at " + pointer) + ": " + problem),
      pointer_(std::move(pointer)) {}

std::string json_text(const Json& json, int indent) {
  return json.dump(indent, ' ', false, Json::error_handler_t::replace);
}

std::string hex64(std::uint64_t value) {
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "0x%016llx", static_cast<unsigned long long>(value));
  return buffer;
}

bool parse_hex64(const std::string& text, std::uint64_t& out) {
  if (text.size() < 3 || text.size() > 18 || text[0] != '0' || (text[1] != 'x' && text[1] != 'X')) return false;
  out = 0;
  for (std::size_t i = 2; i < text.size(); ++i) {
    const char c = text[i];
    int digit = 0;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      digit = c - 'a' + 10;
    } else if (c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else {
      return false;
    }
    out = out * 16 + static_cast<std::uint64_t>(digit);
  }
  return true;
}

Json snapshot_to_json(const StateSnapshot& snap) {
  Json j;
  j["format"] = "ptosim-snapshot";
  j["version"] = 1;
  j["time_ns"] = snap.time_ns;
  j["detector"] = snap.detector;
  j["error_code"] = snap.error_code;
  j["error_name"] = snap.error_name;
  j["host_code"] = snap.host_code;
  j["message"] = snap.message;
  j["completed_tasks"] = snap.completed_tasks;
  j["total_tasks"] = snap.total_tasks;
  j["program_tasks"] = snap.program_tasks;
  j["orchestration_done"] = snap.orchestration_done;
  j["progress_task"] = snap.progress_task ? Json(*snap.progress_task) : Json(nullptr);
  j["blocked_ring"] = snap.blocked_ring ? Json(*snap.blocked_ring) : Json(nullptr);
  Json rings = Json::array();
  for (const runtime::RingView& ring : snap.rings) {
    Json r;
    r["id"] = ring.id;
    r["current_index"] = ring.current_index;
    r["last_task_alive"] = ring.last_task_alive;
    if (ring.scheduler_last_task_alive) r["scheduler_last_task_alive"] = *ring.scheduler_last_task_alive;
    r["task_window"] = ring.task_window;
    r["heap_top"] = ring.heap_top;
    r["heap_tail"] = ring.heap_tail;
    r["heap_size"] = ring.heap_size;
    r["heap_used"] = ring.heap_used;
    r["dep_pool_used"] = ring.dep_pool_used;
    r["dep_pool_capacity"] = ring.dep_pool_capacity;
    r["dep_pool_high_water"] = ring.dep_pool_high_water;
    r["tasks_truncated"] = ring.tasks_truncated;
    Json tasks = Json::array();
    for (const runtime::TaskView& task : ring.tasks) tasks.push_back(task_to_json(task));
    r["tasks"] = std::move(tasks);
    rings.push_back(std::move(r));
  }
  j["rings"] = std::move(rings);
  Json scopes = Json::array();
  for (const runtime::ScopeView& scope : snap.scopes) {
    Json s;
    s["depth"] = scope.depth;
    s["mode"] = scope.mode;
    s["task_count"] = scope.task_count;
    s["oldest_task_id"] = scope.oldest_task_id ? Json(*scope.oldest_task_id) : Json(nullptr);
    s["deferred_publish"] = scope.deferred_publish;
    s["unpublished"] = scope.unpublished;
    scopes.push_back(std::move(s));
  }
  j["scopes"] = std::move(scopes);
  Json actors = Json::array();
  for (const runtime::ActorView& actor : snap.actors) {
    actors.push_back(Json{{"name", actor.name}, {"state", actor.state}, {"waits_for", actor.waits_for}});
  }
  j["actors"] = std::move(actors);
  if (!snap.host_threads.empty()) {  // a2a3sim only
    Json host_threads = Json::array();
    for (const runtime::HostThreadView& thread : snap.host_threads) host_threads.push_back(host_thread_json(thread));
    j["host_threads"] = std::move(host_threads);
  }
  // Derived, for tools: the ordinals from the head of the blocked ring along what each waits for.
  j["chain_tasks"] = head_chain_tasks(snap);
  j["outcome"] = snap.outcome;
  j["verdict"] = snap.verdict;
  j["wait_chain"] = snap.wait_chain;
  return j;
}

Json snapshot_file_json(const StateSnapshot& snapshot, std::uint64_t seed, std::uint64_t scenario_hash) {
  Json j = snapshot_to_json(snapshot);
  j["seed"] = seed;
  j["scenario_hash"] = hex64(scenario_hash);
  j["tool_version"] = TOOL_VERSION;
  return j;
}

StateSnapshot snapshot_from_json(const Json& json, const std::string& file) {
  return snapshot_from_reader(Reader(json, "", file));
}

Json detail_to_json(const simcore::Detail& detail) {
  using Type = simcore::Detail::Type;
  switch (detail.type()) {
    case Type::null: return Json(nullptr);
    case Type::integer: return Json(detail.as_integer());
    case Type::text: return Json(detail.as_text());
    case Type::boolean: return Json(detail.as_boolean());
    case Type::list: {
      Json list = Json::array();
      for (const simcore::Detail& item : detail.items()) list.push_back(detail_to_json(item));
      return list;
    }
    case Type::object: {
      Json object = Json::object();
      for (const auto& [key, value] : detail.fields()) object[key] = detail_to_json(value);
      return object;
    }
  }
  return Json(nullptr);
}

namespace {

simcore::Detail detail_from_json(const Json& json) {
  if (json.is_number_integer()) return simcore::Detail::integer(json.get<std::int64_t>());
  if (json.is_string()) return simcore::Detail::text(json.get<std::string>());
  if (json.is_boolean()) return simcore::Detail::boolean(json.get<bool>());
  if (json.is_array()) {
    simcore::Detail list = simcore::Detail::list();
    for (const Json& item : json) list.push(detail_from_json(item));
    return list;
  }
  if (json.is_object()) {
    simcore::Detail object = simcore::Detail::object();
    for (auto it = json.begin(); it != json.end(); ++it) object.set(it.key(), detail_from_json(it.value()));
    return object;
  }
  return {};
}

}  // namespace

Json mismatch_to_json(const runtime::TensorMismatch& mismatch) {
  Json j;
  j["tensor"] = mismatch.tensor;
  j["elements"] = mismatch.elements;
  j["mismatched_elements"] = mismatch.mismatched_elements;
  // Two decimals, computed from the integer counts: the report's "fails ~7%".
  const std::int64_t hundredths =
      mismatch.elements == 0 ? 0 : (mismatch.mismatched_elements * 10000 + mismatch.elements / 2) / mismatch.elements;
  j["mismatch_percent"] = static_cast<double>(hundredths) / 100.0;
  Json ranges = Json::array();
  for (const hwmodel::ElementRange& range : mismatch.first_ranges) ranges.push_back(Json::array({range.begin, range.end}));
  j["first_ranges"] = std::move(ranges);
  return j;
}

Json finding_to_json(const simcore::Finding& finding) {
  Json j;
  j["kind"] = simcore::to_string(finding.kind);
  j["summary"] = finding.summary;
  for (const auto& [key, value] : finding.details.fields()) j[key] = detail_to_json(value);
  return j;
}

namespace {

// busy / total as a fraction with four decimals (0 for an empty run).
double fraction(TimeNs busy_ns, TimeNs total_ns) {
  if (total_ns <= 0) return 0.0;
  return static_cast<double>(busy_ns * 10000 / total_ns) / 10000.0;
}

}  // namespace

Json host_thread_json(const runtime::HostThreadView& thread) {
  return Json{{"name", thread.name}, {"cpu", thread.cpu}, {"on_cpu_ns", thread.on_cpu_ns}, {"off_cpu_ns", thread.off_cpu_ns}};
}

Json timing_to_json(const runtime::TimingReport& timing) {
  Json j;
  j["sim_time_ns"] = timing.end_ns;
  j["orchestrator_ns"] = timing.orchestrator_ns;
  j["orchestration_done"] = timing.orchestration_done;
  Json terms = Json::object();
  for (const auto& [term, ns] : timing.orchestrator_terms) terms[term] = ns;
  j["orchestrator_terms"] = std::move(terms);
  Json threads = Json::array();
  for (std::size_t t = 0; t < timing.thread_busy_ns.size(); ++t) {
    threads.push_back(Json{{"thread", t},
                           {"busy_ns", timing.thread_busy_ns[t]},
                           {"utilization", fraction(timing.thread_busy_ns[t], timing.end_ns)}});
  }
  j["threads"] = std::move(threads);
  Json cores = Json::array();
  for (const runtime::CoreTimingReport& core : timing.cores) {
    cores.push_back(Json{{"id", core.id},
                         {"kind", core.kind},
                         {"name", core.name},
                         {"busy_ns", core.busy_ns},
                         {"utilization", fraction(core.busy_ns, timing.end_ns)}});
  }
  j["cores"] = std::move(cores);
  if (!timing.host_threads.empty()) {
    Json host_threads = Json::array();
    for (const runtime::HostThreadView& thread : timing.host_threads) host_threads.push_back(host_thread_json(thread));
    j["host_threads"] = std::move(host_threads);
  }
  Json rings = Json::array();
  for (std::size_t r = 0; r < timing.rings.size(); ++r) {
    const runtime::RingTiming& ring = timing.rings[r];
    rings.push_back(Json{{"ring", r},
                         {"blocked_ns",
                          {{"task_window", ring.blocked_ns[0]},
                           {"heap", ring.blocked_ns[1]},
                           {"dep_pool", ring.blocked_ns[2]},
                           {"fanin_spill", ring.blocked_ns[3]},
                           {"tensormap", ring.blocked_ns[4]},
                           {"tensor_data", ring.blocked_ns[5]}}},
                         {"peak_tasks_in_flight", ring.peak_tasks_in_flight},
                         {"task_window", ring.task_window},
                         {"peak_heap_bytes", ring.peak_heap_bytes},
                         {"heap_bytes", ring.heap_bytes},
                         {"peak_dep_pool_entries", ring.peak_dep_pool_entries},
                         {"peak_dep_pool_live", ring.peak_dep_pool_live},
                         {"dep_pool_entries", ring.dep_pool_entries}});
  }
  j["rings"] = std::move(rings);
  if (timing.sync_start_cohorts > 0) {
    j["sync_start"] = Json{{"cohorts", timing.sync_start_cohorts},
                           {"drains", timing.sync_start_drains},
                           {"drain_retries", timing.sync_start_drain_retries},
                           {"drain_ns", timing.sync_start_drain_ns}};
  }
  return j;
}

Json point_to_json(const std::vector<scenarios::Override>& point) {
  Json object = Json::object();
  for (const scenarios::Override& item : point) {
    Json value;
    try {
      value = Json::parse(item.value);
    } catch (const Json::exception&) {
      value = item.value;  // as --set reads it: a value that is not JSON is a string
    }
    object[item.pointer] = std::move(value);
  }
  return object;
}

std::vector<scenarios::Override> point_from_json(const Json& object, const std::string& file, const std::string& pointer) {
  if (!object.is_object()) throw InputError(file, pointer, "expected an object {JSON pointer: value}");
  std::vector<scenarios::Override> point;
  for (const auto& [key, value] : object.items()) {
    scenarios::Override item;
    const std::string problem = scenarios::parse_override(key + "=" + json_text(value), item);
    if (!problem.empty()) throw InputError(file, pointer, problem);
    point.push_back(std::move(item));
  }
  return point;
}

Json uncertain_to_json(const std::vector<scenarios::UncertainParam>& params) {
  Json list = Json::array();
  for (const scenarios::UncertainParam& param : params) {
    Json item{{"pointer", param.pointer}, {"kind", scenarios::to_string(param.kind)}};
    if (param.kind == scenarios::UncertainKind::list) {
      Json values = Json::array();
      for (const std::string& value : param.values) values.push_back(Json::parse(value));
      item["values"] = std::move(values);
    } else {
      item["range"] = Json::array({param.lo, param.hi});
    }
    item["nominal"] = Json::parse(param.nominal);
    item["description"] = param.description;
    list.push_back(std::move(item));
  }
  return list;
}

Json result_to_json(const RunResult& result, bool with_snapshot) {
  Json j;
  j["seed"] = result.seed;
  j["strategy"] = result.strategy;
  if (result.spec.name == "pct") j["strategy_params"] = Json{{"depth", result.spec.depth}, {"steps", result.spec.steps}};
  // The point of the uncertain region the run ran at (a scenario without `uncertain` has none).
  if (!result.point.empty()) j["point"] = point_to_json(result.point);
  if (!result.failure.empty()) {
    j["failure"] = result.failure;
    return j;
  }
  j["outcome"] = simcore::to_string(result.outcome);
  j["digest"] = hex64(result.digest);
  j["sim_time_ns"] = result.sim_time_ns;
  j["tasks"] = result.tasks;
  j["tasks_submitted"] = result.tasks_submitted;
  j["tasks_completed"] = result.tasks_completed;
  j["events"] = result.events;
  j["decisions"] = result.decisions;
  j["summary"] = result.summary;
  Json findings = Json::array();
  for (const simcore::Finding& finding : result.findings) findings.push_back(finding_to_json(finding));
  j["findings"] = std::move(findings);
  if (result.data_checked) {
    Json mismatches = Json::array();
    for (const runtime::TensorMismatch& mismatch : result.mismatches) mismatches.push_back(mismatch_to_json(mismatch));
    j["mismatches"] = std::move(mismatches);
  }
  Json faults = Json::array();
  for (const hwmodel::FaultFired& fault : result.faults_fired) {
    faults.push_back(Json{{"kind", fault.kind},
                          {"core", fault.core},
                          {"time_ns", fault.time_ns},
                          {"task", fault.task},
                          {"block", fault.block},
                          {"statement", fault.statement}});
  }
  j["faults_fired"] = std::move(faults);
  if (result.report) j["runtime_error"] = report_to_json(*result.report);
  if (!result.wait_chain.empty()) j["wait_chain"] = result.wait_chain;
  if (result.timing) j["timing"] = timing_to_json(*result.timing);
  if (with_snapshot && result.snapshot) j["snapshot"] = snapshot_to_json(*result.snapshot);
  return j;
}

RunResult result_from_json(const Json& json) {
  const std::string origin = "<run result>";
  Reader r(json, "", origin);
  RunResult result;
  result.seed = r.at("seed").u64();
  result.strategy = r.at("strategy").str();
  if (r.has("strategy_params")) {
    result.spec.name = "pct";
    result.spec.depth = r.at("strategy_params").at("depth").u32();
    result.spec.steps = r.at("strategy_params").at("steps").u64();
  }
  if (r.has("point")) result.point = point_from_json(json.at("point"), origin, "/point");
  if (r.has("failure")) {
    result.failure = r.at("failure").str();
    return result;
  }
  if (!simcore::parse_outcome(r.at("outcome").str(), result.outcome)) r.fail("unknown outcome", "/outcome");
  if (!parse_hex64(r.at("digest").str(), result.digest)) r.fail("expected a 0x-prefixed hex digest", "/digest");
  result.sim_time_ns = r.at("sim_time_ns").i64();
  result.tasks = r.at("tasks").u32();
  result.tasks_submitted = r.at("tasks_submitted").u32();
  result.tasks_completed = r.at("tasks_completed").u32();
  result.events = r.at("events").u64();
  result.decisions = r.at("decisions").u64();
  result.summary = r.at("summary").str();
  if (r.has("findings")) {
    Reader findings = r.at("findings");
    for (std::size_t i = 0; i < findings.size(); ++i) {
      Reader item = findings.at(i);
      simcore::Finding finding;
      if (!simcore::parse_finding_kind(item.at("kind").str(), finding.kind)) item.fail("unknown finding kind", "/kind");
      finding.summary = item.at("summary").str();
      for (auto it = item.raw().begin(); it != item.raw().end(); ++it) {
        if (it.key() == "kind" || it.key() == "summary") continue;
        finding.details.set(it.key(), detail_from_json(it.value()));
      }
      result.findings.push_back(std::move(finding));
    }
  }
  if (r.has("mismatches")) {
    result.data_checked = true;
    Reader mismatches = r.at("mismatches");
    for (std::size_t i = 0; i < mismatches.size(); ++i) {
      Reader item = mismatches.at(i);
      runtime::TensorMismatch mismatch;
      mismatch.tensor = item.at("tensor").str();
      mismatch.elements = item.at("elements").i64();
      mismatch.mismatched_elements = item.at("mismatched_elements").i64();
      Reader ranges = item.at("first_ranges");
      for (std::size_t k = 0; k < ranges.size(); ++k) {
        mismatch.first_ranges.push_back(hwmodel::ElementRange{ranges.at(k).at(0).i64(), ranges.at(k).at(1).i64()});
      }
      result.mismatches.push_back(std::move(mismatch));
    }
  }
  if (r.has("faults_fired")) {
    Reader faults = r.at("faults_fired");
    for (std::size_t i = 0; i < faults.size(); ++i) {
      Reader item = faults.at(i);
      result.faults_fired.push_back(hwmodel::FaultFired{item.at("kind").str(), item.at("core").u32(), item.at("time_ns").i64(),
                                                        item.at("task").u32(), item.at("block").u32(),
                                                        item.at("statement").str()});
    }
  }
  if (r.has("runtime_error")) result.report = report_from_json(r.at("runtime_error"));
  if (r.has("wait_chain")) {
    Reader chain = r.at("wait_chain");
    for (std::size_t i = 0; i < chain.size(); ++i) result.wait_chain.push_back(chain.at(i).str());
  }
  if (r.has("snapshot")) result.snapshot = snapshot_from_reader(r.at("snapshot"));
  return result;
}

namespace {

constexpr int MAX_SYMLINK_HOPS = 40;  // as the kernel's ELOOP limit

const char* file_kind(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

std::string directory_of(const std::string& path) {
  const auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// The file a write to `path` must replace: symlinks followed to their final target.
std::string final_target(const std::string& path) {
  std::string target = path;
  for (int hop = 0; hop <= MAX_SYMLINK_HOPS; ++hop) {
    struct stat info {};
    if (::lstat(target.c_str(), &info) != 0) {
      if (errno == ENOENT) return target;
      throw OutputFileError("cannot write " + path + ": " + std::strerror(errno));
    }
    if (!S_ISLNK(info.st_mode)) {
      if (!S_ISREG(info.st_mode)) {
        throw OutputFileError("cannot write " + path + ": " + (target == path ? std::string("it") : target) + " is " +
                              file_kind(info.st_mode) + "; ptosim writes only regular files (use - for stdout)");
      }
      return target;
    }
    std::string link(PATH_MAX, '\0');
    const ssize_t length = ::readlink(target.c_str(), link.data(), link.size());
    if (length < 0) throw OutputFileError("cannot write " + path + ": " + std::strerror(errno));
    link.resize(static_cast<std::size_t>(length));
    target = link.empty() || link[0] == '/' ? link : directory_of(target) + "/" + link;
  }
  throw OutputFileError("cannot write " + path + ": too many levels of symbolic links");
}

}  // namespace

void write_file_atomically(const std::string& path, const std::string& text) {
  if (path.empty()) throw OutputFileError("cannot write a file with an empty name");
  const std::string target = final_target(path);
  // A short temporary name beside the target: the rename stays on one file system, and a target
  // name of the maximum length still works.
  std::string temp = directory_of(target) + "/.ptosim-XXXXXX";
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) throw OutputFileError("cannot write " + path + ": " + std::strerror(errno));
  auto fail = [&](int error) {
    ::close(fd);
    ::unlink(temp.c_str());
    throw OutputFileError("cannot write " + path + ": " + std::strerror(error));
  };
  // Permissions of the file being replaced, or what a plain create would give.
  struct stat existing {};
  mode_t mode = 0;
  if (::stat(target.c_str(), &existing) == 0) {
    mode = existing.st_mode & 07777;
  } else {
    const mode_t mask = ::umask(0);
    ::umask(mask);
    mode = 0666 & ~mask;
  }
  if (::fchmod(fd, mode) != 0) fail(errno);
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) fail(n < 0 ? errno : EIO);
    written += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    throw OutputFileError("cannot write " + path + ": " + std::strerror(error));
  }
  if (std::rename(temp.c_str(), target.c_str()) != 0) {
    const int error = errno;
    ::unlink(temp.c_str());
    throw OutputFileError("cannot write " + path + ": " + std::strerror(error));
  }
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, "", "cannot open the file");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

Json parse_json_input(const std::string& text, const std::string& file, const std::string& hint) {
  const scenarios::JsonBoundsProblem bounds = scenarios::check_json_bounds(text);
  if (!bounds.ok()) throw InputError(file, bounds.pointer, bounds.problem);
  try {
    return Json::parse(text);
  } catch (const Json::exception& e) {  // parse_error, or out_of_range for 1e400
    throw InputError(file, "", "not valid JSON" + (hint.empty() ? "" : " (" + hint + ")") + ": " + e.what());
  }
}

runtime::StateSnapshot read_snapshot_file(const std::string& path) {
  const Json doc = parse_json_input(read_file(path), path);
  if (doc.is_object() && doc.contains("snapshot") && !doc.contains("format")) {
    return snapshot_from_reader(Reader(doc.at("snapshot"), "/snapshot", path));
  }
  return snapshot_from_reader(Reader(doc, "", path));
}

}  // namespace ptosim::replay
