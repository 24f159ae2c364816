//! Convolution family and matrix products: CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV,
//! FULLY_CONNECTED, BATCH_MATMUL.

use super::{EvalCtx, Fact, InferResult, Ins, act, arg, f32_arg, fact_ints, ints, need};
use crate::error::OpError;
use crate::ir::{Conv2d, DepthwiseConv2d, Op, Padding, Value};
use crate::kernels::ConvGeom;
use crate::kernels::binary::broadcast_shape;
use crate::kernels::gemm::{Mat, matmul};
use crate::kernels::kernels as table;
use crate::kernels::{conv, grouped};
use crate::kernels::{conv_out_and_pad, strides};

fn rank4(f: &Fact<'_>, what: &'static str) -> Result<[usize; 4], OpError> {
    super::shape4(f.shape, what)
}

/// Geometry of a forward convolution or pool.
pub(crate) fn geom(
    x: [usize; 4],
    k: [usize; 2],
    oc: usize,
    stride: [usize; 2],
    dilation: [usize; 2],
    padding: Padding,
) -> Result<ConvGeom, OpError> {
    if stride.contains(&0) || dilation.contains(&0) {
        return Err(OpError::Invalid(format!(
            "strides {stride:?} and dilations {dilation:?} must be positive"
        )));
    }
    let same = padding == Padding::Same;
    let (oh, pt) = conv_out_and_pad(x[1], k[0], stride[0], dilation[0], same);
    let (ow, pl) = conv_out_and_pad(x[2], k[1], stride[1], dilation[1], same);
    Ok(ConvGeom {
        n: x[0],
        in_hwc: [x[1], x[2], x[3]],
        out_hwc: [oh, ow, oc],
        k,
        stride,
        dilation,
        pad: [pt, pl],
    })
}

