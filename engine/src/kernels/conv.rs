//! Convolutions in NHWC with OHWI filters: im2col + GEMM for regular convolutions, a direct
//! kernel for depthwise, GEMM + col2im for transposed convolutions. Each has a reference twin.

use super::act::Act;
use super::gemm::{Mat, matmul};

/// Geometry of a 2-D convolution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConvGeom {
    /// Batch.
    pub n: usize,
    /// Input height, width, channels.
    pub in_hwc: [usize; 3],
    /// Output height, width, channels.
    pub out_hwc: [usize; 3],
    /// Kernel height, width.
    pub k: [usize; 2],
    /// Strides (h, w).
    pub stride: [usize; 2],
    /// Dilations (h, w).
    pub dilation: [usize; 2],
    /// Padding before (top, left).
    pub pad: [usize; 2],
}

impl ConvGeom {
    /// Input coordinate of output `o` and kernel tap `t` along dim `d` (0 = h, 1 = w), or
    /// `None` if it falls into the padding.
    #[inline]
    pub(crate) fn in_coord(&self, d: usize, o: usize, t: usize) -> Option<usize> {
        let pos = (o * self.stride[d] + t * self.dilation[d]) as isize - self.pad[d] as isize;
        (pos >= 0 && (pos as usize) < self.in_hwc[d]).then_some(pos as usize)
    }
}

/// Maximum im2col buffer (elements) per GEMM call; larger convolutions are tiled over rows.
const IM2COL_BUDGET: usize = 1 << 22;

/// Regular convolution. `w` is `[oc, kh, kw, ic]`, `bias` has `oc` entries.
pub fn conv2d(
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    g: &ConvGeom,
    act: Act,
    threads: usize,
) -> Vec<f32> {
    let [ih, iw, ic] = g.in_hwc;
    let [oh, ow, oc] = g.out_hwc;
    let [kh, kw] = g.k;
    let kdim = kh * kw * ic;
    let rows = g.n * oh * ow;
    let mut out = vec![0.0f32; rows * oc];
    init_bias(&mut out, bias, oc);
    let pointwise =
        kh == 1 && kw == 1 && g.stride == [1, 1] && g.pad == [0, 0] && oh == ih && ow == iw;
    if pointwise {
        matmul(
            rows,
            oc,
            kdim,
            Mat::row_major(x, ic),
            Mat::transposed(w, kdim),
            &mut out,
            true,
            threads,
        );
    } else {
        let tile = (IM2COL_BUDGET / kdim.max(1)).clamp(1, rows.max(1));
        let mut col = vec![0.0f32; tile * kdim];
        let mut r0 = 0;
        while r0 < rows {
            let r1 = (r0 + tile).min(rows);
            im2col(x, g, r0, r1, &mut col, threads);
            matmul(
                r1 - r0,
                oc,
                kdim,
                Mat::row_major(&col, kdim),
                Mat::transposed(w, kdim),
                &mut out[r0 * oc..r1 * oc],
                true,
                threads,
            );
            r0 = r1;
        }
    }
    act.apply_slice(&mut out);
    out
}

fn init_bias(out: &mut [f32], bias: Option<&[f32]>, oc: usize) {
    if let Some(b) = bias {
        for row in out.chunks_exact_mut(oc) {
            row.copy_from_slice(&b[..oc]);
        }
    }
}

