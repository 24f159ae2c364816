//! Float convolutions in NHWC with OHWI filters: im2col + GEMM for regular and grouped
//! convolutions (a grouped filter is `[oc, kh, kw, ic / groups]`), GEMM + col2im for transposed
//! convolutions, and the reference twins (direct loops) of every float convolution kernel. The optimized depthwise and packed kernels live in
//! [`crate::fast`]; nothing here imports them.

use crate::act::Act;
use crate::gemm::{Mat, matmul};
use crate::geom::{ConvGeom, im2col, im2col_channels};

/// Maximum im2col buffer (elements) per GEMM call; larger convolutions are tiled over rows.
const IM2COL_BUDGET: usize = 1 << 22;

/// Regular convolution into `out` (`[n, oh, ow, oc]`, every element written). `w` is
/// `[oc, kh, kw, ic / groups]` (grouped when it reads fewer channels than the input has, see
/// [`ConvGeom::groups`]), `bias` has `oc` entries.
pub fn conv2d(x: &[f32], w: &[f32], bias: Option<&[f32]>, g: &ConvGeom, act: Act, out: &mut [f32]) {
    let (groups, fic) = g.groups(w.len());
    if groups > 1 {
        conv2d_grouped(x, w, bias, g, (groups, fic), out);
        act.apply_slice(out);
        return;
    }
    let [ih, iw, ic] = g.in_hwc;
    let [oh, ow, oc] = g.out_hwc;
    let [kh, kw] = g.k;
    let kdim = kh * kw * ic;
    let rows = g.n * oh * ow;
    debug_assert_eq!(out.len(), rows * oc);
    init_bias(out, bias, oc);
    let pointwise =
        kh == 1 && kw == 1 && g.stride == [1, 1] && g.pad == [0, 0] && oh == ih && ow == iw;
    if pointwise {
        matmul(
            rows,
            oc,
            kdim,
            Mat::row_major(x, ic),
            Mat::transposed(w, kdim),
            out,
            true,
        );
    } else {
        let tile = (IM2COL_BUDGET / kdim.max(1)).clamp(1, rows.max(1));
        let mut col = vec![0.0f32; tile * kdim];
        let mut r0 = 0;
        while r0 < rows {
            let r1 = (r0 + tile).min(rows);
            im2col(x, g, r0, r1, &mut col, true);
            matmul(
                r1 - r0,
                oc,
                kdim,
                Mat::row_major(&col, kdim),
                Mat::transposed(w, kdim),
                &mut out[r0 * oc..r1 * oc],
                true,
            );
            r0 = r1;
        }
    }
    act.apply_slice(out);
}

/// Grouped convolution: per group, the patches of its `fic` input channels times its `oc /
/// groups` filter rows, then plus the bias, into its slice of the output channels.
fn conv2d_grouped(
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    g: &ConvGeom,
    (groups, fic): (usize, usize),
    out: &mut [f32],
) {
    let [oh, ow, oc] = g.out_hwc;
    let opg = oc / groups;
    let kdim = g.k[0] * g.k[1] * fic;
    let rows = g.n * oh * ow;
    debug_assert_eq!(out.len(), rows * oc);
    let tile = (IM2COL_BUDGET / kdim.max(1)).clamp(1, rows.max(1));
    let mut col = vec![0.0f32; tile * kdim];
    let mut acc = vec![0.0f32; tile * opg];
    for (gi, wg) in w.chunks_exact(opg * kdim).enumerate().take(groups) {
        let c0 = gi * opg;
        let mut r0 = 0;
        while r0 < rows {
            let r1 = (r0 + tile).min(rows);
            let m = r1 - r0;
            im2col_channels(x, g, gi * fic, fic, r0, r1, &mut col, true);
            matmul(
                m,
                opg,
                kdim,
                Mat::row_major(&col, kdim),
                Mat::transposed(wg, kdim),
                &mut acc[..m * opg],
                false,
            );
            for (r, a) in acc[..m * opg].chunks_exact(opg).enumerate() {
                let dst = &mut out[(r0 + r) * oc + c0..][..opg];
                for (j, (d, v)) in dst.iter_mut().zip(a).enumerate() {
                    *d = v + bias.map_or(0.0, |b| b[c0 + j]);
                }
            }
            r0 = r1;
        }
    }
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

/// Transposed convolution (TFLite semantics): each input pixel scatters `w` into the output at
/// `in * stride - pad + tap`, into `out` (`[n, oh, ow, oc]`, every element written). `w` is
/// `[oc, kh, kw, ic]`.
pub fn transpose_conv(
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    g: &ConvGeom,
    act: Act,
    out: &mut [f32],
) {
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
    );
    debug_assert_eq!(out.len(), g.n * oh * ow * oc);
    out.fill(0.0);
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
    act.apply_slice(out);
}

/// Reference twins: direct loops, no GEMM, no SIMD.
pub mod reference {
    use super::*;

    /// Direct convolution: regular or grouped (filter `[oc, kh, kw, ic / groups]`), or with
    /// `depthwise` a depthwise one (filter `[1, kh, kw, oc]`, multiplier `oc / ic`).
    pub fn conv2d(
        x: &[f32],
        w: &[f32],
        bias: Option<&[f32]>,
        g: &ConvGeom,
        depthwise: bool,
    ) -> Vec<f32> {
        let [oh, ow, oc] = g.out_hwc;
        let mut out = vec![0.0f32; g.n * oh * ow * oc];
        conv2d_into(x, w, bias, g, depthwise, &mut out);
        out
    }

