#!/usr/bin/env bash
# Studio start-up benchmark (not a test): launches the real `pocket-studio` under Xvfb N times
# with POCKET_STUDIO_BENCH=1 and reports the median time from process start to first frame and
# from "open" to the drawn, laid-out graph, for each sample model and the generated MobileNetV2-
# style fixture (run scripts/test.sh or `cargo run -p pocket-tests --bin gen-fixtures` first).
# The window closes itself after drawing the graph. Usage: scripts/bench_studio.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
command -v Xvfb >/dev/null || { echo "error: needs xvfb (apt-get install xvfb xauth)" >&2; exit 1; }
cargo build -q --release -p pocket-studio
export XDG_RUNTIME_DIR=$(mktemp -d) HOME=$(mktemp -d)
chmod 700 "$XDG_RUNTIME_DIR"
Xvfb :78 -screen 0 1280x800x24 >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null || true' EXIT
export DISPLAY=:78 POCKET_STUDIO_BENCH=1
sleep 1
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "| model | nodes | launch → first frame (ms) | open → drawn graph (ms) |"
echo "|---|---|---|---|"
for m in sample-models/digits/model.tflite sample-models/shapes/model.tflite tests/fixtures/mobilenet_v2/model.tflite; do
  [[ -f $m ]] || { echo "skipping $m (not generated)" >&2; continue; }
  ff=(); og=()
  for _ in $(seq "$runs"); do
    out=$(timeout 60 target/release/pocket-studio "$m" 2>&1 >/dev/null | grep -E '^(first_frame|open_to_graph)_ms=' || true)
    ff+=("$(sed -n 's/^first_frame_ms=//p' <<<"$out")")
    og+=("$(sed -n 's/^open_to_graph_ms=//p' <<<"$out")")
  done
  nodes=$(target/release/pocket inspect "$m" 2>/dev/null | sed -n 's/^Ops (\([0-9]*\) nodes.*/\1/p')
  echo "| $m | $nodes | $(printf '%s\n' "${ff[@]}" | median) | $(printf '%s\n' "${og[@]}" | median) |"
done
