# SPDX-License-Identifier: LGPL-2.1-or-later
"""Hand-made checks of metrics.py.  Every expected value is worked out by hand in the comments.

    /usr/bin/python3 tools/train/test_metrics.py

Prints one line per check and finally "N passed, M failed"; exits 1 on a failure.
"""

import itertools
import json
import os
import subprocess
import sys
import tempfile
import traceback

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import metrics  # noqa: E402

EPS = 1e-9
CHECKS = []


def check(fn):
    CHECKS.append(fn)
    return fn


def close(a, b, tol=EPS):
    assert abs(a - b) <= tol, "%r != %r" % (a, b)


def img(gt_boxes, gt_cls, pred_boxes=(), scores=(), pred_cls=()):
    """One image: (pred tuple, gt tuple) in coco_map's layout."""
    return ((np.array(pred_boxes, dtype=float).reshape(-1, 4), np.array(scores, dtype=float),
             np.array(pred_cls, dtype=int)),
            (np.array(gt_boxes, dtype=float).reshape(-1, 4), np.array(gt_cls, dtype=int)))


def run_map(images, **kw):
    preds = [p for p, _ in images]
    gts = [g for _, g in images]
    return metrics.coco_map(preds, gts, **kw)


A = [0, 0, 10, 10]
B = [20, 20, 40, 40]
C = [50, 0, 60, 30]
FAR = [100, 100, 110, 110]


# ---------------------------------------------------------------- assignment solver

