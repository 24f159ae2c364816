//! Full-integer int8 rewrite of a calibrated float graph (TFLite's post-training rules).
//!
//! Every tensor may exist in two domains: float (the original) and int8 (quantized). Nodes run
//! in int8 when an int8 kernel exists and the recipe does not keep them in float; a value
//! crossing domains gets a QUANTIZE or DEQUANTIZE. Ops that must share parameters between
//! inputs and outputs get them (forwarded from their input, or requantized into the output's).

use super::params;
use super::recipe::{Io, Recipe, Weights};
use crate::error::{Error, Result};
use crate::ir::*;

/// How an op's int8 output parameters are chosen.
enum OutRule {
    /// Calibrated range of the output.
    Free,
    /// Fixed by the op (softmax, logistic, tanh, log-softmax).
    Fixed(f32, i64),
    /// Same as input `k`.
    SameAs(usize),
    /// Calibrated output range, and every input requantized to it (concatenation, pack).
    SharedWithInputs,
    /// The output is not quantized (ARG_MAX, SHAPE).
    NotQuantized,
}

/// Whether the op runs in int8, and how its output parameters are chosen.
fn int8_rule(op: &Op) -> Option<OutRule> {
    use OutRule::*;
    if op.activation() == Some(Activation::Tanh) {
        // LiteRT's integer kernels do not apply a fused TANH: such a node stays in float.
        return None;
    }
    Some(match op {
        Op::Conv2d(_) | Op::DepthwiseConv2d(_) | Op::FullyConnected(_) | Op::TransposeConv(_) => {
            Free
        }
        Op::Binary(b) => match b.kind {
            BinaryKind::Add | BinaryKind::Sub | BinaryKind::Mul | BinaryKind::SquaredDifference => {
                Free
            }
            BinaryKind::Minimum | BinaryKind::Maximum => SameAs(0),
            BinaryKind::Div => return None,
        },
        Op::Unary(u) => match u {
            UnaryKind::Logistic => Fixed(1.0 / 256.0, -128),
            UnaryKind::Tanh => Fixed(1.0 / 128.0, 0),
            UnaryKind::Relu | UnaryKind::Relu6 | UnaryKind::ReluN1To1 | UnaryKind::HardSwish => {
                Free
            }
            UnaryKind::Rsqrt | UnaryKind::Sqrt | UnaryKind::Exp => return None,
        },
        Op::LeakyRelu { .. } | Op::Prelu => Free,
        Op::Softmax { .. } => Fixed(1.0 / 256.0, -128),
        Op::LogSoftmax => Fixed(16.0 / 256.0, 127),
        Op::Pool2d(_) => SameAs(0),
        Op::Reduce(r) => match r.kind {
            ReduceKind::Mean => Free,
            // LiteRT 2.3's reference int8 SUM reads int8 as uint8: keep SUM in float.
            ReduceKind::Sum => return None,
            ReduceKind::Max => SameAs(0),
        },
        Op::Reshape { .. }
        | Op::Squeeze { .. }
        | Op::ExpandDims
        | Op::Transpose
        | Op::Slice
        | Op::StridedSlice(_)
        | Op::Unpack { .. } => SameAs(0),
        Op::Gather { .. }
        | Op::Pad { .. }
        | Op::DepthToSpace { .. }
        | Op::SpaceToDepth { .. }
        | Op::Resize(_) => SameAs(0),
        Op::Split { .. } => SameAs(1),
        Op::Concatenation { .. } | Op::Pack { .. } => SharedWithInputs,
        Op::ArgMax { .. } => NotQuantized,
        // Logic family: comparisons rescale each input (bool output); SELECT copies stored
        // values, so both choices share the output's parameters; ELU and GELU are tables.
        Op::Compare(_) => NotQuantized,
        Op::Select { .. } => SharedWithInputs,
        Op::Math(MathKind::Elu | MathKind::Gelu { .. }) => Free,
        Op::Math(_) | Op::MathBin(_) | Op::AddN => return None,
        Op::Movement(m) => {
            use crate::ir::Movement as M;
            match m {
                // Pure data movement: the output keeps the input's parameters.
                M::MirrorPad { .. }
                | M::Tile
                | M::SplitV { .. }
                | M::BroadcastTo
                | M::ReverseV2
                | M::GatherNd
                | M::BatchToSpaceNd
                | M::SpaceToBatchNd
                | M::TopK
                | M::Reduce {
                    kind: Reduce2Kind::Min,
                    ..
                } => SameAs(0),
                // LiteRT's int8 L2_NORMALIZATION writes in 1/128 steps around 0.
                M::L2Norm {
                    act: Activation::None,
                } => Fixed(1.0 / 128.0, 0),
                M::ArgMin { .. } | M::Rank => NotQuantized,
                // Stay in float: integer-valued ops, and ops whose int8 forms LiteRT lacks or
                // that our int8 kernels do not have yet.
                _ => return None,
            }
        }
        Op::BatchMatMul(_)
        | Op::Cast
        | Op::Shape { .. }
        | Op::Quantize
        | Op::Dequantize
        | Op::Densify
        | Op::Sequence(_)
        | Op::Detect(_)
        | Op::Custom { .. } => return None,
    })
}

