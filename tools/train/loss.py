# SPDX-License-Identifier: LGPL-2.1-or-later
"""The YOLOv7 training loss (ComputeLossOTA), written from the paper and the official hyps.

For each image:
  1. Candidates ("find 3 positives"): on every level, each ground-truth box is tried with
     the 3 anchors of the level; an anchor qualifies when the width and height ratios
     between box and anchor are all below anchor_t (4.0).  For a qualifying pair the cell
     holding the box centre is a candidate, plus the two neighbouring cells nearest to the
     centre (left or right, up or down: the ones whose centre lies within half a cell of
     it), as the decode (xy = 2*sigmoid - 0.5 + cell) can reach the centre from them.
  2. SimOTA-style dynamic-k matching over all candidates of the image (all levels):
     cost[g, c] = BCE(sqrt(sigmoid(cls_c) * sigmoid(obj_c)), onehot(g)) summed over the
     classes + 3 * -log(IoU(g, box_c)); gt g gets the k_g lowest-cost candidates, with
     k_g = max(1, int(sum of its 10 best IoUs)); a candidate claimed by several gts keeps
     the one of least cost.
  3. Losses on the matched candidates: box = 1 - CIoU (mean per level), objectness = BCE
     against the (detached, clamped) CIoU at matched cells and 0 elsewhere (mean over all
     cells, level weights 4.0, 1.0, 0.4), class = BCE with one-hot targets (mean).
     Total = (box * 0.05 + obj * 1.0 * (img/640)^2 + cls * 0.5 * nc/80) * batch size, the
     weights of hyp.scratch.tiny.yaml as train.py scales them for 3 levels.

One deviation from the reference code: a candidate cell that several boxes propose is
counted once (the reference keeps duplicates, which double its weight).
"""

import math

import torch
import torch.nn.functional as F

NEIGHBOURS = torch.tensor([[0, 0], [1, 0], [0, 1], [-1, 0], [0, -1]], dtype=torch.float32)


