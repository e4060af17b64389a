// ptosim-fuzz: the built-in, seeded, deterministic mutation fuzzer (no clang needed).
//
// Input i of a campaign is a pure function of (--seed, i): a corpus file chosen and mutated with a
// generator derived from both, so any finding is reproduced by its index alone (--only i). Inputs
// run in-process in a worker child, through the real loader and recording reader
// (fuzz_targets.h); every --simulate-every'th accepted input is also simulated in a grandchild
// with short budgets. The parent watches the worker:
//   crash           the worker (or the simulating grandchild) died from a signal
//   hang            an input used more than --hang-seconds (default 10) of CPU time, or made no
//                   progress for six times that long (a blocked worker uses no CPU). CPU time,
//                   not wall time: on a shared machine a niced campaign may wait for a core.
//   internal error  an exception other than an input error escaped (the CLI's exit 1)
// and restarts it after the offending input. The last line printed is one JSON object:
//   {"executions": N, "crashes": C, "hangs": H, "internal_errors": E}
// and the exit code is 0 only when C = H = E = 0.
#include "tools/fuzz/fuzz_targets.h"

#include "replay/report_json.h"
#include "simcore/decision_source.h"
#include "simcore/hashing.h"

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <poll.h>
#include <sstream>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace {

using namespace ptosim;
using fuzz::Target;
using fuzz::Verdict;
using Json = nlohmann::ordered_json;

struct Options {
  std::uint64_t count = 1000;
  std::uint64_t seed = 1;
  std::uint64_t only = ~0ULL;  // run just this input index
  std::uint64_t simulate_every = 0;  // 0: never simulate
  int hang_seconds = 10;
  std::uint64_t seconds = 0;  // 0: no time budget; else stop starting inputs after this many wall seconds
  std::string planted;  // crash | hang | internal: plant a defect to test the classifier
  std::string target;   // scenario | recording | set | merge: only this surface (default: scenarios and recordings in turn)
  std::string save_dir;  // where findings are written
  std::vector<std::string> corpus_paths;
};

struct Corpus {
  std::vector<std::string> scenarios;
  std::vector<std::string> recordings;
  std::vector<std::string> merges;  // *.merge files: shard outputs separated by fuzz::MERGE_SEPARATOR
};

// ---------------------------------------------------------------------------------- mutation

const Json& interesting_value(simcore::StreamGenerator& rng) {
  static const std::vector<Json> values = [] {
    std::vector<Json> v = {-1, 0, 1, 2, 3, 4, 7, 8, 16, 64, 255, 256, 1024, 65536, 100000, 2147483647LL,
                           2147483648LL, 4294967296LL, 4294967297LL, 1099511627776LL, 9007199254740993LL,
                           9223372036854775807LL, -9223372036854775807LL - 1, 1.5, -0.0, nullptr, true, false,
                           Json::array(), Json::object(), Json::array({1, 2, 3, 4}), Json::array({1, 1})};
    v.push_back(Json(9223372036854775808ULL));
    v.push_back(Json(18446744073709551615ULL));
    for (const char* text : {"", "x", "\xff", "\xc3\xa9", "1/0", "k + 1", "{b}", "up{k-1}", "min(1, 2)", "cdiv(7, 0)",
                             "auto", "manual", "deferred", "submit", "legacy", "current", "aic", "aiv", "mix", "f32",
                             "wait", "wait_retain", "0..3", "9..2", "0x0", "random", "ptosim-recording",
                             "99999999999999999999", "a{1}{2}{3}{4}{5}{6}{7}{8}{9}{10}{11}{12}"}) {
      v.push_back(Json(text));
    }
    return v;
  }();
  return values[rng.next_in(0, values.size() - 1)];
}

const std::string& interesting_bytes(simcore::StreamGenerator& rng) {
  static const std::vector<std::string> tokens = {
      "1e400", "-1e400", "\xff", "\xc3", "\xe2\x82", "{", "}", "[", "]", "\"", "\\", ",", ":", "-", "0", "00",
      "99999999999999999999", "18446744073709551616", "4294967297", "null", "true", "\\u0000", "\\ud800",
      "{\"for\": \"q\", \"to\": 100000, \"body\": []}", "\"deps\": [\"x{1}\"]", "/", "~", " ", "\n", "\t"};
  return tokens[rng.next_in(0, tokens.size() - 1)];
}

