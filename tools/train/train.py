# SPDX-License-Identifier: LGPL-2.1-or-later
"""Train the demo model from scratch on generated scenes, on the CPU, in a fixed time.

    /usr/bin/python3 tools/train/train.py --out models/ [--minutes 75] [--img 320] [--seed 0]

Writes, in --out: shapes-yolov7-tiny.onnx (official --grid form, opset 12, BatchNorm
fused), shapes-yolov7-tiny.labels (one class name a line), shapes-yolov7-tiny.pt (EMA
weights, for eval.py), MODEL_CARD.md and train-log.txt.

Data: an endless stream of scenes.make_scene() images, sample i drawn from
scene_rng('train', i, seed); with probability --mosaic a sample is a mosaic: four scenes
generated at the sizes of the four quadrants around a random centre and tiled (objects
keep their exact pixel boxes).  A DataLoader worker generates while the model trains.
Model: YOLOv7-tiny (model.py) at --width; loss: loss.py (YOLOv7 OTA loss).  Optimiser
AdamW (or SGD) with linear warmup and a cosine decay over the wall-clock budget; EMA of the
weights.  Training stops when the budget minus the time kept for the final evaluation
(500 held-out scenes, scene_rng('val', i), through PyTorch) and the export runs out, so the
whole command stays within --minutes.
"""

import argparse
import datetime
import math
import os
import platform
import sys
import time

# Two cores shared by the training threads and a data worker: OpenMP threads that sleep
# when idle instead of spinning lose far less to the oversubscription.
os.environ.setdefault('OMP_WAIT_POLICY', 'PASSIVE')

import cv2  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import eval as ev  # noqa: E402
import loss as L  # noqa: E402
import model as M  # noqa: E402
import scenes  # noqa: E402

NAME = 'shapes-yolov7-tiny'


# ------------------------------------------------------------------------------------
# Data
# ------------------------------------------------------------------------------------

def mosaic(rng, size):
    """Four scenes in the quadrants around a random centre: (img, boxes, classes)."""
    xc = int(rng.uniform(0.3, 0.7) * size)
    yc = int(rng.uniform(0.3, 0.7) * size)
    img = np.empty((size, size, 3), np.uint8)
    boxes, classes = [], []
    for (x0, y0, x1, y1) in ((0, 0, xc, yc), (xc, 0, size, yc), (0, yc, xc, size),
                             (xc, yc, size, size)):
        im, b, c = scenes.make_scene(rng, (y1 - y0, x1 - x0))
        img[y0:y1, x0:x1] = im
        boxes.append(b + np.array([x0, y0, x0, y0], np.float32))
        classes.append(c)
    return img, np.concatenate(boxes), np.concatenate(classes)


class SceneStream(torch.utils.data.Dataset):
    """Sample i of the training stream (deterministic by seed and i)."""

    def __init__(self, seed, size, mosaic_p, length=10 ** 9):
        self.seed, self.size, self.mosaic_p, self.length = seed, size, mosaic_p, length

    def __len__(self):
        return self.length

    def __getitem__(self, i):
        rng = scenes.scene_rng('train', i, self.seed)
        if rng.random() < self.mosaic_p:
            img, boxes, classes = mosaic(rng, self.size)
        else:
            img, boxes, classes = scenes.make_scene(rng, self.size)
        x = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
        xywh = np.concatenate([(boxes[:, :2] + boxes[:, 2:]) / 2, boxes[:, 2:] - boxes[:, :2]], 1)
        t = np.concatenate([classes[:, None].astype(np.float32), xywh], 1)
        return x, torch.from_numpy(t.astype(np.float32))


def collate(batch):
    imgs = torch.stack([b[0] for b in batch])
    ts = []
    for i, (_, t) in enumerate(batch):
        ts.append(torch.cat([torch.full((len(t), 1), float(i)), t], 1))
    return imgs, torch.cat(ts) if ts else torch.zeros((0, 6))


def worker_init(_):
    cv2.setNumThreads(1)
    torch.set_num_threads(1)


# ------------------------------------------------------------------------------------
# Training helpers
# ------------------------------------------------------------------------------------

