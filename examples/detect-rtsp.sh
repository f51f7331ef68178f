#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# An RTSP stream in, an annotated RTSP stream out:
#
#   examples/detect-rtsp.sh MODEL.onnx rtsp://camera/stream [PORT [server options]]
#
# serves rtsp://127.0.0.1:PORT/detect (PORT defaults to 8554) through
# examples/rtsp-detect-server, a gst-rtsp-server whose clients share one
#
#   rtspsrc location=IN latency=200 ! decodebin ! videoconvert !
#   yolov7 model=MODEL ! objecttracker ! detectionoverlay ! videoconvert !
#   x264enc tune=zerolatency ! rtph264pay name=pay0 pt=96
#
# Server options follow the port, e.g. --address 0.0.0.0 to serve other
# machines, or --detector-options "conf-threshold=0.4 drop-when-busy=true"
# (drop-when-busy keeps a live camera's frame rate when inference is slower).
# Watch it with
#   gst-play-1.0 rtsp://127.0.0.1:8554/detect     (or ffplay, vlc)
# Ctrl-C stops the server.  The programs are taken from the build directory
# next to this script (YOLOV7_BUILD=dir picks another; default: build/).
set -euo pipefail

if [ $# -lt 2 ]; then
  echo "usage: $0 MODEL.onnx rtsp://INPUT [PORT [rtsp-detect-server options]]" >&2
  exit 2
fi
model=$1 input=$2 port=${3:-8554}
shift $(($# < 3 ? $# : 3))

root=$(cd "$(dirname "$0")/.." && pwd)
build=${YOLOV7_BUILD:-$root/build}
server=$build/examples/rtsp-detect-server
if [ ! -x "$server" ]; then
  echo "$0: $server not built (it needs libgstrtspserver-1.0-dev);" \
    "build first: meson setup build && meson compile -C build" >&2
  exit 1
fi
if [ -f "$build/gst-plugin/libgstyolov7.so" ]; then
  export GST_PLUGIN_PATH="$build/gst-plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
fi

exec "$server" --model "$model" --input "$input" --port "$port" "$@"
