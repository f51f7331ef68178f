# SPDX-License-Identifier: LGPL-2.1-or-later
"""Each convolution path of the OpenCL backend against ONNX Runtime.

    test_conv_paths.py --infer PATH/yolov7-infer --workdir DIR

The backend picks a kernel per Conv: Winograd F(4x4,3x3) for big enough 3x3 stride-1
maps, a flattened-pixel GEMM for 1x1 stride-1, the 16-wide direct kernel for the rest
(with contiguous, even-lane and gather loads).  Each case is a one- or two-Conv ONNX
model (random weights and bias, opset 12) shaped to land on one path and its edges: odd
sizes, partial tiles, padding 0/1/2, stride 2, groups, dilation, channel counts that are
not multiples of 8, a fused LeakyReLU / SiLU, batch 2.  Every case runs through
yolov7-infer in each configuration of CONFIGS: the CPU kernel family with YV7_WINOGRAD=0
and with the default (Winograd on), and the GPU kernel family (YV7_KERNELS=gpu, an
implicit GEMM in __local tiles) with its automatic tile choice and with each tile
forced (YV7_GPU_TILE), so the GPU kernels' edges are checked on any OpenCL device.
Every output element must satisfy |engine - ort| <= 1e-3 + 1e-3 * |ort| (the networks
test's bound).  The last line is "N passed, M failed".
"""
import argparse
import os
import re
import subprocess
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, 'ort'))
sys.path.insert(0, os.path.join(HERE, 'models'))
import ort_runner  # noqa: E402
from fp16_weights import round_conv_weights  # noqa: E402
ATOL = RTOL = 1e-3

