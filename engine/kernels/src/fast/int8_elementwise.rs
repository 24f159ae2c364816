//! Optimized int8 elementwise kernels and the int8 FULLY_CONNECTED row products, bit-exact with
//! their reference twins: same-shape ADD/SUB ([`crate::int8::elementwise::add_same_shape`]),
//! f32 → int8 QUANTIZE ([`crate::int8::unary::quantize_f32`]) and the per-channel
//! fully connected layer ([`crate::int8::conv::fully_connected_per_channel_double`]). Each comes
//! as one table entry per level: the same scalar code compiled for the baseline or for AVX2 /
//! AVX-512 so that the compiler vectorizes it, plus AVX-512 intrinsics where they pay.

use crate::int8::params::AddParams;
use crate::table::FcScales;

/// The reference ADD/SUB arithmetic on one pair of elements.
#[inline(always)]
fn add_one(p: &AddParams, x: i8, y: i8, sub: bool) -> i8 {
    let (sa, sb) = p.scaled_inputs(x, y);
    p.finish(if sub {
        sa.wrapping_sub(sb)
    } else {
        sa.wrapping_add(sb)
    })
}

#[inline(always)]
fn add_loop(a: &[i8], b: &[i8], p: &AddParams, sub: bool, out: &mut [i8]) {
    debug_assert!(a.len() == b.len() && a.len() == out.len());
    if sub {
        for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
            *o = add_one(p, x, y, true);
        }
    } else {
        for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
            *o = add_one(p, x, y, false);
        }
    }
}

/// Same-shape ADD (`sub = false`) or SUB into `out`, portable code.
pub fn add_portable(a: &[i8], b: &[i8], p: &AddParams, sub: bool, out: &mut [i8]) {
    add_loop(a, b, p, sub, out)
}

/// [`add_portable`] compiled for AVX2 (plugged only when the CPU has it).
#[cfg(target_arch = "x86_64")]
pub(crate) fn add_avx2(a: &[i8], b: &[i8], p: &AddParams, sub: bool, out: &mut [i8]) {
    #[target_feature(enable = "avx2,fma")]
    fn go(a: &[i8], b: &[i8], p: &AddParams, sub: bool, out: &mut [i8]) {
        add_loop(a, b, p, sub, out)
    }
    // SAFETY: the table holds this entry only when the CPU reports AVX2 and FMA.
    unsafe { go(a, b, p, sub, out) }
}

/// Same-shape ADD/SUB with AVX-512 lanes (plugged only when the CPU has AVX-512). The left
/// shift of LiteRT's int8 ADD is 20 and its shifts are non-positive, which the SIMD lanes
/// assume; other parameters run the scalar code compiled for AVX-512.
#[cfg(target_arch = "x86_64")]
pub(crate) fn add_avx512(a: &[i8], b: &[i8], p: &AddParams, sub: bool, out: &mut [i8]) {
    #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
    fn go(a: &[i8], b: &[i8], p: &AddParams, sub: bool, out: &mut [i8]) {
        add_loop(a, b, p, sub, out)
    }
    let fits = (0..=31).contains(&p.left_shift)
        && p.input1_shift <= 0
        && p.input2_shift <= 0
        && p.output_shift <= 0;
    // SAFETY: the table holds this entry only when the CPU reports AVX-512 F/BW/DQ/VL.
    unsafe {
        if fits {
            super::simd512::add(a, b, p, sub, out)
        } else {
            go(a, b, p, sub, out)
        }
    }
}

/// `round(x / scale)` as `trunc(t + copysign(½⁻, t))` with `½⁻` the float just below ½ (exact
/// for every f32; the lowering LLVM uses itself, which its loop vectorizer does not apply to
/// `round` calls), clamped to ±256 before the integer conversion (the same final clamp for any
/// zero point in int8's range).
#[inline(always)]
fn quantize_loop(x: &[f32], scale: f32, zp: i32, out: &mut [i8]) {
    debug_assert_eq!(x.len(), out.len());
    if !(-128..=127).contains(&zp) {
        return crate::int8::unary::quantize_f32(x, scale, zp, out);
    }
    let below_half = f32::from_bits(0x3EFF_FFFF);
    for (o, &v) in out.iter_mut().zip(x) {
        let t = v / scale;
        let r = (t + below_half.copysign(t)).trunc().clamp(-256.0, 256.0);
        *o = ((r as i32) + zp).clamp(i8::MIN as i32, i8::MAX as i32) as i8;
    }
}

