// The shared pieces of the scenario loader (internal to scenarios/, not part of the public API):
// a JSON value with the pointer that names it, and the field reader that checks a value and
// raises the one typed error (file, JSON pointer, what was expected). One reader serves a whole
// load, so the parts that load different sections share its environment, loop variables,
// expression cache and expansion step counter: the sections and program expansion
// (scenario_loader.cpp), kernel micro-programs (micro_program_loader.cpp) and expectations
// (expectations_loader.cpp).
#pragma once

#include "scenarios/expression.h"
#include "scenarios/scenario.h"

#include <nlohmann/json.hpp>

#include <cctype>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace ptosim::scenarios::loader {

using json = nlohmann::ordered_json;

inline constexpr std::int64_t MAX_DURATION_NS = 1'000'000'000'000LL;  // 1000 s
inline constexpr std::int64_t MAX_DIM = 1LL << 40;
inline constexpr int MAX_STATEMENT_DEPTH = 100;  // bounds the loader's recursion (scopes stop at 64)
inline constexpr std::size_t MAX_SELECTED_ROWS = 1 << 20;  // rows a gather or scatter may select
inline constexpr std::int64_t MAX_ARG_RUNS = 1 << 20;      // contiguous element runs of one argument
// The bytes of all external tensors together: 16 GiB, the HBM of a small Ascend part. The data
// oracle keeps versions of GM in 64 KiB pages, so a tensor's size is work and memory a run pays
// (a 1 TiB tensor took 15 s and 4 GB before this bound); the catalogue's largest is far below.
inline constexpr std::uint64_t MAX_EXTERNAL_BYTES = std::uint64_t{1} << 34;

inline std::string escape_token(std::string_view token) {
  std::string out;
  for (char c : token) {
    if (c == '~') {
      out += "~0";
    } else if (c == '/') {
      out += "~1";
    } else {
      out += c;
    }
  }
  return out;
}

// A value in the document and how to name it; the pointer string is built only for errors.
struct Field {
  const json* value = nullptr;
  const Field* parent = nullptr;
  std::string_view key;
  std::size_t index = 0;
  bool by_index = false;

  std::string pointer() const {
    if (parent == nullptr) return "";
    return parent->pointer() + "/" + (by_index ? std::to_string(index) : escape_token(key));
  }
  const json& operator*() const { return *value; }
  const json* operator->() const { return value; }
};

// Objects here have a handful of keys: a linear scan comparing lengths first beats building
// std::string keys for nlohmann's lookups (the loader expands every statement many times).
inline const json* find_key(const json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  for (auto it = object.begin(); it != object.end(); ++it) {
    if (it.key().size() == key.size() && it.key() == key) return &*it;
  }
  return nullptr;
}

inline Field child(const Field& parent, std::string_view key) {
  const json* value = find_key(*parent.value, key);
  if (value == nullptr) throw std::logic_error("loader asked for a missing key");
  return Field{value, &parent, key, 0, false};
}
inline Field child(const Field& parent, std::size_t index) { return Field{&(*parent.value)[index], &parent, {}, index, true}; }

inline const char* type_name(const json& value) {
  switch (value.type()) {
    case json::value_t::null: return "null";
    case json::value_t::object: return "an object";
    case json::value_t::array: return "an array";
    case json::value_t::string: return "a string";
    case json::value_t::boolean: return "a boolean";
    case json::value_t::number_integer:
    case json::value_t::number_unsigned: return "an integer";
    case json::value_t::number_float: return "a number with a fraction";
    default: return "an unsupported value";
  }
}

inline bool is_identifier(std::string_view text) {
  if (text.size() > MAX_NAME_LENGTH) return false;
  if (text.empty() || !(std::isalpha(static_cast<unsigned char>(text[0])) || text[0] == '_')) return false;
  for (char c : text) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
  }
  return true;
}

inline bool has(const Field& object, const char* key) { return find_key(*object, key) != nullptr; }

// A check that failed: the field it names (its parent must outlive the problem) and what is
// wrong; an `expected` problem reads "expected <text>".
struct Problem {
  Field field;
  std::string text;
  bool expected = false;
};

