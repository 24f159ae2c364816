//! The data-movement, reduction and normalization ops of the `Op::Movement` family (MIRROR_PAD,
//! TILE, GATHER_ND, REDUCE_MIN, L2_NORMALIZATION, ...) and the 3-D convolutions, with typed
//! attributes and TFLite names.

use serde::{Deserialize, Serialize};

use super::{Activation, DType, OpFamily, Padding};

/// Reductions beyond MEAN/SUM/REDUCE_MAX.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Reduce2Kind {
    /// Minimum (REDUCE_MIN).
    Min,
    /// Product (REDUCE_PROD).
    Prod,
    /// Logical or of booleans (REDUCE_ANY).
    Any,
    /// Logical and of booleans (REDUCE_ALL).
    All,
}

/// One data-movement, reduction or normalization op. Inputs are listed per variant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Movement {
    /// MIRROR_PAD (x, paddings `[rank, 2]`): REFLECT excludes the edge, SYMMETRIC repeats it.
    MirrorPad {
        /// SYMMETRIC (true) or REFLECT (false).
        symmetric: bool,
    },
    /// TILE (x, multiples).
    Tile,
    /// SPLIT_V (x, size_splits, axis); one size may be -1.
    SplitV {
        /// Number of outputs.
        num_splits: usize,
    },
    /// BROADCAST_TO (x, shape).
    BroadcastTo,
    /// FILL (dims, value).
    Fill,
    /// ZEROS_LIKE (x).
    ZerosLike,
    /// RANGE (start, limit, delta), all scalars of one type.
    Range,
    /// RANK (x): an int32 scalar.
    Rank,
    /// REVERSE_V2 (x, axes).
    ReverseV2,
    /// GATHER_ND (params, indices).
    GatherNd,
    /// SCATTER_ND (indices, updates, shape): duplicates add up.
    ScatterNd,
    /// ONE_HOT (indices, depth, on_value, off_value).
    OneHot {
        /// Where the new axis goes (-1: last).
        axis: i32,
    },
    /// CUMSUM (x, axis).
    Cumsum {
        /// Each output excludes its own element.
        exclusive: bool,
        /// Sum from the end.
        reverse: bool,
    },
    /// BATCH_TO_SPACE_ND (x, block_shape, crops).
    BatchToSpaceNd,
    /// SPACE_TO_BATCH_ND (x, block_shape, paddings).
    SpaceToBatchNd,
    /// REDUCE_MIN, REDUCE_PROD, REDUCE_ANY, REDUCE_ALL (x, axes).
    Reduce {
        /// Which reduction.
        kind: Reduce2Kind,
        /// Keep reduced dims as size 1.
        keep_dims: bool,
    },
    /// ARG_MIN (x, axis).
    ArgMin {
        /// i32 or i64 indices.
        output_type: DType,
    },
    /// TOPK_V2 (x, k) -> (values, int32 indices) along the last axis.
    TopK,
    /// L2_NORMALIZATION over the last axis.
    L2Norm {
        /// Fused activation.
        act: Activation,
    },
    /// LOCAL_RESPONSE_NORMALIZATION over the last axis.
    Lrn {
        /// Half window.
        radius: i32,
        /// Added to the scaled sum of squares.
        bias: f32,
        /// Scale of the sum of squares.
        alpha: f32,
        /// Exponent.
        beta: f32,
    },
    /// L2_POOL_2D: square root of the mean of squares over each window (NHWC).
    L2Pool {
        /// Padding.
        padding: Padding,
        /// (h, w) strides.
        stride: [usize; 2],
        /// (h, w) window.
        filter: [usize; 2],
        /// Fused activation.
        act: Activation,
    },
    /// DYNAMIC_UPDATE_SLICE (operand, update, start indices), starts clamped into range.
    DynamicUpdateSlice,
    /// EMBEDDING_LOOKUP (ids, params).
    EmbeddingLookup,
    /// BROADCAST_ARGS (shape0, shape1) -> the broadcast shape.
    BroadcastArgs,
    /// CONV_3D (x `[N, D, H, W, C]`, filter `[KD, KH, KW, C, O]`, optional bias `[O]`).
    Conv3d(Conv3d),
    /// CONV_3D_TRANSPOSE (output shape `[5]`, filter `[KD, KH, KW, O, C]`, x
    /// `[N, D, H, W, C]`, optional bias `[O]`).
    Conv3dTranspose(Conv3d),
}

