//! The ONNX graph as read, kept beside its translation ([`SourceGraph`]) for the studio's
//! ONNX view: every node with its op type, domain and attributes, every value with its NCHW
//! dims (declared in the file, else the translated tensor's shape, which is NCHW until the
//! layout pass), and the IR nodes each ONNX node became (followed through the layout and
//! dead-code passes by the tensors they produce).

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use super::proto::{AttributeProto, NodeProto, TensorProto, ValueInfoProto};
use super::tensor::dtype_name;
use crate::ir::{AttrValue, Graph, SourceDim, SourceGraph, SourceNode, SourceValue, TensorId};

/// Collects the source graph while the importer runs.
#[derive(Default)]
pub(crate) struct Recorder {
    sg: SourceGraph,
    index: HashMap<String, usize>,
    /// IR node indices (before the passes) each source node emitted.
    spans: Vec<Range<usize>>,
}

fn elem(et: Option<i32>) -> String {
    et.map(|t| dtype_name(t).to_ascii_lowercase())
        .unwrap_or_default()
}

/// The dims a value info declares, `None` when it states no shape.
fn declared_dims(vi: &ValueInfoProto) -> (String, Option<Vec<SourceDim>>) {
    let Some(tt) = vi.r#type.as_ref().and_then(|t| t.tensor_type.as_ref()) else {
        return (String::new(), None);
    };
    let dims = tt.shape.as_ref().map(|s| {
        s.dim
            .iter()
            .map(
                |d| match (d.dim_value, d.dim_param.as_deref().map(str::trim)) {
                    (Some(v), _) if v >= 0 => SourceDim::Fixed(v as usize),
                    (_, Some(p)) if !p.is_empty() && p != "?" => SourceDim::Named(p.to_string()),
                    _ => SourceDim::Unknown,
                },
            )
            .collect()
    });
    (elem(tt.elem_type), dims)
}

/// A readable attribute value; graph attributes name their body.
fn attr(a: &AttributeProto) -> AttrValue {
    let summary = |t: &TensorProto| format!("tensor {} {:?}", elem(t.data_type), t.dims);
    if let Some(i) = a.i {
        AttrValue::Int(i)
    } else if let Some(f) = a.f {
        AttrValue::Float(f.into())
    } else if let Some(s) = &a.s {
        AttrValue::Str(String::from_utf8_lossy(s).into_owned())
    } else if let Some(t) = &a.t {
        AttrValue::Str(summary(t))
    } else if a.g.is_some() {
        AttrValue::Str(format!("graph {}", a.name.as_deref().unwrap_or("")))
    } else if !a.graphs.is_empty() {
        AttrValue::Str(format!("{} graphs", a.graphs.len()))
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
    }
}

