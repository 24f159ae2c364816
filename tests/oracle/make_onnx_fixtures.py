#!/usr/bin/env python3
"""Generate deterministic ONNX CNN fixtures for Pocket Studio's ONNX importer tests.

Usage:
  make_onnx_fixtures.py OUT_DIR [--only NAME] [--threads N]

Writes, for each model NAME in {resnet18_half, mobilenet_v2}:
  OUT_DIR/NAME/model.onnx       the model (onnx.checker full_check passes)
  OUT_DIR/NAME/input_0.npy      one random-normal float32 [1,3,224,224] input
  OUT_DIR/NAME/output_0.npy     ONNX Runtime's output for it (logits, float32 [1,1000])
  OUT_DIR/NAME/calib/0000.npy .. 0015.npy
                                16 random-normal float32 [1,3,224,224] calibration inputs

The models are built with onnx.helper only (no PyTorch) but laid out the way torch.onnx.export
lays out a torchvision model exported without Conv+BN folding:
  * opset 17, IR version 8, float32, NCHW;
  * graph input "input" [batch,3,224,224] and output "logits" [batch,1000], "batch" symbolic;
  * weights are initializers named after the torchvision parameters ("layer1.0.conv1.weight",
    "features.2.conv.1.1.running_var", "fc.weight", ...), nodes and intermediate tensors are named
    the exporter's way ("/layer1/layer1.0/conv1/Conv", ".../Conv_output_0");
  * every Conv has explicit dilations/group/kernel_shape/pads/strides, no bias (BN follows);
  * BatchNormalization carries epsilon=1e-5, momentum=0.9 (inference mode);
  * ReLU6 is Clip with min/max as scalar initializer inputs (opset >= 11 form);
  * the head is GlobalAveragePool -> Flatten(axis=1) -> Gemm(transB=1).
producer_name says who really made the file.

Models:
  resnet18_half  ResNet-18 with half the channels (32,64,128,256): stem Conv 7x7/2 pad 3, BN,
                 Relu, MaxPool 3x3/2 pad 1, 4 stages of 2 basic blocks (Add skip connections;
                 1x1 stride-2 Conv+BN downsample when the shape changes), head to 1000 classes.
  mobilenet_v2   torchvision MobileNetV2 1.0: stem Conv 3x3/2 (32), 17 inverted-residual blocks
                 (expansion 1 for the first block, 6 after it, as in the paper), depthwise 3x3
                 Conv with group=channels, Clip(0,6), linear 1x1 projection, Add residual when
                 stride is 1 and in==out channels, last 1x1 Conv to 1280, head to 1000 classes.

Weights are random but realistic: Conv weights He-normal (std = sqrt(2/fan_in)), BN gamma ~
U(0.5,1.5), beta ~ N(0,0.1), Gemm weight/bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)) (PyTorch's
Linear default). BN running mean/var are then calibrated: the BNs are visited in graph order and
each one gets the per-channel mean/variance of its input observed with ONNX Runtime on a small
batch of random-normal images, given the BNs before it are already calibrated. So every BN
output is ~N(beta, gamma^2) per channel and activations stay unit-variance-ish through the net.
Calibrated statistics are rounded to 12 significant mantissa bits, so tiny float differences
between machines do not change the model bytes.

Everything is seeded: the same onnx/onnxruntime/numpy versions give the same files. The script
fails (exit 1) if the logits are degenerate (std across classes <= 0.1, or non-finite).
Runtime is about 20-30 s for both models on a 2-core machine.
"""
import argparse
import copy
import os
import sys
import time

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

sys.dont_write_bytecode = True  # importing ort_run must not leave __pycache__ in the repo
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from ort_run import make_session  # noqa: E402  (same session settings as the oracle runner)

OPSET = 17
IR_VERSION = 8
INPUT_SHAPE = ["batch", 3, 224, 224]
NUM_CLASSES = 1000
N_CALIB_FILES = 16        # calibration inputs written to calib/ for quantization
N_BN_STATS_IMAGES = 4     # random images used to estimate BN running statistics
PRODUCER = "pocket-studio tests/oracle/make_onnx_fixtures.py"


