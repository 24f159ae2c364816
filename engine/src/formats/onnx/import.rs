//! ONNX graph → engine IR, the driver: model-level checks (graph, opset, every unsupported op
//! listed at once), graph inputs and initializers, the node loop, graph outputs. The per-op
//! translations live in [`super::ops`], one file per family, each node checked against its
//! table row first; the builder helpers in [`super::ctx`].
//!
//! Shapes are static: free dimensions take the sizes of `ImportOptions::shapes`, else
//! `ImportOptions::batch` (kept as `-1` in the tensor's signature, with their names), and a node whose inputs are all constants is evaluated at once, so
//! shape arithmetic (`Shape → Gather → Concat → Reshape`) ends as constants.

use std::ops::RangeInclusive;
use std::path::Path;

use super::ctx::{Ctx, Node};
pub use super::ctx::{TO_NCHW, TO_NHWC};
use super::error::{NodeError, OnnxError};
use super::kept::{self, Kept};
use super::meta_sizes::MetaSizes;
use super::ops;
use super::proto::{GraphProto, ModelProto, ValueInfoProto};
use super::source::Recorder;
use super::tensor::{dtype_name, engine_dtype, to_value};
use crate::error::Result;
use crate::ir::*;
use crate::shapes::{Dim, InputDims, InputShapes};

type Sig = Option<Vec<i32>>;

/// The `ai.onnx` opsets the importer translates (each op's table row may narrow it).
pub const OPSET: RangeInclusive<i64> = 7..=28;

/// How an ONNX model is imported.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Make the image input NHWC (`[N, H, W, C]`) instead of keeping ONNX's NCHW.
    pub nhwc_input: bool,
    /// Size of a free batch dimension (one used only as axis 0) that `shapes` does not size;
    /// also taken, as before, by other free dimensions nothing sizes.
    pub batch: usize,
    /// Sizes chosen for the inputs (`--input-shape`), in the file's NCHW order; shape
    /// subgraphs fold at these sizes.
    pub shapes: InputShapes,
    /// Run the transpose-sinking layout pass (off only to measure what it removes).
    pub layout: bool,
    /// Initializers listed as graph inputs that become real graph inputs (the user passes
    /// them); every other initializer stays a constant.
    pub overrides: Vec<String>,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            nhwc_input: false,
            batch: 1,
            shapes: InputShapes::default(),
            layout: true,
            overrides: Vec::new(),
        }
    }
}

/// A graph input's element type and declared dims: fixed sizes, and free ones named by their
/// `dim_param` (a missing, empty or `?` one is called `<input>.<axis>`).
fn dims(t: &ValueInfoProto) -> std::result::Result<(DType, InputDims), OnnxError> {
    let name = t.name.as_deref().unwrap_or("");
    let bad = |why: String| OnnxError::GraphInput {
        name: name.to_string(),
        why,
    };
    let tt = t
        .r#type
        .as_ref()
        .and_then(|t| t.tensor_type.as_ref())
        .ok_or_else(|| bad("is not a tensor".into()))?;
    let et = tt.elem_type.unwrap_or(0);
    let dt = engine_dtype(et).ok_or_else(|| bad(format!("has element type {}", dtype_name(et))))?;
    let shape = tt
        .shape
        .as_ref()
        .ok_or_else(|| bad("has no shape".into()))?;
    let mut dims = Vec::new();
    for (axis, d) in shape.dim.iter().enumerate() {
        match d.dim_value {
            Some(v) if v >= 0 => {
                let v = i32::try_from(v).map_err(|_| bad(format!("has dimension {v}")))?;
                dims.push(Dim::Fixed(v as usize));
            }
            _ => {
                let name = match d.dim_param.as_deref().map(str::trim) {
                    Some(p) if !p.is_empty() && p != "?" => p.to_string(),
                    _ => format!("{name}.{axis}"),
                };
                dims.push(Dim::Free {
                    name,
                    default: None,
                });
            }
        }
    }
    Ok((
        dt,
        InputDims {
            name: name.to_string(),
            dims,
        },
    ))
}

