//! Int8 reference kernels, bit-exact twins of LiteRT's reference kernels (the ones the Python
//! `Interpreter` runs with `OpResolverType.BUILTIN_REF`: `reference_integer_ops` /
//! `reference_ops`, gemmlowp double-rounding fixed point).
//!
//! Conventions: activations NHWC int8 with per-tensor (scale, zero point); weights int8 with
//! per-channel scales and zero point 0; bias int32 with scale `s_in · s_w[c]`. Every kernel takes
//! plain slices and shapes plus a small parameter struct; each parameter struct has a
//! constructor from f32 tensor scales that reproduces LiteRT's `Prepare` arithmetic bit for bit
//! (float vs double products matter). Clarity over speed here; the optimized kernels live in
//! [`crate::fast`] (never imported from here) and are tested against these.
//!
//! * [`fixed`]: `QuantizeMultiplier`, `MultiplyByQuantizedMultiplier`, gemmlowp fixed point.
//! * [`conv`]: CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV, FULLY_CONNECTED, BATCH_MATMUL.
//! * [`params`]: the parameter structs (LiteRT `Prepare`), shared with the optimized twins.
//! * [`elementwise`]: ADD, SUB, MUL, SQUARED_DIFFERENCE, MAXIMUM, MINIMUM, PRELU.
//! * [`unary`]: QUANTIZE, DEQUANTIZE, LEAKY_RELU, HARD_SWISH, RELU/RELU6/RELU_N1_TO_1.
//! * [`activations`]: SOFTMAX, LOG_SOFTMAX, LOGISTIC, TANH.
//! * [`logic`]: comparisons with rescaling, ELU and GELU lookup tables.
//! * [`pool`]: AVERAGE_POOL_2D, MAX_POOL_2D, MEAN, SUM.
//! * [`resize`]: RESIZE_BILINEAR, RESIZE_NEAREST_NEIGHBOR.

pub mod activations;
pub mod conv;
pub mod elementwise;
pub mod fixed;
pub mod logic;
pub mod params;
pub mod pool;
pub mod resize;
pub mod unary;
