//! Float DEPTHWISE_CONV_2D, optimized: per output row, register-sized channel blocks compiled
//! for the table's level (portable / AVX2), or for channel multiplier 1 an AVX-512 row kernel
//! (one pointer per tap, fused multiply-add, clamp in registers). Tested against
//! [`crate::conv::reference::depthwise`] (float tolerance: AVX-512 fuses multiply and add).

use crate::act::Act;
use crate::cpu::Level;
use crate::geom::{ConvGeom, DwTaps};

/// Depthwise convolution at level `lv` into `out` (`[n, oh, ow, oc]`, every element
/// written): `w` is `[1, kh, kw, ic * mult]`, output channel `c * mult + m` reads input
/// channel `c`. Rows are split over the worker pool.
pub fn depthwise_at(
    lv: Level,
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    g: &ConvGeom,
    act: Act,
    out: &mut [f32],
) {
    let [ih, iw, ic] = g.in_hwc;
    let [oh, ow, oc] = g.out_hwc;
    let [kh, kw] = g.k;
    let mult = oc / ic.max(1);
    // Never above what the CPU has (this function is safe to call with any level).
    let lv = lv.min(crate::cpu::detected());
    debug_assert_eq!(out.len(), g.n * oh * ow * oc);
    debug_assert!(w.len() >= kh * kw * oc && x.len() >= g.n * ih * iw * ic);
    #[cfg(target_arch = "x86_64")]
    if lv == Level::Avx512Vnni
        && mult == 1
        && w.len() >= kh * kw * oc
        && x.len() >= g.n * ih * iw * ic
    {
        let zero = vec![0f32; oc.div_ceil(16) * 16];
        let clamp = match act {
            Act::Clamp(lo, hi) => Some((lo, hi)),
            _ => None,
        };
        crate::for_chunks(out, ow * oc, true, |row, o| {
            let (b, oy) = (row / oh, row % oh);
            // SAFETY: the level says the CPU has AVX-512 F; lengths were checked above.
            unsafe {
                if kh * kw == 9 {
                    dw_row_f32_avx512::<9>(x, w, bias, g, &zero, (b, oy), clamp, o)
                } else {
                    dw_row_f32_avx512::<0>(x, w, bias, g, &zero, (b, oy), clamp, o)
                }
            };
            if matches!(act, Act::Tanh) {
                act.apply_slice(o);
            }
        });
        return;
    }
    crate::for_chunks(out, ow * oc, true, |row, o| {
        let (b, oy) = (row / oh, row % oh);
        let args = DwRow {
            x,
            w,
            bias,
            g,
            b,
            oy,
            mult,
        };
        match lv {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: the table holds this level only when the CPU reports its features.
            Level::Avx512Vnni => unsafe { dw_row_avx512(&args, o) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above.
            Level::Avx2 => unsafe { dw_row_avx2(&args, o) },
            _ => dw_row(&args, o),
        }
        act.apply_slice(o);
    });
}

/// [`depthwise_at`] with portable code (table entry).
pub fn depthwise_portable(
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    g: &ConvGeom,
    act: Act,
    out: &mut [f32],
) {
    depthwise_at(Level::Portable, x, w, bias, g, act, out)
}

/// [`depthwise_at`] compiled for AVX2 (table entry; only plugged when the CPU has it).
#[cfg(target_arch = "x86_64")]
pub(crate) fn depthwise_avx2(
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    g: &ConvGeom,
    act: Act,
    out: &mut [f32],
) {
    depthwise_at(Level::Avx2, x, w, bias, g, act, out)
}

/// [`depthwise_at`] with the AVX-512 row kernel (table entry; only plugged when the CPU has it).
#[cfg(target_arch = "x86_64")]
pub(crate) fn depthwise_avx512(
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    g: &ConvGeom,
    act: Act,
    out: &mut [f32],
) {
    depthwise_at(Level::Avx512Vnni, x, w, bias, g, act, out)
}

/// `out` rows of `oc` set to the bias (0 without one).
fn init_bias(out: &mut [f32], bias: Option<&[f32]>, oc: usize) {
    match bias {
        Some(b) => {
            for row in out.chunks_exact_mut(oc) {
                row.copy_from_slice(&b[..oc]);
            }
        }
        None => out.fill(0.0),
    }
}

/// One output row of a float depthwise convolution (channel multiplier 1) with AVX-512: per
/// pixel one input pointer per tap (padding reads a zero row), channels in blocks of 32
/// (masked at the end), bias preloaded, fused multiply-add, clamp in registers.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
unsafe fn dw_row_f32_avx512<const TAPS: usize>(
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    g: &ConvGeom,
    zero: &[f32],
    (b, oy): (usize, usize),
    clamp: Option<(f32, f32)>,
    o: &mut [f32],
) {
    use std::arch::x86_64::*;
    let c = g.in_hwc[2];
    let ow = g.out_hwc[1];
    let [kh, kw] = g.k;
    // A constant tap count (3×3: 9) lets the tap loop unroll.
    let taps = if TAPS > 0 { TAPS } else { kh * kw };
    let mut ptrs: Vec<*const f32> = vec![zero.as_ptr(); taps];
    let bias = bias.filter(|b| b.len() >= c);
    let taps_of = DwTaps::new(x, g, b, oy);
    for ox in 0..ow {
        taps_of.fill(x, g, zero.as_ptr(), ox, &mut ptrs);
        let dst = &mut o[ox * c..(ox + 1) * c];
        let mut c0 = 0;
        while c0 < c {
            let m = |off: usize| -> __mmask16 {
                let k = c.saturating_sub(c0 + off).min(16);
                if k == 16 { 0xffff } else { (1u16 << k) - 1 }
            };
            let (m0, m1) = (m(0), m(16));
            // SAFETY: every load and store is masked to channels below c: of a pixel, of the
            // zero row (padded to whole 16-lane blocks), of tap t's weights, of the bias, of
            // this output pixel.
            unsafe {
                let (mut a0, mut a1) = match bias {
                    Some(bs) => (
                        _mm512_maskz_loadu_ps(m0, bs.as_ptr().add(c0)),
                        _mm512_maskz_loadu_ps(m1, bs.as_ptr().add(c0 + 16)),
                    ),
                    None => (_mm512_setzero_ps(), _mm512_setzero_ps()),
                };
                for (t, &p) in ptrs[..taps].iter().enumerate() {
                    let wp = w.as_ptr().add(t * c + c0);
                    a0 = _mm512_fmadd_ps(
                        _mm512_maskz_loadu_ps(m0, p.add(c0)),
                        _mm512_maskz_loadu_ps(m0, wp),
                        a0,
                    );
                    if m1 != 0 {
                        a1 = _mm512_fmadd_ps(
                            _mm512_maskz_loadu_ps(m1, p.add(c0 + 16)),
                            _mm512_maskz_loadu_ps(m1, wp.add(16)),
                            a1,
                        );
                    }
                }
                if let Some((lo, hi)) = clamp {
                    let (lo, hi) = (_mm512_set1_ps(lo), _mm512_set1_ps(hi));
                    a0 = _mm512_min_ps(_mm512_max_ps(a0, lo), hi);
                    a1 = _mm512_min_ps(_mm512_max_ps(a1, lo), hi);
                }
                _mm512_mask_storeu_ps(dst.as_mut_ptr().add(c0), m0, a0);
                if m1 != 0 {
                    _mm512_mask_storeu_ps(dst.as_mut_ptr().add(c0 + 16), m1, a1);
                }
            }
            c0 += 32;
        }
    }
}

/// One output row of a float depthwise convolution.
struct DwRow<'a> {
    x: &'a [f32],
    w: &'a [f32],
    bias: Option<&'a [f32]>,
    g: &'a ConvGeom,
    b: usize,
    oy: usize,
    mult: usize,
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512dq,avx512vl")]
unsafe fn dw_row_avx512(a: &DwRow<'_>, o: &mut [f32]) {
    dw_row(a, o)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn dw_row_avx2(a: &DwRow<'_>, o: &mut [f32]) {
    dw_row(a, o)
}

/// Accumulates in register-sized channel blocks (no FMA contraction: the same products and sums
/// as a plain loop over taps in (ky, kx) order).
#[inline(always)]
fn dw_row(a: &DwRow<'_>, o: &mut [f32]) {
    const CB: usize = 32;
    let g = a.g;
    let [ih, iw, ic] = g.in_hwc;
    let [_, ow, oc] = g.out_hwc;
    let [kh, kw] = g.k;
    init_bias(o, a.bias, oc);
    let mut taps: Vec<(usize, usize)> = Vec::with_capacity(kh * kw);
    for ox in 0..ow {
        taps.clear();
        for ky in 0..kh {
            let Some(y) = g.in_coord(0, a.oy, ky) else {
                continue;
            };
            for kx in 0..kw {
                if let Some(xx) = g.in_coord(1, ox, kx) {
                    taps.push((((a.b * ih + y) * iw + xx) * ic, (ky * kw + kx) * oc));
                }
            }
        }
        let acc = &mut o[ox * oc..(ox + 1) * oc];
        if a.mult != 1 {
            for &(xs, ws) in &taps {
                for c in 0..ic {
                    for m in 0..a.mult {
                        acc[c * a.mult + m] += a.x[xs + c] * a.w[ws + c * a.mult + m];
                    }
                }
            }
            continue;
        }
        let mut c0 = 0;
        while c0 + CB <= oc {
            let mut r: [f32; CB] = acc[c0..c0 + CB].try_into().unwrap_or([0.0; CB]);
            for &(xs, ws) in &taps {
                let xr: &[f32; CB] = a.x[xs + c0..xs + c0 + CB].try_into().unwrap_or(&[0.0; CB]);
                let wr: &[f32; CB] = a.w[ws + c0..ws + c0 + CB].try_into().unwrap_or(&[0.0; CB]);
                for i in 0..CB {
                    r[i] += xr[i] * wr[i];
                }
            }
            acc[c0..c0 + CB].copy_from_slice(&r);
            c0 += CB;
        }
        for &(xs, ws) in &taps {
            let (xr, wr) = (&a.x[xs + c0..xs + oc], &a.w[ws + c0..ws + oc]);
            for ((o, &xv), &wv) in acc[c0..oc].iter_mut().zip(xr).zip(wr) {
                *o += xv * wv;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conv::reference;
    use crate::geom::conv_out_and_pad;

    fn data(n: usize, seed: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (((i + seed) * 2654435761) % 1000) as f32 / 500.0 - 1.0)
            .collect()
    }

    fn square_geom(
        [h, w, ic]: [usize; 3],
        oc: usize,
        k: usize,
        stride: usize,
        same: bool,
    ) -> ConvGeom {
        let (oh, pt) = conv_out_and_pad(h, k, stride, 1, same);
        let (ow, pl) = conv_out_and_pad(w, k, stride, 1, same);
        ConvGeom {
            n: 2,
            in_hwc: [h, w, ic],
            out_hwc: [oh, ow, oc],
            k: [k, k],
            stride: [stride; 2],
            dilation: [1; 2],
            pad: [pt, pl],
        }
    }

    /// Every level the CPU has against the reference: channel multipliers 1 and 2, channel
    /// counts around the 16/32-lane blocks, padding, strides, with and without bias, clamped
    /// and tanh, one and two threads, into a buffer holding garbage.
    #[test]
    fn depthwise_matches_the_reference_at_every_level() {
        for (i, &(c, mult, k, stride, same)) in [
            (5, 1, 3, 1, true),
            (16, 1, 3, 2, true),
            (37, 1, 3, 1, false),
            (48, 1, 5, 2, true),
            (144, 1, 3, 1, true),
            (3, 2, 3, 1, true),
            (4, 2, 3, 2, false),
        ]
        .iter()
        .enumerate()
        {
            let (h, w) = (11, 8);
            let g = square_geom([h, w, c], c * mult, k, stride, same);
            let [oh, ow, oc] = g.out_hwc;
            let x = data(2 * h * w * c, 10 + i);
            let wd = data(k * k * oc, 20 + i);
            let bd = data(oc, 30 + i);
            for (bias, act) in [
                (Some(&bd[..]), Act::Clamp(0.0, 0.5)),
                (None, Act::None),
                (Some(&bd[..]), Act::Tanh),
            ] {
                let mut slow = vec![f32::NAN; 2 * oh * ow * oc];
                reference::depthwise(&x, &wd, bias, &g, act, &mut slow);
                for lv in crate::cpu::supported() {
                    for threads in [1, 2] {
                        let mut fast = vec![f32::NAN; slow.len()];
                        crate::parallel::with_threads(threads, || {
                            (crate::table::for_level(lv).f32_depthwise)(
                                &x, &wd, bias, &g, act, &mut fast,
                            )
                        });
                        assert!(
                            fast.iter().zip(&slow).all(|(a, b)| (a - b).abs() < 1e-5),
                            "c {c} mult {mult} k {k} {act:?} {lv:?}"
                        );
                    }
                }
            }
        }
    }
}
