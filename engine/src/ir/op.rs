//! The closed set of operations, with typed attributes. Semantics follow TFLite (NHWC for the
//! conv family). Anything else is kept as `Op::Custom` so the graph can still be shown.

use serde::{Deserialize, Serialize};

use super::DType;

/// Padding scheme of convolutions and pools (TF semantics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Padding {
    /// Output size `ceil(in / stride)`, zero padding split with the extra pixel after.
    Same,
    /// No padding.
    Valid,
}

/// Fused activation applied to an op's output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Activation {
    /// Identity.
    #[default]
    None,
    /// max(x, 0).
    Relu,
    /// clamp(x, -1, 1).
    ReluN1To1,
    /// clamp(x, 0, 6).
    Relu6,
    /// tanh(x).
    Tanh,
    /// Sign bit (unsupported by the runtime).
    SignBit,
}

/// 2-D convolution (`CONV_2D`). Inputs: x NHWC, filter OHWI, bias (optional).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Conv2d {
    /// Padding.
    pub padding: Padding,
    /// (h, w) strides.
    pub stride: [usize; 2],
    /// (h, w) dilations.
    pub dilation: [usize; 2],
    /// Fused activation.
    pub act: Activation,
}

/// Depthwise convolution (`DEPTHWISE_CONV_2D`). Filter `[1, kh, kw, in_c * multiplier]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DepthwiseConv2d {
    /// Padding.
    pub padding: Padding,
    /// (h, w) strides.
    pub stride: [usize; 2],
    /// (h, w) dilations.
    pub dilation: [usize; 2],
    /// Channel multiplier as written in the file.
    pub depth_multiplier: usize,
    /// Fused activation.
    pub act: Activation,
}

/// Transposed convolution (`TRANSPOSE_CONV`). Inputs: output_shape, filter OHWI, x, bias?.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct TransposeConv {
    /// Padding.
    pub padding: Padding,
    /// (h, w) strides.
    pub stride: [usize; 2],
    /// Fused activation.
    pub act: Activation,
}

/// Fully connected layer. Inputs: x, weights `[out, in]`, bias?.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FullyConnected {
    /// Fused activation.
    pub act: Activation,
    /// Keep the input's leading dims instead of flattening to 2-D.
    pub keep_num_dims: bool,
    /// Hybrid kernels: quantize inputs asymmetrically.
    pub asymmetric_quantize_inputs: bool,
}

/// Batched matrix product with broadcasting batch dims.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BatchMatMul {
    /// Transpose (adjoint) the lhs.
    pub adj_x: bool,
    /// Transpose (adjoint) the rhs.
    pub adj_y: bool,
    /// Hybrid kernels: quantize inputs asymmetrically.
    pub asymmetric_quantize_inputs: bool,
}

/// Element-wise binary ops with NumPy broadcasting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum BinaryKind {
    /// a + b
    Add,
    /// a - b
    Sub,
    /// a * b
    Mul,
    /// a / b
    Div,
    /// (a - b)^2
    SquaredDifference,
    /// min(a, b)
    Minimum,
    /// max(a, b)
    Maximum,
}

/// Element-wise binary op.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Binary {
    /// Which op.
    pub kind: BinaryKind,
    /// Fused activation (ADD/SUB/MUL/DIV only).
    pub act: Activation,
}

/// Element-wise unary ops without attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UnaryKind {
    /// 1 / (1 + e^-x)
    Logistic,
    /// tanh
    Tanh,
    /// max(x, 0)
    Relu,
    /// clamp(x, 0, 6)
    Relu6,
    /// clamp(x, -1, 1)
    ReluN1To1,
    /// x * relu6(x + 3) / 6
    HardSwish,
    /// 1 / sqrt(x)
    Rsqrt,
    /// sqrt(x)
    Sqrt,
    /// e^x
    Exp,
}

/// 2-D pooling kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum PoolKind {
    /// Average over in-bounds elements.
    Average,
    /// Maximum.
    Max,
}

/// 2-D pooling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pool2d {
    /// Average or max.
    pub kind: PoolKind,
    /// Padding.
    pub padding: Padding,
    /// (h, w) strides.
    pub stride: [usize; 2],
    /// (h, w) window.
    pub filter: [usize; 2],
    /// Fused activation.
    pub act: Activation,
}

/// Reductions over axes given by the second input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReduceKind {
    /// Mean.
    Mean,
    /// Sum.
    Sum,
    /// Maximum.
    Max,
}

/// Reduction op.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reduce {
    /// Which reduction.
    pub kind: ReduceKind,
    /// Keep reduced dims as size 1.
    pub keep_dims: bool,
}

