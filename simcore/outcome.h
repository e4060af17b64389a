// How a run ends (one outcome) and what the oracles noticed along the way (zero or more findings).
//
// These types belong to no model layer: the runtime decides deadlock verdicts, the memory and
// pipe oracles add findings, and scenarios, reports, sweeps and expectations read both. They sit
// here, next to the event log, so that every layer can name them without including another.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ptosim::simcore {

enum class Outcome : std::uint8_t { pass, wrong_values, hang, deadlock_true, deadlock_false, runtime_error, sim_limit };
inline constexpr int OUTCOME_COUNT = 7;
const char* to_string(Outcome outcome);
bool parse_outcome(std::string_view text, Outcome& out);

// What an oracle found. A finding is decided from the program's semantics, not from the timing
// of one run, so it is reported on every seed where its cause exists.
// dropped_dependency: a TensorMap hit the runtime's lookup cap left without an edge (a race
// waiting to happen, whether or not a run's timing exposes it).
enum class FindingKind : std::uint8_t { race, visibility_hazard, flag_protocol, dropped_dependency };
inline constexpr int FINDING_KIND_COUNT = 4;
const char* to_string(FindingKind kind);
bool parse_finding_kind(std::string_view text, FindingKind& out);

// A small ordered tree for a finding's details (integers, strings, booleans, lists, objects), so
// that each oracle can describe what it saw without this layer knowing a report format.
class Detail {
 public:
  enum class Type : std::uint8_t { null, integer, text, boolean, list, object };

  Detail() = default;
  static Detail integer(std::int64_t value);
  static Detail text(std::string value);
  static Detail boolean(bool value);
  static Detail list();
  static Detail object();

  Type type() const { return type_; }
  std::int64_t as_integer() const { return integer_; }
  const std::string& as_text() const { return text_; }
  bool as_boolean() const { return integer_ != 0; }
  // Lists: items in order. Objects: (key, value) pairs in insertion order.
  const std::vector<Detail>& items() const { return items_; }
  const std::vector<std::pair<std::string, Detail>>& fields() const { return fields_; }

  // Appends to a list; returns *this for chaining.
  Detail& push(Detail value);
  // Sets a field of an object (replacing one of the same key); returns *this for chaining.
  Detail& set(std::string key, Detail value);
  // The field `key` of an object, or nullptr.
  const Detail* find(std::string_view key) const;

  bool operator==(const Detail& other) const;

 private:
  Type type_ = Type::null;
  std::int64_t integer_ = 0;
  std::string text_;
  std::vector<Detail> items_;
  std::vector<std::pair<std::string, Detail>> fields_;
};

struct Finding {
  FindingKind kind = FindingKind::race;
  std::string summary;  // one line for humans
  Detail details = Detail::object();

  bool operator==(const Finding& other) const = default;
};

}  // namespace ptosim::simcore
