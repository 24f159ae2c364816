#!/usr/bin/env python3
"""The architecture zoo: `pocket bench` next to LiteRT (default XNNPACK path) and ONNX Runtime on
Keras applications converted by the TensorFlow converter, float32 and full int8 (float I/O), at
1 and 2 threads, in one run, alternating; prints the medians, the ratios ours/LiteRT and
ours/ORT, the peak-memory growth of `pocket bench` and of LiteRT, and `pocket bench --profile`'s
slowest ops for the worst models.

Models (random weights, fixed seed; the BatchNorm statistics are re-estimated on a batch of
synthetic images, else activations vanish in deep random nets): MobileNet v1, v2, v3-small,
v3-large, EfficientNet-B0, EfficientNetV2-B0, ResNet-50, ResNet-50-v2, DenseNet-121,
Inception-v3 (299×299), NASNet-mobile, ConvNeXt-tiny. Each is converted once (in a child
process, nice'd) and cached under ~/.cache/pocket-studio/zoo/<name>/: float.tflite,
int8.tflite (TFLITE_BUILTINS_INT8, float input and output, calibrated on 32 synthetic images),
float.onnx (tf2onnx 1.17 from the float .tflite, opset 17; ConvNeXt's GELU has no tf2onnx
rule, so it has no ONNX and no ORT column: `onnx.failed` marks that) and int8.onnx (onnxruntime
quantize_static QDQ, per-channel int8 weights, int8 activations, same images). Delete a
folder to rebuild it.

Timing: each latency is the median of --runs timed inferences after 5 warm-ups, in-process
(pocket's own timer via `pocket bench --json`, LiteRT invoke(), ORT run()); the table shows
the median over --rounds alternating rounds. When `pocket bench --help` lists `--numerics`,
pocket runs once per --numerics value (default: litert and reference) and the table has a
column for each.

Memory: `pocket bench`'s peak RSS (/usr/bin/time's maximum resident set) minus that of a bare
`pocket --version`; LiteRT's is the peak RSS after loading, allocating and running the model
minus the RSS before, in a fresh Python process that has imported LiteRT (the peak is reset
after the imports with Linux's clear_refs, else ru_maxrss). 1 thread.

Runs in the bench-only venv .venv-tf (tensorflow-cpu 2.21.0, ai-edge-litert 2.3.0, tf2onnx,
onnxruntime); see scripts/bench_zoo.sh. Never run by CI.

`--inspect-memory [FILE.onnx ...]`: instead, the peak RSS of `pocket inspect` on ONNX files
(default: the zoo's float.onnx files and the real models cached in
~/.cache/pocket-studio/real-models/models) next to each file's size; the issue's bound is 1.5×.

Usage: bench_zoo.py [--models mobilenet_v2,resnet50] [--rounds 3] [--runs 20] [--threads 1 2]
                    [--numerics litert reference] [--no-ort] [--build-only] [--profile-top 3]
       bench_zoo.py --inspect-memory [FILE.onnx ...]
"""
import argparse
import gc
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
POCKET = os.environ.get("POCKET_BIN", os.path.join(ROOT, "target/release/pocket"))
CACHE = os.path.expanduser("~/.cache/pocket-studio/zoo")
CALIB = 32
FAILURES = {}  # model file -> pocket's error

# name -> (keras.applications constructor, input side)
ZOO = {
    "mobilenet_v1": ("MobileNet", 224),
    "mobilenet_v2": ("MobileNetV2", 224),
    "mobilenet_v3_small": ("MobileNetV3Small", 224),
    "mobilenet_v3_large": ("MobileNetV3Large", 224),
    "efficientnet_b0": ("EfficientNetB0", 224),
    "efficientnet_v2_b0": ("EfficientNetV2B0", 224),
    "resnet50": ("ResNet50", 224),
    "resnet50_v2": ("ResNet50V2", 224),
    "densenet121": ("DenseNet121", 224),
    "inception_v3": ("InceptionV3", 299),
    "nasnet_mobile": ("NASNetMobile", 224),
    "convnext_tiny": ("ConvNeXtTiny", 224),
}


