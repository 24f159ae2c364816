//! Pooling, reductions, ARG_MAX and resizing.

use super::conv::geom;
use super::{EvalCtx, Fact, InferResult, Ins, act, arg, f32_arg, fact_ints, ints, need, norm_axis};
use crate::error::OpError;
use crate::ir::{DType, Data, Op, PoolKind, ReduceKind, Value};
use crate::kernels::{pool, reduce, resize};

fn axes_of(vals: &[i64], r: usize) -> Result<Vec<usize>, OpError> {
    let mut out = Vec::new();
    for &a in vals {
        let a = norm_axis(a, r)?;
        if !out.contains(&a) {
            out.push(a);
        }
    }
    Ok(out)
}

fn reduced_shape(shape: &[usize], axes: &[usize], keep: bool) -> Vec<usize> {
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

fn resize_size(v: &[i64]) -> Result<[usize; 2], OpError> {
    match v {
        [h, w] if *h > 0 && *w > 0 => Ok([*h as usize, *w as usize]),
        _ => Err(OpError::Invalid(format!(
            "size must hold two positive values, got {v:?}"
        ))),
    }
}

fn shape4(s: &[usize]) -> Result<[usize; 4], OpError> {
    super::shape4(s, "the input")
}

pub(super) fn infer(op: &Op, ins: &[Option<Fact<'_>>]) -> InferResult {
    let x = need(ins, 0)?;
    match op {
        Op::Pool2d(p) => {
            if p.filter.contains(&0) {
                return Err("pool window must be positive".into());
            }
            let g = geom(
                shape4(x.shape)?,
                p.filter,
                x.shape[3],
                p.stride,
                [1, 1],
                p.padding,
            )?;
            Ok(Some(vec![(
                x.dtype,
                vec![g.n, g.out_hwc[0], g.out_hwc[1], g.out_hwc[2]],
            )]))
        }
        Op::Reduce(r) => {
            let Some(a) = fact_ints(&need(ins, 1)?)? else {
                return Ok(None);
            };
            let axes = axes_of(&a, x.shape.len())?;
            Ok(Some(vec![(
                x.dtype,
                reduced_shape(x.shape, &axes, r.keep_dims),
            )]))
        }
        Op::ArgMax { output_type } => {
            let Some(a) = fact_ints(&need(ins, 1)?)? else {
                return Ok(None);
            };
            let [axis] = a.as_slice() else {
                return Err(OpError::Invalid(format!(
                    "axis must have one element, got {a:?}"
                )));
            };
            let axis = norm_axis(*axis, x.shape.len())?;
            if x.shape[axis] == 0 {
                return Err("ARG_MAX over an empty axis".into());
            }
            Ok(Some(vec![(
                *output_type,
                reduced_shape(x.shape, &[axis], false),
            )]))
        }
        Op::Resize(_) => {
            let s = shape4(x.shape)?;
            let Some(v) = fact_ints(&need(ins, 1)?)? else {
                return Ok(None);
            };
            let [h, w] = resize_size(&v)?;
            Ok(Some(vec![(x.dtype, vec![s[0], h, w, s[3]])]))
        }
        _ => Err("not a pool op".into()),
    }
}

pub(super) fn eval(op: &Op, ins: Ins<'_>, ctx: &EvalCtx<'_>) -> Result<Vec<Value>, OpError> {
    let x = arg(&ins, 0)?;
    match op {
        Op::Pool2d(p) => {
            let g = geom(
                shape4(&x.shape)?,
                p.filter,
                x.shape[3],
                p.stride,
                [1, 1],
                p.padding,
            )?;
            let shape = vec![g.n, g.out_hwc[0], g.out_hwc[1], g.out_hwc[2]];
            let max = p.kind == PoolKind::Max;
            if max && x.dtype() != DType::F32 {
                return Err(OpError::Invalid(format!(
                    "MAX_POOL_2D on {} needs the int8 kernels",
                    x.dtype()
                )));
            }
            let mut o = crate::arena::take::<f32>(shape.iter().product());
            pool::pool2d(f32_arg(&ins, 0)?, &g, max, act(p.act), ctx.threads, &mut o);
            Ok(vec![Value::f32(shape, o)])
        }
        Op::Reduce(r) => {
            let axes = axes_of(&ints(arg(&ins, 1)?)?, x.shape.len())?;
            let shape = reduced_shape(&x.shape, &axes, r.keep_dims);
            let on = shape.iter().product();
            let data = match (&x.data, r.kind) {
                (Data::F32(v), ReduceKind::Sum) => {
                    let mut o = crate::arena::take::<f32>(on);
                    reduce::sum_f32(v, &x.shape, &axes, &mut o);
                    Data::F32(o)
                }
                (Data::F32(v), ReduceKind::Mean) => {
                    let n: usize = axes.iter().map(|&a| x.shape[a]).product();
                    let mut s = crate::arena::take::<f32>(on);
                    reduce::sum_f32(v, &x.shape, &axes, &mut s);
                    s.iter_mut().for_each(|e| *e /= n.max(1) as f32);
                    Data::F32(s)
                }
                (Data::F32(v), ReduceKind::Max) => {
                    let mut o = crate::arena::take::<f32>(on);
                    let f = |a: f32, b: f32| if b > a { b } else { a };
                    reduce::reduce(v, &x.shape, &axes, f32::MIN, f, &mut o);
                    Data::F32(o)
                }
                (Data::I32(v), ReduceKind::Sum) => {
                    let mut o = crate::arena::take::<i32>(on);
                    reduce::reduce(v, &x.shape, &axes, 0, i32::wrapping_add, &mut o);
                    Data::I32(o)
                }
                (Data::I32(v), ReduceKind::Max) => {
                    let mut o = crate::arena::take::<i32>(on);
                    reduce::reduce(v, &x.shape, &axes, i32::MIN, i32::max, &mut o);
                    Data::I32(o)
                }
                (Data::I64(v), ReduceKind::Sum) => {
                    let mut o = crate::arena::take::<i64>(on);
                    reduce::reduce(v, &x.shape, &axes, 0, i64::wrapping_add, &mut o);
                    Data::I64(o)
                }
                _ => {
                    return Err(OpError::Invalid(format!(
                        "{} on {} needs the int8 kernels",
                        op.name(),
                        x.dtype()
                    )));
                }
            };
            Ok(vec![Value::new(shape, data)])
        }
        Op::ArgMax { output_type } => {
            let a = ints(arg(&ins, 1)?)?;
            let axis = norm_axis(*a.first().ok_or("empty axis")?, x.shape.len())?;
            let f = x.data.to_f64();
            let (outer, n, inner) = (
                x.shape[..axis].iter().product::<usize>(),
                x.shape[axis],
                x.shape[axis + 1..].iter().product::<usize>(),
            );
            if n == 0 {
                // LiteRT refuses it too; and `outer * inner` may be huge while the input is empty.
                return Err(OpError::from(format!(
                    "ARG_MAX over axis {axis} of size 0 (input {:?}) has no answer",
                    x.shape
                )));
            }
            let mut idx = Vec::with_capacity(outer * inner);
            for o in 0..outer {
                for i in 0..inner {
                    let mut best = 0usize;
                    for k in 1..n {
                        if f[(o * n + k) * inner + i] > f[(o * n + best) * inner + i] {
                            best = k;
                        }
                    }
                    idx.push(best as i64);
                }
            }
            let shape = reduced_shape(&x.shape, &[axis], false);
            let data = if *output_type == DType::I64 {
                Data::I64(idx)
            } else {
                Data::I32(idx.into_iter().map(|v| v as i32).collect())
            };
            Ok(vec![Value::new(shape, data)])
        }
        Op::Resize(r) => {
            let s = shape4(&x.shape)?;
            let [h, w] = resize_size(&ints(arg(&ins, 1)?)?)?;
            if r.bilinear && r.align_corners && r.half_pixel_centers {
                return Err("align_corners and half_pixel_centers cannot both be set".into());
            }
            let (n, ihwc) = (s[0], [s[1], s[2], s[3]]);
            let shape = vec![n, h, w, s[3]];
            let on = shape.iter().product();
            let (ac, hp) = (r.align_corners, r.half_pixel_centers);
            if r.bilinear {
                let mut o = crate::arena::take::<f32>(on);
                resize::bilinear(f32_arg(&ins, 0)?, n, ihwc, h, w, ac, hp, &mut o);
                return Ok(vec![Value::f32(shape, o)]);
            }
            let data = crate::map_data!(&x.data, v => {
                let mut o = crate::arena::take(on);
                resize::nearest(v, n, ihwc, h, w, ac, hp, &mut o);
                o
            });
            Ok(vec![Value::new(shape, data)])
        }
        _ => Err("not a pool op".into()),
    }
}

/// Output shape of a reduction over (possibly negative, possibly repeated) `axes`.
pub(super) fn reduce_out_shape(
    shape: &[usize],
    axes: &[i32],
    keep: bool,
) -> Result<Vec<usize>, OpError> {
    let v: Vec<i64> = axes.iter().map(|&a| a as i64).collect();
    Ok(reduced_shape(shape, &axes_of(&v, shape.len())?, keep))
}
