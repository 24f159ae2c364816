#!/usr/bin/env python3
"""Quantized ONNX fixtures made by ONNX Runtime's own quantizers, for Pocket Studio's
tests/it/onnx_quant.rs.

Usage:
  make_onnx_quant_fixtures.py OUT_DIR

Two small float models are built with onnx.helper (seeded, so the files are deterministic):
  cnn   Conv 3x3 (8) + Relu, Conv 3x3/2 (16, 2 groups) + LeakyRelu, Add of a 1x1 Conv branch,
        Mul, Sigmoid, Concat, GlobalAveragePool, Flatten, MatMul (16 -> 10) + Add
        input [1, 3, 16, 16]
  mlp   MatMul (32 -> 24) + Add + Relu, MatMul (24 -> 6), input [4, 32]
Each is quantized by onnxruntime.quantization:
  OUT_DIR/<model>_qdq/model.onnx          quantize_static, QuantFormat.QDQ, uint8 activations
  OUT_DIR/<model>_qdq_s8/model.onnx       QDQ, int8 activations and weights, per-channel
  OUT_DIR/<model>_qop/model.onnx          quantize_static, QuantFormat.QOperator (QLinearConv,
                                          QLinearMatMul, QLinearAdd, QLinearMul, ...)
  OUT_DIR/<model>_dynamic/model.onnx      quantize_dynamic (DynamicQuantizeLinear, ConvInteger,
                                          MatMulInteger)
with the float parent at OUT_DIR/<model>_float/model.onnx and one seeded input per directory as
input_0.npy (uniform(-1, 1), not one of the calibration draws). Calibration: 16 seeded draws of
the same distribution through a CalibrationDataReader.
"""
import os
import shutil
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper
from onnxruntime.quantization import (
    CalibrationDataReader,
    QuantFormat,
    QuantType,
    quantize_dynamic,
    quantize_static,
)


def cnn(rng):
    inits = []

    def w(name, *shape, scale=0.3):
        inits.append(numpy_helper.from_array(
            (rng.standard_normal(shape) * scale).astype(np.float32), name))
        return name

    nodes = [
        helper.make_node("Conv", ["x", w("w1", 8, 3, 3, 3), w("b1", 8)], ["c1"], pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c1"], ["r1"]),
        helper.make_node("Conv", ["r1", w("w2", 16, 4, 3, 3), w("b2", 16)], ["c2"],
                         pads=[1, 1, 1, 1], strides=[2, 2], group=2),
        helper.make_node("LeakyRelu", ["c2"], ["l2"], alpha=0.1),
        helper.make_node("Conv", ["r1", w("w3", 16, 8, 1, 1), w("b3", 16)], ["c3"], strides=[2, 2]),
        helper.make_node("Add", ["l2", "c3"], ["a"]),
        helper.make_node("Sigmoid", ["a"], ["s"]),
        helper.make_node("Mul", ["a", "s"], ["m"]),
        helper.make_node("Concat", ["m", "c3"], ["cat"], axis=1),
        helper.make_node("Conv", ["cat", w("w4", 16, 32, 1, 1), w("b4", 16)], ["c4"]),
        helper.make_node("GlobalAveragePool", ["c4"], ["g"]),
        helper.make_node("Flatten", ["g"], ["f"]),
        helper.make_node("MatMul", ["f", w("fc", 16, 10)], ["mm"]),
        helper.make_node("Add", ["mm", w("fcb", 10)], ["y"]),
    ]
    g = helper.make_graph(
        nodes, "cnn",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 16, 16])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 10])],
        inits,
    )
    return g, [1, 3, 16, 16]


def mlp(rng):
    inits = []

    def w(name, *shape):
        inits.append(numpy_helper.from_array(
            (rng.standard_normal(shape) * 0.3).astype(np.float32), name))
        return name

    nodes = [
        helper.make_node("MatMul", ["x", w("w1", 32, 24)], ["m1"]),
        helper.make_node("Add", ["m1", w("b1", 24)], ["a1"]),
        helper.make_node("Relu", ["a1"], ["r1"]),
        helper.make_node("MatMul", ["r1", w("w2", 24, 6)], ["y"]),
    ]
    g = helper.make_graph(
        nodes, "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 32])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [4, 6])],
        inits,
    )
    return g, [4, 32]


class Reader(CalibrationDataReader):
    def __init__(self, shape, seed):
        rng = np.random.default_rng(seed)
        self.data = [{"x": rng.uniform(-1, 1, shape).astype(np.float32)} for _ in range(16)]
        self.i = 0

    def get_next(self):
        if self.i >= len(self.data):
            return None
        self.i += 1
        return self.data[self.i - 1]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, build in [("cnn", cnn), ("mlp", mlp)]:
        g, shape = build(np.random.default_rng(7))
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
        m.ir_version = 8
        onnx.checker.check_model(m)
        x = np.random.default_rng(99).uniform(-1, 1, shape).astype(np.float32)
        with tempfile.TemporaryDirectory() as tmp:
            fp = os.path.join(tmp, "float.onnx")
            onnx.save(m, fp)
            variants = {
                "float": None,
                "qdq": dict(quant_format=QuantFormat.QDQ, activation_type=QuantType.QUInt8,
                            weight_type=QuantType.QUInt8),
                "qdq_s8": dict(quant_format=QuantFormat.QDQ, activation_type=QuantType.QInt8,
                               weight_type=QuantType.QInt8, per_channel=True),
                "qop": dict(quant_format=QuantFormat.QOperator, activation_type=QuantType.QUInt8,
                            weight_type=QuantType.QUInt8),
                "dynamic": "dynamic",
            }
            for v, kw in variants.items():
                d = os.path.join(out, f"{name}_{v}")
                os.makedirs(d, exist_ok=True)
                dst = os.path.join(d, "model.onnx")
                if kw is None:
                    shutil.copy(fp, dst)
                elif kw == "dynamic":
                    quantize_dynamic(fp, dst, weight_type=QuantType.QUInt8)
                else:
                    quantize_static(fp, dst, Reader(shape, 1), **kw)
                np.save(os.path.join(d, "input_0.npy"), x)
    print(f"wrote quantized ONNX fixtures to {out}")


if __name__ == "__main__":
    main()