def images(side, n, seed=0):
    """Synthetic images in 0..255 (the Keras applications' own preprocessing is not applied,
    so the range only has to be plausible): smooth gradients plus noise."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float32) / side
    out = []
    for _ in range(n):
        a, b, c = rng.uniform(0, 1, 3)
        base = np.stack([a * xx + (1 - a) * yy, b * yy, c * (1 - xx)], -1) * 255
        out.append((base + rng.normal(0, 20, base.shape)).clip(0, 255).astype(np.float32)[None])
    return out


# ---------------------------------------------------------------------------------- build


def build_one(name):
    """Convert one model into CACHE/name (run in a child process: TensorFlow's memory is
    returned when it exits)."""
    import tensorflow as tf

    ctor, side = ZOO[name]
    d = os.path.join(CACHE, name)
    os.makedirs(d, exist_ok=True)
    tf.keras.utils.set_random_seed(0)
    model = getattr(tf.keras.applications, ctor)(weights=None, input_shape=(side, side, 3))
    data = images(side, CALIB)
    # Random weights leave the BatchNorm statistics meaningless: with momentum 0 one training
    # pass sets every moving mean/variance to the statistics of its input on this batch.
    for layer in model.layers:
        if isinstance(layer, tf.keras.layers.BatchNormalization):
            layer.momentum = 0.0
    model(np.concatenate(data[:16]), training=True)

    def save(path, blob):
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            f.write(blob)
        os.replace(tmp, path)

    fl = os.path.join(d, "float.tflite")
    if not os.path.exists(fl):
        save(fl, tf.lite.TFLiteConverter.from_keras_model(model).convert())
    q = os.path.join(d, "int8.tflite")
    if not os.path.exists(q):
        c = tf.lite.TFLiteConverter.from_keras_model(model)
        c.optimizations = [tf.lite.Optimize.DEFAULT]
        c.representative_dataset = lambda: ([x] for x in data)
        c.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        save(q, c.convert())
    np.save(os.path.join(d, "input.npy"), data[0])


def build_onnx(name):
    """float.onnx from float.tflite (tf2onnx), int8.onnx by ORT's static QDQ quantization."""
    d = os.path.join(CACHE, name)
    fo, qo = os.path.join(d, "float.onnx"), os.path.join(d, "int8.onnx")
    if not os.path.exists(fo):
        import tf2onnx

        tmp = fo + ".tmp"
        tf2onnx.convert.from_tflite(os.path.join(d, "float.tflite"), opset=17, output_path=tmp)
        os.replace(tmp, fo)
    if not os.path.exists(qo):
        import onnxruntime as ort
        from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
        from onnxruntime.quantization.shape_inference import quant_pre_process

        side = ZOO[name][1]
        iname = ort.InferenceSession(fo, providers=["CPUExecutionProvider"]).get_inputs()[0].name

        class Reader(CalibrationDataReader):
            def __init__(self):
                self.it = iter([{iname: x} for x in images(side, CALIB)])

            def get_next(self):
                return next(self.it, None)

        pre = qo + ".pre.onnx"
        quant_pre_process(fo, pre, skip_symbolic_shape=True)
        tmp = qo + ".tmp.onnx"
        quantize_static(pre, tmp, Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
        os.replace(tmp, qo)
        os.remove(pre)


def build(names, ort_too):
    for n in names:
        d = os.path.join(CACHE, n)
        need = [f for f in ("float.tflite", "int8.tflite", "input.npy") if not os.path.exists(os.path.join(d, f))]
        if need:
            print(f"  converting {n} (TF converter)…", file=sys.stderr, flush=True)
            run_child("--build-one", n)
        failed = os.path.join(d, "onnx.failed")  # delete it to try again
        if ort_too and not os.path.exists(failed) and not all(
                os.path.exists(os.path.join(d, f)) for f in ("float.onnx", "int8.onnx")):
            print(f"  converting {n} to ONNX (tf2onnx + ORT quantization)…", file=sys.stderr, flush=True)
            if not run_child("--build-onnx", n, fatal=False):
                # tf2onnx may write a file ORT cannot load (e.g. TFL_GELU from ConvNeXt).
                for f in ("float.onnx", "int8.onnx"):
                    if os.path.exists(os.path.join(d, f)):
                        os.remove(os.path.join(d, f))
                with open(failed, "w") as f:
                    f.write("tf2onnx or ORT could not convert or load this model (see the log)\n")
                print(f"  warning: no ONNX for {n}; its ORT column stays empty", file=sys.stderr)


def run_child(*args, fatal=True):
    r = subprocess.run(["nice", "-n", "10", sys.executable, os.path.abspath(__file__), *args],
                       capture_output=True, text=True)
    if r.returncode != 0:
        tail = "\n".join(r.stderr.strip().splitlines()[-15:])
        if fatal:
            sys.exit(f"{' '.join(args)} failed:\n{tail}")
        print(tail, file=sys.stderr)
        return False
    return True


# ---------------------------------------------------------------------------------- timing


def run_out(cmd):
    """Run a command; its stdout (exits with its stderr when it fails)."""
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{r.stderr}")
    return r.stdout


def child_maxrss(cmd):
    """Run a command (output discarded); its peak RSS in bytes, as /usr/bin/time -v reports it
    (a forked Python child's ru_maxrss would start at the parent's size)."""
    if os.path.exists("/usr/bin/time"):
        r = subprocess.run(["/usr/bin/time", "-f", "%M", *cmd], stdout=subprocess.DEVNULL,
                           stderr=subprocess.PIPE, text=True)
        if r.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed:\n{r.stderr}")
        return int(r.stderr.strip().splitlines()[-1]) * 1024
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, ru = os.wait4(p.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"{' '.join(cmd)} failed (exit {os.waitstatus_to_exitcode(status)})")
    return ru.ru_maxrss * 1024


def pocket_ms(model, threads, runs, numerics=None, profile=False):
    cmd = [POCKET, "bench", model, "--threads", str(threads), "--runs", str(runs), "--warmup", "5", "--json"]
    if numerics:
        cmd += ["--numerics", numerics]
    if profile:
        cmd.append("--profile")
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        err = (r.stderr.strip().splitlines() or ["failed"])[-1]
        FAILURES.setdefault(os.path.relpath(model, CACHE), err)
        return None
    return json.loads(r.stdout)


def litert_ms(model, x, threads, runs):
    from ai_edge_litert.interpreter import Interpreter

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
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    s = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    i = s.get_inputs()[0]
    if i.shape and len(i.shape) == 4 and i.shape[1] == 3 and x.shape[-1] == 3:
        x = x.transpose(0, 3, 1, 2)
    x = np.ascontiguousarray(x)
    for _ in range(5):
        s.run(None, {i.name: x})
    t = []
    for _ in range(runs):
        a = time.perf_counter()
        s.run(None, {i.name: x})
        t.append((time.perf_counter() - a) * 1e3)
    del s
    gc.collect()
    return statistics.median(t)


def status_kib(key):
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith(key + ":"))


