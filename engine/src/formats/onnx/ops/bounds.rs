//! Slice and Range whose bounds are computed at run time.
//!
//! Inside a Loop body whose first iteration was translated inline (`control`, for loops whose
//! state changes shape in that iteration), a node of run-time bounds keeps the shape it had
//! at the first iteration — Paddle's `x[:, i:i+1] = v` writes one step at a time this way —
//! and a guard checks at every run that the bounds still give that length: where they do not,
//! the run fails and names the node (a GATHER at index -1, refused by our engine and by
//! LiteRT). Outside such a body a Slice of run-time bounds gives a tensor of data-dependent
//! length (a SLICE whose size is computed; only size-free ops may follow it).

use super::movement2::i64_const;
use crate::formats::onnx::ctx::{Ctx, Node, NodeResult, first};
use crate::formats::onnx::error::{NodeError, refuse};
use crate::ir::*;

/// The shape the first iteration gave output 0 of `n`, if this body has one.
fn assumed(c: &Ctx<'_>, n: &Node<'_>) -> Option<Vec<usize>> {
    n.proto
        .output
        .first()
        .and_then(|o| c.assumed.get(o))
        .cloned()
}

/// `x` when every condition in `ok` (bool tensors of one element) holds; else the run fails
/// at a node named `why`.
pub(super) fn guarded(
    c: &mut Ctx<'_>,
    x: TensorId,
    ok: &[TensorId],
    why: &str,
) -> NodeResult<TensorId> {
    let mut all: Option<TensorId> = None;
    for &o in ok {
        let o = c.reshape(o, &[])?;
        all = Some(match all {
            None => o,
            Some(a) => c.emit1(Op::MathBin(MathBinKind::LogicalAnd), vec![Some(a), Some(o)])?,
        });
    }
    let Some(all) = all else { return Ok(x) };
    let k = c.emit_as(Op::Cast, vec![Some(all)], DType::I32)?;
    let one = {
        let n = c.fresh("one");
        c.konst(&n, Value::new(Vec::new(), Data::I32(vec![1])))
    };
    // 0 when the conditions hold, -1 when not.
    let idx = c.binary(BinaryKind::Sub, k, one)?;
    let mut s = vec![1];
    s.extend(c.shape(x));
    let x1 = c.reshape(x, &s)?;
    let dt = c.dtype(x);
    let gather = Op::Gather {
        axis: 0,
        batch_dims: 0,
    };
    first(c.push(why, gather, vec![Some(x1), Some(idx)], &[dt])?)
}

/// A scalar constant of type `dt` (f32, i32 or i64).
fn scalar_of(c: &mut Ctx<'_>, dt: DType, v: f64) -> NodeResult<TensorId> {
    let data = match dt {
        DType::F32 => Data::F32(vec![v as f32]),
        DType::I32 => Data::I32(vec![v as i32]),
        DType::I64 => Data::I64(vec![v as i64]),
        other => refuse!("Range of {other} with run-time bounds"),
    };
    let n = c.fresh("k");
    Ok(c.konst(&n, Value::new(Vec::new(), data)))
}

fn compare(c: &mut Ctx<'_>, k: CompareKind, a: TensorId, b: TensorId) -> NodeResult<TensorId> {
    c.emit_as(Op::Compare(k), vec![Some(a), Some(b)], DType::Bool)
}

