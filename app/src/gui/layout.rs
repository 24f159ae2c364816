//! Graph layout, computed off the UI thread and cached (no drawing code here): what the graph
//! view shows of a model and where. Constants, and the DEQUANTIZE / DENSIFY chains that only
//! decode them, fold into their consumer as weight rows; model inputs and outputs are boxes;
//! every box carries its text for people (op, key attributes, weights, hover details) and its
//! size; `sugiyama` places the boxes in ranks and routes the edges between them. One view per
//! subgraph, and one for the file's own graph (ONNX) when the model carries it.

pub mod describe;
pub mod labels;
pub mod sugiyama;
pub mod wrap;

use std::collections::HashMap;

use pocket_engine::Graph;
use pocket_engine::ir::{Op, OpFamily, SourceGraph};

use describe as d;

/// Title font size (layout units; the view scales them with the zoom).
pub const TITLE_SIZE: f32 = 14.0;
/// Attribute and weight line font size.
pub const LINE_SIZE: f32 = 12.0;
/// Padding inside a box.
pub const PAD: f32 = 8.0;
/// Height of the title line.
pub const TITLE_H: f32 = 20.0;
/// Height of an attribute line.
pub const LINE_H: f32 = 16.0;
/// Height of a weight row.
pub const WEIGHT_H: f32 = 15.0;
/// Weight rows shown on a box before `+N more` (the rest on expanding it).
pub const WEIGHT_ROWS: usize = 3;
/// Width over height of the canvas a drawing is folded for (`wrap`): a deep model's ranks
/// become columns until its drawing is about this shape.
pub const WRAP_ASPECT: f32 = 1.25;
const MIN_W: f32 = 120.0;
const MAX_W: f32 = 300.0;

/// How a box is coloured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Look {
    /// An op of this family.
    Family(OpFamily),
    /// A model input.
    Input,
    /// A model output.
    Output,
}

/// A constant input shown on its consumer.
#[derive(Debug, Clone, PartialEq)]
pub struct Weight {
    /// One line: role, shape, dtype (and the dtype it is decoded to).
    pub text: String,
    /// Hover: tensor name, dtype, quantization, the nodes that decode it.
    pub details: String,
}

/// A box of the view.
#[derive(Debug, Clone, PartialEq)]
pub struct VNode {
    /// Op name (or `Input` / `Output`).
    pub title: String,
    /// Colour key.
    pub look: Look,
    /// Key attributes, one per line.
    pub lines: Vec<String>,
    /// Folded constant inputs.
    pub weights: Vec<Weight>,
    /// Everything about the node, for the hover.
    pub details: String,
    /// The main-graph IR node the box selects (none for inputs, outputs and subgraph views).
    pub ir: Option<usize>,
    /// Every IR node the box stands for (its own and the folded decoders; for a source node,
    /// the nodes it was translated into).
    pub covers: Vec<usize>,
    /// Lowercase text searched by the Find field.
    pub search: String,
    /// Top-left corner.
    pub pos: [f32; 2],
    /// Width and height.
    pub size: [f32; 2],
}

/// An edge: a tensor from one box to another.
#[derive(Debug, Clone, PartialEq)]
pub struct VEdge {
    /// Source box.
    pub from: usize,
    /// Target box.
    pub to: usize,
    /// Shape label.
    pub label: String,
    /// Hover: tensor name, dtype, shape, quantization.
    pub details: String,
    /// Polyline from the source's bottom to the target's top.
    pub points: Vec<[f32; 2]>,
    /// Bounding box (min x, min y, max x, max y).
    pub bounds: [f32; 4],
    /// Top-left corner of the shape label, where it overlaps no box and no other label (none:
    /// no room; the shape shows on hover).
    pub label_pos: Option<[f32; 2]>,
}

/// One laid-out graph.
#[derive(Debug, Clone, Default)]
pub struct View {
    /// Name for the selector.
    pub title: String,
    /// Boxes.
    pub nodes: Vec<VNode>,
    /// Edges.
    pub edges: Vec<VEdge>,
    /// Width and height of the drawing.
    pub size: [f32; 2],
    /// IR nodes folded into their consumers.
    pub folded: usize,
    /// Box of each IR node (folded ones map to their consumer).
    pub by_ir: HashMap<usize, usize>,
}

