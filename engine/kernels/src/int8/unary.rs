//! Unary int8 kernels, twins of LiteRT's reference kernels: QUANTIZE (f32 → int8 and
//! int8 → int8), DEQUANTIZE and the requantizing activations LEAKY_RELU, HARD_SWISH, RELU,
//! RELU6, RELU_N1_TO_1. Scalar code only; the vectorized QUANTIZE lives in [`crate::fast`].

use super::fixed::{
    down_scale_int32_to_int16_multiplier, multiply_by_quantized_multiplier, quantize_multiplier,
    rounding_divide_by_pot_i16, saturating_rounding_doubling_high_mul_i16,
};
use super::params::{RequantizeParams, clamp_i8, quantize_value};

/// `reference_ops::Requantize` (int8 → int8) into `out`: `clamp(MBQM(q − z_in) + z_out)`.
pub fn requantize(x: &[i8], p: &RequantizeParams, out: &mut [i8]) {
    debug_assert_eq!(x.len(), out.len());
    for (o, &v) in out.iter_mut().zip(x) {
        let r = multiply_by_quantized_multiplier(v as i32 - p.input_zp, p.multiplier, p.shift)
            .wrapping_add(p.output_zp);
        *o = clamp_i8(r, i8::MIN as i32, i8::MAX as i32);
    }
}

/// `reference_ops::AffineQuantize` (f32 → int8) into `out`: `clamp(round(x / scale) + zp)`,
/// f32 division, ties away from zero (NaN maps to `zp`).
pub fn quantize_f32(x: &[f32], scale: f32, zp: i32, out: &mut [i8]) {
    debug_assert_eq!(x.len(), out.len());
    for (o, &v) in out.iter_mut().zip(x) {
        let q = ((v / scale).round() as i32).saturating_add(zp);
        *o = q.clamp(i8::MIN as i32, i8::MAX as i32) as i8;
    }
}

/// `reference_ops::Dequantize` (int8 → f32): `(f32)((double)scale · (q − zp))`.
pub fn dequantize(x: &[i8], scale: f32, zp: i32, out: &mut [f32]) {
    debug_assert_eq!(out.len(), x.len());
    for (o, &v) in out.iter_mut().zip(x) {
        *o = (scale as f64 * (v as i32 - zp) as f64) as f32;
    }
}

/// Constants of int8 LEAKY_RELU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LeakyReluParams {
    /// Input zero point.
    pub input_zp: i32,
    /// Output zero point.
    pub output_zp: i32,
    /// Quantized `s_in·alpha/s_out`.
    pub multiplier_alpha: i32,
    /// Its shift.
    pub shift_alpha: i32,
    /// Quantized `s_in/s_out`.
    pub multiplier_identity: i32,
    /// Its shift.
    pub shift_identity: i32,
}

impl LeakyReluParams {
    /// LiteRT activations.cc `LeakyReluPrepare`: both real multipliers are computed in **f32**
    /// (`s_in · alpha / s_out` and `s_in / s_out`) and only then widened to double.
    pub fn new((si, zi): (f32, i32), (so, zo): (f32, i32), alpha: f32) -> Self {
        let (ma, sa) = quantize_multiplier((si * alpha / so) as f64);
        let (mi, sid) = quantize_multiplier((si / so) as f64);
        Self {
            input_zp: zi,
            output_zp: zo,
            multiplier_alpha: ma,
            shift_alpha: sa,
            multiplier_identity: mi,
            shift_identity: sid,
        }
    }
}

/// `reference_ops::QuantizeLeakyRelu` (int8).
pub fn leaky_relu(x: &[i8], p: &LeakyReluParams, out: &mut [i8]) {
    debug_assert_eq!(out.len(), x.len());
    for (o, &v) in out.iter_mut().zip(x) {
        *o = {
            let d = v as i32 - p.input_zp;
            let out = if d >= 0 {
                multiply_by_quantized_multiplier(d, p.multiplier_identity, p.shift_identity)
            } else {
                multiply_by_quantized_multiplier(d, p.multiplier_alpha, p.shift_alpha)
            };
            clamp_i8(
                out.wrapping_add(p.output_zp),
                i8::MIN as i32,
                i8::MAX as i32,
            )
        };
    }
}

