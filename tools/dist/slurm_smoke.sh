#!/usr/bin/env bash
# Runs docs/ci.md's distributed recipes for real: a single-node Slurm on this machine (munged,
# slurmctld, slurmd with proctrack/linuxproc and task/none), the array of 4 sweep shards with its
# dependent merge, the same sweep through `ptosim worker --plan` under Slurm, and the 4 shards
# under GNU parallel; each merged JSON is checked against one local `ptosim sweep`. The recipe
# blocks are taken from docs/ci.md (the ones marked `<!-- dist-smoke: NAME -->`) and run as they
# are written there.
#
# Opt-in (ctest label `dist`, registered with -DPTOSIM_DIST_TESTS=ON; not in .ci/run). Needs root:
# it installs Debian's slurm-wlm, munge and parallel with apt-get when they are missing. It starts
# its daemons on their own sockets, ports and directories under a temporary directory and stops
# every one it started (by PID) on exit, whatever happened. Exit 0: every check passed; 77: not
# root (skipped); anything else: a failure, with the logs printed.
#
# Usage: tools/dist/slurm_smoke.sh [BUILD_DIR]   (default: build; about a minute on 2 cores)
set -euo pipefail
REPO=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(cd "${1:-$REPO/build}" && pwd)
PTOSIM="$BUILD/ptosim"
export SCENARIO="$REPO/scenarios/catalog/missing_war_kv_cache.json"
export SEEDS="${SEEDS:-0..199}"
TIMEOUT_S=${TIMEOUT_S:-300}

say() { printf '[slurm_smoke] %s\n' "$*"; }
die() { say "FAIL: $*"; exit 1; }

[[ -x "$PTOSIM" ]] || die "$PTOSIM not found; build first"
if [[ $(id -u) -ne 0 ]]; then
  say "skipped: needs root (to install packages and run munged, slurmctld and slurmd)"
  exit 77
fi

