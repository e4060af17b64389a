// The edge rules of one submit, per argument kind x scope mode x manual_dep (runtime-model.md
// §2.2): creator edges, TensorMap lookups and inserts, explicit deps first, no WAR tracking; the
// timing-free graph keeps every producer and a run wires only the live ones.
#include "runtime/dependency_builder.h"
#include "runtime/task_graph.h"

#include <catch2/catch.hpp>

#include <map>

using namespace ptosim::runtime;

namespace {

constexpr std::uint32_t CREATOR = 0;   // created the tensor (owner)
constexpr std::uint32_t WRITER = 1;    // wrote it through INOUT (TensorMap entry)
constexpr std::uint32_t EXPLICIT = 2;  // named by add_dep
constexpr std::uint32_t SUBMITTED = 3;  // the task being submitted
constexpr std::uint64_t BUFFER = 0xABC000;

struct Outcome {
  std::map<std::uint32_t, std::pair<bool, bool>> edges;  // producer -> (wait, retain)
  std::uint32_t lookups = 0;
  std::uint32_t inserts = 0;
};

Outcome submit(ArgKind kind, bool manual_scope, bool manual_dep, std::vector<ExplicitDep> deps = {}) {
  TensorMap map;
  TensorLayout layout = make_contiguous({16, 16}, DType::f32);
  map.insert(TensorMapEntry{BUFFER, WRITER, layout});

  ResolvedArg arg;
  arg.kind = kind;
  arg.buffer = BUFFER;
  arg.owner = kind == ArgKind::output ? 3 : CREATOR;
  TensorLayout view = layout;
  view.manual_dep = manual_dep;
  arg.layout = &view;
  FaninResult result = compute_fanin({arg}, deps, manual_scope, SUBMITTED, map);
  REQUIRE(result.error.empty());
  Outcome out;
  for (const FaninEdge& edge : result.edges) out.edges[edge.producer] = {edge.wait, edge.retain};
  out.lookups = result.lookups;
  out.inserts = register_outputs({arg}, manual_scope, map, SUBMITTED);
  CHECK(out.inserts == result.inserts);
  return out;
}

using Edges = std::map<std::uint32_t, std::pair<bool, bool>>;
const std::pair<bool, bool> WAIT_RETAIN{true, true};
const std::pair<bool, bool> WAIT_ONLY{true, false};

}  // namespace

TEST_CASE("AUTO scope, tensor without manual_dep", "[deps]") {
  SECTION("INPUT: creator edge and TensorMap lookup, no insert") {
    Outcome o = submit(ArgKind::input, false, false);
    CHECK(o.edges == Edges{{CREATOR, WAIT_RETAIN}, {WRITER, WAIT_ONLY}});
    CHECK(o.lookups == 1);
    CHECK(o.inserts == 0);
  }
  SECTION("OUTPUT: no edge, no lookup, no insert") {
    Outcome o = submit(ArgKind::output, false, false);
    CHECK(o.edges.empty());
    CHECK(o.lookups == 0);
    CHECK(o.inserts == 0);
  }
  SECTION("INOUT: creator edge, lookup and insert") {
    Outcome o = submit(ArgKind::inout, false, false);
    CHECK(o.edges == Edges{{CREATOR, WAIT_RETAIN}, {WRITER, WAIT_ONLY}});
    CHECK(o.lookups == 1);
    CHECK(o.inserts == 1);
  }
  SECTION("OUTPUT_EXISTING: creator edge and insert, no lookup (no WAW edge)") {
    Outcome o = submit(ArgKind::output_existing, false, false);
    CHECK(o.edges == Edges{{CREATOR, WAIT_RETAIN}});
    CHECK(o.lookups == 0);
    CHECK(o.inserts == 1);
  }
  SECTION("NO_DEP: creator edge only") {
    Outcome o = submit(ArgKind::no_dep, false, false);
    CHECK(o.edges == Edges{{CREATOR, WAIT_RETAIN}});
    CHECK(o.lookups == 0);
    CHECK(o.inserts == 0);
  }
}

TEST_CASE("AUTO scope, tensor with manual_dep behaves like NO_DEP", "[deps]") {
  for (ArgKind kind : {ArgKind::input, ArgKind::inout, ArgKind::output_existing, ArgKind::no_dep}) {
    INFO("kind " << to_string(kind));
    Outcome o = submit(kind, false, true);
    CHECK(o.edges == Edges{{CREATOR, WAIT_RETAIN}});
    CHECK(o.lookups == 0);
    CHECK(o.inserts == 0);
  }
  Outcome out = submit(ArgKind::output, false, true);
  CHECK(out.edges.empty());
}

