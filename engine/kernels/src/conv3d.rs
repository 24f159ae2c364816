//! Float 3-D convolutions in TFLite's layouts (NDHWC activations): CONV_3D with a `[kd, kh, kw,
//! ic, oc]` filter as im2col + GEMM, CONV_3D_TRANSPOSE with a `[kd, kh, kw, oc, ic]` filter as a
//! GEMM per input row scattered into the output (col2im), and their reference twins (direct
//! loops, in [`reference`]). Padding is TFLite's: `pad` is the leading padding of each axis, the
//! trailing rest implied by the output size.

use crate::gemm::{Mat, matmul};

/// The geometry of a 3-D convolution (for the transpose: of the forward convolution it undoes,
/// `input` being the transpose's output).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Conv3dGeom {
    /// Batch.
    pub n: usize,
    /// Input `[d, h, w, c]`.
    pub input: [usize; 4],
    /// Output `[d, h, w, c]`.
    pub output: [usize; 4],
    /// Kernel `[kd, kh, kw]`.
    pub k: [usize; 3],
    /// Strides `[d, h, w]`.
    pub stride: [usize; 3],
    /// Dilations `[d, h, w]`.
    pub dilation: [usize; 3],
    /// Leading padding `[d, h, w]`.
    pub pad: [usize; 3],
}

impl Conv3dGeom {
    /// The input position read by output position `o` through kernel tap `k` on axis `a`, when
    /// it lies inside the input.
    #[inline]
    fn src(&self, a: usize, o: usize, k: usize) -> Option<usize> {
        let p = (o * self.stride[a] + k * self.dilation[a]).checked_sub(self.pad[a])?;
        (p < self.input[a]).then_some(p)
    }
}

/// Output length and leading padding of one axis under TFLite's SAME (`same`) or VALID padding.
pub fn out_and_pad(
    len: usize,
    k: usize,
    stride: usize,
    dilation: usize,
    same: bool,
) -> (usize, usize) {
    let k_eff = (k.max(1) - 1) * dilation + 1;
    let stride = stride.max(1);
    if same {
        let out = len.div_ceil(stride);
        let total = ((out.max(1) - 1) * stride + k_eff).saturating_sub(len);
        (out, total / 2)
    } else {
        (len.saturating_sub(k_eff - 1).div_ceil(stride), 0)
    }
}

/// Maximum im2col buffer (elements) per GEMM call; larger convolutions are tiled over rows.
const IM2COL_BUDGET: usize = 1 << 22;

/// CONV_3D into `out` (`[n, od, oh, ow, oc]`, every element written): `x` is `[n, d, h, w, ic]`,
/// `w` is `[kd, kh, kw, ic, oc]`, `bias` has `oc` entries.
pub fn conv3d(x: &[f32], w: &[f32], bias: Option<&[f32]>, g: &Conv3dGeom, out: &mut [f32]) {
    let [_, _, _, ic] = g.input;
    let [od, oh, ow, oc] = g.output;
    let [kd, kh, kw] = g.k;
    let kdim = kd * kh * kw * ic;
    let rows = g.n * od * oh * ow;
    debug_assert_eq!(out.len(), rows * oc);
    debug_assert_eq!(w.len(), kdim * oc);
    for r in out.chunks_mut(oc.max(1)) {
        match bias {
            Some(b) => r.copy_from_slice(&b[..oc]),
            None => r.fill(0.0),
        }
    }
    if rows == 0 || oc == 0 || kdim == 0 {
        return;
    }
    let tile = (IM2COL_BUDGET / kdim).clamp(1, rows);
    let mut col = vec![0.0f32; tile * kdim];
    let mut r0 = 0;
    while r0 < rows {
        let r1 = (r0 + tile).min(rows);
        im2col3d(x, g, r0, r1, &mut col);
        // `w` is `[kdim, oc]` row-major: the GEMM's right operand as it is.
        matmul(
            r1 - r0,
            oc,
            kdim,
            Mat::row_major(&col, kdim),
            Mat::row_major(w, oc),
            &mut out[r0 * oc..r1 * oc],
            true,
        );
        r0 = r1;
    }
}

