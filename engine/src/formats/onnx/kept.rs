//! ONNX nodes the importer does not translate, kept as `Op::Custom` so every model opens: ops
//! without a table row (or not at this opset), nodes reading a tensor of unknown shape, and
//! nodes downstream of those whose translation fails. A kept node keeps its op type, domain
//! and a readable form of every attribute; its outputs take the dtype and shape the file
//! states (value_info, graph outputs) when fully static, and are otherwise marked unknown
//! (empty shape, listed in the node's `unknown_shapes` attribute) — shapes are never invented.
//! `If` / `Loop` / `Scan` bodies and model-local functions become subgraphs of opaque nodes,
//! so inspect and the studio can list them; only running refuses.

use std::collections::{HashMap, HashSet};

use prost::Message;

use super::ctx::Ctx;
use super::error::{NodeError, OnnxError};
use super::proto::{FunctionProto, GraphProto, NodeProto, TensorProto, ValueInfoProto};
use super::tensor::{dtype_name, engine_dtype};
use crate::ir::*;

/// Type facts of every named value the file declares (value_info and graph outputs).
pub(crate) type Declared<'a> = HashMap<&'a str, &'a ValueInfoProto>;

/// Subgraphs collected while importing (bodies, functions); index `i` is subgraph `i + 1`.
#[derive(Default)]
pub(crate) struct Kept {
    /// The subgraphs.
    pub subgraphs: Vec<Graph>,
    /// Model-local functions: (domain, name) → subgraph index.
    pub functions: HashMap<(String, String), usize>,
    /// Tensors of unknown shape (outputs of kept nodes the file gives no static type).
    pub unknown: HashSet<TensorId>,
    /// Tensors computed from a kept node's output (translation may need what they lack).
    pub tainted: HashSet<TensorId>,
}

/// Depth limit of nested bodies (hostile files nest graphs without end).
const MAX_DEPTH: usize = 16;

fn elem_dtype(et: i32) -> Option<DType> {
    engine_dtype(et).or(match et {
        4 => Some(DType::U16),
        8 => Some(DType::Str),
        12 => Some(DType::U32),
        13 => Some(DType::U64),
        14 => Some(DType::Complex64),
        15 => Some(DType::Complex128),
        16 => Some(DType::BF16),
        17 => Some(DType::F8E4M3),
        19 => Some(DType::F8E5M2),
        21 => Some(DType::U4),
        22 => Some(DType::I4),
        _ => None,
    })
}