void collect_nodes(Json& node, std::vector<Json*>& out) {
  out.push_back(&node);
  if (node.is_object() || node.is_array()) {
    for (auto& child : node) collect_nodes(child, out);
  }
}

void mutate_structure(Json& doc, simcore::StreamGenerator& rng) {
  std::vector<Json*> nodes;
  collect_nodes(doc, nodes);
  Json& target = *nodes[rng.next_in(0, nodes.size() - 1)];
  switch (rng.next_in(0, 5)) {
    case 0:
      if (target.is_object() && !target.empty()) {
        auto it = target.begin();
        std::advance(it, static_cast<std::ptrdiff_t>(rng.next_in(0, target.size() - 1)));
        target.erase(it.key());
        return;
      }
      break;
    case 1:
      if (target.is_object()) {
        static const char* keys[] = {"for", "if", "scope", "submit", "body", "deps", "args", "when", "name", "x",
                                     "limits", "detectors", "ring", "step", "from", "to", "view", "slice"};
        target[keys[rng.next_in(0, std::size(keys) - 1)]] = interesting_value(rng);
        return;
      }
      break;
    case 2:
      if (target.is_array() && !target.empty()) {
        const Json copy = target[rng.next_in(0, target.size() - 1)];
        target.push_back(copy);
        return;
      }
      break;
    case 3:
      if (target.is_number_integer()) {
        // Near the ends of the range the step wraps (unsigned arithmetic, defined): a signed
        // overflow here was undefined behaviour that UBSan stopped the campaign on.
        const std::uint64_t delta = rng.next_in(0, 4) - 2;  // -2..2, modulo 2^64
        target = static_cast<std::int64_t>(static_cast<std::uint64_t>(target.get<std::int64_t>()) + delta);
        return;
      }
      break;
    default: break;
  }
  target = interesting_value(rng);
}

void mutate_bytes(std::string& text, simcore::StreamGenerator& rng) {
  if (text.empty()) {
    text = interesting_bytes(rng);
    return;
  }
  const std::size_t pos = rng.next_in(0, text.size() - 1);
  switch (rng.next_in(0, 4)) {
    case 0: text[pos] = static_cast<char>(rng.next_in(0, 255)); break;
    case 1: text.insert(pos, interesting_bytes(rng)); break;
    case 2: text.erase(pos, rng.next_in(1, 16)); break;
    case 3: text.insert(pos, text.substr(pos, rng.next_in(1, 64))); break;
    default: text.resize(pos); break;
  }
}

// A recording is mostly a container: mutate its embedded scenario or its decision log and keep
// the hash consistent, so that mutations reach the loader and replay, not only the hash check.
bool mutate_recording(Json& doc, simcore::StreamGenerator& rng) {
  if (!doc.is_object() || !doc.contains("scenario") || !doc["scenario"].is_object()) return false;
  Json& scenario = doc["scenario"];
  const std::uint64_t how = rng.next_in(0, 2);
  if (how == 0 && scenario.contains("text") && scenario["text"].is_string()) {
    std::string text = scenario["text"].get<std::string>();
    Json inner = Json::parse(text, nullptr, false);
    if (!inner.is_discarded() && rng.next_in(0, 1) == 0) {
      mutate_structure(inner, rng);
      text = replay::json_text(inner, 2);
    } else {
      mutate_bytes(text, rng);
    }
    scenario["text"] = text;
    scenario["hash"] = replay::hex64(fnv1a64(text));
    return true;
  }
  // The decision log is a list of objects {"stream", "subject", "part", "n", "value"|"choice",
  // "lo", "hi"|"of", "default"} (replay/recording.cpp): change one field of one entry, drop an
  // entry, or repeat one, so replay meets values out of range, unknown streams and logs that end
  // early or run long.
  if (how == 1 && doc.contains("decisions") && doc["decisions"].is_array() && !doc["decisions"].empty()) {
    Json& entries = doc["decisions"];
    const std::size_t at = rng.next_in(0, entries.size() - 1);
    Json& entry = entries[at];
    switch (rng.next_in(0, 3)) {
      case 0:
        entries.erase(entries.begin() + static_cast<std::ptrdiff_t>(at));
        break;
      case 1:
        entries.insert(entries.begin() + static_cast<std::ptrdiff_t>(at), entry);
        break;
      default:
        if (entry.is_object() && !entry.empty()) {
          auto field = entry.begin();
          std::advance(field, static_cast<std::ptrdiff_t>(rng.next_in(0, entry.size() - 1)));
          field.value() = interesting_value(rng);
        } else {
          entry = interesting_value(rng);
        }
        break;
    }
    return true;
  }
  if (how == 2 && doc.contains("seed")) {
    doc["seed"] = interesting_value(rng);
    return true;
  }
  return false;
}

