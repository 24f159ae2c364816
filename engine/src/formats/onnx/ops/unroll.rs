//! Control flow whose iteration count is known at import, unrolled: `Scan` (the count is the
//! scan axis's static size) and a `Loop` with scan outputs whose trip count and conditions
//! fold to constants. The body is translated once per iteration into the current graph, its
//! names scoped to that iteration; scan outputs are the per-iteration values stacked along
//! their axis. Everything keeps the static shapes the importer infers, so nothing of this
//! needs control flow at run time.

use super::super::ctx::{Node, NodeResult};
use super::super::error::refuse;
use super::super::import::Scope;
use super::super::proto::GraphProto;
use super::control::{body_nodes, const_truth, graph_attr};
use super::{MANY, OpSpec, opt, spec};
use crate::ir::*;

/// The unrolled rows (`Scan` from opset 9, where scan axes replaced the batch axis).
pub(crate) const OPS: &[OpSpec] = &[spec(
    "Scan",
    9..=28,
    1..=MANY,
    1..=MANY,
    &[
        opt("body"),
        opt("num_scan_inputs"),
        opt("scan_input_axes"),
        opt("scan_input_directions"),
        opt("scan_output_axes"),
        opt("scan_output_directions"),
    ],
    super::control::by_driver,
)];

/// Most iterations unrolled, and most body nodes translated in all (beyond them the node is
/// kept, as the graph would grow without bound).
const MAX_ITERATIONS: usize = 4096;
const MAX_NODES: usize = 100_000;

fn budget(iterations: usize, body: &GraphProto) -> NodeResult<()> {
    if iterations > MAX_ITERATIONS || iterations.saturating_mul(body.node.len()) > MAX_NODES {
        refuse!(
            "{iterations} iterations of a {}-node body are too many to unroll",
            body.node.len()
        );
    }
    Ok(())
}

/// Bind the body's inputs to `values` (in order) in a fresh scope of the outer names.
fn bind(s: &mut Scope<'_, '_>, body: &GraphProto, values: &[TensorId]) {
    for (vi, &v) in body.input.iter().zip(values) {
        if let Some(name) = vi.name.as_deref().filter(|n| !n.is_empty()) {
            s.c.names.insert(name.to_string(), v);
        }
    }
}

/// `parts` stacked along a new `axis` (negative counts from the end of the result).
fn stack(s: &mut Scope<'_, '_>, parts: &[TensorId], axis: i64) -> NodeResult<TensorId> {
    let Some(&first) = parts.first() else {
        refuse!("a scan output of zero iterations has no shape to take");
    };
    let rank = s.c.rank(first) as i64 + 1;
    let a = if axis < 0 { axis + rank } else { axis };
    if !(0..rank).contains(&a) {
        return Err(super::super::error::NodeError::Axis {
            axis,
            rank: rank as usize,
        });
    }
    s.c.emit1(
        Op::Pack {
            values_count: parts.len(),
            axis: a as i32,
        },
        parts.iter().map(|&p| Some(p)).collect(),
    )
}

/// A `Loop` unrolled when its trip count is a constant and every condition folds (`None`
/// when one does not: the caller then makes a WHILE).
pub(crate) fn lp(
    s: &mut Scope<'_, '_>,
    n: &Node<'_>,
    body: &GraphProto,
) -> NodeResult<Option<Vec<TensorId>>> {
    let carried = n.inputs().saturating_sub(2);
    let Some(m) = s.c.input(n, 0)? else {
        return Ok(None);
    };
    let Some(trips) =
        s.c.value(m)
            .and_then(|v| v.data.to_i64())
            .and_then(|v| v.first().copied())
    else {
        return Ok(None);
    };
    let mut go = match s.c.input(n, 1)? {
        None => true,
        Some(c) => match const_truth(&s.c, c)? {
            Some(b) => b,
            None => return Ok(None),
        },
    };
    let trips = usize::try_from(trips.max(0)).unwrap_or(usize::MAX);
    budget(trips, body)?;
    let ishape = super::control::declared(body, 0, (DType::I64, Vec::new())).1;
    let mut state: Vec<TensorId> = (2..n.inputs())
        .map(|i| s.c.need(n, i))
        .collect::<NodeResult<_>>()?;
    let k_scan = body.output.len().saturating_sub(1 + carried);
    let mut scans: Vec<Vec<TensorId>> = vec![Vec::new(); k_scan];
    let saved = s.c.names.clone();
    let label = s.c.node.clone();
    let mut folded = true;
    for it in 0..trips {
        if !go {
            break;
        }
        s.c.names = saved.clone();
        s.c.node = format!("{label}/iter{it}");
        let name = s.c.fresh("iteration");
        let i = s.c.konst(
            &name,
            Value::new(ishape.clone(), Data::I64(vec![it as i64])),
        );
        let name = s.c.fresh("cond");
        let c =
            s.c.konst(&name, Value::new(Vec::new(), Data::Bool(vec![go])));
        let mut values = vec![i, c];
        values.extend(&state);
        bind(s, body, &values);
        let outs = match body_nodes(s, body) {
            Ok(o) => o,
            Err(e) => {
                s.c.names = saved;
                s.c.node = label;
                return Err(e);
            }
        };
        match outs.first().map(|&c| const_truth(&s.c, c)) {
            Some(Ok(Some(b))) => go = b,
            _ => {
                folded = false;
                break;
            }
        }
        state = outs.get(1..1 + carried).unwrap_or_default().to_vec();
        for (k, acc) in scans.iter_mut().enumerate() {
            if let Some(&v) = outs.get(1 + carried + k) {
                acc.push(v);
            }
        }
    }
    s.c.names = saved;
    s.c.node = label;
    if !folded {
        return Ok(None);
    }
    let mut outs = state;
    for acc in &scans {
        outs.push(stack(s, acc, 0)?);
    }
    Ok(Some(outs))
}