/// The dtype and shape the file declares for a value, when both are fully known.
fn declared(vi: Option<&&ValueInfoProto>) -> (Option<DType>, Option<Vec<usize>>) {
    let Some(tt) = vi
        .and_then(|v| v.r#type.as_ref())
        .and_then(|t| t.tensor_type.as_ref())
    else {
        return (None, None);
    };
    let dt = tt.elem_type.and_then(elem_dtype);
    let shape = tt.shape.as_ref().and_then(|s| {
        s.dim
            .iter()
            .map(|d| d.dim_value.and_then(|v| usize::try_from(v).ok()))
            .collect::<Option<Vec<usize>>>()
    });
    (dt, shape)
}

fn tensor_summary(t: &TensorProto) -> String {
    let dt = t.data_type.unwrap_or(0);
    format!("tensor {} {:?}", dtype_name(dt), t.dims)
}

/// Readable attributes of a node; graph attributes become subgraphs (their index is kept as
/// `<attr>.subgraph_index`).
fn attributes(
    n: &NodeProto,
    kept: &mut Kept,
    depth: usize,
) -> Result<Vec<(String, AttrValue)>, OnnxError> {
    let mut out = Vec::new();
    for a in &n.attribute {
        let name = a.name.clone().unwrap_or_default();
        let mut bodies = a.g.iter().map(|g| (name.clone(), g)).collect::<Vec<_>>();
        bodies.extend(
            a.graphs
                .iter()
                .enumerate()
                .map(|(i, g)| (format!("{name}.{i}"), g)),
        );
        if !bodies.is_empty() {
            for (key, bytes) in bodies {
                let gp = GraphProto::decode(bytes.as_slice()).map_err(|e| OnnxError::Node {
                    node: n.name.clone().unwrap_or_default(),
                    op: n.op_type.clone().unwrap_or_default(),
                    cause: Box::new(NodeError::Invalid(format!(
                        "attribute '{key}' is not a graph: {e}"
                    ))),
                })?;
                let idx = body(&gp, kept, depth + 1)?;
                out.push((format!("{key}.subgraph_index"), AttrValue::Int(idx as i64)));
            }
            continue;
        }
        let v = if let Some(i) = a.i {
            AttrValue::Int(i)
        } else if let Some(f) = a.f {
            AttrValue::Float(f.into())
        } else if let Some(s) = &a.s {
            AttrValue::Str(String::from_utf8_lossy(s).into_owned())
        } else if let Some(t) = &a.t {
            AttrValue::Str(tensor_summary(t))
        } else if !a.ints.is_empty() {
            AttrValue::Ints(a.ints.clone())
        } else if !a.floats.is_empty() {
            AttrValue::Floats(a.floats.iter().map(|&x| x.into()).collect())
        } else if !a.strings.is_empty() {
            AttrValue::Str(
                a.strings
                    .iter()
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .collect::<Vec<_>>()
                    .join(", "),
            )
        } else if !a.tensors.is_empty() {
            AttrValue::Str(format!("{} tensors", a.tensors.len()))
        } else if let Some(r) = &a.ref_attr_name {
            AttrValue::Str(format!("ref {r}"))
        } else {
            AttrValue::Str(String::new())
        };
        out.push((name, v));
    }
    Ok(out)
}

/// The display name of a node's op: `Op` in the default domain, `domain.Op` elsewhere.
pub(crate) fn op_name(n: &NodeProto) -> String {
    let op = n.op_type.as_deref().unwrap_or("");
    match n.domain.as_deref().unwrap_or("") {
        "" | "ai.onnx" => op.to_string(),
        d => format!("{d}.{op}"),
    }
}

/// The op of a kept node, with the function it calls when it names a model-local one.
fn kept_op(
    n: &NodeProto,
    why: Option<String>,
    kept: &mut Kept,
    depth: usize,
) -> Result<Op, OnnxError> {
    let dom = n.domain.clone().unwrap_or_default();
    let mut attrs = vec![("onnx_domain".to_string(), AttrValue::Str(dom.clone()))];
    let key = (dom, n.op_type.clone().unwrap_or_default());
    if let Some(&f) = kept.functions.get(&key) {
        attrs.push(("function.subgraph_index".into(), AttrValue::Int(f as i64)));
    }
    if let Some(w) = why {
        attrs.push(("not_translated".into(), AttrValue::Str(w)));
    }
    attrs.extend(attributes(n, kept, depth)?);
    Ok(Op::Custom {
        name: op_name(n),
        attrs,
    })
}

/// Add node `n` of the main graph as a kept node (`why`: the translation error, if one was
/// tried) and bind its outputs.
pub(crate) fn add(
    c: &mut Ctx<'_>,
    n: &NodeProto,
    label: &str,
    why: Option<String>,
    declared_types: &Declared<'_>,
    kept: &mut Kept,
) -> Result<(), OnnxError> {
    let fail = |cause: NodeError| OnnxError::Node {
        node: label.to_string(),
        op: op_name(n),
        cause: Box::new(cause),
    };
    let inputs = n
        .input
        .iter()
        .map(|name| match name.as_str() {
            "" => Ok(None),
            name => c.names.get(name).copied().map(Some).ok_or_else(|| {
                fail(NodeError::Invalid(format!(
                    "input '{name}' is not produced by any earlier node"
                )))
            }),
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut op = kept_op(n, why, kept, 0)?;
    let mut outputs = Vec::new();
    let mut unknown = Vec::new();
    for (i, name) in n.output.iter().enumerate() {
        let (dt, shape) = declared(declared_types.get(name.as_str()));
        let t = Tensor::new(
            if name.is_empty() {
                format!("{label}/unused_{i}")
            } else {
                name.clone()
            },
            dt.unwrap_or(DType::F32),
            shape.clone().unwrap_or_default(),
        );
        let id = c.g.add_tensor(t);
        if dt.is_none() || shape.is_none() {
            unknown.push(i as i64);
            kept.unknown.insert(id);
        }
        kept.tainted.insert(id);
        outputs.push(id);
    }
    if !unknown.is_empty()
        && let Op::Custom { attrs, .. } = &mut op
    {
        attrs.push(("unknown_shapes".into(), AttrValue::Ints(unknown)));
    }
    c.g.add_node(crate::ir::Node {
        name: label.to_string(),
        op,
        inputs,
        outputs: outputs.clone(),
        version: None,
    })
    .map_err(|e| fail(NodeError::Invalid(e.chain())))?;
    for (name, id) in n.output.iter().zip(outputs) {
        if !name.is_empty() {
            c.names.insert(name.clone(), id);
        }
    }
    Ok(())
}

/// A body or function as a subgraph of opaque nodes: one tensor per name (outer-scope names
/// become tensors without a producer), typed where the body declares a static type.
/// A body or function as the importer sees it.
struct Body<'a> {
    name: &'a str,
    nodes: &'a [NodeProto],
    inputs: &'a [String],
    outputs: &'a [String],
    infos: &'a [&'a ValueInfoProto],
}

fn opaque(
    b: &Body<'_>,
    kept: &mut Kept,
    depth: usize,
    slot: Option<usize>,
) -> Result<usize, OnnxError> {
    let Body {
        name,
        nodes,
        inputs,
        outputs,
        infos,
    } = *b;
    if depth > MAX_DEPTH {
        return Err(OnnxError::UnsupportedFeature(
            "graphs nested more than 16 deep",
        ));
    }
    let decl: Declared<'_> = infos
        .iter()
        .map(|v| (v.name.as_deref().unwrap_or(""), *v))
        .collect();
    let mut g = Graph {
        name: name.to_string(),
        ..Graph::default()
    };
    let mut ids: HashMap<String, TensorId> = HashMap::new();
    let mut id_of = |g: &mut Graph, n: &str| -> TensorId {
        if let Some(&id) = ids.get(n) {
            return id;
        }
        let (dt, shape) = declared(decl.get(n));
        let id = g.add_tensor(Tensor::new(
            n,
            dt.unwrap_or(DType::F32),
            shape.unwrap_or_default(),
        ));
        ids.insert(n.to_string(), id);
        id
    };
    g.inputs = inputs.iter().map(|n| id_of(&mut g, n)).collect();
    let mut pending = Vec::new();
    for n in nodes {
        let ins = n
            .input
            .iter()
            .map(|x| (!x.is_empty()).then(|| id_of(&mut g, x)))
            .collect();
        let outs = n.output.iter().map(|x| id_of(&mut g, x)).collect();
        let unknown: Vec<i64> = n
            .output
            .iter()
            .enumerate()
            .filter(|(_, x)| matches!(declared(decl.get(x.as_str())), (None, _) | (_, None)))
            .map(|(i, _)| i as i64)
            .collect();
        pending.push((n, ins, outs, unknown));
    }
    g.outputs = outputs.iter().map(|n| id_of(&mut g, n)).collect();
    // Reserve this subgraph's index before nested bodies take theirs.
    let index = match slot {
        Some(i) => i,
        None => {
            kept.subgraphs.push(Graph::default());
            kept.subgraphs.len()
        }
    };
    for (n, inputs, outputs, unknown) in pending {
        let mut op = kept_op(n, None, kept, depth)?;
        if !unknown.is_empty()
            && let Op::Custom { attrs, .. } = &mut op
        {
            attrs.push(("unknown_shapes".into(), AttrValue::Ints(unknown)));
        }
        let label = match n.name.as_deref() {
            Some(s) if !s.is_empty() => s.to_string(),
            _ => n.output.first().cloned().unwrap_or_default(),
        };
        g.nodes.push(crate::ir::Node {
            name: label,
            op,
            inputs,
            outputs,
            version: None,
        });
    }
    if let Some(slot) = kept.subgraphs.get_mut(index - 1) {
        *slot = g;
    }
    Ok(index)
}

fn body(gp: &GraphProto, kept: &mut Kept, depth: usize) -> Result<usize, OnnxError> {
    let infos: Vec<&ValueInfoProto> = gp
        .value_info
        .iter()
        .chain(&gp.input)
        .chain(&gp.output)
        .collect();
    let name = |v: &ValueInfoProto| v.name.clone().unwrap_or_default();
    let inputs: Vec<String> = gp.input.iter().map(name).collect();
    let outputs: Vec<String> = gp.output.iter().map(name).collect();
    let b = Body {
        name: gp.name.as_deref().unwrap_or(""),
        nodes: &gp.node,
        inputs: &inputs,
        outputs: &outputs,
        infos: &infos,
    };
    opaque(&b, kept, depth, None)
}

/// The model-local functions, each a subgraph (before any body, so nodes can name them).
pub(crate) fn functions(raw: &[Vec<u8>], kept: &mut Kept) -> Result<(), OnnxError> {
    let fs = raw
        .iter()
        .map(|b| {
            FunctionProto::decode(b.as_slice()).map_err(|e| OnnxError::Node {
                node: "model functions".into(),
                op: "FunctionProto".into(),
                cause: Box::new(NodeError::Invalid(format!("not a function: {e}"))),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    // Names and slots first, so a function calling another one links to it.
    let mut slots = Vec::new();
    for f in &fs {
        let key = (
            f.domain.clone().unwrap_or_default(),
            f.name.clone().unwrap_or_default(),
        );
        kept.subgraphs.push(Graph::default());
        let slot = kept.subgraphs.len();
        kept.functions.insert(key, slot);
        slots.push(slot);
    }
    for (f, slot) in fs.iter().zip(slots) {
        let name = format!(
            "function {}",
            op_name(&NodeProto {
                op_type: f.name.clone(),
                domain: f.domain.clone(),
                ..Default::default()
            })
        );
        let infos: Vec<&ValueInfoProto> = f.value_info.iter().collect();
        let b = Body {
            name: &name,
            nodes: &f.node,
            inputs: &f.input,
            outputs: &f.output,
            infos: &infos,
        };
        opaque(&b, kept, 1, Some(slot))?;
    }
    Ok(())
}