/// The graph inputs that are not initializers, with their declared dims. A free dimension
/// used only as axis 0 (a batch) defaults to `batch`; the others have no default.
pub fn declared_inputs(
    gp: &GraphProto,
    batch: usize,
) -> std::result::Result<Vec<(DType, InputDims)>, OnnxError> {
    declared_inputs_with(gp, batch, &[])
}

/// The initializers that the file also lists as graph inputs (so a caller may pass them, see
/// [`ImportOptions::overrides`]), in file order.
pub fn overridable(gp: &GraphProto) -> Vec<String> {
    let inits: std::collections::HashSet<&str> = gp
        .initializer
        .iter()
        .filter_map(|t| t.name.as_deref())
        .collect();
    gp.input
        .iter()
        .filter_map(|vi| vi.name.as_deref())
        .filter(|n| inits.contains(n))
        .map(str::to_string)
        .collect()
}

/// [`declared_inputs`] with the initializers named in `overrides` counted as inputs (their
/// declared type, else the initializer's own).
pub fn declared_inputs_with(
    gp: &GraphProto,
    batch: usize,
    overrides: &[String],
) -> std::result::Result<Vec<(DType, InputDims)>, OnnxError> {
    let inits: std::collections::HashMap<&str, &super::proto::TensorProto> = gp
        .initializer
        .iter()
        .filter_map(|t| Some((t.name.as_deref()?, t)))
        .collect();
    let listed = overridable(gp);
    if let Some(bad) = overrides.iter().find(|o| !listed.contains(o)) {
        return Err(OnnxError::GraphInput {
            name: bad.clone(),
            why: if listed.is_empty() {
                "is not an initializer listed as a graph input (the model has none)".into()
            } else {
                format!(
                    "is not an initializer listed as a graph input (those are: {})",
                    listed.join(", ")
                )
            },
        });
    }
    let mut out = gp
        .input
        .iter()
        .filter_map(|vi| {
            let name = vi.name.as_deref().unwrap_or("");
            match inits.get(name) {
                None => Some(dims(vi)),
                Some(t) if overrides.iter().any(|o| o == name) => {
                    Some(dims(vi).or_else(|_| init_dims(t)))
                }
                Some(_) => None,
            }
        })
        .collect::<std::result::Result<Vec<_>, _>>()?;
    let only: Vec<InputDims> = out.iter().map(|(_, d)| d.clone()).collect();
    let batch_like: Vec<String> = crate::shapes::free_dims(&only)
        .into_iter()
        .filter(|f| f.uses.iter().all(|&(_, axis)| axis == 0))
        .map(|f| f.name)
        .collect();
    for (_, inp) in &mut out {
        for d in &mut inp.dims {
            if let Dim::Free { name, default } = d
                && batch_like.contains(name)
            {
                *default = Some(batch);
            }
        }
    }
    Ok(out)
}

/// [`declared_inputs_with`] with the sizes `m`'s metadata states (see [`MetaSizes`]) as the
/// defaults of the free dimensions they size.
pub fn declared_inputs_meta(
    m: &ModelProto,
    batch: usize,
    overrides: &[String],
) -> std::result::Result<Vec<(DType, InputDims)>, OnnxError> {
    let gp = m.graph.as_ref().ok_or(OnnxError::NoGraph)?;
    let mut inputs = declared_inputs_with(gp, batch, overrides)?;
    MetaSizes::of(m).apply(inputs.iter_mut().map(|(_, d)| d));
    Ok(inputs)
}

/// An initializer's own type and dims, for an overridden one whose input declares none.
fn init_dims(t: &super::proto::TensorProto) -> std::result::Result<(DType, InputDims), OnnxError> {
    let name = t.name.clone().unwrap_or_default();
    let et = t.data_type.unwrap_or(0);
    let dt = engine_dtype(et).ok_or_else(|| OnnxError::GraphInput {
        name: name.clone(),
        why: format!("has element type {}", dtype_name(et)),
    })?;
    let dims = t
        .dims
        .iter()
        .map(|&d| usize::try_from(d).map(Dim::Fixed))
        .collect::<std::result::Result<Vec<_>, _>>()
        .map_err(|_| OnnxError::GraphInput {
            name: name.clone(),
            why: format!("has dims {:?}", t.dims),
        })?;
    Ok((dt, InputDims { name, dims }))
}

