#include "cli_harness.h"

#include <catch2/catch.hpp>

#include <csignal>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

namespace ptosim::testing {

namespace {

std::string read_all(int fd) {
  std::string text;
  char buffer[65536];
  ssize_t n = 0;
  while ((n = ::read(fd, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<std::size_t>(n));
  return text;
}

}  // namespace

// stderr goes to a temporary file to avoid pipe deadlocks.
CliResult cli(const std::vector<std::string>& args, unsigned timeout_s) {
  const fs::path err_file = fs::temp_directory_path() / ("ptosim-cli-err-" + std::to_string(::getpid()));
  int out_pipe[2];
  REQUIRE(::pipe(out_pipe) == 0);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::close(out_pipe[0]);
    ::dup2(out_pipe[1], 1);
    FILE* err = std::freopen(err_file.c_str(), "w", stderr);
    (void)err;
    std::vector<char*> argv;
    std::string program = PTOSIM_CLI;
    argv.push_back(program.data());
    std::vector<std::string> copy = args;
    for (std::string& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::alarm(timeout_s);  // survives exec: the default SIGALRM action ends a hanging ptosim
    ::execv(program.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  CliResult result;
  result.out = read_all(out_pipe[0]);
  ::close(out_pipe[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  result.signaled = WIFSIGNALED(status);
  result.signal = result.signaled ? WTERMSIG(status) : 0;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  std::ifstream err(err_file);
  std::stringstream buffer;
  buffer << err.rdbuf();
  result.err = buffer.str();
  fs::remove(err_file);
  return result;
}

std::string catalog(const std::string& name) { return std::string(PTOSIM_SOURCE_DIR) + "/scenarios/catalog/" + name; }

TempDir::TempDir() : path_(fs::temp_directory_path() / ("ptosim-cli-" + std::to_string(::getpid()))) {
  fs::remove_all(path_);
  fs::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  fs::remove_all(path_, ignored);
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void write_file(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

}  // namespace ptosim::testing
