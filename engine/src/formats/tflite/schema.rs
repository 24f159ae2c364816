//! TFLite operator codes and options tables: `Op` <-> (builtin code, options). Field ids and
//! union tags follow ../shared/specs/tflite-format.md.

use super::builder::TableB;
use super::fb::Table;
use crate::error::{Error, Result};
use crate::ir::*;

/// Builtin operator codes used here.
pub mod code {
    #![allow(missing_docs)]
    pub const ADD: i32 = 0;
    pub const AVERAGE_POOL_2D: i32 = 1;
    pub const CONCATENATION: i32 = 2;
    pub const CONV_2D: i32 = 3;
    pub const DEPTHWISE_CONV_2D: i32 = 4;
    pub const DEPTH_TO_SPACE: i32 = 5;
    pub const DEQUANTIZE: i32 = 6;
    pub const FULLY_CONNECTED: i32 = 9;
    pub const LOGISTIC: i32 = 14;
    pub const MAX_POOL_2D: i32 = 17;
    pub const MUL: i32 = 18;
    pub const RELU: i32 = 19;
    pub const RELU_N1_TO_1: i32 = 20;
    pub const RELU6: i32 = 21;
    pub const RESHAPE: i32 = 22;
    pub const RESIZE_BILINEAR: i32 = 23;
    pub const SOFTMAX: i32 = 25;
    pub const SPACE_TO_DEPTH: i32 = 26;
    pub const TANH: i32 = 28;
    pub const CUSTOM: i32 = 32;
    pub const PAD: i32 = 34;
    pub const GATHER: i32 = 36;
    pub const TRANSPOSE: i32 = 39;
    pub const MEAN: i32 = 40;
    pub const SUB: i32 = 41;
    pub const DIV: i32 = 42;
    pub const SQUEEZE: i32 = 43;
    pub const STRIDED_SLICE: i32 = 45;
    pub const EXP: i32 = 47;
    pub const SPLIT: i32 = 49;
    pub const LOG_SOFTMAX: i32 = 50;
    pub const CAST: i32 = 53;
    pub const PRELU: i32 = 54;
    pub const MAXIMUM: i32 = 55;
    pub const ARG_MAX: i32 = 56;
    pub const MINIMUM: i32 = 57;
    pub const PADV2: i32 = 60;
    pub const SLICE: i32 = 65;
    pub const TRANSPOSE_CONV: i32 = 67;
    pub const EXPAND_DIMS: i32 = 70;
    pub const SUM: i32 = 74;
    pub const SQRT: i32 = 75;
    pub const RSQRT: i32 = 76;
    pub const SHAPE: i32 = 77;
    pub const REDUCE_MAX: i32 = 82;
    pub const PACK: i32 = 83;
    pub const UNPACK: i32 = 88;
    pub const RESIZE_NEAREST_NEIGHBOR: i32 = 97;
    pub const LEAKY_RELU: i32 = 98;
    pub const SQUARED_DIFFERENCE: i32 = 99;
    pub const QUANTIZE: i32 = 114;
    pub const HARD_SWISH: i32 = 117;
    pub const DENSIFY: i32 = 124;
    pub const BATCH_MATMUL: i32 = 126;
    // The logic family (ops/logic.rs).
    pub const FLOOR: i32 = 8;
    pub const LESS: i32 = 58;
    pub const NEG: i32 = 59;
    pub const GREATER: i32 = 61;
    pub const GREATER_EQUAL: i32 = 62;
    pub const LESS_EQUAL: i32 = 63;
    pub const SELECT: i32 = 64;
    pub const SIN: i32 = 66;
    pub const EQUAL: i32 = 71;
    pub const NOT_EQUAL: i32 = 72;
    pub const LOG: i32 = 73;
    pub const POW: i32 = 78;
    pub const LOGICAL_OR: i32 = 84;
    pub const LOGICAL_AND: i32 = 86;
    pub const LOGICAL_NOT: i32 = 87;
    pub const FLOOR_DIV: i32 = 90;
    pub const SQUARE: i32 = 92;
    pub const FLOOR_MOD: i32 = 95;
    pub const ABS: i32 = 101;
    pub const CEIL: i32 = 104;
    pub const ADD_N: i32 = 106;
    pub const COS: i32 = 108;
    pub const ELU: i32 = 111;
    pub const ROUND: i32 = 116;
    pub const SELECT_V2: i32 = 123;
    pub const GELU: i32 = 150;
    pub const RELU_0_TO_1: i32 = 152;
    pub const ATAN2: i32 = 156;
    pub const SIGN: i32 = 158;
}