class EMA:
    """Exponential moving average of the weights (and BN buffers), ramped up at start."""

    def __init__(self, model, decay=0.999, tau=300):
        import copy
        self.model = copy.deepcopy(model).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)
        self.decay, self.tau, self.updates = decay, tau, 0

    @torch.no_grad()
    def update(self, model):
        self.updates += 1
        d = self.decay * (1 - math.exp(-self.updates / self.tau))
        msd = model.state_dict()
        for k, v in self.model.state_dict().items():
            if v.dtype.is_floating_point:
                v.mul_(d).add_(msd[k].detach(), alpha=1 - d)
            else:
                v.copy_(msd[k])


def param_groups(model, wd):
    decay, no_decay = [], []
    for mod in model.modules():
        for name, p in mod.named_parameters(recurse=False):
            if name == 'weight' and isinstance(mod, torch.nn.Conv2d):
                decay.append(p)
            else:
                no_decay.append(p)       # BatchNorm weights and all biases
    return [{'params': decay, 'weight_decay': wd}, {'params': no_decay, 'weight_decay': 0.0}]


def quick_map(model, data):
    dets = ev.detect_torch(model, [d[0] for d in data])
    return ev.mean_ap(dets, data, len(scenes.CLASSES))


def write_card(path, info):
    pc = info['per_class']
    lines = [
        '<!-- SPDX-License-Identifier: LGPL-2.1-or-later -->',
        '# %s: model card' % NAME,
        '',
        'A YOLOv7-tiny detector trained here, from scratch, on generated images of %d '
        'shape classes. It is the demo model of this repository: it detects the shapes '
        'that `tools/train/scenes.py` draws (on any background), nothing else.' % len(pc),
        '',
        '| | |',
        '|---|---|',
        '| file | `%s.onnx` (%.1f MB), labels `%s.labels` |' % (NAME, info['onnx_mb'], NAME),
        '| classes | %s |' % ', '.join('%d %s' % (i, c) for i, c in enumerate(scenes.CLASSES)),
        '| architecture | YOLOv7-tiny (official yolov7-tiny.yaml topology, LeakyReLU 0.1, '
        'anchors 10,13 16,30 33,23 / 30,61 62,45 59,119 / 116,90 156,198 373,326), '
        'width multiplier %g, %.2f M parameters |' % (info['width'], info['params'] / 1e6),
        '| export | official `--grid` form: opset 12, input `images` float32 [1,3,%d,%d] RGB '
        '0..1 letterboxed (114 grey), output `output` [1,%d,%d] (cx, cy, w, h, objectness, '
        'class probabilities); BatchNorm folded into the convolutions |'
        % (info['img'], info['img'], info['rows'], 5 + len(pc)),
        '| input size | %d x %d |' % (info['img'], info['img']),
        '',
        '## Accuracy (%d held-out generated images, through PyTorch)' % info['eval_n'],
        '',
        '| metric | value |',
        '|---|---|',
        '| mAP@0.5 | **%.4f** |' % info['map50'],
        '| mAP@0.5:0.95 | %.4f |' % info['map50_95'],
        '| mAP@0.5, first 50 held-out images | %.4f |' % info['map50_first50'],
        '| mAP@0.5:0.95, first 50 held-out images | %.4f |' % info['map50_95_first50'],
        '',
        'AP@0.5 per class: %s.' % ', '.join('%s %.3f' % (k, v) for k, v in pc.items()),
        '',
        'Held-out images: `scenes.make_scene(scenes.scene_rng("val", i), %d)` for i = 0..%d '
        '(a seed family disjoint from the training stream `scene_rng("train", i, seed)`). '
        'Post-processing as the engine does it (engine/postprocess.h): confidence %g, '
        'class-aware NMS IoU %g, at most %d detections; mAP by `tools/train/metrics.py` '
        '(COCO-style, 101 recall points). Reproduce with '
        '`/usr/bin/python3 tools/train/eval.py --weights %s/%s.pt` (or `--onnx` through '
        'the engine CLI, `--n 50` for the short check).'
        % (info['img'], info['eval_n'] - 1, ev.DEFAULT_CONF, ev.DEFAULT_IOU, ev.DEFAULT_MAX_DET,
           info['out'].rstrip('/'), NAME),
        '',
        '## Data',
        '',
        'Generated on the fly by `tools/train/scenes.py`, deterministic by seed: backgrounds '
        'are random crops of the photographs of Debian\'s `darknet` package '
        '(`/usr/share/darknet/data/*.jpg`), flipped and colour-jittered, or procedural '
        'textures (smooth noise, gradients, stripes, noisy flat colour), or a blend; 1 to 10 '
        'objects an image of the classes above, random colour (contrasting with what is '
        'under them), size 10 px to half the frame (log-uniform), aspect 0.67 to 1.5, any '
        'rotation, shading, edge blur; objects overlap (each keeps at least half of its '
        'area visible) and random strokes cross them; whole-image blur and noise. A label '
        'is the tight box of the object\'s visible pixels. Training samples: %d%% mosaics '
        '(four scenes tiled around a random centre).' % round(100 * info['mosaic']),
        '',
        '## Training',
        '',
        '| | |',
        '|---|---|',
        '| command | `%s` |' % info['command'],
        '| seed | %d (weights init and the training stream; held-out set fixed) |' % info['seed'],
        '| time | %.1f min of training, %.1f min in all, on %s (%d threads) |'
        % (info['train_min'], info['total_min'], info['cpu'], info['threads']),
        '| steps | %d steps of batch %d = %d images (all distinct, none repeated) |'
        % (info['steps'], info['batch'], info['images']),
        '| optimiser | %s, lr %g, weight decay %g (conv weights), linear warm-up over %d '
        'steps or 4%% of the time, whichever ends first, then cosine decay to %g x over the '
        'time budget; gradient norm clipped at 10; EMA of the weights (decay %g) |'
        % (info['optim'], info['lr'], info['wd'], info['warmup'], info['lrf'], info['ema']),
        '| loss | YOLOv7 OTA loss (`tools/train/loss.py`): CIoU box, BCE objectness with '
        'IoU targets (level weights 4.0, 1.0, 0.4), BCE class; candidates from the centre '
        'cell and 2 neighbours with anchor ratio < 4, dynamic-k cost matching |',
        '| software | Python %s, PyTorch %s, OpenCV %s, NumPy %s |'
        % (platform.python_version(), torch.__version__, cv2.__version__, np.__version__),
        '| date | %s |' % info['date'],
        '',
        'Progress (EMA model, mAP@0.5 on the first %d held-out images):' % info['probe_n'],
        '',
        '| minutes | step | mAP@0.5 |',
        '|---|---|---|',
    ]
    for m_, s_, v_ in info['history']:
        lines.append('| %.1f | %d | %.3f |' % (m_, s_, v_))
    lines += ['', 'Regenerate: see `tools/train/README.md`.', '']
    with open(path, 'w') as f:
        f.write('\n'.join(lines))


