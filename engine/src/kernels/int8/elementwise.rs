//! Elementwise int8 kernels: binary arithmetic with NumPy broadcasting (ADD, SUB, MUL,
//! SQUARED_DIFFERENCE, MAXIMUM, MINIMUM, PRELU), (re)quantization, and the requantizing
//! activations (LEAKY_RELU, HARD_SWISH, RELU, RELU6, RELU_N1_TO_1), plus the fused-activation
//! clamp range shared by every requantizing kernel.
//!
//! Each `*Params::new` mirrors the corresponding LiteRT `Prepare` (including whether the real
//! multiplier is formed in `float` or in `double`, which can change the last bit of the
//! quantized multiplier); each kernel mirrors the reference `Eval`.

use super::fixed::{
    down_scale_int32_to_int16_multiplier, multiply_by_quantized_multiplier,
    multiply_by_quantized_multiplier_smaller_than_one_exp, quantize_multiplier,
    quantize_multiplier_smaller_than_one_exp, rounding_divide_by_pot_i16,
    saturating_rounding_doubling_high_mul_i16,
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
fn quantize_value(f: f32, scale: f32, zp: i32) -> i32 {
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
fn clamp_i8(v: i32, lo: i32, hi: i32) -> i8 {
    v.max(lo).min(hi).clamp(i8::MIN as i32, i8::MAX as i32) as i8
}

/// NumPy broadcast of two shapes (right-aligned); `None` if incompatible.
pub fn broadcast_shape(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let r = a.len().max(b.len());
    let mut out = vec![0; r];
    for i in 0..r {
        let da = if i < r - a.len() {
            1
        } else {
            a[i - (r - a.len())]
        };
        let db = if i < r - b.len() {
            1
        } else {
            b[i - (r - b.len())]
        };
        out[i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            return None;
        };
    }
    Some(out)
}

/// Row-major strides of `shape` aligned to the right of `out`, 0 where the input is broadcast.
fn broadcast_strides(shape: &[usize], out: &[usize]) -> Vec<usize> {
    let r = out.len();
    let mut strides = vec![0; r];
    let mut acc = 1;
    for i in (0..shape.len().min(r)).rev() {
        let o = r - shape.len() + i;
        strides[o] = if shape[i] == 1 { 0 } else { acc };
        acc *= shape[i];
    }
    strides
}

/// Calls `f(out_index, a_index, b_index)` for every output element in row-major order.
fn for_each_broadcast(
    a_shape: &[usize],
    b_shape: &[usize],
    out_shape: &[usize],
    mut f: impl FnMut(usize, usize, usize),
) {
    let n: usize = out_shape.iter().product();
    let sa = broadcast_strides(a_shape, out_shape);
    let sb = broadcast_strides(b_shape, out_shape);
    let r = out_shape.len();
    let mut idx = vec![0usize; r];
    let (mut ia, mut ib) = (0usize, 0usize);
    for o in 0..n {
        f(o, ia, ib);
        for d in (0..r).rev() {
            idx[d] += 1;
            ia += sa[d];
            ib += sb[d];
            if idx[d] < out_shape[d] {
                break;
            }
            ia -= sa[d] * idx[d];
            ib -= sb[d] * idx[d];
            idx[d] = 0;
        }
    }
}

/// Applies `f` elementwise with NumPy broadcasting of `a` and `b` to `out_shape`.
fn broadcast_binary(
    a: &[i8],
    a_shape: &[usize],
    b: &[i8],
    b_shape: &[usize],
    out_shape: &[usize],
    f: impl Fn(i8, i8) -> i8,
) -> Vec<i8> {
    let mut out = vec![0i8; out_shape.iter().product()];
    for_each_broadcast(a_shape, b_shape, out_shape, |o, ia, ib| {
        out[o] = f(a[ia], b[ib]);
    });
    out
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

    #[inline]
    fn scaled_inputs(&self, a: i8, b: i8) -> (i32, i32) {
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

    /// The scalar reference steps (tests of the SIMD twin).
    #[doc(hidden)]
    pub fn scaled_inputs_pub(&self, a: i8, b: i8) -> (i32, i32) {
        self.scaled_inputs(a, b)
    }

    /// The scalar reference steps (tests of the SIMD twin).
    #[doc(hidden)]
    pub fn finish_pub(&self, raw: i32) -> i8 {
        self.finish(raw)
    }

    #[inline]
    fn finish(&self, raw: i32) -> i8 {
        let out = multiply_by_quantized_multiplier_smaller_than_one_exp(
            raw,
            self.output_multiplier,
            self.output_shift,
        )
        .wrapping_add(self.output_offset);
        clamp_i8(out, self.act_min, self.act_max)
    }
}

/// `reference_integer_ops::Add` / `BroadcastAdd6DSlow` (int8) with NumPy broadcasting.
pub fn add(
    a: &[i8],
    a_shape: &[usize],
    b: &[i8],
    b_shape: &[usize],
    out_shape: &[usize],
    p: &AddParams,
) -> Vec<i8> {
    let f = |x, y| {
        let (sa, sb) = p.scaled_inputs(x, y);
        p.finish(sa.wrapping_add(sb))
    };
    if a_shape == b_shape && a_shape == out_shape {
        return super::fast::add_same_shape(a, b, p, false)
            .unwrap_or_else(|| super::fast::map2(a, b, f));
    }
    broadcast_binary(a, a_shape, b, b_shape, out_shape, f)
}

/// `reference_ops::Sub` / `BroadcastSubSlow` (int8; `SubElementwise`), same constants as ADD.
pub fn sub(
    a: &[i8],
    a_shape: &[usize],
    b: &[i8],
    b_shape: &[usize],
    out_shape: &[usize],
    p: &AddParams,
) -> Vec<i8> {
    let f = |x, y| {
        let (sa, sb) = p.scaled_inputs(x, y);
        p.finish(sa.wrapping_sub(sb))
    };
    if a_shape == b_shape && a_shape == out_shape {
        return super::fast::add_same_shape(a, b, p, true)
            .unwrap_or_else(|| super::fast::map2(a, b, f));
    }
    broadcast_binary(a, a_shape, b, b_shape, out_shape, f)
}

/// Requantization constants of int8 MUL (`mul.cc` Prepare).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MulParams {
    /// `-zero_point` of input 1.
    pub input1_offset: i32,
    /// `-zero_point` of input 2.
    pub input2_offset: i32,
    /// Output zero point.
    pub output_offset: i32,
    /// Quantized `s1·s2/s_out` (double).
    pub output_multiplier: i32,
    /// Its shift.
    pub output_shift: i32,
    /// Fused activation clamp.
    pub act_min: i32,
    /// Fused activation clamp.
    pub act_max: i32,
}

impl MulParams {
    /// LiteRT mul `Prepare`: `M = (double)s1 · (double)s2 / (double)s_out`.
    pub fn new(
        (s1, z1): (f32, i32),
        (s2, z2): (f32, i32),
        (so, zo): (f32, i32),
        act: Activation,
    ) -> Self {
        let (m, s) = quantize_multiplier(s1 as f64 * s2 as f64 / so as f64);
        let (act_min, act_max) = calculate_activation_range_quantized(act, so, zo);
        Self {
            input1_offset: -z1,
            input2_offset: -z2,
            output_offset: zo,
            output_multiplier: m,
            output_shift: s,
            act_min,
            act_max,
        }
    }
}

/// `reference_integer_ops::Mul` / `BroadcastMul6DSlow` (int8) with NumPy broadcasting.
pub fn mul(
    a: &[i8],
    a_shape: &[usize],
    b: &[i8],
    b_shape: &[usize],
    out_shape: &[usize],
    p: &MulParams,
) -> Vec<i8> {
    broadcast_binary(a, a_shape, b, b_shape, out_shape, |x, y| {
        let prod = (p.input1_offset + x as i32).wrapping_mul(p.input2_offset + y as i32);
        let out = multiply_by_quantized_multiplier(prod, p.output_multiplier, p.output_shift)
            .wrapping_add(p.output_offset);
        clamp_i8(out, p.act_min, p.act_max)
    })
}

/// Requantization constants of int8 SQUARED_DIFFERENCE (`squared_difference.cc` Prepare).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SquaredDifferenceParams {
    /// `-zero_point` of input 1.
    pub input1_offset: i32,
    /// `-zero_point` of input 2.
    pub input2_offset: i32,
    /// Output zero point.
    pub output_offset: i32,
    /// 7 for int8.
    pub left_shift: i32,
    /// Quantized `s1 / (2·max(s1, s2))`.
    pub input1_multiplier: i32,
    /// Its shift.
    pub input1_shift: i32,
    /// Quantized `s2 / (2·max(s1, s2))`.
    pub input2_multiplier: i32,
    /// Its shift.
    pub input2_shift: i32,
    /// Quantized `(2·max)^2 / (2^14 · s_out)`.
    pub output_multiplier: i32,
    /// Its shift.
    pub output_shift: i32,
}

impl SquaredDifferenceParams {
    /// LiteRT squared_difference `Prepare` for int8 (left shift 7, double math; the `2^14 ·
    /// s_out` product is formed in f32, exactly).
    pub fn new((s1, z1): (f32, i32), (s2, z2): (f32, i32), (so, zo): (f32, i32)) -> Self {
        let left_shift = 7;
        let twice_max = 2.0 * s1.max(s2) as f64;
        let (m1, sh1) = quantize_multiplier_smaller_than_one_exp(s1 as f64 / twice_max);
        let (m2, sh2) = quantize_multiplier_smaller_than_one_exp(s2 as f64 / twice_max);
        let (mo, sho) = quantize_multiplier(
            twice_max * twice_max / ((1i32 << (2 * left_shift)) as f32 * so) as f64,
        );
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
        }
    }
}

