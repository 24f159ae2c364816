#!/usr/bin/env python3
"""Speed of `pocket bench` next to LiteRT (default XNNPACK delegate) and ONNX Runtime on the same
models, in one run, alternating, at 1 and 2 threads; prints medians and ratios ours/theirs.

Models: the MobileNetV2-style and ResNet-18-style ONNX fixtures (tests/oracle/
make_onnx_fixtures.py). Float: ORT runs model.onnx; pocket and LiteRT run the .tflite that
`pocket convert --mode float32` makes of it. Int8: pocket and LiteRT run `pocket convert --mode
int8` output (calibrated on the fixture's 16 arrays); ORT runs a QDQ model made by
onnxruntime.quantization.quantize_static on the same arrays (per-channel int8 weights, int8
activations). Each latency is the median of --runs timed inferences after warm-up, in-process
(pocket's own timer, LiteRT invoke(), ORT run()); the table shows the median of --rounds.

With `--baseline PATH` (another build's `pocket`), that binary is measured too, in the same
rounds, alternating with this build, on the same files; the table gains its column and the
ratios of both builds (an A/B of a change).

Usage: .venv/bin/python scripts/bench_vs.py [--rounds 3] [--runs 30] [--threads 1 2]
                                            [--baseline OLD/pocket]
"""
import argparse
import gc
import glob
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnxruntime as ort
from ai_edge_litert.interpreter import Interpreter

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
POCKET = os.path.join(ROOT, "target/release/pocket")


def sh(*args):
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{r.stderr}")
    return r.stdout


def pocket_ms(model, threads, runs, binary=POCKET):
    out = sh(binary, "bench", model, "--threads", str(threads), "--runs", str(runs), "--warmup", "5", "--json")
    return json.loads(out)["median_ms"]


def litert_ms(model, x, threads, runs):
    it = Interpreter(model_path=model, num_threads=threads)
    it.allocate_tensors()
    d = it.get_input_details()[0]
    it.set_tensor(d["index"], x.astype(d["dtype"]))
    for _ in range(5):
        it.invoke()
    t = []
    for _ in range(runs):
        a = time.perf_counter()
        it.invoke()
        t.append((time.perf_counter() - a) * 1e3)
    # Tear the interpreter (and its spinning thread pool) down before the next measurement.
    del it
    gc.collect()
    return statistics.median(t)


def ort_ms(model, x, threads, runs):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    s = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    name = s.get_inputs()[0].name
    for _ in range(5):
        s.run(None, {name: x})
    t = []
    for _ in range(runs):
        a = time.perf_counter()
        s.run(None, {name: x})
        t.append((time.perf_counter() - a) * 1e3)
    del s
    gc.collect()
    return statistics.median(t)


def ort_int8(model, calib, out):
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self):
            name = ort.InferenceSession(model, providers=["CPUExecutionProvider"]).get_inputs()[0].name
            self.it = iter([{name: np.load(f)} for f in sorted(glob.glob(os.path.join(calib, "*.npy")))])

        def get_next(self):
            return next(self.it, None)

    pre = out + ".pre.onnx"
    quant_pre_process(model, pre, skip_symbolic_shape=True)
    quantize_static(pre, out, Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--make-ort-int8":
        ort_int8(*sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--fixtures", default=os.path.join(ROOT, "tests/fixtures/onnx"))
    ap.add_argument("--baseline", help="another build's pocket binary, measured alternately")
    a = ap.parse_args()
    cpu = ""
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print(f"Machine: {platform.machine()} {cpu}, {os.cpu_count()} cores; onnxruntime {ort.__version__}, "
          f"ai-edge-litert (XNNPACK default); median of {a.runs} runs, median of {a.rounds} alternating rounds\n")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("mobilenet_v2", "resnet18_half"):
            d = os.path.join(a.fixtures, name)
            onnx_f = os.path.join(d, "model.onnx")
            x = np.load(os.path.join(d, "input_0.npy")).astype(np.float32)
            tfl_f, tfl_q = os.path.join(tmp, f"{name}_f32.tflite"), os.path.join(tmp, f"{name}_int8.tflite")
            onnx_q = os.path.join(tmp, f"{name}_int8.onnx")
            sh(POCKET, "convert", onnx_f, "--mode", "float32", "-o", tfl_f)
            sh(POCKET, "convert", onnx_f, "--mode", "int8", "--calib", os.path.join(d, "calib"), "-o", tfl_q)
            # In a child process: the calibration sessions' thread pools must not outlive it
            # (lingering spinning pools slowed the next measurements of every runtime).
            sh(sys.executable, os.path.abspath(__file__), "--make-ort-int8", onnx_f,
               os.path.join(d, "calib"), onnx_q)
            for prec, tfl, onx in (("float32", tfl_f, onnx_f), ("int8", tfl_q, onnx_q)):
                for t in a.threads:
                    p, l, o, b = [], [], [], []
                    for _ in range(a.rounds):
                        p.append(pocket_ms(tfl, t, a.runs))
                        if a.baseline:
                            b.append(pocket_ms(tfl, t, a.runs, a.baseline))
                        l.append(litert_ms(tfl, x, t, a.runs))
                        o.append(ort_ms(onx, x, t, a.runs))
                    m = statistics.median
                    rows.append((name, prec, t, m(p), m(l), m(o), m(b) if b else None))
                    print(f"  measured {name} {prec} {t} thread(s)", file=sys.stderr)
    print("| model | precision | threads | pocket ms | LiteRT ms | ORT ms | pocket / LiteRT | pocket / ORT |")
    print("|---|---|---|---|---|---|---|---|")
    for (n, prec, t, p, l, o, _) in rows:
        print(f"| {n} | {prec} | {t} | {p:.2f} | {l:.2f} | {o:.2f} | {p / l:.2f} | {p / o:.2f} |")
    print()
    if a.baseline:
        print("| model | precision | threads | baseline ms | this build ms | baseline / LiteRT | "
              "this / LiteRT | this / baseline |")
        print("|---|---|---|---|---|---|---|---|")
        for (n, prec, t, p, l, _, b) in rows:
            print(f"| {n} | {prec} | {t} | {b:.2f} | {p:.2f} | {b / l:.2f} | {p / l:.2f} | {p / b:.2f} |")
        print()
    for n in ("mobilenet_v2", "resnet18_half"):
        for t in a.threads:
            f = next(r for r in rows if r[0] == n and r[1] == "float32" and r[2] == t)
            q = next(r for r in rows if r[0] == n and r[1] == "int8" and r[2] == t)
            print(f"- {n}, {t} thread(s): pocket int8 / pocket float = {q[3] / f[3]:.2f} "
                  f"(LiteRT {q[4] / f[4]:.2f}, ORT {q[5] / f[5]:.2f})")


if __name__ == "__main__":
    main()
