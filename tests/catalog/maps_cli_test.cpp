// Sweeps over what we do not know, from the command line: uncertain parameters and their draws,
// failure maps over one or two parameters, the rate vocabulary (failure_rate against
// outcome_failure_rate, --stop-on), plans run by `ptosim worker`, and merge over shards and
// worker outputs.
#include "cli_harness.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <sys/wait.h>

using namespace ptosim::testing;

namespace {

// A sweep's or a map cell's counts without what depends on the machine.
Json counts_of(Json sweep) {
  for (const char* key : {"jobs", "wall_seconds", "seeds_per_second", "program", "shard", "expectations"}) sweep.erase(key);
  return sweep;
}

}  // namespace

TEST_CASE("merge judges shards by every expectation the scenario has (findings, rates, tensors)", "[cli][maps]") {
  TempDir dir;
  const std::string scenario = catalog("missing_war_kv_cache.json");
  for (const char* shard : {"1/2", "2/2"}) {
    CliResult r = cli({"sweep", scenario, "--seeds", "0..199", "--shard", shard, "--jobs", "2", "--json"});
    REQUIRE(r.exit_code == 0);
    write_file(dir.file(std::string("shard-") + shard[0] + ".json"), r.out);
  }
  CliResult whole = cli({"sweep", scenario, "--seeds", "0..199", "--jobs", "2", "--json"});
  REQUIRE(whole.exit_code == 0);
  CliResult merged = cli({"merge", dir.file("shard-1.json"), dir.file("shard-2.json"), "--json"});
  REQUIRE(merged.exit_code == 0);
  const Json m = Json::parse(merged.out);
  CHECK(m["expectations"]["holds"] == true);
  CHECK(m["expect"]["findings"]["always"][0]["hazard"] == "WAR");
  CHECK(m["expect"]["rates"]["wrong_values"]["max_percent"] == 30);
  CHECK(counts_of(m) == counts_of(Json::parse(whole.out)));
}

TEST_CASE("failure_rate counts findings and outcomes, outcome_failure_rate outcomes only, --stop-on says which "
          "--stop-after counts",
          "[cli][maps]") {
  const std::string scenario = catalog("missing_war_kv_cache.json");
  CliResult all = cli({"sweep", scenario, "--seeds", "0..199", "--jobs", "2", "--json"});
  REQUIRE(all.exit_code == 0);
  const Json j = Json::parse(all.out);
  const double runs = j["runs"].get<double>();
  const std::uint64_t not_pass = j["runs"].get<std::uint64_t>() - j["outcomes"]["pass"].get<std::uint64_t>();
  REQUIRE(not_pass > 0);  // the catalogue's rate band keeps some wrong values in 200 seeds
  CHECK(j["failure_rate"]["value"] == 1.0);  // the race is reported on every seed
  CHECK(j["outcome_failing"] == not_pass);
  CHECK(j["outcome_failure_rate"]["value"].get<double>() == Approx(static_cast<double>(not_pass) / runs));
  CHECK(j["outcome_failure_rate"]["wilson95"][0].get<double>() < j["outcome_failure_rate"]["value"].get<double>());
  CHECK(j["first_outcome_failing_seed"] > j["first_failing_seed"]);
  CHECK(j["failing_seeds"].size() == j["runs"]);  // failing_seeds keeps its meaning: every failing seed

  // --stop-on outcome: the sweep stops right after the third run that did not pass.
  CliResult three = cli({"sweep", scenario, "--seeds", "0..199", "--stop-after", "3", "--stop-on", "outcome",
                         "--jobs", "1", "--json"});
  REQUIRE(three.exit_code == 0);
  const Json t = Json::parse(three.out);
  CHECK(t["stopped_early"] == true);
  CHECK(t["outcome_failing"] == 3);
  std::uint64_t last_wrong = 0;
  for (const Json& entry : t["failing_seeds"]) {
    if (entry["outcome"] != "pass") last_wrong = std::max(last_wrong, entry["seed"].get<std::uint64_t>());
  }
  CHECK(t["runs"] == last_wrong + 1);
  // The default (any) counts findings: three seeds, each with the race.
  CliResult any = cli({"sweep", scenario, "--seeds", "0..199", "--stop-after", "3", "--jobs", "1", "--json"});
  CHECK(Json::parse(any.out)["runs"] == 3);
  CHECK(cli({"sweep", scenario, "--stop-on", "findings"}).exit_code == 2);
}

