//! Integer and fixed-point arithmetic of LiteRT's quantized reference kernels: multiplier
//! quantization (`quantization_util.cc`), the double-rounding `MultiplyByQuantizedMultiplier`
//! (`common.cc`), and the gemmlowp `fixedpoint.h` helpers (exp, 1/(1+x), tanh, logistic, log)
//! that softmax, log-softmax, logistic and tanh are built from.
//!
//! Fixed-point values are passed as their raw `i32` together with their number of integer bits
//! (gemmlowp's `FixedPoint<int32_t, IntegerBits>`): a raw `r` with `b` integer bits stands for
//! `r / 2^(31 - b)`. Overflowing `+`, `-` and `<<` wrap like the two's-complement machines LiteRT
//! runs on (the C++ leaves them undefined); nothing here panics.

/// `std::frexp`: `x = m * 2^e` with `|m|` in `[0.5, 1)`; zero and non-finite values give `(x, 0)`.
pub fn frexp(x: f64) -> (f64, i32) {
    if x == 0.0 || !x.is_finite() {
        return (x, 0);
    }
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i32;
    if biased == 0 {
        // Subnormal: scale into the normal range first.
        let (m, e) = frexp(x * f64::from_bits(0x4350_0000_0000_0000)); // 2^54
        return (m, e - 54);
    }
    let m = f64::from_bits((bits & !(0x7ffu64 << 52)) | (1022u64 << 52));
    (m, biased - 1022)
}

/// TFLite `QuantizeMultiplier`: `m ≈ q · 2^(shift − 31)` with `q` in `[2^30, 2^31)` (negative
/// multipliers give negative `q`). Shift is positive for a left shift. Non-finite input → `(0, 0)`.
pub fn quantize_multiplier(m: f64) -> (i32, i32) {
    if m == 0.0 || !m.is_finite() {
        return (0, 0);
    }
    let (q, mut shift) = frexp(m);
    let mut q_fixed = (q * (1i64 << 31) as f64).round() as i64;
    if q_fixed == 1i64 << 31 {
        q_fixed /= 2;
        shift += 1;
    }
    if shift < -31 {
        shift = 0;
        q_fixed = 0;
    }
    (
        q_fixed.clamp(i32::MIN as i64, i32::MAX as i64) as i32,
        shift,
    )
}

/// TFLite `QuantizeMultiplierSmallerThanOneExp` (for `0 <= m < 1`; same arithmetic, the returned
/// shift is the (non-positive) left shift). Out-of-range input is not rejected here.
pub fn quantize_multiplier_smaller_than_one_exp(m: f64) -> (i32, i32) {
    quantize_multiplier(m)
}

/// TFLite `QuantizeMultiplierGreaterThanOne` (for `m > 1`; the shift is a non-negative left
/// shift). Out-of-range input is not rejected here.
pub fn quantize_multiplier_greater_than_one(m: f64) -> (i32, i32) {
    quantize_multiplier(m)
}

/// gemmlowp `SaturatingRoundingDoublingHighMul` (ARM `SQRDMULH`): `a·b / 2^31` rounded to
/// nearest with ties toward +∞ (nudge `+2^30`, or `1 − 2^30` for negative products, then a
/// truncating division), `MIN·MIN` saturating to `MAX`.
#[inline]
pub fn saturating_rounding_doubling_high_mul(a: i32, b: i32) -> i32 {
    if a == i32::MIN && b == i32::MIN {
        return i32::MAX;
    }
    let ab = a as i64 * b as i64;
    let nudge: i64 = if ab >= 0 { 1 << 30 } else { 1 - (1 << 30) };
    ((ab + nudge) / (1i64 << 31)) as i32
}

/// gemmlowp `SaturatingRoundingDoublingHighMul` for `int16_t` raw values.
#[inline]
pub fn saturating_rounding_doubling_high_mul_i16(a: i16, b: i16) -> i16 {
    if a == i16::MIN && b == i16::MIN {
        return i16::MAX;
    }
    let ab = a as i32 * b as i32;
    let nudge: i32 = if ab >= 0 { 1 << 14 } else { 1 - (1 << 14) };
    ((ab + nudge) / (1 << 15)) as i16
}

