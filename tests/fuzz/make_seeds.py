# SPDX-License-Identifier: LGPL-2.1-or-later
"""Write the model-loader fuzzer's seed corpus, deterministically.

Intact models are named valid-*.onnx (the replay test requires that they load
and run): YOLOv7-tiny exports from tests/models/make_yolov7.py in the three head
forms and with a dynamic batch, at width 0.0625 and 64x64 (about 120 kB, quick
for the fuzzer to mutate) and one at width 0.25 and 64x64 (the size the other
tests use), plus a small graph of the ops the YOLOv7 exports do not use.  Each
small model also gets truncated copies (trunc-*) and copies with a few bytes
changed (mut-*).

Usage: make_seeds.py --make-yolov7 PATH --out-dir DIR --stamp FILE
"""

import argparse
import os
import random
import subprocess
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

# (file stem, make_yolov7.py arguments, copies of each kind)
YOLO_MODELS = [
    ('thin-grid-64', ['--form', 'grid', '--img', '64', '--width-mult', '0.0625'], 12),
    ('thin-raw-64', ['--form', 'raw', '--img', '64', '--width-mult', '0.0625'], 12),
    ('thin-end2end-64', ['--form', 'end2end', '--img', '64', '--width-mult', '0.0625'], 12),
    ('thin-grid-64-dynbatch', ['--form', 'grid', '--img', '64', '--width-mult', '0.0625',
                               '--dynamic-batch'], 6),
    ('tiny-grid-64', ['--form', 'grid', '--img', '64', '--width-mult', '0.25'], 3),
]
TRUNCATE_AT = [1 / 16, 1 / 8, 1 / 4, 1 / 2, 3 / 4, 15 / 16]


def ops_model():
    """x[1,3,8,8] through the ops the YOLOv7 exports leave out."""
    rng = np.random.default_rng(7)
    inits = [
        numpy_helper.from_array(rng.standard_normal((4, 3, 3, 3)).astype(np.float32), 'w'),
        numpy_helper.from_array(np.full(4, 0.5, np.float32), 'scale'),
        numpy_helper.from_array(np.zeros(4, np.float32), 'bias'),
        numpy_helper.from_array(np.zeros(4, np.float32), 'mean'),
        numpy_helper.from_array(np.ones(4, np.float32), 'var'),
        numpy_helper.from_array(np.full((1, 4, 1, 1), 2.0, np.float32), 'two'),
        numpy_helper.from_array(np.array([0], np.int64), 'axes0'),
    ]
    nodes = [
        helper.make_node('Conv', ['x', 'w'], ['c'], pads=[1, 1, 1, 1]),
        helper.make_node('BatchNormalization', ['c', 'scale', 'bias', 'mean', 'var'], ['bn']),
        helper.make_node('Relu', ['bn'], ['r']),
        helper.make_node('Identity', ['r'], ['i']),
        helper.make_node('Sub', ['i', 'two'], ['s']),
        helper.make_node('Div', ['s', 'two'], ['d']),
        helper.make_node('MaxPool', ['d'], ['p'], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node('ReduceMax', ['p'], ['m'], axes=[1], keepdims=1),
        helper.make_node('Squeeze', ['m', 'axes0'], ['q']),
        helper.make_node('Flatten', ['q'], ['y'], axis=1),
    ]
    graph = helper.make_graph(
        nodes, 'ops', [helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info('y', TensorProto.FLOAT, None)], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)])
    model.ir_version = 8
    return model.SerializeToString()


