//! The graph: tensors, nodes in execution order, inputs/outputs, signature and metadata.
//! Nodes enter through `Graph::add_node` (in `ops`), which runs shape inference.

use super::{Bytes, Op, Tensor, TensorId};

/// Index of a node in `Graph::nodes`.
pub type NodeId = usize;

/// One operation instance.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// Display name (TFLite has none: the first output tensor's name is used).
    pub name: String,
    /// The operation.
    pub op: Op,
    /// Input tensors; `None` marks an absent optional input.
    pub inputs: Vec<Option<TensorId>>,
    /// Output tensors.
    pub outputs: Vec<TensorId>,
    /// Operator version from the file (kept so that writing back is faithful); `None` lets the
    /// exporter choose.
    pub version: Option<i32>,
}

impl Node {
    /// The `i`-th input, if present.
    pub fn input(&self, i: usize) -> Option<TensorId> {
        self.inputs.get(i).copied().flatten()
    }
}

/// A named entry point mapping user-facing names to tensors.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Signature {
    /// Signature key (`serving_default`).
    pub key: String,
    /// (name, tensor) of each input.
    pub inputs: Vec<(String, TensorId)>,
    /// (name, tensor) of each output.
    pub outputs: Vec<(String, TensorId)>,
}

/// Metadata of one input or output tensor from TFLite model metadata.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct TensorMeta {
    /// Name given in the metadata.
    pub name: Option<String>,
    /// Per-channel (or single) normalization mean: `(x - mean) / std`.
    pub mean: Vec<f32>,
    /// Per-channel (or single) normalization std.
    pub std: Vec<f32>,
    /// Colour space: `Some("rgb")` or `Some("gray")` when the metadata says so.
    pub color: Option<String>,
    /// Name of the associated label file, if any.
    pub label_file: Option<String>,
    /// Image inputs: the default size `(height, width)` the metadata states
    /// (`ImageProperties.default_size`); it sizes free H and W axes ahead of the stored shape.
    pub image_size: Option<(usize, usize)>,
}

/// A metadata entry of the file kept as raw bytes, carried over on export.
#[derive(Debug, Clone, PartialEq)]
pub struct RawMetadata {
    /// Metadata name (e.g. `TFLITE_METADATA`, `min_runtime_version`).
    pub name: String,
    /// The bytes of its buffer.
    pub data: Bytes,
}

/// Model-level metadata.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ModelMeta {
    /// Model description string of the file.
    pub description: Option<String>,
    /// Model name from TFLite metadata.
    pub name: Option<String>,
    /// Class labels (from an associated label file), if any.
    pub labels: Vec<String>,
    /// Per graph input metadata (same order as `Graph::inputs`), possibly empty.
    pub inputs: Vec<TensorMeta>,
    /// Per graph output metadata, possibly empty.
    pub outputs: Vec<TensorMeta>,
    /// Raw metadata entries, in file order.
    pub raw: Vec<RawMetadata>,
    /// Bytes appended after the flatbuffer (the associated-files ZIP), carried over on export.
    pub trailing: Option<Bytes>,
}

/// A model graph. Files with several subgraphs (TFLite bodies of WHILE / IF / CALL_ONCE, ONNX
/// `If` / `Loop` / `Scan` bodies and model-local functions) keep them in `subgraphs`, each a
/// graph with its own tensor ids; nodes that call one name it by index (`Op::called_subgraphs`:
/// 0 is this graph, `i` is `subgraphs[i - 1]`). Passes, sessions and the studio work on the
/// main graph; the subgraphs are shown and written back.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Graph {
    /// Name of the graph in the file (TFLite writes `main`), possibly empty.
    pub name: String,
    /// All tensors.
    pub tensors: Vec<Tensor>,
    /// Nodes in execution order.
    pub nodes: Vec<Node>,
    /// Graph inputs.
    pub inputs: Vec<TensorId>,
    /// Graph outputs.
    pub outputs: Vec<TensorId>,
    /// Entry point names, if the file has a signature.
    pub signature: Option<Signature>,
    /// Model metadata.
    pub meta: ModelMeta,
    /// The file's further subgraphs (index `i` here is subgraph `i + 1` of the file).
    pub subgraphs: Vec<Graph>,
    /// The graph as the file states it, for formats the IR translates (ONNX); `None` for
    /// TFLite, whose graph is the IR's own.
    pub source: Option<Box<super::SourceGraph>>,
}

