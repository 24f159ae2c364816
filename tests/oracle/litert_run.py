#!/usr/bin/env python3
"""Run .tflite models in LiteRT (PyPI ai-edge-litert), the oracle of Pocket Studio's tests.

Usage:
  litert_run.py MODEL --input a.npy [--input b.npy ...] --out DIR [--threads N] [--ref] [--steps N]
  litert_run.py --manifest cases.json
A manifest is a JSON list of {"model", "inputs": [...], "out", "threads", "ref", "steps"} entries;
each writes DIR/output_<i>.npy for output i. With steps N (as `pocket run --steps N`), one
interpreter is invoked N times, so the model's state (resource variables, CALL_ONCE) carries
from step to step: an input array with one more axis than the model's input, of length N, gives
one slice per step, any other is fed every step; step k writes DIR/output_<i>_step<k>.npy. Errors are reported per case in DIR/error.txt, so one
bad case does not hide the others. Exit code 0 when every case ran.
"""
import argparse
import json
import os
import sys

import numpy as np
from ai_edge_litert.interpreter import Interpreter, OpResolverType


def run_case(model, inputs, out, threads=1, ref=False, steps=None):
    os.makedirs(out, exist_ok=True)
    kind = OpResolverType.BUILTIN_REF if ref else OpResolverType.AUTO
    it = Interpreter(model_path=model, num_threads=threads, experimental_op_resolver_type=kind)
    details = it.get_input_details()
    if len(details) != len(inputs):
        raise ValueError(f"model has {len(details)} inputs, got {len(inputs)}")
    arrays = [np.load(p) for p in inputs]
    if steps is None:
        feeds = [arrays]
    else:
        sliced = [a.ndim == len(d["shape"]) + 1 and a.shape[0] == steps
                  for d, a in zip(details, arrays)]
        feeds = [[a[k] if s else a for a, s in zip(arrays, sliced)] for k in range(steps)]
    for d, a in zip(details, feeds[0]):
        if list(d["shape"]) != list(a.shape):
            it.resize_tensor_input(d["index"], list(a.shape))
    it.allocate_tensors()
    for k, feed in enumerate(feeds):
        for d, a in zip(details, feed):
            it.set_tensor(d["index"], a.astype(d["dtype"], copy=False))
        it.invoke()
        tail = "" if steps is None else f"_step{k}"
        for i, d in enumerate(it.get_output_details()):
            np.save(os.path.join(out, f"output_{i}{tail}.npy"), it.get_tensor(d["index"]))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", nargs="?")
    ap.add_argument("--input", action="append", default=[])
    ap.add_argument("--out")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--ref", action="store_true", help="use LiteRT's reference kernels (BUILTIN_REF)")
    ap.add_argument("--steps", type=int, default=None,
                    help="invoke one interpreter N times (inputs sliced on a leading axis of N)")
    ap.add_argument("--manifest")
    a = ap.parse_args()
    if a.manifest:
        with open(a.manifest) as f:
            cases = json.load(f)
        failed = 0
        for c in cases:
            try:
                run_case(c["model"], c["inputs"], c["out"], c.get("threads", 1), c.get("ref", False),
                         c.get("steps"))
            except Exception as e:  # report per case, keep going
                failed += 1
                os.makedirs(c["out"], exist_ok=True)
                with open(os.path.join(c["out"], "error.txt"), "w") as f:
                    f.write(f"{type(e).__name__}: {e}\n")
        print(f"litert: {len(cases) - failed} of {len(cases)} cases ran", file=sys.stderr)
        return 0
    if not a.model or not a.out:
        ap.error("MODEL and --out are required without --manifest")
    run_case(a.model, a.input, a.out, a.threads, a.ref, a.steps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