/// The model's `ai.onnx` opset, checked against [`OPSET`].
fn opset(m: &ModelProto) -> std::result::Result<i64, OnnxError> {
    let got = m
        .opset_import
        .iter()
        .find(|o| matches!(o.domain.as_deref(), None | Some("") | Some("ai.onnx")))
        .and_then(|o| o.version)
        .unwrap_or(1);
    if OPSET.contains(&got) {
        Ok(got)
    } else {
        Err(OnnxError::Opset { got, range: OPSET })
    }
}

/// Import a decoded model.
pub fn import(m: &ModelProto, dir: Option<&Path>, opts: &ImportOptions) -> Result<Graph> {
    if !opts.shapes.is_empty() {
        // The chosen sizes are checked here, in the user's words, before anything is built.
        let declared: Vec<InputDims> = declared_inputs_meta(m, opts.batch.max(1), &opts.overrides)?
            .into_iter()
            .map(|(_, d)| d)
            .collect();
        opts.shapes.resolve(&declared)?;
    }
    let mut g = build(m, dir, opts)?;
    let owners = super::source::owners(&g);
    if opts.layout {
        super::layout::run(&mut g)?;
    }
    crate::passes::dead::run(&mut g)?;
    super::source::remap(&mut g, &owners);
    Ok(g)
}