TEST_CASE("MANUAL scope bypasses creator edges and the TensorMap entirely", "[deps]") {
  for (bool manual_dep : {false, true}) {
    for (ArgKind kind : {ArgKind::input, ArgKind::output, ArgKind::inout, ArgKind::output_existing, ArgKind::no_dep}) {
      INFO("kind " << to_string(kind) << " manual_dep " << manual_dep);
      Outcome o = submit(kind, true, manual_dep);
      CHECK(o.edges.empty());
      CHECK(o.lookups == 0);
      CHECK(o.inserts == 0);
    }
  }
}

TEST_CASE("explicit deps come first and work in both scope modes", "[deps]") {
  for (bool manual_scope : {false, true}) {
    Outcome retain = submit(ArgKind::no_dep, manual_scope, false, {{EXPLICIT, DepFlavor::wait_retain}});
    CHECK(retain.edges.at(EXPLICIT) == WAIT_RETAIN);
    Outcome wait = submit(ArgKind::no_dep, manual_scope, false, {{EXPLICIT, DepFlavor::wait_only}});
    CHECK(wait.edges.at(EXPLICIT) == WAIT_ONLY);
  }
}

TEST_CASE("flags of a repeated producer are OR-accumulated into one edge", "[deps]") {
  // The writer is also named explicitly as wait-only, then found again through the TensorMap.
  Outcome o = submit(ArgKind::input, false, false, {{WRITER, DepFlavor::wait_only}, {CREATOR, DepFlavor::wait_only}});
  CHECK(o.edges.size() == 2);
  CHECK(o.edges.at(CREATOR) == WAIT_RETAIN);  // wait-only explicit + creator retain
  CHECK(o.edges.at(WRITER) == WAIT_ONLY);
}

TEST_CASE("the graph keeps retired and consumed producers, a run wires only live ones", "[deps]") {
  TensorMap map;
  FaninResult graph =
      compute_fanin({}, std::vector<ExplicitDep>{{0, DepFlavor::wait_retain}, {1, DepFlavor::wait_retain}, {2, DepFlavor::wait_retain}}, false,
                    SUBMITTED, map);
  REQUIRE(graph.error.empty());
  CHECK(graph.edges.size() == 3);
  auto status = [](std::uint32_t ordinal) {
    switch (ordinal) {
      case 0: return ProducerStatus::retired;
      case 1: return ProducerStatus::consumed;
      default: return ProducerStatus::live;
    }
  };
  std::vector<FaninEdge> wired;
  live_fanin(graph.edges, status, wired);
  REQUIRE(wired.size() == 1);
  CHECK(wired[0].producer == 2);
  FaninResult invalid = compute_fanin({}, std::vector<ExplicitDep>{{7, DepFlavor::wait_retain}}, true, SUBMITTED, map);
  CHECK_THAT(invalid.error, Catch::Contains("unknown task"));
}

TEST_CASE("the graph builder names buffers logically and records edge sources", "[deps]") {
  // t0 writes an output, t1 reads it (creator edge), t2 updates an external (insert),
  // t3 reads the external (TensorMap edge) and names t0 explicitly.
  Program program;
  program.externals.push_back(ExternalTensor{"ext", 0x2000, 64 * 4, make_contiguous({8, 8}, DType::f32)});
  program.layouts.push_back(make_contiguous({8, 8}, DType::f32));  // layout 0, every argument's
  program.task_count = 4;
  auto op = [](std::uint32_t task) {
    ProgramOp o;
    o.task = task;
    o.kernel = 0;
    return o;
  };
  const ExplicitDep explicit_dep{0, DepFlavor::wait_only};
  program.add_op(op(0), std::vector<ArgSpec>{ArgSpec::new_output(0, 0)}, {});
  program.add_op(op(1), std::vector<ArgSpec>{ArgSpec::of_tensor(ArgKind::input, TensorSource{NO_INDEX, 0, 0}, 0)}, {});
  program.add_op(op(2), std::vector<ArgSpec>{ArgSpec::of_tensor(ArgKind::inout, TensorSource{0, NO_INDEX, 0}, 0)}, {});
  program.add_op(op(3), std::vector<ArgSpec>{ArgSpec::of_tensor(ArgKind::input, TensorSource{0, NO_INDEX, 0}, 0)},
                 std::span<const ExplicitDep>(&explicit_dep, 1));
  TaskGraphBuilder builder(program);
  for (const ProgramOp& o : program.ops) CHECK(builder.add(o, false).inserts == (o.task == 2 ? 1U : 0U));
  CHECK(builder.task(3).edges.size() == 2);
  TaskGraph graph = build_task_graph(program);
  REQUIRE(graph.rejection.empty());
  REQUIRE(graph.size() == 4);
  CHECK(graph.edges(0).empty());
  REQUIRE(graph.edges(1).size() == 1);
  CHECK(graph.edges(1)[0].source == EdgeSource::creator);
  REQUIRE(graph.edges(3).size() == 2);
  CHECK(graph.edges(3)[0].producer == 0);
  CHECK(graph.edges(3)[0].source == EdgeSource::explicit_dep);
  CHECK(graph.edges(3)[1].producer == 2);
  CHECK(graph.edges(3)[1].source == EdgeSource::tensormap);
  CHECK(graph.edge_count() == 3);
}

