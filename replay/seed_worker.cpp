#include "replay/seed_worker.h"

#include "simcore/sim_engine.h"

#include <cerrno>
#include <cstring>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace ptosim::replay {

namespace {

// A result frame: the text's length and whether the worker exits after it, then the text.
struct FrameHeader {
  std::uint64_t length = 0;
  std::uint64_t last = 0;
};

bool read_exact(int fd, void* data, std::size_t size) {
  auto* bytes = static_cast<char*>(data);
  std::size_t done = 0;
  while (done < size) {
    const ssize_t n = ::read(fd, bytes + done, size - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    done += static_cast<std::size_t>(n);
  }
  return true;
}

[[noreturn]] void worker_main(const scenarios::Scenario& scenario, ChildJob job, int fd, pid_t parent) {
  become_child(parent);
  simcore::Simulation::run_in_sequence();
  for (std::uint64_t runs = 1;; ++runs) {
    std::uint64_t seed = 0;
    if (!read_exact(fd, &seed, sizeof seed)) ::_exit(0);  // no more seeds
    job.seed = seed;
    bool threw = false;
    const std::string text = run_job(scenario, job, threw);
    // After an exception the engine may hold a half-ended run: a fresh worker takes over.
    const bool last = threw || runs >= SEED_WORKER_MAX_RUNS ||
                      !simcore::Simulation::room_for_run(scenario.model.limits.max_sim_time_ns);
    const FrameHeader header{text.size(), last ? 1U : 0U};
    std::string frame(reinterpret_cast<const char*>(&header), sizeof header);
    frame += text;
    write_all(fd, frame);
    if (last) ::_exit(0);
  }
}

}  // namespace

SeedWorker SeedWorker::start(const scenarios::Scenario& scenario, const ChildJob& job) {
  SeedWorker worker;
  fork_child(scenario, Channel::socket, [&](int fd, pid_t parent) { worker_main(scenario, job, fd, parent); },
             worker.pid_, worker.fd_);
  return worker;
}

bool SeedWorker::assign(std::uint64_t seed) {
  if (::send(fd_, &seed, sizeof seed, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof seed)) {
    retiring_ = true;  // gone between two seeds: its end of file follows, with no seed to fail
    return false;
  }
  running_ = true;
  seed_ = seed;
  return true;
}

void SeedWorker::close_input() {
  retiring_ = true;
  ::shutdown(fd_, SHUT_WR);
}

bool SeedWorker::pump() { return read_available(fd_, input_); }

std::optional<ChildOutput> SeedWorker::take_output() {
  FrameHeader header;
  if (!running_ || input_.size() < sizeof header) return std::nullopt;
  std::memcpy(&header, input_.data(), sizeof header);
  if (input_.size() - sizeof header < header.length) return std::nullopt;
  ChildOutput output = read_child_output(input_.substr(sizeof header, header.length), seed_);
  input_.erase(0, sizeof header + header.length);
  running_ = false;
  if (header.last != 0) retiring_ = true;
  return output;
}

std::optional<ChildOutput> SeedWorker::finish() {
  const int status = close_and_reap(pid_, fd_);
  if (!running_) return std::nullopt;
  ChildOutput out;
  out.result.seed = seed_;
  out.result.failure = WIFSIGNALED(status) ? death_message(seed_, status)
                                           : "the worker process running seed " + std::to_string(seed_) +
                                                 " exited without its result";
  return out;
}

void SeedWorker::kill() { kill_and_reap(pid_, fd_); }

std::vector<ChildOutput> run_in_worker(const scenarios::Scenario& scenario, const ChildJob& job,
                                       const std::vector<std::uint64_t>& seeds) {
  SeedWorker worker = SeedWorker::start(scenario, job);
  std::vector<ChildOutput> outputs;
  for (std::uint64_t seed : seeds) {
    if (!worker.ready()) break;  // retired
    if (!worker.assign(seed)) break;  // died between two seeds
    std::optional<ChildOutput> output;
    bool open = true;
    while (!output && open) {
      open = worker.pump();
      output = worker.take_output();
    }
    if (!output) {
      outputs.push_back(std::move(*worker.finish()));  // died while running `seed`
      return outputs;
    }
    outputs.push_back(std::move(*output));
  }
  if (worker.ready()) worker.close_input();
  while (worker.pump()) {
  }
  (void)worker.finish();
  return outputs;
}

}  // namespace ptosim::replay
