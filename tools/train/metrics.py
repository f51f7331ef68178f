# SPDX-License-Identifier: LGPL-2.1-or-later
"""Accuracy metrics written here (no pycocotools, no scipy): COCO-style detection AP and
CLEAR-MOT MOTA / IDF1 for tracks.

    metrics.py det --gt GT.json --pred PRED.json [--names labels.txt] [--min-vis 0.5]
                   [--max-dets 100] [--json]
    metrics.py mot --gt gt.txt --pred pred.txt [--iou 0.5] [--min-vis 0] [--json]

Detection (coco_map) follows pycocotools' COCOeval for bounding boxes, area range "all", no crowd
regions:
  * IoU of boxes without the "+1" pixel convention (area = w * h).
  * Per image and class, detections sorted by descending score (stable) and cut to max_dets
    (pycocotools cuts per image *and class*; max_dets_scope="image" cuts per image over all
    classes instead).  Greedy matching in that order: each detection takes the still-unmatched
    GT with the highest IoU, if that IoU >= threshold (so IoU exactly 0.5 matches at 0.5); each GT
    is matched at most once, so a duplicate detection is a false positive.
  * Over all images, detections of a class are ranked by score (stable, image order breaks
    ties), precision is made monotonically non-increasing from the right, and AP is the mean of
    the precision at the 101 recall points 0, 0.01, ..., 1 (the first rank reaching each recall;
    0 where the recall is never reached).  Precision = TP / (TP + FP + eps) as pycocotools does,
    so a perfect AP reads 1 - 2e-16.
  * mAP = mean AP over the classes that have GT; a class without GT has no AP (None), and its
    detections do not count anywhere.  mAP@0.5:0.95 averages the thresholds 0.50:0.05:0.95.
  * GT may be marked ignored (COCO's gtIgnore; the CLI's --min-vis): it is not counted, a
    detection prefers any regular GT to it, and a detection matched to it is neither TP nor FP.

Tracking (mot_metrics) follows CLEAR-MOT (Bernardin & Stiefelhagen 2008) as py-motmetrics
implements it: per frame, a GT object keeps the hypothesis it was last
matched to if they still overlap with IoU >= 0.5; the remaining objects and hypotheses are
matched by the Hungarian algorithm (most matches first, then least total 1 - IoU); a match whose
hypothesis differs from the object's last matched hypothesis (in any earlier frame) is an ID
switch.  MOTA = 1 - (FN + FP + IDSW) / GT.  IDF1 (Ristani et al. 2016): one global one-to-one
assignment between GT and predicted trajectories maximising IDTP, the number of frames in
which a pair overlaps with IoU >= 0.5; IDFN = GT boxes - IDTP, IDFP = predicted boxes - IDTP,
IDF1 = 2 IDTP / (2 IDTP + IDFP + IDFN).

GT rows of a MOTChallenge file whose 7th column is 0, or whose visibility (9th) is below
--min-vis, are "ignored": a prediction matched to one of them (Hungarian, IoU >= 0.5) in that
frame is dropped before evaluation, as MOTChallenge does for distractors.
"""

import argparse
import json
import os
import sys

import numpy as np

COCO_IOU_THRESHOLDS = np.linspace(.5, 0.95, int(np.round((0.95 - .5) / .05)) + 1, endpoint=True)
COCO_REC_THRESHOLDS = np.linspace(.0, 1.00, int(np.round((1.00 - .0) / .01)) + 1, endpoint=True)


# --------------------------------------------------------------------------------------------
# Assignment (Hungarian / Kuhn-Munkres with potentials, shortest augmenting paths, O(n^2 m))

