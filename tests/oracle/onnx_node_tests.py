#!/usr/bin/env python3
"""Export ONNX's own backend node tests as model.onnx + .npy cases for Pocket Studio.

Usage:
  onnx_node_tests.py OUT_DIR [--ops Conv,Relu,...] [--data-dir DIR]

ONNX's node tests are tiny one-op (or, for the "_expanded" variants, function-body) models with
one reference data set each: <test>/model.onnx + test_data_set_0/input_<i>.pb, output_<i>.pb.
For every test whose graph uses only ops from --ops (default: the ops Pocket Studio supports,
see DEFAULT_OPS; subgraphs of If/Loop count too, and any non-default domain disqualifies), this
writes
  OUT_DIR/<test>/model.onnx              the model, unchanged
  OUT_DIR/<test>/input_<i>.npy           graph input i   (onnx.numpy_helper.to_array of the .pb)
  OUT_DIR/<test>/output_<i>.npy          expected output i
and OUT_DIR/index.json, a list with one entry per selected test:
  {"name", "op_types" (distinct, in node order), "opset" (default-domain version),
   "input_dtypes", "output_dtypes", "converted" (every input/output became an .npy without
   error), "written", "expanded" (function-expansion variant), "rtol", "atol",
   "nondeterministic" (training-mode Dropout: expected output is one random draw, do not
   compare), "reason" (only when not written), "other_opsets" (only if present)}
Selected tests are skipped (written=false, "reason" says why) when a graph input/output is not a
tensor of float32/float16/int8/uint8/int32/int64/bool (e.g. double, string, bfloat16, float8,
sequence/optional types) or when conversion fails.
stdout gets, per op in the list, how many node tests use it (anywhere in their graph), how many
use only listed ops (selected), and how many were written; then the totals.

Where the tests come from: the shipped directory onnx/backend/test/data/node of the installed
onnx package if it exists. Recent onnx wheels (1.23.2 included) do not ship that directory, only
the generators in onnx/backend/test/case/node/*.py that upstream's
`backend-test-tools generate-data` turns into it. In that case this script runs the same
generators in-process (seeded with 0 before every export, exactly as upstream does, so the data
is deterministic) and converts each array through a TensorProto, the same route the .pb files
take. --data-dir points at a different node-test directory (e.g. an onnx source checkout's
onnx/backend/test/data/node) and forces the directory route.

The default tolerances in index.json are ONNX's for node tests (rtol 1e-3, atol 1e-7).
"""
import argparse
import collections
import json
import os
import re
import shutil
import sys
import warnings

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper

DEFAULT_OPS = (
    "Conv,ConvTranspose,Gemm,MatMul,BatchNormalization,Relu,Clip,LeakyRelu,PRelu,Sigmoid,Tanh,"
    "HardSigmoid,HardSwish,Add,Sub,Mul,Div,Pow,Sqrt,Exp,Erf,Max,Min,MaxPool,AveragePool,"
    "GlobalAveragePool,GlobalMaxPool,LpPool,GlobalLpPool,Flatten,Reshape,Transpose,Concat,Split,Slice,Squeeze,"
    "Unsqueeze,Gather,Pad,Resize,Upsample,Softmax,LogSoftmax,ReduceMean,ReduceMax,ReduceSum,Shape,"
    "Constant,ConstantOfShape,Identity,Dropout,Cast,ArgMax,Expand,LayerNormalization,"
    "QuantizeLinear,DequantizeLinear,"
    "QLinearConv,QLinearMatMul,ConvInteger,MatMulInteger,DynamicQuantizeLinear,"
    "LSTM,GRU,RNN"
)
# The logic family (engine/src/formats/onnx/ops/logic.rs).
DEFAULT_OPS += (
    ",Equal,Less,LessOrEqual,Greater,GreaterOrEqual,Not,And,Or,Xor,Where,Neg,Abs,Log,Floor,Ceil,"
    "Round,Sign,Sin,Cos,Reciprocal,Mod,IsNaN,IsInf,Gelu,Softplus,Softsign,Mish,Selu,Elu,Celu,"
    "ThresholdedRelu,Sum,Mean"
)
# Control flow (engine/src/formats/onnx/ops/control.rs, while_loop.rs, unroll.rs).
DEFAULT_OPS += ",If,Loop,Scan"
# Shape, index, reduction and normalization ops real models use (the ONNX-ops issue's list).
DEFAULT_OPS += (
    ",CumSum,Einsum,Size,Range,Tile,NonZero,TopK,ArgMin,ReduceMin,ReduceProd,ReduceL1,ReduceL2,"
    "ReduceLogSum,ReduceLogSumExp,ReduceSumSquare,InstanceNormalization,GroupNormalization,"
    "LpNormalization,DepthToSpace,SpaceToDepth,GatherElements,GatherND,ScatterND,ScatterElements,"
    "OneHot,Trilu,"
    "NonMaxSuppression"
)

