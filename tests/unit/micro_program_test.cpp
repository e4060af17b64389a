// The core's micro-program schedule (hwmodel/micro_program.h) and its semantic pass, without an
// engine: pipe ordering, flags, bursts that retire before they commit, dsb, the data cache.
#include "hwmodel/micro_program.h"
#include "hwmodel/sync_analysis.h"
#include "simcore/marks.h"

#include <catch2/catch.hpp>

#include <algorithm>

using namespace ptosim;
using namespace ptosim::hwmodel;

namespace {

constexpr std::uint64_t BASE = 0x10000;

struct Bench {
  TensorLayout layout = make_contiguous({16, 64}, DType::f32);
  TaskDescriptor descriptor;
  PipeTiming timing;
  CommitModel commit;
  CoreFaults faults;
  DataCache cache;
  std::vector<ProgramAccess> accesses;
  simcore::DecisionSource decisions{1, simcore::make_random_strategy(1)};
  ScheduleKeys keys{decisions.stream("gm.commit_delay_ns"), decisions.stream("fault.mte_hang")};

  Bench() {
    descriptor.task = 3;
    descriptor.views.push_back(GmView{BASE, &layout, GmAccess::read_write, nullptr});
  }
  BlockSchedule run(const std::vector<MicroOp>& ops) {
    accesses.clear();
    return schedule_block(ops, descriptor, 0, 1000, timing, commit, faults, keys, decisions, cache, accesses);
  }
  std::vector<ProgramAccess> of(ProgramAccessKind kind) const {
    std::vector<ProgramAccess> out;
    for (const ProgramAccess& a : accesses) {
      if (a.kind == kind) out.push_back(a);
    }
    return out;
  }
};

GmOperand rows(std::int64_t first, std::int64_t count) {
  GmOperand operand;
  operand.arg = 0;
  operand.ndims = 2;
  operand.shapes = {count, 64, 0, 0, 0};
  operand.offsets = {first, 0, 0, 0, 0};
  return operand;
}

MicroOp compute(Pipe pipe, TimeNs duration) {
  MicroOp op;
  op.kind = MicroOpKind::compute;
  op.pipe = pipe;
  op.duration_ns = duration;
  op.dst_tile = 0;
  return op;
}
MicroOp flag(MicroOpKind kind, Pipe src, Pipe dst, std::uint8_t id) {
  MicroOp op;
  op.kind = kind;
  op.pipe = src;
  op.flag_dst = dst;
  op.flag_id = id;
  return op;
}
MicroOp barrier(Pipe pipe) {
  MicroOp op;
  op.kind = MicroOpKind::pipe_barrier;
  op.pipe = pipe;
  return op;
}
MicroOp transfer(MicroOpKind kind, GmOperand gm) {
  MicroOp op;
  op.kind = kind;
  op.gm = gm;
  if (kind == MicroOpKind::tload || kind == MicroOpKind::scalar_load) {
    op.dst_tile = 0;
  } else {
    op.src_tiles[0] = 0;
  }
  return op;
}
MicroOp simple(MicroOpKind kind) {
  MicroOp op;
  op.kind = kind;
  return op;
}

}  // namespace

TEST_CASE("same-pipe operations overlap unless a pipe_barrier separates them, other pipes run concurrently", "[pipes]") {
  Bench bench;
  const BlockSchedule overlapped = bench.run({compute(Pipe::v, 300), compute(Pipe::v, 300)});
  const BlockSchedule separated = bench.run({compute(Pipe::v, 300), barrier(Pipe::v), compute(Pipe::v, 300)});
  const BlockSchedule concurrent = bench.run({compute(Pipe::v, 300), compute(Pipe::mte2, 300)});
  const TimeNs issue = bench.timing.scalar_issue_ns;
  // The block starts at t=1000.
  CHECK(overlapped.end_ns == 1000 + 2 * issue + 300);
  CHECK(separated.end_ns == 1000 + issue + 300 + issue + 300);
  CHECK(concurrent.end_ns == 1000 + 2 * issue + 300);
}

