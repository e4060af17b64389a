#include "replay/child_process.h"

#include "replay/recording.h"
#include "replay/report_json.h"
#include "simcore/sim_engine.h"

#include <cerrno>
#include <csignal>
#include <exception>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <stdexcept>
#include <sys/prctl.h>
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
  // Die with the parent, and let the parent alone handle SIGINT/SIGTERM (it kills us then).
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(3);
  std::signal(SIGINT, SIG_DFL);
  std::signal(SIGTERM, SIG_DFL);
}

std::string run_job(const scenarios::Scenario& scenario, const ChildJob& job, bool& threw) {
  threw = false;
  try {
    RunArtifacts artifacts;
    const bool want_log = job.log != ChildJob::Log::never;
    RunResult result = run_scenario(scenario, job.seed, job.options, want_log ? &artifacts : nullptr);
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

}  // namespace

void prepare_for_children(const scenarios::Scenario& scenario) {
  static bool prepared = false;
  if (prepared) return;
  prepared = true;
  runtime::prepare_for_forked_runs(scenario.model);
  warm_up_exceptions();
}

ChildRun ChildRun::start(const scenarios::Scenario& scenario, const ChildJob& job) {
  prepare_for_children(scenario);
  int fds[2];
  if (::pipe(fds) != 0) throw std::runtime_error(std::string("pipe failed: ") + std::strerror(errno));
  std::cout.flush();
  std::fflush(nullptr);  // the child must not inherit (and later flush) buffered output
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0) {
    const int error = errno;
    ::close(fds[0]);
    ::close(fds[1]);
    throw std::runtime_error(std::string("fork failed: ") + std::strerror(error));
  }
  if (pid == 0) {
    ::close(fds[0]);
    child_main(scenario, job, fds[1], parent);
  }
  ::close(fds[1]);
  ChildRun run;
  run.pid_ = pid;
  run.fd_ = fds[0];
  run.seed_ = job.seed;
  return run;
}

bool ChildRun::pump() {
  char buffer[65536];
  const ssize_t n = ::read(fd_, buffer, sizeof buffer);
  if (n < 0) return errno == EINTR || errno == EAGAIN;
  if (n == 0) return false;
  output_.append(buffer, static_cast<std::size_t>(n));
  return true;
}

ChildOutput ChildRun::finish() {
  ::close(fd_);
  fd_ = -1;
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    ChildOutput out;
    out.result.seed = seed_;
    out.result.failure = death_message(seed_, status);
    return out;
  }
  return read_child_output(output_, seed_);
}

void ChildRun::kill() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  ::kill(pid_, SIGKILL);
  int status = 0;
  while (::waitpid(pid_, &status, 0) < 0 && errno == EINTR) {
  }
}

ChildOutput run_in_child(const scenarios::Scenario& scenario, const ChildJob& job) {
  ChildRun child = ChildRun::start(scenario, job);
  while (child.pump()) {
  }
  return child.finish();
}

}  // namespace ptosim::replay
