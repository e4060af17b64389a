#include "replay/plan_worker.h"

#include "replay/sweep_fold.h"
#include "scenarios/json_guard.h"
#include "simcore/model_assert.h"

#include <cerrno>
#include <cstring>
#include <sstream>
#include <unistd.h>

namespace ptosim::replay {

namespace {

constexpr const char* WORKER_FORMAT = "ptosim-worker";
// A request line longer than this is not one: the input is not a list of seeds.
constexpr std::size_t MAX_LINE_BYTES = 256;

std::string trim(const std::string& text) {
  const std::size_t begin = text.find_first_not_of(" \t\r");
  if (begin == std::string::npos) return "";
  const std::size_t end = text.find_last_not_of(" \t\r");
  return text.substr(begin, end - begin + 1);
}

}  // namespace

LineSource::LineSource(int fd, const SeedSelection& seeds, std::uint32_t cells) : fd_(fd), seeds_(seeds), cells_(cells) {
  PTOSIM_ASSERT(cells_ >= 1, "a plan has a cell");
}

bool LineSource::selected(std::uint64_t seed) const {
  if (seed < seeds_.range.first || seed > seeds_.range.last) return false;
  return (seed - seeds_.range.first) % seeds_.shard_count == seeds_.shard_index - 1;
}

void LineSource::push(Span span) {
  PTOSIM_ASSERT(span.seed <= span.last, "a span holds a seed");
  PTOSIM_ASSERT(span.cell_first <= span.cell_last, "a span holds a cell");
  span.cell = span.cell_first;
  const std::uint64_t seeds = (span.last - span.seed) / span.step + 1;
  available_ += seeds * (span.cell_last - span.cell_first + 1);
  spans_.push_back(span);
}

std::optional<Ticket> LineSource::next() {
  if (spans_.empty()) return std::nullopt;
  Span& span = spans_.front();
  const Ticket ticket{span.cell, span.seed};
  PTOSIM_ASSERT(available_ > 0, "a ticket in a span is counted");
  --available_;
  if (span.cell < span.cell_last) {
    ++span.cell;
  } else if (span.last - span.seed >= span.step) {
    span.seed += span.step;
    span.cell = span.cell_first;
  } else {
    spans_.pop_front();
  }
  return ticket;
}

void LineSource::parse_line(const std::string& raw) {
  ++lines_;
  const std::string line = trim(raw);
  if (line.empty() || line[0] == '#') return;
  auto fail = [&](const std::string& problem) {
    error_ = "line " + std::to_string(lines_) + ": " + problem + " (found '" + line.substr(0, 60) + "')";
  };
  const std::string selection = seeds_.range.first == seeds_.range.last
                                    ? std::to_string(seeds_.range.first)
                                    : std::to_string(seeds_.range.first) + ".." + std::to_string(seeds_.range.last) +
                                          (seeds_.sharded() ? " shard " + seeds_.shard_text() : std::string());
  if (line.find("..") != std::string::npos) {
    scenarios::SeedRange range;
    const std::string problem = scenarios::parse_seed_range(line, range);
    if (!problem.empty()) return fail("expected " + problem);
    std::uint64_t first = std::max(range.first, seeds_.range.first);
    const std::uint64_t last = std::min(range.last, seeds_.range.last);
    if (range.first < seeds_.range.first || range.last > seeds_.range.last) {
      return fail("the range leaves the plan's seeds " + selection);
    }
    while (first <= last && !selected(first)) ++first;  // at most shard_count - 1 steps
    if (first > last) return;  // no seed of this shard in the range
    push(Span{0, cells_ - 1, first, last, seeds_.shard_count, 0});
    return;
  }
  const std::size_t space = line.find_first_of(" \t");
  std::uint64_t cell = 0;
  std::uint64_t seed = 0;
  bool one_cell = false;
  if (space == std::string::npos) {
    if (!scenarios::parse_u64(line, seed)) return fail("expected SEED, CELL SEED or A..B");
  } else {
    one_cell = true;
    if (!scenarios::parse_u64(line.substr(0, space), cell) || !scenarios::parse_u64(trim(line.substr(space)), seed)) {
      return fail("expected SEED, CELL SEED or A..B");
    }
    if (cell >= cells_) return fail("the plan has " + std::to_string(cells_) + " cells (0.." + std::to_string(cells_ - 1) + ")");
  }
  if (!selected(seed)) return fail("the seed is not one of the plan's seeds " + selection);
  const auto c = static_cast<std::uint32_t>(cell);
  push(Span{one_cell ? c : 0, one_cell ? c : cells_ - 1, seed, seed, 1, 0});
}

void LineSource::pump() {
  if (eof_ || !error_.empty()) return;
  char buffer[65536];
  const ssize_t got = ::read(fd_, buffer, sizeof buffer);
  if (got < 0) {
    if (errno == EINTR || errno == EAGAIN) return;
    error_ = std::string("cannot read the input: ") + std::strerror(errno);
    return;
  }
  if (got == 0) {
    eof_ = true;
    if (!partial_.empty()) parse_line(partial_);  // a last line without its newline
    partial_.clear();
    return;
  }
  partial_.append(buffer, static_cast<std::size_t>(got));
  std::size_t start = 0;
  for (std::size_t newline = partial_.find('\n'); newline != std::string::npos && error_.empty();
       newline = partial_.find('\n', start)) {
    parse_line(partial_.substr(start, newline - start));
    start = newline + 1;
  }
  partial_.erase(0, start);
  if (error_.empty() && partial_.size() > MAX_LINE_BYTES) {
    ++lines_;
    error_ = "line " + std::to_string(lines_) + ": longer than " + std::to_string(MAX_LINE_BYTES) + " bytes";
  }
}

void LineSource::drain() {
  while (!eof_ && error_.empty()) pump();
}

Json worker_header(const SweepPlan& plan) {
  return Json{{"format", WORKER_FORMAT}, {"plan_hash", hex64(plan_hash(plan))}, {"plan", plan_to_json(plan)}};
}

Json worker_run_line(const Ticket& ticket, const RunResult& result) {
  PTOSIM_ASSERT(ticket.seed == result.seed, "a ticket's result is of its seed");
  return Json{{"cell", ticket.cell}, {"result", result_to_json(result, false)}};
}

Json worker_end_line(std::uint64_t runs, int interrupted_by, const std::string& error) {
  return Json{{"end", Json{{"runs", runs},
                           {"interrupted_by", interrupted_by != 0 ? Json(interrupted_by) : Json(nullptr)},
                           {"error", error.empty() ? Json(nullptr) : Json(error)}}}};
}

bool is_worker_output(const std::string& text) {
  const std::size_t newline = text.find('\n');
  try {
    const std::string line = text.substr(0, newline);
    if (!scenarios::check_json_bounds(line).ok()) return false;
    const Json first = Json::parse(line);
    return first.is_object() && first.contains("format") && first.at("format") == WORKER_FORMAT;
  } catch (const Json::exception&) {
    return false;
  }
}

namespace {

// The header of a worker output: the plan's hash and the plan.
std::pair<std::string, Json> read_worker_header(const std::string& text, const std::string& file) {
  const std::string first = text.substr(0, text.find('\n'));
  const scenarios::JsonBoundsProblem bounds = scenarios::check_json_bounds(first);
  if (!bounds.ok()) throw InputError(file, bounds.pointer, bounds.problem);
  Json doc;
  try {
    doc = Json::parse(first);
  } catch (const Json::exception&) {
    doc = nullptr;
  }
  if (!doc.is_object() || doc.value("format", "") != WORKER_FORMAT || !doc.contains("plan") || !doc.contains("plan_hash") ||
      !doc.at("plan_hash").is_string()) {
    throw InputError(file, "", "not the output of `ptosim worker` (its first line names the plan)");
  }
  return {doc.at("plan_hash").get<std::string>(), doc.at("plan")};
}

// Hands every run line of a worker output to `sink`, checking that the worker finished.
template <typename Sink>
void read_worker_runs(const std::string& text, const std::string& file, Sink&& sink) {
  std::istringstream in(text);
  std::string line;
  std::uint64_t number = 0;
  bool ended = false;
  auto where = [&] { return "line " + std::to_string(number); };
  while (std::getline(in, line)) {
    ++number;
    if (number == 1 || trim(line).empty()) continue;  // the header, read before
    if (ended) throw InputError(file, "", where() + ": a line after the end line");
    Json doc;
    const scenarios::JsonBoundsProblem bounds = scenarios::check_json_bounds(line);
    if (!bounds.ok()) throw InputError(file, "", where() + ": at " + bounds.pointer + ": " + bounds.problem);
    try {
      doc = Json::parse(line);
    } catch (const Json::exception& e) {
      throw InputError(file, "", where() + ": not a JSON line: " + e.what());
    }
    if (doc.is_object() && doc.contains("end")) {
      const Json& end = doc.at("end");
      if (end.contains("error") && end.at("error").is_string()) {
        throw InputError(file, "", where() + ": the worker stopped on an error: " + end.at("error").get<std::string>());
      }
      if (end.contains("interrupted_by") && !end.at("interrupted_by").is_null()) {
        throw InputError(file, "", where() + ": the worker was interrupted by signal " + json_text(end.at("interrupted_by")));
      }
      ended = true;
      continue;
    }
    if (!doc.is_object() || !doc.contains("cell") || !doc.at("cell").is_number_unsigned() || !doc.contains("result")) {
      throw InputError(file, "", where() + ": expected {\"cell\", \"result\"} or the end line");
    }
    RunResult result;
    try {
      result = result_from_json(doc.at("result"));
    } catch (const InputError& e) {
      throw InputError(file, "", where() + ": " + e.what());
    } catch (const Json::exception& e) {
      throw InputError(file, "", where() + ": " + e.what());
    }
    sink(Ticket{doc.at("cell").get<std::uint32_t>(), result.seed}, std::move(result));
  }
  if (!ended) throw InputError(file, "", "no end line: the worker did not finish (killed, or its output was cut)");
}

}  // namespace

PlanResults merge_worker_outputs(const std::vector<std::string>& texts, const std::vector<std::string>& files) {
  PTOSIM_ASSERT(!texts.empty() && texts.size() == files.size(), "a name for every output");
  PlanResults merged;
  const auto [hash, plan_json] = read_worker_header(texts.front(), files.front());
  for (std::size_t i = 1; i < texts.size(); ++i) {
    const std::string other = read_worker_header(texts[i], files[i]).first;
    if (other != hash) {
      throw InputError(files[i], "", "the output of another plan than " + files.front() + "'s (plan hash " + other +
                                         ", not " + hash + ")");
    }
  }
  merged.plan = plan_from_json(plan_json, files.front());
  const SweepPlan& plan = merged.plan;
  scenarios::Scenario scenario = scenarios::load_scenario_text(plan.scenario_text, plan.scenario_path);
  scenario.overrides = plan.overrides;
  scenario.nominal = plan.nominal;
  merged.meta = sweep_meta_for(scenario, plan.seeds, plan.strategy);
  merged.meta.program = plan.program;
  merged.meta.pct_steps_given = plan.pct_steps_given;
  merged.meta.jobs = static_cast<int>(texts.size());
  const std::uint64_t per_cell = plan.seeds.count();
  std::vector<SweepFold> folds;
  for (std::size_t cell = 0; cell < plan.cells.size(); ++cell) folds.emplace_back(expected_patterns(scenario.expect), per_cell);
  // Which tickets ran: every one exactly once.
  std::vector<std::vector<bool>> ran(plan.cells.size(), std::vector<bool>(per_cell, false));
  for (std::size_t i = 0; i < texts.size(); ++i) {
    read_worker_runs(texts[i], files[i], [&](const Ticket& ticket, RunResult result) {
      const std::uint64_t offset = ticket.seed - plan.seeds.range.first;
      if (ticket.cell >= plan.cells.size() || ticket.seed < plan.seeds.range.first || ticket.seed > plan.seeds.range.last ||
          offset % plan.seeds.shard_count != plan.seeds.shard_index - 1) {
        throw InputError(files[i], "", "cell " + std::to_string(ticket.cell) + " seed " + std::to_string(ticket.seed) +
                                           " is not a ticket of the plan");
      }
      const std::uint64_t n = offset / plan.seeds.shard_count;
      if (ran[ticket.cell][n]) {
        throw InputError(files[i], "", "cell " + std::to_string(ticket.cell) + " seed " + std::to_string(ticket.seed) +
                                           " was run twice (two workers were given the same seed)");
      }
      ran[ticket.cell][n] = true;
      folds[ticket.cell].add(std::move(result));
    });
  }
  for (std::size_t cell = 0; cell < plan.cells.size(); ++cell) {
    for (std::uint64_t n = 0; n < per_cell; ++n) {
      if (!ran[cell][n]) {
        throw InputError(files.front(), "", "cell " + std::to_string(cell) + " seed " + std::to_string(plan.seeds.at(n)) +
                                                " was run by no worker: merge needs every seed of the plan in every cell");
      }
    }
    merged.summaries.push_back(std::move(folds[cell]).finish());
  }
  return merged;
}

}  // namespace ptosim::replay
