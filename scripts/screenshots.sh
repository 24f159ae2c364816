#!/usr/bin/env bash
# Start the real `pocket-studio` under Xvfb, open a sample model, walk the panels (quantize,
# compare, inspect a node, the live view on the image-folder source) and save PNG screenshots into docs/. Needs xvfb, xdotool and
# imagemagick (installed when root).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v Xvfb >/dev/null || ! command -v xdotool >/dev/null || ! command -v import >/dev/null; then
  if [[ $(id -u) == 0 ]]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq xvfb xauth imagemagick xdotool \
      mesa-vulkan-drivers libegl1 libegl-mesa0 libgl1-mesa-dri libx11-6 libx11-xcb1 libxcursor1 libxrandr2 libxi6 libxkbcommon-x11-0
  else
    echo "error: needs: sudo apt-get install xvfb xauth imagemagick xdotool mesa-vulkan-drivers" >&2; exit 1
  fi
fi
cargo build -q --release -p pocket-studio
mkdir -p docs
export XDG_RUNTIME_DIR=$(mktemp -d) HOME=$(mktemp -d)   # fresh settings: no recent files
chmod 700 "$XDG_RUNTIME_DIR"
Xvfb :77 -screen 0 1280x800x24 >/dev/null 2>&1 &
xvfb=$!
trap 'kill $xvfb 2>/dev/null; pkill -f "target/release/pocket-studio" 2>/dev/null || true' EXIT
export DISPLAY=:77
sleep 1
shot() { sleep "$2"; import -window root "docs/$1.png"; echo "docs/$1.png"; }
target/release/pocket-studio & app=$!
shot start 4
xdotool mousemove 697 222 click 1            # "Open Shapes" on the start screen
shot graph 4
xdotool mousemove 419 297 click 1            # a CONV_2D node: the inspector
xdotool mousemove 1060 700 && sleep 0.5 && xdotool click 5 click 5 click 5 click 5   # scroll the side panel
shot inspector 2
xdotool click 4 click 4 click 4 click 4 click 4 click 4 && sleep 0.5                  # back to the top
xdotool mousemove 890 176 click 1            # Quantize (int8, the sample's calibration images)
sleep 8
xdotool mousemove 1237 280 click 1           # Compare on the sample's evaluation images
shot compare 14
xdotool mousemove 86 43 click 1              # the Live tab (no camera here: image-folder source)
sleep 1
xdotool mousemove 358 66 click 1             # Start: float and int8 side by side
shot live 6
kill $app
