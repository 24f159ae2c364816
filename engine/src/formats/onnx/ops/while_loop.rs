//! ONNX `Loop` as a TFLite `WHILE` node with a cond and a body subgraph (see `control` for how
//! subgraphs take the outer values their body reads). The `WHILE` carries `[iteration, trip
//! count, condition, state..., captures...]`; its cond subgraph is `iteration < trip count &&
//! condition`. Loop-carried values must keep their type and shape from one iteration to the
//! next, and scan outputs are refused unless the loop unrolls (`unroll`), so every tensor
//! keeps the static shape the importer inferred.
//!
//! A loop whose state changes shape in its first iteration (Paddle's while loops start their
//! buffers as scalar placeholders) or whose body slices at the iteration number has its first
//! iteration translated inline, its shapes recorded; the `WHILE` then runs from iteration 1
//! on the state that iteration gave, and slices and ranges of run-time bounds in its body keep
//! the recorded shapes, checked at run time (`bounds`). This needs a first iteration known to
//! run: a constant trip count of at least 1 and a constant true condition.

use super::super::ctx::{Node, NodeResult};
use super::super::error::{NodeError, refuse};
use super::super::import::Scope;
use super::control::{
    body_nodes, call, captures, child, const_truth, declared, graph_attr, outer_refs,
};
use crate::ir::*;

pub(super) fn import(s: &mut Scope<'_, '_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let body = graph_attr(n, "body")?;
    let carried = n.inputs().saturating_sub(2);
    if body.input.len() != carried + 2 {
        return Err(NodeError::Invalid(format!(
            "the body takes {} inputs; the node passes {} loop-carried values (it should take 2 more)",
            body.input.len(),
            carried
        )));
    }
    if body.output.len() < carried + 1 {
        return Err(NodeError::Invalid(format!(
            "the body gives {} outputs; it should give the condition and {carried} loop-carried values",
            body.output.len()
        )));
    }
    if body.output.len() > carried + 1 || n.outputs() > carried {
        // Scan outputs grow by one slice per iteration: only a loop whose iterations are
        // known at import (then unrolled) keeps static shapes.
        if let Some(outs) = super::unroll::lp(s, n, &body)? {
            return Ok(outs);
        }
        refuse!("Loop with scan outputs whose trip count or condition is known only at run time");
    }
    let label = s.c.node.clone();
    let (m, cond) = (s.c.input(n, 0)?, s.c.input(n, 1)?);
    if m.is_none() && cond.is_none() {
        refuse!("Loop without a trip count or a condition (it would never end)");
    }
    let state: Vec<TensorId> = (2..n.inputs())
        .map(|i| s.c.need(n, i))
        .collect::<NodeResult<_>>()?;
    let (idt, ishape) = declared(&body, 0, (DType::I64, Vec::new()));
    if idt != DType::I64 || ishape.iter().product::<usize>() != 1 {
        return Err(NodeError::Invalid(format!(
            "the body's iteration number must be one int64, it is declared {idt} {ishape:?}"
        )));
    }
    // The loop variables: iteration, trip count, condition (scalars), state.
    let one_of = |v: i64| Value::new(ishape.clone(), Data::I64(vec![v]));
    let name = s.c.fresh("iter");
    let i0 = s.c.konst(&name, one_of(0));
    let m = match m {
        Some(m) => s.c.reshape(m, &ishape)?,
        None => {
            let name = s.c.fresh("trip_count");
            s.c.konst(&name, one_of(i64::MAX))
        }
    };
    let cond = match cond {
        Some(c) => s.c.reshape(c, &[])?,
        None => {
            let name = s.c.fresh("cond");
            s.c.konst(&name, Value::new(Vec::new(), Data::Bool(vec![true])))
        }
    };
    if s.c.dtype(m) != DType::I64 || s.c.dtype(cond) != DType::Bool {
        return Err(NodeError::Invalid(
            "the trip count must be int64 and the condition bool".into(),
        ));
    }
    let before = s.kept.subgraphs.len();
    let plain = build(s, &body, &label, i0, m, cond, &state, &ishape);
    let Err(why) = plain else { return plain };
    s.kept.subgraphs.truncate(before);
    let (Some(trips), Some(true)) = (
        s.c.value(m)
            .and_then(|v| v.data.to_i64())
            .and_then(|v| v.first().copied()),
        const_truth(&s.c, cond)?,
    ) else {
        return Err(why);
    };
    if trips < 1 {
        return Err(why);
    }
    // Iteration 0 inline, then a WHILE from iteration 1. Should either fail, the nodes and
    // subgraphs they added go again (the Loop is then kept as a whole).
    let nodes = s.c.g.nodes.len();
    let undo = |s: &mut Scope<'_, '_>| {
        s.c.g.nodes.truncate(nodes);
        s.kept.subgraphs.truncate(before);
    };
    let saved = (s.c.names.clone(), s.c.recording);
    s.c.recording = true;
    for (slot, vi) in body.input.iter().enumerate() {
        let id = match slot {
            0 => i0,
            1 => cond,
            k => *state
                .get(k - 2)
                .ok_or_else(|| NodeError::Invalid("internal: loop state".into()))?,
        };
        if let Some(name) = vi.name.as_deref().filter(|n| !n.is_empty()) {
            s.c.names.insert(name.to_string(), id);
        }
    }
    let first = body_nodes(s, &body);
    (s.c.names, s.c.recording) = saved;
    s.c.node = label.clone();
    let first = match first {
        Ok(f) => f,
        Err(e) => {
            undo(s);
            return Err(NodeError::Unsupported(format!(
                "{why}; translating its first iteration apart: {e}"
            )));
        }
    };
    let (c1, rest) = first
        .split_first()
        .ok_or_else(|| NodeError::Invalid("the body gives no condition".into()))?;
    let c1 = s.c.reshape(*c1, &[])?;
    let state1 = rest.get(..state.len()).unwrap_or_default().to_vec();
    let name = s.c.fresh("iter");
    let i1 = s.c.konst(&name, one_of(1));
    build(s, &body, &label, i1, m, c1, &state1, &ishape).map_err(|e| {
        undo(s);
        NodeError::Unsupported(format!("{why}; after its first iteration apart: {e}"))
    })
}

