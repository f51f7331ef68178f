# SPDX-License-Identifier: LGPL-2.1-or-later
"""Check that an exported model has the graph of the official yolov7-tiny --grid export.

Builds the reference with tests/models/make_yolov7.py (same classes, width and input
size; random weights) and compares the two graphs node for node, up to the order in
which independent nodes are listed: every node is named by a hash of its op type, its
attributes and, recursively, its inputs (an initializer by its shape, a Constant by its
shape and value, the graph input by its name).  The multisets of node names must match,
and the graph input and output must have the same names, types and shapes.

    /usr/bin/python3 tools/train/check_onnx.py models/shapes-yolov7-tiny.onnx \
        [--nc 6] [--width 0.5] [--img 320]
"""

import argparse
import collections
import hashlib
import os
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def node_signatures(model):
    g = model.graph
    inits = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    produced = {}
    for n in g.node:
        for o in n.output:
            produced[o] = n
    memo = {}

    def value_sig(name):
        if name == '':
            return 'none'
        if name in inits:
            return 'init%s' % (inits[name].shape,)
        if name in produced:
            return node_sig(produced[name]) + ':%d' % list(produced[name].output).index(name)
        return 'input:' + name

    def node_sig(n):
        key = id(n)
        if key in memo:
            return memo[key]
        attrs = []
        for a in sorted(n.attribute, key=lambda a: a.name):
            v = helper.get_attribute_value(a)
            if isinstance(v, onnx.TensorProto):
                arr = numpy_helper.to_array(v)
                v = (arr.dtype.str, arr.shape, hashlib.sha1(arr.tobytes()).hexdigest())
            elif isinstance(v, bytes):
                v = v.decode()
            attrs.append((a.name, repr(v)))
        text = repr((n.op_type, attrs, [value_sig(i) for i in n.input]))
        memo[key] = n.op_type + '#' + hashlib.sha1(text.encode()).hexdigest()[:16]
        return memo[key]

    return collections.Counter(node_sig(n) for n in g.node)


def io_desc(vis):
    out = []
    for v in vis:
        t = v.type.tensor_type
        out.append((v.name, t.elem_type,
                    [d.dim_value if d.HasField('dim_value') else d.dim_param
                     for d in t.shape.dim]))
    return out


def reference(nc, width, img):
    sys.path.insert(0, os.path.join(ROOT, 'tests', 'models'))
    import make_yolov7
    a = argparse.Namespace(variant='tiny', form='grid', img=(img, img), batch=1,
                           dynamic_batch=False, nc=nc, width_mult=width, max_wh=640,
                           seed=0, input_seed=1)
    return make_yolov7.Builder(a).build()


def compare(path, nc, width, img, verbose=True):
    """Return a list of differences (empty when the graphs match)."""
    m = onnx.load(path)
    onnx.checker.check_model(m)
    ref = reference(nc, width, img)
    problems = []
    if m.opset_import[0].version != 12:
        problems.append('opset %d, want 12' % m.opset_import[0].version)
    if io_desc(m.graph.input) != io_desc(ref.graph.input):
        problems.append('inputs %s, want %s' % (io_desc(m.graph.input),
                                                io_desc(ref.graph.input)))
    if io_desc(m.graph.output) != io_desc(ref.graph.output):
        problems.append('outputs %s, want %s' % (io_desc(m.graph.output),
                                                 io_desc(ref.graph.output)))
    a, b = node_signatures(m), node_signatures(ref)
    if a != b:
        extra, missing = a - b, b - a
        ops = collections.Counter(n.op_type for n in m.graph.node)
        rops = collections.Counter(n.op_type for n in ref.graph.node)
        problems.append('graph differs: %d nodes not in the reference, %d missing; '
                        'ops %s vs reference %s' % (sum(extra.values()),
                                                    sum(missing.values()),
                                                    dict(ops), dict(rops)))
    if verbose:
        ops = collections.Counter(n.op_type for n in m.graph.node)
        print('%s: %d nodes %s, %d initializers, %.2f M parameters' % (
            path, len(m.graph.node), dict(ops), len(m.graph.initializer),
            sum(int(np.prod(t.dims)) for t in m.graph.initializer) / 1e6))
    return problems


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('onnx')
    ap.add_argument('--nc', type=int, default=6)
    ap.add_argument('--width', type=float, default=0.5)
    ap.add_argument('--img', type=int, default=320)
    a = ap.parse_args(argv)
    problems = compare(a.onnx, a.nc, a.width, a.img)
    for p in problems:
        print('MISMATCH:', p)
    if not problems:
        print('OK: same graph as make_yolov7.py --variant tiny --form grid '
              '--nc %d --width-mult %g --img %d (up to node order)' % (a.nc, a.width, a.img))
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
