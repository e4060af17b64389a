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
