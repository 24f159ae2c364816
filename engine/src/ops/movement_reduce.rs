//! The reductions and normalizations of the `Op::Movement` family: REDUCE_MIN/PROD/ANY/ALL,
//! ARG_MIN, TOPK_V2, L2_NORMALIZATION, LOCAL_RESPONSE_NORMALIZATION and L2_POOL_2D.

use super::{EvalCtx, Fact, Ins, Outs, arg, fact_ints, ints, need, norm_axis};
use crate::error::OpError;
use crate::ir::{Activation, DType, Data, Movement as M, Reduce2Kind, Value};
use crate::kernels::{reduce, reduce2};

type R<T> = Result<T, OpError>;

fn axes_of(vals: &[i64], r: usize) -> R<Vec<usize>> {
    let mut out = Vec::new();
    for &a in vals {
        let a = norm_axis(a, r)?;
        if !out.contains(&a) {
            out.push(a);
        }
    }
    Ok(out)
}

fn reduced(shape: &[usize], axes: &[usize], keep: bool) -> Vec<usize> {
    (0..shape.len())
        .filter_map(|d| {
            if axes.contains(&d) {
                keep.then_some(1)
            } else {
                Some(shape[d])
            }
        })
        .collect()
}

fn l2pool_geom(op: &M, s: &[usize]) -> R<crate::kernels::ConvGeom> {
    let M::L2Pool {
        padding,
        stride,
        filter,
        ..
    } = op
    else {
        return Err("not L2_POOL_2D".into());
    };
    if filter.contains(&0) {
        return Err("pool window must be positive".into());
    }
    let x = super::shape4(s, "the input")?;
    super::conv::geom(x, *filter, x[3], *stride, [1, 1], *padding)
}

fn clamp_of(a: Activation) -> (f32, f32) {
    match a {
        Activation::Relu => (0.0, f32::INFINITY),
        Activation::Relu6 => (0.0, 6.0),
        Activation::ReluN1To1 => (-1.0, 1.0),
        _ => (f32::NEG_INFINITY, f32::INFINITY),
    }
}

