# SPDX-License-Identifier: LGPL-2.1-or-later
"""Write the malformed-model regression files, one per bug class.

Each file is a small ONNX model that is wrong in exactly one way; the rest of it
is a valid one-node graph x[1,3,4,4] -> Sigmoid -> y.  test_malformed.c holds
what the engine must answer for each (status and a part of the message).  The
output is deterministic, so rerunning this script (onnx 1.12, Debian 12's
python3-onnx) rewrites the committed files byte for byte:

    /usr/bin/python3 tests/malformed/make_malformed.py tests/malformed
"""

import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

SHAPE = [1, 3, 4, 4]


def model(nodes, inits=(), inputs=None, outputs=None):
    """ModelProto bytes, ir_version 8, opset 13."""
    if inputs is None:
        inputs = [helper.make_tensor_value_info('x', TensorProto.FLOAT, SHAPE)]
    if outputs is None:
        outputs = [helper.make_tensor_value_info('y', TensorProto.FLOAT, SHAPE)]
    graph = helper.make_graph(nodes, 'malformed', inputs, outputs, list(inits))
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 13)],
                          producer_name='make_malformed')
    m.ir_version = 8
    return m.SerializeToString()


def sigmoid(src='x', dst='y', name='sig'):
    return helper.make_node('Sigmoid', [src], [dst], name=name)


def add_w(init):
    """x + w -> y, with w the given (broken) initializer."""
    return model([helper.make_node('Add', ['x', init.name], ['y'], name='add')], [init])


def raw_tensor(name, dims, nbytes):
    t = TensorProto(name=name, data_type=TensorProto.FLOAT, dims=dims)
    t.raw_data = (bytes(range(256)) * (nbytes // 256 + 1))[:nbytes]
    return t


def external(location):
    t = TensorProto(name='w', data_type=TensorProto.FLOAT, dims=[4])
    t.data_location = TensorProto.EXTERNAL
    for k, v in (('location', location), ('length', '16')):
        e = t.external_data.add()
        e.key, e.value = k, v
    return add_w(t)


def varint(v):
    out = bytearray()
    while True:
        b = v & 0x7f
        v >>= 7
        out.append(b | (0x80 if v else 0))
        if not v:
            return bytes(out)


def field(num, payload):
    """A length-delimited field."""
    return varint(num << 3 | 2) + varint(len(payload)) + payload


def too_deep(levels):
    """graph { node { attribute { g { node { attribute { g ... } } } } } }"""
    inner = b''
    for _ in range(levels):
        inner = field(1, field(5, field(6, inner)))   # node, attribute, g
    return varint(1 << 3) + varint(8) + field(7, inner)   # ir_version 8, graph


def read_varint(data, pos):
    v, shift = 0, 0
    while True:
        b = data[pos]
        v |= (b & 0x7f) << shift
        pos += 1
        shift += 7
        if not b & 0x80:
            return v, pos


def length_past_end():
    """A valid model, its graph field moved last and claiming 64 bytes more
    than the file holds."""
    good = model([sigmoid()])
    rest, graph, pos = b'', None, 0
    while pos < len(good):
        start = pos
        key, pos = read_varint(good, pos)
        if key & 7 == 0:
            _, pos = read_varint(good, pos)
        else:
            assert key & 7 == 2, 'ModelProto has only varint and length fields here'
            length, pos = read_varint(good, pos)
            pos += length
        if key == (7 << 3 | 2):
            graph = good[pos - length:pos]
        else:
            rest += good[start:pos]
    return rest + bytes([7 << 3 | 2]) + varint(len(graph) + 64) + graph


def files():
    f32 = TensorProto.FLOAT
    return {
        # a node input naming no tensor (its index would be -1)
        'input-unknown-tensor.onnx': model([sigmoid(src='nope')]),
        # a required input left empty, which the IR keeps as index -1
        'input-empty-required.onnx': model([sigmoid(src='')]),
        # a graph output naming no tensor
        'output-unknown-tensor.onnx': model(
            [sigmoid()], outputs=[helper.make_tensor_value_info('z', f32, SHAPE)]),
        # Gather with a constant index past the end of its axis
        'gather-index-out-of-range.onnx': model(
            [helper.make_node('Gather', ['table', 'idx'], ['g'], name='gather', axis=0),
             helper.make_node('Add', ['x', 'g'], ['y'], name='add')],
            [numpy_helper.from_array(np.zeros((4, 4), np.float32), 'table'),
             numpy_helper.from_array(np.array(7, np.int64), 'idx')]),
        'dim-negative-initializer.onnx': add_w(raw_tensor('w', [-2, 4], 0)),
        'dim-negative-input.onnx': model(
            [sigmoid()], inputs=[helper.make_tensor_value_info('x', f32, [1, 3, -5, 4])]),
        # 2^40 elements announced, 16 bytes given: refused before any allocation
        'dim-huge-initializer.onnx': add_w(raw_tensor('w', [1 << 40], 16)),
        'dim-product-overflow-initializer.onnx': add_w(
            raw_tensor('w', [1 << 32, 1 << 32, 1 << 32], 16)),
        'dim-product-overflow-input.onnx': model(
            [sigmoid()], inputs=[helper.make_tensor_value_info(
                'x', f32, [1 << 31, 1 << 31, 1 << 31, 4])]),
        'raw-data-short.onnx': add_w(raw_tensor('w', [4], 12)),
        'raw-data-long.onnx': add_w(raw_tensor('w', [4], 20)),
        # ir_version as an 11-byte varint
        'varint-11-bytes.onnx': bytes([1 << 3]) + b'\xff' * 10 + b'\x01',
        'length-past-end.onnx': length_past_end(),
        'nesting-too-deep.onnx': too_deep(40),
        'external-data-dotdot.onnx': external('../weights.bin'),
        'external-data-absolute.onnx': external('/etc/passwd'),
        # a = x + b, b = Relu(a): each node needs the other's output
        'graph-cycle.onnx': model(
            [helper.make_node('Add', ['x', 'b'], ['a'], name='add_a'),
             helper.make_node('Relu', ['a'], ['b'], name='relu_b'),
             sigmoid(src='a')]),
        # a node reading its own output
        'graph-cycle-self.onnx': model(
            [helper.make_node('Relu', ['a'], ['a'], name='relu_self'), sigmoid(src='x')]),
        # t is read by the first node and produced by the second
        'input-before-produced.onnx': model(
            [helper.make_node('Relu', ['t'], ['y'], name='relu_first'),
             helper.make_node('Sigmoid', ['x'], ['t'], name='sig_second')]),
        'op-wrong-input-count.onnx': model(
            [helper.make_node('Conv', ['x'], ['y'], name='conv_one_input')]),
    }


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    for name, data in sorted(files().items()):
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)


if __name__ == '__main__':
    main()
