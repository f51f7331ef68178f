# SPDX-License-Identifier: LGPL-2.1-or-later
"""Build YOLOv7 ONNX models with random weights, shaped like the official exports.

The graphs follow, node for node, what the official repository's export.py writes with
torch.onnx.export at opset 12 for the fused deploy models (cfg/deploy/*.yaml): Conv with
bias (BatchNorm folded, RepConv merged), LeakyRelu(0.1) or SiLU as Sigmoid+Mul, MaxPool,
Resize nearest, Concat, the ReOrg Slice stem of the P6 models, the E-ELAN Add of E6E, and
the three head forms (raw, --grid, --grid --end2end --max-wh).  Every shape, scale, grid
and anchor tensor is a Constant node; weights are initializers.

The weights are random.  They are scaled layer by layer on a calibration image (the
uniform random input the tests feed, --input-seed, where the size allows) so that every
convolution's pre-activation has unit variance (the network neither explodes nor
vanishes), and the detection-head biases are chosen so that this image yields a few dozen
candidate boxes above the end2end score threshold, some of which NMS suppresses.  The models detect
nothing meaningful; they exist to compare an engine with ONNX Runtime.

Needs only onnx and numpy (Debian's python3-onnx and python3-numpy).
"""

import argparse
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 12
INT64_MAX = np.iinfo(np.int64).max

ANCHORS_TINY = [[10, 13, 16, 30, 33, 23], [30, 61, 62, 45, 59, 119],
                [116, 90, 156, 198, 373, 326]]
ANCHORS_P5 = [[12, 16, 19, 36, 40, 28], [36, 75, 76, 55, 72, 146],
              [142, 110, 192, 243, 459, 401]]
ANCHORS_P6 = [[19, 27, 44, 40, 38, 94], [96, 68, 86, 152, 180, 137],
              [140, 301, 303, 264, 238, 542], [436, 615, 739, 380, 925, 792]]

VARIANTS = ['tiny', 'tiny-silu', 'base', 'x', 'w6', 'e6', 'd6', 'e6e']

# End2end (ONNX Runtime NMS) settings that the tests and the official README use.
E2E_MAX_OBJ = 100
E2E_IOU = 0.65
E2E_SCORE = 0.35

# How many rows of a uniform random image should clear the end2end score threshold
# before NMS: enough to make the NMS comparison meaningful, well under max_obj.
TARGET_CANDIDATES = 40


# ---------------------------------------------------------------------------------------
# Architectures, as layer lists in the order (and with the numbering) of the deploy yamls.
# Each layer is (inputs, module, args); inputs are absolute layer indices, -1 the image.
# ---------------------------------------------------------------------------------------

class Cfg:
    def __init__(self):
        self.layers = []

    def add(self, src, module, *args):
        self.layers.append((src if isinstance(src, list) else [src], module, args))
        return len(self.layers) - 1

    def conv(self, src, c, k=1, s=1):
        return self.add(src, 'Conv', c, k, s)

    def repconv(self, src, c):
        # Deployed RepConv is a single 3x3 convolution with bias plus the activation.
        return self.add(src, 'RepConv', c, 3, 1)

    def concat(self, srcs):
        return self.add(srcs, 'Concat')

    def mp(self, src):
        return self.add(src, 'MP')

    def sp(self, src, k):
        return self.add(src, 'SP', k)

    def up(self, src):
        return self.add(src, 'Upsample')

    def elan(self, src, c, cm, n3, mode, out):
        """ELAN block: two 1x1 branches, a chain of n3 3x3 convs on the second, concat.

        mode 'all' concatenates every conv of the chain (head blocks, tiny); 'alt' every
        other one counted from the last (backbone blocks), then the two 1x1 branches.
        """
        a = self.conv(src, c, 1, 1)
        b = self.conv(src, c, 1, 1)
        chain, t = [], b
        for _ in range(n3):
            t = self.conv(t, cm, 3, 1)
            chain.append(t)
        picked = chain[::-1] if mode == 'all' else chain[::-2]
        cat = self.concat(picked + [b, a])
        return self.conv(cat, out, 1, 1)

    def eelan(self, src, c, cm, n3, mode, out):
        """E-ELAN: two ELAN blocks on the same input, summed (yaml 'Shortcut')."""
        e1 = self.elan(src, c, cm, n3, mode, out)
        e2 = self.elan(src, c, cm, n3, mode, out)
        return self.add([e2, e1], 'Shortcut')

    def mpconv(self, src, c, extra=None):
        """Downsampling block of yolov7/yolov7x: MaxPool branch and strided-conv branch."""
        m = self.mp(src)
        c1 = self.conv(m, c, 1, 1)
        c2 = self.conv(src, c, 1, 1)
        c3 = self.conv(c2, c, 3, 2)
        return self.concat([c3, c1] + ([extra] if extra is not None else []))


