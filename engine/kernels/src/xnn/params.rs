//! Parameters of the `litert` kernels, each the arithmetic of the XNNPACK `xnn_init_*` function
//! (or TFLite XNNPACK delegate check) it is named after, from the f32 tensor scales. A
//! constructor returns `None` where the delegate refuses the op (scale ratios out of XNNPACK's
//! range): LiteRT then runs its builtin kernel, whose arithmetic is the reference's.

use crate::int8::params::{Activation, ConvQuant};

/// `xnn_qs8_quantize`: `lrintf(clamp(v / scale + zp, −128, 127))` in f32 (NaN → −128).
pub fn quantize_bound(v: f32, scale: f32, zp: i32) -> i32 {
    let f = (v / scale + zp as f32).max(-128.0).min(127.0);
    if f.is_nan() {
        return -128;
    }
    f.round_ties_even() as i32
}

/// The int8 output range of a fused activation as the delegate passes it to XNNPACK (float
/// bounds `[0, +inf)`, `[0, 6]`, `[−1, 1]`) and XNNPACK quantizes them ([`quantize_bound`]).
pub fn activation_range(act: Activation, scale: f32, zp: i32) -> (i32, i32) {
    let q = |v: f32| quantize_bound(v, scale, zp);
    match act {
        Activation::None => (-128, 127),
        Activation::Relu => (q(0.0), 127),
        Activation::Relu6 => (q(0.0), q(6.0)),
        Activation::ReluN1To1 => (q(-1.0), q(1.0)),
    }
}

/// `s_in · s_w[c] / s_out` in f32 for `channels` channels (one filter scale broadcast): the
/// requantization scale of XNNPACK's qs8 convolution, depthwise and fully connected operators.
pub fn conv_scales(s_in: f32, filter_scales: &[f32], s_out: f32, channels: usize) -> Vec<f32> {
    (0..channels)
        .map(|c| {
            let sw = filter_scales
                .get(c)
                .or(filter_scales.first())
                .copied()
                .unwrap_or(0.0);
            s_in * sw / s_out
        })
        .collect()
}

impl ConvQuant {
    /// The `litert` requantization of a conv-like op: [`conv_scales`] in
    /// [`ConvQuant::float_scales`] and the fused range of [`activation_range`] (the reference
    /// multipliers are kept for kernels that read them, unused by the f32 step).
    pub fn litert(
        (s_in, z_in): (f32, i32),
        filter_scales: &[f32],
        (s_out, z_out): (f32, i32),
        act: Activation,
        channels: usize,
    ) -> Self {
        let mut q = Self::per_channel((s_in, z_in), filter_scales, (s_out, z_out), act, channels);
        q.float_scales = conv_scales(s_in, filter_scales, s_out, channels);
        (q.act_min, q.act_max) = activation_range(act, s_out, z_out);
        q
    }
}

/// `xnn_init_qs8_add_minmax_scalar_params`: `y = ((bias + a·ma + b·mb) >> shift) + z_out`,
/// multipliers of up to 21 bits from the f32 ratios `s_a / s_out`, `s_b / s_out` (SUB: `s_b`
/// negated), `bias = 2^(shift−1) − ma·z_a − mb·z_b`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddParams {
    /// Rounding term less the zero-point products.
    pub bias: i32,
    /// Multiplier of input a.
    pub a_mult: i32,
    /// Multiplier of input b (negative for SUB).
    pub b_mult: i32,
    /// Right shift, 12..=30.
    pub shift: u32,
    /// Output zero point.
    pub out_zp: i32,
    /// Clamp (fused activation).
    pub lo: i32,
    /// Clamp (fused activation).
    pub hi: i32,
}

impl AddParams {
    /// ADD (`sub = false`) or SUB; `None` when a ratio `s_in / s_out` is outside the delegate's
    /// `[2^−10, 2^8)`.
    pub fn new(
        (sa, za): (f32, i32),
        (sb, zb): (f32, i32),
        (so, zo): (f32, i32),
        act: Activation,
        sub: bool,
    ) -> Option<Self> {
        let ok = |s: f32| (1.0 / 1024.0..256.0).contains(&(s / so));
        if !ok(sa) || !ok(sb) {
            return None;
        }
        let ra = sa / so;
        let rb = if sub { -sb } else { sb } / so;
        let max = ra.abs().max(rb.abs());
        if !(max >= 1.0 / 1024.0 && max < 256.0) {
            return None;
        }
        let exp = (max.to_bits() >> 23) as i32 - 127;
        let shift = (20 - exp) as u32;
        if !(12..=30).contains(&shift) {
            return None;
        }
        let scaled = |r: f32| f32::from_bits(r.abs().to_bits() + (shift << 23)).round_ties_even();
        let sign = |r: f32, m: f32| if r.is_sign_negative() { -m } else { m } as i32;
        let (a_mult, b_mult) = (sign(ra, scaled(ra)), sign(rb, scaled(rb)));
        let rounding = 1i32 << (shift - 1);
        let bias = rounding
            .wrapping_sub(a_mult.wrapping_mul(za))
            .wrapping_sub(b_mult.wrapping_mul(zb));
        let (lo, hi) = activation_range(act, so, zo);
        Some(AddParams {
            bias,
            a_mult,
            b_mult,
            shift,
            out_zp: zo,
            lo,
            hi,
        })
    }