def one_op_models():
    """One small model per op, x[1,4,6,6] in, with the attributes the engine
    reads set, so that mutations land in each op's own checks quickly."""
    f32, i64 = np.float32, np.int64
    x = helper.make_tensor_value_info('x', TensorProto.FLOAT, [1, 4, 6, 6])

    def c(name, value):
        return numpy_helper.from_array(np.asarray(value), name)

    w = np.linspace(-1, 1, 4 * 2 * 3 * 3).astype(f32).reshape(4, 2, 3, 3)
    boxes = np.array([[[0, 0, 2, 2], [0.1, 0.1, 2, 2], [3, 3, 5, 5]]], f32)
    scores = np.array([[[0.9, 0.8, 0.7]]], f32)
    cases = {
        'conv-group': ([helper.make_node('Conv', ['x', 'w', 'b'], ['y'], group=2,
                                         pads=[2, 1, 2, 1], dilations=[2, 1], strides=[1, 2])],
                       [c('w', w), c('b', np.arange(4, dtype=f32))]),
        'maxpool-ceil': ([helper.make_node('MaxPool', ['x'], ['y'], kernel_shape=[3, 3],
                                           strides=[2, 2], pads=[1, 1, 1, 1], ceil_mode=1)], []),
        'resize-nearest': ([helper.make_node('Resize', ['x', '', 's'], ['y'], mode='nearest',
                                             nearest_mode='floor',
                                             coordinate_transformation_mode='asymmetric')],
                           [c('s', np.array([1, 1, 2, 1.5], f32))]),
        'slice-steps': ([helper.make_node('Slice', ['x', 'st', 'en', 'ax', 'sp'], ['y'])],
                        [c('st', np.array([5, 0], i64)), c('en', np.array([-7, 6], i64)),
                         c('ax', np.array([2, -1], i64)), c('sp', np.array([-2, 3], i64))]),
        'split-concat': ([helper.make_node('Split', ['x', 'sz'], ['a', 'b'], axis=1),
                          helper.make_node('Concat', ['b', 'a'], ['y'], axis=-3)],
                         [c('sz', np.array([1, 3], i64))]),
        'transpose-reshape': ([helper.make_node('Transpose', ['x'], ['t'], perm=[0, 2, 3, 1]),
                               helper.make_node('Reshape', ['t', 'sh'], ['y'])],
                              [c('sh', np.array([0, -1, 4], i64))]),
        'gather-argmax': ([helper.make_node('Gather', ['x', 'i'], ['g'], axis=3),
                           helper.make_node('ArgMax', ['g'], ['y'], axis=1, keepdims=0)],
                          [c('i', np.array([[5, -1], [0, 2]], i64))]),
        'matmul-pow': ([helper.make_node('MatMul', ['x', 'm'], ['p']),
                        helper.make_node('Pow', ['p', 'e'], ['q']),
                        helper.make_node('Mul', ['q', 'k'], ['y'])],
                       [c('m', np.eye(6, dtype=f32)), c('e', np.array(2, f32)),
                        c('k', np.array([0.5], f32))]),
        'leaky-sigmoid-cast': ([helper.make_node('LeakyRelu', ['x'], ['l'], alpha=0.2),
                                helper.make_node('Sigmoid', ['l'], ['s']),
                                helper.make_node('Cast', ['s'], ['y'], to=TensorProto.INT64)], []),
        'shape-unsqueeze': ([helper.make_node('Shape', ['x'], ['sh']),
                             helper.make_node('Gather', ['sh', 'i'], ['d'], axis=0),
                             helper.make_node('Unsqueeze', ['d', 'ax'], ['u']),
                             helper.make_node('Concat', ['u', 'm1'], ['ns'], axis=0),
                             helper.make_node('Reshape', ['x', 'ns'], ['y'])],
                            [c('i', np.array(1, i64)), c('ax', np.array([0], i64)),
                             c('m1', np.array([-1], i64))]),
        'nms': ([helper.make_node('ReduceMax', ['x'], ['r'], axes=[1, 2, 3], keepdims=0),
                 helper.make_node('NonMaxSuppression', ['bx', 'sc', 'k', 'iou', 'th'], ['y'],
                                  center_point_box=0)],
                [c('bx', boxes), c('sc', scores), c('k', np.array([2], i64)),
                 c('iou', np.array([0.5], f32)), c('th', np.array([0.1], f32))]),
    }
    for name, (nodes, inits) in cases.items():
        graph = helper.make_graph(nodes, name, [x],
                                  [helper.make_tensor_value_info('y', TensorProto.UNDEFINED, None)],
                                  inits)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)])
        model.ir_version = 8
        yield f'op-{name}', model.SerializeToString()


def write(out_dir, name, data):
    with open(os.path.join(out_dir, name), 'wb') as f:
        f.write(data)


def variants(out_dir, stem, data, copies, rng):
    """Truncated copies and copies with 1-4 bytes changed."""
    cuts = TRUNCATE_AT if copies >= len(TRUNCATE_AT) else TRUNCATE_AT[::2]
    for frac in cuts + [None]:
        cut = len(data) - 1 if frac is None else int(len(data) * frac)
        write(out_dir, f'trunc-{stem}-{cut}.onnx', data[:cut])
    for i in range(copies):
        b = bytearray(data)
        for _ in range(rng.randint(1, 4)):
            # half of the changes land in the first 4 kB, where the graph's
            # structure is; the rest anywhere (mostly weights)
            at = rng.randrange(min(len(b), 4096)) if rng.random() < 0.5 else rng.randrange(len(b))
            b[at] = rng.choice([0x00, 0xff, 0x80, 0x7f, rng.randrange(256)])
        write(out_dir, f'mut-{stem}-{i:02d}.onnx', bytes(b))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--make-yolov7', required=True)
    ap.add_argument('--out-dir', required=True)
    ap.add_argument('--stamp', required=True)
    a = ap.parse_args()
    os.makedirs(a.out_dir, exist_ok=True)
    for f in os.listdir(a.out_dir):
        os.unlink(os.path.join(a.out_dir, f))
    rng = random.Random(20261128)
    models = []
    for stem, args, copies in YOLO_MODELS:
        path = os.path.join(a.out_dir, f'valid-{stem}.onnx')
        subprocess.run([sys.executable, a.make_yolov7, '--variant', 'tiny', '--nc', '3',
                        '-o', path] + args, check=True)
        with open(path, 'rb') as f:
            models.append((stem, f.read(), copies))
    data = ops_model()
    write(a.out_dir, 'valid-ops.onnx', data)
    models.append(('ops', data, 12))
    for stem, data in one_op_models():
        write(a.out_dir, f'valid-{stem}.onnx', data)
        models.append((stem, data, 4))
    for stem, data, copies in models:
        variants(a.out_dir, stem, data, copies, rng)
    with open(a.stamp, 'w') as f:
        f.write(f'{len(os.listdir(a.out_dir))} seeds\n')


if __name__ == '__main__':
    main()