/// Every view of a model.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// The main graph as the IR holds it (the TFLite graph; an ONNX model's translation).
    pub main: View,
    /// The file's own graph (ONNX), when the model carries it.
    pub source: Option<View>,
    /// The file's further subgraphs, in order (subgraph 1, 2, ...).
    pub subgraphs: Vec<View>,
}

/// Lay out every view of `g`.
pub fn layout(g: &Graph) -> Layout {
    let mut main = graph_view(g, true);
    main.title = "Main graph".into();
    let source = g.source.as_deref().map(|s| source_view(s, g));
    let subgraphs = g
        .subgraphs
        .iter()
        .enumerate()
        .map(|(i, sg)| {
            let mut v = graph_view(sg, false);
            v.title = if sg.name.is_empty() {
                format!("Subgraph {}", i + 1)
            } else {
                format!("Subgraph {}: {}", i + 1, sg.name)
            };
            v
        })
        .collect();
    Layout {
        main,
        source,
        subgraphs,
    }
}

/// Box size for its text (an estimate of proportional glyph widths).
fn box_size(n: &VNode) -> [f32; 2] {
    let title_w = n.title.chars().count() as f32 * TITLE_SIZE * 0.62;
    let line_w = n
        .lines
        .iter()
        .chain(n.weights.iter().take(WEIGHT_ROWS).map(|w| &w.text))
        .map(|l| l.chars().count() as f32 * LINE_SIZE * 0.56)
        .fold(0.0, f32::max);
    let w = (title_w.max(line_w) + 2.0 * PAD).clamp(MIN_W, MAX_W);
    let rows = n.weights.len().min(WEIGHT_ROWS + 1);
    let weights_h = if rows > 0 {
        4.0 + rows as f32 * WEIGHT_H
    } else {
        0.0
    };
    let h = PAD + TITLE_H + n.lines.len() as f32 * LINE_H + weights_h + PAD * 0.75;
    [w, h]
}

/// Place the boxes and route the edges.
fn finish(mut nodes: Vec<VNode>, edges: Vec<(usize, usize, String, String)>) -> View {
    let sizes: Vec<[f32; 2]> = nodes.iter().map(box_size).collect();
    let pairs: Vec<(usize, usize)> = edges.iter().map(|e| (e.0, e.1)).collect();
    let mut p = sugiyama::place(&sizes, &pairs, sugiyama::Spacing::default());
    wrap::wrap(&mut p, &sizes, WRAP_ASPECT);
    for (i, n) in nodes.iter_mut().enumerate() {
        n.pos = p.pos[i];
        n.size = sizes[i];
    }
    let edges = edges
        .into_iter()
        .zip(p.routes)
        .map(|((from, to, label, details), points)| {
            let mut b = [
                f32::INFINITY,
                f32::INFINITY,
                f32::NEG_INFINITY,
                f32::NEG_INFINITY,
            ];
            for q in &points {
                b = [
                    b[0].min(q[0]),
                    b[1].min(q[1]),
                    b[2].max(q[0]),
                    b[3].max(q[1]),
                ];
            }
            VEdge {
                from,
                to,
                label,
                details,
                points,
                bounds: b,
                label_pos: None,
            }
        })
        .collect::<Vec<_>>();
    let mut edges = edges;
    labels::place(&nodes, &mut edges);
    View {
        title: String::new(),
        nodes,
        edges,
        size: p.size,
        folded: 0,
        by_ir: HashMap::new(),
    }
}

/// Role of input `i` of an op, for its weight row.
fn role(op: &Op, i: usize) -> Option<&'static str> {
    Some(match (op, i) {
        (Op::Conv2d(_) | Op::DepthwiseConv2d(_), 1) => "filter",
        (Op::Conv2d(_) | Op::DepthwiseConv2d(_) | Op::FullyConnected(_), 2) => "bias",
        (Op::TransposeConv(_), 0) => "output shape",
        (Op::TransposeConv(_), 1) => "filter",
        (Op::TransposeConv(_), 3) => "bias",
        (Op::FullyConnected(_), 1) => "weights",
        (Op::Reshape { .. }, 1) => "shape",
        (Op::Pad { .. }, 1) => "paddings",
        (Op::Prelu, 1) => "slope",
        _ => return None,
    })
}

