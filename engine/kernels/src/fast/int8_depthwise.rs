//! Optimized int8 DEPTHWISE_CONV_2D (channel multiplier 1), bit-exact with its reference twin
//! [`crate::int8::conv::depthwise`]: an AVX-512 kernel on widened, pair-interleaved weights
//! (`vpdpwssd`, two taps per instruction) where the parameters allow, otherwise register-blocked
//! rows compiled for the table's level. Rows are split over the worker pool.

use super::int8_gemm::Requant;
use crate::cpu::Level;
use crate::geom::{ConvGeom, DwTaps};
use crate::int8::params::ConvQuant;
use crate::table::QConv;

/// Depthwise weights (channel multiplier 1) prepared for the AVX-512 kernel: widened to i16,
/// taps in pairs interleaved the way `vpunpck{l,h}wd` interleaves two taps' inputs, so that one
/// `vpmaddwd` adds two taps for 16 channels; the input offset folded into the bias
/// (`bias + off·Σ_taps w`), padding read as the input zero point (then it contributes exactly 0,
/// like the reference's in-bounds-only sum).
#[derive(Debug, Clone)]
pub struct DwPacked {
    pairs: usize,
    /// `[c / 32 blocks][pairs][lo, hi][32]`, zero past the last tap and channel.
    w: Vec<i16>,
    rq: Requant,
    /// The input zero point (`−input_offset`), what padding reads.
    zp: i8,
}

/// Channels per depthwise block (one 512-bit register of i16 lanes).
const DW_CB: usize = 32;

impl DwPacked {
    /// `None` when the AVX-512 kernel cannot take these parameters (no AVX-512, an input offset
    /// outside int8 or a multiplier it cannot requantize).
    pub fn new(w: &[i8], bias: Option<&[i32]>, g: &ConvGeom, q: &ConvQuant) -> Option<DwPacked> {
        let c = g.in_hwc[2];
        let taps = g.k[0] * g.k[1];
        let zp = i8::try_from(-q.input_offset).ok()?;
        // The kernel it feeds is AVX-512: a DwPacked exists only on a CPU that has it.
        if crate::cpu::detected() != Level::Avx512Vnni || w.len() != taps * c {
            return None;
        }
        let pairs = taps.div_ceil(2);
        let blocks = c.div_ceil(DW_CB);
        let mut pw = vec![0i16; blocks * pairs * 2 * DW_CB];
        for (i, v) in pw.iter_mut().enumerate() {
            // i = ((blk·pairs + p)·2 + h)·32 + (lane·8 + q·2 + s)
            let (blk, p, h) = (
                i / (2 * DW_CB * pairs),
                i / (2 * DW_CB) % pairs,
                i / DW_CB % 2,
            );
            let (lane, qq, s) = (i % DW_CB / 8, i % 8 / 2, i % 2);
            let (ch, tap) = (blk * DW_CB + lane * 8 + h * 4 + qq, 2 * p + s);
            if ch < c && tap < taps {
                *v = w[tap * c + ch] as i16;
            }
        }
        let bias: Vec<i32> = (0..c)
            .map(|ch| {
                let sw = (0..taps).fold(0i32, |a, t| a.wrapping_add(w[t * c + ch] as i32));
                let b = bias.and_then(|b| b.get(ch)).copied().unwrap_or(0);
                b.wrapping_add(q.input_offset.wrapping_mul(sw))
            })
            .collect();
        let rq = Requant::with_bias(bias, q, c);
        rq.simd_ok.then_some(DwPacked {
            pairs,
            w: pw,
            rq,
            zp,
        })
    }
}

