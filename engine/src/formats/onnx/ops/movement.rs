//! Ops that select, join or pad data: Concat, Split, Slice, Gather, Pad. Their index arguments
//! (split sizes, starts/ends/axes/steps, pads) must be constants at import time; Slice and Pad
//! read them from attributes before opsets 10 and 11 and from inputs after (two rows each).

use super::{MANY, OpSpec, float, int, opt, spec, string};
use crate::formats::onnx::ctx::{Ctx, Node, NodeResult};
use crate::formats::onnx::error::{NodeError, bail, refuse};
use crate::ir::*;

/// The ops of this family.
pub(super) const OPS: &[OpSpec] = &[
    spec(
        "Concat",
        7..=28,
        1..=MANY,
        1..=1,
        &[int("axis", 0)],
        import_concat,
    ),
    spec(
        "Split",
        7..=28,
        1..=2,
        1..=MANY,
        &[int("axis", 0), opt("split"), opt("num_outputs")],
        import_split,
    ),
    spec(
        "Slice",
        7..=9,
        1..=1,
        1..=1,
        &[opt("starts"), opt("ends"), opt("axes")],
        import_slice,
    ),
    spec("Slice", 10..=28, 3..=5, 1..=1, &[], import_slice),
    spec(
        "Gather",
        7..=28,
        2..=2,
        1..=1,
        &[int("axis", 0)],
        import_gather,
    ),
    spec(
        "Pad",
        7..=10,
        1..=1,
        1..=1,
        &[string("mode", "constant"), opt("pads"), float("value", 0.0)],
        import_pad,
    ),
    spec(
        "Pad",
        11..=28,
        2..=4,
        1..=1,
        &[string("mode", "constant")],
        import_pad,
    ),
];

fn import_concat(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let ins: Vec<TensorId> = (0..n.inputs())
        .map(|i| c.need(n, i))
        .collect::<NodeResult<_>>()?;
    let first = *ins.first().ok_or(NodeError::MissingInput(0))?;
    let ax = c.axis(first, n.i("axis")?)?;
    let dt = c.dtype(first);
    let op = Op::Concatenation {
        axis: ax as i32,
        act: Activation::None,
    };
    Ok(vec![c.emit_as(
        op,
        ins.into_iter().map(Some).collect(),
        dt,
    )?])
}

fn import_split(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let ax = c.axis(x, n.i("axis")?)?;
    let s = c.shape(x);
    let dim = s.get(ax).copied().unwrap_or(1);
    let parts = n.outputs().max(1);
    let sizes: Vec<usize> = match (n.ints("split")?, c.input(n, 1)?) {
        (Some(v), _) => v.iter().map(|&v| v.max(0) as usize).collect(),
        (None, Some(t)) => c
            .const_ints(t, "split")?
            .iter()
            .map(|&v| v.max(0) as usize)
            .collect(),
        (None, None) => {
            let each = dim.div_ceil(parts);
            (0..parts)
                .map(|i| each.min(dim.saturating_sub(i * each)))
                .collect()
        }
    };
    if sizes.iter().sum::<usize>() != dim || sizes.len() != parts {
        bail!("split sizes {sizes:?} do not cover dimension {dim} in {parts} parts");
    }
    let mut outs = Vec::new();
    let mut start = 0;
    for sz in sizes {
        let mut b = vec![0i64; s.len()];
        let mut z: Vec<i64> = s.iter().map(|&d| d as i64).collect();
        if let (Some(bb), Some(zz)) = (b.get_mut(ax), z.get_mut(ax)) {
            *bb = start as i64;
            *zz = sz as i64;
        }
        let (bt, zt) = (c.ints_const("begin", &b), c.ints_const("size", &z));
        outs.push(c.emit1(Op::Slice, vec![Some(x), Some(bt), Some(zt)])?);
        start += sz;
    }
    Ok(outs)
}

/// One of Slice's index lists: an input from opset 10 on, an attribute before.
fn slice_arg(c: &Ctx<'_>, n: &Node<'_>, i: usize, attr: &str) -> NodeResult<Option<Vec<i64>>> {
    if c.opset >= 10 {
        match c.input(n, i)? {
            Some(t) => Ok(Some(c.const_ints(t, attr)?)),
            None => Ok(None),
        }
    } else {
        n.ints(attr)
    }
}

