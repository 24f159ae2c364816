//! Optimized int8 CONV_2D (ungrouped) as a GEMM, bit-exact with its reference twin
//! [`crate::int8::conv::conv2d`] (and so with LiteRT's reference kernels).
//!
//! Convolution as a GEMM: rows are output pixels, columns output channels, depth
//! `kh·kw·ic`. The input is shifted to unsigned (`x + 128`, so that the unsigned×signed
//! dot-product instructions apply without saturation); padding taps are filled with the input
//! zero point so that they contribute exactly 0, like the reference's in-bounds-only sum. With
//! `A = x + 128` the reference accumulator is `Σ A·w + (input_offset − 128)·Σw + bias`, and the
//! per-channel constant is folded into the bias once. Integer sums are exact (wrapping like the
//! C++), so any summation order gives the reference bits.
//!
//! The kernel table picks the level: AVX-512 VNNI (`vpdpbusd`, 64 multiply-adds per
//! instruction), or portable code compiled for AVX2 (or the baseline) and left to the
//! compiler's vectorizer. Work is split over row blocks on the worker pool.

use crate::cpu::Level;
use crate::geom::ConvGeom;
use crate::int8::fixed::multiply_by_quantized_multiplier;
use crate::int8::params::ConvQuant;
use crate::table::QConv;

/// Output channels per packed panel (one 512-bit register of i32 lanes).
pub const PANEL: usize = 16;
/// Rows per micro-tile.
pub(crate) const MR: usize = 6;
/// Rows per parallel task (its im2col block stays in cache).
const MC: usize = 96;

/// Int8 weights `[n, k]` (row per output channel) packed for the micro-kernels, with their
/// per-channel sums.
#[derive(Debug, Clone)]
pub struct Packed {
    /// Output channels.
    pub n: usize,
    /// Depth.
    pub k: usize,
    /// Depth rounded up to a multiple of 4.
    pub kp: usize,
    /// `[n / 16][kp / 4][16][4]`, zero padded.
    panels: Vec<i8>,
    /// Row-major `[n][kp]`, zero padded (portable path).
    rows: Vec<i8>,
    /// `Σ_k w[o][k]`.
    pub wsum: Vec<i32>,
}

impl Packed {
    /// Pack `w` (`[n, k]`, row-major).
    pub fn new(w: &[i8], n: usize, k: usize) -> Packed {
        let kp = k.div_ceil(4) * 4;
        let np = n.div_ceil(PANEL);
        let mut panels = vec![0i8; np * kp * PANEL];
        let mut rows = vec![0i8; n * kp];
        let mut wsum = vec![0i32; n];
        for o in 0..n {
            let src = &w[o * k..(o + 1) * k];
            rows[o * kp..o * kp + k].copy_from_slice(src);
            let (p, c) = (o / PANEL, o % PANEL);
            for (kk, &v) in src.iter().enumerate() {
                panels[((p * (kp / 4) + kk / 4) * PANEL + c) * 4 + kk % 4] = v;
                wsum[o] = wsum[o].wrapping_add(v as i32);
            }
        }
        Packed {
            n,
            k,
            kp,
            panels,
            rows,
            wsum,
        }
    }
}

/// Requantization of one conv: bias with the offset terms folded in, per-channel multipliers.
#[derive(Debug, Clone)]
pub struct Requant {
    /// `bias[o] + (input_offset − 128)·Σw[o]` (GEMM on `x + 128`), or `bias[o]` (depthwise).
    pub bias: Vec<i32>,
    pub(crate) mult: Vec<i32>,
    pub(crate) shift: Vec<i32>,
    /// `max(shift, 0)` clamped to 0..=32, padded to whole 16-channel blocks (SIMD path).
    pub(crate) left: Vec<i32>,
    /// SIMD constants in 64-bit lanes, per 16-channel block the 8 even channels then the 8 odd
    /// ones (the lanes `vpmuldq` reads): multiplier, `2^30 + h·2^31`, `31 + e` and `[e > 0]·2^31`
    /// with `e = max(−shift, 0)` and `h = ⌊2^(e−1)⌋` (see [`super::simd512::requant16`]).
    pub(crate) m64: Vec<i64>,
    pub(crate) k64: Vec<i64>,
    pub(crate) s64: Vec<i64>,
    pub(crate) nb64: Vec<i64>,
    /// `litert` numerics: f32 scale per channel, padded to whole 16-channel blocks (empty:
    /// the fixed-point multipliers above).
    pub(crate) fscale: Vec<f32>,
    /// No multiplier is `i32::MIN` (the one saturating case the SIMD lanes leave out).
    pub(crate) simd_ok: bool,
    pub(crate) out_offset: i32,
    pub(crate) lo: i32,
    pub(crate) hi: i32,
}

