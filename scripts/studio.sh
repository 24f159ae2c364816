#!/usr/bin/env bash
# Build and start the studio with the shapes sample model open (its calibration and
# evaluation folders are filled in: press Quantize, then Compare).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "error: cargo (Rust 1.95) is required: https://rustup.rs" >&2; exit 1; }
source scripts/sysdeps.sh
ensure_packages libclang-dev   # nokhwa's camera bindings are generated at build time
cargo build -q --release -p pocket-studio
exec target/release/pocket-studio "${1:-sample-models/shapes/model.tflite}"