namespace {

// Scenario documents keep their key order (parameters refer to those defined before them).
using OrderedJson = nlohmann::ordered_json;

// missing_war_kv_cache with kv_proj's upper duration and the cluster count uncertain.
std::string write_uncertain_war(const TempDir& dir) {
  OrderedJson doc = OrderedJson::parse(read_file(catalog("missing_war_kv_cache.json")));
  doc.erase("uncertain");
  doc["expect"].erase("rates");  // this region's rate is its own
  doc["uncertain"] = {{"/kernels/kv_proj/duration_ns/1", {{"log_range", {2000, 520000}}}},
                      {"/platform/clusters", {{"list", {1, 2, 4}}}}};
  const std::string path = dir.file("war_uncertain.json");
  write_file(path, doc.dump(2));
  return path;
}

std::vector<std::string> words(const std::string& command) {
  std::vector<std::string> out;
  std::istringstream in(command);
  for (std::string word; in >> word;) out.push_back(word);
  return out;
}

}  // namespace

TEST_CASE("a seed's point is named everywhere, its recording replays to the point and digest, shrink moves it "
          "back towards nominal",
          "[cli][maps][uncertain]") {
  TempDir dir;
  const std::string scenario = write_uncertain_war(dir);
  CliResult swept = cli({"sweep", scenario, "--seeds", "0..39", "--jobs", "2", "--json", "--record-failures",
                         dir.file("rec"), "--junit", dir.file("junit.xml")});
  REQUIRE(swept.exit_code == 0);
  const Json j = Json::parse(swept.out);
  CHECK(j["uncertain"] == true);
  const Json* wrong = nullptr;
  for (const Json& entry : j["failing_seeds"]) {
    if (entry["outcome"] == "wrong_values" && wrong == nullptr) wrong = &entry;
    REQUIRE(entry["point"].size() == 2);
  }
  REQUIRE(wrong != nullptr);
  const std::string seed = std::to_string((*wrong)["seed"].get<std::uint64_t>());
  const Json point = (*wrong)["point"];
  CHECK_THAT((*wrong)["repro"].get<std::string>(), Catch::Contains("--set /platform/clusters=" + point["/platform/clusters"].dump()));
  CHECK_THAT(read_file(dir.file("junit.xml")), Catch::Contains("<property name=\"point\" value=\"/kernels/kv_proj/duration_ns/1="));

  // The recording replays strictly to the point and the digest.
  const std::string recording = dir.file("rec/seed-" + seed + ".recording.json");
  CliResult replayed = cli({"replay", recording, "--json"});
  REQUIRE(replayed.exit_code == 10);
  const Json r = Json::parse(replayed.out);
  CHECK(r["matches"] == true);
  CHECK(r["point"] == point);
  CHECK(r["digest"] == (*wrong)["digest"]);
  // So does the repro command, which pins the point with --set.
  std::vector<std::string> repro = words((*wrong)["repro"].get<std::string>());
  repro.erase(repro.begin());  // the program
  repro.push_back("--json");
  CliResult again = cli(repro);
  CHECK(Json::parse(again.out)["digest"] == (*wrong)["digest"]);
  CHECK_FALSE(Json::parse(again.out).contains("point"));  // pinned: nothing left to draw

  // Shrinking keeps the failure and ends at a point no farther from nominal.
  CliResult shrunk = cli({"shrink", recording, "-o", dir.file("small.json"), "--json"});
  REQUIRE(shrunk.exit_code == 0);
  CliResult small = cli({"replay", dir.file("small.json"), "--json"});
  const Json s = Json::parse(small.out);
  CHECK(s["matches"] == true);
  CHECK(s["outcome"] == "wrong_values");
  const std::int64_t nominal_duration = 260000;
  const std::int64_t before = point["/kernels/kv_proj/duration_ns/1"].get<std::int64_t>();
  const std::int64_t after = s["point"]["/kernels/kv_proj/duration_ns/1"].get<std::int64_t>();
  CHECK(std::llabs(after - nominal_duration) <= std::llabs(before - nominal_duration));
  const Json clusters = s["point"]["/platform/clusters"];
  CHECK((clusters == point["/platform/clusters"] || clusters == 2));
}