/// Strided slice bit masks (TF semantics).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StridedSlice {
    /// Ignore begin[i] for set bits.
    pub begin_mask: i32,
    /// Ignore end[i] for set bits.
    pub end_mask: i32,
    /// Ellipsis position.
    pub ellipsis_mask: i32,
    /// Insert new axes.
    pub new_axis_mask: i32,
    /// Drop axes (take a single index).
    pub shrink_axis_mask: i32,
    /// `end` is relative to `begin`.
    pub offset: bool,
}

/// Resize mode flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resize {
    /// Bilinear (true) or nearest neighbour (false).
    pub bilinear: bool,
    /// Align corner pixels.
    pub align_corners: bool,
    /// Half-pixel centres.
    pub half_pixel_centers: bool,
}

/// Element-wise math of one input (logic family: `ops/logic.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MathKind {
    /// |x|
    Abs,
    /// -x
    Neg,
    /// x * x
    Square,
    /// ln x
    Log,
    /// floor
    Floor,
    /// ceil
    Ceil,
    /// round half to even
    Round,
    /// -1, 0 or 1
    Sign,
    /// sin
    Sin,
    /// cos
    Cos,
    /// x < 0 ? e^x - 1 : x
    Elu,
    /// clamp(x, 0, 1)
    Relu0To1,
    /// Gaussian error linear unit (exact with erf, or the tanh approximation).
    Gelu {
        /// The tanh approximation.
        approximate: bool,
    },
    /// !x on booleans
    LogicalNot,
}

/// Element-wise binary math with broadcasting, output typed like the inputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MathBinKind {
    /// a ^ b
    Pow,
    /// floor(a / b)
    FloorDiv,
    /// a - floor(a / b) * b (sign of b)
    FloorMod,
    /// atan2(a, b)
    Atan2,
    /// a && b on booleans
    LogicalAnd,
    /// a || b on booleans
    LogicalOr,
}

/// Element-wise comparison with broadcasting; boolean output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum CompareKind {
    /// a == b
    Equal,
    /// a != b
    NotEqual,
    /// a < b
    Less,
    /// a <= b
    LessEqual,
    /// a > b
    Greater,
    /// a >= b
    GreaterEqual,
}

/// Attribute value of a custom or unknown op, kept for display.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AttrValue {
    /// Integer (also booleans and unsigned fields, by their bits).
    Int(i64),
    /// Float.
    Float(f64),
    /// Text.
    Str(String),
    /// Integer list.
    Ints(Vec<i64>),
    /// Float list.
    Floats(Vec<f64>),
    /// Raw bytes (e.g. FlexBuffer custom options).
    Bytes(Vec<u8>),
}

impl std::fmt::Display for AttrValue {
    /// A short readable form (long lists and byte strings are abbreviated).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        fn list<T: std::fmt::Display>(
            f: &mut std::fmt::Formatter<'_>,
            v: &[T],
        ) -> std::fmt::Result {
            let shown: Vec<String> = v.iter().take(8).map(|x| x.to_string()).collect();
            let more = if v.len() > 8 { ", ..." } else { "" };
            write!(f, "[{}{more}]", shown.join(", "))
        }
        match self {
            AttrValue::Int(i) => write!(f, "{i}"),
            AttrValue::Float(x) => write!(f, "{x}"),
            AttrValue::Str(s) if s.chars().count() > 60 => {
                write!(f, "{:?}...", s.chars().take(60).collect::<String>())
            }
            AttrValue::Str(s) => write!(f, "{s:?}"),
            AttrValue::Ints(v) => list(f, v),
            AttrValue::Floats(v) => list(f, v),
            AttrValue::Bytes(b) => write!(f, "{} bytes", b.len()),
        }
    }
}

