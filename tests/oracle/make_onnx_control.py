#!/usr/bin/env python3
"""Small ONNX control-flow models for Pocket Studio's importer tests, with ONNX Runtime's outputs.

Usage:
  make_onnx_control.py OUT_DIR

Writes, for each case NAME below:
  OUT_DIR/NAME/model.onnx        the model (onnx.checker passes)
  OUT_DIR/NAME/input_<i>.npy     seeded inputs
  OUT_DIR/NAME/output_<i>.npy    ONNX Runtime's outputs (graph optimizations off)

Cases:
  if_const_shape   If(Equal(Shape(x)[0], 1)): the batch check PyTorch exports; folds to the
                   then branch (Squeeze of an outer value) once the input size is known.
  if_const_else    the same check failing (batch 2): the else branch (Relu of an outer value).
  if_data          If(ReduceSum(x) > 0): data dependent; branches read outer values and
                   compute with their own constant (Mul, Add of a MatMul).
  if_data_broken   the same If whose else branch cannot run at these sizes (Reshape of [2, 4] to
                   [3, 3], which ONNX Runtime refuses when it takes it): the input takes the
                   then branch; `broken_else.npy` takes the else branch, where ORT fails.
  loop_state       Loop with a trip count input M and loop-carried state h:
                   h = tanh(h @ W + x) M times, plus a counter; early exit when sum(h) > limit.
  loop_if          Loop whose body holds a data-dependent If (add or subtract by the sign of
                   the running sum), trip count a constant.
  loop_peel        Paddle's while-loop form (slanet-plus's table decoder): a step counter and a
                   buffer in the state, the buffer's successor a scalar placeholder that the
                   first iteration replaces by a ScatterElements at Range(i, min(L, i + 1));
                   after the loop a Slice to the counter and a Softmax (data-dependent length).
  nms_*            NonMaxSuppression (outputs of data-dependent length): nms_corners (2
                   batches, 3 classes, corner boxes, a score threshold, then the selected
                   boxes gathered by index), nms_center (centre-format boxes, no score
                   threshold), nms_none (every score under the threshold: [0, 3]).
  nonzero          NonZero of a run-time input, cast to float and scaled.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F, I64, B = TensorProto.FLOAT, TensorProto.INT64, TensorProto.BOOL


def const(name, arr):
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(arr, name))


def vi(name, t, shape):
    return helper.make_tensor_value_info(name, t, shape)


def model(nodes, inputs, outputs, inits=(), opset=16):
    g = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)],
                          producer_name="make_onnx_control.py")
    m.ir_version = 8
    onnx.checker.check_model(m)
    return m


def if_batch_check(batch):
    """y = x.squeeze(0) if x.shape[0] == 1 else relu(x), then + 1 (the exporter's batch check)."""
    then_b = helper.make_graph(
        [const("ax", np.array([0], np.int64)), helper.make_node("Squeeze", ["x", "ax"], ["t"])],
        "then", [], [vi("t", F, [3, 5])])
    else_b = helper.make_graph([helper.make_node("Relu", ["x"], ["e"])], "else", [],
                               [vi("e", F, ["batch", 3, 5])])
    nodes = [
        helper.make_node("Shape", ["x"], ["s"]),
        const("zero", np.array(0, np.int64)),
        helper.make_node("Gather", ["s", "zero"], ["b"], axis=0),
        const("one", np.array(1, np.int64)),
        helper.make_node("Equal", ["b", "one"], ["c"]),
        helper.make_node("If", ["c"], ["r"], then_branch=then_b, else_branch=else_b),
        const("k", np.array(1.0, np.float32)),
        helper.make_node("Add", ["r", "k"], ["y"]),
    ]
    y = [3, 5] if batch == 1 else ["batch", 3, 5]
    m = model(nodes, [vi("x", F, ["batch", 3, 5])], [vi("y", F, y)])
    rng = np.random.default_rng(1 + batch)
    return m, [rng.standard_normal((batch, 3, 5)).astype(np.float32)]


def if_on_sum(else_nodes, inits=()):
    """If(ReduceSum(x) > 0) over x [2, 4]: the then branch doubles x, `else_nodes` give `e`."""
    then_b = helper.make_graph(
        [const("two", np.array(2.0, np.float32)), helper.make_node("Mul", ["x", "two"], ["t"])],
        "then", [], [vi("t", F, [2, 4])])
    else_b = helper.make_graph(else_nodes, "else", [], [vi("e", F, [2, 4])])
    nodes = [
        helper.make_node("ReduceSum", ["x"], ["s"], keepdims=0),
        const("zero", np.array(0.0, np.float32)),
        helper.make_node("Greater", ["s", "zero"], ["c"]),
        helper.make_node("If", ["c"], ["y"], then_branch=then_b, else_branch=else_b),
    ]
    return model(nodes, [vi("x", F, [2, 4])], [vi("y", F, [2, 4])], inits)


def if_data():
    rng = np.random.default_rng(7)
    w = rng.standard_normal((4, 4)).astype(np.float32)
    m = if_on_sum(
        [helper.make_node("MatMul", ["x", "w"], ["mm"]), helper.make_node("Add", ["mm", "x"], ["e"])],
        [numpy_helper.from_array(w, "w")])
    x = rng.standard_normal((2, 4)).astype(np.float32)
    return m, [x - 3.0, x + 3.0]


def if_data_broken():
    m = if_on_sum(
        [const("bad", np.array([3, 3], np.int64)), helper.make_node("Reshape", ["x", "bad"], ["e"])])
    x = np.abs(np.random.default_rng(8).standard_normal((2, 4))).astype(np.float32)
    try:
        ort_outputs(m, [-x], quiet=True)
    except Exception:
        pass
    else:
        raise SystemExit("if_data_broken: ONNX Runtime ran the broken else branch")
    return m, [x], -x


def loop_peel():
    steps, length = 5, 6
    I = lambda n, v: const(n, np.array(v, np.int64))
    body = helper.make_graph([
        I("one", [1]), I("len", [length]), I("ax1", [1]), I("shp", [1, -1, 1]),
        helper.make_node("Add", ["i", "one"], ["i1"]),
        helper.make_node("Min", ["len", "i1"], ["end"]),
        helper.make_node("Slice", ["buf", "i", "end", "ax1", "one"], ["cur"]),
        helper.make_node("Shape", ["cur"], ["cur_shape"]),
        helper.make_node("Squeeze", ["i"], ["i0s"]),
        helper.make_node("Squeeze", ["end"], ["ends"]),
        helper.make_node("Squeeze", ["one"], ["ones"]),
        helper.make_node("Range", ["i0s", "ends", "ones"], ["r"]),
        helper.make_node("Reshape", ["r", "shp"], ["r3"]),
        I("reps", [1, 1, 4]),
        helper.make_node("Tile", ["r3", "reps"], ["idx"]),
        helper.make_node("Cast", ["i1"], ["i1f"], to=F),
        helper.make_node("Mul", ["x", "i1f"], ["xs"]),
        helper.make_node("Unsqueeze", ["xs", "ax1"], ["xu"]),
        helper.make_node("Expand", ["xu", "cur_shape"], ["upd"]),
        helper.make_node("ScatterElements", ["buf", "idx", "upd"], ["placeholder_out"], axis=1),
        helper.make_node("Identity", ["placeholder_out"], ["buf_out"]),
        I("limit", [steps]),
        helper.make_node("Less", ["i1", "limit"], ["go"]),
        helper.make_node("Identity", ["i1"], ["i_out"]),
    ], "body", [vi("iter", I64, []), vi("c", B, []), vi("i", I64, [1]), vi("buf", F, None),
                vi("placeholder", F, None)],
        [vi("go", B, [1]), vi("i_out", I64, [1]), vi("buf_out", F, None),
         vi("placeholder_out", F, None)])
    nodes = [
        I("m", 100), const("t", np.array(True)), I("i_init", [0]),
        const("buf_init", np.zeros((1, length, 4), np.float32)),
        const("placeholder_init", np.array(0.0, np.float32)),
        helper.make_node("Loop", ["m", "t", "i_init", "buf_init", "placeholder_init"],
                         ["i_fin", "buf_fin", "ph_fin"], body=body),
        I("zero", [0]), I("axis", [1]),
        helper.make_node("Slice", ["buf_fin", "zero", "i_fin", "axis"], ["written"]),
        helper.make_node("Softmax", ["written"], ["y"], axis=-1),
    ]
    m = model(nodes, [vi("x", F, [1, 4])], [vi("y", F, [1, "n", 4]), vi("buf_fin", F, [1, length, 4])])
    x = np.random.default_rng(9).standard_normal((1, 4)).astype(np.float32)
    return m, [x]


def loop_state():
    rng = np.random.default_rng(11)
    w = (rng.standard_normal((6, 6)) * 0.5).astype(np.float32)
    body = helper.make_graph(
        [
            helper.make_node("MatMul", ["h_in", "w"], ["hw"]),
            helper.make_node("Add", ["hw", "x"], ["pre"]),
            helper.make_node("Tanh", ["pre"], ["h_out"]),
            const("one", np.array(1, np.int64)),
            helper.make_node("Add", ["n_in", "one"], ["n_out"]),
            helper.make_node("ReduceSum", ["h_out"], ["tot"], keepdims=0),
            const("limit", np.array(0.5, np.float32)),
            helper.make_node("Less", ["tot", "limit"], ["go"]),
        ],
        "body",
        [vi("i", I64, []), vi("c_in", B, []), vi("h_in", F, [1, 6]), vi("n_in", I64, [])],
        [vi("go", B, []), vi("h_out", F, [1, 6]), vi("n_out", I64, [])],
    )
    nodes = [
        const("t", np.array(True)),
        const("n0", np.array(0, np.int64)),
        helper.make_node("Loop", ["m", "t", "h0", "n0"], ["h", "n"], body=body),
    ]
    m = model(nodes, [vi("m", I64, []), vi("h0", F, [1, 6]), vi("x", F, [1, 6])],
              [vi("h", F, [1, 6]), vi("n", I64, [])], [numpy_helper.from_array(w, "w")])
    return m, [np.array(20, np.int64), rng.standard_normal((1, 6)).astype(np.float32),
               (rng.standard_normal((1, 6)) * 0.3).astype(np.float32)]


def loop_if():
    rng = np.random.default_rng(13)
    then_b = helper.make_graph([helper.make_node("Sub", ["acc_in", "x"], ["t"])], "then", [],
                               [vi("t", F, [3])])
    else_b = helper.make_graph([helper.make_node("Add", ["acc_in", "x"], ["e"])], "else", [],
                               [vi("e", F, [3])])
    body = helper.make_graph(
        [
            helper.make_node("ReduceSum", ["acc_in"], ["s"], keepdims=0),
            const("zero", np.array(0.0, np.float32)),
            helper.make_node("Greater", ["s", "zero"], ["pos"]),
            helper.make_node("If", ["pos"], ["acc_out"], then_branch=then_b, else_branch=else_b),
            helper.make_node("Identity", ["c_in"], ["c_out"]),
        ],
        "body",
        [vi("i", I64, []), vi("c_in", B, []), vi("acc_in", F, [3])],
        [vi("c_out", B, []), vi("acc_out", F, [3])],
    )
    nodes = [
        const("m", np.array(7, np.int64)),
        helper.make_node("Loop", ["m", "", "acc0"], ["acc"], body=body),
    ]
    m = model(nodes, [vi("acc0", F, [3]), vi("x", F, [3])], [vi("acc", F, [3])])
    return m, [rng.standard_normal(3).astype(np.float32),
               np.abs(rng.standard_normal(3)).astype(np.float32)]


def nms(center, batches, classes, score_threshold, gather, max_out=6):
    rng = np.random.default_rng(17 + center)
    n = 40
    nodes = [
        const("max", np.array([max_out], np.int64)),
        const("iou", np.array([0.4], np.float32)),
    ]
    ins = ["boxes", "scores", "max", "iou"]
    if score_threshold is not None:
        nodes.append(const("thr", np.array([score_threshold], np.float32)))
        ins.append("thr")
    nodes.append(helper.make_node("NonMaxSuppression", ins, ["sel"], center_point_box=center))
    outs = [vi("sel", I64, ["k", 3])]
    if gather:
        nodes += [
            const("two", np.array(2, np.int64)),
            helper.make_node("Gather", ["sel", "two"], ["idx"], axis=1),
            const("flat", np.array([batches * n, 4], np.int64)),
            helper.make_node("Reshape", ["boxes", "flat"], ["all"]),
            helper.make_node("Gather", ["all", "idx"], ["picked"], axis=0),
        ]
        outs.append(vi("picked", F, ["k", 4]))
    m = model(nodes, [vi("boxes", F, [batches, n, 4]), vi("scores", F, [batches, classes, n])],
              outs, opset=13)
    # Boxes clustered so that suppression happens; corners in either order.
    c = rng.uniform(0, 10, (batches, n, 2)).round(1)
    wh = rng.uniform(1, 4, (batches, n, 2)).round(1)
    if center:
        boxes = np.concatenate([c, wh], -1)
    else:
        boxes = np.concatenate([c, c + wh * rng.choice([-1, 1], (batches, n, 2))], -1)
    scores = rng.permutation(batches * classes * n).reshape(batches, classes, n) / (
        batches * classes * n)
    # nms_corners keeps at most 30 of 40 boxes per class: suppression and the threshold
    # decide each class's count (21 to 27 here), not the limit.
    return m, [boxes.astype(np.float32), scores.astype(np.float32)]


def nonzero():
    rng = np.random.default_rng(19)
    nodes = [
        helper.make_node("NonZero", ["x"], ["nz"]),
        helper.make_node("Cast", ["nz"], ["f"], to=F),
        helper.make_node("Transpose", ["f"], ["y"], perm=[1, 0]),
    ]
    m = model(nodes, [vi("x", F, [3, 5])], [vi("nz", I64, [2, "k"]), vi("y", F, ["k", 2])])
    x = rng.standard_normal((3, 5)).astype(np.float32)
    x[rng.random((3, 5)) < 0.5] = 0.0
    return m, [x]


def ort_outputs(m, inputs, quiet=False):
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    # A run expected to fail logs its errors unless quiet.
    so.log_severity_level = 4 if quiet else 3
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    s = ort.InferenceSession(m.SerializeToString(), so, providers=["CPUExecutionProvider"])
    return s.run(None, {i.name: a for i, a in zip(s.get_inputs(), inputs)})


def write(out, name, m, inputs):
    d = os.path.join(out, name)
    os.makedirs(d, exist_ok=True)
    onnx.save(m, os.path.join(d, "model.onnx"))
    for i, a in enumerate(inputs):
        np.save(os.path.join(d, f"input_{i}.npy"), a)
    for i, a in enumerate(ort_outputs(m, inputs)):
        np.save(os.path.join(d, f"output_{i}.npy"), a)


def main():
    out = sys.argv[1]
    write(out, "if_const_shape", *if_batch_check(1))
    write(out, "if_const_else", *if_batch_check(2))
    m, (neg, pos) = if_data()
    write(out, "if_data_else", m, [neg])
    write(out, "if_data_then", m, [pos])
    m, ins, neg = if_data_broken()
    write(out, "if_data_broken", m, ins)
    np.save(os.path.join(out, "if_data_broken", "broken_else.npy"), neg)
    write(out, "loop_state", *loop_state())
    write(out, "loop_peel", *loop_peel())
    write(out, "loop_if", *loop_if())
    write(out, "nms_corners", *nms(0, 2, 3, 0.3, True, max_out=30))
    write(out, "nms_center", *nms(1, 1, 2, None, False))
    write(out, "nms_none", *nms(0, 1, 2, 2.0, False))
    write(out, "nonzero", *nonzero())


if __name__ == "__main__":
    main()
