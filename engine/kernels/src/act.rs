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

/// Hard swish: `x * relu6(x + 3) / 6`.
#[inline]
pub fn hard_swish(x: f32) -> f32 {
    x * (x + 3.0).clamp(0.0, 6.0) / 6.0
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
}
