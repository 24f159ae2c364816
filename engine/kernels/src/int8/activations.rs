//! Int8 SOFTMAX, LOG_SOFTMAX, LOGISTIC and TANH as LiteRT's `BUILTIN_REF` resolver runs them.
//!
//! Which path the reference registration takes (LiteRT activations.cc, `kReference`):
//! * SOFTMAX int8 → int8: `reference_ops::Softmax` (gemmlowp fixed point; params from
//!   `PreprocessSoftmaxScaling` with 5 integer bits and `diff_min = -CalculateInputRadius`).
//! * LOG_SOFTMAX int8: `reference_integer_ops::LogSoftmax` (fixed point, output scale 16/256, zp
//!   127; params from `PreprocessLogSoftmaxScalingExp`).
//! * LOGISTIC and TANH int8: **a 256-entry lookup table** built at prepare time from float math
//!   (`LUTPopulate<int8_t>` with `1/(1+expf(-x))` resp. `tanhf(x)`), even in the reference kernel;
//!   the fixed-point `reference_integer_ops::Logistic`/`Tanh` are only used by TFLite Micro. Both
//!   are provided here: [`logistic`]/[`tanh`] are the LiteRT twins, [`logistic_fixed_point`] /
//!   [`tanh_fixed_point`] the Micro ones.

use super::fixed::{
    calculate_input_radius, exp_on_negative_values, frexp, get_reciprocal,
    log_x_for_x_greater_than_or_equal_to_1, logistic as fp_logistic,
    multiply_by_quantized_multiplier, multiply_by_quantized_multiplier_greater_than_one,
    preprocess_log_softmax_scaling_exp, preprocess_softmax_scaling, rescale,
    rounding_divide_by_pot, saturating_rounding_doubling_high_mul, tanh as fp_tanh,
};

/// Integer bits of the scaled input difference (`kScaledDiffIntegerBits`).
const SCALED_DIFF_INTEGER_BITS: i32 = 5;
/// Integer bits of the sum of exponentials (`kAccumulationIntegerBits`).
const ACCUMULATION_INTEGER_BITS: i32 = 12;

/// Int8 softmax parameters (`SoftmaxParams` fields set by LiteRT's `SoftmaxPrepare<kReference>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SoftmaxParams {
    /// Quantized `beta · s_in · 2^26` (capped at `2^31 − 1`).
    pub input_multiplier: i32,
    /// Its left shift.
    pub input_left_shift: i32,
    /// Differences to the row max below this give 0 probability (output −128).
    pub diff_min: i32,
}

impl SoftmaxParams {
    /// LiteRT `SoftmaxPrepare<kReference>` for int8: `PreprocessSoftmaxScaling((double)beta,
    /// (double)s_in, 5)`, `diff_min = -CalculateInputRadius(5, left_shift)`.
    pub fn new(input_scale: f32, beta: f32) -> Self {
        let (input_multiplier, input_left_shift) =
            preprocess_softmax_scaling(beta as f64, input_scale as f64, SCALED_DIFF_INTEGER_BITS);
        let diff_min = -calculate_input_radius(SCALED_DIFF_INTEGER_BITS, input_left_shift, 31);
        Self {
            input_multiplier,
            input_left_shift,
            diff_min,
        }
    }
}

