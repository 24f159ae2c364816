//! Int8 evaluation: picks the int8 kernel for ops whose data input is int8 and derives its
//! parameters from the tensors' quantization, in the session's numerics: `Reference` exactly as
//! LiteRT's reference `Prepare` does (see `kernels::int8`), `Litert` as the XNNPACK delegate
//! does for the ops it takes (see `kernels::xnn`; where the delegate would refuse an op, LiteRT
//! runs its builtin kernel, whose arithmetic is the reference's, and so do we). Data-movement
//! ops need nothing special and fall through to their generic implementation (`None`).

use super::{EvalCtx, Ins, Prepared, arg, ints};
use crate::error::OpError;
use crate::ir::{
    Activation, BinaryKind, DType, Data, Op, PoolKind, QuantParams, ReduceKind, UnaryKind, Value,
};
use crate::kernels::grouped;
use crate::kernels::int8::elementwise::{self as ew, Activation as QAct};
use crate::kernels::int8::params::RequantizeParams;
use crate::kernels::int8::{activations, conv as qconv, pool as qpool, resize as qresize, unary};
use crate::kernels::kernels as table;
use crate::kernels::table::FcScales;
use crate::kernels::{Numerics, xnn};

type R = Result<Vec<Value>, OpError>;

fn qact(a: Activation) -> QAct {
    match a {
        Activation::Relu => QAct::Relu,
        Activation::Relu6 => QAct::Relu6,
        Activation::ReluN1To1 => QAct::ReluN1To1,
        Activation::None | Activation::Tanh | Activation::SignBit => QAct::None,
    }
}

fn per_tensor(q: Option<&QuantParams>, what: &str) -> Result<(f32, i32), OpError> {
    let q = q.ok_or_else(|| {
        OpError::Invalid(format!("{what} is int8 but has no quantization parameters"))
    })?;
    match (q.scale.first(), q.zero_point.first()) {
        (Some(&s), Some(&z)) if q.scale.len() == 1 => Ok((s, z as i32)),
        _ => Err(OpError::Invalid(format!(
            "{what} must be quantized per tensor"
        ))),
    }
}

fn i8s<'a>(v: &'a Value, what: &str) -> Result<&'a [i8], OpError> {
    match &v.data {
        Data::I8(x) => Ok(x),
        d => Err(OpError::Invalid(format!(
            "{what} is {}, expected int8",
            d.dtype()
        ))),
    }
}

fn i32s<'a>(ins: &'a Ins<'_>, i: usize) -> Result<Option<&'a [i32]>, OpError> {
    match ins.get(i).and_then(|x| x.as_ref()).map(|x| &x.v().data) {
        None => Ok(None),
        Some(Data::I32(b)) => Ok(Some(b)),
        Some(d) => Err(OpError::Invalid(format!(
            "bias is {}, expected int32",
            d.dtype()
        ))),
    }
}

/// Rows from which a `litert` int8 FULLY_CONNECTED with constant weights runs the packed GEMM.
const FC_GEMM_ROWS: usize = 4;

fn out(shape: Vec<usize>, v: Vec<i8>) -> R {
    Ok(vec![Value::new(shape, Data::I8(v))])
}