def cfg_tiny():
    g = Cfg()
    x = g.conv(-1, 32, 3, 2)
    x = g.conv(x, 64, 3, 2)
    p2 = g.elan(x, 32, 32, 2, 'all', 64)
    p3 = g.elan(g.mp(p2), 64, 64, 2, 'all', 128)
    p4 = g.elan(g.mp(p3), 128, 128, 2, 'all', 256)
    p5 = g.elan(g.mp(p4), 256, 256, 2, 'all', 512)
    assert (p2, p3, p4, p5) == (7, 14, 21, 28)
    # SPP-like block of the tiny head.
    a = g.conv(p5, 256, 1, 1)
    b = g.conv(p5, 256, 1, 1)
    s5 = g.sp(b, 5)
    s9 = g.sp(b, 9)
    s13 = g.sp(b, 13)
    t = g.conv(g.concat([s13, s9, s5, b]), 256, 1, 1)
    h37 = g.conv(g.concat([t, a]), 256, 1, 1)
    u = g.up(g.conv(h37, 128, 1, 1))
    h47 = g.elan(g.concat([g.conv(p4, 128, 1, 1), u]), 64, 64, 2, 'all', 128)
    u = g.up(g.conv(h47, 64, 1, 1))
    h57 = g.elan(g.concat([g.conv(p3, 64, 1, 1), u]), 32, 32, 2, 'all', 64)
    d = g.concat([g.conv(h57, 128, 3, 2), h47])
    h65 = g.elan(d, 64, 64, 2, 'all', 128)
    d = g.concat([g.conv(h65, 256, 3, 2), h37])
    h73 = g.elan(d, 128, 128, 2, 'all', 256)
    assert (h37, h47, h57, h65, h73) == (37, 47, 57, 65, 73)
    o = [g.conv(h57, 128, 3, 1), g.conv(h65, 256, 3, 1), g.conv(h73, 512, 3, 1)]
    det = g.add(o, 'Detect')
    assert det == 77
    return g.layers


def cfg_base():
    g = Cfg()
    x = g.conv(-1, 32, 3, 1)
    x = g.conv(x, 64, 3, 2)
    x = g.conv(x, 64, 3, 1)
    x = g.conv(x, 128, 3, 2)
    b11 = g.elan(x, 64, 64, 4, 'alt', 256)
    b24 = g.elan(g.mpconv(b11, 128), 128, 128, 4, 'alt', 512)
    b37 = g.elan(g.mpconv(b24, 256), 256, 256, 4, 'alt', 1024)
    b50 = g.elan(g.mpconv(b37, 512), 256, 256, 4, 'alt', 1024)
    assert (b11, b24, b37, b50) == (11, 24, 37, 50)
    sp = g.add(b50, 'SPPCSPC', 512)
    u = g.up(g.conv(sp, 256, 1, 1))
    h63 = g.elan(g.concat([g.conv(b37, 256, 1, 1), u]), 256, 128, 4, 'all', 256)
    u = g.up(g.conv(h63, 128, 1, 1))
    h75 = g.elan(g.concat([g.conv(b24, 128, 1, 1), u]), 128, 64, 4, 'all', 128)
    h88 = g.elan(g.mpconv(h75, 128, h63), 256, 128, 4, 'all', 256)
    h101 = g.elan(g.mpconv(h88, 256, sp), 512, 256, 4, 'all', 512)
    assert (sp, h63, h75, h88, h101) == (51, 63, 75, 88, 101)
    o = [g.repconv(h75, 256), g.repconv(h88, 512), g.repconv(h101, 1024)]
    det = g.add(o, 'Detect')
    assert det == 105
    return g.layers


def cfg_x():
    g = Cfg()
    x = g.conv(-1, 40, 3, 1)
    x = g.conv(x, 80, 3, 2)
    x = g.conv(x, 80, 3, 1)
    x = g.conv(x, 160, 3, 2)
    b13 = g.elan(x, 64, 64, 6, 'alt', 320)
    b28 = g.elan(g.mpconv(b13, 160), 128, 128, 6, 'alt', 640)
    b43 = g.elan(g.mpconv(b28, 320), 256, 256, 6, 'alt', 1280)
    b58 = g.elan(g.mpconv(b43, 640), 256, 256, 6, 'alt', 1280)
    assert (b13, b28, b43, b58) == (13, 28, 43, 58)
    sp = g.add(b58, 'SPPCSPC', 640)
    u = g.up(g.conv(sp, 320, 1, 1))
    h73 = g.elan(g.concat([g.conv(b43, 320, 1, 1), u]), 256, 256, 6, 'alt', 320)
    u = g.up(g.conv(h73, 160, 1, 1))
    h87 = g.elan(g.concat([g.conv(b28, 160, 1, 1), u]), 128, 128, 6, 'alt', 160)
    h102 = g.elan(g.mpconv(h87, 160, h73), 256, 256, 6, 'alt', 320)
    h117 = g.elan(g.mpconv(h102, 320, sp), 512, 512, 6, 'alt', 640)
    assert (sp, h73, h87, h102, h117) == (59, 73, 87, 102, 117)
    o = [g.conv(h87, 320, 3, 1), g.conv(h102, 640, 3, 1), g.conv(h117, 1280, 3, 1)]
    det = g.add(o, 'Detect')
    assert det == 121
    return g.layers