/// `reference_ops::Softmax<int8_t, int8_t>` over rows of `depth` elements (the last axis).
/// Output has scale 1/256 and zero point −128.
pub fn softmax(x: &[i8], depth: usize, p: &SoftmaxParams, out: &mut [i8]) {
    debug_assert_eq!(out.len(), x.len());
    if depth == 0 {
        out.fill(0);
        return;
    }
    for (row, orow) in x.chunks(depth).zip(out.chunks_mut(depth)) {
        let max_in_row = row.iter().copied().max().unwrap_or(i8::MIN) as i32;
        let scaled_exp = |v: i8| -> Option<i32> {
            let diff = v as i32 - max_in_row;
            (diff >= p.diff_min).then(|| {
                let rescaled = multiply_by_quantized_multiplier_greater_than_one(
                    diff,
                    p.input_multiplier,
                    p.input_left_shift,
                );
                exp_on_negative_values(rescaled, SCALED_DIFF_INTEGER_BITS)
            })
        };
        let mut sum_of_exps = 0i32;
        for &v in row {
            if let Some(e) = scaled_exp(v) {
                sum_of_exps = sum_of_exps.wrapping_add(rescale(e, 0, ACCUMULATION_INTEGER_BITS));
            }
        }
        let (shifted_scale, num_bits_over_unit) =
            get_reciprocal(sum_of_exps, ACCUMULATION_INTEGER_BITS);
        // Rows whose exponentials sum to 512 or more (near-equal logits over hundreds of
        // classes) give an exponent above 31, where gemmlowp's RoundingDivideByPOT asserts
        // (LiteRT's BUILTIN_REF aborts the process): the division is then done as intended,
        // in 64 bits.
        let exponent = num_bits_over_unit + 31 - 8;
        for (&v, o) in row.iter().zip(orow.iter_mut()) {
            *o = match scaled_exp(v) {
                Some(e) => {
                    let unsat = rounding_divide_by_pot_wide(
                        saturating_rounding_doubling_high_mul(shifted_scale, e),
                        exponent,
                    );
                    (unsat + i8::MIN as i32).clamp(i8::MIN as i32, i8::MAX as i32) as i8
                }
                None => i8::MIN,
            };
        }
    }
}

/// gemmlowp's `RoundingDivideByPOT` (round half away from zero) for any exponent ≥ 0.
fn rounding_divide_by_pot_wide(x: i32, exponent: i32) -> i32 {
    if exponent <= 31 {
        return rounding_divide_by_pot(x, exponent);
    }
    let e = exponent.min(62);
    let x = x as i64;
    let mask = (1i64 << e) - 1;
    let threshold = (mask >> 1) + i64::from(x < 0);
    ((x >> e) + i64::from((x & mask) > threshold)) as i32
}

/// Int8 SOFTMAX as LiteRT's default CPU path runs it (`optimized_ops::Softmax` with the float
/// table of `PopulateSoftmaxLookupTable`; XNNPACK does not take int8 softmax): `table[255 - d] =
/// expf(-s_in · beta · d)` for a difference `d` to the row max, the row's sum of table entries in
/// f32 (in order), and each output `round(e / (sum · s_out)) + zp`, clamped. It differs from
/// [`softmax`] where probabilities sit near a rounding boundary (a 1000-class row of near-equal
/// logits: the fixed point gives −127 where this gives −128).
pub fn softmax_float_table(
    x: &[i8],
    depth: usize,
    input_scale: f32,
    beta: f32,
    output_scale: f32,
    output_zero_point: i32,
    out: &mut [i8],
) {
    debug_assert_eq!(out.len(), x.len());
    if depth == 0 {
        out.fill(0);
        return;
    }
    let scale = -input_scale * beta;
    let mut table = [0f32; 256];
    for d in 0..=255i32 {
        table[(255 - d) as usize] = (scale * d as f32).exp();
    }
    for (row, orow) in x.chunks(depth).zip(out.chunks_mut(depth)) {
        let max = row.iter().copied().max().unwrap_or(i8::MIN) as i32;
        // Entry of element v: table[255 - max + v] (LiteRT offsets the table by the max).
        let at = |v: i8| table[(255 - max + v as i32) as usize];
        let mut sum = 0f32;
        for &v in row {
            sum += at(v);
        }
        let inv = 1.0 / (sum * output_scale);
        for (&v, o) in row.iter().zip(orow.iter_mut()) {
            let q = (at(v) * inv).round() as i32 + output_zero_point;
            *o = q.clamp(i8::MIN as i32, i8::MAX as i32) as i8;
        }
    }
}

/// Int8 log-softmax parameters (LiteRT `LogSoftmaxPrepare<kReference>`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogSoftmaxParams {
    /// Quantized `s_in · 2^26` (beta = 1).
    pub input_multiplier: i32,
    /// Its left shift.
    pub input_left_shift: i32,
    /// Quantized reverse scaling divisor `2^(31 − left_shift) / input_multiplier`.
    pub reverse_scaling_divisor: i32,
    /// Its right shift (the negated `reverse_scaling_left_shift`).
    pub reverse_scaling_right_shift: i32,
    /// `-CalculateInputRadius(5, left_shift)`.
    pub diff_min: i32,
}