# Tensor element types Pocket Studio's test harness reads from .npy.
ALLOWED_TYPES = {
    TensorProto.FLOAT: "float32",
    TensorProto.FLOAT16: "float16",
    TensorProto.INT8: "int8",
    TensorProto.UINT8: "uint8",
    TensorProto.INT32: "int32",
    TensorProto.INT64: "int64",
    TensorProto.BOOL: "bool",
}
DEFAULT_RTOL, DEFAULT_ATOL = 1e-3, 1e-7
# Tests whose expected outputs come from a random draw no runtime can reproduce (Dropout in
# training mode with ratio > 0); flagged "nondeterministic": true in index.json.
NONDETERMINISTIC = {"test_training_dropout", "test_training_dropout_default",
                    "test_training_dropout_default_mask", "test_training_dropout_mask"}
SHIPPED_DIR = os.path.join(os.path.dirname(onnx.__file__), "backend", "test", "data", "node")


# --- reading tests --------------------------------------------------------------------------

class NodeTest:
    """One node test: its model plus the input/output TensorProtos of test_data_set_0.

    `tensors_error` is set instead of the lists when the data could not be read as TensorProtos
    (non-tensor values); `model_path` is the source file when reading a directory.
    """

    def __init__(self, name, model, inputs, outputs, model_path=None, rtol=DEFAULT_RTOL,
                 atol=DEFAULT_ATOL, tensors_error=None):
        self.name, self.model, self.model_path = name, model, model_path
        self.inputs, self.outputs, self.tensors_error = inputs, outputs, tensors_error
        self.rtol, self.atol = rtol, atol


def read_pb_dir(data_dir):
    """NodeTests from a shipped-style directory: <test>/model.onnx + test_data_set_0/*.pb."""

    def numbered(d, prefix):
        files = [f for f in os.listdir(d) if re.fullmatch(prefix + r"_\d+\.pb", f)]
        return [os.path.join(d, f) for f in sorted(files, key=lambda f: int(f[len(prefix) + 1:-3]))]

    def load_tensor(path):
        t = TensorProto()
        with open(path, "rb") as f:
            t.ParseFromString(f.read())
        return t

    tests = []
    for name in sorted(os.listdir(data_dir)):
        mpath = os.path.join(data_dir, name, "model.onnx")
        if not os.path.isfile(mpath):
            continue
        model = onnx.load(mpath)
        ds = os.path.join(data_dir, name, "test_data_set_0")
        ins = outs = err = None
        if not has_only_tensor_io(model):
            err = "graph input/output is not a tensor (sequence/optional/map)"
        elif not os.path.isdir(ds):
            err = "no test_data_set_0"
        else:
            try:
                ins = [load_tensor(p) for p in numbered(ds, "input")]
                outs = [load_tensor(p) for p in numbered(ds, "output")]
            except Exception as e:
                err = f"cannot parse .pb: {type(e).__name__}: {e}"
        tests.append(NodeTest(name, model, ins, outs, model_path=mpath, tensors_error=err))
    return tests


def generate_tests():
    """NodeTests generated in-process by onnx's own case generators (what generate-data writes)."""
    import onnx.backend.test.case.node as node_cases

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the generators trip numpy warnings on purpose (1/0 ...)
        cases = node_cases.collect_testcases()

    def to_proto(value, name):
        # The same conversion generate-data uses for tensor inputs/outputs, then a serialize/
        # parse round trip, so the TensorProto is byte-for-byte what a .pb file would hold.
        t = value if isinstance(value, TensorProto) else numpy_helper.from_array(value, name)
        out = TensorProto()
        out.ParseFromString(t.SerializeToString())
        return out

    tests = []
    for c in sorted(cases, key=lambda c: c.name):
        inputs, outputs = c.data_sets[0]
        ins = outs = err = None
        if not has_only_tensor_io(c.model):
            err = "graph input/output is not a tensor (sequence/optional/map)"
        else:
            try:
                ins = [to_proto(v, vi.name) for v, vi in zip(inputs, c.model.graph.input)]
                outs = [to_proto(v, vi.name) for v, vi in zip(outputs, c.model.graph.output)]
            except Exception as e:
                err = f"cannot convert to TensorProto: {type(e).__name__}: {e}"
        tests.append(NodeTest(c.name, c.model, ins, outs, rtol=c.rtol, atol=c.atol,
                              tensors_error=err))
    return tests


# --- model inspection -----------------------------------------------------------------------

def has_only_tensor_io(model):
    return all(v.type.HasField("tensor_type") for v in [*model.graph.input, *model.graph.output])


def graph_op_types(graph):
    """Op types of a graph and of all its subgraphs, in node order; non-default domains prefixed."""
    ops = []
    for n in graph.node:
        ops.append(n.op_type if n.domain in ("", "ai.onnx") else f"{n.domain}:{n.op_type}")
        for a in n.attribute:
            for g in ([a.g] if a.HasField("g") else []) + list(a.graphs):
                ops.extend(graph_op_types(g))
    return ops


def type_name(value_info):
    """"float32", "int64", "bfloat16", ... for a tensor; "sequence"/"optional"/"map" otherwise."""
    t = value_info.type
    if not t.HasField("tensor_type"):
        return t.WhichOneof("value") or "unknown"
    et = t.tensor_type.elem_type
    if et in ALLOWED_TYPES:
        return ALLOWED_TYPES[et]
    return TensorProto.DataType.Name(et).lower()


