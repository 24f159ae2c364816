//! A model at a glance: inputs/outputs, op counts, parameters, size by dtype, MACs, and the ops
//! the runtime cannot execute. Shared by `pocket inspect` and the studio.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::ir::{DType, Graph, Op};
use crate::ops;

/// One graph input or output.
#[derive(Debug, Clone, Serialize)]
pub struct IoInfo {
    /// User-facing name.
    pub name: String,
    /// Element type.
    pub dtype: DType,
    /// Shape (-1 for dynamic dims).
    pub shape: Vec<i64>,
    /// (scale, zero point) when quantized per tensor.
    pub quant: Option<(f32, i64)>,
    /// False when the file does not state this tensor's type and shape (`dtype` and `shape`
    /// are then placeholders).
    pub known: bool,
}

/// Count of one op type.
#[derive(Debug, Clone, Serialize)]
pub struct OpCount {
    /// Op name.
    pub op: String,
    /// Number of nodes.
    pub count: usize,
    /// Multiply-accumulates of these nodes.
    pub macs: u64,
}

/// Summary of a model.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    /// Model description.
    pub description: Option<String>,
    /// Graph inputs.
    pub inputs: Vec<IoInfo>,
    /// Graph outputs.
    pub outputs: Vec<IoInfo>,
    /// Number of nodes.
    pub nodes: usize,
    /// Number of tensors.
    pub tensors: usize,
    /// Number of constant parameters.
    pub params: usize,
    /// Bytes of constant data by dtype.
    pub weight_bytes: BTreeMap<String, usize>,
    /// Total multiply-accumulates for one inference.
    pub macs: u64,
    /// Per-op-type counts, most frequent first.
    pub ops: Vec<OpCount>,
    /// Ops the runtime cannot execute (with node counts); empty when the model runs.
    pub unsupported: Vec<String>,
    /// Class labels from metadata.
    pub labels: usize,
    /// Tensors by element type over every subgraph (`f32`, `resource`, ...).
    pub dtypes: BTreeMap<String, usize>,
    /// Every subgraph of the file, the main graph first.
    pub subgraphs: Vec<SubgraphInfo>,
    /// Every node kept without a translation (custom ops, unknown builtins, untranslated ONNX
    /// ops, control flow), in every subgraph.
    pub kept: Vec<KeptNode>,
}

/// One subgraph of the file.
#[derive(Debug, Clone, Serialize)]
pub struct SubgraphInfo {
    /// Index in the file (0 = the main graph).
    pub index: usize,
    /// Name in the file.
    pub name: String,
    /// Inputs.
    pub inputs: Vec<IoInfo>,
    /// Outputs.
    pub outputs: Vec<IoInfo>,
    /// Number of nodes.
    pub nodes: usize,
    /// Number of tensors.
    pub tensors: usize,
    /// The nodes that call it: `subgraph 0 node 3 'x' (WHILE body_subgraph_index)`.
    pub called_by: Vec<String>,
}

/// A node kept as `Op::Custom`.
#[derive(Debug, Clone, Serialize)]
pub struct KeptNode {
    /// Subgraph index (0 = the main graph).
    pub subgraph: usize,
    /// Node index in its subgraph.
    pub node: usize,
    /// Node name.
    pub name: String,
    /// Op name (custom code, builtin name, ONNX op type).
    pub op: String,
    /// Attributes, readable (`hidden_size = 128`).
    pub attrs: Vec<(String, String)>,
    /// The session runs it (control flow, resource variables, CALL_ONCE); else nothing can.
    pub runs: bool,
}

fn subgraph_infos(g: &Graph) -> Vec<SubgraphInfo> {
    let callers = g.subgraph_callers();
    (0..=g.subgraphs.len())
        .filter_map(|i| g.subgraph(i).map(|sg| (i, sg)))
        .map(|(i, sg)| {
            let ios = |ids: &[usize]| -> Vec<IoInfo> {
                ids.iter()
                    .map(|&t| io(sg, t, sg.tensors[t].name.clone()))
                    .collect()
            };
            let called_by = callers
                .get(i)
                .into_iter()
                .flatten()
                .filter_map(|&(s, n)| {
                    let node = g.subgraph(s)?.nodes.get(n)?;
                    let how: Vec<&str> = node
                        .op
                        .called_subgraphs()
                        .into_iter()
                        .filter(|&(_, t)| t == i)
                        .map(|(k, _)| k)
                        .collect();
                    Some(format!(
                        "subgraph {s} node {n} '{}' ({} {})",
                        node.name,
                        node.op.name(),
                        how.join(", ")
                    ))
                })
                .collect();
            SubgraphInfo {
                index: i,
                name: sg.name.clone(),
                inputs: if i == 0 {
                    (0..g.inputs.len())
                        .map(|k| io(g, g.inputs[k], g.input_name(k)))
                        .collect()
                } else {
                    ios(&sg.inputs)
                },
                outputs: if i == 0 {
                    (0..g.outputs.len())
                        .map(|k| io(g, g.outputs[k], g.output_name(k)))
                        .collect()
                } else {
                    ios(&sg.outputs)
                },
                nodes: sg.nodes.len(),
                tensors: sg.tensors.len(),
                called_by,
            }
        })
        .collect()
}