/// Every builtin code [`decode`] reads, with the name of the op it gives (the names match
/// [`Op::name`]); tests check that each decodes, encodes back to itself and has oracle cases.
pub const DECODED: &[(i32, &str)] = &[
    (code::ADD, "ADD"),
    (code::AVERAGE_POOL_2D, "AVERAGE_POOL_2D"),
    (code::CONCATENATION, "CONCATENATION"),
    (code::CONV_2D, "CONV_2D"),
    (code::DEPTHWISE_CONV_2D, "DEPTHWISE_CONV_2D"),
    (code::DEPTH_TO_SPACE, "DEPTH_TO_SPACE"),
    (code::DEQUANTIZE, "DEQUANTIZE"),
    (code::FULLY_CONNECTED, "FULLY_CONNECTED"),
    (code::LOGISTIC, "LOGISTIC"),
    (code::MAX_POOL_2D, "MAX_POOL_2D"),
    (code::MUL, "MUL"),
    (code::RELU, "RELU"),
    (code::RELU_N1_TO_1, "RELU_N1_TO_1"),
    (code::RELU6, "RELU6"),
    (code::RESHAPE, "RESHAPE"),
    (code::RESIZE_BILINEAR, "RESIZE_BILINEAR"),
    (code::SOFTMAX, "SOFTMAX"),
    (code::SPACE_TO_DEPTH, "SPACE_TO_DEPTH"),
    (code::TANH, "TANH"),
    (code::PAD, "PAD"),
    (code::GATHER, "GATHER"),
    (code::TRANSPOSE, "TRANSPOSE"),
    (code::MEAN, "MEAN"),
    (code::SUB, "SUB"),
    (code::DIV, "DIV"),
    (code::SQUEEZE, "SQUEEZE"),
    (code::STRIDED_SLICE, "STRIDED_SLICE"),
    (code::EXP, "EXP"),
    (code::SPLIT, "SPLIT"),
    (code::LOG_SOFTMAX, "LOG_SOFTMAX"),
    (code::CAST, "CAST"),
    (code::PRELU, "PRELU"),
    (code::MAXIMUM, "MAXIMUM"),
    (code::ARG_MAX, "ARG_MAX"),
    (code::MINIMUM, "MINIMUM"),
    (code::PADV2, "PADV2"),
    (code::SLICE, "SLICE"),
    (code::TRANSPOSE_CONV, "TRANSPOSE_CONV"),
    (code::EXPAND_DIMS, "EXPAND_DIMS"),
    (code::SUM, "SUM"),
    (code::SQRT, "SQRT"),
    (code::RSQRT, "RSQRT"),
    (code::SHAPE, "SHAPE"),
    (code::REDUCE_MAX, "REDUCE_MAX"),
    (code::PACK, "PACK"),
    (code::UNPACK, "UNPACK"),
    (code::RESIZE_NEAREST_NEIGHBOR, "RESIZE_NEAREST_NEIGHBOR"),
    (code::LEAKY_RELU, "LEAKY_RELU"),
    (code::SQUARED_DIFFERENCE, "SQUARED_DIFFERENCE"),
    (code::QUANTIZE, "QUANTIZE"),
    (code::HARD_SWISH, "HARD_SWISH"),
    (code::DENSIFY, "DENSIFY"),
    (code::BATCH_MATMUL, "BATCH_MATMUL"),
    (code::FLOOR, "FLOOR"),
    (code::LESS, "LESS"),
    (code::NEG, "NEG"),
    (code::GREATER, "GREATER"),
    (code::GREATER_EQUAL, "GREATER_EQUAL"),
    (code::LESS_EQUAL, "LESS_EQUAL"),
    (code::SELECT, "SELECT"),
    (code::SIN, "SIN"),
    (code::EQUAL, "EQUAL"),
    (code::NOT_EQUAL, "NOT_EQUAL"),
    (code::LOG, "LOG"),
    (code::POW, "POW"),
    (code::LOGICAL_OR, "LOGICAL_OR"),
    (code::LOGICAL_AND, "LOGICAL_AND"),
    (code::LOGICAL_NOT, "LOGICAL_NOT"),
    (code::FLOOR_DIV, "FLOOR_DIV"),
    (code::SQUARE, "SQUARE"),
    (code::FLOOR_MOD, "FLOOR_MOD"),
    (code::ABS, "ABS"),
    (code::CEIL, "CEIL"),
    (code::ADD_N, "ADD_N"),
    (code::COS, "COS"),
    (code::ELU, "ELU"),
    (code::ROUND, "ROUND"),
    (code::SELECT_V2, "SELECT_V2"),
    (code::GELU, "GELU"),
    (code::RELU_0_TO_1, "RELU_0_TO_1"),
    (code::ATAN2, "ATAN2"),
    (code::SIGN, "SIGN"),
];

