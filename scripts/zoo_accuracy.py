#!/usr/bin/env python3
"""How closely `pocket run` computes what LiteRT computes on the architecture zoo
(scripts/bench_zoo.py's Keras applications, converted by the TF converter): float32, full int8
and dynamic-range int8 (`dynamic.tflite`: int8 weights, float activations, LiteRT's hybrid
kernels; converted here when missing), each run by pocket with `--numerics reference` and
`--numerics litert` and by LiteRT's reference resolver (BUILTIN_REF) and default path, on the
zoo's input image.

Prints, per model and precision, the error of each pocket numerics against each LiteRT path as
max |ours - litert| / max |litert| over the output, LiteRT's own spread (reference vs default)
for scale, and for int8 the share of output elements that are equal. The issue's bound for
dynamic-range models is 1e-2 against the reference path.

Runs in the bench venv (.venv-tf): scripts/bench_zoo.sh --build-only first, then
  .venv-tf/bin/python scripts/zoo_accuracy.py [--models a,b] [--precisions float32 int8 dynamic]
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_zoo  # noqa: E402  (ZOO, CACHE, POCKET, images)

FILES = {"float32": "float.tflite", "int8": "int8.tflite", "dynamic": "dynamic.tflite"}


def build_dynamic(name):
    """dynamic.tflite for one zoo model (child process: TensorFlow's memory goes when it exits)."""
    import tensorflow as tf

    ctor, side = bench_zoo.ZOO[name]
    d = os.path.join(bench_zoo.CACHE, name)
    tf.keras.utils.set_random_seed(0)
    model = getattr(tf.keras.applications, ctor)(weights=None, input_shape=(side, side, 3))
    data = bench_zoo.images(side, bench_zoo.CALIB)
    # The same BatchNorm re-estimation as bench_zoo's build, so the weights match float.tflite.
    for layer in model.layers:
        if isinstance(layer, tf.keras.layers.BatchNormalization):
            layer.momentum = 0.0
    model(np.concatenate(data[:16]), training=True)
    c = tf.lite.TFLiteConverter.from_keras_model(model)
    c.optimizations = [tf.lite.Optimize.DEFAULT]
    path = os.path.join(d, "dynamic.tflite")
    with open(path + ".tmp", "wb") as f:
        f.write(c.convert())
    os.replace(path + ".tmp", path)


LITERT = """
import sys, numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType
model, inp, out, ref = sys.argv[1:5]
kw = {"experimental_op_resolver_type": OpResolverType.BUILTIN_REF} if ref == "1" else {}
it = Interpreter(model_path=model, num_threads=1, **kw)
it.allocate_tensors()
it.set_tensor(it.get_input_details()[0]["index"], np.load(inp))
it.invoke()
np.save(out, it.get_tensor(it.get_output_details()[0]["index"]))
"""


def litert(model, inp, reference):
    """LiteRT's output in a child process (its reference kernels abort on some models)."""
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "out.npy")
        r = subprocess.run([sys.executable, "-c", LITERT, model, inp, out, "1" if reference else "0"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            return f"LiteRT failed (exit {r.returncode})"
        return np.load(out).astype(np.float64)


def pocket(model, inp, numerics):
    with tempfile.TemporaryDirectory() as out:
        cmd = [bench_zoo.POCKET, "run", model, "--input", inp, "--threads", "1",
               "--numerics", numerics, "--save", out]
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            return (r.stderr.strip().splitlines() or ["failed"])[-1]
        return np.load(os.path.join(out, "output_0.npy")).astype(np.float64)


def rel(a, b):
    if isinstance(a, str) or isinstance(b, str):
        return a if isinstance(a, str) else b
    return f"{np.abs(a - b).max() / max(np.abs(b).max(), 1e-30):.1e}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=",".join(bench_zoo.ZOO))
    ap.add_argument("--precisions", nargs="+", default=list(FILES), choices=list(FILES))
    ap.add_argument("--build-one", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.build_one:
        build_dynamic(a.build_one)
        return
    print("| model | precision | ref: reference | ref: litert | default: litert | default: reference"
          " | LiteRT ref vs default | int8 equal (ref) |")
    print("|---|---|---|---|---|---|---|---|")
    for name in a.models.split(","):
        d = os.path.join(bench_zoo.CACHE, name)
        inp = os.path.join(d, "input.npy")
        if not os.path.exists(inp):
            print(f"  {name}: not built (run scripts/bench_zoo.sh --build-only)", file=sys.stderr)
            continue
        if "dynamic" in a.precisions and not os.path.exists(os.path.join(d, FILES["dynamic"])):
            print(f"  converting {name} to dynamic-range int8…", file=sys.stderr, flush=True)
            subprocess.run(["nice", "-n", "10", sys.executable, os.path.abspath(__file__),
                            "--build-one", name], check=True, capture_output=True)
        for p in a.precisions:
            m = os.path.join(d, FILES[p])
            ref, dflt = litert(m, inp, True), litert(m, inp, False)
            ours = {n: pocket(m, inp, n) for n in ("reference", "litert")}
            eq = "–"
            if p == "int8" and not isinstance(ours["reference"], str) and not isinstance(ref, str):
                # Float outputs of an int8 model: equal elements are equal dequantized codes.
                eq = f"{100 * np.mean(ours['reference'] == ref):.1f}%"
            print(f"| {name} | {p} | {rel(ours['reference'], ref)} | {rel(ours['litert'], ref)} "
                  f"| {rel(ours['litert'], dflt)} | {rel(ours['reference'], dflt)} "
                  f"| {rel(dflt, ref)} | {eq} |", flush=True)


if __name__ == "__main__":
    main()