TEST_CASE("set_flag fires when the source pipe retired, wait_flag blocks only its pipe and consumes", "[flags]") {
  Bench bench;
  bench.commit.commit_min_ns = bench.commit.commit_max_ns = 0;
  // V computes for 500 ns; the store waits for it through a V -> MTE3 flag.
  const BlockSchedule with_flag = bench.run({compute(Pipe::v, 500), flag(MicroOpKind::set_flag, Pipe::v, Pipe::mte3, 0),
                                             flag(MicroOpKind::wait_flag, Pipe::v, Pipe::mte3, 0),
                                             transfer(MicroOpKind::tstore, rows(0, 1))});
  const auto commits = bench.of(ProgramAccessKind::commit);
  REQUIRE(commits.size() == 1);
  const TimeNs issue = bench.timing.scalar_issue_ns;
  const TimeNs retire_v = 1000 + issue + 500;
  CHECK(commits[0].time_ns > retire_v + bench.timing.flag_ns);
  CHECK_FALSE(with_flag.wedged);
  // Without the flag the store starts at once.
  bench.run({compute(Pipe::v, 500), transfer(MicroOpKind::tstore, rows(0, 1))});
  CHECK(bench.of(ProgramAccessKind::commit)[0].time_ns < retire_v);
  // A wait blocks only its own pipe: an MTE2 load issued after it still runs early.
  bench.run({compute(Pipe::v, 500), flag(MicroOpKind::set_flag, Pipe::v, Pipe::mte3, 0),
             flag(MicroOpKind::wait_flag, Pipe::v, Pipe::mte3, 0), transfer(MicroOpKind::tload, rows(2, 1))});
  CHECK(bench.of(ProgramAccessKind::load)[0].time_ns < retire_v);
}

TEST_CASE("a wait with no set wedges the core, a double set loses the second set", "[flags]") {
  Bench bench;
  simcore::reset_marks();
  const BlockSchedule never = bench.run({flag(MicroOpKind::wait_flag, Pipe::mte3, Pipe::mte2, 1)});
  CHECK(simcore::mark_count("core wait never satisfied") == 1);
  CHECK(never.wedged);
  CHECK(never.end_ns == TIME_NEVER);
  CHECK_THAT(never.wedge_reason, Catch::Contains("no set_flag"));
  // Both sets fire before the first wait consumes the flag (the scalar unit issues the waits
  // only after V drained): one token, so the second wait hangs.
  const std::vector<MicroOp> double_set = {
      flag(MicroOpKind::set_flag, Pipe::mte3, Pipe::mte2, 0), flag(MicroOpKind::set_flag, Pipe::mte3, Pipe::mte2, 0),
      compute(Pipe::v, 500), barrier(Pipe::v), flag(MicroOpKind::wait_flag, Pipe::mte3, Pipe::mte2, 0),
      flag(MicroOpKind::wait_flag, Pipe::mte3, Pipe::mte2, 0)};
  CHECK(bench.run(double_set).wedged);
  std::vector<TensorLayout> layouts{bench.layout};
  const auto findings = analyse_block(double_set, {&layouts[0]}, nullptr);
  std::vector<std::string> kinds;
  for (const auto& f : findings) kinds.push_back(f.what);
  CHECK(std::count(kinds.begin(), kinds.end(), "double_set") == 1);
  CHECK(std::count(kinds.begin(), kinds.end(), "wait_never_set") == 1);
  // A flag left set at the end.
  const auto left = analyse_block({flag(MicroOpKind::set_flag, Pipe::v, Pipe::mte3, 2)}, {&layouts[0]}, nullptr);
  REQUIRE(left.size() == 1);
  CHECK(left[0].what == "set_at_exit");
}

TEST_CASE("an MTE3 store retires when its last burst issues and commits burst by burst later", "[bursts]") {
  Bench bench;
  bench.commit.commit_min_ns = bench.commit.commit_max_ns = 700;
  const BlockSchedule schedule = bench.run({transfer(MicroOpKind::tstore, rows(0, 4))});
  const auto commits = bench.of(ProgramAccessKind::commit);
  REQUIRE(commits.size() == 4);  // one burst per row
  for (std::size_t b = 0; b < commits.size(); ++b) {
    CHECK(commits[b].end - commits[b].begin == 256);
    CHECK(commits[b].begin == BASE + 256 * b);
    if (b > 0) CHECK(commits[b].time_ns > commits[b - 1].time_ns);
  }
  CHECK(schedule.retire_ns + 700 == commits.back().time_ns);
  CHECK(schedule.end_ns == schedule.commit_ns);  // FIN waits for the commits by default
  bench.commit.fin_before_commit = true;
  const BlockSchedule early = bench.run({transfer(MicroOpKind::tstore, rows(0, 4))});
  CHECK(early.end_ns == early.retire_ns);
  CHECK(early.commit_ns == early.retire_ns + 700);
  // Each store's delay is a decision within the range, shared by its bursts.
  bench.commit.commit_min_ns = 0;
  bench.commit.commit_max_ns = 1000;
  const std::uint64_t before = bench.decisions.decision_count();
  bench.run({transfer(MicroOpKind::tstore, rows(0, 4)), transfer(MicroOpKind::tstore, rows(4, 4))});
  CHECK(bench.decisions.decision_count() == before + 2);
}

