#!/usr/bin/env bash
# Fuzzing the process surfaces of `ptosim sweep` (docs/robustness.md): worker kills and signals.
#   tools/fuzz/process_faults.sh SURFACE SECONDS [SEED]
# SURFACE kill:   a sweep (plain or an unjudged shard, with --json and --junit) of a catalogue
#                 file chosen by SEED; after a random delay one of its worker processes is killed
#                 with SIGKILL. Expected: exit 8 (a run could not complete) with a JSON summary and
#                 one <error> in the JUnit file, or the sweep's own verdict (0/5) when it had
#                 already finished.
# SURFACE signal: the same sweeps; after a random delay the sweep gets SIGINT, SIGTERM or SIGHUP.
#                 Expected: 128+signal with a JSON partial summary, or 0/5 when it had finished.
# Trials run until SECONDS have passed. Every trial checks that no process of the sweep's group
# is left behind. Classified like ptosim-fuzz: crash (the sweep died from a signal or exited 1),
# hang (still running with no new output for 30 s after the fault: a sweep whose worker was
# killed goes on with its other seeds, which is progress), internal error (an exit code or output the docs do not
# allow). Findings are saved in build/fuzz-findings/SURFACE/. The last line printed is
#   {"executions": N, "crashes": C, "hangs": H, "internal_errors": E}
# Exit 0 only when C = H = E = 0. Uses PTOSIM (default build/ptosim).
set -uo pipefail
cd "$(dirname "$0")/../.."
surface="${1:?usage: tools/fuzz/process_faults.sh kill|signal SECONDS [SEED]}"
seconds="${2:?usage: tools/fuzz/process_faults.sh kill|signal SECONDS [SEED]}"
RANDOM="${3:-1}"
[[ "$surface" == kill || "$surface" == signal ]] || { echo "error: SURFACE is kill or signal" >&2; exit 2; }
ptosim="${PTOSIM:-build/ptosim}"
[[ -x "$ptosim" ]] || { echo "error: $ptosim not found; build first" >&2; exit 2; }
findings="build/fuzz-findings/$surface"
mkdir -p "$findings"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mapfile -t files < <(ls scenarios/catalog/*.json | sort)
executions=0 crashes=0 hangs=0 internal=0 faulted=0
end=$((SECONDS + seconds))

finding() {  # KIND MESSAGE: count it and keep the trial's command and outputs
  local kind="$1" message="$2"
  local dir="$findings/$kind-$executions"
  mkdir -p "$dir"
  printf '%s\n' "${command[*]}" "$message" "delay after the handlers: $delay_ms ms" > "$dir/what.txt"
  cp "$work/out.json" "$work/err.txt" "$dir/" 2>/dev/null
  echo "process_faults: trial $executions: $kind: $message" >&2
}

# True once the process catches SIGINT: main() has installed its handlers. A signal in the
# tens of milliseconds before (the dynamic loader and static initialisers) takes the default
# action, or none when the parent ignores it; docs/robustness.md documents that window.
handlers_installed() {
  local caught
  caught="$(awk '/^SigCgt:/ {print $2}' "/proc/$1/status" 2>/dev/null)"
  [[ -n "$caught" ]] && (( (16#$caught & 2) != 0 ))
}

json_ok() { python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$1" 2>/dev/null; }

while ((SECONDS < end)); do
  file="${files[RANDOM % ${#files[@]}]}"
  shard=()
  ((RANDOM % 2)) && shard=(--shard "$((RANDOM % 2 + 1))/2")
  delay_ms=$((RANDOM % 300))  # catalogue sweeps run thousands of seeds a second
  signals=(INT TERM HUP)
  sig="${signals[RANDOM % 3]}"
  command=("$ptosim" sweep "$file" --seeds "0..$((RANDOM % 3000 + 100))" --jobs 2 --json --junit "$work/junit.xml" "${shard[@]}")
  rm -f "$work/junit.xml"
  setsid "${command[@]}" > "$work/out.json" 2> "$work/err.txt" &
  pid=$!
  for _ in $(seq 500); do handlers_installed "$pid" && break; kill -0 "$pid" 2>/dev/null || break; sleep 0.01; done
  sleep "$(printf '0.%03d' "$delay_ms")"
  hit=""
  if [[ "$surface" == kill ]]; then
    for _ in 1 2 3 4 5 6 7 8 9 10; do  # a worker lives for one seed: look until one is there
      child="$(pgrep -P "$pid" | head -n 1)"
      [[ -n "$child" ]] && kill -KILL "$child" 2>/dev/null && { hit="worker $child"; break; }
      sleep 0.01
    done
  else
    kill -"$sig" "$pid" 2>/dev/null && hit="SIG$sig"
  fi
  waited=0 last_size=-1
  while kill -0 "$pid" 2>/dev/null && ((waited < 300)); do
    size=$(($(stat -c %s "$work/out.json") + $(stat -c %s "$work/err.txt")))
    ((size != last_size)) && waited=0 last_size=$size
    sleep 0.1
    waited=$((waited + 1))
  done
  executions=$((executions + 1))
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL -- "-$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    hangs=$((hangs + 1)); finding hang "no exit and no output for 30 s after $hit"
    continue
  fi
  wait "$pid"; code=$?
  [[ -n "$hit" ]] && faulted=$((faulted + 1))
  if pgrep -g "$pid" > /dev/null; then
    internal=$((internal + 1)); finding internal_error "processes of the sweep left behind after exit $code"
    pkill -KILL -g "$pid"
    continue
  fi
  if ((code == 1 || code > 128 && code != 129 && code != 130 && code != 143)); then
    crashes=$((crashes + 1)); finding crash "exit $code after ${hit:-no fault}"
    continue
  fi
  allowed="0 5"
  [[ "$surface" == kill && -n "$hit" ]] && allowed="0 5 8"
  [[ "$surface" == signal && -n "$hit" ]] && allowed="0 5 $((128 + $(kill -l "$sig")))"
  if [[ " $allowed " != *" $code "* ]]; then
    internal=$((internal + 1)); finding internal_error "exit $code after ${hit:-no fault} (allowed: $allowed)"
    continue
  fi
  if ! json_ok "$work/out.json"; then
    internal=$((internal + 1)); finding internal_error "exit $code after ${hit:-no fault}: stdout is not one JSON object"
    continue
  fi
  if ((code == 8)) && ! grep -q "<error" "$work/junit.xml" 2>/dev/null; then
    internal=$((internal + 1)); finding internal_error "exit 8 without an <error> in the JUnit file"
  fi
done
echo "process_faults: $surface: $faulted of $executions trials hit a running sweep" >&2
echo "{\"executions\": $executions, \"crashes\": $crashes, \"hangs\": $hangs, \"internal_errors\": $internal}"
((crashes + hangs + internal == 0))
