#!/usr/bin/env python3
"""Run an .onnx model in ONNX Runtime (PyPI onnxruntime), the oracle for Pocket Studio's ONNX tests.

Usage:
  ort_run.py MODEL.onnx OUT_DIR IN_0.npy [IN_1.npy ...] [--threads N]

Feeds IN_<i>.npy to the model's i-th graph input (initializers are not inputs), runs it on the
CPU execution provider and writes OUT_DIR/output_<i>.npy for every graph output, in graph order.

The session is configured to be a reference, not a fast path:
  * graph optimizations are ORT_DISABLE_ALL (no Conv+BN folding, no op fusion, no layout changes),
  * intra-op threads default to 1 and inter-op execution is sequential,
so the numbers are as close to "each op evaluated as written" as ORT gets, and are reproducible
on one machine from run to run.

Input .npy files must already have the dtype the model declares (no silent casting); their
shapes are checked by ORT (symbolic dims such as "batch" accept any size). Any error is printed
to stderr as "ort_run: error: ..." and the exit code is 1 (2 for bad command-line usage).
"""
import argparse
import os
import sys

import numpy as np
import onnxruntime as ort

# ONNX Runtime's type strings -> numpy dtypes, for the tensor types Pocket Studio cares about
# (plus a few more so that a clear mismatch message can be given).
ORT_TO_NUMPY = {
    "tensor(float)": np.float32,
    "tensor(float16)": np.float16,
    "tensor(double)": np.float64,
    "tensor(int8)": np.int8,
    "tensor(uint8)": np.uint8,
    "tensor(int16)": np.int16,
    "tensor(uint16)": np.uint16,
    "tensor(int32)": np.int32,
    "tensor(uint32)": np.uint32,
    "tensor(int64)": np.int64,
    "tensor(uint64)": np.uint64,
    "tensor(bool)": np.bool_,
}


def make_session(model, threads=1):
    """An InferenceSession set up as a reference: CPU EP, no graph optimization, N intra-op threads.

    `model` is a path or serialized ModelProto bytes. Shared with make_onnx_fixtures.py so the
    fixtures' expected outputs are produced exactly the way this script produces them.
    """
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.intra_op_num_threads = max(1, int(threads))
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.use_deterministic_compute = True
    so.log_severity_level = 3  # errors only; warnings would clutter test logs
    return ort.InferenceSession(model, sess_options=so, providers=["CPUExecutionProvider"])


def run(model, inputs, threads=1):
    """Run `model` on the arrays in `inputs` (a list, in graph-input order); return the outputs."""
    sess = make_session(model, threads)
    decl = sess.get_inputs()
    if len(decl) != len(inputs):
        names = ", ".join(d.name for d in decl)
        raise ValueError(f"model has {len(decl)} input(s) ({names}), got {len(inputs)} .npy file(s)")
    feeds = {}
    for i, (d, a) in enumerate(zip(decl, inputs)):
        want = ORT_TO_NUMPY.get(d.type)
        if want is None:
            raise ValueError(f"input {i} '{d.name}' has unsupported type {d.type}")
        if a.dtype != want:
            raise ValueError(
                f"input {i} '{d.name}' is {d.type} but the .npy holds {a.dtype}; "
                f"write it as {np.dtype(want).name}")
        if len(d.shape) != a.ndim:
            raise ValueError(f"input {i} '{d.name}' has rank {len(d.shape)} (shape {d.shape}) "
                             f"but the .npy has shape {list(a.shape)}")
        feeds[d.name] = a
    outs = sess.run(None, feeds)
    for o, val in zip(sess.get_outputs(), outs):
        if not isinstance(val, np.ndarray):
            raise ValueError(f"output '{o.name}' is {o.type}, not a tensor; cannot save as .npy")
    return outs


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("model", help="the .onnx file")
    ap.add_argument("out_dir", help="where output_<i>.npy are written (created if missing)")
    ap.add_argument("inputs", nargs="+", help="one .npy per graph input, in order")
    ap.add_argument("--threads", type=int, default=1, help="intra-op threads (default 1)")
    a = ap.parse_args()
    try:
        arrays = []
        for p in a.inputs:
            if not os.path.isfile(p):
                raise FileNotFoundError(f"input file not found: {p}")
            arrays.append(np.load(p, allow_pickle=False))
        if not os.path.isfile(a.model):
            raise FileNotFoundError(f"model not found: {a.model}")
        outs = run(a.model, arrays, a.threads)
        os.makedirs(a.out_dir, exist_ok=True)
        for i, val in enumerate(outs):
            np.save(os.path.join(a.out_dir, f"output_{i}.npy"), val)
    except Exception as e:  # one clear line for the Rust test harness to show
        print(f"ort_run: error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
