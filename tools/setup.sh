#!/usr/bin/env bash
# Set up ptosim on Debian bookworm and run it:
#   tools/setup.sh demo   install what is missing, build, run the flagship scenario
#   tools/setup.sh test   install what is missing, build with -Werror, run the whole test suite
#   tools/setup.sh sanitize  the same under AddressSanitizer + UndefinedBehaviorSanitizer, in
#                         build-sanitize/, catalogue sweeps over the first 20 seeds of each range
# Only Debian packages are installed; nothing else is downloaded. Run as root (or with sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-}"
if [[ "$mode" != "demo" && "$mode" != "test" && "$mode" != "sanitize" ]]; then
  echo "usage: $0 demo|test|sanitize" >&2
  exit 2
fi

# libxml2-utils: xmllint, which the tests use to validate sweep --junit output. graphviz: `dot`,
# which renders `check --dot` and `inspect --dot` (README); optional for the tests, which skip it
# when it is missing.
packages=(build-essential cmake pkg-config libsimgrid-dev catch2 nlohmann-json3-dev libcli11-dev libboost-graph-dev
          libxml2-utils graphviz)
missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done
if ((${#missing[@]} > 0)); then
  echo "installing: ${missing[*]}"
  sudo_cmd=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { echo "error: run as root to install: ${missing[*]}" >&2; exit 1; }
    sudo_cmd=(sudo)
  fi
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

jobs="$(nproc)"
if [[ "$mode" == "sanitize" ]]; then
  # -O1 keeps the instrumented build quick to compile and its reports readable. SimGrid runs its
  # actors on threads in this build (see simcore/sim_engine.cpp, docs/robustness.md).
  cmake -S . -B build-sanitize -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_FLAGS_RELEASE=-O1 -DPTOSIM_WERROR=ON \
    -DPTOSIM_SANITIZE=ON -DPTOSIM_CATALOG_MAX_SEEDS=20
  cmake --build build-sanitize -j "$jobs"
  export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0:abort_on_error=1}"
  export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
  ctest --test-dir build-sanitize -j "$jobs" --output-on-failure
  exit 0
fi
werror=OFF
[[ "$mode" == "test" ]] && werror=ON
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DPTOSIM_WERROR="$werror"

if [[ "$mode" == "demo" ]]; then
  cmake --build build -j "$jobs" --target ptosim
  build/ptosim run scenarios/catalog/paged_attention_flagship.json --seed 1 --nominal
else
  cmake --build build -j "$jobs"
  ctest --test-dir build -j "$jobs" --output-on-failure
fi