/// The last path segment of a tensor name, shortened.
fn short_name(name: &str) -> String {
    let last = name.rsplit('/').next().unwrap_or(name);
    let s: String = last.chars().take(18).collect();
    if s.is_empty() { "const".into() } else { s }
}

/// The view of an IR graph. `main`: boxes select their IR nodes.
fn graph_view(g: &Graph, main: bool) -> View {
    let producers = g.producers();
    let nt = g.tensors.len();
    // Constant-like tensors: constants, and outputs of decoders whose inputs are all
    // constant-like (`via` lists the decoding nodes, root first).
    let mut via: Vec<Option<Vec<usize>>> = (0..nt)
        .map(|t| g.tensors[t].is_const().then(Vec::new))
        .collect();
    let mut folded = vec![false; g.nodes.len()];
    for (i, n) in g.nodes.iter().enumerate() {
        let decoder = matches!(n.op, Op::Dequantize | Op::Densify);
        let ins: Vec<usize> = n.inputs.iter().flatten().copied().collect();
        if decoder
            && !ins.is_empty()
            && ins.iter().all(|&t| via.get(t).is_some_and(Option::is_some))
            && n.outputs.iter().all(|o| !g.outputs.contains(o))
        {
            folded[i] = true;
            let mut chain = ins
                .first()
                .and_then(|&t| via[t].clone())
                .unwrap_or_default();
            chain.push(i);
            for &o in &n.outputs {
                if let Some(slot) = via.get_mut(o) {
                    *slot = Some(chain.clone());
                }
            }
        }
    }
    let mut nodes: Vec<VNode> = Vec::new();
    let mut edges: Vec<(usize, usize, String, String)> = Vec::new();
    let mut input_box: HashMap<usize, usize> = HashMap::new();
    for (k, &t) in g.inputs.iter().enumerate() {
        let tensor = &g.tensors[t];
        let name = g.input_name(k);
        input_box.insert(t, nodes.len());
        nodes.push(VNode {
            title: "Input".into(),
            look: Look::Input,
            lines: vec![
                name.clone(),
                format!("{} {}", tensor.dtype.name(), d::tensor_shape(tensor)),
            ],
            weights: Vec::new(),
            details: format!("Model input {k}\n{}", d::tensor_details(tensor)),
            ir: None,
            covers: Vec::new(),
            search: format!("input {} {}", name, tensor.name).to_lowercase(),
            pos: [0.0; 2],
            size: [0.0; 2],
        });
    }
    let mut node_box = vec![usize::MAX; g.nodes.len()];
    let mut by_ir = HashMap::new();
    for (i, n) in g.nodes.iter().enumerate() {
        if folded[i] {
            continue;
        }
        node_box[i] = nodes.len();
        by_ir.insert(i, nodes.len());
        let mut weights = Vec::new();
        let mut covers = vec![i];
        let mut search = format!("{} {}", n.name, n.op.name());
        for (k, t) in n.inputs.iter().enumerate() {
            let Some(&t) = t.as_ref() else { continue };
            let Some(tensor) = g.tensors.get(t) else {
                continue;
            };
            let produced = producers.get(t).copied().flatten();
            let chain = via.get(t).cloned().flatten();
            let dangling = produced.is_none() && !input_box.contains_key(&t);
            if chain.is_none() && !dangling {
                continue;
            }
            let chain = chain.unwrap_or_default();
            // The root constant of a decoding chain.
            let root = chain
                .first()
                .and_then(|&c| g.nodes[c].input(0))
                .unwrap_or(t);
            let rt = &g.tensors[root];
            let role = role(&n.op, k).map_or_else(|| short_name(&tensor.name), str::to_string);
            let mut text = format!("{role} {} {}", d::shape(&rt.shape), rt.dtype.name());
            if rt.dtype != tensor.dtype {
                text.push_str(&format!(" as {}", tensor.dtype.name()));
            }
            if rt.sparsity.is_some() {
                text.push_str(" sparse");
            }
            let mut details = d::tensor_details(rt);
            if dangling && !rt.is_const() {
                details.push_str(if rt.is_variable {
                    "\nvariable (state)"
                } else {
                    "\nno producer in this graph"
                });
            }
            for &c in &chain {
                details.push_str(&format!(
                    "\ndecoded by {} ({})",
                    g.nodes[c].op.name(),
                    g.nodes[c].name
                ));
                covers.push(c);
                search.push_str(&format!(" {} {}", g.nodes[c].name, g.nodes[c].op.name()));
                by_ir.insert(c, nodes.len());
            }
            weights.push(Weight { text, details });
        }
        for &o in &n.outputs {
            search.push(' ');
            search.push_str(&g.tensors[o].name);
        }
        let lines = d::ir_attrs(g, n);
        let mut details = format!("{}\n{}", n.op.name(), n.name);
        for l in &lines {
            details.push_str(&format!("\n{l}"));
        }
        if let Op::Custom { attrs, .. } = &n.op {
            for (k, v) in attrs.iter().skip(3) {
                details.push_str(&format!("\n{k} = {v}"));
            }
        }
        for (k, t) in n.inputs.iter().enumerate() {
            if let Some(t) = t.and_then(|t| g.tensors.get(t)) {
                details.push_str(&format!(
                    "\ninput {k}: {} {} {}",
                    t.name,
                    t.dtype.name(),
                    d::tensor_shape(t)
                ));
            }
        }
        for &o in &n.outputs {
            let t = &g.tensors[o];
            details.push_str(&format!(
                "\noutput: {} {} {}",
                t.name,
                t.dtype.name(),
                d::tensor_shape(t)
            ));
            if let Some(q) = &t.quant {
                details.push_str(&format!(" ({})", d::quant(q)));
            }
        }
        nodes.push(VNode {
            title: n.op.name(),
            look: Look::Family(n.op.family()),
            lines,
            weights,
            details,
            ir: main.then_some(i),
            covers,
            search: search.to_lowercase(),
            pos: [0.0; 2],
            size: [0.0; 2],
        });
    }
    let edge_of = |t: usize| {
        let tensor = &g.tensors[t];
        (d::shape(&tensor.shape), d::tensor_details(tensor))
    };
    for (i, n) in g.nodes.iter().enumerate() {
        if folded[i] {
            continue;
        }
        for &t in n.inputs.iter().flatten() {
            if via.get(t).is_some_and(Option::is_some) {
                continue;
            }
            let from = match producers.get(t).copied().flatten() {
                Some(p) if !folded[p] => node_box[p],
                _ => match input_box.get(&t) {
                    Some(&b) => b,
                    None => continue,
                },
            };
            let (label, details) = edge_of(t);
            edges.push((from, node_box[i], label, details));
        }
    }
    for (k, &t) in g.outputs.iter().enumerate() {
        let tensor = &g.tensors[t];
        let name = g.output_name(k);
        let b = nodes.len();
        nodes.push(VNode {
            title: "Output".into(),
            look: Look::Output,
            lines: vec![
                name.clone(),
                format!("{} {}", tensor.dtype.name(), d::tensor_shape(tensor)),
            ],
            weights: Vec::new(),
            details: format!("Model output {k}\n{}", d::tensor_details(tensor)),
            ir: None,
            covers: Vec::new(),
            search: format!("output {} {}", name, tensor.name).to_lowercase(),
            pos: [0.0; 2],
            size: [0.0; 2],
        });
        let from = match producers.get(t).copied().flatten() {
            Some(p) if !folded[p] => Some(node_box[p]),
            _ => input_box.get(&t).copied(),
        };
        if let Some(from) = from {
            let (label, details) = edge_of(t);
            edges.push((from, b, label, details));
        }
    }
    let mut v = finish(nodes, edges);
    v.folded = folded.iter().filter(|&&f| f).count();
    if main {
        v.by_ir = by_ir;
    }
    v
}

