// Recordings round-trip, and every kind of corruption is a clear input error naming the field.
#include "replay/recording.h"

#include "simcore/hashing.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <unistd.h>

using namespace ptosim;

namespace {

replay::Recording sample() {
  replay::Recording rec;
  rec.tool_version = "0.1.0";
  rec.scenario_path = "scenarios/catalog/x.json";
  rec.scenario_text = "{\"format\": 1}";
  rec.scenario_hash = fnv1a64(rec.scenario_text);
  rec.seed = 7;
  rec.strategy = "random";
  rec.outcome = simcore::Outcome::deadlock_false;
  rec.digest = 0x0123456789ABCDEFULL;
  rec.sim_time_ns = 1000;
  rec.events = 55;
  rec.decisions.streams = {"kernel.duration", "dispatch.core"};
  using simcore::DecisionKind;
  rec.decisions.entries = {{0, 4, 0, 0, DecisionKind::range, 1500, 1000, 2000, 1000},
                           {1, 4, 0, 0, DecisionKind::choice, 26, 0, 3, 24},
                           {0, 5, 0, 0, DecisionKind::range, 1999, 1000, 2000, 1000}};
  return rec;
}

class TempFile {
 public:
  TempFile() {
    // One directory per process: ctest runs test cases of this binary in parallel.
    dir_ = std::filesystem::temp_directory_path() / ("ptosim-unit-recording-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "r.json").string();
  }
  ~TempFile() { std::filesystem::remove_all(dir_); }
  const std::string& write(const std::string& text) {
    std::ofstream(path_, std::ios::binary | std::ios::trunc) << text;
    return path_;
  }

 private:
  std::filesystem::path dir_;
  std::string path_;
};

std::string replace_once(std::string text, const std::string& from, const std::string& to) {
  const auto pos = text.find(from);
  REQUIRE(pos != std::string::npos);
  return text.replace(pos, from.size(), to);
}

}  // namespace

TEST_CASE("a recording round-trips", "[recording]") {
  TempFile file;
  const replay::Recording rec = sample();
  const replay::Recording back = replay::read_recording(file.write(replay::recording_to_text(rec)));
  CHECK(back.seed == 7);
  CHECK(back.digest == rec.digest);
  CHECK(back.outcome == rec.outcome);
  CHECK(back.scenario_text == rec.scenario_text);
  CHECK(back.decisions.streams == rec.decisions.streams);
  REQUIRE(back.decisions.entries.size() == 3);
  CHECK(back.decisions.entries[2].value == 1999);
  CHECK(back.decisions.entries[1].kind == simcore::DecisionKind::choice);
  CHECK(back.decisions.entries[1].value == 26);
  CHECK(back.decisions.entries[1].hi == 3);
  CHECK(back.decisions.entries[0].default_value == 1000);
  CHECK(back.decisions.nondefault_count() == 3);
}

TEST_CASE("corrupted recordings are rejected with the field that is wrong", "[recording]") {
  TempFile file;
  const std::string good = replay::recording_to_text(sample());
  auto pointer_of = [&](const std::string& text) -> std::string {
    try {
      replay::read_recording(file.write(text));
    } catch (const replay::InputError& e) {
      return e.pointer().empty() ? std::string("<root>") : e.pointer();
    }
    return "accepted";
  };
  CHECK(pointer_of(good.substr(0, good.size() / 2)) == "<root>");  // truncated
  CHECK(pointer_of(replace_once(good, "ptosim-recording", "something-else")) == "/format");
  CHECK(pointer_of(replace_once(good, "\\\"format\\\": 1", "\\\"format\\\": 2")) == "/scenario/text");  // hash mismatch
  CHECK(pointer_of(replace_once(good, "\"value\":1500", "\"value\":2500")) == "/decisions/0/value");
  CHECK(pointer_of(replace_once(good, "\"subject\":4", "\"subject\":-4")) == "/decisions/0/subject");
  CHECK(pointer_of(replace_once(good, "\"of\":4", "\"of\":1")) == "/decisions/1/of");
  CHECK(pointer_of(replace_once(good, "\"n\":0", "\"n\":4294967297")) == "/decisions/0/n");
  CHECK(pointer_of(replace_once(good, "\"stream\":\"kernel.duration\"", "\"stream\":7")) == "/decisions/0/stream");
  CHECK(pointer_of(replace_once(good, "\"digest\": \"0x", "\"digest\": \"zz")) == "/result/digest");
  CHECK(pointer_of(replace_once(good, "\"seed\": 7", "\"seed\": -7")) == "/seed");
  CHECK_THROWS_WITH(replay::read_recording("/nonexistent/recording.json"), Catch::Contains("cannot open"));
}
