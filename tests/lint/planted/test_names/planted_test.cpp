#include <catch2/catch.hpp>
TEST_CASE("one thing; another", "[planted]") {}