TEST_CASE("run --nominal runs the scenario as written, --set pins one parameter, a file without uncertain runs as "
          "before",
          "[cli][maps][uncertain]") {
  TempDir dir;
  const std::string scenario = write_uncertain_war(dir);
  OrderedJson plain = OrderedJson::parse(read_file(catalog("missing_war_kv_cache.json")));
  plain.erase("uncertain");
  write_file(dir.file("plain.json"), plain.dump(2));
  for (const char* seed : {"0", "16"}) {
    const Json nominal = Json::parse(cli({"run", scenario, "--nominal", "--seed", seed, "--json"}).out);
    const Json as_written = Json::parse(cli({"run", dir.file("plain.json"), "--seed", seed, "--json"}).out);
    CHECK_FALSE(nominal.contains("point"));
    CHECK(nominal["digest"] == as_written["digest"]);
    const Json drawn = Json::parse(cli({"run", scenario, "--seed", seed, "--json"}).out);
    CHECK(drawn["point"].size() == 2);
    const Json pinned = Json::parse(cli({"run", scenario, "--set", "/platform/clusters=4", "--seed", seed, "--json"}).out);
    REQUIRE(pinned["point"].size() == 1);
    // The other parameter draws the same value as when nothing is pinned.
    CHECK(pinned["point"]["/kernels/kv_proj/duration_ns/1"] == drawn["point"]["/kernels/kv_proj/duration_ns/1"]);
  }
  // A sweep at the nominal point is the sweep of the file as written.
  const Json a = Json::parse(cli({"sweep", scenario, "--nominal", "--seeds", "0..49", "--jobs", "2", "--json"}).out);
  const Json b = Json::parse(cli({"sweep", dir.file("plain.json"), "--seeds", "0..49", "--jobs", "2", "--json"}).out);
  CHECK(a["outcomes"] == b["outcomes"]);
  CHECK(a["nominal"] == true);
  CHECK_THAT(a["failing_seeds"][0]["repro"].get<std::string>(), Catch::Contains("--nominal"));
}

TEST_CASE("under pct a point is drawn as under random, and the repro command keeps pct's step estimate",
          "[cli][maps][uncertain]") {
  TempDir dir;
  const std::string scenario = write_uncertain_war(dir);
  const Json pct = Json::parse(cli({"sweep", scenario, "--seeds", "0..19", "--strategy", "pct", "--depth", "3", "--json"}).out);
  const Json random = Json::parse(cli({"sweep", scenario, "--seeds", "0..19", "--json"}).out);
  REQUIRE(pct["failing_seeds"].size() == 20);  // the race: every seed
  for (std::size_t i = 0; i < 20; ++i) CHECK(pct["failing_seeds"][i]["point"] == random["failing_seeds"][i]["point"]);
  const std::string repro = pct["failing_seeds"][3]["repro"];
  CHECK_THAT(repro, Catch::Contains("--pct-steps"));
  std::vector<std::string> args = words(repro);
  args.erase(args.begin());
  args.push_back("--json");
  CHECK(Json::parse(cli(args).out)["digest"] == pct["failing_seeds"][3]["digest"]);
}

namespace {

// The cell of a map's JSON at `point`.
Json cell_at(const Json& map, const Json& point) {
  for (const Json& cell : map["cells"]) {
    if (cell["point"] == point) return cell;
  }
  FAIL("no cell at " << point.dump());
  return Json();
}

// Counts of a sweep or a cell, without repro commands (they name the program and the path).
Json cell_counts(const Json& doc) {
  Json out;
  for (const char* key : {"total", "runs", "outcomes", "findings", "failed_runs", "failing", "failure_rate",
                          "outcome_failing", "outcome_failure_rate", "first_failing_seed", "first_outcome_failing_seed",
                          "wrong_tensors", "failing_seeds_unlisted"}) {
    out[key] = doc[key];
  }
  for (const Json& entry : doc["failing_seeds"]) out["failing_seeds"].push_back(Json{{"seed", entry["seed"]}, {"digest", entry["digest"]}});
  return out;
}

}  // namespace

