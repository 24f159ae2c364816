//! ONNX control flow. An `If` whose condition is a constant once the input sizes are chosen
//! (`If(Equal(Shape(x)[k], c))`, the usual batch and sample-rate checks) is replaced by the
//! branch it takes: the branch's nodes are translated in place, its own names scoped to it,
//! outer-scope names read as they are. A data-dependent `If` becomes an `IF` node calling two
//! subgraphs, and `Loop` a `WHILE` node with a cond and a body subgraph.
//!
//! Subgraphs have their own tensors: the outer values a body reads become extra inputs of the
//! subgraph (the caller passes them; a loop carries them through unchanged), except
//! constants, which are copied in so that shape arithmetic still folds inside the body. The
//! `WHILE` of a `Loop` carries `[iteration, trip count, condition, state..., captures...]`;
//! its cond subgraph is `iteration < trip count && condition`. Loop-carried values must keep
//! their type and shape from one iteration to the next, and scan outputs are refused (the
//! node is then kept), so every tensor keeps the static shape the importer inferred.

use prost::Message;

use super::super::ctx::{Ctx, Node, NodeResult, first};
use super::super::error::{NodeError, refuse};
use super::super::import::{Scope, translate};
use super::super::proto::GraphProto;
use super::{MANY, OpSpec, opt, spec};
use crate::ir::*;

/// The control-flow rows. The driver translates these itself ([`import`]), since a body is a
/// list of nodes translated like the graph's own; the row's function is never called.
pub(crate) const OPS: &[OpSpec] = &[
    spec(
        "If",
        7..=28,
        1..=1,
        1..=MANY,
        &[opt("then_branch"), opt("else_branch")],
        by_driver,
    ),
    OpSpec {
        required: 0,
        ..spec(
            "Loop",
            11..=28,
            2..=MANY,
            0..=MANY,
            &[opt("body")],
            by_driver,
        )
    },
];

pub(super) fn by_driver(_: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    Err(NodeError::Invalid(format!(
        "internal: {} is translated by the import driver",
        n.op
    )))
}

/// Deepest nesting of bodies translated (hostile files nest graphs without end).
const MAX_DEPTH: usize = 16;

/// Whether the row is one of the control-flow ops the driver hands to [`import`].
pub(crate) fn handles(spec: &OpSpec) -> bool {
    spec.domain.is_empty() && matches!(spec.name, "If" | "Loop" | "Scan")
}

/// Translate a control-flow node (already checked against its row).
pub(crate) fn import(s: &mut Scope<'_, '_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    if s.depth >= MAX_DEPTH {
        refuse!("bodies nested more than {MAX_DEPTH} deep");
    }
    s.depth += 1;
    let r = match n.op {
        "If" => import_if(s, n),
        "Scan" => super::unroll::scan(s, n),
        _ => super::while_loop::import(s, n),
    };
    s.depth -= 1;
    r
}

/// Graph attribute `key` of `n`, decoded.
pub(super) fn graph_attr(n: &Node<'_>, key: &str) -> NodeResult<GraphProto> {
    let bytes = n
        .proto
        .attribute
        .iter()
        .find(|a| a.name.as_deref() == Some(key))
        .and_then(|a| a.g.as_ref())
        .ok_or_else(|| NodeError::BadAttribute {
            attr: key.into(),
            why: "is required (a graph)".into(),
        })?;
    GraphProto::decode(bytes.as_slice())
        .map_err(|e| NodeError::Invalid(format!("attribute '{key}' is not a graph: {e}")))
}

/// The truth of a constant condition (one element, bool or a number).
pub(super) fn const_truth(c: &Ctx<'_>, t: TensorId) -> NodeResult<Option<bool>> {
    let Some(v) = c.value(t) else {
        return Ok(None);
    };
    let b = match &v.data {
        Data::Bool(b) if b.len() == 1 => b.first().copied(),
        d => d
            .to_i64()
            .filter(|x| x.len() == 1)
            .and_then(|x| x.first().map(|&x| x != 0)),
    };
    b.map(Some).ok_or_else(|| {
        NodeError::Invalid(format!(
            "the condition must have one element, got shape {:?}",
            v.shape
        ))
    })
}

