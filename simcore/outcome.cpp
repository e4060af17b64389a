#include "simcore/outcome.h"

namespace ptosim::simcore {

const char* to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::pass: return "pass";
    case Outcome::wrong_values: return "wrong_values";
    case Outcome::hang: return "hang";
    case Outcome::deadlock_true: return "deadlock_true";
    case Outcome::deadlock_false: return "deadlock_false";
    case Outcome::runtime_error: return "runtime_error";
    case Outcome::sim_limit: return "sim_limit";
  }
  return "?";
}

bool parse_outcome(std::string_view text, Outcome& out) {
  for (int i = 0; i < OUTCOME_COUNT; ++i) {
    const auto candidate = static_cast<Outcome>(i);
    if (text == to_string(candidate)) {
      out = candidate;
      return true;
    }
  }
  return false;
}

const char* to_string(FindingKind kind) {
  switch (kind) {
    case FindingKind::race: return "race";
    case FindingKind::visibility_hazard: return "visibility_hazard";
    case FindingKind::flag_protocol: return "flag_protocol";
    case FindingKind::dropped_dependency: return "dropped_dependency";
  }
  return "?";
}

bool parse_finding_kind(std::string_view text, FindingKind& out) {
  for (int i = 0; i < FINDING_KIND_COUNT; ++i) {
    const auto candidate = static_cast<FindingKind>(i);
    if (text == to_string(candidate)) {
      out = candidate;
      return true;
    }
  }
  return false;
}

Detail Detail::integer(std::int64_t value) {
  Detail d;
  d.type_ = Type::integer;
  d.integer_ = value;
  return d;
}

Detail Detail::text(std::string value) {
  Detail d;
  d.type_ = Type::text;
  d.text_ = std::move(value);
  return d;
}

Detail Detail::boolean(bool value) {
  Detail d;
  d.type_ = Type::boolean;
  d.integer_ = value ? 1 : 0;
  return d;
}

Detail Detail::list() {
  Detail d;
  d.type_ = Type::list;
  return d;
}

Detail Detail::object() {
  Detail d;
  d.type_ = Type::object;
  return d;
}

Detail& Detail::push(Detail value) {
  if (type_ == Type::null) type_ = Type::list;
  items_.push_back(std::move(value));
  return *this;
}

Detail& Detail::set(std::string key, Detail value) {
  if (type_ == Type::null) type_ = Type::object;
  for (auto& [existing, field] : fields_) {
    if (existing == key) {
      field = std::move(value);
      return *this;
    }
  }
  fields_.emplace_back(std::move(key), std::move(value));
  return *this;
}

const Detail* Detail::find(std::string_view key) const {
  for (const auto& [existing, field] : fields_) {
    if (existing == key) return &field;
  }
  return nullptr;
}

bool Detail::operator==(const Detail& other) const {
  return type_ == other.type_ && integer_ == other.integer_ && text_ == other.text_ && items_ == other.items_ &&
         fields_ == other.fields_;
}

}  // namespace ptosim::simcore
