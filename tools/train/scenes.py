# SPDX-License-Identifier: LGPL-2.1-or-later
"""Generated detection scenes: shapes on real photographs and procedural textures.

Every scene is a pure function of the numpy Generator it is given, so a seed gives the
same image and labels on every run and machine (numpy's PCG64 streams and OpenCV's
drawing and filtering are deterministic).

Public API (stable; tools/train/sequences.py builds on it):

    CLASSES                      list of class names; a class id indexes it
    make_scene(rng, size=320)    -> (img uint8 [H,W,3] RGB, boxes float32 [N,4] x0,y0,x1,y1,
                                    classes int64 [N]); size is an int or (h, w)
    draw_object(img, cls, center, size, angle=0.0, colour=(255, 255, 255), aspect=1.0,
                blur=0.0, shade=None) -> mask bool [H,W]
        Draw one object onto img (uint8 [H,W,3] RGB, changed in place) and return the
        pixels it covers (alpha >= 0.5, clipped to the frame).  cls: class id or name;
        center: (cx, cy) in pixels, floats allowed; size: the longer side of the unrotated
        shape's box, in pixels; angle: degrees, positive turns clockwise on screen;
        colour: RGB 0..255; aspect: width / height of the unrotated shape (the longer side
        stays `size`); blur: Gaussian sigma of the shape's edge in pixels (0: sharp,
        anti-aliased); shade: None or (gx, gy), a linear brightness ramp across the shape
        (fractions of the colour per `size`, e.g. (0.2, -0.1)).
    shape_alpha(cls, center, size, angle=0.0, aspect=1.0, blur=0.0)
        -> (alpha float32 [h,w] in [0,1], x0, y0): the object's coverage on a patch whose
        top-left pixel is (x0, y0) in frame pixels (may lie outside the frame).
    tight_box(mask) -> (x0, y0, x1, y1) float pixel edges of the True pixels, or None
    background(rng, h, w) -> uint8 [h,w,3] RGB: a photo crop or a procedural texture
    pick_colour(rng, under) -> RGB tuple contrasting with the mean colour `under`

Label rule: the box of an object is the tight box of its visible pixels (its mask minus
everything drawn over it, clipped to the frame), in pixel-edge coordinates (a single
pixel at column 3 spans x 3..4).  An object is labelled only when at least
MIN_VISIBLE of its full (unclipped, unoccluded) area is visible; placements that would
leave an earlier object below that are redrawn elsewhere, so every drawn object carries
a label except the rare ones hidden by clutter strokes drawn last.
"""

import glob
import math
import os

import cv2
import numpy as np

CLASSES = ['circle', 'square', 'triangle', 'star', 'cross', 'ring']

PHOTO_DIR = '/usr/share/darknet/data'
MIN_SIZE = 10          # smallest object, pixels (longer side of the unrotated shape)
MAX_FRAC = 0.5         # largest object, fraction of the shorter frame side
MIN_VISIBLE = 0.5      # visible fraction an object must keep to be labelled
MAX_OBJECTS = 10       # per 320x320 of area

_SHIFT = 4             # cv2 fixed-point bits for sub-pixel drawing
_ONE = 1 << _SHIFT
_photos = None


def class_id(cls):
    return CLASSES.index(cls) if isinstance(cls, str) else int(cls)


# ------------------------------------------------------------------------------------
# Shapes
# ------------------------------------------------------------------------------------

def _unit_polygon(name):
    """Outline of a shape in a unit box [-0.5, 0.5]^2 (y down), or None for ellipses."""
    if name == 'square':
        return np.array([[-0.5, -0.5], [0.5, -0.5], [0.5, 0.5], [-0.5, 0.5]])
    if name == 'triangle':
        return np.array([[0.0, -0.5], [0.5, 0.5], [-0.5, 0.5]])
    if name == 'star':
        pts = []
        for k in range(10):
            r = 0.5 if k % 2 == 0 else 0.2
            t = -math.pi / 2 + k * math.pi / 5
            pts.append([r * math.cos(t), r * math.sin(t)])
        pts = np.array(pts)
        pts[:, 1] += (0.5 - pts[:, 1].max()) / 2   # centre it vertically in the box
        pts[:, 1] *= 0.5 / np.abs(pts[:, 1]).max()
        return pts
    if name == 'cross':
        a = 0.17
        return np.array([[-a, -0.5], [a, -0.5], [a, -a], [0.5, -a], [0.5, a], [a, a],
                         [a, 0.5], [-a, 0.5], [-a, a], [-0.5, a], [-0.5, -a], [-a, -a]])
    return None