/// f32 → int8 QUANTIZE into `out`, portable code.
pub fn quantize_portable(x: &[f32], scale: f32, zp: i32, out: &mut [i8]) {
    quantize_loop(x, scale, zp, out)
}

/// [`quantize_portable`] compiled for AVX2 (plugged only when the CPU has it).
#[cfg(target_arch = "x86_64")]
pub(crate) fn quantize_avx2(x: &[f32], scale: f32, zp: i32, out: &mut [i8]) {
    #[target_feature(enable = "avx2,fma")]
    fn go(x: &[f32], scale: f32, zp: i32, out: &mut [i8]) {
        quantize_loop(x, scale, zp, out)
    }
    // SAFETY: the table holds this entry only when the CPU reports AVX2 and FMA.
    unsafe { go(x, scale, zp, out) }
}

/// f32 → int8 QUANTIZE with AVX-512 intrinsics (plugged only when the CPU has AVX-512).
#[cfg(target_arch = "x86_64")]
pub(crate) fn quantize_avx512(x: &[f32], scale: f32, zp: i32, out: &mut [i8]) {
    if !(-128..=127).contains(&zp) {
        return crate::int8::unary::quantize_f32(x, scale, zp, out);
    }
    // SAFETY: the table holds this entry only when the CPU reports AVX-512 F and BW.
    unsafe { quantize_avx512_body(x, scale, zp, out) }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw")]
fn quantize_avx512_body(x: &[f32], scale: f32, zp: i32, out: &mut [i8]) {
    use std::arch::x86_64::*;
    let (s, bh) = (
        _mm512_set1_ps(scale),
        _mm512_set1_ps(f32::from_bits(0x3EFF_FFFF)),
    );
    let (lim, z) = (_mm512_set1_ps(256.0), _mm512_set1_epi32(zp));
    let sign = _mm512_set1_epi32(i32::MIN);
    for (xs, os) in x.chunks(16).zip(out.chunks_mut(16)) {
        let len = xs.len().min(os.len());
        let m: __mmask16 = if len == 16 { 0xffff } else { (1u16 << len) - 1 };
        // SAFETY: masked load and store of this chunk's lanes.
        unsafe {
            let t = _mm512_div_ps(_mm512_maskz_loadu_ps(m, xs.as_ptr()), s);
            let h = _mm512_or_si512(
                _mm512_castps_si512(bh),
                _mm512_and_si512(_mm512_castps_si512(t), sign),
            );
            let r = _mm512_roundscale_ps::<{ _MM_FROUND_TO_ZERO | _MM_FROUND_NO_EXC }>(
                _mm512_add_ps(t, _mm512_castsi512_ps(h)),
            );
            let r = _mm512_min_ps(
                _mm512_max_ps(r, _mm512_sub_ps(_mm512_setzero_ps(), lim)),
                lim,
            );
            // NaN lanes become 0 (like `NaN as i32`).
            let r = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask::<_CMP_ORD_Q>(t, t), r);
            let q = _mm512_add_epi32(_mm512_cvttps_epi32(r), z);
            let q = _mm512_min_epi32(
                _mm512_max_epi32(q, _mm512_set1_epi32(-128)),
                _mm512_set1_epi32(127),
            );
            _mm512_mask_cvtepi32_storeu_epi8(os.as_mut_ptr().cast(), m, q);
        }
    }
}

/// Per-channel int8 FULLY_CONNECTED as [`crate::Kernels::q_fully_connected`] defines it.
pub type FcArgs<'a> = (&'a [i8], &'a [i8], Option<&'a [i32]>, (usize, usize, usize));

