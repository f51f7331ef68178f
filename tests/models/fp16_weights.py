# SPDX-License-Identifier: LGPL-2.1-or-later
"""Write a copy of an ONNX model with every Conv weight initializer rounded to fp16 (and
stored as fp32 again): the network that `yolov7-infer --fp16-weights` computes, for
ONNX Runtime to run as the reference.

    fp16_weights.py IN.onnx OUT.onnx
"""

import sys

import numpy as np
import onnx
from onnx import numpy_helper


def round_conv_weights(model):
    """Round every Conv weight initializer of model (in place) to fp16 and back;
    returns how many were rounded."""
    g = model.graph
    inits = {t.name: i for i, t in enumerate(g.initializer)}
    done = 0
    for node in g.node:
        if node.op_type != 'Conv' or len(node.input) < 2 or node.input[1] not in inits:
            continue
        i = inits[node.input[1]]
        w = numpy_helper.to_array(g.initializer[i])
        r = w.astype(np.float16).astype(np.float32)   # round to nearest even
        g.initializer[i].CopyFrom(numpy_helper.from_array(r, g.initializer[i].name))
        done += 1
    return done


def main():
    if len(sys.argv) != 3:
        sys.exit('usage: fp16_weights.py IN.onnx OUT.onnx')
    model = onnx.load(sys.argv[1])
    done = round_conv_weights(model)
    if not done:
        sys.exit('no Conv weight initializers in %s' % sys.argv[1])
    onnx.save(model, sys.argv[2])
    print('%d Conv weights rounded to fp16' % done)


if __name__ == '__main__':
    main()
