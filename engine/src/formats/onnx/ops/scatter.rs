//! ONNX index ops: GatherND (with batch_dims), GatherElements, ScatterND and ScatterElements
//! (every reduction) and NonZero of a tensor known when the model is read.
//!
//! TFLite's GATHER_ND has no batch axes and its SCATTER_ND writes into zeros, summing updates
//! that share an index. The translations below build on those two:
//! - GatherND with `batch_dims = b` prepends each index tuple with its batch coordinates, a
//!   constant grid, and gathers from the whole tensor.
//! - ScatterND `none` replaces: `data · (1 - hit) + scatter(updates)`; `add` is
//!   `data + scatter(updates)`; `mul`, `max` and `min` with constant indices apply the updates in
//!   rounds whose indices are unique (the k-th occurrence of an index goes to round k), each
//!   round a scatter combined with constant masks, which keeps ONNX's in-order semantics.
//! - ScatterElements is ScatterND over index tuples (the coordinate grids of every other axis
//!   packed with the indices, as for GatherElements), with the updates in the same order.

use super::movement2::{i64_const, mv, wrap_negative};
use super::{OpSpec, int, spec, string};
use crate::formats::onnx::ctx::{Ctx, Node, NodeResult, first};
use crate::formats::onnx::error::{NodeError, refuse};
use crate::ir::*;
use crate::kernels::strides;

/// The ops of this family.
pub(super) const OPS: &[OpSpec] = &[
    spec(
        "GatherND",
        11..=28,
        2..=2,
        1..=1,
        &[int("batch_dims", 0)],
        import_gather_nd,
    ),
    spec(
        "GatherElements",
        11..=28,
        2..=2,
        1..=1,
        &[int("axis", 0)],
        import_gather_elements,
    ),
    spec(
        "ScatterND",
        11..=28,
        3..=3,
        1..=1,
        &[string("reduction", "none")],
        import_scatter_nd,
    ),
    spec(
        "ScatterElements",
        11..=28,
        3..=3,
        1..=1,
        &[int("axis", 0), string("reduction", "none")],
        import_scatter_elements,
    ),
    spec("NonZero", 9..=28, 1..=1, 1..=1, &[], import_nonzero),
];

/// The coordinate along axis `d` of every element of a tensor of shape `s`.
fn grid(s: &[usize], d: usize) -> Vec<i64> {
    let st = strides(s);
    let total: usize = s.iter().product();
    let (sd, std) = (
        s.get(d).copied().unwrap_or(1).max(1),
        st.get(d).copied().unwrap_or(1).max(1),
    );
    (0..total).map(|k| ((k / std) % sd) as i64).collect()
}

#[expect(
    clippy::indexing_slicing,
    reason = "b < is.len() and b <= xs.len() are checked first, then b + k <= xs.len(); p % k < k"
)]
fn import_gather_nd(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let (x, i) = (c.need(n, 0)?, c.need(n, 1)?);
    let b = n.i("batch_dims")?;
    let (xs, is) = (c.shape(x), c.shape(i));
    if b < 0 || b as usize >= is.len() || b as usize > xs.len() {
        refuse!("GatherND batch_dims {b} for indices of rank {}", is.len());
    }
    let b = b as usize;
    if xs[..b] != is[..b] {
        refuse!(
            "GatherND batch axes differ: data {:?}, indices {:?}",
            &xs[..b],
            &is[..b]
        );
    }
    let k = is[is.len() - 1];
    if b + k > xs.len() {
        refuse!(
            "GatherND index tuples of {k} into rank {} (batch_dims {b})",
            xs.len()
        );
    }
    // Negative indices count from the end of their axis (per position in the tuple).
    let i = match c.value(i) {
        Some(v) if v.data.to_f64().iter().any(|&q| q < 0.0) => {
            let w: Vec<i64> = v
                .data
                .to_f64()
                .iter()
                .enumerate()
                .map(|(p, &q)| {
                    let len = xs[b + p % k.max(1)] as i64;
                    if q < 0.0 { q as i64 + len } else { q as i64 }
                })
                .collect();
            i64_const(c, "indices", is.clone(), w)
        }
        _ => i,
    };
    if b == 0 {
        return Ok(vec![mv(c, Movement::GatherNd, vec![Some(x), Some(i)])?]);
    }
    let i = match c.dtype(i) {
        DType::I64 => i,
        _ => c.emit_as(Op::Cast, vec![Some(i)], DType::I64)?,
    };
    let mut gs = is.clone();
    *gs.last_mut().unwrap_or(&mut 0) = 1;
    let mut parts: Vec<Option<TensorId>> = (0..b)
        .map(|d| Some(i64_const(c, "batch_grid", gs.clone(), grid(&gs, d))))
        .collect();
    parts.push(Some(i));
    let r = is.len();
    let idx = c.emit_as(
        Op::Concatenation {
            axis: r as i32 - 1,
            act: Activation::None,
        },
        parts,
        DType::I64,
    )?;
    Ok(vec![mv(c, Movement::GatherNd, vec![Some(x), Some(idx)])?])
}

