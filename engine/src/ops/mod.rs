//! Per-op behaviour: shape/type inference, evaluation (choosing a kernel by dtype) and cost.
//! `Graph::add_node` lives here: it is where shape inference runs, once, as a node enters the
//! graph.

mod conv;
mod conv3d;
mod detection;
mod elementwise;
mod graph_build;
mod int8;
mod logic;
mod movement;
mod movement_reduce;
mod pool;
mod postprocess;
use graph_build::SMALL_CONST;
pub(crate) mod reinfer;
mod sequence;
mod sequence_bidir;
mod shape;

use crate::error::OpError;
use crate::ir::{
    Activation, Binary, BinaryKind, DType, Graph, Node, Op, QuantParams, Tensor, TensorId,
    UnaryKind, Value,
};
use crate::kernels::act::Act;

pub use elementwise::cast as cast_value;

/// What inference knows about one input: type, shape and, for constants and at run time, the
/// value itself.
#[derive(Debug, Clone, Copy)]
pub struct Fact<'a> {
    /// Element type.
    pub dtype: DType,
    /// Shape.
    pub shape: &'a [usize],
    /// Value, when known.
    pub value: Option<&'a Value>,
}

impl<'a> Fact<'a> {
    /// Fact of a runtime value.
    pub fn of(v: &'a Value) -> Self {
        Fact {
            dtype: v.dtype(),
            shape: &v.shape,
            value: Some(v),
        }
    }
}

/// Inferred (dtype, shape) of each output.
pub type Outs = Vec<(DType, Vec<usize>)>;

/// Inference result: `Ok(None)` when an input value needed for the shape is not known yet
/// (the file's shape is kept and checked at run time).
pub type InferResult = std::result::Result<Option<Outs>, OpError>;

/// An input handed to a kernel: borrowed, or owned when this node is its last user (so the
/// kernel may reuse the buffer).
#[derive(Debug)]
pub enum In<'a> {
    /// Borrowed value.
    Ref(&'a Value),
    /// Owned value.
    Own(Value),
}

impl In<'_> {
    /// The value.
    pub fn v(&self) -> &Value {
        match self {
            In::Ref(v) => v,
            In::Own(v) => v,
        }
    }

    /// Take the value, cloning a borrowed one.
    pub fn into_value(mut self) -> Value {
        match &mut self {
            In::Ref(v) => (*v).clone(),
            In::Own(v) => std::mem::replace(v, Value::f32(vec![0], Vec::new())),
        }
    }
}

/// An owned input nobody took goes back to the session's buffer arena.
impl Drop for In<'_> {
    fn drop(&mut self) {
        if let In::Own(v) = self {
            crate::arena::recycle(std::mem::replace(v, Value::f32(vec![0], Vec::new())));
        }
    }
}

/// Per-node context for evaluation.
pub struct EvalCtx<'a> {
    /// Threads for parallel kernels.
    pub threads: usize,
    /// Quantization of each input tensor.
    pub in_quant: Vec<Option<&'a QuantParams>>,
    /// Declared output types.
    pub out_dtypes: Vec<DType>,
    /// Quantization of each output tensor.
    pub out_quant: Vec<Option<&'a QuantParams>>,
    /// Per-node state computed on the first run and kept by the session (packed weights),
    /// offered only when the node's weights and bias are constants.
    pub cache: Option<&'a std::sync::OnceLock<Prepared>>,
    /// Spatial padding `[top, bottom, left, right]` of a PAD the session folded into this
    /// convolution (its input 0 is then the PAD's unpadded input).
    pub input_pad: Option<[usize; 4]>,
    /// Whose int8 arithmetic the int8 kernels reproduce (the session's choice).
    pub numerics: crate::kernels::Numerics,
}

/// Per-node state derived from constant weights, computed once per session by the kernel
/// table's `prepare` entries.
#[derive(Debug)]
pub enum Prepared {
    /// An int8 convolution or depthwise convolution (packed weights, folded requantization).
    Int8Conv(Box<dyn crate::kernels::QConv>),
    /// A float convolution's packed weights.
    F32Conv(Box<dyn crate::kernels::F32Conv>),
    /// An int8 PRELU's per-channel output tables (`None`: alpha is not per-channel).
    Int8Prelu(Option<crate::kernels::int8::elementwise::PreluTable>),
}

