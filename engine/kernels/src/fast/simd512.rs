//! AVX-512 versions of LiteRT's fixed-point requantization, lane for lane equal to
//! [`crate::int8::fixed::multiply_by_quantized_multiplier`] (the tests compare them with the
//! scalar code), and the same-shape int8 ADD/SUB built on them. Only reached through table
//! entries plugged when the CPU has AVX-512.

use std::arch::x86_64::*;

use super::int8_gemm::Requant;
use crate::int8::params::AddParams;

/// `SaturatingRoundingDoublingHighMul` on 16 lanes.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
pub(crate) fn srdhm(a: __m512i, b: __m512i) -> __m512i {
    #[inline]
    #[target_feature(enable = "avx512f")]
    fn half(p: __m512i) -> __m512i {
        // nudge = 2^30 (p >= 0) or 1 - 2^30 (p < 0); then divide by 2^31 toward zero.
        let neg = _mm512_srai_epi64(p, 63);
        let nudge = _mm512_add_epi64(
            _mm512_set1_epi64(1 << 30),
            _mm512_and_si512(neg, _mm512_set1_epi64(1 - (1i64 << 31))),
        );
        let v = _mm512_add_epi64(p, nudge);
        let vneg = _mm512_srai_epi64(v, 63);
        let v = _mm512_add_epi64(
            v,
            _mm512_and_si512(vneg, _mm512_set1_epi64((1i64 << 31) - 1)),
        );
        _mm512_srai_epi64(v, 31)
    }
    let even = half(_mm512_mul_epi32(a, b));
    let odd = half(_mm512_mul_epi32(
        _mm512_srli_epi64(a, 32),
        _mm512_srli_epi64(b, 32),
    ));
    let r = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
    let min = _mm512_set1_epi32(i32::MIN);
    let sat = _mm512_cmpeq_epi32_mask(a, min) & _mm512_cmpeq_epi32_mask(b, min);
    _mm512_mask_mov_epi32(r, sat, _mm512_set1_epi32(i32::MAX))
}

/// `RoundingDivideByPOT` on 16 lanes, exponents in 0..=31.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
pub(crate) fn rdivpot(x: __m512i, e: __m512i) -> __m512i {
    let one = _mm512_set1_epi32(1);
    let mask = _mm512_sub_epi32(_mm512_sllv_epi32(one, e), one);
    let rem = _mm512_and_si512(x, mask);
    let neg = _mm512_cmplt_epi32_mask(x, _mm512_setzero_si512());
    let thr = _mm512_mask_add_epi32(
        _mm512_srai_epi32(mask, 1),
        neg,
        _mm512_srai_epi32(mask, 1),
        one,
    );
    let up = _mm512_cmpgt_epi32_mask(rem, thr);
    _mm512_mask_add_epi32(_mm512_srav_epi32(x, e), up, _mm512_srav_epi32(x, e), one)
}

/// `MultiplyByQuantizedMultiplier` with one multiplier `m` (not `i32::MIN`) and right shift
/// `e` (0..=31) for all 16 lanes, by [`requant16`]'s single rounding in 64-bit lanes.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
pub(crate) fn mbqm_uniform(v: __m512i, m: i32, e: i32) -> __m512i {
    let e = e.clamp(0, 31) as i64;
    let mm = _mm512_set1_epi64(m as i64);
    let k = _mm512_set1_epi64((1i64 << 30) + if e > 0 { 1i64 << (30 + e) } else { 0 });
    let nb = _mm512_set1_epi64(if e > 0 { 1i64 << 31 } else { 0 });
    let sh = _mm512_set1_epi64(31 + e);
    let half = |a: __m512i| {
        let p = _mm512_mul_epi32(a, mm);
        let t = _mm512_add_epi64(p, _mm512_set1_epi64(1 << 30));
        let neg = _mm512_and_si512(_mm512_srai_epi64(t, 63), nb);
        _mm512_srav_epi64(_mm512_sub_epi64(_mm512_add_epi64(p, k), neg), sh)
    };
    let even = half(v);
    let odd = half(_mm512_srli_epi64(v, 32));
    _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32))
}