/// Role of a constant input in an int8 node.
enum Role {
    /// Conv/FC weights: symmetric, per channel along the axis.
    Weights(Option<usize>),
    /// Bias: int32, scale = input scale × weight scale; the node's data input and weights.
    Bias { data: usize, weights: usize },
    /// Integer constants (shapes, axes, indices) are not quantized.
    Int,
    /// Quantized with these parameters (shared-parameter ops).
    Params(QuantParams),
    /// Quantized with its own range.
    Own,
}

fn role(op: &Op, i: usize, w: &Weights, shared: Option<&QuantParams>) -> Role {
    let per_channel = *w == Weights::PerChannel;
    match (op, i) {
        (Op::Conv2d(_), 1) | (Op::FullyConnected(_), 1) => Role::Weights(per_channel.then_some(0)),
        (Op::TransposeConv(_), 1) => Role::Weights(per_channel.then_some(0)),
        (Op::DepthwiseConv2d(_), 1) => Role::Weights(per_channel.then_some(3)),
        (Op::Conv2d(_) | Op::DepthwiseConv2d(_) | Op::FullyConnected(_), 2) => Role::Bias {
            data: 0,
            weights: 1,
        },
        (Op::TransposeConv(_), 3) => Role::Bias {
            data: 2,
            weights: 1,
        },
        _ => match shared {
            Some(q) => Role::Params(q.clone()),
            None => Role::Own,
        },
    }
}

struct Rewriter<'a> {
    src: &'a Graph,
    out: Graph,
    ranges: &'a [Option<(f32, f32)>],
    float_ver: Vec<Option<TensorId>>,
    int8_ver: Vec<Option<TensorId>>,
    /// Quantized versions of constants by (tensor, parameters) so shared weights stay shared.
    const_cache: Vec<(TensorId, QuantParams, TensorId)>,
    weights: Weights,
}

