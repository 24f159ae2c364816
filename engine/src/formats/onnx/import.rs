//! ONNX graph → engine IR. Every ONNX node becomes one or a few TFLite-style nodes; conv-family
//! ops (NCHW in ONNX, NHWC in the IR) are wrapped in transposes that [`super::layout`] later
//! cancels. Shapes are static: symbolic dimensions take `ImportOptions::batch` (kept as `-1` in
//! the tensor's signature), and a node whose inputs are all constants is evaluated at once, so
//! shape arithmetic (`Shape → Gather → Concat → Reshape`) ends as constants.
//!
//! Indexing here uses tensor ids of the graph being built and axes checked against ranks.
#![allow(clippy::indexing_slicing)]

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use super::proto::{AttributeProto, GraphProto, ModelProto, NodeProto, ValueInfoProto};
use super::tensor::{dtype_name, engine_dtype, to_value};
use crate::error::{Error, Result};
use crate::ir::*;
use crate::ops::{self, EvalCtx, In};

/// How an ONNX model is imported.
#[derive(Debug, Clone)]
pub struct ImportOptions {
    /// Make the image input NHWC (`[N, H, W, C]`) instead of keeping ONNX's NCHW.
    pub nhwc_input: bool,
    /// Value of symbolic (batch) dimensions.
    pub batch: usize,
    /// Run the transpose-sinking layout pass (off only to measure what it removes).
    pub layout: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            nhwc_input: false,
            batch: 1,
            layout: true,
        }
    }
}

/// ONNX ops the importer translates.
pub const SUPPORTED: &[&str] = &[
    "Conv",
    "ConvTranspose",
    "Gemm",
    "MatMul",
    "BatchNormalization",
    "Relu",
    "Clip",
    "LeakyRelu",
    "PRelu",
    "Sigmoid",
    "Tanh",
    "HardSigmoid",
    "HardSwish",
    "Add",
    "Sub",
    "Mul",
    "Div",
    "Pow",
    "Sqrt",
    "Exp",
    "Max",
    "Min",
    "MaxPool",
    "AveragePool",
    "GlobalAveragePool",
    "GlobalMaxPool",
    "Flatten",
    "Reshape",
    "Transpose",
    "Concat",
    "Split",
    "Slice",
    "Squeeze",
    "Unsqueeze",
    "Gather",
    "Pad",
    "Resize",
    "Upsample",
    "Softmax",
    "LogSoftmax",
    "ReduceMean",
    "ReduceMax",
    "ReduceSum",
    "Shape",
    "Constant",
    "ConstantOfShape",
    "Identity",
    "Dropout",
    "Cast",
    "ArgMax",
    "Expand",
    "LayerNormalization",
    "QuantizeLinear",
    "DequantizeLinear",
];

/// NCHW → NHWC.
pub const TO_NHWC: [i64; 4] = [0, 2, 3, 1];
/// NHWC → NCHW.
pub const TO_NCHW: [i64; 4] = [0, 3, 1, 2];

type R<T> = std::result::Result<T, String>;

struct Attrs<'a>(HashMap<&'a str, &'a AttributeProto>);

impl<'a> Attrs<'a> {
    fn new(n: &'a NodeProto) -> Self {
        Attrs(
            n.attribute
                .iter()
                .map(|a| (a.name.as_deref().unwrap_or(""), a))
                .collect(),
        )
    }
    fn has(&self, k: &str) -> bool {
        self.0.contains_key(k)
    }
    fn i(&self, k: &str, d: i64) -> i64 {
        self.0.get(k).and_then(|a| a.i).unwrap_or(d)
    }
    fn f(&self, k: &str, d: f32) -> f32 {
        self.0.get(k).and_then(|a| a.f).unwrap_or(d)
    }
    fn ints(&self, k: &str) -> Option<Vec<i64>> {
        self.0.get(k).map(|a| a.ints.clone())
    }
    fn floats(&self, k: &str) -> Option<Vec<f32>> {
        self.0.get(k).map(|a| a.floats.clone())
    }
    fn s(&self, k: &str, d: &str) -> String {
        self.0.get(k).and_then(|a| a.s.as_ref()).map_or_else(
            || d.to_string(),
            |s| String::from_utf8_lossy(s).into_owned(),
        )
    }
}

struct Importer<'a> {
    g: Graph,
    names: HashMap<String, TensorId>,
    dir: Option<&'a Path>,
    opset: i64,
    node: String,
    counter: usize,
}

fn i32s(v: &[i64]) -> Value {
    Value::new(
        vec![v.len()],
        Data::I32(v.iter().map(|&x| x as i32).collect()),
    )
}

fn scalar_f32(x: f32) -> Value {
    Value::new(vec![], Data::F32(vec![x]))
}

fn dims(t: &ValueInfoProto, batch: usize) -> R<(DType, Vec<usize>, Option<Vec<i32>>)> {
    let name = t.name.as_deref().unwrap_or("");
    let tt = t
        .r#type
        .as_ref()
        .and_then(|t| t.tensor_type.as_ref())
        .ok_or_else(|| format!("graph input '{name}' is not a tensor"))?;
    let et = tt.elem_type.unwrap_or(0);
    let dt = engine_dtype(et)
        .ok_or_else(|| format!("graph input '{name}' has element type {}", dtype_name(et)))?;
    let shape = tt
        .shape
        .as_ref()
        .ok_or_else(|| format!("graph input '{name}' has no shape"))?;
    let mut s = Vec::new();
    let mut sig = Vec::new();
    let mut dynamic = false;
    for d in &shape.dim {
        match d.dim_value {
            Some(v) if v > 0 => {
                s.push(v as usize);
                sig.push(v as i32);
            }
            Some(0) => {
                s.push(0);
                sig.push(0);
            }
            _ => {
                dynamic = true;
                s.push(batch);
                sig.push(-1);
            }
        }
    }
    Ok((dt, s, dynamic.then_some(sig)))
}

/// `(padding, explicit pads [(top, bottom), (left, right)])` of a 2-D window op.
fn window_padding(
    in_hw: [usize; 2],
    k_eff: [usize; 2],
    stride: [usize; 2],
    auto_pad: &str,
    pads: &[i64],
    ceil_mode: bool,
) -> R<(Padding, Option<[[usize; 2]; 2]>)> {
    let same = |d: usize| {
        let out = in_hw[d].div_ceil(stride[d]);
        let total = ((out - 1) * stride[d] + k_eff[d]).saturating_sub(in_hw[d]);
        (total / 2, total - total / 2)
    };
    let explicit: [[usize; 2]; 2] = match auto_pad {
        "VALID" => [[0, 0], [0, 0]],
        "SAME_UPPER" => return Ok((Padding::Same, None)),
        "SAME_LOWER" => {
            let (a, b) = same(0);
            let (c, d) = same(1);
            [[b, a], [d, c]]
        }
        "NOTSET" | "" => {
            if pads.iter().any(|&p| p < 0) {
                return Err(format!("negative pads {pads:?}"));
            }
            match pads {
                [] => [[0, 0], [0, 0]],
                [t, l, b, r] => [[*t as usize, *b as usize], [*l as usize, *r as usize]],
                p => return Err(format!("pads {p:?}: 2-D windows need 4 values")),
            }
        }
        a => return Err(format!("auto_pad '{a}' is not supported")),
    };
    let mut explicit = explicit;
    if ceil_mode {
        // Extra trailing padding so that floor division gives ONNX's ceil output size.
        for d in 0..2 {
            let span = in_hw[d] + explicit[d][0] + explicit[d][1];
            if span < k_eff[d] {
                continue;
            }
            let mut out = (span - k_eff[d]).div_ceil(stride[d]) + 1;
            // The last window must start inside the input or the leading padding.
            if (out - 1) * stride[d] >= in_hw[d] + explicit[d][0] {
                out -= 1;
            }
            let need = (out - 1) * stride[d] + k_eff[d];
            explicit[d][1] += need.saturating_sub(span);
        }
    }
    if explicit == [[0, 0], [0, 0]] {
        return Ok((Padding::Valid, None));
    }
    let (a, b) = same(0);
    let (c, d) = same(1);
    if explicit == [[a, b], [c, d]] {
        return Ok((Padding::Same, None));
    }
    Ok((Padding::Valid, Some(explicit)))
}

impl<'a> Importer<'a> {
    fn fresh(&mut self, what: &str) -> String {
        self.counter += 1;
        format!("{}/{what}_{}", self.node, self.counter)
    }

    fn konst(&mut self, name: &str, v: Value) -> TensorId {
        let mut t = Tensor::new(name, v.dtype(), v.shape.clone());
        t.data = Some(Bytes::from_vec(v.data.to_le_bytes()));
        self.g.add_tensor(t)
    }

    fn ints_const(&mut self, what: &str, v: &[i64]) -> TensorId {
        let n = self.fresh(what);
        self.konst(&n, i32s(v))
    }

    fn value(&self, t: TensorId) -> Option<Value> {
        Value::from_const(&self.g.tensors[t]).filter(|_| self.g.tensors[t].data.is_some())
    }