/// TFLite `HardSwishParams` (int8).
///
/// Derivation (activations.cc `HardSwishPrepare`, all in f32):
/// `hires_input_scale = s_in / 128`, `reluish_scale = 3 / 32768`;
/// `output_multiplier = hires_input_scale / s_out` and `reluish_multiplier = hires_input_scale /
/// reluish_scale` each go through `QuantizeMultiplier` (giving the exponents) and then
/// `DownScaleInt32ToInt16Multiplier` (giving the Q0.15 fixed-point multipliers). LiteRT rejects
/// models whose `output_multiplier_exponent > 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HardSwishParams {
    /// Input zero point.
    pub input_zero_point: i16,
    /// Output zero point.
    pub output_zero_point: i16,
    /// Q0.15 multiplier mapping the hi-res input to the "relu-ish" scale (3.0 ↔ 32768).
    pub reluish_multiplier_fixedpoint_int16: i16,
    /// Its exponent (left shift if positive).
    pub reluish_multiplier_exponent: i32,
    /// Q0.15 multiplier mapping the hi-res input to the output scale.
    pub output_multiplier_fixedpoint_int16: i16,
    /// Its exponent (must be ≤ 0).
    pub output_multiplier_exponent: i32,
}

impl HardSwishParams {
    /// LiteRT activations.cc `HardSwishPrepare` (see the struct doc).
    pub fn new((si, zi): (f32, i32), (so, zo): (f32, i32)) -> Self {
        let hires_input_scale = (1.0f32 / 128.0) * si;
        let reluish_scale = 3.0f32 / 32768.0;
        let (om, oe) = quantize_multiplier((hires_input_scale / so) as f64);
        let (rm, re) = quantize_multiplier((hires_input_scale / reluish_scale) as f64);
        Self {
            input_zero_point: zi as i16,
            output_zero_point: zo as i16,
            reluish_multiplier_fixedpoint_int16: down_scale_int32_to_int16_multiplier(rm),
            reluish_multiplier_exponent: re,
            output_multiplier_fixedpoint_int16: down_scale_int32_to_int16_multiplier(om),
            output_multiplier_exponent: oe,
        }
    }
}

/// TFLite hard_swish.h `SaturatingLeftShift` (int16).
fn saturating_left_shift_i16(v: i16, amount: i32) -> i16 {
    let r = (v as i64) << amount.clamp(0, 40);
    r.clamp(i16::MIN as i64, i16::MAX as i64) as i16
}

/// TFLite hard_swish.h `SaturatingDoublingHighMul` (int16, truncating, ARM `SQDMULH`).
fn saturating_doubling_high_mul_i16(a: i16, b: i16) -> i16 {
    if a == i16::MIN && b == i16::MIN {
        return i16::MAX;
    }
    ((a as i32 * b as i32) / (1 << 15)) as i16
}

/// `reference_ops::HardSwish` (quantized, int8) with `HardSwishParams`.
pub fn hard_swish(x: &[i8], p: &HardSwishParams, out: &mut [i8]) {
    debug_assert_eq!(out.len(), x.len());
    for (o, &v) in out.iter_mut().zip(x) {
        *o = {
            let input_value = (v as i32 - p.input_zero_point as i32) as i16;
            let hires = input_value.wrapping_mul(1 << 7);
            let preshift_output = saturating_rounding_doubling_high_mul_i16(
                hires,
                p.output_multiplier_fixedpoint_int16,
            );
            let mut reluish = hires;
            if p.reluish_multiplier_exponent > 0 {
                reluish = saturating_left_shift_i16(reluish, p.reluish_multiplier_exponent - 1);
            }
            reluish = saturating_rounding_doubling_high_mul_i16(
                reluish,
                p.reluish_multiplier_fixedpoint_int16,
            );
            if p.reluish_multiplier_exponent > 0 {
                reluish = saturating_left_shift_i16(reluish, 1);
            }
            if p.reluish_multiplier_exponent < 0 {
                reluish = rounding_divide_by_pot_i16(reluish, -p.reluish_multiplier_exponent);
            }
            let reluish = ((reluish as i32 + (1 << 15)) >> 1) as i16;
            let preshift = saturating_doubling_high_mul_i16(reluish, preshift_output);
            let out = rounding_divide_by_pot_i16(preshift, -p.output_multiplier_exponent)
                .wrapping_add(p.output_zero_point);
            out.clamp(i8::MIN as i16, i8::MAX as i16) as i8
        };
    }
}

/// Constants of the standalone int8 RELU / RELU6 / RELU_N1_TO_1 / RELU_0_TO_1 ops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReluParams {
    /// Input zero point.
    pub input_zp: i32,
    /// Output zero point.
    pub output_zp: i32,
    /// Quantized `s_in/s_out` (formed in f32).
    pub multiplier: i32,
    /// Its shift.
    pub shift: i32,
    /// Lower clamp.
    pub act_min: i32,
    /// Upper clamp.
    pub act_max: i32,
}

