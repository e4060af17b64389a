#!/usr/bin/env bash
# Runs the examples of the documentation, the way SimGrid's tesh files are tests: every fenced
# block whose info string is `console` in README.md and docs/*.md is an example. In it, a line
# starting with "$ " is a command; the lines after it, up to the next command, are its expected
# standard output (nothing shown: the output is not compared).
#
# Expected lines match literally, except:
#   ...          (a line of its own) any number of lines, possibly none;
#   text ...     a line starting with "text " (figures that vary: wall times, rates).
# A command must not exit 1 (internal error), 2 (usage) or 128+ (killed by a signal); the other
# codes are outcomes, which the docs show on purpose. A command piping into `dot` is skipped when
# graphviz is not installed (it is optional: Debian package graphviz).
#
# The commands of one file run in order in one scratch directory holding build/ptosim (the binary
# under test) and the repository's scenarios/, so files a command writes (s.json, r.json) are there
# for the next one. Usage: run_examples.sh PTOSIM SOURCE_DIR FILE.md...
set -uo pipefail

ptosim="$1"
source_dir="$2"
shift 2

failures=0
examples=0

# match EXPECTED_FILE ACTUAL_FILE: 0 when the actual output matches the expected lines.
match() {
  local -a expected actual
  mapfile -t expected <"$1"
  mapfile -t actual <"$2"
  local i=0 j=0 ne=${#expected[@]} na=${#actual[@]}
  while ((i < ne)); do
    local e="${expected[i]}"
    if [[ "$e" == "..." ]]; then
      ((i + 1 == ne)) && return 0
      local next="${expected[i + 1]}"
      while ((j < na)) && ! line_matches "$next" "${actual[j]}"; do ((j++)); done
      ((j < na)) || { echo "    expected line not found: $next"; return 1; }
      ((i++))
      continue
    fi
    if ((j >= na)); then
      echo "    output ended; expected: $e"
      return 1
    fi
    if ! line_matches "$e" "${actual[j]}"; then
      echo "    expected: $e"
      echo "    actual:   ${actual[j]}"
      return 1
    fi
    ((i++))
    ((j++))
  done
  if ((j < na)); then
    echo "    unexpected output: ${actual[j]}"
    return 1
  fi
  return 0
}

line_matches() {
  local e="$1" a="$2"
  if [[ "$e" == *" ..." ]]; then
    [[ "$a" == "${e% ...}"* ]]
    return
  fi
  [[ "$e" == "$a" ]]
}

run_command() {
  local file="$1" line_number="$2" command="$3" expected="$4"
  examples=$((examples + 1))
  if [[ "$command" == *"| dot "* ]] && ! command -v dot >/dev/null; then
    echo "skip $file:$line_number (dot not installed; Debian package graphviz): $command"
    return
  fi
  local actual="$scratch/.actual"
  (cd "$scratch" && bash -c "$command") >"$actual" 2>"$scratch/.stderr"
  local status=$?
  if ((status == 1 || status == 2 || status >= 128)); then
    echo "FAIL $file:$line_number: exit $status: $command"
    sed 's/^/    stderr: /' "$scratch/.stderr" | head -5
    failures=$((failures + 1))
    return
  fi
  if [[ -s "$expected" ]] && ! match "$expected" "$actual"; then
    echo "FAIL $file:$line_number: output differs: $command"
    failures=$((failures + 1))
    return
  fi
  echo "ok   $file:$line_number (exit $status): $command"
}

for doc in "$@"; do
  scratch="$(mktemp -d)"
  mkdir -p "$scratch/build"
  ln -s "$ptosim" "$scratch/build/ptosim"
  ln -s "$source_dir/scenarios" "$scratch/scenarios"
  name="${doc#"$source_dir"/}"
  in_example=0
  command=""
  command_line=0
  expected="$scratch/.expected"
  line_number=0
  while IFS= read -r line || [[ -n "$line" ]]; do
    line_number=$((line_number + 1))
    if ((in_example == 0)); then
      [[ "$line" == '```console' ]] && in_example=1
      continue
    fi
    if [[ "$line" == '```' ]]; then
      [[ -n "$command" ]] && run_command "$name" "$command_line" "$command" "$expected"
      command=""
      in_example=0
      continue
    fi
    if [[ "$line" == '$ '* ]]; then
      [[ -n "$command" ]] && run_command "$name" "$command_line" "$command" "$expected"
      command="${line#'$ '}"
      command_line=$line_number
      : >"$expected"
      continue
    fi
    [[ -n "$command" ]] && printf '%s\n' "$line" >>"$expected"
  done <"$doc"
  rm -rf "$scratch"
done

echo "$examples example commands, $failures failing"
((examples > 0)) || { echo "no example found (blocks are marked \`\`\`console)"; exit 1; }
((failures == 0))