/// Int8 ADD (or SUB) of same-shape inputs, 16 lanes at a time: LiteRT's
/// `AddElementwise` arithmetic with `p`'s constants.
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
pub(crate) fn add(a: &[i8], b: &[i8], p: &AddParams, sub: bool, out: &mut [i8]) {
    let n = a.len().min(b.len()).min(out.len());
    let set = _mm512_set1_epi32;
    let (o1, o2, zo) = (
        set(p.input1_offset),
        set(p.input2_offset),
        set(p.output_offset),
    );
    let (m1, m2, mo) = (
        set(p.input1_multiplier),
        set(p.input2_multiplier),
        set(p.output_multiplier),
    );
    let (r1, r2, ro) = (
        set((-p.input1_shift).clamp(0, 31)),
        set((-p.input2_shift).clamp(0, 31)),
        set((-p.output_shift).clamp(0, 31)),
    );
    let ls = set(p.left_shift.clamp(0, 31));
    // The single-rounding form needs multipliers other than i32::MIN.
    let one_rounding = ![
        p.input1_multiplier,
        p.input2_multiplier,
        p.output_multiplier,
    ]
    .contains(&i32::MIN);
    let (lo, hi) = (set(p.act_min.max(-128)), set(p.act_max.min(127)));
    let mut i = 0;
    while i < n {
        let k = (n - i).min(16);
        let mask: __mmask16 = if k == 16 { 0xffff } else { (1u16 << k) - 1 };
        // SAFETY: masked loads/stores touch only lanes < k, inside every slice.
        unsafe {
            let xa = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(mask, a.as_ptr().add(i)));
            let xb = _mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(mask, b.as_ptr().add(i)));
            let (sa, sb, fin);
            if one_rounding {
                sa = mbqm_uniform(
                    _mm512_sllv_epi32(_mm512_add_epi32(xa, o1), ls),
                    p.input1_multiplier,
                    -p.input1_shift,
                );
                sb = mbqm_uniform(
                    _mm512_sllv_epi32(_mm512_add_epi32(xb, o2), ls),
                    p.input2_multiplier,
                    -p.input2_shift,
                );
            } else {
                sa = rdivpot(
                    srdhm(_mm512_sllv_epi32(_mm512_add_epi32(xa, o1), ls), m1),
                    r1,
                );
                sb = rdivpot(
                    srdhm(_mm512_sllv_epi32(_mm512_add_epi32(xb, o2), ls), m2),
                    r2,
                );
            }
            let raw = if sub {
                _mm512_sub_epi32(sa, sb)
            } else {
                _mm512_add_epi32(sa, sb)
            };
            if one_rounding {
                fin = mbqm_uniform(raw, p.output_multiplier, -p.output_shift);
            } else {
                fin = rdivpot(srdhm(raw, mo), ro);
            }
            let v = _mm512_add_epi32(fin, zo);
            let v = _mm512_min_epi32(_mm512_max_epi32(v, lo), hi);
            _mm512_mask_cvtepi32_storeu_epi8(out.as_mut_ptr().add(i).cast(), mask, v);
        }
        i += k;
    }
}

/// `MultiplyByQuantizedMultiplier(v, M, shift) + z_out`, clamped, for the 16 channels
/// `c0..c0 + 16` (`c0` a multiple of 16; `v` holds accumulators with the bias added).
///
/// One rounding step in 64-bit lanes instead of gemmlowp's two: with `p = (v·2^left)·M`,
/// SRDHM is `s = ⌊(p + 2^30) / 2^31⌋` (its sign-dependent nudge and truncation toward zero
/// agree with that floor for either sign), and `RoundingDivideByPOT(s, e)` is
/// `⌊(s + h − [s < 0]·[e > 0]) / 2^e⌋` with `h = ⌊2^(e−1)⌋`. Because `s` is itself a floor,
/// both collapse into `⌊(p + 2^30 + (h − [s < 0]·[e > 0])·2^31) / 2^(31+e)⌋`, and
/// `s < 0 ⇔ p + 2^30 < 0`. Exact for every input except `v·2^left = M = i32::MIN` (checked
/// by [`Requant::simd_ok`]); the tests compare it with the scalar code.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
pub(crate) fn requant16(rq: &Requant, v: __m512i, c0: usize) -> __m512i {
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
    fn lanes(a: __m512i, rq: &Requant, i: usize) -> __m512i {
        // SAFETY: the 64-bit tables are padded to whole 16-channel blocks and `i` is a
        // block start (+8 for the odd lanes), so 8 lanes are in bounds.
        unsafe {
            let ld = |t: &[i64]| _mm512_loadu_si512(t[i..i + 8].as_ptr().cast());
            let p = _mm512_mul_epi32(a, ld(&rq.m64));
            let t = _mm512_add_epi64(p, _mm512_set1_epi64(1 << 30));
            let neg = _mm512_and_si512(_mm512_srai_epi64(t, 63), ld(&rq.nb64));
            let u = _mm512_sub_epi64(_mm512_add_epi64(p, ld(&rq.k64)), neg);
            _mm512_srav_epi64(u, ld(&rq.s64))
        }
    }
    if !rq.fscale.is_empty() {
        return requant16_f32(rq, v, c0);
    }
    // SAFETY: `left` is padded to whole 16-channel blocks.
    let left = unsafe { _mm512_loadu_si512(rq.left[c0..c0 + 16].as_ptr().cast()) };
    let v = _mm512_sllv_epi32(v, left);
    let even = lanes(v, rq, c0);
    let odd = lanes(_mm512_srli_epi64(v, 32), rq, c0 + 8);
    let r = _mm512_mask_blend_epi32(0xAAAA, even, _mm512_slli_epi64(odd, 32));
    let r = _mm512_add_epi32(r, _mm512_set1_epi32(rq.out_offset));
    _mm512_min_epi32(
        _mm512_max_epi32(r, _mm512_set1_epi32(rq.lo)),
        _mm512_set1_epi32(rq.hi),
    )
}