TEST_CASE("dsb waits for every earlier burst to commit, pipe_barrier(ALL) does not", "[bursts]") {
  Bench bench;
  bench.commit.commit_min_ns = bench.commit.commit_max_ns = 5000;
  const std::vector<MicroOp> drained = {transfer(MicroOpKind::tstore, rows(0, 2)), barrier(Pipe::all),
                                        transfer(MicroOpKind::tload, rows(0, 2))};
  bench.run(drained);
  const TimeNs last_commit = bench.of(ProgramAccessKind::commit).back().time_ns;
  CHECK(bench.of(ProgramAccessKind::load).front().time_ns < last_commit);
  const std::vector<MicroOp> fenced = {transfer(MicroOpKind::tstore, rows(0, 2)), barrier(Pipe::mte3),
                                       simple(MicroOpKind::dsb), transfer(MicroOpKind::tload, rows(0, 2))};
  bench.run(fenced);
  CHECK(bench.of(ProgramAccessKind::load).front().time_ns > bench.of(ProgramAccessKind::commit).back().time_ns);
  std::vector<TensorLayout> layouts{bench.layout};
  const auto unfenced_findings = analyse_block(drained, {&layouts[0]}, nullptr);
  REQUIRE(unfenced_findings.size() == 1);
  CHECK(unfenced_findings[0].what == "store_load");
  CHECK(analyse_block(fenced, {&layouts[0]}, nullptr).empty());
}

TEST_CASE("scalar GM access goes through the write-back data cache, dcci writes back whole lines", "[cache]") {
  Bench bench;
  GmOperand one = rows(0, 1);
  one.shapes = {1, 1, 0, 0, 0};
  one.offsets = {0, 3, 0, 0, 0};  // element 3: bytes 12..16 of line 0
  bench.run({transfer(MicroOpKind::scalar_store, one)});
  CHECK(bench.of(ProgramAccessKind::cache_fill).size() == 1);  // write-allocate
  CHECK(bench.of(ProgramAccessKind::cache_write).size() == 1);
  CHECK(bench.of(ProgramAccessKind::writeback).empty());        // stays in the cache
  // The line is still cached in the next task on this core: a hit, no fill.
  bench.run({transfer(MicroOpKind::scalar_load, one)});
  CHECK(bench.of(ProgramAccessKind::cache_fill).empty());
  CHECK(bench.of(ProgramAccessKind::cache_read).size() == 1);
  // dcci of the line writes back all 64 bytes and invalidates it.
  MicroOp clean = transfer(MicroOpKind::dcci, one);
  bench.run({clean, transfer(MicroOpKind::scalar_load, one)});
  const auto writebacks = bench.of(ProgramAccessKind::writeback);
  REQUIRE(writebacks.size() == 1);
  CHECK(writebacks[0].begin == BASE);
  CHECK(writebacks[0].end == BASE + CACHE_LINE_BYTES);
  CHECK(bench.of(ProgramAccessKind::cache_fill).size() == 1);  // refilled after the invalidate
  // dcci(ENTIRE): every dirty line.
  GmOperand other = one;
  other.offsets = {2, 0, 0, 0, 0};
  MicroOp all = simple(MicroOpKind::dcci);
  all.whole_cache = true;
  bench.run({transfer(MicroOpKind::scalar_store, one), transfer(MicroOpKind::scalar_store, other), all});
  CHECK(bench.of(ProgramAccessKind::writeback).size() == 2);
  CHECK(bench.cache.lines().empty());
}