/// The index tuple of every element of indices `i` into `x` along `axis` (ONNX's negative
/// indices wrapped): its own position with the coordinate along `axis` replaced by its index,
/// `[..., rank]` int64 (GatherElements and ScatterElements as GATHER_ND / SCATTER_ND).
fn element_tuples(c: &mut Ctx<'_>, x: TensorId, i: TensorId, axis: usize) -> NodeResult<TensorId> {
    let s = c.shape(i);
    let r = s.len();
    let len = c.shape(x).get(axis).copied().unwrap_or(0) as i64;
    let i = wrap_negative(c, i, len)?;
    let mut parts = Vec::with_capacity(r);
    for d in 0..r {
        parts.push(Some(if d == axis {
            i
        } else {
            i64_const(c, "grid", s.clone(), grid(&s, d))
        }));
    }
    first(c.emit(
        Op::Pack {
            values_count: r,
            axis: r as i32,
        },
        parts,
        &[DType::I64],
    )?)
}

/// GatherElements as GATHER_ND over index tuples.
fn import_gather_elements(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let (x, i) = (c.need(n, 0)?, c.need(n, 1)?);
    let ax = c.axis(x, n.i("axis")?)?;
    let idx = element_tuples(c, x, i, ax)?;
    Ok(vec![mv(c, Movement::GatherNd, vec![Some(x), Some(idx)])?])
}

fn f32_const(c: &mut Ctx<'_>, what: &str, shape: Vec<usize>, v: Vec<f32>) -> TensorId {
    let n = c.fresh(what);
    c.konst(&n, Value::f32(shape, v))
}

fn import_scatter_nd(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let (x, i, u) = (c.need(n, 0)?, c.need(n, 1)?, c.need(n, 2)?);
    Ok(vec![scatter(c, x, i, u, &n.s("reduction")?)?])
}

/// ScatterElements: the index tuple of each update is its own position with the coordinate
/// along `axis` replaced by its index.
fn import_scatter_elements(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let (x, i, u) = (c.need(n, 0)?, c.need(n, 1)?, c.need(n, 2)?);
    let ax = c.axis(x, n.i("axis")?)?;
    let s = c.shape(i);
    if c.shape(u) != s || s.len() != c.rank(x) {
        refuse!(
            "ScatterElements with indices {s:?}, updates {:?} into data {:?}",
            c.shape(u),
            c.shape(x)
        );
    }
    let idx = element_tuples(c, x, i, ax)?;
    Ok(vec![scatter(c, x, idx, u, &n.s("reduction")?)?])
}

/// A constant of `x`'s element type (f32, i32 or i64) filled with `v`.
fn filled(c: &mut Ctx<'_>, dt: DType, shape: Vec<usize>, v: i32) -> NodeResult<TensorId> {
    let len = shape.iter().product();
    let data = match dt {
        DType::F32 => Data::F32(vec![v as f32; len]),
        DType::I32 => Data::I32(vec![v; len]),
        DType::I64 => Data::I64(vec![i64::from(v); len]),
        other => refuse!("scatter into {other} (float, int32 and int64 only)"),
    };
    let name = c.fresh("fill");
    Ok(c.konst(&name, Value::new(shape, data)))
}

/// ScatterND of `u` into `x` at index tuples `i`, with ONNX reduction `red`.
fn scatter(
    c: &mut Ctx<'_>,
    x: TensorId,
    i: TensorId,
    u: TensorId,
    red: &str,
) -> NodeResult<TensorId> {
    let dt = c.dtype(x);
    let xs = c.shape(x);
    // int32 index tuples: SCATTER_ND version 1, which every LiteRT runs.
    let i = match c.dtype(i) {
        DType::I32 => i,
        _ => c.emit_as(Op::Cast, vec![Some(i)], DType::I32)?,
    };
    let s: Vec<i32> = xs.iter().map(|&d| d as i32).collect();
    let st = {
        let name = c.fresh("shape");
        c.konst(&name, Value::new(vec![s.len()], Data::I32(s)))
    };
    let scatter =
        |c: &mut Ctx<'_>, i, u| mv(c, Movement::ScatterNd, vec![Some(i), Some(u), Some(st)]);
    match red {
        "none" => {
            let sc = scatter(c, i, u)?;
            let us = c.shape(u);
            let ones = filled(c, dt, us, 1)?;
            let hit = scatter(c, i, ones)?;
            let one = filled(c, dt, Vec::new(), 1)?;
            let hit = c.binary(BinaryKind::Minimum, hit, one)?;
            let keep = c.binary(BinaryKind::Sub, one, hit)?;
            let kept = c.binary(BinaryKind::Mul, x, keep)?;
            c.binary(BinaryKind::Add, kept, sc)
        }
        "add" => {
            let sc = scatter(c, i, u)?;
            c.binary(BinaryKind::Add, x, sc)
        }
        "mul" | "max" | "min" => {
            if dt != DType::F32 {
                refuse!("scatter reduction '{red}' on {dt} (float only)");
            }
            let Some(iv) = c.value(i) else {
                refuse!("scatter reduction '{red}' with indices known only at run time");
            };
            first(scatter_rounds(c, x, &iv, u, red)?)
        }
        other => refuse!("scatter reduction '{other}'"),
    }
}