/// The options of CONV_3D and CONV_3D_TRANSPOSE (TFLite's Conv3DOptions).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Conv3d {
    /// Padding.
    pub padding: Padding,
    /// (d, h, w) strides.
    pub stride: [usize; 3],
    /// (d, h, w) dilations.
    pub dilation: [usize; 3],
    /// Fused activation.
    pub act: Activation,
}

impl Movement {
    /// The TFLite name.
    pub fn name(&self) -> &'static str {
        match self {
            Movement::MirrorPad { .. } => "MIRROR_PAD",
            Movement::Tile => "TILE",
            Movement::SplitV { .. } => "SPLIT_V",
            Movement::BroadcastTo => "BROADCAST_TO",
            Movement::Fill => "FILL",
            Movement::ZerosLike => "ZEROS_LIKE",
            Movement::Range => "RANGE",
            Movement::Rank => "RANK",
            Movement::ReverseV2 => "REVERSE_V2",
            Movement::GatherNd => "GATHER_ND",
            Movement::ScatterNd => "SCATTER_ND",
            Movement::OneHot { .. } => "ONE_HOT",
            Movement::Cumsum { .. } => "CUMSUM",
            Movement::BatchToSpaceNd => "BATCH_TO_SPACE_ND",
            Movement::SpaceToBatchNd => "SPACE_TO_BATCH_ND",
            Movement::Reduce { kind, .. } => match kind {
                Reduce2Kind::Min => "REDUCE_MIN",
                Reduce2Kind::Prod => "REDUCE_PROD",
                Reduce2Kind::Any => "REDUCE_ANY",
                Reduce2Kind::All => "REDUCE_ALL",
            },
            Movement::ArgMin { .. } => "ARG_MIN",
            Movement::TopK => "TOPK_V2",
            Movement::L2Norm { .. } => "L2_NORMALIZATION",
            Movement::Lrn { .. } => "LOCAL_RESPONSE_NORMALIZATION",
            Movement::L2Pool { .. } => "L2_POOL_2D",
            Movement::DynamicUpdateSlice => "DYNAMIC_UPDATE_SLICE",
            Movement::EmbeddingLookup => "EMBEDDING_LOOKUP",
            Movement::BroadcastArgs => "BROADCAST_ARGS",
            Movement::Conv3d(_) => "CONV_3D",
            Movement::Conv3dTranspose(_) => "CONV_3D_TRANSPOSE",
        }
    }

    /// The family (studio colour).
    pub fn family(&self) -> OpFamily {
        match self {
            Movement::Reduce { .. }
            | Movement::ArgMin { .. }
            | Movement::TopK
            | Movement::L2Pool { .. }
            | Movement::Cumsum { .. } => OpFamily::Reduce,
            Movement::L2Norm { .. } | Movement::Lrn { .. } => OpFamily::Activation,
            Movement::Conv3d(_) | Movement::Conv3dTranspose(_) => OpFamily::Conv,
            _ => OpFamily::Shape,
        }
    }

    /// The fused activation, if the op has one.
    pub fn activation(&self) -> Option<Activation> {
        match self {
            Movement::L2Norm { act } | Movement::L2Pool { act, .. } => Some(*act),
            Movement::Conv3d(o) | Movement::Conv3dTranspose(o) => Some(o.act),
            _ => None,
        }
    }

    /// Index of the input that carries the op's data.
    pub fn data_input(&self) -> usize {
        match self {
            Movement::EmbeddingLookup => 1,
            Movement::ScatterNd => 1,
            Movement::Conv3dTranspose(_) => 2,
            _ => 0,
        }
    }
}
