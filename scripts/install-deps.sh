#!/usr/bin/env bash
# Installs the Debian packages the project builds and runs with. Idempotent: when every
# package is already present it returns without touching apt (fast on a warm machine).
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libsystemc-dev nlohmann-json3-dev libboost-program-options-dev libgtest-dev
  zlib1g-dev python3-numpy python3-matplotlib parallel dataset-fashion-mnist
  clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
