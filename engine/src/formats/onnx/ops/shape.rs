//! Shape-changing ops that keep the data order: Flatten, Reshape, Squeeze, Unsqueeze, Expand,
//! Transpose. Target shapes must be constants at import time (shape arithmetic has been folded
//! by then); every one becomes a RESHAPE (Expand: an add of zeros, Transpose: a TRANSPOSE).

use super::{OpSpec, int, opt, spec};
use crate::formats::onnx::ctx::{Ctx, Node, NodeResult};
use crate::formats::onnx::error::{NodeError, bail, refuse};
use crate::ir::*;

/// The ops of this family.
pub(super) const OPS: &[OpSpec] = &[
    spec(
        "Flatten",
        7..=28,
        1..=1,
        1..=1,
        &[int("axis", 1)],
        import_flatten,
    ),
    spec(
        "Reshape",
        7..=28,
        2..=2,
        1..=1,
        &[int("allowzero", 0)],
        import_reshape,
    ),
    spec(
        "Transpose",
        7..=28,
        1..=1,
        1..=1,
        &[opt("perm")],
        import_transpose,
    ),
    // Axes are an attribute before opset 13 and an input from 13 on; both are read.
    spec(
        "Squeeze",
        7..=28,
        1..=2,
        1..=1,
        &[opt("axes")],
        import_squeeze,
    ),
    spec(
        "Unsqueeze",
        7..=28,
        1..=2,
        1..=1,
        &[opt("axes")],
        import_squeeze,
    ),
    spec("Expand", 8..=28, 2..=2, 1..=1, &[], import_expand),
];

/// Largest tensor an import-time constant may have (elements).
pub(super) const MAX_CONST: usize = 1 << 28;

fn split_at(s: &[usize], ax: usize) -> NodeResult<(usize, usize)> {
    let (a, b) = s.split_at_checked(ax).ok_or(NodeError::Axis {
        axis: ax as i64,
        rank: s.len(),
    })?;
    Ok((a.iter().product(), b.iter().product()))
}

fn import_flatten(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let s = c.shape(x);
    let axis = n.i("axis")?;
    let ax = if s.is_empty() {
        0
    } else {
        match c.axis(x, axis) {
            Ok(v) => v,
            Err(_) if axis == s.len() as i64 => s.len(),
            Err(e) => return Err(e),
        }
    };
    let (rows, cols) = split_at(&s, ax)?;
    Ok(vec![c.reshape(x, &[rows, cols])?])
}

fn import_reshape(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let spec = c.const_ints(c.need(n, 1)?, "the shape")?;
    let s = c.shape(x);
    let allow_zero = n.i("allowzero")? != 0;
    let mut out: Vec<i64> = spec
        .iter()
        .enumerate()
        .map(|(i, &d)| {
            if d == 0 && !allow_zero {
                s.get(i)
                    .map(|&v| v as i64)
                    .ok_or_else(|| NodeError::Invalid("0 past the input rank".into()))
            } else {
                Ok(d)
            }
        })
        .collect::<NodeResult<_>>()?;
    let total: usize = s.iter().product();
    if let Some(p) = out.iter().position(|&d| d == -1) {
        let known: i64 = out
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != p)
            .map(|(_, &d)| d)
            .product();
        if known <= 0 || total as i64 % known != 0 {
            bail!("cannot reshape {s:?} to {spec:?}");
        }
        if let Some(d) = out.get_mut(p) {
            *d = total as i64 / known;
        }
    }
    if out.iter().any(|&d| d < 0) || out.iter().product::<i64>() != total as i64 {
        bail!("cannot reshape {s:?} to {spec:?}");
    }
    let shape: Vec<usize> = out.iter().map(|&d| d as usize).collect();
    Ok(vec![c.reshape(x, &shape)?])
}

fn import_squeeze(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let axes = match (n.ints("axes")?, c.input(n, 1)?) {
        (Some(v), _) => v,
        (None, Some(t)) => c.const_ints(t, "axes")?,
        (None, None) => vec![],
    };
    let s = c.shape(x);
    let shape: Vec<usize> = if n.op == "Squeeze" {
        let ax: Vec<usize> = axes
            .iter()
            .map(|&v| c.axis(x, v))
            .collect::<NodeResult<_>>()?;
        s.iter()
            .enumerate()
            .filter(|&(i, &d)| {
                if ax.is_empty() {
                    d != 1
                } else {
                    !ax.contains(&i)
                }
            })
            .map(|(_, &d)| d)
            .collect()
    } else {
        let rank = s.len() + axes.len();
        let r = rank as i64;
        let mut ax: Vec<usize> = axes
            .iter()
            .map(|&v| {
                let w = if v < 0 { v + r } else { v };
                if w < 0 || w >= r {
                    Err(NodeError::Axis { axis: v, rank })
                } else {
                    Ok(w as usize)
                }
            })
            .collect::<NodeResult<_>>()?;
        ax.sort_unstable();
        let mut it = s.iter();
        (0..rank)
            .map(|i| {
                if ax.contains(&i) {
                    1
                } else {
                    it.next().copied().unwrap_or(1)
                }
            })
            .collect()
    };
    Ok(vec![c.reshape(x, &shape)?])
}

fn import_expand(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let want = c.const_ints(c.need(n, 1)?, "the shape")?;
    let s = c.shape(x);
    let r = want.len().max(s.len());
    // Right-aligned broadcasting: pad both shapes with leading 1s.
    let pad = |v: Vec<usize>| -> Vec<usize> {
        let mut p = vec![1; r - v.len()];
        p.extend(v);
        p
    };
    let a = pad(s.clone());
    let b = pad(want.iter().map(|&d| d.max(0) as usize).collect());
    let out = a
        .iter()
        .zip(&b)
        .map(|(&a_, &b_)| {
            if a_ == 1 {
                Ok(b_)
            } else if b_ == 1 || b_ == a_ {
                Ok(a_)
            } else {
                Err(NodeError::Invalid(format!(
                    "cannot expand {s:?} to {want:?}"
                )))
            }
        })
        .collect::<NodeResult<Vec<usize>>>()?;
    let count = out
        .iter()
        .try_fold(1usize, |p, &d| p.checked_mul(d))
        .filter(|&p| p <= MAX_CONST);
    let Some(count) = count else {
        refuse!("Expand result is too large");
    };
    let dt = c.dtype(x);
    let zeros = Value::new(out.clone(), Data::zeros(dt, count));
    let nm = c.fresh("expand_zeros");
    let z = c.konst(&nm, zeros);
    if dt == DType::Bool {
        refuse!("Expand of booleans is not supported");
    }
    Ok(vec![c.binary(BinaryKind::Add, x, z)?])
}

fn import_transpose(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let r = c.rank(x) as i64;
    let perm = n.ints("perm")?.unwrap_or_else(|| (0..r).rev().collect());
    Ok(vec![c.transpose(x, &perm)?])
}
