//! Float normalization and pooling kernels of the movement family: L2 normalization, local
//! response normalization (both over the last axis) and L2 pooling.

use crate::ConvGeom;

/// L2_NORMALIZATION over rows of `depth`: `x / max(‖x‖, 1e-6)`.
pub fn l2_normalize(x: &[f32], depth: usize, out: &mut [f32]) {
    if depth == 0 {
        return;
    }
    for (r, o) in x.chunks(depth).zip(out.chunks_mut(depth)) {
        let sq: f32 = r.iter().map(|v| v * v).sum();
        let n = sq.sqrt().max(1e-6);
        for (o, &v) in o.iter_mut().zip(r) {
            *o = v / n;
        }
    }
}

/// LOCAL_RESPONSE_NORMALIZATION over rows of `depth`:
/// `x · (bias + alpha · Σ_{|j-c|<=radius} x_j²)^-beta`.
pub fn lrn(
    x: &[f32],
    depth: usize,
    radius: i64,
    bias: f32,
    alpha: f32,
    beta: f32,
    out: &mut [f32],
) {
    if depth == 0 {
        return;
    }
    for (r, o) in x.chunks(depth).zip(out.chunks_mut(depth)) {
        for c in 0..depth {
            let lo = (c as i64 - radius).max(0) as usize;
            let hi = ((c as i64 + radius).min(depth as i64 - 1)).max(-1);
            let mut acc = 0.0f32;
            if hi >= lo as i64 {
                for v in &r[lo..=hi as usize] {
                    acc += v * v;
                }
            }
            o[c] = r[c] * (bias + alpha * acc).powf(-beta);
        }
    }
}

/// L2_POOL_2D (NHWC, geometry `g` with `g.k` the window): `sqrt(mean of squares)` over the
/// in-bounds part of each window, clamped to `[lo, hi]` (fused activation).
pub fn l2_pool(x: &[f32], g: &ConvGeom, lo: f32, hi: f32, out: &mut [f32]) {
    let [ih, iw, c] = g.in_hwc;
    let [oh, ow, _] = g.out_hwc;
    let [kh, kw] = g.k;
    let [sh, sw] = g.stride;
    let [pt, pl] = [g.pad[0], g.pad[1]];
    for n in 0..g.n {
        for oy in 0..oh {
            for ox in 0..ow {
                let y0 = (oy * sh) as i64 - pt as i64;
                let x0 = (ox * sw) as i64 - pl as i64;
                let base = ((n * oh + oy) * ow + ox) * c;
                for ch in 0..c {
                    let (mut s, mut cnt) = (0.0f32, 0usize);
                    for ky in 0..kh as i64 {
                        let y = y0 + ky;
                        if y < 0 || y >= ih as i64 {
                            continue;
                        }
                        for kx in 0..kw as i64 {
                            let xx = x0 + kx;
                            if xx < 0 || xx >= iw as i64 {
                                continue;
                            }
                            let v = x[((n * ih + y as usize) * iw + xx as usize) * c + ch];
                            s += v * v;
                            cnt += 1;
                        }
                    }
                    let v = if cnt == 0 {
                        0.0
                    } else {
                        (s / cnt as f32).sqrt()
                    };
                    out[base + ch] = v.clamp(lo, hi);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn l2_and_lrn() {
        let mut o = [0.0; 2];
        l2_normalize(&[3.0, 4.0], 2, &mut o);
        assert_eq!(o, [0.6, 0.8]);
        lrn(&[1.0, 2.0], 2, 0, 1.0, 1.0, 1.0, &mut o);
        assert_eq!(o, [0.5, 0.4]);
    }
}

/// TFLite `GetInvSqrtQuantizedMultiplierExp` with `reverse_shift = -1`: a multiplier and left
/// shift whose product with an int32 is `x / sqrt(input)` (Newton-Raphson in Q3.28).
pub fn inv_sqrt_multiplier(input: i32) -> (i32, i32) {
    use crate::int8::fixed::{
        count_leading_zeros, rescale, saturating_rounding_doubling_high_mul as mul,
        saturating_rounding_multiply_by_pot as pot,
    };
    if input <= 1 {
        return (i32::MAX, 0);
    }
    let mut input = input;
    let mut shift = 11;
    while input >= 1 << 29 {
        input /= 4;
        shift += 1;
    }
    let max_left = count_leading_zeros(input as u32) - 1;
    let pairs = max_left / 2 - 1;
    shift -= pairs;
    input <<= 2 * pairs;
    let fx = input >> 1;
    let half = pot(fx, -1);
    let half_three = (1 << 28) + (1 << 27);
    let mut x = 1i32 << 28;
    for _ in 0..5 {
        let x3 = rescale(mul(mul(x, x), x), 9, 3);
        x = rescale(mul(half_three, x).wrapping_sub(mul(half, x3)), 6, 3);
    }
    let mut m = mul(x, 1_518_500_250);
    if shift < 0 {
        m = m.wrapping_shl((-shift) as u32);
        shift = 0;
    }
    (m, -shift)
}

/// Int8 L2_NORMALIZATION (LiteRT's reference): output scale 1/128, zero point 0.
pub fn l2_normalize_i8(x: &[i8], depth: usize, zp: i32, out: &mut [i8]) {
    use crate::int8::fixed::multiply_by_quantized_multiplier as mbqm;
    if depth == 0 {
        return;
    }
    for (r, o) in x.chunks(depth).zip(out.chunks_mut(depth)) {
        let acc: i32 = r
            .iter()
            .map(|&v| (v as i32 - zp) * (v as i32 - zp))
            .fold(0i32, i32::wrapping_add);
        let (m, s) = inv_sqrt_multiplier(acc);
        for (o, &v) in o.iter_mut().zip(r) {
            *o = mbqm(v as i32 - zp, m, s + 7).clamp(-128, 127) as i8;
        }
    }
}
