#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The README's main job: on a fresh Debian 12 or 13 (as root) install what
# its build needs (not the tests': it builds with -Dtests=disabled), build, generate a short clip of the demo model's objects moving
# over real photographs (tools/train/sequences.py), and run it through
#   decodebin ! yolov7 ! objecttracker ! detectionjson ! detectionoverlay ! x264enc ! mp4mux
# writing demo-out/annotated.mp4 and demo-out/detections.jsonl.
#
# The model is models/shapes-yolov7-tiny.onnx, a YOLOv7-tiny trained here on
# generated scenes: it detects the six shapes of models/MODEL_CARD.md
# (circle, square, triangle, star, cross, ring) and nothing else.  For real
# objects, export official YOLOv7 weights (docs/models.md) and pass MODEL=... LABELS=
# (LABELS empty: the 80 COCO names) and INPUT=your-video.mp4.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    build-essential meson ninja-build pkg-config ocl-icd-opencl-dev opencl-headers \
    ocl-icd-libopencl1 pocl-opencl-icd libprotobuf-c-dev protobuf-c-compiler \
    libonnx-dev python3 python3-numpy python3-opencv darknet \
    libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libcairo2-dev \
    libgstreamer-plugins-bad1.0-dev libpango1.0-dev libjson-glib-dev \
    gstreamer1.0-tools gstreamer1.0-plugins-base \
    gstreamer1.0-plugins-good gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly
fi

# An existing build folder (a developer's, with tests) is used as it is.
[ -f build/build.ninja ] || meson setup build -Dtests=disabled -Dgst-plugin=enabled
meson compile -C build

out=demo-out
mkdir -p "$out"
model=${MODEL:-models/shapes-yolov7-tiny.onnx}
labels=${LABELS-models/shapes-yolov7-tiny.labels}
input=${INPUT:-}
if [ -z "$input" ]; then
  # 10 s at 25 fps of moving, crossing, occluding objects; lossless Y4M
  /usr/bin/python3 tools/train/sequences.py --seed 2024 --frames 250 --out "$out/clip" \
    --raw y4m > /dev/null
  input=$out/clip/video.y4m
fi
props=(conf-threshold=0.4)
[ -n "$labels" ] && props+=("labels=$labels")
examples/detect-file.sh "$model" "$input" "$out/annotated.mp4" "$out/detections.jsonl" "${props[@]}"
echo "wrote $out/annotated.mp4 and $out/detections.jsonl ($(wc -l < "$out/detections.jsonl") frames)"
