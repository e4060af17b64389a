// `--set PATH=VALUE`: a scenario field overridden by JSON pointer before validation, the way
// SimGrid's --cfg overrides a configuration item. The overridden document is what gets loaded,
// hashed and embedded in recordings, so a replay needs no flags.
#include "scenarios/json_guard.h"
#include "scenarios/loader_fields.h"
#include "scenarios/scenario.h"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace ptosim::scenarios {

namespace {

using json = nlohmann::ordered_json;

// The unescaped reference tokens of a JSON pointer (RFC 6901: ~1 is '/', ~0 is '~').
std::vector<std::string> pointer_tokens(const std::string& pointer, bool& valid) {
  std::vector<std::string> tokens;
  valid = !pointer.empty() && pointer[0] == '/';
  if (!valid) return tokens;
  std::size_t start = 1;
  while (true) {
    const std::size_t slash = pointer.find('/', start);
    std::string raw = pointer.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    std::string token;
    for (std::size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '~') {
        token += raw[i];
        continue;
      }
      if (i + 1 < raw.size() && (raw[i + 1] == '0' || raw[i + 1] == '1')) {
        token += raw[i + 1] == '0' ? '~' : '/';
        ++i;
      } else {
        valid = false;
        return tokens;
      }
    }
    tokens.push_back(std::move(token));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return tokens;
}

bool is_index(const std::string& token) {
  if (token.empty() || token.size() > 9) return false;
  if (token.size() > 1 && token[0] == '0') return false;
  for (char c : token) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

// An override of a declared uncertain parameter, or of a field inside its value, pins it: the
// parameter leaves `uncertain` (which goes when it empties) and keeps the value given. An
// override of an ancestor (--set /platform={...}) does not: the parameter then varies the new
// value. Overrides of `uncertain` itself edit the declarations.
void pin_uncertain(json& doc, const std::vector<Override>& overrides) {
  if (!doc.is_object() || !doc.contains("uncertain") || !doc["uncertain"].is_object()) return;
  json& uncertain = doc["uncertain"];
  for (const Override& item : overrides) {
    if (item.pointer == "/uncertain" || item.pointer.rfind("/uncertain/", 0) == 0) continue;
    std::vector<std::string> pinned;
    for (const auto& [key, spec] : uncertain.items()) {
      if (item.pointer == key || item.pointer.rfind(key + "/", 0) == 0) pinned.push_back(key);
    }
    for (const std::string& key : pinned) uncertain.erase(key);
  }
  if (uncertain.empty()) doc.erase("uncertain");
}

}  // namespace

namespace loader {

std::string compact_text(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

}  // namespace loader

std::string drop_uncertain(const std::string& text, const std::string& origin) {
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    throw ScenarioError(origin, "", std::string("not valid JSON: ") + e.what());
  }
  if (!doc.is_object() || !doc.contains("uncertain")) return text;
  doc.erase("uncertain");
  return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

std::string parse_override(const std::string& text, Override& out) {
  const std::size_t equals = text.find('=');
  if (equals == std::string::npos || equals == 0) {
    return "expected PATH=VALUE with PATH a JSON pointer such as /platform/clusters, found '" + text + "'";
  }
  out.pointer = text.substr(0, equals);
  out.value = text.substr(equals + 1);
  bool valid = false;
  pointer_tokens(out.pointer, valid);
  if (!valid) return "expected a JSON pointer starting with '/' before '=', found '" + out.pointer + "'";
  return "";
}

std::string apply_overrides(const std::string& text, const std::string& origin, const std::vector<Override>& overrides) {
  if (overrides.empty()) return text;
  const JsonBoundsProblem bounds = check_json_bounds(text);
  if (!bounds.ok()) throw ScenarioError(origin, bounds.pointer, bounds.problem);
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    throw ScenarioError(origin, "", std::string("not valid JSON: ") + e.what());
  }
  for (const Override& item : overrides) {
    // VALUE is JSON when it parses as JSON (8, true, [1, 2], {"a": 1}, "text"), else a string.
    // The bounds are checked before parsing: a value nested 8,000 deep or holding 1e400 is invalid
    // input naming the field, not a string and not an exception from inside the parser.
    const JsonBoundsProblem value_bounds = check_json_bounds(item.value);
    if (!value_bounds.ok()) {
      throw ScenarioError(origin, item.pointer + value_bounds.pointer, "--set " + item.pointer + ": " + value_bounds.problem);
    }
    json value;
    try {
      value = json::parse(item.value);
    } catch (const json::parse_error&) {
      value = item.value;
    }
    bool valid = false;
    const std::vector<std::string> tokens = pointer_tokens(item.pointer, valid);
    if (!valid) throw ScenarioError(origin, item.pointer, "--set: not a JSON pointer");
    // Walk to the parent; the last token may name a new object member, an array index or "-".
    json* node = &doc;
    std::string walked;
    for (std::size_t i = 0; i < tokens.size(); ++i) {
      const std::string& token = tokens[i];
      const bool last = i + 1 == tokens.size();
      if (node->is_object()) {
        if (!last && !node->contains(token)) {
          throw ScenarioError(origin, walked + "/" + token, "--set " + item.pointer + ": no such field");
        }
        node = &(*node)[token];
      } else if (node->is_array()) {
        if (last && token == "-") {
          node->push_back(json());
          node = &node->back();
        } else if (is_index(token) && std::stoul(token) < node->size()) {
          node = &(*node)[std::stoul(token)];
        } else {
          throw ScenarioError(origin, walked + "/" + token,
                              "--set " + item.pointer + ": expected an index below " + std::to_string(node->size()) +
                                  " (or '-' to append)");
        }
      } else {
        throw ScenarioError(origin, walked, "--set " + item.pointer + ": this field is not an object or an array");
      }
      walked += "/" + token;
    }
    *node = std::move(value);
  }
  pin_uncertain(doc, overrides);
  // A --set string that is not UTF-8 gets U+FFFD for its bad bytes (as replay::json_text does)
  // instead of an exception.
  return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

Scenario load_scenario_file(const std::string& path, const std::vector<Override>& overrides, bool nominal) {
  if (overrides.empty() && !nominal) return load_scenario_file(path);
  std::string text = apply_overrides(read_scenario_file(path), path, overrides);
  if (nominal) text = drop_uncertain(text, path);
  Scenario scenario = load_scenario_text(text, path);
  for (const Override& item : overrides) scenario.overrides.push_back(item.pointer + "=" + item.value);
  scenario.nominal = nominal;
  return scenario;
}

}  // namespace ptosim::scenarios