impl Graph {
    /// Subgraph `i` of the file: 0 is this graph.
    pub fn subgraph(&self, i: usize) -> Option<&Graph> {
        match i {
            0 => Some(self),
            i => self.subgraphs.get(i - 1),
        }
    }

    /// For each subgraph index (0 = this graph), the `(caller subgraph, node)` pairs that call
    /// it, in file order.
    pub fn subgraph_callers(&self) -> Vec<Vec<(usize, NodeId)>> {
        let mut callers = vec![Vec::new(); self.subgraphs.len() + 1];
        for s in 0..=self.subgraphs.len() {
            let Some(sg) = self.subgraph(s) else { continue };
            for (ni, n) in sg.nodes.iter().enumerate() {
                for (_, target) in n.op.called_subgraphs() {
                    if let Some(c) = callers.get_mut(target) {
                        c.push((s, ni));
                    }
                }
            }
        }
        callers
    }

    /// For each tensor, whether its dtype and shape are real: false for the outputs a kept
    /// node lists in its `unknown_shapes` attribute (ONNX ops whose output types the file
    /// does not state; their `dtype`/`shape` are placeholders).
    pub fn known_shapes(&self) -> Vec<bool> {
        let mut known = vec![true; self.tensors.len()];
        for n in &self.nodes {
            if let Some(super::AttrValue::Ints(v)) = n.op.attr("unknown_shapes") {
                for &i in v {
                    let t = usize::try_from(i).ok().and_then(|i| n.outputs.get(i));
                    if let Some(k) = t.and_then(|&t| known.get_mut(t)) {
                        *k = false;
                    }
                }
            }
        }
        known
    }

    /// Add a tensor and return its id.
    pub fn add_tensor(&mut self, t: Tensor) -> TensorId {
        self.tensors.push(t);
        self.tensors.len() - 1
    }

    /// The tensor with id `id`. Panics on a bad id (ids come from this graph).
    pub fn tensor(&self, id: TensorId) -> &Tensor {
        &self.tensors[id]
    }

    /// For each tensor, the node producing it (if any).
    pub fn producers(&self) -> Vec<Option<usize>> {
        let mut p = vec![None; self.tensors.len()];
        for (i, n) in self.nodes.iter().enumerate() {
            for &o in &n.outputs {
                if let Some(slot) = p.get_mut(o) {
                    *slot = Some(i);
                }
            }
        }
        p
    }

    /// For each tensor, the nodes consuming it.
    pub fn consumers(&self) -> Vec<Vec<usize>> {
        let mut c = vec![Vec::new(); self.tensors.len()];
        for (i, n) in self.nodes.iter().enumerate() {
            for t in n.inputs.iter().flatten() {
                if let Some(slot) = c.get_mut(*t) {
                    slot.push(i);
                }
            }
        }
        c
    }

    /// Number of constant parameters (elements of constant tensors).
    pub fn param_count(&self) -> usize {
        self.tensors
            .iter()
            .filter(|t| t.is_const())
            .map(|t| t.numel())
            .sum()
    }

    /// The user-facing name of graph input `i` (signature name, else tensor name).
    pub fn input_name(&self, i: usize) -> String {
        let id = self.inputs[i];
        self.signature
            .as_ref()
            .and_then(|s| {
                s.inputs
                    .iter()
                    .find(|(_, t)| *t == id)
                    .map(|(n, _)| n.clone())
            })
            .unwrap_or_else(|| self.tensors[id].name.clone())
    }

    /// The user-facing name of graph output `i`.
    pub fn output_name(&self, i: usize) -> String {
        let id = self.outputs[i];
        self.signature
            .as_ref()
            .and_then(|s| {
                s.outputs
                    .iter()
                    .find(|(_, t)| *t == id)
                    .map(|(n, _)| n.clone())
            })
            .unwrap_or_else(|| self.tensors[id].name.clone())
    }
}