# name, batch, C, H, W, OC, k, stride, pad, group, dilation, act
CASES = [
    ('wino-32x32-pad1', 1, 128, 32, 32, 128, 3, 1, 1, 1, 1, None),
    ('wino-odd-37x29-pad1-leaky', 1, 136, 37, 29, 132, 3, 1, 1, 1, 1, 'leaky'),
    ('wino-pad0-31x31-silu', 1, 128, 33, 33, 131, 3, 1, 0, 1, 1, 'silu'),
    ('wino-batch2', 2, 128, 24, 40, 128, 3, 1, 1, 1, 1, 'leaky'),
    # 256 channels at batch 4: left to itself, PoCL ran the transforms in 4096-item
    # work-groups whose private tile arrays overflowed its thread stack (a crash)
    ('wino-256ch-batch4', 4, 256, 40, 40, 64, 3, 1, 1, 1, 1, 'leaky'),
    ('wino-pad2', 1, 128, 28, 28, 128, 3, 1, 2, 1, 1, None),
    ('wino-small-map-10x10', 1, 128, 10, 10, 136, 3, 1, 1, 1, 1, 'leaky'),
    # at most 9 tiles from 256 channels: the GEMM with output channels in the lanes
    # (wino_gemm_oc32); 200 channels: the last block of 32 has 8, at batch 2
    ('wino-oc32-9x11-batch2', 2, 256, 9, 11, 200, 3, 1, 1, 1, 1, 'silu'),
    # from 64 channels, maps up to 80x80: 20 x 18 tiles, 16-tile blocks that span tile rows
    ('wino-64ch-78x70-many-tiles', 1, 64, 78, 70, 72, 3, 1, 1, 1, 1, 'silu'),
    # 16 tiles: the 16-tile GEMM with every lane busy, per image
    ('wino-13x13-16-tiles-batch2', 2, 128, 13, 13, 128, 3, 1, 1, 1, 1, None),
    ('direct-3x3-small-map', 1, 24, 13, 11, 40, 3, 1, 1, 1, 1, 'leaky'),
    ('direct-3x3-64ch-48-wide', 1, 64, 12, 48, 40, 3, 1, 1, 1, 1, 'leaky'),
    ('direct-3x3-stride2-16-wide', 1, 32, 20, 32, 24, 3, 2, 1, 1, 1, None),
    # widths that are not a multiple of 16 go through im2col + GEMM from
    # 32 input channels (in one band); the 'im2col off' config runs them direct
    ('im2col-ragged-64ch-pad1', 1, 64, 21, 37, 64, 3, 1, 1, 1, 1, 'leaky'),
    ('im2col-ragged-stride2-20x20', 1, 32, 40, 40, 24, 3, 2, 1, 1, 1, None),
    # 32-output rows (8 output channels: one channel block): 52 = one full tile and
    # one with 20 valid outputs
    ('direct-3x3-w32-52-wide', 1, 16, 9, 52, 8, 3, 1, 1, 1, 1, 'leaky'),
    ('direct-3x3-w32-stride2', 1, 8, 11, 127, 8, 3, 2, 1, 1, 1, None),
    ('direct-3x3-stride2-pad0-odd', 1, 16, 33, 35, 16, 3, 2, 0, 1, 1, None),
    ('direct-3x3-stride2', 1, 16, 41, 47, 24, 3, 2, 1, 1, 1, 'silu'),
    ('direct-3x3-dilation2', 1, 16, 33, 33, 16, 3, 1, 2, 1, 2, None),
    ('direct-3x3-group2', 1, 16, 32, 32, 16, 3, 1, 1, 2, 1, None),
    # 16 channels a work-item with groups at batch 2: 24 outputs a group, 3 blocks
    ('direct-3x3-c16-group2-batch2', 2, 32, 14, 19, 48, 3, 1, 1, 2, 1, 'leaky'),
    ('direct-5x5', 1, 8, 35, 35, 12, 5, 1, 2, 1, 1, None),
    ('gemm-1x1-odd-pixels', 1, 33, 17, 19, 21, 1, 1, 0, 1, 1, 'leaky'),
    ('gemm-1x1-5x5-map', 1, 40, 5, 5, 24, 1, 1, 0, 1, 1, None),
    # partial pixel blocks read as vectors running into the next channels' rows
    # (10x10: the last 16-block has 4 valid pixels, the last 32-block too; 3x3: a
    # 16-block spans two more channels), gathers only where a read would leave the
    # image's group; 16 channels a work-item, or 8 where there is one block (8 x 32
    # on 10x10, 8 x 16 on 3x3)
    ('gemm-1x1-10x10-group2-batch2', 2, 96, 10, 10, 48, 1, 1, 0, 2, 1, 'leaky'),
    ('gemm-1x1-3x3-map', 1, 40, 3, 3, 16, 1, 1, 0, 1, 1, None),
    ('gemm-1x1-10x10-one-block-batch2', 2, 40, 10, 10, 8, 1, 1, 0, 1, 1, 'leaky'),
    ('gemm-1x1-3x3-one-block', 1, 40, 3, 3, 6, 1, 1, 0, 1, 1, None),
    ('gemm-1x1-batch2', 2, 64, 20, 20, 40, 1, 1, 0, 1, 1, 'silu'),
    # output channels in the lanes (conv1x1_oc32) on small maps with long reductions:
    # 255 channels (the last block of 32 has 31) at batch 2; 6x6 (36 pixels: the last
    # block of 10 moved back over the one before) with groups, 48 channels a group (one
    # block of 32, one of 16); an im2col band of 100 pixels (stride 2 to 10x10)
    ('gemm-oc32-10x10-255ch-batch2', 2, 256, 10, 10, 255, 1, 1, 0, 1, 1, 'leaky'),
    ('gemm-oc32-6x6-group2', 1, 512, 6, 6, 96, 1, 1, 0, 2, 1, None),
    ('im2col-oc32-stride2-10x10', 1, 64, 20, 20, 64, 3, 2, 1, 1, 1, 'silu'),
    ('direct-1x1-stride2', 1, 16, 20, 21, 8, 1, 2, 0, 1, 1, None),
    ('direct-1x1-pad1', 1, 16, 9, 9, 8, 1, 1, 1, 1, 1, None),
    # im2col + GEMM in two bands of output rows (576 x 64 x 64 floats is over
    # the 2M-float band budget), per image
    ('im2col-two-bands-batch2', 2, 64, 128, 128, 20, 3, 2, 1, 1, 1, 'leaky'),
]

