# SPDX-License-Identifier: LGPL-2.1-or-later
"""Tracking accuracy of `yolov7 ! objecttracker` on held-out generated clips.

    /usr/bin/python3 tools/train/track_eval.py [--build build] [--seeds 7001,7002,7003]
        [--frames 250] [--model models/shapes-yolov7-tiny.onnx] [--workdir /tmp/track-eval]

Each clip (tools/train/sequences.py, lossless Y4M) runs through the real plugin:
    filesrc ! decodebin ! videoconvert ! yolov7 ! objecttracker ! detectionjson ! fakesink
and the tracked objects are scored against the clip's MOTChallenge ground truth with
metrics.mot_metrics (CLEAR-MOT MOTA, IDF1; GT less than half visible is ignored, as the
detector was trained on objects at least half visible).  Next to them: the detector's own
per-frame recall (GT matched at IoU >= 0.5 by a detection scoring at least the tracker's
high threshold), so a tracking loss can be told from a detection loss.
"""
import argparse
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import metrics  # noqa: E402

HIGH = 0.5      # objecttracker's default high-threshold
MIN_VIS = 0.5


def run_clip(a, seed, wd):
    clip = os.path.join(wd, "clip%d" % seed)
    subprocess.run(["/usr/bin/python3", os.path.join(HERE, "sequences.py"), "--seed", str(seed),
                    "--frames", str(a.frames), "--out", clip, "--raw", "y4m"],
                   check=True, stdout=subprocess.DEVNULL)
    out = os.path.join(wd, "tracks%d.jsonl" % seed)
    env = dict(os.environ, GST_PLUGIN_PATH=os.path.join(a.build, "gst-plugin"))
    pipeline = ("filesrc location=%s ! decodebin ! videoconvert ! yolov7 model=%s labels=%s "
                "conf-threshold=0.1 ! objecttracker ! detectionjson location=%s ! fakesink"
                % (os.path.join(clip, "video.y4m"), a.model, a.labels, out))
    subprocess.run(["gst-launch-1.0", "-q"] + pipeline.split(), check=True, env=env)
    return clip, out


def score(clip, out):
    gt_rows = metrics.load_mot_txt(os.path.join(clip, "gt", "gt.txt"))
    pred_rows, hits, total = [], 0, 0
    dets_by_frame = {}
    for i, line in enumerate(open(out)):
        frame = i + 1
        for o in json.loads(line)["objects"]:
            box = (o["x"], o["y"], o["x"] + o["w"], o["y"] + o["h"])
            if "id" in o:
                pred_rows.append({"frame": frame, "id": o["id"], "box": box, "flag": 1,
                                  "cls": o["detection"]["label_id"], "vis": 1.0})
            if o["detection"]["confidence"] >= HIGH:
                dets_by_frame.setdefault(frame, []).append(box)
    for frame in sorted({r["frame"] for r in gt_rows}):
        g = [r["box"] for r in gt_rows if r["frame"] == frame and r["flag"] and r["vis"] >= MIN_VIS]
        if not g:
            continue
        d = dets_by_frame.get(frame, [])
        total += len(g)
        if d:
            iou = metrics.box_iou(np.array(g, np.float64), np.array(d, np.float64))
            rows, cols = metrics.linear_sum_assignment(-iou)
            hits += int(sum(iou[r, c] >= 0.5 for r, c in zip(rows, cols)))
    res = metrics.mot_metrics(gt_rows, pred_rows, min_vis=MIN_VIS)
    res["det_recall"] = hits / total if total else 0.0
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(ROOT, "build"))
    ap.add_argument("--model", default=os.path.join(ROOT, "models", "shapes-yolov7-tiny.onnx"))
    ap.add_argument("--labels", default=os.path.join(ROOT, "models", "shapes-yolov7-tiny.labels"))
    ap.add_argument("--seeds", default="7001,7002,7003")
    ap.add_argument("--frames", type=int, default=250)
    ap.add_argument("--workdir", default="/tmp/track-eval")
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    print("| clip (seed) | frames | MOTA | IDF1 | ID switches | detector recall (score >= %.1f) |"
          % HIGH)
    print("|---|---|---|---|---|---|")
    for seed in (int(s) for s in a.seeds.split(",")):
        clip, out = run_clip(a, seed, a.workdir)
        r = score(clip, out)
        print("| %d | %d | %.3f | %.3f | %d | %.3f |" % (
            seed, a.frames, r["mota"], r["idf1"], r["idsw"], r["det_recall"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