def linear_sum_assignment(cost):
    """Minimum-cost assignment on a finite [n, m] cost matrix.

    Returns (rows, cols), int arrays of length min(n, m), sorted by row, like
    scipy.optimize.linear_sum_assignment.
    """
    cost = np.asarray(cost, dtype=np.float64)
    if cost.ndim != 2:
        raise ValueError("cost must be a 2-D matrix")
    if not np.all(np.isfinite(cost)):
        raise ValueError("cost must be finite")
    transposed = cost.shape[0] > cost.shape[1]
    if transposed:
        cost = cost.T
    n, m = cost.shape
    if n == 0:
        e = np.zeros(0, dtype=np.int64)
        return e, e.copy()
    u = np.zeros(n + 1)           # row potentials, 1-based
    v = np.zeros(m + 1)           # column potentials, 1-based; column 0 is the virtual start
    p = np.zeros(m + 1, dtype=np.int64)    # p[j]: row (1-based) assigned to column j, 0 = none
    way = np.zeros(m + 1, dtype=np.int64)
    for i in range(1, n + 1):
        p[0] = i
        j0 = 0
        minv = np.full(m + 1, np.inf)
        used = np.zeros(m + 1, dtype=bool)
        while True:
            used[j0] = True
            i0 = p[j0]
            free = ~used[1:]
            cur = cost[i0 - 1] - u[i0] - v[1:]
            upd = free & (cur < minv[1:])
            minv[1:][upd] = cur[upd]
            way[1:][upd] = j0
            masked = np.where(free, minv[1:], np.inf)
            j1 = int(np.argmin(masked)) + 1
            delta = masked[j1 - 1]
            u[p[used]] += delta
            v[used] -= delta
            minv[~used] -= delta
            j0 = j1
            if p[j0] == 0:
                break
        while j0:
            j1 = way[j0]
            p[j0] = p[j1]
            j0 = j1
    cols = np.nonzero(p[1:])[0]
    rows = p[1:][cols] - 1
    if transposed:
        rows, cols = cols, rows
    order = np.argsort(rows, kind="mergesort")
    return rows[order].astype(np.int64), cols[order].astype(np.int64)


def match_valid(valid, cost):
    """Hungarian matching restricted to the pairs where valid is True: most pairs first, then
    least total cost (cost values must lie in [0, 1]).  Returns a list of (row, col)."""
    n, m = valid.shape
    if n == 0 or m == 0 or not valid.any():
        return []
    big = float(min(n, m) + 1)
    c = np.where(valid, cost, big)
    rows, cols = linear_sum_assignment(c)
    return [(int(r), int(k)) for r, k in zip(rows, cols) if valid[r, k]]


# --------------------------------------------------------------------------------------------
# Boxes

def box_iou(a, b):
    """IoU matrix [N, M] of xyxy boxes a [N, 4] and b [M, 4] (no +1 pixel convention)."""
    a = np.asarray(a, dtype=np.float64).reshape(-1, 4)
    b = np.asarray(b, dtype=np.float64).reshape(-1, 4)
    if len(a) == 0 or len(b) == 0:
        return np.zeros((len(a), len(b)))
    iw = np.minimum(a[:, None, 2], b[None, :, 2]) - np.maximum(a[:, None, 0], b[None, :, 0])
    ih = np.minimum(a[:, None, 3], b[None, :, 3]) - np.maximum(a[:, None, 1], b[None, :, 1])
    inter = np.clip(iw, 0, None) * np.clip(ih, 0, None)
    area_a = np.clip(a[:, 2] - a[:, 0], 0, None) * np.clip(a[:, 3] - a[:, 1], 0, None)
    area_b = np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)
    union = area_a[:, None] + area_b[None, :] - inter
    with np.errstate(divide="ignore", invalid="ignore"):
        iou = np.where(union > 0, inter / union, 0.0)
    return iou


# --------------------------------------------------------------------------------------------
# COCO-style detection AP

def _greedy_match(iou, thr, ignore):
    """COCO matching of score-sorted detections (rows) to GT (columns) at one threshold.

    Each detection takes the unmatched regular GT with the highest IoU >= thr (the last one
    among equal IoUs, as pycocotools' ">=" replacement does), else the best unmatched ignored
    GT.  Returns (tp, ig) bool arrays: matched to a regular GT / to an ignored GT."""
    nd, ng = iou.shape
    tp = np.zeros(nd, dtype=bool)
    ig = np.zeros(nd, dtype=bool)
    if ng == 0:
        return tp, ig
    taken = np.zeros(ng, dtype=bool)
    best0 = min(thr, 1 - 1e-10)
    groups = [np.nonzero(~ignore)[0], np.nonzero(ignore)[0]]
    for d in range(nd):
        for k, cols in enumerate(groups):
            if len(cols) == 0:
                continue
            cand = np.where(taken[cols], -1.0, iou[d, cols])
            j = len(cols) - 1 - int(np.argmax(cand[::-1]))
            if cand[j] >= best0:
                taken[cols[j]] = True
                (tp if k == 0 else ig)[d] = True
                break
    return tp, ig