def cfg_p6(variant):
    """yolov7-w6, -e6, -d6, -e6e: ReOrg stem, four strides, four heads."""
    g = Cfg()
    if variant == 'w6':
        stem, n3 = 64, 4
        down = [128, 256, 512, 768, 1024]
        bb = [64, 128, 256, 384, 512]
        head_in = [384, 256, 128]  # lateral 1x1 widths P5, P4, P3
        head_c = [384, 256, 128]   # ELAN branch widths P5, P4, P3
        pan_c = [256, 384, 512]    # ELAN branch widths on the way down P4, P5, P6
        outs = [256, 512, 768, 1024]
        sppc = 512
    elif variant in ('e6', 'e6e'):
        stem, n3 = 80, 6
        down = [160, 320, 640, 960, 1280]
        bb = [64, 128, 256, 384, 512]
        head_in = [480, 320, 160]
        head_c = [384, 256, 128]
        pan_c = [256, 384, 512]
        outs = [320, 640, 960, 1280]
        sppc = 640
    elif variant == 'd6':
        stem, n3 = 96, 8
        down = [192, 384, 768, 1152, 1536]
        bb = [64, 128, 256, 384, 512]
        head_in = [576, 384, 192]
        head_c = [384, 256, 128]
        pan_c = [256, 384, 512]
        outs = [384, 768, 1152, 1536]
        sppc = 768
    else:
        raise ValueError(variant)
    block = g.eelan if variant == 'e6e' else g.elan
    use_downc = variant != 'w6'

    def downsample(src, c):
        if use_downc:
            return g.add(src, 'DownC', c)
        return g.conv(src, c, 3, 2)

    x = g.add(-1, 'ReOrg')
    x = g.conv(x, stem, 3, 1)
    feats = []
    for i in range(5):
        x = downsample(x, down[i])
        x = block(x, bb[i], bb[i], n3, 'alt', down[i])
        feats.append(x)
    p3, p4, p5, p6 = feats[1], feats[2], feats[3], feats[4]
    sp = g.add(p6, 'SPPCSPC', sppc)
    # Top-down path.
    u = g.up(g.conv(sp, head_in[0], 1, 1))
    h5 = block(g.concat([g.conv(p5, head_in[0], 1, 1), u]), head_c[0], head_c[0] // 2, n3,
               'all', head_in[0])
    u = g.up(g.conv(h5, head_in[1], 1, 1))
    h4 = block(g.concat([g.conv(p4, head_in[1], 1, 1), u]), head_c[1], head_c[1] // 2, n3,
               'all', head_in[1])
    u = g.up(g.conv(h4, head_in[2], 1, 1))
    h3 = block(g.concat([g.conv(p3, head_in[2], 1, 1), u]), head_c[2], head_c[2] // 2, n3,
               'all', head_in[2])
    # Bottom-up path.
    n4 = block(g.concat([downsample(h3, head_in[1]), h4]), pan_c[0], pan_c[0] // 2, n3,
               'all', head_in[1])
    n5 = block(g.concat([downsample(n4, head_in[0]), h5]), pan_c[1], pan_c[1] // 2, n3,
               'all', head_in[0])
    n6 = block(g.concat([downsample(n5, sppc), sp]), pan_c[2], pan_c[2] // 2, n3,
               'all', sppc)
    o = [g.conv(h3, outs[0], 3, 1), g.conv(n4, outs[1], 3, 1), g.conv(n5, outs[2], 3, 1),
         g.conv(n6, outs[3], 3, 1)]
    det = g.add(o, 'Detect')
    expect = {'w6': (46, 47, 118), 'e6': (56, 57, 140), 'd6': (66, 67, 162),
              'e6e': (111, 112, 261)}[variant]
    assert (p6, sp, det) == expect, (variant, p6, sp, det)
    return g.layers


def architecture(variant):
    """(layers, anchors, strides, activation) of a deploy model."""
    if variant in ('tiny', 'tiny-silu'):
        return (cfg_tiny(), ANCHORS_TINY, [8, 16, 32],
                'leaky' if variant == 'tiny' else 'silu')
    if variant == 'base':
        return cfg_base(), ANCHORS_P5, [8, 16, 32], 'silu'
    if variant == 'x':
        return cfg_x(), ANCHORS_P5, [8, 16, 32], 'silu'
    return cfg_p6(variant), ANCHORS_P6, [8, 16, 32, 64], 'silu'


