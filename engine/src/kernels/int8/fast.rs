//! Optimized int8 CONV_2D and DEPTHWISE_CONV_2D, bit-exact with their reference twins in
//! [`super::conv`] (and so with LiteRT's reference kernels).
//!
//! Convolution as a GEMM: rows are output pixels, columns output channels, depth
//! `kh·kw·ic`. The input is shifted to unsigned (`x + 128`, so that the unsigned×signed
//! dot-product instructions apply without saturation); padding taps are filled with the input
//! zero point so that they contribute exactly 0, like the reference's in-bounds-only sum. With
//! `A = x + 128` the reference accumulator is `Σ A·w + (input_offset − 128)·Σw + bias`, and the
//! per-channel constant is folded into the bias once. Integer sums are exact (wrapping like the
//! C++), so any summation order gives the reference bits.
//!
//! SIMD is chosen at run time: AVX-512 VNNI (`vpdpbusd`, 64 multiply-adds per instruction) on
//! x86-64 where present, otherwise portable code compiled for AVX2 (or the baseline) and left
//! to the compiler's vectorizer. `POCKET_SIMD=portable` forces the portable path (tests run
//! both). Work is split over rows with rayon (the session's pool).

use std::sync::OnceLock;

use super::super::conv::ConvGeom;
use super::conv::ConvQuant;
use super::fixed::multiply_by_quantized_multiplier;

/// Output channels per packed panel (one 512-bit register of i32 lanes).
pub const PANEL: usize = 16;
/// Rows per micro-tile.
const MR: usize = 6;
/// Rows per parallel task (its im2col block stays in cache).
const MC: usize = 96;

/// Instruction-set level picked at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// AVX-512 F/BW + VNNI.
    Avx512Vnni,
    /// AVX2 (compiler-vectorized portable code).
    Avx2,
    /// Baseline portable code.
    Portable,
}

/// The level used by this process (`POCKET_SIMD=portable|avx2` lowers it).
pub fn level() -> Level {
    static L: OnceLock<Level> = OnceLock::new();
    *L.get_or_init(|| {
        let want = std::env::var("POCKET_SIMD").unwrap_or_default();
        let best = detect();
        match want.as_str() {
            "portable" => Level::Portable,
            "avx2" if best != Level::Portable => Level::Avx2,
            _ => best,
        }
    })
}

