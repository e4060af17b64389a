// The watermark advance and its publication (runtime-model.md §1.4 step 5, §3.5, PR #1575):
// the per-ring advance_lock try-lock whose loser leaves the advance to a no-progress iteration
// (advance_pending_mask, drain_pending_ring_advances), and batched publication with the
// orchestrator's request / thread 0's acknowledgment.
#include "sim_harness.h"

#include <catch2/catch.hpp>

#include <string>

using namespace ptosim;
using namespace ptosim::testing;

namespace {

constexpr int UNBLOCKED = 11;  // simcore::EventKind::unblocked

// When the orchestrator's first wait ended (-1: it never waited).
long long first_unblock_ns(const Json& result) {
  for (const Json& event : result["events"]) {
    if (event[0].get<int>() == UNBLOCKED) return event[1].get<long long>();
  }
  return -1;
}

// Ring 1 keeps 3 tasks in flight. `head` (10 us) and `early` (5 us) are MIX tasks, so each takes
// a whole cluster and the two threads complete one each; `tail` runs 100 us behind them. `early`
// is CONSUMED first, on its thread, and that advance holds the ring's lock for ring_advance_ns
// although the head is not CONSUMED yet; `head`'s thread then finds the lock held. `next` waits
// for a slot, i.e. for the watermark to pass `head`.
std::string contended_advance(long long ring_advance_ns) {
  return R"({
    "format": 1, "name": "contended_advance", "description": "two threads consume tasks of one ring",
    "platform": {"clusters": 2, "scheduler_threads": 2},
    "runtime": {"ring": {"task_window": [16384, 4, 16384, 16384]},
                "scheduler_costs": {"ring_advance_ns": )" +
         std::to_string(ring_advance_ns) + R"(, "slot_reset_ns": 0}},
    "kernels": {"slow": {"core": "mix", "duration_ns": 10000}, "quick": {"core": "mix", "duration_ns": 5000},
                "long": {"core": "aiv", "duration_ns": 100000}},
    "program": {"body": [
      {"scope": "auto", "body": [{"submit": "slow", "name": "head"}]},
      {"scope": "auto", "body": [{"submit": "quick", "name": "early"}]},
      {"scope": "auto", "body": [{"submit": "long", "name": "tail"}]},
      {"scope": "auto", "body": [{"submit": "quick", "name": "next"}]}
    ]}
  })";
}

// Ring 1 holds 15 tasks in flight; each scope submits 12, so the second scope's fourth task waits
// for the first scope's 12 slots: 12 advances, fewer than a batch of 16, and the ring never drains
// (the open scope pins its own tasks). The advance is free, so no contended advance forces a
// publication from a no-progress drain.
std::string scope_boundary(int interval, long long request_timeout_ns) {
  return R"({
    "format": 1, "name": "scope_boundary", "description": "a wait at a scope boundary of a small window",
    "platform": {"clusters": 2, "scheduler_threads": 2},
    "runtime": {"ring": {"task_window": [16384, 16, 16384, 16384]}, "watermark_publish_interval": )" +
         std::to_string(interval) + R"(, "publication_request_timeout_ns": )" + std::to_string(request_timeout_ns) + R"(,
                "scheduler_costs": {"ring_advance_ns": 0, "slot_reset_ns": 0}, "detectors": {"kind": "current"}},
    "kernels": {"step": {"core": "aiv", "duration_ns": 3000}},
    "program": {"body": [
      {"for": "s", "to": 2, "body": [{"scope": "auto", "body": [
        {"for": "i", "to": 12, "body": [{"submit": "step", "name": "step{s}_{i}"}]}]}]}
    ]}
  })";
}

}  // namespace