fn check_bias(ins: &[Option<Fact<'_>>], i: usize, oc: usize) -> Result<(), OpError> {
    if let Some(Some(b)) = ins.get(i)
        && b.shape.iter().product::<usize>() != oc
    {
        return Err(OpError::Invalid(format!(
            "bias has shape {:?}, expected [{oc}]",
            b.shape
        )));
    }
    Ok(())
}

pub(super) fn conv_geom(op: &Op, x: [usize; 4], w: [usize; 4]) -> Result<ConvGeom, OpError> {
    match op {
        Op::Conv2d(c) => {
            // Grouped when the filter reads fewer channels than the input has: `x[3] / w[3]`
            // groups, each of `w[0] / groups` output channels (LiteRT's ConvPerChannel).
            if w[3] == 0 || x[3] == 0 || !x[3].is_multiple_of(w[3]) {
                return Err(OpError::Invalid(format!(
                    "input has {} channels but the filter expects {} (filter {:?}); a grouped \
                     convolution needs the input channels to be a multiple of the filter's",
                    x[3], w[3], w
                )));
            }
            let groups = x[3] / w[3];
            if !w[0].is_multiple_of(groups) {
                return Err(OpError::Invalid(format!(
                    "grouped convolution of {} input channels in {groups} groups (filter {w:?}): \
                     the {} output channels do not divide into {groups} groups",
                    x[3], w[0]
                )));
            }
            geom(x, [w[1], w[2]], w[0], c.stride, c.dilation, c.padding)
        }
        Op::DepthwiseConv2d(c) => {
            if w[0] != 1 || x[3] == 0 || !w[3].is_multiple_of(x[3]) {
                return Err(OpError::Invalid(format!(
                    "depthwise filter {w:?} does not fit {} input channels",
                    x[3]
                )));
            }
            geom(x, [w[1], w[2]], w[3], c.stride, c.dilation, c.padding)
        }
        _ => Err("not a convolution".into()),
    }
}

/// [`conv_geom`] of a VALID convolution reading through a folded PAD (`pads` = `[top,
/// bottom, left, right]`): the output size of the padded input, the padding in the geometry.
pub(super) fn conv_geom_padded(
    op: &Op,
    x: [usize; 4],
    w: [usize; 4],
    pads: Option<[usize; 4]>,
) -> Result<ConvGeom, OpError> {
    let Some([t, b, l, r]) = pads else {
        return conv_geom(op, x, w);
    };
    let mut g = conv_geom(op, [x[0], x[1] + t + b, x[2] + l + r, x[3]], w)?;
    g.in_hwc = [x[1], x[2], x[3]];
    g.pad = [g.pad[0] + t, g.pad[1] + l];
    Ok(g)
}

/// Transposed convolution geometry: `in_hwc` is the (small) input, `out_hwc` the output.
pub(super) fn tconv_geom(
    out: [usize; 4],
    x: [usize; 4],
    w: [usize; 4],
    stride: [usize; 2],
    padding: Padding,
) -> Result<ConvGeom, OpError> {
    if stride.contains(&0) {
        return Err("strides must be positive".into());
    }
    if x[3] != w[3] || out[3] != w[0] || out[0] != x[0] {
        return Err(OpError::Invalid(format!(
            "output_shape {out:?}, filter {w:?} and input {x:?} do not fit"
        )));
    }
    // TFLite computes the padding as for a forward convolution from the output to the input.
    let same = padding == Padding::Same;
    let (eh, pt) = conv_out_and_pad(out[1], w[1], stride[0], 1, same);
    let (ew, pl) = conv_out_and_pad(out[2], w[2], stride[1], 1, same);
    if eh != x[1] || ew != x[2] {
        return Err(OpError::Invalid(format!(
            "output_shape {out:?} is inconsistent with input {x:?}, filter {w:?} and strides {stride:?}"
        )));
    }
    Ok(ConvGeom {
        n: x[0],
        in_hwc: [x[1], x[2], x[3]],
        out_hwc: [out[1], out[2], out[3]],
        k: [w[1], w[2]],
        stride,
        dilation: [1, 1],
        pad: [pt, pl],
    })
}

fn tconv_out(ins: &[Option<Fact<'_>>]) -> Result<Option<[usize; 4]>, OpError> {
    let Some(v) = fact_ints(&need(ins, 0)?)? else {
        return Ok(None);
    };
    let out: Vec<usize> = v
        .iter()
        .map(|&d| {
            usize::try_from(d).map_err(|_| OpError::Invalid(format!("negative output_shape {v:?}")))
        })
        .collect::<Result<_, _>>()?;
    <[usize; 4]>::try_from(out.as_slice())
        .map(Some)
        .map_err(|_| OpError::Invalid(format!("output_shape must have 4 entries, got {v:?}")))
}

pub(super) fn fc_out(x: &[usize], w: &[usize], keep: bool) -> Result<(usize, Vec<usize>), OpError> {
    let [o, i] = <[usize; 2]>::try_from(w)
        .map_err(|_| OpError::Invalid(format!("weights must be 2-D, got {w:?}")))?;
    let n: usize = x.iter().product();
    if i == 0 || !n.is_multiple_of(i) {
        return Err(OpError::Invalid(format!(
            "input {x:?} cannot be flattened into rows of {i}"
        )));
    }
    if keep {
        if x.last() != Some(&i) {
            return Err(OpError::Invalid(format!(
                "keep_num_dims needs the last input dim to be {i}, got {x:?}"
            )));
        }
        let mut s = x.to_vec();
        if let Some(l) = s.last_mut() {
            *l = o;
        }
        Ok((n / i, s))
    } else {
        Ok((n / i, vec![n / i, o]))
    }
}

struct BmmDims {
    batch: Vec<usize>,
    m: usize,
    k: usize,
    n: usize,
}

/// The matrix index, within operand batch dims `bs`, of output batch `bi` (of `batch`, the
/// broadcast batch dims): size-1 axes broadcast.
fn batch_offset(batch: &[usize], bs: &[usize], bi: usize) -> usize {
    let ostr = strides(batch);
    let st = strides(bs);
    let r = batch.len();
    (0..bs.len())
        .map(|j| {
            let od = j + r - bs.len();
            let idx = (bi / ostr[od]) % batch[od];
            if bs[j] == 1 { 0 } else { idx * st[j] }
        })
        .sum()
}

fn bmm_dims(a: &[usize], b: &[usize], adj_x: bool, adj_y: bool) -> Result<BmmDims, OpError> {
    if a.len() < 2 || b.len() < 2 {
        return Err(OpError::Invalid(format!(
            "operands must be at least 2-D, got {a:?} and {b:?}"
        )));
    }
    let (ar, br) = (a.len(), b.len());
    let (m, k) = if adj_x {
        (a[ar - 1], a[ar - 2])
    } else {
        (a[ar - 2], a[ar - 1])
    };
    let (k2, n) = if adj_y {
        (b[br - 1], b[br - 2])
    } else {
        (b[br - 2], b[br - 1])
    };
    if k != k2 {
        return Err(OpError::Invalid(format!(
            "inner dimensions differ: {a:?} x {b:?}"
        )));
    }
    let batch = broadcast_shape(&a[..ar - 2], &b[..br - 2]).ok_or_else(|| {
        OpError::Invalid(format!("batch dims of {a:?} and {b:?} do not broadcast"))
    })?;
    Ok(BmmDims { batch, m, k, n })
}

pub(super) fn infer(op: &Op, ins: &[Option<Fact<'_>>]) -> InferResult {
    match op {
        Op::Conv2d(_) | Op::DepthwiseConv2d(_) => {
            let x = need(ins, 0)?;
            let g = conv_geom(op, rank4(&x, "input")?, rank4(&need(ins, 1)?, "filter")?)?;
            // LiteRT's CONV_2D and DEPTHWISE_CONV_2D refuse to run without a bias tensor.
            need(ins, 2).map_err(|_| {
                OpError::Invalid(format!(
                    "{} needs a bias input (LiteRT requires one)",
                    op.name()
                ))
            })?;
            check_bias(ins, 2, g.out_hwc[2])?;
            Ok(Some(vec![(
                x.dtype,
                vec![g.n, g.out_hwc[0], g.out_hwc[1], g.out_hwc[2]],
            )]))
        }
        Op::TransposeConv(t) => {
            let w = rank4(&need(ins, 1)?, "filter")?;
            let x = need(ins, 2)?;
            let Some(out) = tconv_out(ins)? else {
                return Ok(None);
            };
            tconv_geom(out, rank4(&x, "input")?, w, t.stride, t.padding)?;
            check_bias(ins, 3, out[3])?;
            Ok(Some(vec![(x.dtype, out.to_vec())]))
        }
        Op::FullyConnected(f) => {
            let x = need(ins, 0)?;
            let w = need(ins, 1)?;
            let (_, s) = fc_out(x.shape, w.shape, f.keep_num_dims)?;
            check_bias(ins, 2, w.shape[0])?;
            Ok(Some(vec![(x.dtype, s)]))
        }
        Op::BatchMatMul(b) => {
            let (x, y) = (need(ins, 0)?, need(ins, 1)?);
            let d = bmm_dims(x.shape, y.shape, b.adj_x, b.adj_y)?;
            let mut s = d.batch;
            s.extend([d.m, d.n]);
            Ok(Some(vec![(x.dtype, s)]))
        }
        _ => Err("not a convolution".into()),
    }
}

/// Rows from which a float FULLY_CONNECTED with constant weights runs the packed GEMM.
const FC_PACKED_ROWS: usize = 4;

fn bias<'b>(ins: &'b Ins<'_>, i: usize) -> Result<Option<&'b [f32]>, OpError> {
    match ins.get(i) {
        Some(Some(b)) => b
            .v()
            .as_f32()
            .map(Some)
            .ok_or_else(|| OpError::Invalid("bias must be f32".into())),
        _ => Ok(None),
    }
}

fn shape4(v: &Value) -> Result<[usize; 4], OpError> {
    super::shape4(&v.shape, "the input")
}

pub(super) fn eval(op: &Op, ins: Ins<'_>, ctx: &EvalCtx<'_>) -> Result<Vec<Value>, OpError> {
    match op {
        Op::Conv2d(_) | Op::DepthwiseConv2d(_) | Op::FullyConnected(_) | Op::BatchMatMul(_)
            if is_hybrid(&ins, ctx) =>
        {
            hybrid(op, &ins, ctx)
        }
        Op::Conv2d(_) | Op::DepthwiseConv2d(_) => {
            let (x, w) = (arg(&ins, 0)?, arg(&ins, 1)?);
            let g = conv_geom_padded(op, shape4(x)?, shape4(w)?, ctx.input_pad)?;
            let (xs, ws, b) = (f32_arg(&ins, 0)?, f32_arg(&ins, 1)?, bias(&ins, 2)?);
            let depth = g.k[0] * g.k[1] * g.in_hwc[2];
            let oc = g.out_hwc[2];
            // Every kernel below writes each output element.
            let mut out = crate::arena::take::<f32>(g.n * g.out_hwc.iter().product::<usize>());
            match op {
                // Ungrouped: the table's packed GEMM, weights packed once per session.
                Op::Conv2d(c) if ws.len() == oc * depth => {
                    let build = || super::Prepared::F32Conv((table().f32_conv)(ws, oc, depth));
                    ctx.prepared(build, |prep| match prep {
                        super::Prepared::F32Conv(k) => k.run(xs, b, &g, act(c.act), &mut out),
                        _ => conv::conv2d(xs, ws, b, &g, act(c.act), &mut out),
                    })
                }
                // Grouped: the table's kernels per group (or its depthwise kernel), prepared once.
                Op::Conv2d(c) => {
                    let build = || super::Prepared::F32Conv(grouped::prepare_f32(table(), ws, &g));
                    ctx.prepared(build, |prep| match prep {
                        super::Prepared::F32Conv(k) => k.run(xs, b, &g, act(c.act), &mut out),
                        _ => conv::conv2d(xs, ws, b, &g, act(c.act), &mut out),
                    })
                }
                Op::DepthwiseConv2d(c) => {
                    (table().f32_depthwise)(xs, ws, b, &g, act(c.act), &mut out)
                }
                _ => return Err("not a convolution".into()),
            }
            Ok(vec![Value::f32(
                vec![g.n, g.out_hwc[0], g.out_hwc[1], g.out_hwc[2]],
                out,
            )])
        }
        Op::TransposeConv(tc) => {
            let out_shape: Vec<i64> = ints(arg(&ins, 0)?)?;
            let out: [usize; 4] = <[usize; 4]>::try_from(
                out_shape
                    .iter()
                    .map(|&d| d.max(0) as usize)
                    .collect::<Vec<_>>()
                    .as_slice(),
            )
            .map_err(|_| "output_shape must have 4 entries".to_string())?;
            let g = tconv_geom(
                out,
                shape4(arg(&ins, 2)?)?,
                shape4(arg(&ins, 1)?)?,
                tc.stride,
                tc.padding,
            )?;
            let mut y = crate::arena::take::<f32>(g.n * g.out_hwc.iter().product::<usize>());
            conv::transpose_conv(
                f32_arg(&ins, 2)?,
                f32_arg(&ins, 1)?,
                bias(&ins, 3)?,
                &g,
                act(tc.act),
                &mut y,
            );
            Ok(vec![Value::f32(out.to_vec(), y)])
        }
        Op::FullyConnected(f) => {
            let (x, w) = (arg(&ins, 0)?, arg(&ins, 1)?);
            let (rows, shape) = fc_out(&x.shape, &w.shape, f.keep_num_dims)?;
            let (o, i) = (w.shape[0], w.shape[1]);
            // Many rows with constant weights (a Tensordot over pixels, a transformer's
            // tokens): the table's packed GEMM as a 1×1 convolution over `rows` pixels, its
            // weights packed once per session ([o, i] is the [o, 1, 1, i] filter's layout).
            if rows >= FC_PACKED_ROWS && ctx.cache.is_some() {
                let g = ConvGeom::pointwise(rows, i, o);
                let (xs, ws, b) = (f32_arg(&ins, 0)?, f32_arg(&ins, 1)?, bias(&ins, 2)?);
                let mut out = crate::arena::take::<f32>(rows * o);
                let build = || super::Prepared::F32Conv((table().f32_conv)(ws, o, i));
                ctx.prepared(build, |prep| match prep {
                    super::Prepared::F32Conv(k) => k.run(xs, b, &g, act(f.act), &mut out),
                    _ => conv::conv2d(xs, ws, b, &g, act(f.act), &mut out),
                });
                return Ok(vec![Value::f32(shape, out)]);
            }
            let mut out = vec![0.0f32; rows * o];
            if let Some(b) = bias(&ins, 2)? {
                out.chunks_exact_mut(o).for_each(|r| r.copy_from_slice(b));
            }
            matmul(
                rows,
                o,
                i,
                Mat::row_major(f32_arg(&ins, 0)?, i),
                Mat::transposed(f32_arg(&ins, 1)?, i),
                &mut out,
                true,
            );
            act(f.act).apply_slice(&mut out);
            Ok(vec![Value::f32(shape, out)])
        }
        Op::BatchMatMul(bm) => {
            let (x, y) = (arg(&ins, 0)?, arg(&ins, 1)?);
            let d = bmm_dims(&x.shape, &y.shape, bm.adj_x, bm.adj_y)?;
            let (xs, ys) = (f32_arg(&ins, 0)?, f32_arg(&ins, 1)?);
            let nb: usize = d.batch.iter().product();
            let mut out = vec![0.0f32; nb * d.m * d.n];
            let (xb, yb) = (&x.shape[..x.shape.len() - 2], &y.shape[..y.shape.len() - 2]);
            for bi in 0..nb {
                let xo = batch_offset(&d.batch, xb, bi) * d.m * d.k;
                let yo = batch_offset(&d.batch, yb, bi) * d.k * d.n;
                let a = if bm.adj_x {
                    Mat {
                        data: &xs[xo..xo + d.m * d.k],
                        rs: 1,
                        cs: d.m,
                    }
                } else {
                    Mat::row_major(&xs[xo..xo + d.m * d.k], d.k)
                };
                let b = if bm.adj_y {
                    Mat {
                        data: &ys[yo..yo + d.k * d.n],
                        rs: 1,
                        cs: d.k,
                    }
                } else {
                    Mat::row_major(&ys[yo..yo + d.k * d.n], d.n)
                };
                matmul(
                    d.m,
                    d.n,
                    d.k,
                    a,
                    b,
                    &mut out[bi * d.m * d.n..(bi + 1) * d.m * d.n],
                    false,
                );
            }
            let mut s = d.batch;
            s.extend([d.m, d.n]);
            Ok(vec![Value::f32(s, out)])
        }
        _ => Err("not a convolution".into()),
    }
}

pub(super) fn macs(op: &Op, ins: &[Option<&[usize]>], outs: &[&[usize]]) -> u64 {
    let p = |s: &[usize]| s.iter().map(|&d| d as u64).product::<u64>();
    let inp = |i: usize| ins.get(i).copied().flatten().unwrap_or(&[]);
    let out0 = outs.first().copied().unwrap_or(&[]);
    match op {
        Op::Conv2d(_) => {
            let w = inp(1);
            if w.len() == 4 {
                p(out0) * (w[1] * w[2] * w[3]) as u64
            } else {
                0
            }
        }
        Op::DepthwiseConv2d(_) => {
            let w = inp(1);
            if w.len() == 4 {
                p(out0) * (w[1] * w[2]) as u64
            } else {
                0
            }
        }
        Op::TransposeConv(_) => {
            let w = inp(1);
            if w.len() == 4 {
                p(inp(2)) * (w[0] * w[1] * w[2]) as u64
            } else {
                0
            }
        }
        Op::FullyConnected(_) => p(out0) * inp(1).get(1).copied().unwrap_or(0) as u64,
        Op::BatchMatMul(b) => {
            let a = inp(0);
            let k = if b.adj_x {
                a.len().checked_sub(2).map(|i| a[i])
            } else {
                a.last().copied()
            };
            p(out0) * k.unwrap_or(0) as u64
        }
        _ => 0,
    }
}

/// Float input with int8 weights: LiteRT's hybrid kernels.
fn is_hybrid(ins: &Ins<'_>, ctx: &EvalCtx<'_>) -> bool {
    let dt = |i: usize| ins.get(i).and_then(|x| x.as_ref()).map(|x| x.v().dtype());
    dt(0) == Some(crate::ir::DType::F32)
        && dt(1) == Some(crate::ir::DType::I8)
        && ctx.in_quant.get(1).copied().flatten().is_some()
}

fn hybrid(op: &Op, ins: &Ins<'_>, ctx: &EvalCtx<'_>) -> Result<Vec<Value>, OpError> {
    use crate::kernels::hybrid;
    let (x, w) = (arg(ins, 0)?, arg(ins, 1)?);
    let q = ctx
        .in_quant
        .get(1)
        .copied()
        .flatten()
        .ok_or("int8 weights without quantization")?;
    let crate::ir::Data::I8(wq) = &w.data else {
        return Err("weights must be int8".into());
    };
    let xs = f32_arg(ins, 0)?;
    let b = bias(ins, 2)?;
    match op {
        Op::Conv2d(Conv2d { act: a, .. }) | Op::DepthwiseConv2d(DepthwiseConv2d { act: a, .. }) => {
            let g = conv_geom(op, shape4(x)?, shape4(w)?)?;
            let depthwise = matches!(op, Op::DepthwiseConv2d(_));
            // Every element is written by the kernel.
            let mut y = crate::arena::take::<f32>(g.n * g.out_hwc.iter().product::<usize>());
            hybrid::conv2d(xs, wq, &q.scale, b, &g, act(*a), depthwise, &mut y);
            Ok(vec![Value::f32(
                vec![g.n, g.out_hwc[0], g.out_hwc[1], g.out_hwc[2]],
                y,
            )])
        }
        Op::FullyConnected(f) => {
            let (rows, shape) = fc_out(&x.shape, &w.shape, f.keep_num_dims)?;
            // Every element is written by the kernel.
            let mut y = crate::arena::take::<f32>(rows * w.shape[0]);
            hybrid::fully_connected(
                xs,
                rows,
                wq,
                &q.scale,
                w.shape[0],
                b,
                act(f.act),
                f.asymmetric_quantize_inputs,
                &mut y,
            );
            Ok(vec![Value::f32(shape, y)])
        }
        Op::BatchMatMul(bm) => {
            // LiteRT's hybrid BATCH_MATMUL: each row of the (row-major) lhs quantized alone,
            // int32 dot products with the per-tensor int8 rhs, scaled back per row (as a
            // hybrid FULLY_CONNECTED of each batch, the rhs as `[n, k]` weights).
            let d = bmm_dims(&x.shape, &w.shape, bm.adj_x, bm.adj_y)?;
            let scale = q.scale.first().copied().ok_or("int8 rhs without a scale")?;
            let nb: usize = d.batch.iter().product();
            let (xb, wb) = (&x.shape[..x.shape.len() - 2], &w.shape[..w.shape.len() - 2]);
            let (mk, kn, mn) = (d.m * d.k, d.k * d.n, d.m * d.n);
            let mut y = vec![0.0f32; nb * mn];
            let (mut lhs, mut rhs) = (vec![0.0f32; mk], vec![0i8; kn]);
            use crate::kernels::layout::transpose;
            for bi in 0..nb {
                let xo = batch_offset(&d.batch, xb, bi) * mk;
                let wo = batch_offset(&d.batch, wb, bi) * kn;
                let (xs, ws) = (&xs[xo..xo + mk], &wq[wo..wo + kn]);
                // The lhs as [m, k] rows and the rhs as [n, k] weights.
                if bm.adj_x {
                    transpose(xs, &[d.k, d.m], &[1, 0], &mut lhs);
                } else {
                    lhs.copy_from_slice(xs);
                }
                if bm.adj_y {
                    rhs.copy_from_slice(ws);
                } else {
                    transpose(ws, &[d.k, d.n], &[1, 0], &mut rhs);
                }
                hybrid::fully_connected(
                    &lhs,
                    d.m,
                    &rhs,
                    &[scale],
                    d.n,
                    None,
                    act(crate::ir::Activation::None),
                    bm.asymmetric_quantize_inputs,
                    &mut y[bi * mn..(bi + 1) * mn],
                );
            }
            let mut s = d.batch;
            s.extend([d.m, d.n]);
            Ok(vec![Value::f32(s, y)])
        }
        _ => Err("not a hybrid op".into()),
    }
}
