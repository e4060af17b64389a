// Snapshots survive JSON (what `run --snapshot` writes is what `inspect` reads), and the text
// rendering carries the head table with the progress marker.
#include "replay/report_json.h"
#include "replay/snapshot_render.h"

#include <catch2/catch.hpp>

#include <filesystem>
#include <unistd.h>

using namespace ptosim;

namespace {

runtime::StateSnapshot sample_snapshot() {
  runtime::StateSnapshot snap;
  snap.time_ns = 1578039;
  snap.detector = "legacy spin limit";
  snap.error_code = 3;
  snap.error_name = "FLOW_CONTROL_DEADLOCK";
  snap.host_code = 507018;
  snap.message = "FATAL: Task Allocator Deadlock - Task Ring Full! ring=2\n";
  snap.completed_tasks = 510;
  snap.total_tasks = 676;
  snap.progress_task = 12;
  snap.blocked_ring = 2;
  runtime::RingView ring;
  ring.id = 2;
  ring.current_index = 670;
  ring.last_task_alive = 415;
  ring.task_window = 256;
  ring.heap_top = 4120576;
  ring.heap_tail = 2555904;
  ring.heap_size = 268435456;
  ring.heap_used = 1564672;
  ring.dep_pool_used = 635;
  ring.dep_pool_capacity = 16384;
  ring.dep_pool_high_water = 700;
  auto task = [](std::uint32_t ordinal, const char* name, const char* state, int number, std::uint32_t rc,
                 std::uint32_t fc) {
    runtime::TaskView t;
    t.task_id = (2ULL << 32) | (400 + ordinal);
    t.ordinal = ordinal;
    t.name = name;
    t.ring = 2;
    t.local_id = 400 + ordinal;
    t.state = state;
    t.state_number = number;
    t.fanin_refcount = rc;
    t.fanin_count = fc;
    t.consumers_claimed = 1;
    t.kind = "kernel";
    t.kernel = name;
    return t;
  };
  ring.tasks.push_back(task(10, "sf", "COMPLETED", 3, 2, 2));
  ring.tasks.push_back(task(11, "qk", "CONSUMED", 4, 1, 1));
  runtime::TaskView ready = task(12, "pv", "READY", 1, 2, 2);
  ready.could_progress = true;
  ready.producers = {10};
  ring.tasks.push_back(ready);
  runtime::TaskView running = task(13, "up", "RUNNING", 2, 3, 3);
  running.cores = {"c0.aiv0"};
  running.producers = {12};
  ring.tasks.push_back(running);
  snap.rings.push_back(ring);
  snap.scopes.push_back(runtime::ScopeView{0, "auto", 0, std::nullopt, false, 0});
  snap.scopes.push_back(runtime::ScopeView{2, "manual", 30, (2ULL << 32) | 640, true, 30});
  snap.actors.push_back(runtime::ActorView{"orchestrator", "blocked", "task_window of ring 2"});
  return snap;
}

}  // namespace

TEST_CASE("a snapshot round-trips through JSON", "[snapshot]") {
  const runtime::StateSnapshot original = sample_snapshot();
  const replay::Json json = replay::snapshot_to_json(original);
  const runtime::StateSnapshot back = replay::snapshot_from_json(json, "memory");
  CHECK(replay::snapshot_to_json(back) == json);
  CHECK(back.progress_task == original.progress_task);
  CHECK(back.blocked_ring == original.blocked_ring);
  REQUIRE(back.rings.size() == 1);
  CHECK(back.rings[0].tasks.size() == 4);
  CHECK(back.rings[0].tasks[3].cores == std::vector<std::string>{"c0.aiv0"});
  CHECK(back.scopes[1].oldest_task_id == original.scopes[1].oldest_task_id);
}

TEST_CASE("a snapshot file is read back, a broken one names the field", "[snapshot]") {
  const auto dir = std::filesystem::temp_directory_path() / ("ptosim-unit-snapshot-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "s.json").string();
  replay::write_file_atomically(path, replay::snapshot_to_json(sample_snapshot()).dump(1));
  CHECK(replay::read_snapshot_file(path).total_tasks == 676);

  replay::Json broken = replay::snapshot_to_json(sample_snapshot());
  broken["rings"][0]["tasks"][1].erase("fanin_count");
  replay::write_file_atomically(path, broken.dump());
  try {
    replay::read_snapshot_file(path);
    FAIL("accepted a snapshot without fanin_count");
  } catch (const replay::InputError& e) {
    CHECK(e.pointer() == "/rings/0/tasks/1/fanin_count");
  }
  replay::write_file_atomically(path, "{\"format\": \"ptosim-snap");
  CHECK_THROWS_WITH(replay::read_snapshot_file(path), Catch::Contains("not valid JSON"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("the text rendering shows the head table with the progress marker", "[snapshot]") {
  const std::string text = replay::render_snapshot_text(sample_snapshot());
  CHECK_THAT(text, Catch::Contains("FATAL: Task Allocator Deadlock"));
  CHECK_THAT(text, Catch::Contains("Head snapshot (ring 2, last_task_alive=415"));
  CHECK_THAT(text, Catch::Contains("READY (1)"));
  CHECK_THAT(text, Catch::Contains("<--- progress exists here"));
  CHECK_THAT(text, Catch::Contains("active=255/256"));
  const auto marker = text.find("<--- progress exists here");
  const auto line_start = text.rfind('\n', marker);
  CHECK_THAT(text.substr(line_start, marker - line_start), Catch::Contains("pv"));
}

TEST_CASE("the DOT rendering links the orchestrator to the head and keeps the neighbourhood", "[snapshot]") {
  const std::string dot = replay::render_snapshot_dot(sample_snapshot());
  CHECK_THAT(dot, Catch::StartsWith("digraph"));
  CHECK_THAT(dot, Catch::Contains("waits for reclaim"));
  CHECK_THAT(dot, Catch::Contains("READY fanin 2/2"));
  CHECK_THAT(dot, Catch::Contains("color=red"));
}