    /// One output element.
    #[inline(always)]
    pub fn apply(&self, a: i8, b: i8) -> i8 {
        let acc = self
            .bias
            .wrapping_add((a as i32).wrapping_mul(self.a_mult))
            .wrapping_add((b as i32).wrapping_mul(self.b_mult));
        ((acc >> self.shift) + self.out_zp).clamp(self.lo, self.hi) as i8
    }
}

/// `xnn_init_qs8_mul_minmax_scalar_params` (fp32 variant): `y = round_even(clamp((a − z_a)·(b −
/// z_b) · s)) + z_out` with `s = (s_a · s_b) / s_out` in f32.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MulParams {
    /// Zero point of a.
    pub a_zp: i32,
    /// Zero point of b.
    pub b_zp: i32,
    /// `(s_a · s_b) / s_out`.
    pub scale: f32,
    /// Output zero point.
    pub out_zp: i32,
    /// Clamp (fused activation).
    pub lo: i32,
    /// Clamp (fused activation).
    pub hi: i32,
}

impl MulParams {
    /// `None` when the product scale is outside the delegate's `[2^−16, 2^8)`.
    pub fn new(
        (sa, za): (f32, i32),
        (sb, zb): (f32, i32),
        (so, zo): (f32, i32),
        act: Activation,
    ) -> Option<Self> {
        let scale = sa * sb / so;
        if !(scale >= 1.0 / 65536.0 && scale < 256.0) {
            return None;
        }
        let (lo, hi) = activation_range(act, so, zo);
        Some(MulParams {
            a_zp: za,
            b_zp: zb,
            scale,
            out_zp: zo,
            lo,
            hi,
        })
    }

    /// One output element.
    #[inline(always)]
    pub fn apply(&self, a: i8, b: i8) -> i8 {
        let acc = (a as i32 - self.a_zp) * (b as i32 - self.b_zp);
        super::requantize_f32(acc, self.scale, self.out_zp, self.lo, self.hi)
    }
}

/// `xnn_init_qs8_cvt_scalar_params` (int8 → int8 QUANTIZE) and `xnn_init_qs8_lrelu_scalar_params`
/// (LEAKY_RELU): 8-bit fixed-point multipliers `lrintf(256 · ratio)`,
/// `y = clamp(((x − z_in)·m + 128 + (z_out << 8)) >> 8)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rescale8 {
    /// Input zero point.
    pub in_zp: i32,
    /// Multiplier for `x − z_in ≥ 0`.
    pub pos: i32,
    /// Multiplier for `x − z_in < 0` (`pos` for QUANTIZE).
    pub neg: i32,
    /// Output zero point.
    pub out_zp: i32,
}

impl Rescale8 {
    /// int8 → int8 QUANTIZE; `None` when `s_in / s_out` is outside `[2^−8, 2^7]`.
    pub fn requantize((si, zi): (f32, i32), (so, zo): (f32, i32)) -> Option<Self> {
        let r = si / so;
        if !(r >= 1.0 / 256.0 && r <= 128.0) {
            return None;
        }
        let m = (256.0 * r).round_ties_even() as i32;
        Some(Rescale8 {
            in_zp: zi,
            pos: m,
            neg: m,
            out_zp: zo,
        })
    }

    /// LEAKY_RELU with slope `alpha`; `None` where the delegate refuses it (alpha not normal,
    /// ratios outside its range).
    pub fn leaky_relu((si, zi): (f32, i32), (so, zo): (f32, i32), alpha: f32) -> Option<Self> {
        if !alpha.is_normal() {
            return None;
        }
        let pos = si / so;
        if !(pos >= 1.0 / 256.0 && pos <= 128.0) {
            return None;
        }
        let neg = pos * alpha;
        if !(neg >= -127.99609375 && neg <= 128.0 && neg.abs() >= 1.0 / 256.0) {
            return None;
        }
        let (p, n) = (
            (256.0 * pos).round_ties_even() as i32,
            (256.0 * neg).round_ties_even() as i32,
        );
        Some(Rescale8 {
            in_zp: zi,
            pos: p,
            neg: n,
            out_zp: zo,
        })
    }