// A `--set PATH=VALUE` argument: a pointer into the base scenario (or next to it) and a value that
// is a plausible field, a piece of a catalogue scenario, deep nesting, a number beyond a double,
// or bytes; then byte mutations of the whole argument.
std::string make_set_input(const Corpus& corpus, simcore::StreamGenerator& rng) {
  static const char* const POINTERS[] = {"/platform/clusters", "/platform/scheduler_threads", "/platform", "/platform/kind",
                                         "/runtime", "/runtime/limits/max_events", "/kernels/fill/duration_ns",
                                         "/kernels/use", "/kernels/new", "/program/params/N", "/program/body/0",
                                         "/program/body/-", "/program/body/0/body/0/to", "/tensors/x/shape",
                                         "/tensors/x/shape/0", "/faults/-", "/expect/seeds", "/expect", "/name",
                                         "/nope/deeper", "/program/body/9", "/a~1b~0c", "/"};
  std::string pointer = POINTERS[rng.next_in(0, std::size(POINTERS) - 1)];
  std::string value;
  switch (rng.next_in(0, 5)) {
    case 0: {
      const std::size_t depth = rng.next_in(1, 20000);
      value = std::string(depth, '[') + std::string(depth, ']');
      break;
    }
    case 1: value = rng.next_in(0, 1) == 0 ? "1e400" : "-1e999"; break;
    case 2: {
      Json doc = Json::parse(corpus.scenarios.empty() ? std::string("{}") : corpus.scenarios[rng.next_in(0, corpus.scenarios.size() - 1)],
                             nullptr, false);
      value = doc.is_discarded() ? std::string("{}") : replay::json_text(doc.contains("program") ? doc["program"] : doc);
      break;
    }
    default: value = replay::json_text(interesting_value(rng)); break;
  }
  std::string text = pointer + "=" + value;
  if (rng.next_in(0, 1) == 0) mutate_bytes(text, rng);
  return text;
}

std::string mutate_document(std::string text, Target target, simcore::StreamGenerator& rng);

// The shards of one merge: one or two of them mutated (as JSON or as bytes), sometimes one
// dropped or repeated, so that merge meets counts that contradict, truncated blocks, and shards
// of different sweeps.
std::string make_merge_input(const Corpus& corpus, simcore::StreamGenerator& rng) {
  const std::string separator = fuzz::MERGE_SEPARATOR;
  std::vector<std::string> shards;
  const std::string& whole = corpus.merges[rng.next_in(0, corpus.merges.size() - 1)];
  for (std::size_t from = 0;;) {
    const std::size_t at = whole.find(separator, from);
    shards.push_back(whole.substr(from, at == std::string::npos ? std::string::npos : at - from));
    if (at == std::string::npos) break;
    from = at + separator.size();
  }
  switch (rng.next_in(0, 5)) {
    case 0: shards.pop_back(); break;
    case 1: shards.push_back(shards.front()); break;
    default: break;
  }
  if (shards.empty()) shards.push_back("{}");
  const std::uint64_t mutated = rng.next_in(1, 2);
  for (std::uint64_t m = 0; m < mutated; ++m) {
    std::string& shard = shards[rng.next_in(0, shards.size() - 1)];
    shard = mutate_document(shard, Target::merge, rng);
  }
  std::string text = shards.front();
  for (std::size_t i = 1; i < shards.size(); ++i) text += separator + shards[i];
  return text;
}

std::string make_input(const Corpus& corpus, Target target, std::uint64_t seed, std::uint64_t index) {
  simcore::StreamGenerator rng(seed, "input " + std::to_string(index));
  if (target == Target::set_value) return make_set_input(corpus, rng);
  if (target == Target::merge) return make_merge_input(corpus, rng);
  const auto& pool = target == Target::scenario ? corpus.scenarios : corpus.recordings;
  return mutate_document(pool[rng.next_in(0, pool.size() - 1)], target, rng);
}

