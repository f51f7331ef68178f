# SPDX-License-Identifier: LGPL-2.1-or-later
"""Which ONNX Runtime the tests run as their reference, and a Python runner.

The tests' reference is ONNX Runtime on the CPU, normally onnxruntime-node through
run_ort.js (what .ci/run installs).  YV7_ORT=python selects this file's runner instead,
ONNX Runtime's Python package with the same settings (CPU provider, one thread,
sequential, ORT_OPT_LEVEL honoured) and the same output files: for machines that have
`python3 -c 'import onnxruntime'` but no node, such as the GPU machines docs/performance.md's GPU
section was measured on.

    python3 ort_runner.py MODEL.onnx INPUT.npy OUTDIR
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
NODE_RUNNER = os.path.join(HERE, 'run_ort.js')


def use_python():
    return os.environ.get('YV7_ORT', 'node') == 'python'


def script():
    """The runner's source file (tests key their caches on its hash)."""
    return os.path.abspath(__file__) if use_python() else NODE_RUNNER


def command(model, inp, outdir):
    """The command line that runs MODEL on INPUT and writes OUTDIR/<output>.npy."""
    if use_python():
        return [sys.executable, os.path.abspath(__file__), model, inp, outdir]
    return ['node', NODE_RUNNER, model, inp, outdir]


def main(argv):
    import time

    import numpy as np
    import onnxruntime as ort

    if len(argv) != 3:
        sys.stderr.write('usage: ort_runner.py MODEL.onnx INPUT.npy OUTDIR\n')
        return 2
    model, inp, outdir = argv
    levels = {'disabled': ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
              'basic': ort.GraphOptimizationLevel.ORT_ENABLE_BASIC,
              'extended': ort.GraphOptimizationLevel.ORT_ENABLE_EXTENDED,
              'all': ort.GraphOptimizationLevel.ORT_ENABLE_ALL}
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = levels[os.environ.get('ORT_OPT_LEVEL', 'all')]
    sess = ort.InferenceSession(model, so, providers=['CPUExecutionProvider'])
    x = np.load(inp)
    if x.dtype == np.float64:
        x = x.astype(np.float32)
    t0 = time.monotonic()
    outs = sess.run(None, {sess.get_inputs()[0].name: x})
    ms = (time.monotonic() - t0) * 1e3
    os.makedirs(outdir, exist_ok=True)
    for o, v in zip(sess.get_outputs(), outs):
        v = np.asarray(v)
        if v.dtype.kind == 'f':
            v = v.astype(np.float32)
        elif v.dtype.kind in 'iu':
            v = v.astype(np.int64)
        else:
            raise SystemExit('output %s: unsupported type %s' % (o.name, v.dtype))
        np.save(os.path.join(outdir, o.name.replace('/', '_').replace(':', '_') + '.npy'), v)
        print('%s %s %s' % (o.name, v.dtype, list(v.shape)))
    print('run_ms %.1f' % ms)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