/// gemmlowp `RoundingDivideByPOT`: arithmetic shift right by `exponent` rounding to nearest, ties
/// away from zero. `exponent` is clamped to `[0, 31]` (the C++ asserts that range).
#[inline]
pub fn rounding_divide_by_pot(x: i32, exponent: i32) -> i32 {
    let e = exponent.clamp(0, 31);
    let mask = ((1i64 << e) - 1) as i32;
    let remainder = x & mask;
    let threshold = (mask >> 1) + i32::from(x < 0);
    (x >> e) + i32::from(remainder > threshold)
}

/// gemmlowp `RoundingDivideByPOT` on `int16_t` (mask truncated to 16 bits as in the template).
#[inline]
pub fn rounding_divide_by_pot_i16(x: i16, exponent: i32) -> i16 {
    let e = exponent.clamp(0, 31);
    let mask = ((1i64 << e) - 1) as i16;
    let remainder = x & mask;
    let threshold = (mask >> 1).wrapping_add(i16::from(x < 0));
    (x >> e.min(15)).wrapping_add(i16::from(remainder > threshold))
}

/// `x · 2^left` with two's-complement wrap-around (the C++ `x * (1 << left)`).
#[inline]
fn wrapping_shl(x: i32, left: i32) -> i32 {
    if left <= 0 {
        x
    } else if left >= 32 {
        0
    } else {
        ((x as i64) << left) as i32
    }
}

/// gemmlowp `SaturatingRoundingMultiplyByPOT` / TFLite `SaturatingRoundingMultiplyByPOTParam`:
/// saturating left shift for `exponent > 0`, rounding right shift for `exponent < 0`.
#[inline]
pub fn saturating_rounding_multiply_by_pot(x: i32, exponent: i32) -> i32 {
    if exponent == 0 {
        x
    } else if exponent < 0 {
        rounding_divide_by_pot(x, -exponent)
    } else {
        let threshold = if exponent >= 31 {
            0
        } else {
            (1i32 << (31 - exponent)) - 1
        };
        if x > threshold {
            i32::MAX
        } else if x < -threshold {
            i32::MIN
        } else {
            wrapping_shl(x, exponent)
        }
    }
}

/// TFLite `MultiplyByQuantizedMultiplier` (double rounding, the default build):
/// `RoundingDivideByPOT(SRDHM(x · 2^max(shift,0), m), max(−shift, 0))`.
#[inline]
pub fn multiply_by_quantized_multiplier(x: i32, m: i32, shift: i32) -> i32 {
    let left = shift.max(0);
    let right = (-shift).max(0);
    rounding_divide_by_pot(
        saturating_rounding_doubling_high_mul(wrapping_shl(x, left), m),
        right,
    )
}

/// TFLite `MultiplyByQuantizedMultiplierSmallerThanOneExp`: `RoundingDivideByPOT(SRDHM(x, m),
/// −left_shift)` (for `left_shift <= 0`).
#[inline]
pub fn multiply_by_quantized_multiplier_smaller_than_one_exp(
    x: i32,
    m: i32,
    left_shift: i32,
) -> i32 {
    rounding_divide_by_pot(saturating_rounding_doubling_high_mul(x, m), -left_shift)
}

/// TFLite `MultiplyByQuantizedMultiplierGreaterThanOne`: `SRDHM(x · 2^left_shift, m)`.
#[inline]
pub fn multiply_by_quantized_multiplier_greater_than_one(x: i32, m: i32, left_shift: i32) -> i32 {
    saturating_rounding_doubling_high_mul(wrapping_shl(x, left_shift), m)
}

/// TFLite `DownScaleInt32ToInt16Multiplier`: rounds a Q0.31 multiplier to Q0.15.
pub fn down_scale_int32_to_int16_multiplier(m: i32) -> i16 {
    const ROUND: i32 = 1 << 15;
    if m >= i32::MAX - ROUND {
        return i16::MAX;
    }
    ((m + ROUND) >> 16) as i16
}

