//! Parameter structs of the int8 kernels, shared by the reference kernels and their optimized
//! twins: each constructor mirrors the corresponding LiteRT `Prepare` bit for bit (float vs
//! double products matter), each `finish`-style method is the scalar requantization step the
//! reference `Eval` performs. No kernels live here.

use super::fixed::{
    multiply_by_quantized_multiplier, multiply_by_quantized_multiplier_smaller_than_one_exp,
    quantize_multiplier, quantize_multiplier_smaller_than_one_exp,
};

/// A fused activation as stored in the TFLite options (`TANH`/`SIGN_BIT` clamp nothing and map
/// to `None`, as in `CalculateActivationRangeQuantized`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Activation {
    /// No clamp beyond the int8 range.
    None,
    /// `[0, inf)`.
    Relu,
    /// `[0, 6]`.
    Relu6,
    /// `[-1, 1]`.
    ReluN1To1,
}

/// TFLite `Quantize` helper of `kernel_util.cc`: `zp + (int)round(f / scale)` in f32.
pub(crate) fn quantize_value(f: f32, scale: f32, zp: i32) -> i32 {
    zp.saturating_add((f / scale).round() as i32)
}

/// TFLite `CalculateActivationRangeQuantized` for an int8 output with (`scale`, `zp`).
pub fn calculate_activation_range_quantized(act: Activation, scale: f32, zp: i32) -> (i32, i32) {
    let (qmin, qmax) = (i8::MIN as i32, i8::MAX as i32);
    match act {
        Activation::None => (qmin, qmax),
        Activation::Relu => (qmin.max(quantize_value(0.0, scale, zp)), qmax),
        Activation::Relu6 => (
            qmin.max(quantize_value(0.0, scale, zp)),
            qmax.min(quantize_value(6.0, scale, zp)),
        ),
        Activation::ReluN1To1 => (
            qmin.max(quantize_value(-1.0, scale, zp)),
            qmax.min(quantize_value(1.0, scale, zp)),
        ),
    }
}

#[inline]
pub(crate) fn clamp_i8(v: i32, lo: i32, hi: i32) -> i8 {
    v.max(lo).min(hi).clamp(i8::MIN as i32, i8::MAX as i32) as i8
}

/// Requantization constants of int8 ADD and SUB (`add.cc` / `sub.cc` Prepare).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddParams {
    /// `-zero_point` of input 1.
    pub input1_offset: i32,
    /// `-zero_point` of input 2.
    pub input2_offset: i32,
    /// Output zero point.
    pub output_offset: i32,
    /// 20 for int8.
    pub left_shift: i32,
    /// Quantized `s1 / (2·max(s1, s2))`.
    pub input1_multiplier: i32,
    /// Its (non-positive) shift.
    pub input1_shift: i32,
    /// Quantized `s2 / (2·max(s1, s2))`.
    pub input2_multiplier: i32,
    /// Its (non-positive) shift.
    pub input2_shift: i32,
    /// Quantized `2·max(s1, s2) / (2^20 · s_out)`.
    pub output_multiplier: i32,
    /// Its shift.
    pub output_shift: i32,
    /// Fused activation clamp.
    pub act_min: i32,
    /// Fused activation clamp.
    pub act_max: i32,
}

impl AddParams {
    /// LiteRT `PrepareGeneralSubOp` / add `Prepare` for int8: all multipliers in double from the
    /// f32 scales, `twice_max = 2 · max(s1, s2)`.
    pub fn new(
        (s1, z1): (f32, i32),
        (s2, z2): (f32, i32),
        (so, zo): (f32, i32),
        act: Activation,
    ) -> Self {
        let left_shift = 20;
        let twice_max = 2.0 * s1.max(s2) as f64;
        let (m1, sh1) = quantize_multiplier_smaller_than_one_exp(s1 as f64 / twice_max);
        let (m2, sh2) = quantize_multiplier_smaller_than_one_exp(s2 as f64 / twice_max);
        let (mo, sho) = quantize_multiplier_smaller_than_one_exp(
            twice_max / ((1i32 << left_shift) as f32 * so) as f64,
        );
        let (act_min, act_max) = calculate_activation_range_quantized(act, so, zo);
        Self {
            input1_offset: -z1,
            input2_offset: -z2,
            output_offset: zo,
            left_shift,
            input1_multiplier: m1,
            input1_shift: sh1,
            input2_multiplier: m2,
            input2_shift: sh2,
            output_multiplier: mo,
            output_shift: sho,
            act_min,
            act_max,
        }
    }

