#!/usr/bin/env bash
# pocket bench vs LiteRT (XNNPACK) vs ONNX Runtime on the MobileNetV2- and ResNet-style
# fixtures, float32 and int8, 1 and 2 threads, alternating in one run (see scripts/bench_vs.py).
# Sets up .venv and the fixtures like scripts/test.sh does. Not run by CI.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "error: cargo (Rust 1.95) is required" >&2; exit 1; }
source scripts/sysdeps.sh
ensure_packages libclang-dev
if ! .venv/bin/python -c 'import ai_edge_litert, onnxruntime, onnx, numpy' 2>/dev/null; then
  python3 -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r tests/oracle/requirements.txt
fi
cargo build -q --release -p pocket-studio
[[ -f tests/fixtures/onnx/mobilenet_v2/model.onnx && -f tests/fixtures/onnx/resnet18_half/model.onnx ]] \
  || .venv/bin/python tests/oracle/make_onnx_fixtures.py tests/fixtures/onnx
exec .venv/bin/python scripts/bench_vs.py "$@"
