// JSON forms of run results and snapshots: the `--json` output, the child-to-parent transfer of
// sweeps, snapshot files and their round trip for `ptosim inspect`.
#pragma once

#include "replay/run_session.h"
#include "runtime/state_snapshot.h"

#include <nlohmann/json.hpp>

#include <stdexcept>
#include <string>

namespace ptosim::replay {

using Json = nlohmann::ordered_json;

// Bad file handed to a reader: what and where (JSON pointer).
class InputError : public std::runtime_error {
 public:
  InputError(std::string file, std::string pointer, std::string problem);
  const std::string& pointer() const { return pointer_; }

 private:
  std::string pointer_;
};

// An output file (recording, trace, snapshot) could not be written; nothing was left behind.
class OutputFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The text of a JSON document for output. Strings that are not valid UTF-8 (a file name, bytes
// quoted from a bad input) have each bad byte replaced by U+FFFD, so serializing never throws and
// every output is valid JSON. Every JSON that ptosim prints or writes goes through here.
std::string json_text(const Json& json, int indent = -1);

std::string hex64(std::uint64_t value);
// Parses "0x" followed by 1..16 hex digits; false on anything else.
bool parse_hex64(const std::string& text, std::uint64_t& out);

Json detail_to_json(const simcore::Detail& detail);
// {"tensor", "elements", "mismatched_elements", "mismatch_percent", "first_ranges": [[begin, end), ...]}
Json mismatch_to_json(const runtime::TensorMismatch& mismatch);
// {"kind": ..., "summary": ..., <the finding's detail fields>}
Json finding_to_json(const simcore::Finding& finding);
Json result_to_json(const RunResult& result, bool with_snapshot);
// A point of the uncertain region (or a map's cell) as a JSON object {pointer: value}, in order;
// and back (InputError naming `file` and `pointer`).
Json point_to_json(const std::vector<scenarios::Override>& point);
std::vector<scenarios::Override> point_from_json(const Json& object, const std::string& file, const std::string& pointer);
// A scenario's uncertain parameters: [{"pointer", "kind", "range": [lo, hi] | "values": [..],
// "nominal", "description"}].
Json uncertain_to_json(const std::vector<scenarios::UncertainParam>& params);
// The `timing` object of `run --json` (docs/outputs.md).
Json timing_to_json(const runtime::TimingReport& timing);
Json host_thread_json(const runtime::HostThreadView& thread);
RunResult result_from_json(const Json& json);

Json snapshot_to_json(const runtime::StateSnapshot& snapshot);
// A snapshot as written to a file: the snapshot plus the seed, the scenario's hash and the tool
// version of the run that took it.
Json snapshot_file_json(const runtime::StateSnapshot& snapshot, std::uint64_t seed, std::uint64_t scenario_hash);
runtime::StateSnapshot snapshot_from_json(const Json& json, const std::string& file);

// Writes `text` to `path` atomically (a temporary file beside the target, then rename): nothing
// half-written is left. A symlink is followed to its final target and stays a link; the target
// must be a regular file or not exist: a device, FIFO, socket or directory is refused (writing
// --record /dev/full used to replace the device node). Throws OutputFileError with the reason.
void write_file_atomically(const std::string& path, const std::string& text);
std::string read_file(const std::string& path);
// Parses a JSON input file's text after bounding it (scenarios/json_guard.h): too deep, too long or
// out of range is an InputError naming `file` and the pointer; so is text that is not JSON, with
// `hint` (e.g. "truncated or corrupted recording?") in the message when given.
Json parse_json_input(const std::string& text, const std::string& file, const std::string& hint = "");

// Reads a snapshot file (a bare snapshot, or a run result that carries one).
runtime::StateSnapshot read_snapshot_file(const std::string& path);

}  // namespace ptosim::replay
