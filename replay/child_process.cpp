#include "replay/child_process.h"

#include "replay/recording.h"
#include "replay/report_json.h"
#include "scenarios/json_guard.h"
#include "simcore/platform.h"
#include "simcore/sim_engine.h"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <exception>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ptosim::replay {

void write_all(int fd, const std::string& text) {
  std::size_t written = 0;
  while (written < text.size()) {
    const ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ::_exit(2);
    written += static_cast<std::size_t>(n);
  }
}

void become_child(pid_t parent) {
  // Die with the parent, and let the parent alone handle SIGINT/SIGTERM/SIGHUP (it kills us then):
  // the handler the parent installed at the start of main() is not the child's.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(3);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
  std::signal(SIGHUP, SIG_DFL);
}

std::string run_job(const scenarios::Scenario& scenario, const ChildJob& job, bool& threw) {
  threw = false;
  try {
    RunArtifacts artifacts;
    const bool want_log = job.log != ChildJob::Log::never;
    RunOptions options = job.options;
    options.keep = runtime::OutputPolicy{true, false, false};
    RunResult result = run_scenario(scenario, job.seed, options, want_log ? &artifacts : nullptr);
    result.timing.reset();  // children report outcomes, not breakdowns
    Json out;
    out["result"] = result_to_json(result, job.want_snapshot && result.outcome != simcore::Outcome::pass);
    if (job.log == ChildJob::Log::always || (job.log == ChildJob::Log::when_failing && is_failing(result))) {
      out["decisions"] = decisions_to_json(artifacts.decisions);
    }
    return json_text(out);
  } catch (const std::exception& e) {
    threw = true;
    RunResult failed;
    failed.seed = job.seed;
    failed.spec = job.options.strategy;
    failed.failure = e.what();
    return json_text(Json{{"result", result_to_json(failed, false)}});
  }
}

ChildOutput read_child_output(const std::string& text, std::uint64_t seed) {
  ChildOutput out;
  try {
    // A child that wrote garbage (a worker killed mid-write, memory gone bad) is bounded like
    // every JSON input before it is parsed.
    const scenarios::JsonBoundsProblem bounds = scenarios::check_json_bounds(text);
    if (!bounds.ok()) throw std::runtime_error("at " + bounds.pointer + ": " + bounds.problem);
    const Json doc = Json::parse(text);
    out.result = result_from_json(doc.at("result"));
    if (doc.contains("decisions")) out.decisions = decisions_from_json(doc.at("decisions"), "<child result>", "/decisions");
  } catch (const std::exception& e) {
    out.result = RunResult{};
    out.result.seed = seed;
    out.result.failure = "unreadable result from the child process running seed " + std::to_string(seed) + ": " + e.what();
  }
  return out;
}

std::string death_message(std::uint64_t seed, int status) {
  return "the child process running seed " + std::to_string(seed) + " died with signal " + std::to_string(WTERMSIG(status));
}

namespace {

// The child: runs the job, writes its result text and exits without running destructors (the
// parent owns every file and buffer it inherited).
[[noreturn]] void child_main(const scenarios::Scenario& scenario, const ChildJob& job, int fd, pid_t parent) {
  become_child(parent);
  simcore::Simulation::skip_teardown_at_exit();
  bool threw = false;
  const std::string text = run_job(scenario, job, threw);
  write_all(fd, text);
  ::close(fd);
  ::_exit(threw ? 1 : 0);
}

// Every child throws: SimGrid ends each actor by unwinding its stack with an exception. The first
// exception of a process binds the unwinder's symbols in libstdc++ and libgcc_s (lazily bound
// there, whatever the executable's -z now says) and sets up the unwinder; thrown once here, before
// the first fork, that work is inherited instead of repeated by every child.
void warm_up_exceptions() {
  try {
    throw std::runtime_error("warm-up");
  } catch (const std::runtime_error&) {
    const std::exception_ptr kept = std::current_exception();  // SimGrid keeps some as exception_ptr
    (void)kept;
  }
}

bool g_prepared_for_children = false;

}  // namespace

void prepare_for_children(const scenarios::Scenario& scenario) {
  // Runs at points of the uncertain region may need more hosts than the nominal platform.
  prepare_for_children(std::max(scenario.model.platform.clusters, scenario.max_clusters),
                       std::max(scenario.model.platform.scheduler_threads, scenario.max_scheduler_threads));
}

void prepare_for_children(int clusters, int scheduler_threads) {
  if (g_prepared_for_children) return;
  g_prepared_for_children = true;
  simcore::Simulation::prepare(simcore::Platform::host_names(clusters, scheduler_threads));
  warm_up_exceptions();
}

void fork_child(const scenarios::Scenario& scenario, Channel channel,
                const std::function<void(int fd, pid_t parent)>& body, pid_t& pid, int& fd) {
  prepare_for_children(scenario);
  int fds[2];
  const int made = channel == Channel::pipe ? ::pipe(fds) : ::socketpair(AF_UNIX, SOCK_STREAM, 0, fds);
  if (made != 0) throw std::runtime_error(std::string(channel == Channel::pipe ? "pipe" : "socketpair") + " failed: " + std::strerror(errno));
  std::cout.flush();
  std::fflush(nullptr);  // the child must not inherit (and later flush) buffered output
  const pid_t parent = ::getpid();
  pid = ::fork();
  if (pid < 0) {
    const int error = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    throw std::runtime_error(std::string("fork failed: ") + std::strerror(error));
  }
  if (pid == 0) {
    ::close(fds[0]);
    body(fds[1], parent);
    ::_exit(2);  // body returned, which it must not
  }
  ::close(fds[1]);
  fd = fds[0];
}

bool read_available(int fd, std::string& into) {
  char buffer[65536];
  const ssize_t n = ::read(fd, buffer, sizeof buffer);
  if (n < 0) return errno == EINTR || errno == EAGAIN;
  if (n == 0) return false;
  into.append(buffer, static_cast<std::size_t>(n));
  return true;
}

int close_and_reap(pid_t pid, int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return status;
}

void kill_and_reap(pid_t pid, int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
  ::kill(pid, SIGKILL);
  (void)close_and_reap(pid, fd);
}

ChildRun ChildRun::start(const scenarios::Scenario& scenario, const ChildJob& job) {
  ChildRun run;
  fork_child(scenario, Channel::pipe, [&](int fd, pid_t parent) { child_main(scenario, job, fd, parent); }, run.pid_,
             run.fd_);
  run.seed_ = job.seed;
  return run;
}

bool ChildRun::pump() { return read_available(fd_, output_); }

ChildOutput ChildRun::finish() {
  const int status = close_and_reap(pid_, fd_);
  if (WIFSIGNALED(status)) {
    ChildOutput out;
    out.result.seed = seed_;
    out.result.failure = death_message(seed_, status);
    return out;
  }
  return read_child_output(output_, seed_);
}

void ChildRun::kill() { kill_and_reap(pid_, fd_); }

ChildOutput run_in_child(const scenarios::Scenario& scenario, const ChildJob& job) {
  ChildRun child = ChildRun::start(scenario, job);
  while (child.pump()) {
  }
  return child.finish();
}

}  // namespace ptosim::replay
