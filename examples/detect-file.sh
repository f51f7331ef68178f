#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# A video file in, an annotated MP4 and JSON Lines out:
#
#   examples/detect-file.sh MODEL.onnx IN.(mp4|mkv|webm|y4m|...) OUT.mp4 OUT.jsonl \
#       [yolov7 properties, e.g. conf-threshold=0.4 classes=0,2]
#
# runs
#
#   filesrc ! decodebin ! videoconvert ! yolov7 model=MODEL ... ! objecttracker !
#   detectionjson location=OUT.jsonl ! detectionoverlay ! videoconvert !
#   videoscale ! video/x-raw,format=I420 ! x264enc ! mp4mux ! filesink location=OUT.mp4
#
# The plugin is taken from the build directory next to this script
# (YOLOV7_BUILD=dir picks another; default: build/), else from the system's
# GStreamer plugins when it is installed.  Audio in the input is ignored.
set -euo pipefail

if [ $# -lt 4 ]; then
  echo "usage: $0 MODEL.onnx IN-VIDEO OUT.mp4 OUT.jsonl [yolov7 property=value ...]" >&2
  exit 2
fi
model=$1 in=$2 out=$3 json=$4
shift 4
for f in "$model" "$in"; do
  if [ ! -r "$f" ]; then
    echo "$0: cannot read $f" >&2
    exit 1
  fi
done

root=$(cd "$(dirname "$0")/.." && pwd)
build=${YOLOV7_BUILD:-$root/build}
if [ -f "$build/gst-plugin/libgstyolov7.so" ]; then
  export GST_PLUGIN_PATH="$build/gst-plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
elif ! gst-inspect-1.0 --exists yolov7; then
  echo "$0: no yolov7 plugin in $build/gst-plugin nor installed;" \
    "build it first: meson setup build && meson compile -C build" >&2
  exit 1
fi

# The output is H.264 4:2:0 (I420), the profile every player decodes; x264
# encodes 4:2:0 only at even sizes, so odd ones are scaled down by a pixel
# (the detections and the JSON are of the original frames).
enc_caps="video/x-raw,format=I420"
caps=$(gst-launch-1.0 -v filesrc location="$in" ! decodebin ! video/x-raw ! \
  fakesink num-buffers=1 2>/dev/null |
  sed -n 's/.*fakesink0.GstPad:sink: caps = //p' | head -n 1) || true
w=$(sed -n 's/.*width=(int)\([0-9]*\).*/\1/p' <<<"$caps")
h=$(sed -n 's/.*height=(int)\([0-9]*\).*/\1/p' <<<"$caps")
if [ -n "$w" ] && [ -n "$h" ] && [ $((w % 2 + h % 2)) -ne 0 ]; then
  enc_caps="$enc_caps,width=$((w / 2 * 2)),height=$((h / 2 * 2))"
fi

# -e: on Ctrl-C, send EOS first so that mp4mux writes a playable file.
# Each "property=value" is one argument: gst-launch-1.0 keeps spaces in it.
gst-launch-1.0 -e \
  filesrc location="$in" ! decodebin ! videoconvert ! \
  yolov7 model="$model" "$@" ! objecttracker ! \
  detectionjson location="$json" ! detectionoverlay ! videoconvert ! \
  videoscale ! "$enc_caps" ! x264enc ! mp4mux ! filesink location="$out"
echo "wrote $out and $json ($(wc -l < "$json") frames)"
