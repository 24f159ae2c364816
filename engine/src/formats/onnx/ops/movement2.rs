//! ONNX ops of the movement family: Tile, Range, Size, CumSum, OneHot, Trilu, TopK and the
//! extra reductions (ReduceMin, ReduceProd, ReduceL1, ReduceL2, ReduceSumSquare, ReduceLogSum, ReduceLogSumExp).

use super::{OpSpec, int, opt, spec};
use crate::formats::onnx::ctx::{Ctx, Node, NodeResult};
use crate::formats::onnx::error::{NodeError, refuse};
use crate::ir::*;

const RED: &[AttrSpec] = &[
    opt("axes"),
    int("keepdims", 1),
    int("noop_with_empty_axes", 0),
];
use super::AttrSpec;

/// The ops of this family.
pub(super) const OPS: &[OpSpec] = &[
    spec("Tile", 7..=28, 2..=2, 1..=1, &[], import_tile),
    spec("Range", 11..=28, 3..=3, 1..=1, &[], import_range),
    spec("Size", 7..=28, 1..=1, 1..=1, &[], import_size),
    spec(
        "CumSum",
        11..=28,
        2..=2,
        1..=1,
        &[int("exclusive", 0), int("reverse", 0)],
        import_cumsum,
    ),
    spec(
        "OneHot",
        9..=28,
        3..=3,
        1..=1,
        &[int("axis", -1)],
        import_one_hot,
    ),
    spec(
        "Trilu",
        14..=28,
        1..=2,
        1..=1,
        &[int("upper", 1)],
        import_trilu,
    ),
    spec(
        "TopK",
        10..=28,
        2..=2,
        2..=2,
        &[int("axis", -1), int("largest", 1), int("sorted", 1)],
        import_topk,
    ),
    spec("ReduceMin", 7..=28, 1..=2, 1..=1, RED, import_reduce2),
    spec("ReduceProd", 7..=28, 1..=2, 1..=1, RED, import_reduce2),
    spec("ReduceL2", 7..=28, 1..=2, 1..=1, RED, import_reduce2),
    spec("ReduceSumSquare", 7..=28, 1..=2, 1..=1, RED, import_reduce2),
    spec("ReduceL1", 7..=28, 1..=2, 1..=1, RED, import_reduce2),
    spec("ReduceLogSum", 7..=28, 1..=2, 1..=1, RED, import_reduce2),
    spec("ReduceLogSumExp", 7..=28, 1..=2, 1..=1, RED, import_reduce2),
];

pub(super) fn mv(c: &mut Ctx<'_>, m: Movement, ins: Vec<Option<TensorId>>) -> NodeResult<TensorId> {
    c.emit1(Op::Movement(m), ins)
}

/// Integer indices with ONNX's negative ones (counted from the end of an axis of `len`)
/// made non-negative; indices of another type are cast to i64 first.
pub(super) fn wrap_negative(c: &mut Ctx<'_>, idx: TensorId, len: i64) -> NodeResult<TensorId> {
    let idx = match c.dtype(idx) {
        DType::I64 => idx,
        _ => c.emit_as(Op::Cast, vec![Some(idx)], DType::I64)?,
    };
    if c.value(idx)
        .is_some_and(|v| v.data.to_f64().iter().all(|&i| i >= 0.0))
    {
        return Ok(idx);
    }
    let zero = i64_const(c, "zero", vec![], vec![0]);
    let neg = c.emit_as(
        Op::Compare(CompareKind::Less),
        vec![Some(idx), Some(zero)],
        DType::Bool,
    )?;
    let l = i64_const(c, "axis_len", vec![], vec![len]);
    let up = c.binary(BinaryKind::Add, idx, l)?;
    c.emit_as(
        Op::Select { v2: true },
        vec![Some(neg), Some(up), Some(idx)],
        DType::I64,
    )
}

pub(super) fn i64_const(c: &mut Ctx<'_>, what: &str, shape: Vec<usize>, v: Vec<i64>) -> TensorId {
    let n = c.fresh(what);
    c.konst(&n, Value::new(shape, Data::I64(v)))
}

fn import_tile(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let r = c.need(n, 1)?;
    Ok(vec![mv(c, Movement::Tile, vec![Some(x), Some(r)])?])
}

fn import_range(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let ins = (0..3)
        .map(|i| c.need(n, i).map(Some))
        .collect::<NodeResult<Vec<_>>>()?;
    if ins.iter().flatten().any(|&t| c.value(t).is_none()) {
        return Ok(vec![super::bounds::range(c, n)?]);
    }
    Ok(vec![mv(c, Movement::Range, ins)?])
}

fn import_size(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let s: usize = c.shape(x).iter().product();
    Ok(vec![i64_const(c, "size", vec![], vec![s as i64])])
}

