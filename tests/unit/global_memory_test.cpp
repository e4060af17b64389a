// GM versions: the interval map against a byte-by-byte model, and the access log of a core.
#include "hwmodel/ai_core.h"
#include "hwmodel/global_memory.h"
#include "simcore/decision_source.h"

#include <catch2/catch.hpp>

using namespace ptosim::hwmodel;

TEST_CASE("the version map agrees with a byte-by-byte model under random writes", "[gm]") {
  ptosim::simcore::StreamGenerator rng(5, "gm.version_map");
  constexpr std::uint64_t SIZE = 96;
  for (int round = 0; round < 200; ++round) {
    VersionMap map;
    std::vector<Version> bytes(SIZE);
    for (int op = 0; op < 40; ++op) {
      const std::uint64_t begin = rng.next_in(0, SIZE - 1);
      const std::uint64_t end = rng.next_in(begin, SIZE);
      // Few distinct versions, so equal neighbours (merges) happen often.
      const Version version{static_cast<std::uint32_t>(rng.next_in(0, 3)), 0, rng.next_in(0, 1) == 1};
      map.write(begin, end, version);
      for (std::uint64_t b = begin; b < end; ++b) bytes[b] = version;
      const std::uint64_t lo = rng.next_in(0, SIZE - 1);
      const std::uint64_t hi = rng.next_in(lo, SIZE);
      std::vector<VersionPiece> pieces;
      map.read(lo, hi, pieces);
      std::uint64_t cursor = lo;
      for (const VersionPiece& piece : pieces) {
        REQUIRE(piece.begin == cursor);
        REQUIRE(piece.end > piece.begin);
        for (std::uint64_t b = piece.begin; b < piece.end; ++b) REQUIRE(bytes[b] == piece.version);
        cursor = piece.end;
      }
      REQUIRE(cursor == hi);
    }
    CHECK(map.segments() <= SIZE);
  }
}

TEST_CASE("unwritten bytes read as the contents before the program ran", "[gm]") {
  VersionMap map;
  map.write(10, 20, Version{4, 1, false});
  std::vector<VersionPiece> pieces;
  map.read(0, 30, pieces);
  REQUIRE(pieces.size() == 3);
  CHECK(pieces[0].version.writer == UNWRITTEN);
  CHECK(pieces[1].version == Version{4, 1, false});
  CHECK(pieces[2].begin == 20);
  CHECK(pieces[2].version.writer == UNWRITTEN);
}

TEST_CASE("a core's access log keeps every view with the kernel's start and end", "[gm]") {
  GlobalMemory memory;
  const TensorLayout layout = make_contiguous({4, 8}, DType::f32);
  KernelSpec kernel;
  TaskDescriptor descriptor;
  descriptor.task = 7;
  descriptor.kernel = &kernel;
  descriptor.views = {GmView{0x1000, &layout, GmAccess::read, nullptr}, GmView{0x2000, &layout, GmAccess::write, nullptr}};
  memory.log_task(descriptor, 3, 100, 250);
  const GmAccessLog& log = memory.log();
  REQUIRE(log.tasks.size() == 1);
  CHECK(log.tasks[0].task == 7);
  CHECK(log.tasks[0].core == 3);
  CHECK(log.tasks[0].start_ns == 100);
  CHECK(log.tasks[0].end_ns == 250);
  REQUIRE(log.tasks[0].view_count == 2);
  CHECK(log.views[1].buffer_address == 0x2000);
  CHECK(log.views[1].access == GmAccess::write);
}