/// Fill `col` with patches for output rows `r0..r1` (row = (n, oy, ox)).
pub(crate) fn im2col(
    x: &[f32],
    g: &ConvGeom,
    r0: usize,
    r1: usize,
    col: &mut [f32],
    threads: usize,
) {
    let [ih, iw, ic] = g.in_hwc;
    let [oh, ow, _] = g.out_hwc;
    let [kh, kw] = g.k;
    let kdim = kh * kw * ic;
    super::for_chunks(
        &mut col[..(r1 - r0) * kdim],
        kdim,
        threads > 1,
        |i, patch| {
            let r = r0 + i;
            let (b, rem) = (r / (oh * ow), r % (oh * ow));
            let (oy, ox) = (rem / ow, rem % ow);
            // Start of the window's row in x (dilation 1: its kw taps are contiguous).
            let x0 = (ox * g.stride[1]) as isize - g.pad[1] as isize;
            let row_inside = g.dilation[1] == 1 && x0 >= 0 && x0 as usize + kw <= iw;
            for ky in 0..kh {
                if row_inside {
                    let dst = &mut patch[ky * kw * ic..(ky + 1) * kw * ic];
                    match g.in_coord(0, oy, ky) {
                        Some(y) => {
                            let s = ((b * ih + y) * iw + x0 as usize) * ic;
                            dst.copy_from_slice(&x[s..s + kw * ic]);
                        }
                        None => dst.fill(0.0),
                    }
                    continue;
                }
                for kx in 0..kw {
                    let dst = &mut patch[(ky * kw + kx) * ic..(ky * kw + kx + 1) * ic];
                    match (g.in_coord(0, oy, ky), g.in_coord(1, ox, kx)) {
                        (Some(y), Some(xx)) => {
                            let s = ((b * ih + y) * iw + xx) * ic;
                            dst.copy_from_slice(&x[s..s + ic]);
                        }
                        _ => dst.fill(0.0),
                    }
                }
            }
        },
    );
}