/// Rows `r0..r1` of the im2col matrix (`[rows, kd*kh*kw*ic]`, zeros for padding).
fn im2col3d(x: &[f32], g: &Conv3dGeom, r0: usize, r1: usize, col: &mut [f32]) {
    let [id, ih, iw, ic] = g.input;
    let [od, oh, ow, _] = g.output;
    let [kd, kh, kw] = g.k;
    let kdim = kd * kh * kw * ic;
    for (row, r) in col.chunks_mut(kdim).zip(r0..r1) {
        let (b, rest) = (r / (od * oh * ow), r % (od * oh * ow));
        let (z, y, xx) = (rest / (oh * ow), (rest / ow) % oh, rest % ow);
        let mut at = 0;
        for a in 0..kd {
            let sz = g.src(0, z, a);
            for bb in 0..kh {
                let sy = g.src(1, y, bb);
                for cc in 0..kw {
                    let sx = g.src(2, xx, cc);
                    let dst = &mut row[at..at + ic];
                    match (sz, sy, sx) {
                        (Some(sz), Some(sy), Some(sx)) => {
                            let base = (((b * id + sz) * ih + sy) * iw + sx) * ic;
                            dst.copy_from_slice(&x[base..base + ic]);
                        }
                        _ => dst.fill(0.0),
                    }
                    at += ic;
                }
            }
        }
    }
}

/// CONV_3D_TRANSPOSE into `out` (`[n, d, h, w, oc]` = `g.input` with `oc` channels, every element
/// written): `x` is `[n, od, oh, ow, ic]` (`g.output` with `ic` channels), `w` is
/// `[kd, kh, kw, oc, ic]`, `bias` has `oc` entries.
pub fn conv3d_transpose(
    x: &[f32],
    w: &[f32],
    bias: Option<&[f32]>,
    g: &Conv3dGeom,
    out: &mut [f32],
) {
    let [id, ih, iw, oc] = g.input;
    let [od, oh, ow, ic] = g.output;
    let [kd, kh, kw] = g.k;
    let taps = kd * kh * kw;
    let rows = g.n * od * oh * ow;
    debug_assert_eq!(out.len(), g.n * id * ih * iw * oc);
    debug_assert_eq!(w.len(), taps * oc * ic);
    out.fill(0.0);
    if rows == 0 || oc == 0 || taps == 0 {
        add_bias(out, bias, oc);
        return;
    }
    // cols[r, (tap, o)] = Σ_i x[r, i] · w[tap, o, i]: `w` as `[taps*oc, ic]` is the transposed
    // right operand.
    let width = taps * oc;
    let tile = (IM2COL_BUDGET / width).clamp(1, rows);
    let mut cols = vec![0.0f32; tile * width];
    let mut r0 = 0;
    while r0 < rows {
        let r1 = (r0 + tile).min(rows);
        let c = &mut cols[..(r1 - r0) * width];
        matmul(
            r1 - r0,
            width,
            ic,
            Mat::row_major(&x[r0 * ic..r1 * ic], ic),
            Mat::transposed(w, ic),
            c,
            false,
        );
        for (row, r) in c.chunks(width).zip(r0..r1) {
            let (b, rest) = (r / (od * oh * ow), r % (od * oh * ow));
            let (z, y, xx) = (rest / (oh * ow), (rest / ow) % oh, rest % ow);
            for a in 0..kd {
                let Some(sz) = g.src(0, z, a) else { continue };
                for bb in 0..kh {
                    let Some(sy) = g.src(1, y, bb) else { continue };
                    for cc in 0..kw {
                        let Some(sx) = g.src(2, xx, cc) else { continue };
                        let t = (a * kh + bb) * kw + cc;
                        let base = (((b * id + sz) * ih + sy) * iw + sx) * oc;
                        for (o, v) in out[base..base + oc]
                            .iter_mut()
                            .zip(&row[t * oc..(t + 1) * oc])
                        {
                            *o += v;
                        }
                    }
                }
            }
        }
        r0 = r1;
    }
    add_bias(out, bias, oc);
}