# ------------------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--out', default='models/')
    ap.add_argument('--minutes', type=float, default=75.0,
                    help='wall-clock budget of the whole command (at most 90)')
    ap.add_argument('--img', type=int, default=320)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--width', type=float, default=0.5)
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--optim', choices=['adamw', 'sgd'], default='adamw')
    ap.add_argument('--lr', type=float, default=None, help='default 0.002 (adamw), 0.01 (sgd)')
    ap.add_argument('--wd', type=float, default=None, help='default 0.05 (adamw), 5e-4 (sgd)')
    ap.add_argument('--lrf', type=float, default=0.02, help='final lr as a fraction of --lr')
    ap.add_argument('--warmup', type=int, default=300,
                    help='warm-up steps (ends earlier at 4%% of the training time)')
    ap.add_argument('--ema', type=float, default=0.999)
    ap.add_argument('--mosaic', type=float, default=0.5, help='fraction of mosaic samples')
    ap.add_argument('--workers', type=int, default=1)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--eval-n', type=int, default=500)
    ap.add_argument('--probe-every', type=float, default=5.0,
                    help='minutes between quick mAP probes (0: none)')
    ap.add_argument('--probe-n', type=int, default=100)
    ap.add_argument('--log-every', type=int, default=50, help='steps between log lines')
    ap.add_argument('--reserve', type=float, default=None,
                    help='seconds kept for the final evaluation and export')
    a = ap.parse_args(argv)
    if a.minutes > 90:
        ap.error('--minutes must be at most 90')
    if a.lr is None:
        a.lr = 0.002 if a.optim == 'adamw' else 0.01
    if a.wd is None:
        a.wd = 0.05 if a.optim == 'adamw' else 5e-4
    if a.reserve is None:
        a.reserve = 30 + 0.12 * a.eval_n
    t_start = time.time()
    deadline = t_start + a.minutes * 60 - a.reserve
    os.makedirs(a.out, exist_ok=True)
    log_f = open(os.path.join(a.out, 'train-log.txt'), 'w')

    def log(msg):
        line = '[%6.1f min] %s' % ((time.time() - t_start) / 60, msg)
        print(line, flush=True)
        log_f.write(line + '\n')
        log_f.flush()

    torch.set_num_threads(a.threads)
    cv2.setNumThreads(1)
    torch.manual_seed(a.seed)
    np.random.seed(a.seed)
    nc = len(scenes.CLASSES)
    model = M.build(nc, a.width)
    model.detect.init_biases(a.img)
    model = model.to(memory_format=torch.channels_last)
    model.train()
    ema = EMA(model, a.ema)
    crit = L.YoloLoss(model.detect, img=a.img)
    groups = param_groups(model, a.wd)
    if a.optim == 'adamw':
        opt = torch.optim.AdamW(groups, lr=a.lr, betas=(0.9, 0.999))
    else:
        opt = torch.optim.SGD(groups, lr=a.lr, momentum=0.937, nesterov=True)
    n_params = sum(p.numel() for p in model.parameters())
    log('YOLOv7-tiny width %g: %.2f M parameters; %s lr %g wd %g batch %d img %d; '
        'budget %.1f min (training until %.1f min)' % (
            a.width, n_params / 1e6, a.optim, a.lr, a.wd, a.batch, a.img, a.minutes,
            (deadline - t_start) / 60))

    ds = SceneStream(a.seed, a.img, a.mosaic)
    dl = torch.utils.data.DataLoader(ds, batch_size=a.batch, shuffle=False,
                                     num_workers=a.workers, collate_fn=collate,
                                     worker_init_fn=worker_init if a.workers else None,
                                     prefetch_factor=4 if a.workers else 2,
                                     persistent_workers=a.workers > 0)
    probe = ev.heldout(a.probe_n) if a.probe_every > 0 else []
    history = []
    t_train = time.time()
    next_probe = t_train + a.probe_every * 60
    step, seen = 0, 0
    t_log, sums, n_sum = time.time(), np.zeros(4), 0
    phase = np.zeros(4)     # seconds waiting for data, forward+loss, backward+step, other
    t_wait = time.time()
    for imgs, targets in dl:
        now = time.time()
        phase[0] += now - t_wait
        if now >= deadline:
            break
        frac = min(1.0, (now - t_train) / max(1.0, deadline - t_train))
        lr = a.lr * (a.lrf + (1 - a.lrf) * 0.5 * (1 + math.cos(math.pi * frac)))
        lr *= min(1.0, max((step + 1) / a.warmup, frac / 0.04))
        for g in opt.param_groups:
            g['lr'] = lr
        x = (imgs.float() / 255.0).contiguous(memory_format=torch.channels_last)
        t0 = time.time()
        preds = model(x)
        loss, parts, n_pos = crit(preds, targets)
        t1 = time.time()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 10.0)
        opt.step()
        t2 = time.time()
        ema.update(model)
        phase[1] += t1 - t0
        phase[2] += t2 - t1
        step += 1
        seen += len(imgs)
        sums += np.array([*parts.tolist(), n_pos])
        n_sum += 1
        if step % a.log_every == 0:
            dt = time.time() - t_log
            s = sums / n_sum
            ph = phase / n_sum
            log('step %d  img %d  box %.4f obj %.4f cls %.4f  pos/img %.1f  lr %.2e  '
                '%.2f s/step (%.1f img/s; data %.2f fwd+loss %.2f bwd+opt %.2f)' % (
                    step, seen, s[0], s[1], s[2], s[3] / a.batch, lr, dt / n_sum,
                    n_sum * a.batch / dt, ph[0], ph[1], ph[2]))
            t_log, sums, n_sum = time.time(), np.zeros(4), 0
            phase[:] = 0
        if probe and time.time() >= next_probe:
            r = quick_map(ema.model, probe)
            history.append(((time.time() - t_start) / 60, step, r['map50']))
            log('probe: EMA mAP@0.5 %.4f  mAP@0.5:0.95 %.4f on %d held-out images' % (
                r['map50'], r['map50_95'], len(probe)))
            next_probe = time.time() + a.probe_every * 60
            t_log, sums, n_sum = time.time(), np.zeros(4), 0
            phase[:] = 0
        t_wait = time.time()
    train_min = (time.time() - t_train) / 60
    log('training stopped after %d steps, %d images, %.1f min' % (step, seen, train_min))
    del dl

    # Final evaluation of the (fused) EMA model on the held-out scenes, then export.
    final = ema.model.float().eval()
    ck = {'model': {k: v.contiguous() for k, v in final.state_dict().items()},
          'classes': scenes.CLASSES, 'width': a.width, 'img': a.img, 'seed': a.seed,
          'steps': step}
    pt_path = os.path.join(a.out, NAME + '.pt')
    torch.save(ck, pt_path)
    fused, _ = ev.load_pt(pt_path)
    data = ev.heldout(a.eval_n)
    dets = ev.detect_torch(fused, [d[0] for d in data])
    r = ev.mean_ap(dets, data, nc)
    r50 = ev.mean_ap(dets[:50], data[:50], nc)
    log('held-out (%d images): mAP@0.5 %.4f  mAP@0.5:0.95 %.4f  | first 50: %.4f / %.4f' % (
        a.eval_n, r['map50'], r['map50_95'], r50['map50'], r50['map50_95']))
    log('per class AP@0.5: ' + ', '.join('%s %.3f' % kv for kv in r['per_class'].items()))
    onnx_path = os.path.join(a.out, NAME + '.onnx')
    M.export_onnx(fused, onnx_path, a.img)
    with open(os.path.join(a.out, NAME + '.labels'), 'w') as f:
        f.write('\n'.join(scenes.CLASSES) + '\n')
    rows = 3 * sum((a.img // s) ** 2 for s in M.STRIDES)
    cpu = platform.processor() or platform.machine()
    try:
        with open('/proc/cpuinfo') as f:
            for line in f:
                if line.startswith('model name'):
                    cpu = line.split(':', 1)[1].strip()
                    break
    except OSError:
        pass
    cmd = '/usr/bin/python3 tools/train/train.py --out %s --minutes %g --img %d --seed %d' % (
        a.out, a.minutes, a.img, a.seed)
    extra = [arg for arg in (argv if argv is not None else sys.argv[1:])]
    defaults_only = all(x.split('=')[0] in ('--out', '--minutes', '--img', '--seed')
                        for x in extra if x.startswith('--'))
    if not defaults_only:
        cmd = '/usr/bin/python3 tools/train/train.py ' + ' '.join(extra)
    info = dict(out=a.out, width=a.width, params=n_params, img=a.img, rows=rows,
                map50=r['map50'], map50_95=r['map50_95'], map50_first50=r50['map50'],
                map50_95_first50=r50['map50_95'], per_class=r['per_class'],
                onnx_mb=os.path.getsize(onnx_path) / 1e6, mosaic=a.mosaic, command=cmd,
                seed=a.seed, train_min=train_min, total_min=(time.time() - t_start) / 60,
                cpu=cpu, threads=a.threads, steps=step, batch=a.batch, images=seen,
                optim='AdamW' if a.optim == 'adamw' else 'SGD (Nesterov, momentum 0.937)',
                lr=a.lr, wd=a.wd, warmup=a.warmup, lrf=a.lrf, ema=a.ema,
                date=datetime.date.today().isoformat(), history=history,
                probe_n=a.probe_n, eval_n=a.eval_n)
    write_card(os.path.join(a.out, 'MODEL_CARD.md'), info)
    log('wrote %s (%.1f MB), %s.labels, %s.pt, MODEL_CARD.md; %.1f min in all' % (
        onnx_path, info['onnx_mb'], NAME, NAME, info['total_min']))
    log_f.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