def coco_map(preds, gts, iou_thresholds=(0.5,), n_classes=None, max_dets=100,
             max_dets_scope="class"):
    """COCO-style AP.

    preds: list per image of (boxes [N, 4] xyxy, scores [N], classes [N]).
    gts:   list per image of (boxes [M, 4] xyxy, classes [M]) or (boxes, classes, ignore [M]
        bool); same length and order as preds.  An ignored GT (COCO's gtIgnore) counts
        neither as GT nor, when a detection matches it, as TP or FP.
    iou_thresholds: thresholds whose mean AP is returned as "map" (the COCO thresholds
        0.50:0.05:0.95 are always evaluated too, for "map50" and "map50_95").
    n_classes: classes are 0..n_classes-1 (an index outside is an error); None = the classes
        that occur in gts or preds.
    max_dets: detections kept per image (per image and class with max_dets_scope="class", as
        pycocotools does; per image over all classes with "image"); None = all.

    Returns a dict: map50, map50_95, map (mean over iou_thresholds), ap_at {thr: mAP},
    per_class {class: {ap50, ap50_95, ap, recall50, n_gt, n_pred}} (None for a class without
    GT), classes_with_gt, recall50 (all classes: GT matched at IoU 0.5 / GT, with every
    detection given, i.e. the recall at the score threshold the detections were cut at).
    A mAP with no class having GT is -1, as in pycocotools.
    """
    if len(preds) != len(gts):
        raise ValueError("preds and gts must have one entry per image (%d vs %d)"
                         % (len(preds), len(gts)))
    if max_dets_scope not in ("class", "image"):
        raise ValueError("max_dets_scope must be 'class' or 'image'")
    req = [float(t) for t in iou_thresholds]
    thrs = sorted(set([float(t) for t in COCO_IOU_THRESHOLDS] + req))
    tindex = {t: k for k, t in enumerate(thrs)}

    images = []
    classes = set()
    for (pb, ps, pc), g in zip(preds, gts):
        gb, gc = g[0], g[1]
        gi = np.asarray(g[2], dtype=bool).reshape(-1) if len(g) > 2 else None
        pb = np.asarray(pb, dtype=np.float64).reshape(-1, 4)
        ps = np.asarray(ps, dtype=np.float64).reshape(-1)
        pc = np.asarray(pc).reshape(-1).astype(np.int64)
        gb = np.asarray(gb, dtype=np.float64).reshape(-1, 4)
        gc = np.asarray(gc).reshape(-1).astype(np.int64)
        if gi is None:
            gi = np.zeros(len(gc), dtype=bool)
        if not (len(pb) == len(ps) == len(pc)) or not (len(gb) == len(gc) == len(gi)):
            raise ValueError("boxes, scores, classes (and ignore) of an image differ in length")
        if max_dets is not None and max_dets_scope == "image" and len(ps) > max_dets:
            keep = np.argsort(-ps, kind="mergesort")[:max_dets]
            pb, ps, pc = pb[keep], ps[keep], pc[keep]
        images.append((pb, ps, pc, gb, gc, gi))
        classes.update(pc.tolist())
        classes.update(gc.tolist())
    if n_classes is not None:
        bad = [c for c in classes if c < 0 or c >= n_classes]
        if bad:
            raise ValueError("class index %d outside 0..%d" % (bad[0], n_classes - 1))
        classes = range(n_classes)
    classes = sorted(classes)

    per_class = {}
    ap_table = {}    # class -> array [len(thrs)] of AP
    tp50_total = gt_total = 0
    for c in classes:
        scores_all, tps_all, igs_all = [], [], []
        n_gt = 0
        n_pred = 0
        for pb, ps, pc, gb, gc, gi in images:
            dsel = np.nonzero(pc == c)[0]
            g = gb[gc == c]
            g_ig = gi[gc == c]
            n_gt += int(np.count_nonzero(~g_ig))
            if len(dsel) == 0:
                continue
            order = dsel[np.argsort(-ps[dsel], kind="mergesort")]
            if max_dets is not None and max_dets_scope == "class":
                order = order[:max_dets]
            n_pred += len(order)
            iou = box_iou(pb[order], g)
            m = [_greedy_match(iou, t, g_ig) for t in thrs]
            scores_all.append(ps[order])
            tps_all.append(np.stack([tp for tp, _ in m], axis=0))     # [T, nd]
            igs_all.append(np.stack([ig for _, ig in m], axis=0))
        entry = {"n_gt": int(n_gt), "n_pred": int(n_pred)}
        if n_gt == 0:
            entry.update(ap50=None, ap50_95=None, ap=None, recall50=None)
            per_class[c] = entry
            continue
        if scores_all:
            scores = np.concatenate(scores_all)
            inds = np.argsort(-scores, kind="mergesort")
            tps = np.concatenate(tps_all, axis=1)[:, inds]
            igs = np.concatenate(igs_all, axis=1)[:, inds]
        else:
            tps = igs = np.zeros((len(thrs), 0), dtype=bool)
        fps = ~tps & ~igs
        tp50 = int(np.count_nonzero(tps[tindex[0.5]]))
        tp50_total += tp50
        gt_total += n_gt
        tp_sum = np.cumsum(tps, axis=1).astype(np.float64)
        fp_sum = np.cumsum(fps, axis=1).astype(np.float64)
        aps = np.zeros(len(thrs))
        for k in range(len(thrs)):
            tp, fp = tp_sum[k], fp_sum[k]
            nd = len(tp)
            rc = tp / n_gt
            pr = (tp / (fp + tp + np.spacing(1))).tolist()
            for i in range(nd - 1, 0, -1):
                if pr[i] > pr[i - 1]:
                    pr[i - 1] = pr[i]
            idx = np.searchsorted(rc, COCO_REC_THRESHOLDS, side="left")
            q = np.zeros(len(COCO_REC_THRESHOLDS))
            for ri, pi in enumerate(idx):
                if pi < nd:
                    q[ri] = pr[pi]
            aps[k] = float(np.mean(q))
        ap_table[c] = aps
        coco_k = [tindex[float(t)] for t in COCO_IOU_THRESHOLDS]
        entry.update(ap50=float(aps[tindex[0.5]]), ap50_95=float(np.mean(aps[coco_k])),
                     recall50=tp50 / n_gt,
                     ap=float(np.mean([aps[tindex[t]] for t in req])) if req else None)
        per_class[c] = entry

    with_gt = [c for c in classes if c in ap_table]

    def mean_over(ts):
        if not with_gt or not ts:
            return -1.0
        return float(np.mean([[ap_table[c][tindex[t]] for t in ts] for c in with_gt]))

    return {
        "map50": mean_over([0.5]),
        "map50_95": mean_over([float(t) for t in COCO_IOU_THRESHOLDS]),
        "map": mean_over(req),
        "ap_at": {t: mean_over([t]) for t in req},
        "per_class": per_class,
        "classes_with_gt": with_gt,
        "recall50": tp50_total / gt_total if gt_total else -1.0,
    }