fn add_bias(out: &mut [f32], bias: Option<&[f32]>, oc: usize) {
    if let Some(b) = bias {
        for r in out.chunks_mut(oc.max(1)) {
            for (o, v) in r.iter_mut().zip(b) {
                *o += v;
            }
        }
    }
}

/// Direct-loop twins of the 3-D convolutions.
pub mod reference {
    use super::Conv3dGeom;

    /// [`super::conv3d`] as nested loops.
    pub fn conv3d(x: &[f32], w: &[f32], bias: Option<&[f32]>, g: &Conv3dGeom, out: &mut [f32]) {
        let [id, ih, iw, ic] = g.input;
        let [od, oh, ow, oc] = g.output;
        let [kd, kh, kw] = g.k;
        for b in 0..g.n {
            for z in 0..od {
                for y in 0..oh {
                    for xx in 0..ow {
                        for o in 0..oc {
                            let mut s = bias.map_or(0.0, |v| v[o]);
                            for a in 0..kd {
                                let Some(sz) = g.src(0, z, a) else { continue };
                                for bb in 0..kh {
                                    let Some(sy) = g.src(1, y, bb) else { continue };
                                    for cc in 0..kw {
                                        let Some(sx) = g.src(2, xx, cc) else { continue };
                                        for i in 0..ic {
                                            let xv =
                                                x[(((b * id + sz) * ih + sy) * iw + sx) * ic + i];
                                            let wv =
                                                w[(((a * kh + bb) * kw + cc) * ic + i) * oc + o];
                                            s += xv * wv;
                                        }
                                    }
                                }
                            }
                            out[(((b * od + z) * oh + y) * ow + xx) * oc + o] = s;
                        }
                    }
                }
            }
        }
    }

