// Sweeps over what we do not know, from the command line: uncertain parameters and their draws,
// failure maps over one or two parameters, the rate vocabulary (failure_rate against
// outcome_failure_rate, --stop-on), plans run by `ptosim worker`, and merge over shards and
// worker outputs.
#include "cli_harness.h"

#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <sstream>

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
  CHECK(m["expect"]["rates"]["wrong_values"]["max_percent"] == 20);
  CHECK(counts_of(m) == counts_of(Json::parse(whole.out)));
}

TEST_CASE("failure_rate counts findings and outcomes, outcome_failure_rate outcomes only; --stop-on says which "
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
