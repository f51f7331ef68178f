# SPDX-License-Identifier: LGPL-2.1-or-later
"""Tracking sequences, deterministic by seed: the scene generator's object classes moving over a
real-photo background, written as a video plus MOTChallenge-style ground truth.

    sequences.py --seed N [--frames 300] --out DIR [--size 640x360] [--fps 25]
                 [--objects 6] [--raw y4m,i420,rgb] [--ppm] [--no-video]

Objects move at constant speed along gently curving paths (the heading turns at a slowly
drifting rate), spin slowly, enter from the frame edges aimed at the interior and leave when
they are wholly outside; some are launched in pairs that meet at one point, so that they cross
and one hides the other.  Each object has a fixed depth: a nearer object covers a farther one.

DIR receives
  video.avi       MJPG, the frames as seen (lossy: use --raw or --ppm for the exact pixels)
  video.y4m       with --raw y4m: the exact frames as YUV4MPEG2 4:2:0 (C420jpeg, BT.601
                  limited range: OpenCV's RGB->I420, what yolov7-detect --video reads)
  frames.i420     with --raw i420: the same I420 frames without any header, back to back
  frames.rgb      with --raw rgb: every frame as packed RGB24, back to back (no loss at all)
  img1/NNNNNN.ppm with --ppm: every frame as binary PPM (what yolov7-detect reads), 1-based
  gt/gt.txt       MOTChallenge ground truth, one row per visible object and frame:
                  frame (1-based), id (1-based), x, y, w, h, flag, class, visibility
                  x, y, w, h: the box of the object's *visible* pixels in the frame (pixel
                  edges: x = first column, w = last column + 1 - x); class: the index into
                  scenes.CLASSES (0-based); visibility: visible pixels / all its pixels (frame
                  edges and nearer objects both hide); flag 1, or 0 where the visible box is
                  under 4 px wide or high (MOTChallenge's "ignore").  Objects with no visible
                  pixel have no row.
  gt.jsonl        the same boxes per frame as detection GT records for metrics.py det:
                  {"frame": 0-based (as yolov7-detect --video numbers them), "image":
                  "NNNNNN" (1-based, as img1/), "width", "height", "detections":
                  [{"class_id", "box": [x1, y1, x2, y2], "track_id", "visibility"}]}
  seqinfo.ini     MOTChallenge sequence description
"""

import argparse
import configparser
import json
import math
import os
import sys

import numpy as np

import cv2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scenes  # noqa: E402  (CLASSES, draw_object, background)

CLASSES = scenes.CLASSES

TURN_DRIFT = 0.0005       # rad/frame^2: random walk of the turn rate (gentle curvature)
MAX_TURN = 0.012          # rad/frame: sharpest turn
MAX_BEND = math.radians(35)   # largest change of heading over an object's life
MAX_ENTRY = math.radians(45)  # largest angle between an entry path and the edge's normal


# --------------------------------------------------------------------------------------------
# Motion

class Obj:
    """One object's state; x, y is its centre in frame pixels."""

    def __init__(self, oid, cls, size, aspect, colour, blur, shade, x, y, heading, speed, turn,
                 angle, spin, z, birth):
        self.id, self.cls, self.size, self.aspect = oid, cls, size, aspect
        self.colour, self.blur, self.shade = colour, blur, shade
        self.x, self.y, self.heading, self.speed, self.turn = x, y, heading, speed, turn
        self.angle, self.spin, self.z, self.birth = angle, spin, z, birth
        self.seen = False         # has been at least partly inside the frame
        self.heading0 = heading   # the path bends at most MAX_BEND away from this
        self.calm_until = 0       # frame before which the path stays straight (meeting pairs)

    def radius(self):
        return self.size * 0.75 + 3 * self.blur   # bounds the drawn shape at any rotation

    def step(self, rng, frame):
        self.x += self.speed * math.cos(self.heading)
        self.y += self.speed * math.sin(self.heading)
        drift = float(rng.normal(0.0, TURN_DRIFT))
        if frame >= self.calm_until:
            self.heading += self.turn
            self.turn = float(np.clip(self.turn + drift, -MAX_TURN, MAX_TURN))
            bend = (self.heading - self.heading0 + math.pi) % (2 * math.pi) - math.pi
            if abs(bend) > MAX_BEND and self.turn * bend > 0:
                self.turn = -self.turn    # curve back: no loops, no crawling along an edge
        self.angle = (self.angle + self.spin) % 360.0