/// `Scan`, unrolled over the static length of its scan axis.
pub(crate) fn scan(s: &mut Scope<'_, '_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let body = graph_attr(n, "body")?;
    let m = usize::try_from(n.i("num_scan_inputs")?).unwrap_or(usize::MAX);
    let n_in = n.inputs();
    if m == 0 || m > n_in {
        return Err(super::super::error::NodeError::Invalid(format!(
            "num_scan_inputs {m} does not fit {n_in} inputs"
        )));
    }
    let n_state = n_in - m;
    if body.input.len() != n_in || body.output.len() < n_state {
        return Err(super::super::error::NodeError::Invalid(format!(
            "the body takes {} inputs and gives {} outputs; the node has {n_in} inputs, {n_state} of them states",
            body.input.len(),
            body.output.len()
        )));
    }
    let k_scan = body.output.len() - n_state;
    let list = |k: &str, len: usize, default: i64| -> NodeResult<Vec<i64>> {
        let v = n.ints(k)?.unwrap_or_else(|| vec![default; len]);
        if v.len() != len {
            return Err(super::super::error::NodeError::BadAttribute {
                attr: k.into(),
                why: format!("has {} values, expected {len}", v.len()),
            });
        }
        Ok(v)
    };
    let in_axes = list("scan_input_axes", m, 0)?;
    let in_dirs = list("scan_input_directions", m, 0)?;
    let out_axes = list("scan_output_axes", k_scan, 0)?;
    let out_dirs = list("scan_output_directions", k_scan, 0)?;
    let inputs: Vec<TensorId> = (0..n_in)
        .map(|i| s.c.need(n, i))
        .collect::<NodeResult<_>>()?;
    let (states, xs) = inputs.split_at(n_state);
    let mut axes = Vec::new();
    let mut len = None;
    for (&x, &a) in xs.iter().zip(&in_axes) {
        let a = s.c.axis(x, a)?;
        let l = s.c.shape(x).get(a).copied().unwrap_or(0);
        if len.is_some_and(|k| k != l) {
            return Err(super::super::error::NodeError::Invalid(format!(
                "scan inputs have different lengths ({len:?} and {l})"
            )));
        }
        len = Some(l);
        axes.push(a);
    }
    let len = len.unwrap_or(0);
    budget(len, &body)?;
    let mut state = states.to_vec();
    let mut scans: Vec<Vec<TensorId>> = vec![Vec::new(); k_scan];
    let saved = s.c.names.clone();
    let label = s.c.node.clone();
    let mut run = || -> NodeResult<()> {
        for t in 0..len {
            s.c.names = saved.clone();
            s.c.node = format!("{label}/iter{t}");
            let mut values = state.clone();
            for ((&x, &a), &d) in xs.iter().zip(&axes).zip(&in_dirs) {
                let at = if d == 1 { len - 1 - t } else { t };
                let name = s.c.fresh("index");
                let idx =
                    s.c.konst(&name, Value::new(Vec::new(), Data::I32(vec![at as i32])));
                values.push(s.c.emit1(
                    Op::Gather {
                        axis: a as i32,
                        batch_dims: 0,
                    },
                    vec![Some(x), Some(idx)],
                )?);
            }
            bind(s, &body, &values);
            let outs = body_nodes(s, &body)?;
            state = outs.get(..n_state).unwrap_or_default().to_vec();
            for (k, acc) in scans.iter_mut().enumerate() {
                if let Some(&v) = outs.get(n_state + k) {
                    acc.push(v);
                }
            }
        }
        Ok(())
    };
    let r = run();
    s.c.names = saved;
    s.c.node = label;
    r?;
    let mut outs = state;
    for ((acc, &a), &d) in scans.iter_mut().zip(&out_axes).zip(&out_dirs) {
        if d == 1 {
            acc.reverse();
        }
        outs.push(stack(s, acc, a)?);
    }
    Ok(outs)
}
