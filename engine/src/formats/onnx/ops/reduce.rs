//! Reductions and normalizations over axes: ReduceMean/Max/Sum (axes from the attribute or,
//! in newer opsets, a constant input), ArgMax/ArgMin (either index of ties),
//! Softmax/LogSoftmax (rows by opset: before 13 the input is flattened to 2-D at `axis`,
//! default 1; from 13 on one axis, default -1) and
//! LayerNormalization (decomposed into mean, variance and rsqrt).

use super::{AttrSpec, OpSpec, float, int, opt, spec};
use crate::formats::onnx::ctx::{Ctx, Node, NodeResult};
use crate::formats::onnx::error::NodeError;
use crate::ir::*;

const REDUCE_ATTRS: &[AttrSpec] = &[
    opt("axes"),
    int("keepdims", 1),
    int("noop_with_empty_axes", 0),
];
const ARGMAX_ATTRS: &[AttrSpec] = &[
    int("axis", 0),
    int("keepdims", 1),
    int("select_last_index", 0),
];
const LN_ATTRS: &[AttrSpec] = &[int("axis", -1), float("epsilon", 1e-5), opt("stash_type")];

/// The ops of this family.
pub(super) const OPS: &[OpSpec] = &[
    spec(
        "Softmax",
        7..=12,
        1..=1,
        1..=1,
        &[int("axis", 1)],
        import_softmax,
    ),
    spec(
        "Softmax",
        13..=28,
        1..=1,
        1..=1,
        &[int("axis", -1)],
        import_softmax,
    ),
    spec(
        "LogSoftmax",
        7..=12,
        1..=1,
        1..=1,
        &[int("axis", 1)],
        import_softmax,
    ),
    spec(
        "LogSoftmax",
        13..=28,
        1..=1,
        1..=1,
        &[int("axis", -1)],
        import_softmax,
    ),
    spec(
        "ReduceMean",
        7..=28,
        1..=2,
        1..=1,
        REDUCE_ATTRS,
        import_reduce,
    ),
    spec(
        "ReduceMax",
        7..=28,
        1..=2,
        1..=1,
        REDUCE_ATTRS,
        import_reduce,
    ),
    spec(
        "ReduceSum",
        7..=28,
        1..=2,
        1..=1,
        REDUCE_ATTRS,
        import_reduce,
    ),
    spec("ArgMax", 7..=28, 1..=1, 1..=1, ARGMAX_ATTRS, import_argmax),
    spec("ArgMin", 7..=28, 1..=1, 1..=1, ARGMAX_ATTRS, import_argmax),
    spec(
        "LayerNormalization",
        17..=28,
        2..=3,
        1..=3,
        LN_ATTRS,
        import_layer_norm,
    ),
];

fn import_softmax(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let r = c.rank(x);
    let ax = c.axis(x, n.i("axis")?)?;
    let log = n.op == "LogSoftmax";
    let mk = |c: &mut Ctx<'_>, t| {
        if log {
            c.emit1(Op::LogSoftmax, vec![Some(t)])
        } else {
            c.emit1(Op::Softmax { beta: 1.0 }, vec![Some(t)])
        }
    };
    if r == 0 || ax + 1 == r {
        return Ok(vec![mk(c, x)?]);
    }
    let s = c.shape(x);
    if c.opset < 13 {
        // Older opsets flatten to 2-D at the axis.
        let (rows, cols) = s
            .split_at_checked(ax)
            .map_or((1, 1), |(a, b)| (a.iter().product(), b.iter().product()));
        let y = c.reshape(x, &[rows, cols])?;
        let y = mk(c, y)?;
        return Ok(vec![c.reshape(y, &s)?]);
    }
    let mut perm: Vec<i64> = (0..r as i64).collect();
    perm.swap(ax, r - 1);
    let y = c.transpose(x, &perm)?;
    let y = mk(c, y)?;
    Ok(vec![c.transpose(y, &perm)?])
}