class Simulator:
    """Frame by frame state of all objects, with births (single or meeting pairs) and exits."""

    def __init__(self, seed, width, height, n_target, min_size, max_size, speed_range,
                 under=(128, 128, 128)):
        self.rng = np.random.default_rng([seed, 1])
        self.w, self.h = width, height
        self.n_target = n_target
        self.min_size, self.max_size = min_size, max_size
        self.speed_range = speed_range
        self.under = under        # mean background colour, for contrasting object colours
        self.next_id = 1
        self.active = []
        self.pending = []         # (birth frame, Obj) scheduled entries
        self.frame = 1

    def _new(self, x, y, heading, speed, turn):
        r = self.rng
        size = float(np.exp(r.uniform(math.log(self.min_size), math.log(self.max_size))))
        # Appearance drawn as scenes.make_scene draws it.
        cls = int(r.integers(len(CLASSES)))
        aspect = float(math.exp(r.uniform(-0.4, 0.4)))
        blur = float(r.uniform(0.3, 1.5)) if r.random() < 0.3 else 0.0
        colour = scenes.pick_colour(r, self.under)
        shade = tuple(float(v) for v in r.uniform(-0.4, 0.4, 2)) if r.random() < 0.5 else None
        return Obj(oid=0, cls=cls, size=size, aspect=aspect, colour=colour, blur=blur,
                   shade=shade, x=x, y=y, heading=heading, speed=speed, turn=turn,
                   angle=float(r.uniform(0, 360)), spin=float(r.uniform(-1.5, 1.5)),
                   z=float(r.random()), birth=self.frame)

    def _speed(self):
        return float(self.rng.uniform(*self.speed_range))

    def _edge_start(self, o, target, side=None):
        """Put o just outside an edge (0 left, 1 right, 2 top, 3 bottom; random if None),
        heading for target at most MAX_ENTRY away from the edge's inward normal."""
        r = self.rng
        if side is None:
            side = int(r.integers(4))
        m = o.radius() + 1
        tx, ty = target
        spread = math.tan(MAX_ENTRY) * float(r.uniform(-1, 1))
        if side == 0:
            o.x, o.y = -m, ty + spread * (tx + m)
        elif side == 1:
            o.x, o.y = self.w + m, ty + spread * (self.w + m - tx)
        elif side == 2:
            o.x, o.y = tx + spread * (ty + m), -m
        else:
            o.x, o.y = tx + spread * (self.h + m - ty), self.h + m
        if side < 2:
            o.y = float(np.clip(o.y, 0, self.h))
        else:
            o.x = float(np.clip(o.x, 0, self.w))
        o.heading = o.heading0 = math.atan2(ty - o.y, tx - o.x)

    def _interior(self, margin=0.2):
        r = self.rng
        return (r.uniform(margin, 1 - margin) * self.w, r.uniform(margin, 1 - margin) * self.h)

    def _assign(self, o):
        o.id = self.next_id
        self.next_id += 1
        self.active.append(o)

    def spawn_initial(self, n):
        """n objects already in the frame, heading roughly across it, and a meeting pair
        on its way in."""
        for _ in range(n):
            x, y = self._interior(0.1)
            tx, ty = self._interior(0.3)
            heading = math.atan2(ty - y, tx - x) if math.hypot(ty - y, tx - x) > 20 else \
                float(self.rng.uniform(-math.pi, math.pi))
            o = self._new(x, y, heading, self._speed(), float(self.rng.uniform(-0.01, 0.01)))
            o.heading0 = heading
            o.seen = True
            self._assign(o)
        self.spawn_pair()

    def spawn_single(self):
        o = self._new(0.0, 0.0, 0.0, self._speed(), float(self.rng.uniform(-0.008, 0.008)))
        self._edge_start(o, self._interior())
        self.pending.append((self.frame, o))

    def spawn_pair(self):
        """Two objects from two different edges timed to reach one interior point together
        (nearly straight paths), so that they cross and one covers the other."""
        meet = self._interior(0.3)
        sides = self.rng.permutation(4)[:2]
        objs = []
        for side in sides:
            lo, hi = self.speed_range
            speed = float(self.rng.uniform((lo + hi) / 2, hi))    # meet before long
            o = self._new(0.0, 0.0, 0.0, speed, float(self.rng.uniform(-0.001, 0.001)))
            self._edge_start(o, meet, int(side))
            objs.append((math.hypot(meet[0] - o.x, meet[1] - o.y) / o.speed, o))
        longest = max(t for t, _ in objs)
        for t, o in objs:
            o.calm_until = self.frame + int(round(longest)) + 2
            self.pending.append((self.frame + int(round(longest - t)), o))

    def advance(self):
        """Move to the next frame; returns the objects present in it (at least partly in the
        frame, or on their way in)."""
        self.frame += 1
        r = self.rng
        for o in self.active:
            o.step(r, self.frame)
        keep = []
        for o in self.active:
            rad = o.radius()
            inside = (-rad < o.x < self.w + rad) and (-rad < o.y < self.h + rad)
            if inside:
                o.seen = True
                keep.append(o)
            elif not o.seen and self.frame - o.birth < 4 * (self.w + self.h):
                keep.append(o)            # still on its way in
        self.active = keep
        due = [o for f, o in self.pending if f <= self.frame]
        self.pending = [(f, o) for f, o in self.pending if f > self.frame]
        for o in due:
            o.birth = self.frame
            self._assign(o)
        if len(self.active) < self.n_target and r.random() < 0.12:
            if r.random() < 0.5:
                self.spawn_pair()
            else:
                self.spawn_single()
        return list(self.active)