impl<'a> EvalCtx<'a> {
    /// The context of node `n` of graph `g`.
    pub fn for_node(g: &'a Graph, n: &Node, threads: usize) -> Self {
        EvalCtx {
            threads,
            in_quant: n
                .inputs
                .iter()
                .map(|t| t.and_then(|t| g.tensors[t].quant.as_ref()))
                .collect(),
            out_dtypes: n.outputs.iter().map(|&o| g.tensors[o].dtype).collect(),
            out_quant: n
                .outputs
                .iter()
                .map(|&o| g.tensors[o].quant.as_ref())
                .collect(),
            cache: None,
            input_pad: None,
            numerics: Default::default(),
        }
    }

    /// Run `f` on this node's prepared state: the session's cached one (built by `build` on the
    /// first run), or a fresh one when the node has no cache.
    pub(crate) fn prepared<R>(
        &self,
        build: impl FnOnce() -> Prepared,
        f: impl FnOnce(&Prepared) -> R,
    ) -> R {
        match self.cache {
            Some(c) => f(c.get_or_init(build)),
            None => f(&build()),
        }
    }

    /// Offer `cache` for per-node state when every input but the data input is a constant.
    pub fn with_cache(
        mut self,
        g: &Graph,
        n: &Node,
        cache: &'a std::sync::OnceLock<Prepared>,
    ) -> Self {
        let d = data_input(&n.op);
        let consts = n
            .inputs
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != d)
            .all(|(_, t)| t.is_none_or(|t| g.tensors[t].data.is_some()));
        if consts {
            self.cache = Some(cache);
        }
        self
    }
}

/// Index of the input that carries an op's data (the others are weights, shapes, axes).
pub fn data_input(op: &Op) -> usize {
    match op {
        Op::TransposeConv(_) => 2,
        Op::Split { .. } => 1,
        Op::Movement(m) => m.data_input(),
        _ => 0,
    }
}

/// Inputs of a kernel call.
pub type Ins<'a> = Vec<Option<In<'a>>>;