/// The WHILE node of a `Loop` from iteration tensor `i0`, trip count `m`, condition `cond`
/// and loop-carried `state`; the loop's outputs.
#[expect(
    clippy::too_many_arguments,
    reason = "the loop variables, named as the WHILE carries them"
)]
fn build(
    s: &mut Scope<'_, '_>,
    body: &super::super::proto::GraphProto,
    label: &str,
    i0: TensorId,
    m: TensorId,
    cond: TensorId,
    state: &[TensorId],
    ishape: &[usize],
) -> NodeResult<Vec<TensorId>> {
    let carried = state.len();
    let refs = outer_refs(body)?;
    let caps = captures(s, &refs)?;
    let mut params = vec![
        (String::new(), DType::I64, ishape.to_vec()),
        (String::new(), DType::I64, ishape.to_vec()),
        (String::new(), DType::Bool, Vec::new()),
    ];
    for &v in state {
        params.push((String::new(), s.c.dtype(v), s.c.shape(v)));
    }
    let (ci, _) = child(s, &format!("{label}/cond"), &params, &caps, |s, p, _| {
        let (Some(&i), Some(&m), Some(&c)) = (p.first(), p.get(1), p.get(2)) else {
            return Err(NodeError::Invalid("internal: loop variables".into()));
        };
        let less = s.c.emit_as(
            Op::Compare(CompareKind::Less),
            vec![Some(i), Some(m)],
            DType::Bool,
        )?;
        let go = s.c.emit1(
            Op::MathBin(MathBinKind::LogicalAnd),
            vec![Some(less), Some(c)],
        )?;
        Ok(vec![s.c.reshape(go, &[])?])
    })?;
    let state_types: Vec<(DType, Vec<usize>)> = state
        .iter()
        .map(|&v| (s.c.dtype(v), s.c.shape(v)))
        .collect();
    let (bi, types) = child(s, &format!("{label}/body"), &params, &caps, |s, p, cs| {
        let (Some(&i), Some(&m)) = (p.first(), p.get(1)) else {
            return Err(NodeError::Invalid("internal: loop variables".into()));
        };
        // The ONNX body's inputs are the iteration number, the condition and the state.
        for (slot, vi) in body.input.iter().enumerate() {
            let id = match slot {
                0 => i,
                k => *p
                    .get(k + 1)
                    .ok_or_else(|| NodeError::Invalid("internal: loop variables".into()))?,
            };
            if let Some(name) = vi.name.as_deref().filter(|n| !n.is_empty()) {
                s.c.names.insert(name.to_string(), id);
            }
        }
        let outs = body_nodes(s, body)?;
        let one = {
            let name = s.c.fresh("one");
            s.c.konst(&name, Value::new(ishape.to_vec(), Data::I64(vec![1])))
        };
        let next = s.c.binary(BinaryKind::Add, i, one)?;
        let (cond_out, rest) = outs
            .split_first()
            .ok_or_else(|| NodeError::Invalid("the body gives no condition".into()))?;
        let cond_out = s.c.reshape(*cond_out, &[])?;
        let mut all = vec![next, m, cond_out];
        all.extend(rest.iter().copied());
        all.extend(cs.iter().copied());
        Ok(all)
    })?;
    // Every loop variable keeps its type across iterations.
    let mut want = vec![
        (DType::I64, ishape.to_vec()),
        (DType::I64, ishape.to_vec()),
        (DType::Bool, Vec::new()),
    ];
    want.extend(state_types.iter().cloned());
    want.extend(
        caps.iter()
            .filter(|c| !c.konst)
            .map(|c| (c.tensor.dtype, c.tensor.shape.clone())),
    );
    if types != want {
        refuse!(
            "a loop-carried value changes type or shape in the body ({:?} in, {:?} out)",
            want.get(3..).unwrap_or_default(),
            types.get(3..).unwrap_or_default()
        );
    }
    s.c.node = label.to_string();
    let mut inputs = vec![Some(i0), Some(m), Some(cond)];
    inputs.extend(state.iter().map(|&v| Some(v)));
    inputs.extend(caps.iter().filter(|c| !c.konst).map(|c| Some(c.id)));
    let outs = call(
        s,
        label,
        "WHILE",
        vec![
            ("cond_subgraph_index".into(), AttrValue::Int(ci as i64)),
            ("body_subgraph_index".into(), AttrValue::Int(bi as i64)),
        ],
        inputs,
        &want,
    )?;
    Ok(outs.get(3..3 + carried).unwrap_or_default().to_vec())
}
