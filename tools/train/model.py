# SPDX-License-Identifier: LGPL-2.1-or-later
"""YOLOv7-tiny in PyTorch, written from the paper and the official yolov7-tiny.yaml.

Topology (layer numbers are those of cfg/deploy/yolov7-tiny.yaml; channel counts at
width 1.0, every count times --width and rounded, at least 1):

    0  Conv 32 3x3 s2           1  Conv 64 3x3 s2
    2-7    ELAN-tiny -> 64      8  MaxPool 2   9-14  ELAN-tiny -> 128  (P3, 14)
    15 MaxPool 2   16-21 ELAN-tiny -> 256 (P4, 21)
    22 MaxPool 2   23-28 ELAN-tiny -> 512 (P5, 28)
    29-37 SPPCSPC-tiny: two 1x1 256 branches, MaxPool 5/9/13 on the second,
          concat [13, 9, 5, branch], 1x1 256, concat with the first branch, 1x1 256
    38-47 1x1 128, upsample, lateral 1x1 128 on P4, concat, ELAN-tiny -> 128
    48-57 1x1 64,  upsample, lateral 1x1 64 on P3,  concat, ELAN-tiny -> 64
    58-65 Conv 128 3x3 s2, concat with 47, ELAN-tiny -> 128
    66-73 Conv 256 3x3 s2, concat with 37, ELAN-tiny -> 256
    74-76 Conv 128/256/512 3x3 on 57/65/73;  77 Detect (1x1 convs, 3 anchors a level)

ELAN-tiny(c, out): a = 1x1 c, b = 1x1 c (both on the input), c1 = 3x3 c on b,
c2 = 3x3 c on c1, concat [c2, c1, b, a], 1x1 out.  Conv = Conv2d (no bias) + BatchNorm
+ LeakyReLU(0.1).  Anchors (pixels): P3 10,13 16,30 33,23; P4 30,61 62,45 59,119;
P5 116,90 156,198 373,326.

Modes: training (forward returns the three raw heads [B,3,H,W,5+nc]), inference
(decoded rows [B,N,5+nc] in input pixels) and export (export=True on the Detect layer:
the official --grid graph: Sigmoid, Split, xy*2*stride + stride*(grid-0.5),
wh^2 * 4*anchors, Concat, Reshape [B,-1,5+nc], Concat of the levels).  fuse() folds every
BatchNorm into its convolution, as the official fuse() does before export.
"""

import math
import warnings

import numpy as np
import torch
import torch.nn as nn

ANCHORS = [[10, 13, 16, 30, 33, 23], [30, 61, 62, 45, 59, 119],
           [116, 90, 156, 198, 373, 326]]
STRIDES = [8, 16, 32]