/// The graph as translated, before the layout and dead-code passes.
fn build(
    m: &ModelProto,
    dir: Option<&Path>,
    opts: &ImportOptions,
) -> std::result::Result<Graph, OnnxError> {
    let gp: &GraphProto = m.graph.as_ref().ok_or(OnnxError::NoGraph)?;
    let opset = opset(m)?;
    if !gp.sparse_initializer.is_empty() {
        return Err(OnnxError::UnsupportedFeature("sparse initializers"));
    }
    let mut c = Ctx::new(dir, opset);
    let mut kept = Kept::default();
    kept::functions(&m.functions, &mut kept)?;
    let declared: kept::Declared<'_> = gp
        .value_info
        .iter()
        .chain(&gp.output)
        .map(|v| (v.name.as_deref().unwrap_or(""), v))
        .collect();
    let mut rec = Recorder::default();
    for t in &gp.initializer {
        let name = t.name.clone().unwrap_or_default();
        rec.initializer(t);
        if opts.overrides.contains(&name) {
            continue;
        }
        let v = to_value(t, dir)?;
        let id = c.konst(&name, v);
        c.names.insert(name, id);
    }
    let batch = opts.batch.max(1);
    let inputs = declared_inputs_meta(m, batch, &opts.overrides)?;
    for vi in &gp.input {
        if inputs
            .iter()
            .any(|(_, d)| Some(d.name.as_str()) == vi.name.as_deref())
        {
            rec.input(vi);
        }
    }
    let only: Vec<InputDims> = inputs.iter().map(|(_, d)| d.clone()).collect();
    // Checked by `import`; a free dimension without a size takes the batch size.
    let sizes = opts.shapes.resolve(&only).unwrap_or_default();
    for (k, (dt, decl)) in inputs.into_iter().enumerate() {
        let name = decl.name.clone();
        let shape: Vec<usize> = decl
            .dims
            .iter()
            .enumerate()
            .map(|(axis, d)| match d {
                Dim::Fixed(n) => *n,
                Dim::Free { .. } => sizes
                    .get(k)
                    .and_then(|s| s.get(axis).copied().flatten())
                    .unwrap_or(batch),
            })
            .collect();
        let free = decl.has_free();
        let sig: Sig = free.then(|| {
            decl.dims
                .iter()
                .map(|d| match d {
                    Dim::Fixed(n) => *n as i32,
                    Dim::Free { .. } => -1,
                })
                .collect()
        });
        let mut names: Vec<Option<String>> = if free {
            decl.dims
                .iter()
                .map(|d| match d {
                    Dim::Fixed(_) => None,
                    Dim::Free { name, .. } => Some(name.clone()),
                })
                .collect()
        } else {
            Vec::new()
        };
        match (opts.nhwc_input, shape.as_slice()) {
            (true, &[n, ch, h, w]) => {
                // The file's NCHW input becomes NHWC; a transpose restores NCHW for the body.
                let mut tn = Tensor::new(&name, dt, vec![n, h, w, ch]);
                tn.signature = sig.and_then(|s| match s.as_slice() {
                    &[n, ch, h, w] => Some(vec![n, h, w, ch]),
                    _ => None,
                });
                if names.len() == 4 {
                    names.swap(1, 3); // [n, w, h, c]
                    names.swap(1, 2); // [n, h, w, c]
                }
                tn.dim_names = names;
                let id = c.g.add_tensor(tn);
                c.g.inputs.push(id);
                c.node = name.clone();
                let y = c.transpose(id, &TO_NCHW).map_err(|cause| OnnxError::Node {
                    node: name.clone(),
                    op: "graph input".into(),
                    cause: Box::new(cause),
                })?;
                c.names.insert(name, y);
            }
            _ => {
                let mut t = Tensor::new(&name, dt, shape);
                t.signature = sig;
                t.dim_names = names;
                let id = c.g.add_tensor(t);
                c.g.inputs.push(id);
                c.names.insert(name, id);
            }
        }
    }
    let nodes = ops::fuse_gelu(gp);
    let mut s = Scope {
        c,
        kept,
        declared,
        depth: 0,
    };
    let mut release = super::tensor::Release::new(gp, &nodes, &s.c.names);
    for (k, n) in nodes.iter().enumerate() {
        release.before(k, &nodes, &s.c.names, &mut s.c.g);
        let first = s.c.g.nodes.len();
        translate(&mut s, n, k)?;
        rec.node(n, first..s.c.g.nodes.len());
    }
    let Scope {
        mut c,
        kept,
        declared,
        ..
    } = s;
    for vi in &gp.output {
        rec.output(vi);
        let name = vi.name.clone().unwrap_or_default();
        let id = *c
            .names
            .get(&name)
            .ok_or_else(|| OnnxError::MissingOutput(name.clone()))?;
        // Outputs that are graph inputs or constants pass through an identity-like reshape so
        // that each output is a node output.
        let id =
            if c.g.inputs.contains(&id) || c.tensor(id).data.is_some() || c.g.outputs.contains(&id)
            {
                let s: Vec<i64> = c.shape(id).iter().map(|&d| d as i64).collect();
                c.node = name.clone();
                let shape = c.ints_const("shape", &s);
                let dt = c.dtype(id);
                c.push(
                    &format!("{name}/out"),
                    Op::Reshape { new_shape: None },
                    vec![Some(id), Some(shape)],
                    &[dt],
                )
                .and_then(super::ctx::first)
                .map_err(|cause| OnnxError::Node {
                    node: format!("{name}/out"),
                    op: "graph output".into(),
                    cause: Box::new(cause),
                })?
            } else {
                id
            };
        c.tensor_mut(id).name = name;
        c.g.outputs.push(id);
    }
    let source = rec.finish(&c.g, &c.names, &declared, &kept.unknown);
    let mut g = c.g;
    g.source = Some(Box::new(source));
    g.subgraphs = kept.subgraphs;
    g.meta.description = m.doc_string.clone().filter(|s| !s.is_empty()).or_else(|| {
        m.producer_name
            .clone()
            .map(|p| format!("ONNX model from {p} (opset {opset})"))
    });
    Ok(g)
}

