// What a long command shows while it runs and how it stops: progress on stderr with an estimate
// of the time left (sweep, map, worker), and SIGINT/SIGTERM turned into a flag the executor polls.
#pragma once

#include <chrono>
#include <csignal>
#include <cstdint>
#include <string>

namespace ptosim::cli {

// Set by the SIGINT/SIGTERM handler StopSignals installs: the signal number, 0 until then.
extern volatile std::sig_atomic_t g_stop_signal;

// SIGINT/SIGTERM/SIGHUP set g_stop_signal while an object lives; without SA_RESTART, poll() returns at
// once.
class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_term_ {};
  struct sigaction old_hup_ {};
};

// Progress on stderr: a live line on a terminal, a line every few seconds otherwise (CI logs),
// with runs per second and the time left at that rate.
class Progress {
 public:
  // `what`: the command ("sweep", "map"); `unit`: what is counted ("seeds", "runs").
  Progress(bool terminal, std::string what, std::string unit);

  void update(std::uint64_t done, std::uint64_t total, std::uint64_t failing);
  void finish();
  double elapsed_seconds() const;

 private:
  bool terminal_;
  std::string what_;
  std::string unit_;
  bool dirty_ = false;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_;
};

}  // namespace ptosim::cli