impl ReluParams {
    /// LiteRT activations.cc `ReluPrepare` + `QuantizedReluX(act_min, act_max)`: `M = s_in / s_out`
    /// in f32; bounds `zp + (int)roundf(bound / s_out)` clamped to int8, an infinite upper bound
    /// meaning 127. RELU is `(0, inf)`, RELU6 `(0, 6)`, RELU_N1_TO_1 `(-1, 1)`, RELU_0_TO_1 `(0, 1)`.
    pub fn new((si, zi): (f32, i32), (so, zo): (f32, i32), lo: f32, hi: f32) -> Self {
        let (multiplier, shift) = quantize_multiplier((si / so) as f64);
        let act_min = (i8::MIN as i32).max(quantize_value(lo, so, zo));
        let act_max = if hi == f32::INFINITY {
            i8::MAX as i32
        } else {
            (i8::MAX as i32).min(quantize_value(hi, so, zo))
        };
        Self {
            input_zp: zi,
            output_zp: zo,
            multiplier,
            shift,
            act_min,
            act_max,
        }
    }

    /// Standalone RELU.
    pub fn relu(input: (f32, i32), output: (f32, i32)) -> Self {
        Self::new(input, output, 0.0, f32::INFINITY)
    }

    /// Standalone RELU6.
    pub fn relu6(input: (f32, i32), output: (f32, i32)) -> Self {
        Self::new(input, output, 0.0, 6.0)
    }

    /// Standalone RELU_N1_TO_1.
    pub fn relu_n1_to_1(input: (f32, i32), output: (f32, i32)) -> Self {
        Self::new(input, output, -1.0, 1.0)
    }
}

/// `optimized_ops::ReluX` (quantized; the same code as the reference): requantize then clamp.
pub fn relu_x(x: &[i8], p: &ReluParams, out: &mut [i8]) {
    debug_assert_eq!(out.len(), x.len());
    for (o, &v) in out.iter_mut().zip(x) {
        *o = {
            let out =
                multiply_by_quantized_multiplier(v as i32 - p.input_zp, p.multiplier, p.shift)
                    .wrapping_add(p.output_zp);
            clamp_i8(out, p.act_min, p.act_max)
        };
    }
}