/// LiteRT squared_difference.cc int8 `SquaredDifference` (broadcast via index mapping).
pub fn squared_difference(
    a: &[i8],
    a_shape: &[usize],
    b: &[i8],
    b_shape: &[usize],
    out_shape: &[usize],
    p: &SquaredDifferenceParams,
) -> Vec<i8> {
    broadcast_binary(a, a_shape, b, b_shape, out_shape, |x, y| {
        let a = (p.input1_offset + x as i32).wrapping_mul(1 << p.left_shift);
        let b = (p.input2_offset + y as i32).wrapping_mul(1 << p.left_shift);
        let a = multiply_by_quantized_multiplier_smaller_than_one_exp(
            a,
            p.input1_multiplier,
            p.input1_shift,
        );
        let b = multiply_by_quantized_multiplier_smaller_than_one_exp(
            b,
            p.input2_multiplier,
            p.input2_shift,
        );
        let d = a.wrapping_sub(b);
        let out = multiply_by_quantized_multiplier(
            d.wrapping_mul(d),
            p.output_multiplier,
            p.output_shift,
        )
        .wrapping_add(p.output_offset);
        clamp_i8(out, i8::MIN as i32, i8::MAX as i32)
    })
}

/// `reference_ops::MaximumMinimumBroadcastSlow` with `std::max` on raw int8 (in/out params must
/// match).
pub fn maximum(
    a: &[i8],
    a_shape: &[usize],
    b: &[i8],
    b_shape: &[usize],
    out_shape: &[usize],
) -> Vec<i8> {
    broadcast_binary(a, a_shape, b, b_shape, out_shape, |x, y| x.max(y))
}