/// The family of an ONNX op with no translation to take it from.
fn onnx_family(op: &str) -> OpFamily {
    match op {
        "Conv" | "ConvTranspose" | "ConvInteger" | "QLinearConv" => OpFamily::Conv,
        "MatMul" | "Gemm" | "MatMulInteger" | "QLinearMatMul" | "Einsum" => OpFamily::MatMul,
        "Add" | "Sub" | "Mul" | "Div" | "Pow" | "Min" | "Max" | "Sum" | "Mean" => {
            OpFamily::Arithmetic
        }
        "Relu" | "Sigmoid" | "Tanh" | "Softmax" | "LeakyRelu" | "HardSigmoid" | "HardSwish"
        | "Elu" | "Selu" | "Gelu" | "Erf" | "Exp" | "Log" | "Sqrt" | "Clip" | "PRelu" => {
            OpFamily::Activation
        }
        "MaxPool" | "AveragePool" | "GlobalAveragePool" | "GlobalMaxPool" | "ReduceMean"
        | "ReduceSum" | "ReduceMax" | "ReduceMin" | "ArgMax" | "ArgMin" => OpFamily::Reduce,
        "Cast" | "QuantizeLinear" | "DequantizeLinear" => OpFamily::Convert,
        "Reshape" | "Transpose" | "Concat" | "Split" | "Slice" | "Gather" | "Squeeze"
        | "Unsqueeze" | "Flatten" | "Pad" | "Resize" | "Shape" | "Expand" | "Tile" => {
            OpFamily::Shape
        }
        _ => OpFamily::Custom,
    }
}

