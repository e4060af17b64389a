#include "tools/progress.h"

#include <iostream>
#include <sstream>

namespace ptosim::cli {

volatile std::sig_atomic_t g_stop_signal = 0;

namespace {

// The first signal wins, as with the handler main() installs (tools/cli.h).
extern "C" void on_stop_signal(int signal_number) {
  if (g_stop_signal == 0) g_stop_signal = signal_number;
}

// "42 s", "3 min 5 s", "2 h 10 min": the time left, to the second.
std::string duration_text(double seconds) {
  const auto total = static_cast<std::uint64_t>(seconds + 0.5);
  std::ostringstream out;
  if (total >= 3600) {
    out << total / 3600 << " h " << (total % 3600) / 60 << " min";
  } else if (total >= 60) {
    out << total / 60 << " min " << total % 60 << " s";
  } else {
    out << total << " s";
  }
  return out.str();
}

}  // namespace

StopSignals::StopSignals() {
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;
  ::sigaction(SIGINT, &action, &old_int_);
  ::sigaction(SIGTERM, &action, &old_term_);
  ::sigaction(SIGHUP, &action, &old_hup_);
}

StopSignals::~StopSignals() {
  ::sigaction(SIGINT, &old_int_, nullptr);
  ::sigaction(SIGTERM, &old_term_, nullptr);
  ::sigaction(SIGHUP, &old_hup_, nullptr);
}

Progress::Progress(bool terminal, std::string what, std::string unit)
    : terminal_(terminal), what_(std::move(what)), unit_(std::move(unit)), start_(std::chrono::steady_clock::now()), last_(start_) {}

void Progress::update(std::uint64_t done, std::uint64_t total, std::uint64_t failing) {
  const auto now = std::chrono::steady_clock::now();
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0;
  std::ostringstream line;
  line << what_ << ": " << done << "/" << total << " " << unit_ << " done, " << failing << " failing";
  if (rate > 0 && done > 0) {
    line << ", " << static_cast<std::uint64_t>(rate) << " " << unit_ << "/s";
    if (done < total) line << ", about " << duration_text(static_cast<double>(total - done) / rate) << " left";
  }
  if (terminal_) {
    std::cerr << "\r" << line.str() << "\033[K" << std::flush;
    dirty_ = true;
    return;
  }
  if (now - last_ < std::chrono::seconds(5)) return;
  last_ = now;
  std::cerr << line.str() << "\n" << std::flush;
}

void Progress::finish() {
  if (dirty_) std::cerr << "\n";
  dirty_ = false;
}

double Progress::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

}  // namespace ptosim::cli