/// TFLite `CalculateInputRadius`: largest input difference whose rescaled value still fits
/// `input_integer_bits` (`total_signed_bits` is 31 for 32-bit fixed point, 15 for 16-bit).
pub fn calculate_input_radius(
    input_integer_bits: i32,
    input_left_shift: i32,
    total_signed_bits: i32,
) -> i32 {
    let ib = input_integer_bits.clamp(0, 30);
    let frac = (total_signed_bits - ib).clamp(0, 62);
    let max_input_rescaled = 1.0 * ((1i64 << ib) - 1) as f64 * (1i64 << frac) as f64
        / (1i64 << input_left_shift.clamp(0, 62)) as f64;
    max_input_rescaled.floor() as i32
}

/// TFLite `PreprocessSoftmaxScaling` (double-rounding build): quantizes
/// `min(beta · input_scale · 2^(31 − input_integer_bits), 2^31 − 1)` as a multiplier ≥ 1.
/// Returns `(multiplier, left_shift)`.
pub fn preprocess_softmax_scaling(
    beta: f64,
    input_scale: f64,
    input_integer_bits: i32,
) -> (i32, i32) {
    let max_real_multiplier = ((1i64 << 31) - 1) as f64;
    let real = (beta * input_scale * (1i64 << (31 - input_integer_bits).clamp(0, 62)) as f64)
        .min(max_real_multiplier);
    quantize_multiplier_greater_than_one(real)
}

/// TFLite `PreprocessLogSoftmaxScalingExp`: the softmax scaling plus the reverse scaling
/// divisor. Returns `(multiplier, left_shift, reverse_scaling_divisor,
/// reverse_scaling_left_shift)`.
pub fn preprocess_log_softmax_scaling_exp(
    beta: f64,
    input_scale: f64,
    input_integer_bits: i32,
) -> (i32, i32, i32, i32) {
    let (m, left_shift) = preprocess_softmax_scaling(beta, input_scale, input_integer_bits);
    let num = if (0..=31).contains(&(31 - left_shift)) {
        (1i64 << (31 - left_shift)) as i32 as f64
    } else {
        0.0
    };
    let real_reverse = if m != 0 { num / m as f64 } else { 0.0 };
    let (rd, rs) = quantize_multiplier_smaller_than_one_exp(real_reverse);
    (m, left_shift, rd, rs)
}

/// gemmlowp `RoundingHalfSum`: `(a + b) / 2` rounded to nearest, ties away from zero.
#[inline]
pub fn rounding_half_sum(a: i32, b: i32) -> i32 {
    let sum = a as i64 + b as i64;
    let sign = if sum >= 0 { 1 } else { -1 };
    ((sum + sign) / 2) as i32
}

/// gemmlowp `FixedPoint::One()` raw value for `integer_bits` integer bits.
#[inline]
pub fn fp_one(integer_bits: i32) -> i32 {
    if integer_bits == 0 {
        i32::MAX
    } else {
        1i32 << (31 - integer_bits).clamp(0, 30)
    }
}

/// gemmlowp `Rescale<dst_bits>` of a raw value with `src_bits` integer bits.
#[inline]
pub fn rescale(x: i32, src_bits: i32, dst_bits: i32) -> i32 {
    saturating_rounding_multiply_by_pot(x, src_bits - dst_bits)
}

/// Fixed-point product (gemmlowp `operator*`): the integer bits of the result are the sum.
#[inline]
fn fmul(a: i32, b: i32) -> i32 {
    saturating_rounding_doubling_high_mul(a, b)
}

/// gemmlowp `exp_on_interval_between_negative_one_quarter_and_0_excl` (Q0.31 in and out).
pub fn exp_on_interval_between_negative_one_quarter_and_0_excl(a: i32) -> i32 {
    const CONSTANT_TERM: i32 = 1_895_147_668; // exp(-1/8)
    const ONE_THIRD: i32 = 715_827_883;
    let x = a.wrapping_add(1 << 28); // a + 1/8
    let x2 = fmul(x, x);
    let x3 = fmul(x2, x);
    let x4 = fmul(x2, x2);
    let x4_over_4 = rounding_divide_by_pot(x4, 2);
    let poly = rounding_divide_by_pot(
        fmul(x4_over_4.wrapping_add(x3), ONE_THIRD).wrapping_add(x2),
        1,
    );
    CONSTANT_TERM.wrapping_add(fmul(CONSTANT_TERM, x.wrapping_add(poly)))
}