fn import_slice(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let s = c.shape(x);
    let r = s.len();
    let missing = |w: &str| NodeError::Invalid(format!("Slice without {w}"));
    let run_time = |i| {
        c.input(n, i)
            .map(|t| t.is_some_and(|t| c.value(t).is_none()))
    };
    if c.opset >= 10 && (run_time(1)? || run_time(2)?) {
        let k = c.shape(c.need(n, 1)?).iter().product::<usize>() as i64;
        let axes = slice_arg(c, n, 3, "axes")?.unwrap_or_else(|| (0..k).collect());
        let steps = slice_arg(c, n, 4, "steps")?.unwrap_or_else(|| vec![1; axes.len()]);
        return Ok(vec![super::bounds::slice(c, n, &axes, &steps)?]);
    }
    let starts = slice_arg(c, n, 1, "starts")?.ok_or_else(|| missing("starts"))?;
    let ends = slice_arg(c, n, 2, "ends")?.ok_or_else(|| missing("ends"))?;
    let axes = slice_arg(c, n, 3, "axes")?.unwrap_or_else(|| (0..starts.len() as i64).collect());
    let steps = if c.opset >= 10 {
        slice_arg(c, n, 4, "steps")?
    } else {
        None
    }
    .unwrap_or_else(|| vec![1; starts.len()]);
    if [ends.len(), axes.len(), steps.len()]
        .iter()
        .any(|&l| l != starts.len())
    {
        bail!("starts, ends, axes and steps must have the same length");
    }
    let mut b: Vec<i64> = vec![0; r];
    let mut e: Vec<i64> = s.iter().map(|&d| d as i64).collect();
    let mut st: Vec<i64> = vec![1; r];
    let mut end_mask = 0i32;
    for (((&start, &end), &axis), &step) in starts.iter().zip(&ends).zip(&axes).zip(&steps) {
        let ax = c.axis(x, axis)?;
        let d = s.get(ax).copied().unwrap_or(1) as i64;
        if step == 0 {
            bail!("Slice step 0");
        }
        let norm = |v: i64| if v < 0 { v.saturating_add(d) } else { v };
        let (lo, hi) = if step > 0 { (0, d) } else { (-1, d - 1) };
        let (bv, ev) = (norm(start).clamp(lo, hi), norm(end).clamp(lo, hi));
        if step < 0 && ev == -1 {
            end_mask |= 1 << ax;
        }
        if let (Some(bb), Some(ee), Some(ss)) = (b.get_mut(ax), e.get_mut(ax), st.get_mut(ax)) {
            (*bb, *ee, *ss) = (bv, ev, step);
        }
    }
    let (bt, et, stt) = (
        c.ints_const("begin", &b),
        c.ints_const("end", &e),
        c.ints_const("strides", &st),
    );
    Ok(vec![c.emit1(
        Op::StridedSlice(StridedSlice {
            end_mask,
            ..Default::default()
        }),
        vec![Some(x), Some(bt), Some(et), Some(stt)],
    )?])
}

fn import_gather(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let (x, i) = (c.need(n, 0)?, c.need(n, 1)?);
    let ax = c.axis(x, n.i("axis")?)?;
    let d = c.shape(x).get(ax).copied().unwrap_or(1) as i64;
    // Negative indices count from the end in ONNX: normalize constant ones.
    let idx = match c.value(i) {
        Some(v) => {
            let vals = v
                .data
                .to_i64()
                .ok_or_else(|| NodeError::Invalid("indices must be integers".into()))?;
            // A tensor of data-dependent length has an upper bound for its shape here: a
            // negative index would count from the wrong end.
            if c.dynamic.contains(&x) && vals.iter().any(|&k| k < 0) {
                refuse!("a negative Gather index into a tensor whose length depends on the data");
            }
            let fixed: Vec<i64> = vals
                .iter()
                .map(|&k| if k < 0 { k + d } else { k })
                .collect();
            if fixed.iter().any(|&k| k < 0 || k >= d) {
                bail!("Gather index out of range for dimension {d}");
            }
            let nm = c.fresh("indices");
            c.konst(
                &nm,
                Value::new(
                    v.shape.clone(),
                    Data::I32(fixed.iter().map(|&k| k as i32).collect()),
                ),
            )
        }
        None => i,
    };
    Ok(vec![c.emit1(
        Op::Gather {
            axis: ax as i32,
            batch_dims: 0,
        },
        vec![Some(x), Some(idx)],
    )?])
}

fn import_pad(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let mode = n.s("mode")?;
    if !matches!(mode.as_str(), "constant" | "reflect" | "edge" | "wrap") {
        refuse!("Pad mode '{mode}' is not supported");
    }
    let r = c.rank(x);
    let (pads, value) = if c.opset >= 11 {
        let pads = c.const_ints(c.need(n, 1)?, "pads")?;
        let value = match c.input(n, 2)? {
            Some(t) => c
                .const_f32(t, "constant_value")?
                .first()
                .copied()
                .unwrap_or(0.0),
            None => 0.0,
        };
        (pads, value)
    } else {
        (n.ints("pads")?.unwrap_or_default(), n.f("value")?)
    };
    let axes = match c.input(n, 3)? {
        Some(t) => c
            .const_ints(t, "axes")?
            .iter()
            .map(|&v| c.axis(x, v))
            .collect::<NodeResult<Vec<_>>>()?,
        None => (0..r).collect(),
    };
    if pads.len() != 2 * axes.len() || pads.iter().any(|&p| p < 0) {
        refuse!("pads {pads:?} (negative pads are not supported)");
    }
    let (before, after) = pads.split_at(axes.len());
    let mut p = vec![0i32; 2 * r];
    for ((&ax, &b), &a) in axes.iter().zip(before).zip(after) {
        if let Some([pb, pa]) = p.get_mut(2 * ax..2 * ax + 2) {
            (*pb, *pa) = (b as i32, a as i32);
        }
    }
    if mode != "constant" {
        return Ok(vec![super::movement2::pad_mode(c, x, &p, &mode)?]);
    }
    let nm = c.fresh("paddings");
    let pt = c.konst(&nm, Value::new(vec![r, 2], Data::I32(p)));
    if value == 0.0 {
        Ok(vec![
            c.emit1(Op::Pad { v2: false }, vec![Some(x), Some(pt)])?,
        ])
    } else {
        let cv = c.scalar(value);
        Ok(vec![c.emit1(
            Op::Pad { v2: true },
            vec![Some(x), Some(pt), Some(cv)],
        )?])
    }
}