    /// [`super::conv3d_transpose`] as nested loops (scatter of every input element).
    pub fn conv3d_transpose(
        x: &[f32],
        w: &[f32],
        bias: Option<&[f32]>,
        g: &Conv3dGeom,
        out: &mut [f32],
    ) {
        let [id, ih, iw, oc] = g.input;
        let [od, oh, ow, ic] = g.output;
        let [kd, kh, kw] = g.k;
        for (i, o) in out.iter_mut().enumerate() {
            *o = bias.map_or(0.0, |v| v[i % oc]);
        }
        for b in 0..g.n {
            for z in 0..od {
                for y in 0..oh {
                    for xx in 0..ow {
                        for a in 0..kd {
                            let Some(sz) = g.src(0, z, a) else { continue };
                            for bb in 0..kh {
                                let Some(sy) = g.src(1, y, bb) else { continue };
                                for cc in 0..kw {
                                    let Some(sx) = g.src(2, xx, cc) else { continue };
                                    for o in 0..oc {
                                        for i in 0..ic {
                                            let xv =
                                                x[(((b * od + z) * oh + y) * ow + xx) * ic + i];
                                            let wv =
                                                w[(((a * kh + bb) * kw + cc) * oc + o) * ic + i];
                                            out[(((b * id + sz) * ih + sy) * iw + sx) * oc + o] +=
                                                xv * wv;
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seq(n: usize, k: u32) -> Vec<f32> {
        // A deterministic spread of values in [-1, 1).
        (0..n)
            .map(|i| {
                (((i as u32).wrapping_mul(2_654_435_761).wrapping_add(k)) >> 8) as f32
                    / (1u32 << 23) as f32
                    - 1.0
            })
            .collect()
    }

    fn geom(
        input: [usize; 4],
        oc: usize,
        k: [usize; 3],
        stride: [usize; 3],
        dil: [usize; 3],
        same: bool,
    ) -> Conv3dGeom {
        let mut output = [0, 0, 0, oc];
        let mut pad = [0; 3];
        for a in 0..3 {
            let (o, p) = out_and_pad(input[a], k[a], stride[a], dil[a], same);
            output[a] = o;
            pad[a] = p;
        }
        Conv3dGeom {
            n: 2,
            input,
            output,
            k,
            stride,
            dilation: dil,
            pad,
        }
    }

    fn close(a: &[f32], b: &[f32]) {
        assert_eq!(a.len(), b.len());
        for (i, (x, y)) in a.iter().zip(b).enumerate() {
            assert!(
                (x - y).abs() <= 1e-5 * (1.0 + y.abs()),
                "element {i}: {x} vs {y}"
            );
        }
    }

    /// The GEMM kernels match their direct twins over strides, dilations, SAME and VALID.
    #[test]
    fn kernels_match_reference() {
        let cases = [
            ([4, 5, 6, 3], 4, [3, 3, 3], [1, 1, 1], [1, 1, 1], true),
            ([5, 6, 7, 2], 3, [2, 3, 2], [2, 1, 3], [1, 2, 1], false),
            ([3, 4, 4, 5], 2, [1, 1, 1], [1, 1, 1], [1, 1, 1], false),
            ([6, 5, 4, 1], 6, [3, 2, 2], [2, 2, 1], [2, 1, 1], true),
        ];
        for (input, oc, k, stride, dil, same) in cases {
            let g = geom(input, oc, k, stride, dil, same);
            let ic = input[3];
            let x = seq(g.n * input[..3].iter().product::<usize>() * ic, 1);
            let w = seq(k.iter().product::<usize>() * ic * oc, 2);
            let b = seq(oc, 3);
            let on = g.n * g.output[..3].iter().product::<usize>() * oc;
            let (mut fast, mut slow) = (vec![9.0; on], vec![9.0; on]);
            conv3d(&x, &w, Some(&b), &g, &mut fast);
            reference::conv3d(&x, &w, Some(&b), &g, &mut slow);
            close(&fast, &slow);
            // The transpose maps the conv's output shape back to its input shape (with oc
            // channels there and ic here).
            let tg = Conv3dGeom {
                input: [input[0], input[1], input[2], oc],
                output: [g.output[0], g.output[1], g.output[2], ic],
                ..g
            };
            let tx = seq(g.n * g.output[..3].iter().product::<usize>() * ic, 4);
            let tw = seq(k.iter().product::<usize>() * oc * ic, 5);
            let tn = g.n * input[..3].iter().product::<usize>() * oc;
            let (mut fast, mut slow) = (vec![9.0; tn], vec![9.0; tn]);
            conv3d_transpose(&tx, &tw, Some(&b), &tg, &mut fast);
            reference::conv3d_transpose(&tx, &tw, Some(&b), &tg, &mut slow);
            close(&fast, &slow);
        }
    }

    /// A 1x1x1 kernel is a per-voxel matrix product; a hand-checked 2-tap depth sum.
    #[test]
    fn small_cases_by_hand() {
        let g = Conv3dGeom {
            n: 1,
            input: [2, 1, 1, 1],
            output: [1, 1, 1, 1],
            k: [2, 1, 1],
            stride: [1; 3],
            dilation: [1; 3],
            pad: [0; 3],
        };
        let mut out = [0.0];
        conv3d(&[3.0, 5.0], &[2.0, 10.0], Some(&[1.0]), &g, &mut out);
        assert_eq!(out, [57.0]);
        let mut back = [0.0; 2];
        conv3d_transpose(
            &[1.5],
            &[2.0, 10.0],
            None,
            &Conv3dGeom {
                input: [2, 1, 1, 1],
                output: [1, 1, 1, 1],
                ..g
            },
            &mut back,
        );
        assert_eq!(back, [3.0, 15.0]);
        assert_eq!(out_and_pad(7, 3, 2, 1, true), (4, 1));
        assert_eq!(out_and_pad(7, 3, 2, 2, false), (2, 0));
    }
}