/// `Σ w·(x + off)` of every unit, exact in i32 while `depth < 65536` (no partial sum can
/// overflow), otherwise in i64.
#[inline(always)]
fn fc_loop(
    (x, w, bias, (batches, depth, units)): FcArgs<'_>,
    input_offset: i32,
    scales: FcScales<'_>,
    output_offset: i32,
    (act_min, act_max): (i32, i32),
    out: &mut [i8],
) {
    debug_assert_eq!(out.len(), batches * units);
    let mut acc = vec![0i64; units];
    for b in 0..batches {
        let xr = &x[b * depth..(b + 1) * depth];
        if depth < 65536 {
            for (u, a) in acc.iter_mut().enumerate() {
                let wr = &w[u * depth..(u + 1) * depth];
                let mut s = 0i32;
                for (&xv, &wv) in xr.iter().zip(wr) {
                    s += wv as i32 * (xv as i32 + input_offset);
                }
                *a = s as i64;
            }
        } else {
            for (u, a) in acc.iter_mut().enumerate() {
                let wr = &w[u * depth..(u + 1) * depth];
                let mut s = 0i64;
                for (&xv, &wv) in xr.iter().zip(wr) {
                    s += wv as i64 * (xv as i64 + input_offset as i64);
                }
                *a = s;
            }
        }
        for u in 0..units {
            let a = acc[u] + bias.map_or(0, |bv| bv[u] as i64);
            out[b * units + u] = match scales {
                FcScales::Double(s) => {
                    let v = (a as f64 * s[u]).round() as i64 + output_offset as i64;
                    v.clamp(act_min as i64, act_max as i64) as i8
                }
                FcScales::Float(s) => {
                    crate::xnn::requantize_f32(a as i32, s[u], output_offset, act_min, act_max)
                }
            };
        }
    }
}

/// Per-channel int8 FULLY_CONNECTED into `out`, portable code.
pub fn fully_connected_portable(
    args: FcArgs<'_>,
    input_offset: i32,
    scales: FcScales<'_>,
    output_offset: i32,
    range: (i32, i32),
    out: &mut [i8],
) {
    fc_loop(args, input_offset, scales, output_offset, range, out)
}

/// [`fully_connected_portable`] compiled for AVX2 (plugged only when the CPU has it).
#[cfg(target_arch = "x86_64")]
pub(crate) fn fully_connected_avx2(
    args: FcArgs<'_>,
    input_offset: i32,
    scales: FcScales<'_>,
    output_offset: i32,
    range: (i32, i32),
    out: &mut [i8],
) {
    #[target_feature(enable = "avx2,fma")]
    fn go(a: FcArgs<'_>, io: i32, s: FcScales<'_>, oo: i32, r: (i32, i32), out: &mut [i8]) {
        fc_loop(a, io, s, oo, r, out)
    }
    // SAFETY: the table holds this entry only when the CPU reports AVX2 and FMA.
    unsafe { go(args, input_offset, scales, output_offset, range, out) }
}

/// [`fully_connected_portable`] compiled for AVX-512 (plugged only when the CPU has it).
#[cfg(target_arch = "x86_64")]
pub(crate) fn fully_connected_avx512(
    args: FcArgs<'_>,
    input_offset: i32,
    scales: FcScales<'_>,
    output_offset: i32,
    range: (i32, i32),
    out: &mut [i8],
) {
    #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
    fn go(a: FcArgs<'_>, io: i32, s: FcScales<'_>, oo: i32, r: (i32, i32), out: &mut [i8]) {
        fc_loop(a, io, s, oo, r, out)
    }
    // SAFETY: the table holds this entry only when the CPU reports AVX-512 F/BW/DQ/VL.
    unsafe { go(args, input_offset, scales, output_offset, range, out) }
}

/// The `litert` broadcast ADD/SUB and MUL ([`crate::xnn::elementwise`], which walks the
/// shapes in rows and computes each row in a loop the compiler vectorizes) compiled for AVX2
/// and AVX-512: without them the baseline x86-64 build has no 32-bit lane multiply. Same code,
/// same numbers as the reference entries.
macro_rules! xnn_binary {
    ($($name:ident, $kernel:path, $params:ty, $features:literal;)*) => {$(
        #[cfg(target_arch = "x86_64")]
        #[allow(clippy::too_many_arguments)]
        pub(crate) fn $name(
            a: &[i8],
            a_shape: &[usize],
            b: &[i8],
            b_shape: &[usize],
            out_shape: &[usize],
            p: &$params,
            out: &mut [i8],
        ) {
            #[target_feature(enable = $features)]
            #[allow(clippy::too_many_arguments)]
            fn go(
                a: &[i8],
                a_shape: &[usize],
                b: &[i8],
                b_shape: &[usize],
                out_shape: &[usize],
                p: &$params,
                out: &mut [i8],
            ) {
                $kernel(a, a_shape, b, b_shape, out_shape, p, out)
            }
            // SAFETY: the table holds this entry only when the CPU reports these features.
            unsafe { go(a, a_shape, b, b_shape, out_shape, p, out) }
        }
    )*};
}

