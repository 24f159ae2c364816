//! The translation context shared by every op importer: the graph being built, ONNX names →
//! tensor ids, the model opset, and the builder helpers (`emit`, `transpose`, `nhwc`, `konst`,
//! constant reads). [`Node`] is one ONNX node with its attributes, read through the defaults
//! its [`OpSpec`] declares.
//!
//! Invariants: every [`TensorId`] a helper returns was minted by this graph (tensors are never
//! removed during import), so [`Ctx::tensor`] is the one place that indexes the tensor list.
//! Calls into engine internals that report errors their own way ([`Ctx::push`],
//! [`Ctx::eval_const`]) are adapted here and nowhere else.

use std::collections::HashMap;
use std::path::Path;

use super::error::NodeError;
use super::ops::{AttrDefault, OpSpec};
use super::proto::{AttributeProto, NodeProto, TensorProto};
use super::tensor::to_value;
use crate::ir::*;
use crate::ops::{self, EvalCtx, In};

/// Result of a node translation step.
pub(crate) type NodeResult<T> = std::result::Result<T, NodeError>;

/// NCHW → NHWC.
pub const TO_NHWC: [i64; 4] = [0, 2, 3, 1];
/// NHWC → NCHW.
pub const TO_NCHW: [i64; 4] = [0, 3, 1, 2];

/// One ONNX node as an importer sees it: the proto, its op spec, attributes by name.
pub(crate) struct Node<'a> {
    /// The node as decoded.
    pub proto: &'a NodeProto,
    /// The op type (`Conv`).
    pub op: &'a str,
    spec: &'static OpSpec,
    attrs: HashMap<&'a str, &'a AttributeProto>,
}

impl<'a> Node<'a> {
    pub(crate) fn new(proto: &'a NodeProto, op: &'a str, spec: &'static OpSpec) -> Self {
        let attrs = proto
            .attribute
            .iter()
            .map(|a| (a.name.as_deref().unwrap_or(""), a))
            .collect();
        Node {
            proto,
            op,
            spec,
            attrs,
        }
    }

    /// Whether the node sets attribute `k`.
    pub fn has(&self, k: &str) -> bool {
        self.attrs.contains_key(k)
    }

    fn default(&self, k: &str) -> NodeResult<&'static AttrDefault> {
        self.spec
            .attrs
            .iter()
            .find(|a| a.name == k)
            .map(|a| &a.default)
            .ok_or_else(|| {
                NodeError::Invalid(format!(
                    "internal: attribute '{k}' is read but not declared for {}",
                    self.spec.name
                ))
            })
    }

    fn wrong(k: &str, want: &str) -> NodeError {
        NodeError::BadAttribute {
            attr: k.to_string(),
            why: format!("expected {want}"),
        }
    }

    /// Integer attribute `k`, or its declared default.
    pub fn i(&self, k: &str) -> NodeResult<i64> {
        match self.attrs.get(k) {
            Some(a) => a.i.ok_or_else(|| Self::wrong(k, "an integer")),
            None => match self.default(k)? {
                AttrDefault::Int(v) => Ok(*v),
                _ => Err(NodeError::BadAttribute {
                    attr: k.into(),
                    why: "is required".into(),
                }),
            },
        }
    }

    /// Float attribute `k`, or its declared default.
    pub fn f(&self, k: &str) -> NodeResult<f32> {
        match self.attrs.get(k) {
            Some(a) => a.f.ok_or_else(|| Self::wrong(k, "a float")),
            None => match self.default(k)? {
                AttrDefault::Float(v) => Ok(*v),
                _ => Err(NodeError::BadAttribute {
                    attr: k.into(),
                    why: "is required".into(),
                }),
            },
        }
    }

    /// String attribute `k`, or its declared default.
    pub fn s(&self, k: &str) -> NodeResult<String> {
        match self.attrs.get(k) {
            Some(a) => {
                a.s.as_ref()
                    .map(|s| String::from_utf8_lossy(s).into_owned())
                    .ok_or_else(|| Self::wrong(k, "a string"))
            }
            None => match self.default(k)? {
                AttrDefault::Str(v) => Ok((*v).to_string()),
                _ => Err(NodeError::BadAttribute {
                    attr: k.into(),
                    why: "is required".into(),
                }),
            },
        }
    }

    /// Integer-list attribute `k` when the node sets it (declared as optional).
    pub fn ints(&self, k: &str) -> NodeResult<Option<Vec<i64>>> {
        self.default(k)?;
        Ok(self.attrs.get(k).map(|a| a.ints.clone()))
    }

    /// Float-list attribute `k` when the node sets it (declared as optional).
    pub fn floats(&self, k: &str) -> NodeResult<Option<Vec<f32>>> {
        self.default(k)?;
        Ok(self.attrs.get(k).map(|a| a.floats.clone()))
    }

    /// Tensor attribute `k` when the node sets it (declared as optional).
    pub fn tensor(&self, k: &str) -> NodeResult<Option<&'a TensorProto>> {
        self.default(k)?;
        Ok(self.attrs.get(k).and_then(|a| a.t.as_ref()))
    }

    /// Number of input slots (empty names included).
    pub fn inputs(&self) -> usize {
        self.proto.input.len()
    }

    /// Number of output slots.
    pub fn outputs(&self) -> usize {
        self.proto.output.len()
    }

    /// Whether output `i` exists and is named (so something may read it).
    pub fn output_used(&self, i: usize) -> bool {
        self.proto.output.get(i).is_some_and(|o| !o.is_empty())
    }
}