/// Output types and shapes of the reductions and normalizations; `None` for other ops.
pub(super) fn infer(op: &M, ins: &[Option<Fact<'_>>]) -> R<Option<Option<Outs>>> {
    let x = need(ins, 0)?;
    let out = match op {
        M::Reduce { keep_dims, .. } => {
            let Some(a) = fact_ints(&need(ins, 1)?)? else {
                return Ok(Some(None));
            };
            let axes = axes_of(&a, x.shape.len())?;
            vec![(x.dtype, reduced(x.shape, &axes, *keep_dims))]
        }
        M::ArgMin { output_type } => {
            let Some(a) = fact_ints(&need(ins, 1)?)? else {
                return Ok(Some(None));
            };
            let [axis] = a.as_slice() else {
                return Err(OpError::Invalid(format!(
                    "axis must have one element, got {a:?}"
                )));
            };
            let axis = norm_axis(*axis, x.shape.len())?;
            if x.shape[axis] == 0 {
                return Err("ARG_MIN over an empty axis".into());
            }
            vec![(*output_type, reduced(x.shape, &[axis], false))]
        }
        M::TopK => {
            let Some(k) = fact_ints(&need(ins, 1)?)? else {
                return Ok(Some(None));
            };
            let k = *k.first().ok_or("k is empty")?;
            let last = *x
                .shape
                .last()
                .ok_or("TOPK_V2 needs an input of rank >= 1")?;
            if k < 0 || k as usize > last {
                return Err(OpError::Invalid(format!("k = {k} is outside [0, {last}]")));
            }
            let mut s = x.shape.to_vec();
            *s.last_mut().ok_or("rank 0")? = k as usize;
            vec![(x.dtype, s.clone()), (DType::I32, s)]
        }
        M::L2Norm { .. } | M::Lrn { .. } => {
            if x.shape.is_empty() {
                return Err(format!("{} needs an input of rank >= 1", op.name()).into());
            }
            vec![(x.dtype, x.shape.to_vec())]
        }
        M::L2Pool { .. } => {
            let g = l2pool_geom(op, x.shape)?;
            vec![(x.dtype, vec![g.n, g.out_hwc[0], g.out_hwc[1], g.out_hwc[2]])]
        }
        _ => return Ok(None),
    };
    Ok(Some(Some(out)))
}

/// Evaluate a reduction or normalization; `None` for other ops.
pub(super) fn eval(op: &M, ins: &Ins<'_>, ctx: &EvalCtx<'_>) -> Option<R<Vec<Value>>> {
    let r = match op {
        M::Reduce { .. }
        | M::ArgMin { .. }
        | M::TopK
        | M::L2Norm { .. }
        | M::Lrn { .. }
        | M::L2Pool { .. } => run(op, ins, ctx),
        _ => return None,
    };
    Some(r)
}

fn run(op: &M, ins: &Ins<'_>, ctx: &EvalCtx<'_>) -> R<Vec<Value>> {
    let x = arg(ins, 0)?;
    let on = |s: &[usize]| -> usize { s.iter().product() };
    match op {
        M::Reduce { kind, keep_dims } => {
            let axes = axes_of(&ints(arg(ins, 1)?)?, x.shape.len())?;
            let shape = reduced(&x.shape, &axes, *keep_dims);
            let n = on(&shape);
            macro_rules! red {
                ($v:expr, $init:expr, $f:expr) => {{
                    let mut o = crate::arena::take(n);
                    reduce::reduce($v, &x.shape, &axes, $init, $f, &mut o);
                    o
                }};
            }
            let data = match (&x.data, kind) {
                (Data::F32(v), Reduce2Kind::Min) => {
                    Data::F32(red!(v, f32::MAX, |a: f32, b: f32| if b < a {
                        b
                    } else {
                        a
                    }))
                }
                (Data::F32(v), Reduce2Kind::Prod) => Data::F32(red!(v, 1.0, |a, b| a * b)),
                (Data::I32(v), Reduce2Kind::Min) => Data::I32(red!(v, i32::MAX, i32::min)),
                (Data::I32(v), Reduce2Kind::Prod) => Data::I32(red!(v, 1, i32::wrapping_mul)),
                (Data::I64(v), Reduce2Kind::Min) => Data::I64(red!(v, i64::MAX, i64::min)),
                (Data::I64(v), Reduce2Kind::Prod) => Data::I64(red!(v, 1, i64::wrapping_mul)),
                (Data::I8(v), Reduce2Kind::Min) => Data::I8(red!(v, i8::MAX, i8::min)),
                (Data::U8(v), Reduce2Kind::Min) => Data::U8(red!(v, u8::MAX, u8::min)),
                (Data::I16(v), Reduce2Kind::Min) => Data::I16(red!(v, i16::MAX, i16::min)),
                (Data::Bool(v), Reduce2Kind::Any) => Data::Bool(red!(v, false, |a, b| a | b)),
                (Data::Bool(v), Reduce2Kind::All) => Data::Bool(red!(v, true, |a, b| a & b)),
                (d, _) => {
                    return Err(OpError::Invalid(format!("{} of {}", op.name(), d.dtype())));
                }
            };
            Ok(vec![Value::new(shape, data)])
        }
        M::ArgMin { output_type } => {
            let a = ints(arg(ins, 1)?)?;
            let axis = norm_axis(*a.first().ok_or("empty axis")?, x.shape.len())?;
            let f = x.data.to_f64();
            let (outer, n, inner) = (
                x.shape[..axis].iter().product::<usize>(),
                x.shape[axis],
                x.shape[axis + 1..].iter().product::<usize>(),
            );
            if n == 0 {
                return Err(OpError::from(format!(
                    "ARG_MIN over axis {axis} of size 0 (input {:?}) has no answer",
                    x.shape
                )));
            }
            let mut idx = Vec::with_capacity(outer * inner);
            for o in 0..outer {
                for i in 0..inner {
                    let mut best = 0usize;
                    for k in 1..n {
                        if f[(o * n + k) * inner + i] < f[(o * n + best) * inner + i] {
                            best = k;
                        }
                    }
                    idx.push(best as i64);
                }
            }
            let shape = reduced(&x.shape, &[axis], false);
            let data = if *output_type == DType::I64 {
                Data::I64(idx)
            } else {
                Data::I32(idx.into_iter().map(|v| v as i32).collect())
            };
            Ok(vec![Value::new(shape, data)])
        }
        M::TopK => {
            let k = *ints(arg(ins, 1)?)?.first().ok_or("k is empty")?;
            let last = *x.shape.last().ok_or("rank 0")?;
            if k < 0 || k as usize > last {
                return Err(OpError::Invalid(format!("k = {k} is outside [0, {last}]")));
            }
            let k = k as usize;
            let mut s = x.shape.clone();
            *s.last_mut().ok_or("rank 0")? = k;
            let n = on(&s);
            let mut idx = vec![0i32; n];
            macro_rules! tk {
                ($($var:ident),*) => {
                    match &x.data {
                        $(Data::$var(v) => {
                            let mut o = crate::arena::take(n);
                            crate::kernels::movement::top_k(v, last, k, &mut o, &mut idx);
                            Data::$var(o)
                        })*
                        d => return Err(OpError::Invalid(format!("TOPK_V2 of {}", d.dtype()))),
                    }
                };
            }
            let vals = tk!(F32, I8, U8, I16, I32, I64);
            Ok(vec![
                Value::new(s.clone(), vals),
                Value::new(s, Data::I32(idx)),
            ])
        }
        M::L2Norm { act } => {
            let depth = *x.shape.last().ok_or("rank 0")?;
            let n = x.numel();
            match &x.data {
                Data::F32(v) => {
                    let mut o = crate::arena::take(n);
                    reduce2::l2_normalize(v, depth, &mut o);
                    let (lo, hi) = clamp_of(*act);
                    o.iter_mut().for_each(|e| *e = e.clamp(lo, hi));
                    Ok(vec![Value::new(x.shape.clone(), Data::F32(o))])
                }
                Data::I8(v) => {
                    let zp = ctx
                        .in_quant
                        .first()
                        .copied()
                        .flatten()
                        .and_then(|q| q.zero_point.first().copied())
                        .ok_or("int8 input without quantization")?;
                    let mut o = crate::arena::take(n);
                    reduce2::l2_normalize_i8(v, depth, zp as i32, &mut o);
                    Ok(vec![Value::new(x.shape.clone(), Data::I8(o))])
                }
                d => Err(OpError::Invalid(format!(
                    "L2_NORMALIZATION of {}",
                    d.dtype()
                ))),
            }
        }
        M::Lrn {
            radius,
            bias,
            alpha,
            beta,
        } => {
            let v = super::f32_arg(ins, 0)?;
            let depth = *x.shape.last().ok_or("rank 0")?;
            let mut o = crate::arena::take(v.len());
            reduce2::lrn(v, depth, *radius as i64, *bias, *alpha, *beta, &mut o);
            Ok(vec![Value::f32(x.shape.clone(), o)])
        }
        M::L2Pool { act, .. } => {
            let g = l2pool_geom(op, &x.shape)?;
            let s = vec![g.n, g.out_hwc[0], g.out_hwc[1], g.out_hwc[2]];
            let mut o = crate::arena::take(on(&s));
            let (lo, hi) = clamp_of(*act);
            reduce2::l2_pool(super::f32_arg(ins, 0)?, &g, lo, hi, &mut o);
            Ok(vec![Value::f32(s, o)])
        }
        _ => Err("not a reduction".into()),
    }
}

/// Dtype limits of the reductions and normalizations.
pub(super) fn unsupported_reason(op: &M, first: DType) -> Option<String> {
    let ok = match op {
        M::Reduce { kind, .. } => match kind {
            Reduce2Kind::Min => !matches!(first, DType::F16 | DType::Bool),
            Reduce2Kind::Prod => matches!(first, DType::F32 | DType::I32 | DType::I64),
            Reduce2Kind::Any | Reduce2Kind::All => first == DType::Bool,
        },
        M::ArgMin { .. } => true,
        M::TopK => !matches!(first, DType::F16 | DType::Bool),
        M::L2Norm { act } => {
            if *act != Activation::None && first == DType::I8 {
                return Some("L2_NORMALIZATION (int8) with a fused activation".into());
            }
            matches!(first, DType::F32 | DType::I8)
        }
        M::Lrn { .. } | M::L2Pool { .. } => first == DType::F32,
        _ => true,
    };
    (!ok).then(|| format!("{} ({first})", op.name()))
}

/// Multiply-accumulates of the normalizations and L2 pooling.
pub fn macs(op: &M, ins: &[Option<&[usize]>], outs: &[&[usize]]) -> u64 {
    let n = |s: &[usize]| s.iter().product::<usize>() as u64;
    match op {
        M::L2Norm { .. } => ins.first().copied().flatten().map_or(0, n),
        M::Lrn { radius, .. } => {
            ins.first().copied().flatten().map_or(0, n) * (2 * (*radius).max(0) as u64 + 1)
        }
        M::L2Pool { filter, .. } => {
            outs.first().map_or(0, |s| n(s)) * (filter[0] * filter[1]) as u64
        }
        _ => 0,
    }
}
