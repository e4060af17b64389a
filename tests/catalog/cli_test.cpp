// The ptosim command line end to end: determinism, record/replay, errors and exit codes, outputs.
#include "cli_harness.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <set>

using namespace ptosim::testing;

TEST_CASE("run --json prints one object with the documented fields", "[cli]") {
  CliResult r = cli({"run", catalog("contended_fanout.json"), "--seed", "7", "--json"});
  REQUIRE(r.exit_code == 0);
  Json j = Json::parse(r.out);
  for (const char* key : {"seed", "outcome", "digest", "sim_time_ns", "tasks", "events"}) CHECK(j.contains(key));
  CHECK(j["seed"] == 7);
  CHECK(j["outcome"] == "pass");
  CHECK(r.out.rfind("{\n  \"seed\": 7,", 0) == 0);  // the seed comes first
}

TEST_CASE("the same seed twice prints identical digests, seeds 0..19 differ", "[cli]") {
  const std::string scenario = catalog("contended_fanout.json");
  Json a = Json::parse(cli({"run", scenario, "--seed", "7", "--json"}).out);
  Json b = Json::parse(cli({"run", scenario, "--seed", "7", "--json"}).out);
  CHECK(a["digest"] == b["digest"]);
  std::set<std::string> digests;
  for (int seed = 0; seed < 20; ++seed) {
    digests.insert(Json::parse(cli({"run", scenario, "--seed", std::to_string(seed), "--json"}).out)["digest"]);
  }
  CHECK(digests.size() >= 2);
}

TEST_CASE("human output prints the seed first", "[cli]") {
  CliResult r = cli({"run", catalog("paged_attention_flagship.json"), "--seed", "3"});
  REQUIRE(r.exit_code == 0);
  CHECK(r.out.rfind("seed 3\n", 0) == 0);
  CHECK_THAT(r.out, Catch::Contains("outcome pass"));
  CHECK_THAT(r.out, Catch::Contains("digest 0x"));
}

TEST_CASE("run --record then replay reproduces the digest", "[cli]") {
  TempDir dir;
  const std::string rec = dir.file("r.json");
  CliResult run = cli({"run", catalog("false_deadlock_deferred_publish.json"), "--nominal", "--seed", "4", "--json", "--record", rec});
  Json recorded = Json::parse(run.out);
  CliResult replayed = cli({"replay", rec, "--json"});
  CHECK(replayed.exit_code == run.exit_code);
  Json j = Json::parse(replayed.out);
  CHECK(j["digest"] == recorded["digest"]);
  CHECK(j["matches"] == true);
  CHECK(cli({"replay", rec}).out.find("replay matches the recording") != std::string::npos);
}

TEST_CASE("corrupted recordings are clear errors, never crashes", "[cli]") {
  TempDir dir;
  const std::string rec = dir.file("r.json");
  REQUIRE(cli({"run", catalog("contended_fanout.json"), "--seed", "2", "--record", rec}).exit_code == 0);
  const std::string good = read_file(rec);

  SECTION("truncated file") {
    write_file(rec, good.substr(0, good.size() / 3));
    CliResult r = cli({"replay", rec});
    CHECK(r.exit_code == 3);
    CHECK_FALSE(r.signaled);
    CHECK_THAT(r.err, Catch::Contains(rec));
    CHECK_THAT(r.err, Catch::Contains("not valid JSON"));
  }
  SECTION("edited scenario text") {
    std::string edited = good;
    edited.replace(edited.find("\\\"ROUNDS\\\": 6"), 13, "\\\"ROUNDS\\\": 5");
    write_file(rec, edited);
    CliResult r = cli({"replay", rec});
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Catch::Contains("/scenario/text"));
  }
  SECTION("a changed kernel duration: strict replay exits 4, lenient replay runs it") {
    // Change one recorded kernel duration to another value inside its range.
    Json doc = Json::parse(good);
    bool changed = false;
    for (Json& entry : doc["decisions"]) {
      if (entry["stream"] != "kernel.duration") continue;
      entry["value"] = entry["value"] == entry["lo"] ? entry["hi"] : entry["lo"];
      changed = true;
      break;
    }
    REQUIRE(changed);
    write_file(rec, doc.dump());
    CliResult r = cli({"replay", rec});
    CHECK(r.exit_code == 4);
    CHECK((r.err.find("diverged") != std::string::npos || r.err.find("mismatch") != std::string::npos));
    CliResult lenient = cli({"replay", rec, "--lenient", "--json"});
    CHECK(lenient.exit_code == 0);
    CHECK(Json::parse(lenient.out)["strategy"] == "replay-lenient");
  }
  SECTION("a decision list cut in half: strict replay exits 4, lenient replay runs it") {
    Json doc = Json::parse(good);
    Json& decisions = doc["decisions"];
    REQUIRE(decisions.size() > 4);
    decisions.erase(decisions.begin() + static_cast<std::ptrdiff_t>(decisions.size() / 2), decisions.end());
    write_file(rec, doc.dump());
    CliResult r = cli({"replay", rec});
    CHECK(r.exit_code == 4);
    CHECK_THAT(r.err, Catch::Contains("end of the recorded log"));
    CliResult lenient = cli({"replay", rec, "--lenient"});
    CHECK(lenient.exit_code == 0);
    CHECK_THAT(lenient.out, Catch::Contains("lenient replay"));
  }
  SECTION("an edited range of a logged decision is refused by strict replay") {
    Json doc = Json::parse(good);
    for (Json& entry : doc["decisions"]) {
      if (!entry.contains("hi")) continue;
      entry["hi"] = entry["hi"].get<std::uint64_t>() + 1;
      break;
    }
    write_file(rec, doc.dump());
    CHECK(cli({"replay", rec}).exit_code == 4);
  }
}

