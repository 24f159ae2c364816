//! TFLite codes, options and versions of the `Op::Movement` family (MIRROR_PAD, TILE, ...):
//! the `schema` tables delegate here. Field ids follow ../shared/specs/tflite-format.md.

use super::builder::TableB;
use super::fb::Table;
use crate::error::{Error, Result};
use crate::ir::{Activation, Conv3d, DType, Movement as M, Op, Padding, Reduce2Kind};

/// Builtin codes of the family.
pub mod code {
    #![allow(missing_docs)]
    pub const EMBEDDING_LOOKUP: i32 = 7;
    pub const L2_NORMALIZATION: i32 = 11;
    pub const L2_POOL_2D: i32 = 12;
    pub const LOCAL_RESPONSE_NORMALIZATION: i32 = 13;
    pub const BATCH_TO_SPACE_ND: i32 = 37;
    pub const SPACE_TO_BATCH_ND: i32 = 38;
    pub const TOPK_V2: i32 = 48;
    pub const TILE: i32 = 69;
    pub const ARG_MIN: i32 = 79;
    pub const REDUCE_PROD: i32 = 81;
    pub const ONE_HOT: i32 = 85;
    pub const REDUCE_MIN: i32 = 89;
    pub const REDUCE_ANY: i32 = 91;
    pub const ZEROS_LIKE: i32 = 93;
    pub const FILL: i32 = 94;
    pub const RANGE: i32 = 96;
    pub const MIRROR_PAD: i32 = 100;
    pub const SPLIT_V: i32 = 102;
    pub const REVERSE_V2: i32 = 105;
    pub const GATHER_ND: i32 = 107;
    pub const RANK: i32 = 110;
    pub const SCATTER_ND: i32 = 122;
    pub const CONV_3D: i32 = 132;
    pub const CUMSUM: i32 = 128;
    pub const BROADCAST_TO: i32 = 130;
    pub const REDUCE_ALL: i32 = 140;
    pub const CONV_3D_TRANSPOSE: i32 = 141;
    pub const BROADCAST_ARGS: i32 = 145;
    pub const DYNAMIC_UPDATE_SLICE: i32 = 151;
}

/// Every code of the family, with its op name (joined into `schema::DECODED`).
pub const DECODED: &[(i32, &str)] = &[
    (code::EMBEDDING_LOOKUP, "EMBEDDING_LOOKUP"),
    (code::L2_NORMALIZATION, "L2_NORMALIZATION"),
    (code::L2_POOL_2D, "L2_POOL_2D"),
    (
        code::LOCAL_RESPONSE_NORMALIZATION,
        "LOCAL_RESPONSE_NORMALIZATION",
    ),
    (code::BATCH_TO_SPACE_ND, "BATCH_TO_SPACE_ND"),
    (code::SPACE_TO_BATCH_ND, "SPACE_TO_BATCH_ND"),
    (code::TOPK_V2, "TOPK_V2"),
    (code::TILE, "TILE"),
    (code::ARG_MIN, "ARG_MIN"),
    (code::REDUCE_PROD, "REDUCE_PROD"),
    (code::ONE_HOT, "ONE_HOT"),
    (code::REDUCE_MIN, "REDUCE_MIN"),
    (code::REDUCE_ANY, "REDUCE_ANY"),
    (code::ZEROS_LIKE, "ZEROS_LIKE"),
    (code::FILL, "FILL"),
    (code::RANGE, "RANGE"),
    (code::MIRROR_PAD, "MIRROR_PAD"),
    (code::SPLIT_V, "SPLIT_V"),
    (code::REVERSE_V2, "REVERSE_V2"),
    (code::GATHER_ND, "GATHER_ND"),
    (code::RANK, "RANK"),
    (code::SCATTER_ND, "SCATTER_ND"),
    (code::CUMSUM, "CUMSUM"),
    (code::BROADCAST_TO, "BROADCAST_TO"),
    (code::REDUCE_ALL, "REDUCE_ALL"),
    (code::BROADCAST_ARGS, "BROADCAST_ARGS"),
    (code::DYNAMIC_UPDATE_SLICE, "DYNAMIC_UPDATE_SLICE"),
    (code::CONV_3D, "CONV_3D"),
    (code::CONV_3D_TRANSPOSE, "CONV_3D_TRANSPOSE"),
];

fn usz(v: i32, what: &str) -> Result<usize> {
    usize::try_from(v).map_err(|_| Error::import(format!("negative {what} {v}")))
}

