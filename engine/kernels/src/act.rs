//! Activation functions, applied in place.

/// A fused or standalone activation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Act {
    /// Identity.
    None,
    /// Clamp to `[lo, hi]` (RELU, RELU6, RELU_N1_TO_1).
    Clamp(f32, f32),
    /// tanh.
    Tanh,
}

impl Act {
    /// Apply to one value.
    #[inline]
    pub fn apply(self, x: f32) -> f32 {
        match self {
            Act::None => x,
            Act::Clamp(lo, hi) => x.max(lo).min(hi),
            Act::Tanh => x.tanh(),
        }
    }

    /// Apply to a slice in place.
    pub fn apply_slice(self, v: &mut [f32]) {
        match self {
            Act::None => {}
            Act::Clamp(lo, hi) => v.iter_mut().for_each(|x| *x = x.max(lo).min(hi)),
            Act::Tanh => v.iter_mut().for_each(|x| *x = x.tanh()),
        }
    }
}

/// Logistic sigmoid, through [`exp_lanes`] so that a loop over it vectorizes (libm's `expf` is
/// a call per element: it was 47% of EfficientNet-B0's float time). Within 2e-7 relative of
/// `1 / (1 + exp(-x))` in f64 (test below); LiteRT's XNNPACK uses its own approximation too.
#[inline(always)]
pub fn logistic(x: f32) -> f32 {
    1.0 / (1.0 + exp_lanes(-x))
}

/// [`logistic`] over a slice, in place (the kernel table's reference entry).
#[inline(always)]
pub fn logistic_slice(v: &mut [f32]) {
    v.iter_mut().for_each(|x| *x = logistic(*x));
}

/// `e^x` in straight-line f32 arithmetic the compiler vectorizes: `x = n·ln 2 + r`, Cephes'
/// degree-5 polynomial for `e^r` on `[−ln 2/2, ln 2/2]`, `2^n` built in the exponent bits (no
/// float-to-int conversion: `n` is read from the bits of the rounding sum). The input is
/// clamped to `[−87.3, 88]` (normal results only: `e^−100` gives 1.2e−38 rather than a
/// subnormal); NaN stays NaN. For activations; the EXP op keeps libm's `expf`.
#[inline(always)]
pub fn exp_lanes(x: f32) -> f32 {
    const LOG2E: f32 = std::f32::consts::LOG2_E;
    const LN2_HI: f32 = 0.693_359_4;
    const LN2_LO: f32 = -2.121_944_4e-4;
    // Adding 1.5·2^23 rounds to the nearest integer (ties to even) and leaves it in the low
    // mantissa bits: the sum's bits are 0x4B40_0000 + n.
    const ROUND: f32 = 12_582_912.0;
    let x = x.clamp(-87.336_54, 88.0);
    let t = x * LOG2E + ROUND;
    let n = t - ROUND;
    let r = x - n * LN2_HI - n * LN2_LO;
    let p = 1.987_569_1e-4;
    let p = p * r + 1.398_199_9e-3;
    let p = p * r + 8.333_452e-3;
    let p = p * r + 4.166_579_6e-2;
    let p = p * r + 1.666_666_5e-1;
    let p = p * r + 5.000_000_1e-1;
    let e = p * r * r + r + 1.0;
    // n is in [-126, 127] after the clamp.
    let ni = (t.to_bits() as i32).wrapping_sub(0x4B40_0000);
    e * f32::from_bits((ni.wrapping_add(127) as u32) << 23)
}

/// GELU, exact form `0.5 x erfc(-x / √2)`, in straight-line f32 arithmetic the compiler
/// vectorizes (libm-free: the f64 `erfc` per element was 65% of ConvNeXt-tiny's float time).
/// `erfc(|z|) = t·exp(−z² + P(t))`, `t = 1 / (1 + |z|/2)`, the Chebyshev fit of Numerical
/// Recipes' `erfcc` (fractional error below 1.2e−7 everywhere), through [`exp_lanes`]; for
/// `x ≥ 0`, `erfc(−z) = 2 − erfc(z)`. Against the f64 form (test below): 3e-6 relative for
/// |x| ≤ 5, 1e-4 relative in the far negative tail, 2e-7·max(1, |x|) absolute everywhere. The int8 GELU table keeps the f64 form.
#[inline(always)]
#[allow(
    clippy::excessive_precision,
    reason = "the fit's coefficients as published (they round to the same f32)"
)]
pub fn gelu_lanes(x: f32) -> f32 {
    let a = (x * std::f32::consts::FRAC_1_SQRT_2).abs();
    let t = 1.0 / (1.0 + 0.5 * a);
    let p = 0.170_872_77;
    let p = p * t - 0.822_152_23;
    let p = p * t + 1.488_515_9;
    let p = p * t - 1.135_203_9;
    let p = p * t + 0.278_868_07;
    let p = p * t - 0.186_288_06;
    let p = p * t + 0.096_784_18;
    let p = p * t + 0.374_091_96;
    let p = p * t + 1.000_023_7;
    let p = p * t - 1.265_512_2;
    let e = t * exp_lanes(p - a * a);
    let c = if x < 0.0 { e } else { 2.0 - e };
    0.5 * x * c
}