/// Every builtin code [`decode`] reads: [`DECODED`], the movement and the sequence families'.
pub fn decoded() -> impl Iterator<Item = &'static (i32, &'static str)> {
    DECODED
        .iter()
        .chain(super::schema_movement::DECODED)
        .chain(super::sequence::DECODED)
        .chain(super::schema_detection::DECODED)
}

/// The schema's name of a builtin code (`BUILTIN_<n>` for a code it does not define).
pub fn builtin_name(c: i32) -> String {
    decoded()
        .chain(super::options_table::BUILTIN_NAMES)
        .find(|(k, _)| *k == c)
        .map_or_else(|| format!("BUILTIN_{c}"), |(_, n)| n.to_string())
}

fn padding(v: i8) -> Result<Padding> {
    match v {
        0 => Ok(Padding::Same),
        1 => Ok(Padding::Valid),
        _ => Err(Error::import(format!("unknown padding {v}"))),
    }
}

fn activation(v: i8) -> Result<Activation> {
    Ok(match v {
        0 => Activation::None,
        1 => Activation::Relu,
        2 => Activation::ReluN1To1,
        3 => Activation::Relu6,
        4 => Activation::Tanh,
        5 => Activation::SignBit,
        _ => return Err(Error::import(format!("unknown fused activation {v}"))),
    })
}

fn act_code(a: Activation) -> i8 {
    match a {
        Activation::None => 0,
        Activation::Relu => 1,
        Activation::ReluN1To1 => 2,
        Activation::Relu6 => 3,
        Activation::Tanh => 4,
        Activation::SignBit => 5,
    }
}

/// TFLite TensorType codes, in code order (the schema's `TensorType` enum).
pub const TENSOR_TYPES: &[(i8, DType, &str)] = &[
    (0, DType::F32, "FLOAT32"),
    (1, DType::F16, "FLOAT16"),
    (2, DType::I32, "INT32"),
    (3, DType::U8, "UINT8"),
    (4, DType::I64, "INT64"),
    (5, DType::Str, "STRING"),
    (6, DType::Bool, "BOOL"),
    (7, DType::I16, "INT16"),
    (8, DType::Complex64, "COMPLEX64"),
    (9, DType::I8, "INT8"),
    (10, DType::F64, "FLOAT64"),
    (11, DType::Complex128, "COMPLEX128"),
    (12, DType::U64, "UINT64"),
    (13, DType::Resource, "RESOURCE"),
    (14, DType::Variant, "VARIANT"),
    (15, DType::U32, "UINT32"),
    (16, DType::U16, "UINT16"),
    (17, DType::I4, "INT4"),
    (18, DType::BF16, "BFLOAT16"),
    (19, DType::I2, "INT2"),
    (20, DType::U4, "UINT4"),
    (21, DType::F8E4M3, "FLOAT8_E4M3FN"),
    (22, DType::F8E5M2, "FLOAT8_E5M2"),
];

/// TFLite TensorType code of a dtype.
pub fn type_code(d: DType) -> i8 {
    TENSOR_TYPES
        .iter()
        .find(|(_, t, _)| *t == d)
        .map_or(0, |(c, _, _)| *c)
}

/// The schema's name of a dtype (`RESOURCE`, `FLOAT32`).
pub fn type_name(d: DType) -> &'static str {
    TENSOR_TYPES
        .iter()
        .find(|(_, t, _)| *t == d)
        .map_or("UNKNOWN", |(_, _, n)| n)
}

