# SPDX-License-Identifier: LGPL-2.1-or-later
"""External weight files (ONNX external data), through yolov7-infer.

test_external_data.py --infer PATH/yolov7-infer --model SMALL.onnx --workdir DIR

The same model saved with its weights in a side file must give exactly the
outputs of the single-file model; a location that leaves the model's folder
(absolute, or with '..') and a missing side file must fail the load with a
message naming the cause.
"""
import argparse
import os
import shutil
import subprocess
import sys

import numpy as np
import onnx

results = []


def check(ok, what, detail=""):
    results.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} - {what}{': ' + detail if detail else ''}")


def infer(exe, model, x, outdir):
    shutil.rmtree(outdir, ignore_errors=True)
    p = subprocess.run([exe, "--model", model, "--input", x, "--outdir", outdir],
                       capture_output=True, text=True)
    return p.returncode, p.stderr.strip()


def with_location(src, dst, location):
    m = onnx.load(src, load_external_data=False)
    for t in m.graph.initializer:
        for kv in t.external_data:
            if kv.key == "location":
                kv.value = location
    onnx.save(m, dst)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--infer", required=True)
    ap.add_argument("--model", required=True)
    ap.add_argument("--workdir", required=True)
    a = ap.parse_args()
    wd = a.workdir
    shutil.rmtree(wd, ignore_errors=True)
    os.makedirs(os.path.join(wd, "m"))

    m = onnx.load(a.model)
    ins = m.graph.input[0].type.tensor_type.shape.dim
    shape = [d.dim_value for d in ins]
    x = os.path.join(wd, "x.npy")
    np.save(x, np.random.default_rng(3).random(shape, dtype=np.float32))

    ext = os.path.join(wd, "m", "model.onnx")
    onnx.save(m, ext, save_as_external_data=True, all_tensors_to_one_file=True,
              location="weights.bin", size_threshold=0)
    check(os.path.getsize(os.path.join(wd, "m", "weights.bin")) > 0,
          "the model is written with its weights in weights.bin")

    rc1, e1 = infer(a.infer, a.model, x, os.path.join(wd, "o1"))
    rc2, e2 = infer(a.infer, ext, x, os.path.join(wd, "o2"))
    check(rc1 == 0 and rc2 == 0, "both forms load and run", e1 or e2)
    if rc1 == 0 and rc2 == 0:
        for f in sorted(os.listdir(os.path.join(wd, "o1"))):
            o1 = np.load(os.path.join(wd, "o1", f))
            o2 = np.load(os.path.join(wd, "o2", f))
            check(o1.shape == o2.shape and np.array_equal(o1, o2),
                  f"{f} is identical with external data")

    bad = os.path.join(wd, "m", "up.onnx")
    os.makedirs(os.path.join(wd, "outside"), exist_ok=True)
    shutil.copy(os.path.join(wd, "m", "weights.bin"), os.path.join(wd, "outside", "w.bin"))
    with_location(ext, bad, "../outside/w.bin")
    rc, e = infer(a.infer, bad, x, os.path.join(wd, "o3"))
    check(rc == 1 and "relative path inside the model's folder" in e,
          "a location with '..' is refused", e)

    absolute = os.path.join(wd, "m", "abs.onnx")
    with_location(ext, absolute, os.path.abspath(os.path.join(wd, "outside", "w.bin")))
    rc, e = infer(a.infer, absolute, x, os.path.join(wd, "o4"))
    check(rc == 1 and "relative path inside the model's folder" in e,
          "an absolute location is refused", e)

    missing = os.path.join(wd, "m", "missing.onnx")
    with_location(ext, missing, "nowhere.bin")
    rc, e = infer(a.infer, missing, x, os.path.join(wd, "o5"))
    check(rc == 1 and "nowhere.bin" in e, "a missing weights file is named", e)

    n_ok = sum(results)
    print(f"{n_ok} passed, {len(results) - n_ok} failed")
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