/// `reference_ops::MaximumMinimumBroadcastSlow` with `std::min` on raw int8.
pub fn minimum(
    a: &[i8],
    a_shape: &[usize],
    b: &[i8],
    b_shape: &[usize],
    out_shape: &[usize],
) -> Vec<i8> {
    broadcast_binary(a, a_shape, b, b_shape, out_shape, |x, y| x.min(y))
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

/// `reference_ops::Requantize` (int8 → int8): `clamp(MBQM(q − z_in) + z_out)`.
pub fn requantize(x: &[i8], p: &RequantizeParams) -> Vec<i8> {
    x.iter()
        .map(|&v| {
            let out =
                multiply_by_quantized_multiplier(v as i32 - p.input_zp, p.multiplier, p.shift)
                    .wrapping_add(p.output_zp);
            clamp_i8(out, i8::MIN as i32, i8::MAX as i32)
        })
        .collect()
}

/// `reference_ops::AffineQuantize` (f32 → int8): `clamp(round(x / scale) + zp)`, f32 division,
/// ties away from zero (NaN maps to `zp`).
///
/// Vectorized where the CPU allows: `round` is written as `trunc(t + copysign(½⁻, t))` with `½⁻`
/// the float just below ½ (exact for every f32; the lowering LLVM uses itself, which its loop
/// vectorizer does not apply to `round` calls), and the rounded value is clamped to ±256 before
/// the integer conversion (the same final clamp for any zero point in int8's range).
pub fn quantize_f32(x: &[f32], scale: f32, zp: i32) -> Vec<i8> {
    if !(-128..=127).contains(&zp) {
        return x
            .iter()
            .map(|&v| {
                let q = ((v / scale).round() as i32).saturating_add(zp);
                q.clamp(i8::MIN as i32, i8::MAX as i32) as i8
            })
            .collect();
    }
    #[inline(always)]
    fn go(x: &[f32], scale: f32, zp: i32) -> Vec<i8> {
        let below_half = f32::from_bits(0x3EFF_FFFF);
        x.iter()
            .map(|&v| {
                let t = v / scale;
                let r = (t + below_half.copysign(t)).trunc().clamp(-256.0, 256.0);
                ((r as i32) + zp).clamp(i8::MIN as i32, i8::MAX as i32) as i8
            })
            .collect()
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn go_avx2(x: &[f32], scale: f32, zp: i32) -> Vec<i8> {
        go(x, scale, zp)
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw")]
    fn go_avx512(x: &[f32], scale: f32, zp: i32) -> Vec<i8> {
        use std::arch::x86_64::*;
        let mut out = vec![0i8; x.len()];
        let (s, bh) = (
            _mm512_set1_ps(scale),
            _mm512_set1_ps(f32::from_bits(0x3EFF_FFFF)),
        );
        let (lim, z) = (_mm512_set1_ps(256.0), _mm512_set1_epi32(zp));
        let sign = _mm512_set1_epi32(i32::MIN);
        for (xs, os) in x.chunks(16).zip(out.chunks_mut(16)) {
            let m: __mmask16 = if xs.len() == 16 {
                0xffff
            } else {
                (1u16 << xs.len()) - 1
            };
            // SAFETY: masked load and store of this chunk's lanes.
            unsafe {
                let t = _mm512_div_ps(_mm512_maskz_loadu_ps(m, xs.as_ptr()), s);
                let h = _mm512_or_si512(
                    _mm512_castps_si512(bh),
                    _mm512_and_si512(_mm512_castps_si512(t), sign),
                );
                let r = _mm512_roundscale_ps::<{ _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC }>(
                    _mm512_add_ps(t, _mm512_castsi512_ps(h)),
                );
                let r = _mm512_min_ps(
                    _mm512_max_ps(r, _mm512_sub_ps(_mm512_setzero_ps(), lim)),
                    lim,
                );
                // NaN lanes become 0 (like `NaN as i32`).
                let r = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask::<_CMP_ORD_Q>(t, t), r);
                let q = _mm512_add_epi32(_mm512_cvttps_epi32(r), z);
                let q = _mm512_min_epi32(
                    _mm512_max_epi32(q, _mm512_set1_epi32(-128)),
                    _mm512_set1_epi32(127),
                );
                _mm512_mask_cvtepi32_storeu_epi8(os.as_mut_ptr().cast(), m, q);
            }
        }
        out
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512bw")
    {
        // SAFETY: the CPU reports AVX-512 F and BW.
        return unsafe { go_avx512(x, scale, zp) };
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
        // SAFETY: the CPU reports AVX2 and FMA.
        return unsafe { go_avx2(x, scale, zp) };
    }
    go(x, scale, zp)
}

/// `reference_ops::Dequantize` (int8 → f32): `(f32)((double)scale · (q − zp))`.
pub fn dequantize(x: &[i8], scale: f32, zp: i32) -> Vec<f32> {
    x.iter()
        .map(|&v| (scale as f64 * (v as i32 - zp) as f64) as f32)
        .collect()
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
pub fn leaky_relu(x: &[i8], p: &LeakyReluParams) -> Vec<i8> {
    x.iter()
        .map(|&v| {
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
        })
        .collect()
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
pub fn hard_swish(x: &[i8], p: &HardSwishParams) -> Vec<i8> {
    x.iter()
        .map(|&v| {
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
        })
        .collect()
}

/// Constants of int8 PRELU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PreluParams {
    /// `-zero_point` of the input.
    pub input_offset: i32,
    /// `-zero_point` of alpha.
    pub alpha_offset: i32,
    /// Output zero point.
    pub output_offset: i32,
    /// Quantized `s_in/s_out` (x ≥ 0 branch).
    pub output_multiplier_1: i32,
    /// Its shift.
    pub output_shift_1: i32,
    /// Quantized `s_in·s_alpha/s_out` (x < 0 branch).
    pub output_multiplier_2: i32,
    /// Its shift.
    pub output_shift_2: i32,
}

impl PreluParams {
    /// LiteRT activations.cc `PreluPrepare`: multipliers formed in **f32** (`s_in / s_out`,
    /// `s_in · s_alpha / s_out`) then widened.
    pub fn new((si, zi): (f32, i32), (sa, za): (f32, i32), (so, zo): (f32, i32)) -> Self {
        let (m1, s1) = quantize_multiplier((si / so) as f64);
        let (m2, s2) = quantize_multiplier((si * sa / so) as f64);
        Self {
            input_offset: -zi,
            alpha_offset: -za,
            output_offset: zo,
            output_multiplier_1: m1,
            output_shift_1: s1,
            output_multiplier_2: m2,
            output_shift_2: s2,
        }
    }
}

/// `reference_ops::BroadcastPrelu4DSlow` / `Prelu` (int8); alpha broadcasts to the input shape.
pub fn prelu(
    x: &[i8],
    x_shape: &[usize],
    alpha: &[i8],
    alpha_shape: &[usize],
    p: &PreluParams,
) -> Vec<i8> {
    let out_shape = broadcast_shape(x_shape, alpha_shape).unwrap_or_else(|| x_shape.to_vec());
    broadcast_binary(x, x_shape, alpha, alpha_shape, &out_shape, |v, a| {
        let input_value = p.input_offset + v as i32;
        let out = if input_value >= 0 {
            multiply_by_quantized_multiplier(input_value, p.output_multiplier_1, p.output_shift_1)
        } else {
            let alpha_value = p.alpha_offset + a as i32;
            multiply_by_quantized_multiplier(
                input_value.wrapping_mul(alpha_value),
                p.output_multiplier_2,
                p.output_shift_2,
            )
        };
        clamp_i8(
            out.wrapping_add(p.output_offset),
            i8::MIN as i32,
            i8::MAX as i32,
        )
    })
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
pub fn relu_x(x: &[i8], p: &ReluParams) -> Vec<i8> {
    x.iter()
        .map(|&v| {
            let out =
                multiply_by_quantized_multiplier(v as i32 - p.input_zp, p.multiplier, p.shift)
                    .wrapping_add(p.output_zp);
            clamp_i8(out, p.act_min, p.act_max)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vectorized rounding against `f32::round` on halves, their neighbours, huge values,
    /// infinities and NaN, for zero points in and out of int8's range.
    #[test]
    fn fast_quantize_rounds_like_round() {
        let mut xs: Vec<f32> = Vec::new();
        for k in -300..300 {
            let h = k as f32 + 0.5;
            xs.extend([
                h,
                f32::from_bits(h.to_bits() + 1),
                f32::from_bits(h.to_bits() - 1),
            ]);
            xs.push(k as f32 * 0.37);
        }
        xs.extend([
            0.0,
            -0.0,
            0.49999997,
            -0.49999997,
            8388607.5,
            4194303.5,
            1e30,
            -1e30,
        ]);
        xs.extend([
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            f32::MIN_POSITIVE,
        ]);
        for (scale, zp) in [(1.0, 0), (0.5, -3), (0.0123, 17), (3.0, -128), (0.7, 300)] {
            let want: Vec<i8> = xs
                .iter()
                .map(|&v| {
                    let q = ((v / scale).round() as i32).saturating_add(zp);
                    q.clamp(-128, 127) as i8
                })
                .collect();
            assert_eq!(quantize_f32(&xs, scale, zp), want, "scale {scale} zp {zp}");
        }
    }

    #[test]
    fn activation_ranges() {
        assert_eq!(
            calculate_activation_range_quantized(Activation::None, 0.1, 3),
            (-128, 127)
        );
        assert_eq!(
            calculate_activation_range_quantized(Activation::Relu, 0.1, -5),
            (-5, 127)
        );
        // 6 / 0.05 = 120 -> -10 + 120 = 110
        assert_eq!(
            calculate_activation_range_quantized(Activation::Relu6, 0.05, -10),
            (-10, 110)
        );
        assert_eq!(
            calculate_activation_range_quantized(Activation::Relu6, 0.01, -10),
            (-10, 127)
        );
        assert_eq!(
            calculate_activation_range_quantized(Activation::ReluN1To1, 0.004, 0),
            (-128, 127)
        );
        assert_eq!(
            calculate_activation_range_quantized(Activation::ReluN1To1, 0.02, 1),
            (-49, 51)
        );
    }

    #[test]
    fn broadcasting() {
        assert_eq!(broadcast_shape(&[2, 1, 3], &[4, 1]), Some(vec![2, 4, 3]));
        assert_eq!(broadcast_shape(&[2, 3], &[4]), None);
        let a = [1i8, 2, 3, 4, 5, 6]; // [2, 3]
        let b = [10i8, 20]; // [2, 1]
        assert_eq!(
            maximum(&a, &[2, 3], &b, &[2, 1], &[2, 3]),
            vec![10, 10, 10, 20, 20, 20]
        );
        assert_eq!(
            minimum(&a, &[2, 3], &[3], &[1], &[2, 3]),
            vec![1, 2, 3, 3, 3, 3]
        );
    }

    #[test]
    fn add_sub_equal_scales() {
        // Same scale everywhere: real arithmetic is exact integer arithmetic on q - zp.
        let p = AddParams::new((0.5, 0), (0.5, 0), (0.5, 0), Activation::None);
        assert_eq!(
            add(&[1, 2, -3], &[3], &[4, -5, 100], &[3], &[3], &p),
            vec![5, -3, 97]
        );
        assert_eq!(
            sub(&[1, 2, -3], &[3], &[4], &[1], &[3], &p),
            vec![-3, -2, -7]
        );
        assert_eq!(add(&[100], &[1], &[100], &[1], &[1], &p), vec![127]);
        let p = AddParams::new((0.5, 0), (0.5, 0), (0.5, 0), Activation::Relu);
        assert_eq!(
            add(&[1, 2, -3], &[3], &[4, -5, 1], &[3], &[3], &p),
            vec![5, 0, 0]
        );
        // 0.25*(q1) + 0.5*(q2) on output scale 0.25: q1 + 2*q2 (zero points 10, -2, 3).
        let p = AddParams::new((0.25, 10), (0.5, -2), (0.25, 3), Activation::None);
        assert_eq!(add(&[14], &[1], &[1], &[1], &[1], &p), vec![4 + 6 + 3]);
    }

    #[test]
    fn mul_and_squared_difference() {
        // (3-1)*0.5 * (4-0)*0.25 = 1 -> /0.125 = 8, +zp 2.
        let p = MulParams::new((0.5, 1), (0.25, 0), (0.125, 2), Activation::None);
        assert_eq!(mul(&[3], &[1], &[4], &[1], &[1], &p), vec![10]);
        // (1.5 - 0.5)^2 = (-0.5 - 0.5)^2 = 1 -> /0.25 = 4.
        let p = SquaredDifferenceParams::new((0.5, 0), (0.5, 0), (0.25, 0));
        assert_eq!(
            squared_difference(&[3, -1], &[2], &[1], &[1], &[2], &p),
            vec![4, 4]
        );
    }

    #[test]
    fn quantize_requantize_dequantize() {
        assert_eq!(
            quantize_f32(&[0.25, 0.75, -0.25, -0.75, 100.0, f32::NAN], 0.5, 1),
            vec![2, 3, 0, -1, 127, 1]
        );
        assert_eq!(dequantize(&[3, -128], 0.5, 1), vec![1.0, -64.5]);
        let p = RequantizeParams::new((0.5, 1), (0.25, -3));
        assert_eq!(requantize(&[3, 100], &p), vec![1, 127]);
    }

    #[test]
    fn leaky_relu_prelu_relu() {
        let p = LeakyReluParams::new((0.5, 0), (0.5, 0), 0.5);
        // -1.5 -> -1: SRDHM rounds ties toward +inf.
        assert_eq!(leaky_relu(&[10, -10, -3], &p), vec![10, -5, -1]);
        // alpha 0.25 quantized as q=64 with scale 1/256: x<0 -> x*0.25.
        let p = PreluParams::new((0.5, 0), (1.0 / 256.0, 0), (0.5, 0));
        assert_eq!(
            prelu(&[8, -8, -8], &[3], &[64, 64, 0], &[3], &p),
            vec![8, -2, 0]
        );
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
}