// The first problem of an object's keys: not an object, an unknown key, a missing required key.
inline std::optional<Problem> object_problem(const Field& field, std::initializer_list<const char*> allowed,
                                             std::initializer_list<const char*> required) {
  if (!field->is_object()) return Problem{field, std::string("an object, found ") + type_name(*field), true};
  for (const auto& [key, value] : field->items()) {
    bool known = false;
    for (const char* name : allowed) known = known || key == name;
    if (!known) {
      std::string list;
      for (const char* name : allowed) list += (list.empty() ? "" : ", ") + std::string(name);
      return Problem{child(field, key), "unknown key '" + key + "' (allowed here: " + list + ")", false};
    }
  }
  for (const char* name : required) {
    if (!field->contains(name)) {
      return Problem{Field{field.value, &field, name, 0, false}, std::string("missing required key '") + name + "'", false};
    }
  }
  return std::nullopt;
}

// Reads typed values out of fields and reports bad ones, naming the loop iteration being
// expanded. Integer fields may be expressions, evaluated in the environment of the moment.
class FieldReader {
 public:
  explicit FieldReader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const Field& field, const std::string& expected) const {
    throw ScenarioError(file_, field.pointer(), "expected " + expected + iteration_context());
  }
  [[noreturn]] void fail_raw(const Field& field, const std::string& problem) const {
    throw ScenarioError(file_, field.pointer(), problem + iteration_context());
  }
  // " (in iteration b=2, k=5)" while expanding loops, so an error names the failing iteration.
  std::string iteration_context() const {
    if (loop_vars_.empty()) return {};
    std::string out = " (in iteration ";
    for (std::size_t i = 0; i < loop_vars_.size(); ++i) {
      out += (i == 0 ? "" : ", ") + loop_vars_[i] + "=" + std::to_string(*env_.find(loop_vars_[i]));
    }
    return out + ")";
  }

  [[noreturn]] void raise(const Problem& problem) const {
    if (problem.expected) fail(problem.field, problem.text);
    fail_raw(problem.field, problem.text);
  }

  // Keys are static, so an object inside a loop body is checked on its first expansion only.
  void check_object(const Field& field, std::initializer_list<const char*> allowed,
                    std::initializer_list<const char*> required) {
    if (!field->is_object()) fail(field, std::string("an object, found ") + type_name(*field));
    if (!checked_objects_.insert(field.value).second) return;
    if (auto problem = object_problem(field, allowed, required)) raise(*problem);
  }

  std::int64_t integer(const Field& field, std::int64_t min, std::int64_t max) const {
    if (!field->is_number_integer()) fail(field, std::string("an integer, found ") + type_name(*field));
    if (field->is_number_unsigned() && field->get<std::uint64_t>() > static_cast<std::uint64_t>(INT64_MAX)) {
      fail(field, "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]");
    }
    const auto value = field->get<std::int64_t>();
    if (value < min || value > max) {
      fail(field, "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "], found " +
                      std::to_string(value));
    }
    return value;
  }

  // Parsed once per JSON node: loop bodies evaluate the same expressions many times.
  const Expression& expression(const Field& field, const std::string& text) {
    auto it = expr_cache_.find(field.value);
    if (it != expr_cache_.end()) return it->second;
    try {
      return expr_cache_.emplace(field.value, Expression::parse(text)).first->second;
    } catch (const ExpressionError& e) {
      fail_raw(field, e.what());
    }
  }

  // An integer literal or an expression string, evaluated in the current environment.
  std::int64_t int_expr(const Field& field, std::int64_t min, std::int64_t max) {
    std::int64_t value = 0;
    if (field->is_string()) {
      const Expression& expr = expression(field, field->get_ref<const std::string&>());
      step(field, expr.cost());
      try {
        value = expr.evaluate(env_);
      } catch (const ExpressionError& e) {
        std::string problem = e.what();
        for (const std::string& later : later_params_) {
          if (problem.find("unknown variable '" + later + "'") != std::string::npos) {
            problem += " (parameters are defined in order: '" + later + "' comes after this one)";
          }
        }
        fail_raw(field, problem);
      }
    } else if (field->is_number_integer()) {
      value = integer(field, INT64_MIN, INT64_MAX);
    } else {
      fail(field, std::string("an integer or an expression string, found ") + type_name(*field));
    }
    if (value < min || value > max) {
      fail(field, "a value in [" + std::to_string(min) + ", " + std::to_string(max) + "], got " + std::to_string(value) +
                      (field->is_string() ? " from \"" + field->get<std::string>() + "\"" : ""));
    }
    return value;
  }

  std::vector<std::int64_t> int_list(const Field& field, std::size_t min_len, std::size_t max_len, std::int64_t min,
                                     std::int64_t max) {
    if (!field->is_array()) fail(field, std::string("an array, found ") + type_name(*field));
    if (field->size() < min_len || field->size() > max_len) {
      fail(field, "an array of " + std::to_string(min_len) + " to " + std::to_string(max_len) + " values");
    }
    std::vector<std::int64_t> values;
    for (std::size_t i = 0; i < field->size(); ++i) values.push_back(int_expr(child(field, i), min, max));
    return values;
  }

  std::string string(const Field& field) const {
    if (!field->is_string()) fail(field, std::string("a string, found ") + type_name(*field));
    return field->get<std::string>();
  }

  bool boolean(const Field& field) const {
    if (!field->is_boolean()) fail(field, std::string("true or false, found ") + type_name(*field));
    return field->get<bool>();
  }

  runtime::DurationRange duration_range(const Field& field, std::int64_t min_value) {
    runtime::DurationRange range;
    if (field->is_array()) {
      if (field->size() != 2) fail(field, "a duration in ns or a [min, max] pair");
      range.min_ns = integer(child(field, std::size_t{0}), min_value, MAX_DURATION_NS);
      range.max_ns = integer(child(field, std::size_t{1}), min_value, MAX_DURATION_NS);
      if (range.max_ns < range.min_ns) fail(child(field, std::size_t{1}), "max >= min");
    } else {
      range.min_ns = range.max_ns = integer(field, min_value, MAX_DURATION_NS);
    }
    return range;
  }

  TimeNs duration(const Field& field) { return integer(field, 0, MAX_DURATION_NS); }

  // One unit of the loader's work; see MAX_EXPANSION_STEPS.
  void step(const Field& where, std::uint64_t units = 1) {
    steps_ += units;
    if (steps_ > MAX_EXPANSION_STEPS) {
      fail_raw(where, "the program takes more than " + std::to_string(MAX_EXPANSION_STEPS) +
                          " expansion steps (statements, loop iterations, arguments and dependencies evaluated; "
                          "the limit of one scenario)");
    }
  }

  // Takes `units` steps at once when they fit the budget, as step() one by one would without an
  // error; takes none and returns false when they do not fit.
  bool try_steps(std::uint64_t units) {
    if (steps_ + units > MAX_EXPANSION_STEPS) return false;
    steps_ += units;
    return true;
  }

  std::uint64_t steps() const { return steps_; }
  Environment& env() { return env_; }
  std::vector<std::string>& loop_vars() { return loop_vars_; }
  const std::string& file() const { return file_; }

 protected:
  std::string file_;
  std::uint64_t steps_ = 0;
  Environment env_;
  std::vector<std::string> loop_vars_;
  std::vector<std::string> later_params_;  // parameters not defined yet (for hints)
  // Caches keyed by JSON node (lookups only, never iterated).
  std::unordered_map<const json*, Expression> expr_cache_;
  std::unordered_set<const json*> checked_objects_;
};