/// Infer output types and shapes. `out_dtypes` are the types declared for the outputs (used by
/// ops whose output type is not implied by their inputs: CAST, QUANTIZE).
pub fn infer(op: &Op, ins: &[Option<Fact<'_>>], out_dtypes: &[DType]) -> InferResult {
    match op {
        Op::Conv2d(_)
        | Op::DepthwiseConv2d(_)
        | Op::TransposeConv(_)
        | Op::FullyConnected(_)
        | Op::BatchMatMul(_) => conv::infer(op, ins),
        Op::Binary(_)
        | Op::Unary(_)
        | Op::LeakyRelu { .. }
        | Op::Prelu
        | Op::Softmax { .. }
        | Op::LogSoftmax
        | Op::Cast
        | Op::Quantize
        | Op::Dequantize
        | Op::Densify => elementwise::infer(op, ins, out_dtypes),
        Op::Pool2d(_) | Op::Reduce(_) | Op::ArgMax { .. } | Op::Resize(_) => pool::infer(op, ins),
        Op::Reshape { .. }
        | Op::Squeeze { .. }
        | Op::ExpandDims
        | Op::Transpose
        | Op::Concatenation { .. }
        | Op::Split { .. }
        | Op::Pack { .. }
        | Op::Unpack { .. }
        | Op::Slice
        | Op::StridedSlice(_)
        | Op::Gather { .. }
        | Op::Pad { .. }
        | Op::DepthToSpace { .. }
        | Op::SpaceToDepth { .. }
        | Op::Shape { .. } => shape::infer(op, ins),
        Op::Math(_) | Op::MathBin(_) | Op::Compare(_) | Op::AddN | Op::Select { .. } => {
            logic::infer(op, ins)
        }
        Op::Movement(m) => movement::infer(m, ins),
        Op::Sequence(s) => sequence::infer(s, ins),
        Op::Detect(d) => detection::infer(d, ins, out_dtypes),
        Op::Custom { .. } => Ok(None),
    }
}

/// Evaluate one node.
pub fn eval(op: &Op, ins: Ins<'_>, ctx: &EvalCtx<'_>) -> std::result::Result<Vec<Value>, OpError> {
    let data_input = data_input(op);
    let dt = ins
        .get(data_input)
        .and_then(|x| x.as_ref())
        .map(|x| x.v().dtype());
    let int8_quantize = matches!(op, Op::Quantize)
        && dt == Some(DType::F32)
        && ctx.out_dtypes.first() == Some(&DType::I8)
        && ctx
            .out_quant
            .first()
            .copied()
            .flatten()
            .is_some_and(|q| !q.is_per_axis());
    if (quantized_int8(op, dt, ctx) || int8_quantize)
        && let Some(r) = int8::eval(op, &ins, ctx)
    {
        return r;
    }
    match op {
        Op::Conv2d(_)
        | Op::DepthwiseConv2d(_)
        | Op::TransposeConv(_)
        | Op::FullyConnected(_)
        | Op::BatchMatMul(_) => conv::eval(op, ins, ctx),
        Op::Binary(_)
        | Op::Unary(_)
        | Op::LeakyRelu { .. }
        | Op::Prelu
        | Op::Softmax { .. }
        | Op::LogSoftmax
        | Op::Cast
        | Op::Quantize
        | Op::Dequantize
        | Op::Densify => elementwise::eval(op, ins, ctx),
        Op::Pool2d(_) | Op::Reduce(_) | Op::ArgMax { .. } | Op::Resize(_) => {
            pool::eval(op, ins, ctx)
        }
        Op::Reshape { .. }
        | Op::Squeeze { .. }
        | Op::ExpandDims
        | Op::Transpose
        | Op::Concatenation { .. }
        | Op::Split { .. }
        | Op::Pack { .. }
        | Op::Unpack { .. }
        | Op::Slice
        | Op::StridedSlice(_)
        | Op::Gather { .. }
        | Op::Pad { .. }
        | Op::DepthToSpace { .. }
        | Op::SpaceToDepth { .. }
        | Op::Shape { .. } => shape::eval(op, ins),
        Op::Math(_) | Op::MathBin(_) | Op::Compare(_) | Op::AddN | Op::Select { .. } => {
            logic::eval(op, ins, ctx)
        }
        Op::Movement(m) => movement::eval(m, ins, ctx),
        Op::Sequence(s) => sequence::eval(s, ins, ctx),
        Op::Detect(d) => detection::eval(d, ins, ctx),
        // No kernel: Session::new refuses graphs with these nodes (`unsupported_reason`).
        Op::Custom { name, .. } => Err(OpError::NoKernel(format!("custom op {name}"))),
    }
}

/// Whether a node with data input type `dt` takes the quantized int8 path: int8 data with
/// quantization parameters (per tensor where the op converts domains), or uint8 requantized by
/// QUANTIZE. Integers without parameters are plain integer arithmetic (ONNX's integer ops).
fn quantized_int8(op: &Op, dt: Option<DType>, ctx: &EvalCtx<'_>) -> bool {
    let q = ctx.in_quant.get(data_input(op)).copied().flatten();
    match dt {
        Some(DType::I8) => {
            q.is_some_and(|q| !(q.is_per_axis() && matches!(op, Op::Quantize | Op::Dequantize)))
                && !(matches!(op, Op::Quantize)
                    && ctx
                        .out_quant
                        .first()
                        .copied()
                        .flatten()
                        .is_some_and(QuantParams::is_per_axis))
        }
        Some(DType::U8) => matches!(op, Op::Quantize) && q.is_some_and(|q| !q.is_per_axis()),
        _ => false,
    }
}

/// Why the runtime cannot execute this node with these input types, if it cannot.
pub fn unsupported_reason(op: &Op, in_dtypes: &[Option<DType>]) -> Option<String> {
    if let Some(Activation::SignBit) = op.activation() {
        return Some(format!("{} with SIGN_BIT activation", op.name()));
    }
    let data = data_input(op);
    let first = in_dtypes.get(data).copied().flatten();
    let named = |t: DType| Some(format!("{} ({t})", op.name()));
    if op.activation() == Some(Activation::Tanh) && matches!(first, Some(DType::I8 | DType::U8)) {
        // LiteRT's integer kernels clamp to the plain output range for a fused TANH (they do
        // not apply it), so running it would not compute the model.
        return Some(format!("{} (int8) with a fused TANH activation", op.name()));
    }
    match op {
        Op::Math(_) | Op::MathBin(_) | Op::Compare(_) | Op::AddN | Op::Select { .. } => {
            logic::unsupported_reason(op, in_dtypes)
        }
        Op::Sequence(s) => sequence::unsupported_reason(s, in_dtypes),
        Op::Detect(d) => detection::unsupported_reason(d, in_dtypes),
        Op::Custom { name, .. } => Some(name.clone()),
        Op::Movement(m) => movement::unsupported_reason(m, in_dtypes),
        Op::Densify => Some("DENSIFY of a tensor that is not a sparse constant".into()),
        Op::Concatenation { act, .. } if *act != Activation::None && first == Some(DType::F32) => {
            Some(
                "CONCATENATION with a fused activation on float (LiteRT's kernel rejects it too)"
                    .into(),
            )
        }
        Op::Conv2d(_) | Op::DepthwiseConv2d(_) | Op::FullyConnected(_) | Op::TransposeConv(_) => {
            let w = in_dtypes.get(1).copied().flatten();
            match (first, w) {
                (Some(DType::F32), Some(DType::I8)) if matches!(op, Op::TransposeConv(_)) => {
                    Some("TRANSPOSE_CONV with int8 weights and float input".into())
                }
                (Some(DType::F32), Some(DType::F32 | DType::I8))
                | (Some(DType::I8), Some(DType::I8))
                | (None, _) => None,
                (Some(t), _) => Some(format!(
                    "{} ({t} input, {} weights)",
                    op.name(),
                    w.map_or("?", |w| w.name())
                )),
            }
        }
        Op::Unary(UnaryKind::Rsqrt) => match first {
            Some(DType::F32 | DType::I8) | None => None,
            Some(t) => named(t),
        },
        Op::BatchMatMul(_)
        | Op::Unary(UnaryKind::Sqrt | UnaryKind::Exp)
        | Op::Binary(Binary {
            kind: BinaryKind::Div,
            ..
        }) => match first {
            Some(DType::F32) | None => None,
            Some(DType::I32 | DType::I64 | DType::I8 | DType::U8)
                if matches!(op, Op::Binary(_)) =>
            {
                None
            }
            Some(t) => named(t),
        },
        Op::Unary(_)
        | Op::LeakyRelu { .. }
        | Op::Prelu
        | Op::Softmax { .. }
        | Op::LogSoftmax
        | Op::Pool2d(_)
        | Op::Resize(_)
        | Op::Reduce(_) => {
            match first {
                Some(DType::F32 | DType::I8) | None => None,
                Some(DType::I32) if matches!(op, Op::Reduce(r) if r.kind != crate::ir::ReduceKind::Mean) => {
                    None
                }
                Some(
                    DType::I32 | DType::I64 | DType::U8 | DType::I16 | DType::F16 | DType::Bool,
                ) if matches!(op, Op::Resize(r) if !r.bilinear) => None,
                Some(t) => named(t),
            }
        }
        Op::Binary(_) => match first {
            Some(DType::F32 | DType::I32 | DType::I64 | DType::I8 | DType::U8) | None => None,
            Some(t) => named(t),
        },
        // Data movement and conversions run on every type the IR has.
        Op::Reshape { .. }
        | Op::Squeeze { .. }
        | Op::ExpandDims
        | Op::Transpose
        | Op::Concatenation { .. }
        | Op::Split { .. }
        | Op::Pack { .. }
        | Op::Unpack { .. }
        | Op::Slice
        | Op::StridedSlice(_)
        | Op::Gather { .. }
        | Op::Pad { .. }
        | Op::DepthToSpace { .. }
        | Op::SpaceToDepth { .. }
        | Op::ArgMax { .. }
        | Op::Cast
        | Op::Shape { .. }
        | Op::Quantize
        | Op::Dequantize => None,
    }
}

/// Multiply-accumulate count of one node, from its input and output shapes.
pub fn macs(op: &Op, ins: &[Option<&[usize]>], outs: &[&[usize]]) -> u64 {
    match op {
        Op::Conv2d(_)
        | Op::DepthwiseConv2d(_)
        | Op::TransposeConv(_)
        | Op::FullyConnected(_)
        | Op::BatchMatMul(_) => conv::macs(op, ins, outs),
        Op::Movement(
            m @ (crate::ir::Movement::Conv3d(_) | crate::ir::Movement::Conv3dTranspose(_)),
        ) => conv3d::macs(m, ins, outs),
        Op::Movement(m) => movement_reduce::macs(m, ins, outs),
        Op::Sequence(s) => sequence::macs(s, ins, outs),
        Op::Detect(d) => detection::macs(d, ins, outs),
        // Element-wise, pooling and data movement: no multiply-accumulates to speak of.
        Op::Binary(_)
        | Op::Unary(_)
        | Op::LeakyRelu { .. }
        | Op::Prelu
        | Op::Pool2d(_)
        | Op::Reduce(_)
        | Op::Reshape { .. }
        | Op::Squeeze { .. }
        | Op::ExpandDims
        | Op::Transpose
        | Op::Concatenation { .. }
        | Op::Split { .. }
        | Op::Pack { .. }
        | Op::Unpack { .. }
        | Op::Slice
        | Op::StridedSlice(_)
        | Op::Gather { .. }
        | Op::Pad { .. }
        | Op::DepthToSpace { .. }
        | Op::SpaceToDepth { .. }
        | Op::Resize(_)
        | Op::Softmax { .. }
        | Op::LogSoftmax
        | Op::ArgMax { .. }
        | Op::Cast
        | Op::Shape { .. }
        | Op::Quantize
        | Op::Dequantize
        | Op::Densify
        | Op::Math(_)
        | Op::MathBin(_)
        | Op::Compare(_)
        | Op::AddN
        | Op::Select { .. }
        | Op::Custom { .. } => 0,
    }
}

/// Map an IR activation to a kernel activation.
pub(crate) fn act(a: Activation) -> Act {
    match a {
        Activation::None | Activation::SignBit => Act::None,
        Activation::Relu => Act::Clamp(0.0, f32::INFINITY),
        Activation::ReluN1To1 => Act::Clamp(-1.0, 1.0),
        Activation::Relu6 => Act::Clamp(0.0, 6.0),
        Activation::Tanh => Act::Tanh,
    }
}

/// The i-th input fact, or an error naming it.
pub(crate) fn need<'a>(
    ins: &[Option<Fact<'a>>],
    i: usize,
) -> std::result::Result<Fact<'a>, OpError> {
    ins.get(i)
        .copied()
        .flatten()
        .ok_or(OpError::MissingInput(i))
}

