#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# End-to-end pipeline benchmark (not a test):
#
#   bash bench/pipeline.sh [MODEL.onnx] [FRAMES]
#
# Makes a 1080p25 H.264 clip (FRAMES frames, 250 by default) and times
#
#   filesrc ! decodebin ! yolov7 model=MODEL inference-interval=I ! objecttracker !
#   detectionoverlay ! x264enc speed-preset=ultrafast ! fakesink
#
# for I = 1, 2, 3, 5, printing frames per second of the whole pipeline and how many
# live 25 fps streams of that kind one machine keeps up with (fps / 25; with I > 1
# the tracker carries the boxes between inferences).  The default model is
# yolov7-tiny at 416 from tests/models/make_yolov7.py: random weights, for timing
# only; it detects nothing meaningful.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${YOLOV7_BUILD:-$root/build}
export GST_PLUGIN_PATH="$build/gst-plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
model=${1:-}
frames=${2:-250}
work=$root/bench/models
mkdir -p "$work"
if [ -z "$model" ]; then
  model=$work/tiny-416-b1.onnx
  [ -f "$model" ] || /usr/bin/python3 "$root/tests/models/make_yolov7.py" --variant tiny \
      --form grid --img 416 -o "$model" > /dev/null
fi
clip=$work/clip-1080p-$frames.mp4
if [ ! -f "$clip" ]; then
  gst-launch-1.0 -q videotestsrc pattern=ball motion=sweep num-buffers="$frames" \
      ! video/x-raw,width=1920,height=1080,framerate=25/1 ! videoconvert \
      ! x264enc speed-preset=veryfast key-int-max=50 ! video/x-h264,profile=high \
      ! mp4mux ! filesink location="$clip.tmp"
  mv "$clip.tmp" "$clip"
fi
gst-inspect-1.0 yolov7 > /dev/null

run () {
  local t0 t1
  t0=$(date +%s.%N)
  gst-launch-1.0 -q filesrc location="$clip" ! decodebin ! "$@" ! fakesink sync=false
  t1=$(date +%s.%N)
  echo "$t0 $t1"
}

echo "clip: $frames frames of 1920x1080 H.264; model: $(basename "$model"); cpu: $(nproc) cores"
echo
echo "| pipeline | inference-interval | fps | live 25 fps streams |"
echo "|---|---|---|---|"
read -r t0 t1 < <(run x264enc speed-preset=ultrafast)
awk -v n="$frames" -v a="$t0" -v b="$t1" \
    'BEGIN { f = n / (b - a); printf "| decode + x264 only | - | %.1f | %.1f |\n", f, f / 25 }'
for i in 1 2 3 5; do
  read -r t0 t1 < <(run yolov7 model="$model" inference-interval=$i ! objecttracker \
      ! detectionoverlay ! x264enc speed-preset=ultrafast)
  awk -v n="$frames" -v a="$t0" -v b="$t1" -v i="$i" 'BEGIN { f = n / (b - a);
      printf "| decode + yolov7 + tracker + overlay + x264 | %d | %.1f | %.1f |\n", i, f, f / 25 }'
done