fn import_cumsum(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let a = c.const_ints(c.need(n, 1)?, "axis")?;
    let ax = c.axis(
        x,
        *a.first().ok_or(NodeError::Invalid("empty axis".into()))?,
    )?;
    let at = c.ints_const("axis", &[ax as i64]);
    let at = c.reshape(at, &[])?;
    let m = Movement::Cumsum {
        exclusive: n.i("exclusive")? != 0,
        reverse: n.i("reverse")? != 0,
    };
    Ok(vec![mv(c, m, vec![Some(x), Some(at)])?])
}

fn import_one_hot(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let idx = c.need(n, 0)?;
    // ONNX allows any numeric type for depth (the node tests use float).
    let depth: Vec<i64> = c
        .value(c.need(n, 1)?)
        .ok_or_else(|| NodeError::NotConstant("depth".into()))?
        .data
        .to_f64()
        .iter()
        .map(|&d| d as i64)
        .collect();
    let vals_t = c.need(n, 2)?;
    let vals = c
        .value(vals_t)
        .ok_or_else(|| NodeError::NotConstant("values".into()))?;
    if vals.numel() != 2 {
        refuse!("OneHot values must hold [off, on]");
    }
    let d = *depth
        .first()
        .ok_or(NodeError::Invalid("empty depth".into()))?;
    let r = c.rank(idx) as i64;
    let axis = n.i("axis")?;
    let axis = if axis < 0 { axis + r + 1 } else { axis };
    if !(0..=r).contains(&axis) {
        refuse!("OneHot axis {axis} out of range");
    }
    let dt = vals.dtype();
    let pick = |k: usize| {
        Value::new(
            vec![],
            match &vals.data {
                Data::F32(v) => Data::F32(vec![v.get(k).copied().unwrap_or_default()]),
                Data::I64(v) => Data::I64(vec![v.get(k).copied().unwrap_or_default()]),
                Data::I32(v) => Data::I32(vec![v.get(k).copied().unwrap_or_default()]),
                other => Data::F32(vec![
                    other.to_f64().get(k).copied().unwrap_or_default() as f32
                ]),
            },
        )
    };
    let idx = wrap_negative(c, idx, d)?;
    let (off, on) = (pick(0), pick(1));
    let (no, nn) = (c.fresh("off"), c.fresh("on"));
    let (off, on) = (c.konst(&no, off), c.konst(&nn, on));
    let dt_out = c.dtype(on);
    let dn = c.fresh("depth");
    let dep = c.konst(&dn, Value::new(vec![], Data::I32(vec![d as i32])));
    let _ = dt;
    let y = c.emit_as(
        Op::Movement(Movement::OneHot {
            axis: if axis == r { -1 } else { axis as i32 },
        }),
        vec![Some(idx), Some(dep), Some(on), Some(off)],
        dt_out,
    )?;
    Ok(vec![y])
}

/// Trilu as a product with a constant 0/1 mask of the last two axes.
fn import_trilu(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let k = match c.input(n, 1)? {
        Some(t) => *c.const_ints(t, "k")?.first().unwrap_or(&0),
        None => 0,
    };
    let s = c.shape(x);
    let &[.., h, w] = s.as_slice() else {
        refuse!("Trilu needs rank >= 2");
    };
    let upper = n.i("upper")? != 0;
    let m: Vec<f32> = (0..h * w)
        .map(|p| {
            let (i, j) = ((p / w) as i64, (p % w) as i64);
            let keep = if upper { j - i >= k } else { j - i <= k };
            if keep { 1.0 } else { 0.0 }
        })
        .collect();
    let mn = c.fresh("mask");
    let mask = match c.dtype(x) {
        DType::F32 => c.konst(&mn, Value::f32(vec![h, w], m)),
        DType::I64 => c.konst(
            &mn,
            Value::new(vec![h, w], Data::I64(m.iter().map(|&v| v as i64).collect())),
        ),
        DType::I32 => c.konst(
            &mn,
            Value::new(vec![h, w], Data::I32(m.iter().map(|&v| v as i32).collect())),
        ),
        t => refuse!("Trilu on {t}"),
    };
    Ok(vec![c.binary(BinaryKind::Mul, x, mask)?])
}

fn import_topk(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let k = c.const_ints(c.need(n, 1)?, "K")?;
    let k = *k.first().ok_or(NodeError::Invalid("empty K".into()))?;
    let r = c.rank(x);
    let ax = c.axis(x, n.i("axis")?)?;
    let largest = n.i("largest")? != 0;
    if !largest && c.dtype(x) != DType::F32 {
        refuse!("TopK with largest=0 on {}", c.dtype(x));
    }
    let mut perm: Vec<i64> = (0..r as i64).collect();
    perm.swap(ax, r - 1);
    let mut t = if ax + 1 == r {
        x
    } else {
        c.transpose(x, &perm)?
    };
    if !largest {
        let m = c.scalar(-1.0);
        t = c.binary(BinaryKind::Mul, t, m)?;
    }
    let kn = c.fresh("k");
    let kt = c.konst(&kn, Value::new(vec![], Data::I32(vec![k as i32])));
    let dt = c.dtype(t);
    let outs = c.emit(
        Op::Movement(Movement::TopK),
        vec![Some(t), Some(kt)],
        &[dt, DType::I32],
    )?;
    let &[mut v, i] = outs.as_slice() else {
        return Err(NodeError::Invalid("TOPK_V2 gives two outputs".into()));
    };
    if !largest {
        let m = c.scalar(-1.0);
        v = c.binary(BinaryKind::Mul, v, m)?;
    }
    let mut i = c.emit_as(Op::Cast, vec![Some(i)], DType::I64)?;
    if ax + 1 != r {
        v = c.transpose(v, &perm)?;
        i = c.transpose(i, &perm)?;
    }
    Ok(vec![v, i])
}