/// `mul`/`max`/`min` ScatterND with constant indices: one round per repeat of an index.
#[expect(
    clippy::indexing_slicing,
    reason = "k <= xs.len() is checked; raw holds rows · k values; every index is checked in \
              range, so each offset plus the slice size stays within the data"
)]
fn scatter_rounds(
    c: &mut Ctx<'_>,
    x: TensorId,
    iv: &Value,
    u: TensorId,
    red: &str,
) -> NodeResult<Vec<TensorId>> {
    let xs = c.shape(x);
    let is = iv.shape.clone();
    let k = *is
        .last()
        .ok_or(NodeError::Invalid("ScatterND indices of rank 0".into()))?;
    if k == 0 || k > xs.len() {
        refuse!("ScatterND index tuples of {k} into rank {}", xs.len());
    }
    let rows = iv.numel() / k;
    let slice: Vec<usize> = xs[k..].to_vec();
    let slice_n: usize = slice.iter().product();
    let xst = strides(&xs);
    // Each row's index tuple with negative indices wrapped, and the flat offset of its slice.
    let raw = iv.data.to_f64();
    let mut wrapped = Vec::with_capacity(rows * k);
    let mut offs = Vec::with_capacity(rows);
    for r in 0..rows {
        let mut off = 0usize;
        for p in 0..k {
            let len = xs[p] as i64;
            let mut q = raw[r * k + p] as i64;
            if q < 0 {
                q += len;
            }
            if !(0..len).contains(&q) {
                refuse!("ScatterND index {q} out of range for an axis of {len}");
            }
            wrapped.push(q);
            off += q as usize * xst[p];
        }
        offs.push(off);
    }
    // Round of each row: how many earlier rows hit the same slice.
    let mut seen = std::collections::HashMap::new();
    let round: Vec<usize> = offs
        .iter()
        .map(|&o| {
            let n = seen.entry(o).or_insert(0usize);
            *n += 1;
            *n - 1
        })
        .collect();
    let rounds = round.iter().copied().max().map_or(0, |m| m + 1);
    let mut us = vec![rows];
    us.extend(&slice);
    let uf = c.reshape(u, &us)?;
    let total: usize = xs.iter().product();
    let s: Vec<i32> = xs.iter().map(|&d| d as i32).collect();
    let st = {
        let name = c.fresh("shape");
        c.konst(&name, Value::new(vec![s.len()], Data::I32(s)))
    };
    let mut y = x;
    for k_round in 0..rounds {
        let sel: Vec<usize> = (0..rows).filter(|&r| round[r] == k_round).collect();
        let pick: Vec<i64> = sel.iter().map(|&r| r as i64).collect();
        let pick = c.ints_const("round_rows", &pick);
        let part = c.emit1(
            Op::Gather {
                axis: 0,
                batch_dims: 0,
            },
            vec![Some(uf), Some(pick)],
        )?;
        let idx: Vec<i64> = sel
            .iter()
            .flat_map(|&r| wrapped[r * k..(r + 1) * k].iter().copied())
            .collect();
        let idx: Vec<i32> = idx.iter().map(|&v| v as i32).collect();
        let idx = {
            let name = c.fresh("round_indices");
            c.konst(&name, Value::new(vec![sel.len(), k], Data::I32(idx)))
        };
        let sc = mv(
            c,
            Movement::ScatterNd,
            vec![Some(idx), Some(part), Some(st)],
        )?;
        // Elements this round leaves alone get the op's identity added to the scatter's zero.
        let mut fill = vec![
            match red {
                "mul" => 1.0,
                "max" => f32::NEG_INFINITY,
                _ => f32::INFINITY,
            };
            total
        ];
        for &r in &sel {
            fill[offs[r]..offs[r] + slice_n].fill(0.0);
        }
        let fill = f32_const(c, "identity", xs.clone(), fill);
        let v = c.binary(BinaryKind::Add, sc, fill)?;
        let kind = match red {
            "mul" => BinaryKind::Mul,
            "max" => BinaryKind::Maximum,
            _ => BinaryKind::Minimum,
        };
        y = c.binary(kind, y, v)?;
    }
    Ok(vec![y])
}

/// NonZero: WHERE's `[n, rank]` coordinates, transposed to ONNX's `[rank, n]`. Of a tensor
/// known when the model is read it folds; otherwise its length depends on the data and the
/// output is a dynamic tensor (placeholder `[rank, numel]`).
fn import_nonzero(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let op = Op::Detect(DetOp::Where);
    let w = if c.value(x).is_some() {
        c.emit_as(op, vec![Some(x)], DType::I64)?
    } else {
        let bound = vec![c.tensor(x).numel(), c.rank(x)];
        c.emit_dynamic(op, vec![Some(x)], DType::I64, bound)
    };
    Ok(vec![c.transpose(w, &[1, 0])?])
}