impl Requant {
    /// For a GEMM over `x + 128` with packed weights `p`.
    pub fn for_gemm(p: &Packed, bias: Option<&[i32]>, q: &ConvQuant) -> Requant {
        let bias = (0..p.n)
            .map(|o| {
                let b = bias.and_then(|b| b.get(o)).copied().unwrap_or(0);
                b.wrapping_add((q.input_offset.wrapping_sub(128)).wrapping_mul(p.wsum[o]))
            })
            .collect();
        Self::with_bias(bias, q, p.n)
    }

    /// With `bias` as given (depthwise: the input offset folded in by the caller).
    pub(crate) fn with_bias(bias: Vec<i32>, q: &ConvQuant, n: usize) -> Requant {
        let pick = |v: &[i32], o: usize| v.get(o).or(v.first()).copied().unwrap_or(0);
        let shift: Vec<i32> = (0..n).map(|o| pick(&q.shifts, o)).collect();
        let mult: Vec<i32> = (0..n).map(|o| pick(&q.multipliers, o)).collect();
        let np = n.div_ceil(PANEL) * PANEL;
        let mut left = vec![0i32; np];
        let (mut m64, mut k64, mut s64, mut nb64) = (
            vec![0i64; np],
            vec![1i64 << 30; np],
            vec![31i64; np],
            vec![0i64; np],
        );
        for o in 0..n {
            left[o] = shift[o].clamp(0, 32);
            let e = (-shift[o]).clamp(0, 31) as i64;
            // Lane of channel o: its block, then even channels first.
            let lane = o / PANEL * PANEL + (o % PANEL) / 2 + (o % 2) * (PANEL / 2);
            m64[lane] = mult[o] as i64;
            k64[lane] = (1i64 << 30) + if e > 0 { 1i64 << (30 + e) } else { 0 };
            s64[lane] = 31 + e;
            nb64[lane] = if e > 0 { 1i64 << 31 } else { 0 };
        }
        let fscale = if q.float_scales.is_empty() {
            Vec::new()
        } else {
            let mut f = vec![0f32; np];
            for (o, v) in f.iter_mut().enumerate().take(n) {
                *v = q
                    .float_scales
                    .get(o)
                    .or(q.float_scales.first())
                    .copied()
                    .unwrap_or(0.0);
            }
            f
        };
        Requant {
            bias,
            simd_ok: !fscale.is_empty() || !mult.contains(&i32::MIN),
            fscale,
            mult,
            left,
            m64,
            k64,
            s64,
            nb64,
            shift,
            out_offset: q.output_offset,
            lo: q.act_min.max(i8::MIN as i32),
            hi: q.act_max.min(i8::MAX as i32),
        }
    }