    /// `MBQM((x + offset) << left_shift)` of both inputs (LiteRT's `AddElementwise` steps).
    #[inline]
    pub fn scaled_inputs(&self, a: i8, b: i8) -> (i32, i32) {
        let a = (self.input1_offset + a as i32).wrapping_mul(1 << self.left_shift);
        let b = (self.input2_offset + b as i32).wrapping_mul(1 << self.left_shift);
        (
            multiply_by_quantized_multiplier_smaller_than_one_exp(
                a,
                self.input1_multiplier,
                self.input1_shift,
            ),
            multiply_by_quantized_multiplier_smaller_than_one_exp(
                b,
                self.input2_multiplier,
                self.input2_shift,
            ),
        )
    }

    /// The output rescale of the raw sum, offset and clamp.
    #[inline]
    pub fn finish(&self, raw: i32) -> i8 {
        let out = multiply_by_quantized_multiplier_smaller_than_one_exp(
            raw,
            self.output_multiplier,
            self.output_shift,
        )
        .wrapping_add(self.output_offset);
        clamp_i8(out, self.act_min, self.act_max)
    }
}

/// Constants of an int8 → int8 QUANTIZE (requantize).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequantizeParams {
    /// Input zero point.
    pub input_zp: i32,
    /// Output zero point.
    pub output_zp: i32,
    /// Quantized `s_in / s_out` (double).
    pub multiplier: i32,
    /// Its shift.
    pub shift: i32,
}

impl RequantizeParams {
    /// LiteRT quantize.cc `Prepare` (int8 → int8): `M = (double)s_in / (double)s_out`.
    pub fn new((si, zi): (f32, i32), (so, zo): (f32, i32)) -> Self {
        let (multiplier, shift) = quantize_multiplier(si as f64 / so as f64);
        Self {
            input_zp: zi,
            output_zp: zo,
            multiplier,
            shift,
        }
    }
}

/// Per-output-channel requantization of a conv-like op (LiteRT `OpData` after
/// `PopulateConvolutionQuantizationParams`), or XNNPACK's f32 requantization when
/// `float_scales` is set (see [`crate::xnn`]).
#[derive(Debug, Clone, PartialEq)]
pub struct ConvQuant {
    /// `-input_zero_point`.
    pub input_offset: i32,
    /// Output zero point.
    pub output_offset: i32,
    /// Per output channel Q0.31 multipliers.
    pub multipliers: Vec<i32>,
    /// Per output channel shifts (positive = left).
    pub shifts: Vec<i32>,
    /// Fused activation clamp (from `calculate_activation_range_quantized`).
    pub act_min: i32,
    /// Fused activation clamp.
    pub act_max: i32,
    /// `litert` numerics: per output channel `s_in · s_w[c] / s_out` in f32, applied to the
    /// accumulator in f32 and rounded to nearest even (XNNPACK's fp32 requantization). Empty:
    /// the fixed-point multipliers above (reference numerics).
    pub float_scales: Vec<f32>,
}

impl ConvQuant {
    /// LiteRT `PopulateConvolutionQuantizationParams` for `channels` output channels:
    /// `M[c] = (double)s_in · (double)s_w[c] / (double)s_out`; a single filter scale is broadcast
    /// (per-tensor weights). Used by CONV_2D, DEPTHWISE_CONV_2D, TRANSPOSE_CONV and per-channel
    /// FULLY_CONNECTED.
    pub fn per_channel(
        (s_in, z_in): (f32, i32),
        filter_scales: &[f32],
        (s_out, z_out): (f32, i32),
        act: Activation,
        channels: usize,
    ) -> Self {
        let (mut multipliers, mut shifts) =
            (Vec::with_capacity(channels), Vec::with_capacity(channels));
        for c in 0..channels {
            let sw = if filter_scales.len() > 1 {
                filter_scales.get(c).copied().unwrap_or(0.0)
            } else {
                filter_scales.first().copied().unwrap_or(0.0)
            };
            let (m, s) = quantize_multiplier(s_in as f64 * sw as f64 / s_out as f64);
            multipliers.push(m);
            shifts.push(s);
        }
        let (act_min, act_max) = calculate_activation_range_quantized(act, s_out, z_out);
        Self {
            input_offset: -z_in,
            output_offset: z_out,
            multipliers,
            shifts,
            act_min,
            act_max,
            float_scales: Vec::new(),
        }
    }

    /// Requantize channel `c`'s accumulator (bias added) to the output.
    #[inline]
    pub fn finish(&self, acc: i32, c: usize) -> i8 {
        if let Some(&s) = self.float_scales.get(c) {
            let (lo, hi) = (self.act_min, self.act_max);
            return crate::xnn::requantize_f32(acc, s, self.output_offset, lo, hi);
        }
        let m = self.multipliers.get(c).copied().unwrap_or(0);
        let s = self.shifts.get(c).copied().unwrap_or(0);
        let v = multiply_by_quantized_multiplier(acc, m, s).wrapping_add(self.output_offset);
        v.max(self.act_min)
            .min(self.act_max)
            .clamp(i8::MIN as i32, i8::MAX as i32) as i8
    }
}