TEST_CASE("an invalid scenario prints the JSON pointer and exits 3", "[cli]") {
  TempDir dir;
  const std::string bad = dir.file("bad.json");
  std::string text = read_file(catalog("paged_attention_flagship.json"));
  text.replace(text.find("\"clusters\": 4"), 13, "\"clusters\": 0");
  write_file(bad, text);
  CliResult r = cli({"run", bad});
  CHECK(r.exit_code == 3);
  CHECK_FALSE(r.signaled);
  CHECK_THAT(r.err, Catch::Contains("/platform/clusters"));
  CHECK_THAT(r.err, Catch::Contains(bad));
  CHECK(cli({"run", dir.file("missing.json")}).exit_code == 3);
  // The publication switch is range-checked like every field: exit 3 naming its pointer.
  CliResult interval = cli({"run", catalog("watermark_publication_batched.json"), "--set", "/runtime/watermark_publish_interval=0"});
  CHECK(interval.exit_code == 3);
  CHECK_THAT(interval.err, Catch::Contains("/runtime/watermark_publish_interval"));
  CHECK_THAT(interval.err, Catch::Contains("[1, 65536]"));
  CHECK(cli({"sweep", bad, "--seeds", "0..3"}).exit_code == 3);
}

TEST_CASE("outcomes and usage errors have their documented exit codes", "[cli]") {
  CHECK(cli({"run", catalog("true_deadlock_scope_exceeds_window.json")}).exit_code == 12);
  CHECK(cli({"run", catalog("false_deadlock_deferred_publish.json"), "--nominal", "--seed", "4"}).exit_code == 13);
  CHECK(cli({"run", catalog("auto_in_manual_rejected.json")}).exit_code == 14);
  CHECK(cli({"run", "--bogus-flag"}).exit_code == 2);
  CHECK(cli({"sweep", catalog("contended_fanout.json"), "--seeds", "9..2"}).exit_code == 2);
  CliResult help = cli({"--help"});
  CHECK(help.exit_code == 0);
  CHECK_THAT(help.out, Catch::Contains("Exit codes"));
}

TEST_CASE("sweep --json lists outcome counts and failing seeds, expectations decide the exit code", "[cli]") {
  CliResult r = cli({"sweep", catalog("false_deadlock_deferred_publish.json"), "--seeds", "0..9", "--jobs", "2", "--json"});
  CHECK(r.exit_code == 0);
  Json j = Json::parse(r.out);
  CHECK(j["runs"] == 10);
  CHECK(j["outcomes"]["deadlock_false"].get<int>() + j["outcomes"]["pass"].get<int>() == 10);
  CHECK(j["failing_seeds"].size() == j["outcomes"]["deadlock_false"]);
  CHECK(j["expectations"]["holds"] == true);

  // The same workload with an expectation it cannot meet.
  TempDir dir;
  const std::string strict = dir.file("strict.json");
  std::string text = read_file(catalog("false_deadlock_deferred_publish.json"));
  const auto pos = text.find("\"expect\"");
  text = text.substr(0, pos) + "\"expect\": {\"seeds\": \"0..9\", \"always\": [\"pass\"]}\n}\n";
  write_file(strict, text);
  CliResult violated = cli({"sweep", strict, "--seeds", "0..9", "--jobs", "2"});
  CHECK(violated.exit_code == 5);
  CHECK_THAT(violated.out, Catch::Contains("VIOLATED"));
}