/// Every operation of the IR.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Op {
    /// CONV_2D
    Conv2d(Conv2d),
    /// DEPTHWISE_CONV_2D
    DepthwiseConv2d(DepthwiseConv2d),
    /// TRANSPOSE_CONV
    TransposeConv(TransposeConv),
    /// FULLY_CONNECTED
    FullyConnected(FullyConnected),
    /// BATCH_MATMUL
    BatchMatMul(BatchMatMul),
    /// ADD, SUB, MUL, DIV, SQUARED_DIFFERENCE, MINIMUM, MAXIMUM
    Binary(Binary),
    /// LOGISTIC, TANH, RELU, RELU6, RELU_N1_TO_1, HARD_SWISH, RSQRT, SQRT, EXP
    Unary(UnaryKind),
    /// LEAKY_RELU
    LeakyRelu {
        /// Slope for x < 0.
        alpha: f32,
    },
    /// PRELU (inputs x, alpha; alpha broadcasts)
    Prelu,
    /// AVERAGE_POOL_2D, MAX_POOL_2D
    Pool2d(Pool2d),
    /// MEAN, SUM, REDUCE_MAX
    Reduce(Reduce),
    /// RESHAPE (inputs x, optional shape tensor)
    Reshape {
        /// Legacy `new_shape` option (used when there is no shape input).
        new_shape: Option<Vec<i32>>,
    },
    /// SQUEEZE
    Squeeze {
        /// Axes to drop; empty = all size-1 axes.
        axes: Vec<i32>,
    },
    /// EXPAND_DIMS (inputs x, axis)
    ExpandDims,
    /// TRANSPOSE (inputs x, perm)
    Transpose,
    /// CONCATENATION
    Concatenation {
        /// Axis (negative counts from the end).
        axis: i32,
        /// Fused activation.
        act: Activation,
    },
    /// SPLIT (inputs axis, x)
    Split {
        /// Number of equal outputs.
        num_splits: usize,
    },
    /// PACK
    Pack {
        /// Number of inputs.
        values_count: usize,
        /// New axis position.
        axis: i32,
    },
    /// UNPACK
    Unpack {
        /// Number of outputs.
        num: usize,
        /// Axis to unpack along.
        axis: i32,
    },
    /// SLICE (inputs x, begin, size)
    Slice,
    /// STRIDED_SLICE (inputs x, begin, end, strides)
    StridedSlice(StridedSlice),
    /// GATHER (inputs params, indices)
    Gather {
        /// Axis of params to gather along.
        axis: i32,
        /// Leading batch dims shared by params and indices.
        batch_dims: i32,
    },
    /// PAD (inputs x, paddings) or PADV2 (x, paddings, constant)
    Pad {
        /// True for PADV2 (explicit constant value input).
        v2: bool,
    },
    /// DEPTH_TO_SPACE
    DepthToSpace {
        /// Block size.
        block: usize,
    },
    /// SPACE_TO_DEPTH
    SpaceToDepth {
        /// Block size.
        block: usize,
    },
    /// RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR (inputs x, size)
    Resize(Resize),
    /// SOFTMAX over the last axis
    Softmax {
        /// Inverse temperature.
        beta: f32,
    },
    /// LOG_SOFTMAX over the last axis
    LogSoftmax,
    /// ARG_MAX (inputs x, axis)
    ArgMax {
        /// i32 or i64 indices.
        output_type: DType,
    },
    /// CAST to the output tensor's type
    Cast,
    /// SHAPE
    Shape {
        /// i32 or i64 output.
        output_type: DType,
    },
    /// QUANTIZE (float -> int, or requantize)
    Quantize,
    /// DEQUANTIZE (int8/uint8/int16/f16 -> f32)
    Dequantize,
    /// DENSIFY (sparse constant -> dense); kept as in the file.
    Densify,
    /// ABS, NEG, SQUARE, LOG, FLOOR, CEIL, ROUND, SIGN, SIN, COS, ELU, RELU_0_TO_1, GELU,
    /// LOGICAL_NOT
    Math(MathKind),
    /// POW, FLOOR_DIV, FLOOR_MOD, ATAN2, LOGICAL_AND, LOGICAL_OR
    MathBin(MathBinKind),
    /// EQUAL, NOT_EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL
    Compare(CompareKind),
    /// ADD_N (same-shape inputs)
    AddN,
    /// SELECT (v1: condition of the input's shape, or a vector over its first axis) and
    /// SELECT_V2 (broadcasting); inputs condition, x, y
    Select {
        /// SELECT_V2.
        v2: bool,
    },
    /// Data movement, reductions and normalization beyond the ops above (see `Movement`).
    Movement(super::Movement),
    /// Recurrent ops: LSTM, UNIDIRECTIONAL_SEQUENCE_LSTM, RNN, UNIDIRECTIONAL_SEQUENCE_RNN, SVDF.
    Sequence(super::SeqOp),
    /// Detection and segmentation heads: NMS, WHERE, TFLite_Detection_PostProcess and
    /// MediaPipe's custom ops (see `DetOp`).
    Detect(super::DetOp),
    /// Anything the engine cannot run: TFLite CUSTOM ops and builtins we do not know.
    Custom {
        /// Display name: the custom code, or the builtin name / number.
        name: String,
        /// Attributes kept for display and faithful re-export.
        attrs: Vec<(String, AttrValue)>,
    },
}