# ---------------------------------------------------------------------------------------
# Plain numpy versions of the backbone ops, run on a small calibration image so that the
# random weights can be scaled to keep activations at unit variance.
# ---------------------------------------------------------------------------------------

def np_conv(x, w, stride, pad):
    c, h, wd = x.shape
    co, ci, k, _ = w.shape
    if k == 1 and stride == 1 and pad == 0:
        return (w.reshape(co, ci) @ x.reshape(c, -1)).reshape(co, h, wd)
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad)))
    win = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(1, 2))
    win = win[:, ::stride, ::stride]
    ho, wo = win.shape[1], win.shape[2]
    cols = np.ascontiguousarray(win.transpose(0, 3, 4, 1, 2)).reshape(c * k * k, ho * wo)
    return (w.reshape(co, -1) @ cols).reshape(co, ho, wo)


def np_maxpool(x, k, stride, pad):
    xp = np.pad(x, ((0, 0), (pad, pad), (pad, pad)), constant_values=-np.inf)
    win = np.lib.stride_tricks.sliding_window_view(xp, (k, k), axis=(1, 2))
    return win[:, ::stride, ::stride].max(axis=(3, 4))


def np_act(x, act):
    if act == 'leaky':
        return np.where(x > 0, x, np.float32(0.1) * x)
    return x / (1.0 + np.exp(-x))


def normalise(w, y, rng, shift, center):
    """Rescale kernel w, and choose its bias, from y = conv(x, w) on the calibration image.

    One scale for the whole layer gives the output unit variance.  Backbone layers are
    not centred channel by channel (as a folded BatchNorm would be): a random network
    built that way is chaotic, a tiny input change (float rounding) grows layer by layer,
    and on yolov7 it grew about 60 times more than without centring, enough to push an
    exact engine past the comparison tolerance.  The detection head is centred
    (center=True): uncentred, its channels differ mostly by a constant offset and one
    class would win at every position.  Returns the new kernel, the bias (shift sets the
    spread of its random part) and the biased output.
    """
    mean = y.mean(axis=(1, 2)) if center else np.zeros(y.shape[0], dtype=np.float32)
    sd = float((y - mean[:, None, None]).std())
    if not np.isfinite(sd) or sd < 1e-12:
        sd = 1.0
    b = -mean / sd + rng.standard_normal(len(mean)) * shift
    w = (w / np.float32(sd)).astype(np.float32)
    y = y / np.float32(sd) + b[:, None, None].astype(np.float32)
    return w, b.astype(np.float32), y.astype(np.float32)


def random_input(shape, seed):
    """The tests' input: uniform [0, 1) float32 from numpy's default generator."""
    return np.random.default_rng(seed).random(shape, dtype=np.float32)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


# ---------------------------------------------------------------------------------------
# ONNX graph builder.
# ---------------------------------------------------------------------------------------

class Graph:
    """Collects nodes and initializers, names values the way torch does (numbers)."""

    def __init__(self):
        self.nodes = []
        self.inits = []
        self.counter = 0

    def value(self):
        self.counter += 1
        return str(self.counter)

    def op(self, op_type, inputs, n_out=1, outputs=None, **attrs):
        outs = outputs or [self.value() for _ in range(n_out)]
        self.nodes.append(helper.make_node(op_type, inputs, outs,
                                           name='%s_%d' % (op_type, len(self.nodes)),
                                           **attrs))
        return outs[0] if n_out == 1 else outs

    def const(self, arr):
        """A Constant node (torch writes shapes, scales, grids and anchors this way)."""
        return self.op('Constant', [], value=numpy_helper.from_array(np.asarray(arr)))

    def i64(self, vals):
        return self.const(np.array(vals, dtype=np.int64))

    def f32(self, vals):
        return self.const(np.array(vals, dtype=np.float32))

    def init(self, name, arr):
        self.inits.append(numpy_helper.from_array(arr, name))
        return name


