//! The prepared form of one graph of a model (the main graph or a subgraph a control-flow node
//! calls): validation (every op runnable, order valid, constants decoded, fp16/sparse weights
//! folded into dense f32 constants), the steps to run, each tensor's last use, the fused plan
//! and the per-node prepared state.

use std::collections::BTreeMap;

use super::control::Control;
use super::fuse;
use crate::error::{Error, GraphError, OpError, Result};
use crate::ir::{DType, Graph, Node, Op, Value};
use crate::ops;

/// `last_use` marker of a tensor that no step reads (its value is dropped at once).
pub(crate) const UNUSED: usize = usize::MAX - 1;

pub(crate) fn node_label(i: usize, n: &Node) -> String {
    if n.name.is_empty() {
        format!("#{i}")
    } else {
        format!("#{i} '{}'", n.name)
    }
}

/// One graph, ready to run.
pub(crate) struct Body {
    /// Decoded constants (and folded DEQUANTIZE/DENSIFY outputs), by tensor id.
    pub consts: Vec<Option<Value>>,
    /// Nodes to execute, in order (folded nodes are skipped).
    pub steps: Vec<usize>,
    /// For each tensor, the step index of its last consumer (`usize::MAX` if kept to the end).
    pub last_use: Vec<usize>,
    /// The plan with explicit PADs folded into convolutions, used by runs without an observer.
    pub fused: Option<fuse::Plan>,
    /// Per-node state from constant weights (packed int8 weights), made on first use.
    pub prepared: Vec<std::sync::OnceLock<ops::Prepared>>,
    /// Per node: the control-flow or variable op the session runs itself.
    pub control: Vec<Option<Control>>,
}

impl Body {
    /// Prepare `graph` (`root` holds every subgraph a control node may call). Ops that cannot
    /// run are counted into `unsupported` (the caller reports them all at once).
    pub fn new(
        graph: &Graph,
        root: &Graph,
        unsupported: &mut BTreeMap<String, usize>,
    ) -> Result<Body> {
        let nt = graph.tensors.len();
        let mut consts: Vec<Option<Value>> = vec![None; nt];
        for (i, t) in graph.tensors.iter().enumerate() {
            // A variable tensor without data (RNN state) starts at zero, as in LiteRT.
            if t.is_variable && t.data.is_none() && t.dtype == DType::F32 {
                consts[i] = Some(Value::f32(t.shape.clone(), vec![0.0; t.numel()]));
            }
            if t.data.is_some() && t.sparsity.is_none() && t.dtype.is_runnable() {
                consts[i] = Some(Value::from_const(t).ok_or_else(|| {
                    GraphError::Tensor(format!(
                        "tensor {i} '{}': constant data does not match its shape",
                        t.name
                    ))
                })?);
            }
        }
        // Fold DEQUANTIZE / DENSIFY of constants into dense f32 constants, once.
        let mut steps = Vec::new();
        let mut control = vec![None; graph.nodes.len()];
        let mut available: Vec<bool> = (0..nt)
            .map(|i| {
                let t = &graph.tensors[i];
                t.data.is_some()
                    || (t.is_variable && t.dtype == DType::F32)
                    || graph.inputs.contains(&i)
            })
            .collect();
        for (i, n) in graph.nodes.iter().enumerate() {
            for &t in n.inputs.iter().flatten() {
                if !available[t] {
                    return Err(GraphError::Cycle {
                        node: node_label(i, n),
                        op: n.op.name(),
                        tensor: t,
                        name: graph.tensors[t].name.clone(),
                    }
                    .into());
                }
            }
            let const_in = n.input(0).and_then(|t| consts[t].as_ref());
            let ctl = Control::of(&n.op);
            match (&n.op, const_in) {
                _ if ctl.is_some() => {
                    if let Some(c) = &ctl {
                        c.check(root, n.inputs.len(), n.outputs.len())
                            .map_err(|m| Error::Eval {
                                node: node_label(i, n),
                                op: n.op.name(),
                                source: OpError::Invalid(m.to_string()),
                            })?;
                    }
                    control[i] = ctl;
                    steps.push(i);
                }
                (Op::Dequantize, Some(v)) => {
                    let q = n.input(0).and_then(|t| graph.tensors[t].quant.as_ref());
                    let f = ops::dequantize_value(v, q).map_err(|source| Error::Eval {
                        node: node_label(i, n),
                        op: n.op.name(),
                        source,
                    })?;
                    if let Some(&o) = n.outputs.first() {
                        consts[o] = Some(f);
                    }
                }
                (Op::Densify, _)
                    if n.input(0).is_some_and(|t| {
                        graph.tensors[t].sparsity.is_some() && graph.tensors[t].data.is_some()
                    }) =>
                {
                    let t = n
                        .input(0)
                        .map(|t| &graph.tensors[t])
                        .ok_or_else(|| GraphError::Tensor("DENSIFY without input".into()))?;
                    let v = ops::densify_tensor(t).map_err(|e| Error::Eval {
                        node: node_label(i, n),
                        op: n.op.name(),
                        source: OpError::Invalid(format!("sparse tensor '{}': {e}", t.name)),
                    })?;
                    if let Some(&o) = n.outputs.first() {
                        consts[o] = Some(v);
                    }
                }
                _ => {
                    let dts: Vec<Option<DType>> = n
                        .inputs
                        .iter()
                        .map(|t| t.map(|t| graph.tensors[t].dtype))
                        .collect();
                    let odd = n
                        .inputs
                        .iter()
                        .flatten()
                        .chain(&n.outputs)
                        .map(|&t| graph.tensors[t].dtype)
                        .find(|d| !d.is_runnable());
                    let reason = match (ops::unsupported_reason(&n.op, &dts), odd) {
                        (Some(r), _) => Some(r),
                        (None, Some(d)) => Some(format!("{} on {d} tensors", n.op.name())),
                        (None, None) => None,
                    };
                    if let Some(r) = reason {
                        *unsupported.entry(r).or_default() += 1;
                    }
                    steps.push(i);
                }
            }
            for &o in &n.outputs {
                available[o] = true;
            }
        }
        for &o in &graph.outputs {
            if !available[o] {
                return Err(GraphError::OutputNotProduced {
                    tensor: o,
                    name: graph.tensors[o].name.clone(),
                }
                .into());
            }
        }
        let mut last_use = vec![UNUSED; nt];
        for (s, &i) in steps.iter().enumerate() {
            for &t in graph.nodes[i].inputs.iter().flatten() {
                last_use[t] = s;
            }
        }
        for &o in &graph.outputs {
            last_use[o] = usize::MAX;
        }
        let fused = fuse::fold_pads(graph, &consts, &steps, UNUSED);
        Ok(Body {
            fused,
            consts,
            steps,
            last_use,
            prepared: (0..graph.nodes.len()).map(|_| Default::default()).collect(),
            control,
        })
    }
}

/// For each subgraph index (0 = the main graph), whether a run can reach it: the main graph
/// and whatever its control-flow nodes call, transitively.
pub(crate) fn reachable(root: &Graph) -> Vec<bool> {
    let mut seen = vec![false; root.subgraphs.len() + 1];
    let mut todo = vec![0usize];
    while let Some(i) = todo.pop() {
        if seen.get(i).copied() != Some(false) {
            continue;
        }
        seen[i] = true;
        if let Some(g) = root.subgraph(i) {
            for n in &g.nodes {
                if let Some(c) = Control::of(&n.op) {
                    todo.extend(c.callees());
                }
            }
        }
    }
    seen
}
