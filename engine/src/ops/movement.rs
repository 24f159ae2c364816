//! Shape inference and evaluation of the `Op::Movement` family: mirror pad, tile, split_v,
//! broadcasts, fill/range/rank, reverse, gather/scatter ND, one-hot, cumsum, space/batch
//! rearrangements and dynamic slice updates. Reductions and normalization: `movement_reduce`.

use super::{EvalCtx, Fact, InferResult, Ins, arg, fact_ints, ints, need, norm_axis};
use crate::error::OpError;
use crate::ir::{DType, Data, Movement as M, Value};
use crate::kernels::movement as k;
use crate::map_data;

type R<T> = Result<T, OpError>;

fn numel(s: &[usize]) -> R<usize> {
    s.iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .filter(|&n| n <= 1 << 31)
        .ok_or_else(|| OpError::Invalid(format!("output shape {s:?} is too large")))
}

fn usizes(v: &[i64], what: &str) -> R<Vec<usize>> {
    v.iter()
        .map(|&x| usize::try_from(x).map_err(|_| OpError::Invalid(format!("negative {what} {x}"))))
        .collect()
}

/// `[r, 2]` pairs of non-negative paddings or crops.
fn pairs(v: &[i64], r: usize, what: &str) -> R<Vec<(usize, usize)>> {
    if v.len() != 2 * r {
        return Err(OpError::Invalid(format!(
            "{what} must hold {r} pairs, got {} values",
            v.len()
        )));
    }
    let u = usizes(v, what)?;
    Ok(u.chunks(2).map(|p| (p[0], p[1])).collect())
}