/// The i-th input value at run time.
pub(crate) fn arg<'a, 'b>(
    ins: &'b [Option<In<'a>>],
    i: usize,
) -> std::result::Result<&'b Value, OpError> {
    ins.get(i)
        .and_then(|x| x.as_ref())
        .map(|x| x.v())
        .ok_or(OpError::MissingInput(i))
}

/// f32 elements of the i-th input.
pub(crate) fn f32_arg<'b>(
    ins: &'b [Option<In<'_>>],
    i: usize,
) -> std::result::Result<&'b [f32], OpError> {
    let v = arg(ins, i)?;
    v.as_f32().ok_or(OpError::InputType {
        index: i,
        got: v.dtype(),
        expected: "f32",
    })
}

/// Integer elements of a value.
pub(crate) fn ints(v: &Value) -> std::result::Result<Vec<i64>, OpError> {
    v.data
        .to_i64()
        .ok_or_else(|| OpError::Invalid(format!("expected an integer tensor, got {}", v.dtype())))
}

/// Integer elements of a fact's value, if known.
pub(crate) fn fact_ints(f: &Fact<'_>) -> std::result::Result<Option<Vec<i64>>, OpError> {
    f.value.map(ints).transpose()
}

/// A 4-D shape, or an error naming `what`.
pub(crate) fn shape4(s: &[usize], what: &'static str) -> std::result::Result<[usize; 4], OpError> {
    <[usize; 4]>::try_from(s).map_err(|_| OpError::Rank {
        what,
        rank: 4,
        shape: s.to_vec(),
    })
}