/// Range(start, limit, delta) with a run-time start or limit, in a body that gives its length:
/// `start + delta · [0, n)`, checked to have `n` elements (a constant delta).
pub(super) fn range(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<TensorId> {
    let (start, limit, delta) = (c.need(n, 0)?, c.need(n, 1)?, c.need(n, 2)?);
    let Some(shape) = assumed(c, n) else {
        refuse!("Range whose length is known only at run time");
    };
    let len = shape.first().copied().unwrap_or(0);
    let d = c
        .value(delta)
        .and_then(|v| v.data.to_f64().first().copied())
        .ok_or_else(|| NodeError::NotConstant("delta of a Range of run-time bounds".into()))?;
    if d == 0.0 || !d.is_finite() {
        refuse!("Range with delta {d}");
    }
    let dt = c.dtype(start);
    let (start, limit) = (c.reshape(start, &[])?, c.reshape(limit, &[])?);
    let iota = match dt {
        DType::F32 => Data::F32((0..len).map(|k| (k as f64 * d) as f32).collect()),
        DType::I32 => Data::I32((0..len).map(|k| (k as f64 * d) as i32).collect()),
        DType::I64 => Data::I64((0..len).map(|k| (k as f64 * d) as i64).collect()),
        other => refuse!("Range of {other} with run-time bounds"),
    };
    let steps = {
        let nm = c.fresh("steps");
        c.konst(&nm, Value::new(vec![len], iota))
    };
    let y = c.binary(BinaryKind::Add, start, steps)?;
    // n elements: start + (n-1)·delta is before the limit and start + n·delta is not.
    let (before, after) = if d > 0.0 {
        (CompareKind::Less, CompareKind::GreaterEqual)
    } else {
        (CompareKind::Greater, CompareKind::LessEqual)
    };
    let mut ok = Vec::new();
    if len > 0 {
        let k = scalar_of(c, dt, (len - 1) as f64 * d)?;
        let last = c.binary(BinaryKind::Add, start, k)?;
        ok.push(compare(c, before, last, limit)?);
    }
    let k = scalar_of(c, dt, len as f64 * d)?;
    let next = c.binary(BinaryKind::Add, start, k)?;
    ok.push(compare(c, after, next, limit)?);
    let why = format!(
        "{}: Range has {len} elements at the loop's first iteration and another count here",
        c.node
    );
    guarded(c, y, &ok, &why)
}

/// Element `j` of the 1-D int tensor `t`, as an i64 `[1]`.
fn elem(c: &mut Ctx<'_>, t: TensorId, j: usize) -> NodeResult<TensorId> {
    let t = match c.dtype(t) {
        DType::I64 => t,
        _ => c.emit_as(Op::Cast, vec![Some(t)], DType::I64)?,
    };
    let at = i64_const(c, "at", vec![1], vec![j as i64]);
    let gather = Op::Gather {
        axis: 0,
        batch_dims: 0,
    };
    c.emit_as(gather, vec![Some(t), Some(at)], DType::I64)
}

/// A run-time bound on an axis of length `d`, as ONNX reads it: negative counts from the end
/// (`movement2::wrap_negative`), then clamped to `[0, d]`.
fn clamp_bound(c: &mut Ctx<'_>, v: TensorId, d: i64) -> NodeResult<TensorId> {
    let v = super::movement2::wrap_negative(c, v, d)?;
    let zero = i64_const(c, "zero", vec![1], vec![0]);
    let len = i64_const(c, "len", vec![1], vec![d]);
    let v = c.binary(BinaryKind::Maximum, v, zero)?;
    c.binary(BinaryKind::Minimum, v, len)
}

/// Slice with run-time starts or ends (constant axes, steps of 1): a SLICE of run-time begin,
/// its size the one the loop's first iteration gave (checked), else computed at run time.
pub(super) fn slice(
    c: &mut Ctx<'_>,
    n: &Node<'_>,
    axes: &[i64],
    steps: &[i64],
) -> NodeResult<TensorId> {
    let x = c.need(n, 0)?;
    let (starts, ends) = (c.need(n, 1)?, c.need(n, 2)?);
    if steps.iter().any(|&s| s != 1) {
        refuse!("Slice of run-time bounds with steps {steps:?} (only 1)");
    }
    let xs = c.shape(x);
    let mut axs = Vec::with_capacity(axes.len());
    for &a in axes {
        axs.push(c.axis(x, a)?);
    }
    // Per axis: its begin, and its run-time length where it is sliced.
    let (mut begin, mut lens) = (Vec::new(), Vec::new());
    for (ax, &d) in xs.iter().enumerate() {
        let Some(j) = axs.iter().position(|&a| a == ax) else {
            begin.push(Some(i64_const(c, "begin", vec![1], vec![0])));
            lens.push(None);
            continue;
        };
        let b = elem(c, starts, j)?;
        let b = clamp_bound(c, b, d as i64)?;
        let e = elem(c, ends, j)?;
        let e = clamp_bound(c, e, d as i64)?;
        let l = c.binary(BinaryKind::Sub, e, b)?;
        let zero = i64_const(c, "zero", vec![1], vec![0]);
        begin.push(Some(b));
        lens.push(Some(c.binary(BinaryKind::Maximum, l, zero)?));
    }
    let cat = |c: &mut Ctx<'_>, parts: Vec<Option<TensorId>>| {
        c.emit_as(
            Op::Concatenation {
                axis: 0,
                act: Activation::None,
            },
            parts,
            DType::I64,
        )
    };
    let begin = cat(c, begin)?;
    let dt = c.dtype(x);
    match assumed(c, n) {
        Some(shape) if shape.len() == xs.len() => {
            let want: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
            // int64 like the begin: LiteRT reads both by the begin's type.
            let sz = i64_const(c, "size", vec![want.len()], want.clone());
            let name = c.fresh("slice");
            let y = first(c.push(
                &name,
                Op::Slice,
                vec![Some(x), Some(begin), Some(sz)],
                &[dt],
            )?)?;
            let mut ok = Vec::new();
            for (l, &w) in lens.iter().zip(&want) {
                if let Some(l) = *l {
                    let w = i64_const(c, "want", vec![1], vec![w]);
                    ok.push(compare(c, CompareKind::Equal, l, w)?);
                }
            }
            let why = format!(
                "{}: Slice has shape {shape:?} at the loop's first iteration and another here",
                c.node
            );
            guarded(c, y, &ok, &why)
        }
        _ => {
            let size = lens
                .iter()
                .zip(&xs)
                .map(|(l, &d)| {
                    Some(l.unwrap_or_else(|| i64_const(c, "size", vec![1], vec![d as i64])))
                })
                .collect();
            let size = cat(c, size)?;
            Ok(c.emit_dynamic(Op::Slice, vec![Some(x), Some(begin), Some(size)], dt, xs))
        }
    }
}
