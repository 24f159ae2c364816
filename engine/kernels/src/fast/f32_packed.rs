//! Float convolution as a packed GEMM: weights `[n, k]` packed once per session into panels of
//! 16 output channels, an AVX-512 micro-kernel of 6 rows × 32 channels (fused multiply-add,
//! bias preloaded, activation clamp on the way out), rows split over the session's threads in
//! blocks whose im2col patches stay in cache. Portable code elsewhere. Tested against the
//! reference convolution (float tolerance: the sums are reordered).

use crate::act::Act;
use crate::cpu::Level;
use crate::geom::{ConvGeom, im2col};
use crate::table::F32Conv;

/// Output channels per panel.
const PANEL: usize = 16;
/// Rows per micro-tile.
const MR: usize = 6;
/// Rows per parallel task.
const MC: usize = 96;

/// Float weights packed for the micro-kernel.
#[derive(Debug, Clone)]
pub struct PackedF32 {
    /// Output channels.
    pub n: usize,
    /// Depth.
    pub k: usize,
    /// `[n / 16][k][16]`, zero padded.
    panels: Vec<f32>,
}

impl PackedF32 {
    /// Pack `w` (`[n, k]`, row-major).
    pub fn new(w: &[f32], n: usize, k: usize) -> PackedF32 {
        let np = n.div_ceil(PANEL);
        let mut panels = vec![0f32; np * k * PANEL];
        for o in 0..n {
            let (p, c) = (o / PANEL, o % PANEL);
            for kk in 0..k {
                panels[(p * k + kk) * PANEL + c] = w[o * k + kk];
            }
        }
        PackedF32 { n, k, panels }
    }
}

/// `out[r][c] = act(bias[c] + Σ_k a[r][k] · w[c][k])` for `m` rows of `a` (row stride `p.k`).
fn gemm_block(
    a: &[f32],
    m: usize,
    p: &PackedF32,
    bias: &[f32],
    act: Act,
    out: &mut [f32],
    lv: Level,
) {
    match (lv, act) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: the level is only Avx512Vnni when the CPU reports AVX-512 F/BW.
        (Level::Avx512Vnni, Act::None | Act::Clamp(..)) => unsafe {
            let clamp = match act {
                Act::Clamp(lo, hi) => Some((lo, hi)),
                _ => None,
            };
            avx512::gemm_block(a, m, p, bias, clamp, out)
        },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        (Level::Avx512Vnni, _) => unsafe {
            avx512::gemm_block(a, m, p, bias, None, out);
            act.apply_slice(&mut out[..m * p.n]);
        },
        _ => {
            portable(a, m, p, bias, out);
            act.apply_slice(&mut out[..m * p.n]);
        }
    }
}

