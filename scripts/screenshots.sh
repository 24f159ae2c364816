#!/usr/bin/env bash
# Start the real `pocket-studio` under Xvfb, open a sample model, walk the panels (quantize,
# compare, inspect a node before and after quantizing, the float / quantized switch, the live
# view on the image-folder source), then real MediaPipe models (pose landmark full at Fit, the
# face landmark model compared without labels, BlazeFace compared and live, selfie segmentation
# live, PaddleOCR's ONNX detector sized in the Input size form), and save PNG screenshots into docs/. Needs
# xvfb, xdotool and imagemagick (installed when root).
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
[[ -n ${SKIP_BUILD:-} ]] || cargo build -q --release -p pocket-studio   # SKIP_BUILD=1: built already
mkdir -p docs
# Real models (MediaPipe fp16 landmark models from the pinned registry packages): the cache the
# real-model tests fill, fetched here when missing.
real=${POCKET_REAL_MODELS:-$HOME/.cache/pocket-studio/real-models/models}
py=${POCKET_PYTHON:-.venv/bin/python}
for m in mediapipe_pose_landmark_full mediapipe_face_landmark mediapipe_face_detection_short_range \
  mediapipe_selfie_segmentation rapidocr_ch_pp-ocrv4_det_infer; do
  ls "$real/$m".* >/dev/null 2>&1 || "$py" tests/oracle/real_models.py target/release/pocket --only "$m" >/dev/null || true
done
# Pictures with faces for the detector and the segmenter: 20 crops and mirrors of
# scikit-image's astronaut and cameraman (from its PyPI wheel, cached beside the real models).
faces=${real%/models}/faces
if [[ ! -f $faces/019.png ]]; then
  mkdir -p "$faces"
  wheel=$(mktemp -d)
  "$py" -m pip download -q --no-deps --only-binary=:all: scikit-image==0.25.2 -d "$wheel"
  "$py" - "$wheel" "$faces" <<'PY'