/// Decode a code of the family (`None` for other codes).
pub fn decode(
    c: i32,
    o: Option<Table<'_>>,
    padding: impl Fn(i8) -> Result<Padding>,
    activation: impl Fn(i8) -> Result<Activation>,
) -> Result<Option<Op>> {
    let t = |id: usize| -> Result<i32> { o.map_or(Ok(0), |t| t.get::<i32>(id, 0)) };
    let b = |id: usize| -> Result<bool> { o.map_or(Ok(false), |t| t.bool(id)) };
    let i8f = |id: usize| -> Result<i8> { o.map_or(Ok(0), |t| t.get::<i8>(id, 0)) };
    let f = |id: usize, d: f32| -> Result<f32> { o.map_or(Ok(d), |t| t.get::<f32>(id, d)) };
    let red = |kind| -> Result<M> {
        Ok(M::Reduce {
            kind,
            keep_dims: b(0)?,
        })
    };
    let m = match c {
        code::EMBEDDING_LOOKUP => M::EmbeddingLookup,
        code::L2_NORMALIZATION => M::L2Norm {
            act: activation(i8f(0)?)?,
        },
        code::L2_POOL_2D => M::L2Pool {
            padding: padding(i8f(0)?)?,
            stride: [usz(t(2)?, "stride")?, usz(t(1)?, "stride")?],
            filter: [usz(t(4)?, "filter height")?, usz(t(3)?, "filter width")?],
            act: activation(i8f(5)?)?,
        },
        code::LOCAL_RESPONSE_NORMALIZATION => M::Lrn {
            radius: t(0)?,
            bias: f(1, 0.0)?,
            alpha: f(2, 0.0)?,
            beta: f(3, 0.0)?,
        },
        code::BATCH_TO_SPACE_ND => M::BatchToSpaceNd,
        code::SPACE_TO_BATCH_ND => M::SpaceToBatchNd,
        code::TOPK_V2 => M::TopK,
        code::TILE => M::Tile,
        code::ARG_MIN => M::ArgMin {
            output_type: if i8f(0)? == 4 { DType::I64 } else { DType::I32 },
        },
        code::REDUCE_PROD => red(Reduce2Kind::Prod)?,
        code::REDUCE_MIN => red(Reduce2Kind::Min)?,
        code::REDUCE_ANY => red(Reduce2Kind::Any)?,
        code::REDUCE_ALL => red(Reduce2Kind::All)?,
        code::ONE_HOT => M::OneHot { axis: t(0)? },
        code::ZEROS_LIKE => M::ZerosLike,
        code::FILL => M::Fill,
        code::RANGE => M::Range,
        code::MIRROR_PAD => M::MirrorPad {
            symmetric: i8f(0)? == 1,
        },
        code::SPLIT_V => M::SplitV {
            num_splits: usz(t(0)?, "num_splits")?,
        },
        code::REVERSE_V2 => M::ReverseV2,
        code::GATHER_ND => M::GatherNd,
        code::RANK => M::Rank,
        code::SCATTER_ND => M::ScatterNd,
        code::CUMSUM => M::Cumsum {
            exclusive: b(0)?,
            reverse: b(1)?,
        },
        code::BROADCAST_TO => M::BroadcastTo,
        code::BROADCAST_ARGS => M::BroadcastArgs,
        code::DYNAMIC_UPDATE_SLICE => M::DynamicUpdateSlice,
        code::CONV_3D | code::CONV_3D_TRANSPOSE => {
            // Conv3DOptions: strides in (d, w, h) order, dilations default to 1.
            let one = |id: usize| -> Result<i32> { o.map_or(Ok(1), |t| t.get::<i32>(id, 1)) };
            let o3 = Conv3d {
                padding: padding(i8f(0)?)?,
                stride: [
                    usz(t(1)?, "stride")?,
                    usz(t(3)?, "stride")?,
                    usz(t(2)?, "stride")?,
                ],
                dilation: [
                    usz(one(5)?, "dilation")?,
                    usz(one(7)?, "dilation")?,
                    usz(one(6)?, "dilation")?,
                ],
                act: activation(i8f(4)?)?,
            };
            if c == code::CONV_3D {
                M::Conv3d(o3)
            } else {
                M::Conv3dTranspose(o3)
            }
        }
        _ => return Ok(None),
    };
    Ok(Some(Op::Movement(m)))
}

