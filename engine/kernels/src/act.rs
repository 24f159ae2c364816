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

/// Logistic sigmoid.
#[inline]
pub fn logistic(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// Hard swish: `x * relu6(x + 3) / 6`.
#[inline]
pub fn hard_swish(x: f32) -> f32 {
    x * (x + 3.0).clamp(0.0, 6.0) / 6.0
}