fn portable(a: &[f32], m: usize, p: &PackedF32, bias: &[f32], out: &mut [f32]) {
    let (k, n) = (p.k, p.n);
    for r in 0..m {
        let ar = &a[r * k..(r + 1) * k];
        for c in 0..n {
            let (pi, lane) = (c / PANEL, c % PANEL);
            let mut s = bias[c];
            for (kk, &x) in ar.iter().enumerate() {
                s += x * p.panels[(pi * k + kk) * PANEL + lane];
            }
            out[r * n + c] = s;
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use std::arch::x86_64::*;

    use super::{MR, PANEL, PackedF32};

    /// `MR` rows × `NR` panels over the whole depth, bias preloaded, clamped (when `clamp` is
    /// set) and stored straight into rows `0..rows` of `out` (row stride `n`) at channels
    /// `c0..c0 + width`.
    #[inline]
    #[target_feature(enable = "avx512f")]
    #[allow(clippy::too_many_arguments)]
    fn tile<const NR: usize>(
        (a, lda, k): (&[f32], usize, usize),
        b: &[f32],
        pstride: usize,
        bias: Option<&[f32]>,
        (c0, width, rows, n): (usize, usize, usize, usize),
        clamp: Option<(f32, f32)>,
        out: &mut [f32],
    ) {
        assert!(k <= lda && a.len() >= (MR - 1) * lda + k);
        assert!(b.len() >= (NR - 1) * pstride + k * PANEL);
        assert!(rows <= MR && width <= NR * PANEL && bias.is_none_or(|b| b.len() >= c0 + width));
        assert!(rows > 0 && out.len() >= (rows - 1) * n + c0 + width);
        let (ap, bp) = (a.as_ptr(), b.as_ptr());
        let masks: [__mmask16; NR] = std::array::from_fn(|j| {
            let k = width.saturating_sub(j * PANEL).min(PANEL);
            if k == PANEL { 0xffff } else { (1u16 << k) - 1 }
        });
        let mut acc = [[_mm512_setzero_ps(); NR]; MR];
        for (r, accr) in acc.iter_mut().enumerate() {
            for (j, v) in accr.iter_mut().enumerate() {
                // SAFETY: masked loads of the channels below c0 + width (checked above): the
                // bias on the first depth block, else this row's partial sums (rows < `rows`).
                *v = unsafe {
                    match bias {
                        Some(bs) => {
                            _mm512_maskz_loadu_ps(masks[j], bs.as_ptr().add(c0 + j * PANEL))
                        }
                        None if r < rows => _mm512_maskz_loadu_ps(
                            masks[j],
                            out.as_ptr().add(r * n + c0 + j * PANEL),
                        ),
                        None => _mm512_setzero_ps(),
                    }
                };
            }
        }
        for kk in 0..k {
            let mut bv = [_mm512_setzero_ps(); NR];
            for (j, v) in bv.iter_mut().enumerate() {
                // SAFETY: within `b` by the assertion above.
                *v = unsafe { _mm512_loadu_ps(bp.add(j * pstride + kk * PANEL)) };
            }
            for (r, accr) in acc.iter_mut().enumerate() {
                // SAFETY: within `a` by the assertion above.
                let av = _mm512_set1_ps(unsafe { *ap.add(r * lda + kk) });
                for j in 0..NR {
                    accr[j] = _mm512_fmadd_ps(av, bv[j], accr[j]);
                }
            }
        }
        for (r, accr) in acc.iter().enumerate().take(rows) {
            for (j, &v) in accr.iter().enumerate() {
                if masks[j] == 0 {
                    break;
                }
                let v = match clamp {
                    // vmaxps returns its second operand for NaN, like f32::max.
                    Some((lo, hi)) => {
                        _mm512_min_ps(_mm512_max_ps(v, _mm512_set1_ps(lo)), _mm512_set1_ps(hi))
                    }
                    None => v,
                };
                let dst = out.as_mut_ptr().wrapping_add(r * n + c0 + j * PANEL);
                // SAFETY: row r, channels c0 + 16j.. under the lane mask (all 16 when the
                // mask is full), inside `out`.
                unsafe {
                    if masks[j] == 0xffff {
                        _mm512_storeu_ps(dst, v)
                    } else {
                        _mm512_mask_storeu_ps(dst, masks[j], v)
                    }
                };
            }
        }
    }

    /// Depth per block: a 32-channel panel pair of `KC` (32 KiB) stays in L1 and the row
    /// block's `MC × KC` patch (96 KiB) in L2 while the whole weight matrix would not.
    const KC: usize = 256;

    /// The block's rows, in depth blocks of [`KC`] (panel pairs outer, row tiles inner);
    /// partial sums live in `out`, the bias enters with the first block, the clamp with the last.
    #[target_feature(enable = "avx512f")]
    pub(super) fn gemm_block(
        a: &[f32],
        m: usize,
        p: &PackedF32,
        bias: &[f32],
        clamp: Option<(f32, f32)>,
        out: &mut [f32],
    ) {
        let (k, n) = (p.k, p.n);
        let np = n.div_ceil(PANEL);
        let pstride = k * PANEL;
        // Rows past the last full tile, zero padded to a whole tile.
        let full = m / MR * MR;
        let mut pad = vec![0f32; MR * k];
        pad[..(m - full) * k].copy_from_slice(&a[full * k..m * k]);
        let mut k0 = 0;
        while k0 < k {
            let kl = KC.min(k - k0);
            let first = k0 == 0;
            let last = k0 + kl == k;
            let mut pi = 0;
            while pi < np {
                let nr = if np - pi >= 2 { 2 } else { 1 };
                let c0 = pi * PANEL;
                let width = (nr * PANEL).min(n - c0);
                let b = &p.panels[pi * pstride + k0 * PANEL..];
                let bias = first.then_some(bias);
                let clamp = if last { clamp } else { None };
                let mut r0 = 0;
                while r0 < m {
                    let rows = (m - r0).min(MR);
                    let at: &[f32] = if rows == MR {
                        &a[r0 * k + k0..]
                    } else {
                        &pad[k0..]
                    };
                    let o = &mut out[r0 * n..];
                    let geo = (c0, width, rows, n);
                    if nr == 2 {
                        tile::<2>((at, k, kl), b, pstride, bias, geo, clamp, o);
                    } else {
                        tile::<1>((at, k, kl), b, pstride, bias, geo, clamp, o);
                    }
                    r0 += rows;
                }
                pi += nr;
            }
            k0 += kl;
        }
    }
}

/// Float CONV_2D at level `lv` through packed weights (`p` packs `w` as `[oc, kh·kw·ic]`)
/// into `out` (`[n·oh·ow, oc]`, every element written).
pub fn conv2d_at(
    lv: Level,
    x: &[f32],
    p: &PackedF32,
    bias: Option<&[f32]>,
    g: &ConvGeom,
    act: Act,
    out: &mut [f32],
) {
    let [ih, iw, ic] = g.in_hwc;
    let [oh, ow, oc] = g.out_hwc;
    let [kh, kw] = g.k;
    let k = p.k;
    let m = g.n * oh * ow;
    // Never above what the CPU has (this function is safe to call with any level).
    let lv = lv.min(crate::cpu::detected());
    debug_assert_eq!(out.len(), m * oc);
    debug_assert!(x.len() >= g.n * ih * iw * ic && p.n == oc && k == kh * kw * ic);
    let zero = vec![0f32; oc];
    let bias = bias.filter(|b| b.len() >= oc).unwrap_or(&zero);
    let pointwise =
        kh == 1 && kw == 1 && g.stride == [1, 1] && g.pad == [0, 0] && oh == ih && ow == iw;
    let mc = crate::parallel::block_rows(m, MC, MR);
    let task = |blk: usize, o: &mut [f32]| {
        let r0 = blk * mc;
        let rows = o.len() / oc.max(1);
        if pointwise {
            gemm_block(&x[r0 * ic..(r0 + rows) * ic], rows, p, bias, act, o, lv);
            return;
        }
        let mut a = vec![0f32; rows * k];
        // Already inside a pool task: the patch gathering runs on this thread.
        im2col(x, g, r0, r0 + rows, &mut a, false);
        gemm_block(&a, rows, p, bias, act, o, lv);
    };
    crate::parallel::chunks_mut(out, mc * oc, task);
}

/// An ungrouped float convolution's weights packed for one level.
#[derive(Debug)]
pub struct PackedConv {
    lv: Level,
    p: PackedF32,
}

impl F32Conv for PackedConv {
    fn run(&self, x: &[f32], bias: Option<&[f32]>, g: &ConvGeom, act: Act, out: &mut [f32]) {
        conv2d_at(self.lv, x, &self.p, bias, g, act, out)
    }
}

/// Table entry: pack `w` (`[oc, depth]`) for the portable kernel.
pub fn prepare_portable(w: &[f32], oc: usize, depth: usize) -> Box<dyn F32Conv> {
    Box::new(PackedConv {
        lv: Level::Portable,
        p: PackedF32::new(w, oc, depth),
    })
}

/// Table entry: pack `w` for the AVX-512 micro-kernel (plugged only when the CPU has it).
#[cfg(target_arch = "x86_64")]
pub(crate) fn prepare_avx512(w: &[f32], oc: usize, depth: usize) -> Box<dyn F32Conv> {
    Box::new(PackedConv {
        lv: Level::Avx512Vnni,
        p: PackedF32::new(w, oc, depth),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conv::reference;

    #[test]
    fn packed_conv_matches_the_reference() {
        let cases = [
            (1, [9, 7], 3, 8, [3, 3], 2, 1, 1),
            (2, [6, 6], 16, 37, [1, 1], 1, 1, 0),
            (1, [8, 5], 5, 17, [3, 2], 1, 2, 1),
            (1, [13, 11], 7, 70, [5, 5], 1, 1, 2),
            // Depth 3·3·70 = 630: three depth blocks.
            (1, [7, 9], 70, 40, [3, 3], 1, 1, 1),
        ];
        for (i, &(n, hw, ic, oc, k, s, d, pad)) in cases.iter().enumerate() {
            let eff = |j: usize| (k[j] - 1) * d + 1;
            let out = |j: usize| (hw[j] + 2 * pad - eff(j)) / s + 1;
            let g = ConvGeom {
                n,
                in_hwc: [hw[0], hw[1], ic],
                out_hwc: [out(0), out(1), oc],
                k,
                stride: [s; 2],
                dilation: [d; 2],
                pad: [pad; 2],
            };
            let x: Vec<f32> = (0..n * hw[0] * hw[1] * ic)
                .map(|v| ((v * 37 % 101) as f32 - 50.0) / 50.0)
                .collect();
            let w: Vec<f32> = (0..oc * k[0] * k[1] * ic)
                .map(|v| ((v * 53 % 97) as f32 - 48.0) / 97.0)
                .collect();
            let b: Vec<f32> = (0..oc).map(|v| v as f32 * 0.1 - 1.0).collect();
            let want = reference::conv2d(&x, &w, Some(&b), &g, false);
            let p = PackedF32::new(&w, oc, k[0] * k[1] * ic);
            let run = |lv: Level, t: usize, act: Act| {
                let mut got = vec![f32::NAN; want.len()];
                let k = (crate::table::for_level(lv).f32_conv)(&w, oc, k[0] * k[1] * ic);
                crate::parallel::with_threads(t, || k.run(&x, Some(&b), &g, act, &mut got));
                got
            };
            for (t, lv) in [1, 2]
                .into_iter()
                .flat_map(|t| crate::cpu::supported().into_iter().map(move |lv| (t, lv)))
            {
                let got = run(lv, t, Act::None);
                let e = got
                    .iter()
                    .zip(&want)
                    .map(|(a, b)| (a - b).abs() / b.abs().max(1.0))
                    .fold(0.0, f32::max);
                assert!(e < 1e-5, "case {i} {lv:?}: error {e}");
                // The activation clamp fused into the stores, and tanh after them.
                for act in [Act::Clamp(-0.25, 0.5), Act::Tanh] {
                    let mut w2 = want.clone();
                    act.apply_slice(&mut w2);
                    let got = run(lv, t, act);
                    assert!(
                        got.iter().zip(&w2).all(|(a, b)| (a - b).abs() < 1e-5),
                        "case {i} {act:?} {lv:?}"
                    );
                }
                let mut pw = vec![0f32; want.len()];
                portable(
                    &{
                        // The portable path on the same patches agrees too (pointwise case only).
                        if k == [1, 1] && s == 1 && pad == 0 {
                            x.clone()
                        } else {
                            vec![0.0; want.len() / oc * p.k]
                        }
                    },
                    want.len() / oc,
                    &p,
                    &b,
                    &mut pw,
                );
                if k == [1, 1] && s == 1 && pad == 0 {
                    let e = pw
                        .iter()
                        .zip(&want)
                        .map(|(a, b)| (a - b).abs() / b.abs().max(1.0))
                        .fold(0.0, f32::max);
                    assert!(e < 1e-5, "case {i}: portable error {e}");
                }
            }
        }
    }
}
