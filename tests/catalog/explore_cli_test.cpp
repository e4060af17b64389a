// Exploration from the command line: strategies, shards and merge, JUnit, recordings of failing
// seeds, shrinking, --set, determinism checks, and what a sweep does when it is interrupted.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <regex>
#include <set>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

using Json = nlohmann::json;
namespace fs = std::filesystem;

namespace {

struct CliResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

void write_file(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

class TempDir {
 public:
  TempDir() : path_(fs::temp_directory_path() / ("ptosim-explore-" + std::to_string(::getpid()))) {
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() { fs::remove_all(path_); }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

// Starts build/ptosim in its own process group with stdout and stderr in files.
pid_t spawn(const std::vector<std::string>& args, const std::string& out_file, const std::string& err_file) {
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::setpgid(0, 0);
    FILE* out = std::freopen(out_file.c_str(), "w", stdout);
    FILE* err = std::freopen(err_file.c_str(), "w", stderr);
    (void)out;
    (void)err;
    std::vector<std::string> copy = args;
    std::string program = PTOSIM_CLI;
    std::vector<char*> argv{program.data()};
    for (std::string& a : copy) argv.push_back(a.data());
    argv.push_back(nullptr);
    ::execv(program.c_str(), argv.data());
    ::_exit(127);
  }
  ::setpgid(pid, pid);
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

CliResult cli(const std::vector<std::string>& args) {
  static int counter = 0;
  const std::string base = (fs::temp_directory_path() / ("ptosim-explore-io-" + std::to_string(::getpid()) + "-" +
                                                         std::to_string(counter++)))
                               .string();
  const pid_t pid = spawn(args, base + ".out", base + ".err");
  CliResult result;
  result.exit_code = wait_exit(pid);
  result.out = read_file(base + ".out");
  result.err = read_file(base + ".err");
  fs::remove(base + ".out");
  fs::remove(base + ".err");
  return result;
}

std::string catalog(const std::string& name) { return std::string(PTOSIM_SOURCE_DIR) + "/scenarios/catalog/" + name; }

// Splits a repro command into its words (they are plain words or single-quoted).
std::vector<std::string> words_of(const std::string& command) {
  std::vector<std::string> words;
  std::string word;
  bool quoted = false;
  bool any = false;
  for (std::size_t i = 0; i < command.size(); ++i) {
    const char c = command[i];
    if (c == '\'') {
      quoted = !quoted;
      any = true;
    } else if (c == '\\' && !quoted && i + 1 < command.size()) {
      word += command[++i];
    } else if (c == ' ' && !quoted) {
      if (any || !word.empty()) words.push_back(word);
      word.clear();
      any = false;
    } else {
      word += c;
    }
  }
  if (any || !word.empty()) words.push_back(word);
  return words;
}

std::set<std::uint64_t> failing_seeds(const Json& sweep) {
  std::set<std::uint64_t> seeds;
  for (const Json& entry : sweep["failing_seeds"]) seeds.insert(entry["seed"].get<std::uint64_t>());
  return seeds;
}

}  // namespace

TEST_CASE("a pct sweep reports the Wilson interval, the first failing seed and a repro command per failing seed",
          "[cli][explore]") {
  const std::string scenario = catalog("false_deadlock_deferred_publish.json");
  CliResult r = cli({"sweep", scenario, "--strategy", "pct", "--depth", "2", "--seeds", "0..99", "--jobs", "2", "--json"});
  REQUIRE(r.exit_code == 0);
  const Json j = Json::parse(r.out);
  CHECK(j["strategy"] == "pct");
  CHECK(j["strategy_params"]["depth"] == 2);
  CHECK(j["runs"] == 100);
  const std::uint64_t failing = j["failing"];
  REQUIRE(failing > 0);
  CHECK(j["failing_seeds"].size() == failing);
  const Json& rate = j["failure_rate"];
  CHECK(rate["value"].get<double>() == Approx(static_cast<double>(failing) / 100));
  CHECK(rate["wilson95"][0].get<double>() < rate["value"].get<double>());
  CHECK(rate["wilson95"][1].get<double>() > rate["value"].get<double>());
  CHECK(j["first_failing_seed"] == *failing_seeds(j).begin());
  for (const char* key : {"seeds", "scenario_hash", "tool_version"}) CHECK_FALSE(j[key].is_null());
  for (const Json& entry : j["failing_seeds"]) {
    const std::string repro = entry["repro"];
    CHECK_THAT(repro, Catch::Contains("--seed " + std::to_string(entry["seed"].get<std::uint64_t>()) +
                                      " --strategy pct --depth 2"));
  }
  // The repro command of one failing seed gives that seed's outcome and digest.
  const Json& first = j["failing_seeds"][0];
  std::vector<std::string> words = words_of(first["repro"]);
  REQUIRE(words.size() > 2);
  REQUIRE(words[1] == "run");
  words.erase(words.begin());
  words.push_back("--json");
  CliResult again = cli(words);
  const Json rerun = Json::parse(again.out);
  CHECK(rerun["outcome"] == first["outcome"]);
  CHECK(rerun["digest"] == first["digest"]);
}

TEST_CASE("two shards cover the range exactly once and merge judges them as one sweep", "[cli][explore]") {
  TempDir dir;
  const std::string scenario = catalog("false_deadlock_deferred_publish.json");
  const std::vector<std::string> common = {"sweep", scenario, "--strategy", "pct", "--depth", "2", "--seeds", "0..99", "--json"};
  auto with = [&](std::vector<std::string> extra) {
    std::vector<std::string> args = common;
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  };
  CliResult whole = cli(with({"--jobs", "2"}));
  CliResult one = cli(with({"--shard", "1/2", "--jobs", "1"}));
  CliResult two = cli(with({"--shard", "2/2", "--jobs", "2"}));
  REQUIRE(whole.exit_code == 0);
  REQUIRE(one.exit_code == 0);
  REQUIRE(two.exit_code == 0);
  const Json w = Json::parse(whole.out);
  const Json a = Json::parse(one.out);
  const Json b = Json::parse(two.out);
  CHECK(a["shard"] == "1/2");
  CHECK(a["expectations"]["judged"] == false);
  CHECK(a["runs"].get<int>() + b["runs"].get<int>() == 100);
  std::set<std::uint64_t> from_shards = failing_seeds(a);
  for (std::uint64_t seed : failing_seeds(b)) CHECK(from_shards.insert(seed).second);  // disjoint
  CHECK(from_shards == failing_seeds(w));
  for (std::uint64_t seed : failing_seeds(a)) CHECK(seed % 2 == 0);

  write_file(dir.file("a.json"), one.out);
  write_file(dir.file("b.json"), two.out);
  CliResult merged = cli({"merge", dir.file("a.json"), dir.file("b.json"), "--json"});
  REQUIRE(merged.exit_code == 0);
  Json m = Json::parse(merged.out);
  Json expected = w;
  for (const char* timing : {"jobs", "wall_seconds", "seeds_per_second"}) {
    m.erase(timing);
    expected.erase(timing);
  }
  CHECK(m == expected);
  CHECK(cli({"merge", dir.file("a.json")}).exit_code == 3);  // shard 2/2 missing
}

TEST_CASE("a sometimes-outcome one shard lacks fails that shard only when it is asked to judge", "[cli][explore]") {
  TempDir dir;
  const std::string scenario = catalog("false_deadlock_deferred_publish.json");
  CliResult whole = cli({"sweep", scenario, "--seeds", "0..9", "--json"});
  REQUIRE(whole.exit_code == 0);
  const std::set<std::uint64_t> failing = failing_seeds(Json::parse(whole.out));
  REQUIRE_FALSE(failing.empty());
  std::uint64_t passing_seed = 0;
  while (failing.count(passing_seed) == 1) ++passing_seed;
  REQUIRE(passing_seed < 10);
  std::vector<std::string> files;
  for (int shard = 1; shard <= 10; ++shard) {
    const std::string spec = std::to_string(shard) + "/10";
    CliResult r = cli({"sweep", scenario, "--seeds", "0..9", "--shard", spec, "--json"});
    CHECK(r.exit_code == 0);  // not judged
    files.push_back(dir.file("shard" + std::to_string(shard) + ".json"));
    write_file(files.back(), r.out);
  }
  const std::string lacking = std::to_string(passing_seed + 1) + "/10";
  CHECK(cli({"sweep", scenario, "--seeds", "0..9", "--shard", lacking, "--judge"}).exit_code == 5);
  std::vector<std::string> merge = {"merge"};
  merge.insert(merge.end(), files.begin(), files.end());
  CliResult merged = cli(merge);
  CHECK(merged.exit_code == 0);
  CHECK_THAT(merged.out, Catch::Contains("expectations: hold"));
}

TEST_CASE("sweep --junit validates as JUnit XML and sweep counts do not depend on --jobs", "[cli][explore]") {
  TempDir dir;
  const std::string scenario = catalog("false_deadlock_deferred_publish.json");
  CliResult one = cli({"sweep", scenario, "--seeds", "0..39", "--jobs", "1", "--json", "--junit", dir.file("j1.xml")});
  CliResult two = cli({"sweep", scenario, "--seeds", "0..39", "--jobs", "2", "--json", "--junit", dir.file("j2.xml")});
  REQUIRE(one.exit_code == 0);
  REQUIRE(two.exit_code == 0);
  Json a = Json::parse(one.out);
  Json b = Json::parse(two.out);
  for (const char* key : {"runs", "outcomes", "findings", "failed_runs", "failing", "failure_rate", "first_failing_seed",
                          "failing_seeds", "expectations"}) {
    INFO(key);
    CHECK(a[key] == b[key]);
  }
    // The same test cases and verdicts whatever the number of jobs; only timings differ.
  const std::regex times(" time=\"[0-9.]*\"");
  CHECK(std::regex_replace(read_file(dir.file("j1.xml")), times, "") == std::regex_replace(read_file(dir.file("j2.xml")), times, ""));
  const std::string xml = read_file(dir.file("j2.xml"));
  // The verdict's: 40 seeds and the expectations over all of them, no failure although seeds end
  // in deadlock_false (the expectations allow it); each seed's outcome is a property.
  REQUIRE(a["failing"].get<int>() > 0);
  CHECK_THAT(xml, Catch::Contains("tests=\"41\" failures=\"0\" errors=\"0\""));
  CHECK_THAT(xml, Catch::Contains("<property name=\"outcome\" value=\"deadlock_false\"/>"));
  CHECK_THAT(xml, Catch::Contains("<property name=\"repro\" value=\""));
  CHECK_THAT(xml, Catch::Contains("name=\"expectations\""));
  CHECK(xml.find("<failure") == std::string::npos);
  const std::string xmllint = PTOSIM_XMLLINT;
  if (xmllint.empty()) {
    WARN("xmllint not found at configure time: JUnit output checked by content only");
  } else {
    const std::string schema = std::string(PTOSIM_SOURCE_DIR) + "/tests/catalog/junit.xsd";
    const std::string command = xmllint + " --noout --schema " + schema + " " + dir.file("j2.xml") + " 2>/dev/null";
    CHECK(std::system(command.c_str()) == 0);
    // The check can fail: a test case without its required name attribute does not validate.
    std::string broken = xml;
    broken.replace(broken.find(" name=\"seed 0\""), 14, "");
    write_file(dir.file("broken.xml"), broken);
    const std::string broken_command = xmllint + " --noout --schema " + schema + " " + dir.file("broken.xml") + " 2>/dev/null";
    CHECK(std::system(broken_command.c_str()) != 0);
  }
}

TEST_CASE("sweep --record-failures writes a recording and a snapshot per failing seed, --stop-after stops early",
          "[cli][explore]") {
  TempDir dir;
  const std::string scenario = catalog("false_deadlock_deferred_publish.json");
  CliResult r = cli({"sweep", scenario, "--seeds", "0..19", "--jobs", "1", "--json", "--record-failures", dir.file("rec"),
                     "--stop-after", "2"});
  REQUIRE(r.exit_code == 0);
  const Json j = Json::parse(r.out);
  CHECK(j["stopped_early"] == true);
  CHECK(j["failing"] == 2);  // one job: exactly the first two failing seeds ran before the stop
  CHECK(j["recordings_written"] == 2);
  for (std::uint64_t seed : failing_seeds(j)) {
    const std::string rec = dir.file("rec/seed-" + std::to_string(seed) + ".recording.json");
    const std::string snap = dir.file("rec/seed-" + std::to_string(seed) + ".snapshot.json");
    REQUIRE(fs::exists(rec));
    REQUIRE(fs::exists(snap));
    const Json snapshot = Json::parse(read_file(snap));
    CHECK(snapshot["seed"] == seed);
    CHECK(snapshot["scenario_hash"] == j["scenario_hash"]);
    CliResult replayed = cli({"replay", rec, "--json"});
    CHECK(replayed.exit_code == 13);
    CHECK(Json::parse(replayed.out)["matches"] == true);
  }
}

TEST_CASE("shrink reduces a failing recording towards defaults and strict replay reproduces the result",
          "[cli][explore]") {
  TempDir dir;
  const std::string scenario = catalog("false_deadlock_deferred_publish.json");
  CliResult sweep = cli({"sweep", scenario, "--seeds", "0..19", "--json"});
  const std::set<std::uint64_t> failing = failing_seeds(Json::parse(sweep.out));
  REQUIRE_FALSE(failing.empty());
  const std::string rec = dir.file("fail.json");
  REQUIRE(cli({"run", scenario, "--seed", std::to_string(*failing.begin()), "--record", rec}).exit_code == 13);
  CliResult shrunk = cli({"shrink", rec, "-o", dir.file("small.json"), "--json"});
  REQUIRE(shrunk.exit_code == 0);
  const Json s = Json::parse(shrunk.out);
  CHECK(s["nondefault_after"].get<int>() < s["nondefault_before"].get<int>());
  CHECK(s["outcome"] == "deadlock_false");
  CHECK(s["verified"] == true);
  // The decisions that remain are listed (stream, subject, value against default), the same ones
  // the shrunk recording holds off their defaults.
  const Json& remaining = s["remaining_decisions"];
  REQUIRE(remaining.size() == s["nondefault_after"].get<std::size_t>());
  const Json small = Json::parse(read_file(dir.file("small.json")));
  for (const Json& entry : remaining) {
    const Json& recorded = small["decisions"][entry["index"].get<std::size_t>()];
    CHECK(entry["stream"] == recorded["stream"]);
    CHECK(entry["subject"] == recorded["subject"]);
    CHECK(entry["default"] == recorded["default"]);
    CHECK(recorded.value("value", recorded.value("choice", Json())) != recorded["default"]);
  }
  // In text, the remaining decisions are listed too; this failure needs none off its default, so
  // the list says so. A visibility race that needs one delayed commit lists that decision.
  CliResult text = cli({"shrink", rec, "-o", dir.file("small2.json")});
  REQUIRE(text.exit_code == 0);
  CHECK_THAT(text.out, Catch::Contains("remaining non-default decisions: none"));
  const std::string race_rec = dir.file("race.json");
  REQUIRE(cli({"run", catalog("store_load_race_rmsnorm_rope.json"), "--nominal", "--seed", "0", "--record", race_rec}).exit_code == 10);
  CliResult race = cli({"shrink", race_rec, "-o", dir.file("race_small.json")});
  REQUIRE(race.exit_code == 0);
  CHECK_THAT(race.out, Catch::Contains("remaining non-default decisions (index stream"));
  CHECK_THAT(race.out, Catch::Contains("(default "));
  CliResult replayed = cli({"replay", dir.file("small.json"), "--json"});
  CHECK(replayed.exit_code == 13);
  CHECK(Json::parse(replayed.out)["matches"] == true);
  // A passing recording has nothing to shrink.
  REQUIRE(cli({"run", catalog("paged_attention_flagship.json"), "--record", dir.file("pass.json")}).exit_code == 0);
  CHECK(cli({"shrink", dir.file("pass.json")}).exit_code == 3);
}

TEST_CASE("shrink keeps the decisions a failure needs", "[cli][explore]") {
  // The legacy idle-iteration limit fires only while a kernel runs longer than the idle limit
  // allows: the failure needs one long duration, which shrinking must keep.
  TempDir dir;
  const std::string file = dir.file("idle.json");
  write_file(file, R"({
    "format": 1, "name": "idle_limit", "description": "a kernel that sometimes runs long enough to trip the legacy idle limit",
    "platform": {"clusters": 2, "scheduler_threads": 2},
    "runtime": {"detectors": {"kind": "legacy", "scheduler_idle_limit": 1000}},
    "kernels": {"slow": {"core": "aic", "duration_ns": [1000, 250000]}, "quick": {"core": "aiv", "duration_ns": [500, 2000]}},
    "program": {"body": [
      {"submit": "quick", "name": "q1"},
      {"submit": "quick", "name": "q2"},
      {"submit": "slow", "name": "slow"},
      {"submit": "quick", "name": "after", "deps": ["slow"]}
    ]}
  })");
  CliResult sweep = cli({"sweep", file, "--seeds", "0..19", "--json"});
  const std::set<std::uint64_t> failing = failing_seeds(Json::parse(sweep.out));
  REQUIRE_FALSE(failing.empty());
  REQUIRE(failing.size() < 20);
  const std::string rec = dir.file("r.json");
  const int code = cli({"run", file, "--seed", std::to_string(*failing.begin()), "--record", rec}).exit_code;
  REQUIRE(code != 0);
  CliResult shrunk = cli({"shrink", rec, "-o", dir.file("small.json"), "--json"});
  REQUIRE(shrunk.exit_code == 0);
  const Json s = Json::parse(shrunk.out);
  CHECK(s["nondefault_after"].get<int>() >= 1);
  CHECK(s["nondefault_after"].get<int>() < s["nondefault_before"].get<int>());
  CHECK(s["runs"].get<int>() > 1);
  CHECK(cli({"replay", dir.file("small.json")}).exit_code == code);
}

TEST_CASE("run --set overrides a field, the recording keeps the overridden scenario", "[cli][explore]") {
  TempDir dir;
  const std::string scenario = catalog("paged_attention_flagship.json");
  CliResult r = cli({"run", scenario, "--set", "/platform/clusters=2", "--set", "/platform/scheduler_threads=1", "--json",
                     "--record", dir.file("r.json")});
  REQUIRE(r.exit_code == 0);
  const Json j = Json::parse(r.out);
  CHECK(j["overrides"].size() == 2);
  const Json plain = Json::parse(cli({"run", scenario, "--json"}).out);
  CHECK(j["scenario_hash"] != plain["scenario_hash"]);
  CHECK(j["digest"] != plain["digest"]);
  const Json rec = Json::parse(read_file(dir.file("r.json")));
  CHECK_THAT(rec["scenario"]["text"].get<std::string>(), Catch::Contains("\"clusters\": 2"));
  CliResult replayed = cli({"replay", dir.file("r.json"), "--json"});
  CHECK(replayed.exit_code == 0);
  CHECK(Json::parse(replayed.out)["matches"] == true);
  CHECK(cli({"run", scenario, "--set", "platform/clusters=2"}).exit_code == 2);
  CliResult missing = cli({"run", scenario, "--set", "/platform/nothing/x=2"});
  CHECK(missing.exit_code == 3);
  CHECK_THAT(missing.err, Catch::Contains("/platform/nothing"));
  CliResult invalid = cli({"check", scenario, "--set", "/platform/clusters=0"});
  CHECK(invalid.exit_code == 3);
  CHECK_THAT(invalid.err, Catch::Contains("/platform/clusters"));
}

TEST_CASE("run --check-determinism runs twice, replays, and keeps the outcome's exit code", "[cli][explore]") {
  CliResult r = cli({"run", catalog("false_deadlock_deferred_publish.json"), "--nominal", "--seed", "4", "--check-determinism"});
  CHECK(r.exit_code == 13);
  CHECK_THAT(r.out, Catch::Contains("deterministic: two runs in one engine and the strict replay"));
  CliResult j = cli({"run", catalog("paged_attention_flagship.json"), "--strategy", "pct", "--check-determinism", "--json"});
  CHECK(j.exit_code == 0);
  CHECK(Json::parse(j.out)["deterministic"] == true);
}

TEST_CASE("a sweep without --seeds sweeps the scenario's expect.seeds", "[cli][explore]") {
  CliResult r = cli({"sweep", catalog("auto_in_manual_rejected.json"), "--json"});
  CHECK(r.exit_code == 0);
  const Json j = Json::parse(r.out);
  CHECK(j["seeds"] == "0..49");
  CHECK(j["runs"] == 50);
  CHECK(j["jobs"].get<int>() >= 1);
}

TEST_CASE("SIGTERM stops every child, prints the partial summary and exits 143, with progress on stderr",
          "[cli][explore]") {
  TempDir dir;
  // Seeds of the 50,000-task benchmark take long enough to be interrupted mid-run.
  const std::string bench = std::string(PTOSIM_SOURCE_DIR) + "/scenarios/bench/chain_fanout_50k.json";
  const pid_t pid = spawn({"sweep", bench, "--seeds", "0..999", "--jobs", "2", "--json"}, dir.file("out"), dir.file("err"));
  // Long enough for one progress line: stderr is a file here, not a terminal (one every 5 s).
  ::usleep(6000 * 1000);
  REQUIRE(::kill(pid, SIGTERM) == 0);
  const int code = wait_exit(pid);
  CHECK(code == 143);
  // Nothing of the sweep's process group outlives it.
  ::usleep(100 * 1000);
  CHECK(::kill(-pid, 0) == -1);
  CHECK(errno == ESRCH);
  const Json j = Json::parse(read_file(dir.file("out")));
  CHECK(j["interrupted_by"] == SIGTERM);
  CHECK(j["runs"].get<int>() < 1000);
  CHECK(j["expectations"]["holds"] == false);
  const std::string err = read_file(dir.file("err"));
  CHECK_THAT(err, Catch::Contains("interrupted by signal 15"));
  CHECK_THAT(err, Catch::Contains("/1000 seeds done, "));
  CHECK(err.find('\r') == std::string::npos);  // no live line off a terminal
}

namespace {

// The pids of `pid`'s children, from /proc.
std::vector<pid_t> children_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/task/" + std::to_string(pid) + "/children");
  std::vector<pid_t> pids;
  for (pid_t child = 0; in >> child;) pids.push_back(child);
  return pids;
}

// CPU time a process has used, in clock ticks (utime + stime of /proc/PID/stat); -1 once it is gone.
long cpu_ticks(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const std::size_t end = text.rfind(')');  // the command name may hold spaces
  if (end == std::string::npos) return -1;
  std::istringstream fields(text.substr(end + 2));
  std::string field;
  long utime = 0;
  long stime = 0;
  for (int i = 3; i <= 15 && fields >> field; ++i) {
    if (i == 14) utime = std::stol(field);
    if (i == 15) stime = std::stol(field);
  }
  return utime + stime;
}

}  // namespace

TEST_CASE("a worker that dies fails the seed it was running and the sweep goes on with a new worker",
          "[cli][explore]") {
  TempDir dir;
  // A seed of the 65,792-task Case1 benchmark runs for about half a second: time to kill its
  // worker even on a loaded machine.
  const std::string bench = std::string(PTOSIM_SOURCE_DIR) + "/scenarios/bench/paged_attention_case1_auto.json";
  const pid_t pid = spawn({"sweep", bench, "--seeds", "0..2", "--jobs", "1", "--json", "--junit", dir.file("junit.xml")},
                          dir.file("out"), dir.file("err"));
  std::vector<pid_t> workers;
  for (int wait_ms = 0; workers.empty() && wait_ms < 20000; wait_ms += 10) {
    ::usleep(10 * 1000);
    workers = children_of(pid);
  }
  REQUIRE(workers.size() == 1);
  // Kill it while it runs seed 0, not while it waits for its first ticket (a worker that dies
  // between tickets hands its ticket back, and nothing fails): a worker uses CPU only on a run.
  for (int wait_ms = 0; cpu_ticks(workers[0]) >= 0 && cpu_ticks(workers[0]) < 5 && wait_ms < 20000; wait_ms += 5) {
    ::usleep(5 * 1000);
  }
  REQUIRE(::kill(workers[0], SIGKILL) == 0);
  const int code = wait_exit(pid);
  CHECK(code == 8);  // a run could not complete: not a pass, not a verdict (5)
  const Json j = Json::parse(read_file(dir.file("out")));
  CHECK(j["runs"] == 3);
  CHECK(j["failed_runs"] == 1);
  CHECK(j["outcomes"]["pass"] == 2);
  CHECK(j["error"]["kind"] == "runs_failed");
  CHECK(j["error"]["exit_code"] == 8);
  CHECK(j["error"]["seeds"] == Json::array({0}));
  const std::string text = j.dump();
  CHECK_THAT(text, Catch::Contains("the child process running seed 0 died with signal 9"));
  const std::string junit = read_file(dir.file("junit.xml"));
  CHECK_THAT(junit, Catch::Contains("errors=\"1\""));
  CHECK_THAT(junit, Catch::Contains("<error type=\"run_failed\""));
}

namespace {

// Starts a sweep of the Case1 benchmark with `extra` arguments and SIGKILLs its worker while it
// runs its first seed; returns the sweep's exit code.
int sweep_with_killed_worker(const std::vector<std::string>& extra, const std::string& out, const std::string& err) {
  const std::string bench = std::string(PTOSIM_SOURCE_DIR) + "/scenarios/bench/paged_attention_case1_auto.json";
  std::vector<std::string> args = {"sweep", bench, "--jobs", "1", "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  const pid_t pid = spawn(args, out, err);
  std::vector<pid_t> workers;
  for (int wait_ms = 0; workers.empty() && wait_ms < 20000; wait_ms += 10) {
    ::usleep(10 * 1000);
    workers = children_of(pid);
  }
  REQUIRE(workers.size() == 1);
  for (int wait_ms = 0; cpu_ticks(workers[0]) >= 0 && cpu_ticks(workers[0]) < 5 && wait_ms < 20000; wait_ms += 5) {
    ::usleep(5 * 1000);
  }
  REQUIRE(::kill(workers[0], SIGKILL) == 0);
  return wait_exit(pid);
}

}  // namespace

TEST_CASE("a killed worker in an unjudged shard exits 8, and a merge of that shard reports it", "[cli][explore]") {
  TempDir dir;
  // Shard 1/2 of 0..3 runs seeds 0 and 2; its worker dies on seed 0.
  const int code = sweep_with_killed_worker({"--seeds", "0..3", "--shard", "1/2"}, dir.file("s1.json"), dir.file("err"));
  CHECK(code == 8);
  const Json shard = Json::parse(read_file(dir.file("s1.json")));
  CHECK(shard["expectations"]["judged"] == false);
  CHECK(shard["failed_runs"] == 1);
  CHECK(shard["error"]["kind"] == "runs_failed");
  const std::string bench = std::string(PTOSIM_SOURCE_DIR) + "/scenarios/bench/paged_attention_case1_auto.json";
  CliResult other = cli({"sweep", bench, "--seeds", "0..3", "--shard", "2/2", "--jobs", "1", "--json"});
  REQUIRE(other.exit_code == 0);
  write_file(dir.file("s2.json"), other.out);
  CliResult merged = cli({"merge", dir.file("s1.json"), dir.file("s2.json"), "--json"});
  CHECK(merged.exit_code == 8);
  const Json m = Json::parse(merged.out);
  CHECK(m["failed_runs"] == 1);
  CHECK(m["runs"] == 4);
  CHECK(m["error"]["seeds"] == Json::array({0}));
  CliResult text = cli({"merge", dir.file("s1.json"), dir.file("s2.json")});
  CHECK(text.exit_code == 8);
  CHECK_THAT(text.out, Catch::Contains("error: 1 run could not complete"));
}

TEST_CASE("SIGINT to a running sweep: exit 130, the partial summary, no worker left", "[cli][explore]") {
  TempDir dir;
  const std::string bench = std::string(PTOSIM_SOURCE_DIR) + "/scenarios/bench/chain_fanout_50k.json";
  for (const bool json : {true, false}) {
    std::vector<std::string> args = {"sweep", bench, "--seeds", "0..999", "--jobs", "2"};
    if (json) args.push_back("--json");
    const pid_t pid = spawn(args, dir.file("out"), dir.file("err"));
    ::usleep(1500 * 1000);  // seeds are running (SimGrid's own SIGINT handler is installed by now)
    REQUIRE(::kill(pid, SIGINT) == 0);
    CHECK(wait_exit(pid) == 130);
    ::usleep(100 * 1000);
    CHECK(::kill(-pid, 0) == -1);
    const std::string out = read_file(dir.file("out"));
    if (json) {
      const Json j = Json::parse(out);
      CHECK(j["interrupted_by"] == SIGINT);
      CHECK(j["runs"].get<int>() < 1000);
    } else {
      CHECK_THAT(out, Catch::Contains("interrupted by signal 2 after"));
      CHECK_THAT(out, Catch::Contains("outcomes:"));
    }
  }
}

TEST_CASE("a sweep longer than a worker's run limit gives every seed one run, on either --jobs", "[cli][explore]") {
  // 1,100 seeds: the worker of --jobs 1 retires after 1,000 runs and a new one takes the rest.
  const std::string scenario = catalog("missing_war_kv_cache.json");
  CliResult one = cli({"sweep", scenario, "--seeds", "0..1099", "--jobs", "1", "--json"});
  CliResult two = cli({"sweep", scenario, "--seeds", "0..1099", "--jobs", "2", "--json"});
  const Json a = Json::parse(one.out);
  const Json b = Json::parse(two.out);
  CHECK(a["runs"] == 1100);
  CHECK(a["failed_runs"] == 0);
  CHECK(a["outcomes"] == b["outcomes"]);
  CHECK(a["findings"] == b["findings"]);
  CHECK(a["failing_seeds"] == b["failing_seeds"]);
  CHECK(a["outcomes"]["wrong_values"].get<int>() > 0);
}

TEST_CASE("JUnit judges every expected finding pattern, the 65th and later too", "[cli][explore]") {
  TempDir dir;
  // 69 patterns every seed matches, then a 70th none does: each seed's test case must fail on it
  // (a 64-bit mask per seed once dropped it, so the seeds passed while the suite failed).
  Json patterns = Json::array();
  for (int i = 0; i < 69; ++i) {
    patterns.push_back({{"kind", "race"}, {"hazard", "WAR"}, {"first", "gather"}, {"second", "writeback"}});
  }
  patterns.push_back({{"kind", "race"}, {"hazard", "RAW"}});
  const std::string junit = dir.file("patterns.xml");
  CliResult r = cli({"sweep", catalog("missing_war_kv_cache.json"), "--seeds", "0..3", "--jobs", "2", "--set",
                     "/expect/findings/always=" + patterns.dump(), "--junit", junit});
  CHECK(r.exit_code == 5);
  const std::string xml = read_file(junit);
  CHECK_THAT(xml, Catch::Contains("failures=\"5\""));  // four seeds and the suite's own case
  const std::regex seed_failure("<failure type=\"[a-z_]+\" message=\"finding race RAW not reported");
  CHECK(std::distance(std::sregex_iterator(xml.begin(), xml.end(), seed_failure), std::sregex_iterator()) == 4);
}