/// Code, options union tag and options of an op of the family.
pub fn encode(m: &M, act_code: impl Fn(Activation) -> i8) -> (i32, u8, TableB) {
    let t = TableB::new();
    match m {
        M::MirrorPad { symmetric } => (code::MIRROR_PAD, 77, t.i8(0, i8::from(*symmetric))),
        M::Tile => (code::TILE, 51, t),
        M::SplitV { num_splits } => (code::SPLIT_V, 79, t.i32(0, *num_splits as i32)),
        M::BroadcastTo => (code::BROADCAST_TO, 104, t),
        M::Fill => (code::FILL, 68, t),
        M::ZerosLike => (code::ZEROS_LIKE, 67, t),
        M::Range => (code::RANGE, 73, t),
        M::Rank => (code::RANK, 86, t),
        M::ReverseV2 => (code::REVERSE_V2, 81, t),
        M::GatherNd => (code::GATHER_ND, 83, t),
        M::ScatterNd => (code::SCATTER_ND, 97, t),
        M::OneHot { axis } => (code::ONE_HOT, 61, t.i32(0, *axis)),
        M::Cumsum { exclusive, reverse } => {
            (code::CUMSUM, 102, t.bool(0, *exclusive).bool(1, *reverse))
        }
        M::BatchToSpaceNd => (code::BATCH_TO_SPACE_ND, 24, t),
        M::SpaceToBatchNd => (code::SPACE_TO_BATCH_ND, 25, t),
        M::Reduce { kind, keep_dims } => (
            match kind {
                Reduce2Kind::Min => code::REDUCE_MIN,
                Reduce2Kind::Prod => code::REDUCE_PROD,
                Reduce2Kind::Any => code::REDUCE_ANY,
                Reduce2Kind::All => code::REDUCE_ALL,
            },
            27,
            t.bool(0, *keep_dims),
        ),
        M::ArgMin { output_type } => (
            code::ARG_MIN,
            57,
            t.i8(0, super::schema::type_code(*output_type)),
        ),
        M::TopK => (code::TOPK_V2, 34, t),
        M::L2Norm { act } => (code::L2_NORMALIZATION, 12, t.i8(0, act_code(*act))),
        M::Lrn {
            radius,
            bias,
            alpha,
            beta,
        } => (
            code::LOCAL_RESPONSE_NORMALIZATION,
            13,
            t.i32(0, *radius).f32(1, *bias).f32(2, *alpha).f32(3, *beta),
        ),
        M::L2Pool {
            padding,
            stride,
            filter,
            act,
        } => (
            code::L2_POOL_2D,
            5,
            t.i8(0, if *padding == Padding::Same { 0 } else { 1 })
                .i32(1, stride[1] as i32)
                .i32(2, stride[0] as i32)
                .i32(3, filter[1] as i32)
                .i32(4, filter[0] as i32)
                .i8(5, act_code(*act)),
        ),
        M::DynamicUpdateSlice => (code::DYNAMIC_UPDATE_SLICE, 117, t),
        M::EmbeddingLookup => (code::EMBEDDING_LOOKUP, 0, t),
        M::BroadcastArgs => (code::BROADCAST_ARGS, 0, t),
        M::Conv3d(o) | M::Conv3dTranspose(o) => (
            if matches!(m, M::Conv3d(_)) {
                code::CONV_3D
            } else {
                code::CONV_3D_TRANSPOSE
            },
            106,
            t.i8(0, if o.padding == Padding::Same { 0 } else { 1 })
                .i32(1, o.stride[0] as i32)
                .i32(2, o.stride[2] as i32)
                .i32(3, o.stride[1] as i32)
                .i8(4, act_code(o.act))
                .i32(5, o.dilation[0] as i32)
                .i32(6, o.dilation[2] as i32)
                .i32(7, o.dilation[1] as i32),
        ),
    }
}

/// The version the TFLite converter writes (LiteRT `op_version.cc`).
pub fn version(m: &M, in_dtype: Option<DType>, out_rank: usize) -> i32 {
    let i8 = in_dtype == Some(DType::I8);
    let i64 = in_dtype == Some(DType::I64);
    match m {
        M::MirrorPad { .. } if i8 => 2,
        M::Tile if i8 => 3,
        M::Tile if in_dtype == Some(DType::Str) => 2,
        M::SplitV { .. } if i8 => 2,
        M::BroadcastTo => 2,
        M::Fill if matches!(in_dtype, Some(DType::I8 | DType::I16)) => 3,
        M::Fill if in_dtype == Some(DType::Bool) => 2,
        M::ReverseV2 if i8 => 2,
        M::ReverseV2 if out_rank > 4 => 3,
        M::GatherNd if i8 => 3,
        M::ScatterNd if i64 => 2,
        M::OneHot { .. } => 1,
        M::BatchToSpaceNd | M::SpaceToBatchNd if out_rank == 3 => 3,
        M::BatchToSpaceNd | M::SpaceToBatchNd if i8 => 2,
        M::Reduce {
            kind: Reduce2Kind::Min,
            ..
        } if i8 => 2,
        M::Reduce {
            kind: Reduce2Kind::Prod,
            ..
        } if i8 => 2,
        M::ArgMin { .. } if i8 => 2,
        M::TopK if i8 => 2,
        M::L2Norm { .. } if i8 => 2,
        M::DynamicUpdateSlice if i64 => 2,
        M::Range if i64 => 2,
        _ => 1,
    }
}