    /// One output element.
    #[inline(always)]
    pub fn apply(&self, x: i8) -> i8 {
        let v = x as i32 - self.in_zp;
        let m = if v >= 0 { self.pos } else { self.neg };
        let acc = ((self.out_zp as u32) << 8) as i32 + 0x80 + v * m;
        (acc >> 8).clamp(-128, 127) as i8
    }
}

/// The 256-entry table XNNPACK builds for a quantized unary operator it has no integer kernel
/// for: `table[q] = quantize(f((q − z_in) · s_in))`, quantize = `nearbyint(y · (1/s_out) + z_out)`
/// saturated (NaN → 0). Indexed by `q as u8`.
pub fn lookup_table(
    (si, zi): (f32, i32),
    (so, zo): (f32, i32),
    f: impl Fn(f32) -> f32,
) -> [i8; 256] {
    let inv = 1.0 / so;
    let mut t = [0i8; 256];
    for (i, e) in t.iter_mut().enumerate() {
        let q = i as u8 as i8;
        let x = (q as f32 - zi as f32) * si;
        let y = f(x) * inv + zo as f32;
        let y = if y.is_nan() { 0.0 } else { y.round_ties_even() };
        *e = y.max(-128.0).min(127.0) as i8;
    }
    t
}

/// XNNPACK's reference sigmoid: `e / (1 + e)` with `e = exp(x)` in double, `x` beyond ±100
/// saturated.
pub fn sigmoid(x: f32) -> f32 {
    if x > 100.0 {
        1.0
    } else if x < -100.0 {
        0.0
    } else {
        let e = (x as f64).exp();
        (e / (1.0 + e)) as f32
    }
}

/// XNNPACK's reference ELU (alpha 1, as the delegate sets it): `expm1f(x)` below 0.
pub fn elu(x: f32) -> f32 {
    if x < 0.0 { x.exp_m1() } else { x }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn add_parameters_by_hand() {
        // Equal scales, ratio 1: exponent 0, shift 20, multipliers 2^20.
        let p = AddParams::new((0.5, 0), (0.5, 0), (0.5, 0), Activation::None, false).unwrap();
        assert_eq!((p.a_mult, p.b_mult, p.shift), (1 << 20, 1 << 20, 20));
        assert_eq!(p.apply(3, 4), 7);
        assert_eq!(p.apply(100, 100), 127);
        let s = AddParams::new((0.5, 0), (0.5, 0), (0.5, 0), Activation::None, true).unwrap();
        assert_eq!(s.b_mult, -(1 << 20));
        assert_eq!(s.apply(3, 4), -1);
        // Half scale: (3 + 4) / 2 = 3.5 rounds up (the shift adds 2^(shift−1), then floors).
        let h = AddParams::new((0.5, 0), (0.5, 0), (1.0, 0), Activation::None, false).unwrap();
        assert_eq!(h.apply(3, 4), 4);
        assert_eq!(h.apply(-3, -4), -3);
        assert!(AddParams::new((1.0, 0), (1.0, 0), (1e-3, 0), Activation::None, false).is_none());
    }

    #[test]
    fn mul_rescale8_and_tables_by_hand() {
        let m = MulParams::new((0.5, 1), (0.5, -1), (0.5, 0), Activation::None).unwrap();
        // (3 − 1)(4 + 1) · 0.5 = 5.
        assert_eq!(m.apply(3, 4), 5);
        // 1 · 1 · 0.5 = 0.5 → 0 (ties to even).
        assert_eq!(m.apply(2, 0), 0);
        let r = Rescale8::requantize((0.5, 0), (1.0, 3)).unwrap();
        assert_eq!((r.pos, r.apply(5), r.apply(-5)), (128, 6, 1));
        let l = Rescale8::leaky_relu((1.0, 0), (1.0, 0), 0.25).unwrap();
        assert_eq!((l.apply(8), l.apply(-8)), (8, -2));
        let t = lookup_table((0.1, 0), (1.0 / 256.0, -128), sigmoid);
        assert_eq!(t[0], 0); // sigmoid(0) = 0.5 → 128 − 128
        assert_eq!(t[127], 127);
        assert_eq!(quantize_bound(6.0, 0.5, -100), -88);
        assert_eq!(activation_range(Activation::Relu6, 0.05, -128), (-128, -8));
    }
}