/// GELU, tanh approximation `0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³)))`, with
/// `1 + tanh(y) = 2 − 2 / (e^{2y} + 1)` through [`exp_lanes`] (vectorizes; libm's `tanhf`
/// is a call per element). Within 1e-6 of the f32 libm form, relative to max(1, |x|).
#[inline(always)]
pub fn gelu_tanh_lanes(x: f32) -> f32 {
    const K: f32 = 0.797_884_6; // √(2/π)
    let y = K * (x + 0.044_715 * x * x * x);
    let one_plus_tanh = 2.0 - 2.0 / (exp_lanes(2.0 * y) + 1.0);
    0.5 * x * one_plus_tanh
}

/// [`gelu_lanes`] (or [`gelu_tanh_lanes`] when `approximate`) over a slice (the kernel
/// table's reference entry).
#[inline(always)]
pub fn gelu_slice(x: &[f32], out: &mut [f32], approximate: bool) {
    debug_assert_eq!(x.len(), out.len());
    if approximate {
        out.iter_mut()
            .zip(x)
            .for_each(|(o, &v)| *o = gelu_tanh_lanes(v));
    } else {
        out.iter_mut().zip(x).for_each(|(o, &v)| *o = gelu_lanes(v));
    }
}

/// Hard swish: `x * relu6(x + 3) / 6`.
#[inline(always)]
pub fn hard_swish(x: f32) -> f32 {
    x * (x + 3.0).clamp(0.0, 6.0) / 6.0
}

/// [`hard_swish`] over a slice, in place (the kernel table's reference entry).
#[inline(always)]
pub fn hard_swish_slice(v: &mut [f32]) {
    v.iter_mut().for_each(|x| *x = hard_swish(*x));
}

#[cfg(test)]
mod tests {
    /// `exp_lanes` within 3e-7 relative of f64 `exp` over the range it keeps; the logistic
    /// within 3e-7 relative where it is above 1e-30, and its limits.
    #[test]
    fn exp_lanes_and_logistic_are_close_to_f64() {
        let (mut worst_e, mut worst_l) = (0f64, 0f64);
        let mut x = -90.0f32;
        while x < 90.0 {
            if x > -87.0 && x < 87.9 {
                let want = (x as f64).exp();
                worst_e = worst_e.max(((super::exp_lanes(x) as f64 - want) / want).abs());
            }
            let lw = 1.0 / (1.0 + (-(x as f64)).exp());
            if lw > 1e-30 {
                worst_l = worst_l.max(((super::logistic(x) as f64 - lw) / lw).abs());
            }
            x += 0.0017;
        }
        assert!(worst_e < 3e-7, "exp relative error {worst_e}");
        assert!(worst_l < 3e-7, "logistic relative error {worst_l}");
        assert!(super::logistic(f32::NAN).is_nan());
        assert_eq!(super::logistic(f32::INFINITY), 1.0);
        assert!(super::logistic(f32::NEG_INFINITY) < 1e-37);
    }

    /// Both GELU forms against their f64 / libm definitions over [-20, 20] and the limits.
    #[test]
    fn gelu_lanes_are_close_to_the_exact_forms() {
        let (mut worst, mut worst_tail, mut worst_tanh) = (0f64, 0f64, 0f64);
        let mut x = -20.0f32;
        while x < 20.0 {
            let want = crate::math::gelu(x) as f64;
            let got = super::gelu_lanes(x) as f64;
            let err = (got - want).abs();
            // 3e-6 relative for |x| <= 5; beyond, the exponent −x²/2 grows and its f32
            // rounding costs up to ~2e-5 relative: 1e-4 (and 1e-37 absolute where
            // `exp_lanes` stops at normal numbers). Absolute: 2e-7 max(1, |x|) everywhere.
            assert!(
                err <= 2e-7 * (x.abs() as f64).max(1.0),
                "gelu({x}) = {got}, want {want}"
            );
            if x.abs() <= 5.0 {
                worst = worst.max(err / want.abs().max(1e-45));
            } else {
                worst_tail = worst_tail.max((err - 1e-37).max(0.0) / want.abs().max(1e-45));
            }
            let want_t = crate::math::gelu_tanh(x) as f64;
            let got_t = super::gelu_tanh_lanes(x) as f64;
            worst_tanh = worst_tanh.max((got_t - want_t).abs() / (x.abs() as f64).max(1.0));
            x += 0.000_73;
        }
        assert!(worst_tail < 1e-4, "gelu tail relative error {worst_tail}");
        assert!(worst < 3e-6, "gelu relative error {worst}");
        assert!(worst_tanh < 1e-6, "gelu tanh error {worst_tanh}");
        assert_eq!(super::gelu_lanes(0.0), 0.0);
        assert!(super::gelu_lanes(f32::NAN).is_nan());
        assert_eq!(super::gelu_lanes(1e30), 1e30);
        assert_eq!(super::gelu_tanh_lanes(1e3), 1e3);
    }
}