def default_opset(model):
    for o in model.opset_import:
        if o.domain in ("", "ai.onnx"):
            return o.version
    return None


# --- export ---------------------------------------------------------------------------------

def export_test(t, out_dir):
    """Write one selected test; return its index.json entry."""
    model = t.model
    ops = graph_op_types(model.graph)
    entry = {
        "name": t.name,
        "op_types": list(dict.fromkeys(ops)),
        "opset": default_opset(model),
        "input_dtypes": [type_name(v) for v in model.graph.input],
        "output_dtypes": [type_name(v) for v in model.graph.output],
        "converted": False,
        "written": False,
        "expanded": "_expanded" in t.name,
        "rtol": t.rtol,
        "atol": t.atol,
        "nondeterministic": t.name in NONDETERMINISTIC,
    }
    others = {o.domain: o.version for o in model.opset_import if o.domain not in ("", "ai.onnx")}
    if others:
        entry["other_opsets"] = others

    # 1. Convert every tensor to numpy (recorded even if the test is skipped for its types).
    arrays, reason = None, t.tensors_error
    if reason is None:
        try:
            arrays = ([numpy_helper.to_array(p) for p in t.inputs],
                      [numpy_helper.to_array(p) for p in t.outputs])
            if len(arrays[0]) != len(model.graph.input) or len(arrays[1]) != len(model.graph.output):
                raise ValueError(f"{len(arrays[0])} inputs/{len(arrays[1])} outputs in the data set "
                                 f"but the graph has {len(model.graph.input)}/{len(model.graph.output)}")
            entry["converted"] = True
        except Exception as e:
            arrays, reason = None, f"conversion failed: {type(e).__name__}: {e}"

    # 2. Skip unsupported element types (checked on the declared graph types).
    if reason is None:
        bad = sorted({d for d in entry["input_dtypes"] + entry["output_dtypes"]
                      if d not in ALLOWED_TYPES.values()})
        if bad:
            reason = "unsupported tensor type(s): " + ", ".join(bad)
    if reason is not None:
        entry["reason"] = reason
        return entry

    # 3. Write model + arrays (a fresh directory, so no stale files from an earlier run).
    d = os.path.join(out_dir, t.name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    if t.model_path:
        shutil.copyfile(t.model_path, os.path.join(d, "model.onnx"))
    else:
        with open(os.path.join(d, "model.onnx"), "wb") as f:
            f.write(model.SerializeToString())
    for kind, arrs in zip(("input", "output"), arrays):
        for i, a in enumerate(arrs):
            np.save(os.path.join(d, f"{kind}_{i}.npy"), a, allow_pickle=False)
    entry["written"] = True
    return entry


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("--ops", default=DEFAULT_OPS,
                    help="comma-separated op types a test may use (default: Pocket Studio's list)")
    ap.add_argument("--data-dir", help="read node tests from this directory instead")
    a = ap.parse_args()
    allowed = [o.strip() for o in a.ops.split(",") if o.strip()]
    allowed_set = set(allowed)

    try:
        if a.data_dir:
            source, tests = a.data_dir, read_pb_dir(a.data_dir)
        elif os.path.isdir(SHIPPED_DIR):
            source, tests = SHIPPED_DIR, read_pb_dir(SHIPPED_DIR)
        else:
            source, tests = "generated in-process by onnx.backend.test.case.node", generate_tests()
    except Exception as e:
        print(f"onnx_node_tests: error: cannot read node tests: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(f"onnx {onnx.__version__}: {len(tests)} node tests ({source})")

    os.makedirs(a.out_dir, exist_ok=True)
    uses = collections.Counter()      # op -> tests using it anywhere
    selected = collections.Counter()  # op -> selected tests (all ops listed) using it
    written = collections.Counter()   # op -> selected tests actually written
    index = []
    for t in tests:
        ops = set(graph_op_types(t.model.graph))
        uses.update(ops)
        if not ops or not ops <= allowed_set:
            continue
        entry = export_test(t, a.out_dir)
        index.append(entry)
        selected.update(ops)
        if entry["written"]:
            written.update(ops)

    with open(os.path.join(a.out_dir, "index.json"), "w") as f:
        json.dump(index, f, indent=1)

    width = max(len(o) for o in allowed)
    print(f"{'op':{width}}  {'tests':>5}  {'selected':>8}  {'written':>7}")
    for op in allowed:
        print(f"{op:{width}}  {uses[op]:5d}  {selected[op]:8d}  {written[op]:7d}")
    n_written = sum(e["written"] for e in index)
    n_conv_fail = sum(not e["converted"] for e in index)
    print(f"total: {len(tests)} node tests, {len(index)} selected (only listed ops), "
          f"{n_written} written, {len(index) - n_written} skipped "
          f"({n_conv_fail} not convertible to numpy); index: {os.path.join(a.out_dir, 'index.json')}")
    reasons = collections.Counter(e["reason"] for e in index if "reason" in e)
    for r, n in reasons.most_common():
        print(f"  skipped {n:4d}: {r}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