fn kept_nodes(g: &Graph) -> Vec<KeptNode> {
    let mut out = Vec::new();
    for s in 0..=g.subgraphs.len() {
        let Some(sg) = g.subgraph(s) else { continue };
        for (i, n) in sg.nodes.iter().enumerate() {
            if let Op::Custom { name, attrs } = &n.op {
                out.push(KeptNode {
                    subgraph: s,
                    node: i,
                    name: n.name.clone(),
                    op: name.clone(),
                    attrs: attrs
                        .iter()
                        .map(|(k, v)| (k.clone(), v.to_string()))
                        .collect(),
                    runs: crate::runtime::runs_kept_op(&n.op),
                });
            }
        }
    }
    out
}

fn dtype_counts(g: &Graph) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for s in 0..=g.subgraphs.len() {
        for t in g.subgraph(s).into_iter().flat_map(|sg| &sg.tensors) {
            *m.entry(t.dtype.name().to_string()).or_default() += 1;
        }
    }
    m
}

fn io(g: &Graph, t: usize, name: String) -> IoInfo {
    let tensor = &g.tensors[t];
    let shape = match &tensor.signature {
        Some(s) => s.iter().map(|&d| d as i64).collect(),
        None => tensor.shape.iter().map(|&d| d as i64).collect(),
    };
    let quant = tensor
        .quant
        .as_ref()
        .filter(|q| q.scale.len() == 1)
        .map(|q| (q.scale[0], q.zero_point[0]));
    let known = g.known_shapes().get(t).copied().unwrap_or(true);
    IoInfo {
        name,
        dtype: tensor.dtype,
        shape,
        quant,
        known,
    }
}

/// MACs of node `i`.
pub fn node_macs(g: &Graph, i: usize) -> u64 {
    let n = &g.nodes[i];
    let ins: Vec<Option<&[usize]>> = n
        .inputs
        .iter()
        .map(|t| t.map(|t| g.tensors[t].shape.as_slice()))
        .collect();
    let outs: Vec<&[usize]> = n
        .outputs
        .iter()
        .map(|&t| g.tensors[t].shape.as_slice())
        .collect();
    ops::macs(&n.op, &ins, &outs)
}

/// Summarize a graph.
pub fn summarize(g: &Graph) -> Summary {
    let mut counts: BTreeMap<String, (usize, u64)> = BTreeMap::new();
    let mut macs = 0;
    let mut unsupported: BTreeMap<String, usize> = BTreeMap::new();
    let const_in = |t: Option<usize>| t.is_some_and(|t| g.tensors[t].is_const());
    for (i, n) in g.nodes.iter().enumerate() {
        let m = node_macs(g, i);
        macs += m;
        let e = counts.entry(n.op.name()).or_default();
        e.0 += 1;
        e.1 += m;
        let dts: Vec<Option<DType>> = n
            .inputs
            .iter()
            .map(|t| t.map(|t| g.tensors[t].dtype))
            .collect();
        let reason = match &n.op {
            Op::Dequantize if const_in(n.input(0)) => None,
            Op::Densify if n.input(0).is_some_and(|t| g.tensors[t].sparsity.is_some()) => None,
            // Control flow and state run in the session itself.
            op @ Op::Custom { .. } if crate::runtime::runs_kept_op(op) => None,
            op => ops::unsupported_reason(op, &dts).or_else(|| {
                let odd = n
                    .inputs
                    .iter()
                    .flatten()
                    .chain(&n.outputs)
                    .map(|&t| g.tensors[t].dtype)
                    .find(|d| !d.is_runnable())?;
                Some(format!("{} on {odd} tensors", op.name()))
            }),
        };
        if let Some(r) = reason {
            *unsupported.entry(r).or_default() += 1;
        }
    }
    let mut ops: Vec<OpCount> = counts
        .into_iter()
        .map(|(op, (count, macs))| OpCount { op, count, macs })
        .collect();
    ops.sort_by(|a, b| b.count.cmp(&a.count).then(a.op.cmp(&b.op)));
    let mut weight_bytes = BTreeMap::new();
    for t in g.tensors.iter().filter(|t| t.is_const()) {
        *weight_bytes.entry(t.dtype.name().to_string()).or_default() +=
            t.data.as_ref().map_or(0, |d| d.len());
    }
    Summary {
        description: g.meta.description.clone(),
        inputs: g
            .inputs
            .iter()
            .enumerate()
            .map(|(i, &t)| io(g, t, g.input_name(i)))
            .collect(),
        outputs: g
            .outputs
            .iter()
            .enumerate()
            .map(|(i, &t)| io(g, t, g.output_name(i)))
            .collect(),
        nodes: g.nodes.len(),
        tensors: g.tensors.len(),
        params: g.param_count(),
        weight_bytes,
        macs,
        ops,
        unsupported: unsupported
            .into_iter()
            .map(|(k, c)| format!("{k} ({c} node{})", if c == 1 { "" } else { "s" }))
            .collect(),
        labels: g.meta.labels.len(),
        dtypes: dtype_counts(g),
        subgraphs: subgraph_infos(g),
        kept: kept_nodes(g),
    }
}