    /// Regular or grouped convolution with activation into `out` (the reference of the packed
    /// kernel and of [`crate::grouped::prepare_f32`]).
    pub fn conv2d_act(
        x: &[f32],
        w: &[f32],
        bias: Option<&[f32]>,
        g: &ConvGeom,
        act: Act,
        out: &mut [f32],
    ) {
        conv2d_into(x, w, bias, g, false, out);
        act.apply_slice(out);
    }

    /// Depthwise convolution with activation into `out` (the reference of
    /// [`crate::Kernels::f32_depthwise`]).
    pub fn depthwise(
        x: &[f32],
        w: &[f32],
        bias: Option<&[f32]>,
        g: &ConvGeom,
        act: Act,
        out: &mut [f32],
    ) {
        conv2d_into(x, w, bias, g, true, out);
        act.apply_slice(out);
    }

    /// [`conv2d`] into `out` (every element written).
    pub fn conv2d_into(
        x: &[f32],
        w: &[f32],
        bias: Option<&[f32]>,
        g: &ConvGeom,
        depthwise: bool,
        out: &mut [f32],
    ) {
        let [ih, iw, ic] = g.in_hwc;
        let [oh, ow, oc] = g.out_hwc;
        let [kh, kw] = g.k;
        debug_assert_eq!(out.len(), g.n * oh * ow * oc);
        let (groups, fic) = if depthwise {
            (1, ic)
        } else {
            g.groups(w.len())
        };
        let opg = (oc / groups).max(1);
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
                                    let c0 = (o / opg) * fic;
                                    for c in 0..fic {
                                        s += x[((b * ih + y) * iw + xx) * ic + c0 + c]
                                            * w[((o * kh + ky) * kw + kx) * fic + c];
                                    }
                                }
                            }
                        }
                        out[((b * oh + oy) * ow + ox) * oc + o] = s;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::geom::conv_out_and_pad;

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
        let (oh, pt) = conv_out_and_pad(h, k, stride, dil, same);
        let (ow, pl) = conv_out_and_pad(w, k, stride, dil, same);
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

    /// The GEMM convolution and (at every level of the table) the depthwise kernel against the
    /// direct loops, with dilation and channel multiplier 2, into buffers holding garbage.
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
            for bias in [Some(&b[..]), None] {
                let mut fast = vec![f32::NAN; 2 * oh * ow * oc];
                crate::parallel::with_threads(2, || {
                    conv2d(&x, &wt, bias, &g, Act::None, &mut fast)
                });
                let slow = reference::conv2d(&x, &wt, bias, &g, false);
                assert!(fast.iter().zip(&slow).all(|(a, b)| (a - b).abs() < 1e-4));
            }
            let gd = ConvGeom {
                out_hwc: [oh, ow, ic * 2],
                ..g
            };
            let wd = data(k * k * ic * 2, 4);
            let bd = data(ic * 2, 5);
            let slow = reference::conv2d(&x, &wd, Some(&bd), &gd, true);
            for lv in crate::cpu::supported() {
                let mut fast = vec![f32::NAN; slow.len()];
                crate::parallel::with_threads(2, || {
                    (crate::table::for_level(lv).f32_depthwise)(
                        &x,
                        &wd,
                        Some(&bd),
                        &gd,
                        Act::None,
                        &mut fast,
                    )
                });
                assert!(
                    fast.iter().zip(&slow).all(|(a, b)| (a - b).abs() < 1e-4),
                    "{lv:?}"
                );
            }
        }
    }

    /// Transposed convolution against a direct scatter loop.
    #[test]
    fn transpose_conv_matches_a_direct_scatter() {
        let (ih, iw, ic, oc, k, s) = (3, 4, 2, 3, 3, 2);
        let (oh, ow) = (ih * s, iw * s);
        let g = ConvGeom {
            n: 1,
            in_hwc: [ih, iw, ic],
            out_hwc: [oh, ow, oc],
            k: [k, k],
            stride: [s, s],
            dilation: [1, 1],
            pad: [0, 0],
        };
        let x = data(ih * iw * ic, 7);
        let w = data(oc * k * k * ic, 8);
        let b = data(oc, 9);
        let mut out = vec![f32::NAN; oh * ow * oc];
        transpose_conv(&x, &w, Some(&b), &g, Act::None, &mut out);
        let mut want = vec![0f32; oh * ow * oc];
        for iy in 0..ih {
            for ix in 0..iw {
                for ky in 0..k {
                    for kx in 0..k {
                        let (oy, ox) = (iy * s + ky, ix * s + kx);
                        if oy >= oh || ox >= ow {
                            continue;
                        }
                        for o in 0..oc {
                            for c in 0..ic {
                                want[(oy * ow + ox) * oc + o] += x[(iy * iw + ix) * ic + c]
                                    * w[((o * k + ky) * k + kx) * ic + c];
                            }
                        }
                    }
                }
            }
        }
        for (i, v) in want.iter_mut().enumerate() {
            *v += b[i % oc];
        }
        assert!(out.iter().zip(&want).all(|(a, b)| (a - b).abs() < 1e-4));
    }
}
