//! The `litert` numerics: int8 kernels bit-exact with LiteRT's default CPU path on x86-64 —
//! the XNNPACK delegate for the ops it takes (learned from XNNPACK's public sources: its fp32
//! requantization, `qs8-vadd`/`qs8-vmul`, `qs8-vcvt`, `qs8-vlrelu`, `s8-ibilinear`, the
//! reduce operator and the lookup tables its unary operators build from float reference math),
//! LiteRT's optimized builtins for the rest (their integer arithmetic is the reference's, so
//! those ops keep the [`crate::int8`] kernels).
//!
//! * [`params`]: the parameter structs, each mirroring XNNPACK's `xnn_init_*_params` from the
//!   f32 tensor scales (float, never double, products).
//! * [`elementwise`]: ADD, SUB, MUL with NumPy broadcasting (rows, not elements, are the unit).
//! * [`unary`]: QUANTIZE (f32 → int8 and int8 → int8), LEAKY_RELU, lookup tables (LOGISTIC,
//!   TANH, ELU).
//! * [`reduce`]: MEAN and SUM, RESIZE_BILINEAR.
//!
//! Convolutions, depthwise convolutions and fully connected layers share the reference
//! accumulation and the fast GEMM/depthwise kernels; only the last step differs:
//! [`requantize_f32`] through [`crate::int8::params::ConvQuant::float_scales`] and
//! [`crate::table::FcScales::Float`].
//!
//! Arm builds of XNNPACK round some of these (the `rndnu` variants): not verified here.

pub mod elementwise;
pub mod params;
pub mod reduce;
pub mod unary;

/// `12582912.0` (1.5·2^23): adding it to a float of magnitude < 2^22 leaves the integer,
/// rounded to nearest even, in the low mantissa bits (XNNPACK's "magic bias").
const MAGIC: f32 = 12582912.0;

/// Round to nearest, ties to even, of `v` with `|v| < 2^22` (XNNPACK's `fmagic` rounding; the
/// same result as `lrintf` under the default rounding mode).
#[inline(always)]
pub(crate) fn round_even_small(v: f32) -> i32 {
    (v + MAGIC).to_bits() as i32 - 0x4B40_0000
}

/// XNNPACK's fp32 requantization of one accumulator: `acc` to f32 (nearest even), times
/// `scale`, clamped to `[lo − zp, hi − zp]`, rounded to nearest even, plus `zp`.
#[inline(always)]
pub fn requantize_f32(acc: i32, scale: f32, zp: i32, lo: i32, hi: i32) -> i8 {
    let f = (acc as f32 * scale)
        .max((lo - zp) as f32)
        .min((hi - zp) as f32);
    (round_even_small(f) + zp) as i8
}

/// Int8 FULLY_CONNECTED with XNNPACK's fp32 requantization (`scales[u] = s_in·s_w[u]/s_out` in
/// f32): the reference twin of the `litert` entry of [`crate::Kernels::q_fully_connected`].
/// The accumulator is int32 with wrapping adds, as XNNPACK's.
pub fn fully_connected(
    (x, w, bias, (batches, depth, units)): (&[i8], &[i8], Option<&[i32]>, (usize, usize, usize)),
    input_offset: i32,
    scales: &[f32],
    output_offset: i32,
    (lo, hi): (i32, i32),
    out: &mut [i8],
) {
    debug_assert_eq!(out.len(), batches * units);
    for b in 0..batches {
        let xr = &x[b * depth..(b + 1) * depth];
        for u in 0..units {
            let wr = &w[u * depth..(u + 1) * depth];
            let mut acc = bias.map_or(0, |bv| bv[u]);
            for (&xv, &wv) in xr.iter().zip(wr) {
                acc = acc.wrapping_add(wv as i32 * (xv as i32 + input_offset));
            }
            out[b * units + u] = requantize_f32(acc, scales[u], output_offset, lo, hi);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_rounding_is_round_half_to_even() {
        for (v, want) in [
            (0.5f32, 0),
            (1.5, 2),
            (2.5, 2),
            (-0.5, 0),
            (-1.5, -2),
            (-2.5, -2),
            (126.49, 126),
            (-127.7, -128),
        ] {
            assert_eq!(round_even_small(v), want, "{v}");
            assert_eq!(v.round_ties_even() as i32, want, "{v}");
        }
    }

    #[test]
    fn fp32_requantization_by_hand() {
        // 10 · 0.25 = 2.5 → 2 (ties to even; the reference's double rounding gives 3).
        assert_eq!(requantize_f32(10, 0.25, 0, -128, 127), 2);
        assert_eq!(requantize_f32(14, 0.25, 0, -128, 127), 4);
        assert_eq!(requantize_f32(-10, 0.25, 5, -128, 127), 3);
        // Clamped before rounding, to the fused range.
        assert_eq!(requantize_f32(i32::MAX, 1.0, -3, -128, 100), 100);
        assert_eq!(requantize_f32(i32::MIN, 1.0, -3, -20, 100), -20);
    }
}