_POLYS = {name: _unit_polygon(name) for name in CLASSES}
RING_INNER = 0.55      # inner radius of a ring as a fraction of the outer


def shape_alpha(cls, center, size, angle=0.0, aspect=1.0, blur=0.0):
    """Coverage of one object on a local patch: (alpha float32 [h,w], x0, y0)."""
    name = CLASSES[class_id(cls)]
    size = float(size)
    w = size * min(1.0, aspect)
    h = size * min(1.0, 1.0 / aspect)
    cx, cy = float(center[0]), float(center[1])
    margin = int(math.ceil(3 * blur)) + 2
    half = int(math.ceil(0.5 * math.hypot(w, h))) + margin
    x0 = int(math.floor(cx)) - half
    y0 = int(math.floor(cy)) - half
    n = 2 * half + 2
    patch = np.zeros((n, n), np.uint8)
    # Patch coordinates of the centre; pixel (i, j) covers [j, j+1) x [i, i+1), so the
    # sample at its centre is j + 0.5: cv2 draws in pixel-centre coordinates.
    pcx, pcy = cx - x0 - 0.5, cy - y0 - 0.5
    poly = _POLYS[name]
    if poly is None:
        c = (int(round(pcx * _ONE)), int(round(pcy * _ONE)))
        axes = (max(1, int(round(w / 2 * _ONE))), max(1, int(round(h / 2 * _ONE))))
        cv2.ellipse(patch, c, axes, angle, 0, 360, 255, -1, cv2.LINE_AA, _SHIFT)
        if name == 'ring':
            inner = (max(1, int(round(axes[0] * RING_INNER))),
                     max(1, int(round(axes[1] * RING_INNER))))
            cv2.ellipse(patch, c, inner, angle, 0, 360, 0, -1, cv2.LINE_AA, _SHIFT)
    else:
        t = math.radians(angle)
        rot = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
        pts = (poly * [w, h]) @ rot.T + [pcx, pcy]
        pts = np.round(pts * _ONE).astype(np.int32)
        cv2.fillPoly(patch, [pts], 255, cv2.LINE_AA, _SHIFT)
    alpha = patch.astype(np.float32) * (1.0 / 255.0)
    if blur > 0:
        alpha = cv2.GaussianBlur(alpha, (0, 0), blur)
    return alpha, x0, y0


def _clip(alpha, x0, y0, H, W):
    """The part of a patch inside the frame: (alpha view, frame slice y, frame slice x)."""
    h, w = alpha.shape
    ax0, ay0 = max(0, -x0), max(0, -y0)
    ax1, ay1 = min(w, W - x0), min(h, H - y0)
    if ax1 <= ax0 or ay1 <= ay0:
        return None, None, None
    return (alpha[ay0:ay1, ax0:ax1], slice(y0 + ay0, y0 + ay1),
            slice(x0 + ax0, x0 + ax1))


def _composite(img, alpha, x0, y0, colour, shade=None, size=1.0):
    H, W = img.shape[:2]
    a, sy, sx = _clip(alpha, x0, y0, H, W)
    mask = np.zeros((H, W), bool)
    if a is None:
        return mask
    col = np.asarray(colour, np.float32).reshape(1, 1, 3)
    if shade is not None:
        yy, xx = np.mgrid[sy, sx].astype(np.float32)
        cy = (sy.start + sy.stop) / 2.0
        cx = (sx.start + sx.stop) / 2.0
        ramp = 1.0 + (shade[0] * (xx - cx) + shade[1] * (yy - cy)) / max(size, 1.0)
        col = np.clip(col * ramp[..., None], 0, 255)
    region = img[sy, sx].astype(np.float32)
    a3 = a[..., None]
    # a in [0, 1] and both colours in [0, 255]: the blend needs no clipping.
    img[sy, sx] = (region + (col - region) * a3 + np.float32(0.5)).astype(np.uint8)
    mask[sy, sx] = a >= 0.5
    return mask