    /// Requantize accumulators of channels `c0..c0 + acc.len()` (bias not yet added).
    #[inline(always)]
    pub(crate) fn row(&self, acc: &[i32], c0: usize, out: &mut [i8]) {
        let n = acc.len().min(out.len());
        let (b, m, s) = (
            &self.bias[c0..c0 + n],
            &self.mult[c0..c0 + n],
            &self.shift[c0..c0 + n],
        );
        if !self.fscale.is_empty() {
            let f = &self.fscale[c0..c0 + n];
            for i in 0..n {
                let a = acc[i].wrapping_add(b[i]);
                out[i] = crate::xnn::requantize_f32(a, f[i], self.out_offset, self.lo, self.hi);
            }
            return;
        }
        for i in 0..n {
            let v = multiply_by_quantized_multiplier(acc[i].wrapping_add(b[i]), m[i], s[i])
                .wrapping_add(self.out_offset);
            out[i] = v.clamp(self.lo, self.hi) as i8;
        }
    }
}

/// `C = A·Wᵀ` requantized into `out` (`m` rows of `p.n`), `A` unsigned `[m][p.kp]`.
fn gemm_block(a: &[u8], m: usize, p: &Packed, rq: &Requant, out: &mut [i8], lv: Level) {
    match lv {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the table holds this level only when the CPU reports avx512f, avx512bw,
        // avx512dq, avx512vl and avx512vnni; slice bounds are checked inside.
        Level::Avx512Vnni => unsafe { vnni::gemm_block(a, m, p, rq, out) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: only selected when the CPU reports AVX2.
        Level::Avx2 => unsafe { gemm_block_avx2(a, m, p, rq, out) },
        _ => gemm_block_portable(a, m, p, rq, out),
    }
}

#[inline(always)]
fn gemm_rows(a: &[u8], m: usize, p: &Packed, rq: &Requant, out: &mut [i8]) {
    let kp = p.kp;
    let mut acc = vec![0i32; p.n];
    for r in 0..m {
        let ar = &a[r * kp..(r + 1) * kp];
        for (o, acc) in acc.iter_mut().enumerate() {
            let wr = &p.rows[o * kp..(o + 1) * kp];
            let mut s = 0i32;
            for (&x, &w) in ar.iter().zip(wr) {
                s = s.wrapping_add(x as i32 * w as i32);
            }
            *acc = s;
        }
        rq.row(&acc, 0, &mut out[r * p.n..(r + 1) * p.n]);
    }
}

fn gemm_block_portable(a: &[u8], m: usize, p: &Packed, rq: &Requant, out: &mut [i8]) {
    gemm_rows(a, m, p, rq, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn gemm_block_avx2(a: &[u8], m: usize, p: &Packed, rq: &Requant, out: &mut [i8]) {
    gemm_rows(a, m, p, rq, out)
}

#[cfg(target_arch = "x86_64")]
mod vnni {
    use std::arch::x86_64::*;

    use super::{MR, PANEL, Packed, Requant};

    /// `MR` rows × `NR` panels of 16 channels over the whole depth, requantized in registers
    /// and stored: rows `0..rows` of `out` (row stride `n`) at channels `c0..c0 + width`.
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni,avx512dq,avx512vl")]
    #[allow(clippy::too_many_arguments)]
    unsafe fn tile<const NR: usize>(
        a: &[u8],
        kp: usize,
        b: &[i8],
        pstride: usize,
        rq: &Requant,
        (c0, width, rows, n): (usize, usize, usize, usize),
        out: &mut [i8],
    ) {
        let groups = kp / 4;
        assert!(a.len() >= MR * kp && b.len() >= (NR - 1) * pstride + groups * 64);
        assert!(rows <= MR && width <= NR * PANEL && out.len() >= (rows - 1) * n + c0 + width);
        let (ap, bp) = (a.as_ptr(), b.as_ptr());
        let mut acc = [[_mm512_setzero_si512(); NR]; MR];
        for g in 0..groups {
            let mut bv = [_mm512_setzero_si512(); NR];
            for (j, v) in bv.iter_mut().enumerate() {
                // SAFETY: within `b` by the assertion above.
                *v = unsafe { _mm512_loadu_si512(bp.add(j * pstride + g * 64).cast()) };
            }
            for (r, accr) in acc.iter_mut().enumerate() {
                // SAFETY: within `a` by the assertion above (4 bytes of row r at depth 4g).
                let quad =
                    unsafe { std::ptr::read_unaligned(ap.add(r * kp + g * 4).cast::<i32>()) };
                let av = _mm512_set1_epi32(quad);
                for j in 0..NR {
                    accr[j] = _mm512_dpbusd_epi32(accr[j], av, bv[j]);
                }
            }
        }
        if NR == 2 && width == 2 * PANEL && rq.simd_ok {
            // Two full panels: both halves of a row narrowed in registers and stored as one
            // 32-byte vector (the memory form of vpmovdb, which LLVM picks for a lone
            // narrowing store, is slow on AMD cores).
            // SAFETY: bias has n ≥ c0 + 32 entries; each row's 32 bytes at channel c0 are
            // inside `out` by the assertion above.
            unsafe {
                let b0 = _mm512_loadu_si512(rq.bias.as_ptr().add(c0).cast());
                let b1 = _mm512_loadu_si512(rq.bias.as_ptr().add(c0 + PANEL).cast());
                for (r, accr) in acc.iter().enumerate().take(rows) {
                    let q0 = crate::fast::simd512::requant16(rq, _mm512_add_epi32(accr[0], b0), c0);
                    let q1 = crate::fast::simd512::requant16(
                        rq,
                        _mm512_add_epi32(accr[NR - 1], b1),
                        c0 + PANEL,
                    );
                    let q = _mm256_inserti128_si256::<1>(
                        _mm256_castsi128_si256(_mm512_cvtepi32_epi8(q0)),
                        _mm512_cvtepi32_epi8(q1),
                    );
                    _mm256_storeu_si256(out.as_mut_ptr().add(r * n + c0).cast(), q);
                }
            }
            return;
        }
        for j in 0..NR {
            let cj = c0 + j * PANEL;
            let k = (c0 + width).saturating_sub(cj).min(PANEL);
            if k == 0 {
                break;
            }
            let mask: __mmask16 = if k == 16 { 0xffff } else { (1u16 << k) - 1 };
            // SAFETY: masked bias load of k channels below n; stores of k bytes at row r,
            // channel cj, inside `out` by the assertion above.
            unsafe {
                if !rq.simd_ok {
                    for (r, accr) in acc.iter().enumerate().take(rows) {
                        let mut v = [0i32; PANEL];
                        _mm512_storeu_si512(v.as_mut_ptr().cast(), accr[j]);
                        let o = r * n + cj;
                        rq.row(&v[..k], cj, &mut out[o..o + k]);
                    }
                    continue;
                }
                let bias = _mm512_maskz_loadu_epi32(mask, rq.bias.as_ptr().add(cj));
                for (r, accr) in acc.iter().enumerate().take(rows) {
                    let v = _mm512_add_epi32(accr[j], bias);
                    let q = _mm512_cvtepi32_epi8(crate::fast::simd512::requant16(rq, v, cj));
                    let dst = out.as_mut_ptr().add(r * n + cj);
                    if k == 16 {
                        _mm_storeu_si128(dst.cast(), q);
                    } else {
                        _mm_mask_storeu_epi8(dst, mask, q);
                    }
                }
            }
        }
    }

    #[target_feature(enable = "avx512f,avx512bw,avx512vnni,avx512dq,avx512vl")]
    pub(super) unsafe fn gemm_block(a: &[u8], m: usize, p: &Packed, rq: &Requant, out: &mut [i8]) {
        let (kp, n) = (p.kp, p.n);
        let np = n.div_ceil(PANEL);
        let pstride = kp / 4 * 64;
        let mut pad = Vec::new();
        let mut r0 = 0;
        while r0 < m {
            let rows = (m - r0).min(MR);
            // The last rows are copied into a zero-padded full tile.
            let at: &[u8] = if rows == MR {
                &a[r0 * kp..(r0 + MR) * kp]
            } else {
                pad.clear();
                pad.extend_from_slice(&a[r0 * kp..(r0 + rows) * kp]);
                pad.resize(MR * kp, 0);
                &pad
            };
            let o = &mut out[r0 * n..];
            let mut pi = 0;
            while pi < np {
                let nr = if np - pi >= 2 { 2 } else { 1 };
                let b = &p.panels[pi * pstride..];
                let c0 = pi * PANEL;
                let width = (nr * PANEL).min(n - c0);
                // SAFETY: this function's target features are enabled by its caller's check.
                unsafe {
                    if nr == 2 {
                        tile::<2>(at, kp, b, pstride, rq, (c0, width, rows, n), o);
                    } else {
                        tile::<1>(at, kp, b, pstride, rq, (c0, width, rows, n), o);
                    }
                }
                pi += nr;
            }
            r0 += rows;
        }
    }
}

/// `dst[i] = src[i] + 128` as unsigned bytes, 8 at a time (im2col segments are often short:
/// a 3-channel image row of 3 taps is 9 bytes).
#[inline]
fn to_unsigned(dst: &mut [u8], src: &[i8]) {
    const FLIP: u64 = 0x8080_8080_8080_8080;
    let n = dst.len().min(src.len());
    let (d8, dr) = dst[..n].split_at_mut(n / 8 * 8);
    let (s8, sr) = src[..n].split_at(n / 8 * 8);
    for (d, s) in d8.chunks_exact_mut(8).zip(s8.chunks_exact(8)) {
        let mut b = [0u8; 8];
        for (o, &v) in b.iter_mut().zip(s) {
            *o = v as u8;
        }
        d.copy_from_slice(&(u64::from_ne_bytes(b) ^ FLIP).to_ne_bytes());
    }
    for (d, &s) in dr.iter_mut().zip(sr) {
        *d = (s as u8) ^ 0x80;
    }
}

/// Ungrouped int8 convolution at level `lv` into `out` (`[n·oh·ow, oc]`, every element
/// written), `p` packing `w` as `[oc, kh·kw·ic]`, `z_in` the input zero point.
pub fn conv2d_at(
    lv: Level,
    x: &[i8],
    p: &Packed,
    rq: &Requant,
    g: &ConvGeom,
    z_in: i32,
    out: &mut [i8],
) {
    let [ih, iw, ic] = g.in_hwc;
    let [oh, ow, oc] = g.out_hwc;
    let [kh, kw] = g.k;
    let (kp, m) = (p.kp, g.n * oh * ow);
    let pad_u8 = (z_in.clamp(-128, 127) + 128) as u8;
    // Never above what the CPU has (this function is safe to call with any level).
    let lv = lv.min(crate::cpu::detected());
    debug_assert_eq!(out.len(), m * oc);
    debug_assert!(x.len() >= g.n * ih * iw * ic && p.n == oc && p.k == kh * kw * ic);
    let pointwise = kh == 1
        && kw == 1
        && g.stride == [1, 1]
        && g.pad == [0, 0]
        && [oh, ow] == [ih, iw]
        && kp == ic
        && x.len() >= m * ic;
    let mc = crate::parallel::block_rows(m, MC, MR);
    crate::parallel::chunks_mut(out, mc * oc, |blk, out| {
        let r0 = blk * mc;
        let rows = out.len() / oc.max(1);
        let mut a = vec![0u8; rows * kp];
        if pointwise {
            // 1×1, stride 1, no padding: the block's pixels are contiguous input rows.
            to_unsigned(&mut a, &x[r0 * ic..(r0 + rows) * ic]);
            gemm_block(&a, rows, p, rq, out, lv);
            return;
        }
        for r in 0..rows {
            let pix = r0 + r;
            let (b, oy, ox) = (pix / (oh * ow), pix / ow % oh, pix % ow);
            let dst = &mut a[r * kp..(r + 1) * kp];
            let mut d = 0;
            // Start of the window's row in x (dilation 1: its kw taps are contiguous).
            let x0 = (ox * g.stride[1]) as isize - g.pad[1] as isize;
            let row_inside = g.dilation[1] == 1 && x0 >= 0 && x0 as usize + kw <= iw;
            for ky in 0..kh {
                let y = (oy * g.stride[0] + ky * g.dilation[0]) as isize - g.pad[0] as isize;
                if row_inside {
                    let seg = &mut dst[d..d + kw * ic];
                    if y >= 0 && (y as usize) < ih {
                        let s = ((b * ih + y as usize) * iw + x0 as usize) * ic;
                        to_unsigned(seg, &x[s..s + kw * ic]);
                    } else {
                        seg.fill(pad_u8);
                    }
                    d += kw * ic;
                    continue;
                }
                for kx in 0..kw {
                    let xx = (ox * g.stride[1] + kx * g.dilation[1]) as isize - g.pad[1] as isize;
                    let seg = &mut dst[d..d + ic];
                    if y >= 0 && (y as usize) < ih && xx >= 0 && (xx as usize) < iw {
                        let s = ((b * ih + y as usize) * iw + xx as usize) * ic;
                        to_unsigned(seg, &x[s..s + ic]);
                    } else {
                        seg.fill(pad_u8);
                    }
                    d += ic;
                }
            }
        }
        gemm_block(&a, rows, p, rq, out, lv);
    });
}

/// An ungrouped int8 convolution prepared for one level: packed weights, folded requantization.
#[derive(Debug)]
pub struct GemmConv {
    lv: Level,
    p: Packed,
    rq: Requant,
    z_in: i32,
}

impl GemmConv {
    /// Pack `w` (`[oc, kh·kw·ic]`) for level `lv` (not [`Level::Reference`]).
    pub fn new(lv: Level, w: &[i8], bias: Option<&[i32]>, g: &ConvGeom, q: &ConvQuant) -> Self {
        let (oc, depth) = (g.out_hwc[2], g.k[0] * g.k[1] * g.in_hwc[2]);
        debug_assert_eq!(w.len(), oc * depth);
        let p = Packed::new(w, oc, depth);
        let rq = Requant::for_gemm(&p, bias, q);
        GemmConv {
            lv,
            p,
            rq,
            z_in: -q.input_offset,
        }
    }
}

impl QConv for GemmConv {
    fn run(&self, x: &[i8], g: &ConvGeom, out: &mut [i8]) {
        conv2d_at(self.lv, x, &self.p, &self.rq, g, self.z_in, out)
    }
}

/// Table entries: [`GemmConv`] at each level.
pub fn prepare_portable(
    w: &[i8],
    bias: Option<&[i32]>,
    g: &ConvGeom,
    q: &ConvQuant,
) -> Box<dyn QConv> {
    Box::new(GemmConv::new(Level::Portable, w, bias, g, q))
}

/// As [`prepare_portable`], compiled for AVX2 (plugged only when the CPU has it).
#[cfg(target_arch = "x86_64")]
pub(crate) fn prepare_avx2(
    w: &[i8],
    bias: Option<&[i32]>,
    g: &ConvGeom,
    q: &ConvQuant,
) -> Box<dyn QConv> {
    Box::new(GemmConv::new(Level::Avx2, w, bias, g, q))
}

/// As [`prepare_portable`], with the VNNI micro-kernel (plugged only when the CPU has it).
#[cfg(target_arch = "x86_64")]
pub(crate) fn prepare_avx512(
    w: &[i8],
    bias: Option<&[i32]>,
    g: &ConvGeom,
    q: &ConvQuant,
) -> Box<dyn QConv> {
    Box::new(GemmConv::new(Level::Avx512Vnni, w, bias, g, q))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fast::test_util::{bytes, geom, quant, quant_litert};
    use crate::int8::conv as reference;
    use crate::int8::params::Activation;

    #[test]
    fn conv_matches_the_reference_at_every_level() {
        let cases = [
            // (batch, hw, ic, oc, k, stride, dilation, same padding)
            (1, [9, 7], 3, 8, [3, 3], 2, 1, true),
            (2, [6, 6], 16, 37, [1, 1], 1, 1, false),
            (1, [8, 5], 5, 17, [3, 2], 1, 2, true),
            (1, [5, 5], 33, 48, [3, 3], 1, 1, false),
            (1, [4, 4], 64, 16, [1, 1], 1, 1, false),
            (1, [13, 11], 7, 70, [5, 5], 3, 1, true),
        ];
        for (i, &(n, hw, ic, oc, k, s, d, pad)) in cases.iter().enumerate() {
            let g = geom(n, hw, ic, oc, k, s, d, pad);
            let x = bytes(n * hw[0] * hw[1] * ic, i as u64);
            let w = bytes(oc * k[0] * k[1] * ic, 100 + i as u64);
            let bias: Vec<i32> = bytes(oc, 200 + i as u64)
                .iter()
                .map(|&b| b as i32 * 97)
                .collect();
            for z_in in [-128, -3, 0, 41, 127] {
                for (act, litert) in [
                    (Activation::None, false),
                    (Activation::Relu6, false),
                    (Activation::None, true),
                    (Activation::Relu6, true),
                ] {
                    let seed = 300 + i as u64;
                    let q = if litert {
                        quant_litert(oc, z_in, act, seed)
                    } else {
                        quant(oc, z_in, act, seed)
                    };
                    let mut want = vec![0i8; n * g.out_hwc.iter().product::<usize>()];
                    reference::conv2d(&x, &w, Some(&bias), &g, &q, &mut want);
                    let p = Packed::new(&w, oc, k[0] * k[1] * ic);
                    let rq = Requant::for_gemm(&p, Some(&bias), &q);
                    for lv in crate::cpu::supported() {
                        if lv != Level::Reference {
                            let got = conv_at(&x, &p, &rq, &g, z_in, lv);
                            assert_eq!(got, want, "case {i} z_in {z_in} {act:?} {lv:?}");
                        }
                        // Through the table (prepared once, run into a dirty buffer).
                        let k = (crate::table::for_level(lv).q_conv)(&w, Some(&bias), &g, &q);
                        let mut got = vec![0x55i8; want.len()];
                        crate::parallel::with_threads(2, || k.run(&x, &g, &mut got));
                        assert_eq!(got, want, "table case {i} z_in {z_in} {act:?} {lv:?}");
                    }
                }
            }
        }
    }

    /// The micro-kernel on a whole im2col matrix at `lv`, checked against the blocked entry.
    fn conv_at(x: &[i8], p: &Packed, rq: &Requant, g: &ConvGeom, z_in: i32, lv: Level) -> Vec<i8> {
        let [ih, iw, ic] = g.in_hwc;
        let [oh, ow, oc] = g.out_hwc;
        let m = g.n * oh * ow;
        let mut a = vec![0u8; m * p.kp];
        for pix in 0..m {
            let (b, oy, ox) = (pix / (oh * ow), pix / ow % oh, pix % ow);
            let mut d = 0;
            for ky in 0..g.k[0] {
                for kx in 0..g.k[1] {
                    let y = (oy * g.stride[0] + ky * g.dilation[0]) as isize - g.pad[0] as isize;
                    let xx = (ox * g.stride[1] + kx * g.dilation[1]) as isize - g.pad[1] as isize;
                    for c in 0..ic {
                        a[pix * p.kp + d] =
                            if y >= 0 && (y as usize) < ih && xx >= 0 && (xx as usize) < iw {
                                (x[((b * ih + y as usize) * iw + xx as usize) * ic + c] as u8)
                                    ^ 0x80
                            } else {
                                (z_in + 128) as u8
                            };
                        d += 1;
                    }
                }
            }
        }
        let mut out = vec![0i8; m * oc];
        gemm_block(&a, m, p, rq, &mut out, lv);
        // The blocked entry point (im2col by blocks, parallel) agrees too.
        let mut blocked = vec![0x55i8; m * oc];
        crate::parallel::with_threads(2, || conv2d_at(lv, x, p, rq, g, z_in, &mut blocked));
        assert_eq!(blocked, out);
        out
    }
}
