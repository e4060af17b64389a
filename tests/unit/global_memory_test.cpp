// GM versions: the interval map against a byte-by-byte model, and the access log of a core.
#include "hwmodel/ai_core.h"
#include "hwmodel/global_memory.h"
#include "simcore/decision_source.h"
#include "simcore/key_index.h"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>

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

TEST_CASE("the version map agrees with a byte-by-byte model when its ranges fill many blocks", "[gm]") {
  // Short writes over a long space: thousands of ranges, so blocks split, empty and go.
  ptosim::simcore::StreamGenerator rng(6, "gm.version_map.blocks");
  constexpr std::uint64_t SIZE = 20000;
  for (int round = 0; round < 4; ++round) {
    VersionMap map;
    std::vector<Version> bytes(SIZE);
    std::size_t most = 0;
    for (int op = 0; op < 6000; ++op) {
      const std::uint64_t begin = rng.next_in(0, SIZE - 1);
      // Mostly short writes; now and then a long one that swallows whole blocks.
      const std::uint64_t length = rng.next_in(0, 99) < 97 ? rng.next_in(1, 6) : rng.next_in(100, 4000);
      const std::uint64_t end = std::min(SIZE, begin + length);
      const Version version{static_cast<std::uint32_t>(rng.next_in(0, 40)), static_cast<std::uint16_t>(rng.next_in(0, 1)), false};
      map.write(begin, end, version);
      for (std::uint64_t b = begin; b < end; ++b) bytes[b] = version;
      most = std::max(most, map.segments());
      if (op % 50 != 0) continue;
      const std::uint64_t lo = rng.next_in(0, SIZE - 1);
      const std::uint64_t hi = rng.next_in(lo, std::min(SIZE, lo + 3000));
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
    // The whole space, piece by piece, and the test reached several blocks.
    std::vector<VersionPiece> pieces;
    map.read(0, SIZE, pieces);
    for (const VersionPiece& piece : pieces) {
      for (std::uint64_t b = piece.begin; b < piece.end; ++b) REQUIRE(bytes[b] == piece.version);
    }
    CHECK(most > 4 * RangeMap<std::uint64_t, Version>::BLOCK_RANGES);
  }
}

TEST_CASE("the version map agrees with a byte-by-byte model across page boundaries", "[gm]") {
  // A window around two page boundaries, writes and reads of every length, merged pieces.
  ptosim::simcore::StreamGenerator rng(8, "gm.version_map.pages");
  const std::uint64_t base = 5 * VersionMap::PAGE_BYTES - 700;
  const std::uint64_t size = VersionMap::PAGE_BYTES + 1400;
  VersionMap map;
  std::vector<Version> bytes(size);
  for (int op = 0; op < 400; ++op) {
    const std::uint64_t begin = rng.next_in(0, size - 1);
    const std::uint64_t end = rng.next_in(0, 3) == 0 ? rng.next_in(begin, size) : std::min(size, begin + rng.next_in(1, 900));
    const Version version{static_cast<std::uint32_t>(rng.next_in(0, 5)), 0, false};
    map.write(base + begin, base + end, version);
    for (std::uint64_t b = begin; b < end; ++b) bytes[b] = version;
    const std::uint64_t lo = rng.next_in(0, size - 1);
    const std::uint64_t hi = rng.next_in(lo, size);
    std::vector<VersionPiece> pieces{VersionPiece{0, base + lo, Version{}}};  // read() appends after what is there
    map.read(base + lo, base + hi, pieces);
    std::uint64_t cursor = lo;
    for (std::size_t p = 1; p < pieces.size(); ++p) {
      REQUIRE(pieces[p].begin == base + cursor);
      REQUIRE(pieces[p].end > pieces[p].begin);
      if (p > 1) REQUIRE_FALSE(pieces[p].version == pieces[p - 1].version);  // equal neighbours are merged
      for (std::uint64_t b = pieces[p].begin - base; b < pieces[p].end - base; ++b) REQUIRE(bytes[b] == pieces[p].version);
      cursor = pieces[p].end - base;
    }
    REQUIRE(cursor == hi);
  }
}

TEST_CASE("the version map agrees with the writes it saw when writes span many pages", "[gm]") {
  // Writes of whole runs of pages become spans; smaller writes cut into them. The answer for a
  // byte is the last write that covered it, checked at each piece's first, middle and last byte.
  ptosim::simcore::StreamGenerator rng(9, "gm.version_map.spans");
  const std::uint64_t page = VersionMap::PAGE_BYTES;
  const std::uint64_t size = 300 * page;
  struct Write {
    std::uint64_t begin, end;
    Version version;
  };
  std::vector<Write> writes;
  auto expected = [&writes](std::uint64_t byte) {
    for (auto w = writes.rbegin(); w != writes.rend(); ++w) {
      if (w->begin <= byte && byte < w->end) return w->version;
    }
    return Version{};
  };
  VersionMap map;
  for (int op = 0; op < 300; ++op) {
    const std::uint64_t begin = rng.next_in(0, size - 1);
    const int kind = static_cast<int>(rng.next_in(0, 2));
    const std::uint64_t length = kind == 0 ? rng.next_in(1, 3 * page) : kind == 1 ? rng.next_in(64 * page, 200 * page) : page * rng.next_in(64, 120);
    const std::uint64_t end = std::min(size, begin + length);
    const Version version{static_cast<std::uint32_t>(op), 0, false};
    map.write(begin, end, version);
    writes.push_back(Write{begin, end, version});
    const std::uint64_t lo = rng.next_in(0, size - 1);
    const std::uint64_t hi = rng.next_in(lo, size);
    std::vector<VersionPiece> pieces;
    map.read(lo, hi, pieces);
    std::uint64_t cursor = lo;
    for (const VersionPiece& piece : pieces) {
      REQUIRE(piece.begin == cursor);
      REQUIRE(piece.end > piece.begin);
      for (std::uint64_t b : {piece.begin, piece.begin + (piece.end - piece.begin) / 2, piece.end - 1}) {
        INFO("op " << op << " byte " << b);
        REQUIRE(expected(b) == piece.version);
      }
      cursor = piece.end;
    }
    REQUIRE(cursor == hi);
  }
}

TEST_CASE("a write of a TiB costs one span, and a small write inside it cuts out one page", "[gm]") {
  VersionMap map;
  const std::uint64_t tib = std::uint64_t{1} << 40;
  map.write(0, tib, Version{1, 0, false});
  CHECK(map.segments() == 1);
  map.write(tib / 2 + 10, tib / 2 + 20, Version{2, 0, false});
  std::vector<VersionPiece> pieces;
  map.read(tib / 2, tib / 2 + 100, pieces);
  REQUIRE(pieces.size() == 3);
  CHECK(pieces[0].version == Version{1, 0, false});
  CHECK(pieces[1].begin == tib / 2 + 10);
  CHECK(pieces[1].version == Version{2, 0, false});
  CHECK(pieces[2].end == tib / 2 + 100);
  CHECK(map.segments() <= 5);
  pieces.clear();
  map.read(0, tib, pieces);
  CHECK(pieces.size() == 3);
}

TEST_CASE("a range map inserts, finds and erases like an ordered map", "[gm]") {
  // Ranges [2k, 2k+1) for random k, inserted and erased at random, against std::map.
  ptosim::simcore::StreamGenerator rng(7, "gm.range_map");
  RangeMap<std::int64_t, int> ranges;
  std::map<std::int64_t, int> model;
  for (int op = 0; op < 20000; ++op) {
    const std::int64_t key = 2 * static_cast<std::int64_t>(rng.next_in(0, 1500));
    auto cursor = ranges.find(key);
    const bool present = ranges.valid(cursor) && ranges[cursor].begin == key;
    REQUIRE(present == (model.count(key) == 1));
    if (present) {
      REQUIRE(ranges[cursor].payload == model[key]);
      if (rng.next_in(0, 2) != 0) {
        cursor = ranges.erase(cursor);
        model.erase(key);
        auto after = model.upper_bound(key);
        REQUIRE(ranges.valid(cursor) == (after != model.end()));
        if (after != model.end()) REQUIRE(ranges[cursor].begin == after->first);
      }
    } else {
      const int payload = op;
      cursor = ranges.insert(cursor, {key, key + 1, payload});
      model[key] = payload;
      REQUIRE(ranges[cursor].begin == key);
    }
    REQUIRE(ranges.size() == model.size());
  }
  // A walk visits the model's keys in order; previous() steps back across blocks.
  auto expected = model.begin();
  for (auto cursor = ranges.begin_cursor(); ranges.valid(cursor); cursor = ranges.next(cursor), ++expected) {
    REQUIRE(expected != model.end());
    REQUIRE(ranges[cursor].begin == expected->first);
    if (!ranges.is_first(cursor)) REQUIRE(ranges[ranges.previous(cursor)].begin == std::prev(expected)->first);
  }
  CHECK(expected == model.end());
  CHECK(model.size() > 4 * RangeMap<std::int64_t, int>::BLOCK_RANGES);
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

TEST_CASE("a core's access log keeps every argument's address with the kernel's start and end", "[gm]") {
  GlobalMemory memory;
  const TensorLayout layout = make_contiguous({4, 8}, DType::f32);
  KernelSpec kernel;
  TaskDescriptor descriptor;
  descriptor.task = 7;
  descriptor.kernel = &kernel;
  descriptor.views = {GmView{0x1000, &layout, GmAccess::read, nullptr}, GmView{0x2000, &layout, GmAccess::write, nullptr}};
  descriptor.block = 2;
  memory.log_task(descriptor, 3, 100, 250);
  descriptor.task = 8;
  descriptor.views.pop_back();
  memory.log_task(descriptor, 1, 50, 60);  // logged later, ran earlier: the log keeps any order
  const GmAccessLog& log = memory.log();
  REQUIRE(log.tasks.size() == 2);
  CHECK(log.tasks[0].task == 7);
  CHECK(log.tasks[0].block == 2);
  CHECK(log.tasks[0].core == 3);
  CHECK(log.tasks[0].start_ns == 100);
  CHECK(log.tasks[0].end_ns == 250);
  REQUIRE(log.tasks[0].view_count == 2);
  CHECK(log.addresses[log.tasks[0].first_address + 1] == 0x2000);
  CHECK(log.tasks[1].view_count == 1);
  CHECK(log.addresses[log.tasks[1].first_address] == 0x1000);
  CHECK(sizeof(GmTaskAccess) == 32);
}

TEST_CASE("a key index numbers keys in the order they come and finds them again", "[gm]") {
  ptosim::simcore::KeyIndex index;
  std::map<std::uint64_t, std::uint32_t> model;
  ptosim::simcore::StreamGenerator rng(9, "gm.key_index");
  for (int op = 0; op < 20000; ++op) {
    // Keys that collide in their low bits, as page numbers and buffer keys do.
    const std::uint64_t key = rng.next_in(0, 4000) << 20 | (op % 3 == 0 ? 1ULL << 63 : 0);
    const std::uint32_t expected = model.count(key) != 0 ? model[key] : static_cast<std::uint32_t>(model.size());
    REQUIRE(index.insert(key) == expected);
    model.emplace(key, expected);
    REQUIRE(index.find(key) == expected);
    REQUIRE(index.find(key + 1) == (model.count(key + 1) != 0 ? model[key + 1] : ptosim::simcore::KeyIndex::ABSENT));
  }
  CHECK(index.size() == model.size());
  for (const auto& [key, value] : model) REQUIRE(index.find(key) == value);
}