/// The translation state the node loop threads through: the graph being built (the main
/// graph, or a subgraph while a control-flow body is translated), the kept-node bookkeeping
/// and the types the file declares.
pub(crate) struct Scope<'a, 'd> {
    /// The graph under construction and its names.
    pub c: Ctx<'a>,
    /// Kept nodes' subgraphs and unknown/tainted tensors (of `c.g`).
    pub kept: Kept,
    /// Types the main graph declares (value_info, outputs).
    pub declared: kept::Declared<'d>,
    /// How many bodies deep the translation is (0: the main graph).
    pub depth: usize,
}

/// ONNX ops whose translation works on a tensor of data-dependent length: they read no size
/// of it at import (elementwise casts, transposes, gathers by index, concatenation).
const DYNAMIC_OK: &[&str] = &["Cast", "Identity", "Transpose", "Gather", "Concat"];

/// Translate node `n` (the `k`-th of its graph) into `s.c.g` and bind its outputs: through
/// its table row, the control-flow translations, or as a kept node.
pub(crate) fn translate(
    s: &mut Scope<'_, '_>,
    n: &super::proto::NodeProto,
    k: usize,
) -> std::result::Result<(), OnnxError> {
    let Scope {
        c, kept, declared, ..
    } = s;
    let opset = c.opset;
    let op = n.op_type.as_deref().unwrap_or("");
    let label = match n.name.as_deref() {
        Some(s) if !s.is_empty() => s.to_string(),
        _ => n.output.first().cloned().unwrap_or_else(|| format!("#{k}")),
    };
    c.node = label.clone();
    let fail = |cause| OnnxError::Node {
        node: label.clone(),
        op: op.to_string(),
        cause: Box::new(cause),
    };
    // Ops without a translation, and nodes reading a tensor of unknown shape, are kept
    // as they are; so are nodes after a kept one whose translation fails.
    let dom = n.domain.as_deref().unwrap_or("");
    let reads = |set: &std::collections::HashSet<TensorId>| {
        n.input
            .iter()
            .any(|x| c.names.get(x).is_some_and(|id| set.contains(id)))
    };
    let (unknown_in, tainted) = (reads(&kept.unknown), reads(&kept.tainted));
    // A tensor sized by the data has a placeholder shape; only translations that take their
    // input's size from the run (not from the shape at import) may read it.
    // Softmax from opset 13 works along an axis at run time (older ones flatten by size).
    let size_free = DYNAMIC_OK.contains(&op)
        || (matches!(op, "Softmax" | "LogSoftmax") && opset >= 13 && dom.is_empty());
    let dynamic_in = reads(&c.dynamic) && !size_free;
    let spec = match ops::lookup(dom, op, opset) {
        Some(spec) if !unknown_in && !dynamic_in => spec,
        spec => {
            let why = if dynamic_in {
                Some(format!(
                    "reads a tensor whose length depends on the data (a NonZero, \
                     NonMaxSuppression or run-time Slice output), which only {} and Softmax \
                     follow here",
                    DYNAMIC_OK.join(", ")
                ))
            } else if unknown_in {
                Some("reads a tensor of unknown shape".to_string())
            } else if spec.is_none() && ops::known(dom, op) {
                Some(format!("not translated at opset {opset}"))
            } else {
                None
            };
            return kept::add(c, n, &label, why, declared, kept);
        }
    };
    let node = Node::new(n, op, spec);
    let outs = if ops::control::handles(spec) {
        ops::validate(spec, &node).and_then(|()| ops::control::import(s, &node))
    } else {
        ops::import_node(&mut s.c, &node, spec)
    };
    let Scope {
        c, kept, declared, ..
    } = s;
    let outs = match outs {
        Ok(outs) => outs,
        // A configuration the translation refuses (and anything after a kept node) is
        // kept; inconsistent files still fail.
        Err(cause)
            if tainted
                || matches!(cause, NodeError::Unsupported(_) | NodeError::NotConstant(_)) =>
        {
            c.node = label.clone();
            return kept::add(c, n, &label, Some(cause.to_string()), declared, kept);
        }
        Err(cause) => return Err(fail(cause)),
    };
    for (name, id) in n.output.iter().zip(outs) {
        if tainted {
            kept.tainted.insert(id);
        }
        if !name.is_empty() {
            let t = c.tensor_mut(id);
            if t.name.is_empty() || t.name.contains('/') {
                t.name = name.clone();
            }
            c.names.insert(name.clone(), id);
        }
    }
    Ok(())
}