def draw_object(img, cls, center, size, angle=0.0, colour=(255, 255, 255), aspect=1.0,
                blur=0.0, shade=None):
    """Draw one object onto img in place; return its coverage mask (see the module doc)."""
    alpha, x0, y0 = shape_alpha(cls, center, size, angle, aspect, blur)
    return _composite(img, alpha, x0, y0, colour, shade, size)


def tight_box(mask):
    """Pixel-edge box (x0, y0, x1, y1) of the True pixels of mask, or None."""
    cols = np.flatnonzero(mask.any(axis=0))
    if cols.size == 0:
        return None
    rows = np.flatnonzero(mask.any(axis=1))
    return (float(cols[0]), float(rows[0]), float(cols[-1] + 1), float(rows[-1] + 1))


# ------------------------------------------------------------------------------------
# Backgrounds
# ------------------------------------------------------------------------------------

def _load_photos():
    global _photos
    if _photos is None:
        _photos = []
        for p in sorted(glob.glob(os.path.join(PHOTO_DIR, '*.jpg'))):
            im = cv2.imread(p, cv2.IMREAD_COLOR)
            if im is not None:
                # Stored at most 512 px on the longer side: crops then only ever need a
                # cheap bilinear resize.
                f = 512.0 / max(im.shape[:2])
                if f < 1:
                    im = cv2.resize(im, (int(round(im.shape[1] * f)),
                                         int(round(im.shape[0] * f))),
                                    interpolation=cv2.INTER_AREA)
                _photos.append(cv2.cvtColor(im, cv2.COLOR_BGR2RGB))
    return _photos


def _hsv_jitter(rng, img, hgain=0.02, sgain=0.6, vgain=0.4):
    g = 1.0 + rng.uniform(-1, 1, 3) * [hgain, sgain, vgain]
    hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV).astype(np.float32)
    hsv[..., 0] = (hsv[..., 0] * g[0]) % 180
    hsv[..., 1] = np.clip(hsv[..., 1] * g[1], 0, 255)
    hsv[..., 2] = np.clip(hsv[..., 2] * g[2], 0, 255)
    return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2RGB)