/// Dtype of a TensorType code, or `None` for a code the schema does not define.
pub fn dtype_of(c: i8) -> Option<DType> {
    TENSOR_TYPES
        .iter()
        .find(|(k, _, _)| *k == c)
        .map(|(_, d, _)| *d)
}

fn usz(v: i32, what: &str) -> Result<usize> {
    usize::try_from(v).map_err(|_| Error::import(format!("negative {what} {v}")))
}

/// Decode a builtin op from its code and options table (`None` when absent).
pub fn decode(c: i32, o: Option<Table<'_>>) -> Result<Option<Op>> {
    // Absent options read as defaults, as LiteRT does.
    let t = |id: usize| -> Result<i32> { o.map_or(Ok(0), |t| t.get::<i32>(id, 0)) };
    let t1 = |id: usize| -> Result<i32> { o.map_or(Ok(1), |t| t.get::<i32>(id, 1)) };
    let b = |id: usize| -> Result<bool> { o.map_or(Ok(false), |t| t.bool(id)) };
    let i8f = |id: usize| -> Result<i8> { o.map_or(Ok(0), |t| t.get::<i8>(id, 0)) };
    let binary = |kind: BinaryKind, with_act: bool| -> Result<Op> {
        Ok(Op::Binary(Binary {
            kind,
            act: if with_act {
                activation(i8f(0)?)?
            } else {
                Activation::None
            },
        }))
    };
    let op = match c {
        code::CONV_2D => Op::Conv2d(Conv2d {
            padding: padding(i8f(0)?)?,
            stride: [usz(t(2)?, "stride")?, usz(t(1)?, "stride")?],
            dilation: [usz(t1(5)?, "dilation")?, usz(t1(4)?, "dilation")?],
            act: activation(i8f(3)?)?,
        }),
        code::DEPTHWISE_CONV_2D => Op::DepthwiseConv2d(DepthwiseConv2d {
            padding: padding(i8f(0)?)?,
            stride: [usz(t(2)?, "stride")?, usz(t(1)?, "stride")?],
            depth_multiplier: usz(t(3)?, "depth multiplier")?,
            act: activation(i8f(4)?)?,
            dilation: [usz(t1(6)?, "dilation")?, usz(t1(5)?, "dilation")?],
        }),
        code::TRANSPOSE_CONV => Op::TransposeConv(TransposeConv {
            padding: padding(i8f(0)?)?,
            stride: [usz(t(2)?, "stride")?, usz(t(1)?, "stride")?],
            act: activation(i8f(3)?)?,
        }),
        code::FULLY_CONNECTED => {
            if i8f(1)? != 0 {
                return Ok(None);
            }
            Op::FullyConnected(FullyConnected {
                act: activation(i8f(0)?)?,
                keep_num_dims: b(2)?,
                asymmetric_quantize_inputs: b(3)?,
            })
        }
        code::BATCH_MATMUL => Op::BatchMatMul(BatchMatMul {
            adj_x: b(0)?,
            adj_y: b(1)?,
            asymmetric_quantize_inputs: b(2)?,
        }),
        code::ADD => binary(BinaryKind::Add, true)?,
        code::SUB => binary(BinaryKind::Sub, true)?,
        code::MUL => binary(BinaryKind::Mul, true)?,
        code::DIV => binary(BinaryKind::Div, true)?,
        code::SQUARED_DIFFERENCE => binary(BinaryKind::SquaredDifference, false)?,
        code::MINIMUM => binary(BinaryKind::Minimum, false)?,
        code::MAXIMUM => binary(BinaryKind::Maximum, false)?,
        code::LOGISTIC => Op::Unary(UnaryKind::Logistic),
        code::TANH => Op::Unary(UnaryKind::Tanh),
        code::RELU => Op::Unary(UnaryKind::Relu),
        code::RELU6 => Op::Unary(UnaryKind::Relu6),
        code::RELU_N1_TO_1 => Op::Unary(UnaryKind::ReluN1To1),
        code::HARD_SWISH => Op::Unary(UnaryKind::HardSwish),
        code::RSQRT => Op::Unary(UnaryKind::Rsqrt),
        code::SQRT => Op::Unary(UnaryKind::Sqrt),
        code::EXP => Op::Unary(UnaryKind::Exp),
        code::LEAKY_RELU => Op::LeakyRelu {
            alpha: o.map_or(Ok(0.0), |t| t.get::<f32>(0, 0.0))?,
        },
        code::PRELU => Op::Prelu,
        code::AVERAGE_POOL_2D | code::MAX_POOL_2D => Op::Pool2d(Pool2d {
            kind: if c == code::MAX_POOL_2D {
                PoolKind::Max
            } else {
                PoolKind::Average
            },
            padding: padding(i8f(0)?)?,
            stride: [usz(t(2)?, "stride")?, usz(t(1)?, "stride")?],
            filter: [usz(t(4)?, "filter height")?, usz(t(3)?, "filter width")?],
            act: activation(i8f(5)?)?,
        }),
        code::MEAN | code::SUM | code::REDUCE_MAX => Op::Reduce(Reduce {
            kind: match c {
                code::MEAN => ReduceKind::Mean,
                code::SUM => ReduceKind::Sum,
                _ => ReduceKind::Max,
            },
            keep_dims: b(0)?,
        }),
        code::RESHAPE => Op::Reshape {
            new_shape: o
                .map(|t| t.vector(0))
                .transpose()?
                .flatten()
                .map(|v| v.scalars::<i32>())
                .transpose()?,
        },
        code::SQUEEZE => Op::Squeeze {
            axes: o
                .map(|t| t.vector(0))
                .transpose()?
                .flatten()
                .map(|v| v.scalars::<i32>())
                .transpose()?
                .unwrap_or_default(),
        },
        code::EXPAND_DIMS => Op::ExpandDims,
        code::TRANSPOSE => Op::Transpose,
        code::CONCATENATION => Op::Concatenation {
            axis: t(0)?,
            act: activation(i8f(1)?)?,
        },
        code::SPLIT => Op::Split {
            num_splits: usz(t(0)?, "num_splits")?,
        },
        code::PACK => Op::Pack {
            values_count: usz(t(0)?, "values_count")?,
            axis: t(1)?,
        },
        code::UNPACK => Op::Unpack {
            num: usz(t(0)?, "num")?,
            axis: t(1)?,
        },
        code::SLICE => Op::Slice,
        code::STRIDED_SLICE => Op::StridedSlice(StridedSlice {
            begin_mask: t(0)?,
            end_mask: t(1)?,
            ellipsis_mask: t(2)?,
            new_axis_mask: t(3)?,
            shrink_axis_mask: t(4)?,
            offset: b(5)?,
        }),
        code::GATHER => Op::Gather {
            axis: t(0)?,
            batch_dims: t(1)?,
        },
        code::PAD => Op::Pad { v2: false },
        code::PADV2 => Op::Pad { v2: true },
        code::DEPTH_TO_SPACE => Op::DepthToSpace {
            block: usz(t(0)?, "block size")?,
        },
        code::SPACE_TO_DEPTH => Op::SpaceToDepth {
            block: usz(t(0)?, "block size")?,
        },
        code::RESIZE_BILINEAR => Op::Resize(Resize {
            bilinear: true,
            align_corners: b(2)?,
            half_pixel_centers: b(3)?,
        }),
        code::RESIZE_NEAREST_NEIGHBOR => Op::Resize(Resize {
            bilinear: false,
            align_corners: b(0)?,
            half_pixel_centers: b(1)?,
        }),
        code::SOFTMAX => Op::Softmax {
            beta: o.map_or(Ok(1.0), |t| t.get::<f32>(0, 0.0))?,
        },
        code::LOG_SOFTMAX => Op::LogSoftmax,
        code::ARG_MAX => Op::ArgMax {
            output_type: if i8f(0)? == 4 { DType::I64 } else { DType::I32 },
        },
        code::CAST => Op::Cast,
        code::SHAPE => Op::Shape {
            output_type: if i8f(0)? == 4 { DType::I64 } else { DType::I32 },
        },
        code::QUANTIZE => Op::Quantize,
        code::DEQUANTIZE => Op::Dequantize,
        code::DENSIFY => Op::Densify,
        c if super::sequence::is_code(c) => return super::sequence::decode(c, o, activation),
        c if super::schema_detection::decode(c).is_some() => {
            return Ok(super::schema_detection::decode(c));
        }
        c => match super::schema_movement::decode(c, o, padding, activation)? {
            Some(op) => op,
            None => match super::schema_logic::logic_op(c, b(0)?) {
                Some(op) => op,
                None => return Ok(None),
            },
        },
    };
    Ok(Some(op))
}