/// gemmlowp `exp_on_negative_values`: `exp(a)` for `a <= 0` given with `integer_bits` integer
/// bits; the result is Q0.31.
pub fn exp_on_negative_values(a: i32, integer_bits: i32) -> i32 {
    let frac = 31 - integer_bits;
    let one_quarter = 1i32 << (frac - 2).clamp(0, 30);
    let mask = one_quarter - 1;
    let a_mod_quarter_minus_one_quarter = (a & mask).wrapping_sub(one_quarter);
    let mut result = exp_on_interval_between_negative_one_quarter_and_0_excl(rescale(
        a_mod_quarter_minus_one_quarter,
        integer_bits,
        0,
    ));
    let remainder = a_mod_quarter_minus_one_quarter.wrapping_sub(a);
    const BARREL: [(i32, i32); 7] = [
        (-2, 1_672_461_947),
        (-1, 1_302_514_674),
        (0, 790_015_084),
        (1, 290_630_308),
        (2, 39_332_535),
        (3, 720_401),
        (4, 242),
    ];
    for (exponent, multiplier) in BARREL {
        if integer_bits > exponent {
            let shift = frac + exponent;
            if (0..32).contains(&shift) && remainder & (1i32 << shift) != 0 {
                result = fmul(result, multiplier);
            }
        }
    }
    if integer_bits > 5 {
        let clamp_b = 36 - integer_bits;
        let clamp = -(1i32 << clamp_b.clamp(0, 30));
        if a < clamp {
            result = 0;
        }
    }
    if a == 0 {
        result = fp_one(0);
    }
    result
}

/// Newton–Raphson division shared by the two gemmlowp `..._for_x_in_0_1` helpers: returns the
/// Q2.29 iterate `x ≈ 1 / half_denominator = 2 / (1 + a)` after three steps from 48/17 − 32/17·d.
fn reciprocal_half_denominator_iterate(a: i32) -> i32 {
    const C48_17: i32 = 1_515_870_810; // 48/17 in Q2.29
    const CNEG32_17: i32 = -1_010_580_540; // -32/17 in Q2.29
    let half_denominator = rounding_half_sum(a, fp_one(0));
    let mut x = C48_17.wrapping_add(fmul(half_denominator, CNEG32_17));
    for _ in 0..3 {
        let half_denominator_times_x = fmul(half_denominator, x);
        let one_minus = fp_one(2).wrapping_sub(half_denominator_times_x);
        x = x.wrapping_add(rescale(fmul(x, one_minus), 4, 2));
    }
    x
}

/// gemmlowp `one_over_one_plus_x_for_x_in_0_1` (Q0.31 in and out).
pub fn one_over_one_plus_x_for_x_in_0_1(a: i32) -> i32 {
    let x = reciprocal_half_denominator_iterate(a);
    // ExactMulByPot<-1> turns Q2.29 into Q1.30 without touching the raw value.
    rescale(x, 1, 0)
}

/// gemmlowp `one_minus_x_over_one_plus_x_for_x_in_0_1` (Q0.31 in and out).
pub fn one_minus_x_over_one_plus_x_for_x_in_0_1(a: i32) -> i32 {
    let x = reciprocal_half_denominator_iterate(a);
    rescale(x.wrapping_sub(fp_one(2)), 2, 0)
}

/// gemmlowp `tanh` of a value with `integer_bits` integer bits; Q0.31 result.
pub fn tanh(a: i32, integer_bits: i32) -> i32 {
    if a == 0 {
        return 0;
    }
    let negative = a < 0;
    let n = if negative { a } else { a.wrapping_neg() };
    // neg_tanh_on_negative_values: ExactMulByPot<1> adds one integer bit.
    let t = one_minus_x_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(n, integer_bits + 1));
    if negative { t.wrapping_neg() } else { t }
}

/// gemmlowp `logistic` of a value with `integer_bits` integer bits; Q0.31 result.
pub fn logistic(a: i32, integer_bits: i32) -> i32 {
    if a == 0 {
        return 1 << 30;
    }
    let positive = a > 0;
    let abs_input = if positive { a } else { a.wrapping_neg() };
    let if_positive = one_over_one_plus_x_for_x_in_0_1(exp_on_negative_values(
        abs_input.wrapping_neg(),
        integer_bits,
    ));
    if positive {
        if_positive
    } else {
        fp_one(0).wrapping_sub(if_positive)
    }
}

