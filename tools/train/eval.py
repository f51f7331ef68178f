# SPDX-License-Identifier: LGPL-2.1-or-later
"""Held-out accuracy of a trained model: through PyTorch (.pt) or an ONNX file run by the
engine's CLI (build/tools/yolov7-infer, raw `output` rows, decoded here).

    /usr/bin/python3 tools/train/eval.py --weights models/shapes-yolov7-tiny.pt [--n 500]
    /usr/bin/python3 tools/train/eval.py --onnx models/shapes-yolov7-tiny.onnx \
        [--infer build/tools/yolov7-infer] [--device reference] [--n 50]

The held-out images are scenes.make_scene(scene_rng('val', i), 320) for i in 0..n-1; the
training stream draws from scene_rng('train', ...), a disjoint seed family.  Both paths
post-process the [1, rows, 5+nc] --grid output with the engine's rules
(engine/postprocess.h): a row is a candidate when objectness > conf; its class is the best
obj*cls (lowest id on a tie) and it is kept when that score > conf; boxes to x0,y0,x1,y1;
class-aware greedy NMS (stable sort by score, best 30000, drop IoU > iou with a kept box of
the class, at most max_det); boxes clipped to the image.  The scenes are 320x320, so at
--img 320 the letterbox is the identity.  mAP is metrics.coco_map (COCO-style, 101 recall
points, 100 detections per image and class).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import scenes  # noqa: E402

DEFAULT_CONF = 0.001
DEFAULT_IOU = 0.65
DEFAULT_MAX_DET = 300
MAX_NMS = 30000


def heldout(n, size=320, start=0):
    """The held-out scenes: list of (img, boxes, classes)."""
    return [scenes.make_scene(scenes.scene_rng('val', i), size) for i in range(start, start + n)]


def _iou_one(box, boxes):
    area_a = (box[2] - box[0]) * (box[3] - box[1])
    area_b = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    w = np.maximum(np.float32(0), np.minimum(box[2], boxes[:, 2]) -
                   np.maximum(box[0], boxes[:, 0]))
    h = np.maximum(np.float32(0), np.minimum(box[3], boxes[:, 3]) -
                   np.maximum(box[1], boxes[:, 1]))
    inter = w * h
    return inter / (area_a + area_b - inter)


def postprocess(rows, conf=DEFAULT_CONF, iou=DEFAULT_IOU, max_det=DEFAULT_MAX_DET,
                width=None, height=None):
    """Engine rules on one image's rows [N, 5+nc] (float32): (boxes xyxy, scores, classes)."""
    rows = np.asarray(rows, np.float32)
    r = rows[rows[:, 4] > np.float32(conf)]
    sc = r[:, 5:] * r[:, 4:5]
    cls = sc.argmax(1) if len(r) else np.zeros(0, np.int64)
    score = sc[np.arange(len(r)), cls] if len(r) else np.zeros(0, np.float32)
    keep = score > np.float32(conf)
    r, cls, score = r[keep], cls[keep], score[keep]
    half = r[:, 2:4] * np.float32(0.5)
    boxes = np.concatenate([r[:, 0:2] - half, r[:, 0:2] + half], 1).astype(np.float32)
    order = np.argsort(-score, kind='stable')[:MAX_NMS]
    boxes, score, cls = boxes[order], score[order], cls[order]
    kept = []
    alive = np.ones(len(boxes), bool)
    for i in range(len(boxes)):
        if len(kept) >= max_det:
            break
        if not alive[i]:
            continue
        kept.append(i)
        rest = np.arange(i + 1, len(boxes))
        rest = rest[alive[rest] & (cls[rest] == cls[i])]
        if len(rest):
            alive[rest[_iou_one(boxes[i], boxes[rest]) > np.float32(iou)]] = False
    kept = np.array(kept, np.int64)
    boxes, score, cls = boxes[kept], score[kept], cls[kept]
    if width is not None:
        boxes[:, 0::2] = np.clip(boxes[:, 0::2], 0, width)
        boxes[:, 1::2] = np.clip(boxes[:, 1::2], 0, height)
    return boxes, score, cls.astype(np.int64)


def to_input(img):
    """uint8 HxWx3 RGB -> float32 [1,3,H,W] in [0,1] (320x320 scenes need no letterbox)."""
    return (img.transpose(2, 0, 1)[None].astype(np.float32) / np.float32(255.0))