/// The family an op belongs to: what the studio colours it by and how people group it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OpFamily {
    /// Convolutions (CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV).
    Conv,
    /// Matrix products (FULLY_CONNECTED, BATCH_MATMUL).
    MatMul,
    /// Element-wise arithmetic on two or more inputs.
    Arithmetic,
    /// Activations and other element-wise functions of one input.
    Activation,
    /// Pooling and reductions.
    Reduce,
    /// Reshaping, slicing, concatenation and other data movement.
    Shape,
    /// Type conversion: QUANTIZE, DEQUANTIZE, CAST, DENSIFY.
    Convert,
    /// Ops the engine does not know (custom and unknown builtins).
    Custom,
}

impl Op {
    /// The family of the op (exhaustive: a new op must name its family).
    pub fn family(&self) -> OpFamily {
        use OpFamily as F;
        match self {
            Op::Conv2d(_) | Op::DepthwiseConv2d(_) | Op::TransposeConv(_) => F::Conv,
            Op::FullyConnected(_) | Op::BatchMatMul(_) => F::MatMul,
            Op::Sequence(_) => F::MatMul,
            Op::Binary(_) => F::Arithmetic,
            Op::Unary(_)
            | Op::LeakyRelu { .. }
            | Op::Prelu
            | Op::Softmax { .. }
            | Op::LogSoftmax => F::Activation,
            Op::Pool2d(_) | Op::Reduce(_) | Op::ArgMax { .. } => F::Reduce,
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
            | Op::Resize(_)
            | Op::Shape { .. } => F::Shape,
            Op::Cast | Op::Quantize | Op::Dequantize | Op::Densify => F::Convert,
            Op::Math(_) => F::Activation,
            Op::MathBin(_) | Op::Compare(_) | Op::AddN | Op::Select { .. } => F::Arithmetic,
            Op::Movement(m) => m.family(),
            Op::Detect(d) => d.family(),
            Op::Custom { .. } => F::Custom,
        }
    }

    /// The TFLite-style name of the op (`CONV_2D`, ...).
    pub fn name(&self) -> String {
        let s = match self {
            Op::Conv2d(_) => "CONV_2D",
            Op::DepthwiseConv2d(_) => "DEPTHWISE_CONV_2D",
            Op::TransposeConv(_) => "TRANSPOSE_CONV",
            Op::FullyConnected(_) => "FULLY_CONNECTED",
            Op::BatchMatMul(_) => "BATCH_MATMUL",
            Op::Binary(b) => match b.kind {
                BinaryKind::Add => "ADD",
                BinaryKind::Sub => "SUB",
                BinaryKind::Mul => "MUL",
                BinaryKind::Div => "DIV",
                BinaryKind::SquaredDifference => "SQUARED_DIFFERENCE",
                BinaryKind::Minimum => "MINIMUM",
                BinaryKind::Maximum => "MAXIMUM",
            },
            Op::Unary(u) => match u {
                UnaryKind::Logistic => "LOGISTIC",
                UnaryKind::Tanh => "TANH",
                UnaryKind::Relu => "RELU",
                UnaryKind::Relu6 => "RELU6",
                UnaryKind::ReluN1To1 => "RELU_N1_TO_1",
                UnaryKind::HardSwish => "HARD_SWISH",
                UnaryKind::Rsqrt => "RSQRT",
                UnaryKind::Sqrt => "SQRT",
                UnaryKind::Exp => "EXP",
            },
            Op::LeakyRelu { .. } => "LEAKY_RELU",
            Op::Prelu => "PRELU",
            Op::Pool2d(p) => match p.kind {
                PoolKind::Average => "AVERAGE_POOL_2D",
                PoolKind::Max => "MAX_POOL_2D",
            },
            Op::Reduce(r) => match r.kind {
                ReduceKind::Mean => "MEAN",
                ReduceKind::Sum => "SUM",
                ReduceKind::Max => "REDUCE_MAX",
            },
            Op::Reshape { .. } => "RESHAPE",
            Op::Squeeze { .. } => "SQUEEZE",
            Op::ExpandDims => "EXPAND_DIMS",
            Op::Transpose => "TRANSPOSE",
            Op::Concatenation { .. } => "CONCATENATION",
            Op::Split { .. } => "SPLIT",
            Op::Pack { .. } => "PACK",
            Op::Unpack { .. } => "UNPACK",
            Op::Slice => "SLICE",
            Op::StridedSlice(_) => "STRIDED_SLICE",
            Op::Gather { .. } => "GATHER",
            Op::Pad { v2: false } => "PAD",
            Op::Pad { v2: true } => "PADV2",
            Op::DepthToSpace { .. } => "DEPTH_TO_SPACE",
            Op::SpaceToDepth { .. } => "SPACE_TO_DEPTH",
            Op::Resize(r) if r.bilinear => "RESIZE_BILINEAR",
            Op::Resize(_) => "RESIZE_NEAREST_NEIGHBOR",
            Op::Softmax { .. } => "SOFTMAX",
            Op::LogSoftmax => "LOG_SOFTMAX",
            Op::ArgMax { .. } => "ARG_MAX",
            Op::Cast => "CAST",
            Op::Shape { .. } => "SHAPE",
            Op::Quantize => "QUANTIZE",
            Op::Dequantize => "DEQUANTIZE",
            Op::Densify => "DENSIFY",
            Op::Math(_) | Op::MathBin(_) | Op::Compare(_) | Op::AddN | Op::Select { .. } => {
                logic_name(self)
            }
            Op::Movement(m) => m.name(),
            Op::Sequence(s) => s.name(),
            Op::Detect(d) => d.name(),
            Op::Custom { name, .. } => return name.clone(),
        };
        s.to_string()
    }

