#!/usr/bin/env bash
# The architecture zoo benchmark (see scripts/bench_zoo.py): Keras applications converted by the
# TF converter, float32 and full int8, pocket bench vs LiteRT (XNNPACK) vs ONNX Runtime at 1 and
# 2 threads, plus peak memory. Installs TensorFlow, tf2onnx and the runtimes into their own venv
# (.venv-tf, large); converted models are cached in ~/.cache/pocket-studio/zoo. CI does not run
# this. Arguments go to bench_zoo.py, e.g. --models mobilenet_v2,resnet50 --rounds 1 --runs 10.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "error: cargo (Rust 1.95) is required" >&2; exit 1; }
source scripts/sysdeps.sh
ensure_packages libclang-dev
cargo build -q --release -p pocket-studio
if ! .venv-tf/bin/python -c 'import tensorflow, ai_edge_litert, onnxruntime, tf2onnx' 2>/dev/null; then
  python3 -m venv .venv-tf
  .venv-tf/bin/pip install -q --disable-pip-version-check tensorflow-cpu==2.21.0 ai-edge-litert==2.3.0 \
    onnxruntime==1.32.0 onnx==1.23.2
  # tf2onnx 1.17.0 pins older protobuf/numpy than TF 2.21 brings; it works with these here.
  .venv-tf/bin/pip install -q --disable-pip-version-check --no-deps tf2onnx==1.17.0
fi
exec nice -n 10 .venv-tf/bin/python scripts/bench_zoo.py "$@"