def box_iou(a, b):
    """IoU matrix [len(a), len(b)] of xyxy boxes."""
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    lt = torch.max(a[:, None, :2], b[None, :, :2])
    rb = torch.min(a[:, None, 2:], b[None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(2)
    return inter / (area_a[:, None] + area_b[None] - inter + 1e-9)


def xywh_to_xyxy(b):
    return torch.cat([b[:, :2] - b[:, 2:] / 2, b[:, :2] + b[:, 2:] / 2], 1)


def ciou(p, t, eps=1e-7):
    """Complete IoU of matching rows of two xywh box sets."""
    p1, p2 = p[:, :2] - p[:, 2:] / 2, p[:, :2] + p[:, 2:] / 2
    t1, t2 = t[:, :2] - t[:, 2:] / 2, t[:, :2] + t[:, 2:] / 2
    inter = (torch.min(p2, t2) - torch.max(p1, t1)).clamp(min=0).prod(1)
    wp, hp = p[:, 2], p[:, 3] + eps
    wt, ht = t[:, 2], t[:, 3] + eps
    union = wp * hp + wt * ht - inter + eps
    iou = inter / union
    enclose = torch.max(p2, t2) - torch.min(p1, t1)
    c2 = (enclose ** 2).sum(1) + eps
    rho2 = ((p[:, :2] - t[:, :2]) ** 2).sum(1)
    v = (4 / math.pi ** 2) * (torch.atan(wt / ht) - torch.atan(wp / hp)) ** 2
    with torch.no_grad():
        alpha = v / (v - iou + (1 + eps))
    return iou - (rho2 / c2 + v * alpha)


class YoloLoss:
    def __init__(self, detect, img=320, box=0.05, obj=1.0, cls=0.5, anchor_t=4.0,
                 balance=(4.0, 1.0, 0.4)):
        self.nc = detect.nc
        self.na = detect.na
        self.nl = detect.nl
        self.strides = list(detect.strides)
        self.anchors = detect.anchors_px.detach().clone().cpu()       # [nl, na, 2] pixels
        scale = 3.0 / self.nl
        self.w_box = box * scale
        self.w_obj = obj * (img / 640.0) ** 2 * scale
        self.w_cls = cls * self.nc / 80.0 * scale
        self.anchor_t = anchor_t
        self.balance = balance

    # -- step 1 ---------------------------------------------------------------------
    def candidates(self, shapes, targets):
        """Per level: (image, anchor, gy, gx) of the candidate cells, deduplicated.

        targets: [M, 6] (image, class, cx, cy, w, h) in input pixels."""
        out = []
        for i, (ny, nx) in enumerate(shapes):
            s = self.strides[i]
            if len(targets) == 0:
                out.append(torch.zeros((0, 4), dtype=torch.long))
                continue
            anc = self.anchors[i] / s                                  # [na, 2] cells
            gxy = targets[:, 2:4] / s
            gwh = targets[:, 4:6] / s
            r = gwh[None] / anc[:, None]                               # [na, M, 2]
            ok = torch.max(r, 1 / r).max(2).values < self.anchor_t     # [na, M]
            a_idx, t_idx = ok.nonzero(as_tuple=True)
            g = gxy[t_idx]
            gi = torch.tensor([nx, ny], dtype=torch.float32) - g
            frac, ifrac = g % 1.0, gi % 1.0
            left, up = ((frac < 0.5) & (g > 1.0)).T
            right, down = ((ifrac < 0.5) & (gi > 1.0)).T
            use = torch.stack([torch.ones_like(left), left, up, right, down])  # [5, K]
            k5, kk = use.nonzero(as_tuple=True)
            cell = (g[kk] - NEIGHBOURS[k5] * 0.5).long()
            gx = cell[:, 0].clamp(0, nx - 1)
            gy = cell[:, 1].clamp(0, ny - 1)
            b = targets[t_idx[kk], 0].long()
            cand = torch.stack([b, a_idx[kk], gy, gx], 1)
            out.append(torch.unique(cand, dim=0))
        return out

    # -- step 2 ---------------------------------------------------------------------
    @torch.no_grad()
    def assign(self, preds, targets):
        """Per level: (cells [K, 4] image/anchor/gy/gx, matched target row [K])."""
        shapes = [p.shape[2:4] for p in preds]
        cands = self.candidates(shapes, targets)
        res_cells = [[] for _ in preds]
        res_tgt = [[] for _ in preds]
        if len(targets) == 0:
            return [(torch.zeros((0, 4), dtype=torch.long), torch.zeros(0, dtype=torch.long))
                    for _ in preds]
        bs = preds[0].shape[0]
        for b in range(bs):
            t_rows = (targets[:, 0] == b).nonzero(as_tuple=True)[0]
            if len(t_rows) == 0:
                continue
            tg = targets[t_rows]
            cells, level, boxes, logits = [], [], [], []
            for i, p in enumerate(preds):
                c = cands[i][cands[i][:, 0] == b]
                if len(c) == 0:
                    continue
                v = p[c[:, 0], c[:, 1], c[:, 2], c[:, 3]].float()          # [C, 5+nc]
                s = self.strides[i]
                grid = torch.stack([c[:, 3], c[:, 2]], 1).float()
                xy = (v[:, :2].sigmoid() * 2 - 0.5 + grid) * s
                wh = (v[:, 2:4].sigmoid() * 2) ** 2 * self.anchors[i][c[:, 1]]
                cells.append(c)
                level.append(torch.full((len(c),), i, dtype=torch.long))
                boxes.append(torch.cat([xy, wh], 1))
                logits.append(v[:, 4:])
            if not cells:
                continue
            cells = torch.cat(cells)
            level = torch.cat(level)
            pboxes = xywh_to_xyxy(torch.cat(boxes))
            logits = torch.cat(logits)
            G, C = len(tg), len(cells)
            iou = box_iou(xywh_to_xyxy(tg[:, 2:6]), pboxes)                 # [G, C]
            k = torch.topk(iou, min(10, C), dim=1).values.sum(1).int().clamp(min=1)
            y = (logits[:, 1:].sigmoid() * logits[:, :1].sigmoid()).sqrt()   # [C, nc]
            y = y.clamp(1e-6, 1 - 1e-6)
            onehot = F.one_hot(tg[:, 1].long(), self.nc).float()             # [G, nc]
            # BCE(y, onehot) summed over classes, for every (g, c) pair.
            log_y, log_1y = torch.log(y), torch.log(1 - y)
            cost_cls = -(onehot @ log_y.T + (1 - onehot) @ log_1y.T)         # [G, C]
            cost = cost_cls + 3.0 * -torch.log(iou + 1e-8)
            match = torch.zeros_like(cost, dtype=torch.bool)
            for g in range(G):
                idx = torch.topk(cost[g], int(k[g]), largest=False).indices
                match[g, idx] = True
            multi = match.sum(0) > 1
            if multi.any():
                best = cost[:, multi].argmin(0)
                match[:, multi] = False
                match[best, multi.nonzero(as_tuple=True)[0]] = True
            fg = match.any(0)
            gt_of = match[:, fg].float().argmax(0)
            sel_cells, sel_level, sel_t = cells[fg], level[fg], t_rows[gt_of]
            for i in range(len(preds)):
                m = sel_level == i
                if m.any():
                    res_cells[i].append(sel_cells[m])
                    res_tgt[i].append(sel_t[m])
        out = []
        for i in range(len(preds)):
            if res_cells[i]:
                out.append((torch.cat(res_cells[i]), torch.cat(res_tgt[i])))
            else:
                out.append((torch.zeros((0, 4), dtype=torch.long),
                            torch.zeros(0, dtype=torch.long)))
        return out

    # -- step 3 ---------------------------------------------------------------------
    def __call__(self, preds, targets):
        """preds: raw heads [B, na, H, W, 5+nc]; targets [M, 6] (image, class, cx, cy, w, h)
        in input pixels.  Returns (loss, tensor [box, obj, cls] for logging)."""
        dev = preds[0].device
        lbox = torch.zeros((), device=dev)
        lobj = torch.zeros((), device=dev)
        lcls = torch.zeros((), device=dev)
        matches = self.assign(preds, targets)
        n_pos = 0
        for i, p in enumerate(preds):
            cells, t = matches[i]
            tobj = torch.zeros(p.shape[:4], device=dev, dtype=p.dtype)
            if len(cells):
                n_pos += len(cells)
                b, a, gy, gx = cells.T
                v = p[b, a, gy, gx]
                s = self.strides[i]
                pxy = v[:, :2].sigmoid() * 2 - 0.5
                pwh = (v[:, 2:4].sigmoid() * 2) ** 2 * (self.anchors[i][a] / s)
                tb = targets[t, 2:6] / s
                txy = tb[:, :2] - torch.stack([gx, gy], 1).float()
                iou = ciou(torch.cat([pxy, pwh], 1), torch.cat([txy, tb[:, 2:]], 1))
                lbox = lbox + (1.0 - iou).mean()
                tobj[b, a, gy, gx] = iou.detach().clamp(0).to(tobj.dtype)
                if self.nc > 1:
                    tc = F.one_hot(targets[t, 1].long(), self.nc).to(v.dtype)
                    lcls = lcls + F.binary_cross_entropy_with_logits(v[:, 5:], tc)
            lobj = lobj + F.binary_cross_entropy_with_logits(p[..., 4], tobj) * self.balance[i]
        bs = preds[0].shape[0]
        lbox = lbox * self.w_box
        lobj = lobj * self.w_obj
        lcls = lcls * self.w_cls
        loss = (lbox + lobj + lcls) * bs
        return loss, torch.stack([lbox, lobj, lcls]).detach(), n_pos
