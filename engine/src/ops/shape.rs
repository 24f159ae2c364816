//! Data-movement ops, generic over the element type: RESHAPE, SQUEEZE, EXPAND_DIMS, TRANSPOSE,
//! CONCATENATION, SPLIT, PACK, UNPACK, SLICE, STRIDED_SLICE, GATHER, PAD/PADV2,
//! DEPTH_TO_SPACE, SPACE_TO_DEPTH, SHAPE.

use super::{Fact, InferResult, Ins, act, arg, fact_ints, ints, need, norm_axis};
use crate::error::OpError;
use crate::ir::{DType, Data, Op, StridedSlice, Value};
use crate::kernels::layout;
use crate::map_data;

/// Largest element count an output may have (guards against shapes computed from bad data).
const MAX_ELEMS: usize = 1 << 31;

fn checked_numel(s: &[usize]) -> Result<usize, OpError> {
    s.iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .filter(|&n| n <= MAX_ELEMS)
        .ok_or_else(|| OpError::Invalid(format!("shape {s:?} is too large")))
}

fn reshape_target(x: &[usize], spec: &[i64]) -> Result<Vec<usize>, OpError> {
    let n = checked_numel(x)?;
    let mut unknown = None;
    let mut known = 1usize;
    let mut out = Vec::with_capacity(spec.len());
    for (i, &d) in spec.iter().enumerate() {
        if d == -1 {
            if unknown.replace(i).is_some() {
                return Err(OpError::Invalid(format!(
                    "more than one -1 in new shape {spec:?}"
                )));
            }
            out.push(1);
        } else if d < 0 {
            return Err(OpError::Invalid(format!(
                "negative dimension in new shape {spec:?}"
            )));
        } else {
            known = known.checked_mul(d as usize).ok_or("new shape overflows")?;
            out.push(d as usize);
        }
    }
    if let Some(i) = unknown {
        if known == 0 || n % known != 0 {
            return Err(OpError::Invalid(format!(
                "cannot reshape {x:?} into {spec:?}"
            )));
        }
        out[i] = n / known;
    } else if known != n {
        return Err(OpError::Invalid(format!(
            "cannot reshape {x:?} ({n} elements) into {spec:?}"
        )));
    }
    Ok(out)
}

/// Resolved strided-slice plan: per effective axis (begin, step, len), the effective input
/// shape, and which axes are dropped.
struct SlicePlan {
    eff_shape: Vec<usize>,
    begin: Vec<i64>,
    step: Vec<i64>,
    len: Vec<usize>,
    keep: Vec<bool>,
}

