//! CONV_3D and CONV_3D_TRANSPOSE of the `Op::Movement` family (float, NDHWC): shapes, evaluation
//! through `pocket_kernels::conv3d` (im2col + GEMM, col2im) and multiply-accumulates.

use super::{EvalCtx, Fact, Ins, Outs, fact_ints, need};
use crate::error::OpError;
use crate::ir::{Activation, Conv3d, DType, Movement as M, Padding, Value};
use crate::kernels::conv3d::{Conv3dGeom, conv3d, conv3d_transpose, out_and_pad};

type R<T> = Result<T, OpError>;

fn dims5(s: &[usize], what: &'static str) -> R<[usize; 5]> {
    <[usize; 5]>::try_from(s).map_err(|_| OpError::Rank {
        what,
        rank: 5,
        shape: s.to_vec(),
    })
}

/// Output length and leading padding of the three spatial axes of length `len`.
fn spatial(o: &Conv3d, len: [usize; 3], k: [usize; 3]) -> R<([usize; 3], [usize; 3])> {
    if o.stride.contains(&0) || o.dilation.contains(&0) || k.contains(&0) {
        return Err(OpError::Invalid(format!(
            "strides {:?}, dilations {:?} and kernel {k:?} must be positive",
            o.stride, o.dilation
        )));
    }
    let (mut out, mut pad) = ([0; 3], [0; 3]);
    for a in 0..3 {
        (out[a], pad[a]) = out_and_pad(
            len[a],
            k[a],
            o.stride[a],
            o.dilation[a],
            o.padding == Padding::Same,
        );
    }
    Ok((out, pad))
}

/// CONV_3D of input shape `x` through filter shape `w` (`[kd, kh, kw, ic, oc]`).
fn forward(o: &Conv3d, x: &[usize], w: &[usize]) -> R<Conv3dGeom> {
    let [n, d, h, wd, c] = dims5(x, "the input")?;
    let [kd, kh, kw, wc, oc] = dims5(w, "the filter")?;
    if wc != c {
        return Err(OpError::Invalid(format!(
            "the filter takes {wc} channels, the input has {c}"
        )));
    }
    let (out, pad) = spatial(o, [d, h, wd], [kd, kh, kw])?;
    Ok(Conv3dGeom {
        n,
        input: [d, h, wd, c],
        output: [out[0], out[1], out[2], oc],
        k: [kd, kh, kw],
        stride: o.stride,
        dilation: o.dilation,
        pad,
    })
}

/// CONV_3D_TRANSPOSE to output shape `y` from input shape `x` through filter shape `w`
/// (`[kd, kh, kw, oc, ic]`): the geometry of the forward convolution from `y` to `x`.
fn transpose(o: &Conv3d, y: &[i64], w: &[usize], x: &[usize]) -> R<Conv3dGeom> {
    let y: Vec<usize> = y
        .iter()
        .map(|&v| usize::try_from(v))
        .collect::<Result<_, _>>()
        .map_err(|_| OpError::Invalid(format!("output shape {y:?} has a negative size")))?;
    let [n, d, h, wd, oc] = dims5(&y, "the output shape")?;
    let [kd, kh, kw, woc, ic] = dims5(w, "the filter")?;
    let [xn, xd, xh, xw, xc] = dims5(x, "the input")?;
    let (out, pad) = spatial(o, [d, h, wd], [kd, kh, kw])?;
    if woc != oc || xc != ic || xn != n || out != [xd, xh, xw] {
        return Err(OpError::Invalid(format!(
            "output shape {y:?}, filter {w:?} and input {x:?} do not fit (a convolution of the \
             output gives [{n}, {}, {}, {}, {ic}])",
            out[0], out[1], out[2]
        )));
    }
    Ok(Conv3dGeom {
        n,
        input: [d, h, wd, oc],
        output: [xd, xh, xw, ic],
        k: [kd, kh, kw],
        stride: o.stride,
        dilation: o.dilation,
        pad,
    })
}

fn out_shape(g: &Conv3dGeom, transposed: bool) -> Vec<usize> {
    let [d, h, w, c] = if transposed { g.input } else { g.output };
    vec![g.n, d, h, w, c]
}