/// Normalize a possibly negative axis for rank `r`.
pub(crate) fn norm_axis(axis: i64, r: usize) -> std::result::Result<usize, OpError> {
    let a = if axis < 0 { axis + r as i64 } else { axis };
    if a < 0 || a >= r as i64 {
        Err(OpError::Axis { axis, rank: r })
    } else {
        Ok(a as usize)
    }
}

/// Facts of a node's inputs in `g`; small integer constants carry their values.
fn facts<'a>(g: &'a Graph, node: &Node, consts: &'a [(TensorId, Value)]) -> Vec<Option<Fact<'a>>> {
    node.inputs
        .iter()
        .map(|i| {
            i.map(|t| {
                let tensor = &g.tensors[t];
                Fact {
                    dtype: tensor.dtype,
                    shape: &tensor.shape,
                    value: consts.iter().find(|(id, _)| *id == t).map(|(_, v)| v),
                }
            })
        })
        .collect()
}

/// Dequantize a value (int8/uint8/int16/int32 with `q`, or f16) to f32.
pub fn dequantize_value(v: &Value, q: Option<&QuantParams>) -> std::result::Result<Value, OpError> {
    Ok(Value::f32(v.shape.clone(), elementwise::dequantize(v, q)?))
}

/// Expand a sparse constant tensor (TFLite compressed format) into a dense value.
pub fn densify_tensor(t: &Tensor) -> std::result::Result<Value, OpError> {
    use crate::kernels::sparse::{Level, densify};
    let sp = t.sparsity.as_ref().ok_or("the tensor is not sparse")?;
    let bytes = t.data.as_ref().ok_or("the sparse tensor has no data")?;
    let stored = crate::ir::Data::from_le_bytes(t.dtype, bytes.as_slice())
        .ok_or("stored values do not fill whole elements")?;
    let us = |v: &[i32], what: &str| -> std::result::Result<Vec<usize>, OpError> {
        v.iter()
            .map(|&x| {
                usize::try_from(x).map_err(|_| OpError::Invalid(format!("negative {what} {x}")))
            })
            .collect()
    };
    let order = us(&sp.traversal_order, "traversal index")?;
    let block_map = us(&sp.block_map, "block dimension")?;
    let n = t.shape.len();
    let levels: Vec<Level> = sp
        .dims
        .iter()
        .map(|d| {
            if d.dense {
                Ok(Level::Dense(
                    usize::try_from(d.dense_size).map_err(|_| "negative dense size".to_string())?,
                ))
            } else {
                Ok(Level::Sparse {
                    segments: us(&d.segments, "segment")?,
                    indices: us(&d.indices, "index")?,
                })
            }
        })
        .collect::<std::result::Result<_, OpError>>()?;
    // Block sizes are the dense sizes of the block levels.
    let block_size: Vec<usize> = (0..block_map.len())
        .map(|b| {
            order
                .iter()
                .position(|&o| o == n + b)
                .and_then(|l| levels.get(l))
                .map_or(0, |l| if let Level::Dense(s) = l { *s } else { 0 })
        })
        .collect();
    let data = crate::map_data!(&stored, v => densify(v, &t.shape, &order, &block_map, &block_size, &levels)?);
    Ok(Value::new(t.shape.clone(), data))
}