impl LogSoftmaxParams {
    /// LiteRT `LogSoftmaxPrepare<kReference>` (int8; output must be scale 16/256, zp 127).
    pub fn new(input_scale: f32) -> Self {
        let (m, ls, rd, rls) =
            preprocess_log_softmax_scaling_exp(1.0, input_scale as f64, SCALED_DIFF_INTEGER_BITS);
        Self {
            input_multiplier: m,
            input_left_shift: ls,
            reverse_scaling_divisor: rd,
            reverse_scaling_right_shift: -rls,
            diff_min: -calculate_input_radius(SCALED_DIFF_INTEGER_BITS, ls, 31),
        }
    }
}

/// `reference_integer_ops::LogSoftmax` (int8) over rows of `depth` elements. Output scale 16/256,
/// zero point 127.
pub fn log_softmax(x: &[i8], depth: usize, p: &LogSoftmaxParams, out: &mut [i8]) {
    const OUTPUT_ZERO_POINT: i32 = 127;
    const OUTPUT_INTEGER_BITS: i32 = 4;
    debug_assert_eq!(out.len(), x.len());
    if depth == 0 {
        out.fill(0);
        return;
    }
    for (row, orow) in x.chunks(depth).zip(out.chunks_mut(depth)) {
        let max_in_row = row.iter().copied().max().unwrap_or(i8::MIN) as i32;
        let mut sum_of_exps = 0i32; // Q12.19
        for &v in row {
            let diff = v as i32 - max_in_row;
            if diff >= p.diff_min {
                let d5 =
                    multiply_by_quantized_multiplier(diff, p.input_multiplier, p.input_left_shift);
                sum_of_exps = sum_of_exps.wrapping_add(rescale(
                    exp_on_negative_values(d5, SCALED_DIFF_INTEGER_BITS),
                    0,
                    ACCUMULATION_INTEGER_BITS,
                ));
            }
        }
        let log_sum = log_x_for_x_greater_than_or_equal_to_1(
            sum_of_exps,
            ACCUMULATION_INTEGER_BITS,
            SCALED_DIFF_INTEGER_BITS,
        );
        let shifted_log_sum = log_sum.wrapping_add(i32::MIN);
        let adjusted_diff_min = (p.diff_min - 1).max(multiply_by_quantized_multiplier(
            shifted_log_sum,
            p.reverse_scaling_divisor,
            -p.reverse_scaling_right_shift,
        ));
        for (&v, o) in row.iter().zip(orow.iter_mut()) {
            let diff = v as i32 - max_in_row;
            *o = if diff > adjusted_diff_min {
                let d5 =
                    multiply_by_quantized_multiplier(diff, p.input_multiplier, p.input_left_shift);
                let r = rounding_divide_by_pot(
                    d5.wrapping_sub(log_sum),
                    31 - SCALED_DIFF_INTEGER_BITS - OUTPUT_INTEGER_BITS,
                ) + OUTPUT_ZERO_POINT;
                r.clamp(i8::MIN as i32, i8::MAX as i32) as i8
            } else {
                i8::MIN
            };
        }
    }
}

/// TFLite `LUTPopulate<int8_t>`: table indexed by `(u8)q` of
/// `clamp((int)(round(f(s_in · (q − z_in)) · (1/s_out)) + z_out))`, all in f32.
pub fn lut_populate(
    input_scale: f32,
    input_zp: i32,
    output_scale: f32,
    output_zp: i32,
    f: impl Fn(f32) -> f32,
) -> [i8; 256] {
    let inverse_scale = 1.0f32 / output_scale;
    let mut lut = [0i8; 256];
    for val in i8::MIN as i32..=i8::MAX as i32 {
        let dequantized = input_scale * (val - input_zp) as f32;
        let rescaled = (f(dequantized) * inverse_scale).round();
        let quantized = (rescaled + output_zp as f32) as i32;
        lut[val as i8 as u8 as usize] = quantized.clamp(i8::MIN as i32, i8::MAX as i32) as i8;
    }
    lut
}

/// `reference_integer_ops::LookupTable` / `LUTLookup` (int8) into `out` (as long as `x`).
pub fn lut_lookup(x: &[i8], lut: &[i8; 256], out: &mut [i8]) {
    debug_assert_eq!(out.len(), x.len());
    for (o, &v) in out.iter_mut().zip(x) {
        *o = lut[v as u8 as usize];
    }
}