    fn const_ints(&self, t: TensorId, what: &str) -> R<Vec<i64>> {
        let v = self
            .value(t)
            .ok_or_else(|| format!("{what} must be a constant (or computable from shapes)"))?;
        v.data
            .to_i64()
            .ok_or_else(|| format!("{what} must be integers"))
    }

    fn const_f32(&self, t: TensorId, what: &str) -> R<Vec<f32>> {
        let v = self
            .value(t)
            .ok_or_else(|| format!("{what} must be a constant"))?;
        Ok(v.data.to_f64().iter().map(|&x| x as f32).collect())
    }

    fn shape(&self, t: TensorId) -> Vec<usize> {
        self.g.tensors[t].shape.clone()
    }

    /// Add a node; evaluate it now when every input is a constant.
    fn emit(&mut self, op: Op, inputs: Vec<Option<TensorId>>, out: &[DType]) -> R<Vec<TensorId>> {
        let name = self.fresh(&op.name().to_lowercase());
        let outs = self
            .g
            .push_node(&name, op, inputs, out)
            .map_err(|e| e.chain())?;
        let n = self.g.nodes.len() - 1;
        let node = &self.g.nodes[n];
        let all_const = node
            .inputs
            .iter()
            .flatten()
            .all(|&t| self.g.tensors[t].data.is_some());
        if all_const && !node.inputs.is_empty() {
            let vals: Vec<Option<Value>> = node
                .inputs
                .iter()
                .map(|t| t.and_then(|t| self.value(t)))
                .collect();
            let ins = vals.iter().map(|v| v.as_ref().map(In::Ref)).collect();
            let ctx = EvalCtx::for_node(&self.g, node, 1);
            if let Ok(vs) = ops::eval(&node.op, ins, &ctx) {
                for (v, &o) in vs.into_iter().zip(&outs) {
                    let t = &mut self.g.tensors[o];
                    t.shape = v.shape.clone();
                    t.dtype = v.dtype();
                    t.data = Some(Bytes::from_vec(v.data.to_le_bytes()));
                }
                self.g.nodes.pop();
            }
        }
        Ok(outs)
    }

    fn emit1(&mut self, op: Op, inputs: Vec<Option<TensorId>>) -> R<TensorId> {
        let dt = inputs
            .iter()
            .flatten()
            .next()
            .map_or(DType::F32, |&t| self.g.tensors[t].dtype);
        self.emit(op, inputs, &[dt]).map(|o| o[0])
    }

    fn transpose(&mut self, x: TensorId, perm: &[i64]) -> R<TensorId> {
        let p = self.ints_const("perm", perm);
        self.emit1(Op::Transpose, vec![Some(x), Some(p)])
    }

    fn reshape(&mut self, x: TensorId, shape: &[usize]) -> R<TensorId> {
        let s: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
        let p = self.ints_const("shape", &s);
        self.emit1(Op::Reshape { new_shape: None }, vec![Some(x), Some(p)])
    }

    fn binary(&mut self, kind: BinaryKind, a: TensorId, b: TensorId) -> R<TensorId> {
        self.emit1(
            Op::Binary(Binary {
                kind,
                act: Activation::None,
            }),
            vec![Some(a), Some(b)],
        )
    }

    fn scalar(&mut self, x: f32) -> TensorId {
        let n = self.fresh("c");
        self.konst(&n, scalar_f32(x))
    }

    fn unary(&mut self, k: UnaryKind, x: TensorId) -> R<TensorId> {
        self.emit1(Op::Unary(k), vec![Some(x)])
    }

    /// A 4-D NCHW input as NHWC (through a transpose the layout pass cancels).
    fn nhwc(&mut self, x: TensorId, what: &str) -> R<TensorId> {
        if self.shape(x).len() != 4 {
            return Err(format!(
                "{what} supports 4-D (NCHW) inputs only, got shape {:?}",
                self.shape(x)
            ));
        }
        self.transpose(x, &TO_NHWC)
    }

    fn pad_nhwc(&mut self, x: TensorId, p: [[usize; 2]; 2], value: Option<f32>) -> R<TensorId> {
        let v = [0, 0, p[0][0], p[0][1], p[1][0], p[1][1], 0, 0].map(|v| v as i64);
        let n = self.fresh("paddings");
        let pads = self.konst(
            &n,
            Value::new(vec![4, 2], Data::I32(v.iter().map(|&x| x as i32).collect())),
        );
        match value {
            None => self.emit1(Op::Pad { v2: false }, vec![Some(x), Some(pads)]),
            Some(c) => {
                let c = self.scalar(c);
                self.emit1(Op::Pad { v2: true }, vec![Some(x), Some(pads), Some(c)])
            }
        }
    }

    fn input(&self, n: &NodeProto, i: usize) -> R<Option<TensorId>> {
        match n.input.get(i).map(String::as_str) {
            None | Some("") => Ok(None),
            Some(name) => self
                .names
                .get(name)
                .copied()
                .map(Some)
                .ok_or_else(|| format!("input '{name}' is not produced by any earlier node")),
        }
    }

    fn need(&self, n: &NodeProto, i: usize) -> R<TensorId> {
        self.input(n, i)?
            .ok_or_else(|| format!("input {i} is missing"))
    }

    fn rank(&self, t: TensorId) -> usize {
        self.g.tensors[t].shape.len()
    }

    fn axis(&self, t: TensorId, a: i64) -> R<usize> {
        let r = self.rank(t) as i64;
        let v = if a < 0 { a + r } else { a };
        if v < 0 || v >= r.max(1) {
            return Err(format!("axis {a} out of range for rank {r}"));
        }
        Ok(v as usize)
    }