/// Depthwise convolution (multiplier 1) with weights prepared by [`DwPacked::new`] into `out`
/// (`[n, oh, ow, c]`, every element written).
pub fn depthwise_packed(x: &[i8], p: &DwPacked, g: &ConvGeom, out: &mut [i8]) {
    let [_, _, c] = g.in_hwc;
    let [oh, ow, _] = g.out_hwc;
    debug_assert_eq!(out.len(), g.n * oh * ow * c);
    if x.len() < g.n * g.in_hwc[0] * g.in_hwc[1] * c {
        // Shape inference rules this out; never read out of bounds.
        out.fill(0);
        return;
    }
    let zrow = vec![p.zp; c.div_ceil(DW_CB) * DW_CB];
    crate::parallel::chunks_mut(out, ow * c, |row, out| {
        let (b, oy) = (row / oh, row % oh);
        #[cfg(target_arch = "x86_64")]
        // SAFETY: a DwPacked exists only when the CPU has AVX-512 (checked in `new`); the
        // input length was checked above.
        unsafe {
            if p.pairs == 5 {
                dw_row_packed::<5>(x, p, g, &zrow, b, oy, out)
            } else {
                dw_row_packed::<0>(x, p, g, &zrow, b, oy, out)
            }
        };
    });
}

/// One output row of the packed depthwise kernel.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx512vnni")]
unsafe fn dw_row_packed<const PAIRS: usize>(
    x: &[i8],
    p: &DwPacked,
    g: &ConvGeom,
    zrow: &[i8],
    b: usize,
    oy: usize,
    out: &mut [i8],
) {
    use std::arch::x86_64::*;
    let c = g.in_hwc[2];
    let ow = g.out_hwc[1];
    // A constant pair count (3×3 filters: 5) lets the tap loop unroll.
    let pairs = if PAIRS > 0 { PAIRS } else { p.pairs };
    let mut ptrs: Vec<*const i8> = vec![zrow.as_ptr(); 2 * pairs];
    // Lanes of the lo/hi accumulators back in channel order (see DwPacked).
    let idx = |base: i32| {
        let mut v = [0i32; 16];
        for (j, v) in v.iter_mut().enumerate() {
            let (l, r) = (base + j as i32 / 8, j as i32 % 8);
            *v = if r < 4 { 4 * l + r } else { 16 + 4 * l + r - 4 };
        }
        // SAFETY: 16 i32 lanes read from a 16-element array.
        unsafe { _mm512_loadu_si512(v.as_ptr().cast()) }
    };
    let (idx0, idx1) = (idx(0), idx(2));
    let taps_of = DwTaps::new(x, g, b, oy);
    for ox in 0..ow {
        taps_of.fill(x, g, zrow.as_ptr(), ox, &mut ptrs);
        // SAFETY: every pointer is a pixel of x or zrow with at least c readable bytes (zrow
        // is padded to whole blocks); the features are this function's.
        unsafe { dw_pixel::<PAIRS>(p, &ptrs, (idx0, idx1), &mut out[ox * c..(ox + 1) * c]) };
    }
}