/// The view of the file's own graph; boxes select the first IR node they became.
fn source_view(s: &SourceGraph, g: &Graph) -> View {
    let nv = s.values.len();
    let mut producer = vec![None; nv];
    for (i, n) in s.nodes.iter().enumerate() {
        for &o in &n.outputs {
            if let Some(p) = producer.get_mut(o) {
                *p = Some(i);
            }
        }
    }
    // Constants: initializers and the outputs of `Constant` nodes (folded).
    let mut constant: Vec<bool> = s.values.iter().map(|v| v.is_const).collect();
    let mut folded = vec![false; s.nodes.len()];
    for (i, n) in s.nodes.iter().enumerate() {
        let decodes = n.op_type == "DequantizeLinear"
            && n.inputs
                .iter()
                .flatten()
                .all(|&v| constant.get(v) == Some(&true));
        if n.op_type == "Constant" || decodes {
            folded[i] = n.outputs.iter().all(|o| !s.outputs.contains(o));
            if folded[i] {
                for &o in &n.outputs {
                    if let Some(c) = constant.get_mut(o) {
                        *c = true;
                    }
                }
            }
        }
    }
    let value = |v: usize| s.values.get(v);
    let val_text = |v: usize| {
        value(v).map_or_else(
            || ("?".to_string(), String::new()),
            |x| {
                let sh = d::source_shape(x.dims.as_deref());
                (sh.clone(), format!("{}\n{} {}", x.name, x.dtype, sh))
            },
        )
    };
    let mut nodes = Vec::new();
    let mut edges = Vec::new();
    let mut input_box = HashMap::new();
    for (k, &v) in s.inputs.iter().enumerate() {
        let (sh, det) = val_text(v);
        let name = value(v).map_or(String::new(), |x| x.name.clone());
        input_box.insert(v, nodes.len());
        nodes.push(VNode {
            title: "Input".into(),
            look: Look::Input,
            lines: vec![name.clone(), sh],
            weights: Vec::new(),
            details: format!("Model input {k}\n{det}"),
            ir: None,
            covers: Vec::new(),
            search: format!("input {name}").to_lowercase(),
            pos: [0.0; 2],
            size: [0.0; 2],
        });
    }
    let mut node_box = vec![usize::MAX; s.nodes.len()];
    let mut by_ir = HashMap::new();
    for (i, n) in s.nodes.iter().enumerate() {
        if folded[i] {
            continue;
        }
        node_box[i] = nodes.len();
        let covers: Vec<usize> = n
            .translated
            .iter()
            .copied()
            .filter(|&t| t < g.nodes.len())
            .collect();
        for &c in &covers {
            by_ir.entry(c).or_insert(nodes.len());
        }
        let mut weights = Vec::new();
        let mut filters = None;
        for (k, v) in n.inputs.iter().enumerate() {
            let Some(&v) = v.as_ref() else { continue };
            if constant.get(v) != Some(&true) {
                continue;
            }
            let Some(x) = value(v) else { continue };
            if k == 1
                && let Some(pocket_engine::ir::SourceDim::Fixed(f)) =
                    x.dims.as_ref().and_then(|d| d.first())
            {
                filters = Some(*f);
            }
            let sh = d::source_shape(x.dims.as_deref());
            weights.push(Weight {
                text: format!("{} {sh} {}", short_name(&x.name), x.dtype),
                details: format!("{}\n{} {sh}\nconstant, {} values", x.name, x.dtype, x.numel),
            });
        }
        let lines = d::onnx_attrs(&n.op_type, &n.attrs, filters);
        let title = if n.domain.is_empty() || n.domain == "ai.onnx" {
            n.op_type.clone()
        } else {
            format!("{}.{}", n.domain, n.op_type)
        };
        let mut details = format!("{title}\n{}", n.name);
        for (k, v) in &n.attrs {
            details.push_str(&format!("\n{k} = {v}"));
        }
        for &v in n.inputs.iter().flatten() {
            let (sh, _) = val_text(v);
            let name = value(v).map_or("", |x| &x.name);
            details.push_str(&format!("\ninput: {name} {sh}"));
        }
        for &v in &n.outputs {
            let (sh, _) = val_text(v);
            let name = value(v).map_or("", |x| &x.name);
            details.push_str(&format!("\noutput: {name} {sh}"));
        }
        let into: Vec<String> = covers.iter().map(|&c| g.nodes[c].op.name()).collect();
        details.push_str(&if into.is_empty() {
            "\ntranslated into no node (folded or kept)".to_string()
        } else {
            format!("\ntranslated into {}", into.join(", "))
        });
        let look = covers
            .first()
            .map_or_else(|| onnx_family(&n.op_type), |&c| g.nodes[c].op.family());
        let mut search = format!("{} {}", n.name, n.op_type);
        for &o in &n.outputs {
            if let Some(x) = value(o) {
                search.push(' ');
                search.push_str(&x.name);
            }
        }
        nodes.push(VNode {
            title,
            look: Look::Family(look),
            lines,
            weights,
            details,
            ir: covers.first().copied(),
            covers,
            search: search.to_lowercase(),
            pos: [0.0; 2],
            size: [0.0; 2],
        });
    }
    for (i, n) in s.nodes.iter().enumerate() {
        if folded[i] {
            continue;
        }
        for &v in n.inputs.iter().flatten() {
            if constant.get(v) == Some(&true) {
                continue;
            }
            let from = match producer.get(v).copied().flatten() {
                Some(p) if !folded[p] => node_box[p],
                _ => match input_box.get(&v) {
                    Some(&b) => b,
                    None => continue,
                },
            };
            let (label, det) = val_text(v);
            edges.push((from, node_box[i], label, det));
        }
    }
    for (k, &v) in s.outputs.iter().enumerate() {
        let (sh, det) = val_text(v);
        let name = value(v).map_or(String::new(), |x| x.name.clone());
        let b = nodes.len();
        nodes.push(VNode {
            title: "Output".into(),
            look: Look::Output,
            lines: vec![name.clone(), sh.clone()],
            weights: Vec::new(),
            details: format!("Model output {k}\n{det}"),
            ir: None,
            covers: Vec::new(),
            search: format!("output {name}").to_lowercase(),
            pos: [0.0; 2],
            size: [0.0; 2],
        });
        let from = match producer.get(v).copied().flatten() {
            Some(p) if !folded[p] => Some(node_box[p]),
            _ => input_box.get(&v).copied(),
        };
        if let Some(from) = from {
            edges.push((from, b, sh, det));
        }
    }
    let mut v = finish(nodes, edges);
    v.title = format!(
        "{} graph",
        if s.format.is_empty() {
            "Source"
        } else {
            &s.format
        }
    );
    v.folded = folded.iter().filter(|&&f| f).count();
    v.by_ir = by_ir;
    v
}

#[cfg(test)]
pub(crate) mod tests;