def torch_scope(path):
    """Module path -> torch exporter scope: "layer2.0.downsample.0" -> "/layer2/layer2.0/downsample/downsample.0".

    The exporter names each scope level by the attribute name, except that children of a
    Sequential (numeric names) carry their parent's name as prefix.
    """
    parts = []
    for comp in path.split(".") if path else []:
        parts.append(f"{parts[-1]}.{comp}" if comp.isdigit() and parts else comp)
    return "/" + "/".join(parts) if parts else ""


def round_mantissa(a, bits=12):
    """Round float32 values to `bits` significant mantissa bits (round half up on the bit pattern)."""
    a = np.ascontiguousarray(a, dtype=np.float32)
    drop = 24 - bits
    u = a.view(np.uint32).astype(np.uint64)
    u = ((u + (1 << (drop - 1))) >> drop) << drop
    return u.astype(np.uint32).view(np.float32)


class GraphBuilder:
    """Accumulates nodes and initializers in topological order, torch-exporter style."""

    def __init__(self, rng):
        self.rng = rng
        self.nodes = []
        self.inits = []
        self.node_names = set()
        self.bns = []  # (input tensor name, running_mean name, running_var name) in graph order
        self.clip_bounds = None  # scalar Clip min/max initializers, created on first ReLU6

    def init(self, name, arr):
        self.inits.append(numpy_helper.from_array(np.asarray(arr, np.float32), name))
        return name

    def node(self, op, inputs, scope, output=None, **attrs):
        """Append one node named "<scope>/<op>" and return its output name.

        A module called twice (torchvision's BasicBlock.relu) gets "_1", "_2"... on its scope,
        as the exporter does: "/layer1/layer1.0/relu_1/Relu".
        """
        name, k = f"{scope}/{op}", 1
        while name in self.node_names:
            name, k = f"{scope}_{k}/{op}", k + 1
        self.node_names.add(name)
        out = output or f"{name}_output_0"
        self.nodes.append(helper.make_node(op, inputs, [out], name=name, **attrs))
        return out

    # --- layers -------------------------------------------------------------------------

    def conv(self, x, path, cin, cout, k, stride=1, pad=0, group=1):
        """Conv without bias; weight He-normal over fan_in = cin/group * k * k."""
        fan_in = cin // group * k * k
        w = self.rng.normal(0.0, np.sqrt(2.0 / fan_in), (cout, cin // group, k, k))
        wname = self.init(f"{path}.weight", w)
        return self.node("Conv", [x, wname], torch_scope(path),
                         dilations=[1, 1], group=group, kernel_shape=[k, k],
                         pads=[pad, pad, pad, pad], strides=[stride, stride])

    def bn(self, x, path, c):
        """BatchNormalization; running stats start at 0/1 and are calibrated later."""
        g = self.init(f"{path}.weight", self.rng.uniform(0.5, 1.5, c))
        b = self.init(f"{path}.bias", self.rng.normal(0.0, 0.1, c))
        m = self.init(f"{path}.running_mean", np.zeros(c))
        v = self.init(f"{path}.running_var", np.ones(c))
        self.bns.append((x, m, v))
        return self.node("BatchNormalization", [x, g, b, m, v], torch_scope(path),
                         epsilon=1e-5, momentum=0.9)

    def relu(self, x, path):
        return self.node("Relu", [x], torch_scope(path))

    def relu6(self, x, path):
        if self.clip_bounds is None:
            # Shared rank-0 bounds, like the constants torch folds into initializers.
            self.clip_bounds = [self.init("clip.min", np.array(0.0, np.float32)),
                                self.init("clip.max", np.array(6.0, np.float32))]
        return self.node("Clip", [x, *self.clip_bounds], torch_scope(path))

    def head(self, x, cin, fc_path, pool_path):
        """GlobalAveragePool -> Flatten -> Gemm(transB=1) producing "logits"."""
        x = self.node("GlobalAveragePool", [x], torch_scope(pool_path))
        x = self.node("Flatten", [x], "", axis=1)
        bound = 1.0 / np.sqrt(cin)
        w = self.init(f"{fc_path}.weight", self.rng.uniform(-bound, bound, (NUM_CLASSES, cin)))
        b = self.init(f"{fc_path}.bias", self.rng.uniform(-bound, bound, NUM_CLASSES))
        return self.node("Gemm", [x, w, b], torch_scope(fc_path), output="logits",
                         alpha=1.0, beta=1.0, transB=1)

    def model(self, name):
        graph = helper.make_graph(
            self.nodes, name,
            [helper.make_tensor_value_info("input", TensorProto.FLOAT, INPUT_SHAPE)],
            [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", NUM_CLASSES])],
            initializer=self.inits)
        m = helper.make_model(graph, producer_name=PRODUCER, producer_version="1",
                              opset_imports=[helper.make_opsetid("", OPSET)])
        m.ir_version = IR_VERSION
        m.doc_string = f"{name}: random weights, calibrated BN statistics; see make_onnx_fixtures.py"
        return m


# --- architectures --------------------------------------------------------------------------

def build_resnet18_half(rng):
    g = GraphBuilder(rng)
    widths = [32, 64, 128, 256]
    x = g.conv("input", "conv1", 3, widths[0], 7, stride=2, pad=3)
    x = g.bn(x, "bn1", widths[0])
    x = g.relu(x, "relu")
    x = g.node("MaxPool", [x], torch_scope("maxpool"), ceil_mode=0, dilations=[1, 1],
               kernel_shape=[3, 3], pads=[1, 1, 1, 1], strides=[2, 2])
    cin = widths[0]
    for stage, cout in enumerate(widths, start=1):
        for blk in range(2):
            p = f"layer{stage}.{blk}"
            stride = 2 if (stage > 1 and blk == 0) else 1
            y = g.conv(x, f"{p}.conv1", cin, cout, 3, stride=stride, pad=1)
            y = g.bn(y, f"{p}.bn1", cout)
            y = g.relu(y, f"{p}.relu")
            y = g.conv(y, f"{p}.conv2", cout, cout, 3, pad=1)
            y = g.bn(y, f"{p}.bn2", cout)
            if stride != 1 or cin != cout:
                sc = g.conv(x, f"{p}.downsample.0", cin, cout, 1, stride=stride)
                sc = g.bn(sc, f"{p}.downsample.1", cout)
            else:
                sc = x
            y = g.node("Add", [y, sc], torch_scope(p))
            x = g.relu(y, f"{p}.relu")  # block.relu called again: exported as .../relu_1/Relu
            cin = cout
    g.head(x, cin, "fc", "avgpool")
    return g


def build_mobilenet_v2(rng):
    g = GraphBuilder(rng)
    # (expansion t, output channels c, repeats n, first stride s), torchvision / paper table 2
    settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
    x = g.conv("input", "features.0.0", 3, 32, 3, stride=2, pad=1)
    x = g.bn(x, "features.0.1", 32)
    x = g.relu6(x, "features.0.2")
    cin, idx = 32, 1
    for t, c, n, s in settings:
        for i in range(n):
            stride = s if i == 0 else 1
            hidden = cin * t
            p, j = f"features.{idx}.conv", 0
            y = x
            if t != 1:  # 1x1 expansion ConvBNReLU6
                y = g.conv(y, f"{p}.{j}.0", cin, hidden, 1)
                y = g.bn(y, f"{p}.{j}.1", hidden)
                y = g.relu6(y, f"{p}.{j}.2")
                j += 1
            # 3x3 depthwise ConvBNReLU6
            y = g.conv(y, f"{p}.{j}.0", hidden, hidden, 3, stride=stride, pad=1, group=hidden)
            y = g.bn(y, f"{p}.{j}.1", hidden)
            y = g.relu6(y, f"{p}.{j}.2")
            # 1x1 linear projection + BN (no activation)
            y = g.conv(y, f"{p}.{j + 1}", hidden, c, 1)
            y = g.bn(y, f"{p}.{j + 2}", c)
            if stride == 1 and cin == c:
                y = g.node("Add", [x, y], torch_scope(f"features.{idx}"))
            x, cin, idx = y, c, idx + 1
    x = g.conv(x, f"features.{idx}.0", cin, 1280, 1)
    x = g.bn(x, f"features.{idx}.1", 1280)
    x = g.relu6(x, f"features.{idx}.2")
    g.head(x, 1280, "classifier.1", "")
    return g


MODELS = {
    # name: (builder, weight seed, data seed)
    "resnet18_half": (build_resnet18_half, 1818, 18),
    "mobilenet_v2": (build_mobilenet_v2, 2222, 22),
}


# --- BN calibration -------------------------------------------------------------------------

def calibrate_bn(model, bns, images, threads):
    """Set every BN's running mean/var to the batch statistics of its input, in graph order.

    A temporary copy of the model turns the running_mean/var initializers into graph inputs and
    exposes every BN input as a graph output, so one ORT session serves all passes: pass k feeds
    the statistics found so far and fetches BN k's input (ORT only runs what that fetch needs).
    """
    tmp = copy.deepcopy(model)
    g = tmp.graph
    stat_names = {n for _, m, v in bns for n in (m, v)}
    stats = {t.name: numpy_helper.to_array(t) for t in g.initializer if t.name in stat_names}
    keep = [t for t in g.initializer if t.name not in stat_names]
    del g.initializer[:]
    g.initializer.extend(keep)
    for name, arr in stats.items():
        g.input.append(helper.make_tensor_value_info(name, TensorProto.FLOAT, list(arr.shape)))
    for x, _, _ in bns:
        g.output.append(helper.make_tensor_value_info(x, TensorProto.FLOAT, None))
    sess = make_session(tmp.SerializeToString(), threads)
    for x, m, v in bns:
        act = sess.run([x], {"input": images, **stats})[0].astype(np.float64)
        stats[m] = round_mantissa(act.mean(axis=(0, 2, 3)))
        stats[v] = round_mantissa(np.maximum(act.var(axis=(0, 2, 3)), 1e-6))
    # Write the calibrated statistics back into the real model's initializers.
    for t in model.graph.initializer:
        if t.name in stats:
            t.CopyFrom(numpy_helper.from_array(stats[t.name].astype(np.float32), t.name))


# --- driver ---------------------------------------------------------------------------------

def make_fixture(name, out_dir, threads):
    builder, wseed, dseed = MODELS[name]
    t0 = time.perf_counter()
    g = builder(np.random.default_rng(wseed))
    model = g.model(name)
    data = np.random.default_rng(dseed)
    shape = (1, 3, 224, 224)
    x0 = data.standard_normal(shape, dtype=np.float32)
    calib = [data.standard_normal(shape, dtype=np.float32) for _ in range(N_CALIB_FILES)]
    bn_images = data.standard_normal((N_BN_STATS_IMAGES,) + shape[1:], dtype=np.float32)

    t1 = time.perf_counter()
    calibrate_bn(model, g.bns, bn_images, threads)
    t_cal = time.perf_counter() - t1
    onnx.checker.check_model(model, full_check=True)

    d = os.path.join(out_dir, name)
    os.makedirs(os.path.join(d, "calib"), exist_ok=True)
    path = os.path.join(d, "model.onnx")
    onnx.save_model(model, path)

    # Expected output: exactly what `ort_run.py model.onnx DIR input_0.npy` produces (1 thread).
    sess = make_session(path, 1)
    times = []
    for _ in range(3):
        t1 = time.perf_counter()
        y = sess.run(None, {"input": x0})[0]
        times.append(time.perf_counter() - t1)
    std = float(np.std(y))
    if not np.all(np.isfinite(y)) or std <= 0.1:
        raise RuntimeError(f"{name}: degenerate logits (std {std}, finite {np.all(np.isfinite(y))})")

    np.save(os.path.join(d, "input_0.npy"), x0)
    np.save(os.path.join(d, "output_0.npy"), y)
    for i, c in enumerate(calib):
        np.save(os.path.join(d, "calib", f"{i:04d}.npy"), c)

    n_params = sum(int(np.prod(t.dims)) for t in model.graph.initializer)
    print(f"{name}: {len(model.graph.node)} nodes, {len(g.bns)} BN, {n_params} params, "
          f"{os.path.getsize(path) / 1e6:.2f} MB; BN calibration {t_cal:.1f} s; "
          f"ORT 1-thread inference {min(times) * 1e3:.0f} ms; logits mean {float(np.mean(y)):+.3f} "
          f"std {std:.3f} argmax {int(np.argmax(y))}; total {time.perf_counter() - t0:.1f} s")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out_dir")
    ap.add_argument("--only", choices=sorted(MODELS), help="generate just this model")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1,
                    help="ORT threads for BN calibration (default: all cores; results are rounded "
                         "so the count does not change the model)")
    a = ap.parse_args()
    try:
        for name in [a.only] if a.only else list(MODELS):
            make_fixture(name, a.out_dir, a.threads)
    except Exception as e:
        print(f"make_onnx_fixtures: error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