impl Rewriter<'_> {
    fn params_of(&self, t: TensorId) -> Result<QuantParams> {
        match self.ranges.get(t).copied().flatten() {
            Some((lo, hi)) => Ok(params::activation(lo, hi)),
            None => Err(Error::quant(format!(
                "tensor '{}' was never observed during calibration",
                self.src.tensors[t].name
            ))),
        }
    }

    fn new_tensor(
        &mut self,
        like: TensorId,
        dtype: DType,
        quant: Option<QuantParams>,
        suffix: &str,
    ) -> TensorId {
        let s = &self.src.tensors[like];
        self.out.add_tensor(Tensor {
            name: format!("{}{suffix}", s.name),
            quant,
            signature: s.signature.clone(),
            ..Tensor::new("", dtype, s.shape.clone())
        })
    }

    fn push(
        &mut self,
        name: String,
        op: Op,
        inputs: Vec<Option<TensorId>>,
        outputs: Vec<TensorId>,
    ) -> Result<()> {
        self.out
            .add_node(Node {
                name,
                op,
                inputs,
                outputs,
                version: None,
            })
            .map(|_| ())
    }

    /// The float version of activation `t`, dequantizing if needed.
    fn float(&mut self, t: TensorId) -> Result<TensorId> {
        if let Some(f) = self.float_ver[t] {
            return Ok(f);
        }
        let q = self.int8_ver[t].ok_or_else(|| {
            Error::quant(format!(
                "tensor '{}' has no value",
                self.src.tensors[t].name
            ))
        })?;
        let f = self.new_tensor(t, DType::F32, None, "_dequant");
        self.push(
            format!("{}/dequantize", self.src.tensors[t].name),
            Op::Dequantize,
            vec![Some(q)],
            vec![f],
        )?;
        self.float_ver[t] = Some(f);
        Ok(f)
    }

    /// The int8 version of activation `t` with parameters `want` (or its own), quantizing or
    /// requantizing if needed.
    fn int8(&mut self, t: TensorId, want: Option<&QuantParams>) -> Result<TensorId> {
        let have = match self.int8_ver[t] {
            Some(q) => q,
            None => {
                let p = match want {
                    Some(w) => w.clone(),
                    None => self.params_of(t)?,
                };
                let f = self.float(t)?;
                let q = self.new_tensor(t, DType::I8, Some(p), "_int8");
                self.push(
                    format!("{}/quantize", self.src.tensors[t].name),
                    Op::Quantize,
                    vec![Some(f)],
                    vec![q],
                )?;
                self.int8_ver[t] = Some(q);
                q
            }
        };
        match want {
            Some(w) if !same_params(self.out.tensors[have].quant.as_ref(), w) => {
                let r = self.new_tensor(t, DType::I8, Some(w.clone()), "_requant");
                self.push(
                    format!("{}/requantize", self.src.tensors[t].name),
                    Op::Quantize,
                    vec![Some(have)],
                    vec![r],
                )?;
                Ok(r)
            }
            _ => Ok(have),
        }
    }

    fn quantized_const(&mut self, t: TensorId, role: Role, node: &Node) -> Result<TensorId> {
        if self.src.tensors[t].dtype != DType::F32 || matches!(role, Role::Int) {
            return Ok(self.copy_const(t));
        }
        let src = &self.src.tensors[t];
        let v = Value::from_const(src)
            .and_then(|v| v.as_f32().map(<[f32]>::to_vec))
            .ok_or_else(|| Error::quant(format!("constant '{}' cannot be read", src.name)))?;
        let (dtype, bytes, q) = match role {
            Role::Int => return Ok(self.copy_const(t)),
            Role::Weights(axis) => {
                let scales = params::weight_scales(&v, &src.shape, axis);
                let ax = axis.unwrap_or(0);
                let q = QuantParams {
                    scale: scales.clone(),
                    zero_point: vec![0; scales.len()],
                    axis: ax,
                    ..Default::default()
                };
                let data = params::quantize_weights(&v, &src.shape, &scales, ax);
                (
                    DType::I8,
                    data.iter().map(|&x| x as u8).collect::<Vec<u8>>(),
                    q,
                )
            }
            Role::Bias { data, weights } => {
                let x = node
                    .input(data)
                    .ok_or_else(|| Error::quant("bias without data input"))?;
                let w = node
                    .input(weights)
                    .ok_or_else(|| Error::quant("bias without weights"))?;
                let xs = self.int8_ver[x]
                    .and_then(|q| self.out.tensors[q].quant.as_ref())
                    .map(|q| q.scale[0])
                    .ok_or_else(|| Error::quant("bias before its input"))?;
                let wq = self
                    .cached_const(w)
                    .and_then(|w| self.out.tensors[w].quant.clone())
                    .ok_or_else(|| Error::quant("bias before its weights"))?;
                let (qv, scales) = params::quantize_bias(&v, xs, &wq.scale);
                let q = QuantParams {
                    zero_point: vec![0; scales.len()],
                    scale: scales,
                    axis: 0,
                    ..Default::default()
                };
                (
                    DType::I32,
                    qv.iter().flat_map(|x| x.to_le_bytes()).collect(),
                    q,
                )
            }
            Role::Params(p) => (
                DType::I8,
                params::quantize_asym(&v, &p)
                    .iter()
                    .map(|&x| x as u8)
                    .collect(),
                p,
            ),
            Role::Own => {
                let p = params::constant(&v);
                (
                    DType::I8,
                    params::quantize_asym(&v, &p)
                        .iter()
                        .map(|&x| x as u8)
                        .collect(),
                    p,
                )
            }
        };
        if let Some(&(_, _, id)) = self
            .const_cache
            .iter()
            .find(|(s, qp, _)| *s == t && *qp == q)
        {
            return Ok(id);
        }
        let id = self.out.add_tensor(Tensor {
            name: src.name.clone(),
            data: Some(Bytes::from_vec(bytes)),
            quant: Some(q.clone()),
            ..Tensor::new("", dtype, src.shape.clone())
        });
        self.const_cache.push((t, q, id));
        Ok(id)
    }

    fn cached_const(&self, t: TensorId) -> Option<TensorId> {
        self.const_cache
            .iter()
            .rev()
            .find(|(s, _, _)| *s == t)
            .map(|(_, _, id)| *id)
    }

    fn float_node(&mut self, n: &Node) -> Result<()> {
        let mut ins = Vec::new();
        for t in &n.inputs {
            ins.push(match t {
                None => None,
                // Constants and the state variables of sequence ops (kept in float) are
                // carried over as they are.
                Some(t) if self.src.tensors[*t].is_const() || self.src.tensors[*t].is_variable => {
                    Some(self.copy_const(*t))
                }
                Some(t) => Some(self.float(*t)?),
            });
        }
        let outs: Vec<TensorId> = n
            .outputs
            .iter()
            .map(|&o| {
                self.new_tensor(
                    o,
                    self.src.tensors[o].dtype,
                    self.src.tensors[o].quant.clone(),
                    "",
                )
            })
            .collect();
        for (&o, &id) in n.outputs.iter().zip(&outs) {
            self.float_ver[o] = Some(id);
        }
        self.out
            .add_node(Node {
                outputs: outs,
                inputs: ins,
                ..n.clone()
            })
            .map(|_| ())
    }

    fn copy_const(&mut self, t: TensorId) -> TensorId {
        if let Some(f) = self.float_ver[t] {
            return f;
        }
        let id = self.out.add_tensor(self.src.tensors[t].clone());
        self.float_ver[t] = Some(id);
        id
    }

    fn int8_node(&mut self, n: &Node, rule: OutRule) -> Result<()> {
        // Parameters the inputs must have, for shared-parameter ops.
        let shared: Option<QuantParams> = match &rule {
            OutRule::SharedWithInputs => Some(self.params_of(n.outputs[0])?),
            OutRule::SameAs(_) if matches!(n.op, Op::Binary(_) | Op::Pad { v2: true }) => {
                let x = n.input(0).ok_or_else(|| Error::quant("missing input"))?;
                Some(match self.int8_ver[x] {
                    Some(q) => self.out.tensors[q].quant.clone().unwrap_or_default(),
                    None => self.params_of(x)?,
                })
            }
            _ => None,
        };
        let mut ins = Vec::new();
        for (i, t) in n.inputs.iter().enumerate() {
            let Some(t) = *t else {
                ins.push(None);
                continue;
            };
            let st = &self.src.tensors[t];
            let id = if st.is_const() {
                let r = if st.dtype != DType::F32 {
                    Role::Int
                } else {
                    role(&n.op, i, &self.weights, shared.as_ref())
                };
                self.quantized_const(t, r, n)?
            } else if st.dtype != DType::F32 {
                self.float_ver[t]
                    .ok_or_else(|| Error::quant(format!("tensor '{}' has no value", st.name)))?
            } else {
                self.int8(t, shared.as_ref())?
            };
            ins.push(Some(id));
        }
        let mut outs = Vec::new();
        for &o in &n.outputs {
            let st = &self.src.tensors[o];
            let id = match &rule {
                OutRule::NotQuantized => self.new_tensor(o, st.dtype, None, ""),
                _ if st.dtype != DType::F32 => self.new_tensor(o, st.dtype, None, ""),
                OutRule::Free => {
                    let p = self.params_of(o)?;
                    self.new_tensor(o, DType::I8, Some(p), "")
                }
                OutRule::Fixed(s, z) => {
                    self.new_tensor(o, DType::I8, Some(QuantParams::per_tensor(*s, *z)), "")
                }
                OutRule::SharedWithInputs => self.new_tensor(o, DType::I8, shared.clone(), ""),
                OutRule::SameAs(j) => {
                    let p = ins
                        .get(*j)
                        .copied()
                        .flatten()
                        .and_then(|x| self.out.tensors[x].quant.clone())
                        .ok_or_else(|| Error::quant("shared parameters missing"))?;
                    self.new_tensor(o, DType::I8, Some(p), "")
                }
            };
            if self.out.tensors[id].dtype == DType::I8 {
                self.int8_ver[o] = Some(id);
            } else {
                self.float_ver[o] = Some(id);
            }
            outs.push(id);
        }
        self.out
            .add_node(Node {
                name: n.name.clone(),
                op: n.op.clone(),
                inputs: ins,
                outputs: outs,
                version: None,
            })
            .map(|_| ())
    }
}