# --------------------------------------------------------------------------------------------
# Frames and ground truth

def compose(bg, objs):
    """Draw objs (farthest first) over bg (RGB uint8).  Returns (frame RGB uint8, per object
    (full coverage pixel count, patch x0, y0, patch size), label map int16: the index in objs
    of the nearest object covering each pixel (coverage >= 0.5), -1 for none)."""
    h, w = bg.shape[:2]
    frame = bg.copy()
    label = np.full((h, w), -1, np.int16)
    info = [None] * len(objs)
    for k, o in sorted(enumerate(objs), key=lambda t: t[1].z):
        alpha, x0, y0 = scenes.shape_alpha(o.cls, (o.x, o.y), o.size, o.angle, o.aspect, o.blur)
        info[k] = (int(np.count_nonzero(alpha >= 0.5)), x0, y0, alpha.shape[0])
        if x0 >= w or y0 >= h or x0 + alpha.shape[1] <= 0 or y0 + alpha.shape[0] <= 0:
            continue
        mask = scenes.draw_object(frame, o.cls, (o.x, o.y), o.size, o.angle, o.colour, o.aspect,
                                  o.blur, o.shade)
        label[mask] = k
    return frame, info, label


def visible_boxes(info, label):
    """Per object: (x1, y1, x2, y2, visibility) of its visible pixels (pixel edges), or None
    when none is visible.  Visibility = visible pixels / its full coverage."""
    h, w = label.shape
    out = []
    for k, (full, ox, oy, n) in enumerate(info):
        x0, y0 = max(ox, 0), max(oy, 0)
        x1, y1 = min(ox + n, w), min(oy + n, h)
        if full == 0 or x0 >= x1 or y0 >= y1:
            out.append(None)
            continue
        vis = label[y0:y1, x0:x1] == k
        cnt = int(np.count_nonzero(vis))
        if cnt == 0:
            out.append(None)
            continue
        b = scenes.tight_box(vis)
        out.append((x0 + int(b[0]), y0 + int(b[1]), x0 + int(b[2]), y0 + int(b[3]),
                    cnt / full))
    return out


