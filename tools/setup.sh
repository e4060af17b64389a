#!/usr/bin/env bash
# Set up ptosim on Debian bookworm and run it:
#   tools/setup.sh demo   install what is missing, build, run the flagship scenario
#   tools/setup.sh test   install what is missing, build with -Werror, run the whole test suite
# Only Debian packages are installed; nothing else is downloaded. Run as root (or with sudo).
set -euo pipefail
cd "$(dirname "$0")/.."

mode="${1:-}"
if [[ "$mode" != "demo" && "$mode" != "test" ]]; then
  echo "usage: $0 demo|test" >&2
  exit 2
fi

packages=(build-essential cmake pkg-config libsimgrid-dev catch2 nlohmann-json3-dev libcli11-dev libboost-graph-dev)
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
werror=OFF
[[ "$mode" == "test" ]] && werror=ON
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DPTOSIM_WERROR="$werror"

if [[ "$mode" == "demo" ]]; then
  cmake --build build -j "$jobs" --target ptosim
  build/ptosim run scenarios/catalog/paged_attention_flagship.json --seed 1
else
  cmake --build build -j "$jobs"
  ctest --test-dir build -j "$jobs" --output-on-failure
fi