#[cfg(test)]
#[allow(
    clippy::expect_used,
    reason = "a failing test should stop at the failing step"
)]
mod tests {
    /// The error with its causes, as the CLI prints it.
    fn full(e: &dyn std::error::Error) -> String {
        let mut s = e.to_string();
        let mut cur = e.source();
        while let Some(c) = cur {
            s.push_str(&format!(": {c}"));
            cur = c.source();
        }
        s
    }

    use super::*;
    use crate::formats::onnx::proto::*;

    fn input(name: &str, shape: &[i64]) -> ValueInfoProto {
        ValueInfoProto {
            name: Some(name.into()),
            r#type: Some(TypeProto {
                tensor_type: Some(TypeTensor {
                    elem_type: Some(dtype::FLOAT),
                    shape: Some(TensorShapeProto {
                        dim: shape
                            .iter()
                            .map(|&d| Dimension {
                                dim_value: Some(d),
                                ..Default::default()
                            })
                            .collect(),
                    }),
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn node(name: &str, op: &str, ins: &[&str], outs: &[&str]) -> NodeProto {
        NodeProto {
            name: Some(name.into()),
            op_type: Some(op.into()),
            input: ins.iter().map(|s| s.to_string()).collect(),
            output: outs.iter().map(|s| s.to_string()).collect(),
            ..Default::default()
        }
    }

    fn model(opset: i64, nodes: Vec<NodeProto>, out: &str) -> ModelProto {
        ModelProto {
            opset_import: vec![OperatorSetIdProto {
                domain: Some(String::new()),
                version: Some(opset),
            }],
            graph: Some(GraphProto {
                node: nodes,
                input: vec![input("x", &[1, 3, 4, 4])],
                output: vec![ValueInfoProto {
                    name: Some(out.into()),
                    ..Default::default()
                }],
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn err(m: &ModelProto) -> OnnxError {
        build(m, None, &ImportOptions::default()).expect_err("the import fails")
    }

    #[test]
    fn opset_outside_the_range_names_the_range() {
        let e = err(&model(29, vec![], "x"));
        assert!(matches!(e, OnnxError::Opset { got: 29, .. }), "{e}");
        assert_eq!(full(&e), "opset 29 is outside the supported range 7-28");
    }

    #[test]
    fn untranslated_ops_are_kept_and_running_lists_every_one() {
        let mut ms = node("m", "Erf", &["x"], &["e"]);
        ms.domain = Some("com.microsoft".into());
        let m = model(
            13,
            vec![
                node("h", "HardSwish", &["x"], &["h"]),
                node("e1", "Erf", &["h"], &["a"]),
                node("e2", "Erf", &["a"], &["b"]),
                ms,
                node("r", "Relu", &["b"], &["r"]),
                node("add", "Add", &["r", "e"], &["y"]),
            ],
            "y",
        );
        let g = build(&m, None, &ImportOptions::default()).expect("the model opens");
        let kept: Vec<String> = g
            .nodes
            .iter()
            .filter(|n| matches!(n.op, Op::Custom { .. }))
            .map(|n| n.op.name())
            .collect();
        // Relu and Add read tensors of unknown shape (nothing in the file states them), so
        // they are kept too rather than translated with an invented shape.
        assert_eq!(
            kept,
            [
                "HardSwish",
                "Erf",
                "Erf",
                "com.microsoft.Erf",
                "Relu",
                "Add"
            ]
        );
        let h = g.nodes.first().expect("a node");
        assert_eq!(
            h.op.attr("not_translated"),
            Some(&AttrValue::Str("not translated at opset 13".into()))
        );
        assert_eq!(h.op.attr("unknown_shapes"), Some(&AttrValue::Ints(vec![0])));
        let e = crate::runtime::Session::new(&g, &Default::default())
            .err()
            .expect("cannot run")
            .chain();
        for op in [
            "HardSwish (1 node)",
            "Erf (2 nodes)",
            "com.microsoft.Erf (1 node)",
        ] {
            assert!(e.contains(op), "{op} missing from: {e}");
        }
        // The same HardSwish is translated at opset 14.
        let m = model(14, vec![node("h", "HardSwish", &["x"], &["y"])], "y");
        let g = build(&m, None, &ImportOptions::default()).expect("HardSwish at 14");
        assert!(!g.nodes.iter().any(|n| matches!(n.op, Op::Custom { .. })));
    }

    #[test]
    fn arity_and_restricted_attributes_are_checked_before_the_translation() {
        let e = err(&model(13, vec![node("add1", "Add", &["x"], &["y"])], "y"));
        assert_eq!(
            full(&e),
            "node 'add1' (Add): inputs: 1, expected 2",
            "{e:?}"
        );
        let e = err(&model(13, vec![node("c", "Conv", &["x", ""], &["y"])], "y"));
        assert!(full(&e).contains("input 1 is missing"), "{e}");
        let mut bn = node(
            "bn",
            "BatchNormalization",
            &["x", "x", "x", "x", "x"],
            &["y"],
        );
        bn.attribute.push(AttributeProto {
            name: Some("training_mode".into()),
            i: Some(1),
            ..Default::default()
        });
        let e = err(&model(15, vec![bn], "y"));
        assert!(
            full(&e).starts_with("node 'bn' (BatchNormalization): attribute 'training_mode'"),
            "{e}"
        );
        // A wrongly typed attribute is named, not replaced by its default.
        let mut lr = node("lr", "LeakyRelu", &["x"], &["y"]);
        lr.attribute.push(AttributeProto {
            name: Some("alpha".into()),
            i: Some(1),
            ..Default::default()
        });
        let e = err(&model(13, vec![lr], "y"));
        assert!(full(&e).contains("'alpha': expected a float"), "{e}");
    }

    #[test]
    fn node_errors_reach_the_engine_error_with_node_and_op() {
        let e = crate::error::Error::from(err(&model(
            13,
            vec![node("sm", "Softmax", &["nope"], &["y"])],
            "y",
        )));
        assert_eq!(
            full(&e),
            "cannot read model: node 'sm' (Softmax): input 'nope' is not produced by any earlier node"
        );
    }

    #[test]
    fn only_size_free_ops_follow_a_tensor_of_data_dependent_length() {
        // NonZero then Transpose translates; a Relu after it reads no size but is not on the
        // list, and a Reshape would bake the placeholder length: both are kept, and say why.
        let m = model(
            13,
            vec![
                node("nz", "NonZero", &["x"], &["n"]),
                node("t", "Transpose", &["n"], &["t"]),
                node("r", "Relu", &["t"], &["y"]),
            ],
            "y",
        );
        let g = build(&m, None, &ImportOptions::default()).expect("the model opens");
        let names: Vec<String> = g.nodes.iter().map(|n| n.op.name()).collect();
        assert_eq!(
            names,
            ["WHERE", "TRANSPOSE", "TRANSPOSE", "Relu"],
            "{names:?}"
        );
        let kept = g.nodes.last().expect("a node");
        let Some(AttrValue::Str(why)) = kept.op.attr("not_translated") else {
            panic!("no reason on {kept:?}");
        };
        assert!(why.contains("length depends on the data"), "{why}");
        let t = g
            .nodes
            .get(1)
            .and_then(|n| n.outputs.first())
            .expect("WHERE's transpose");
        assert_eq!(
            g.tensors.get(*t).and_then(|t| t.signature.clone()),
            Some(vec![-1, -1]),
            "a dynamic tensor's signature"
        );
    }
}