fn import_reduce(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let Some(axes) = reduce_axes(c, n, x)? else {
        return Ok(vec![x]);
    };
    let ax = c.ints_const("axes", &axes);
    if n.op == "ReduceMax" && c.dtype(x) == DType::Bool {
        // The maximum of booleans is their or (false over an empty set, as ONNX's).
        let m = Movement::Reduce {
            kind: Reduce2Kind::Any,
            keep_dims: n.i("keepdims")? != 0,
        };
        return Ok(vec![c.emit1(Op::Movement(m), vec![Some(x), Some(ax)])?]);
    }
    let kind = match n.op {
        "ReduceMean" => ReduceKind::Mean,
        "ReduceMax" => ReduceKind::Max,
        _ => ReduceKind::Sum,
    };
    Ok(vec![c.emit1(
        Op::Reduce(Reduce {
            kind,
            keep_dims: n.i("keepdims")? != 0,
        }),
        vec![Some(x), Some(ax)],
    )?])
}

/// ArgMax / ArgMin. `select_last_index` runs on the axis reversed: the first extreme of the
/// reversed axis is the last one of the original, at `len - 1 - i`.
fn import_argmax(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let mut x = c.need(n, 0)?;
    let ax = c.axis(x, n.i("axis")?)?;
    let len = c.shape(x).get(ax).copied().unwrap_or(0) as i64;
    let last = n.i("select_last_index")? != 0;
    let t = c.ints_const("axis", &[ax as i64]);
    if last {
        x = c.emit1(Op::Movement(Movement::ReverseV2), vec![Some(x), Some(t)])?;
    }
    let op = if n.op == "ArgMin" {
        Op::Movement(Movement::ArgMin {
            output_type: DType::I64,
        })
    } else {
        Op::ArgMax {
            output_type: DType::I64,
        }
    };
    let mut y = c.emit_as(op, vec![Some(x), Some(t)], DType::I64)?;
    if last {
        let tn = c.fresh("last_index");
        let top = c.konst(&tn, Value::new(vec![], Data::I64(vec![len - 1])));
        y = c.binary(BinaryKind::Sub, top, y)?;
    }
    if n.i("keepdims")? != 0 {
        let mut s = c.shape(x);
        let d = s.get_mut(ax).ok_or(NodeError::Axis {
            axis: ax as i64,
            rank: c.rank(x),
        })?;
        *d = 1;
        return Ok(vec![c.reshape(y, &s)?]);
    }
    Ok(vec![y])
}

fn import_layer_norm(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let r = c.rank(x);
    let ax = c.axis(x, n.i("axis")?)?;
    let eps = n.f("epsilon")?;
    let axes: Vec<i64> = (ax as i64..r as i64).collect();
    let red = |c: &mut Ctx<'_>, t: TensorId| {
        let at = c.ints_const("axes", &axes);
        c.emit1(
            Op::Reduce(Reduce {
                kind: ReduceKind::Mean,
                keep_dims: true,
            }),
            vec![Some(t), Some(at)],
        )
    };
    let mean = red(c, x)?;
    let d = c.binary(BinaryKind::Sub, x, mean)?;
    let sq = c.binary(BinaryKind::Mul, d, d)?;
    let var = red(c, sq)?;
    let e = c.scalar(eps);
    let ve = c.binary(BinaryKind::Add, var, e)?;
    let inv = c.unary(UnaryKind::Rsqrt, ve)?;
    let mut y = c.binary(BinaryKind::Mul, d, inv)?;
    let sc = c.need(n, 1)?;
    y = c.binary(BinaryKind::Mul, y, sc)?;
    if let Some(b) = c.input(n, 2)? {
        y = c.binary(BinaryKind::Add, y, b)?;
    }
    // Optional training outputs: the mean and 1/sqrt(var + eps), reduced dims kept.
    Ok(vec![y, mean, inv])
}

/// The axes an ONNX reduction of `x` reduces (attribute, or input 1 from opset 13/18),
/// normalized; `None` when they are empty and `noop_with_empty_axes` makes the node an identity.
pub(super) fn reduce_axes(
    c: &mut Ctx<'_>,
    n: &Node<'_>,
    x: TensorId,
) -> NodeResult<Option<Vec<i64>>> {
    let axes = match (n.ints("axes")?, c.input(n, 1)?) {
        (Some(v), _) => v,
        (None, Some(t)) => c.const_ints(t, "axes")?,
        (None, None) => vec![],
    };
    if axes.is_empty() && n.i("noop_with_empty_axes")? != 0 {
        return Ok(None);
    }
    if axes.is_empty() {
        return Ok(Some((0..c.rank(x) as i64).collect()));
    }
    axes.iter()
        .map(|&v| c.axis(x, v).map(|v| v as i64))
        .collect::<NodeResult<_>>()
        .map(Some)
}