/// LiteRT `SigmoidPrepare`/`SigmoidEval` for int8 (both kReference and kGenericOptimized): LUT of
/// `1 / (1 + expf(−x))`. The output is expected at scale 1/256, zero point −128.
pub fn logistic(
    x: &[i8],
    input_scale: f32,
    input_zp: i32,
    output_scale: f32,
    output_zp: i32,
    out: &mut [i8],
) {
    let lut = lut_populate(input_scale, input_zp, output_scale, output_zp, |v| {
        1.0 / (1.0 + (-v).exp())
    });
    lut_lookup(x, &lut, out);
}

/// LiteRT `TanhPrepare`/`TanhEval` for int8 (kReference and kGenericOptimized): LUT of `tanhf(x)`.
/// The output is expected at scale 1/128, zero point 0.
pub fn tanh(
    x: &[i8],
    input_scale: f32,
    input_zp: i32,
    output_scale: f32,
    output_zp: i32,
    out: &mut [i8],
) {
    let lut = lut_populate(input_scale, input_zp, output_scale, output_zp, f32::tanh);
    lut_lookup(x, &lut, out);
}

/// Parameters of the fixed-point int8 logistic/tanh kernels (TFLite Micro
/// `CalculateArithmeticOpDataLogistic` / tanh `CalculateArithmeticOpData`, 4 integer bits).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FixedPointActParams {
    /// Input zero point.
    pub input_zero_point: i32,
    /// `|x − zp|` at or beyond this saturates the output.
    pub input_range_radius: i32,
    /// `round(frexp(s_in · 2^27).mantissa · 2^31)`.
    pub input_multiplier: i32,
    /// `frexp(s_in · 2^27).exponent` (a left shift when positive).
    pub input_left_shift: i32,
}

impl FixedPointActParams {
    /// `input_real_multiplier = (double)s_in · 2^(31−4)`; `(q, shift) = frexp(..)`;
    /// `multiplier = (int32)round(q · 2^31)` (saturated here; the C++ has no carry handling);
    /// `radius = CalculateInputRadius(4, shift, 31)`.
    pub fn new(input_scale: f32, input_zp: i32) -> Self {
        const INPUT_INTEGER_BITS: i32 = 4;
        let real = input_scale as f64 * (1i64 << (31 - INPUT_INTEGER_BITS)) as f64;
        let (q, shift) = frexp(real);
        let m = (q * (1i64 << 31) as f64).round();
        Self {
            input_zero_point: input_zp,
            input_range_radius: calculate_input_radius(INPUT_INTEGER_BITS, shift, 31),
            input_multiplier: m.clamp(i32::MIN as f64, i32::MAX as f64) as i32,
            input_left_shift: shift,
        }
    }
}

/// `reference_integer_ops::Logistic` (int8, fixed point; TFLite Micro's kernel). Output scale
/// 1/256, zero point −128.
pub fn logistic_fixed_point(x: &[i8], p: &FixedPointActParams, out: &mut [i8]) {
    debug_assert_eq!(out.len(), x.len());
    for (o, &v) in out.iter_mut().zip(x) {
        *o = {
            let input = v as i32 - p.input_zero_point;
            if input <= -p.input_range_radius {
                i8::MIN
            } else if input >= p.input_range_radius {
                i8::MAX
            } else {
                let q4 =
                    multiply_by_quantized_multiplier(input, p.input_multiplier, p.input_left_shift);
                let q0 = fp_logistic(q4, 4);
                let r = rounding_divide_by_pot(q0, 31 - 8) + i8::MIN as i32;
                r.clamp(i8::MIN as i32, i8::MAX as i32) as i8
            }
        };
    }
}

