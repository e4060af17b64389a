// Test helpers for the ptosim command line: run build/ptosim in a child process and collect its
// exit status, stdout and stderr; temporary directories and small file helpers.
#pragma once

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>
#include <vector>

namespace ptosim::testing {

using Json = nlohmann::json;
namespace fs = std::filesystem;

struct CliResult {
  int exit_code = -1;
  bool signaled = false;
  int signal = 0;
  std::string out;
  std::string err;
};

// Runs build/ptosim with `args`. A run that takes longer than `timeout_s` seconds is killed
// (SIGALRM), so a hang fails the test instead of stalling the suite.
CliResult cli(const std::vector<std::string>& args, unsigned timeout_s = 120);

std::string catalog(const std::string& name);

// A per-process temporary directory, removed at the end of the test.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

std::string read_file(const std::string& path);
void write_file(const std::string& path, const std::string& text);

}  // namespace ptosim::testing