/// Output type and shape; `None` for other ops (inner `None`: the output shape is unknown).
pub(super) fn infer(op: &M, ins: &[Option<Fact<'_>>]) -> R<Option<Option<Outs>>> {
    let outs = match op {
        M::Conv3d(o) => {
            let g = forward(o, need(ins, 0)?.shape, need(ins, 1)?.shape)?;
            Some(vec![(DType::F32, out_shape(&g, false))])
        }
        M::Conv3dTranspose(o) => match fact_ints(&need(ins, 0)?)? {
            None => None,
            Some(y) => {
                let g = transpose(o, &y, need(ins, 1)?.shape, need(ins, 2)?.shape)?;
                Some(vec![(DType::F32, out_shape(&g, true))])
            }
        },
        _ => return Ok(None),
    };
    Ok(Some(outs))
}

fn clamp(a: Activation, o: &mut [f32]) {
    let (lo, hi) = match a {
        Activation::Relu => (0.0, f32::INFINITY),
        Activation::Relu6 => (0.0, 6.0),
        Activation::ReluN1To1 => (-1.0, 1.0),
        _ => return,
    };
    for v in o {
        *v = v.clamp(lo, hi);
    }
}

/// Evaluate a 3-D convolution; `None` for other ops.
pub(super) fn eval(op: &M, ins: &Ins<'_>, _ctx: &EvalCtx<'_>) -> Option<R<Vec<Value>>> {
    let (o, transposed) = match op {
        M::Conv3d(o) => (o, false),
        M::Conv3dTranspose(o) => (o, true),
        _ => return None,
    };
    Some(run(o, transposed, ins))
}

fn run(o: &Conv3d, transposed: bool, ins: &Ins<'_>) -> R<Vec<Value>> {
    let (xi, wi, bi) = if transposed { (2, 1, 3) } else { (0, 1, 2) };
    let x = super::arg(ins, xi)?;
    let w = super::arg(ins, wi)?;
    let g = if transposed {
        transpose(o, &super::ints(super::arg(ins, 0)?)?, &w.shape, &x.shape)?
    } else {
        forward(o, &x.shape, &w.shape)?
    };
    let (xs, ws) = (super::f32_arg(ins, xi)?, super::f32_arg(ins, wi)?);
    let bias = super::sequence::opt_f32(ins, bi)?;
    let oc = if transposed { g.input[3] } else { g.output[3] };
    if bias.is_some_and(|b| b.len() != oc) {
        return Err(OpError::Invalid(format!("the bias must have {oc} values")));
    }
    let s = out_shape(&g, transposed);
    let mut out = crate::arena::take(s.iter().product());
    if transposed {
        conv3d_transpose(xs, ws, bias, &g, &mut out);
    } else {
        conv3d(xs, ws, bias, &g, &mut out);
    }
    clamp(o.act, &mut out);
    Ok(vec![Value::f32(s, out)])
}

/// Whether the op runs on inputs of type `first` (float only).
pub(super) fn unsupported_reason(op: &M, first: DType) -> Option<String> {
    (first != DType::F32).then(|| format!("{} ({first})", op.name()))
}

/// Multiply-accumulates: every output element of the forward convolution reads a full window.
pub(super) fn macs(op: &M, ins: &[Option<&[usize]>], outs: &[&[usize]]) -> u64 {
    let n = |s: &[usize]| s.iter().product::<usize>() as u64;
    let w = ins.get(1).copied().flatten();
    match (op, w) {
        // Per output element: kd·kh·kw·ic.
        (M::Conv3d(_), Some(w)) => {
            outs.first().map_or(0, |s| n(s)) * n(w) / w.last().map_or(1, |&c| c.max(1) as u64)
        }
        // Per input element: kd·kh·kw·oc.
        (M::Conv3dTranspose(_), Some(w)) => {
            ins.get(2).copied().flatten().map_or(0, n) * n(w)
                / w.last().map_or(1, |&c| c.max(1) as u64)
        }
        _ => 0,
    }
}
