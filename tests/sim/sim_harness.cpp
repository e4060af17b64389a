#include "sim_harness.h"

#include "replay/report_json.h"
#include "simcore/marks.h"

#include <catch2/catch.hpp>

#include <cerrno>
#include <cstdio>
#include <iostream>
#include <sys/wait.h>
#include <unistd.h>

namespace ptosim::testing {

Json in_child(const std::function<Json()>& body) {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  std::cout.flush();
  std::fflush(nullptr);  // the child must not inherit (and later flush) buffered output
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(fds[0]);
    std::string text;
    try {
      text = body().dump();
    } catch (const std::exception& e) {
      text = Json{{"error", e.what()}}.dump();
    }
    std::size_t written = 0;
    while (written < text.size()) {
      const ssize_t n = ::write(fds[1], text.data() + written, text.size() - written);
      if (n <= 0) ::_exit(3);
      written += static_cast<std::size_t>(n);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string output;
  char buffer[65536];
  while (true) {
    const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    output.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  return Json::parse(output);
}

scenarios::Scenario load(const std::string& text) { return scenarios::load_scenario_text(text, "test-scenario"); }

scenarios::Scenario load_catalog(const std::string& file_name) {
  return scenarios::load_scenario_file(std::string(PTOSIM_SOURCE_DIR) + "/scenarios/catalog/" + file_name);
}

Json summarize(const runtime::ModelOutput& output) {
  Json j;
  j["outcome"] = simcore::to_string(output.verdict.outcome);
  j["summary"] = output.verdict.summary;
  j["digest"] = output.digest;
  j["sim_time_ns"] = output.sim_time_ns;
  j["tasks_submitted"] = output.tasks_submitted;
  j["tasks_completed"] = output.tasks_completed;
  if (output.verdict.report) {
    j["code"] = static_cast<int>(output.verdict.report->code);
    j["detector"] = output.verdict.report->detector;
    j["actor"] = output.verdict.report->actor;
    j["message"] = output.verdict.report->message;
    j["sub_class"] = output.verdict.report->stall_sub_class;
  }
  if (output.verdict.snapshot) j["snapshot"] = replay::snapshot_to_json(*output.verdict.snapshot);
  j["wait_chain"] = output.verdict.wait_chain;
  Json events = Json::array();
  for (const simcore::Event& e : output.events) {
    events.push_back({static_cast<int>(e.kind), e.time_ns, e.subject, e.lane, e.detail});
  }
  j["events"] = events;
  Json tasks = Json::array();
  for (const runtime::TaskSummary& t : output.tasks) {
    Json fanin = Json::array();
    for (const runtime::FaninEdge& edge : t.fanin) fanin.push_back({edge.producer, edge.wait, edge.retain});
    tasks.push_back({{"ring", t.ring}, {"local", t.local_id}, {"fanin", fanin}});
  }
  j["tasks"] = tasks;
  return j;
}

Json run(const scenarios::Scenario& scenario, std::uint64_t seed) {
  return in_child([&] {
    simcore::reset_marks();  // the child counts the marks of its own run only
    Json j = summarize(runtime::simulate(scenario.model, seed, simcore::make_random_strategy(seed)));
    j["marks"] = simcore::marks_hit();
    return j;
  });
}

bool hit(const Json& result, const std::string& mark) {
  if (!result.contains("marks")) return false;
  for (const Json& name : result["marks"]) {
    if (name == mark) return true;
  }
  return false;
}

}  // namespace ptosim::testing