fn detect() -> Level {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512vnni")
            && std::arch::is_x86_feature_detected!("avx512dq")
            && std::arch::is_x86_feature_detected!("avx512vl")
        {
            return Level::Avx512Vnni;
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return Level::Avx2;
        }
    }
    Level::Portable
}

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
    mult: Vec<i32>,
    shift: Vec<i32>,
    /// `max(shift, 0)` clamped to 0..=32, padded to whole 16-channel blocks (SIMD path).
    left: Vec<i32>,
    /// SIMD constants in 64-bit lanes, per 16-channel block the 8 even channels then the 8 odd
    /// ones (the lanes `vpmuldq` reads): multiplier, `2^30 + h·2^31`, `31 + e` and `[e > 0]·2^31`
    /// with `e = max(−shift, 0)` and `h = ⌊2^(e−1)⌋` (see [`simd512::requant16`]).
    m64: Vec<i64>,
    k64: Vec<i64>,
    s64: Vec<i64>,
    nb64: Vec<i64>,
    /// No multiplier is `i32::MIN` (the one saturating case the SIMD lanes leave out).
    simd_ok: bool,
    out_offset: i32,
    lo: i32,
    hi: i32,
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

    fn with_bias(bias: Vec<i32>, q: &ConvQuant, n: usize) -> Requant {
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
        Requant {
            bias,
            simd_ok: !mult.contains(&i32::MIN),
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
    fn row(&self, acc: &[i32], c0: usize, out: &mut [i8]) {
        let n = acc.len().min(out.len());
        let (b, m, s) = (
            &self.bias[c0..c0 + n],
            &self.mult[c0..c0 + n],
            &self.shift[c0..c0 + n],
        );
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
        // SAFETY: the level is only Avx512Vnni when the CPU reports avx512f, avx512bw and
        // avx512vnni; slice bounds are checked inside.
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
                    let q0 = super::simd512::requant16(rq, _mm512_add_epi32(accr[0], b0), c0);
                    let q1 = super::simd512::requant16(
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
                    let q = _mm512_cvtepi32_epi8(super::simd512::requant16(rq, v, cj));
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

/// Fast path of [`super::conv::conv2d`] for ungrouped convolutions (`w` packed as `[oc, kh·kw·ic]`).
pub fn conv2d(x: &[i8], p: &Packed, rq: &Requant, g: &ConvGeom, z_in: i32) -> Vec<i8> {
    let [ih, iw, ic] = g.in_hwc;
    let [oh, ow, oc] = g.out_hwc;
    let [kh, kw] = g.k;
    let (kp, m) = (p.kp, g.n * oh * ow);
    let pad_u8 = (z_in.clamp(-128, 127) + 128) as u8;
    let lv = level();
    let pointwise = kh == 1
        && kw == 1
        && g.stride == [1, 1]
        && g.pad == [0, 0]
        && [oh, ow] == [ih, iw]
        && kp == ic
        && x.len() >= m * ic;
    // Every output element is written below.
    let mut out = crate::arena::take::<i8>(m * oc);
    let mc = crate::parallel::block_rows(m, MC, MR);
    crate::parallel::chunks_mut(&mut out, mc * oc, |blk, out| {
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
    out
}

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
        if level() != Level::Avx512Vnni || w.len() != taps * c {
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

/// Fast path of [`super::conv::depthwise`] for channel multiplier 1.
pub fn depthwise(x: &[i8], w: &[i8], bias: Option<&[i32]>, g: &ConvGeom, q: &ConvQuant) -> Vec<i8> {
    match DwPacked::new(w, bias, g, q) {
        Some(p) => depthwise_packed(x, &p, g),
        None => depthwise_generic(x, w, bias, g, q),
    }
}

/// [`depthwise`] with weights prepared by [`DwPacked::new`].
pub fn depthwise_packed(x: &[i8], p: &DwPacked, g: &ConvGeom) -> Vec<i8> {
    let [_, _, c] = g.in_hwc;
    let [oh, ow, _] = g.out_hwc;
    if x.len() < g.n * g.in_hwc[0] * g.in_hwc[1] * c {
        return vec![0i8; g.n * oh * ow * c];
    }
    // Every output element is written below.
    let mut out = crate::arena::take::<i8>(g.n * oh * ow * c);
    let zrow = vec![p.zp; c.div_ceil(DW_CB) * DW_CB];
    crate::parallel::chunks_mut(&mut out, ow * c, |row, out| {
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
    out
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
    let taps_of = super::super::conv::DwTaps::new(x, g, b, oy);
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
            let r0 = _mm512_cvtepi32_epi8(simd512::requant16(&p.rq, a0, c0));
            let r1 = if cb > 16 {
                let a1 = _mm512_add_epi32(
                    _mm512_permutex2var_epi32(lo, idx1, hi),
                    _mm512_maskz_loadu_epi32(m1, bias.add(16)),
                );
                _mm512_cvtepi32_epi8(simd512::requant16(&p.rq, a1, c0 + 16))
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

/// Depthwise convolution by rows with the generic register-blocked loops (no AVX-512, or
/// parameters [`DwPacked`] does not take).
pub fn depthwise_generic(
    x: &[i8],
    w: &[i8],
    bias: Option<&[i32]>,
    g: &ConvGeom,
    q: &ConvQuant,
) -> Vec<i8> {
    let [_, _, c] = g.in_hwc;
    let [oh, ow, _] = g.out_hwc;
    let bias: Vec<i32> = (0..c)
        .map(|o| bias.and_then(|b| b.get(o)).copied().unwrap_or(0))
        .collect();
    let rq = Requant::with_bias(bias, q, c);
    let lv = level();
    let mut out = vec![0i8; g.n * oh * ow * c];
    crate::parallel::chunks_mut(&mut out, ow * c, |row, out| {
        let (b, oy) = (row / oh, row % oh);
        match lv {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: only selected when the CPU reports these features.
            Level::Avx512Vnni => unsafe { dw_row_avx512(x, w, g, q.input_offset, &rq, b, oy, out) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: only selected when the CPU reports AVX2.
            Level::Avx2 => unsafe { dw_row_avx2(x, w, g, q.input_offset, &rq, b, oy, out) },
            _ => dw_row::<false>(x, w, g, q.input_offset, &rq, b, oy, out),
        }
    });
    out
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
                    simd512::requant_row(rq, &acc[..cb], c0, o)
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

/// AVX-512 versions of LiteRT's fixed-point requantization, lane for lane equal to
/// [`multiply_by_quantized_multiplier`] (checked by the tests against the scalar code).
#[cfg(target_arch = "x86_64")]
pub(crate) mod simd512 {
    use std::arch::x86_64::*;

    use super::Requant;

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
    pub(crate) fn add(
        a: &[i8],
        b: &[i8],
        p: &super::super::elementwise::AddParams,
        sub: bool,
    ) -> Vec<i8> {
        let n = a.len().min(b.len());
        let mut out = vec![0i8; n];
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
        out
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

    /// [`Requant::row`] on 16 channels at a time (`c0` a multiple of 16).
    #[inline]
    #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
    pub(crate) fn requant_row(rq: &Requant, acc: &[i32], c0: usize, out: &mut [i8]) {
        let n = acc.len().min(out.len());
        if !rq.simd_ok || c0 % 16 != 0 {
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
}

/// Same-shape int8 ADD/SUB with AVX-512 when the CPU has it (`None`: use the portable loop).
/// The left shift of LiteRT's int8 ADD is 20 and its shifts are non-positive, which the SIMD
/// lanes assume; other parameters fall back too.
pub fn add_same_shape(
    a: &[i8],
    b: &[i8],
    p: &super::elementwise::AddParams,
    sub: bool,
) -> Option<Vec<i8>> {
    let fits = (0..=31).contains(&p.left_shift)
        && p.input1_shift <= 0
        && p.input2_shift <= 0
        && p.output_shift <= 0;
    match level() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the level reflects the CPU's reported features.
        Level::Avx512Vnni if fits => Some(unsafe { simd512::add(a, b, p, sub) }),
        _ => None,
    }
}

/// `f` over two equal-length slices, compiled for the best SIMD level so that the compiler
/// vectorizes `f` (elementwise int8 ops on same-shape inputs).
pub fn map2(a: &[i8], b: &[i8], f: impl Fn(i8, i8) -> i8 + Copy) -> Vec<i8> {
    #[inline(always)]
    fn go(a: &[i8], b: &[i8], f: impl Fn(i8, i8) -> i8) -> Vec<i8> {
        a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect()
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
    unsafe fn go512(a: &[i8], b: &[i8], f: impl Fn(i8, i8) -> i8) -> Vec<i8> {
        go(a, b, f)
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn go256(a: &[i8], b: &[i8], f: impl Fn(i8, i8) -> i8) -> Vec<i8> {
        go(a, b, f)
    }
    match level() {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the level reflects the CPU's reported features.
        Level::Avx512Vnni => unsafe { go512(a, b, f) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        Level::Avx2 => unsafe { go256(a, b, f) },
        _ => go(a, b, f),
    }
}

/// Fast twin of [`super::conv::fully_connected_per_channel_double`]: the same exact integer
/// sums (in i32 SIMD lanes when `depth < 65536`, where no partial sum can overflow), the same
/// double rescale.
#[allow(clippy::too_many_arguments)]
pub fn fully_connected_double(
    x: &[i8],
    w: &[i8],
    bias: Option<&[i32]>,
    (batches, depth, units): (usize, usize, usize),
    input_offset: i32,
    scales: &[f64],
    output_offset: i32,
    (act_min, act_max): (i32, i32),
) -> Vec<i8> {
    if depth >= 65536 {
        return super::conv::fully_connected_per_channel_double(
            x,
            w,
            bias,
            (batches, depth, units),
            input_offset,
            scales,
            output_offset,
            (act_min, act_max),
        );
    }
    #[inline(always)]
    fn dots(x: &[i8], w: &[i8], depth: usize, off: i32, out: &mut [i32]) {
        for (u, o) in out.iter_mut().enumerate() {
            let wr = &w[u * depth..(u + 1) * depth];
            let mut s = 0i32;
            for (&xv, &wv) in x.iter().zip(wr) {
                s += wv as i32 * (xv as i32 + off);
            }
            *o = s;
        }
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
    unsafe fn dots512(x: &[i8], w: &[i8], depth: usize, off: i32, out: &mut [i32]) {
        dots(x, w, depth, off, out)
    }
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn dots256(x: &[i8], w: &[i8], depth: usize, off: i32, out: &mut [i32]) {
        dots(x, w, depth, off, out)
    }
    let mut out = vec![0i8; batches * units];
    let mut acc = vec![0i32; units];
    for b in 0..batches {
        let xr = &x[b * depth..(b + 1) * depth];
        match level() {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the level reflects the CPU's reported features.
            Level::Avx512Vnni => unsafe { dots512(xr, w, depth, input_offset, &mut acc) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above.
            Level::Avx2 => unsafe { dots256(xr, w, depth, input_offset, &mut acc) },
            _ => dots(xr, w, depth, input_offset, &mut acc),
        }
        for u in 0..units {
            let a = acc[u] as i64 + bias.map_or(0, |bv| bv[u] as i64);
            let v = (a as f64 * scales[u]).round() as i64 + output_offset as i64;
            out[b * units + u] = v.clamp(act_min as i64, act_max as i64) as i8;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::conv as reference;
    use super::super::elementwise::Activation;
    use super::*;

    /// Deterministic pseudo-random bytes.
    fn bytes(n: usize, seed: u64) -> Vec<i8> {
        let mut s = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (0..n)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (s >> 56) as i8
            })
            .collect()
    }

    fn geom(
        n: usize,
        hw: [usize; 2],
        ic: usize,
        oc: usize,
        k: [usize; 2],
        stride: usize,
        dil: usize,
        pad: bool,
    ) -> ConvGeom {
        let eff = |d: usize| (k[d] - 1) * dil + 1;
        let out = |d: usize| {
            if pad {
                hw[d].div_ceil(stride)
            } else {
                (hw[d] - eff(d)) / stride + 1
            }
        };
        let padding = |d: usize| {
            if pad {
                ((out(d) - 1) * stride + eff(d)).saturating_sub(hw[d]) / 2
            } else {
                0
            }
        };
        ConvGeom {
            n,
            in_hwc: [hw[0], hw[1], ic],
            out_hwc: [out(0), out(1), oc],
            k,
            stride: [stride; 2],
            dilation: [dil; 2],
            pad: [padding(0), padding(1)],
        }
    }

    fn quant(oc: usize, z_in: i32, act: Activation, seed: u64) -> ConvQuant {
        let scales: Vec<f32> = bytes(oc, seed)
            .iter()
            .map(|&b| 0.002 + (b as f32 + 128.0) * 1e-4)
            .collect();
        ConvQuant::per_channel((0.05, z_in), &scales, (0.09, -7), act, oc)
    }

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
                for act in [Activation::None, Activation::Relu6] {
                    let q = quant(oc, z_in, act, 300 + i as u64);
                    let want = reference::conv2d(&x, &w, Some(&bias), &g, &q);
                    let p = Packed::new(&w, oc, k[0] * k[1] * ic);
                    let rq = Requant::for_gemm(&p, Some(&bias), &q);
                    for lv in [Level::Portable, level()] {
                        let got = conv_at(&x, &p, &rq, &g, z_in, lv);
                        assert_eq!(got, want, "case {i} z_in {z_in} {act:?} {lv:?}");
                    }
                }
            }
        }
    }

    /// `conv2d` at a given level (the process-wide level is fixed once).
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
        // The public entry point (im2col by blocks, parallel) agrees too.
        assert_eq!(conv2d(x, p, rq, g, z_in), out);
        out
    }

    #[test]
    fn add_and_sub_match_the_reference() {
        use super::super::elementwise::{AddParams, add, sub};
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
                    let (sa, sb) = p.scaled_inputs_pub(x, y);
                    p.finish_pub(if s {
                        sa.wrapping_sub(sb)
                    } else {
                        sa.wrapping_add(sb)
                    })
                };
                let want_add: Vec<i8> = a.iter().zip(&b).map(|(&x, &y)| f(x, y, false)).collect();
                let want_sub: Vec<i8> = a.iter().zip(&b).map(|(&x, &y)| f(x, y, true)).collect();
                assert_eq!(add(&a, &shape, &b, &shape, &shape, &p), want_add);
                assert_eq!(sub(&a, &shape, &b, &shape, &shape, &p), want_sub);
            }
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
                let want = reference::fully_connected_per_channel_double(
                    &x,
                    &w,
                    Some(&bias),
                    args,
                    off,
                    &scales,
                    3,
                    (-128, 127),
                );
                let got =
                    fully_connected_double(&x, &w, Some(&bias), args, off, &scales, 3, (-128, 127));
                assert_eq!(got, want, "case {i} off {off}");
            }
        }
    }

    /// The one-rounding SIMD requantization against gemmlowp's two roundings, lane for lane:
    /// random and extreme accumulators, every shift from −31 to +3 (and the clamped ±40),
    /// multipliers across their range.
    #[test]
    #[cfg(target_arch = "x86_64")]
    fn simd_requantization_matches_the_scalar_code() {
        if level() != Level::Avx512Vnni {
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
                // SAFETY: the level check above.
                unsafe { simd512::requant_row(&rq, &acc[c0..c0 + len], c0, &mut got) };
                assert_eq!(got, want[c0..c0 + len], "round {round} c0 {c0}");
            }
        }
    }

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
            for z_in in [-128, 5, 127] {
                let q = quant(c, z_in, Activation::Relu, 70 + i as u64);
                let want = reference::depthwise(&x, &w, Some(&bias), &g, &q);
                assert_eq!(depthwise(&x, &w, Some(&bias), &g, &q), want, "case {i}");
                assert_eq!(
                    depthwise_generic(&x, &w, Some(&bias), &g, &q),
                    want,
                    "case {i} generic"
                );
                if level() == Level::Avx512Vnni {
                    let p = DwPacked::new(&w, Some(&bias), &g, &q).expect("packed");
                    assert_eq!(depthwise_packed(&x, &p, &g), want, "case {i} packed");
                }
            }
        }
    }
}