    /// Translate one node; returns its outputs.
    fn node(&mut self, n: &NodeProto) -> R<Vec<TensorId>> {
        let op = n.op_type.as_deref().unwrap_or("");
        let a = Attrs::new(n);
        let one = |t: TensorId| Ok(vec![t]);
        match op {
            "Identity" | "Dropout" => {
                if n.output.get(1).is_some_and(|o| !o.is_empty()) && op == "Dropout" {
                    // The mask of an inference-mode dropout is all true.
                    let x = self.need(n, 0)?;
                    let s = self.shape(x);
                    let nm = self.fresh("mask");
                    let m = self.konst(
                        &nm,
                        Value::new(s.clone(), Data::Bool(vec![true; s.iter().product()])),
                    );
                    return Ok(vec![x, m]);
                }
                one(self.need(n, 0)?)
            }
            "Constant" => {
                let v = if let Some(t) = a.0.get("value").and_then(|a| a.t.as_ref()) {
                    to_value(t, self.dir).map_err(|e| e.chain())?
                } else if a.has("value_float") {
                    scalar_f32(a.f("value_float", 0.0))
                } else if let Some(f) = a.floats("value_floats") {
                    Value::new(vec![f.len()], Data::F32(f))
                } else if a.has("value_int") {
                    Value::new(vec![], Data::I64(vec![a.i("value_int", 0)]))
                } else if let Some(i) = a.ints("value_ints") {
                    Value::new(vec![i.len()], Data::I64(i))
                } else {
                    return Err("Constant without a supported value attribute".into());
                };
                let name = n.output.first().cloned().unwrap_or_default();
                one(self.konst(&name, v))
            }
            "Shape" => {
                let x = self.need(n, 0)?;
                let s: Vec<i64> = self.shape(x).iter().map(|&d| d as i64).collect();
                let r = s.len() as i64;
                let clampi = |v: i64| (if v < 0 { v + r } else { v }).clamp(0, r) as usize;
                let (b, e) = (clampi(a.i("start", 0)), clampi(a.i("end", r)));
                let v = s[b..e.max(b)].to_vec();
                let nm = self.fresh("shape");
                one(self.konst(&nm, Value::new(vec![v.len()], Data::I64(v))))
            }
            "ConstantOfShape" => {
                let s = self.const_ints(self.need(n, 0)?, "the shape")?;
                let s: Vec<usize> = s.iter().map(|&d| d.max(0) as usize).collect();
                let count: usize = s.iter().product();
                if count > 1 << 28 {
                    return Err(format!("ConstantOfShape {s:?} is too large"));
                }
                let v = match a.0.get("value").and_then(|a| a.t.as_ref()) {
                    Some(t) => to_value(t, self.dir).map_err(|e| e.chain())?,
                    None => scalar_f32(0.0),
                };
                let data = match v.data {
                    Data::F32(x) => Data::F32(vec![x.first().copied().unwrap_or(0.0); count]),
                    Data::I64(x) => Data::I64(vec![x.first().copied().unwrap_or(0); count]),
                    Data::I32(x) => Data::I32(vec![x.first().copied().unwrap_or(0); count]),
                    Data::Bool(x) => Data::Bool(vec![x.first().copied().unwrap_or(false); count]),
                    Data::I8(x) => Data::I8(vec![x.first().copied().unwrap_or(0); count]),
                    Data::U8(x) => Data::U8(vec![x.first().copied().unwrap_or(0); count]),
                    d => return Err(format!("ConstantOfShape of {} is not supported", d.dtype())),
                };
                let nm = self.fresh("filled");
                one(self.konst(&nm, Value::new(s, data)))
            }
            "Relu" => one(self.unary(UnaryKind::Relu, self.need(n, 0)?)?),
            "Sigmoid" => one(self.unary(UnaryKind::Logistic, self.need(n, 0)?)?),
            "Tanh" => one(self.unary(UnaryKind::Tanh, self.need(n, 0)?)?),
            "Sqrt" => one(self.unary(UnaryKind::Sqrt, self.need(n, 0)?)?),
            "Exp" => one(self.unary(UnaryKind::Exp, self.need(n, 0)?)?),
            "HardSwish" => one(self.unary(UnaryKind::HardSwish, self.need(n, 0)?)?),
            "LeakyRelu" => one(self.emit1(
                Op::LeakyRelu {
                    alpha: a.f("alpha", 0.01),
                },
                vec![Some(self.need(n, 0)?)],
            )?),
            "PRelu" => {
                let (x, s) = (self.need(n, 0)?, self.need(n, 1)?);
                one(self.emit1(Op::Prelu, vec![Some(x), Some(s)])?)
            }
            "HardSigmoid" => {
                let x = self.need(n, 0)?;
                let (al, be) = (
                    self.scalar(a.f("alpha", 0.2)),
                    self.scalar(a.f("beta", 0.5)),
                );
                let y = self.binary(BinaryKind::Mul, x, al)?;
                let y = self.binary(BinaryKind::Add, y, be)?;
                let (z, o) = (self.scalar(0.0), self.scalar(1.0));
                let y = self.binary(BinaryKind::Maximum, y, z)?;
                one(self.binary(BinaryKind::Minimum, y, o)?)
            }
            "Clip" => {
                let x = self.need(n, 0)?;
                let (lo, hi) = if self.opset >= 11 {
                    let lo = match self.input(n, 1)? {
                        Some(t) => Some(
                            self.const_f32(t, "Clip min")?
                                .first()
                                .copied()
                                .unwrap_or(f32::MIN),
                        ),
                        None => None,
                    };
                    let hi = match self.input(n, 2)? {
                        Some(t) => Some(
                            self.const_f32(t, "Clip max")?
                                .first()
                                .copied()
                                .unwrap_or(f32::MAX),
                        ),
                        None => None,
                    };
                    (lo, hi)
                } else {
                    (
                        a.has("min").then(|| a.f("min", f32::MIN)),
                        a.has("max").then(|| a.f("max", f32::MAX)),
                    )
                };
                if self.g.tensors[x].dtype == DType::F32 {
                    match (lo, hi) {
                        (Some(l), Some(h)) if l == 0.0 && h == 6.0 => {
                            return one(self.unary(UnaryKind::Relu6, x)?);
                        }
                        (Some(l), None) if l == 0.0 => return one(self.unary(UnaryKind::Relu, x)?),
                        (Some(l), Some(h)) if l == -1.0 && h == 1.0 => {
                            return one(self.unary(UnaryKind::ReluN1To1, x)?);
                        }
                        _ => {}
                    }
                }
                let dt = self.g.tensors[x].dtype;
                let mk = |s: &mut Self, v: f32| {
                    let nm = s.fresh("bound");
                    let val = match dt {
                        DType::F32 => scalar_f32(v),
                        DType::I64 => Value::new(vec![], Data::I64(vec![v as i64])),
                        DType::I32 => Value::new(vec![], Data::I32(vec![v as i32])),
                        DType::I8 => Value::new(vec![], Data::I8(vec![v as i8])),
                        DType::U8 => Value::new(vec![], Data::U8(vec![v as u8])),
                        _ => scalar_f32(v),
                    };
                    s.konst(&nm, val)
                };
                let mut y = x;
                if let Some(l) = lo {
                    let c = mk(self, l);
                    y = self.binary(BinaryKind::Maximum, y, c)?;
                }
                if let Some(h) = hi {
                    let c = mk(self, h);
                    y = self.binary(BinaryKind::Minimum, y, c)?;
                }
                one(y)
            }
            "Add" | "Sub" | "Mul" | "Div" => {
                let kind = match op {
                    "Add" => BinaryKind::Add,
                    "Sub" => BinaryKind::Sub,
                    "Mul" => BinaryKind::Mul,
                    _ => BinaryKind::Div,
                };
                let (x, y) = (self.need(n, 0)?, self.need(n, 1)?);
                one(self.binary(kind, x, y)?)
            }
            "Pow" => {
                let (x, y) = (self.need(n, 0)?, self.need(n, 1)?);
                let e = self
                    .const_f32(y, "Pow exponent")
                    .ok()
                    .filter(|v| v.len() == 1 || v.windows(2).all(|w| w[0] == w[1]))
                    .and_then(|v| v.first().copied());
                match e {
                    Some(e) if e == 1.0 => one(x),
                    Some(e) if e == 2.0 => one(self.binary(BinaryKind::Mul, x, x)?),
                    Some(e) if e == 3.0 => {
                        let s = self.binary(BinaryKind::Mul, x, x)?;
                        one(self.binary(BinaryKind::Mul, s, x)?)
                    }
                    Some(e) if e == 0.5 => one(self.unary(UnaryKind::Sqrt, x)?),
                    Some(e) if e == -0.5 => one(self.unary(UnaryKind::Rsqrt, x)?),
                    Some(e) if e == -1.0 => {
                        let o = self.scalar(1.0);
                        one(self.binary(BinaryKind::Div, o, x)?)
                    }
                    _ => Err(
                        "Pow is supported with a constant exponent of -1, -0.5, 0.5, 1, 2 or 3"
                            .into(),
                    ),
                }
            }
            "Max" | "Min" => {
                let kind = if op == "Max" {
                    BinaryKind::Maximum
                } else {
                    BinaryKind::Minimum
                };
                let mut y = self.need(n, 0)?;
                for i in 1..n.input.len() {
                    let z = self.need(n, i)?;
                    y = self.binary(kind, y, z)?;
                }
                one(y)
            }
            "Softmax" | "LogSoftmax" => {
                let x = self.need(n, 0)?;
                let r = self.rank(x);
                let ax = self.axis(x, a.i("axis", if self.opset >= 13 { -1 } else { 1 }))?;
                let mk = |s: &mut Self, t| {
                    if op == "Softmax" {
                        s.emit1(Op::Softmax { beta: 1.0 }, vec![Some(t)])
                    } else {
                        s.emit1(Op::LogSoftmax, vec![Some(t)])
                    }
                };
                if ax + 1 == r {
                    return one(mk(self, x)?);
                }
                let s = self.shape(x);
                if self.opset < 13 {
                    // Older opsets flatten to 2-D at the axis.
                    let rows: usize = s[..ax].iter().product();
                    let cols: usize = s[ax..].iter().product();
                    let y = self.reshape(x, &[rows, cols])?;
                    let y = mk(self, y)?;
                    return one(self.reshape(y, &s)?);
                }
                let mut perm: Vec<i64> = (0..r as i64).collect();
                perm.swap(ax, r - 1);
                let y = self.transpose(x, &perm)?;
                let y = mk(self, y)?;
                one(self.transpose(y, &perm)?)
            }
            "Conv" => self.conv(n, &a),
            "ConvTranspose" => self.conv_transpose(n, &a),
            "BatchNormalization" => {
                let x = self.need(n, 0)?;
                let c = |s: &Self, i: usize, w: &str| s.const_f32(s.need(n, i)?, w);
                let (sc, b, m, v) = (
                    c(self, 1, "scale")?,
                    c(self, 2, "bias")?,
                    c(self, 3, "mean")?,
                    c(self, 4, "var")?,
                );
                let eps = a.f("epsilon", 1e-5);
                let ch = sc.len();
                if [b.len(), m.len(), v.len()].iter().any(|&l| l != ch) {
                    return Err("scale, bias, mean and var must have one value per channel".into());
                }
                let mul: Vec<f32> = (0..ch).map(|i| sc[i] / (v[i] + eps).sqrt()).collect();
                let add: Vec<f32> = (0..ch).map(|i| b[i] - m[i] * mul[i]).collect();
                let r = self.rank(x);
                let mut shp = vec![ch];
                shp.extend(std::iter::repeat_n(1, r.saturating_sub(2)));
                let (nm, na) = (self.fresh("bn_mul"), self.fresh("bn_add"));
                let cm = self.konst(&nm, Value::new(shp.clone(), Data::F32(mul)));
                let ca = self.konst(&na, Value::new(shp, Data::F32(add)));
                let y = self.binary(BinaryKind::Mul, x, cm)?;
                one(self.binary(BinaryKind::Add, y, ca)?)
            }
            "MaxPool" | "AveragePool" => {
                let x = self.need(n, 0)?;
                if n.output.get(1).is_some_and(|o| !o.is_empty()) {
                    return Err("MaxPool's Indices output is not supported".into());
                }
                let k = a.ints("kernel_shape").unwrap_or_default();
                let [kh, kw] = <[i64; 2]>::try_from(k.as_slice())
                    .map_err(|_| "only 2-D pooling is supported".to_string())?;
                let st = a.ints("strides").unwrap_or(vec![1, 1]);
                let dil = a.ints("dilations").unwrap_or(vec![1, 1]);
                if dil.iter().any(|&d| d != 1) {
                    return Err("dilated pooling is not supported".into());
                }
                let s = self.shape(x);
                if s.len() != 4 {
                    return Err(format!("pooling needs a 4-D input, got {s:?}"));
                }
                let stride = [
                    st.first().copied().unwrap_or(1) as usize,
                    st.get(1).copied().unwrap_or(1) as usize,
                ];
                let (pad, explicit) = window_padding(
                    [s[2], s[3]],
                    [kh as usize, kw as usize],
                    stride,
                    &a.s("auto_pad", "NOTSET"),
                    &a.ints("pads").unwrap_or_default(),
                    a.i("ceil_mode", 0) != 0,
                )?;
                let max = op == "MaxPool";
                let include = !max && a.i("count_include_pad", 0) != 0;
                let (pad, explicit) = if include && pad == Padding::Same {
                    // Padded zeros count: pad explicitly, then a VALID window.
                    let kk = [kh as usize, kw as usize];
                    let sp = |d: usize| {
                        let out = s[2 + d].div_ceil(stride[d]);
                        let total = ((out - 1) * stride[d] + kk[d]).saturating_sub(s[2 + d]);
                        [total / 2, total - total / 2]
                    };
                    (Padding::Valid, Some([sp(0), sp(1)]))
                } else {
                    (pad, explicit)
                };
                let mut y = self.nhwc(x, op)?;
                if let Some(p) = explicit {
                    if !max && !include {
                        return Err(format!(
                            "AveragePool with pads {p:?} that are not SAME-style and count_include_pad=0 is not supported"
                        ));
                    }
                    y = self.pad_nhwc(y, p, max.then_some(f32::MIN))?;
                }
                let y = self.emit1(
                    Op::Pool2d(Pool2d {
                        kind: if max {
                            PoolKind::Max
                        } else {
                            PoolKind::Average
                        },
                        padding: pad,
                        stride,
                        filter: [kh as usize, kw as usize],
                        act: Activation::None,
                    }),
                    vec![Some(y)],
                )?;
                one(self.transpose(y, &TO_NCHW)?)
            }
            "GlobalAveragePool" | "GlobalMaxPool" => {
                let x = self.need(n, 0)?;
                let r = self.rank(x);
                let axes: Vec<i64> = (2..r as i64).collect();
                let ax = self.ints_const("axes", &axes);
                one(self.emit1(
                    Op::Reduce(Reduce {
                        kind: if op == "GlobalMaxPool" {
                            ReduceKind::Max
                        } else {
                            ReduceKind::Mean
                        },
                        keep_dims: true,
                    }),
                    vec![Some(x), Some(ax)],
                )?)
            }
            "ReduceMean" | "ReduceMax" | "ReduceSum" => {
                let x = self.need(n, 0)?;
                let r = self.rank(x);
                let axes = match (a.ints("axes"), self.input(n, 1)?) {
                    (Some(v), _) => v,
                    (None, Some(t)) => self.const_ints(t, "axes")?,
                    (None, None) => vec![],
                };
                if axes.is_empty() && a.i("noop_with_empty_axes", 0) != 0 {
                    return one(x);
                }
                let axes: Vec<i64> = if axes.is_empty() {
                    (0..r as i64).collect()
                } else {
                    axes.iter()
                        .map(|&v| self.axis(x, v).map(|v| v as i64))
                        .collect::<R<_>>()?
                };
                let ax = self.ints_const("axes", &axes);
                let kind = match op {
                    "ReduceMean" => ReduceKind::Mean,
                    "ReduceMax" => ReduceKind::Max,
                    _ => ReduceKind::Sum,
                };
                one(self.emit1(
                    Op::Reduce(Reduce {
                        kind,
                        keep_dims: a.i("keepdims", 1) != 0,
                    }),
                    vec![Some(x), Some(ax)],
                )?)
            }
            "ArgMax" => {
                let x = self.need(n, 0)?;
                if a.i("select_last_index", 0) != 0 {
                    return Err("ArgMax with select_last_index=1 is not supported".into());
                }
                let ax = self.axis(x, a.i("axis", 0))?;
                let t = self.ints_const("axis", &[ax as i64]);
                let y = self.emit(
                    Op::ArgMax {
                        output_type: DType::I64,
                    },
                    vec![Some(x), Some(t)],
                    &[DType::I64],
                )?[0];
                if a.i("keepdims", 1) != 0 {
                    let mut s = self.shape(x);
                    s[ax] = 1;
                    return one(self.reshape(y, &s)?);
                }
                one(y)
            }
            "Flatten" => {
                let x = self.need(n, 0)?;
                let s = self.shape(x);
                let ax = if s.is_empty() {
                    0
                } else {
                    self.axis(x, a.i("axis", 1)).or_else(|_| {
                        if a.i("axis", 1) == s.len() as i64 {
                            Ok(s.len())
                        } else {
                            Err("bad axis".to_string())
                        }
                    })?
                };
                let rows: usize = s[..ax].iter().product();
                let cols: usize = s[ax..].iter().product();
                one(self.reshape(x, &[rows, cols])?)
            }
            "Reshape" => {
                let x = self.need(n, 0)?;
                let spec = self.const_ints(self.need(n, 1)?, "the shape")?;
                let s = self.shape(x);
                let allow_zero = a.i("allowzero", 0) != 0;
                let mut out: Vec<i64> = spec
                    .iter()
                    .enumerate()
                    .map(|(i, &d)| {
                        if d == 0 && !allow_zero {
                            s.get(i)
                                .map(|&v| v as i64)
                                .ok_or_else(|| "0 past the input rank".to_string())
                        } else {
                            Ok(d)
                        }
                    })
                    .collect::<R<_>>()?;
                let total: usize = s.iter().product();
                if let Some(p) = out.iter().position(|&d| d == -1) {
                    let known: i64 = out
                        .iter()
                        .enumerate()
                        .filter(|&(i, _)| i != p)
                        .map(|(_, &d)| d)
                        .product();
                    if known <= 0 || total as i64 % known != 0 {
                        return Err(format!("cannot reshape {s:?} to {spec:?}"));
                    }
                    out[p] = total as i64 / known;
                }
                if out.iter().any(|&d| d < 0) || out.iter().product::<i64>() != total as i64 {
                    return Err(format!("cannot reshape {s:?} to {spec:?}"));
                }
                let shape: Vec<usize> = out.iter().map(|&d| d as usize).collect();
                one(self.reshape(x, &shape)?)
            }
            "Squeeze" | "Unsqueeze" => {
                let x = self.need(n, 0)?;
                let axes = match (a.ints("axes"), self.input(n, 1)?) {
                    (Some(v), _) => v,
                    (None, Some(t)) => self.const_ints(t, "axes")?,
                    (None, None) => vec![],
                };
                let s = self.shape(x);
                let shape: Vec<usize> = if op == "Squeeze" {
                    let ax: Vec<usize> = axes.iter().map(|&v| self.axis(x, v)).collect::<R<_>>()?;
                    s.iter()
                        .enumerate()
                        .filter(|&(i, &d)| {
                            if ax.is_empty() {
                                d != 1
                            } else {
                                !ax.contains(&i)
                            }
                        })
                        .map(|(_, &d)| d)
                        .collect()
                } else {
                    let r = (s.len() + axes.len()) as i64;
                    let mut ax: Vec<usize> = axes
                        .iter()
                        .map(|&v| {
                            let v = if v < 0 { v + r } else { v };
                            if v < 0 || v >= r {
                                Err(format!("axis out of range for rank {r}"))
                            } else {
                                Ok(v as usize)
                            }
                        })
                        .collect::<R<_>>()?;
                    ax.sort_unstable();
                    let mut it = s.iter();
                    (0..r as usize)
                        .map(|i| {
                            if ax.contains(&i) {
                                1
                            } else {
                                it.next().copied().unwrap_or(1)
                            }
                        })
                        .collect()
                };
                one(self.reshape(x, &shape)?)
            }
            "Expand" => {
                let x = self.need(n, 0)?;
                let want = self.const_ints(self.need(n, 1)?, "the shape")?;
                let s = self.shape(x);
                let r = want.len().max(s.len());
                let mut out = vec![1usize; r];
                for i in 0..r {
                    let a_ = if i + s.len() >= r {
                        s[i + s.len() - r]
                    } else {
                        1
                    };
                    let b_ = if i + want.len() >= r {
                        want[i + want.len() - r].max(0) as usize
                    } else {
                        1
                    };
                    out[i] = if a_ == 1 {
                        b_
                    } else if b_ == 1 || b_ == a_ {
                        a_
                    } else {
                        return Err(format!("cannot expand {s:?} to {want:?}"));
                    };
                }
                if out.iter().product::<usize>() > 1 << 28 {
                    return Err("Expand result is too large".into());
                }
                let dt = self.g.tensors[x].dtype;
                let zeros = Value::new(out.clone(), Data::zeros(dt, out.iter().product()));
                let nm = self.fresh("expand_zeros");
                let z = self.konst(&nm, zeros);
                if dt == DType::Bool {
                    return Err("Expand of booleans is not supported".into());
                }
                one(self.binary(BinaryKind::Add, x, z)?)
            }
            "Transpose" => {
                let x = self.need(n, 0)?;
                let r = self.rank(x) as i64;
                let perm = a.ints("perm").unwrap_or_else(|| (0..r).rev().collect());
                one(self.transpose(x, &perm)?)
            }
            "Concat" => {
                let ins: Vec<TensorId> = (0..n.input.len())
                    .map(|i| self.need(n, i))
                    .collect::<R<_>>()?;
                let first = *ins.first().ok_or("Concat without inputs")?;
                let ax = self.axis(first, a.i("axis", 0))?;
                let dt = self.g.tensors[first].dtype;
                one(self.emit(
                    Op::Concatenation {
                        axis: ax as i32,
                        act: Activation::None,
                    },
                    ins.into_iter().map(Some).collect(),
                    &[dt],
                )?[0])
            }
            "Split" => {
                let x = self.need(n, 0)?;
                let ax = self.axis(x, a.i("axis", 0))?;
                let dim = self.shape(x)[ax];
                let parts = n.output.len().max(1);
                let sizes: Vec<usize> = match (a.ints("split"), self.input(n, 1)?) {
                    (Some(v), _) => v.iter().map(|&v| v.max(0) as usize).collect(),
                    (None, Some(t)) => self
                        .const_ints(t, "split")?
                        .iter()
                        .map(|&v| v.max(0) as usize)
                        .collect(),
                    (None, None) => {
                        let each = dim.div_ceil(parts);
                        (0..parts)
                            .map(|i| each.min(dim.saturating_sub(i * each)))
                            .collect()
                    }
                };
                if sizes.iter().sum::<usize>() != dim || sizes.len() != parts {
                    return Err(format!(
                        "split sizes {sizes:?} do not cover dimension {dim} in {parts} parts"
                    ));
                }
                let s = self.shape(x);
                let mut outs = Vec::new();
                let mut start = 0;
                for sz in sizes {
                    let mut b = vec![0i64; s.len()];
                    let mut z: Vec<i64> = s.iter().map(|&d| d as i64).collect();
                    b[ax] = start as i64;
                    z[ax] = sz as i64;
                    let (bt, zt) = (self.ints_const("begin", &b), self.ints_const("size", &z));
                    outs.push(self.emit1(Op::Slice, vec![Some(x), Some(bt), Some(zt)])?);
                    start += sz;
                }
                Ok(outs)
            }
            "Slice" => {
                let x = self.need(n, 0)?;
                let s = self.shape(x);
                let r = s.len();
                let get = |s_: &Self, i: usize, attr: &str| -> R<Option<Vec<i64>>> {
                    if s_.opset >= 10 {
                        match s_.input(n, i)? {
                            Some(t) => Ok(Some(s_.const_ints(t, attr)?)),
                            None => Ok(None),
                        }
                    } else {
                        Ok(a.ints(attr))
                    }
                };
                let starts = get(self, 1, "starts")?.ok_or("Slice without starts")?;
                let ends = get(self, 2, "ends")?.ok_or("Slice without ends")?;
                let axes =
                    get(self, 3, "axes")?.unwrap_or_else(|| (0..starts.len() as i64).collect());
                let steps = get(self, 4, "steps")?.unwrap_or_else(|| vec![1; starts.len()]);
                if [ends.len(), axes.len(), steps.len()]
                    .iter()
                    .any(|&l| l != starts.len())
                {
                    return Err("starts, ends, axes and steps must have the same length".into());
                }
                let mut b: Vec<i64> = vec![0; r];
                let mut e: Vec<i64> = s.iter().map(|&d| d as i64).collect();
                let mut st: Vec<i64> = vec![1; r];
                let mut end_mask = 0i32;
                for k in 0..starts.len() {
                    let ax = self.axis(x, axes[k])?;
                    let d = s[ax] as i64;
                    let step = steps[k];
                    if step == 0 {
                        return Err("Slice step 0".into());
                    }
                    let norm = |v: i64| if v < 0 { v + d } else { v };
                    if step > 0 {
                        b[ax] = norm(starts[k]).clamp(0, d);
                        e[ax] = norm(ends[k]).clamp(0, d);
                    } else {
                        b[ax] = norm(starts[k]).clamp(-1, d - 1);
                        e[ax] = norm(ends[k]).clamp(-1, d - 1);
                        if e[ax] == -1 {
                            end_mask |= 1 << ax;
                        }
                    }
                    st[ax] = step;
                }
                let (bt, et, stt) = (
                    self.ints_const("begin", &b),
                    self.ints_const("end", &e),
                    self.ints_const("strides", &st),
                );
                one(self.emit1(
                    Op::StridedSlice(StridedSlice {
                        end_mask,
                        ..Default::default()
                    }),
                    vec![Some(x), Some(bt), Some(et), Some(stt)],
                )?)
            }
            "Gather" => {
                let (x, i) = (self.need(n, 0)?, self.need(n, 1)?);
                let ax = self.axis(x, a.i("axis", 0))?;
                let d = self.shape(x)[ax] as i64;
                // Negative indices count from the end in ONNX: normalize constant ones.
                let idx = match self.value(i) {
                    Some(v) => {
                        let vals = v.data.to_i64().ok_or("indices must be integers")?;
                        let fixed: Vec<i64> = vals
                            .iter()
                            .map(|&k| if k < 0 { k + d } else { k })
                            .collect();
                        if fixed.iter().any(|&k| k < 0 || k >= d) {
                            return Err(format!("Gather index out of range for dimension {d}"));
                        }
                        let nm = self.fresh("indices");
                        self.konst(
                            &nm,
                            Value::new(
                                v.shape.clone(),
                                Data::I32(fixed.iter().map(|&k| k as i32).collect()),
                            ),
                        )
                    }
                    None => i,
                };
                one(self.emit1(
                    Op::Gather {
                        axis: ax as i32,
                        batch_dims: 0,
                    },
                    vec![Some(x), Some(idx)],
                )?)
            }
            "Pad" => {
                let x = self.need(n, 0)?;
                let mode = a.s("mode", "constant");
                if mode != "constant" {
                    return Err(format!(
                        "Pad mode '{mode}' is not supported (constant only)"
                    ));
                }
                let r = self.rank(x);
                let pads = if self.opset >= 11 {
                    self.const_ints(self.need(n, 1)?, "pads")?
                } else {
                    a.ints("pads").unwrap_or_default()
                };
                let value = if self.opset >= 11 {
                    match self.input(n, 2)? {
                        Some(t) => self
                            .const_f32(t, "constant_value")?
                            .first()
                            .copied()
                            .unwrap_or(0.0),
                        None => 0.0,
                    }
                } else {
                    a.f("value", 0.0)
                };
                let axes = match self.input(n, 3)? {
                    Some(t) => self
                        .const_ints(t, "axes")?
                        .iter()
                        .map(|&v| self.axis(x, v))
                        .collect::<R<Vec<_>>>()?,
                    None => (0..r).collect(),
                };
                if pads.len() != 2 * axes.len() || pads.iter().any(|&p| p < 0) {
                    return Err(format!("pads {pads:?} (negative pads are not supported)"));
                }
                let mut p = vec![0i32; 2 * r];
                for (k, &ax) in axes.iter().enumerate() {
                    p[2 * ax] = pads[k] as i32;
                    p[2 * ax + 1] = pads[k + axes.len()] as i32;
                }
                let nm = self.fresh("paddings");
                let pt = self.konst(&nm, Value::new(vec![r, 2], Data::I32(p)));
                if value == 0.0 {
                    one(self.emit1(Op::Pad { v2: false }, vec![Some(x), Some(pt)])?)
                } else {
                    let c = self.scalar(value);
                    one(self.emit1(Op::Pad { v2: true }, vec![Some(x), Some(pt), Some(c)])?)
                }
            }
            "Resize" | "Upsample" => self.resize(n, &a, op),
            "Gemm" => {
                let (x, w) = (self.need(n, 0)?, self.need(n, 1)?);
                let x = if a.i("transA", 0) != 0 {
                    if self.rank(x) != 2 {
                        return Err("Gemm with transA=1 needs a 2-D input".into());
                    }
                    self.transpose(x, &[1, 0])?
                } else {
                    x
                };
                let (alpha, beta) = (a.f("alpha", 1.0), a.f("beta", 1.0));
                let wv = self.value(w).ok_or("Gemm weights must be a constant")?;
                let ws = wv.shape.clone();
                if ws.len() != 2 {
                    return Err("Gemm weights must be 2-D".into());
                }
                let wf: Vec<f32> = wv.data.to_f64().iter().map(|&v| v as f32 * alpha).collect();
                let (units, depth, wt) = if a.i("transB", 0) != 0 {
                    (ws[0], ws[1], wf)
                } else {
                    let mut t = vec![0f32; wf.len()];
                    for k in 0..ws[0] {
                        for u in 0..ws[1] {
                            t[u * ws[0] + k] = wf[k * ws[1] + u];
                        }
                    }
                    (ws[1], ws[0], t)
                };
                let nm = self.fresh("weights");
                let wt = self.konst(&nm, Value::new(vec![units, depth], Data::F32(wt)));
                // C folds into the bias when it is one value per output (or a scalar);
                // anything else is added after the product.
                let mut after = None;
                let bias: Vec<f32> = match self.input(n, 2)? {
                    Some(c) => match self.value(c) {
                        Some(cv)
                            if cv.numel() == units
                                && cv.shape.last().copied().unwrap_or(1) == units =>
                        {
                            cv.data.to_f64().iter().map(|&v| v as f32 * beta).collect()
                        }
                        Some(cv) if cv.numel() == 1 => {
                            vec![
                                cv.data.to_f64().first().copied().unwrap_or(0.0) as f32 * beta;
                                units
                            ]
                        }
                        _ => {
                            after = Some(c);
                            vec![0.0; units]
                        }
                    },
                    None => vec![0.0; units],
                };
                let nm = self.fresh("bias");
                let bt = self.konst(&nm, Value::new(vec![units], Data::F32(bias)));
                let y = self.emit1(
                    Op::FullyConnected(FullyConnected {
                        act: Activation::None,
                        keep_num_dims: false,
                        asymmetric_quantize_inputs: false,
                    }),
                    vec![Some(x), Some(wt), Some(bt)],
                )?;
                match after {
                    Some(c) => {
                        let c = if beta == 1.0 {
                            c
                        } else {
                            let b = self.scalar(beta);
                            self.binary(BinaryKind::Mul, c, b)?
                        };
                        one(self.binary(BinaryKind::Add, y, c)?)
                    }
                    None => one(y),
                }
            }
            "MatMul" => {
                let (x, w) = (self.need(n, 0)?, self.need(n, 1)?);
                // NumPy rules for 1-D operands: a vector on the left gains a leading 1, on the
                // right a trailing 1, and that dimension is dropped from the result.
                let (xr, wr) = (self.rank(x), self.rank(w));
                if xr == 1 || wr == 1 {
                    let (xs, ws) = (self.shape(x), self.shape(w));
                    let x2 = if xr == 1 {
                        self.reshape(x, &[1, xs[0]])?
                    } else {
                        x
                    };
                    let w2 = if wr == 1 {
                        self.reshape(w, &[ws[0], 1])?
                    } else {
                        w
                    };
                    let y = self.emit1(
                        Op::BatchMatMul(BatchMatMul {
                            adj_x: false,
                            adj_y: false,
                            asymmetric_quantize_inputs: false,
                        }),
                        vec![Some(x2), Some(w2)],
                    )?;
                    let mut s = self.shape(y);
                    let r = s.len();
                    if wr == 1 {
                        s.remove(r - 1);
                    }
                    if xr == 1 {
                        s.remove(s.len() - 1 - usize::from(wr != 1));
                    }
                    return one(self.reshape(y, &s)?);
                }
                match self.value(w) {
                    Some(wv) if wv.shape.len() == 2 && self.rank(x) >= 2 => {
                        let (k, u) = (wv.shape[0], wv.shape[1]);
                        let wf = wv.data.to_f64();
                        let mut t = vec![0f32; k * u];
                        for i in 0..k {
                            for j in 0..u {
                                t[j * k + i] = wf[i * u + j] as f32;
                            }
                        }
                        let nm = self.fresh("weights");
                        let wt = self.konst(&nm, Value::new(vec![u, k], Data::F32(t)));
                        let nb = self.fresh("bias");
                        let b = self.konst(&nb, Value::new(vec![u], Data::F32(vec![0.0; u])));
                        one(self.emit1(
                            Op::FullyConnected(FullyConnected {
                                act: Activation::None,
                                keep_num_dims: true,
                                asymmetric_quantize_inputs: false,
                            }),
                            vec![Some(x), Some(wt), Some(b)],
                        )?)
                    }
                    _ => one(self.emit1(
                        Op::BatchMatMul(BatchMatMul {
                            adj_x: false,
                            adj_y: false,
                            asymmetric_quantize_inputs: false,
                        }),
                        vec![Some(x), Some(w)],
                    )?),
                }
            }
            "Cast" => {
                let x = self.need(n, 0)?;
                let to = a.i("to", 1) as i32;
                let dt = engine_dtype(to)
                    .ok_or_else(|| format!("Cast to {} is not supported", dtype_name(to)))?;
                if to == super::proto::dtype::FLOAT16 {
                    // Half values are carried as f32: round through f16.
                    let x = if self.g.tensors[x].dtype == DType::F32 {
                        x
                    } else {
                        self.emit(Op::Cast, vec![Some(x)], &[DType::F32])?[0]
                    };
                    let h = self.emit(Op::Cast, vec![Some(x)], &[DType::F16])?[0];
                    return one(self.emit(Op::Cast, vec![Some(h)], &[DType::F32])?[0]);
                }
                if self.g.tensors[x].dtype == dt {
                    return one(x);
                }
                one(self.emit(Op::Cast, vec![Some(x)], &[dt])?[0])
            }
            "LayerNormalization" => {
                let x = self.need(n, 0)?;
                let r = self.rank(x);
                let ax = self.axis(x, a.i("axis", -1))?;
                let eps = a.f("epsilon", 1e-5);
                let axes: Vec<i64> = (ax as i64..r as i64).collect();
                let red = |s: &mut Self, t: TensorId| {
                    let at = s.ints_const("axes", &axes);
                    s.emit1(
                        Op::Reduce(Reduce {
                            kind: ReduceKind::Mean,
                            keep_dims: true,
                        }),
                        vec![Some(t), Some(at)],
                    )
                };
                let mean = red(self, x)?;
                let d = self.binary(BinaryKind::Sub, x, mean)?;
                let sq = self.binary(BinaryKind::Mul, d, d)?;
                let var = red(self, sq)?;
                let e = self.scalar(eps);
                let ve = self.binary(BinaryKind::Add, var, e)?;
                let inv = self.unary(UnaryKind::Rsqrt, ve)?;
                let mut y = self.binary(BinaryKind::Mul, d, inv)?;
                let sc = self.need(n, 1)?;
                y = self.binary(BinaryKind::Mul, y, sc)?;
                if let Some(b) = self.input(n, 2)? {
                    y = self.binary(BinaryKind::Add, y, b)?;
                }
                // Optional training outputs: the mean and 1/sqrt(var + eps), reduced dims kept.
                Ok(vec![y, mean, inv])
            }
            "QuantizeLinear" | "DequantizeLinear" => self.qdq(n, &a, op),
            _ => Err(format!("op {op} is not supported")),
        }
    }