# cases whose CPU-family run must use this kernel (YV7_PROFILE names each node's kernels)
NODE_KERNEL = {
    'gemm-oc32-10x10-255ch-batch2': 'conv1x1_oc32',
    'gemm-oc32-6x6-group2': 'conv1x1_oc32',
    'im2col-oc32-stride2-10x10': 'conv1x1_oc32',
    'gemm-1x1-10x10-group2-batch2': 'conv1x1_c16',
    'gemm-1x1-odd-pixels': 'conv1x1_c16',
    'gemm-1x1-3x3-map': 'conv1x1_c16',
    'gemm-1x1-5x5-map': 'conv1x1_c16',
    'gemm-1x1-10x10-one-block-batch2': 'conv1x1_w32',
    'gemm-1x1-3x3-one-block': 'conv1x1_w16',
    'direct-1x1-stride2': 'conv2d_w16',
    'wino-oc32-9x11-batch2': 'wino_gemm_oc32',
    'wino-small-map-10x10': 'wino_gemm16',
    # two or more channel blocks: 16 channels a work-item (5 blocks: the last pair
    # has one); one block: 8 channels x 32 or 16 outputs
    'direct-3x3-small-map': 'conv2d_c16',
    'direct-3x3-stride2': 'conv2d_c16',
    'direct-3x3-c16-group2-batch2': 'conv2d_c16',
    'direct-3x3-w32-52-wide': 'conv2d_w32',
    'direct-3x3-w32-stride2': 'conv2d_w32',
    'direct-1x1-pad1': 'conv2d_w16',
}

# label, environment: the CPU family (Winograd off, on, im2col off), then the GPU family's own choice and
# each of its tiles
CONFIGS = [
    ('winograd off', {'YV7_KERNELS': 'cpu', 'YV7_WINOGRAD': '0'}),
    ('winograd on', {'YV7_KERNELS': 'cpu', 'YV7_WINOGRAD': '1'}),
    ('im2col off', {'YV7_KERNELS': 'cpu', 'YV7_IM2COL': '0'}),
    ('gpu kernels', {'YV7_KERNELS': 'gpu'}),
] + [('gpu tile ' + t, {'YV7_KERNELS': 'gpu', 'YV7_GPU_TILE': t})
     for t in ['l', 'm', 't', 's', 'L', 'M', 'lv', 'mv', 'sv', 'Lv']] + [
    # split K: uneven (3) and more splits than K has slices (32: some splits empty)
    ('gpu split 3', {'YV7_KERNELS': 'gpu', 'YV7_GPU_TILE': 't', 'YV7_GPU_SPLIT': '3'}),
    ('gpu split 32', {'YV7_KERNELS': 'gpu', 'YV7_GPU_TILE': 's', 'YV7_GPU_SPLIT': '32'}),
    # plans measured at load and remembered (YV7_CACHE_DIR set per case below)
    ('gpu tuned', {'YV7_KERNELS': 'gpu', 'YV7_GPU_TUNE': '1'}),
    ('gpu tuned again', {'YV7_KERNELS': 'gpu', 'YV7_GPU_TUNE': '1'}),
    # --fp16-weights (labels with 'fp16'): the reference is ONNX Runtime on the model
    # with its weights rounded to fp16, same bound
    ('fp16 weights cpu', {'YV7_KERNELS': 'cpu'}),
    ('fp16 weights cpu im2col off', {'YV7_KERNELS': 'cpu', 'YV7_IM2COL': '0'}),
    ('fp16 weights gpu', {'YV7_KERNELS': 'gpu'}),
]


def make_model(path, batch, C, H, W, OC, k, s, p, grp, d, act, rng):
    w = (rng.standard_normal((OC, C // grp, k, k)) / np.sqrt(C // grp * k * k)).astype(np.float32)
    b = rng.standard_normal(OC).astype(np.float32) * 0.1
    nodes = [helper.make_node('Conv', ['x', 'w', 'b'], ['c'], kernel_shape=[k, k],
                              strides=[s, s], pads=[p, p, p, p], group=grp,
                              dilations=[d, d])]
    out = 'c'
    if act == 'leaky':
        nodes.append(helper.make_node('LeakyRelu', ['c'], ['y'], alpha=0.1))
        out = 'y'
    elif act == 'silu':
        nodes.append(helper.make_node('Sigmoid', ['c'], ['sg']))
        nodes.append(helper.make_node('Mul', ['c', 'sg'], ['y']))
        out = 'y'
    oh = (H + 2 * p - d * (k - 1) - 1) // s + 1
    ow = (W + 2 * p - d * (k - 1) - 1) // s + 1
    g = helper.make_graph(
        nodes, 'conv',
        [helper.make_tensor_value_info('x', TensorProto.FLOAT, [batch, C, H, W])],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, [batch, OC, oh, ow])],
        [numpy_helper.from_array(w, 'w'), numpy_helper.from_array(b, 'b')])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 12)])
    m.ir_version = 7
    onnx.save(m, path)
    return out