std::string mutate_document(std::string text, Target target, simcore::StreamGenerator& rng) {
  const std::uint64_t mutations = rng.next_in(1, 4);
  for (std::uint64_t m = 0; m < mutations; ++m) {
    if (rng.next_in(0, 2) != 0) {
      Json doc = Json::parse(text, nullptr, false);
      if (!doc.is_discarded()) {
        if (target == Target::recording && rng.next_in(0, 3) != 0 && mutate_recording(doc, rng)) {
          text = replay::json_text(doc, 1);
          continue;
        }
        mutate_structure(doc, rng);
        text = replay::json_text(doc, 1);
        continue;
      }
    }
    mutate_bytes(text, rng);
  }
  return text;
}

// ---------------------------------------------------------------------------------- execution

enum Record : std::uint8_t { ACCEPTED = 0, REJECTED = 1, INTERNAL = 2, CRASHED = 3, HUNG = 4 };

struct Message {
  std::uint64_t index;
  std::uint8_t record;
};

Target target_of(const Options& options, const Corpus& corpus, std::uint64_t index) {
  if (options.target == "set") return Target::set_value;
  if (options.target == "merge") return Target::merge;
  if (options.target == "scenario" || corpus.recordings.empty()) return Target::scenario;
  if (options.target == "recording" || corpus.scenarios.empty()) return Target::recording;
  return index % 2 == 0 ? Target::scenario : Target::recording;
}

// Simulates in a grandchild; its death or its internal error is charged to this input.
std::uint8_t simulate_in_child(const fuzz::TargetResult& accepted, std::string& message) {
  int fds[2];
  if (::pipe(fds) != 0) return ACCEPTED;
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return ACCEPTED;
  if (pid == 0) {
    ::close(fds[0]);
    const std::string error = fuzz::simulate_accepted(accepted);
    if (!error.empty()) {
      (void)!::write(fds[1], error.data(), error.size());
      ::_exit(1);
    }
    ::_exit(0);
  }
  ::close(fds[1]);
  char buffer[4096];
  ssize_t n = 0;
  while ((n = ::read(fds[0], buffer, sizeof buffer)) > 0) message.append(buffer, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    message = "simulation died with signal " + std::to_string(WTERMSIG(status));
    return CRASHED;
  }
  return WIFEXITED(status) && WEXITSTATUS(status) == 1 ? INTERNAL : ACCEPTED;
}

void send(int fd, Message message) {
  const char* bytes = reinterpret_cast<const char*>(&message);
  std::size_t done = 0;
  while (done < sizeof message) {
    const ssize_t n = ::write(fd, bytes + done, sizeof message - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) ::_exit(3);
    done += static_cast<std::size_t>(n);
  }
}

[[noreturn]] void worker(const Options& options, const Corpus& corpus, std::uint64_t first, std::uint64_t end, int fd) {
  std::uint64_t accepted_count = 0;
  for (std::uint64_t i = first; i < end; ++i) {
    if (options.only != ~0ULL && i != options.only) continue;
    const Target target = target_of(options, corpus, i);
    const std::string input = make_input(corpus, target, options.seed, i);
    std::uint8_t record = REJECTED;
    std::string message;
    if (!options.planted.empty() && i % 50 == 7) {
      if (options.planted == "crash") std::abort();
      if (options.planted == "hang") {
        volatile std::uint64_t spin = 0;
        while (true) spin = spin + 1;  // burns CPU, as a runaway loop would
      }
      record = INTERNAL;
      message = "planted internal error";
    } else {
      const fuzz::TargetResult result = fuzz::run_target(target, input);
      record = result.verdict == Verdict::accepted ? ACCEPTED : result.verdict == Verdict::rejected ? REJECTED : INTERNAL;
      message = result.message;
      if (record == ACCEPTED && result.scenario && options.simulate_every > 0 && accepted_count++ % options.simulate_every == 0) {
        record = simulate_in_child(result, message);
      }
    }
    if (record == INTERNAL || record == CRASHED) {
      std::cerr << "ptosim-fuzz: input " << i << ": " << (record == INTERNAL ? "internal error" : "crash") << ": "
                << message << "\n";
    }
    send(fd, Message{i, record});
  }
  ::_exit(0);
}

void save_finding(const Options& options, const Corpus& corpus, std::uint64_t index, const char* kind) {
  std::cerr << "ptosim-fuzz: input " << index << ": " << kind << " (reproduce: --seed " << options.seed << " --only "
            << index << ")\n";
  if (options.save_dir.empty()) return;
  std::filesystem::create_directories(options.save_dir);
  const Target target = target_of(options, corpus, index);
  std::ofstream(options.save_dir + "/" + kind + "-" + std::to_string(index) + ".json", std::ios::binary)
      << make_input(corpus, target, options.seed, index);
}