xnn_binary! {
    xnn_add_avx2, crate::xnn::elementwise::add, crate::xnn::params::AddParams, "avx2,fma";
    xnn_mul_avx2, crate::xnn::elementwise::mul, crate::xnn::params::MulParams, "avx2,fma";
    xnn_add_avx512, crate::xnn::elementwise::add, crate::xnn::params::AddParams, "avx512f,avx512bw,avx512dq,avx512vl";
    xnn_mul_avx512, crate::xnn::elementwise::mul, crate::xnn::params::MulParams, "avx512f,avx512bw,avx512dq,avx512vl";
}

/// Float LOGISTIC ([`crate::act::logistic_slice`]: 16 lanes of the polynomial `exp` instead
/// of 4) and HARD_SWISH ([`crate::act::hard_swish_slice`]) compiled for AVX2 and AVX-512;
/// same code, same numbers.
macro_rules! f32_map {
    ($($name:ident, $f:path, $features:literal;)*) => {$(
        #[cfg(target_arch = "x86_64")]
        pub(crate) fn $name(v: &mut [f32]) {
            #[target_feature(enable = $features)]
            fn go(v: &mut [f32]) {
                $f(v)
            }
            // SAFETY: the table holds this entry only when the CPU reports these features.
            unsafe { go(v) }
        }
    )*};
}

f32_map! {
    logistic_avx2, crate::act::logistic_slice, "avx2,fma";
    logistic_avx512, crate::act::logistic_slice, "avx512f,avx512bw,avx512dq,avx512vl";
    hard_swish_avx2, crate::act::hard_swish_slice, "avx2,fma";
    hard_swish_avx512, crate::act::hard_swish_slice, "avx512f,avx512bw,avx512dq,avx512vl";
}

/// Float GELU ([`crate::act::gelu_slice`]) compiled for AVX2 and AVX-512; same code, same
/// numbers.
macro_rules! f32_gelu {
    ($($name:ident, $features:literal;)*) => {$(
        #[cfg(target_arch = "x86_64")]
        pub(crate) fn $name(x: &[f32], out: &mut [f32], approximate: bool) {
            #[target_feature(enable = $features)]
            fn go(x: &[f32], out: &mut [f32], approximate: bool) {
                crate::act::gelu_slice(x, out, approximate)
            }
            // SAFETY: the table holds this entry only when the CPU reports these features.
            unsafe { go(x, out, approximate) }
        }
    )*};
}