@check
def hungarian_matches_brute_force():
    # Exhaustive search over all injections on random small matrices (square and rectangular)
    # must give the same minimum total cost as the solver.
    rng = np.random.default_rng(1)
    for n, m in [(1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (2, 5), (5, 3), (4, 6), (6, 4)]:
        for _ in range(20):
            c = rng.integers(0, 10, size=(n, m)).astype(float)
            r, k = metrics.linear_sum_assignment(c)
            assert len(r) == min(n, m) and len(set(r)) == len(r) and len(set(k)) == len(k)
            got = c[r, k].sum()
            if n <= m:
                best = min(sum(c[i, p[i]] for i in range(n))
                           for p in itertools.permutations(range(m), n))
            else:
                best = min(sum(c[p[j], j] for j in range(m))
                           for p in itertools.permutations(range(n), m))
            close(got, best)


# ---------------------------------------------------------------- COCO AP

@check
def ap_perfect_predictions():
    # Every GT found exactly, nothing else: precision 1 at every recall -> AP 1 at every
    # threshold (pycocotools' eps in TP/(TP+FP+eps) makes it 1 - 2e-16).
    ims = [img([A, B], [0, 0], [A, B], [0.9, 0.8], [0, 0]),
           img([C], [0], [C], [0.7], [0])]
    r = run_map(ims)
    close(r["map50"], 1.0)
    close(r["map50_95"], 1.0)
    close(r["per_class"][0]["ap50"], 1.0)


@check
def ap_false_positive_ranked_first():
    # 2 GT (A, B); ranked: FP 0.9, A 0.8, B 0.7.
    # precision 0/1, 1/2, 2/3 at recall 0, .5, 1; made non-increasing from the right:
    # 2/3, 2/3, 2/3.  Every one of the 101 recall points reads 2/3 -> AP = 2/3.
    r = run_map([img([A, B], [0, 0], [FAR, A, B], [0.9, 0.8, 0.7], [0, 0, 0])])
    close(r["map50"], 2 / 3)


@check
def ap_false_positive_ranked_last():
    # Ranked: A 0.9, B 0.8, FP 0.7: precision 1, 1, 2/3 at recall .5, 1, 1.  Recall 1 is first
    # reached at rank 2 with precision 1, so all 101 points read 1 -> AP = 1; a FP below the
    # last TP costs nothing.
    r = run_map([img([A, B], [0, 0], [A, B, FAR], [0.9, 0.8, 0.7], [0, 0, 0])])
    close(r["map50"], 1.0)


@check
def ap_missed_gt():
    # 2 GT, only A detected: recall .5 with precision 1.  Recall points 0, .01, ..., .50 (51 of
    # 101) read 1, the 50 points above .5 are never reached and read 0 -> AP = 51/101.
    r = run_map([img([A, B], [0, 0], [A], [0.9], [0])])
    close(r["map50"], 51 / 101)
    close(r["map50_95"], 51 / 101)


@check
def ap_class_without_predictions():
    # A GT class that is never predicted has AP 0 (not undefined).
    r = run_map([img([A, B], [0, 1], [A], [0.9], [0])])
    close(r["per_class"][1]["ap50"], 0.0)
    close(r["map50"], 0.5)          # (1 + 0) / 2


@check
def ap_two_classes():
    # class 0: A and C, both found -> AP 1.
    # class 1: GT B; ranked: FP (a class-1 box on A, right place but wrong class) 0.95, B 0.6.
    #   precision 0, 1/2 at recall 0, 1 -> non-increasing 1/2, 1/2 -> AP 1/2.
    # class 2: no GT, one prediction -> no AP, left out of the mean.
    # mAP = (1 + 1/2) / 2 = 0.75.
    r = run_map([img([A, B, C], [0, 1, 0], [A, C, A, B, FAR], [0.9, 0.8, 0.95, 0.6, 0.5],
                     [0, 0, 1, 1, 2])])
    close(r["per_class"][0]["ap50"], 1.0)
    close(r["per_class"][1]["ap50"], 0.5)
    assert r["per_class"][2]["ap50"] is None
    assert r["classes_with_gt"] == [0, 1]
    close(r["map50"], 0.75)
    # n_classes=4: class 3 has neither GT nor predictions and changes nothing.
    r4 = run_map([img([A, B, C], [0, 1, 0], [A, C, A, B, FAR], [0.9, 0.8, 0.95, 0.6, 0.5],
                      [0, 0, 1, 1, 2])], n_classes=4)
    close(r4["map50"], 0.75)


@check
def ap_iou_exactly_half():
    # GT [0,0,10,10] (area 100), prediction [0,0,10,20] (area 200): intersection 100,
    # union 200 -> IoU exactly 0.5, a match at 0.5 (COCO matches on IoU >= threshold) and a
    # miss at 0.55 ... 0.95.  AP50 = 1, AP50:95 = (1 + 9 * 0) / 10 = 0.1.
    r = run_map([img([A], [0], [[0, 0, 10, 20]], [0.9], [0])])
    close(r["map50"], 1.0)
    close(r["map50_95"], 0.1)
    # Slightly taller: IoU = 100 / 200.1 < 0.5 -> no match anywhere -> AP 0.
    r = run_map([img([A], [0], [[0, 0, 10, 20.01]], [0.9], [0])])
    close(r["map50"], 0.0)
    # [0,0,10,7.5]: IoU = 75 / 100 = 0.75 exactly; matches at 0.50, .55, .60, .65, .70, .75
    # (6 of 10 thresholds; COCO's linspace gives exactly 0.75) -> AP50:95 = 0.6.
    r = run_map([img([A], [0], [[0, 0, 10, 7.5]], [0.9], [0])])
    close(r["map50_95"], 0.6)


@check
def ap_duplicates():
    # 2 GT (A, B); ranked: A 0.9, A again 0.8 (duplicate: A already taken -> FP), B 0.7.
    # TP, FP, TP: precision 1, 1/2, 2/3 at recall .5, .5, 1; non-increasing from the right:
    # 1, 2/3, 2/3.  Recall points 0 ... .50 (51) first reached at rank 1 -> 1; points .51 ... 1
    # (50) first reached at rank 3 -> 2/3.  AP = (51 + 50 * 2/3) / 101 = 0.834983...
    r = run_map([img([A, B], [0, 0], [A, A, B], [0.9, 0.8, 0.7], [0, 0, 0])])
    close(r["map50"], (51 + 50 * 2 / 3) / 101)


@check
def ap_greedy_by_score():
    # One GT A.  The higher-scored detection [0,0,10,12] (IoU 100/120 = 0.833) takes A; the
    # exact box scored lower is a duplicate (FP) at thresholds <= 0.80.  At 0.85 ... 0.95 the
    # first detection fails and the exact box matches instead, behind one FP.
    # Thresholds .50-.80 (7): TP, FP -> AP 1.  Thresholds .85, .90, .95 (3): FP, TP ->
    # precision 0, 1/2 -> AP 1/2.  AP50:95 = (7 * 1 + 3 * 0.5) / 10 = 0.85.
    r = run_map([img([A], [0], [[0, 0, 10, 12], A], [0.9, 0.8], [0, 0])])
    close(r["map50"], 1.0)
    close(r["map50_95"], 0.85)


@check
def ap_pools_images_by_score():
    # Image 1: GT A, FP 0.6.  Image 2: GT B, detected at 0.9; GT C, detected at 0.5.
    # Global ranking: B .9 (TP), FP .6, C .5 (TP), A never detected.  3 GT.
    # precision 1, 1/2, 2/3 at recall 1/3, 1/3, 2/3; non-increasing: 1, 2/3, 2/3.
    # Recall points 0 ... .33 (34 of them) -> 1; .34 ... .66 (33) -> 2/3; .67 ... 1 -> 0.
    # AP = (34 + 33 * 2/3) / 101 = 56/101.
    ims = [img([A], [0], [FAR], [0.6], [0]),
           img([B, C], [0, 0], [B, C], [0.9, 0.5], [0, 0])]
    r = run_map(ims)
    close(r["map50"], 56 / 101)


@check
def ap_recall50():
    # 2 GT, only A detected (as in ap_missed_gt): recall at IoU 0.5 = 1/2.
    r = run_map([img([A, B], [0, 0], [A], [0.9], [0])])
    close(r["recall50"], 0.5)
    close(r["per_class"][0]["recall50"], 0.5)


@check
def ap_ignored_gt():
    # GT A (regular) and B (ignored, e.g. mostly hidden); ranked: B 0.9, FP 0.8, A 0.7.
    # The detection on B matches an ignored GT: neither TP nor FP.  What is left is FP, TP
    # over 1 regular GT: precision 0, 1/2 at recall 0, 1 -> non-increasing 1/2, 1/2 -> AP 1/2.
    # (Were B regular: TP, FP, TP -> (51 + 50 * 2/3) / 101; were the B detection a plain FP:
    # FP, FP, TP -> 1/3.)
    p = (np.array([B, FAR, A], float), np.array([0.9, 0.8, 0.7]), np.array([0, 0, 0]))
    g = (np.array([A, B], float), np.array([0, 0]), np.array([False, True]))
    r = metrics.coco_map([p], [g])
    close(r["map50"], 0.5)
    assert r["per_class"][0]["n_gt"] == 1
    # A regular GT is preferred to an ignored one: P = [0,0,10,8] has IoU 0.8 with A and
    # 80/85 = 0.94 with the ignored [0,0,10,8.5]; it still matches A -> TP -> AP 1.
    p = (np.array([[0, 0, 10, 8]], float), np.array([0.9]), np.array([0]))
    g = (np.array([A, [0, 0, 10, 8.5]], float), np.array([0, 0]), np.array([False, True]))
    close(metrics.coco_map([p], [g])["map50"], 1.0)


@check
def ap_max_dets():
    # 2 GT, both detected (0.9, 0.8), but max_dets=1 keeps the 0.9 one only -> recall .5 ->
    # AP = 51/101 as in ap_missed_gt.  Unlimited: AP 1.
    ims = [img([A, B], [0, 0], [A, B], [0.9, 0.8], [0, 0])]
    close(run_map(ims, max_dets=1)["map50"], 51 / 101)
    close(run_map(ims, max_dets=None)["map50"], 1.0)


# ---------------------------------------------------------------- CLEAR-MOT and IDF1

def frames(rows):
    """rows: (frame, id, x1, y1, x2, y2) -> the {frame: (ids, boxes)} layout."""
    return metrics._frames_dict(rows)


def mot(gt_rows, pred_rows):
    g, p = frames(gt_rows), frames(pred_rows)
    r = metrics.clear_mot(g, p)
    r.update(metrics.id_metrics(g, p))
    return r


@check
def mot_perfect():
    # Two objects over 3 frames, tracked exactly: GT 6, 6 matches, no errors -> MOTA 1, IDF1 1.
    gt = [(f, 1, *A) for f in (1, 2, 3)] + [(f, 2, *B) for f in (1, 2, 3)]
    pr = [(f, 7, *A) for f in (1, 2, 3)] + [(f, 8, *B) for f in (1, 2, 3)]
    r = mot(gt, pr)
    assert (r["gt"], r["fn"], r["fp"], r["idsw"]) == (6, 0, 0, 0), r
    close(r["mota"], 1.0)
    close(r["idf1"], 1.0)
    close(r["motp"], 1.0)


@check
def mot_id_switch_and_split_trajectory():
    # One GT object over 4 frames; the tracker calls it 10 in frames 1-2 and 11 in frames 3-4.
    # CLEAR-MOT: 4 matches, FN 0, FP 0, one ID switch at frame 3 -> MOTA = 1 - 1/4 = 0.75.
    # IDF1: GT 1 overlaps 10 in 2 frames and 11 in 2 frames; only one of them can be its
    # identity -> IDTP 2, IDFN 4 - 2 = 2, IDFP 4 - 2 = 2 -> IDF1 = 4 / (4 + 2 + 2) = 0.5.
    gt = [(f, 1, *A) for f in (1, 2, 3, 4)]
    pr = [(1, 10, *A), (2, 10, *A), (3, 11, *A), (4, 11, *A)]
    r = mot(gt, pr)
    assert (r["gt"], r["matches"], r["fn"], r["fp"], r["idsw"]) == (4, 4, 0, 0, 1), r
    close(r["mota"], 0.75)
    assert (r["idtp"], r["idfn"], r["idfp"]) == (2, 2, 2), r
    close(r["idf1"], 0.5)


@check
def mot_false_positive_and_miss():
    # GT: object 1 at A in frames 1-3, object 2 at B in frames 1-3 (GT 6).
    # Tracker: 5 at A in frames 1-3; 6 at B in frames 1 and 3 only (frame 2 missed -> FN 1);
    # 9 at FAR in frame 2 (nothing there -> FP 1).  Object 2 is matched to 6 again in frame 3:
    # same hypothesis as its last match, so no switch.
    # MOTA = 1 - (1 + 1 + 0) / 6 = 2/3.
    # IDF1: pairs (1,5) 3 frames, (2,6) 2 frames -> IDTP 5; IDFN 6 - 5 = 1; IDFP 6 - 5 = 1
    # (tracker boxes: 3 + 2 + 1 = 6) -> IDF1 = 10 / 12.
    gt = [(f, 1, *A) for f in (1, 2, 3)] + [(f, 2, *B) for f in (1, 2, 3)]
    pr = [(f, 5, *A) for f in (1, 2, 3)] + [(1, 6, *B), (3, 6, *B), (2, 9, *FAR)]
    r = mot(gt, pr)
    assert (r["gt"], r["fn"], r["fp"], r["idsw"]) == (6, 1, 1, 0), r
    close(r["mota"], 2 / 3)
    assert (r["idtp"], r["idfn"], r["idfp"]) == (5, 1, 1), r
    close(r["idf1"], 10 / 12)
    # Mostly tracked: object 1 matched 3/3, object 2 2/3 (0.67: partially tracked).
    assert (r["mostly_tracked"], r["partially_tracked"], r["mostly_lost"]) == (1, 1, 0), r


@check
def mot_keeps_previous_match():
    # Frame 1: object 1 at A, tracker 1 at A.  Frame 2: tracker 1 at [0,0,10,6] (IoU 0.6,
    # still valid) and a new tracker 2 exactly on A (IoU 1).  CLEAR-MOT keeps the valid
    # correspondence 1-1 instead of re-solving for the better IoU: no switch, tracker 2 is FP.
    # MOTA = 1 - (0 + 1 + 0) / 2 = 0.5.
    gt = [(1, 1, *A), (2, 1, *A)]
    pr = [(1, 1, *A), (2, 1, 0, 0, 10, 6), (2, 2, *A)]
    r = mot(gt, pr)
    assert (r["fn"], r["fp"], r["idsw"]) == (0, 1, 0), r
    close(r["mota"], 0.5)


@check
def mot_switch_after_gap():
    # Object 1: matched to tracker 1 in frame 1, missed in frame 2, matched to tracker 2 in
    # frame 3.  The switch is judged against the last match (tracker 1), so it counts.
    # GT 3, FN 1, IDSW 1 -> MOTA = 1 - 2/3 = 1/3.
    gt = [(f, 1, *A) for f in (1, 2, 3)]
    pr = [(1, 1, *A), (3, 2, *A)]
    r = mot(gt, pr)
    assert (r["fn"], r["fp"], r["idsw"]) == (1, 0, 1), r
    close(r["mota"], 1 / 3)


@check
def mot_hungarian_not_greedy():
    # One frame, boxes 10 high, x intervals: o1 [0,10], o2 [4,14], h1 [1,11], h2 [-3,7].
    # IoU(h1,o1) = 9/11 = .818, IoU(h1,o2) = 7/13 = .538, IoU(h2,o1) = 7/13 = .538,
    # IoU(h2,o2) = 3/17 = .176.  Greedy best-IoU-first takes h1-o1 and leaves h2-o2 invalid
    # (1 match); the optimal assignment is h1-o2 and h2-o1 (2 matches): FN 0, FP 0.
    gt = [(1, 1, 0, 0, 10, 10), (1, 2, 4, 0, 14, 10)]
    pr = [(1, 1, 1, 0, 11, 10), (1, 2, -3, 0, 7, 10)]
    r = mot(gt, pr)
    assert (r["matches"], r["fn"], r["fp"]) == (2, 0, 0), r
    close(r["mota"], 1.0)


@check
def mot_iou_threshold_boundary():
    # IoU exactly 0.5 ([0,0,10,10] vs [0,0,10,20]) is a match (distance 1 - IoU <= 0.5).
    r = mot([(1, 1, *A)], [(1, 1, 0, 0, 10, 20)])
    assert (r["matches"], r["fn"], r["fp"]) == (1, 0, 0), r
    r = mot([(1, 1, *A)], [(1, 1, 0, 0, 10, 20.01)])
    assert (r["matches"], r["fn"], r["fp"]) == (0, 1, 1), r


@check
def idf1_merged_identity():
    # Tracker 5 follows object 1 in frames 1-2 then jumps to object 2 in frames 3-4; object 2
    # is tracked by 6 in frames 1-2; nothing tracks object 1 in frames 3-4 nor object 2 then
    # except 5.  Overlap counts: (1,5)=2, (2,5)=2, (2,6)=2.  Best one-to-one: 1-5 and 2-6 ->
    # IDTP 4.  GT boxes 8 -> IDFN 4; tracker boxes 6 -> IDFP 2; IDF1 = 8 / (8 + 2 + 4) = 4/7.
    # CLEAR-MOT: frame 3 object 2 goes from 6 to 5 -> 1 switch; object 1 missed in 3-4 -> FN 2.
    # MOTA = 1 - (2 + 0 + 1) / 8 = 5/8.
    gt = [(f, 1, *A) for f in (1, 2, 3, 4)] + [(f, 2, *B) for f in (1, 2, 3, 4)]
    pr = [(1, 5, *A), (2, 5, *A), (3, 5, *B), (4, 5, *B), (1, 6, *B), (2, 6, *B)]
    r = mot(gt, pr)
    assert (r["idtp"], r["idfn"], r["idfp"]) == (4, 4, 2), r
    close(r["idf1"], 4 / 7)
    assert (r["fn"], r["fp"], r["idsw"]) == (2, 0, 1), r
    close(r["mota"], 5 / 8)


# ---------------------------------------------------------------- files and CLI

@check
def mot_txt_and_ignored_rows():
    # gt.txt: object 1 at A (flag 1) and object 2 at B with flag 0 (ignore) in frame 1.
    # pred.txt: boxes on A and on B.  The one on B matches an ignored GT and is dropped, so
    # FP 0; GT counts 1 -> MOTA 1.  Boxes are x,y,w,h: A = 0,0,10,10; B = 20,20,20,20.
    with tempfile.TemporaryDirectory() as d:
        g = os.path.join(d, "gt.txt")
        p = os.path.join(d, "pred.txt")
        with open(g, "w") as fh:
            fh.write("1,1,0,0,10,10,1,0,1.0\n1,2,20,20,20,20,0,0,1.0\n")
        with open(p, "w") as fh:
            fh.write("1,3,0,0,10,10,0.9,-1,-1,-1\n1,4,20,20,20,20,0.8,-1,-1,-1\n")
        r = metrics.mot_metrics(metrics.load_mot_txt(g), metrics.load_mot_txt(p))
        assert (r["gt"], r["fp"], r["fn"], r["ignored_gt"]) == (1, 0, 0, 1), r
        close(r["mota"], 1.0)
        out = subprocess.run([sys.executable, metrics.__file__, "mot", "--gt", g, "--pred", p,
                              "--json"], capture_output=True, text=True, check=True).stdout
        close(json.loads(out)["mota"], 1.0)


@check
def det_cli_jsonl_and_coco():
    # The ap_duplicates case written as yolov7-detect JSON Lines and as COCO json: both give
    # (51 + 50 * 2/3) / 101 through the CLI.
    want = (51 + 50 * 2 / 3) / 101
    with tempfile.TemporaryDirectory() as d:
        gt_l = os.path.join(d, "gt.jsonl")
        pr_l = os.path.join(d, "pred.jsonl")
        with open(gt_l, "w") as fh:
            fh.write(json.dumps({"image": "x/img1.png", "detections": [
                {"class_id": 0, "box": A}, {"class_id": 0, "box": B}]}) + "\n")
            fh.write(json.dumps({"image": "x/img2.png", "detections": []}) + "\n")
        with open(pr_l, "w") as fh:
            fh.write(json.dumps({"image": "y/img1.ppm", "detections": [
                {"class_id": 0, "confidence": 0.9, "box": A},
                {"class_id": 0, "confidence": 0.8, "box": A},
                {"class_id": 0, "confidence": 0.7, "box": B}]}) + "\n")
        out = subprocess.run([sys.executable, metrics.__file__, "det", "--gt", gt_l, "--pred",
                              pr_l, "--json"], capture_output=True, text=True, check=True).stdout
        close(json.loads(out)["map50"], want)

        def xywh(b):
            return [b[0], b[1], b[2] - b[0], b[3] - b[1]]
        gt_c = os.path.join(d, "gt.json")
        pr_c = os.path.join(d, "pred.json")
        with open(gt_c, "w") as fh:
            json.dump({"images": [{"id": 1, "file_name": "img1.png"}],
                       "categories": [{"id": 3, "name": "star"}],
                       "annotations": [{"id": 1, "image_id": 1, "category_id": 3,
                                        "bbox": xywh(A), "iscrowd": 0},
                                       {"id": 2, "image_id": 1, "category_id": 3,
                                        "bbox": xywh(B), "iscrowd": 0}]}, fh)
        with open(pr_c, "w") as fh:
            json.dump([{"image_id": 1, "category_id": 3, "bbox": xywh(A), "score": 0.9},
                       {"image_id": 1, "category_id": 3, "bbox": xywh(A), "score": 0.8},
                       {"image_id": 1, "category_id": 3, "bbox": xywh(B), "score": 0.7}], fh)
        out = subprocess.run([sys.executable, metrics.__file__, "det", "--gt", gt_c, "--pred",
                              pr_c, "--json"], capture_output=True, text=True, check=True).stdout
        close(json.loads(out)["map50"], want)


def main():
    passed = failed = 0
    for fn in CHECKS:
        try:
            fn()
        except Exception:  # noqa: BLE001 - report every failure and go on
            failed += 1
            print("FAIL %s" % fn.__name__)
            traceback.print_exc()
        else:
            passed += 1
            print("ok   %s" % fn.__name__)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