class Builder:
    def __init__(self, args):
        self.args = args
        self.rng = np.random.default_rng(args.seed)
        self.g = Graph()
        self.act = None
        self.wm = args.width_mult
        self.shadow = {}  # onnx value name -> calibration activation, for debugging

    def ch(self, c):
        return max(1, int(round(c * self.wm)))

    # -- layers; each returns (onnx value name, channels, calibration activation) --------

    def conv(self, x, prefix, cout, k, s, act=True):
        name, cin, xv = x
        w = self.rng.standard_normal((cout, cin, k, k), dtype=np.float32)
        # Scale to unit variance on the calibration image (see normalise), small bias.
        y = np_conv(xv, w, s, k // 2)
        w, b, y = normalise(w, y, self.rng, 0.1, center=False)
        wn = self.g.init(prefix + '.weight', w)
        bn = self.g.init(prefix + '.bias', b)
        out = self.g.op('Conv', [name, wn, bn], dilations=[1, 1], group=1,
                        kernel_shape=[k, k], pads=[k // 2] * 4, strides=[s, s])
        if act:
            out = self.activation(out)
            y = np_act(y, self.act)
        return out, cout, y.astype(np.float32)

    def activation(self, x):
        if self.act == 'leaky':
            return self.g.op('LeakyRelu', [x], alpha=0.1)
        sig = self.g.op('Sigmoid', [x])
        return self.g.op('Mul', [x, sig])

    def maxpool(self, x, k, s, p):
        name, c, xv = x
        out = self.g.op('MaxPool', [name], ceil_mode=0, kernel_shape=[k, k], pads=[p] * 4,
                        strides=[s, s])
        return out, c, np_maxpool(xv, k, s, p)

    def concat(self, xs):
        out = self.g.op('Concat', [x[0] for x in xs], axis=1)
        return out, sum(x[1] for x in xs), np.concatenate([x[2] for x in xs], axis=0)

    def upsample(self, x):
        name, c, xv = x
        roi = self.g.f32(np.zeros(0))
        scales = self.g.f32([1, 1, 2, 2])
        out = self.g.op('Resize', [name, roi, scales], coordinate_transformation_mode='asymmetric',
                        cubic_coeff_a=-0.75, mode='nearest', nearest_mode='floor')
        return out, c, xv.repeat(2, axis=1).repeat(2, axis=2)

    def reorg(self, x):
        """Space-to-depth as torch writes x[..., a::2, b::2]: Slice rows, then columns."""
        name, c, xv = x
        parts, vals = [], []
        for r0, c0 in ((0, 0), (1, 0), (0, 1), (1, 1)):
            t = self.g.op('Slice', [name, self.g.i64([r0]), self.g.i64([INT64_MAX]),
                                    self.g.i64([2]), self.g.i64([2])])
            t = self.g.op('Slice', [t, self.g.i64([c0]), self.g.i64([INT64_MAX]),
                                    self.g.i64([3]), self.g.i64([2])])
            parts.append(t)
            vals.append(xv[:, r0::2, c0::2])
        out = self.g.op('Concat', parts, axis=1)
        return out, 4 * c, np.concatenate(vals, axis=0)

    def add(self, a, b):
        out = self.g.op('Add', [a[0], b[0]])
        return out, a[1], a[2] + b[2]

    def sppcspc(self, x, p, c2):
        c_ = self.ch(c2)
        x1 = self.conv(x, p + '.cv1.conv', c_, 1, 1)
        x1 = self.conv(x1, p + '.cv3.conv', c_, 3, 1)
        x1 = self.conv(x1, p + '.cv4.conv', c_, 1, 1)
        pools = [self.maxpool(x1, k, 1, k // 2) for k in (5, 9, 13)]
        y1 = self.conv(self.concat([x1] + pools), p + '.cv5.conv', c_, 1, 1)
        y1 = self.conv(y1, p + '.cv6.conv', c_, 3, 1)
        y2 = self.conv(x, p + '.cv2.conv', c_, 1, 1)
        return self.conv(self.concat([y1, y2]), p + '.cv7.conv', c_, 1, 1)

    def downc(self, x, p, c2):
        half = max(1, self.ch(c2) // 2)
        a = self.conv(x, p + '.cv1.conv', x[1], 1, 1)
        a = self.conv(a, p + '.cv2.conv', half, 3, 2)
        m = self.maxpool(x, 2, 2, 0)
        b = self.conv(m, p + '.cv3.conv', half, 1, 1)
        return self.concat([a, b])

    # -- whole network --------------------------------------------------------------

    def backbone(self, layers, image):
        """Build every layer but Detect; return the Detect inputs."""
        vals = {}
        inp = image
        for i, (src, module, margs) in enumerate(layers):
            ins = [inp if j == -1 else vals[j] for j in src]
            p = 'model.%d' % i
            if module == 'Conv':
                c, k, s = margs
                v = self.conv(ins[0], p + '.conv', self.ch(c), k, s)
            elif module == 'RepConv':
                c, k, s = margs
                v = self.conv(ins[0], p + '.rbr_reparam', self.ch(c), k, s)
            elif module == 'Concat':
                v = self.concat(ins)
            elif module == 'MP':
                v = self.maxpool(ins[0], 2, 2, 0)
            elif module == 'SP':
                v = self.maxpool(ins[0], margs[0], 1, margs[0] // 2)
            elif module == 'Upsample':
                v = self.upsample(ins[0])
            elif module == 'ReOrg':
                v = self.reorg(ins[0])
            elif module == 'Shortcut':
                v = self.add(ins[0], ins[1])
            elif module == 'SPPCSPC':
                v = self.sppcspc(ins[0], p, margs[0])
            elif module == 'DownC':
                v = self.downc(ins[0], p, margs[0])
            elif module == 'Detect':
                return i, ins
            else:
                raise ValueError(module)
            vals[i] = v
            self.shadow[v[0]] = v[2]
        raise ValueError('no Detect layer')

    def head_convs(self, det_index, ins, nc, anchors):
        """The Detect 1x1 convs, with weights and biases chosen so that NMS has work.

        A random network on a noise image gives scattered, unrelated candidates, and NMS
        would then suppress nothing.  So the three anchors of a cell are made to agree:
        their objectness and class rows are strongly correlated (not equal: equal scores
        would make the NMS order a coin toss), their box logits are damped, and the wh
        biases bring all three anchors of a head to about the same box size.  A cell that
        clears the threshold thus tends to give two or three same-class boxes that
        overlap past the IoU threshold, of which NMS keeps one.
        """
        no = nc + 5
        rho = 0.98
        damp = np.ones((3, no), dtype=np.float32)
        damp[:, 0:4] = 0.3
        damp = damp.reshape(-1)
        ws, bs, logits = [], [], []
        for x in ins:
            name, cin, xv = x
            shared = self.rng.standard_normal((1, no, cin), dtype=np.float32)
            own = self.rng.standard_normal((3, no, cin), dtype=np.float32)
            w = (rho * shared + np.float32(np.sqrt(1 - rho * rho)) * own)
            w = w.reshape(3 * no, cin, 1, 1)
            y = np_conv(xv, w, 1, 0)
            w, b, y = normalise(w, y, self.rng, 0.0, center=True)
            w *= damp[:, None, None, None]
            b *= damp
            y *= damp[:, None, None]
            bs.append(b)  # the centring bias; the design biases below add to it
            ws.append(w)
            logits.append(y.reshape(3, no, -1).transpose(0, 2, 1).reshape(-1, no))
        self.calib_logits = logits  # kept for debugging, like self.shadow
        lg = np.concatenate(logits, axis=0)
        # Class logits centred below zero so that the best class is confident but not
        # certain.  The objectness bias is picked from the calibration rows so that about
        # TARGET_CANDIDATES rows of the real image size clear the score threshold.
        cls_bias = -1.0
        if nc == 1:
            best = np.ones(lg.shape[0])
        else:
            best = sigmoid(lg[:, 5:] + cls_bias).max(axis=1)
        with np.errstate(divide='ignore', invalid='ignore'):
            ratio = np.clip(E2E_SCORE / best, 0, 1 - 1e-7)
            need = np.log(ratio / (1 - ratio)) - lg[:, 4]
        need = np.sort(np.where(best > E2E_SCORE, need, np.inf))
        # Rows whose need lies below the bias clear the threshold.  Put the bias in the
        # widest gap between neighbouring needs near the target count, so that no row
        # sits within float noise of the threshold on the calibration (= test) image.
        n = len(need)
        target = TARGET_CANDIDATES * n / float(self.rows)
        lo = min(max(1, int(target * 0.75)), n - 1)
        hi = min(n, max(lo + 1, int(target * 1.25) + 1))
        k = max(range(lo, hi), key=lambda j: need[j] - need[j - 1])
        obj_bias = float(0.5 * (need[k - 1] + need[k]))
        if not np.isfinite(obj_bias):
            # Fewer rows can pass than wanted: let all that can pass, pass.
            obj_bias = float(need[k - 1]) + 1.0 if np.isfinite(need[k - 1]) else 0.0
        outs = []
        for i, (x, w, b0) in enumerate(zip(ins, ws, bs)):
            anc = np.array(anchors[i], dtype=np.float64).reshape(3, 2)
            # wh = (2 * sigmoid(t))^2 * anchor: pick t so every anchor gives size ~S.
            size = 1.2 * anc.mean()
            sig = np.clip(np.sqrt(size / (4.0 * anc)), 0.05, 0.95)
            b = np.zeros((3, no), dtype=np.float32)
            b[:, 0:2] = (self.rng.standard_normal((3, 2)) * 0.1).astype(np.float32)
            b[:, 2:4] = np.log(sig / (1 - sig))
            b[:, 4] = obj_bias
            b[:, 5:] = cls_bias
            b = b.reshape(-1) + b0
            p = 'model.%d.m.%d' % (det_index, i)
            wn = self.g.init(p + '.weight', w)
            bn = self.g.init(p + '.bias', b.astype(np.float32))
            outs.append(self.g.op('Conv', [x[0], wn, bn], dilations=[1, 1], group=1,
                                  kernel_shape=[1, 1], pads=[0, 0, 0, 0], strides=[1, 1]))
        return outs

    def batch_shape(self, t, rest):
        """Reshape target: a Constant, or (dynamic batch) Shape->Gather->Unsqueeze->Concat."""
        g = self.g
        if not self.args.dynamic_batch:
            return g.i64([self.args.batch] + rest)
        shp = g.op('Shape', [t])
        bs = g.op('Gather', [shp, g.const(np.array(0, dtype=np.int64))], axis=0)
        u = g.op('Unsqueeze', [bs], axes=[0])
        return g.op('Concat', [u] + [g.i64([r]) for r in rest], axis=0)

    def build(self):
        a = self.args
        layers, anchors, strides, self.act = architecture(a.variant)
        H, W = a.img
        ms = strides[-1]
        if H % ms or W % ms:
            sys.exit('image size %dx%d must be a multiple of %d' % (H, W, ms))
        nc, no = a.nc, a.nc + 5
        self.rows = 3 * sum((H // s) * (W // s) for s in strides)
        # Calibration image: uniform [0, 1) like the test inputs, at the real size where
        # that is cheap (statistics of the deep layers depend on the map size: the 13x13
        # pools see the whole map of a small image), else shrunk to about 320x320.
        image = ('images', 3, self.calibration_image(H, W, ms))
        det_index, ins = self.backbone(layers, image)
        convs = self.head_convs(det_index, ins, nc, anchors)

        g = self.g
        raw, decoded = [], []
        for i, (t, s) in enumerate(zip(convs, strides)):
            ny, nx = H // s, W // s
            shape = self.batch_shape(t, [3, no, ny, nx])
            r = g.op('Reshape', [t, shape])
            if a.form == 'raw':
                name = 'output' if i == 0 else None
                raw.append(g.op('Transpose', [r], perm=[0, 1, 3, 4, 2],
                                outputs=[name] if name else None))
                continue
            tr = g.op('Transpose', [r], perm=[0, 1, 3, 4, 2])
            y = g.op('Sigmoid', [tr])
            xy, wh, conf = g.op('Split', [y], n_out=3, axis=4, split=[2, 2, nc + 1])
            yv, xv = np.meshgrid(np.arange(ny), np.arange(nx), indexing='ij')
            grid = np.stack((xv, yv), 2).reshape(1, 1, ny, nx, 2).astype(np.float32)
            xy = g.op('Mul', [xy, g.const(np.array(2.0 * s, dtype=np.float32))])
            xy = g.op('Add', [xy, g.const((np.float32(s) * (grid - np.float32(0.5)))
                                          .astype(np.float32))])
            wh = g.op('Pow', [wh, g.const(np.array(2.0, dtype=np.float32))])
            anc = np.array(anchors[i], dtype=np.float32).reshape(1, 3, 1, 1, 2)
            wh = g.op('Mul', [wh, g.const(4.0 * anc)])
            y = g.op('Concat', [xy, wh, conf], axis=4)
            shape = self.batch_shape(t, [-1, no])
            decoded.append(g.op('Reshape', [y, shape]))

        B = 'batch' if a.dynamic_batch else a.batch
        if a.form == 'raw':
            outputs = [self.out_info(n, [B, 3, H // s, W // s, no], TensorProto.FLOAT)
                       for n, s in zip(raw, strides)]
        elif a.form == 'grid':
            g.op('Concat', decoded, axis=1, outputs=['output'])
            outputs = [self.out_info('output', [B, self.rows, no], TensorProto.FLOAT)]
        else:
            cat = g.op('Concat', decoded, axis=1)
            self.end2end(cat, nc)
            outputs = [helper.make_tensor_value_info('output', TensorProto.FLOAT,
                                                     ['num_dets', 7])]
        inp = helper.make_tensor_value_info('images', TensorProto.FLOAT, [B, 3, H, W])
        graph = helper.make_graph(g.nodes, 'main_graph', [inp], outputs, g.inits)
        model = helper.make_model(graph, producer_name='make_yolov7.py',
                                  opset_imports=[helper.make_opsetid('', OPSET)])
        model.ir_version = 7
        return model

    def calibration_image(self, H, W, ms):
        """The image the weights are calibrated on: the test input itself where cheap.

        A random network's per-channel offsets differ a little from image to image, and
        the head turns that into a shift of every score; calibrating on the very image
        the tests feed (random_input with --input-seed) makes the detection count land
        where it was aimed.  Large sizes are calibrated on a smaller random image (the
        deep layers' statistics depend on the map size, so that is only approximate).
        """
        seed = self.args.input_seed
        if H * W <= 320 * 320:
            return random_input((1, 3, H, W), seed)[0]
        ch_, cw_ = H, W
        while ch_ * cw_ > 320 * 320 and ch_ > ms and cw_ > ms:
            ch_ = max(ms, (ch_ // 2) // ms * ms)
            cw_ = max(ms, (cw_ // 2) // ms * ms)
        return random_input((1, 3, ch_, cw_), seed)[0]

    def out_info(self, name, dims, elem):
        if self.args.dynamic_batch:
            # With dynamic axes torch leaves every output dim symbolic.
            dims = ['batch'] + ['%s_dim_%d' % (name, i) for i in range(1, len(dims))]
        return helper.make_tensor_value_info(name, elem, dims)

    def end2end(self, x, nc):
        """The ONNX_ORT tail of the official End2End wrapper."""
        g = self.g

        def sl(t, start, end):
            return g.op('Slice', [t, g.i64([start]), g.i64([end]), g.i64([2]), g.i64([1])])

        boxes = sl(x, 0, 4)
        conf = sl(x, 4, 5)
        if nc == 1:
            scores = conf  # one-class models use objectness alone
        else:
            scores = g.op('Mul', [sl(x, 5, INT64_MAX), conf])
        cm = np.array([[1, 0, 1, 0], [0, 1, 0, 1], [-0.5, 0, 0.5, 0], [0, -0.5, 0, 0.5]],
                      dtype=np.float32)
        boxes = g.op('MatMul', [boxes, g.const(cm)])
        max_score = g.op('ReduceMax', [scores], axes=[2], keepdims=1)
        category = g.op('ArgMax', [scores], axis=2, keepdims=1)
        dis = g.op('Mul', [g.op('Cast', [category], to=TensorProto.FLOAT),
                           g.const(np.array(float(self.args.max_wh), dtype=np.float32))])
        nmsbox = g.op('Add', [boxes, dis])
        score_t = g.op('Transpose', [max_score], perm=[0, 2, 1])
        sel = g.op('NonMaxSuppression', [nmsbox, score_t, g.i64([E2E_MAX_OBJ]),
                                         g.f32([E2E_IOU]), g.f32([E2E_SCORE])])
        X = g.op('Gather', [sel, g.const(np.array(0, dtype=np.int64))], axis=1)
        Y = g.op('Gather', [sel, g.const(np.array(2, dtype=np.int64))], axis=1)

        def pick(t, width, reshape):
            # t[X, Y, :] as torch exports two adjacent advanced indices: flatten the two
            # indexed dims and gather at X * dim1 + Y.
            d1 = g.op('Gather', [g.op('Shape', [t]), g.const(np.array(1, dtype=np.int64))],
                      axis=0)
            lin = g.op('Add', [g.op('Mul', [X, d1]), Y])
            if reshape:
                flat = g.op('Reshape', [t, g.i64([-1, width])])
            else:
                flat = g.op('Flatten', [t], axis=2)
            return g.op('Gather', [flat, lin], axis=0)

        sel_boxes = pick(boxes, 4, True)
        sel_cat = g.op('Cast', [pick(category, 1, False)], to=TensorProto.FLOAT)
        sel_score = pick(max_score, 1, False)
        xb = g.op('Cast', [g.op('Unsqueeze', [X], axes=[1])], to=TensorProto.FLOAT)
        g.op('Concat', [xb, sel_boxes, sel_cat, sel_score], axis=1, outputs=['output'])


def parse_img(s):
    parts = s.lower().split('x')
    if len(parts) == 1:
        return int(parts[0]), int(parts[0])
    if len(parts) == 2:
        return int(parts[0]), int(parts[1])
    raise argparse.ArgumentTypeError('--img takes N or HxW')


def param_count(layers_variant, nc=80):
    """Parameters of a full-width deploy model, for checking the layer lists."""
    a = argparse.Namespace(variant=layers_variant, form='raw', img=(128, 128), batch=1,
                           dynamic_batch=False, nc=nc, width_mult=1.0, max_wh=640, seed=0,
                           input_seed=1)
    m = Builder(a).build()
    return sum(int(np.prod(t.dims)) for t in m.graph.initializer)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--variant', choices=VARIANTS, required=True)
    ap.add_argument('--form', choices=['raw', 'grid', 'end2end'], required=True)
    ap.add_argument('--img', type=parse_img, default=(640, 640), help='N or HxW')
    ap.add_argument('--batch', type=int, default=1)
    ap.add_argument('--dynamic-batch', action='store_true')
    ap.add_argument('--nc', type=int, default=80)
    ap.add_argument('--width-mult', type=float, default=1.0)
    ap.add_argument('--max-wh', type=int, default=640)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--input-seed', type=int, default=1,
                    help='seed of the random input the weights are calibrated on')
    ap.add_argument('--write-input', metavar='NPY',
                    help='also write that input, [batch,3,H,W], as a .npy file')
    ap.add_argument('--params', action='store_true',
                    help='print the full-width parameter count of the variant and exit')
    ap.add_argument('-o', '--output')
    a = ap.parse_args(argv)
    if a.params:
        print('%s %.2f M' % (a.variant, param_count(a.variant, a.nc) / 1e6))
        return 0
    if not a.output:
        ap.error('-o is required')
    if a.nc < 1 or a.batch < 1 or a.width_mult <= 0:
        ap.error('--nc, --batch and --width-mult must be positive')
    model = Builder(a).build()
    onnx.checker.check_model(model)
    onnx.save(model, a.output)
    if a.write_input:
        np.save(a.write_input, random_input((a.batch, 3) + tuple(a.img), a.input_seed))
    return 0


if __name__ == '__main__':
    sys.exit(main())
