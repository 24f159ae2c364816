//! Einsum of two operands in its matrix-product forms (each index in one term at most once, no
//! ellipsis, every index of an operand either in the output or in both operands): a
//! TRANSPOSE + RESHAPE of each side into `[batch, m, k]` and `[batch, k, n]`, one BATCH_MATMUL,
//! and a RESHAPE + TRANSPOSE into the output order. One operand: a pure permutation.

use super::{OpSpec, spec, string};
use crate::formats::onnx::ctx::{Ctx, Node, NodeResult};
use crate::formats::onnx::error::{bail, refuse};
use crate::ir::*;

/// The ops of this family.
pub(super) const OPS: &[OpSpec] = &[spec(
    "Einsum",
    12..=28,
    1..=2,
    1..=1,
    &[string("equation", "")],
    import_einsum,
)];

fn letters(term: &str, what: &str) -> NodeResult<Vec<char>> {
    let v: Vec<char> = term.trim().chars().collect();
    if v.iter().any(|c| !c.is_ascii_alphabetic()) {
        refuse!("Einsum {what} '{term}' (only letters; no ellipsis)");
    }
    for (i, c) in v.iter().enumerate() {
        if v.iter().take(i).any(|x| x == c) {
            refuse!("Einsum with index '{c}' repeated in '{term}' (a diagonal)");
        }
    }
    Ok(v)
}

fn perm_of(from: &[char], to: &[char]) -> Vec<i64> {
    to.iter()
        .filter_map(|c| from.iter().position(|f| f == c).map(|p| p as i64))
        .collect()
}

fn permute(c: &mut Ctx<'_>, x: TensorId, from: &[char], to: &[char]) -> NodeResult<TensorId> {
    let p = perm_of(from, to);
    if p.iter().enumerate().all(|(i, &v)| i as i64 == v) {
        Ok(x)
    } else {
        c.transpose(x, &p)
    }
}

fn import_einsum(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let eq: String = n
        .s("equation")?
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let (lhs, out) = match eq.split_once("->") {
        Some((l, o)) => (l.to_string(), Some(o.to_string())),
        None => (eq.clone(), None),
    };
    let terms: Vec<Vec<char>> = lhs
        .split(',')
        .map(|t| letters(t, "term"))
        .collect::<NodeResult<_>>()?;
    let out: Vec<char> = match out {
        Some(o) => letters(&o, "output")?,
        None => {
            // Implicit output: the indices appearing once, in alphabetical order.
            let mut all: Vec<char> = terms.iter().flatten().copied().collect();
            all.sort();
            all.iter()
                .copied()
                .filter(|ch| all.iter().filter(|x| *x == ch).count() == 1)
                .collect::<Vec<_>>()
        }
    };
    let ins: Vec<TensorId> = (0..terms.len())
        .map(|i| c.need(n, i))
        .collect::<NodeResult<_>>()?;
    if ins.len() != terms.len() {
        bail!("Einsum has {} inputs for {} terms", ins.len(), terms.len());
    }
    let mut size = std::collections::HashMap::new();
    for (t, &x) in terms.iter().zip(&ins) {
        let s = c.shape(x);
        if s.len() != t.len() {
            bail!(
                "Einsum term {:?} for an input of shape {s:?}",
                t.iter().collect::<String>()
            );
        }
        for (ch, d) in t.iter().zip(s) {
            if *size.entry(*ch).or_insert(d) != d {
                refuse!("Einsum index '{ch}' with sizes that differ (broadcasting)");
            }
        }
    }
    // Every letter of the output and operands was entered in `size` above (or refused).
    let dims = |v: &[char]| -> Vec<usize> {
        v.iter()
            .map(|ch| size.get(ch).copied().unwrap_or(1))
            .collect()
    };
    match (terms.as_slice(), ins.as_slice()) {
        ([a], [x]) => {
            if a.len() != out.len() || out.iter().any(|ch| !a.contains(ch)) {
                refuse!("single-operand Einsum '{eq}' other than a permutation");
            }
            Ok(vec![permute(c, *x, a, &out)?])
        }
        ([a, b], [x, y]) => {
            if out.iter().any(|ch| !a.contains(ch) && !b.contains(ch)) {
                bail!("Einsum output index not in any input: '{eq}'");
            }
            let batch: Vec<char> = out
                .iter()
                .copied()
                .filter(|ch| a.contains(ch) && b.contains(ch))
                .collect();
            let af: Vec<char> = a
                .iter()
                .copied()
                .filter(|ch| out.contains(ch) && !b.contains(ch))
                .collect();
            let bf: Vec<char> = b
                .iter()
                .copied()
                .filter(|ch| out.contains(ch) && !a.contains(ch))
                .collect();
            let k: Vec<char> = a
                .iter()
                .copied()
                .filter(|ch| b.contains(ch) && !out.contains(ch))
                .collect();
            if a.iter()
                .chain(b.iter())
                .any(|ch| !out.contains(ch) && !(a.contains(ch) && b.contains(ch)))
            {
                refuse!("Einsum '{eq}' sums an index of one operand only");
            }
            let prod = |v: &[char]| dims(v).iter().product::<usize>();
            let a_order: Vec<char> = batch.iter().chain(&af).chain(&k).copied().collect();
            let b_order: Vec<char> = batch.iter().chain(&k).chain(&bf).copied().collect();
            let xa = permute(c, *x, a, &a_order)?;
            let xa = c.reshape(xa, &[prod(&batch), prod(&af), prod(&k)])?;
            let yb = permute(c, *y, b, &b_order)?;
            let yb = c.reshape(yb, &[prod(&batch), prod(&k), prod(&bf)])?;
            let z = c.emit1(
                Op::BatchMatMul(BatchMatMul {
                    adj_x: false,
                    adj_y: false,
                    asymmetric_quantize_inputs: false,
                }),
                vec![Some(xa), Some(yb)],
            )?;
            let z_order: Vec<char> = batch.iter().chain(&af).chain(&bf).copied().collect();
            let z = c.reshape(z, &dims(&z_order))?;
            Ok(vec![permute(c, z, &z_order, &out)?])
        }
        _ => refuse!(
            "Einsum of {} operands (one or two are supported)",
            terms.len()
        ),
    }
}
