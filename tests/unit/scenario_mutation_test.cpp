// Robustness: thousands of random mutations of the catalogue scenarios either load or are
// rejected with a ScenarioError naming a JSON pointer; nothing else escapes the loader.
#include "scenarios/scenario.h"
#include "simcore/decision_source.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

using Json = nlohmann::ordered_json;
using ptosim::scenarios::ScenarioError;

namespace {

std::vector<Json*> all_nodes(Json& root) {
  std::vector<Json*> nodes{&root};
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    Json& node = *nodes[i];
    if (node.is_object() || node.is_array()) {
      for (auto& child : node) nodes.push_back(&child);
    }
  }
  return nodes;
}

Json replacement(ptosim::simcore::StreamGenerator& rng) {
  static const Json values[] = {-1,   0,       1,          2,    1099511627776LL, 9223372036854775807LL,
                                "x",  "1/0",   "k + 1",    "",   "0..3",          Json::array(),
                                Json::object(), nullptr,  true, 1.5,             Json::array({1, 2, 3, 4, 5, 6}),
                                "auto", "manual", "aic",  "f32", "up{k-1}"};
  return values[rng.next_in(0, std::size(values) - 1)];
}

}  // namespace

TEST_CASE("random mutations of the catalogue load or fail with a pointer", "[validation][robustness]") {
  ptosim::simcore::StreamGenerator rng(2026, "mutations");
  std::size_t rejected = 0;
  std::size_t accepted = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::string(PTOSIM_SOURCE_DIR) + "/scenarios/catalog")) {
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    const Json original = Json::parse(text.str());
    for (int round = 0; round < 150; ++round) {
      Json doc = original;
      std::vector<Json*> nodes = all_nodes(doc);
      Json& target = *nodes[rng.next_in(0, nodes.size() - 1)];
      const std::uint64_t how = rng.next_in(0, 3);
      if (how == 0 && target.is_object() && !target.empty()) {
        auto it = target.begin();
        std::advance(it, static_cast<std::ptrdiff_t>(rng.next_in(0, target.size() - 1)));
        target.erase(it.key());
      } else if (how == 1 && target.is_object()) {
        target["unexpected_key"] = 1;
      } else {
        target = replacement(rng);
      }
      INFO(entry.path().filename().string() << " round " << round << ": " << doc.dump().substr(0, 300));
      try {
        ptosim::scenarios::load_scenario_text(doc.dump(), "mutated.json");
        ++accepted;
      } catch (const ScenarioError& e) {
        CHECK(e.file() == "mutated.json");
        ++rejected;
      }
    }
  }
  CHECK(rejected > 500);
  CHECK(accepted > 0);
}