/// Known integer values of input `i`, or `None` when not known yet.
fn known(ins: &[Option<Fact<'_>>], i: usize) -> R<Option<Vec<i64>>> {
    fact_ints(&need(ins, i)?)
}

fn scalar_i(ins: &[Option<Fact<'_>>], i: usize, what: &str) -> R<Option<i64>> {
    Ok(match known(ins, i)? {
        Some(v) => Some(
            *v.first()
                .ok_or_else(|| OpError::Invalid(format!("{what} is empty")))?,
        ),
        None => None,
    })
}

/// NumPy broadcast of two shapes.
pub(super) fn broadcast(a: &[usize], b: &[usize]) -> R<Vec<usize>> {
    let r = a.len().max(b.len());
    (0..r)
        .map(|i| {
            let x = if i + a.len() >= r {
                a[i + a.len() - r]
            } else {
                1
            };
            let y = if i + b.len() >= r {
                b[i + b.len() - r]
            } else {
                1
            };
            match (x, y) {
                _ if x == y => Ok(x),
                (1, y) => Ok(y),
                (x, 1) => Ok(x),
                _ => Err(OpError::Broadcast {
                    a: a.to_vec(),
                    b: b.to_vec(),
                }),
            }
        })
        .collect()
}

/// Per-axis index maps of the ops that are pure re-indexing (mirror pad, tile, reverse,
/// broadcast_to), from the input shape and the op's integer input.
fn maps_of(op: &M, shape: &[usize], p: &[i64]) -> R<Vec<Vec<usize>>> {
    let r = shape.len();
    match op {
        M::MirrorPad { symmetric } => {
            let pads = pairs(p, r, "paddings")?;
            shape
                .iter()
                .zip(&pads)
                .map(|(&d, &(a, b))| {
                    let lim = if *symmetric { d } else { d.saturating_sub(1) };
                    if a > lim || b > lim {
                        return Err(OpError::Invalid(format!(
                            "MIRROR_PAD of {a} and {b} on an axis of {d} (at most {lim})"
                        )));
                    }
                    Ok((0..d + a + b)
                        .map(|o| k::mirror_index(o, d, a, *symmetric))
                        .collect())
                })
                .collect()
        }
        M::Tile => {
            if p.len() != r {
                return Err(OpError::Invalid(format!(
                    "multiples {p:?} do not match rank {r}"
                )));
            }
            let m = usizes(p, "multiple")?;
            shape
                .iter()
                .zip(&m)
                .map(|(&d, &m)| {
                    numel(&[d, m])?;
                    Ok((0..d * m).map(|i| i % d.max(1)).collect())
                })
                .collect()
        }
        M::ReverseV2 => {
            let mut rev = vec![false; r];
            for &a in p {
                rev[norm_axis(a, r)?] = true;
            }
            Ok(shape
                .iter()
                .zip(&rev)
                .map(|(&d, &f)| (0..d).map(|i| if f { d - 1 - i } else { i }).collect())
                .collect())
        }
        M::BroadcastTo => {
            let target = usizes(p, "dimension")?;
            if target.len() < r {
                return Err(OpError::Invalid(format!(
                    "cannot broadcast {shape:?} to the lower rank {target:?}"
                )));
            }
            let off = target.len() - r;
            (0..target.len())
                .map(|d| {
                    let src = if d >= off { shape[d - off] } else { 1 };
                    let t = target[d];
                    if src != t && src != 1 {
                        return Err(OpError::Broadcast {
                            a: shape.to_vec(),
                            b: target.clone(),
                        });
                    }
                    Ok((0..t).map(|i| if src == 1 { 0 } else { i }).collect())
                })
                .collect()
        }
        _ => Err("not a re-indexing op".into()),
    }
}

/// Sizes of SPLIT_V's parts.
fn split_sizes(d: usize, sizes: &[i64], n: usize) -> R<Vec<usize>> {
    if sizes.len() != n {
        return Err(OpError::Invalid(format!(
            "size_splits {sizes:?} does not give {n} parts"
        )));
    }
    let unknown = sizes.iter().filter(|&&s| s == -1).count();
    let known: i64 = sizes.iter().filter(|&&s| s != -1).sum();
    let bad = || OpError::Invalid(format!("size_splits {sizes:?} do not split an axis of {d}"));
    if unknown > 1 || sizes.iter().any(|&s| s < -1) || known > d as i64 {
        return Err(bad());
    }
    if unknown == 0 && known != d as i64 {
        return Err(bad());
    }
    Ok(sizes
        .iter()
        .map(|&s| {
            if s == -1 {
                (d as i64 - known) as usize
            } else {
                s as usize
            }
        })
        .collect())
}

/// Geometry of the space/batch ops: (block, before, output shape).
type SpaceBatch = (Vec<usize>, Vec<usize>, Vec<usize>);

fn space_batch(op: &M, s: &[usize], block: &[i64], p: &[i64]) -> R<SpaceBatch> {
    let m = block.len();
    if s.len() < m + 1 || !(3..=4).contains(&s.len()) {
        return Err(OpError::Invalid(format!(
            "{} takes a 3-D or 4-D input with {m} spatial dims, got {s:?}",
            op.name()
        )));
    }
    let block = usizes(block, "block size")?;
    if block.contains(&0) {
        return Err("block sizes must be positive".into());
    }
    let pp = pairs(
        p,
        m,
        if matches!(op, M::BatchToSpaceNd) {
            "crops"
        } else {
            "paddings"
        },
    )?;
    let prod: usize = block.iter().product();
    let mut out = s.to_vec();
    for d in 0..m {
        let (a, b) = pp[d];
        let v = s[1 + d];
        out[1 + d] = if matches!(op, M::SpaceToBatchNd) {
            let t = v + a + b;
            if t % block[d] != 0 {
                return Err(OpError::Invalid(format!(
                    "padded size {t} of spatial dim {d} is not a multiple of block {}",
                    block[d]
                )));
            }
            t / block[d]
        } else {
            (v * block[d])
                .checked_sub(a + b)
                .ok_or_else(|| OpError::Invalid(format!("crops {a}+{b} exceed spatial dim {d}")))?
        };
    }
    if matches!(op, M::SpaceToBatchNd) {
        out[0] = s[0] * prod;
    } else {
        if s[0] % prod != 0 {
            return Err(OpError::Invalid(format!(
                "batch {} is not a multiple of the block product {prod}",
                s[0]
            )));
        }
        out[0] = s[0] / prod;
    }
    Ok((block, pp.iter().map(|p| p.0).collect(), out))
}

/// Validated GATHER_ND/SCATTER_ND index rows against `shape`: (rows flattened, q).
fn nd_indices(idx: &Value, shape: &[usize]) -> R<(Vec<usize>, usize)> {
    let q = *idx.shape.last().ok_or("indices must be at least 1-D")?;
    if q > shape.len() {
        return Err(OpError::Invalid(format!(
            "index rows of {q} exceed the rank of {shape:?}"
        )));
    }
    let v = ints(idx)?;
    let rows = v
        .chunks(q.max(1))
        .flat_map(|row| row.iter().enumerate().map(|(d, &i)| (d, i)))
        .map(|(d, i)| {
            if i < 0 || i >= shape[d] as i64 {
                Err(OpError::Invalid(format!(
                    "index {i} out of range [0, {}) on axis {d}",
                    shape[d]
                )))
            } else {
                Ok(i as usize)
            }
        })
        .collect::<R<Vec<usize>>>()?;
    Ok((if q == 0 { Vec::new() } else { rows }, q))
}

fn outer_inner(s: &[usize], axis: usize) -> (usize, usize, usize) {
    (
        s[..axis].iter().product(),
        s[axis],
        s[axis + 1..].iter().product(),
    )
}

/// Output types and shapes (`None` while a value they depend on is unknown).
pub(super) fn infer(op: &M, ins: &[Option<Fact<'_>>]) -> InferResult {
    if let Some(r) = super::movement_reduce::infer(op, ins)? {
        return Ok(r);
    }
    if let Some(r) = super::conv3d::infer(op, ins)? {
        return Ok(r);
    }
    let x = need(ins, 0)?;
    let one = |dt: DType, s: Vec<usize>| -> InferResult {
        numel(&s)?;
        Ok(Some(vec![(dt, s)]))
    };
    match op {
        M::MirrorPad { .. } | M::Tile | M::ReverseV2 | M::BroadcastTo => {
            let Some(p) = known(ins, 1)? else {
                return Ok(None);
            };
            let maps = maps_of(op, x.shape, &p)?;
            one(x.dtype, maps.iter().map(Vec::len).collect())
        }
        M::SplitV { num_splits } => {
            let (Some(sz), Some(a)) = (known(ins, 1)?, scalar_i(ins, 2, "axis")?) else {
                return Ok(None);
            };
            let a = norm_axis(a, x.shape.len())?;
            let parts = split_sizes(x.shape[a], &sz, *num_splits)?;
            Ok(Some(
                parts
                    .into_iter()
                    .map(|p| {
                        let mut s = x.shape.to_vec();
                        s[a] = p;
                        (x.dtype, s)
                    })
                    .collect(),
            ))
        }
        M::Fill => {
            let v = need(ins, 1)?;
            let Some(d) = known(ins, 0)? else {
                return Ok(None);
            };
            one(v.dtype, usizes(&d, "dimension")?)
        }
        M::ZerosLike => one(x.dtype, x.shape.to_vec()),
        M::Rank => one(DType::I32, vec![]),
        M::Range => {
            let (Some(s), Some(l), Some(d)) = (
                need(ins, 0)?.value,
                need(ins, 1)?.value,
                need(ins, 2)?.value,
            ) else {
                return Ok(None);
            };
            one(x.dtype, vec![range_len(s, l, d)?])
        }
        M::GatherNd => {
            let idx = need(ins, 1)?;
            let q = *idx.shape.last().ok_or("indices must be at least 1-D")?;
            if q > x.shape.len() {
                return Err(OpError::Invalid(format!(
                    "index rows of {q} exceed the rank of {:?}",
                    x.shape
                )));
            }
            let mut s = idx.shape[..idx.shape.len() - 1].to_vec();
            s.extend_from_slice(&x.shape[q..]);
            one(x.dtype, s)
        }
        M::ScatterNd => {
            let upd = need(ins, 1)?;
            let Some(sh) = known(ins, 2)? else {
                return Ok(None);
            };
            let shape = usizes(&sh, "dimension")?;
            let q = *x.shape.last().ok_or("indices must be at least 1-D")?;
            let mut want = x.shape[..x.shape.len() - 1].to_vec();
            if q > shape.len() {
                return Err("index rows exceed the output rank".into());
            }
            want.extend_from_slice(&shape[q..]);
            if want != upd.shape {
                return Err(OpError::Invalid(format!(
                    "updates {:?} do not fit indices {:?} and shape {shape:?}",
                    upd.shape, x.shape
                )));
            }
            one(upd.dtype, shape)
        }
        M::OneHot { axis } => {
            let on = need(ins, 2)?;
            let Some(depth) = scalar_i(ins, 1, "depth")? else {
                return Ok(None);
            };
            let depth = usizes(&[depth], "depth")?[0];
            let r = x.shape.len();
            let a = if *axis == -1 {
                r
            } else {
                norm_axis(*axis as i64, r + 1)?
            };
            let mut s = x.shape.to_vec();
            s.insert(a, depth);
            one(on.dtype, s)
        }
        M::Cumsum { .. } => {
            if let Some(a) = scalar_i(ins, 1, "axis")? {
                norm_axis(a, x.shape.len())?;
            }
            one(x.dtype, x.shape.to_vec())
        }
        M::BatchToSpaceNd | M::SpaceToBatchNd => {
            let (Some(b), Some(p)) = (known(ins, 1)?, known(ins, 2)?) else {
                return Ok(None);
            };
            one(x.dtype, space_batch(op, x.shape, &b, &p)?.2)
        }
        M::DynamicUpdateSlice => {
            let u = need(ins, 1)?;
            if u.shape.len() != x.shape.len() || u.shape.iter().zip(x.shape).any(|(a, b)| a > b) {
                return Err(OpError::Invalid(format!(
                    "update {:?} does not fit in operand {:?}",
                    u.shape, x.shape
                )));
            }
            one(x.dtype, x.shape.to_vec())
        }
        M::EmbeddingLookup => {
            let p = need(ins, 1)?;
            if x.shape.len() != 1 || p.shape.is_empty() {
                return Err("EMBEDDING_LOOKUP takes 1-D ids and params of rank >= 1".into());
            }
            let mut s = p.shape.to_vec();
            s[0] = x.shape[0];
            one(p.dtype, s)
        }
        M::BroadcastArgs => {
            let b = need(ins, 1)?;
            let n = x
                .shape
                .first()
                .copied()
                .unwrap_or(1)
                .max(b.shape.first().copied().unwrap_or(1));
            one(x.dtype, vec![n])
        }
        _ => Err("not a movement op".into()),
    }
}

/// RANGE's length (LiteRT's rule: delta non-zero and pointing from start to limit).
fn range_len(s: &Value, l: &Value, d: &Value) -> R<usize> {
    let bad =
        || OpError::Invalid("RANGE needs a non-zero delta pointing from start to limit".into());
    let n = match (&s.data, &l.data, &d.data) {
        (Data::F32(s), Data::F32(l), Data::F32(d)) => {
            let (s, l, d) = (s.first(), l.first(), d.first());
            let (Some(&s), Some(&l), Some(&d)) = (s, l, d) else {
                return Err("RANGE inputs must be scalars".into());
            };
            if d == 0.0 || !((s > l && d < 0.0) || (s < l && d > 0.0) || s == l) {
                return Err(bad());
            }
            let n = ((l - s) / d).abs().ceil();
            if !n.is_finite() || n > (1u64 << 31) as f32 {
                return Err(bad());
            }
            n as usize
        }
        _ => {
            let (s, l, d) = (ints(s)?, ints(l)?, ints(d)?);
            let (Some(&s), Some(&l), Some(&d)) = (s.first(), l.first(), d.first()) else {
                return Err("RANGE inputs must be scalars".into());
            };
            if d == 0 || !((s > l && d < 0) || (s < l && d > 0) || s == l) {
                return Err(bad());
            }
            let (a, b) = ((l as i128 - s as i128).abs(), (d as i128).abs());
            usize::try_from((a + b - 1) / b).map_err(|_| bad())?
        }
    };
    numel(&[n])?;
    Ok(n)
}

/// Evaluate one node of the family.
pub(super) fn eval(op: &M, ins: Ins<'_>, ctx: &EvalCtx<'_>) -> R<Vec<Value>> {
    if let Some(r) = super::movement_reduce::eval(op, &ins, ctx) {
        return r;
    }
    if let Some(r) = super::conv3d::eval(op, &ins, ctx) {
        return r;
    }
    let facts: Vec<Option<Fact<'_>>> = ins
        .iter()
        .map(|i| i.as_ref().map(|v| Fact::of(v.v())))
        .collect();
    let outs = infer(op, &facts)?.ok_or("output shape unknown")?;
    drop(facts);
    let s0 = outs.first().map(|o| o.1.clone()).unwrap_or_default();
    let n0: usize = s0.iter().product();
    let x = arg(&ins, 0)?;
    let one = |d: Data| Ok(vec![Value::new(s0.clone(), d)]);
    match op {
        M::MirrorPad { .. } | M::Tile | M::ReverseV2 | M::BroadcastTo => {
            let maps = maps_of(op, &x.shape, &ints(arg(&ins, 1)?)?)?;
            let mut shape = x.shape.clone();
            while shape.len() < maps.len() {
                shape.insert(0, 1);
            }
            one(map_data!(&x.data, v => {
                let mut o = crate::arena::take(n0);
                k::gather_axes(v, &shape, &maps, &mut o);
                o
            }))
        }
        M::SplitV { .. } => {
            let a = norm_axis(
                *ints(arg(&ins, 2)?)?.first().ok_or("empty axis")?,
                x.shape.len(),
            )?;
            let mut start = 0;
            let mut res = Vec::new();
            for (_, s) in outs {
                let maps: Vec<Vec<usize>> = x
                    .shape
                    .iter()
                    .enumerate()
                    .map(|(d, &n)| {
                        if d == a {
                            (start..start + s[a]).collect()
                        } else {
                            (0..n).collect()
                        }
                    })
                    .collect();
                start += s[a];
                let n: usize = s.iter().product();
                res.push(Value::new(
                    s,
                    map_data!(&x.data, v => {
                        let mut o = crate::arena::take(n);
                        k::gather_axes(v, &x.shape, &maps, &mut o);
                        o
                    }),
                ));
            }
            Ok(res)
        }
        M::Fill => {
            let v = arg(&ins, 1)?;
            if v.numel() != 1 {
                return Err("FILL's value must be a scalar".into());
            }
            one(map_data!(&v.data, v => vec![v[0]; n0]))
        }
        M::ZerosLike => one(map_data!(&x.data, v => vec![Default::default(); v.len()])),
        M::Rank => one(Data::I32(vec![x.shape.len() as i32])),
        M::Range => {
            let d = arg(&ins, 2)?;
            one(match (&x.data, &d.data) {
                (Data::F32(s), Data::F32(d)) => {
                    let (mut v, d) = (s[0], d[0]);
                    let mut o = Vec::with_capacity(n0);
                    for _ in 0..n0 {
                        o.push(v);
                        v += d;
                    }
                    Data::F32(o)
                }
                (Data::I32(s), Data::I32(d)) => Data::I32(
                    (0..n0)
                        .map(|i| s[0].wrapping_add(d[0].wrapping_mul(i as i32)))
                        .collect(),
                ),
                (Data::I64(s), Data::I64(d)) => Data::I64(
                    (0..n0)
                        .map(|i| s[0].wrapping_add(d[0].wrapping_mul(i as i64)))
                        .collect(),
                ),
                _ => return Err("RANGE takes float32, int32 or int64 inputs of one type".into()),
            })
        }
        M::GatherNd => {
            let (idx, q) = nd_indices(arg(&ins, 1)?, &x.shape)?;
            one(map_data!(&x.data, v => {
                let mut o = crate::arena::take(n0);
                k::gather_nd(v, &x.shape, &idx, q, &mut o);
                o
            }))
        }
        M::ScatterNd => {
            let upd = arg(&ins, 1)?;
            let (idx, q) = nd_indices(x, &s0)?;
            macro_rules! sc {
                ($($var:ident => $add:expr),*) => {
                    match &upd.data {
                        $(Data::$var(u) => {
                            let mut o = vec![Default::default(); n0];
                            k::scatter_nd(u, &idx, q, &s0, $add, &mut o);
                            Data::$var(o)
                        })*
                        d => return Err(OpError::Invalid(format!("SCATTER_ND of {}", d.dtype()))),
                    }
                };
            }
            one(
                sc!(F32 => |a: f32, b| a + b, I32 => i32::wrapping_add, I64 => i64::wrapping_add,
                I8 => i8::wrapping_add, U8 => u8::wrapping_add, I16 => i16::wrapping_add,
                Bool => |a: bool, b: bool| a | b),
            )
        }
        M::OneHot { axis } => {
            let (on, off) = (arg(&ins, 2)?, arg(&ins, 3)?);
            let idx = ints(x)?;
            let r = x.shape.len();
            let a = if *axis == -1 {
                r
            } else {
                norm_axis(*axis as i64, r + 1)?
            };
            let depth = s0[a];
            let outer: usize = x.shape[..a].iter().product();
            let inner: usize = x.shape[a..].iter().product();
            macro_rules! oh {
                ($($var:ident),*) => {
                    match (&on.data, &off.data) {
                        $((Data::$var(p), Data::$var(q)) => {
                            let (Some(&p), Some(&q)) = (p.first(), q.first()) else {
                                return Err("on_value and off_value must be scalars".into());
                            };
                            let mut o = crate::arena::take(n0);
                            k::one_hot(&idx, outer, inner, depth, p, q, &mut o);
                            Data::$var(o)
                        })*
                        _ => return Err("on_value and off_value differ in type".into()),
                    }
                };
            }
            one(oh!(F32, F16, I8, U8, I16, I32, I64, Bool))
        }
        M::Cumsum { exclusive, reverse } => {
            let a = norm_axis(
                *ints(arg(&ins, 1)?)?.first().ok_or("empty axis")?,
                x.shape.len(),
            )?;
            let (o_, n, i_) = outer_inner(&x.shape, a);
            let (e, r) = (*exclusive, *reverse);
            one(match &x.data {
                Data::F32(v) => {
                    let mut o = crate::arena::take(n0);
                    k::cumsum(v, o_, n, i_, e, r, 0.0, |a, b| a + b, &mut o);
                    Data::F32(o)
                }
                Data::I32(v) => {
                    let mut o = crate::arena::take(n0);
                    k::cumsum(v, o_, n, i_, e, r, 0, i32::wrapping_add, &mut o);
                    Data::I32(o)
                }
                Data::I64(v) => {
                    let mut o = crate::arena::take(n0);
                    k::cumsum(v, o_, n, i_, e, r, 0, i64::wrapping_add, &mut o);
                    Data::I64(o)
                }
                d => return Err(OpError::Invalid(format!("CUMSUM of {}", d.dtype()))),
            })
        }
        M::BatchToSpaceNd | M::SpaceToBatchNd => {
            let (block, before, _) =
                space_batch(op, &x.shape, &ints(arg(&ins, 1)?)?, &ints(arg(&ins, 2)?)?)?;
            let zp = ctx
                .out_quant
                .first()
                .copied()
                .flatten()
                .and_then(|q| q.zero_point.first().copied())
                .unwrap_or(0);
            let data = if matches!(op, M::SpaceToBatchNd) {
                macro_rules! s2b {
                    ($($var:ident => $fill:expr),*) => {
                        match &x.data {
                            $(Data::$var(v) => {
                                let mut o = crate::arena::take(n0);
                                k::space_to_batch(v, &x.shape, &block, &before, &s0, $fill, &mut o);
                                Data::$var(o)
                            })*
                        }
                    };
                }
                s2b!(F32 => 0.0, F16 => half::f16::ZERO, I8 => zp as i8, U8 => zp as u8,
                    I16 => zp as i16, I32 => 0, I64 => 0, Bool => false)
            } else {
                map_data!(&x.data, v => {
                    let mut o = crate::arena::take(n0);
                    k::batch_to_space(v, &x.shape, &block, &before, &s0, &mut o);
                    o
                })
            };
            one(data)
        }
        M::DynamicUpdateSlice => {
            let u = arg(&ins, 1)?;
            let st = ints(arg(&ins, 2)?)?;
            if st.len() != x.shape.len() {
                return Err(OpError::Invalid(format!(
                    "start indices {st:?} do not match rank {}",
                    x.shape.len()
                )));
            }
            let start: Vec<usize> = st
                .iter()
                .zip(x.shape.iter().zip(&u.shape))
                .map(|(&s, (&d, &ud))| s.clamp(0, (d - ud) as i64) as usize)
                .collect();
            macro_rules! dus {
                ($($var:ident),*) => {
                    match (&x.data, &u.data) {
                        $((Data::$var(v), Data::$var(w)) => {
                            let mut o = v.clone();
                            k::update_slice(w, &u.shape, &x.shape, &start, &mut o);
                            Data::$var(o)
                        })*
                        _ => return Err("update and operand differ in type".into()),
                    }
                };
            }
            one(dus!(F32, F16, I8, U8, I16, I32, I64, Bool))
        }
        M::EmbeddingLookup => {
            let p = arg(&ins, 1)?;
            let rows = p.shape[0];
            let ids = ints(x)?
                .into_iter()
                .map(|i| {
                    if (0..rows as i64).contains(&i) {
                        Ok(vec![i as usize])
                    } else {
                        Err(OpError::Invalid(format!("id {i} out of range [0, {rows})")))
                    }
                })
                .collect::<R<Vec<_>>>()?
                .concat();
            one(map_data!(&p.data, v => {
                let mut o = crate::arena::take(n0);
                k::gather_nd(v, &p.shape, &ids, 1, &mut o);
                o
            }))
        }
        M::BroadcastArgs => {
            let a = usizes(&ints(x)?, "dimension")?;
            let b = usizes(&ints(arg(&ins, 1)?)?, "dimension")?;
            let s = broadcast(&a, &b)?;
            one(match x.dtype() {
                DType::I64 => Data::I64(s.iter().map(|&d| d as i64).collect()),
                _ => Data::I32(s.iter().map(|&d| d as i32).collect()),
            })
        }
        _ => Err("not a movement op".into()),
    }
}

/// Why the runtime cannot run this node with these input types, if it cannot.
pub(super) fn unsupported_reason(op: &M, dts: &[Option<DType>]) -> Option<String> {
    let first = dts.get(op.data_input()).copied().flatten()?;
    let named = || Some(format!("{} ({first})", op.name()));
    let num = matches!(first, DType::F32 | DType::I32 | DType::I64);
    match op {
        M::Range | M::Cumsum { .. } if !num => named(),
        M::Reduce { .. }
        | M::ArgMin { .. }
        | M::TopK
        | M::L2Norm { .. }
        | M::Lrn { .. }
        | M::L2Pool { .. } => super::movement_reduce::unsupported_reason(op, first),
        M::Conv3d(_) | M::Conv3dTranspose(_) => super::conv3d::unsupported_reason(op, first),
        _ => None,
    }
}
