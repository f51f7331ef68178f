# SPDX-License-Identifier: LGPL-2.1-or-later
"""Whole-network test: yolov7-infer against ONNX Runtime on generated YOLOv7 models.

    test_networks.py --infer PATH/yolov7-infer --workdir DIR [--device SPEC] [--only NAME]
    test_networks.py --ort-only --workdir DIR [--only NAME]

For each case the model is generated with tests/models/make_yolov7.py (random weights,
official export graph structure), a uniform [0, 1) input is written, the model is run by
ONNX Runtime (tests/ort/run_ort.js, onnxruntime-node) and by the engine's CLI, and every
output is compared elementwise: |engine - ort| <= 1e-3 + 1e-3 * |ort|, same shapes.

--ort-only needs no engine: it checks the generated models' output shapes and detection
counts, and compares ONNX Runtime with graph optimisations on against ONNX Runtime with
them off (a check of the models, the tolerance and this script).

Models and ONNX Runtime outputs are cached in DIR, keyed by the generator's arguments and
the generator's and runner's source, so reruns only run the engine.  A missing peer (numpy,
onnx, node, onnxruntime-node, the engine) is a failure, not a skip.  The last line is
"N passed, M failed"; the exit status is non-zero on any failure.
"""

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
GENERATOR = os.path.join(HERE, 'models', 'make_yolov7.py')
FP16_ROUNDER = os.path.join(HERE, 'models', 'fp16_weights.py')
sys.path.insert(0, os.path.join(HERE, 'ort'))
import ort_runner  # noqa: E402  (YV7_ORT=python: ONNX Runtime's Python package)
RUNNER = ort_runner.script()

ATOL = 1e-3
RTOL = 1e-3
INPUT_SEED = 1