fn import_if(s: &mut Scope<'_, '_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let then = graph_attr(n, "then_branch")?;
    let els = graph_attr(n, "else_branch")?;
    for g in [&then, &els] {
        if g.output.len() != n.outputs() {
            return Err(NodeError::Invalid(format!(
                "a branch gives {} outputs, the node has {}",
                g.output.len(),
                n.outputs()
            )));
        }
    }
    let cond = s.c.need(n, 0)?;
    if let Some(b) = const_truth(&s.c, cond)? {
        return inline(s, if b { &then } else { &els });
    }
    let mut refs = outer_refs(&then)?;
    for r in outer_refs(&els)? {
        if !refs.contains(&r) {
            refs.push(r);
        }
    }
    let caps = captures(s, &refs)?;
    let label = s.c.node.clone();
    let before = s.kept.subgraphs.len();
    let t = child(s, &format!("{label}/then"), &[], &caps, |s, _, _| {
        body_nodes(s, &then)
    });
    let after_then = s.kept.subgraphs.len();
    // ONNX lets the branches differ in shape; where an else output has the then output's
    // element count (a scalar and a one-element vector), it takes the then output's shape.
    let want: Vec<Vec<usize>> = t
        .as_ref()
        .map(|(_, ty)| ty.iter().map(|(_, sh)| sh.clone()).collect())
        .unwrap_or_default();
    let e = child(s, &format!("{label}/else"), &[], &caps, |s, _, _| {
        let outs = body_nodes(s, &els)?;
        outs.into_iter()
            .enumerate()
            .map(|(k, o)| match want.get(k) {
                Some(w)
                    if *w != s.c.shape(o)
                        && w.iter().product::<usize>()
                            == s.c.shape(o).iter().product::<usize>() =>
                {
                    s.c.reshape(o, w)
                }
                _ => Ok(o),
            })
            .collect()
    });
    // A branch that does not translate at these input sizes (silero-vad's 8 kHz branch fed
    // 512 samples, which ONNX Runtime also fails to run) becomes one that fails when taken,
    // so the other still runs; the subgraphs its translation left behind are dropped. Both
    // branches then also take the condition, from which the failing one computes its index.
    let mut inputs = vec![Some(cond)];
    let ((ti, t_types), (ei, e_types)) = match (t, e) {
        (Ok(t), Ok(e)) => (t, e),
        (Ok(t), Err(why)) => {
            s.kept.subgraphs.truncate(after_then);
            take_condition(s, t.0);
            inputs.push(Some(cond));
            let e = failing_branch(s, &format!("{label}/else"), &why, &t.1, &caps)?;
            (t, e)
        }
        (Err(why), Ok(e)) => {
            // The then-branch's leftovers sit before the else-branch's subgraphs: kept, so
            // that the else-branch's calls keep their indices.
            take_condition(s, e.0);
            inputs.push(Some(cond));
            let t = failing_branch(s, &format!("{label}/then"), &why, &e.1, &caps)?;
            (t, e)
        }
        (Err(why), Err(_)) => {
            s.kept.subgraphs.truncate(before);
            return Err(why);
        }
    };
    if t_types != e_types {
        refuse!(
            "the branches give outputs of different types or shapes ({t_types:?} and {e_types:?})"
        );
    }
    s.c.node = label.clone();
    inputs.extend(caps.iter().filter(|c| !c.konst).map(|c| Some(c.id)));
    call(
        s,
        &label,
        "IF",
        vec![
            ("then_subgraph_index".into(), AttrValue::Int(ti as i64)),
            ("else_subgraph_index".into(), AttrValue::Int(ei as i64)),
        ],
        inputs,
        &t_types,
    )
}

/// Give subgraph `i` (a translated branch) a first input it does not read: the condition a
/// failing sibling needs.
fn take_condition(s: &mut Scope<'_, '_>, i: usize) {
    if let Some(g) = i.checked_sub(1).and_then(|k| s.kept.subgraphs.get_mut(k)) {
        let id = g.add_tensor(Tensor::new("cond", DType::Bool, Vec::new()));
        g.inputs.insert(0, id);
    }
}

