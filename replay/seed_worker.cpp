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

// What the parent sends for each run: the cell and the seed.
struct TicketFrame {
  std::uint64_t cell = 0;
  std::uint64_t seed = 0;
};

[[noreturn]] void worker_main(const PlanContext& context, int fd, pid_t parent) {
  become_child(parent);
  simcore::Simulation::run_in_sequence();
  for (std::uint64_t runs = 1;; ++runs) {
    TicketFrame ticket;
    if (!read_exact(fd, &ticket, sizeof ticket)) ::_exit(0);  // no more tickets
    if (ticket.cell >= context.cells()) ::_exit(4);  // the parent asked for a cell the plan lacks
    const auto cell = static_cast<std::uint32_t>(ticket.cell);
    ChildJob job = context.job(cell);
    job.seed = ticket.seed;
    bool threw = false;
    const std::string text = run_job(context.scenario(cell), job, threw);
    // After an exception the engine may hold a half-ended run: a fresh worker takes over.
    const bool last = threw || runs >= SEED_WORKER_MAX_RUNS || !simcore::Simulation::room_for_run(context.max_sim_time_ns());
    const FrameHeader header{text.size(), last ? 1U : 0U};
    std::string frame(reinterpret_cast<const char*>(&header), sizeof header);
    frame += text;
    write_all(fd, frame);
    if (last) ::_exit(0);
  }
}

}  // namespace

SeedWorker SeedWorker::start(const PlanContext& context) {
  SeedWorker worker;
  context.prepare();
  fork_child(context.scenario(0), Channel::socket, [&](int fd, pid_t parent) { worker_main(context, fd, parent); },
             worker.pid_, worker.fd_);
  return worker;
}

bool SeedWorker::assign(const Ticket& ticket) {
  const TicketFrame frame{ticket.cell, ticket.seed};
  if (::send(fd_, &frame, sizeof frame, MSG_NOSIGNAL) != static_cast<ssize_t>(sizeof frame)) {
    retiring_ = true;  // gone between two tickets: its end of file follows, with no seed to fail
    return false;
  }
  running_ = true;
  ticket_ = ticket;
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
  ChildOutput output = read_child_output(input_.substr(sizeof header, header.length), ticket_.seed);
  input_.erase(0, sizeof header + header.length);
  running_ = false;
  if (header.last != 0) retiring_ = true;
  return output;
}

std::optional<ChildOutput> SeedWorker::finish() {
  const int status = close_and_reap(pid_, fd_);
  if (!running_) return std::nullopt;
  ChildOutput out;
  out.result.seed = ticket_.seed;
  out.result.failure = WIFSIGNALED(status) ? death_message(ticket_.seed, status)
                                           : "the worker process running seed " + std::to_string(ticket_.seed) +
                                                 " exited without its result";
  return out;
}

void SeedWorker::kill() { kill_and_reap(pid_, fd_); }

std::vector<ChildOutput> run_in_worker(const scenarios::Scenario& scenario, const ChildJob& job,
                                       const std::vector<std::uint64_t>& seeds) {
  const PlanContext context(scenario, job);
  SeedWorker worker = SeedWorker::start(context);
  std::vector<ChildOutput> outputs;
  for (std::uint64_t seed : seeds) {
    if (!worker.ready()) break;  // retired
    if (!worker.assign(Ticket{0, seed})) break;  // died between two seeds
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
