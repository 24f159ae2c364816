//! Dynamic-range ("hybrid") mode: weights of conv, depthwise and fully-connected layers and
//! constant BATCH_MATMUL right-hand sides with at least 1024 elements become symmetric int8, as
//! do both weights of RNN and SVDF ops whose first weights are that large; activations stay float and LiteRT's hybrid
//! kernels quantize them on the fly. No calibration data is needed.

use super::params;
use super::recipe::{Recipe, Weights};
use crate::error::Result;
use crate::ir::*;

/// LiteRT's threshold: smaller weights stay float.
const MIN_ELEMENTS: usize = 1024;

pub(super) fn run(g: &Graph, r: &Recipe, keep: &[bool]) -> Result<Graph> {
    let mut out = g.clone();
    let uses = crate::passes::use_counts(g);
    for (i, n) in g.nodes.iter().enumerate() {
        let (axis, version) = match &n.op {
            Op::Conv2d(_) => (
                Some(0),
                if r.weights == Weights::PerChannel {
                    5
                } else {
                    2
                },
            ),
            Op::DepthwiseConv2d(_) => (
                Some(3),
                if r.weights == Weights::PerChannel {
                    6
                } else {
                    4
                },
            ),
            Op::FullyConnected(_) => (None, 3),
            // LiteRT's hybrid BATCH_MATMUL takes one scale for the whole rhs.
            Op::BatchMatMul(b) => (None, if b.asymmetric_quantize_inputs { 4 } else { 1 }),
            Op::Sequence(SeqOp::Rnn(o) | SeqOp::UnidirectionalRnn(o)) => {
                if !keep[i] {
                    let v = if o.asymmetric_quantize_inputs { 3 } else { 2 };
                    two_weights(g, &mut out, i, &uses, v);
                }
                continue;
            }
            Op::Sequence(SeqOp::Svdf {
                asymmetric_quantize_inputs: a,
                ..
            }) => {
                if !keep[i] {
                    two_weights(g, &mut out, i, &uses, if *a { 4 } else { 2 });
                }
                continue;
            }
            _ => continue,
        };
        let Some(w) = n.input(1) else { continue };
        let t = &g.tensors[w];
        if keep[i]
            || t.dtype != DType::F32
            || !t.is_const()
            || t.numel() < MIN_ELEMENTS
            || uses[w] != 1
        {
            continue;
        }
        let axis = if r.weights == Weights::PerChannel && !matches!(n.op, Op::BatchMatMul(_)) {
            axis
        } else {
            None
        };
        let Some(q) = quantized(t, axis) else {
            continue;
        };
        out.tensors[w] = q;
        out.nodes[i].version = Some(version);
    }
    Ok(out)
}

/// The hybrid RNNs and SVDF: LiteRT reads both weights (inputs 1 and 2: input and recurrent,
/// or feature and time) as int8 once the first is, so both are quantized (per tensor) when
/// the first is large enough; the node gets `version`.
fn two_weights(g: &Graph, out: &mut Graph, i: usize, uses: &[usize], version: i32) {
    let n = &g.nodes[i];
    let (Some(w), Some(r)) = (n.input(1), n.input(2)) else {
        return;
    };
    let fits = |id: usize| {
        let t = &g.tensors[id];
        t.dtype == DType::F32 && t.is_const() && uses[id] == 1
    };
    if !(fits(w) && fits(r)) || g.tensors[w].numel() < MIN_ELEMENTS {
        return;
    }
    let (Some(qw), Some(qr)) = (
        quantized(&g.tensors[w], None),
        quantized(&g.tensors[r], None),
    ) else {
        return;
    };
    (out.tensors[w], out.tensors[r]) = (qw, qr);
    out.nodes[i].version = Some(version);
}

/// Float constant `t` as symmetric int8 weights, per channel along `axis` or per tensor.
fn quantized(t: &Tensor, axis: Option<usize>) -> Option<Tensor> {
    let v = Value::from_const(t).and_then(|v| v.as_f32().map(<[f32]>::to_vec))?;
    let scales = params::weight_scales(&v, &t.shape, axis);
    let q = params::quantize_weights(&v, &t.shape, &scales, axis.unwrap_or(0));
    Some(Tensor {
        dtype: DType::I8,
        data: Some(Bytes::from_vec(q.iter().map(|&x| x as u8).collect())),
        quant: Some(QuantParams {
            zero_point: vec![0; scales.len()],
            scale: scales,
            axis: axis.unwrap_or(0),
            ..Default::default()
        }),
        ..t.clone()
    })
}