def concat_check(a, rng):
    """A channel Concat at batch 2 whose per-image slices (3x11x13 = 429 and 5x11x13
    elements) are long rows with a partial last chunk for the copy kernel, after a Conv
    so the inputs live on the device; returns (ok, message)."""
    path = os.path.join(a.workdir, 'concat-long-rows.onnx')
    inp = os.path.join(a.workdir, 'concat-long-rows.npy')
    w = rng.standard_normal((5, 3, 1, 1)).astype(np.float32)
    nodes = [helper.make_node('Conv', ['x', 'w'], ['c'], kernel_shape=[1, 1]),
             helper.make_node('Concat', ['x', 'c', 'x'], ['y'], axis=1)]
    g = helper.make_graph(
        nodes, 'concat',
        [helper.make_tensor_value_info('x', TensorProto.FLOAT, [2, 3, 11, 13])],
        [helper.make_tensor_value_info('y', TensorProto.FLOAT, [2, 11, 11, 13])],
        [numpy_helper.from_array(w, 'w')])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 12)])
    m.ir_version = 7
    onnx.save(m, path)
    x = rng.uniform(-1, 1, (2, 3, 11, 13)).astype(np.float32)
    np.save(inp, x)
    out = os.path.join(a.workdir, 'concat-long-rows-eng')
    r = subprocess.run([a.infer, '--model', path, '--input', inp, '--outdir', out,
                        '--device', a.device], capture_output=True, text=True)
    if r.returncode != 0:
        return False, 'yolov7-infer: ' + r.stderr.strip()
    got = np.load(os.path.join(out, 'y.npy'))
    want = np.concatenate([x, np.einsum('oc,nchw->nohw', w[:, :, 0, 0], x), x], axis=1)
    err = float(np.abs(got - want).max())
    return err <= 1e-5, 'max |d| %.3g' % err