class Case:
    def __init__(self, name, variant, form, img, width=1.0, batch=1, dynamic=False, nc=80):
        self.name = name
        self.nc = nc            # classes: the head's rows are nc + 5 wide
        self.variant = variant
        self.form = form
        self.img = img  # (H, W)
        self.width = width
        self.batch = batch      # batch of the input fed to the model
        self.dynamic = dynamic  # model exported with --dynamic-batch

    def gen_args(self):
        a = ['--variant', self.variant, '--form', self.form,
             '--img', '%dx%d' % self.img, '--width-mult', repr(self.width),
             '--input-seed', str(INPUT_SEED)]
        if self.nc != 80:
            a += ['--nc', str(self.nc)]
        if self.dynamic:
            a.append('--dynamic-batch')
        else:
            a += ['--batch', str(self.batch)]
        return a

    def strides(self):
        return [8, 16, 32, 64] if self.variant in ('w6', 'e6', 'd6', 'e6e') else [8, 16, 32]

    def expected_shapes(self):
        nc = self.nc
        H, W = self.img
        B = self.batch
        if self.form == 'raw':
            return [[B, 3, H // s, W // s, nc + 5] for s in self.strides()]
        if self.form == 'grid':
            return [[B, 3 * sum((H // s) * (W // s) for s in self.strides()), nc + 5]]
        return None  # end2end: [N, 7], N data-dependent


CASES = [
    Case('tiny-raw-320', 'tiny', 'raw', (320, 320)),
    Case('tiny-grid-320', 'tiny', 'grid', (320, 320)),
    Case('tiny-end2end-320', 'tiny', 'end2end', (320, 320)),
    Case('tiny-silu-grid-320', 'tiny-silu', 'grid', (320, 320)),
    # 11 classes: 16-float rows, the CPU decode's transposed 8-channel block and the
    # channels after it one by one (80 classes: ten blocks and one channel)
    Case('tiny-grid-192-nc11', 'tiny', 'grid', (192, 192), nc=11),
    Case('base-grid-320', 'base', 'grid', (320, 320)),
    # Quarter width keeps the file (18 MB) and the run small; the ReOrg stem, the layer
    # list and the four heads are all there.
    Case('w6-grid-256', 'w6', 'grid', (256, 256), width=0.25),
    Case('tiny-grid-320-dynbatch2', 'tiny', 'grid', (320, 320), batch=2, dynamic=True),
]


def sanitise(name):
    return name.replace('/', '_').replace(':', '_')


def file_hash(path):
    with open(path, 'rb') as f:
        return hashlib.sha256(f.read()).hexdigest()


def prune(directory, name, keep):
    """Drop cache entries of case `name` not in `keep` (stale generator versions)."""
    pat = re.compile(re.escape(name) + r'-[0-9a-f]{16}(\.onnx)?$')
    for f in os.listdir(directory):
        if f not in keep and pat.match(f):
            p = os.path.join(directory, f)
            if os.path.isdir(p):
                shutil.rmtree(p, ignore_errors=True)
            else:
                os.remove(p)


def run(cmd, timeout, env=None):
    t0 = time.monotonic()
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout, env=env)
    except subprocess.TimeoutExpired:
        return None, 'timed out after %ds' % timeout, time.monotonic() - t0
    except OSError as e:
        return None, str(e), time.monotonic() - t0
    return p.returncode, p.stdout.decode('utf-8', 'replace'), time.monotonic() - t0


def tail(text, n=15):
    lines = text.strip().splitlines()
    return '\n'.join('    ' + l for l in lines[-n:])


class Failure(Exception):
    pass


# ---------------------------------------------------------------------------------------

class Runner:
    def __init__(self, args, np, gen_python):
        self.args = args
        self.np = np
        self.gen_python = gen_python
        self.workdir = os.path.abspath(args.workdir)
        self.gen_hash = file_hash(GENERATOR)[:16]
        self.ort_hash = file_hash(RUNNER)[:16]
        try:  # a new onnxruntime-node invalidates the cached reference outputs
            if ort_runner.use_python():
                raise OSError('the Python runner')
            with open(os.path.join(HERE, 'node_modules', 'onnxruntime-node',
                                   'package.json')) as f:
                self.ort_hash += json.load(f).get('version', '')
        except (OSError, ValueError):
            pass

    def model(self, case):
        """Generate (or reuse) the case's model; returns (path, seconds spent)."""
        key = hashlib.sha256(json.dumps([self.gen_hash] + case.gen_args())
                             .encode()).hexdigest()[:16]
        d = os.path.join(self.workdir, 'models')
        os.makedirs(d, exist_ok=True)
        path = os.path.join(d, '%s-%s.onnx' % (case.name, key))
        prune(d, case.name, {os.path.basename(path)})
        if os.path.exists(path):
            return path, 0.0
        tmp = path + '.tmp'
        rc, out, secs = run([self.gen_python, GENERATOR] + case.gen_args() + ['-o', tmp],
                            timeout=1800)
        if rc != 0:
            raise Failure('model generation failed (%s):\n%s' % (rc, tail(out)))
        os.replace(tmp, path)
        return path, secs

    def fp16_model(self, case, model):
        """--fp16-weights: the model with its Conv weights rounded to fp16."""
        d = os.path.dirname(model)
        name = case.name + '-fp16w'
        path = os.path.join(d, name + '-' + hashlib.sha256(
            (os.path.basename(model) + file_hash(FP16_ROUNDER)).encode()).hexdigest()[:16]
            + '.onnx')
        prune(d, name, {os.path.basename(path)})
        if os.path.exists(path):
            return path, 0.0
        rc, out, secs = run([self.gen_python, FP16_ROUNDER, model, path + '.tmp'], timeout=600)
        if rc != 0:
            raise Failure('rounding the weights to fp16 failed (%s):\n%s' % (rc, tail(out)))
        os.replace(path + '.tmp', path)
        return path, secs

    def input(self, case):
        d = os.path.join(self.workdir, 'inputs')
        os.makedirs(d, exist_ok=True)
        H, W = case.img
        path = os.path.join(d, '%s-b%d-%dx%d-s%d.npy' % (case.variant, case.batch, H, W,
                                                         INPUT_SEED))
        if not os.path.exists(path):
            x = self.np.random.default_rng(INPUT_SEED).random((case.batch, 3, H, W),
                                                               dtype=self.np.float32)
            self.np.save(path + '.tmp.npy', x)
            os.replace(path + '.tmp.npy', path)
        return path

    def ort(self, case, model, inp, opt_level=None):
        """Run (or reuse) ONNX Runtime; returns (outdir, seconds spent)."""
        tag = opt_level or 'default'
        key = hashlib.sha256(json.dumps([os.path.basename(model), os.path.basename(inp),
                                         self.ort_hash, tag]).encode()).hexdigest()[:16]
        out = os.path.join(self.workdir, 'ort', '%s-%s' % (case.name, key))
        stamp = os.path.join(out, '.done')
        if os.path.exists(stamp):
            return out, 0.0
        shutil.rmtree(out, ignore_errors=True)
        env = dict(os.environ)
        if opt_level:
            env['ORT_OPT_LEVEL'] = opt_level
        rc, text, secs = run(ort_runner.command(model, inp, out), timeout=1800, env=env)
        if rc != 0:
            raise Failure('ONNX Runtime failed (%s):\n%s' % (rc, tail(text)))
        open(stamp, 'w').close()
        return out, secs

    def engine(self, case, model, inp):
        out = os.path.join(self.workdir, 'engine', case.name)
        shutil.rmtree(out, ignore_errors=True)
        os.makedirs(out)
        cmd = [self.args.infer, '--model', model, '--input', inp, '--outdir', out]
        if self.args.device:
            cmd += ['--device', self.args.device]
        if self.args.fp16_weights:
            cmd.append('--fp16-weights')
        env = dict(os.environ, YV7_PROFILE='1')   # the profile lists the nodes run
        if self.args.kernels:
            env['YV7_KERNELS'] = self.args.kernels
        rc, text, secs = run(cmd, timeout=self.args.timeout, env=env)
        if rc != 0:
            raise Failure('yolov7-infer failed (%s): %s\n%s' % (rc, ' '.join(cmd),
                                                               tail(text)))
        return out, secs, text

    # -- comparison -----------------------------------------------------------------

    def outputs(self, d):
        return sorted(f for f in os.listdir(d) if f.endswith('.npy'))

    def compare(self, ref_dir, got_dir, case, got_label='engine'):
        """Compare every output; returns (max_abs_err, worst description)."""
        np = self.np
        names = self.outputs(ref_dir)
        if not names:
            raise Failure('ONNX Runtime wrote no outputs')
        worst_ratio, max_err, worst = -1.0, 0.0, ''
        for f in names:
            ref = np.load(os.path.join(ref_dir, f))
            path = os.path.join(got_dir, f)
            if not os.path.exists(path):
                raise Failure('%s wrote no %s (it wrote: %s)' % (
                    got_label, f, ', '.join(self.outputs(got_dir)) or 'nothing'))
            got = np.load(path)
            if got.shape != ref.shape:
                msg = '%s: shape %s, ONNX Runtime %s' % (f, list(got.shape), list(ref.shape))
                if case.form == 'end2end' and got.ndim == 2 and ref.ndim == 2:
                    msg += '\n' + self.row_diff(ref, got)
                raise Failure(msg)
            if (ref.dtype.kind == 'f') != (got.dtype.kind == 'f'):
                raise Failure('%s: dtype %s, ONNX Runtime %s' % (f, got.dtype, ref.dtype))
            r = ref.astype(np.float64)
            g = got.astype(np.float64)
            nan_ref, nan_got = np.isnan(r), np.isnan(g)
            if (nan_ref != nan_got).any():
                idx = np.unravel_index(np.argmax(nan_ref != nan_got), r.shape)
                raise Failure('%s: NaN mismatch at %s: %s %r, ONNX Runtime %r' % (
                    f, list(idx), got_label, g[idx], r[idx]))
            diff = np.where(nan_ref, 0.0, np.abs(g - r))
            if diff.size == 0:
                continue
            tol = ATOL + RTOL * np.abs(np.where(nan_ref, 0.0, r))
            ratio = diff / tol
            i = np.unravel_index(int(np.argmax(ratio)), r.shape)
            fmax = float(diff.max())
            max_err = max(max_err, fmax)
            if ratio[i] > worst_ratio:
                worst_ratio = float(ratio[i])
                worst = '%s%s %s=%.7g ort=%.7g (|d|/tol=%.3g)' % (
                    f[:-4], list(map(int, i)), got_label, g[i], r[i], ratio[i])
            if ratio[i] > 1.0:
                bad = int((ratio > 1.0).sum())
                raise Failure('%s: %d of %d elements out of tolerance, max_abs_err=%.3g; '
                              'worst %s' % (f, bad, diff.size, fmax, worst))
        return max_err, worst

    def row_diff(self, ref, got):
        """For end2end [N, 7]: which detections one side has and the other lacks."""
        np = self.np

        def missing(a, b):
            out = []
            for row in a:
                if not len(b) or not (np.abs(b - row) <= ATOL + RTOL * np.abs(row)).all(1).any():
                    out.append(row)
            return out

        lines = []
        for label, rows in (('only in ONNX Runtime', missing(ref, got)),
                            ('only in engine', missing(got, ref))):
            for row in rows[:5]:
                lines.append('    %s: %s' % (label, ' '.join('%.6g' % v for v in row)))
            if len(rows) > 5:
                lines.append('    %s: ... %d more' % (label, len(rows) - 5))
        return '\n'.join(lines) or '    (same rows, different count)'

    def check_ort_shapes(self, case, ort_dir):
        """--ort-only: the reference itself has the shapes and counts the models promise."""
        np = self.np
        outs = [np.load(os.path.join(ort_dir, f)) for f in self.outputs(ort_dir)]
        want = case.expected_shapes()
        if want is not None:
            got = sorted(list(o.shape) for o in outs)
            if got != sorted(want):
                raise Failure('ONNX Runtime output shapes %s, expected %s' % (got, want))
            return '%d output(s) %s' % (len(outs), ' '.join(
                'x'.join(map(str, o.shape)) for o in outs))
        (o,) = outs
        if o.ndim != 2 or o.shape[1] != 7 or not 1 <= o.shape[0] <= 100 * case.batch:
            raise Failure('end2end output shape %s' % list(o.shape))
        return 'end2end %d detections, %d classes, min score %.4f' % (
            o.shape[0], len(np.unique(o[:, 5])), o[:, 6].min())

    # -- one case -------------------------------------------------------------------

    def case(self, case):
        t = {}
        model, t['gen'] = self.model(case)
        inp = self.input(case)
        ref_model = model
        if self.args.fp16_weights:
            ref_model, t['fp16'] = self.fp16_model(case, model)
        ref, t['ort'] = self.ort(case, ref_model, inp)
        if self.args.ort_only:
            info = self.check_ort_shapes(case, ref)
            other, t['ort-noopt'] = self.ort(case, model, inp, opt_level='disabled')
            err, worst = self.compare(ref, other, case, got_label='ort_noopt')
            extra = '; ' + info
        else:
            got, t['engine'], text = self.engine(case, model, inp)
            err, worst = self.compare(ref, got, case)
            # --grid heads run as one fused decode node each (the raw form has none)
            fused = len(re.findall(r' yv7\.GridDecode ', text))
            heads = 0 if case.form == 'raw' else len(case.strides())
            if fused != heads:
                raise Failure('%d fused head decodes ran, expected %d' % (fused, heads))
            extra = '; %d heads fused' % fused
            # the SPP block's 5/9/13 pools run as a chain of three 5x5 pools
            # (yv7_pass_chain_maxpools); every variant here has one SPP
            chained = len(re.findall(r' MaxPool +\S+ +k 5x5 stride 1', text))
            wide = re.findall(r' MaxPool +\S+ +k (?:9x9|13x13)', text)
            if chained != 3 or wide:
                raise Failure('SPP pools not chained: %d 5x5 pools, %d wider' % (chained, len(wide)))
            extra += ', SPP chained'
        prune(os.path.dirname(ref), case.name,
              {os.path.basename(ref), os.path.basename(other) if self.args.ort_only else ''})
        times = ', '.join('%s %.1fs' % (k, v) for k, v in t.items() if v)
        return 'max_abs_err=%.3g worst %s%s%s' % (err, worst, extra,
                                                 (' (%s)' % times) if times else '')


def preflight(args):
    """Everything the cases need; returns (numpy, generator python) or raises Failure."""
    try:
        import numpy as np
    except ImportError:
        raise Failure('numpy is missing (apt-get install python3-numpy)')
    gen_python = None
    for py in (sys.executable, '/usr/bin/python3'):
        if py and subprocess.run([py, '-c', 'import onnx, numpy'],
                                 stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL).returncode == 0:
            gen_python = py
            break
    if gen_python is None:
        raise Failure('python3-onnx is missing (apt-get install python3-onnx)')
    if ort_runner.use_python():
        rc, out, _ = run([sys.executable, '-c', 'import onnxruntime'], timeout=120)
        if rc != 0:
            raise Failure('YV7_ORT=python but onnxruntime does not import\n%s' % tail(out, 5))
    else:
        if shutil.which('node') is None:
            raise Failure('node is missing (apt-get install nodejs)')
        probe = ("require(require('path').join(%s, '..', 'node_modules', 'onnxruntime-node'))"
                 % json.dumps(os.path.dirname(ort_runner.NODE_RUNNER)))
        rc, out, _ = run(['node', '-e', probe], timeout=120)
        if rc != 0:
            raise Failure('onnxruntime-node is missing or broken; run: cd %s && npm install '
                          '--ignore-scripts --no-save onnxruntime-node\n%s'
                          % (HERE, tail(out, 5)))
    if not args.ort_only:
        if not args.infer:
            raise Failure('--infer PATH/yolov7-infer is required (or --ort-only)')
        if not (os.path.isfile(args.infer) and os.access(args.infer, os.X_OK)):
            raise Failure('engine CLI not found or not executable: %s' % args.infer)
    return np, gen_python


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--infer', help='path to the yolov7-infer executable')
    ap.add_argument('--workdir', help='cache and scratch directory (required)')
    ap.add_argument('--device', help='passed to yolov7-infer --device')
    ap.add_argument('--kernels', choices=['cpu', 'gpu'],
                    help="force the engine's kernel family (YV7_KERNELS); default: by "
                    'device type')
    ap.add_argument('--fp16-weights', action='store_true',
                    help='run the engine with --fp16-weights; the reference is ONNX '
                    'Runtime on the model with its Conv weights rounded to fp16 '
                    '(tests/models/fp16_weights.py), same bound')
    ap.add_argument('--only', action='append',
                    help='run only this case (repeatable, or comma-separated)')
    ap.add_argument('--ort-only', action='store_true',
                    help='no engine: check the models and ONNX Runtime against itself')
    ap.add_argument('--timeout', type=int, default=900,
                    help='seconds allowed for one engine run (default 900)')
    ap.add_argument('--list', action='store_true', help='list the cases and exit')
    args = ap.parse_args()

    if args.list:
        for c in CASES:
            print(c.name)
        return 0
    if not args.workdir:
        ap.error('--workdir is required')
    cases = CASES
    if args.only:
        wanted = [n for o in args.only for n in o.split(',') if n]
        unknown = [n for n in wanted if n not in {c.name for c in CASES}]
        if unknown:
            ap.error('unknown case(s) %s; cases: %s' % (', '.join(unknown),
                                                         ', '.join(c.name for c in CASES)))
        cases = [c for c in CASES if c.name in wanted]

    passed = failed = 0
    try:
        np, gen_python = preflight(args)
    except Failure as e:
        for c in cases:
            print('FAIL %s %s' % (c.name, str(e).splitlines()[0]))
        print(str(e), file=sys.stderr)
        print('0 passed, %d failed' % len(cases))
        return 1
    os.makedirs(args.workdir, exist_ok=True)
    runner = Runner(args, np, gen_python)
    for c in cases:
        try:
            line = runner.case(c)
            print('ok %s %s' % (c.name, line), flush=True)
            passed += 1
        except Failure as e:
            print('FAIL %s %s' % (c.name, e), flush=True)
            failed += 1
        except Exception as e:  # a bug here must still count as a failure, with context
            print('FAIL %s internal error: %r' % (c.name, e), flush=True)
            failed += 1
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