/// XNNPACK's fp32 requantization of 16 channels (`litert` numerics): `acc` to f32, times the
/// channel's f32 scale, clamped to the output range less the zero point, rounded to nearest
/// even (the MXCSR default), plus the zero point — what XNNPACK's AVX-512 qs8 GEMM and
/// depthwise kernels compute.
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
fn requant16_f32(rq: &Requant, v: __m512i, c0: usize) -> __m512i {
    // SAFETY: `fscale` is padded to whole 16-channel blocks and `c0` is a block start.
    let s = unsafe { _mm512_loadu_ps(rq.fscale[c0..c0 + 16].as_ptr()) };
    let lo = _mm512_set1_ps((rq.lo - rq.out_offset) as f32);
    let hi = _mm512_set1_ps((rq.hi - rq.out_offset) as f32);
    let f = _mm512_mul_ps(_mm512_cvtepi32_ps(v), s);
    let f = _mm512_min_ps(_mm512_max_ps(f, lo), hi);
    _mm512_add_epi32(_mm512_cvtps_epi32(f), _mm512_set1_epi32(rq.out_offset))
}

/// [`Requant::row`] on 16 channels at a time (`c0` a multiple of 16).
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
pub(crate) fn requant_row(rq: &Requant, acc: &[i32], c0: usize, out: &mut [i8]) {
    let n = acc.len().min(out.len());
    if !rq.simd_ok || !c0.is_multiple_of(16) {
        return rq.row(&acc[..n], c0, &mut out[..n]);
    }
    let b = &rq.bias[c0..c0 + n];
    let mut i = 0;
    while i < n {
        let k = (n - i).min(16);
        let mask: __mmask16 = if k == 16 { 0xffff } else { (1u16 << k) - 1 };
        // SAFETY: masked loads/stores touch only lanes < k, inside every slice.
        unsafe {
            let v = _mm512_add_epi32(
                _mm512_maskz_loadu_epi32(mask, acc.as_ptr().add(i)),
                _mm512_maskz_loadu_epi32(mask, b.as_ptr().add(i)),
            );
            let r = _mm512_cvtepi32_epi8(requant16(rq, v, c0 + i));
            // (A register narrowing and a plain store: the memory form of vpmovdb is slow.)
            if k == 16 {
                _mm_storeu_si128(out.as_mut_ptr().add(i).cast(), r);
            } else {
                _mm_mask_storeu_epi8(out.as_mut_ptr().add(i).cast(), mask, r);
            }
        }
        i += k;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cpu::Level;
    use crate::fast::test_util::quant;
    use crate::int8::params::{Activation, ConvQuant};

    /// The one-rounding SIMD requantization against gemmlowp's two roundings, lane for lane:
    /// random and extreme accumulators, every shift from −31 to +3 (and the clamped ±40),
    /// multipliers across their range.
    #[test]
    fn simd_requantization_matches_the_scalar_code() {
        if crate::cpu::detected() != Level::Avx512Vnni {
            return;
        }
        let n = 48;
        let mut seed = 7u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 32) as u32
        };
        for round in 0..400 {
            let shifts: Vec<i32> = (0..n)
                .map(|o| match (round + o) % 37 {
                    35 => -40,
                    36 => 40,
                    k => k as i32 - 31,
                })
                .collect();
            let mults: Vec<i32> = (0..n)
                .map(|o| match o % 5 {
                    0 => (1 << 30) + (next() >> 2) as i32,
                    1 => i32::MAX,
                    2 => 1 << 30,
                    3 => (next() >> 1) as i32,
                    _ => -((next() >> 1) as i32),
                })
                .collect();
            let q = ConvQuant {
                multipliers: mults,
                shifts,
                ..quant(n, 0, Activation::None, 1)
            };
            let bias: Vec<i32> = (0..n).map(|_| next() as i32 >> 8).collect();
            let rq = Requant::with_bias(bias, &q, n);
            let acc: Vec<i32> = (0..n)
                .map(|o| match (o + round) % 7 {
                    0 => i32::MAX - 1000,
                    1 => i32::MIN + 1000,
                    2 => (next() as i32) >> 20,
                    _ => next() as i32 >> (round % 31),
                })
                .collect();
            let mut want = vec![0i8; n];
            rq.row(&acc, 0, &mut want);
            for (c0, len) in [(0, n), (16, 32), (32, 5)] {
                let mut got = vec![0i8; len];
                // SAFETY: the CPU check above.
                unsafe { requant_row(&rq, &acc[c0..c0 + len], c0, &mut got) };
                assert_eq!(got, want[c0..c0 + len], "round {round} c0 {c0}");
            }
        }
    }
}
