//! Execution plan with explicit spatial PADs folded into the convolutions that read them.
//!
//! PyTorch exports pad stride-2 convolutions symmetrically, which TFLite's SAME cannot express,
//! so the files carry a PAD op before a VALID convolution. Padding with the input's zero (0.0,
//! or the zero point for int8, which contributes exactly 0 to the integer sums) is what a
//! convolution's own padding does, so the session can skip the PAD and hand the convolution
//! the unpadded tensor with the padding in its geometry. The file is untouched; a run whose
//! observer needs every node's output (per-layer compare, `--profile`) uses the plain plan.

use crate::ir::{DType, Data, Graph, Op, Padding, TensorId, Value};

/// A convolution reading the input of a skipped PAD.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Folded {
    /// The PAD's input, read in place of the PAD's output.
    pub src: TensorId,
    /// `[top, bottom, left, right]`.
    pub pads: [usize; 4],
}

/// Steps and per-tensor last use of one way of running the graph.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub steps: Vec<usize>,
    pub last_use: Vec<usize>,
    /// Per node: the folded PAD it reads through, if any.
    pub folded: Vec<Option<Folded>>,
}

/// `last_use[t]`: the step index of tensor t's last reader (`unused` if none, `usize::MAX`
/// for graph outputs).
pub(crate) fn last_uses(
    g: &Graph,
    steps: &[usize],
    folded: &[Option<Folded>],
    unused: usize,
) -> Vec<usize> {
    let mut last_use = vec![unused; g.tensors.len()];
    for (s, &i) in steps.iter().enumerate() {
        for (k, t) in g.nodes[i].inputs.iter().enumerate() {
            let t = match (k, folded.get(i).copied().flatten()) {
                (0, Some(f)) => Some(f.src),
                _ => *t,
            };
            if let Some(t) = t {
                last_use[t] = s;
            }
        }
    }
    for &o in &g.outputs {
        last_use[o] = usize::MAX;
    }
    last_use
}

/// The plan with every foldable PAD folded, or `None` when there is none.
pub(crate) fn fold_pads(
    g: &Graph,
    consts: &[Option<Value>],
    steps: &[usize],
    unused: usize,
) -> Option<Plan> {
    let mut readers = vec![0usize; g.tensors.len()];
    for &i in steps {
        for t in g.nodes[i].inputs.iter().flatten() {
            readers[*t] += 1;
        }
    }
    let producer: std::collections::HashMap<TensorId, usize> = steps
        .iter()
        .flat_map(|&i| g.nodes[i].outputs.iter().map(move |&o| (o, i)))
        .collect();
    let mut folded: Vec<Option<Folded>> = vec![None; g.nodes.len()];
    let mut skip = vec![false; g.nodes.len()];
    for &ci in steps {
        let c = &g.nodes[ci];
        let valid = match &c.op {
            Op::Conv2d(p) => p.padding == Padding::Valid,
            Op::DepthwiseConv2d(p) => p.padding == Padding::Valid,
            _ => false,
        };
        let (Some(t), Some(w)) = (c.input(0), c.input(1)) else {
            continue;
        };
        let Some(&pi) = producer.get(&t) else {
            continue;
        };
        let p = &g.nodes[pi];
        if !valid
            || !matches!(p.op, Op::Pad { .. })
            || readers[t] != 1
            || g.outputs.contains(&t)
            || p.outputs.len() != 1
        {
            continue;
        }
        let Some(src) = p.input(0) else { continue };
        let (ts, tw, tt) = (&g.tensors[src], &g.tensors[w], &g.tensors[t]);
        let dt = ts.dtype;
        let same_types = match dt {
            DType::F32 => tw.dtype == DType::F32,
            DType::I8 => tw.dtype == DType::I8 && ts.quant == tt.quant && ts.quant.is_some(),
            _ => false,
        };
        if !same_types || ts.shape.len() != 4 {
            continue;
        }
        let Some(pads) = p
            .input(1)
            .and_then(|k| consts[k].as_ref())
            .and_then(spatial_pads)
        else {
            continue;
        };
        // The padding value must be the input's zero: PAD pads with it; PADV2 must say so.
        let zero_ok = match p.input(2).map(|k| consts[k].as_ref()) {
            None => true,
            Some(None) => false,
            Some(Some(v)) => match (&v.data, dt) {
                (Data::F32(x), DType::F32) => x.len() == 1 && x[0] == 0.0,
                (Data::I8(x), DType::I8) => {
                    let zp = ts
                        .quant
                        .as_ref()
                        .and_then(|q| q.zero_point.first().copied());
                    x.len() == 1 && zp == Some(x[0] as i64)
                }
                _ => false,
            },
        };
        if !zero_ok {
            continue;
        }
        folded[ci] = Some(Folded { src, pads });
        skip[pi] = true;
    }
    if !skip.contains(&true) {
        return None;
    }
    let steps: Vec<usize> = steps.iter().copied().filter(|&i| !skip[i]).collect();
    let last_use = last_uses(g, &steps, &folded, unused);
    Some(Plan {
        steps,
        last_use,
        folded,
    })
}

/// `[top, bottom, left, right]` of an NHWC paddings tensor `[[0, 0], [t, b], [l, r], [0, 0]]`.
fn spatial_pads(v: &Value) -> Option<[usize; 4]> {
    let p: Vec<i64> = match &v.data {
        Data::I32(x) => x.iter().map(|&a| a as i64).collect(),
        Data::I64(x) => x.clone(),
        _ => return None,
    };
    if p.len() != 8 || p[0] != 0 || p[1] != 0 || p[6] != 0 || p[7] != 0 {
        return None;
    }
    let u = |a: i64| usize::try_from(a).ok().filter(|&a| a <= 1 << 16);
    Some([u(p[2])?, u(p[3])?, u(p[4])?, u(p[5])?])
}