def runtime_weights_check(a, rng):
    """Conv weights computed at run time (W * max(x)), so that no load-time packing or
    conversion can happen: the CPU family packs them at every run, the GPU family reads
    them (or, with fp16 weights, converts them at every run).  fp32 against ONNX Runtime
    with the usual bound; fp16 against ONNX Runtime with the bound that rounding each
    weight to fp16 (relative error <= 2^-11, round to nearest) allows: 2^-11 * (|W| conv |x|)
    per output, plus the usual bound.  Yields (label, ok, message)."""
    C, H, W, OC, k = 24, 19, 23, 20, 3
    path = os.path.join(a.workdir, 'runtime-weights.onnx')
    inp = os.path.join(a.workdir, 'runtime-weights.npy')
    w = (rng.standard_normal((OC, C, k, k)) / np.sqrt(C * k * k)).astype(np.float32)
    nodes = [helper.make_node('ReduceMax', ['x'], ['s'], keepdims=1),
             helper.make_node('Mul', ['w', 's'], ['we']),
             helper.make_node('Conv', ['x', 'we'], ['y'], kernel_shape=[k, k],
                              pads=[1, 1, 1, 1])]
    g = helper.make_graph(
        nodes, 'runtime_weights',
        [helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, C, H, W])],
        [helper.make_tensor_value_info('y', TensorProto.FLOAT, [1, OC, H, W])],
        [numpy_helper.from_array(w, 'w')])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid('', 12)])
    m.ir_version = 7
    onnx.save(m, path)
    x = rng.uniform(0.5, 2, (1, C, H, W)).astype(np.float32)
    np.save(inp, x)
    ort_dir = os.path.join(a.workdir, 'runtime-weights-ort')
    r = subprocess.run(ort_runner.command(path, inp, ort_dir), capture_output=True, text=True)
    if r.returncode != 0:
        yield 'runtime-weights', False, 'ONNX Runtime: ' + r.stderr.strip()[-300:]
        return
    ref = np.load(os.path.join(ort_dir, 'y.npy')).astype(np.float64)
    # |W_eff| conv |x| per output, for the fp16 rounding bound
    we = np.abs(w.astype(np.float64) * float(x.max()))
    xp = np.pad(np.abs(x.astype(np.float64)), ((0, 0), (0, 0), (1, 1), (1, 1)))
    mag = np.zeros_like(ref)
    for ky in range(k):
        for kx in range(k):
            mag += np.einsum('oc,nchw->nohw', we[:, :, ky, kx], xp[:, :, ky:ky + H, kx:kx + W])
    for label, env, fp16 in [('cpu', {'YV7_KERNELS': 'cpu'}, False),
                             ('cpu fp16 weights', {'YV7_KERNELS': 'cpu'}, True),
                             ('gpu', {'YV7_KERNELS': 'gpu'}, False),
                             ('gpu fp16 weights', {'YV7_KERNELS': 'gpu'}, True)]:
        if not any(c in label for c in a.configs.split(',')):
            continue
        out = os.path.join(a.workdir, 'runtime-weights-' + label.replace(' ', '-'))
        r = subprocess.run([a.infer, '--model', path, '--input', inp, '--outdir', out,
                            '--device', a.device] + (['--fp16-weights'] if fp16 else []),
                           capture_output=True, text=True, env=dict(os.environ, **env))
        name = 'runtime-weights (%s)' % label
        if r.returncode != 0:
            yield name, False, 'yolov7-infer: ' + r.stderr.strip()
            continue
        got = np.load(os.path.join(out, 'y.npy')).astype(np.float64)
        tol = ATOL + RTOL * np.abs(ref) + (2.0 ** -11 * mag if fp16 else 0.0)
        ratio = float((np.abs(got - ref) / tol).max())
        moved = float(np.abs(got - ref).max())
        # with fp16 weights the outputs must also have moved (fp32 stays under 1e-5
        # here): otherwise the fp16 path did not run
        ok = ratio <= 1.0 and (not fp16 or moved > 1e-4)
        yield name, ok, 'worst |d|/tol %.4f (max |d| %.3g%s)' % (
            ratio, moved, ', must be over 1e-4' if fp16 else '')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--infer', required=True)
    ap.add_argument('--workdir', required=True)
    ap.add_argument('--device', default='auto')
    ap.add_argument('--configs', default='',
                    help='run only the configurations whose label contains one of these '
                    '(comma-separated)')
    a = ap.parse_args()
    os.makedirs(a.workdir, exist_ok=True)
    rng = np.random.default_rng(7)
    passed = failed = 0
    for name, batch, C, H, W, OC, k, s, p, grp, d, act in CASES:
        model = os.path.join(a.workdir, name + '.onnx')
        inp = os.path.join(a.workdir, name + '.npy')
        out = make_model(model, batch, C, H, W, OC, k, s, p, grp, d, act, rng)
        np.save(inp, rng.uniform(-1, 1, (batch, C, H, W)).astype(np.float32))
        ort_dir = os.path.join(a.workdir, name + '-ort')
        r = subprocess.run(ort_runner.command(model, inp, ort_dir), capture_output=True,
                           text=True)
        if r.returncode != 0:
            print('FAIL %s: ONNX Runtime: %s' % (name, r.stderr.strip()[-300:]))
            failed += 1
            continue
        ref32 = np.load(os.path.join(ort_dir, out + '.npy'))
        ref16 = None
        outs = {}
        tune_dir = os.path.join(a.workdir, 'tune-' + name)
        for f in os.listdir(tune_dir) if os.path.isdir(tune_dir) else []:
            os.remove(os.path.join(tune_dir, f))
        for cfg, cfg_env in CONFIGS:
            if not any(c in cfg for c in a.configs.split(',')):
                continue
            fp16 = 'fp16' in cfg
            if fp16 and ref16 is None:
                m = onnx.load(model)
                round_conv_weights(m)
                onnx.save(m, model + '.fp16w.onnx')
                r = subprocess.run(ort_runner.command(model + '.fp16w.onnx', inp,
                                                      ort_dir + '-fp16w'),
                                   capture_output=True, text=True)
                if r.returncode != 0:
                    print('FAIL %s: ONNX Runtime: %s' % (name, r.stderr.strip()[-300:]))
                    failed += 1
                    continue
                ref16 = np.load(os.path.join(ort_dir + '-fp16w', out + '.npy'))
            ref = ref16 if fp16 else ref32
            env = dict(os.environ, **cfg_env)
            if 'YV7_GPU_TUNE' in cfg_env:
                env['YV7_CACHE_DIR'] = tune_dir
            eng_dir = os.path.join(a.workdir, '%s-eng-%s' % (name, cfg.replace(' ', '-')))
            r = subprocess.run([a.infer, '--model', model, '--input', inp, '--outdir', eng_dir,
                                '--device', a.device] + (['--fp16-weights'] if fp16 else []),
                               capture_output=True, text=True, env=env)
            label = '%s (%s)' % (name, cfg)
            if r.returncode != 0:
                print('FAIL %s: yolov7-infer: %s' % (label, r.stderr.strip()))
                failed += 1
                continue
            got = np.load(os.path.join(eng_dir, out + '.npy'))
            outs[cfg] = got
            if got.shape != ref.shape:
                print('FAIL %s: shape %s, ONNX Runtime %s' % (label, got.shape, ref.shape))
                failed += 1
                continue
            ratio = float((np.abs(got - ref) / (ATOL + RTOL * np.abs(ref))).max())
            ok = ratio <= 1.0 and np.isfinite(got).all()
            print('%s %s: worst |d|/tol %.4f' % ('ok  ' if ok else 'FAIL', label, ratio))
            passed += ok
            failed += not ok
        if 'gpu tuned' in outs and 'gpu tuned again' in outs:
            # the first load measured the one Conv and wrote its plan; the second
            # found it (no new line) and so ran the same kernels, bit for bit
            plans = [l for f in os.listdir(tune_dir) if f.endswith('-gemm.txt')
                     for l in open(os.path.join(tune_dir, f))]
            ok = len(plans) == 1 and np.array_equal(outs['gpu tuned'], outs['gpu tuned again'])
            print('%s %s: plan measured once and reused (%d plan lines)'
                  % ('ok  ' if ok else 'FAIL', name, len(plans)))
            passed += ok
            failed += not ok
        if name in NODE_KERNEL and 'winograd on' in outs:
            # the same run profiled: its report names the kernels of each node
            eng_dir = os.path.join(a.workdir, '%s-eng-profiled' % name)
            r = subprocess.run([a.infer, '--model', model, '--input', inp, '--outdir', eng_dir,
                                '--device', a.device], capture_output=True, text=True,
                               env=dict(os.environ, YV7_KERNELS='cpu', YV7_PROFILE='1'))
            want = NODE_KERNEL[name]
            ok = r.returncode == 0 and bool(re.search(r'\[[^]]*\b%s\b[^]]*\]' % want, r.stderr))
            print('%s %s: the Conv ran %s' % ('ok  ' if ok else 'FAIL', name, want))
            passed += ok
            failed += not ok
        if name.startswith('wino') and 'winograd off' in outs and 'winograd on' in outs:
            # Winograd rounds differently: identical outputs mean it did not run
            ok = not np.array_equal(outs['winograd off'], outs['winograd on'])
            print('%s %s: the Winograd path ran (outputs differ from the direct path)'
                  % ('ok  ' if ok else 'FAIL', name))
            passed += ok
            failed += not ok
    for label, ok, msg in runtime_weights_check(a, rng):
        print('%s %s: %s' % ('ok  ' if ok else 'FAIL', label, msg))
        passed += ok
        failed += not ok
    ok, msg = concat_check(a, rng)
    print('%s concat-long-rows-batch2: %s' % ('ok  ' if ok else 'FAIL', msg))
    passed += ok
    failed += not ok
    print('%d passed, %d failed' % (passed, failed))
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
