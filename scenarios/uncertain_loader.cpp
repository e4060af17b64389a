// `uncertain` (docs/scenario-format.md): each declared parameter checked against the document it
// belongs to, and the integer-only arithmetic of points (log scale, evenly spaced values).
#include "scenarios/loader_fields.h"
#include "scenarios/uncertain.h"

#include "simcore/hashing.h"

#include <algorithm>
#include <bit>

namespace ptosim::scenarios {

const char* to_string(UncertainKind kind) {
  switch (kind) {
    case UncertainKind::range: return "range";
    case UncertainKind::log_range: return "log_range";
    case UncertainKind::list: return "list";
  }
  return "?";
}

std::uint64_t uncertain_subject(const std::string& pointer) { return fnv1a64(pointer); }

std::uint64_t log_scale(std::int64_t value) {
  const auto v = static_cast<std::uint64_t>(std::clamp<std::int64_t>(value, 1, MAX_UNCERTAIN_VALUE));
  const auto e = static_cast<unsigned>(std::bit_width(v) - 1);
  const std::uint64_t base = std::uint64_t{1} << e;
  // (v - 2^e) / 2^e as a 32-bit fraction, exact (floor) on either side of 2^32.
  const std::uint64_t fraction = e <= 32 ? (v - base) << (32 - e) : (v - base) >> (e - 32);
  return (static_cast<std::uint64_t>(e) << 32) | fraction;
}

std::int64_t from_log_scale(std::uint64_t position) {
  const auto e = static_cast<unsigned>(std::min<std::uint64_t>(position >> 32, 53));
  const std::uint64_t fraction = position & 0xFFFF'FFFFULL;
  const std::uint64_t base = std::uint64_t{1} << e;
  // base * fraction / 2^32 without overflow: base is a power of two.
  const std::uint64_t above = e <= 32 ? (base * fraction) >> 32 : (base >> 32) * fraction;
  return static_cast<std::int64_t>(base + above);
}

std::vector<std::int64_t> spaced_values(std::int64_t lo, std::int64_t hi, std::size_t count, bool log) {
  std::vector<std::int64_t> values;
  if (hi < lo || count == 0) return values;
  if (count == 1 || lo == hi) return {lo};
  count = std::min<std::size_t>(count, MAX_SPACED_VALUES);
  const std::uint64_t steps = count - 1;
  // floor(span * i / steps) without overflow: span < 2^54, i and steps below 2^12.
  auto share = [steps](std::uint64_t span, std::uint64_t i) { return span / steps * i + span % steps * i / steps; };
  for (std::uint64_t i = 0; i <= steps; ++i) {
    std::int64_t value = 0;
    if (i == steps) {
      value = hi;  // the ends exactly, whatever the rounding in between
    } else if (log) {
      const std::uint64_t a = log_scale(lo);
      value = from_log_scale(a + share(log_scale(hi) - a, i));
    } else {
      value = lo + static_cast<std::int64_t>(share(static_cast<std::uint64_t>(hi - lo), i));
    }
    value = std::clamp(value, lo, hi);
    if (values.empty() || values.back() != value) values.push_back(value);
  }
  return values;
}

std::string uncertain_value_text(const UncertainParam& param, std::uint64_t decision_value) {
  if (param.kind == UncertainKind::list) return param.values.at(decision_value);
  return std::to_string(static_cast<std::int64_t>(decision_value));
}

std::string text_at_point(const std::string& text, const std::string& origin, const std::vector<Override>& point) {
  return drop_uncertain(apply_overrides(text, origin, point), origin);
}

std::string point_text(const std::vector<Override>& point) {
  std::string text;
  for (const Override& item : point) text += (text.empty() ? "" : " ") + item.pointer + "=" + item.value;
  return text;
}

namespace loader {

namespace {

// Where a parameter may not point: the identity of the file and what judges it stay fixed.
bool forbidden_target(const std::string& pointer) {
  for (const char* top : {"/format", "/name", "/description", "/expect", "/uncertain"}) {
    const std::string prefix = top;
    if (pointer == prefix || pointer.rfind(prefix + "/", 0) == 0) return true;
  }
  return false;
}

std::int64_t bound(FieldReader& reader, const Field& field, std::int64_t min) {
  return reader.integer(field, min, MAX_UNCERTAIN_VALUE);
}

UncertainParam load_param(FieldReader& reader, const Field& field, const std::string& pointer, const json& doc) {
  if (pointer.empty() || pointer[0] != '/') reader.fail_raw(field, "an uncertain parameter's key is a JSON pointer such as /platform/host_cpus");
  if (forbidden_target(pointer)) {
    reader.fail_raw(field, "a parameter may not point into /format, /name, /description, /expect or /uncertain");
  }
  const json* target = nullptr;
  try {
    const json::json_pointer ptr(pointer);
    if (doc.contains(ptr)) target = &doc.at(ptr);
  } catch (const json::exception&) {
    reader.fail_raw(field, "'" + pointer + "' is not a valid JSON pointer");
  }
  if (target == nullptr) reader.fail_raw(field, "'" + pointer + "' names no value of this scenario");
  reader.check_object(field, {"range", "log_range", "list", "description"}, {});
  UncertainParam param;
  param.pointer = pointer;
  param.nominal = compact_text(*target);
  int kinds = 0;
  for (const char* key : {"range", "log_range", "list"}) kinds += has(field, key) ? 1 : 0;
  if (kinds != 1) reader.fail(field, "exactly one of \"range\": [lo, hi], \"log_range\": [lo, hi] or \"list\": [values]");
  if (has(field, "description")) param.description = reader.string(child(field, "description"));
  if (has(field, "list")) {
    const Field list = child(field, "list");
    if (!list->is_array() || list->size() < 2 || list->size() > MAX_UNCERTAIN_VALUES) {
      reader.fail(list, "a list of 2 to " + std::to_string(MAX_UNCERTAIN_VALUES) + " values");
    }
    param.kind = UncertainKind::list;
    bool nominal_listed = false;
    for (std::size_t i = 0; i < list->size(); ++i) {
      const json& value = (*list)[i];
      for (const std::string& earlier : param.values) {
        if (earlier == compact_text(value)) reader.fail_raw(child(list, i), "the value " + earlier + " is listed twice");
      }
      if (value == *target && !nominal_listed) {
        param.nominal_index = i;
        nominal_listed = true;
      }
      param.values.push_back(compact_text(value));
    }
    if (!nominal_listed) {
      reader.fail_raw(list, "the list must hold the scenario's own value " + param.nominal + " (the nominal value, every draw's default)");
    }
    return param;
  }
  const bool log = has(field, "log_range");
  const Field range = child(field, log ? "log_range" : "range");
  if (!range->is_array() || range->size() != 2) reader.fail(range, "[lo, hi]");
  param.kind = log ? UncertainKind::log_range : UncertainKind::range;
  param.lo = bound(reader, child(range, std::size_t{0}), log ? 1 : 0);
  param.hi = bound(reader, child(range, std::size_t{1}), log ? 1 : 0);
  if (param.hi <= param.lo) reader.fail(child(range, std::size_t{1}), "hi > lo");
  if (!target->is_number_integer() || target->get<std::int64_t>() < param.lo || target->get<std::int64_t>() > param.hi) {
    reader.fail_raw(range, "the range must hold the scenario's own value " + param.nominal +
                               " (the nominal value, every draw's default), an integer");
  }
  param.nominal_value = target->get<std::int64_t>();
  return param;
}

}  // namespace

std::vector<UncertainParam> load_uncertain(FieldReader& reader, const Field& field, const json& doc) {
  if (!field->is_object() || field->empty() || field->size() > MAX_UNCERTAIN_PARAMS) {
    reader.fail(field, "an object of 1 to " + std::to_string(MAX_UNCERTAIN_PARAMS) +
                           " parameters, {\"/json/pointer\": {\"range\" | \"log_range\" | \"list\": ...}}");
  }
  std::vector<UncertainParam> params;
  for (const auto& [pointer, spec] : field->items()) params.push_back(load_param(reader, child(field, pointer), pointer, doc));
  // One parameter inside another's value would be applied twice at a point.
  std::sort(params.begin(), params.end(), [](const UncertainParam& a, const UncertainParam& b) { return a.pointer < b.pointer; });
  for (const UncertainParam& inner : params) {
    for (const UncertainParam& outer : params) {
      if (inner.pointer.rfind(outer.pointer + "/", 0) == 0) {
        reader.fail_raw(child(field, inner.pointer), "lies inside the value of the parameter " + outer.pointer);
      }
    }
  }
  return params;
}

}  // namespace loader

}  // namespace ptosim::scenarios