fn stride_opts(t: TableB, pad: Padding, stride: [usize; 2]) -> TableB {
    t.i8(0, if pad == Padding::Same { 0 } else { 1 })
        .i32(1, stride[1] as i32)
        .i32(2, stride[0] as i32)
}

/// Builtin code, options union tag and options table of an op. `None` for ops that have no
/// builtin encoding (custom ops).
pub fn encode(op: &Op) -> Option<(i32, u8, TableB)> {
    let t = TableB::new();
    let bin = |c: i32, tag: u8, act: Activation| (c, tag, TableB::new().i8(0, act_code(act)));
    Some(match op {
        Op::Conv2d(c) => (
            code::CONV_2D,
            1,
            stride_opts(t, c.padding, c.stride)
                .i8(3, act_code(c.act))
                .i32(4, c.dilation[1] as i32)
                .i32(5, c.dilation[0] as i32),
        ),
        Op::DepthwiseConv2d(c) => (
            code::DEPTHWISE_CONV_2D,
            2,
            stride_opts(t, c.padding, c.stride)
                .i32(3, c.depth_multiplier as i32)
                .i8(4, act_code(c.act))
                .i32(5, c.dilation[1] as i32)
                .i32(6, c.dilation[0] as i32),
        ),
        Op::TransposeConv(c) => (
            code::TRANSPOSE_CONV,
            49,
            stride_opts(t, c.padding, c.stride).i8(3, act_code(c.act)),
        ),
        Op::FullyConnected(f) => (
            code::FULLY_CONNECTED,
            8,
            t.i8(0, act_code(f.act))
                .bool(2, f.keep_num_dims)
                .bool(3, f.asymmetric_quantize_inputs),
        ),
        Op::BatchMatMul(b) => (
            code::BATCH_MATMUL,
            101,
            t.bool(0, b.adj_x)
                .bool(1, b.adj_y)
                .bool(2, b.asymmetric_quantize_inputs),
        ),
        Op::Binary(b) => match b.kind {
            BinaryKind::Add => bin(code::ADD, 11, b.act),
            BinaryKind::Sub => bin(code::SUB, 28, b.act),
            BinaryKind::Mul => bin(code::MUL, 21, b.act),
            BinaryKind::Div => bin(code::DIV, 29, b.act),
            BinaryKind::SquaredDifference => (code::SQUARED_DIFFERENCE, 0, t),
            BinaryKind::Minimum => (code::MINIMUM, 0, t),
            BinaryKind::Maximum => (code::MAXIMUM, 0, t),
        },
        Op::Unary(u) => (
            match u {
                UnaryKind::Logistic => code::LOGISTIC,
                UnaryKind::Tanh => code::TANH,
                UnaryKind::Relu => code::RELU,
                UnaryKind::Relu6 => code::RELU6,
                UnaryKind::ReluN1To1 => code::RELU_N1_TO_1,
                UnaryKind::HardSwish => code::HARD_SWISH,
                UnaryKind::Rsqrt => code::RSQRT,
                UnaryKind::Sqrt => code::SQRT,
                UnaryKind::Exp => code::EXP,
            },
            0,
            t,
        ),
        Op::LeakyRelu { alpha } => (code::LEAKY_RELU, 75, t.f32(0, *alpha)),
        Op::Prelu => (code::PRELU, 0, t),
        Op::Pool2d(p) => (
            if p.kind == PoolKind::Max {
                code::MAX_POOL_2D
            } else {
                code::AVERAGE_POOL_2D
            },
            5,
            stride_opts(t, p.padding, p.stride)
                .i32(3, p.filter[1] as i32)
                .i32(4, p.filter[0] as i32)
                .i8(5, act_code(p.act)),
        ),
        Op::Reduce(r) => (
            match r.kind {
                ReduceKind::Mean => code::MEAN,
                ReduceKind::Sum => code::SUM,
                ReduceKind::Max => code::REDUCE_MAX,
            },
            27,
            t.bool(0, r.keep_dims),
        ),
        Op::Reshape { new_shape } => match new_shape {
            Some(s) => (code::RESHAPE, 17, t.obj(0, super::builder::Obj::i32s(s))),
            None => (code::RESHAPE, 0, t),
        },
        Op::Squeeze { axes } => (code::SQUEEZE, 30, t.obj(0, super::builder::Obj::i32s(axes))),
        Op::ExpandDims => (code::EXPAND_DIMS, 0, t),
        Op::Transpose => (code::TRANSPOSE, 0, t),
        Op::Concatenation { axis, act } => (
            code::CONCATENATION,
            10,
            t.i32(0, *axis).i8(1, act_code(*act)),
        ),
        Op::Split { num_splits } => (code::SPLIT, 35, t.i32(0, *num_splits as i32)),
        Op::Pack { values_count, axis } => {
            (code::PACK, 59, t.i32(0, *values_count as i32).i32(1, *axis))
        }
        Op::Unpack { num, axis } => (code::UNPACK, 64, t.i32(0, *num as i32).i32(1, *axis)),
        Op::Slice => (code::SLICE, 0, t),
        Op::StridedSlice(s) => (
            code::STRIDED_SLICE,
            32,
            t.i32(0, s.begin_mask)
                .i32(1, s.end_mask)
                .i32(2, s.ellipsis_mask)
                .i32(3, s.new_axis_mask)
                .i32(4, s.shrink_axis_mask)
                .bool(5, s.offset),
        ),
        Op::Gather { axis, batch_dims } => (code::GATHER, 23, t.i32(0, *axis).i32(1, *batch_dims)),
        Op::Pad { v2 } => (if *v2 { code::PADV2 } else { code::PAD }, 0, t),
        Op::DepthToSpace { block } => (code::DEPTH_TO_SPACE, 94, t.i32(0, *block as i32)),
        Op::SpaceToDepth { block } => (code::SPACE_TO_DEPTH, 19, t.i32(0, *block as i32)),
        Op::Resize(r) if r.bilinear => (
            code::RESIZE_BILINEAR,
            15,
            t.bool(2, r.align_corners).bool(3, r.half_pixel_centers),
        ),
        Op::Resize(r) => (
            code::RESIZE_NEAREST_NEIGHBOR,
            74,
            t.bool(0, r.align_corners).bool(1, r.half_pixel_centers),
        ),
        Op::Softmax { beta } => (code::SOFTMAX, 9, t.f32(0, *beta)),
        Op::LogSoftmax => (code::LOG_SOFTMAX, 0, t),
        Op::ArgMax { output_type } => (code::ARG_MAX, 40, t.i8(0, type_code(*output_type))),
        Op::Cast => (code::CAST, 0, t),
        Op::Shape { output_type } => (code::SHAPE, 55, t.i8(0, type_code(*output_type))),
        Op::Quantize => (code::QUANTIZE, 0, t),
        Op::Dequantize => (code::DEQUANTIZE, 0, t),
        Op::Densify => (code::DENSIFY, 0, t),
        Op::Math(MathKind::Gelu { approximate }) => (code::GELU, 116, t.bool(0, *approximate)),
        Op::Math(_) | Op::MathBin(_) | Op::Compare(_) | Op::AddN | Op::Select { .. } => {
            (super::schema_logic::logic_code(op)?, 0, t)
        }
        Op::Movement(m) => super::schema_movement::encode(m, act_code),
        Op::Sequence(s) => super::sequence::encode(s, act_code),
        Op::Detect(d) => return super::schema_detection::encode(d),
        Op::Custom { .. } => return None,
    })
}

