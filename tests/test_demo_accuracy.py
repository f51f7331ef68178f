# SPDX-License-Identifier: LGPL-2.1-or-later
"""The demo model through the whole engine chain matches its recorded accuracy.

test_demo_accuracy.py --detect PATH/yolov7-detect --model models/shapes-yolov7-tiny.onnx
    --card models/MODEL_CARD.md --workdir DIR [--n 50]

The first N held-out scenes of tools/train (never seen in training) go as RGB
images through yolov7-detect: device letterbox and colour conversion, the
graph, decode and NMS, boxes mapped back to the image.  Their mAP (COCO-style,
tools/train/metrics.py) must be within 0.005 of the mAP that PyTorch measured
on the same images when the model was trained (recorded in the model card):
a larger gap is a bug in preprocessing, decode or NMS, not noise.
"""
import argparse
import json
import os
import re
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools", "train"))
import eval as train_eval  # noqa: E402
import metrics  # noqa: E402

TOLERANCE = 0.005


def recorded(card, what):
    text = open(card).read()
    m = re.search(r"\| %s, first 50 held-out images \| \**([0-9.]+)\**" % re.escape(what), text)
    if not m:
        sys.exit(f"test_demo_accuracy: the model card {card} records no '{what}, first 50'")
    return float(m.group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--detect", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--card", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--n", type=int, default=50)
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)

    scenes = train_eval.heldout(a.n)
    paths, gts = [], []
    for i, (img, boxes, classes) in enumerate(scenes):
        p = os.path.join(a.workdir, "val%03d.ppm" % i)
        with open(p, "wb") as f:
            f.write(b"P6\n%d %d\n255\n" % (img.shape[1], img.shape[0]))
            f.write(np.ascontiguousarray(img, np.uint8).tobytes())
        paths.append(p)
        gts.append((np.asarray(boxes, np.float32).reshape(-1, 4), np.asarray(classes)))

    out = os.path.join(a.workdir, "dets.jsonl")
    subprocess.run([a.detect, "--model", a.model, "--conf", str(train_eval.DEFAULT_CONF),
                    "--iou", str(train_eval.DEFAULT_IOU), "--json", out] + paths, check=True)
    by_image = {}
    for line in open(out):
        rec = json.loads(line)
        d = rec["detections"]
        by_image[rec["image"]] = (
            np.array([x["box"] for x in d], np.float32).reshape(-1, 4),
            np.array([x["confidence"] for x in d], np.float32),
            np.array([x["class_id"] for x in d], np.int64))
    preds = [by_image[p] for p in paths]
    n_classes = len(train_eval.scenes.CLASSES)
    r = metrics.coco_map(preds, gts, iou_thresholds=(0.5,), n_classes=n_classes)

    results = []
    for key, what in (("map50", "mAP@0.5"), ("map50_95", "mAP@0.5:0.95")):
        want = recorded(a.card, what)
        got = r[key]
        ok = abs(got - want) <= TOLERANCE
        results.append(ok)
        print(f"{'ok  ' if ok else 'FAIL'} - {what} on {a.n} held-out images through the "
              f"engine {got:.4f}, PyTorch recorded {want:.4f} (|d| {abs(got - want):.4f}, "
              f"allowed {TOLERANCE})")
    print(f"{sum(results)} passed, {len(results) - sum(results)} failed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