// CPU seconds used so far by every live process of a process group (the worker and any
// simulation it started), from /proc.
double group_cpu_seconds(pid_t group) {
  double ticks = 0;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(entry.path() / "stat");
    std::string stat;
    std::getline(in, stat);
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream fields(stat.substr(close + 2));
    std::string field;
    long long pgrp = 0;
    long long utime = 0;
    long long stime = 0;
    // After the command: state(3) ppid(4) pgrp(5) ... utime(14) stime(15).
    for (int index = 3; index <= 15 && fields >> field; ++index) {
      if (index == 5) pgrp = std::atoll(field.c_str());
      if (index == 14) utime = std::atoll(field.c_str());
      if (index == 15) stime = std::atoll(field.c_str());
    }
    if (pgrp == group) ticks += static_cast<double>(utime + stime);
  }
  return ticks / static_cast<double>(::sysconf(_SC_CLK_TCK));
}

struct Counts {
  std::uint64_t executions = 0;
  std::uint64_t accepted = 0;
  std::uint64_t crashes = 0;
  std::uint64_t hangs = 0;
  std::uint64_t internal_errors = 0;
};

Counts campaign(const Options& options, const Corpus& corpus) {
  Counts counts;
  std::uint64_t next = options.only != ~0ULL ? options.only : 0;
  const std::uint64_t end = options.only != ~0ULL ? options.only + 1 : options.count;
  std::uint64_t reported = 0;
  // The time budget is checked between workers: a worker is told to stop by closing its pipe.
  const auto started = std::chrono::steady_clock::now();
  auto out_of_time = [&] {
    return options.seconds > 0 &&
           std::chrono::steady_clock::now() - started >= std::chrono::seconds(static_cast<std::int64_t>(options.seconds));
  };
  while (next < end && !out_of_time()) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("pipe failed");
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      ::setpgid(0, 0);  // its own group: a hang kills the worker and any simulation it started
      ::close(fds[0]);
      worker(options, corpus, next, end, fds[1]);
    }
    ::setpgid(pid, pid);
    ::close(fds[1]);
    std::string pending;
    std::uint64_t expected = next;  // the input the worker is on
    bool hung = false;
    int stalled_seconds = 0;   // whole seconds without an input finishing
    double cpu_mark = -1;      // the group's CPU time one second into the current input
    bool timed_out = false;
    while (true) {
      if (out_of_time()) {
        timed_out = true;
        ::kill(-pid, SIGKILL);  // the input it was on is not counted
        break;
      }
      pollfd poll_fd{fds[0], POLLIN, 0};
      const int ready = ::poll(&poll_fd, 1, 1000);
      if (ready < 0 && errno == EINTR) continue;
      if (ready == 0) {
        ++stalled_seconds;
        const double cpu = group_cpu_seconds(pid);
        if (cpu_mark < 0) cpu_mark = cpu;
        if (cpu - cpu_mark >= options.hang_seconds - 1 || stalled_seconds >= 6 * options.hang_seconds) {
          hung = true;
          ::kill(-pid, SIGKILL);
          break;
        }
        continue;
      }
      stalled_seconds = 0;
      cpu_mark = -1;
      char buffer[4096];
      const ssize_t n = ::read(fds[0], buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      pending.append(buffer, static_cast<std::size_t>(n));
      while (pending.size() >= sizeof(Message)) {
        Message message{};
        std::memcpy(&message, pending.data(), sizeof message);
        pending.erase(0, sizeof message);
        ++counts.executions;
        if (message.record == ACCEPTED) ++counts.accepted;
        if (message.record == INTERNAL) {
          ++counts.internal_errors;
          save_finding(options, corpus, message.index, "internal_error");
        }
        if (message.record == CRASHED) {
          ++counts.crashes;
          save_finding(options, corpus, message.index, "crash");
        }
        expected = message.index + 1;
      }
      if (counts.executions * 10 / std::max<std::uint64_t>(end, 1) > reported) {
        reported = counts.executions * 10 / std::max<std::uint64_t>(end, 1);
        std::cerr << "ptosim-fuzz: " << counts.executions << "/" << end << " inputs\n";
      }
    }
    ::close(fds[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (timed_out) break;
    if (hung) {
      ++counts.executions;
      ++counts.hangs;
      save_finding(options, corpus, expected, "hang");
      next = expected + 1;
    } else if (WIFSIGNALED(status) || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      ++counts.executions;
      ++counts.crashes;
      save_finding(options, corpus, expected, "crash");
      next = expected + 1;
    } else {
      next = end;
    }
    if (options.only != ~0ULL) break;
  }
  return counts;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

Corpus load_corpus(const std::vector<std::string>& paths) {
  std::vector<std::string> files;
  for (const std::string& path : paths) {
    if (std::filesystem::is_directory(path)) {
      for (const auto& entry : std::filesystem::directory_iterator(path)) {
        if (entry.path().extension() == ".json" || entry.path().extension() == ".merge") files.push_back(entry.path().string());
      }
    } else {
      files.push_back(path);
    }
  }
  std::sort(files.begin(), files.end());  // directory order is not deterministic
  Corpus corpus;
  for (const std::string& file : files) {
    const std::string text = read_text(file);
    if (std::filesystem::path(file).extension() == ".merge") {
      corpus.merges.push_back(text);
    } else if (text.find("\"ptosim-recording\"") != std::string::npos) {
      corpus.recordings.push_back(text);
    } else {
      corpus.scenarios.push_back(text);
    }
  }
  return corpus;
}

[[noreturn]] void usage(const std::string& problem) {
  std::cerr << "error: " << problem
            << "\nusage: ptosim-fuzz --count N [--seed S] [--only I] [--simulate-every K] [--hang-seconds S]\n"
               "                   [--save DIR] [--target scenario|recording|set] [--planted crash|hang|internal]\n"
               "                   CORPUS_FILE_OR_DIR...\n";
  std::exit(2);
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(arg + " needs a value");
      return argv[++i];
    };
    auto number = [&]() -> std::uint64_t {
      const std::string text = value();
      std::uint64_t out = 0;
      if (!scenarios::parse_u64(text, out)) usage(arg + ": expected a non-negative integer, found '" + text + "'");
      return out;
    };
    if (arg == "--count") {
      options.count = number();
    } else if (arg == "--seed") {
      options.seed = number();
    } else if (arg == "--only") {
      options.only = number();
    } else if (arg == "--simulate-every") {
      options.simulate_every = number();
    } else if (arg == "--hang-seconds") {
      options.hang_seconds = static_cast<int>(std::min<std::uint64_t>(number(), 3600));
    } else if (arg == "--seconds") {
      options.seconds = number();
    } else if (arg == "--save") {
      options.save_dir = value();
    } else if (arg == "--target") {
      options.target = value();
      if (options.target != "scenario" && options.target != "recording" && options.target != "set" &&
          options.target != "merge") {
        usage("--target: scenario, recording, set or merge");
      }
    } else if (arg == "--planted") {
      options.planted = value();
      if (options.planted != "crash" && options.planted != "hang" && options.planted != "internal") {
        usage("--planted: crash, hang or internal");
      }
    } else if (!arg.empty() && arg[0] == '-') {
      usage("unknown option " + arg);
    } else {
      options.corpus_paths.push_back(arg);
    }
  }
  if (options.corpus_paths.empty()) usage("no corpus given");
  if (options.hang_seconds < 1) options.hang_seconds = 1;
  const Corpus corpus = load_corpus(options.corpus_paths);
  if (corpus.scenarios.empty() && corpus.recordings.empty()) usage("the corpus is empty");
  if (options.target == "merge" && corpus.merges.empty()) usage("--target merge: no *.merge file in the corpus");
  std::cerr << "ptosim-fuzz: seed " << options.seed << ", " << options.count << " inputs, corpus of "
            << corpus.scenarios.size() << " scenarios, " << corpus.recordings.size() << " recordings and "
            << corpus.merges.size() << " merges\n";
  const Counts counts = campaign(options, corpus);
  std::cerr << "ptosim-fuzz: " << counts.accepted << " of " << counts.executions << " inputs were accepted\n";
  std::cout << "{\"executions\": " << counts.executions << ", \"crashes\": " << counts.crashes << ", \"hangs\": "
            << counts.hangs << ", \"internal_errors\": " << counts.internal_errors << "}" << std::endl;
  return counts.crashes + counts.hangs + counts.internal_errors == 0 ? 0 : 1;
}