/// A branch that fails with `why` when taken: it takes the condition, then the captures the IF
/// passes (read by none), and each output (of `types`) is guarded by `condition !=
/// condition` (`bounds::guarded`: a GATHER at index -1, refused by our engine and LiteRT at
/// run time; computed from an input, so that LiteRT's Prepare does not check it). The
/// subgraph is named after the reason, which `pocket inspect` and the run-time error show.
fn failing_branch(
    s: &mut Scope<'_, '_>,
    name: &str,
    why: &NodeError,
    types: &[(DType, Vec<usize>)],
    caps: &[Capture],
) -> NodeResult<(usize, Vec<(DType, Vec<usize>)>)> {
    let reason = format!(
        "{name} cannot run at these input sizes: {}",
        chain(why).replace('\n', " ")
    );
    let cond = [(String::new(), DType::Bool, Vec::new())];
    let (i, got) = child(s, &reason, &cond, caps, |s, p, _| {
        let c = *p
            .first()
            .ok_or_else(|| NodeError::Invalid("internal: the condition".into()))?;
        // Never true, and known only at run time.
        let never = s.c.emit_as(
            Op::Compare(CompareKind::NotEqual),
            vec![Some(c), Some(c)],
            DType::Bool,
        )?;
        let mut outs = Vec::with_capacity(types.len());
        for (k, (dt, shape)) in types.iter().enumerate() {
            let p = s.c.fresh("never");
            let zero = s.c.konst(&p, Value::new(vec![1], Data::zeros(*dt, 1)));
            let node = format!("{name} (output {k})");
            let x = super::bounds::guarded(&mut s.c, zero, &[never], &node)?;
            outs.push(if shape.is_empty() {
                s.c.reshape(x, &[])?
            } else {
                let want: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
                let to = s.c.ints_const("shape", &want);
                let op = Op::Movement(crate::ir::Movement::BroadcastTo);
                first(s.c.push(&node, op, vec![Some(x), Some(to)], &[*dt])?)?
            });
        }
        Ok(outs)
    })?;
    if got != types {
        return Err(NodeError::Invalid(format!(
            "internal: the failing branch gives {got:?}, not {types:?}"
        )));
    }
    Ok((i, got))
}

/// Add a node calling subgraphs; its outputs have `types`.
pub(super) fn call(
    s: &mut Scope<'_, '_>,
    label: &str,
    op: &str,
    attrs: Vec<(String, AttrValue)>,
    inputs: Vec<Option<TensorId>>,
    types: &[(DType, Vec<usize>)],
) -> NodeResult<Vec<TensorId>> {
    let outputs: Vec<TensorId> = types
        .iter()
        .enumerate()
        .map(|(i, (dt, shape))| {
            let name = format!("{label}:{i}");
            s.c.g.add_tensor(Tensor::new(name, *dt, shape.clone()))
        })
        .collect();
    s.c.g
        .add_node(crate::ir::Node {
            name: label.to_string(),
            op: Op::Custom {
                name: op.into(),
                // Written back as the TFLite builtin (code and options union tag).
                attrs: crate::formats::tflite::options::kept_builtin_attrs(op)
                    .unwrap_or_default()
                    .into_iter()
                    .chain(attrs)
                    .collect(),
            },
            inputs,
            outputs: outputs.clone(),
            version: None,
        })
        .map_err(NodeError::Graph)?;
    Ok(outputs)
}

/// The chosen branch of a constant `If`, translated into the current graph.
fn inline(s: &mut Scope<'_, '_>, g: &GraphProto) -> NodeResult<Vec<TensorId>> {
    let saved = s.c.names.clone();
    let label = s.c.node.clone();
    let r = body_nodes(s, g);
    s.c.names = saved;
    s.c.node = label;
    r
}

/// Translate the initializers and nodes of body `g` into the current graph; its outputs.
pub(super) fn body_nodes(s: &mut Scope<'_, '_>, g: &GraphProto) -> NodeResult<Vec<TensorId>> {
    for t in &g.initializer {
        let name = t.name.clone().unwrap_or_default();
        let v = s.c.tensor_value(t)?;
        let id = s.c.konst(&name, v);
        s.c.names.insert(name, id);
    }
    for (k, bn) in g.node.iter().enumerate() {
        // A body that does not translate keeps the whole node (the model still opens).
        translate(s, bn, k).map_err(|e| NodeError::Unsupported(chain(&e)))?;
        if s.c.recording {
            for o in &bn.output {
                if let Some(&id) = s.c.names.get(o) {
                    let shape = s.c.shape(id);
                    s.c.assumed.insert(o.clone(), shape);
                }
            }
        }
    }
    g.output
        .iter()
        .map(|o| {
            let name = o.name.as_deref().unwrap_or("");
            s.c.names
                .get(name)
                .copied()
                .ok_or_else(|| NodeError::UnknownInput(name.into()))
        })
        .collect()
}