TEST_CASE("a map's cells count as sweeps pinned at their points, its shards merge cell by cell, its SVG parses",
          "[cli][maps]") {
  TempDir dir;
  const std::string scenario = catalog("false_deadlock_a2a3sim.json");
  const std::vector<std::string> grid = {"map", scenario, "--nominal", "--vary", "/platform/host_cpus=16,24",
                                         "--vary", "/platform/clusters=4,8", "--seeds", "0..29", "--jobs", "2"};
  std::vector<std::string> whole_args = grid;
  for (const char* arg : {"--json", "--svg"}) whole_args.push_back(arg);
  whole_args.push_back(dir.file("map.svg"));
  CliResult whole = cli(whole_args);
  REQUIRE(whole.exit_code == 0);
  const Json m = Json::parse(whole.out);
  REQUIRE(m["cells"].size() == 4);
  CHECK(m["mode"] == "grid");
  std::uint64_t failing_outcomes = 0;
  for (const Json& cell : m["cells"]) {
    CHECK(cell["runs"] == 30);
    failing_outcomes += cell["outcome_failing"].get<std::uint64_t>();
  }
  CHECK(failing_outcomes > 0);  // the region holds the bug somewhere

  // Two cells against separate sweeps pinned with --set.
  for (const auto& [cpus, clusters] : {std::pair{16, 4}, std::pair{24, 8}}) {
    CliResult swept = cli({"sweep", scenario, "--nominal", "--set", "/platform/host_cpus=" + std::to_string(cpus), "--set",
                           "/platform/clusters=" + std::to_string(clusters), "--seeds", "0..29", "--jobs", "2", "--json"});
    const Json cell = cell_at(m, Json{{"/platform/host_cpus", cpus}, {"/platform/clusters", clusters}});
    CHECK(cell_counts(cell) == cell_counts(Json::parse(swept.out)));
    if (cell["outcome_failing"] > 0) CHECK_THAT(cell["repro"].get<std::string>(), Catch::Contains("--set /platform/host_cpus="));
  }

  // Two shards merged are the map.
  for (const char* shard : {"1/2", "2/2"}) {
    std::vector<std::string> args = grid;
    for (const char* arg : {"--json", "--shard", shard}) args.push_back(arg);
    CliResult part = cli(args);
    REQUIRE(part.exit_code == 0);
    write_file(dir.file(std::string("map-") + shard[0] + ".json"), part.out);
  }
  CliResult merged = cli({"merge", dir.file("map-2.json"), dir.file("map-1.json"), "--json"});
  REQUIRE(merged.exit_code == 0);
  const Json mm = Json::parse(merged.out);
  REQUIRE(mm["cells"].size() == 4);
  for (std::size_t c = 0; c < 4; ++c) {
    CHECK(mm["cells"][c]["point"] == m["cells"][c]["point"]);
    CHECK(cell_counts(mm["cells"][c]) == cell_counts(m["cells"][c]));
  }
  CHECK(cli({"merge", dir.file("map-1.json"), dir.file("map-1.json")}).exit_code == 3);

  // The heatmap: axis labels, a legend, the counts in the cells.
  const std::string svg = read_file(dir.file("map.svg"));
  CHECK_THAT(svg, Catch::Contains(">/platform/host_cpus</text>"));
  CHECK_THAT(svg, Catch::Contains(">/platform/clusters</text>"));
  CHECK_THAT(svg, Catch::Contains("id=\"legend\""));
  const Json first = m["cells"][0];
  CHECK_THAT(svg, Catch::Contains(">" + first["outcome_failing"].dump() + "/30</text>"));
  const std::string xmllint = PTOSIM_XMLLINT;
  if (!xmllint.empty()) CHECK(std::system((xmllint + " --noout " + dir.file("map.svg")).c_str()) == 0);

  // CSV: a header and one row per cell, the point first.
  std::vector<std::string> csv_args = grid;
  csv_args.push_back("--csv");
  const std::string csv = cli(csv_args).out;
  CHECK(csv.rfind("/platform/host_cpus,/platform/clusters,runs,pass,", 0) == 0);
  CHECK(std::count(csv.begin(), csv.end(), '\n') == 5);
}