fn same_params(a: Option<&QuantParams>, b: &QuantParams) -> bool {
    a.is_some_and(|a| a.scale == b.scale && a.zero_point == b.zero_point)
}

pub(super) fn run(
    g: &Graph,
    r: &Recipe,
    keep: &[bool],
    ranges: &[Option<(f32, f32)>],
) -> Result<Graph> {
    let nt = g.tensors.len();
    let mut rw = Rewriter {
        src: g,
        out: Graph {
            tensors: Vec::new(),
            nodes: Vec::new(),
            inputs: Vec::new(),
            outputs: Vec::new(),
            signature: None,
            meta: g.meta.clone(),
            name: g.name.clone(),
            subgraphs: g.subgraphs.clone(),
            // Source node ids name the float graph's nodes; the rewrite renumbers them.
            source: None,
        },
        ranges,
        float_ver: vec![None; nt],
        int8_ver: vec![None; nt],
        const_cache: Vec::new(),
        weights: r.weights,
    };
    // Graph inputs.
    for &x in &g.inputs {
        let id = match r.io {
            Io::Float => {
                let id = rw.new_tensor(x, DType::F32, None, "");
                rw.float_ver[x] = Some(id);
                id
            }
            Io::Int8 => {
                let p = rw.params_of(x)?;
                let id = rw.new_tensor(x, DType::I8, Some(p), "");
                rw.int8_ver[x] = Some(id);
                id
            }
            Io::Uint8 => {
                let p = rw.params_of(x)?;
                let pu = QuantParams::per_tensor(p.scale[0], p.zero_point[0] + 128);
                let u = rw.new_tensor(x, DType::U8, Some(pu), "");
                let q = rw.new_tensor(x, DType::I8, Some(p), "_int8");
                rw.push(
                    format!("{}/quantize", g.tensors[x].name),
                    Op::Quantize,
                    vec![Some(u)],
                    vec![q],
                )?;
                rw.int8_ver[x] = Some(q);
                u
            }
        };
        rw.out.inputs.push(id);
    }
    for (i, n) in g.nodes.iter().enumerate() {
        let float_inputs = n
            .inputs
            .iter()
            .flatten()
            .filter(|&&t| !g.tensors[t].is_const())
            .all(|&t| g.tensors[t].dtype == DType::F32);
        match int8_rule(&n.op) {
            Some(rule) if !keep[i] && float_inputs => rw.int8_node(n, rule)?,
            _ => rw.float_node(n)?,
        }
    }
    // Graph outputs.
    for &o in &g.outputs {
        let id = match r.io {
            _ if g.tensors[o].dtype != DType::F32 => rw.float_ver[o]
                .or(rw.int8_ver[o])
                .ok_or_else(|| Error::quant("output not computed"))?,
            Io::Float => rw.float(o)?,
            Io::Int8 => rw.int8(o, None)?,
            Io::Uint8 => {
                let q = rw.int8(o, None)?;
                let p = rw.out.tensors[q].quant.clone().unwrap_or_default();
                let u = rw.new_tensor(
                    o,
                    DType::U8,
                    Some(QuantParams::per_tensor(p.scale[0], p.zero_point[0] + 128)),
                    "_uint8",
                );
                rw.push(
                    format!("{}/to_uint8", g.tensors[o].name),
                    Op::Quantize,
                    vec![Some(q)],
                    vec![u],
                )?;
                u
            }
        };
        rw.out.outputs.push(id);
    }
    // Keep the signature's user-facing names.
    if let Some(sig) = &g.signature {
        let map = |v: &[(String, TensorId)],
                   ids: &[TensorId],
                   orig: &[TensorId]|
         -> Vec<(String, TensorId)> {
            v.iter()
                .filter_map(|(name, t)| {
                    orig.iter()
                        .position(|o| o == t)
                        .map(|k| (name.clone(), ids[k]))
                })
                .collect()
        };
        rw.out.signature = Some(Signature {
            key: sig.key.clone(),
            inputs: map(&sig.inputs, &rw.out.inputs.clone(), &g.inputs),
            outputs: map(&sig.outputs, &rw.out.outputs.clone(), &g.outputs),
        });
    }
    // Names of graph inputs/outputs stay as they were (the converted edges get suffixes).
    Ok(rw.out)
}
