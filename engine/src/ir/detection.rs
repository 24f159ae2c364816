//! Attributes of the detection and segmentation heads (`Op::Detect`): MediaPipe's custom ops
//! (Convolution2DTransposeBias, MaxPoolingWithArgmax2D, MaxUnpooling2D), the
//! `TFLite_Detection_PostProcess` custom op, NON_MAX_SUPPRESSION_V4/V5 and WHERE.

use serde::{Deserialize, Serialize};

use super::{OpFamily, Padding};

/// Options of `TFLite_Detection_PostProcess` (its flexbuffer map, LiteRT's names).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PostProcess {
    /// Detections kept in the output.
    pub max_detections: usize,
    /// Classes kept per detection (fast NMS only).
    pub max_classes_per_detection: usize,
    /// Detections kept per class (regular NMS).
    pub detections_per_class: usize,
    /// Scores below are dropped.
    pub nms_score_threshold: f32,
    /// Boxes overlapping a kept box more than this are suppressed.
    pub nms_iou_threshold: f32,
    /// Classes (without the background class).
    pub num_classes: usize,
    /// Box decoding scales (y, x, h, w).
    pub scale: [f32; 4],
    /// Per-class NMS (true) or class-agnostic fast NMS (false).
    pub use_regular_nms: bool,
}

/// One detection or segmentation-head op. Inputs are listed per variant.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum DetOp {
    /// MediaPipe `Convolution2DTransposeBias` (x NHWC, filter OHWI, bias): TRANSPOSE_CONV whose
    /// output size follows from the padding (SAME: `in * stride`; VALID: `in * stride +
    /// max(k - stride, 0)`), plus the bias.
    TransposeConvBias {
        /// Padding.
        padding: Padding,
        /// (h, w) strides.
        stride: [usize; 2],
    },
    /// MediaPipe `MaxPoolingWithArgmax2D` (x): the max pool and, as a second output, the
    /// position of each maximum inside its window.
    MaxPoolArgmax {
        /// Padding.
        padding: Padding,
        /// (h, w) strides.
        stride: [usize; 2],
        /// (h, w) window.
        filter: [usize; 2],
    },
    /// MediaPipe `MaxUnpooling2D` (x, indices): scatters each value back to the position its
    /// index names inside its window; the rest is zero.
    MaxUnpool {
        /// Padding.
        padding: Padding,
        /// (h, w) strides.
        stride: [usize; 2],
        /// (h, w) window.
        filter: [usize; 2],
    },
    /// `TFLite_Detection_PostProcess` (box encodings `[1, N, 4+]`, class scores `[1, N, C(+1)]`,
    /// anchors `[N, 4]`): boxes `[1, M, 4]`, classes `[1, M]`, scores `[1, M]`, count `[1]`.
    PostProcess(PostProcess),
    /// NON_MAX_SUPPRESSION_V4 (boxes, scores, max_output_size, iou_threshold,
    /// score_threshold) and V5 (the same and soft_nms_sigma): selected indices (padded to
    /// max_output_size), V5's selected scores, and the number selected.
    Nms {
        /// NON_MAX_SUPPRESSION_V5.
        v5: bool,
    },
    /// WHERE (condition): the int64 coordinates `[n_true, rank]` of its true elements.
    Where,
}

impl DetOp {
    /// The TFLite name (the custom code of the custom ops).
    pub fn name(&self) -> &'static str {
        match self {
            DetOp::TransposeConvBias { .. } => "Convolution2DTransposeBias",
            DetOp::MaxPoolArgmax { .. } => "MaxPoolingWithArgmax2D",
            DetOp::MaxUnpool { .. } => "MaxUnpooling2D",
            DetOp::PostProcess(_) => "TFLite_Detection_PostProcess",
            DetOp::Nms { v5: false } => "NON_MAX_SUPPRESSION_V4",
            DetOp::Nms { v5: true } => "NON_MAX_SUPPRESSION_V5",
            DetOp::Where => "WHERE",
        }
    }

    /// The family the studio colours it by.
    pub fn family(&self) -> OpFamily {
        match self {
            DetOp::TransposeConvBias { .. } => OpFamily::Conv,
            DetOp::MaxPoolArgmax { .. } | DetOp::PostProcess(_) | DetOp::Nms { .. } => {
                OpFamily::Reduce
            }
            DetOp::MaxUnpool { .. } | DetOp::Where => OpFamily::Shape,
        }
    }
}