# --------------------------------------------------------------------------------------------
# CLEAR-MOT and IDF1

def _frames_dict(rows):
    """rows: iterable of (frame, id, x1, y1, x2, y2) -> {frame: (ids [N], boxes [N, 4])}."""
    tmp = {}
    for r in rows:
        f = int(r[0])
        tmp.setdefault(f, []).append((int(r[1]), [float(v) for v in r[2:6]]))
    out = {}
    for f, lst in tmp.items():
        ids = np.array([i for i, _ in lst], dtype=np.int64)
        if len(np.unique(ids)) != len(ids):
            raise ValueError("frame %d has the same id twice" % f)
        out[f] = (ids, np.array([b for _, b in lst], dtype=np.float64).reshape(-1, 4))
    return out


def clear_mot(gt, pred, iou_threshold=0.5):
    """CLEAR-MOT.  gt, pred: {frame: (ids [N], boxes [N, 4] xyxy)}.

    Returns dict: gt, fn, fp, idsw, matches, mota, motp (mean IoU of matches), recall,
    precision, gt_ids, mostly_tracked (matched in >= 80% of its frames), partially_tracked,
    mostly_lost (<= 20%).
    """
    last = {}          # gt id -> hypothesis id it was last matched to
    n_gt = n_fn = n_fp = n_sw = n_match = 0
    iou_sum = 0.0
    tracked = {}       # gt id -> [frames present, frames matched]
    empty = (np.zeros(0, dtype=np.int64), np.zeros((0, 4)))
    for f in sorted(set(gt) | set(pred)):
        gids, gboxes = gt.get(f, empty)
        hids, hboxes = pred.get(f, empty)
        iou = box_iou(gboxes, hboxes)
        valid = iou >= iou_threshold
        gfree = np.ones(len(gids), dtype=bool)
        hfree = np.ones(len(hids), dtype=bool)
        pairs = []
        hpos = {int(h): j for j, h in enumerate(hids)}
        # 1. keep last correspondences that are still valid
        for i, o in enumerate(gids):
            h = last.get(int(o))
            if h is None or h not in hpos:
                continue
            j = hpos[h]
            if valid[i, j] and hfree[j]:
                gfree[i] = hfree[j] = False
                pairs.append((i, j, False))
        # 2. Hungarian on the rest
        gi = np.nonzero(gfree)[0]
        hj = np.nonzero(hfree)[0]
        if len(gi) and len(hj):
            sub_valid = valid[np.ix_(gi, hj)]
            sub_cost = 1.0 - iou[np.ix_(gi, hj)]
            for a, b in match_valid(sub_valid, sub_cost):
                i, j = int(gi[a]), int(hj[b])
                o, h = int(gids[i]), int(hids[j])
                switch = o in last and last[o] != h
                gfree[i] = hfree[j] = False
                pairs.append((i, j, switch))
        for i, j, switch in pairs:
            last[int(gids[i])] = int(hids[j])
            n_sw += int(switch)
            iou_sum += iou[i, j]
        n_match += len(pairs)
        n_gt += len(gids)
        n_fn += int(gfree.sum())
        n_fp += int(hfree.sum())
        for i, o in enumerate(gids):
            t = tracked.setdefault(int(o), [0, 0])
            t[0] += 1
            t[1] += int(not gfree[i])
    ratios = [m / p for p, m in tracked.values()]
    return {
        "gt": n_gt, "fn": n_fn, "fp": n_fp, "idsw": n_sw, "matches": n_match,
        "mota": 1.0 - (n_fn + n_fp + n_sw) / n_gt if n_gt else float("nan"),
        "motp": iou_sum / n_match if n_match else float("nan"),
        "recall": n_match / n_gt if n_gt else float("nan"),
        "precision": n_match / (n_match + n_fp) if (n_match + n_fp) else float("nan"),
        "gt_ids": len(tracked),
        "mostly_tracked": sum(r >= 0.8 for r in ratios),
        "partially_tracked": sum(0.2 < r < 0.8 for r in ratios),
        "mostly_lost": sum(r <= 0.2 for r in ratios),
    }