/// One output pixel of the packed depthwise kernel from its tap pointers.
#[cfg(target_arch = "x86_64")]
#[inline]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl,avx512vnni")]
unsafe fn dw_pixel<const PAIRS: usize>(
    p: &DwPacked,
    ptrs: &[*const i8],
    (idx0, idx1): (std::arch::x86_64::__m512i, std::arch::x86_64::__m512i),
    o: &mut [i8],
) {
    use std::arch::x86_64::*;
    let c = o.len();
    let pairs = if PAIRS > 0 { PAIRS } else { p.pairs };
    let mut c0 = 0;
    while c0 < c {
        let cb = (c - c0).min(DW_CB);
        let m32: __mmask32 = if cb == DW_CB { !0 } else { (1u32 << cb) - 1 };
        let wb = &p.w[c0 / DW_CB * pairs * 2 * DW_CB..][..pairs * 2 * DW_CB];
        let (mut lo, mut hi) = (_mm512_setzero_si512(), _mm512_setzero_si512());
        for (pi, wp) in wb.chunks_exact(2 * DW_CB).enumerate() {
            // SAFETY: masked loads read `cb` bytes of a pixel (or of `zrow`, which is
            // padded to whole blocks); the weight block holds 64 i16.
            unsafe {
                let ld = |q: *const i8| {
                    if cb == DW_CB {
                        _mm256_loadu_si256(q.add(c0).cast())
                    } else {
                        _mm256_maskz_loadu_epi8(m32, q.add(c0))
                    }
                };
                let xa = _mm512_cvtepi8_epi16(ld(ptrs[2 * pi]));
                let xb = _mm512_cvtepi8_epi16(ld(ptrs[2 * pi + 1]));
                let wl = _mm512_loadu_si512(wp.as_ptr().cast());
                let wh = _mm512_loadu_si512(wp.as_ptr().add(DW_CB).cast());
                lo = _mm512_dpwssd_epi32(lo, _mm512_unpacklo_epi16(xa, xb), wl);
                hi = _mm512_dpwssd_epi32(hi, _mm512_unpackhi_epi16(xa, xb), wh);
            }
        }
        let o = &mut o[c0..c0 + cb];
        // SAFETY: `bias` (c entries) is read under the channel mask; `o` has cb bytes and
        // is written under the same mask (or whole when cb = 32).
        unsafe {
            let m0 = m32 as __mmask16;
            let m1 = (m32 >> 16) as __mmask16;
            let bias = p.rq.bias.as_ptr().add(c0);
            let a0 = _mm512_add_epi32(
                _mm512_permutex2var_epi32(lo, idx0, hi),
                _mm512_maskz_loadu_epi32(m0, bias),
            );
            let r0 = _mm512_cvtepi32_epi8(super::simd512::requant16(&p.rq, a0, c0));
            let r1 = if cb > 16 {
                let a1 = _mm512_add_epi32(
                    _mm512_permutex2var_epi32(lo, idx1, hi),
                    _mm512_maskz_loadu_epi32(m1, bias.add(16)),
                );
                _mm512_cvtepi32_epi8(super::simd512::requant16(&p.rq, a1, c0 + 16))
            } else {
                _mm_setzero_si128()
            };
            let r = _mm256_inserti128_si256::<1>(_mm256_castsi128_si256(r0), r1);
            if cb == DW_CB {
                _mm256_storeu_si256(o.as_mut_ptr().cast(), r);
            } else {
                _mm256_mask_storeu_epi8(o.as_mut_ptr().cast(), m32, r);
            }
        }
        c0 += cb;
    }
}

/// The requantization [`depthwise_generic`] uses (the bias as given).
pub fn generic_requant(bias: Option<&[i32]>, q: &ConvQuant, c: usize) -> Requant {
    let bias: Vec<i32> = (0..c)
        .map(|o| bias.and_then(|b| b.get(o)).copied().unwrap_or(0))
        .collect();
    Requant::with_bias(bias, q, c)
}

