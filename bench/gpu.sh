#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The GPU check: correctness of the GPU kernel family against ONNX Runtime on the first
# OpenCL GPU, then timings.  What docs/performance.md's GPU table was measured with.
#
#   bash bench/gpu.sh [BUILD_DIR]          (default: build)
#
# DEVICE=spec picks another OpenCL device (default gpu); CONV=0 skips the per-kernel
# conv-paths cases (about 90 s) and keeps the whole-network check; CONFIGS=a,b runs only
# the conv-paths configurations whose label contains a or b.
# Needs an OpenCL GPU driver (e.g. NVIDIA's), python3 with numpy, onnx and onnxruntime
# (the Python package is used as the reference here: YV7_ORT=python), and a build.
# Models are generated into $WORK (default /tmp/yv7-gpu); plans measured at load go to
# $YV7_CACHE_DIR as usual.
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-build}
INFER=$(realpath "$BUILD/tools/yolov7-infer")
WORK=${WORK:-/tmp/yv7-gpu}
DEVICE=${DEVICE:-gpu}
export YV7_ORT=python PYTHONUNBUFFERED=1
mkdir -p "$WORK"
python3 -c "import onnxruntime, onnx, numpy" || exit 1

gen () {   # variant size batch
  local f="$WORK/$1-$2-b$3.onnx"
  [ -f "$f" ] || python3 tests/models/make_yolov7.py --variant "$1" --form grid --img "$2" \
      --batch "$3" -o "$f" > /dev/null || exit 1
  echo "$f"
}

echo "== correctness on the GPU (every output element within 1e-3 + 1e-3*|ort|)"
[ "${CONV:-1}" = 0 ] || python3 tests/test_conv_paths.py --infer "$INFER" \
    --workdir "$WORK/conv" --device "$DEVICE" --configs "${CONFIGS:-gpu}" | tail -1
python3 tests/test_networks.py --infer "$INFER" --workdir "$WORK/networks" --device "$DEVICE" | tail -1
python3 tests/test_networks.py --infer "$INFER" --workdir "$WORK/networks" --device "$DEVICE" \
    --fp16-weights | tail -1

echo "== yolov7-infer --bench 30 --device $DEVICE (load, upload, run, read back; the first load"
echo "   of a model also times each layer's kernel plans, later ones read them back)"
for cfg in "tiny 320 1" "tiny 416 1" "tiny 640 1" "tiny 640 4" "base 640 1" "base 640 4"; do
  set -- $cfg
  m=$(gen "$1" "$2" "$3") && [ -n "$m" ] || exit 1
  for run in first again; do
    printf '%s %s batch %s (%s load): ' "$1" "$2" "$3" "$run"
    "$INFER" --model "$m" --bench 30 --device "$DEVICE" | sed -n 's/.*load_ms=\([0-9.]*\).*/load_ms=\1 /p;s/^median/median/p' | tr -d '\n'
    echo
  done
done
echo "== fp16 weights (--fp16-weights), batch 1"
for cfg in "tiny 640 1" "base 640 1"; do
  set -- $cfg
  printf '%s %s fp16 weights: ' "$1" "$2"
  "$INFER" --model "$(gen "$1" "$2" "$3")" --bench 30 --device "$DEVICE" --fp16-weights | grep median
done
echo "== the same without the fused head decode, then the per-node profile"
for v in "tiny 640 1" "base 640 1"; do
  set -- $v
  printf '%s %s unfused: ' "$1" "$2"
  YV7_NO_HEAD_FUSION=1 "$INFER" --model "$(gen "$1" "$2" "$3")" --bench 30 --device "$DEVICE" | grep median
  YV7_PROFILE=1 "$INFER" --model "$(gen "$1" "$2" "$3")" --bench 10 --device "$DEVICE" 2>&1 | grep "yv7 profile"
done