TEST_CASE("advance lock: a contended advance waits for the loser's no-progress iteration", "[watermark]") {
  const long long hold_ns = 1'000'000;
  const Json contended = run(load(contended_advance(hold_ns)), 0);
  REQUIRE(contended["outcome"] == "pass");
  CHECK(hit(contended, "advance lock busy"));
  CHECK(hit(contended, "pending ring advance drained"));
  // The head's advance is retried only once the lock is free: the slot comes back a hold later.
  CHECK(first_unblock_ns(contended) > hold_ns);

  // Without a hold nothing contends, and the slot comes back when the head is CONSUMED.
  const Json free = run(load(contended_advance(0)), 0);
  REQUIRE(free["outcome"] == "pass");
  CHECK_FALSE(hit(free, "advance lock busy"));
  CHECK(first_unblock_ns(free) > 0);
  CHECK(first_unblock_ns(free) < 100'000);
}

TEST_CASE("batched publication: a wait the batch holds back asks, and thread 0 publishes", "[watermark]") {
  const long long timeout_ns = 10'000'000;
  const Json batched = run(load(scope_boundary(16, timeout_ns)), 0);
  REQUIRE(batched["outcome"] == "pass");
  CHECK(hit(batched, "publication request"));
  CHECK(hit(batched, "publication ack"));
  CHECK(hit(batched, "forced publish"));
  // Blocked for the request timeout, not for the 3 us the slots took to come free.
  CHECK(first_unblock_ns(batched) >= timeout_ns);

  // Every advance published (a2a3): no request, and the wait ends within microseconds.
  const Json per_advance = run(load(scope_boundary(1, timeout_ns)), 0);
  REQUIRE(per_advance["outcome"] == "pass");
  CHECK_FALSE(hit(per_advance, "publication request"));
  CHECK(first_unblock_ns(per_advance) < 1'000'000);

  // A batch the 12 advances fill is published on its own.
  const Json small_batch = run(load(scope_boundary(4, timeout_ns)), 0);
  REQUIRE(small_batch["outcome"] == "pass");
  CHECK_FALSE(hit(small_batch, "publication request"));
}

TEST_CASE("batched publication: the backstop outruns a slow request and misjudges", "[watermark]") {
  // A request slower than the 500 ms backstop: the backstop fires on a watermark the schedulers
  // had already reclaimed, and the request then frees the wait: a false deadlock, code 3.
  const Json result = run(load(scope_boundary(16, 1'000'000'000)), 0);
  CHECK(result["outcome"] == "deadlock_false");
  CHECK(result["code"] == 3);
  CHECK(hit(result, "backstop before an acknowledged watermark"));
  CHECK(hit(result, "reclaim backstop"));
  // The snapshot shows both watermarks of the blocked ring: the published one trails.
  const Json& rings = result["snapshot"]["rings"];
  bool shown = false;
  for (const Json& ring : rings) {
    if (ring["id"] != 1) continue;
    REQUIRE(ring.contains("scheduler_last_task_alive"));
    CHECK(ring["scheduler_last_task_alive"].get<long long>() > ring["last_task_alive"].get<long long>());
    shown = true;
  }
  CHECK(shown);
  CHECK_THAT(result["message"].get<std::string>(), Catch::Contains("Watermark ring 1: published last_task_alive="));
}

TEST_CASE("batched publication: the structural check waits for an acknowledged watermark", "[watermark]") {
  // The structural head-of-line case of marks_test (an outer scope pins ring 3's head), batched:
  // the check runs only after the request was acknowledged, i.e. after the request timeout.
  auto structural = [](int interval) {
    return R"({
      "format": 1, "name": "structural", "description": "an outer scope pins the head of a shared ring",
      "platform": {"clusters": 2, "scheduler_threads": 2},
      "runtime": {"ring": {"task_window": [16384, 16384, 16384, 16]}, "watermark_publish_interval": )" +
           std::to_string(interval) + R"(, "detectors": {"kind": "current"}},
      "kernels": {"step": {"core": "aiv", "duration_ns": 1000}},
      "program": {"body": [
        {"scope": "auto", "body": [{"scope": "auto", "body": [{"scope": "auto", "body": [
          {"submit": "step", "name": "head"},
          {"scope": "auto", "body": [{"for": "i", "to": 20, "body": [{"submit": "step", "name": "s{i}"}]}]}
        ]}]}]}
      ]}
    })";
  };
  const Json batched = run(load(structural(16)), 0);
  CHECK(batched["outcome"] == "deadlock_true");
  CHECK(batched["detector"] == "structural head-of-line check");
  CHECK(hit(batched, "publication ack"));
  const long long fired_batched = batched["snapshot"]["time_ns"].get<long long>();
  CHECK(fired_batched >= 10'000'000);

  const Json exact = run(load(structural(1)), 0);
  CHECK(exact["detector"] == "structural head-of-line check");
  CHECK(exact["snapshot"]["time_ns"].get<long long>() < 1'000'000);
}