/// TFLite `CountLeadingZeros` for `uint32_t` (32 for zero).
#[inline]
pub fn count_leading_zeros(x: u32) -> i32 {
    x.leading_zeros() as i32
}

/// TFLite `GetReciprocal`: `1/x` of a positive value with `x_integer_digits` integer bits as a
/// Q0.31 `shifted_scale` and `num_bits_over_unit`. Returns `(shifted_scale, num_bits_over_unit)`.
pub fn get_reciprocal(x: i32, x_integer_digits: i32) -> (i32, i32) {
    let headroom_plus_one = count_leading_zeros(x as u32);
    let num_bits_over_unit = x_integer_digits - headroom_plus_one;
    let shifted = if headroom_plus_one >= 32 {
        0u32
    } else {
        (x as u32) << headroom_plus_one
    };
    let shifted_sum_minus_one = shifted.wrapping_sub(1u32 << 31) as i32;
    (
        one_over_one_plus_x_for_x_in_0_1(shifted_sum_minus_one),
        num_bits_over_unit,
    )
}

/// TFLite `log_x_for_x_greater_than_or_equal_to_1_impl`: `ln(x)` for a raw `x` with
/// `input_integer_bits`, returned with `output_integer_bits`.
pub fn log_x_for_x_greater_than_or_equal_to_1(
    input: i32,
    input_integer_bits: i32,
    output_integer_bits: i32,
) -> i32 {
    const LOG_2: i32 = 1_488_522_236;
    const SQRT_SQRT_HALF: i32 = 1_805_811_301;
    const SQRT_HALF: i32 = 1_518_500_250;
    const ONE_QUARTER: i32 = 536_870_912;
    const ALPHA_N: i32 = 117_049_297;
    const ALPHA_D: i32 = 127_690_142;
    const ALPHA_I: i32 = 1_057_819_769;
    const ALPHA_F: i32 = 638_450_708;
    let accum_bits = output_integer_bits + 1;
    let shifted_quarter = rescale(ONE_QUARTER, 0, accum_bits);

    // Reinterpret the input as Q0.31 and find the shift ourselves.
    let z_a = input;
    let z_a_headroom_plus_1 = count_leading_zeros(z_a as u32);
    let r_a_tmp = saturating_rounding_multiply_by_pot(z_a, z_a_headroom_plus_1 - 1);
    let r_a_raw = saturating_rounding_multiply_by_pot(fmul(r_a_tmp, SQRT_HALF), 1);
    let z_a_pow_2_adj = saturating_add(
        saturating_rounding_multiply_by_pot(
            input_integer_bits - z_a_headroom_plus_1,
            31 - accum_bits,
        ),
        shifted_quarter,
    );

    // z_b is z_a premultiplied by sqrt(0.5).
    let z_b = fmul(z_a, SQRT_HALF);
    let z_b_headroom = count_leading_zeros(z_b as u32) - 1;
    let r_b_raw = saturating_rounding_multiply_by_pot(z_a, z_b_headroom);
    let z_b_pow_2_adj = saturating_sub(
        saturating_rounding_multiply_by_pot(input_integer_bits - z_b_headroom, 31 - accum_bits),
        shifted_quarter,
    );

    let r = r_a_raw.min(r_b_raw);
    let z_pow_2_adj = z_a_pow_2_adj.max(z_b_pow_2_adj);

    let p = rounding_half_sum(r, SQRT_SQRT_HALF);
    let mut q = r.wrapping_sub(SQRT_SQRT_HALF);
    q = q.wrapping_add(q);

    let common_sq = fmul(q, q);
    let num = fmul(q, r).wrapping_add(fmul(fmul(q, common_sq), ALPHA_N));
    let denom_minus_one_0 = fmul(
        p,
        ALPHA_I
            .wrapping_add(q)
            .wrapping_add(fmul(ALPHA_D, common_sq)),
    )
    .wrapping_add(fmul(ALPHA_F, q));
    let recip_denom = one_over_one_plus_x_for_x_in_0_1(denom_minus_one_0);

    let num_scaled = rescale(num, 0, accum_bits);
    // z_pow_2_adj (accum bits) * log_2 (0 bits) and num_scaled (accum) * recip (0) are both
    // `accum_bits` values.
    rescale(
        fmul(z_pow_2_adj, LOG_2).wrapping_add(fmul(num_scaled, recip_denom)),
        accum_bits,
        output_integer_bits,
    )
}