TEST_CASE("a false deadlock's snapshot shows the READY task the detector missed", "[cli]") {
  TempDir dir;
  const std::string snap = dir.file("s.json");
  CliResult r = cli({"run", catalog("false_deadlock_deferred_publish.json"), "--nominal", "--seed", "4", "--snapshot", snap});
  REQUIRE(r.exit_code == 13);
  CliResult text = cli({"inspect", snap});
  CHECK(text.exit_code == 0);
  CHECK_THAT(text.out, Catch::Contains("FATAL: Flow Control Deadlock - no progress after 100000 spins! ring=2"));
  const auto marker = text.out.find("<--- progress exists here");
  REQUIRE(marker != std::string::npos);
  const auto line = text.out.substr(text.out.rfind('\n', marker), marker - text.out.rfind('\n', marker));
  CHECK_THAT(line, Catch::Contains("READY (1)"));
  CHECK_THAT(line, Catch::Contains("2/2"));
  CliResult dot = cli({"inspect", snap, "--dot"});
  CHECK(dot.exit_code == 0);
  CHECK_THAT(dot.out, Catch::StartsWith("digraph"));
  CliResult json = cli({"inspect", snap, "--json"});
  CHECK(Json::parse(json.out)["error_code"] == 3);
  CHECK(cli({"inspect", dir.file("nothing.json")}).exit_code == 3);
}

TEST_CASE("sweep --snapshot-dir writes one snapshot per failing seed", "[cli]") {
  TempDir dir;
  CliResult r = cli({"sweep", catalog("false_deadlock_deferred_publish.json"), "--seeds", "0..9", "--jobs", "2", "--json",
                     "--snapshot-dir", dir.file("")});
  REQUIRE(r.exit_code == 0);
  Json j = Json::parse(r.out);
  REQUIRE_FALSE(j["failing_seeds"].empty());
  std::set<int> failing;
  for (const Json& entry : j["failing_seeds"]) failing.insert(entry["seed"].get<int>());
  for (int seed = 0; seed <= 9; ++seed) {
    INFO("seed " << seed);
    CHECK(fs::exists(dir.file("seed-" + std::to_string(seed) + ".snapshot.json")) == (failing.count(seed) == 1));
  }
}

TEST_CASE("run --trace writes Chrome trace JSON with a lane per core and AICPU thread", "[cli]") {
  TempDir dir;
  const std::string trace = dir.file("t.json");
  REQUIRE(cli({"run", catalog("paged_attention_flagship.json"), "--nominal", "--trace", trace}).exit_code == 0);
  Json j = Json::parse(read_file(trace));
  std::set<std::string> lanes;
  std::size_t kernels = 0;
  for (const Json& e : j["traceEvents"]) {
    if (e["name"] == "thread_name") lanes.insert(e["args"]["name"].get<std::string>());
    if (e["ph"] == "X" && e["pid"] == 2) ++kernels;
  }
  CHECK(lanes.size() == 4 * 3 + 3 + 1);  // 12 cores, 3 scheduler threads, the orchestrator
  CHECK(lanes.count("AICPU orchestrator") == 1);
  CHECK(kernels == 128);                  // every kernel task ran once (alloc tasks do not)
}

TEST_CASE("the trace of a micro-program run has pipe lanes, bursts, commits, flows and stale reads", "[cli]") {
  TempDir dir;
  const std::string trace = dir.file("t.json");
  // Seed 1 reads tail rows stale (wrong_values; the file's uncertain parameters are drawn per seed).
  REQUIRE(cli({"run", catalog("store_load_race_rmsnorm_rope.json"), "--seed", "1", "--trace", trace}).exit_code == 10);
  Json j = Json::parse(read_file(trace));
  std::set<std::string> lanes;
  std::size_t bursts = 0;
  std::size_t commits = 0;
  std::size_t stale = 0;
  std::set<std::string> flows;
  for (const Json& e : j["traceEvents"]) {
    const std::string name = e.value("name", "");
    if (name == "thread_name" && e["pid"].get<int>() >= 100) lanes.insert(e["args"]["name"].get<std::string>());
    if (e["ph"] == "X" && name.find(" burst ") != std::string::npos) ++bursts;
    if (e["ph"] == "i" && name == "commit") ++commits;
    if (e["ph"] == "i" && name.rfind("stale read", 0) == 0) ++stale;
    if (e["ph"] == "f") flows.insert(name);
  }
  for (const char* pipe : {"S", "V", "MTE2", "MTE3", "MTE3 bursts"}) CHECK(lanes.count(pipe) == 1);
  CHECK(bursts == 4 * 9 * 16);  // 4 blocks, 9 stores of 16 rows
  CHECK(commits == bursts);
  CHECK(stale >= 1);
  CHECK(flows == std::set<std::string>{"signal", "store -> commit -> load"});
}