    fn qdq(&mut self, n: &NodeProto, a: &Attrs<'_>, op: &str) -> R<Vec<TensorId>> {
        let x = self.need(n, 0)?;
        let s = self.const_f32(self.need(n, 1)?, "the scale")?;
        let (zp, zdt) = match self.input(n, 2)? {
            Some(t) => {
                let v = self.value(t).ok_or("the zero point must be a constant")?;
                (
                    v.data.to_i64().ok_or("zero point must be integers")?,
                    v.dtype(),
                )
            }
            None => (vec![0], DType::U8),
        };
        if s.len() != 1 || zp.len() != 1 {
            let _ = a;
            return Err(format!(
                "{op}: only per-tensor scale and zero point are supported"
            ));
        }
        let q = QuantParams::per_tensor(s[0], zp[0]);
        if op == "QuantizeLinear" {
            let dt = match zdt {
                DType::I8 => DType::I8,
                DType::U8 => DType::U8,
                d => return Err(format!("QuantizeLinear to {d} is not supported")),
            };
            let y = self.emit(Op::Quantize, vec![Some(x)], &[dt])?[0];
            self.g.tensors[y].quant = Some(q);
            Ok(vec![y])
        } else {
            // The quantized input carries the parameters (constants get them here).
            let t = &mut self.g.tensors[x];
            if !matches!(t.dtype, DType::I8 | DType::U8 | DType::I32) {
                return Err(format!("DequantizeLinear of {} is not supported", t.dtype));
            }
            if t.quant.is_none() || t.data.is_some() {
                t.quant = Some(q);
            }
            Ok(vec![
                self.emit(Op::Dequantize, vec![Some(x)], &[DType::F32])?[0],
            ])
        }
    }