def litert_mem(model):
    """In a fresh process: the peak RSS growth from loading, allocating and running the model.
    The peak is reset first (Linux clear_refs 5), so the imports' own transient peak does not
    hide it; elsewhere ru_maxrss after minus before."""
    from ai_edge_litert.interpreter import Interpreter

    x = np.load(os.path.join(os.path.dirname(model), "input.npy"))
    gc.collect()
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        before = status_kib("VmRSS")
        peak = lambda: status_kib("VmHWM")  # noqa: E731
    except OSError:
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak = lambda: resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # noqa: E731
    it = Interpreter(model_path=model, num_threads=1)
    it.allocate_tensors()
    d = it.get_input_details()[0]
    it.set_tensor(d["index"], x.astype(d["dtype"]))
    for _ in range(3):
        it.invoke()
    print((peak() - before) * 1024)


def inspect_memory(files):
    """Peak RSS of `pocket inspect` per ONNX file, against the file's size."""
    if not files:
        files = sorted(os.path.join(CACHE, n, "float.onnx") for n in ZOO)
        real = os.path.expanduser("~/.cache/pocket-studio/real-models/models")
        if os.path.isdir(real):
            files += sorted(os.path.join(real, f) for f in os.listdir(real) if f.endswith(".onnx"))
    files = [f for f in files if os.path.exists(f)]
    bare = child_maxrss([POCKET, "--version"])
    print(f"`pocket inspect` peak RSS (bare `pocket --version`: {mib(bare)} MiB):\n")
    print("| file | file MiB | peak MiB | peak / file |")
    print("|---|---|---|---|")
    worst = []
    for f in files:
        size = os.path.getsize(f)
        try:
            peak = child_maxrss([POCKET, "inspect", f])
        except SystemExit:
            print(f"| {os.path.relpath(f, CACHE) if f.startswith(CACHE) else os.path.basename(f)} | "
                  f"{size / (1 << 20):.1f} | (fails) | – |")
            continue
        name = os.path.relpath(f, CACHE) if f.startswith(CACHE) else os.path.basename(f)
        print(f"| {name} | {size / (1 << 20):.1f} | {peak / (1 << 20):.1f} | {peak / size:.2f} |")
        if size >= 20 << 20:
            worst.append(peak / size)
    if worst:
        print(f"\n- files of 20 MiB or more: peak / file at most {max(worst):.2f}")