def _photo(rng, h, w):
    photos = _load_photos()
    if not photos:
        return None
    src = photos[rng.integers(len(photos))]
    sh, sw = src.shape[:2]
    # Crop with the target's aspect, 25%..100% of the largest such crop.
    scale = rng.uniform(0.25, 1.0)
    ch = min(sh, sw * h / w) * scale
    cw = ch * w / h
    cy = rng.uniform(0, sh - ch)
    cx = rng.uniform(0, sw - cw)
    crop = src[int(cy):int(cy + ch), int(cx):int(cx + cw)]
    img = cv2.resize(crop, (w, h), interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.5:
        img = cv2.flip(img, 1)
    img = _hsv_jitter(rng, img)
    if rng.random() < 0.1:
        g = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
        img = np.repeat(g[..., None], 3, axis=2)
    return img


_NOISE = None


def _noise(rng, h, w, sigma):
    """Gaussian noise [h,w,3] float32 of std sigma: a random window of a fixed bank of
    normal samples (fast, and as deterministic as drawing it afresh)."""
    global _NOISE
    if _NOISE is None:
        _NOISE = np.random.default_rng(20240601).standard_normal((1024, 1024, 3)).astype(
            np.float32)
    n = _NOISE
    if rng.random() < 0.5:
        n = n[::-1]
    if rng.random() < 0.5:
        n = n.transpose(1, 0, 2)
    N = n.shape[0]
    if h > N or w > N:
        n = np.tile(n, (-(-h // N), -(-w // N), 1))
    oy = int(rng.integers(n.shape[0] - h + 1))
    ox = int(rng.integers(n.shape[1] - w + 1))
    return n[oy:oy + h, ox:ox + w] * np.float32(sigma)


def _rand_rgb(rng):
    return rng.uniform(0, 255, 3).astype(np.float32)


def _texture(rng, h, w):
    kind = rng.integers(4)
    if kind == 0:
        # Smooth coloured noise (clouds), with some fine grain.
        g = int(rng.integers(2, 12))
        low = rng.uniform(0, 255, (g, g, 3)).astype(np.float32)
        img = cv2.resize(low, (w, h), interpolation=cv2.INTER_CUBIC)
        img += _noise(rng, h, w, rng.uniform(0, 12))
    elif kind == 1:
        # Linear gradient between two colours.
        t = rng.uniform(0, 2 * math.pi)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        s = (xx * math.cos(t) + yy * math.sin(t))
        s = (s - s.min()) / max(1e-6, s.max() - s.min())
        img = _rand_rgb(rng) * (1 - s[..., None]) + _rand_rgb(rng) * s[..., None]
    elif kind == 2:
        # Soft stripes (a sine wave), any direction and period.
        t = rng.uniform(0, math.pi)
        period = rng.uniform(6, 60)
        yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
        s = 0.5 + 0.5 * np.sin((xx * math.cos(t) + yy * math.sin(t)) * 2 * math.pi / period
                               + rng.uniform(0, 2 * math.pi))
        img = _rand_rgb(rng) * (1 - s[..., None]) + _rand_rgb(rng) * s[..., None]
    else:
        # Flat colour with heavy noise.
        img = np.empty((h, w, 3), np.float32)
        img[:] = _rand_rgb(rng)
        img += _noise(rng, h, w, rng.uniform(5, 30))
    return np.clip(img, 0, 255).astype(np.uint8)


def background(rng, h, w):
    """A background: a jittered photo crop (60%), a texture (25%), or both blended."""
    r = rng.random()
    photo = _photo(rng, h, w) if r < 0.75 else None
    if photo is None:
        return _texture(rng, h, w)
    if r < 0.6:
        return photo
    t = _texture(rng, h, w)
    k = rng.uniform(0.3, 0.7)
    return cv2.addWeighted(photo, 1 - k, t, k, 0)


# ------------------------------------------------------------------------------------
# Scenes
# ------------------------------------------------------------------------------------

def pick_colour(rng, under, tries=8):
    """A random saturated-or-not colour, the one of a few tries furthest from `under`."""
    best, best_d = None, -1.0
    under = np.asarray(under, np.float32)
    for _ in range(tries):
        hsv = np.array([[[rng.uniform(0, 180), rng.uniform(0, 255),
                          rng.uniform(40, 255)]]], np.float32).astype(np.uint8)
        rgb = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0].astype(np.float32)
        d = float(np.linalg.norm(rgb - under))
        if d > best_d:
            best, best_d = rgb, d
        if d > 120:
            break
    return tuple(int(v) for v in best)


def _sample_size(rng, h, w):
    hi = max(MIN_SIZE, MAX_FRAC * min(h, w))
    return float(math.exp(rng.uniform(math.log(MIN_SIZE), math.log(hi))))


def _clutter(rng, img):
    """A thick random stroke (line or arc) across the image: extra occlusion."""
    H, W = img.shape[:2]
    patch = np.zeros((H, W), np.uint8)
    th = int(rng.integers(2, 7))
    if rng.random() < 0.5:
        p1 = (int(rng.uniform(0, W) * _ONE), int(rng.uniform(0, H) * _ONE))
        p2 = (int(rng.uniform(0, W) * _ONE), int(rng.uniform(0, H) * _ONE))
        cv2.line(patch, p1, p2, 255, th, cv2.LINE_AA, _SHIFT)
    else:
        c = (int(rng.uniform(0, W) * _ONE), int(rng.uniform(0, H) * _ONE))
        r = int(rng.uniform(20, max(W, H)) * _ONE)
        a0 = rng.uniform(0, 360)
        cv2.ellipse(patch, c, (r, int(r * rng.uniform(0.5, 1))), rng.uniform(0, 180),
                    a0, a0 + rng.uniform(40, 160), 255, th, cv2.LINE_AA, _SHIFT)
    alpha = patch.astype(np.float32) / 255.0
    ys, xs = np.nonzero(patch)
    under = img[ys, xs].mean(axis=0) if len(ys) else np.zeros(3)
    return _composite(img, alpha, 0, 0, pick_colour(rng, under))


def make_scene(rng, size=320):
    """One scene: (img uint8 [H,W,3] RGB, boxes float32 [N,4] xyxy, classes int64 [N])."""
    h, w = (size, size) if np.isscalar(size) else (int(size[0]), int(size[1]))
    img = background(rng, h, w)
    n_max = max(1, int(round(MAX_OBJECTS * h * w / (320.0 * 320.0))))
    n = int(rng.integers(1, n_max + 1))
    objs = []      # dict(cls, mask (visible now, full frame), count (visible), full area)
    for _ in range(n):
        if min(h, w) < 2 * MIN_SIZE:
            break
        for _attempt in range(12):
            cls = int(rng.integers(len(CLASSES)))
            size_px = _sample_size(rng, h, w)
            aspect = float(math.exp(rng.uniform(-0.4, 0.4)))
            angle = float(rng.uniform(0, 360))
            cx = rng.uniform(0, w)
            cy = rng.uniform(0, h)
            blur = float(rng.uniform(0.3, 1.5)) if rng.random() < 0.3 else 0.0
            alpha, x0, y0 = shape_alpha(cls, (cx, cy), size_px, angle, aspect, blur)
            full = int(np.count_nonzero(alpha >= 0.5))
            a, sy, sx = _clip(alpha, x0, y0, h, w)
            if a is None or full < 1:
                continue
            local = a >= 0.5
            count = int(np.count_nonzero(local))
            if count < MIN_VISIBLE * full:
                continue        # mostly outside the frame
            overlaps = [int(np.count_nonzero(o['mask'][sy, sx] & local)) for o in objs]
            if any(o['count'] - ov < MIN_VISIBLE * o['full'] for o, ov in zip(objs, overlaps)):
                continue        # would hide an earlier object
            colour = pick_colour(rng, img[sy, sx][local].mean(axis=0))
            shade = (tuple(rng.uniform(-0.4, 0.4, 2)) if rng.random() < 0.5 else None)
            mask = _composite(img, alpha, x0, y0, colour, shade, size_px)
            for o, ov in zip(objs, overlaps):
                if ov:
                    o['mask'][sy, sx] &= ~local
                    o['count'] -= ov
            objs.append(dict(cls=cls, mask=mask, count=count, full=full))
            break
    # Clutter strokes over everything: occlusion the placement rule does not control.
    for _ in range(int(rng.integers(0, 3)) if rng.random() < 0.35 else 0):
        stroke = _clutter(rng, img)
        for o in objs:
            o['mask'] &= ~stroke
    # Whole-image degradations.
    if rng.random() < 0.25:
        img = cv2.GaussianBlur(img, (0, 0), rng.uniform(0.4, 1.0))
    if rng.random() < 0.5:
        noise = _noise(rng, h, w, rng.uniform(2, 10))
        img = np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)
    boxes, classes = [], []
    for o in objs:
        if np.count_nonzero(o['mask']) < MIN_VISIBLE * o['full']:
            continue
        b = tight_box(o['mask'])
        if b is None or b[2] - b[0] < 2 or b[3] - b[1] < 2:
            continue
        boxes.append(b)
        classes.append(o['cls'])
    return (np.ascontiguousarray(img), np.array(boxes, np.float32).reshape(-1, 4),
            np.array(classes, np.int64))


def scene_rng(tag, index, seed=0):
    """The Generator of scene `index` in stream `tag` ('train', 'val', ...)."""
    tags = {'train': 1, 'val': 2, 'test': 3}
    return np.random.default_rng(np.random.SeedSequence([tags[tag], seed, index]))


if __name__ == '__main__':
    import argparse
    import time
    ap = argparse.ArgumentParser(description='Write a few scenes with their boxes drawn.')
    ap.add_argument('--n', type=int, default=8)
    ap.add_argument('--size', type=int, default=320)
    ap.add_argument('--out', default='/tmp/scenes')
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    t = time.time()
    for i in range(a.n):
        img, boxes, cls = make_scene(scene_rng('val', i), a.size)
        vis = cv2.cvtColor(img, cv2.COLOR_RGB2BGR)
        for b, c in zip(boxes, cls):
            cv2.rectangle(vis, (int(b[0]), int(b[1])), (int(b[2]) - 1, int(b[3]) - 1),
                          (0, 255, 0), 1)
            cv2.putText(vis, CLASSES[c], (int(b[0]), int(b[1]) - 2),
                        cv2.FONT_HERSHEY_PLAIN, 0.7, (0, 255, 0), 1)
        cv2.imwrite(os.path.join(a.out, '%03d.png' % i), vis)
    print('%.1f ms per scene' % ((time.time() - t) * 1000 / a.n))
