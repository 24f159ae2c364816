//! `litert` unary int8 kernels: XNNPACK's f32 → qs8 convert (`x · (1/s)`, clamped, ties to
//! even), its qs8 → qs8 convert and leaky ReLU (8-bit multipliers, [`Rescale8`]) and the
//! 256-entry tables of the unary operators it has no integer kernel for (LOGISTIC, TANH, ELU).

use super::params::Rescale8;

/// XNNPACK `f32-qs8-vcvt`: `y = round_even(clamp(x · (1/scale), −128 − zp, 127 − zp)) + zp`
/// (the reciprocal in f32, once). NaN gives `zp` clamped like 0.
pub fn quantize_f32(x: &[f32], scale: f32, zp: i32, out: &mut [i8]) {
    debug_assert_eq!(x.len(), out.len());
    let inv = 1.0 / scale;
    let (lo, hi) = ((-128 - zp) as f32, (127 - zp) as f32);
    for (o, &v) in out.iter_mut().zip(x) {
        let f = (v * inv).max(lo).min(hi);
        *o = (super::round_even_small(f) + zp) as i8;
    }
}

/// XNNPACK `qs8-vcvt` (int8 → int8 QUANTIZE) or `qs8-vlrelu` (LEAKY_RELU).
pub fn rescale(x: &[i8], p: &Rescale8, out: &mut [i8]) {
    debug_assert_eq!(x.len(), out.len());
    for (o, &v) in out.iter_mut().zip(x) {
        *o = p.apply(v);
    }
}

/// `out[i] = table[x[i] as u8]` (XNNPACK `x8-lut`).
pub fn lookup(x: &[i8], table: &[i8; 256], out: &mut [i8]) {
    debug_assert_eq!(x.len(), out.len());
    for (o, &v) in out.iter_mut().zip(x) {
        *o = table[v as u8 as usize];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantize_rounds_ties_to_even_and_saturates() {
        let x = [0.25f32, 0.75, -0.25, 100.0, -100.0, 0.5];
        let mut y = [0i8; 6];
        quantize_f32(&x, 0.5, 1, &mut y);
        // 0.5 → 0 (+1), 1.5 → 2 (+1), -0.5 → 0 (+1), saturated, saturated, 1 → 1 (+1).
        assert_eq!(y, [1, 3, 1, 127, -128, 2]);
    }

    #[test]
    fn lookup_indexes_by_the_byte() {
        let mut t = [0i8; 256];
        for (i, e) in t.iter_mut().enumerate() {
            *e = (255 - i) as u8 as i8;
        }
        let mut y = [0i8; 3];
        lookup(&[0, -1, -128], &t, &mut y);
        assert_eq!(y, [-1, 0, 127]);
    }
}
