// Bad input never crashes, hangs or reports an internal error: each defect class of issue 10 has
// a regression test here, run through the real command line.
#include "cli_harness.h"

#include <catch2/catch.hpp>

#include <sys/stat.h>

using namespace ptosim::testing;

namespace {

// stdout of a --json command that failed: exactly one documented error object.
Json json_error(const CliResult& r, int exit_code, const std::string& kind) {
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK_FALSE(r.signaled);
  CHECK(r.exit_code == exit_code);
  Json j;
  REQUIRE_NOTHROW(j = Json::parse(r.out));
  CHECK(j["error"]["kind"] == kind);
  CHECK(j["error"]["exit_code"] == exit_code);
  return j;
}

const std::string BAD_BYTE = "\xff";

}  // namespace

TEST_CASE("json errors quoting bytes that are not UTF-8 are still valid JSON", "[cli][hardening]") {
  TempDir dir;
  const std::string invalid_utf8 = dir.file("invalid.json");
  write_file(invalid_utf8, "{\"format\": 1, \"name\": \"" + BAD_BYTE + "\", \"description\": \"d\"}");
  json_error(cli({"check", invalid_utf8, "--json"}), 3, "invalid_input");

  // An expression with a non-ASCII character: the message quotes the whole character.
  std::string text = read_file(catalog("contended_fanout.json"));
  text.replace(text.find("\"ROUNDS\": 6"), 11, "\"ROUNDS\": \"6 \xc3\xa9\"");
  const std::string accented = dir.file("accented.json");
  write_file(accented, text);
  Json j = json_error(cli({"run", accented, "--json"}), 3, "invalid_input");
  CHECK_THAT(j["error"]["message"].get<std::string>(), Catch::Contains("unexpected '\xc3\xa9'"));

  // File names that are not UTF-8, through every command.
  const std::string bad_name = dir.file("n" + BAD_BYTE + ".json");
  write_file(bad_name, text);
  json_error(cli({"check", bad_name, "--json"}), 3, "invalid_input");
  json_error(cli({"sweep", bad_name, "--seeds", "0..1", "--json"}), 3, "invalid_input");
  json_error(cli({"replay", bad_name, "--json"}), 3, "invalid_input");
  json_error(cli({"inspect", bad_name, "--json"}), 3, "invalid_input");
  json_error(cli({"replay", dir.file("missing" + BAD_BYTE), "--json"}), 3, "invalid_input");
}

TEST_CASE("with --json every usage error is the documented object", "[cli][hardening]") {
  const std::string scenario = catalog("contended_fanout.json");
  Json seed = json_error(cli({"run", scenario, "--seed", "abc", "--json"}), 2, "usage");
  CHECK_THAT(seed["error"]["message"].get<std::string>(), Catch::Contains("--seed"));
  json_error(cli({"--json"}), 2, "usage");
  Json unknown = json_error(cli({"run", scenario, "--sed", "4", "--json"}), 2, "usage");
  CHECK_THAT(unknown["error"]["message"].get<std::string>(), Catch::Contains("did you mean --seed?"));
  Json jobs = json_error(cli({"sweep", scenario, "--seeds", "0..1", "--jobs", "0", "--json"}), 2, "usage");
  CHECK_THAT(jobs["error"]["message"].get<std::string>(), Catch::Contains("--jobs"));
  Json command = json_error(cli({"rnu", scenario, "--json"}), 2, "usage");
  CHECK_THAT(command["error"]["message"].get<std::string>(), Catch::Contains("did you mean run?"));
  json_error(cli({"run", scenario, "--record", "", "--json"}), 2, "usage");
}

TEST_CASE("help says ptosim not the path of the binary, counts are plural only when they should be",
          "[cli][hardening]") {
  CliResult help = cli({"run", "--help"});
  CHECK(help.exit_code == 0);
  CHECK_THAT(help.out, Catch::Contains("Usage: ptosim run"));
  CHECK(help.out.find(PTOSIM_CLI) == std::string::npos);
  CliResult sweep = cli({"sweep", catalog("contended_fanout.json"), "--seeds", "3..3"});
  CHECK_THAT(sweep.out, Catch::Contains("(1 run, 1 job,"));
  CHECK_THAT(sweep.out, Catch::Contains("(1 seed in "));
}

TEST_CASE("outputs follow symlinks, refuse special files and write - to stdout", "[cli][hardening]") {
  TempDir dir;
  const std::string scenario = catalog("contended_fanout.json");
  // A symlink is followed to its target, and stays a link.
  const std::string real = dir.file("real.json");
  write_file(real, "old");
  const std::string link = dir.file("link.json");
  fs::create_symlink("real.json", link);
  REQUIRE(cli({"run", scenario, "--record", link}).exit_code == 0);
  CHECK(fs::is_symlink(link));
  CHECK_THAT(read_file(real), Catch::Contains("ptosim-recording"));
  REQUIRE(cli({"replay", link}).exit_code == 0);

  // A FIFO (as a device node) is refused with exit 6 and left as it was; the result still prints.
  const std::string fifo = dir.file("fifo");
  REQUIRE(::mkfifo(fifo.c_str(), 0644) == 0);
  CliResult refused = cli({"run", scenario, "--trace", fifo, "--json"});
  CHECK(refused.exit_code == 6);
  CHECK(fs::is_fifo(fifo));
  CHECK_THAT(refused.err, Catch::Contains("is a FIFO"));
  CHECK(Json::parse(refused.out)["outcome"] == "pass");
  const std::string directory = dir.file("d");
  fs::create_directory(directory);
  CHECK(cli({"run", scenario, "--snapshot", directory}).exit_code == 0);  // no snapshot to write: untouched
  CHECK(cli({"run", scenario, "--record", directory}).exit_code == 6);
  CHECK(fs::is_directory(directory));

  // The longest legal file name works: the temporary file does not extend it.
  const std::string longest = dir.file(std::string(250, 'a') + ".json");
  CHECK(cli({"run", scenario, "--record", longest}).exit_code == 0);
  CHECK(fs::is_regular_file(longest));
  for (const auto& entry : fs::directory_iterator(dir.file(""))) {
    CHECK(entry.path().filename().string().rfind(".ptosim-", 0) != 0);  // no temporary left behind
  }

  // "-" writes the file to stdout; the result goes to stderr.
  CliResult piped = cli({"run", scenario, "--record", "-", "--json"});
  CHECK(piped.exit_code == 0);
  CHECK(Json::parse(piped.out)["format"] == "ptosim-recording");
  CHECK_THAT(piped.err, Catch::Contains("\"outcome\": \"pass\""));
  CHECK(cli({"run", scenario, "--record", "-", "--trace", "-"}).exit_code == 2);
}