/// The operator version the TFLite converter would write for a node, from its op, number of
/// inputs, first input type, output rank and whether its weights are per-channel.
pub fn default_version(op: &Op, n_inputs: usize, in_dtype: Option<DType>, out_rank: usize) -> i32 {
    if in_dtype == Some(DType::I8) {
        return int8_version(op, n_inputs, out_rank);
    }
    match op {
        Op::Movement(m) => super::schema_movement::version(m, in_dtype, out_rank),
        Op::FullyConnected(_) if n_inputs == 2 => 6,
        Op::FullyConnected(f) if f.keep_num_dims => 5,
        Op::DepthwiseConv2d(c) if c.dilation != [1, 1] => 2,
        Op::TransposeConv(c) if c.act != Activation::None => 4,
        Op::TransposeConv(_) if n_inputs == 4 => 3,
        Op::Resize(r) if r.half_pixel_centers && r.bilinear => 3,
        Op::Resize(r) if !r.bilinear && (r.align_corners || r.half_pixel_centers) => 3,
        Op::StridedSlice(s) if s.offset => 8,
        Op::StridedSlice(s) if s.ellipsis_mask != 0 || s.new_axis_mask != 0 => 6,
        Op::StridedSlice(_) | Op::Pad { .. } | Op::Transpose if out_rank > 4 => 4,
        Op::Gather { batch_dims, .. } if *batch_dims != 0 => 5,
        Op::Dequantize if in_dtype == Some(DType::F16) => 3,
        Op::Math(MathKind::Abs) if in_dtype == Some(DType::I32) => 5,
        Op::Math(MathKind::Sign) if in_dtype == Some(DType::I32) => 2,
        Op::MathBin(MathBinKind::FloorDiv) if in_dtype == Some(DType::F32) => 2,
        Op::Select { v2: false } if out_rank == 5 => 3,
        Op::Sequence(s) => super::sequence::version(s),
        // Version 1 for the plain float form; listed so that a new op must choose.
        Op::Conv2d(_)
        | Op::DepthwiseConv2d(_)
        | Op::TransposeConv(_)
        | Op::FullyConnected(_)
        | Op::BatchMatMul(_)
        | Op::Binary(_)
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
        | Op::Detect(_)
        | Op::Custom { .. } => 1,
    }
}