/// Depthwise convolution: `w` is `[1, kh, kw, ic * mult]`, output channel `c * mult + m` reads
/// input channel `c`.
pub fn depthwise(
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    g: &ConvGeom,
    act: Act,
    threads: usize,
) -> Vec<f32> {
    let [ih, iw, ic] = g.in_hwc;
    let [oh, ow, oc] = g.out_hwc;
    let [kh, kw] = g.k;
    let mult = oc / ic.max(1);
    let lv = super::int8::fast::level();
    #[cfg(target_arch = "x86_64")]
    if lv == super::int8::fast::Level::Avx512Vnni
        && mult == 1
        && w.len() >= kh * kw * oc
        && x.len() >= g.n * ih * iw * ic
    {
        let zero = vec![0f32; oc.div_ceil(16) * 16];
        let clamp = match act {
            Act::Clamp(lo, hi) => Some((lo, hi)),
            _ => None,
        };
        // Every output element is written by the row kernel.
        let mut out = crate::arena::take::<f32>(g.n * oh * ow * oc);
        super::for_chunks(&mut out, ow * oc, threads > 1, |row, o| {
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
        return out;
    }
    let mut out = vec![0.0f32; g.n * oh * ow * oc];
    super::for_chunks(&mut out, ow * oc, threads > 1, |row, o| {
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
            // SAFETY: the level reflects the CPU's reported features.
            super::int8::fast::Level::Avx512Vnni => unsafe { dw_row_avx512(&args, o) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: as above.
            super::int8::fast::Level::Avx2 => unsafe { dw_row_avx2(&args, o) },
            _ => dw_row(&args, o),
        }
        act.apply_slice(o);
    });
    let _ = (ih, iw, kh, kw);
    out
}

/// Where the taps of one output row's pixels read (depthwise row kernels, any element type):
/// each kernel row's image row, found once per output row; per pixel, pointers by addition in
/// the interior and checked coordinates at the edges, padding pointing at a zero row.
/// Pointers are computed with wrapping arithmetic; the kernels read through them only after
/// checking `x` holds the whole input.
pub(crate) struct DwTaps<T> {
    rows: Vec<Option<*const T>>,
    b: usize,
    oy: usize,
}

impl<T> DwTaps<T> {
    /// The kernel rows of output row `oy` of image `b`.
    #[inline(always)]
    pub(crate) fn new(x: &[T], g: &ConvGeom, b: usize, oy: usize) -> Self {
        let [ih, iw, c] = g.in_hwc;
        let rows = (0..g.k[0])
            .map(|ky| {
                g.in_coord(0, oy, ky)
                    .map(|y| x.as_ptr().wrapping_add((b * ih + y) * iw * c))
            })
            .collect();
        DwTaps { rows, b, oy }
    }

    /// `ptrs[ky·kw + kx]`: the pixel tap (ky, kx) of output column `ox` reads, or `zero`.
    /// (Always inlined: as a call it cost the int8 depthwise kernel 12%, measured.)
    #[inline(always)]
    pub(crate) fn fill(
        &self,
        x: &[T],
        g: &ConvGeom,
        zero: *const T,
        ox: usize,
        ptrs: &mut [*const T],
    ) {
        let [ih, iw, c] = g.in_hwc;
        let [kh, kw] = g.k;
        let (sx, dx) = (g.stride[1], g.dilation[1]);
        let x0 = (ox * sx) as isize - g.pad[1] as isize;
        if x0 >= 0 && x0 as usize + (kw - 1) * dx < iw {
            // Interior column: every tap of a valid row is inside.
            for (ky, row) in self.rows.iter().enumerate() {
                for kx in 0..kw {
                    ptrs[ky * kw + kx] = match row {
                        Some(r) => r.wrapping_add((x0 as usize + kx * dx) * c),
                        None => zero,
                    };
                }
            }
            return;
        }
        for ky in 0..kh {
            let y = g.in_coord(0, self.oy, ky);
            for kx in 0..kw {
                ptrs[ky * kw + kx] = match (y, g.in_coord(1, ox, kx)) {
                    (Some(y), Some(xx)) => {
                        x.as_ptr().wrapping_add(((self.b * ih + y) * iw + xx) * c)
                    }
                    _ => zero,
                };
            }
        }
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
            for c in c0..oc {
                acc[c] += a.x[xs + c] * a.w[ws + c];
            }
        }
    }
}

/// Transposed convolution (TFLite semantics): each input pixel scatters `w` into the output at
/// `in * stride - pad + tap`. `w` is `[oc, kh, kw, ic]`.
pub fn transpose_conv(
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    g: &ConvGeom,
    act: Act,
    threads: usize,
) -> Vec<f32> {
    // Here `in_hwc` is the small input and `out_hwc` the large output.
    let [ih, iw, ic] = g.in_hwc;
    let [oh, ow, oc] = g.out_hwc;
    let [kh, kw] = g.k;
    let cols = oc * kh * kw;
    let rows = g.n * ih * iw;
    let mut col = vec![0.0f32; rows * cols];
    matmul(
        rows,
        cols,
        ic,
        Mat::row_major(x, ic),
        Mat::transposed(w, ic),
        &mut col,
        false,
        threads,
    );
    let mut out = vec![0.0f32; g.n * oh * ow * oc];
    for b in 0..g.n {
        for iy in 0..ih {
            for ix in 0..iw {
                let c = &col[((b * ih + iy) * iw + ix) * cols..][..cols];
                for ky in 0..kh {
                    let oy = (iy * g.stride[0] + ky) as isize - g.pad[0] as isize;
                    if oy < 0 || oy as usize >= oh {
                        continue;
                    }
                    for kx in 0..kw {
                        let ox = (ix * g.stride[1] + kx) as isize - g.pad[1] as isize;
                        if ox < 0 || ox as usize >= ow {
                            continue;
                        }
                        let dst =
                            &mut out[((b * oh + oy as usize) * ow + ox as usize) * oc..][..oc];
                        for (o, d) in dst.iter_mut().enumerate() {
                            *d += c[(o * kh + ky) * kw + kx];
                        }
                    }
                }
            }
        }
    }
    if let Some(bv) = bias {
        for row in out.chunks_exact_mut(oc) {
            row.iter_mut().zip(bv).for_each(|(o, b)| *o += b);
        }
    }
    act.apply_slice(&mut out);
    out
}

/// Reference twins: direct loops, no GEMM.
pub mod reference {
    use super::*;

    /// Direct convolution; `groups = ic` with `mult` gives depthwise (filter `[1,kh,kw,oc]`).
    pub fn conv2d(
        x: &[f32],
        w: &[f32],
        bias: Option<&[f32]>,
        g: &ConvGeom,
        depthwise: bool,
    ) -> Vec<f32> {
        let [ih, iw, ic] = g.in_hwc;
        let [oh, ow, oc] = g.out_hwc;
        let [kh, kw] = g.k;
        let mut out = vec![0.0f32; g.n * oh * ow * oc];
        for b in 0..g.n {
            for oy in 0..oh {
                for ox in 0..ow {
                    for o in 0..oc {
                        let mut s = bias.map_or(0.0, |bv| bv[o]);
                        for ky in 0..kh {
                            for kx in 0..kw {
                                let (Some(y), Some(xx)) =
                                    (g.in_coord(0, oy, ky), g.in_coord(1, ox, kx))
                                else {
                                    continue;
                                };
                                if depthwise {
                                    let c = o / (oc / ic);
                                    s += x[((b * ih + y) * iw + xx) * ic + c]
                                        * w[(ky * kw + kx) * oc + o];
                                } else {
                                    for c in 0..ic {
                                        s += x[((b * ih + y) * iw + xx) * ic + c]
                                            * w[((o * kh + ky) * kw + kx) * ic + c];
                                    }
                                }
                            }
                        }
                        out[((b * oh + oy) * ow + ox) * oc + o] = s;
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize, seed: usize) -> Vec<f32> {
        (0..n)
            .map(|i| (((i + seed) * 2654435761) % 1000) as f32 / 500.0 - 1.0)
            .collect()
    }

    /// Batch-2 geometry of a k×k window with the same stride and dilation on both axes.
    fn square_geom(
        [h, w, ic]: [usize; 3],
        oc: usize,
        k: usize,
        stride: usize,
        dil: usize,
        same: bool,
    ) -> ConvGeom {
        let (oh, pt) = super::super::conv_out_and_pad(h, k, stride, dil, same);
        let (ow, pl) = super::super::conv_out_and_pad(w, k, stride, dil, same);
        ConvGeom {
            n: 2,
            in_hwc: [h, w, ic],
            out_hwc: [oh, ow, oc],
            k: [k, k],
            stride: [stride; 2],
            dilation: [dil; 2],
            pad: [pt, pl],
        }
    }

    #[test]
    fn conv_and_depthwise_match_reference() {
        for &(same, stride, dil, k, ic, oc) in &[
            (true, 1, 1, 3, 3, 4),
            (false, 2, 1, 3, 5, 2),
            (true, 2, 2, 3, 4, 8),
            (true, 1, 1, 1, 6, 7),
        ] {
            let (h, w) = (9, 7);
            let g = square_geom([h, w, ic], oc, k, stride, dil, same);
            let [oh, ow, _] = g.out_hwc;
            let x = data(2 * h * w * ic, 1);
            let wt = data(oc * k * k * ic, 2);
            let b = data(oc, 3);
            let fast = conv2d(&x, &wt, Some(&b), &g, Act::None, 2);
            let slow = reference::conv2d(&x, &wt, Some(&b), &g, false);
            assert!(fast.iter().zip(&slow).all(|(a, b)| (a - b).abs() < 1e-4));
            let gd = ConvGeom {
                out_hwc: [oh, ow, ic * 2],
                ..g
            };
            let wd = data(k * k * ic * 2, 4);
            let bd = data(ic * 2, 5);
            let fast = depthwise(&x, &wd, Some(&bd), &gd, Act::None, 2);
            let slow = reference::conv2d(&x, &wd, Some(&bd), &gd, true);
            assert!(fast.iter().zip(&slow).all(|(a, b)| (a - b).abs() < 1e-4));
        }
    }

    /// Channel multiplier 1 (the AVX-512 row kernel where present): channel counts around the
    /// 16/32-lane blocks, padding, strides, with and without bias, clamped and tanh.
    #[test]
    fn depthwise_multiplier_one_matches_reference() {
        for (i, &(c, k, stride, same)) in [
            (5, 3, 1, true),
            (16, 3, 2, true),
            (37, 3, 1, false),
            (48, 5, 2, true),
            (144, 3, 1, true),
        ]
        .iter()
        .enumerate()
        {
            let (h, w) = (11, 8);
            let g = square_geom([h, w, c], c, k, stride, 1, same);
            let x = data(2 * h * w * c, 10 + i);
            let wd = data(k * k * c, 20 + i);
            let bd = data(c, 30 + i);
            for (bias, act) in [
                (Some(&bd[..]), Act::Clamp(0.0, 0.5)),
                (None, Act::None),
                (Some(&bd[..]), Act::Tanh),
            ] {
                let mut slow = reference::conv2d(&x, &wd, bias, &g, true);
                act.apply_slice(&mut slow);
                for threads in [1, 2] {
                    let fast = depthwise(&x, &wd, bias, &g, act, threads);
                    assert_eq!(fast.len(), slow.len());
                    assert!(
                        fast.iter().zip(&slow).all(|(a, b)| (a - b).abs() < 1e-5),
                        "c {c} k {k} {act:?}"
                    );
                }
            }
        }
    }
}