def generate(seed, frames, out, width=640, height=360, fps=25, n_objects=6, raw=(),
             ppm=False, video=True, min_size=20, max_size=80, speed=(1.5, 5.0), quiet=False):
    """Write one sequence into out; returns a summary dict."""
    os.makedirs(os.path.join(out, "gt"), exist_ok=True)
    rng = np.random.default_rng([seed, 0])
    bg = background(rng, width, height)
    noise_sigma = float(rng.uniform(0.0, 4.0))
    blur_sigma = float(rng.uniform(0.0, 0.8))
    sim = Simulator(seed, width, height, n_objects, min_size, max_size, speed,
                    under=bg.reshape(-1, 3).mean(axis=0))
    sim.spawn_initial(max(1, n_objects // 2))

    writer = None
    if video:
        writer = cv2.VideoWriter(os.path.join(out, "video.avi"),
                                 cv2.VideoWriter_fourcc(*"MJPG"), fps, (width, height))
        if not writer.isOpened():
            raise RuntimeError("cv2.VideoWriter cannot write MJPG AVI here")
    raw = tuple(raw or ())
    bad = [r for r in raw if r not in ("rgb", "i420", "y4m")]
    if bad:
        raise ValueError("unknown raw format %r" % bad[0])
    raw_fh = {r: open(os.path.join(out, "video.y4m" if r == "y4m" else "frames." + r), "wb")
              for r in raw}
    if "y4m" in raw_fh:
        raw_fh["y4m"].write(b"YUV4MPEG2 W%d H%d F%d:1 Ip A1:1 C420jpeg\n" % (width, height, fps))
    if ppm:
        os.makedirs(os.path.join(out, "img1"), exist_ok=True)
    gt_rows = []
    jl = open(os.path.join(out, "gt.jsonl"), "w")
    ids = set()
    low_vis = 0
    pair_overlaps = set()
    try:
        for f in range(1, frames + 1):
            objs = sim.advance() if f > 1 else list(sim.active)
            frame, info, label = compose(bg, objs)
            if blur_sigma > 0.05:
                frame = cv2.GaussianBlur(frame, (0, 0), blur_sigma)
            if noise_sigma > 0:
                noisy = frame.astype(np.float32)
                noisy += rng.normal(0.0, noise_sigma, frame.shape).astype(np.float32)
                frame = np.clip(np.rint(noisy), 0, 255).astype(np.uint8)
            boxes = visible_boxes(info, label)
            bgr = cv2.cvtColor(frame, cv2.COLOR_RGB2BGR)
            dets = []
            for o, b in zip(objs, boxes):
                if b is None:
                    continue
                x1, y1, x2, y2, vis = b
                flag = 1 if (x2 - x1 >= 4 and y2 - y1 >= 4) else 0
                gt_rows.append((f, o.id, x1, y1, x2 - x1, y2 - y1, flag, o.cls, vis))
                dets.append({"class_id": o.cls, "box": [x1, y1, x2, y2], "track_id": o.id,
                             "visibility": round(vis, 4)})
                ids.add(o.id)
                low_vis += vis < 0.5
            for i in range(len(objs)):
                for j in range(i + 1, len(objs)):
                    a, b = objs[i], objs[j]
                    if math.hypot(a.x - b.x, a.y - b.y) < 0.5 * (a.size + b.size) * 0.6:
                        pair_overlaps.add((min(a.id, b.id), max(a.id, b.id)))
            jl.write(json.dumps({"frame": f - 1, "image": "%06d" % f, "width": width,
                                 "height": height, "detections": dets}) + "\n")
            if writer is not None:
                writer.write(bgr)
            if "rgb" in raw_fh:
                raw_fh["rgb"].write(frame.tobytes())
            if "i420" in raw_fh or "y4m" in raw_fh:
                yuv = cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420).tobytes()
                if "i420" in raw_fh:
                    raw_fh["i420"].write(yuv)
                if "y4m" in raw_fh:
                    raw_fh["y4m"].write(b"FRAME\n")
                    raw_fh["y4m"].write(yuv)
            if ppm:
                cv2.imwrite(os.path.join(out, "img1", "%06d.ppm" % f), bgr)
    finally:
        jl.close()
        if writer is not None:
            writer.release()
        for fh in raw_fh.values():
            fh.close()

    with open(os.path.join(out, "gt", "gt.txt"), "w") as fh:
        for f, oid, x, y, w, h, flag, cls, vis in gt_rows:
            fh.write("%d,%d,%d,%d,%d,%d,%d,%d,%.4f\n" % (f, oid, x, y, w, h, flag, cls, vis))
    ini = configparser.ConfigParser()
    ini.optionxform = str
    ini["Sequence"] = {"name": os.path.basename(os.path.normpath(out)), "imDir": "img1",
                       "frameRate": str(fps), "seqLength": str(frames),
                       "imWidth": str(width), "imHeight": str(height), "imExt": ".ppm",
                       "seed": str(seed)}
    with open(os.path.join(out, "seqinfo.ini"), "w") as fh:
        ini.write(fh, space_around_delimiters=False)
    summary = {"seed": seed, "frames": frames, "size": [width, height], "fps": fps,
               "tracks": len(ids), "gt_rows": len(gt_rows),
               "rows_visibility_below_0.5": int(low_vis),
               "crossing_pairs": len(pair_overlaps),
               "noise_sigma": round(noise_sigma, 3), "blur_sigma": round(blur_sigma, 3)}
    if not quiet:
        print(json.dumps(summary))
    return summary


def background(rng, width, height):
    """A real-photo background (RGB) from scenes.py: a jittered, flipped crop of one of the
    photographs; scenes.background (photo, texture or a blend) where no photo is found."""
    photo = getattr(scenes, "_photo", None)
    img = photo(rng, height, width) if photo is not None else None
    return img if img is not None else scenes.background(rng, height, width)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 2)[2])
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--out", required=True, help="output folder (created)")
    ap.add_argument("--size", default="640x360", help="WxH (default 640x360)")
    ap.add_argument("--fps", type=int, default=25)
    ap.add_argument("--objects", type=int, default=6, help="objects on screen, about")
    ap.add_argument("--raw", default="", metavar="FMT[,FMT]",
                    help="also write the exact frames: y4m, i420 and/or rgb")
    ap.add_argument("--ppm", action="store_true", help="also write img1/NNNNNN.ppm")
    ap.add_argument("--no-video", action="store_true", help="skip video.avi")
    a = ap.parse_args(argv)
    w, h = (int(v) for v in a.size.lower().split("x"))
    if w % 2 or h % 2:
        ap.error("--size needs even width and height (I420)")
    raw = [r for r in a.raw.split(",") if r]
    bad = [r for r in raw if r not in ("y4m", "i420", "rgb")]
    if bad:
        ap.error("--raw: unknown format %r (y4m, i420, rgb)" % bad[0])
    if a.frames < 1:
        ap.error("--frames must be at least 1")
    generate(a.seed, a.frames, a.out, w, h, a.fps, a.objects, raw, a.ppm, not a.no_video)
    return 0


if __name__ == "__main__":
    sys.exit(main())
