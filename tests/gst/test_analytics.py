#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""The elements' GstAnalytics metadata (GStreamer 1.24+), read back from Python.

  test_analytics.py --model M.onnx --labels M.labels --sequences tools/train/sequences.py
                    --workdir DIR

1. yolov7 ! objecttracker ! detectionjson on a generated clip of the demo
   model's shapes: every frame carries as many ODMtd as detectionjson writes
   objects, with the same boxes and labels; every object the JSON gives a
   track id has a tracking entry with that id related to its ODMtd, not lost;
   the ROI metas keep the ODMtd ids.  With inference-interval=2 the boxes of
   skipped frames are ODMtd whose tracking entry was last seen earlier than
   the frame, those of inferred frames were seen on the frame itself.
2. GStreamer's own objectdetectionoverlay draws yolov7's ODMtd: both side
   edges of every box change.
3. Buffers carrying only ODMtd (as another detector writes them) go through
   objecttracker ! detectionoverlay ! detectionjson: JSON objects with the
   ODMtd's boxes and types, stable track ids, tracking entries, and boxes drawn.
Prints 'N passed, N failed'; exits non-zero on any failure.
"""
import argparse
import json
import os
import subprocess
import sys

import gi
import numpy as np

gi.require_version("Gst", "1.0")
gi.require_version("GstAnalytics", "1.0")
gi.require_version("GstVideo", "1.0")
from gi.repository import GLib, Gst, GstAnalytics, GstVideo  # noqa: E402

passed = failed = 0


def check(ok, what, detail=""):
    global passed, failed
    print(("ok   - " if ok else "FAIL - ") + what + (": " + str(detail) if detail else ""))
    if ok:
        passed += 1
    else:
        failed += 1


def mtds(buf):
    """(ODMtd list, TrackingMtd list, relation meta) of a buffer."""
    rmeta = GstAnalytics.buffer_get_analytics_relation_meta(buf)
    if rmeta is None:
        return [], [], None
    ods, trks = [], []
    for m in rmeta:
        if isinstance(m, GstAnalytics.ODMtd):
            ods.append(m)
        elif isinstance(m, GstAnalytics.TrackingMtd):
            trks.append(m)
    return ods, trks, rmeta


def od_info(od):
    ok, x, y, w, h, conf = od.get_location()
    return (x, y, w, h), GLib.quark_to_string(od.get_obj_type()), conf


def tracking_of(rmeta, od, trks):
    """The tracking entries related to an ODMtd (ODMtd first)."""
    return [t for t in trks
            if rmeta.get_relation(od.id, t.id) != GstAnalytics.RelTypes.NONE]


def run(desc, on_buffer):
    """Run a pipeline ending in 'appsink name=sink'; on_buffer(buf) each frame."""
    pipeline = Gst.parse_launch(desc)
    sink = pipeline.get_by_name("sink")
    n = 0
    pipeline.set_state(Gst.State.PLAYING)
    while True:
        sample = sink.emit("pull-sample")
        if sample is None:
            break
        on_buffer(sample.get_buffer(), n)
        n += 1
    msg = pipeline.get_bus().pop_filtered(Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    if msg is not None:
        err, dbg = msg.parse_error()
        check(False, "pipeline ran without an error", f"{err.message} ({dbg})")
    return n


def test_chain(args, clip, interval):
    out = os.path.join(args.workdir, f"chain-{interval}.jsonl")
    desc = (f"filesrc location={clip} ! y4mdec ! videoconvert ! video/x-raw,format=RGBA ! "
            f"yolov7 model={args.model} labels={args.labels} conf-threshold=0.4 "
            f"inference-interval={interval} ! objecttracker min-hits=1 ! "
            f"detectionjson location={out} ! appsink name=sink sync=false")
    frames = []

    def on_buffer(buf, i):
        ods, trks, rmeta = mtds(buf)
        rows = []
        for od in ods:
            box, label, conf = od_info(od)
            rel = tracking_of(rmeta, od, trks)
            info = [t.get_info() for t in rel]
            rows.append((box, label, [(int(x[1]), x[3], x[4]) for x in info]))
        lost = [t.get_info() for t in trks if t.get_info()[4]]
        frames.append((buf.pts, rows, len(trks), len(lost)))

    n = run(desc, on_buffer)
    with open(out) as f:
        lines = [json.loads(line) for line in f]
    check(n == len(lines) and n > 0, f"interval {interval}: one JSON line a frame",
          f"{n} frames, {len(lines)} lines")
    same_count = same_boxes = tracked_ok = 0
    with_objects = tracked = predicted = inferred_seen = 0
    bad = []
    for (pts, rows, n_trk, n_lost), line in zip(frames, lines):
        objs = line["objects"]
        with_objects += bool(objs)
        if len(rows) == len(objs):
            same_count += 1
        else:
            bad.append(f"pts {pts}: {len(rows)} ODMtd, {len(objs)} objects")
            continue
        jboxes = sorted(((o["x"], o["y"], o["w"], o["h"]), o["detection"]["label"], o.get("id", -1))
                        for o in objs)
        oboxes = sorted((r[0], r[1], r[2][0][0] if r[2] else -1) for r in rows)
        if jboxes == oboxes:
            same_boxes += 1
        else:
            bad.append(f"pts {pts}: JSON {jboxes} vs ODMtd {oboxes}")
        # every tracked object: one tracking entry, not lost; and no other
        # tracking entries but the lost ones
        ok = all(len(r[2]) <= 1 and all(not t[2] for t in r[2]) for r in rows)
        ok = ok and n_trk - n_lost == sum(len(r[2]) for r in rows)
        tracked_ok += ok
        for r in rows:
            if r[2]:
                tracked += 1
                last = r[2][0][1]
                if last < pts:
                    predicted += 1
                elif last == pts:
                    inferred_seen += 1
    nf = len(lines)
    check(same_count == nf, f"interval {interval}: as many ODMtd as JSON objects on every "
          f"frame ({with_objects} of {nf} frames with objects)", "; ".join(bad[:3]))
    check(same_boxes == nf and with_objects > nf // 2,
          f"interval {interval}: ODMtd boxes, labels and track ids are the JSON's")
    check(tracked_ok == nf and tracked > 0,
          f"interval {interval}: one related tracking entry per tracked object, lost "
          f"ones alone ({tracked} tracked)")
    if interval == 1:
        check(predicted == 0 and inferred_seen == tracked,
              "every tracked object was last seen on its own frame",
              f"{predicted} predicted, {inferred_seen} seen")
    else:
        check(predicted > 0 and inferred_seen > 0 and predicted + inferred_seen == tracked,
              "skipped frames' boxes were last seen earlier, inferred frames' on the frame",
              f"{predicted} predicted, {inferred_seen} seen of {tracked}")


def test_gst_overlay(args, clip):
    """objectdetectionoverlay draws what yolov7 writes: the left and right
    edges of every ODMtd box change, on every frame."""
    w, h = 480, 272
    desc = (f"filesrc location={clip} ! y4mdec ! videoconvert ! "
            f"video/x-raw,format=RGBA,width={w},height={h} ! "
            f"yolov7 model={args.model} labels={args.labels} conf-threshold=0.4 ! "
            f"tee name=t ! queue ! appsink name=sink sync=false "
            f"t. ! queue ! objectdetectionoverlay ! appsink name=drawn sync=false")
    pipeline = Gst.parse_launch(desc)
    plain, drawn = pipeline.get_by_name("sink"), pipeline.get_by_name("drawn")
    pipeline.set_state(Gst.State.PLAYING)
    boxes = edges = frames = 0
    while True:
        a, b = plain.emit("pull-sample"), drawn.emit("pull-sample")
        if a is None or b is None:
            break
        ba, bb = a.get_buffer(), b.get_buffer()
        before = np.frombuffer(ba.extract_dup(0, ba.get_size()), np.uint8).reshape(h, w, 4)
        after = np.frombuffer(bb.extract_dup(0, bb.get_size()), np.uint8).reshape(h, w, 4)
        changed = np.any(before[:, :, :3] != after[:, :, :3], axis=2)
        frames += 1
        for od in mtds(ba)[0]:
            (x, y, bw, bh), _, _ = od_info(od)
            mid = y + bh // 2
            for ex in (x, x + bw - 1):
                x0, x1 = max(ex - 2, 0), min(ex + 3, w)
                edges += bool(changed[max(mid - 2, 0):mid + 3, x0:x1].any())
            boxes += 1
    pipeline.set_state(Gst.State.NULL)
    check(frames > 0 and boxes > 0 and edges == 2 * boxes,
          "objectdetectionoverlay draws the left and right edge of every ODMtd box",
          f"{edges} of {2 * boxes} edges in {frames} frames")


def test_foreign(args):
    """ODMtd-only buffers through objecttracker ! detectionoverlay ! detectionjson."""
    w, h, n = 320, 240, 12
    out = os.path.join(args.workdir, "foreign.jsonl")
    desc = (f"appsrc name=src format=time caps=video/x-raw,format=RGBA,width={w},"
            f"height={h},framerate=10/1 ! objecttracker min-hits=1 ! detectionoverlay ! "
            f"detectionjson location={out} ! appsink name=sink sync=false")
    pipeline = Gst.parse_launch(desc)
    src, sink = pipeline.get_by_name("src"), pipeline.get_by_name("sink")
    pipeline.set_state(Gst.State.PLAYING)
    grey = bytes([90, 90, 90, 255]) * (w * h)
    boxes = []
    for i in range(n):
        buf = Gst.Buffer.new_wrapped(grey)
        buf.pts = i * Gst.SECOND // 10
        buf.duration = Gst.SECOND // 10
        rmeta = GstAnalytics.buffer_add_analytics_relation_meta(buf)
        frame = [("car", (20 + 4 * i, 30, 60, 40), 0.9), ("person", (200, 100 + 3 * i, 30, 70), 0.8)]
        for label, (x, y, bw, bh), conf in frame:
            ok, _ = rmeta.add_od_mtd(GLib.quark_from_string(label), x, y, bw, bh, conf)
            assert ok
        boxes.append(frame)
        src.emit("push-buffer", buf)
    src.emit("end-of-stream")
    got = []
    while True:
        sample = sink.emit("pull-sample")
        if sample is None:
            break
        buf = sample.get_buffer()
        ods, trks, rmeta = mtds(buf)
        data = buf.extract_dup(0, buf.get_size())
        rel = sum(len(tracking_of(rmeta, od, trks)) for od in ods)
        got.append((len(ods), rel, data != grey))
    pipeline.set_state(Gst.State.NULL)
    with open(out) as f:
        lines = [json.loads(line) for line in f]
    check(len(lines) == n and len(got) == n, "foreign ODMtd: every buffer came through",
          f"{len(got)} buffers, {len(lines)} JSON lines of {n}")
    ok_boxes = ids_ok = True
    ids = None
    for frame, line in zip(boxes, lines):
        objs = sorted(line["objects"], key=lambda o: o["roi_type"])
        want = sorted(frame)
        if [(o["roi_type"], o["detection"]["label"], (o["x"], o["y"], o["w"], o["h"])) for o in objs] != \
                [(lbl, lbl, box) for lbl, box, _ in want]:
            ok_boxes = False
        if any(abs(o["detection"]["confidence"] - c) > 1e-6 for o, (_, _, c) in zip(objs, want)):
            ok_boxes = False
        these = [o.get("id") for o in objs]
        if None in these or len(set(these)) != 2 or (ids is not None and these != ids):
            ids_ok = False
        ids = these
    check(ok_boxes, "foreign ODMtd: JSON objects with their boxes, types and confidences")
    check(ids_ok, "foreign ODMtd: two distinct track ids, the same on every frame", ids)
    check(all(r == 2 for _, r, _ in got), "foreign ODMtd: each has a related tracking entry",
          [r for _, r, _ in got])
    check(all(d for _, _, d in got), "foreign ODMtd: detectionoverlay drew the boxes")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--labels", required=True)
    ap.add_argument("--sequences", required=True)
    ap.add_argument("--workdir", required=True)
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    Gst.init(None)
    clipdir = os.path.join(args.workdir, "clip")
    subprocess.run([sys.executable, args.sequences, "--seed", "17", "--frames", "40",
                    "--size", "480x272", "--out", clipdir, "--raw", "y4m", "--no-video"],
                   check=True, stdout=subprocess.DEVNULL)
    clip = os.path.join(clipdir, "video.y4m")
    test_chain(args, clip, 1)
    test_chain(args, clip, 2)
    test_gst_overlay(args, clip)
    test_foreign(args)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
