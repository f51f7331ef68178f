#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The README's first command: install what is needed (Debian 12, as root),
# build, make a YOLOv7-tiny model in the official end2end export structure,
# and run the detection API on Debian's darknet sample photos, writing JSON
# Lines and annotated copies to demo-out/.
#
# The model's weights are RANDOM (pretrained weights cannot be downloaded
# here), so its boxes mean nothing: this demo shows the chain working
# (letterbox on the device, the graph, NMS, boxes mapped back to each photo),
# not a detector.  Pass your own official export with MODEL=path.onnx.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    build-essential meson ninja-build pkg-config ocl-icd-opencl-dev opencl-headers \
    ocl-icd-libopencl1 pocl-opencl-icd libprotobuf-c-dev protobuf-c-compiler \
    libonnx-dev python3 python3-onnx python3-numpy darknet libjpeg-turbo-progs
fi

[ -f build/build.ninja ] || meson setup build
meson compile -C build yolov7-detect

out=demo-out
mkdir -p "$out/frames"
model=${MODEL:-$out/yolov7-tiny-random-end2end-640.onnx}
if [ -z "${MODEL:-}" ] && [ ! -f "$model" ]; then
  /usr/bin/python3 tests/models/make_yolov7.py --variant tiny --form end2end \
    --img 640 -o "$model"
fi
for jpg in /usr/share/darknet/data/{dog,horses,person,eagle,giraffe,kite}.jpg; do
  djpeg -pnm "$jpg" > "$out/frames/$(basename "$jpg" .jpg).ppm"
done
./build/examples/yolov7-detect --model "$model" \
  --labels /usr/share/darknet/data/coco.names \
  --json "$out/detections.jsonl" --annotate "$out/annotated" "$out"/frames/*.ppm
echo "wrote $out/detections.jsonl and $out/annotated/*.ppm ($(wc -l < "$out/detections.jsonl") images)"