def id_metrics(gt, pred, iou_threshold=0.5):
    """IDF1 / IDP / IDR (Ristani et al. 2016). gt, pred: {frame: (ids, boxes)}."""
    gid_list = sorted({int(i) for ids, _ in gt.values() for i in ids})
    pid_list = sorted({int(i) for ids, _ in pred.values() for i in ids})
    gx = {g: k for k, g in enumerate(gid_list)}
    px = {p: k for k, p in enumerate(pid_list)}
    overlap = np.zeros((len(gid_list), len(pid_list)))
    n_gt = sum(len(ids) for ids, _ in gt.values())
    n_pred = sum(len(ids) for ids, _ in pred.values())
    for f in set(gt) & set(pred):
        gids, gboxes = gt[f]
        hids, hboxes = pred[f]
        ok = box_iou(gboxes, hboxes) >= iou_threshold
        for i, j in zip(*np.nonzero(ok)):
            overlap[gx[int(gids[i])], px[int(hids[j])]] += 1
    idtp = 0
    pairs = []
    if overlap.size and overlap.max() > 0:
        rows, cols = linear_sum_assignment(-overlap)
        for r, c in zip(rows, cols):
            if overlap[r, c] > 0:
                idtp += int(overlap[r, c])
                pairs.append((gid_list[r], pid_list[c], int(overlap[r, c])))
    idfn = n_gt - idtp
    idfp = n_pred - idtp
    den = 2 * idtp + idfp + idfn
    return {
        "idtp": idtp, "idfp": idfp, "idfn": idfn,
        "idf1": 2 * idtp / den if den else float("nan"),
        "idp": idtp / (idtp + idfp) if (idtp + idfp) else float("nan"),
        "idr": idtp / (idtp + idfn) if (idtp + idfn) else float("nan"),
        "id_pairs": pairs,
    }