class Conv(nn.Module):
    """Conv2d (no bias) + BatchNorm2d + LeakyReLU(0.1); after fuse() a biased Conv2d."""

    def __init__(self, c1, c2, k=1, s=1):
        super().__init__()
        self.conv = nn.Conv2d(c1, c2, k, s, k // 2, bias=False)
        self.bn = nn.BatchNorm2d(c2, eps=1e-3, momentum=0.03)
        self.act = nn.LeakyReLU(0.1, inplace=True)

    def forward(self, x):
        if self.bn is None:
            return self.act(self.conv(x))
        return self.act(self.bn(self.conv(x)))

    def fuse(self):
        """Fold the BatchNorm into the convolution (inference only)."""
        if self.bn is None:
            return
        w = self.conv.weight.detach()
        bn = self.bn
        scale = bn.weight.detach() / torch.sqrt(bn.running_var + bn.eps)
        fused = nn.Conv2d(self.conv.in_channels, self.conv.out_channels,
                          self.conv.kernel_size, self.conv.stride, self.conv.padding,
                          bias=True)
        fused.weight.data = w * scale.view(-1, 1, 1, 1)
        fused.bias.data = bn.bias.detach() - bn.running_mean * scale
        self.conv = fused
        self.bn = None


class ElanTiny(nn.Module):
    def __init__(self, c1, c, c2):
        super().__init__()
        self.cv1 = Conv(c1, c, 1)
        self.cv2 = Conv(c1, c, 1)
        self.cv3 = Conv(c, c, 3)
        self.cv4 = Conv(c, c, 3)
        self.cv5 = Conv(4 * c, c2, 1)

    def forward(self, x):
        a = self.cv1(x)
        b = self.cv2(x)
        c1 = self.cv3(b)
        c2 = self.cv4(c1)
        return self.cv5(torch.cat([c2, c1, b, a], 1))


class SppTiny(nn.Module):
    """The SPPCSPC-tiny block of the yolov7-tiny head (layers 29-37)."""

    def __init__(self, c1, c):
        super().__init__()
        self.cv1 = Conv(c1, c, 1)
        self.cv2 = Conv(c1, c, 1)
        self.pools = nn.ModuleList(nn.MaxPool2d(k, 1, k // 2) for k in (5, 9, 13))
        self.cv3 = Conv(4 * c, c, 1)
        self.cv4 = Conv(2 * c, c, 1)

    def forward(self, x):
        a = self.cv1(x)
        b = self.cv2(x)
        p5 = self.pools[0](b)
        p9 = self.pools[1](b)
        p13 = self.pools[2](b)
        t = self.cv3(torch.cat([p13, p9, p5, b], 1))
        return self.cv4(torch.cat([t, a], 1))


class Detect(nn.Module):
    def __init__(self, nc, chs, anchors=ANCHORS, strides=STRIDES):
        super().__init__()
        self.nc = nc
        self.no = nc + 5
        self.nl = len(anchors)
        self.na = len(anchors[0]) // 2
        self.export = False
        a = torch.tensor(anchors, dtype=torch.float32).view(self.nl, self.na, 2)
        self.register_buffer('anchors_px', a)                       # pixels
        self.register_buffer('stride', torch.tensor(strides, dtype=torch.float32))
        self.m = nn.ModuleList(nn.Conv2d(c, self.na * self.no, 1) for c in chs)
        self.strides = [float(v) for v in strides]              # plain copies, for tracing
        self.anchors_np = np.array(anchors, dtype=np.float32).reshape(self.nl, self.na, 2)

    def init_biases(self, img=640):
        """Prior biases as the official Detect._initialize_biases sets them (8 objects per
        640x640 image, class probability 0.6 / nc); idempotent."""
        for conv, s in zip(self.m, self.strides):
            b = conv.bias.view(self.na, -1)
            with torch.no_grad():
                b[:, :4] = 0.0
                b[:, 4] = math.log(8 / (img / s) ** 2)
                b[:, 5:] = math.log(0.6 / (self.nc - 0.99))

    def grid_terms(self, i, ny, nx):
        """Constants of level i: grid (1,1,ny,nx,2) as x,y cell indices, anchors (1,3,1,1,2).

        Built with numpy so that an ONNX trace records them as Constant nodes, as in the
        official export."""
        yv, xv = np.meshgrid(np.arange(ny), np.arange(nx), indexing='ij')
        grid = np.stack((xv, yv), 2).reshape(1, 1, ny, nx, 2).astype(np.float32)
        anc = self.anchors_np[i].reshape(1, self.na, 1, 1, 2)
        return grid, anc.astype(np.float32)

    def forward(self, xs):
        raw, z = [], []
        for i in range(self.nl):
            x = self.m[i](xs[i])
            bs, _, ny, nx = x.shape
            x = x.view(bs, self.na, self.no, ny, nx).permute(0, 1, 3, 4, 2).contiguous()
            raw.append(x)
            if self.training and not self.export:
                continue
            s = self.strides[i]
            grid, anc = self.grid_terms(i, ny, nx)
            y = x.sigmoid()
            if self.export:
                # The official --grid graph: every term below is one Constant node.
                xy, wh, conf = y.split((2, 2, self.nc + 1), 4)
                xy = xy * (2.0 * s) + torch.from_numpy(s * (grid - np.float32(0.5)))
                wh = wh ** 2 * torch.from_numpy(4 * anc)
                y = torch.cat((xy, wh, conf), 4)
            else:
                g = torch.from_numpy(grid).to(x.device)
                a = torch.from_numpy(anc).to(x.device)
                xy = (y[..., 0:2] * 2.0 - 0.5 + g) * s
                wh = (y[..., 2:4] * 2) ** 2 * a
                y = torch.cat((xy, wh, y[..., 4:]), 4)
            z.append(y.view(bs, -1, self.no))
        if self.training and not self.export:
            return raw
        if self.export:
            return torch.cat(z, 1)
        return torch.cat(z, 1), raw


class YoloV7Tiny(nn.Module):
    def __init__(self, nc, width=1.0):
        super().__init__()
        self.nc = nc
        self.width = width

        def ch(c):
            return max(1, int(round(c * width)))

        self.ch = ch
        self.b0 = Conv(3, ch(32), 3, 2)
        self.b1 = Conv(ch(32), ch(64), 3, 2)
        self.e2 = ElanTiny(ch(64), ch(32), ch(64))
        self.mp = nn.MaxPool2d(2, 2)
        self.e3 = ElanTiny(ch(64), ch(64), ch(128))       # P3 (layer 14)
        self.e4 = ElanTiny(ch(128), ch(128), ch(256))     # P4 (21)
        self.e5 = ElanTiny(ch(256), ch(256), ch(512))     # P5 (28)
        self.spp = SppTiny(ch(512), ch(256))              # 37
        self.h38 = Conv(ch(256), ch(128), 1)
        self.up = nn.Upsample(scale_factor=2, mode='nearest')
        self.h40 = Conv(ch(256), ch(128), 1)
        self.h47 = ElanTiny(ch(256), ch(64), ch(128))
        self.h48 = Conv(ch(128), ch(64), 1)
        self.h50 = Conv(ch(128), ch(64), 1)
        self.h57 = ElanTiny(ch(128), ch(32), ch(64))
        self.h58 = Conv(ch(64), ch(128), 3, 2)
        self.h65 = ElanTiny(ch(256), ch(64), ch(128))
        self.h66 = Conv(ch(128), ch(256), 3, 2)
        self.h73 = ElanTiny(ch(512), ch(128), ch(256))
        self.o74 = Conv(ch(64), ch(128), 3)
        self.o75 = Conv(ch(128), ch(256), 3)
        self.o76 = Conv(ch(256), ch(512), 3)
        self.detect = Detect(nc, [ch(128), ch(256), ch(512)])
        for m in self.modules():
            if isinstance(m, nn.Conv2d) and m.bias is None:
                nn.init.kaiming_uniform_(m.weight, a=math.sqrt(5))
        self.detect.init_biases()

    def forward(self, x):
        x = self.b1(self.b0(x))
        x = self.e2(x)
        p3 = self.e3(self.mp(x))
        p4 = self.e4(self.mp(p3))
        p5 = self.e5(self.mp(p4))
        h37 = self.spp(p5)
        u = self.up(self.h38(h37))
        h47 = self.h47(torch.cat([self.h40(p4), u], 1))
        u = self.up(self.h48(h47))
        h57 = self.h57(torch.cat([self.h50(p3), u], 1))
        h65 = self.h65(torch.cat([self.h58(h57), h47], 1))
        h73 = self.h73(torch.cat([self.h66(h65), h37], 1))
        return self.detect([self.o74(h57), self.o75(h65), self.o76(h73)])

    def fuse(self):
        for m in self.modules():
            if isinstance(m, Conv):
                m.fuse()
        return self


def build(nc, width=0.5):
    return YoloV7Tiny(nc, width)


def _undo_initializer_dedup(model):
    """torch.onnx (1.13) stores identical initializers once and reads the copies through
    Identity nodes; the official files have no Identity, so give each its own copy."""
    import onnx
    from onnx import numpy_helper
    g = model.graph
    inits = {t.name: t for t in g.initializer}
    keep = []
    for n in g.node:
        if n.op_type == 'Identity' and n.input[0] in inits:
            arr = numpy_helper.to_array(inits[n.input[0]])
            g.initializer.append(numpy_helper.from_array(arr, n.output[0]))
        else:
            keep.append(n)
    del g.node[:]
    g.node.extend(keep)
    onnx.checker.check_model(model)
    return model


def export_onnx(model, path, img=320):
    """Write the official --grid form: fused, opset 12, input images, output output."""
    import copy
    import io
    import onnx
    m = copy.deepcopy(model).float().eval().fuse()
    m.detect.export = True
    x = torch.zeros(1, 3, img, img)
    buf = io.BytesIO()
    with warnings.catch_warnings():
        # The grid sizes come from traced shapes; at a fixed input size they are constants.
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        torch.onnx.export(m, x, buf, opset_version=12, input_names=['images'],
                          output_names=['output'], do_constant_folding=True,
                          training=torch.onnx.TrainingMode.EVAL)
    proto = _undo_initializer_dedup(onnx.load_from_string(buf.getvalue()))
    onnx.save(proto, path)
    return path