TEST_CASE("mte_hang wedges the core only when a read overlaps an in-flight write's line", "[faults]") {
  Bench bench;
  bench.faults.hang_num = 1;
  bench.faults.hang_den = 1;  // certain, when it applies
  bench.commit.commit_min_ns = bench.commit.commit_max_ns = 2000;
  const std::vector<MicroOp> racy = {transfer(MicroOpKind::tstore, rows(0, 2)), flag(MicroOpKind::set_flag, Pipe::mte3, Pipe::mte2, 1),
                                     flag(MicroOpKind::wait_flag, Pipe::mte3, Pipe::mte2, 1), transfer(MicroOpKind::tload, rows(1, 2))};
  const BlockSchedule wedged = bench.run(racy);
  CHECK(wedged.wedged);
  CHECK(simcore::mark_count("fault mte_hang") >= 1);
  CHECK(wedged.end_ns == TIME_NEVER);
  CHECK_THAT(wedged.wedge_reason, Catch::Contains("mte_hang"));
  // Other rows: no line in flight, no hang.
  const BlockSchedule fine = bench.run({transfer(MicroOpKind::tstore, rows(0, 2)), flag(MicroOpKind::set_flag, Pipe::mte3, Pipe::mte2, 1),
                                        flag(MicroOpKind::wait_flag, Pipe::mte3, Pipe::mte2, 1), transfer(MicroOpKind::tload, rows(8, 2))});
  CHECK_FALSE(fine.wedged);
  // Commits fast enough: nothing in flight when the load samples.
  bench.commit.commit_min_ns = bench.commit.commit_max_ns = 0;
  CHECK_FALSE(bench.run(racy).wedged);
}

TEST_CASE("slow_core multiplies the core's durations", "[faults]") {
  Bench bench;
  const TimeNs normal = bench.run({compute(Pipe::v, 1000)}).end_ns;
  bench.faults.slow_num = 3;
  bench.faults.slow_den = 1;
  CHECK(bench.run({compute(Pipe::v, 1000)}).end_ns - 1000 == 3 * (normal - 1000) - 2 * bench.timing.scalar_issue_ns);
}

TEST_CASE("store dependencies follow the tiles from loads through compute to stores", "[taint]") {
  MicroOp load_a = transfer(MicroOpKind::tload, rows(0, 1));
  load_a.dst_tile = 0;
  MicroOp load_b = transfer(MicroOpKind::tload, rows(1, 1));
  load_b.dst_tile = 1;
  MicroOp mix = compute(Pipe::v, 10);
  mix.dst_tile = 2;
  mix.src_tiles = {0, 1, NO_TILE, NO_TILE};
  MicroOp store_mix = transfer(MicroOpKind::tstore, rows(2, 1));
  store_mix.src_tiles[0] = 2;
  MicroOp store_b = transfer(MicroOpKind::tstore, rows(3, 1));
  store_b.src_tiles[0] = 1;
  const auto deps = store_dependencies({load_a, load_b, mix, store_mix, store_b});
  REQUIRE(deps.size() == 2);
  CHECK(deps[0] == std::vector<std::uint32_t>{0, 1});
  CHECK(deps[1] == std::vector<std::uint32_t>{1});
}

TEST_CASE("store sources keep rows apart through vector operations only", "[taint]") {
  MicroOp load = transfer(MicroOpKind::tload, rows(0, 4));
  load.dst_tile = 0;
  MicroOp vector_op = compute(Pipe::v, 10);
  vector_op.dst_tile = 1;
  vector_op.src_tiles = {0, NO_TILE, NO_TILE, NO_TILE};
  MicroOp cube_op = compute(Pipe::m, 10);
  cube_op.dst_tile = 2;
  cube_op.src_tiles = {1, NO_TILE, NO_TILE, NO_TILE};
  MicroOp store_rows = transfer(MicroOpKind::tstore, rows(4, 4));
  store_rows.src_tiles[0] = 1;
  MicroOp store_mixed = transfer(MicroOpKind::tstore, rows(8, 4));
  store_mixed.src_tiles[0] = 2;
  MicroOp store_other_shape = transfer(MicroOpKind::tstore, rows(12, 2));
  store_other_shape.src_tiles[0] = 1;
  const auto sources = store_sources({load, vector_op, cube_op, store_rows, store_mixed, store_other_shape});
  REQUIRE(sources.size() == 3);
  CHECK(sources[0] == std::vector<StoreSource>{{0, true}});
  CHECK(sources[1] == std::vector<StoreSource>{{0, false}});
  CHECK(sources[2] == std::vector<StoreSource>{{0, false}});
}