f32_gelu! {
    gelu_avx2, "avx2,fma";
    gelu_avx512, "avx512f,avx512bw,avx512dq,avx512vl";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fast::test_util::bytes;
    use crate::int8::conv as reference;
    use crate::int8::elementwise::{add, sub};
    use crate::int8::params::Activation;

    /// The vectorized rounding against `f32::round` on halves, their neighbours, huge values,
    /// infinities and NaN, for zero points in and out of int8's range.
    #[test]
    fn quantize_rounds_like_round_at_every_level() {
        let mut xs: Vec<f32> = Vec::new();
        for k in -300..300 {
            let h = k as f32 + 0.5;
            xs.extend([
                h,
                f32::from_bits(h.to_bits() + 1),
                f32::from_bits(h.to_bits() - 1),
            ]);
            xs.push(k as f32 * 0.37);
        }
        xs.extend([
            0.0,
            -0.0,
            0.49999997,
            -0.49999997,
            8388607.5,
            4194303.5,
            1e30,
            -1e30,
        ]);
        xs.extend([
            f32::INFINITY,
            f32::NEG_INFINITY,
            f32::NAN,
            f32::MIN_POSITIVE,
        ]);
        for (scale, zp) in [(1.0, 0), (0.5, -3), (0.0123, 17), (3.0, -128), (0.7, 300)] {
            let want: Vec<i8> = xs
                .iter()
                .map(|&v| {
                    let q = ((v / scale).round() as i32).saturating_add(zp);
                    q.clamp(-128, 127) as i8
                })
                .collect();
            for lv in crate::cpu::supported() {
                let mut got = vec![0x55i8; xs.len()];
                (crate::table::for_level(lv).quantize)(&xs, scale, zp, &mut got);
                assert_eq!(got, want, "scale {scale} zp {zp} {lv:?}");
            }
        }
    }

    #[test]
    fn add_and_sub_match_the_reference() {
        let a = bytes(1000, 1);
        let b = bytes(1000, 2);
        let shape = [1, 10, 100];
        let mut scales = vec![(0.05, 0.02, 0.07), (0.01, 0.3, 0.2), (0.5, 0.5, 0.9)];
        // Scale ratios across several octaves (both roundings, every shift they give).
        for i in 0..30u32 {
            let f = |k: u32| 0.001 * 1.37f32.powi(((i * 7 + k * 13) % 23) as i32);
            scales.push((f(1), f(2), f(3)));
        }
        for (s1, s2, so) in scales {
            for act in [Activation::None, Activation::Relu6] {
                let p = AddParams::new((s1, -3), (s2, 17), (so, 5), act);
                let f = |x: i8, y: i8, s: bool| {
                    let (sa, sb) = p.scaled_inputs(x, y);
                    p.finish(if s {
                        sa.wrapping_sub(sb)
                    } else {
                        sa.wrapping_add(sb)
                    })
                };
                let want_add: Vec<i8> = a.iter().zip(&b).map(|(&x, &y)| f(x, y, false)).collect();
                let want_sub: Vec<i8> = a.iter().zip(&b).map(|(&x, &y)| f(x, y, true)).collect();
                let mut got = vec![0x55i8; a.len()];
                add(&a, &shape, &b, &shape, &shape, &p, &mut got);
                assert_eq!(got, want_add);
                sub(&a, &shape, &b, &shape, &shape, &p, &mut got);
                assert_eq!(got, want_sub);
                for lv in crate::cpu::supported() {
                    let k = crate::table::for_level(lv);
                    for (sub, want) in [(false, &want_add), (true, &want_sub)] {
                        let mut got = vec![0x55i8; a.len()];
                        (k.q_add)(&a, &b, &p, sub, &mut got);
                        assert_eq!(&got, want, "{lv:?} sub {sub}");
                    }
                }
            }
        }
    }

    /// The `litert` ADD/SUB/MUL entries at every level equal the reference walk, broadcast
    /// or not.
    #[test]
    fn xnn_binary_ops_match_the_reference_at_every_level() {
        use crate::xnn::{elementwise as xe, params as xp};
        let cases: [(&[usize], &[usize], &[usize]); 5] = [
            (&[1, 10, 100], &[1, 10, 100], &[1, 10, 100]),
            (&[1, 7, 9, 24], &[24], &[1, 7, 9, 24]),
            (&[1, 7, 9, 24], &[1, 1, 1, 24], &[1, 7, 9, 24]),
            (&[1], &[3, 5, 33], &[3, 5, 33]),
            (&[2, 1, 40], &[1, 6, 1], &[2, 6, 40]),
        ];
        for (k, (sa, sb, so)) in cases.iter().enumerate() {
            let a = bytes(sa.iter().product(), 10 + k as u64);
            let b = bytes(sb.iter().product(), 20 + k as u64);
            let n: usize = so.iter().product();
            for act in [Activation::None, Activation::Relu6] {
                for sub in [false, true] {
                    let p = xp::AddParams::new((0.05, -3), (0.02, 17), (0.07, 5), act, sub)
                        .expect("add params");
                    let mut want = vec![0x55i8; n];
                    xe::add(&a, sa, &b, sb, so, &p, &mut want);
                    for lv in crate::cpu::supported() {
                        let mut got = vec![0x55i8; n];
                        (crate::table::for_level(lv).x_add)(&a, sa, &b, sb, so, &p, &mut got);
                        assert_eq!(got, want, "add {lv:?} case {k} sub {sub}");
                    }
                }
                let p = xp::MulParams::new((0.05, -3), (0.02, 17), (0.007, 5), act)
                    .expect("mul params");
                let mut want = vec![0x55i8; n];
                xe::mul(&a, sa, &b, sb, so, &p, &mut want);
                for lv in crate::cpu::supported() {
                    let mut got = vec![0x55i8; n];
                    (crate::table::for_level(lv).x_mul)(&a, sa, &b, sb, so, &p, &mut got);
                    assert_eq!(got, want, "mul {lv:?} case {k}");
                }
            }
        }
    }

    /// The float GELU entries at every level give the reference's numbers.
    #[test]
    fn gelu_matches_the_reference_at_every_level() {
        let x: Vec<f32> = (0..1003).map(|i| (i as f32 - 500.0) * 0.021).collect();
        for approximate in [false, true] {
            let mut want = vec![-7.0; x.len()];
            crate::act::gelu_slice(&x, &mut want, approximate);
            for lv in crate::cpu::supported() {
                let mut got = vec![-7.0; x.len()];
                (crate::table::for_level(lv).f32_gelu)(&x, &mut got, approximate);
                assert_eq!(got, want, "{lv:?} approximate {approximate}");
            }
        }
    }

    /// The float LOGISTIC and HARD_SWISH entries at every level give the reference's numbers.
    #[test]
    fn logistic_matches_the_reference_at_every_level() {
        let x: Vec<f32> = (0..4099).map(|i| (i as f32 - 2049.0) * 0.0437).collect();
        let mut want = x.clone();
        crate::act::logistic_slice(&mut want);
        let mut want_hs = x.clone();
        crate::act::hard_swish_slice(&mut want_hs);
        for lv in crate::cpu::supported() {
            let mut got = x.clone();
            (crate::table::for_level(lv).f32_logistic)(&mut got);
            assert_eq!(got, want, "{lv:?}");
            let mut got = x.clone();
            (crate::table::for_level(lv).f32_hard_swish)(&mut got);
            assert_eq!(got, want_hs, "hard swish {lv:?}");
        }
    }

    #[test]
    fn fully_connected_matches_the_reference() {
        for (i, &(batches, depth, units)) in [(1, 1280, 1000), (3, 7, 5), (2, 300, 17)]
            .iter()
            .enumerate()
        {
            let x = bytes(batches * depth, i as u64);
            let w = bytes(units * depth, 10 + i as u64);
            let bias: Vec<i32> = bytes(units, 20 + i as u64)
                .iter()
                .map(|&b| b as i32 * 1000)
                .collect();
            let scales: Vec<f64> = (0..units).map(|u| 1e-4 + u as f64 * 1e-6).collect();
            for off in [-127, 0, 128] {
                let args = (batches, depth, units);
                let mut want = vec![0i8; batches * units];
                reference::fully_connected_per_channel_double(
                    &x,
                    &w,
                    Some(&bias),
                    args,
                    off,
                    &scales,
                    3,
                    (-128, 127),
                    &mut want,
                );
                for lv in crate::cpu::supported() {
                    let mut got = vec![0x55i8; want.len()];
                    let k = crate::table::for_level(lv);
                    (k.q_fully_connected)(
                        (&x, &w, Some(&bias), args),
                        off,
                        FcScales::Double(&scales),
                        3,
                        (-128, 127),
                        &mut got,
                    );
                    assert_eq!(got, want, "case {i} off {off} {lv:?}");
                    // The litert rescale against its own reference twin.
                    let fs: Vec<f32> = scales.iter().map(|&s| s as f32).collect();
                    let mut want_f = vec![0i8; want.len()];
                    let r = (-100, 90);
                    crate::xnn::fully_connected(
                        (&x, &w, Some(&bias), args),
                        off,
                        &fs,
                        3,
                        r,
                        &mut want_f,
                    );
                    (k.q_fully_connected)(
                        (&x, &w, Some(&bias), args),
                        off,
                        FcScales::Float(&fs),
                        3,
                        r,
                        &mut got,
                    );
                    assert_eq!(got, want_f, "litert case {i} off {off} {lv:?}");
                }
            }
        }
    }
}