/// The import state: the graph under construction and the ONNX names bound so far.
pub(crate) struct Ctx<'a> {
    /// The graph being built.
    pub g: Graph,
    /// ONNX tensor name → tensor id.
    pub names: HashMap<String, TensorId>,
    /// Where external data files live.
    pub dir: Option<&'a Path>,
    /// The model's `ai.onnx` opset.
    pub opset: i64,
    /// Label of the node being translated (prefix of generated tensor names).
    pub node: String,
    /// Tensors whose length depends on the data (NonZero, NonMaxSuppression and what follows
    /// them): their shapes are upper-bound placeholders, the run gives the size.
    pub dynamic: std::collections::HashSet<TensorId>,
    /// Shapes a loop body's tensors had at its first iteration (ONNX name → shape), translated
    /// inline before the WHILE: a Slice or Range of run-time bounds in the body keeps that
    /// shape, checked at run time (`ops::bounds`).
    pub assumed: HashMap<String, Vec<usize>>,
    /// Whether the body being translated is such a first iteration (its shapes are recorded).
    pub recording: bool,
    counter: usize,
}

impl<'a> Ctx<'a> {
    pub(crate) fn new(dir: Option<&'a Path>, opset: i64) -> Self {
        Ctx {
            g: Graph::default(),
            names: HashMap::new(),
            dir,
            opset,
            node: String::new(),
            dynamic: Default::default(),
            assumed: HashMap::new(),
            recording: false,
            counter: 0,
        }
    }

    /// A fresh tensor/node name under the current node.
    pub fn fresh(&mut self, what: &str) -> String {
        self.counter += 1;
        format!("{}/{what}_{}", self.node, self.counter)
    }