    fn conv(&mut self, n: &NodeProto, a: &Attrs<'_>) -> R<Vec<TensorId>> {
        let x = self.need(n, 0)?;
        let w = self.need(n, 1)?;
        let wv = self.value(w).ok_or("Conv weights must be a constant")?;
        let ws = wv.shape.clone();
        let xs = self.shape(x);
        if ws.len() != 4 || xs.len() != 4 {
            return Err(format!(
                "only 2-D Conv is supported (input {xs:?}, weights {ws:?})"
            ));
        }
        let (m, cg, kh, kw) = (ws[0], ws[1], ws[2], ws[3]);
        let group = a.i("group", 1).max(1) as usize;
        let c = xs[1];
        if cg * group != c {
            return Err(format!(
                "weights {ws:?} do not match {c} input channels in {group} groups"
            ));
        }
        let st = a.ints("strides").unwrap_or(vec![1, 1]);
        let dl = a.ints("dilations").unwrap_or(vec![1, 1]);
        let stride = [
            st.first().copied().unwrap_or(1).max(1) as usize,
            st.get(1).copied().unwrap_or(1).max(1) as usize,
        ];
        let dilation = [
            dl.first().copied().unwrap_or(1).max(1) as usize,
            dl.get(1).copied().unwrap_or(1).max(1) as usize,
        ];
        let k_eff = [(kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1];
        let (padding, explicit) = window_padding(
            [xs[2], xs[3]],
            k_eff,
            stride,
            &a.s("auto_pad", "NOTSET"),
            &a.ints("pads").unwrap_or_default(),
            false,
        )?;
        let wf: Vec<f32> = wv.data.to_f64().iter().map(|&v| v as f32).collect();
        let bias: Vec<f32> = match self.input(n, 2)? {
            Some(b) => self.const_f32(b, "Conv bias")?,
            None => vec![0.0; m],
        };
        if bias.len() != m {
            return Err(format!(
                "bias has {} values for {m} output channels",
                bias.len()
            ));
        }
        let mut y = self.nhwc(x, "Conv")?;
        if let Some(p) = explicit {
            y = self.pad_nhwc(y, p, None)?;
        }
        let (nw, nb) = (self.fresh("filter"), self.fresh("bias"));
        let bt = self.konst(&nb, Value::new(vec![m], Data::F32(bias)));
        let y = if group == 1 {
            // OIHW → OHWI.
            let mut t = vec![0f32; wf.len()];
            for o in 0..m {
                for i in 0..cg {
                    for yy in 0..kh {
                        for xx in 0..kw {
                            t[((o * kh + yy) * kw + xx) * cg + i] =
                                wf[((o * cg + i) * kh + yy) * kw + xx];
                        }
                    }
                }
            }
            let wt = self.konst(&nw, Value::new(vec![m, kh, kw, cg], Data::F32(t)));
            self.emit1(
                Op::Conv2d(Conv2d {
                    padding,
                    stride,
                    dilation,
                    act: Activation::None,
                }),
                vec![Some(y), Some(wt), Some(bt)],
            )?
        } else if group == c && cg == 1 {
            // Depthwise: [M, 1, kh, kw] → [1, kh, kw, M].
            let mut t = vec![0f32; wf.len()];
            for o in 0..m {
                for yy in 0..kh {
                    for xx in 0..kw {
                        t[(yy * kw + xx) * m + o] = wf[(o * kh + yy) * kw + xx];
                    }
                }
            }
            let wt = self.konst(&nw, Value::new(vec![1, kh, kw, m], Data::F32(t)));
            self.emit1(
                Op::DepthwiseConv2d(DepthwiseConv2d {
                    padding,
                    stride,
                    dilation,
                    depth_multiplier: m / c.max(1),
                    act: Activation::None,
                }),
                vec![Some(y), Some(wt), Some(bt)],
            )?
        } else {
            return Err(format!(
                "grouped Conv (group={group}, not depthwise) is not supported"
            ));
        };
        Ok(vec![self.transpose(y, &TO_NCHW)?])
    }

    fn conv_transpose(&mut self, n: &NodeProto, a: &Attrs<'_>) -> R<Vec<TensorId>> {
        let x = self.need(n, 0)?;
        let w = self.need(n, 1)?;
        let wv = self
            .value(w)
            .ok_or("ConvTranspose weights must be a constant")?;
        let ws = wv.shape.clone();
        let xs = self.shape(x);
        if ws.len() != 4 || xs.len() != 4 {
            return Err("only 2-D ConvTranspose is supported".into());
        }
        if a.i("group", 1) != 1 {
            return Err("grouped ConvTranspose is not supported".into());
        }
        if a.ints("dilations")
            .is_some_and(|d| d.iter().any(|&v| v != 1))
        {
            return Err("dilated ConvTranspose is not supported".into());
        }
        let (c, m, kh, kw) = (ws[0], ws[1], ws[2], ws[3]);
        let st = a.ints("strides").unwrap_or(vec![1, 1]);
        let stride = [
            st.first().copied().unwrap_or(1).max(1) as usize,
            st.get(1).copied().unwrap_or(1).max(1) as usize,
        ];
        let pads = a.ints("pads").unwrap_or(vec![0; 4]);
        let op_ = a.ints("output_padding").unwrap_or(vec![0, 0]);
        let auto = a.s("auto_pad", "NOTSET");
        let (padding, out_hw) = if auto == "SAME_UPPER" {
            (Padding::Same, [xs[2] * stride[0], xs[3] * stride[1]])
        } else if pads.iter().all(|&p| p == 0)
            && op_.iter().all(|&p| p == 0)
            && (auto == "NOTSET" || auto == "VALID")
        {
            (
                Padding::Valid,
                [(xs[2] - 1) * stride[0] + kh, (xs[3] - 1) * stride[1] + kw],
            )
        } else {
            // Explicit pads that equal TFLite SAME's split.
            let oh = (xs[2] - 1) * stride[0] + kh - pads[0] as usize - pads[2] as usize
                + op_[0] as usize;
            let ow = (xs[3] - 1) * stride[1] + kw - pads[1] as usize - pads[3] as usize
                + op_[1] as usize;
            let same_ok = |o: usize, i: usize, s: usize, k: usize, b: i64| {
                o == i * s && {
                    let total = ((i - 1) * s + k).saturating_sub(o);
                    total / 2 == b as usize
                }
            };
            if same_ok(oh, xs[2], stride[0], kh, pads[0])
                && same_ok(ow, xs[3], stride[1], kw, pads[1])
            {
                (Padding::Same, [oh, ow])
            } else {
                return Err(format!(
                    "ConvTranspose pads {pads:?} / output_padding {op_:?} are not supported"
                ));
            }
        };
        if ws[0] != xs[1] {
            return Err("ConvTranspose weights do not match the input channels".into());
        }
        // IOHW ([C, M, kh, kw]) → OHWI ([M, kh, kw, C]).
        let wf = wv.data.to_f64();
        let mut t = vec![0f32; wf.len()];
        for i in 0..c {
            for o in 0..m {
                for yy in 0..kh {
                    for xx in 0..kw {
                        t[((o * kh + yy) * kw + xx) * c + i] =
                            wf[((i * m + o) * kh + yy) * kw + xx] as f32;
                    }
                }
            }
        }
        let nw = self.fresh("filter");
        let wt = self.konst(&nw, Value::new(vec![m, kh, kw, c], Data::F32(t)));
        let bias = match self.input(n, 2)? {
            Some(b) => Some(b),
            None => None,
        };
        let y = self.nhwc(x, "ConvTranspose")?;
        let osh = self.ints_const(
            "output_shape",
            &[xs[0] as i64, out_hw[0] as i64, out_hw[1] as i64, m as i64],
        );
        let y = self.emit1(
            Op::TransposeConv(TransposeConv {
                padding,
                stride,
                act: Activation::None,
            }),
            vec![Some(osh), Some(wt), Some(y), bias],
        )?;
        Ok(vec![self.transpose(y, &TO_NCHW)?])
    }

    fn resize(&mut self, n: &NodeProto, a: &Attrs<'_>, op: &str) -> R<Vec<TensorId>> {
        let x = self.need(n, 0)?;
        let xs = self.shape(x);
        if xs.len() != 4 {
            return Err(format!("{op} supports 4-D NCHW inputs only"));
        }
        let mode = a.s("mode", "nearest");
        let (scales, sizes): (Option<Vec<f32>>, Option<Vec<i64>>) = if op == "Upsample" {
            let s = if self.opset >= 9 {
                Some(self.const_f32(self.need(n, 1)?, "scales")?)
            } else {
                a.floats("scales")
            };
            (s, None)
        } else if self.opset < 11 {
            (Some(self.const_f32(self.need(n, 1)?, "scales")?), None)
        } else {
            let sc = match self.input(n, 2)? {
                Some(t) => Some(self.const_f32(t, "scales")?).filter(|v| !v.is_empty()),
                None => None,
            };
            let sz = match self.input(n, 3)? {
                Some(t) => Some(self.const_ints(t, "sizes")?).filter(|v| !v.is_empty()),
                None => None,
            };
            (sc, sz)
        };
        if a.ints("axes").is_some() {
            return Err("Resize with axes is not supported".into());
        }
        let (oh, ow) = match (sizes, scales) {
            (Some(s), _) if s.len() == 4 => {
                if s[0] as usize != xs[0] || s[1] as usize != xs[1] {
                    return Err("Resize of the batch or channel dimension is not supported".into());
                }
                (s[2].max(1) as usize, s[3].max(1) as usize)
            }
            (_, Some(s)) if s.len() == 4 => {
                if s[0] != 1.0 || s[1] != 1.0 {
                    return Err("Resize of the batch or channel dimension is not supported".into());
                }
                (
                    (xs[2] as f32 * s[2]).floor() as usize,
                    (xs[3] as f32 * s[3]).floor() as usize,
                )
            }
            _ => return Err(format!("{op} needs 4 scales or 4 sizes")),
        };
        let ctm = if op == "Upsample" || self.opset < 11 {
            "asymmetric".to_string()
        } else {
            a.s("coordinate_transformation_mode", "half_pixel")
        };
        let nearest_mode = a.s("nearest_mode", "round_prefer_floor");
        let r = match (mode.as_str(), ctm.as_str()) {
            ("nearest", "asymmetric")
                if op == "Upsample" || self.opset < 11 || nearest_mode == "floor" =>
            {
                Resize {
                    bilinear: false,
                    align_corners: false,
                    half_pixel_centers: false,
                }
            }
            ("nearest", "tf_half_pixel_for_nn") => Resize {
                bilinear: false,
                align_corners: false,
                half_pixel_centers: true,
            },
            ("nearest", "align_corners") if nearest_mode == "round_prefer_ceil" => Resize {
                bilinear: false,
                align_corners: true,
                half_pixel_centers: false,
            },
            ("linear" | "bilinear", "asymmetric") => Resize {
                bilinear: true,
                align_corners: false,
                half_pixel_centers: false,
            },
            ("linear" | "bilinear", "half_pixel" | "pytorch_half_pixel")
                if ctm == "half_pixel" || (oh > 1 && ow > 1) =>
            {
                Resize {
                    bilinear: true,
                    align_corners: false,
                    half_pixel_centers: true,
                }
            }
            ("linear" | "bilinear", "align_corners") => Resize {
                bilinear: true,
                align_corners: true,
                half_pixel_centers: false,
            },
            (m, c) => {
                return Err(format!(
                    "{op} mode '{m}' with coordinate_transformation_mode '{c}' (nearest_mode '{nearest_mode}') is not supported"
                ));
            }
        };
        let y = self.nhwc(x, op)?;
        let size = self.ints_const("size", &[oh as i64, ow as i64]);
        let y = self.emit1(Op::Resize(r), vec![Some(y), Some(size)])?;
        Ok(vec![self.transpose(y, &TO_NCHW)?])
    }
}

/// Import a decoded model.
pub fn import(m: &ModelProto, dir: Option<&Path>, opts: &ImportOptions) -> Result<Graph> {
    let gp: &GraphProto = m
        .graph
        .as_ref()
        .ok_or_else(|| Error::import("the model has no graph"))?;
    let opset = m
        .opset_import
        .iter()
        .find(|o| matches!(o.domain.as_deref(), None | Some("") | Some("ai.onnx")))
        .and_then(|o| o.version)
        .unwrap_or(1);
    if !(7..=28).contains(&opset) {
        return Err(Error::import(format!(
            "opset {opset} is outside the supported range 7-21"
        )));
    }
    // Every op we cannot translate, listed at once.
    let mut unsupported: BTreeMap<String, usize> = BTreeMap::new();
    for n in &gp.node {
        let op = n.op_type.as_deref().unwrap_or("");
        let dom = n.domain.as_deref().unwrap_or("");
        if !(dom.is_empty() || dom == "ai.onnx") || !SUPPORTED.contains(&op) {
            let key = if dom.is_empty() {
                op.to_string()
            } else {
                format!("{dom}.{op}")
            };
            *unsupported.entry(key).or_default() += 1;
        }
    }
    if !unsupported.is_empty() {
        return Err(Error::Unsupported {
            ops: unsupported
                .into_iter()
                .map(|(k, c)| format!("{k} ({c} node{})", if c == 1 { "" } else { "s" }))
                .collect(),
        });
    }
    if !gp.sparse_initializer.is_empty() {
        return Err(Error::import("sparse initializers are not supported"));
    }
    let mut im = Importer {
        g: Graph::default(),
        names: HashMap::new(),
        dir,
        opset,
        node: String::new(),
        counter: 0,
    };
    for t in &gp.initializer {
        let name = t.name.clone().unwrap_or_default();
        let v = to_value(t, dir)?;
        let id = im.konst(&name, v);
        im.names.insert(name, id);
    }
    for vi in &gp.input {
        let name = vi.name.clone().unwrap_or_default();
        if im.names.contains_key(&name) {
            continue; // an initializer with a default value (IR < 4 style)
        }
        let (dt, shape, sig) = dims(vi, opts.batch.max(1)).map_err(Error::import)?;
        let mut t = Tensor::new(&name, dt, shape.clone());
        t.signature = sig.clone();
        if opts.nhwc_input && shape.len() == 4 {
            // The file's NCHW input becomes NHWC; a transpose restores NCHW for the body.
            let mut tn = Tensor::new(&name, dt, vec![shape[0], shape[2], shape[3], shape[1]]);
            tn.signature = sig.map(|s| vec![s[0], s[2], s[3], s[1]]);
            let id = im.g.add_tensor(tn);
            im.g.inputs.push(id);
            im.node = name.clone();
            let y = im.transpose(id, &TO_NCHW).map_err(Error::import)?;
            im.names.insert(name, y);
        } else {
            let id = im.g.add_tensor(t);
            im.g.inputs.push(id);
            im.names.insert(name, id);
        }
    }
    for (k, n) in gp.node.iter().enumerate() {
        let op = n.op_type.clone().unwrap_or_default();
        let label = match n.name.as_deref() {
            Some(s) if !s.is_empty() => s.to_string(),
            _ => n.output.first().cloned().unwrap_or_else(|| format!("#{k}")),
        };
        im.node = label.clone();
        let outs = im
            .node(n)
            .map_err(|e| Error::import(format!("node '{label}' ({op}): {e}")))?;
        for (name, id) in n.output.iter().zip(outs) {
            if !name.is_empty() {
                if im.g.tensors[id].name.is_empty() || im.g.tensors[id].name.contains('/') {
                    im.g.tensors[id].name = name.clone();
                }
                im.names.insert(name.clone(), id);
            }
        }
    }
    for vi in &gp.output {
        let name = vi.name.clone().unwrap_or_default();
        let id = *im
            .names
            .get(&name)
            .ok_or_else(|| Error::import(format!("graph output '{name}' is never produced")))?;
        // Outputs that are graph inputs or constants pass through an identity-like reshape so
        // that each output is a node output.
        let id = if im.g.inputs.contains(&id)
            || im.g.tensors[id].data.is_some()
            || im.g.outputs.contains(&id)
        {
            let s: Vec<i64> = im.shape(id).iter().map(|&d| d as i64).collect();
            im.node = name.clone();
            let c = im.ints_const("shape", &s);
            let dt = im.g.tensors[id].dtype;
            im.g.push_node(
                &format!("{name}/out"),
                Op::Reshape { new_shape: None },
                vec![Some(id), Some(c)],
                &[dt],
            )
            .map_err(|e| Error::import(e.chain()))?[0]
        } else {
            id
        };
        im.g.tensors[id].name = name;
        im.g.outputs.push(id);
    }
    let mut g = im.g;
    g.meta.description = m.doc_string.clone().filter(|s| !s.is_empty()).or_else(|| {
        m.producer_name
            .clone()
            .map(|p| format!("ONNX model from {p} (opset {opset})"))
    });
    if opts.layout {
        super::layout::run(&mut g)?;
    }
    crate::passes::dead::run(&mut g)?;
    Ok(g)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn padding_maps_to_tflite_same_or_explicit() {
        // 3x3 stride 1 pads 1 = SAME.
        assert_eq!(
            window_padding([8, 8], [3, 3], [1, 1], "NOTSET", &[1, 1, 1, 1], false),
            Ok((Padding::Same, None))
        );
        // 3x3 stride 2 pads 1 on 224: SAME would pad (0, 1), so explicit.
        assert_eq!(
            window_padding([224, 224], [3, 3], [2, 2], "NOTSET", &[1, 1, 1, 1], false),
            Ok((Padding::Valid, Some([[1, 1], [1, 1]])))
        );
        assert_eq!(
            window_padding([7, 7], [3, 3], [2, 2], "VALID", &[], false),
            Ok((Padding::Valid, None))
        );
        // ceil_mode adds trailing padding: 6 -> ceil((6-3)/2)+1 = 3 windows, which is TFLite SAME
        // here (padding (0, 1) on each axis).
        assert_eq!(
            window_padding([6, 6], [3, 3], [2, 2], "NOTSET", &[0, 0, 0, 0], true),
            Ok((Padding::Same, None))
        );
        // ...and explicit padding where SAME would split differently (the last window would
        // start in the trailing padding, so ceil adds none).
        assert_eq!(
            window_padding([7, 7], [2, 2], [2, 2], "NOTSET", &[1, 1, 1, 1], true),
            Ok((Padding::Valid, Some([[1, 1], [1, 1]])))
        );
    }
}