/// TFLite `SaturatingAddNonGemmlowp` for `int32_t`.
#[inline]
fn saturating_add(a: i32, b: i32) -> i32 {
    a.saturating_add(b)
}

/// TFLite `SaturatingSub` for `int32_t`.
#[inline]
fn saturating_sub(a: i32, b: i32) -> i32 {
    a.saturating_sub(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frexp_matches_libm() {
        assert_eq!(frexp(1.0), (0.5, 1));
        assert_eq!(frexp(0.75), (0.75, 0));
        assert_eq!(frexp(-3.0), (-0.75, 2));
        assert_eq!(frexp(f64::MIN_POSITIVE / 4.0), (0.5, -1023));
    }

    #[test]
    fn quantize_multiplier_known_values() {
        assert_eq!(quantize_multiplier(0.5), (1 << 30, 0));
        assert_eq!(quantize_multiplier(1.0), (1 << 30, 1));
        assert_eq!(quantize_multiplier(0.25), (1 << 30, -1));
        assert_eq!(quantize_multiplier(0.0), (0, 0));
        // 0.75 = 0.75 * 2^0 -> round(0.75 * 2^31)
        assert_eq!(quantize_multiplier(0.75), (1_610_612_736, 0));
        // q just below 1 rounds up to 2^31: halve and bump the shift.
        assert_eq!(quantize_multiplier(1.0 - 1e-12), (1 << 30, 1));
        // Tiny multipliers flush to zero.
        assert_eq!(quantize_multiplier(1e-12), (0, 0));
        assert_eq!(quantize_multiplier(2f64.powi(-32)), (1 << 30, -31));
        assert_eq!(quantize_multiplier(-0.5), (-(1 << 30), 0));
    }

    #[test]
    fn srdhm_and_rounding_shift() {
        assert_eq!(
            saturating_rounding_doubling_high_mul(i32::MIN, i32::MIN),
            i32::MAX
        );
        assert_eq!(
            saturating_rounding_doubling_high_mul(1 << 30, 1 << 30),
            1 << 29
        );
        // 3 * 2^30 / 2^31 = 1.5 -> 2; -1.5 -> -1 (ties go toward +inf).
        assert_eq!(saturating_rounding_doubling_high_mul(3, 1 << 30), 2);
        assert_eq!(saturating_rounding_doubling_high_mul(-3, 1 << 30), -1);
        assert_eq!(saturating_rounding_doubling_high_mul(-5, 1 << 30), -2);
        assert_eq!(rounding_divide_by_pot(5, 1), 3);
        assert_eq!(rounding_divide_by_pot(-5, 1), -3);
        assert_eq!(rounding_divide_by_pot(4, 1), 2);
        assert_eq!(rounding_divide_by_pot(-7, 2), -2);
        assert_eq!(rounding_divide_by_pot(-6, 2), -2);
        assert_eq!(rounding_divide_by_pot(6, 2), 2);
        assert_eq!(rounding_divide_by_pot_i16(-6, 2), -2);
    }

    #[test]
    fn multiply_by_quantized_multiplier_known_values() {
        // x * 0.5
        assert_eq!(multiply_by_quantized_multiplier(100, 1 << 30, 0), 50);
        assert_eq!(multiply_by_quantized_multiplier(101, 1 << 30, 0), 51);
        assert_eq!(multiply_by_quantized_multiplier(-101, 1 << 30, 0), -50);
        // ... while the rounding shift rounds ties away from zero: -6 * 0.25 = -1.5 -> -2.
        assert_eq!(multiply_by_quantized_multiplier(-6, 1 << 30, -1), -2);
        // x * 0.25 via shift -1; 3 * 0.25 = 0.75 -> 1.
        assert_eq!(multiply_by_quantized_multiplier(3, 1 << 30, -1), 1);
        // x * 2
        assert_eq!(multiply_by_quantized_multiplier(7, 1 << 30, 2), 14);
        // Double rounding: 5 * 0.375 = 1.875 -> SRDHM(5, 0.75) = 3.75 -> 4, 4/2 = 2.
        let (m, s) = quantize_multiplier(0.375);
        assert_eq!((m, s), (1_610_612_736, -1));
        assert_eq!(multiply_by_quantized_multiplier(5, m, s), 2);
        // A case where double rounding differs from exact rounding: x = 1, M = 0.5 * 0.75
        // exact 0.375 -> 0, double-rounded SRDHM(1, 0.75) = 1, then 1/2 -> 1 (tie away).
        assert_eq!(multiply_by_quantized_multiplier(1, m, s), 1);
        assert_eq!(multiply_by_quantized_multiplier(-1, m, s), -1);
    }

    #[test]
    fn input_radius_and_softmax_scaling() {
        // kScaledDiffIntegerBits = 5, left shift 0: (2^5 - 1) * 2^26.
        assert_eq!(calculate_input_radius(5, 0, 31), 31 << 26);
        assert_eq!(calculate_input_radius(5, 26, 31), 31);
        assert_eq!(calculate_input_radius(4, 20, 31), 15 * 128);
        // beta * scale * 2^26 = 0.5 * 2^26 = 2^25 -> q = 2^30, shift 26
        assert_eq!(preprocess_softmax_scaling(1.0, 0.5, 5), (1 << 30, 26));
        assert_eq!(down_scale_int32_to_int16_multiplier(1 << 30), 1 << 14);
        assert_eq!(down_scale_int32_to_int16_multiplier(i32::MAX), i16::MAX);
    }

    fn to_f(raw: i32, bits: i32) -> f64 {
        raw as f64 / 2f64.powi(31 - bits)
    }

    #[test]
    fn transcendental_helpers_are_accurate() {
        for &v in &[-0.01f64, -0.2, -1.0, -2.5, -7.0, -15.0] {
            let raw = (v * 2f64.powi(26)) as i32; // Q5.26
            let e = to_f(exp_on_negative_values(raw, 5), 0);
            assert!((e - v.exp()).abs() < 1e-6, "exp({v}) = {e}");
        }
        assert_eq!(exp_on_negative_values(0, 5), i32::MAX);
        for &v in &[0.0f64, 0.1, 0.5, 0.9] {
            let raw = (v * 2f64.powi(31)) as i32;
            let r = to_f(one_over_one_plus_x_for_x_in_0_1(raw), 0);
            assert!((r - 1.0 / (1.0 + v)).abs() < 1e-6, "1/(1+{v}) = {r}");
            let r = to_f(one_minus_x_over_one_plus_x_for_x_in_0_1(raw), 0);
            assert!((r - (1.0 - v) / (1.0 + v)).abs() < 1e-6);
        }
        for &v in &[-6.0f64, -1.0, -0.3, 0.0, 0.3, 1.0, 6.0] {
            let raw = (v * 2f64.powi(27)) as i32; // Q4.27
            let t = to_f(tanh(raw, 4), 0);
            assert!((t - v.tanh()).abs() < 1e-6, "tanh({v}) = {t}");
            let l = to_f(logistic(raw, 4), 0);
            assert!(
                (l - 1.0 / (1.0 + (-v).exp())).abs() < 1e-6,
                "logistic({v}) = {l}"
            );
        }
        for &v in &[1.0f64, 1.5, 3.0, 100.0, 4000.0] {
            let raw = (v * 2f64.powi(19)) as i32; // Q12.19
            let l = to_f(log_x_for_x_greater_than_or_equal_to_1(raw, 12, 5), 5);
            assert!((l - v.ln()).abs() < 1e-5, "ln({v}) = {l}");
        }
        // 1/1.25 = 0.8 with no extra bits over unit.
        let (s, bits) = get_reciprocal(5 << 17, 12); // 1.25 in Q12.19
        assert_eq!(bits, 0);
        assert!((to_f(s, 0) - 0.8).abs() < 1e-6);
    }
}