/// Versions of int8 kernels (LiteRT `op_version.cc`, plain int8 case).
fn int8_version(op: &Op, n_inputs: usize, out_rank: usize) -> i32 {
    match op {
        Op::Movement(m) => super::schema_movement::version(m, Some(DType::I8), out_rank),
        Op::Conv2d(_) | Op::DepthwiseConv2d(_) => 3,
        Op::FullyConnected(f) if f.keep_num_dims => 5,
        Op::FullyConnected(_) => 4,
        Op::TransposeConv(c) if c.act != Activation::None => 4,
        Op::TransposeConv(_) if n_inputs == 4 => 3,
        Op::Resize(r) if r.half_pixel_centers || (!r.bilinear && r.align_corners) => 3,
        Op::StridedSlice(s) if s.offset => 8,
        Op::StridedSlice(s) if s.ellipsis_mask != 0 || s.new_axis_mask != 0 => 6,
        Op::StridedSlice(_) | Op::Pad { .. } | Op::Transpose if out_rank > 4 => 4,
        Op::Gather { batch_dims, .. } if *batch_dims != 0 => 5,
        Op::Reshape { .. }
        | Op::Squeeze { .. }
        | Op::ExpandDims
        | Op::Prelu
        | Op::LeakyRelu { .. }
        | Op::Unary(UnaryKind::HardSwish)
        | Op::Unary(UnaryKind::ReluN1To1) => 1,
        Op::Quantize => 1,
        Op::Dequantize => 2,
        Op::Custom { .. } | Op::Sequence(_) | Op::Detect(_) => 1,
        Op::Math(MathKind::Abs) | Op::Compare(_) | Op::Select { v2: false } => 2,
        Op::Math(_) | Op::MathBin(_) | Op::AddN | Op::Select { v2: true } => 1,
        // The int8 form of the remaining ops is version 2; listed so that a new op must choose.
        Op::TransposeConv(_)
        | Op::BatchMatMul(_)
        | Op::Binary(_)
        | Op::Unary(_)
        | Op::Pool2d(_)
        | Op::Reduce(_)
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
        | Op::Densify => 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_decoded_code_round_trips() {
        for &(c, name) in decoded() {
            let op = decode(c, None)
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .unwrap_or_else(|| panic!("{name} ({c}) does not decode"));
            assert_eq!(op.name(), name, "code {c}");
            let (back, _, _) = encode(&op).unwrap_or_else(|| panic!("{name} does not encode"));
            assert_eq!(back, c, "{name}");
            assert_eq!(builtin_name(c), name);
        }
    }

    #[test]
    fn every_dtype_has_a_tensor_type_and_back() {
        for d in DType::ALL {
            assert_eq!(dtype_of(type_code(d)), Some(d), "{d}");
        }
        assert_eq!(TENSOR_TYPES.len(), DType::ALL.len());
        assert_eq!(dtype_of(23), None);
    }
}