    /// The tensor `t`.
    #[expect(
        clippy::indexing_slicing,
        reason = "tensor ids are minted by this graph's add_tensor/push_node and never removed during import"
    )]
    pub fn tensor(&self, t: TensorId) -> &Tensor {
        &self.g.tensors[t]
    }

    /// The tensor `t`, mutably.
    #[expect(
        clippy::indexing_slicing,
        reason = "tensor ids are minted by this graph's add_tensor/push_node and never removed during import"
    )]
    pub fn tensor_mut(&mut self, t: TensorId) -> &mut Tensor {
        &mut self.g.tensors[t]
    }

    /// A constant tensor named `name` holding `v`.
    pub fn konst(&mut self, name: &str, v: Value) -> TensorId {
        let mut t = Tensor::new(name, v.dtype(), v.shape.clone());
        t.data = Some(Bytes::from_vec(v.data.to_le_bytes()));
        self.g.add_tensor(t)
    }

    /// A fresh `[len]` i32 constant.
    pub fn ints_const(&mut self, what: &str, v: &[i64]) -> TensorId {
        let n = self.fresh(what);
        self.konst(&n, i32s(v))
    }

    /// A fresh f32 scalar constant.
    pub fn scalar(&mut self, x: f32) -> TensorId {
        let n = self.fresh("c");
        self.konst(&n, scalar_f32(x))
    }

    /// Decode a tensor attribute.
    pub fn tensor_value(&self, t: &TensorProto) -> NodeResult<Value> {
        to_value(t, self.dir).map_err(|e| NodeError::Tensor(Box::new(e)))
    }

    /// The value of `t` when it is a constant.
    pub fn value(&self, t: TensorId) -> Option<Value> {
        let tensor = self.tensor(t);
        Value::from_const(tensor).filter(|_| tensor.data.is_some())
    }

    /// Constant integers (`what` names them in the error).
    pub fn const_ints(&self, t: TensorId, what: &str) -> NodeResult<Vec<i64>> {
        let v = self
            .value(t)
            .ok_or_else(|| NodeError::NotConstant(what.into()))?;
        v.data
            .to_i64()
            .ok_or_else(|| NodeError::Invalid(format!("{what} must be integers")))
    }

    /// Constant floats (`what` names them in the error).
    pub fn const_f32(&self, t: TensorId, what: &str) -> NodeResult<Vec<f32>> {
        let v = self
            .value(t)
            .ok_or_else(|| NodeError::NotConstant(what.into()))?;
        Ok(v.data.to_f64().iter().map(|&x| x as f32).collect())
    }

    /// The shape of `t`.
    pub fn shape(&self, t: TensorId) -> Vec<usize> {
        self.tensor(t).shape.clone()
    }

    /// The rank of `t`.
    pub fn rank(&self, t: TensorId) -> usize {
        self.tensor(t).shape.len()
    }

    /// The element type of `t`.
    pub fn dtype(&self, t: TensorId) -> DType {
        self.tensor(t).dtype
    }

    /// Adapter: add a node to the graph (runs the engine's shape inference).
    pub(crate) fn push(
        &mut self,
        name: &str,
        op: Op,
        inputs: Vec<Option<TensorId>>,
        out: &[DType],
    ) -> NodeResult<Vec<TensorId>> {
        self.g
            .push_node(name, op, inputs, out)
            .map_err(NodeError::Graph)
    }

    /// Adapter: evaluate the last node when all its inputs are constants (`None` when some
    /// input is computed or the engine cannot evaluate it now).
    fn eval_const(&self) -> Option<Vec<Value>> {
        let node = self.g.nodes.last()?;
        if node.inputs.is_empty()
            || !node
                .inputs
                .iter()
                .flatten()
                .all(|&t| self.tensor(t).data.is_some())
        {
            return None;
        }
        let vals: Vec<Option<Value>> = node
            .inputs
            .iter()
            .map(|t| t.and_then(|t| self.value(t)))
            .collect();
        let ins = vals.iter().map(|v| v.as_ref().map(In::Ref)).collect();
        let ctx = EvalCtx::for_node(&self.g, node, 1);
        ops::eval(&node.op, ins, &ctx).ok()
    }

    /// Add a node; evaluate it now when every input is a constant.
    pub fn emit(
        &mut self,
        op: Op,
        inputs: Vec<Option<TensorId>>,
        out: &[DType],
    ) -> NodeResult<Vec<TensorId>> {
        let name = self.fresh(&op.name().to_lowercase());
        let dynamic_in = inputs.iter().flatten().any(|t| self.dynamic.contains(t));
        let outs = self.push(&name, op, inputs, out)?;
        if dynamic_in {
            for &o in &outs {
                self.mark_dynamic(o);
            }
            return Ok(outs);
        }
        if let Some(vs) = self.eval_const() {
            for (v, &o) in vs.into_iter().zip(&outs) {
                let t = self.tensor_mut(o);
                t.shape = v.shape.clone();
                t.dtype = v.dtype();
                t.data = Some(Bytes::from_vec(v.data.to_le_bytes()));
            }
            self.g.nodes.pop();
        }
        Ok(outs)
    }

    /// Mark `t` as sized by the data: every axis of its signature is dynamic.
    pub fn mark_dynamic(&mut self, t: TensorId) {
        self.tensor_mut(t).mark_data_sized();
        self.dynamic.insert(t);
    }

    /// Add a node whose output size depends on the data (WHERE, a SLICE of run-time size):
    /// `bound` is an upper bound of its shape, which stands in for the shape at import; the
    /// run computes the real one.
    pub fn emit_dynamic(
        &mut self,
        op: Op,
        inputs: Vec<Option<TensorId>>,
        dt: DType,
        bound: Vec<usize>,
    ) -> TensorId {
        let name = self.fresh(&op.name().to_lowercase());
        let id = self.g.add_tensor(Tensor::new(name.clone(), dt, bound));
        self.mark_dynamic(id);
        self.g.nodes.push(crate::ir::Node {
            name,
            op,
            inputs,
            outputs: vec![id],
            version: None,
        });
        id
    }

    /// [`Ctx::emit`] with one output, typed like the first input.
    pub fn emit1(&mut self, op: Op, inputs: Vec<Option<TensorId>>) -> NodeResult<TensorId> {
        let dt = inputs
            .iter()
            .flatten()
            .next()
            .map_or(DType::F32, |&t| self.dtype(t));
        let dt = [dt];
        first(self.emit(op, inputs, &dt)?)
    }

    /// [`Ctx::emit`] with one output of type `dt`.
    pub fn emit_as(
        &mut self,
        op: Op,
        inputs: Vec<Option<TensorId>>,
        dt: DType,
    ) -> NodeResult<TensorId> {
        first(self.emit(op, inputs, &[dt])?)
    }

    /// A transpose by `perm`.
    pub fn transpose(&mut self, x: TensorId, perm: &[i64]) -> NodeResult<TensorId> {
        let p = self.ints_const("perm", perm);
        self.emit1(Op::Transpose, vec![Some(x), Some(p)])
    }

    /// A reshape to `shape`.
    pub fn reshape(&mut self, x: TensorId, shape: &[usize]) -> NodeResult<TensorId> {
        let s: Vec<i64> = shape.iter().map(|&d| d as i64).collect();
        let p = self.ints_const("shape", &s);
        self.emit1(Op::Reshape { new_shape: None }, vec![Some(x), Some(p)])
    }

    /// A binary op without fused activation.
    pub fn binary(&mut self, kind: BinaryKind, a: TensorId, b: TensorId) -> NodeResult<TensorId> {
        self.emit1(
            Op::Binary(Binary {
                kind,
                act: Activation::None,
            }),
            vec![Some(a), Some(b)],
        )
    }

    /// A unary op.
    pub fn unary(&mut self, k: UnaryKind, x: TensorId) -> NodeResult<TensorId> {
        self.emit1(Op::Unary(k), vec![Some(x)])
    }

    /// A 4-D NCHW input as NHWC (through a transpose the layout pass cancels).
    pub fn nhwc(&mut self, x: TensorId, what: &str) -> NodeResult<TensorId> {
        if self.rank(x) != 4 {
            return Err(NodeError::Unsupported(format!(
                "{what} supports 4-D (NCHW) inputs only, got shape {:?}",
                self.shape(x)
            )));
        }
        self.transpose(x, &TO_NHWC)
    }

    /// Explicit spatial padding of an NHWC tensor (`value` `None`: zeros).
    pub fn pad_nhwc(
        &mut self,
        x: TensorId,
        p: [[usize; 2]; 2],
        value: Option<f32>,
    ) -> NodeResult<TensorId> {
        let [[t, b], [l, r]] = p;
        let v = [0, 0, t, b, l, r, 0, 0].map(|v| v as i32);
        let n = self.fresh("paddings");
        let pads = self.konst(&n, Value::new(vec![4, 2], Data::I32(v.to_vec())));
        match value {
            None => self.emit1(Op::Pad { v2: false }, vec![Some(x), Some(pads)]),
            Some(c) => {
                let c = self.scalar(c);
                self.emit1(Op::Pad { v2: true }, vec![Some(x), Some(pads), Some(c)])
            }
        }
    }

    /// Input `i` of `n` (`None` when absent or empty).
    pub fn input(&self, n: &Node<'_>, i: usize) -> NodeResult<Option<TensorId>> {
        match n.proto.input.get(i).map(String::as_str) {
            None | Some("") => Ok(None),
            Some(name) => self
                .names
                .get(name)
                .copied()
                .map(Some)
                .ok_or_else(|| NodeError::UnknownInput(name.into())),
        }
    }

    /// Input `i` of `n`, which must be present.
    pub fn need(&self, n: &Node<'_>, i: usize) -> NodeResult<TensorId> {
        self.input(n, i)?.ok_or(NodeError::MissingInput(i))
    }

    /// `a` as an axis of `t` (negative counts from the end).
    pub fn axis(&self, t: TensorId, a: i64) -> NodeResult<usize> {
        let rank = self.rank(t);
        let r = rank as i64;
        let v = if a < 0 { a + r } else { a };
        if v < 0 || v >= r.max(1) {
            return Err(NodeError::Axis { axis: a, rank });
        }
        Ok(v as usize)
    }
}

/// The first output of a translation step.
pub(crate) fn first(v: Vec<TensorId>) -> NodeResult<TensorId> {
    v.first()
        .copied()
        .ok_or_else(|| NodeError::Invalid("internal: a node produced no output".into()))
}

/// `[len]` i32 value.
pub(crate) fn i32s(v: &[i64]) -> Value {
    Value::new(
        vec![v.len()],
        Data::I32(v.iter().map(|&x| x as i32).collect()),
    )
}

/// f32 scalar value.
pub(crate) fn scalar_f32(x: f32) -> Value {
    Value::new(vec![], Data::F32(vec![x]))
}

/// A shape of rank `N` as an array (`what` names it in the error).
pub(crate) fn dims_n<const N: usize>(s: &[usize], what: &str) -> NodeResult<[usize; N]> {
    <[usize; N]>::try_from(s)
        .map_err(|_| NodeError::Unsupported(format!("{what} must be {N}-D, got shape {s:?}")))
}