// Kernel micro-programs (micro_program_loader.cpp).
std::shared_ptr<const hwmodel::KernelProgram> load_kernel_program(FieldReader& reader, const Field& field,
                                                                  const hwmodel::KernelSpec& spec);
// `args` are those of one submit of the kernel, their layouts in `program`.
void check_program_operands(FieldReader& reader, const Field& stmt, const hwmodel::KernelSpec& kernel,
                            const runtime::Program& program, std::span<const runtime::ArgSpec> args);

// The program (program_compiler.cpp, program_expander.cpp): `/program/body` compiled once and
// expanded into the flat list of runtime calls, with the external tensors some task writes and
// the warnings about scopes that cannot fit their ring.
struct ExpandedProgram {
  runtime::Program program;
  LoaderWork work;
  std::set<std::uint32_t> written_externals;
  std::vector<std::string> warnings;
};
ExpandedProgram expand_program(FieldReader& reader, const Field& program, const runtime::ModelInput& model,
                               const std::unordered_map<std::string, std::uint32_t>& kernel_index,
                               const std::vector<runtime::ExternalTensor>& externals);

// Expectations (expectations_loader.cpp): `externals` and `written_externals` are the program's,
// expanded before.
Expectations load_expect(FieldReader& reader, const Field& field, const std::vector<runtime::ExternalTensor>& externals,
                         const std::set<std::uint32_t>& written_externals);

// A value as compact JSON text (scenario_overrides.cpp, the one serializer of scenarios/, with
// the replacing error handler).
std::string compact_text(const json& value);

// Uncertain parameters (uncertain_loader.cpp): `uncertain` checked against the document `doc`
// it belongs to (every pointer names a value there, and that value, the nominal one, lies in its
// declared range or list); sorted by pointer.
std::vector<UncertainParam> load_uncertain(FieldReader& reader, const Field& field, const json& doc);

}  // namespace ptosim::scenarios::loader