TEST_CASE("the schedule records what each operation occupied, bursts from issue to commit", "[trace]") {
  Bench bench;
  bench.commit.commit_min_ns = 50;
  bench.commit.commit_max_ns = 50;
  MicroOp store = transfer(MicroOpKind::tstore, rows(0, 4));
  store.src_tiles[0] = 0;
  MicroOp set = flag(MicroOpKind::set_flag, Pipe::mte3, Pipe::mte2, 1);
  MicroOp wait = flag(MicroOpKind::wait_flag, Pipe::mte3, Pipe::mte2, 1);
  std::vector<PipeSlice> slices;
  bench.accesses.clear();
  const BlockSchedule schedule = schedule_block({store, set, wait}, bench.descriptor, 0, 1000, bench.timing, bench.commit,
                                                bench.faults, bench.keys, bench.decisions, bench.cache, bench.accesses, &slices);
  REQUIRE_FALSE(schedule.wedged);
  std::size_t bursts = 0;
  for (const PipeSlice& slice : slices) {
    if (slice.burst == NO_BURST) continue;
    ++bursts;
    CHECK(slice.end_ns - slice.start_ns == 50);  // issued, then committed after the decided delay
  }
  CHECK(bursts == 4);
  auto waited = std::find_if(slices.begin(), slices.end(), [](const PipeSlice& s) { return s.kind == MicroOpKind::wait_flag; });
  REQUIRE(waited != slices.end());
  CHECK(waited->peer == 1);  // the set_flag it consumed
  CHECK(waited->pipe == Pipe::mte2);
}

namespace {

MicroOp sync_op(MicroOpKind kind, std::uint8_t id = 0, std::uint32_t target = 0) {
  MicroOp op;
  op.kind = kind;
  op.pipe = Pipe::mte3;
  op.flag_id = id;
  op.target_block = target;
  return op;
}

MicroOp store_op() {
  MicroOp op;
  op.kind = MicroOpKind::tstore;
  op.pipe = Pipe::mte3;
  return op;
}

MicroOp load_op() {
  MicroOp op;
  op.kind = MicroOpKind::tload;
  op.pipe = Pipe::mte2;
  return op;
}

bool has_finding(const std::vector<ListFinding>& findings, const std::string& what) {
  return std::any_of(findings.begin(), findings.end(), [&](const ListFinding& f) { return f.finding.what == what; });
}

}  // namespace

TEST_CASE("block sync orders two blocks, and only a dsb before the set fences the store", "[micro]") {
  KernelProgram program;
  program.blocks = {{store_op(), sync_op(MicroOpKind::block_set, 0, 1)},
                    {sync_op(MicroOpKind::block_wait, 0), load_op()}};
  CHECK(signal_between(program, 0, 0, 1, 1) == 1);
  CHECK(signal_between(program, 1, 1, 0, 0) == NO_OP);
  CHECK_FALSE(fenced_before_signal(program.blocks[0], 0, 1));
  MicroOp dsb;
  dsb.kind = MicroOpKind::dsb;
  program.blocks[0].insert(program.blocks[0].begin() + 1, dsb);
  CHECK(fenced_before_signal(program.blocks[0], 0, 2));
  CHECK(analyse_block_sync(program).empty());
  // A wait on another id has no set; a set nobody consumes is left at the end.
  program.blocks[1][0].flag_id = 1;
  const auto findings = analyse_block_sync(program);
  CHECK(has_finding(findings, "block_wait_never_set"));
  CHECK(has_finding(findings, "block_set_at_exit"));
}

TEST_CASE("barriers of the same rank order blocks, and unequal barrier counts are a protocol error", "[micro]") {
  KernelProgram program;
  program.blocks = {{store_op(), sync_op(MicroOpKind::block_barrier)}, {sync_op(MicroOpKind::block_barrier), load_op()}};
  CHECK(signal_between(program, 0, 0, 1, 1) == 1);
  CHECK(analyse_block_sync(program).empty());
  program.blocks[1].push_back(sync_op(MicroOpKind::block_barrier));
  CHECK(has_finding(analyse_block_sync(program), "barrier_mismatch"));
}

TEST_CASE("a signal cell Set twice with no wait between, or by two blocks, may overwrite a value not yet seen", "[micro]") {
  MicroOp set;
  set.kind = MicroOpKind::notify;
  set.signal_value = 1;
  MicroOp wait = set;
  wait.kind = MicroOpKind::signal_wait;
  KernelProgram program;
  program.blocks = {{set, wait, set}, {wait}};
  CHECK(analyse_block_sync(program).empty());  // the setter waited for an answer between its Sets
  program.blocks = {{set, set}, {wait}};
  CHECK(has_finding(analyse_block_sync(program), "signal_overwrite"));
  program.blocks = {{set}, {set}, {wait}};
  CHECK(has_finding(analyse_block_sync(program), "signal_overwrite"));
  MicroOp add = set;
  add.signal_add = true;
  program.blocks = {{add}, {add}, {wait}};
  CHECK(analyse_block_sync(program).empty());  // AtomicAdd counts, it does not overwrite
}