fn strided_plan(
    shape: &[usize],
    b: &[i64],
    e: &[i64],
    s: &[i64],
    o: &StridedSlice,
) -> Result<SlicePlan, OpError> {
    let n = b.len();
    if e.len() != n || s.len() != n {
        return Err("begin, end and strides must have the same length".into());
    }
    if n > 31 {
        return Err("too many slice entries".into());
    }
    let bit = |m: i32, i: usize| (m >> i) & 1 == 1;
    let num_add = (0..n)
        .filter(|&i| bit(o.new_axis_mask, i) && !bit(o.ellipsis_mask, i))
        .count();
    let rank = shape.len();
    let eff_rank = rank + num_add;
    // Build the effective spec.
    let mut spec: Vec<(i64, i64, i64, bool, bool, bool, bool)> = Vec::new(); // (b, e, s, bmask, emask, shrink, new_axis)
    let mut j = 0;
    while j < n {
        if bit(o.ellipsis_mask, j) {
            let mentioned = (j + 1..n)
                .filter(|&k| !bit(o.new_axis_mask, k) || bit(o.ellipsis_mask, k))
                .count();
            let before_real = spec.iter().filter(|t| !t.6).count();
            let cover = rank.saturating_sub(before_real + mentioned);
            for _ in 0..cover {
                spec.push((0, 0, 1, true, true, false, false));
            }
        } else if bit(o.new_axis_mask, j) {
            spec.push((0, 1, 1, false, false, false, true));
        } else {
            spec.push((
                b[j],
                e[j],
                s[j],
                bit(o.begin_mask, j),
                bit(o.end_mask, j),
                bit(o.shrink_axis_mask, j),
                false,
            ));
        }
        j += 1;
    }
    while spec.len() < eff_rank {
        spec.push((0, 0, 1, true, true, false, false));
    }
    if spec.len() != eff_rank {
        return Err(OpError::Invalid(format!(
            "slice spec does not fit an input of rank {rank}"
        )));
    }
    let mut plan = SlicePlan {
        eff_shape: vec![],
        begin: vec![],
        step: vec![],
        len: vec![],
        keep: vec![],
    };
    let mut real = 0;
    for &(bb, ee, ss, bm, em, shrink, new_axis) in &spec {
        if new_axis {
            plan.eff_shape.push(1);
            plan.begin.push(0);
            plan.step.push(1);
            plan.len.push(1);
            plan.keep.push(true);
            continue;
        }
        let d = *shape
            .get(real)
            .ok_or("slice spec has more axes than the input")? as i64;
        real += 1;
        if ss == 0 {
            return Err("stride 0 in STRIDED_SLICE".into());
        }
        let clamp = |v: i64| {
            if ss > 0 {
                v.clamp(0, d)
            } else {
                v.clamp(-1, d - 1)
            }
        };
        let mut start = if bb < 0 { bb + d } else { bb };
        start = clamp(start);
        if bm {
            start = if ss > 0 { 0 } else { d - 1 };
        }
        let stop = if shrink {
            if start >= d { start } else { start + 1 }
        } else {
            let mut stop = if o.offset { ee + start } else { ee };
            if !o.offset && stop < 0 {
                stop += d;
            }
            stop = clamp(stop);
            if em {
                stop = if ss > 0 { d } else { -1 };
            }
            stop
        };
        let len = stop - start;
        let count = if (len < 0) != (ss < 0) || len == 0 {
            0
        } else if ss < 0 {
            (len + 1) / ss + 1
        } else {
            (len - 1) / ss + 1
        };
        if shrink && count != 1 {
            return Err(OpError::Invalid(format!(
                "shrink axis index {bb} out of range for a dimension of {d}"
            )));
        }
        plan.eff_shape.push(d as usize);
        plan.begin.push(start);
        plan.step.push(ss);
        plan.len.push(count.max(0) as usize);
        plan.keep.push(!shrink);
    }
    Ok(plan)
}

fn slice_plan(
    shape: &[usize],
    begin: &[i64],
    size: &[i64],
) -> Result<(Vec<i64>, Vec<usize>), OpError> {
    if begin.len() != shape.len() || size.len() != shape.len() {
        return Err(OpError::Invalid(format!(
            "begin {begin:?} and size {size:?} must have one entry per input dim {shape:?}"
        )));
    }
    let mut lens = Vec::new();
    for ((&b, &s), &d) in begin.iter().zip(size).zip(shape) {
        let d = d as i64;
        let len = if s == -1 { d - b } else { s };
        if b < 0 || len < 0 || b + len > d {
            return Err(OpError::Invalid(format!(
                "slice begin {begin:?} size {size:?} out of range for {shape:?}"
            )));
        }
        lens.push(len as usize);
    }
    Ok((begin.to_vec(), lens))
}

fn pads_of(v: &[i64], r: usize) -> Result<Vec<(usize, usize)>, OpError> {
    if v.len() != 2 * r {
        return Err(OpError::Invalid(format!(
            "paddings must be [{r}, 2], got {} values",
            v.len()
        )));
    }
    v.chunks(2)
        .map(|p| {
            if p[0] < 0 || p[1] < 0 || p[0] > MAX_ELEMS as i64 || p[1] > MAX_ELEMS as i64 {
                Err(OpError::Invalid(format!("invalid padding {p:?}")))
            } else {
                Ok((p[0] as usize, p[1] as usize))
            }
        })
        .collect()
}