def has_numerics():
    r = subprocess.run([POCKET, "bench", "--help"], capture_output=True, text=True)
    return "--numerics" in r.stdout


def mib(b):
    return "–" if b is None else f"{b / (1 << 20):.0f}"


def fmt(v, nd=2):
    return "–" if v is None else f"{v:.{nd}f}"


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--build-one":
        build_one(sys.argv[2])
        return
    if len(sys.argv) == 3 and sys.argv[1] == "--build-onnx":
        build_onnx(sys.argv[2])
        return
    if len(sys.argv) == 3 and sys.argv[1] == "--litert-mem":
        litert_mem(sys.argv[2])
        return
    if len(sys.argv) >= 2 and sys.argv[1] == "--inspect-memory":
        inspect_memory(sys.argv[2:])
        return
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", default=",".join(ZOO), help="comma-separated subset of: " + ", ".join(ZOO))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--precisions", nargs="+", default=["float32", "int8"], choices=["float32", "int8"])
    ap.add_argument("--numerics", nargs="+", default=["litert", "reference"],
                    help="pocket bench --numerics values to time (used when pocket has the flag)")
    ap.add_argument("--no-ort", action="store_true", help="leave the ONNX Runtime column out")
    ap.add_argument("--no-memory", action="store_true")
    ap.add_argument("--build-only", action="store_true")
    ap.add_argument("--profile-top", type=int, default=3, help="profile the N worst models (0: none)")
    a = ap.parse_args()
    names = [n.strip() for n in a.models.split(",") if n.strip()]
    bad = [n for n in names if n not in ZOO]
    if bad:
        sys.exit(f"unknown model(s) {', '.join(bad)}; the zoo has {', '.join(ZOO)}")
    ort_ok = not a.no_ort
    if ort_ok:
        try:
            import onnxruntime  # noqa: F401
            import tf2onnx  # noqa: F401
        except ImportError as e:
            print(f"note: no ORT column ({e})", file=sys.stderr)
            ort_ok = False
    build(names, ort_ok)
    if a.build_only:
        return
    if not os.path.exists(POCKET):
        sys.exit(f"{POCKET} is missing: cargo build --release -p pocket-studio")
    numerics = a.numerics if has_numerics() else [None]
    cols = [n or "pocket" for n in numerics]

    cpu = ""
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    print(f"Machine: {platform.machine()} {cpu}, {os.cpu_count()} cores; ai-edge-litert (default "
          f"XNNPACK path){', onnxruntime' if ort_ok else ''}; median of {a.runs} runs, median of "
          f"{a.rounds} alternating rounds; pocket numerics: {', '.join(cols)}\n")

    rows = []  # (name, prec, threads, {col: ms}, litert, ort)
    for n in names:
        d = os.path.join(CACHE, n)
        x = np.load(os.path.join(d, "input.npy"))
        for prec in a.precisions:
            tfl = os.path.join(d, "float.tflite" if prec == "float32" else "int8.tflite")
            onx = os.path.join(d, "float.onnx" if prec == "float32" else "int8.onnx")
            use_ort = ort_ok and os.path.exists(onx)
            for t in a.threads:
                p = {c: [] for c in cols}
                lt, ot = [], []
                for _ in range(a.rounds):
                    for num, c in zip(numerics, cols):
                        j = pocket_ms(tfl, t, a.runs, num)
                        if j is not None:
                            p[c].append(j["median_ms"])
                    lt.append(litert_ms(tfl, x, t, a.runs))
                    if use_ort:
                        ot.append(ort_ms(onx, x, t, a.runs))
                m = statistics.median
                rows.append((n, prec, t, {c: m(v) if v else None for c, v in p.items()}, m(lt),
                             m(ot) if ot else None))
                print(f"  measured {n} {prec} {t} thread(s)", file=sys.stderr, flush=True)

    main_col = cols[0]
    head = "| model | precision | threads | " + " | ".join(f"pocket {c} ms" if c != "pocket" else "pocket ms" for c in cols)
    head += " | LiteRT ms | ORT ms | ours / LiteRT | ours / ORT |"
    if len(cols) > 1:
        head += f" {cols[1]} / {cols[0]} |"
    print(head)
    print("|" + "---|" * (head.count("|") - 1))
    for (n, prec, t, p, l, o) in rows:
        line = f"| {n} | {prec} | {t} | " + " | ".join(fmt(p[c]) for c in cols)
        line += f" | {fmt(l)} | {fmt(o)} | {fmt(ratio(p[main_col], l))} | {fmt(ratio(p[main_col], o))} |"
        if len(cols) > 1:
            line += f" {fmt(ratio(p[cols[1]], p[cols[0]]))} |"
        print(line)
    print()
    for prec in a.precisions:
        for t in a.threads:
            rs = [ratio(r[3][main_col], r[4]) for r in rows if r[1] == prec and r[2] == t]
            rs = [x for x in rs if x is not None]
            if rs:
                print(f"- {prec}, {t} thread(s): ours / LiteRT median {statistics.median(rs):.2f}, "
                      f"worst {max(rs):.2f}, best {min(rs):.2f}")
    if "float32" in a.precisions and "int8" in a.precisions:
        slower = [(r[0], r[2]) for r in rows if r[1] == "int8"
                  for f in rows if f[1] == "float32" and f[0] == r[0] and f[2] == r[2]
                  and None not in (r[3][main_col], f[3][main_col]) and r[3][main_col] >= f[3][main_col]]
        print(f"- our int8 slower than our float32: {', '.join(f'{n} ({t}t)' for n, t in slower) or 'none'}")
    for f, e in FAILURES.items():
        print(f"- pocket cannot run {f}: {e}")
    print()

    if not a.no_memory:
        bare = child_maxrss([POCKET, "--version"])
        print(f"Peak RSS growth, 1 thread (pocket: `pocket bench` minus a bare `pocket --version`, "
              f"{mib(bare)} MiB; LiteRT: ru_maxrss after loading + running minus before, one process), MiB:\n")
        print("| model | precision | file MiB | pocket | LiteRT | pocket / LiteRT |")
        print("|---|---|---|---|---|---|")
        for n in names:
            for prec in a.precisions:
                tfl = os.path.join(CACHE, n, "float.tflite" if prec == "float32" else "int8.tflite")
                cmd = [POCKET, "bench", tfl, "--threads", "1", "--runs", "3", "--warmup", "1", "--json"]
                if numerics[0]:
                    cmd += ["--numerics", numerics[0]]
                try:
                    ours = child_maxrss(cmd) - bare
                except SystemExit:
                    ours = None
                r = subprocess.run([sys.executable, os.path.abspath(__file__), "--litert-mem", tfl],
                                   capture_output=True, text=True)
                lit = int(r.stdout.strip()) if r.returncode == 0 and r.stdout.strip() else None
                print(f"| {n} | {prec} | {mib(os.path.getsize(tfl))} | {mib(ours)} | "
                      f"{mib(lit) if lit is not None else '–'} | {fmt(ratio(ours, lit))} |")
        print()

    if a.profile_top > 0:
        worst = sorted((r for r in rows if r[2] == min(a.threads) and r[3][main_col] is not None),
                       key=lambda r: -(ratio(r[3][main_col], r[4]) or 0))
        print(f"`pocket bench --profile` ({min(a.threads)} thread), the {a.profile_top} worst ours / LiteRT:\n")
        for (n, prec, t, p, l, _) in worst[: a.profile_top]:
            tfl = os.path.join(CACHE, n, "float.tflite" if prec == "float32" else "int8.tflite")
            j = pocket_ms(tfl, t, a.runs, numerics[0], profile=True)
            if j is None:
                continue
            ops = sorted(j.get("ops", []), key=lambda o: -o["ms"])[:4]
            desc = "; ".join(f"{o['op']} ×{o['count']} {o['ms']:.2f} ms ({o['percent']:.0f}%"
                             + (f", {o['gmacs']:.0f} GMAC/s" if o.get("macs") else "") + ")" for o in ops)
            print(f"- {n} {prec} ({ratio(p[main_col], l):.2f}× LiteRT, {j['median_ms']:.2f} ms profiled): {desc}")


if __name__ == "__main__":
    main()