TEST_CASE("a map over one parameter draws rates with interval bars, bad --vary specs are usage errors", "[cli][maps]") {
  TempDir dir;
  const std::string scenario = catalog("missing_war_kv_cache.json");
  CliResult one = cli({"map", scenario, "--vary", "/kernels/kv_proj/duration_ns/1=log:4000..260000:3", "--seeds", "0..19",
                       "--jobs", "2", "--svg", dir.file("one.svg"), "--json"});
  REQUIRE(one.exit_code == 0);
  const Json m = Json::parse(one.out);
  REQUIRE(m["cells"].size() == 3);
  CHECK(m["cells"][0]["point"]["/kernels/kv_proj/duration_ns/1"] == 4000);
  CHECK(m["cells"][2]["point"]["/kernels/kv_proj/duration_ns/1"] == 260000);
  for (const Json& cell : m["cells"]) CHECK(cell["failure_rate"]["value"] == 1.0);  // the race, on every seed
  const std::string svg = read_file(dir.file("one.svg"));
  CHECK_THAT(svg, Catch::Contains("95% Wilson"));
  CHECK_THAT(svg, Catch::Contains("id=\"legend\""));
  const std::string xmllint = PTOSIM_XMLLINT;
  if (!xmllint.empty()) CHECK(std::system((xmllint + " --noout " + dir.file("one.svg")).c_str()) == 0);

  for (const char* bad : {"/platform/clusters", "platform/clusters=1,2", "/platform/clusters=1..1000",
                          "/platform/clusters=2..1:3", "/platform/clusters=1,1", "/platform/clusters=log:0..8:3"}) {
    CHECK(cli({"map", scenario, "--vary", bad, "--seeds", "0..1"}).exit_code == 2);
  }
  CHECK(cli({"map", scenario, "--seeds", "0..1"}).exit_code == 2);  // nothing to vary
  // Random points over three parameters: no picture, but counts for each.
  CliResult points = cli({"map", scenario, "--vary", "/platform/clusters=1..4", "--vary",
                          "/kernels/kv_proj/duration_ns/1=log:4000..260000", "--points", "3", "--seeds", "0..4", "--json"});
  REQUIRE(points.exit_code == 0);
  CHECK(Json::parse(points.out)["mode"] == "points");
  CHECK(Json::parse(points.out)["cells"].size() == 3);
}

TEST_CASE("worker --plan fed seed lists by a shell loop gives, merged, the counts of sweep, bad inputs are refused",
          "[cli][maps][worker]") {
  TempDir dir;
  const std::string scenario = catalog("missing_war_kv_cache.json");
  REQUIRE(cli({"sweep", scenario, "--seeds", "0..59", "--write-plan", dir.file("plan.json")}).exit_code == 0);
  std::vector<std::string> outputs = {"merge"};
  for (int i = 0; i < 3; ++i) {
    // Every third seed, as a --shard of 3 would select them.
    const std::string out = dir.file("worker-" + std::to_string(i) + ".jsonl");
    const std::string command = "seq " + std::to_string(i) + " 3 59 | " + std::string(PTOSIM_CLI) + " worker --plan " +
                                dir.file("plan.json") + " --jobs 2 > " + out + " 2>/dev/null";
    REQUIRE(std::system(command.c_str()) == 0);
    outputs.push_back(out);
  }
  std::vector<std::string> merge_args = outputs;
  merge_args.push_back("--json");
  CliResult merged = cli(merge_args);
  REQUIRE(merged.exit_code == 0);
  const Json swept = Json::parse(cli({"sweep", scenario, "--seeds", "0..59", "--jobs", "2", "--json"}).out);
  CHECK(counts_of(Json::parse(merged.out)) == counts_of(swept));

  // Two outputs that ran the same seed, or outputs that miss one, do not merge.
  CHECK(cli({"merge", outputs[1], outputs[1]}).exit_code == 3);
  CHECK(cli({"merge", outputs[1], outputs[2]}).exit_code == 3);
  // A cut output (no end line) does not either.
  const std::string text = read_file(outputs[3]);
  write_file(dir.file("cut.jsonl"), text.substr(0, text.rfind("{\"end\"")));
  CHECK(cli({"merge", outputs[1], outputs[2], dir.file("cut.jsonl")}).exit_code == 3);
  // A plan with --record-failures: the worker writes a recording per failing run, which replays.
  REQUIRE(cli({"sweep", scenario, "--seeds", "0..5", "--record-failures", dir.file("rec"), "--write-plan",
               dir.file("rec-plan.json")}).exit_code == 0);
  const std::string recorded = "seq 0 5 | " + std::string(PTOSIM_CLI) + " worker --plan " + dir.file("rec-plan.json") +
                               " > " + dir.file("rec.jsonl") + " 2>/dev/null";
  REQUIRE(std::system(recorded.c_str()) == 0);
  CHECK(cli({"replay", dir.file("rec/seed-3.recording.json")}).exit_code != 4);  // the race: every seed fails
  CHECK(Json::parse(cli({"replay", dir.file("rec/seed-3.recording.json"), "--json"}).out)["matches"] == true);
  // A seed outside the plan stops the worker with exit 3 and an end line naming the line.
  const std::string bad = "printf '1\\n600\\n' | " + std::string(PTOSIM_CLI) + " worker --plan " + dir.file("plan.json") +
                          " > " + dir.file("bad.jsonl") + " 2>/dev/null";
  CHECK(WEXITSTATUS(std::system(bad.c_str())) == 3);
  CHECK_THAT(read_file(dir.file("bad.jsonl")), Catch::Contains("line 2: the seed is not one of the plan's seeds 0..59"));
  // A plan with --stop-after is refused: no worker sees the whole plan's failures.
  REQUIRE(cli({"sweep", scenario, "--seeds", "0..5", "--stop-after", "2", "--write-plan", dir.file("stop-plan.json")})
              .exit_code == 0);
  CliResult stopping = cli({"worker", "--plan", dir.file("stop-plan.json")});
  CHECK(stopping.exit_code == 3);
  CHECK_THAT(stopping.err, Catch::Contains("/stop_after"));
}