/// `reference_integer_ops::Tanh` (int8, fixed point; TFLite Micro's kernel). Output scale 1/128,
/// zero point 0.
pub fn tanh_fixed_point(x: &[i8], p: &FixedPointActParams, out: &mut [i8]) {
    debug_assert_eq!(out.len(), x.len());
    for (o, &v) in out.iter_mut().zip(x) {
        *o = {
            let input = v as i32 - p.input_zero_point;
            if input <= -p.input_range_radius {
                i8::MIN
            } else if input >= p.input_range_radius {
                i8::MAX
            } else {
                let q4 =
                    multiply_by_quantized_multiplier(input, p.input_multiplier, p.input_left_shift);
                let q0 = fp_tanh(q4, 4);
                rounding_divide_by_pot(q0, 31 - 7).clamp(i8::MIN as i32, i8::MAX as i32) as i8
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A buffer of `n` stale bytes: every one must be overwritten.
    fn stale(n: usize) -> Vec<i8> {
        vec![0x55; n]
    }

    // The kernels into a buffer the test allocates (these shadow the glob import).
    fn softmax(x: &[i8], depth: usize, p: &SoftmaxParams) -> Vec<i8> {
        let mut out = stale(x.len());
        super::softmax(x, depth, p, &mut out);
        out
    }

    fn log_softmax(x: &[i8], depth: usize, p: &LogSoftmaxParams) -> Vec<i8> {
        let mut out = stale(x.len());
        super::log_softmax(x, depth, p, &mut out);
        out
    }

    fn logistic(x: &[i8], si: f32, zi: i32, so: f32, zo: i32) -> Vec<i8> {
        let mut out = stale(x.len());
        super::logistic(x, si, zi, so, zo, &mut out);
        out
    }

    fn tanh(x: &[i8], si: f32, zi: i32, so: f32, zo: i32) -> Vec<i8> {
        let mut out = stale(x.len());
        super::tanh(x, si, zi, so, zo, &mut out);
        out
    }

    fn logistic_fixed_point(x: &[i8], p: &FixedPointActParams) -> Vec<i8> {
        let mut out = stale(x.len());
        super::logistic_fixed_point(x, p, &mut out);
        out
    }

    fn tanh_fixed_point(x: &[i8], p: &FixedPointActParams) -> Vec<i8> {
        let mut out = stale(x.len());
        super::tanh_fixed_point(x, p, &mut out);
        out
    }

    /// A 1000-class row of equal logits: each probability is 1/1000, 0.256 of the output's
    /// 1/256 step, so both forms give −128 everywhere (the fixed point's exponent is 33 there,
    /// beyond gemmlowp's 31; clamping it to 31 gave −127). The float-table form puts a row
    /// with one dominant logit at 127.
    #[test]
    fn wide_rows_divide_as_intended() {
        let x = vec![3i8; 1000];
        let p = SoftmaxParams::new(0.005, 1.0);
        assert!(softmax(&x, 1000, &p).iter().all(|&v| v == -128));
        let mut out = stale(1000);
        softmax_float_table(&x, 1000, 0.005, 1.0, 1.0 / 256.0, -128, &mut out);
        assert!(out.iter().all(|&v| v == -128));
        let mut y = vec![-128i8; 10];
        y[4] = 127;
        let mut out = stale(10);
        softmax_float_table(&y, 10, 0.5, 1.0, 1.0 / 256.0, -128, &mut out);
        assert_eq!(out[4], 127);
        assert!(out.iter().enumerate().all(|(i, &v)| i == 4 || v == -128));
    }

    /// Empty inputs and zero-size rows.
    #[test]
    fn zero_size_dimensions() {
        let p = SoftmaxParams::new(0.1, 1.0);
        let lp = LogSoftmaxParams::new(0.1);
        for depth in [0, 3] {
            assert!(softmax(&[], depth, &p).is_empty());
            assert!(log_softmax(&[], depth, &lp).is_empty());
        }
        assert!(logistic(&[], 0.1, 0, 1.0 / 256.0, -128).is_empty());
        assert!(tanh_fixed_point(&[], &FixedPointActParams::new(0.05, 3)).is_empty());
    }

    #[test]
    fn softmax_of_equal_inputs_is_uniform() {
        let p = SoftmaxParams::new(0.1, 1.0);
        for depth in [1usize, 2, 4, 10] {
            let y = softmax(&vec![17i8; depth], depth, &p);
            let q: Vec<i32> = y.iter().map(|&v| v as i32 + 128).collect();
            assert!(q.iter().all(|&v| v == q[0]));
            let total: i32 = q.iter().sum();
            assert!(
                (total - 256).abs() <= depth as i32,
                "depth {depth}: {total}"
            );
        }
        // A single element gets probability 1 -> saturates at 127 (255/256).
        assert_eq!(softmax(&[5], 1, &p), vec![127]);
    }

    #[test]
    fn softmax_tracks_float() {
        let scale = 0.05f32;
        let p = SoftmaxParams::new(scale, 1.0);
        let x: Vec<i8> = vec![-100, -20, 0, 10, 30, 127, -128, 64];
        let y = softmax(&x, x.len(), &p);
        let m = x.iter().map(|&v| v as f32 * scale).fold(f32::MIN, f32::max);
        let e: Vec<f32> = x.iter().map(|&v| (v as f32 * scale - m).exp()).collect();
        let s: f32 = e.iter().sum();
        for (&ei, &yi) in e.iter().zip(&y) {
            let expect = ei / s * 256.0 - 128.0;
            assert!((yi as f32 - expect).abs() <= 1.0, "{yi} vs {expect}");
        }
    }

    #[test]
    fn softmax_diff_min_cuts_off() {
        // Huge scale: anything but the max is far below diff_min.
        let p = SoftmaxParams::new(10.0, 1.0);
        assert_eq!(softmax(&[0, 50, -3], 3, &p), vec![-128, 127, -128]);
    }

    #[test]
    fn log_softmax_tracks_float() {
        let scale = 0.1f32;
        let p = LogSoftmaxParams::new(scale);
        let x: Vec<i8> = vec![-50, 0, 10, 20, 25, -128];
        let y = log_softmax(&x, x.len(), &p);
        let m = x.iter().map(|&v| v as f32 * scale).fold(f32::MIN, f32::max);
        let s: f32 = x.iter().map(|&v| (v as f32 * scale - m).exp()).sum();
        for (&xi, &yi) in x.iter().zip(&y) {
            let l = xi as f32 * scale - m - s.ln();
            let expect = (l * 16.0 + 127.0).max(-128.0);
            assert!((yi as f32 - expect).abs() <= 1.0, "{yi} vs {expect}");
        }
    }

    #[test]
    fn lut_logistic_and_tanh() {
        let x = [0i8, 127, -128, 10];
        // s_in = 0.1, zp 0: logistic(0) = 0.5 -> 128 - 128 = 0.
        let y = logistic(&x, 0.1, 0, 1.0 / 256.0, -128);
        assert_eq!(y[0], 0);
        assert_eq!(y[1], 127);
        assert_eq!(y[2], -128);
        // logistic(1.0) = 0.7311 -> round(187.16) = 187 - 128 = 59
        assert_eq!(y[3], 59);
        let y = tanh(&x, 0.1, 0, 1.0 / 128.0, 0);
        // tanh(1.0) = 0.76159 -> round(97.48) = 97
        assert_eq!(y, vec![0, 127, -128, 97]);
    }

    #[test]
    fn fixed_point_logistic_and_tanh_track_float() {
        let p = FixedPointActParams::new(0.05, 3);
        let x: Vec<i8> = (-128..=127).map(|v| v as i8).collect();
        let yl = logistic_fixed_point(&x, &p);
        let yt = tanh_fixed_point(&x, &p);
        for ((&q, &l), &t) in x.iter().zip(&yl).zip(&yt) {
            let f = 0.05 * (q as i32 - 3) as f32;
            let el = (256.0 / (1.0 + (-f).exp()) - 128.0).clamp(-128.0, 127.0);
            let et = (128.0 * f.tanh()).clamp(-128.0, 127.0);
            assert!((l as f32 - el).abs() <= 1.0, "logistic {f}: {l} vs {el}");
            assert!((t as f32 - et).abs() <= 1.0, "tanh {f}: {t} vs {et}");
        }
    }

    /// Vectors recorded from `ai_edge_litert` 2.3.0 with `OpResolverType.BUILTIN_REF`.
    #[test]
    fn litert_reference_vectors() {
        let x = [
            -114, -48, -88, -27, 65, 92, -120, -91, 126, 28, 8, 93, -79, -13, 0, -33, -6, 126, 76,
            15, -7,
        ];
        let p = SoftmaxParams::new(0.031167682, 2.0);
        let want = [
            -128, -128, -128, -128, -88, 88, -128, -128, 98, -127, -128, -99, -128, -128, -128,
            -128, -128, 117, -117, -128, -128,
        ];
        assert_eq!(softmax(&x, 7, &p), want);
        let x = [54, 48, 33, 34, 10, -66, 79, 5, -117, 30];
        let p = LogSoftmaxParams::new(0.03512957);
        assert_eq!(
            log_softmax(&x, 5, &p),
            [109, 106, 98, 98, 85, 42, 123, 82, 13, 96]
        );
    }
}