/// Depthwise convolution (multiplier 1) by rows with the generic register-blocked loops at
/// level `lv` into `out` (`[n, oh, ow, c]`, every element written); `rq` from
/// [`generic_requant`], `off` the input offset.
pub fn depthwise_generic(
    lv: Level,
    x: &[i8],
    w: &[i8],
    g: &ConvGeom,
    off: i32,
    rq: &Requant,
    out: &mut [i8],
) {
    let [ih, iw, c] = g.in_hwc;
    let [oh, ow, _] = g.out_hwc;
    // Never above what the CPU has (this function is safe to call with any level).
    let lv = lv.min(crate::cpu::detected());
    debug_assert_eq!(out.len(), g.n * oh * ow * c);
    debug_assert!(x.len() >= g.n * ih * iw * c && w.len() >= g.k[0] * g.k[1] * c);
    crate::parallel::chunks_mut(out, ow * c, |row, out| {
        let (b, oy) = (row / oh, row % oh);
        match lv {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the table holds this level only when the CPU reports these features.
            Level::Avx512Vnni => unsafe { dw_row_avx512(x, w, g, off, rq, b, oy, out) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above (AVX2 + FMA).
            Level::Avx2 => unsafe { dw_row_avx2(x, w, g, off, rq, b, oy, out) },
            _ => dw_row::<false>(x, w, g, off, rq, b, oy, out),
        }
    });
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
#[allow(clippy::too_many_arguments)]
unsafe fn dw_row_avx512(
    x: &[i8],
    w: &[i8],
    g: &ConvGeom,
    off: i32,
    rq: &Requant,
    b: usize,
    oy: usize,
    out: &mut [i8],
) {
    dw_row::<true>(x, w, g, off, rq, b, oy, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn dw_row_avx2(
    x: &[i8],
    w: &[i8],
    g: &ConvGeom,
    off: i32,
    rq: &Requant,
    b: usize,
    oy: usize,
    out: &mut [i8],
) {
    dw_row::<false>(x, w, g, off, rq, b, oy, out)
}

/// One output row of a depthwise convolution: `acc[c] = Σ w·(x + off)` over in-bounds taps,
/// channels in register-sized blocks.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn dw_row<const AVX512: bool>(
    x: &[i8],
    w: &[i8],
    g: &ConvGeom,
    off: i32,
    rq: &Requant,
    b: usize,
    oy: usize,
    out: &mut [i8],
) {
    const CB: usize = 32;
    let [ih, iw, c] = g.in_hwc;
    let [_, ow, _] = g.out_hwc;
    let [kh, kw] = g.k;
    let mut taps: Vec<(usize, usize)> = Vec::with_capacity(kh * kw);
    for ox in 0..ow {
        taps.clear();
        for ky in 0..kh {
            let y = (oy * g.stride[0] + ky * g.dilation[0]) as isize - g.pad[0] as isize;
            if y < 0 || y as usize >= ih {
                continue;
            }
            for kx in 0..kw {
                let xx = (ox * g.stride[1] + kx * g.dilation[1]) as isize - g.pad[1] as isize;
                if xx >= 0 && (xx as usize) < iw {
                    taps.push((
                        ((b * ih + y as usize) * iw + xx as usize) * c,
                        (ky * kw + kx) * c,
                    ));
                }
            }
        }
        let mut c0 = 0;
        while c0 < c {
            let cb = (c - c0).min(CB);
            let mut acc = [0i32; CB];
            if cb == CB {
                for &(xs, ws) in &taps {
                    let xr: &[i8; CB] = x[xs + c0..xs + c0 + CB].try_into().unwrap_or(&[0; CB]);
                    let wr: &[i8; CB] = w[ws + c0..ws + c0 + CB].try_into().unwrap_or(&[0; CB]);
                    for i in 0..CB {
                        acc[i] = acc[i].wrapping_add(wr[i] as i32 * (xr[i] as i32 + off));
                    }
                }
            } else {
                for &(xs, ws) in &taps {
                    let (xr, wr) = (&x[xs + c0..xs + c0 + cb], &w[ws + c0..ws + c0 + cb]);
                    for i in 0..cb {
                        acc[i] = acc[i].wrapping_add(wr[i] as i32 * (xr[i] as i32 + off));
                    }
                }
            }
            let o = &mut out[ox * c + c0..ox * c + c0 + cb];
            if AVX512 {
                #[cfg(target_arch = "x86_64")]
                // SAFETY: AVX512 is only true inside `dw_row_avx512`, whose features the CPU has.
                unsafe {
                    super::simd512::requant_row(rq, &acc[..cb], c0, o)
                };
                #[cfg(not(target_arch = "x86_64"))]
                rq.row(&acc[..cb], c0, o);
            } else {
                rq.row(&acc[..cb], c0, o);
            }
            c0 += cb;
        }
    }
}

/// A depthwise convolution prepared for one level.
#[derive(Debug)]
pub enum DwConv {
    /// The AVX-512 kernel's packed weights.
    Packed(DwPacked),
    /// The register-blocked rows: weights, requantization, input offset, level.
    Generic {
        /// Level the rows are compiled for.
        lv: Level,
        /// `[kh, kw, c]`.
        w: Vec<i8>,
        /// Requantization with the bias.
        rq: Requant,
        /// Input offset.
        off: i32,
    },
}

impl DwConv {
    fn generic(lv: Level, w: &[i8], bias: Option<&[i32]>, g: &ConvGeom, q: &ConvQuant) -> Self {
        DwConv::Generic {
            lv,
            w: w.to_vec(),
            rq: generic_requant(bias, q, g.in_hwc[2]),
            off: q.input_offset,
        }
    }
}

impl QConv for DwConv {
    fn run(&self, x: &[i8], g: &ConvGeom, out: &mut [i8]) {
        match self {
            DwConv::Packed(p) => depthwise_packed(x, p, g, out),
            DwConv::Generic { lv, w, rq, off } => depthwise_generic(*lv, x, w, g, *off, rq, out),
        }
    }
}

/// Table entry: the register-blocked rows, portable code.
pub fn prepare_portable(
    w: &[i8],
    bias: Option<&[i32]>,
    g: &ConvGeom,
    q: &ConvQuant,
) -> Box<dyn QConv> {
    Box::new(DwConv::generic(Level::Portable, w, bias, g, q))
}

/// Table entry: the register-blocked rows compiled for AVX2 (plugged only when the CPU has it).
#[cfg(target_arch = "x86_64")]
pub(crate) fn prepare_avx2(
    w: &[i8],
    bias: Option<&[i32]>,
    g: &ConvGeom,
    q: &ConvQuant,
) -> Box<dyn QConv> {
    Box::new(DwConv::generic(Level::Avx2, w, bias, g, q))
}

/// Table entry: the packed AVX-512 kernel, or the rows with AVX-512 requantization where the
/// packing declines (plugged only when the CPU has AVX-512 VNNI).
#[cfg(target_arch = "x86_64")]
pub(crate) fn prepare_avx512(
    w: &[i8],
    bias: Option<&[i32]>,
    g: &ConvGeom,
    q: &ConvQuant,
) -> Box<dyn QConv> {
    match DwPacked::new(w, bias, g, q) {
        Some(p) => Box::new(DwConv::Packed(p)),
        None => Box::new(DwConv::generic(Level::Avx512Vnni, w, bias, g, q)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fast::test_util::{bytes, geom, quant, quant_litert};
    use crate::int8::conv as reference;
    use crate::int8::params::Activation;

    #[test]
    fn depthwise_matches_the_reference() {
        let cases = [
            (1, [9, 7], 8, [3, 3], 2, 1, true),
            (2, [6, 6], 37, [3, 3], 1, 1, true),
            (1, [8, 5], 5, [3, 2], 1, 2, false),
            (1, [12, 12], 96, [5, 5], 2, 1, true),
        ];
        for (i, &(n, hw, c, k, s, d, pad)) in cases.iter().enumerate() {
            let g = geom(n, hw, c, c, k, s, d, pad);
            let x = bytes(n * hw[0] * hw[1] * c, i as u64);
            let w = bytes(k[0] * k[1] * c, 50 + i as u64);
            let bias: Vec<i32> = bytes(c, 60 + i as u64)
                .iter()
                .map(|&b| b as i32 * 31)
                .collect();
            for (z_in, litert) in [
                (-128, false),
                (5, false),
                (127, false),
                (-128, true),
                (5, true),
            ] {
                let seed = 70 + i as u64;
                let q = if litert {
                    quant_litert(c, z_in, Activation::Relu, seed)
                } else {
                    quant(c, z_in, Activation::Relu, seed)
                };
                let mut want = vec![0i8; n * g.out_hwc.iter().product::<usize>()];
                reference::depthwise(&x, &w, Some(&bias), &g, &q, &mut want);
                for lv in crate::cpu::supported() {
                    let k = (crate::table::for_level(lv).q_depthwise)(&w, Some(&bias), &g, &q);
                    for threads in [1, 2] {
                        let mut got = vec![0x55i8; want.len()];
                        crate::parallel::with_threads(threads, || k.run(&x, &g, &mut got));
                        assert_eq!(got, want, "case {i} z_in {z_in} {lv:?} {threads}");
                    }
                    if lv == Level::Reference {
                        continue;
                    }
                    let rq = generic_requant(Some(&bias), &q, c);
                    let mut got = vec![0x55i8; want.len()];
                    depthwise_generic(lv, &x, &w, &g, q.input_offset, &rq, &mut got);
                    assert_eq!(got, want, "case {i} generic {lv:?}");
                    if lv == Level::Avx512Vnni {
                        let p = DwPacked::new(&w, Some(&bias), &g, &q).expect("packed");
                        let mut got = vec![0x55i8; want.len()];
                        depthwise_packed(&x, &p, &g, &mut got);
                        assert_eq!(got, want, "case {i} packed");
                    }
                }
            }
        }
    }
}