def detect_torch(model, images, conf=DEFAULT_CONF, iou=DEFAULT_IOU, max_det=DEFAULT_MAX_DET,
                 batch=16):
    """Run a model (eval mode, inference output) over images; per-image detections."""
    import torch
    out = []
    model.eval()
    with torch.no_grad():
        for k in range(0, len(images), batch):
            chunk = images[k:k + batch]
            x = torch.from_numpy(np.concatenate([to_input(im) for im in chunk]))
            y = model(x)
            rows = (y[0] if isinstance(y, (tuple, list)) else y).float().numpy()
            for im, r in zip(chunk, rows):
                out.append(postprocess(r, conf, iou, max_det, im.shape[1], im.shape[0]))
    return out


def detect_engine(onnx_path, images, infer, device=None, conf=DEFAULT_CONF,
                  iou=DEFAULT_IOU, max_det=DEFAULT_MAX_DET):
    """Run the ONNX through the engine CLI (one call per image) and decode its rows."""
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        for k, im in enumerate(images):
            x = os.path.join(tmp, 'x.npy')
            np.save(x, to_input(im))
            cmd = [infer, '--model', onnx_path, '--input', x, '--outdir', tmp]
            if device:
                cmd += ['--device', device]
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
            rows = np.load(os.path.join(tmp, 'output.npy'))[0]
            out.append(postprocess(rows, conf, iou, max_det, im.shape[1], im.shape[0]))
    return out


def mean_ap(dets, data, n_classes):
    """{'map50', 'map50_95', 'per_class'} through metrics.coco_map."""
    import metrics
    gts = [(b, c) for _, b, c in data]
    r = metrics.coco_map(dets, gts, iou_thresholds=(0.5,), n_classes=n_classes)
    return {'map50': r['map50'], 'map50_95': r['map50_95'],
            'per_class': {scenes.CLASSES[c]: v['ap50'] for c, v in r['per_class'].items()}}


def load_pt(path):
    import torch
    import model as M
    ck = torch.load(path, map_location='cpu')
    m = M.build(len(ck['classes']), ck['width'])
    m.load_state_dict(ck['model'])
    return m.float().eval().fuse(), ck


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument('--weights', help='a .pt written by train.py')
    g.add_argument('--onnx', help='an ONNX model run through the engine CLI')
    ap.add_argument('--infer', default=os.path.join(os.path.dirname(os.path.dirname(HERE)),
                                                    'build', 'tools', 'yolov7-infer'))
    ap.add_argument('--device', default=None, help='engine device spec (e.g. reference)')
    ap.add_argument('--n', type=int, default=500)
    ap.add_argument('--start', type=int, default=0)
    ap.add_argument('--conf', type=float, default=DEFAULT_CONF)
    ap.add_argument('--iou', type=float, default=DEFAULT_IOU)
    ap.add_argument('--max-det', type=int, default=DEFAULT_MAX_DET)
    ap.add_argument('--json', action='store_true')
    a = ap.parse_args(argv)
    t = time.time()
    data = heldout(a.n, start=a.start)
    images = [d[0] for d in data]
    if a.weights:
        import torch
        torch.set_num_threads(2)
        m, _ = load_pt(a.weights)
        dets = detect_torch(m, images, a.conf, a.iou, a.max_det)
        nc = m.nc
    else:
        dets = detect_engine(a.onnx, images, a.infer, a.device, a.conf, a.iou, a.max_det)
        nc = len(scenes.CLASSES)
    r = mean_ap(dets, data, nc)
    r.update(n=a.n, start=a.start, conf=a.conf, iou=a.iou, max_det=a.max_det,
             seconds=round(time.time() - t, 1))
    if a.json:
        print(json.dumps(r))
    else:
        print('mAP@0.5 %.4f  mAP@0.5:0.95 %.4f  (%d held-out images from %d, %.0f s)' % (
            r['map50'], r['map50_95'], a.n, a.start, r['seconds']))
        print('  ' + '  '.join('%s %.3f' % (k, v if v is not None else float('nan'))
                               for k, v in r['per_class'].items()))
    return 0


if __name__ == '__main__':
    sys.exit(main())