def drop_ignored(gt, ignored, pred, iou_threshold=0.5):
    """Remove predictions that the Hungarian matching (over all GT, kept and ignored) pairs
    with an ignored GT box.  gt, ignored, pred: {frame: (ids, boxes)}; returns new pred."""
    out = {}
    empty = (np.zeros(0, dtype=np.int64), np.zeros((0, 4)))
    for f, (hids, hboxes) in pred.items():
        iids, iboxes = ignored.get(f, empty)
        if len(iids) == 0:
            out[f] = (hids, hboxes)
            continue
        gids, gboxes = gt.get(f, empty)
        allb = np.concatenate([gboxes, iboxes], axis=0)
        iou = box_iou(allb, hboxes)
        keep = np.ones(len(hids), dtype=bool)
        for i, j in match_valid(iou >= iou_threshold, 1.0 - iou):
            if i >= len(gids):
                keep[j] = False
        out[f] = (hids[keep], hboxes[keep])
    return out


def mot_metrics(gt_rows, pred_rows, iou_threshold=0.5, min_vis=0.0):
    """gt_rows, pred_rows: lists of MOTChallenge rows as parsed by load_mot_txt (dicts)."""
    keep, ign = [], []
    for r in gt_rows:
        row = (r["frame"], r["id"]) + tuple(r["box"])
        if r["flag"] == 0 or r["vis"] < min_vis:
            ign.append(row)
        else:
            keep.append(row)
    gt = _frames_dict(keep)
    ignored = _frames_dict(ign)
    pred = _frames_dict([(r["frame"], r["id"]) + tuple(r["box"]) for r in pred_rows])
    if ignored:
        pred = drop_ignored(gt, ignored, pred, iou_threshold)
    res = clear_mot(gt, pred, iou_threshold)
    res.update(id_metrics(gt, pred, iou_threshold))
    res["ignored_gt"] = len(ign)
    return res


# --------------------------------------------------------------------------------------------
# File formats