TEST_CASE("the graph builder stops where the runtime rejects the program", "[deps]") {
  Program program;
  program.task_count = 1;
  ProgramOp manual;
  manual.kind = OpKind::scope_begin;
  manual.mode = ScopeMode::manual;
  ProgramOp automatic = manual;
  automatic.mode = ScopeMode::automatic;
  automatic.origin = 7;
  ProgramOp task;
  task.task = 0;
  program.ops = {manual, automatic, task};
  TaskGraph graph = build_task_graph(program);
  CHECK_THAT(graph.rejection, Catch::Contains("AUTO scope"));
  CHECK(graph.rejection_origin == 7);
  CHECK_FALSE(graph.added(0));
  CHECK(graph.edges(0).empty());
}

TEST_CASE("no WAR edge: a reader leaves nothing for a later OUTPUT_EXISTING writer", "[deps]") {
  // seeds/002: gather reads view A (INPUT), writeback writes view B (OUTPUT_EXISTING) of one
  // external buffer; the writeback gets no edge to the gather.
  TensorMap map;
  TensorLayout cache = make_contiguous({32, 16}, DType::bf16);
  ResolvedArg gather{ArgKind::input, BUFFER, NO_INDEX, &cache};
  FaninResult first = compute_fanin({gather}, {}, false, 10, map);
  register_outputs({gather}, false, map, 10);
  ResolvedArg writeback{ArgKind::output_existing, BUFFER, NO_INDEX, &cache};
  FaninResult second = compute_fanin({writeback}, {}, false, 11, map);
  CHECK(first.edges.empty());
  CHECK(second.edges.empty());
  // Making both INOUT (the self-copy workaround) orders them.
  register_outputs({writeback}, false, map, 11);
  ResolvedArg third{ArgKind::inout, BUFFER, NO_INDEX, &cache};
  FaninResult chained = compute_fanin({third}, {}, false, 12, map);
  REQUIRE(chained.edges.size() == 1);
  CHECK(chained.edges[0].producer == 11);
}

TEST_CASE("the lookup cap keeps the newest hits and drops the older writers without removing them", "[deps]") {
  // 20 writers of one buffer, each COVERED by an INOUT of the whole buffer: with the cap of the
  // runtimes before PR #669 (16) the lookup keeps writers 19..4, drops 3..0 and removes only the
  // entries it kept, so a second lookup still finds the 4 dropped ones.
  TensorMap map;
  const TensorLayout whole = make_contiguous({20, 16}, DType::f32);
  std::vector<TensorLayout> rows;
  for (std::int64_t r = 0; r < 20; ++r) {
    TensorLayout row = make_contiguous({1, 16}, DType::f32);
    row.start_offset = r * 16;
    rows.push_back(row);
  }
  for (std::uint32_t w = 0; w < 20; ++w) map.insert(TensorMapEntry{BUFFER, w, rows[w]});
  ResolvedArg arg;
  arg.kind = ArgKind::inout;
  arg.buffer = BUFFER;
  arg.layout = &whole;
  const FaninResult capped = compute_fanin({arg}, {}, false, 20, map, DependencyRules{16});
  REQUIRE(capped.edges.size() == 16);
  CHECK(capped.edges.front().producer == 19);
  CHECK(capped.edges.back().producer == 4);
  REQUIRE(capped.dropped.size() == 4);
  CHECK(capped.dropped.front().producer == 3);
  CHECK(capped.dropped.back().producer == 0);
  CHECK(map.size() == 4);
  const FaninResult uncapped = compute_fanin({arg}, {}, false, 21, map);
  CHECK(uncapped.edges.size() == 4);
  CHECK(uncapped.dropped.empty());
  CHECK(map.size() == 0);
}