/// LiteRT's int8 RSQRT (`RsqrtEvalQuantizedInt8`) for each of the 256 inputs, indexed by
/// `q + 128`: `1/sqrt` of the input's offset value through the fixed-point inverse square root
/// (`GetInvSqrtQuantizedMultiplierExp`, Q3.28 Newton steps) and a requantizing multiplier
/// `1 / (sqrt(s_in) · s_out)`; 127 at the zero point. `None` for inputs below the zero point
/// (negative values, which LiteRT refuses).
pub fn rsqrt_table((si, zi): (f32, i32), (so, zo): (f32, i32)) -> [Option<i8>; 256] {
    const SHIFT: i32 = 20;
    let (m, s) = quantize_multiplier(1.0 / (si.sqrt() * so) as f64);
    std::array::from_fn(|k| {
        let value = k as i32 - 128 - zi;
        if value < 0 {
            return None;
        }
        if value == 0 {
            return Some(i8::MAX);
        }
        let (im, is) = crate::reduce2::inv_sqrt_multiplier(value);
        let data = multiply_by_quantized_multiplier(1, im, is + SHIFT);
        let out = multiply_by_quantized_multiplier(data, m, s - SHIFT).wrapping_add(zo);
        Some(clamp_i8(out, i8::MIN as i32, i8::MAX as i32))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A buffer of `n` stale bytes: every one must be overwritten.
    fn stale(n: usize) -> Vec<i8> {
        vec![0x55; n]
    }

    // The kernels into a buffer the test allocates (these shadow the glob import).
    fn dequantize(x: &[i8], scale: f32, zp: i32) -> Vec<f32> {
        let mut out = vec![f32::NAN; x.len()];
        super::dequantize(x, scale, zp, &mut out);
        out
    }

    fn leaky_relu(x: &[i8], p: &LeakyReluParams) -> Vec<i8> {
        let mut out = stale(x.len());
        super::leaky_relu(x, p, &mut out);
        out
    }

    fn hard_swish(x: &[i8], p: &HardSwishParams) -> Vec<i8> {
        let mut out = stale(x.len());
        super::hard_swish(x, p, &mut out);
        out
    }

    fn relu_x(x: &[i8], p: &ReluParams) -> Vec<i8> {
        let mut out = stale(x.len());
        super::relu_x(x, p, &mut out);
        out
    }

    #[test]
    fn quantize_requantize_dequantize() {
        let mut q = [0i8; 6];
        quantize_f32(&[0.25, 0.75, -0.25, -0.75, 100.0, f32::NAN], 0.5, 1, &mut q);
        assert_eq!(q, [2, 3, 0, -1, 127, 1]);
        assert_eq!(dequantize(&[3, -128], 0.5, 1), vec![1.0, -64.5]);
        let p = RequantizeParams::new((0.5, 1), (0.25, -3));
        let mut r = [0i8; 2];
        requantize(&[3, 100], &p, &mut r);
        assert_eq!(r, [1, 127]);
    }

    #[test]
    fn leaky_relu_and_relu() {
        let p = LeakyReluParams::new((0.5, 0), (0.5, 0), 0.5);
        // -1.5 -> -1: SRDHM rounds ties toward +inf.
        assert_eq!(leaky_relu(&[10, -10, -3], &p), vec![10, -5, -1]);
        let p = ReluParams::relu6((0.1, 0), (0.05, -100));
        // 1.0 -> 20 - 100 = -80; 10.0 clamps at 6/0.05 - 100 = 20; -1 clamps to -100.
        assert_eq!(relu_x(&[10, 100, -10], &p), vec![-80, 20, -100]);
    }

    #[test]
    fn hard_swish_tracks_float() {
        let (si, zi, so, zo) = (0.05f32, -3, 0.03f32, -20);
        let p = HardSwishParams::new((si, zi), (so, zo));
        let x: Vec<i8> = (-128..=127).map(|v| v as i8).collect();
        let y = hard_swish(&x, &p);
        for (&q, &r) in x.iter().zip(&y) {
            let f = si * (q as i32 - zi) as f32;
            let expect = f * (f + 3.0).clamp(0.0, 6.0) / 6.0;
            let got = so * (r as i32 - zo) as f32;
            let e = (expect / so + zo as f32).round().clamp(-128.0, 127.0);
            assert!(
                (got - expect).abs() <= 1.5 * so || e == r as f32,
                "x={f} {got} vs {expect}"
            );
        }
    }

    /// Vectors recorded from `ai_edge_litert` 2.3.0 with `OpResolverType.BUILTIN_REF`.
    #[test]
    fn litert_reference_vectors() {
        let x = [
            89, 4, -7, 48, -24, -52, -123, 8, 16, 8, -128, -121, 57, -74, 34, -76, -58, -73, -102,
            -101, -114, 60, -59, -49, 81, -104, 75, 77, -112, -66,
        ];
        let p = HardSwishParams::new((0.15193154, -37), (0.04832015, -19));
        let want = [
            127, 110, 75, 127, 15, -25, -19, 122, 127, 122, -19, -19, 127, -19, 127, -19, -19, -19,
            -19, -19, -19, 127, -19, -26, 127, -19, 127, 127, -19, -19,
        ];
        assert_eq!(hard_swish(&x, &p), want);
        let x = [
            -33, -63, -64, 40, -51, 4, 54, 66, -64, 95, -118, -107, 64, 49, 53, -47, 35, 123, 115,
            108, -41, -91, -47, -8, -122, 44, 102, 77, -82, -127,
        ];
        let p = LeakyReluParams::new((0.03371747, -17), (0.05518226, 35), 0.2);
        let want = [
            33, 29, 29, 70, 31, 48, 78, 86, 29, 103, 23, 24, 84, 75, 78, 31, 67, 121, 116, 111, 32,
            26, 31, 40, 22, 72, 108, 92, 27, 21,
        ];
        assert_eq!(leaky_relu(&x, &p), want);
    }

    /// The fixed-point RSQRT stays within 1 LSB of the real `1/sqrt` (bit-exactness with
    /// LiteRT is measured on the TF converter's int8 ConvNeXt: 100% of outputs equal).
    #[test]
    fn rsqrt_table_is_the_inverse_square_root() {
        for &((si, zi), (so, zo)) in &[((0.05f32, -128), (0.02f32, -10)), ((0.3, 5), (0.01, -128))]
        {
            let t = super::rsqrt_table((si, zi), (so, zo));
            for q in -128i32..=127 {
                let v = q - zi;
                let got = t[(q + 128) as usize];
                match v {
                    v if v < 0 => assert_eq!(got, None),
                    0 => assert_eq!(got, Some(127)),
                    v => {
                        let want = ((1.0 / (si * v as f32).sqrt()) / so).round() as i32 + zo;
                        let want = want.clamp(-128, 127);
                        let got = got.expect("defined") as i32;
                        assert!((got - want).abs() <= 1, "q {q}: {got} vs {want}");
                    }
                }
            }
        }
    }
}