    /// The subgraphs a node of this op calls: `(option name, subgraph index)` for every
    /// `*_subgraph_index` option of a kept op (CALL_ONCE, WHILE, IF, CALL, StableHLO ops).
    pub fn called_subgraphs(&self) -> Vec<(&str, usize)> {
        let Op::Custom { attrs, .. } = self else {
            return Vec::new();
        };
        attrs
            .iter()
            .filter(|(k, _)| k.ends_with("subgraph_index") || k.ends_with("subgraph"))
            .filter_map(|(k, v)| match v {
                AttrValue::Int(i) => usize::try_from(*i).ok().map(|i| (k.as_str(), i)),
                _ => None,
            })
            .collect()
    }

    /// The value of attribute `key` of a kept (`Custom`) op.
    pub fn attr(&self, key: &str) -> Option<&AttrValue> {
        match self {
            Op::Custom { attrs, .. } => attrs.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// The fused activation, if the op has one.
    pub fn activation(&self) -> Option<Activation> {
        match self {
            Op::Conv2d(c) => Some(c.act),
            Op::DepthwiseConv2d(c) => Some(c.act),
            Op::TransposeConv(c) => Some(c.act),
            Op::FullyConnected(c) => Some(c.act),
            Op::Binary(b) => Some(b.act),
            Op::Pool2d(p) => Some(p.act),
            Op::Concatenation { act, .. } => Some(*act),
            Op::Movement(m) => m.activation(),
            Op::BatchMatMul(_)
            | Op::Unary(_)
            | Op::LeakyRelu { .. }
            | Op::Prelu
            | Op::Reduce(_)
            | Op::Reshape { .. }
            | Op::Squeeze { .. }
            | Op::ExpandDims
            | Op::Transpose
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
            | Op::Sequence(_)
            | Op::Detect(_)
            | Op::Custom { .. } => None,
        }
    }
}

/// TFLite names of the logic family's ops.
fn logic_name(op: &Op) -> &'static str {
    match op {
        Op::Math(k) => match k {
            MathKind::Abs => "ABS",
            MathKind::Neg => "NEG",
            MathKind::Square => "SQUARE",
            MathKind::Log => "LOG",
            MathKind::Floor => "FLOOR",
            MathKind::Ceil => "CEIL",
            MathKind::Round => "ROUND",
            MathKind::Sign => "SIGN",
            MathKind::Sin => "SIN",
            MathKind::Cos => "COS",
            MathKind::Elu => "ELU",
            MathKind::Relu0To1 => "RELU_0_TO_1",
            MathKind::Gelu { .. } => "GELU",
            MathKind::LogicalNot => "LOGICAL_NOT",
        },
        Op::MathBin(k) => match k {
            MathBinKind::Pow => "POW",
            MathBinKind::FloorDiv => "FLOOR_DIV",
            MathBinKind::FloorMod => "FLOOR_MOD",
            MathBinKind::Atan2 => "ATAN2",
            MathBinKind::LogicalAnd => "LOGICAL_AND",
            MathBinKind::LogicalOr => "LOGICAL_OR",
        },
        Op::Compare(k) => match k {
            CompareKind::Equal => "EQUAL",
            CompareKind::NotEqual => "NOT_EQUAL",
            CompareKind::Less => "LESS",
            CompareKind::LessEqual => "LESS_EQUAL",
            CompareKind::Greater => "GREATER",
            CompareKind::GreaterEqual => "GREATER_EQUAL",
        },
        Op::AddN => "ADD_N",
        Op::Select { v2: false } => "SELECT",
        Op::Select { v2: true } => "SELECT_V2",
        _ => "?",
    }
}