impl Recorder {
    fn value(&mut self, name: &str) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        self.sg.values.push(SourceValue {
            name: name.to_string(),
            dtype: String::new(),
            dims: None,
            is_const: false,
            numel: 0,
            tensor: None,
        });
        let i = self.sg.values.len() - 1;
        self.index.insert(name.to_string(), i);
        i
    }

    /// An initializer.
    pub(crate) fn initializer(&mut self, t: &TensorProto) {
        let i = self.value(t.name.as_deref().unwrap_or(""));
        let Some(v) = self.sg.values.get_mut(i) else {
            return;
        };
        v.dtype = elem(t.data_type);
        v.dims = Some(
            t.dims
                .iter()
                .map(|&d| SourceDim::Fixed(usize::try_from(d).unwrap_or(0)))
                .collect(),
        );
        v.is_const = true;
        v.numel = t
            .dims
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(usize::try_from(d).ok()?))
            .unwrap_or(0);
    }

    /// A graph input that is not an initializer (or one the user overrides).
    pub(crate) fn input(&mut self, vi: &ValueInfoProto) {
        let i = self.value(vi.name.as_deref().unwrap_or(""));
        let (dtype, dims) = declared_dims(vi);
        let Some(v) = self.sg.values.get_mut(i) else {
            return;
        };
        v.is_const = false;
        v.numel = 0;
        v.dtype = dtype;
        if dims.is_some() {
            v.dims = dims;
        }
        self.sg.inputs.push(i);
    }

    /// A graph output.
    pub(crate) fn output(&mut self, vi: &ValueInfoProto) {
        let i = self.value(vi.name.as_deref().unwrap_or(""));
        self.sg.outputs.push(i);
    }

    /// Node `n`, which emitted the IR nodes `span` (indices before the passes).
    pub(crate) fn node(&mut self, n: &NodeProto, span: Range<usize>) {
        let inputs = n
            .input
            .iter()
            .map(|x| (!x.is_empty()).then(|| self.value(x)))
            .collect();
        let outputs = n.output.iter().map(|x| self.value(x)).collect();
        self.sg.nodes.push(SourceNode {
            name: n.name.clone().unwrap_or_default(),
            op_type: n.op_type.clone().unwrap_or_default(),
            domain: n.domain.clone().unwrap_or_default(),
            attrs: n
                .attribute
                .iter()
                .map(|a| (a.name.clone().unwrap_or_default(), attr(a)))
                .collect(),
            inputs,
            outputs,
            translated: span.clone().collect(),
        });
        self.spans.push(span);
    }

    /// The source graph of the graph `g` as built (before the passes): dims from the file's
    /// declarations (`declared`: value_info and outputs), else from the tensor `names` maps
    /// the value to (NCHW at this point), except where its shape is `unknown`.
    pub(crate) fn finish(
        mut self,
        g: &Graph,
        names: &HashMap<String, TensorId>,
        declared: &HashMap<&str, &ValueInfoProto>,
        unknown: &HashSet<TensorId>,
    ) -> SourceGraph {
        self.sg.format = "ONNX".into();
        for v in &mut self.sg.values {
            v.tensor = names.get(&v.name).copied();
            if let Some(vi) = declared.get(v.name.as_str()) {
                let (dtype, dims) = declared_dims(vi);
                if v.dtype.is_empty() {
                    v.dtype = dtype;
                }
                // A declared shape with unknown axes is completed from the translation below.
                if v.dims.is_none()
                    && dims
                        .as_ref()
                        .is_some_and(|d| !d.contains(&SourceDim::Unknown))
                {
                    v.dims = dims;
                }
            }
            let Some(t) = v.tensor.filter(|t| !unknown.contains(t)) else {
                continue;
            };
            let Some(t) = g.tensors.get(t) else { continue };
            if v.dtype.is_empty() {
                v.dtype = t.dtype.name().to_ascii_lowercase();
            }
            if v.dims.is_none() {
                v.dims = Some(t.shape.iter().map(|&d| SourceDim::Fixed(d)).collect());
            }
        }
        self.sg
    }
}

/// For each source node, the tensors its IR nodes produce (taken before the passes).
pub(crate) fn owners(g: &Graph) -> Vec<Vec<TensorId>> {
    let Some(sg) = &g.source else {
        return Vec::new();
    };
    sg.nodes
        .iter()
        .map(|n| {
            n.translated
                .iter()
                .filter_map(|&i| g.nodes.get(i))
                .flat_map(|n| n.outputs.iter().copied())
                .collect()
        })
        .collect()
}

/// After the passes: each source node's `translated` becomes the nodes that now produce its
/// tensors, and a value's tensor is dropped when no node produces or reads it any more.
pub(crate) fn remap(g: &mut Graph, owners: &[Vec<TensorId>]) {
    let mut producer: HashMap<TensorId, usize> = HashMap::new();
    let mut live: HashSet<TensorId> = g.inputs.iter().chain(&g.outputs).copied().collect();
    for (i, n) in g.nodes.iter().enumerate() {
        for &o in &n.outputs {
            producer.insert(o, i);
            live.insert(o);
        }
        live.extend(n.inputs.iter().flatten());
    }
    let Some(sg) = g.source.as_deref_mut() else {
        return;
    };
    for (n, outs) in sg.nodes.iter_mut().zip(owners) {
        let mut ids: Vec<usize> = outs
            .iter()
            .filter_map(|t| producer.get(t).copied())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        n.translated = ids;
    }
    for v in &mut sg.values {
        v.tensor = v.tensor.filter(|t| live.contains(t));
    }
}