fn d2s_shape(op: &Op, s: &[usize]) -> Result<Vec<usize>, OpError> {
    let [n, h, w, c] = <[usize; 4]>::try_from(s)
        .map_err(|_| OpError::Invalid(format!("input must be 4-D, got {s:?}")))?;
    match *op {
        Op::DepthToSpace { block: b } if b > 0 && c % (b * b) == 0 => {
            Ok(vec![n, h * b, w * b, c / (b * b)])
        }
        Op::SpaceToDepth { block: b } if b > 0 && h % b == 0 && w % b == 0 => {
            Ok(vec![n, h / b, w / b, c * b * b])
        }
        _ => Err(OpError::Invalid(format!(
            "block size does not fit the input {s:?}"
        ))),
    }
}

/// Output shapes (one per output) from input facts; `None` when values are needed but unknown.
fn shapes(op: &Op, ins: &[Option<Fact<'_>>]) -> Result<Option<Vec<Vec<usize>>>, OpError> {
    let x = need(ins, 0)?;
    let r = x.shape.len();
    let one = |s: Vec<usize>| Ok(Some(vec![s]));
    match op {
        Op::Reshape { new_shape } => {
            let spec = match ins.get(1).copied().flatten() {
                Some(f) => match fact_ints(&f)? {
                    Some(v) => v,
                    None => return Ok(None),
                },
                None => new_shape
                    .as_ref()
                    .ok_or("RESHAPE has neither a shape input nor new_shape")?
                    .iter()
                    .map(|&v| v as i64)
                    .collect(),
            };
            one(reshape_target(x.shape, &spec)?)
        }
        Op::Squeeze { axes } => {
            let ax: Vec<usize> = axes
                .iter()
                .map(|&a| norm_axis(a as i64, r))
                .collect::<Result<_, _>>()?;
            if let Some(&a) = ax.iter().find(|&&a| x.shape[a] != 1) {
                return Err(OpError::Invalid(format!(
                    "cannot squeeze dim {a} of size {}",
                    x.shape[a]
                )));
            }
            one((0..r)
                .filter(|d| {
                    if ax.is_empty() {
                        x.shape[*d] != 1
                    } else {
                        !ax.contains(d)
                    }
                })
                .map(|d| x.shape[d])
                .collect())
        }
        Op::ExpandDims => {
            let Some(a) = fact_ints(&need(ins, 1)?)? else {
                return Ok(None);
            };
            let [a] = a.as_slice() else {
                return Err("axis must have one element".into());
            };
            let pos = norm_axis(if *a < 0 { a + r as i64 + 1 } else { *a }, r + 1)?;
            let mut s = x.shape.to_vec();
            s.insert(pos, 1);
            one(s)
        }
        Op::Transpose => {
            let Some(p) = fact_ints(&need(ins, 1)?)? else {
                return Ok(None);
            };
            let perm = perm_of(&p, r)?;
            one(perm.iter().map(|&i| x.shape[i]).collect())
        }
        Op::Concatenation { axis, .. } => {
            let a = norm_axis(*axis as i64, r)?;
            let mut s = x.shape.to_vec();
            s[a] = 0;
            for f in ins.iter() {
                let f = f.ok_or("missing input")?;
                if f.shape.len() != r
                    || f.dtype != x.dtype
                    || (0..r).any(|d| d != a && f.shape[d] != x.shape[d])
                {
                    return Err(OpError::Invalid(format!(
                        "input {:?} ({}) does not concatenate with {:?} ({}) on axis {a}",
                        f.shape, f.dtype, x.shape, x.dtype
                    )));
                }
                s[a] += f.shape[a];
            }
            one(s)
        }
        Op::Split { num_splits } => {
            let t = need(ins, 1)?;
            let Some(a) = fact_ints(&x)? else {
                return Ok(None);
            };
            let [a] = a.as_slice() else {
                return Err("axis must have one element".into());
            };
            let a = norm_axis(*a, t.shape.len())?;
            if *num_splits == 0 || t.shape[a] % num_splits != 0 {
                return Err(OpError::Invalid(format!(
                    "dim {a} of {:?} does not split into {num_splits}",
                    t.shape
                )));
            }
            let mut s = t.shape.to_vec();
            s[a] /= num_splits;
            Ok(Some(vec![s; *num_splits]))
        }
        Op::Pack { values_count, axis } => {
            if *values_count != ins.len() {
                return Err(OpError::Invalid(format!(
                    "values_count {values_count} but {} inputs",
                    ins.len()
                )));
            }
            for f in ins.iter() {
                let f = f.ok_or("missing input")?;
                if f.shape != x.shape || f.dtype != x.dtype {
                    return Err(OpError::Invalid(format!(
                        "PACK inputs differ: {:?} vs {:?}",
                        f.shape, x.shape
                    )));
                }
            }
            let a = norm_axis(
                if *axis < 0 {
                    *axis as i64 + r as i64 + 1
                } else {
                    *axis as i64
                },
                r + 1,
            )?;
            let mut s = x.shape.to_vec();
            s.insert(a, *values_count);
            one(s)
        }
        Op::Unpack { num, axis } => {
            let a = norm_axis(*axis as i64, r)?;
            if x.shape[a] != *num {
                return Err(OpError::Invalid(format!(
                    "num {num} differs from dim {a} of {:?}",
                    x.shape
                )));
            }
            let mut s = x.shape.to_vec();
            s.remove(a);
            Ok(Some(vec![s; *num]))
        }
        Op::Slice => {
            let Some(sz) = fact_ints(&need(ins, 2)?)? else {
                return Ok(None);
            };
            match fact_ints(&need(ins, 1)?)? {
                Some(b) => one(slice_plan(x.shape, &b, &sz)?.1),
                // A begin known only at run time with every size given: the shape is the size
                // (the run checks the begin).
                None if sz.len() == r
                    && sz
                        .iter()
                        .zip(x.shape)
                        .all(|(&l, &d)| l >= 0 && l as usize <= d) =>
                {
                    one(sz.iter().map(|&l| l as usize).collect())
                }
                None => Ok(None),
            }
        }
        Op::StridedSlice(o) => {
            let (Some(b), Some(e), Some(s)) = (
                fact_ints(&need(ins, 1)?)?,
                fact_ints(&need(ins, 2)?)?,
                fact_ints(&need(ins, 3)?)?,
            ) else {
                return Ok(None);
            };
            let p = strided_plan(x.shape, &b, &e, &s, o)?;
            one(p
                .len
                .iter()
                .zip(&p.keep)
                .filter(|(_, k)| **k)
                .map(|(l, _)| *l)
                .collect())
        }
        Op::Gather { axis, batch_dims } => {
            let idx = need(ins, 1)?;
            let a = norm_axis(*axis as i64, r)?;
            let bd = if *batch_dims < 0 {
                *batch_dims as i64 + idx.shape.len() as i64
            } else {
                *batch_dims as i64
            };
            if bd < 0
                || bd as usize > a
                || bd as usize > idx.shape.len()
                || x.shape[..bd as usize] != idx.shape[..bd as usize]
            {
                return Err(OpError::Invalid(format!(
                    "batch_dims {batch_dims} does not fit params {:?} and indices {:?}",
                    x.shape, idx.shape
                )));
            }
            let bd = bd as usize;
            let mut s = x.shape[..a].to_vec();
            s.extend_from_slice(&idx.shape[bd..]);
            s.extend_from_slice(&x.shape[a + 1..]);
            one(s)
        }
        Op::Pad { .. } => {
            let Some(p) = fact_ints(&need(ins, 1)?)? else {
                return Ok(None);
            };
            let pads = pads_of(&p, r)?;
            one(x
                .shape
                .iter()
                .zip(&pads)
                .map(|(&d, &(a, b))| d + a + b)
                .collect())
        }
        Op::DepthToSpace { .. } | Op::SpaceToDepth { .. } => one(d2s_shape(op, x.shape)?),
        Op::Shape { .. } => one(vec![r]),
        _ => Err("not a data-movement op".into()),
    }
}

fn perm_of(p: &[i64], r: usize) -> Result<Vec<usize>, OpError> {
    if p.len() != r {
        return Err(OpError::Invalid(format!(
            "perm {p:?} does not match rank {r}"
        )));
    }
    let perm: Vec<usize> = p
        .iter()
        .map(|&a| norm_axis(a, r))
        .collect::<Result<_, _>>()?;
    let mut seen = vec![false; r];
    for &a in &perm {
        if std::mem::replace(&mut seen[a], true) {
            return Err(OpError::Invalid(format!("perm {p:?} repeats an axis")));
        }
    }
    Ok(perm)
}

pub(super) fn infer(op: &Op, ins: &[Option<Fact<'_>>]) -> InferResult {
    let dt = match op {
        Op::Shape { output_type } => *output_type,
        Op::Split { .. } => need(ins, 1)?.dtype,
        _ => need(ins, 0)?.dtype,
    };
    let out = shapes(op, ins)?;
    if let Some(o) = &out {
        for s in o {
            checked_numel(s)?;
        }
    }
    Ok(out.map(|v| v.into_iter().map(|s| (dt, s)).collect()))
}

pub(super) fn eval(op: &Op, mut ins: Ins<'_>) -> Result<Vec<Value>, OpError> {
    let facts: Vec<Option<Fact<'_>>> = ins
        .iter()
        .map(|i| i.as_ref().map(|v| Fact::of(v.v())))
        .collect();
    let shapes = shapes(op, &facts)?.ok_or("output shape unknown")?;
    for s in &shapes {
        checked_numel(s)?;
    }
    drop(facts);
    let out0 = shapes.first().cloned().unwrap_or_default();
    // Elements of the first output: the length of the buffer its kernel writes.
    let n0: usize = out0.iter().product();
    match op {
        Op::Reshape { .. } | Op::Squeeze { .. } | Op::ExpandDims => {
            let v = ins
                .get_mut(0)
                .and_then(Option::take)
                .ok_or("missing input")?
                .into_value();
            Ok(vec![Value::new(out0, v.data)])
        }
        Op::Transpose => {
            let x = arg(&ins, 0)?;
            let perm = perm_of(&ints(arg(&ins, 1)?)?, x.shape.len())?;
            Ok(vec![Value::new(
                out0,
                map_data!(&x.data, v => {
                    let mut o = crate::arena::take(v.len());
                    layout::transpose(v, &x.shape, &perm, &mut o);
                    o
                }),
            )])
        }
        Op::Concatenation { axis, act: a } => {
            let x = arg(&ins, 0)?;
            let ax = norm_axis(*axis as i64, x.shape.len())?;
            let vals: Vec<&Value> = (0..ins.len())
                .map(|i| arg(&ins, i))
                .collect::<Result<_, _>>()?;
            let data = concat_values(&vals, ax)?;
            let data = match data {
                Data::F32(mut v) => {
                    act(*a).apply_slice(&mut v);
                    Data::F32(v)
                }
                d => d,
            };
            Ok(vec![Value::new(out0, data)])
        }
        Op::Split { .. } | Op::Unpack { .. } => {
            let (x, axis) = match op {
                Op::Split { .. } => {
                    let t = arg(&ins, 1)?;
                    (
                        t,
                        norm_axis(
                            *ints(arg(&ins, 0)?)?.first().ok_or("empty axis")?,
                            t.shape.len(),
                        )?,
                    )
                }
                Op::Unpack { axis, .. } => {
                    let t = arg(&ins, 0)?;
                    (t, norm_axis(*axis as i64, t.shape.len())?)
                }
                _ => return Err("unreachable".into()),
            };
            let part = x.shape[axis] / shapes.len().max(1);
            let mut lens = x.shape.clone();
            lens[axis] = part;
            let step = vec![1i64; x.shape.len()];
            let n: usize = lens.iter().product();
            Ok(shapes
                .into_iter()
                .enumerate()
                .map(|(i, s)| {
                    let mut begin = vec![0i64; x.shape.len()];
                    begin[axis] = (i * part) as i64;
                    Value::new(
                        s,
                        map_data!(&x.data, v => {
                            let mut o = crate::arena::take(n);
                            layout::strided(v, &x.shape, &begin, &step, &lens, &mut o);
                            o
                        }),
                    )
                })
                .collect())
        }
        Op::Pack { axis, .. } => {
            let x = arg(&ins, 0)?;
            let r = x.shape.len();
            let a = norm_axis(
                if *axis < 0 {
                    *axis as i64 + r as i64 + 1
                } else {
                    *axis as i64
                },
                r + 1,
            )?;
            let mut s = x.shape.clone();
            s.insert(a, 1);
            let vals: Vec<Value> = (0..ins.len())
                .map(|i| arg(&ins, i).map(|v| Value::new(s.clone(), v.data.clone())))
                .collect::<Result<_, _>>()?;
            let refs: Vec<&Value> = vals.iter().collect();
            Ok(vec![Value::new(out0, concat_values(&refs, a)?)])
        }
        Op::Slice => {
            let x = arg(&ins, 0)?;
            let (begin, lens) = slice_plan(&x.shape, &ints(arg(&ins, 1)?)?, &ints(arg(&ins, 2)?)?)?;
            let step = vec![1i64; x.shape.len()];
            let n: usize = lens.iter().product();
            Ok(vec![Value::new(
                out0,
                map_data!(&x.data, v => {
                    let mut o = crate::arena::take(n);
                    layout::strided(v, &x.shape, &begin, &step, &lens, &mut o);
                    o
                }),
            )])
        }
        Op::StridedSlice(o) => {
            let x = arg(&ins, 0)?;
            let p = strided_plan(
                &x.shape,
                &ints(arg(&ins, 1)?)?,
                &ints(arg(&ins, 2)?)?,
                &ints(arg(&ins, 3)?)?,
                o,
            )?;
            let n: usize = p.len.iter().product();
            Ok(vec![Value::new(
                out0,
                map_data!(&x.data, v => {
                    let mut o = crate::arena::take(n);
                    layout::strided(v, &p.eff_shape, &p.begin, &p.step, &p.len, &mut o);
                    o
                }),
            )])
        }
        Op::Gather { axis, batch_dims } => {
            let (x, idx) = (arg(&ins, 0)?, arg(&ins, 1)?);
            let a = norm_axis(*axis as i64, x.shape.len())?;
            let bd = if *batch_dims < 0 {
                (*batch_dims as i64 + idx.shape.len() as i64) as usize
            } else {
                *batch_dims as usize
            };
            let n = x.shape[a] as i64;
            let iv: Vec<usize> = ints(idx)?
                .into_iter()
                .map(|i| {
                    if (0..n).contains(&i) {
                        Ok(i as usize)
                    } else {
                        Err(OpError::Invalid(format!(
                            "gather index {i} out of range [0, {n})"
                        )))
                    }
                })
                .collect::<Result<_, _>>()?;
            Ok(vec![Value::new(
                out0,
                map_data!(&x.data, v => {
                    let mut o = crate::arena::take(n0);
                    layout::gather(v, &x.shape, &iv, &idx.shape, a, bd, &mut o);
                    o
                }),
            )])
        }
        Op::Pad { v2 } => {
            let x = arg(&ins, 0)?;
            let pads = pads_of(&ints(arg(&ins, 1)?)?, x.shape.len())?;
            let cv = if *v2 { Some(arg(&ins, 2)?) } else { None };
            macro_rules! with_value {
                ($c:expr, $($var:ident),*) => {
                    match (&x.data, &$c.data) {
                        $((Data::$var(v), Data::$var(k)) => {
                            let value = *k.first().ok_or("empty constant")?;
                            padded(v, &x.shape, &pads, value)
                        })*
                        _ => return Err("PADV2 constant type differs from the input".into()),
                    }
                };
            }
            let data = match cv {
                None => {
                    crate::with_data!(&x.data, v => padded(v, &x.shape, &pads, Default::default()))
                }
                Some(c) => with_value!(c, F32, F16, I8, U8, I16, I32, I64, Bool),
            };
            Ok(vec![Value::new(out0, data)])
        }
        Op::DepthToSpace { block } | Op::SpaceToDepth { block } => {
            let x = arg(&ins, 0)?;
            let (b, [n, h, w, c]) = (
                *block,
                <[usize; 4]>::try_from(x.shape.as_slice()).map_err(|_| "input must be 4-D")?,
            );
            let (tmp, perm): (Vec<usize>, [usize; 6]) = if matches!(op, Op::DepthToSpace { .. }) {
                (vec![n, h, w, b, b, c / (b * b)], [0, 1, 3, 2, 4, 5])
            } else {
                (vec![n, h / b, b, w / b, b, c], [0, 1, 3, 2, 4, 5])
            };
            Ok(vec![Value::new(
                out0,
                map_data!(&x.data, v => {
                    let mut o = crate::arena::take(v.len());
                    layout::transpose(v, &tmp, &perm, &mut o);
                    o
                }),
            )])
        }
        Op::Shape { output_type } => {
            let x = arg(&ins, 0)?;
            let d: Vec<i64> = x.shape.iter().map(|&v| v as i64).collect();
            let data = if *output_type == DType::I64 {
                Data::I64(d)
            } else {
                Data::I32(d.into_iter().map(|v| v as i32).collect())
            };
            Ok(vec![Value::new(out0, data)])
        }
        _ => Err("not a data-movement op".into()),
    }
}

/// Pad with `z`, wrapping the result in the right `Data` variant.
fn padded<T: crate::arena::Elem>(v: &[T], shape: &[usize], pads: &[(usize, usize)], z: T) -> Data
where
    Vec<T>: IntoData,
{
    let n = shape
        .iter()
        .zip(pads)
        .map(|(&s, &(a, b))| s + a + b)
        .product();
    let mut o = crate::arena::take(n);
    layout::pad(v, shape, pads, z, &mut o);
    o.into_data()
}

/// Conversion of a typed vector into `Data`.
pub(crate) trait IntoData {
    /// Wrap.
    fn into_data(self) -> Data;
}

macro_rules! into_data {
    ($($t:ty => $v:ident),*) => {$(
        impl IntoData for Vec<$t> {
            fn into_data(self) -> Data {
                Data::$v(self)
            }
        }
    )*};
}
into_data!(f32 => F32, half::f16 => F16, i8 => I8, u8 => U8, i16 => I16, i32 => I32, i64 => I64, bool => Bool);

fn concat_values(vals: &[&Value], axis: usize) -> Result<Data, OpError> {
    let first = vals.first().ok_or("no inputs")?;
    macro_rules! cat {
        ($variant:ident) => {{
            let parts: Vec<(&[_], &[usize])> = vals
                .iter()
                .map(|v| match &v.data {
                    Data::$variant(d) => Ok((d.as_slice(), v.shape.as_slice())),
                    _ => Err("inputs have different types".to_string()),
                })
                .collect::<Result<_, _>>()?;
            let mut o = crate::arena::take(parts.iter().map(|(d, _)| d.len()).sum());
            layout::concat(&parts, axis, &mut o);
            Data::$variant(o)
        }};
    }
    Ok(match &first.data {
        Data::F32(_) => cat!(F32),
        Data::F16(_) => cat!(F16),
        Data::I8(_) => cat!(I8),
        Data::U8(_) => cat!(U8),
        Data::I16(_) => cat!(I16),
        Data::I32(_) => cat!(I32),
        Data::I64(_) => cat!(I64),
        Data::Bool(_) => cat!(Bool),
    })
}