TEST_CASE("the trace draws an arrow from a signal on one core to the wait it satisfied on another", "[cli]") {
  // One block_set -> block_wait per block, one notify -> signal_wait, one set_cross_core per AIV.
  const std::vector<std::pair<std::string, std::size_t>> cases = {
      {"spmd_blocks_ordered_exchange.json", 2}, {"notify_handoff_fenced.json", 1}, {"mix_handoff_fenced.json", 2}};
  for (const auto& [file, expected] : cases) {
    TempDir dir;
    const std::string trace = dir.file("t.json");
    REQUIRE(cli({"run", catalog(file), "--seed", "2", "--trace", trace}).exit_code == 0);
    std::size_t across = 0;
    std::map<std::int64_t, std::set<int>> pids;  // flow id -> the processes (cores) it joins
    const Json events = Json::parse(read_file(trace));
    for (const Json& e : events["traceEvents"]) {
      if (e.value("name", "") != "signal" || (e["ph"] != "s" && e["ph"] != "f")) continue;
      pids[e["id"].get<std::int64_t>()].insert(e["pid"].get<int>());
    }
    for (const auto& [id, cores] : pids) across += cores.size() == 2 ? 1 : 0;
    INFO(file);
    CHECK(across == expected);
  }
}

TEST_CASE("a hang from a fault lists the fault that fired, in text and JSON, and its trace leaves slices open", "[cli]") {
  TempDir dir;
  const std::string trace = dir.file("t.json");
  // Seed 8 wedges one core (the file's uncertain parameters are drawn per seed).
  CliResult r = cli({"run", catalog("store_load_race_rmsnorm_rope.json"), "--seed", "8", "--json", "--trace", trace});
  REQUIRE(r.exit_code == 11);
  Json j = Json::parse(r.out);
  REQUIRE(j["faults_fired"].size() == 1);
  CHECK(j["faults_fired"][0]["kind"] == "mte_hang");
  CHECK(j["faults_fired"][0]["statement"] == "/kernels/rmsnorm_rope/program/body/4");
  CHECK(j["faults_fired"][0]["time_ns"].get<std::int64_t>() > 0);
  CHECK_THAT(cli({"run", catalog("store_load_race_rmsnorm_rope.json"), "--seed", "8"}).out,
             Catch::Contains("faults fired:\n  - mte_hang on core"));
  std::size_t open = 0;
  const Json events = Json::parse(read_file(trace));
  for (const Json& e : events["traceEvents"]) {
    if (e["ph"] == "B" && e["name"].get<std::string>().find("never finished") != std::string::npos) ++open;
    if (e["ph"] == "B" && e["name"].get<std::string>().find("stopped for good") != std::string::npos) ++open;
  }
  CHECK(open == 2);  // the kernel on its core lane, the MTE2 pipe that wedged
}

TEST_CASE("an output that cannot be written is its own error and leaves nothing behind", "[cli]") {
  CliResult r = cli({"run", catalog("contended_fanout.json"), "--record", "/nonexistent-dir/r.json"});
  CHECK(r.exit_code == 6);
  CHECK_THAT(r.err, Catch::Contains("/nonexistent-dir/r.json"));
  CHECK_FALSE(fs::exists("/nonexistent-dir"));
}

TEST_CASE("an unwritable output still prints the result and exits 6", "[cli]") {
  CliResult r = cli({"run", catalog("false_deadlock_deferred_publish.json"), "--nominal", "--seed", "4", "--json", "--snapshot",
                     "/nonexistent-dir/s.json"});
  CHECK(r.exit_code == 6);
  Json j = Json::parse(r.out);
  CHECK(j["outcome"] == "deadlock_false");
  REQUIRE(j["output_errors"].size() == 1);
  CHECK_THAT(j["output_errors"][0].get<std::string>(), Catch::Contains("No such file or directory"));
}

TEST_CASE("with --json, errors are one JSON object on stdout too", "[cli]") {
  TempDir dir;
  const std::string bad = dir.file("bad.json");
  write_file(bad, "{\"format\": 1}");
  CliResult r = cli({"check", bad, "--json"});
  CHECK(r.exit_code == 3);
  Json j = Json::parse(r.out);
  CHECK(j["error"]["kind"] == "invalid_input");
  CHECK(j["error"]["exit_code"] == 3);
  CHECK_THAT(j["error"]["message"].get<std::string>(), Catch::Contains("missing required key 'name'"));
}