fn import_reduce2(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let Some(axes) = super::reduce::reduce_axes(c, n, x)? else {
        return Ok(vec![x]);
    };
    let keep_dims = n.i("keepdims")? != 0;
    let ax = c.ints_const("axes", &axes);
    let sum = |c: &mut Ctx<'_>, t| {
        c.emit1(
            Op::Reduce(Reduce {
                kind: ReduceKind::Sum,
                keep_dims,
            }),
            vec![Some(t), Some(ax)],
        )
    };
    Ok(vec![match n.op {
        "ReduceMin" | "ReduceProd" => {
            let kind = if n.op == "ReduceMin" && c.dtype(x) == DType::Bool {
                // The minimum of booleans is their and (true over an empty set).
                Reduce2Kind::All
            } else if n.op == "ReduceMin" {
                Reduce2Kind::Min
            } else {
                Reduce2Kind::Prod
            };
            mv(
                c,
                Movement::Reduce { kind, keep_dims },
                vec![Some(x), Some(ax)],
            )?
        }
        "ReduceL1" => {
            let a = c.emit1(Op::Math(MathKind::Abs), vec![Some(x)])?;
            sum(c, a)?
        }
        "ReduceLogSum" => {
            let s = sum(c, x)?;
            c.emit1(Op::Math(MathKind::Log), vec![Some(s)])?
        }
        "ReduceLogSumExp" => {
            // log Σ e^x as ONNX defines it (its reference does not shift by the maximum: a
            // shift would differ from it where e^x overflows).
            let e = c.unary(UnaryKind::Exp, x)?;
            let s = sum(c, e)?;
            c.emit1(Op::Math(MathKind::Log), vec![Some(s)])?
        }
        _ => {
            let sq = c.binary(BinaryKind::Mul, x, x)?;
            let s = sum(c, sq)?;
            if n.op == "ReduceL2" {
                c.unary(UnaryKind::Sqrt, s)?
            } else {
                s
            }
        }
    }])
}

/// Pad modes other than constant: `reflect` as MIRROR_PAD when every pad fits (< dim), every
/// mode otherwise as one GATHER per padded axis with the mode's index map.
pub(super) fn pad_mode(
    c: &mut Ctx<'_>,
    x: TensorId,
    pads: &[i32],
    mode: &str,
) -> NodeResult<TensorId> {
    let s = c.shape(x);
    if pads.len() != 2 * s.len() {
        refuse!("Pad with {} pads for rank {}", pads.len(), s.len());
    }
    let pad = |i: usize| pads.get(i).copied().unwrap_or(0);
    let fits = s
        .iter()
        .enumerate()
        .all(|(d, &n)| (pad(2 * d) as usize) < n.max(1) && (pad(2 * d + 1) as usize) < n.max(1));
    if mode == "reflect" && fits {
        let nm = c.fresh("paddings");
        let pt = c.konst(&nm, Value::new(vec![s.len(), 2], Data::I32(pads.to_vec())));
        return mv(
            c,
            Movement::MirrorPad { symmetric: false },
            vec![Some(x), Some(pt)],
        );
    }
    let mut y = x;
    for (d, &n) in s.iter().enumerate() {
        let (b, a) = (pad(2 * d) as i64, pad(2 * d + 1) as i64);
        if b == 0 && a == 0 {
            continue;
        }
        if n == 0 {
            refuse!("Pad mode '{mode}' of an empty axis");
        }
        let n = n as i64;
        let idx: Vec<i64> = (-b..n + a)
            .map(|i| match mode {
                "edge" => i.clamp(0, n - 1),
                "wrap" => i.rem_euclid(n),
                _ => {
                    // Reflect without repeating the edge, period 2(n - 1).
                    if n == 1 {
                        0
                    } else {
                        let p = 2 * (n - 1);
                        let j = i.rem_euclid(p);
                        if j < n { j } else { p - j }
                    }
                }
            })
            .collect();
        let it = c.ints_const("pad_index", &idx);
        y = c.emit1(
            Op::Gather {
                axis: d as i32,
                batch_dims: 0,
            },
            vec![Some(y), Some(it)],
        )?;
    }
    Ok(y)
}