/// An error with its causes, in one line.
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        s.push_str(&format!(": {c}"));
        cur = c.source();
    }
    s
}

/// The names a body reads from outer scopes (its nested bodies' included), in first-use order.
pub(super) fn outer_refs(g: &GraphProto) -> NodeResult<Vec<String>> {
    let mut defined: std::collections::HashSet<&str> = g
        .input
        .iter()
        .filter_map(|v| v.name.as_deref())
        .chain(g.initializer.iter().filter_map(|t| t.name.as_deref()))
        .collect();
    for n in &g.node {
        defined.extend(n.output.iter().map(String::as_str));
    }
    let mut out: Vec<String> = Vec::new();
    let add = |x: &str, out: &mut Vec<String>| {
        if !x.is_empty() && !defined.contains(x) && !out.iter().any(|o| o == x) {
            out.push(x.to_string());
        }
    };
    for n in &g.node {
        for x in &n.input {
            add(x, &mut out);
        }
        for a in &n.attribute {
            let nested = a.g.iter().chain(&a.graphs);
            for bytes in nested {
                let sub = GraphProto::decode(bytes.as_slice()).map_err(|e| {
                    NodeError::Invalid(format!("a nested body is not a graph: {e}"))
                })?;
                for x in outer_refs(&sub)? {
                    add(&x, &mut out);
                }
            }
        }
    }
    Ok(out)
}

/// An outer value a body reads.
pub(super) struct Capture {
    /// Its ONNX name.
    pub name: String,
    /// Its tensor in the calling graph.
    pub id: TensorId,
    /// That tensor (copied into the subgraph when constant).
    pub tensor: Tensor,
    /// Whether it is a constant.
    pub konst: bool,
}

/// The outer values `refs` names, looked up in the current graph.
pub(super) fn captures(s: &Scope<'_, '_>, refs: &[String]) -> NodeResult<Vec<Capture>> {
    refs.iter()
        .map(|name| {
            let id =
                *s.c.names
                    .get(name)
                    .ok_or_else(|| NodeError::UnknownInput(name.clone()))?;
            if s.kept.unknown.contains(&id) {
                refuse!("the body reads '{name}', a tensor of unknown shape");
            }
            let tensor = s.c.tensor(id).clone();
            Ok(Capture {
                name: name.clone(),
                id,
                konst: tensor.data.is_some(),
                tensor,
            })
        })
        .collect()
}

/// A subgraph built in a fresh context and added to the model: its inputs are `params`
/// (ONNX name, type, shape), then one per non-constant capture; `body` fills it and returns
/// its outputs. Gives the subgraph's index and its outputs' types.
pub(super) fn child<F>(
    s: &mut Scope<'_, '_>,
    name: &str,
    params: &[(String, DType, Vec<usize>)],
    caps: &[Capture],
    body: F,
) -> NodeResult<(usize, Vec<(DType, Vec<usize>)>)>
where
    F: FnOnce(&mut Scope<'_, '_>, &[TensorId], &[TensorId]) -> NodeResult<Vec<TensorId>>,
{
    let mut fresh = Ctx::new(s.c.dir, s.c.opset);
    fresh.assumed = s.c.assumed.clone();
    fresh.recording = s.c.recording;
    let parent = std::mem::replace(&mut s.c, fresh);
    let unknown = std::mem::take(&mut s.kept.unknown);
    let tainted = std::mem::take(&mut s.kept.tainted);
    s.c.node = parent.node.clone();
    let r = fill(s, params, caps, body);
    let built = std::mem::replace(&mut s.c, parent);
    let inner_unknown = std::mem::replace(&mut s.kept.unknown, unknown);
    s.kept.tainted = tainted;
    let outs = r?;
    let mut g = built.g;
    if outs.iter().any(|o| inner_unknown.contains(o)) {
        match first_reason(&g) {
            Some(why) => refuse!("an output of the body '{name}' has an unknown shape ({why})"),
            None => refuse!("an output of the body '{name}' has an unknown shape"),
        }
    }
    g.name = name.to_string();
    let types = outs
        .iter()
        .filter_map(|&o| g.tensors.get(o))
        .map(|t| (t.dtype, t.shape.clone()))
        .collect();
    s.kept.subgraphs.push(g);
    Ok((s.kept.subgraphs.len(), types))
}