# --- packages (Debian only) ---------------------------------------------------------------------
missing=()
command -v slurmctld >/dev/null || missing+=(slurm-wlm)
command -v munged >/dev/null || missing+=(munge)
command -v parallel >/dev/null || missing+=(parallel)
command -v python3 >/dev/null || missing+=(python3)
if ((${#missing[@]})); then
  say "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null
fi

WORK=$(mktemp -d /tmp/ptosim-slurm.XXXXXX)
chmod 755 "$WORK"
PIDS=()
cleanup() {
  local rc=$?
  if [[ -n "${SLURM_CONF:-}" && -f "${SLURM_CONF}" ]]; then
    scancel --quiet --user=root 2>/dev/null || true
  fi
  # Only the daemons this script started, by their PIDs, the last started first.
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    kill "${PIDS[i]}" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  if [[ $rc -ne 0 ]]; then
    say "logs:"
    for f in "$WORK"/log/*.log "$WORK"/run/logs/*.log; do
      [[ -f "$f" ]] && { echo "--- $f"; tail -20 "$f"; }
    done
  fi
  rm -rf "$WORK"
  exit $rc
}
trap cleanup EXIT
mkdir -p "$WORK"/{log,munge,etc,state,spool,run}

# --- munge --------------------------------------------------------------------------------------
dd if=/dev/urandom bs=1 count=1024 of="$WORK/munge/munge.key" status=none
chmod 400 "$WORK/munge/munge.key"
MUNGE_SOCKET="$WORK/munge/munge.socket"
munged --foreground --force --socket="$MUNGE_SOCKET" --key-file="$WORK/munge/munge.key" \
  --pid-file="$WORK/munge/munged.pid" --seed-file="$WORK/munge/munged.seed" \
  --log-file="$WORK/log/munged.log" >"$WORK/log/munged.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 50); do [[ -S "$MUNGE_SOCKET" ]] && break; sleep 0.1; done
[[ -S "$MUNGE_SOCKET" ]] || die "munged did not come up"
munge --socket="$MUNGE_SOCKET" -n | unmunge --socket="$MUNGE_SOCKET" >/dev/null || die "munge round trip failed"
say "munged up (pid ${PIDS[-1]})"

# --- slurm --------------------------------------------------------------------------------------
NODE=$(hostname -s)
CPUS=$(nproc)
# Free ports near Slurm's defaults, so a Slurm already on the machine is left alone.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
CTLD_PORT=16817
while ! port_free $CTLD_PORT; do CTLD_PORT=$((CTLD_PORT + 2)); done
SLURMD_PORT=$((CTLD_PORT + 1))
export SLURM_CONF="$WORK/etc/slurm.conf"
cat >"$SLURM_CONF" <<EOF
ClusterName=ptosimsmoke
SlurmctldHost=$NODE
SlurmctldPort=$CTLD_PORT
SlurmdPort=$SLURMD_PORT
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
StateSaveLocation=$WORK/state
SlurmdSpoolDir=$WORK/spool
SlurmctldPidFile=$WORK/state/slurmctld.pid
SlurmdPidFile=$WORK/spool/slurmd.pid
SlurmctldLogFile=$WORK/log/slurmctld.log
SlurmdLogFile=$WORK/log/slurmd.log
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=300
KillWait=5
Waittime=0
NodeName=$NODE CPUs=$CPUS State=UNKNOWN
PartitionName=smoke Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -D -i -f "$SLURM_CONF" >"$WORK/log/slurmctld.out" 2>&1 &
PIDS+=($!)
slurmd -D -f "$SLURM_CONF" -N "$NODE" >"$WORK/log/slurmd.out" 2>&1 &
PIDS+=($!)
started=$SECONDS
until sinfo -h -N -o '%T' 2>/dev/null | grep -Eq '^(idle|mixed|allocated)'; do
  ((SECONDS - started < 60)) || die "the node did not come up within 60 s: $(sinfo -N 2>&1 | tail -1)"
  kill -0 "${PIDS[1]}" 2>/dev/null || die "slurmctld exited"
  kill -0 "${PIDS[2]}" 2>/dev/null || die "slurmd exited"
  sleep 1
done
say "slurm up in $((SECONDS - started)) s: $(sinfo -h -N -o '%N %T %c CPUs')"

# --- the recipes --------------------------------------------------------------------------------
# A block of docs/ci.md: the fenced block after `<!-- dist-smoke: NAME -->`.
recipe() {
  awk -v name="<!-- dist-smoke: $1 -->" '
    $0 == name { found = 1; next }
    found && /^```/ { if (inside) exit; inside = 1; next }
    inside { print }' "$REPO/docs/ci.md"
}
RUN="$WORK/run"
cd "$RUN"
ln -s "$BUILD" build   # the recipes say build/ptosim
for name in sweep.sbatch submit-sweep.sh worker.sbatch submit-worker.sh parallel.sh; do
  recipe "$name" >"$name"
  [[ -s "$name" ]] || die "docs/ci.md has no block marked dist-smoke: $name"
done

# Waits until Slurm has no job left, then checks that each one completed.
wait_jobs() {
  local started=$SECONDS
  while [[ -n "$(squeue -h -o %i 2>/dev/null)" ]]; do
    ((SECONDS - started < TIMEOUT_S)) || die "jobs still queued after $TIMEOUT_S s: $(squeue -h 2>&1 | head -5)"
    sleep 1
  done
  local bad
  bad=$(scontrol show job 2>/dev/null | grep -o 'JobState=[A-Z_]*' | sort | uniq -c | grep -v COMPLETED || true)
  [[ -z "$bad" ]] || die "a job did not complete: $bad"
}

say "local sweep of $(basename "$SCENARIO") seeds $SEEDS"
"$PTOSIM" sweep "$SCENARIO" --seeds "$SEEDS" --jobs "$CPUS" --json >local.json

t0=$SECONDS
say "docs/ci.md: the array of 4 shards and the dependent merge"
bash submit-sweep.sh >"$WORK/log/submit-sweep.log"
wait_jobs
say "  done in $((SECONDS - t0)) s: $(ls out/shard-*.json | wc -l) shard files, merged: $(test -s out/merged.json && echo yes)"
scontrol show job 2>/dev/null | grep -o 'JobState=[A-Z]*' | sort | uniq -c | sed 's/^/  /'

t0=$SECONDS
say "docs/ci.md: the same sweep through worker --plan under Slurm"
bash submit-worker.sh >"$WORK/log/submit-worker.log"
wait_jobs
say "  done in $((SECONDS - t0)) s: $(ls out/worker-*.jsonl | wc -l) worker outputs, merged: $(test -s out/worker-merged.json && echo yes)"

t0=$SECONDS
say "docs/ci.md: the 4 shards under GNU parallel"
bash parallel.sh
say "  done in $((SECONDS - t0)) s"

# --- the checks ---------------------------------------------------------------------------------
python3 - local.json out/merged.json out/worker-merged.json out/parallel-merged.json <<'PY'
import json, sys
keys = ["total", "runs", "outcomes", "findings", "expected_findings", "wrong_tensors", "failed_runs",
        "failing", "failure_rate", "outcome_failing", "outcome_failure_rate", "first_failing_seed",
        "first_outcome_failing_seed", "failing_seeds_unlisted", "scenario_hash", "seeds", "strategy"]
def counts(doc):
    out = {k: doc[k] for k in keys}
    out["failing_seeds"] = [(e["seed"], e["outcome"], e["digest"], e.get("point")) for e in doc["failing_seeds"]]
    out["holds"] = doc["expectations"]["holds"]
    return out
local = counts(json.load(open(sys.argv[1])))
ok = True
for path in sys.argv[2:]:
    other = counts(json.load(open(path)))
    diff = [k for k in local if local[k] != other[k]]
    ok = ok and not diff
    print(f"[slurm_smoke] {path}: " + ("the local sweep's counts" if not diff else "DIFFERS in " + ", ".join(diff)))
o = local["outcomes"]
print(f"[slurm_smoke] local sweep: runs {local['runs']}, pass {o['pass']}, wrong_values {o['wrong_values']}, "
      f"failure_rate {local['failure_rate']['value']:.4f}, outcome_failure_rate {local['outcome_failure_rate']['value']:.4f}, "
      f"expectations {'hold' if local['holds'] else 'do not hold'}")
sys.exit(0 if ok else 1)
PY
say "every check passed; stopping the daemons"