TEST_CASE("unknown commands and misplaced files get clear errors", "[cli]") {
  CliResult unknown = cli({"frob"});
  CHECK(unknown.exit_code == 2);
  CHECK_THAT(unknown.err, Catch::Contains("unknown command 'frob'"));
  CliResult directory = cli({"check", std::string(PTOSIM_SOURCE_DIR) + "/scenarios"});
  CHECK(directory.exit_code == 3);
  CHECK_THAT(directory.err, Catch::Contains("is a directory"));
  CliResult scenario_as_snapshot = cli({"inspect", catalog("contended_fanout.json")});
  CHECK(scenario_as_snapshot.exit_code == 3);
  CHECK_THAT(scenario_as_snapshot.err, Catch::Contains("not a ptosim snapshot"));
  TempDir dir;
  const std::string file = dir.file("not-a-dir");
  write_file(file, "x");
  CliResult snapshot_dir = cli({"sweep", catalog("contended_fanout.json"), "--seeds", "0..1", "--snapshot-dir", file});
  CHECK(snapshot_dir.exit_code == 6);
  CHECK_THAT(snapshot_dir.err, Catch::Contains("cannot use --snapshot-dir"));
}

TEST_CASE("check reports the program size and warns about scopes that can never fit", "[cli]") {
  CliResult r = cli({"check", catalog("true_deadlock_scope_exceeds_window.json"), "--json"});
  CHECK(r.exit_code == 0);
  Json j = Json::parse(r.out);
  CHECK(j["tasks"] == 40);
  REQUIRE(j["warnings"].size() == 1);
  CHECK_THAT(j["warnings"][0].get<std::string>(), Catch::Contains("SCOPE_DEADLOCK is certain"));
  // As written (--nominal): a window of 16, 15 tasks in flight.
  CliResult run = cli({"run", catalog("true_deadlock_scope_exceeds_window.json"), "--nominal", "--json"});
  Json result = Json::parse(run.out);
  CHECK(result["tasks"] == 40);
  CHECK(result["tasks_submitted"] == 15);
}

TEST_CASE("a true deadlock's snapshot carries the verdict and draws the cycle", "[cli]") {
  TempDir dir;
  const std::string snap = dir.file("s.json");
  REQUIRE(cli({"run", catalog("true_deadlock_scope_exceeds_window.json"), "--snapshot", snap}).exit_code == 12);
  CliResult text = cli({"inspect", snap});
  CHECK_THAT(text.out, Catch::Contains("verdict: deadlock_true"));
  CHECK(text.out.find("progress exists here") == std::string::npos);
  CliResult dot = cli({"inspect", snap, "--dot"});
  CHECK_THAT(dot.out, Catch::Contains("waits for reclaim"));
  CHECK_THAT(dot.out, Catch::Contains("scope bit held"));
  CHECK_THAT(dot.out, Catch::Contains("ends after the wait"));
}

TEST_CASE("a2a3sim: the same seed twice gives the same digest, and a recording replays to it", "[cli][a2a3sim]") {
  TempDir dir;
  for (const char* file : {"false_deadlock_a2a3sim.json", "false_deadlock_a2a3sim_enough_cpus.json",
                           "false_deadlock_a2a3sim_current_detectors.json"}) {
    INFO(file);
    // Seed 4 of false_deadlock_a2a3sim as written (--nominal: no uncertain parameter drawn) is a
    // false deadlock: the replay goes through the firing and the deadlock-truth continuation on
    // the shared host.
    const std::string rec = dir.file("r.json");
    CliResult first = cli({"run", catalog(file), "--nominal", "--seed", "4", "--json", "--record", rec});
    CliResult second = cli({"run", catalog(file), "--nominal", "--seed", "4", "--json"});
    REQUIRE_FALSE(first.signaled);
    const Json a = Json::parse(first.out);
    const Json b = Json::parse(second.out);
    CHECK(a["digest"] == b["digest"]);
    CHECK(a["outcome"] == b["outcome"]);
    CliResult replayed = cli({"replay", rec, "--json"});
    CHECK(replayed.exit_code == first.exit_code);
    const Json r = Json::parse(replayed.out);
    CHECK(r["digest"] == a["digest"]);
    CHECK(r["matches"] == true);
  }
  CHECK(Json::parse(cli({"run", catalog("false_deadlock_a2a3sim.json"), "--nominal", "--seed", "4", "--json"}).out)["outcome"] ==
        "deadlock_false");
}