/// Evaluate `op` in int8, or `None` when the generic implementation applies.
pub(super) fn eval(op: &Op, ins: &Ins<'_>, ctx: &EvalCtx<'_>) -> Option<R> {
    let iq = |i: usize| per_tensor(ctx.in_quant.get(i).copied().flatten(), "the input");
    let oq = || per_tensor(ctx.out_quant.first().copied().flatten(), "the output");
    let litert = ctx.numerics == Numerics::Litert;
    let r = match op {
        Op::Conv2d(_) | Op::DepthwiseConv2d(_) => (|| {
            let (x, w) = (arg(ins, 0)?, arg(ins, 1)?);
            let g = super::conv::conv_geom_padded(op, shape4(x)?, shape4(w)?, ctx.input_pad)?;
            let wq = ctx
                .in_quant
                .get(1)
                .copied()
                .flatten()
                .ok_or("int8 weights without scales")?;
            let act = op.activation().unwrap_or_default();
            let (iqv, oqv) = (iq(0)?, oq()?);
            // Made per call only when no prepared state carries it.
            let q = || {
                if litert {
                    qconv::ConvQuant::litert(iqv, &wq.scale, oqv, qact(act), g.out_hwc[2])
                } else {
                    qconv::ConvQuant::per_channel(iqv, &wq.scale, oqv, qact(act), g.out_hwc[2])
                }
            };
            let (xs, ws, b) = (i8s(x, "input")?, i8s(w, "weights")?, i32s(ins, 2)?);
            let [_, _, ic] = g.in_hwc;
            let [_, _, oc] = g.out_hwc;
            let depth = g.k[0] * g.k[1] * ic;
            // Every kernel below writes each output element.
            let mut y = crate::arena::take::<i8>(g.n * g.out_hwc.iter().product::<usize>());
            match op {
                // Ungrouped convolution: the table's GEMM (weights packed once per session).
                Op::Conv2d(_) if ws.len() == oc * depth => {
                    let build = || Prepared::Int8Conv((table().q_conv)(ws, b, &g, &q()));
                    ctx.prepared(build, |prep| match prep {
                        Prepared::Int8Conv(k) => k.run(xs, &g, &mut y),
                        _ => qconv::conv2d(xs, ws, b, &g, &q(), &mut y),
                    })
                }
                // Grouped: the table's kernels per group (or its depthwise kernel), prepared once.
                Op::Conv2d(_) => {
                    let build = || Prepared::Int8Conv(grouped::prepare_q(table(), ws, b, &g, &q()));
                    ctx.prepared(build, |prep| match prep {
                        Prepared::Int8Conv(k) => k.run(xs, &g, &mut y),
                        _ => qconv::conv2d(xs, ws, b, &g, &q(), &mut y),
                    })
                }
                _ if oc == ic && ws.len() == g.k[0] * g.k[1] * oc => {
                    let build = || Prepared::Int8Conv((table().q_depthwise)(ws, b, &g, &q()));
                    ctx.prepared(build, |prep| match prep {
                        Prepared::Int8Conv(k) => k.run(xs, &g, &mut y),
                        _ => qconv::depthwise(xs, ws, b, &g, &q(), &mut y),
                    })
                }
                _ => qconv::depthwise(xs, ws, b, &g, &q(), &mut y),
            }
            out(vec![g.n, g.out_hwc[0], g.out_hwc[1], g.out_hwc[2]], y)
        })(),
        Op::TransposeConv(t) => (|| {
            let shape: Vec<usize> = ints(arg(ins, 0)?)?
                .iter()
                .map(|&d| d.max(0) as usize)
                .collect();
            let o: [usize; 4] = shape
                .as_slice()
                .try_into()
                .map_err(|_| "output_shape must have 4 entries")?;
            let (w, x) = (arg(ins, 1)?, arg(ins, 2)?);
            let g = super::conv::tconv_geom(o, shape4(x)?, shape4(w)?, t.stride, t.padding)?;
            let wq = ctx
                .in_quant
                .get(1)
                .copied()
                .flatten()
                .ok_or("int8 weights without scales")?;
            let q = if litert {
                qconv::ConvQuant::litert(iq(2)?, &wq.scale, oq()?, qact(t.act), o[3])
            } else {
                qconv::ConvQuant::per_channel(iq(2)?, &wq.scale, oq()?, qact(t.act), o[3])
            };
            // Every element is written by the kernel.
            let mut y = crate::arena::take::<i8>(g.n * g.out_hwc.iter().product::<usize>());
            let (xs, ws) = (i8s(x, "input")?, i8s(w, "weights")?);
            qconv::transpose_conv(xs, ws, i32s(ins, 3)?, &g, &q, &mut y);
            out(shape, y)
        })(),
        Op::FullyConnected(f) => (|| {
            let (x, w) = (arg(ins, 0)?, arg(ins, 1)?);
            let (rows, shape) = super::conv::fc_out(&x.shape, &w.shape, f.keep_num_dims)?;
            let (units, depth) = (w.shape[0], w.shape[1]);
            let wq = ctx
                .in_quant
                .get(1)
                .copied()
                .flatten()
                .ok_or("int8 weights without scales")?;
            let (xs, ws, b) = (i8s(x, "input")?, i8s(w, "weights")?, i32s(ins, 2)?);
            // LiteRT 2.3's reference FC rescales the int32 sum in double and rounds (per-tensor:
            // the scale product in f32, as its Prepare forms it; per-channel: in double).
            let ((si, zi), (so, zo)) = (iq(0)?, oq()?);
            let mut y = crate::arena::take::<i8>(rows * units);
            if litert && rows >= FC_GEMM_ROWS && ctx.cache.is_some() {
                // Many rows, constant weights: the table's packed GEMM as a 1×1 convolution over
                // `rows` pixels ([units, depth] is the [units, 1, 1, depth] filter's layout).
                // XNNPACK's FC and convolution requantize alike (`s_in · s_w / s_out` in f32).
                let g = crate::kernels::ConvGeom::pointwise(rows, depth, units);
                let q =
                    || qconv::ConvQuant::litert((si, zi), &wq.scale, (so, zo), qact(f.act), units);
                let build = || Prepared::Int8Conv((table().q_conv)(ws, b, &g, &q()));
                ctx.prepared(build, |prep| match prep {
                    Prepared::Int8Conv(k) => k.run(xs, &g, &mut y),
                    _ => qconv::conv2d(xs, ws, b, &g, &q(), &mut y),
                });
                return out(shape, y);
            }
            if litert {
                // XNNPACK: `s_in · s_w[u] / s_out` in f32, per unit (one weight scale broadcast).
                let scales = xnn::params::conv_scales(si, &wq.scale, so, units);
                let range = xnn::params::activation_range(qact(f.act), so, zo);
                let args = (xs, ws, b, (rows, depth, units));
                (table().q_fully_connected)(args, -zi, FcScales::Float(&scales), zo, range, &mut y);
                return out(shape, y);
            }
            let scales: Vec<f64> = if wq.scale.len() > 1 {
                wq.scale
                    .iter()
                    .map(|&sw| si as f64 * sw as f64 / so as f64)
                    .collect()
            } else {
                vec![(si * wq.scale[0]) as f64 / so as f64; units]
            };
            let range = ew::calculate_activation_range_quantized(qact(f.act), so, zo);
            (table().q_fully_connected)(
                (xs, ws, b, (rows, depth, units)),
                -zi,
                FcScales::Double(&scales),
                zo,
                range,
                &mut y,
            );
            out(shape, y)
        })(),
        Op::Binary(b) => (|| {
            let (x, y) = (arg(ins, 0)?, arg(ins, 1)?);
            let shape = ew::broadcast_shape(&x.shape, &y.shape).ok_or("shapes do not broadcast")?;
            let (a, c) = (i8s(x, "input 0")?, i8s(y, "input 1")?);
            let same = x.shape == y.shape && x.shape == shape;
            if b.kind == BinaryKind::Div {
                return Err("DIV has no int8 kernel".into());
            }
            // Every kernel below writes each output element.
            let mut v = crate::arena::take::<i8>(shape.iter().product());
            let (xs, ys) = (&x.shape, &y.shape);
            let sub = b.kind == BinaryKind::Sub;
            let xadd = || match (litert, b.kind) {
                (true, BinaryKind::Add | BinaryKind::Sub) => Ok::<_, OpError>(
                    xnn::params::AddParams::new(iq(0)?, iq(1)?, oq()?, qact(b.act), sub),
                ),
                _ => Ok(None),
            };
            let xmul = || match (litert, b.kind) {
                (true, BinaryKind::Mul) => Ok::<_, OpError>(xnn::params::MulParams::new(
                    iq(0)?,
                    iq(1)?,
                    oq()?,
                    qact(b.act),
                )),
                _ => Ok(None),
            };
            if let Some(p) = xadd()? {
                (table().x_add)(a, xs, c, ys, &shape, &p, &mut v);
                return out(shape, v);
            }
            if let Some(p) = xmul()? {
                (table().x_mul)(a, xs, c, ys, &shape, &p, &mut v);
                return out(shape, v);
            }
            match b.kind {
                BinaryKind::Add | BinaryKind::Sub if same => {
                    let p = ew::AddParams::new(iq(0)?, iq(1)?, oq()?, qact(b.act));
                    (table().q_add)(a, c, &p, b.kind == BinaryKind::Sub, &mut v);
                }
                BinaryKind::Add => {
                    let p = ew::AddParams::new(iq(0)?, iq(1)?, oq()?, qact(b.act));
                    ew::add(a, xs, c, ys, &shape, &p, &mut v);
                }
                BinaryKind::Sub => {
                    let p = ew::AddParams::new(iq(0)?, iq(1)?, oq()?, qact(b.act));
                    ew::sub(a, xs, c, ys, &shape, &p, &mut v);
                }
                BinaryKind::Mul => {
                    let p = ew::MulParams::new(iq(0)?, iq(1)?, oq()?, qact(b.act));
                    ew::mul(a, xs, c, ys, &shape, &p, &mut v);
                }
                BinaryKind::SquaredDifference => {
                    let p = ew::SquaredDifferenceParams::new(iq(0)?, iq(1)?, oq()?);
                    ew::squared_difference(a, xs, c, ys, &shape, &p, &mut v);
                }
                BinaryKind::Maximum => ew::maximum(a, xs, c, ys, &shape, &mut v),
                BinaryKind::Minimum => ew::minimum(a, xs, c, ys, &shape, &mut v),
                BinaryKind::Div => return Err("DIV has no int8 kernel".into()),
            }
            out(shape, v)
        })(),
        Op::Unary(u) => (|| {
            let x = arg(ins, 0)?;
            let xs = i8s(x, "input")?;
            let ((si, zi), (so, zo)) = (iq(0)?, oq()?);
            let (i, o) = ((si, zi), (so, zo));
            if *u == UnaryKind::Rsqrt {
                // LiteRT's builtin kernel on both paths (XNNPACK does not take int8 RSQRT).
                let t = unary::rsqrt_table(i, o);
                let mut v = crate::arena::take::<i8>(xs.len());
                for (o, &q) in v.iter_mut().zip(xs) {
                    *o = t[(q as i16 + 128) as usize].ok_or_else(|| {
                        OpError::Invalid("RSQRT is only defined for positive values".into())
                    })?;
                }
                return out(x.shape.clone(), v);
            }
            let relu = match u {
                UnaryKind::Relu => Some(unary::ReluParams::relu(i, o)),
                UnaryKind::Relu6 => Some(unary::ReluParams::relu6(i, o)),
                UnaryKind::ReluN1To1 => Some(unary::ReluParams::relu_n1_to_1(i, o)),
                UnaryKind::Logistic | UnaryKind::Tanh | UnaryKind::HardSwish => None,
                _ => {
                    return Err(OpError::Invalid(format!(
                        "{} has no int8 kernel",
                        op.name()
                    )));
                }
            };
            let mut v = crate::arena::take::<i8>(xs.len());
            // XNNPACK takes int8 LOGISTIC and TANH as lookup tables of its float reference math
            // (RELU-family and HARD_SWISH stay with LiteRT's builtins: the reference's numbers).
            let lut: Option<fn(f32) -> f32> = match u {
                UnaryKind::Logistic if litert => Some(xnn::params::sigmoid),
                UnaryKind::Tanh if litert => Some(f32::tanh),
                _ => None,
            };
            if let Some(f) = lut {
                let t = xnn::params::lookup_table(i, o, f);
                xnn::unary::lookup(xs, &t, &mut v);
                return out(x.shape.clone(), v);
            }
            match (u, relu) {
                (_, Some(p)) => unary::relu_x(xs, &p, &mut v),
                (UnaryKind::Logistic, _) => activations::logistic(xs, si, zi, so, zo, &mut v),
                (UnaryKind::Tanh, _) => activations::tanh(xs, si, zi, so, zo, &mut v),
                _ => unary::hard_swish(xs, &unary::HardSwishParams::new(i, o), &mut v),
            }
            out(x.shape.clone(), v)
        })(),
        Op::LeakyRelu { alpha } => (|| {
            let x = arg(ins, 0)?;
            let xs = i8s(x, "input")?;
            let mut v = crate::arena::take::<i8>(xs.len());
            match litert
                .then(|| Ok::<_, OpError>(xnn::params::Rescale8::leaky_relu(iq(0)?, oq()?, *alpha)))
                .transpose()?
                .flatten()
            {
                Some(p) => xnn::unary::rescale(xs, &p, &mut v),
                None => {
                    let p = unary::LeakyReluParams::new(iq(0)?, oq()?, *alpha);
                    unary::leaky_relu(xs, &p, &mut v)
                }
            }
            out(x.shape.clone(), v)
        })(),
        Op::Prelu => (|| {
            let (x, a) = (arg(ins, 0)?, arg(ins, 1)?);
            let p = ew::PreluParams::new(iq(0)?, iq(1)?, oq()?);
            let (xs, al) = (i8s(x, "input")?, i8s(a, "alpha")?);
            // Alpha broadcasts to the input's shape (shape inference checked it).
            let shape = ew::broadcast_shape(&x.shape, &a.shape).unwrap_or_else(|| x.shape.clone());
            let mut v = crate::arena::take::<i8>(shape.iter().product());
            let c = x.shape.last().copied().unwrap_or(1);
            let build = || Prepared::Int8Prelu(ew::PreluTable::new(al, &a.shape, &x.shape, &p));
            let done = v.len() == xs.len()
                && ctx.prepared(build, |prep| match prep {
                    Prepared::Int8Prelu(Some(t)) => t.apply(xs, c, &mut v),
                    _ => false,
                });
            if !done {
                ew::prelu(xs, &x.shape, al, &a.shape, &p, &mut v);
            }
            out(x.shape.clone(), v)
        })(),
        Op::Softmax { beta } => (|| {
            let x = arg(ins, 0)?;
            let d = x.shape.last().copied().unwrap_or(1);
            let (xs, s_in) = (i8s(x, "input")?, iq(0)?.0);
            let mut v = crate::arena::take::<i8>(xs.len());
            if litert {
                let (s_out, z_out) = oq()?;
                activations::softmax_float_table(xs, d, s_in, *beta, s_out, z_out, &mut v);
            } else {
                let p = activations::SoftmaxParams::new(s_in, *beta);
                activations::softmax(xs, d, &p, &mut v);
            }
            out(x.shape.clone(), v)
        })(),
        Op::LogSoftmax => (|| {
            let x = arg(ins, 0)?;
            let d = x.shape.last().copied().unwrap_or(1);
            let (xs, p) = (
                i8s(x, "input")?,
                activations::LogSoftmaxParams::new(iq(0)?.0),
            );
            let mut v = crate::arena::take::<i8>(xs.len());
            activations::log_softmax(xs, d, &p, &mut v);
            out(x.shape.clone(), v)
        })(),
        Op::Pool2d(p) => (|| {
            let x = arg(ins, 0)?;
            let s = shape4(x)?;
            let g = super::conv::geom(s, p.filter, s[3], p.stride, [1, 1], p.padding)?;
            let (so, zo) = oq()?;
            // XNNPACK takes MAX_POOL_2D (its own rounding of the fused range); LiteRT's builtin
            // AVERAGE_POOL_2D computes what the reference does.
            let (lo, hi) = if litert && p.kind == PoolKind::Max {
                xnn::params::activation_range(qact(p.act), so, zo)
            } else {
                ew::calculate_activation_range_quantized(qact(p.act), so, zo)
            };
            let xs = i8s(x, "input")?;
            let shape = vec![g.n, g.out_hwc[0], g.out_hwc[1], g.out_hwc[2]];
            let mut y = crate::arena::take::<i8>(shape.iter().product());
            if p.kind == PoolKind::Max {
                qpool::max_pool(xs, &g, lo, hi, &mut y);
            } else {
                qpool::average_pool(xs, &g, lo, hi, &mut y);
            }
            out(shape, y)
        })(),
        Op::Reduce(r) => (|| {
            let x = arg(ins, 0)?;
            let axes: Vec<i32> = ints(arg(ins, 1)?)?.iter().map(|&a| a as i32).collect();
            let shape = super::pool::reduce_out_shape(&x.shape, &axes, r.keep_dims)?;
            let xs = i8s(x, "input")?;
            let mut y = crate::arena::take::<i8>(shape.iter().product());
            if litert && matches!(r.kind, ReduceKind::Mean | ReduceKind::Sum) {
                let mut reduced = vec![false; x.shape.len()];
                for &a in &axes {
                    reduced[super::norm_axis(a as i64, x.shape.len())?] = true;
                }
                let count: usize = (x.shape.iter().zip(&reduced))
                    .filter(|(_, r)| **r)
                    .map(|(d, _)| *d)
                    .product();
                let mean = r.kind == ReduceKind::Mean;
                let p = xnn::reduce::ReduceParams::new(iq(0)?, oq()?, count, mean);
                xnn::reduce::reduce(xs, &x.shape, &reduced, &p, &mut y);
                return out(shape, y);
            }
            match r.kind {
                ReduceKind::Mean => {
                    let q = qpool::ReduceQuant::new(iq(0)?, oq()?);
                    qpool::mean(xs, &x.shape, &axes, r.keep_dims, &q, &mut y);
                }
                ReduceKind::Sum => {
                    let q = qpool::ReduceQuant::new(iq(0)?, oq()?);
                    qpool::sum(xs, &x.shape, &axes, &q, &mut y);
                }
                ReduceKind::Max => {
                    let ax: Vec<usize> = axes
                        .iter()
                        .map(|&a| super::norm_axis(a as i64, x.shape.len()))
                        .collect::<Result<_, _>>()?;
                    crate::kernels::reduce::reduce(xs, &x.shape, &ax, i8::MIN, i8::max, &mut y);
                }
            }
            out(shape, y)
        })(),
        Op::Resize(rz) if rz.bilinear => (|| {
            let x = arg(ins, 0)?;
            let s = shape4(x)?;
            let hw = ints(arg(ins, 1)?)?;
            let [h, w] = [
                hw.first().copied().unwrap_or(0).max(0) as usize,
                hw.get(1).copied().unwrap_or(0).max(0) as usize,
            ];
            let shape = vec![s[0], h, w, s[3]];
            let (xs, ihwc) = (i8s(x, "input")?, [s[1], s[2], s[3]]);
            let (ac, hp) = (rz.align_corners, rz.half_pixel_centers);
            let mut y = crate::arena::take::<i8>(shape.iter().product());
            if litert {
                xnn::reduce::resize_bilinear(xs, s[0], ihwc, h, w, ac, hp, &mut y);
            } else {
                qresize::resize_bilinear(xs, s[0], ihwc, h, w, ac, hp, &mut y);
            }
            out(shape, y)
        })(),
        Op::Pad { v2: false } => (|| {
            let x = arg(ins, 0)?;
            let pads = ints(arg(ins, 1)?)?;
            let pairs: Vec<(usize, usize)> = pads
                .chunks(2)
                .map(|p| {
                    (
                        p[0].max(0) as usize,
                        p.get(1).copied().unwrap_or(0).max(0) as usize,
                    )
                })
                .collect();
            if pairs.len() != x.shape.len() {
                return Err("paddings do not match the input rank".into());
            }
            let shape: Vec<usize> = x
                .shape
                .iter()
                .zip(&pairs)
                .map(|(&d, &(a, b))| d + a + b)
                .collect();
            let zp = oq()?.1 as i8;
            let mut y = crate::arena::take::<i8>(shape.iter().product());
            crate::kernels::layout::pad(i8s(x, "input")?, &x.shape, &pairs, zp, &mut y);
            out(shape, y)
        })(),
        // Float → uint8 and other combinations the type-generic implementation serves.
        Op::Quantize
            if !matches!(
                (
                    ins.first().and_then(|x| x.as_ref()).map(|x| &x.v().data),
                    ctx.out_dtypes.first()
                ),
                (Some(Data::F32(_)), Some(DType::I8) | None) | (Some(Data::I8(_) | Data::U8(_)), _)
            ) =>
        {
            return None;
        }
        Op::Quantize => (|| {
            let x = arg(ins, 0)?;
            let (so, zo) = oq()?;
            let to = ctx.out_dtypes.first().copied().unwrap_or(DType::I8);
            let v: Vec<i8> = match &x.data {
                Data::F32(f) if to == DType::I8 => {
                    let mut v = crate::arena::take::<i8>(f.len());
                    if litert {
                        xnn::unary::quantize_f32(f, so, zo, &mut v);
                    } else {
                        (table().quantize)(f, so, zo, &mut v);
                    }
                    v
                }
                Data::I8(q) if litert && to == DType::I8 => {
                    let mut v = crate::arena::take::<i8>(q.len());
                    match xnn::params::Rescale8::requantize(iq(0)?, (so, zo)) {
                        Some(p) => xnn::unary::rescale(q, &p, &mut v),
                        None => (table().requantize)(
                            q,
                            &RequantizeParams::new(iq(0)?, (so, zo)),
                            &mut v,
                        ),
                    }
                    v
                }
                Data::I8(q) => {
                    let p = RequantizeParams::new(
                        iq(0)?,
                        (so, zo - if to == DType::U8 { 128 } else { 0 }),
                    );
                    let mut v = crate::arena::take::<i8>(q.len());
                    (table().requantize)(q, &p, &mut v);
                    v
                }
                Data::U8(q) => {
                    let (si, zi) = iq(0)?;
                    let shifted: Vec<i8> = q.iter().map(|&v| (v as i32 - 128) as i8).collect();
                    let p = RequantizeParams::new((si, zi - 128), (so, zo));
                    let mut v = vec![0i8; q.len()];
                    (table().requantize)(&shifted, &p, &mut v);
                    v
                }
                _ => return Err(OpError::NoKernel("QUANTIZE of this type pair".into())),
            };
            let data = if to == DType::U8 {
                Data::U8(v.iter().map(|&b| (b as i32 + 128) as u8).collect())
            } else {
                Data::I8(v)
            };
            Ok(vec![Value::new(x.shape.clone(), data)])
        })(),
        Op::Dequantize => (|| {
            let x = arg(ins, 0)?;
            let (s, z) = iq(0)?;
            let xs = i8s(x, "input")?;
            let mut y = crate::arena::take::<f32>(xs.len());
            unary::dequantize(xs, s, z, &mut y);
            Ok(vec![Value::f32(x.shape.clone(), y)])
        })(),
        _ => return None,
    };
    Some(r)
}

fn shape4(v: &Value) -> Result<[usize; 4], OpError> {
    super::shape4(&v.shape, "the input")
}
