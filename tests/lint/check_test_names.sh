#!/bin/sh
# A Catch test name must not hold ';': catch_discover_tests cuts the name there, ctest then runs
# the binary with a filter that matches no test case, and the test "passes" without running.
# Usage: check_test_names.sh DIR (searched recursively, planted/ left out unless it is DIR).
found=$(grep -rn --include='*.cpp' --exclude-dir=planted 'TEST_CASE("[^"]*;' "$1")
if [ -n "$found" ]; then
  echo "test names with ';' (ctest would run nothing for them):"
  echo "$found"
  exit 1
fi