import glob, io, sys, zipfile
from PIL import Image, ImageOps
wheel, out = sys.argv[1], sys.argv[2]
z = zipfile.ZipFile(glob.glob(wheel + "/scikit_image-*.whl")[0])
i = 0
for name in ["astronaut", "camera"]:
    s = Image.open(io.BytesIO(z.read(f"skimage/data/{name}.png"))).convert("RGB")
    w, h = s.size
    for box in [(0, 0, w, h), (w // 8, 0, w * 7 // 8, h * 3 // 4), (0, h // 8, w * 3 // 4, h * 7 // 8),
                (w // 4, 0, w, h * 3 // 4), (w // 6, h // 10, w * 5 // 6, h * 2 // 3)]:
        for flip in (False, True):
            im = s.crop(box)
            im = ImageOps.mirror(im) if flip else im
            im.resize((256, 256)).save(f"{out}/{i:03d}.png")
            i += 1
PY
  rm -rf "$wheel"
fi
export XDG_RUNTIME_DIR=$(mktemp -d) HOME=$(mktemp -d)   # fresh settings: no recent files
chmod 700 "$XDG_RUNTIME_DIR"
Xvfb :77 -screen 0 1280x800x24 >/dev/null 2>&1 &
xvfb=$!
app=
trap 'kill $xvfb 2>/dev/null; [[ -n $app ]] && kill $app 2>/dev/null || true' EXIT
export DISPLAY=:77
sleep 1
shot() { sleep "$2"; import -window root "docs/$1.png"; echo "docs/$1.png"; }
# Type into the field under (x, y): focus the window first, select what is there, replace it.
type_at() {
  local win; win=$(xdotool search --name 'Pocket Studio' | head -1)
  [[ -n $win ]] && xdotool windowfocus --sync "$win"
  xdotool mousemove "$1" "$2" click 1; sleep 0.3
  xdotool key ctrl+a; xdotool type --delay 5 "$3"; sleep 0.3
}
tabs_quantize=(979 37)
target/release/pocket-studio & app=$!
shot start 4
xdotool mousemove 697 222 click 1            # "Open Shapes" on the start screen
shot graph 4
xdotool mousemove 430 480 click 1            # a CONV_2D node: the inspect tab opens
shot inspector 2
xdotool mousemove "${tabs_quantize[@]}" click 1 && sleep 0.5
xdotool mousemove 895 208 click 1            # Quantize (int8, the sample's calibration images)
sleep 8                                      # quantized: the compare tab opens
xdotool mousemove 1195 93 click 1            # Compare on the sample's evaluation images
shot compare 12
xdotool mousemove 430 480 click 1            # the same node, now with its quantized twin
shot inspector-quantized 2
xdotool mousemove 439 66 click 1             # the graph's float / quantized switch
shot graph-quantized 2
xdotool mousemove 330 66 click 1             # back to the float model
xdotool mousemove 86 43 click 1              # the Live tab (no camera here: image-folder source)
sleep 1
xdotool mousemove 358 66 click 1             # Start: float and int8 side by side
shot live 6
kill $app; wait $app 2>/dev/null || true
calib=$PWD/sample-models/shapes/calib
# A deep fp16 model (332 nodes, 192 fp16 weights decoded by DEQUANTIZE) at Fit: folded into
# columns, the minimap for navigation.
target/release/pocket-studio "$real/mediapipe_pose_landmark_full.tflite" & app=$!
shot graph-pose-fit 6
kill $app; wait $app 2>/dev/null || true
# A landmark model has no class labels: compare reports output and per-layer SQNR without them.
target/release/pocket-studio "$real/mediapipe_face_landmark.tflite" & app=$!
sleep 5
type_at 1100 185 "$calib"                    # calibration folder
xdotool mousemove 895 208 click 1            # Quantize
sleep 25
type_at 1035 93 "$calib"                     # images to compare on (no labels needed)
xdotool mousemove 1195 93 click 1            # Compare
shot compare-landmark 25
xdotool mousemove 152 255 click 1            # a 1x1 CONV_2D (fp16 weights): the quantized inspector
shot inspector-landmark 2
kill $app; wait $app 2>/dev/null || true
# A detector (BlazeFace, raw SSD heads): int8 calibrated and compared on the face pictures
# (box agreement), then live on one of them: float and int8 boxes on the frame.
target/release/pocket-studio "$real/mediapipe_face_detection_short_range.tflite" & app=$!
sleep 5
type_at 1100 185 "$faces"
xdotool mousemove 895 208 click 1            # Quantize
sleep 10
type_at 1035 93 "$faces"
xdotool mousemove 1195 93 click 1            # Compare: box agreement under the outputs
shot compare-detector 10
xdotool mousemove 86 43 click 1              # Live
sleep 1
xdotool mousemove 174 66 click 1             # image folder source
type_at 150 103 "$faces/000.png"
xdotool mousemove 358 66 click 1             # Start
shot live-detector 6
kill $app; wait $app 2>/dev/null || true
# A segmenter: the mask of float and int8 on the frame.
target/release/pocket-studio "$real/mediapipe_selfie_segmentation.tflite" & app=$!
sleep 5
type_at 1100 185 "$faces"
xdotool mousemove 895 208 click 1            # Quantize
sleep 10
xdotool mousemove 86 43 click 1              # Live
sleep 1
xdotool mousemove 174 66 click 1             # image folder source
type_at 150 103 "$faces/000.png"
xdotool mousemove 358 66 click 1             # Start
shot live-mask 6
kill $app; wait $app 2>/dev/null || true
# An ONNX model with free dimensions (PaddleOCR's detector, [N, 3, H, W]): the Input size form,
# 640x640 applied, the ONNX graph at Fit.
target/release/pocket-studio "$real/rapidocr_ch_pp-ocrv4_det_infer.onnx" & app=$!
sleep 6
type_at 1043 269 640; xdotool key Return
type_at 1043 292 640; xdotool key Return
sleep 0.5
xdotool mousemove 905 315 click 1            # Apply size
sleep 6
xdotool mousemove 886 37 click 1             # back to the Model tab: the sizes and MACs
shot input-size 2
kill $app; wait $app 2>/dev/null || true
app=