def load_mot_txt(path):
    """MOTChallenge text: frame,id,x,y,w,h,conf[,class,visibility[,...]] (GT: conf is the
    'consider' flag).  Returns a list of dicts with frame, id, box (xyxy), flag, cls, vis."""
    rows = []
    with open(path) as fh:
        for ln, line in enumerate(fh, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            v = [s.strip() for s in line.replace(" ", ",").split(",") if s.strip() != ""]
            if len(v) < 6:
                raise ValueError("%s:%d: expected at least 6 columns" % (path, ln))
            x, y, w, h = (float(s) for s in v[2:6])
            rows.append({
                "frame": int(float(v[0])), "id": int(float(v[1])),
                "box": (x, y, x + w, y + h),
                "flag": float(v[6]) if len(v) > 6 else 1.0,
                "cls": int(float(v[7])) if len(v) > 7 else -1,
                "vis": float(v[8]) if len(v) > 8 else 1.0,
            })
    return rows


def _image_key(rec, match):
    if match == "frame":
        return int(rec["frame"])
    name = str(rec["image"])
    if match == "path":
        return name
    base = os.path.basename(name)
    return os.path.splitext(base)[0] if match == "stem" else base


def load_det_json(path, match="stem", min_vis=0.0):
    """Read detections or GT.  Accepted:
      * COCO GT: {"images": [{"id", "file_name"}], "annotations": [{"image_id", "bbox" xywh,
        "category_id"}], ...}
      * COCO results: [{"image_id", "bbox" xywh, "score", "category_id"}, ...]
      * JSON Lines (or a JSON list) of yolov7-detect records: {"image": path, or "frame": n,
        "detections": [{"class_id", "confidence", "box": [x1, y1, x2, y2]}]}; for GT the
        confidence is absent,
        and a GT entry with "ignore": true or "visibility" below min_vis is an ignored GT.
    Returns (images, kind) where images maps a key -> list of (box xyxy, score, class,
    ignore) and
    kind is "coco-gt", "coco-results" or "records".  Keys: COCO image ids, or the record's
    image name reduced by match ("stem", "name" or "path"), or its "frame" (match "frame")."""
    with open(path) as fh:
        text = fh.read()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = [json.loads(l) for l in text.splitlines() if l.strip()]
    if isinstance(data, dict) and ("detections" in data or "frame" in data):
        data = [data]
    images = {}
    if isinstance(data, dict) and "annotations" in data:
        for im in data.get("images", []):
            images.setdefault(im["id"], [])
        for a in data["annotations"]:
            if a.get("iscrowd", 0):
                raise ValueError("%s: crowd annotations are not supported" % path)
            x, y, w, h = a["bbox"]
            images.setdefault(a["image_id"], []).append(
                ((x, y, x + w, y + h), 1.0, int(a["category_id"]), False))
        return images, "coco-gt"
    if isinstance(data, list) and all(isinstance(d, dict) and "image_id" in d for d in data):
        for a in data:
            x, y, w, h = a["bbox"]
            images.setdefault(a["image_id"], []).append(
                ((x, y, x + w, y + h), float(a.get("score", 1.0)), int(a["category_id"]), False))
        return images, "coco-results"
    if isinstance(data, list):
        for rec in data:
            key = _image_key(rec, match)
            lst = images.setdefault(key, [])
            for d in rec.get("detections", []):
                ign = bool(d.get("ignore", False)) or float(d.get("visibility", 1.0)) < min_vis
                lst.append((tuple(d["box"]), float(d.get("confidence", 1.0)),
                            int(d["class_id"]), ign))
        return images, "records"
    raise ValueError("%s: unrecognised detection format" % path)


# --------------------------------------------------------------------------------------------
# CLI

def _fmt(v):
    return "  n/a " if v is None else "%.4f" % v


def _records_have_images(path):
    """True unless path holds yolov7-detect records of which some lack "image"."""
    with open(path) as fh:
        text = fh.read()
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        data = [json.loads(l) for l in text.splitlines() if l.strip()]
    if isinstance(data, dict):
        data = [data]
    recs = [d for d in data if isinstance(d, dict) and "detections" in d]
    return all("image" in d for d in recs)


def cmd_det(a):
    match = a.match
    if match == "auto":
        match = "stem" if _records_have_images(a.pred) else "frame"
    gt_images, gt_kind = load_det_json(a.gt, match, a.min_vis)
    pr_images, _ = load_det_json(a.pred, match)
    names = None
    if a.names:
        with open(a.names) as fh:
            names = [l.strip() for l in fh if l.strip()]
    extra = [k for k in pr_images if k not in gt_images]
    if extra:
        print("warning: %d predicted images have no GT entry and are skipped (e.g. %r)"
              % (len(extra), extra[0]), file=sys.stderr)
    keys = list(gt_images)
    preds, gts = [], []
    for k in keys:
        g = gt_images[k]
        p = pr_images.get(k, [])
        gts.append((np.array([e[0] for e in g], dtype=np.float64).reshape(-1, 4),
                    np.array([e[2] for e in g], dtype=np.int64),
                    np.array([e[3] for e in g], dtype=bool)))
        preds.append((np.array([e[0] for e in p], dtype=np.float64).reshape(-1, 4),
                      np.array([e[1] for e in p], dtype=np.float64),
                      np.array([e[2] for e in p], dtype=np.int64)))
    r = coco_map(preds, gts, iou_thresholds=(0.5,),
                 n_classes=len(names) if (names and gt_kind == "records") else None,
                 max_dets=a.max_dets if a.max_dets > 0 else None,
                 max_dets_scope=a.max_dets_scope)
    if a.json:
        out = {"images": len(keys), "map50": r["map50"], "map50_95": r["map50_95"],
               "recall50": r["recall50"],
               "per_class": {str(c): dict(v, name=(names[c] if names and 0 <= c < len(names)
                                                   else None))
                             for c, v in r["per_class"].items()}}
        for v in out["per_class"].values():
            v.pop("ap", None)
        print(json.dumps(out, indent=1))
        return 0
    print("images %d, classes with GT %d" % (len(keys), len(r["classes_with_gt"])))
    print("%-6s %-16s %7s %7s %8s %8s %8s" % ("class", "name", "gt", "pred", "AP50", "AP50:95",
                                               "recall50"))
    for c, v in r["per_class"].items():
        nm = names[c] if names and 0 <= c < len(names) else ""
        print("%-6d %-16s %7d %7d %8s %8s %8s" % (c, nm, v["n_gt"], v["n_pred"], _fmt(v["ap50"]),
                                                  _fmt(v["ap50_95"]), _fmt(v["recall50"])))
    print("mAP@0.5 %.4f  mAP@0.5:0.95 %.4f  recall@0.5 %.4f"
          % (r["map50"], r["map50_95"], r["recall50"]))
    return 0


def cmd_mot(a):
    gt = load_mot_txt(a.gt)
    pr = load_mot_txt(a.pred)
    r = mot_metrics(gt, pr, iou_threshold=a.iou, min_vis=a.min_vis)
    if a.json:
        r = dict(r)
        r["id_pairs"] = [list(p) for p in r["id_pairs"]]
        print(json.dumps(r, indent=1))
        return 0
    print("GT %d (ids %d, ignored rows %d)  matches %d  FN %d  FP %d  IDSW %d"
          % (r["gt"], r["gt_ids"], r["ignored_gt"], r["matches"], r["fn"], r["fp"], r["idsw"]))
    print("MOTA %.4f  MOTP(IoU) %.4f  recall %.4f  precision %.4f  MT %d  PT %d  ML %d"
          % (r["mota"], r["motp"], r["recall"], r["precision"], r["mostly_tracked"],
             r["partially_tracked"], r["mostly_lost"]))
    print("IDF1 %.4f  IDP %.4f  IDR %.4f  (IDTP %d  IDFP %d  IDFN %d)"
          % (r["idf1"], r["idp"], r["idr"], r["idtp"], r["idfp"], r["idfn"]))
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    d = sub.add_parser("det", help="COCO-style mAP@0.5 and mAP@0.5:0.95")
    d.add_argument("--gt", required=True, help="COCO GT json, or JSON Lines records")
    d.add_argument("--pred", required=True, help="COCO results json, or yolov7-detect JSON Lines")
    d.add_argument("--names", help="labels file, one class name a line (index = class id)")
    d.add_argument("--match", choices=("auto", "stem", "name", "path", "frame"), default="auto",
                   help="how JSON Lines records pair up: by the stem, name or path of their "
                        "'image', or by their 'frame' (default auto: 'frame' when the "
                        "predictions have no 'image', as yolov7-detect --video writes them, "
                        "else the stem)")
    d.add_argument("--max-dets", type=int, default=100, help="0 = unlimited (default 100)")
    d.add_argument("--min-vis", type=float, default=0.0,
                   help="GT records with a 'visibility' below this are ignored (COCO ignore)")
    d.add_argument("--max-dets-scope", choices=("class", "image"), default="class",
                   help="max-dets per image and class (pycocotools) or per image")
    d.add_argument("--json", action="store_true", help="print the result as JSON")
    m = sub.add_parser("mot", help="CLEAR-MOT MOTA and IDF1")
    m.add_argument("--gt", required=True, help="MOTChallenge gt.txt")
    m.add_argument("--pred", required=True, help="MOTChallenge results txt")
    m.add_argument("--iou", type=float, default=0.5, help="match threshold (default 0.5)")
    m.add_argument("--min-vis", type=float, default=0.0,
                   help="GT rows with visibility below this are ignored regions")
    m.add_argument("--json", action="store_true", help="print the result as JSON")
    a = ap.parse_args(argv)
    return cmd_det(a) if a.cmd == "det" else cmd_mot(a)


if __name__ == "__main__":
    sys.exit(main())