/// The first reason a node of `g` was kept, other than reading another kept node's output.
fn first_reason(g: &Graph) -> Option<String> {
    g.nodes
        .iter()
        .find_map(|n| match n.op.attr("not_translated") {
            Some(AttrValue::Str(w)) if !w.starts_with("reads a tensor of unknown shape") => {
                Some(format!("{} '{}': {w}", n.op.name(), n.name))
            }
            _ => None,
        })
}

fn fill<F>(
    s: &mut Scope<'_, '_>,
    params: &[(String, DType, Vec<usize>)],
    caps: &[Capture],
    body: F,
) -> NodeResult<Vec<TensorId>>
where
    F: FnOnce(&mut Scope<'_, '_>, &[TensorId], &[TensorId]) -> NodeResult<Vec<TensorId>>,
{
    let c = &mut s.c;
    let mut ps = Vec::new();
    for (name, dt, shape) in params {
        let id =
            c.g.add_tensor(Tensor::new(name.as_str(), *dt, shape.clone()));
        c.g.inputs.push(id);
        if !name.is_empty() {
            c.names.insert(name.clone(), id);
        }
        ps.push(id);
    }
    let mut cs = Vec::new();
    for cap in caps {
        let id = if cap.konst {
            c.g.add_tensor(cap.tensor.clone())
        } else {
            let mut t = Tensor::new(
                cap.name.as_str(),
                cap.tensor.dtype,
                cap.tensor.shape.clone(),
            );
            t.quant = cap.tensor.quant.clone();
            let id = c.g.add_tensor(t);
            c.g.inputs.push(id);
            cs.push(id);
            id
        };
        c.names.insert(cap.name.clone(), id);
    }
    let outs = body(s, &ps, &cs)?;
    let mut done = Vec::with_capacity(outs.len());
    for o in outs {
        let o = as_output(&mut s.c, o, &done)?;
        done.push(o);
    }
    s.c.g.outputs = done.clone();
    Ok(done)
}

/// `t` as a subgraph output: a node output not yet listed (inputs, constants and repeated
/// outputs pass through an identity reshape).
fn as_output(c: &mut Ctx<'_>, t: TensorId, listed: &[TensorId]) -> NodeResult<TensorId> {
    if !(c.g.inputs.contains(&t) || c.tensor(t).data.is_some() || listed.contains(&t)) {
        return Ok(t);
    }
    let s: Vec<i64> = c.shape(t).iter().map(|&d| d as i64).collect();
    let shape = c.ints_const("shape", &s);
    let dt = c.dtype(t);
    let name = c.fresh("out");
    first(c.push(
        &name,
        Op::Reshape { new_shape: None },
        vec![Some(t), Some(shape)],
        &[dt],
    )?)
}

/// The static type of a body input the file declares (`fallback` where it does not).
pub(super) fn declared(
    g: &GraphProto,
    i: usize,
    fallback: (DType, Vec<usize>),
) -> (DType, Vec<usize>) {
    let Some(tt) = g
        .input
        .get(i)
        .and_then(|v| v.r#type.as_ref())
        .and_then(|t| t.tensor_type.as_ref())
    else {
        return fallback;
    };
    let dt = tt
        .elem_type
        .and_then(super::super::tensor::engine_dtype)
        .unwrap_or(fallback.0);
    let shape = tt.shape.as_ref().and_then(|s| {
        s.dim
            .iter()
            .map(|d| d.dim_value.and_then(|v| usize::try_from(v).ok()))
            .collect::<Option<Vec<usize>>>()
    });
    (dt, shape.unwrap_or(fallback.1))
}