TEST_CASE("merge of a shard whose expectations are truncated or whose counts contradict themselves exits 3 naming "
          "the file and field",
          "[cli][maps]") {
  TempDir dir;
  const std::string scenario = catalog("missing_war_kv_cache.json");
  for (const char* shard : {"1/2", "2/2"}) {
    CliResult r = cli({"sweep", scenario, "--seeds", "0..5", "--shard", shard, "--jobs", "2", "--json"});
    REQUIRE(r.exit_code == 0);
    write_file(dir.file(std::string("shard-") + shard[0] + ".json"), r.out);
  }
  const Json good = Json::parse(read_file(dir.file("shard-1.json")));
  const std::string other = dir.file("shard-2.json");
  struct Case {
    const char* file;
    const char* field;
    std::function<void(Json&)> spoil;
  };
  const std::vector<Case> cases = {
      {"no-findings.json", "/expect/findings", [](Json& j) { j["expect"].erase("findings"); }},
      {"no-rates.json", "/expect/rates", [](Json& j) { j["expect"].erase("rates"); }},
      {"no-tensors.json", "/expect/correct_tensors", [](Json& j) { j["expect"].erase("correct_tensors"); }},
      {"runs.json", "/runs", [](Json& j) { j["runs"] = j["runs"].get<std::uint64_t>() + 5; }},
      {"outcomes.json", "/outcomes/pass", [](Json& j) { j["outcomes"]["pass"] = j["outcomes"]["pass"].get<std::uint64_t>() + 100; }},
  };
  for (const Case& c : cases) {
    Json spoiled = good;
    c.spoil(spoiled);
    const std::string path = dir.file(c.file);
    write_file(path, spoiled.dump(2));
    CliResult merged = cli({"merge", path, other});
    INFO(c.file << ": " << merged.err);
    CHECK(merged.exit_code == 3);
    CHECK_THAT(merged.err, Catch::Contains(path));
    CHECK_THAT(merged.err, Catch::Contains(std::string("at ") + c.field));
  }
  // A shard cut off inside its expectations block (a truncated file) is invalid JSON: exit 3 too.
  const std::string text = read_file(dir.file("shard-1.json"));
  const std::string cut = dir.file("cut.json");
  write_file(cut, text.substr(0, text.find("\"rates\"")));
  CliResult merged = cli({"merge", cut, other});
  CHECK(merged.exit_code == 3);
  CHECK_THAT(merged.err, Catch::Contains(cut));
}

TEST_CASE("merge of a map shard without its mode exits 3 naming the field (fuzz merge seed 20 input 57694)",
          "[cli][maps]") {
  TempDir dir;
  CliResult r = cli({"map", catalog("false_deadlock_a2a3sim.json"), "--vary", "/platform/host_cpus=2,4", "--seeds", "0..1",
                     "--shard", "1/2", "--jobs", "2", "--json"});
  REQUIRE(r.exit_code == 0);
  Json shard = Json::parse(r.out);
  shard.erase("mode");
  const std::string path = dir.file("map-without-mode.json");
  write_file(path, shard.dump(1));
  CliResult merged = cli({"merge", path});
  CHECK(merged.exit_code == 3);
  CHECK_THAT(merged.err, Catch::Contains(path + ": at /mode: missing field 'mode'"));
}
