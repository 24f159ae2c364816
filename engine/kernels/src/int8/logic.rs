//! Int8 comparisons (LiteRT `ComparisonWithScaling`: both operands rescaled to a common
//! fixed-point scale before comparing) and the lookup tables of ELU and GELU
//! (`LUTPopulate<int8_t>` of LiteRT's float functions).

use super::activations::lut_populate;
use super::fixed::{multiply_by_quantized_multiplier_smaller_than_one_exp, quantize_multiplier};

/// One operand's rescaling: `((q + offset) << 8) · multiplier · 2^shift`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CompareScale {
    /// `-zero_point`.
    pub offset: i32,
    /// Quantized multiplier of the operand's scale.
    pub multiplier: i32,
    /// Its (left) shift.
    pub shift: i32,
}

impl CompareScale {
    /// LiteRT `ComparisonQuantized`'s parameters of an operand with `(scale, zero_point)`.
    pub fn new(scale: f32, zero_point: i32) -> Self {
        let (multiplier, shift) = quantize_multiplier(f64::from(scale));
        CompareScale {
            offset: -zero_point,
            multiplier,
            shift,
        }
    }

    /// The rescaled value of `q`, the quantity LiteRT compares.
    #[inline]
    pub fn apply(&self, q: i8) -> i32 {
        let v = (self.offset + i32::from(q)).wrapping_mul(1 << 8);
        multiply_by_quantized_multiplier_smaller_than_one_exp(v, self.multiplier, self.shift)
    }
}

/// LiteRT's ELU lookup table: `x < 0 ? expm1(x) : x`.
pub fn elu_lut(input: (f32, i32), output: (f32, i32)) -> [i8; 256] {
    lut_populate(input.0, input.1, output.0, output.1, crate::math::elu)
}

/// LiteRT's GELU lookup table (`GeluTransform` or `GeluTransformApproximate`).
pub fn gelu_lut(input: (f32, i32), output: (f32, i32), approximate: bool) -> [i8; 256] {
    if approximate {
        lut_populate(input.0, input.1, output.0, output.1, crate::math::gelu_tanh)
    } else {
        lut_populate(input.0, input.1, output.0, output.1, crate::math::gelu)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rescaling_orders_values_across_scales() {
        // 0.1 * (10 - 0) = 1.0 and 0.05 * (20 - 0) = 1.0 compare equal; 0.05 * 21 is larger.
        let a = CompareScale::new(0.1, 0);
        let b = CompareScale::new(0.05, 0);
        assert_eq!(a.apply(10), b.apply(20));
        assert!(a.apply(10) < b.apply(21));
        let lut = elu_lut((0.05, 0), (0.05, 0));
        assert_eq!(lut[10u8 as usize], 10);
        assert!(lut[(-20i8) as u8 as usize] < 0);
    }
}
