//! Hybrid (dynamic-range) kernels: float activations, int8 weights. As LiteRT does, the float
//! input is quantized on the fly (per batch), the products are accumulated exactly in int32,
//! and the sums are scaled back to float with `input_scale × weight_scale[c]`.

use super::act::Act;
use crate::geom::ConvGeom;

/// LiteRT `SymmetricQuantizeFloats`: `q = round(x · 127 / max|x|)`, scale `max|x| / 127`.
pub fn quantize_symmetric(x: &[f32]) -> (Vec<i8>, f32) {
    let range = x.iter().fold(0.0f32, |m, v| m.max(v.abs()));
    if range == 0.0 {
        return (vec![0; x.len()], 1.0);
    }
    let inv = 127.0 / range;
    (
        x.iter()
            .map(|&v| (v * inv).round().clamp(-127.0, 127.0) as i8)
            .collect(),
        range / 127.0,
    )
}

/// LiteRT `AsymmetricQuantizeFloats`: int8 with a nudged zero point; returns (q, scale, zp).
pub fn quantize_asymmetric(x: &[f32]) -> (Vec<i8>, f32, i32) {
    let (lo, hi) = x.iter().fold((0.0f64, 0.0f64), |(a, b), &v| {
        (a.min(v as f64), b.max(v as f64))
    });
    if lo == hi {
        return (vec![0; x.len()], 1.0, 0);
    }
    let (qmin, qmax) = (-128.0f64, 127.0f64);
    let scale = (hi - lo) / (qmax - qmin);
    let zp_min = qmin - lo / scale;
    let zp_max = qmax - hi / scale;
    let err_min = qmin.abs() + (lo / scale).abs();
    let err_max = qmax.abs() + (hi / scale).abs();
    let zp = if err_min < err_max { zp_min } else { zp_max };
    let zp = if zp <= qmin {
        -128
    } else if zp >= qmax {
        127
    } else {
        zp.round() as i32
    };
    let scale = scale as f32;
    let inv = 1.0 / scale;
    // Rounded, then offset (as LiteRT 2.3 on x86-64 computes it: measured on the TF converter's
    // dynamic-range MobileNet v1, where `zp + x/s` lands on k + 0.5 after the f32 addition
    // but `x/s` does not, and adding before rounding gave a code one off).
    let q = x
        .iter()
        .map(|&v| ((v * inv).round() + zp as f32).clamp(-128.0, 127.0) as i8)
        .collect();
    (q, scale, zp)
}

/// Hybrid convolution (LiteRT `HybridConvPerChannel`) into `out` (`[n, oh, ow, oc]`, every
/// element written): per batch asymmetric input quantization; `w` is `[oc, kh, kw, ic /
/// groups]` int8 (grouped when it reads fewer channels than the input has) with `w_scale` per
/// channel (or one), or with `depthwise` `[1, kh, kw, oc]`.
#[expect(
    clippy::too_many_arguments,
    reason = "mirrors LiteRT's hybrid kernel parameters"
)]
pub fn conv2d(
    x: &[f32],
    w: &[i8],
    w_scale: &[f32],
    bias: Option<&[f32]>,
    g: &ConvGeom,
    act: Act,
    depthwise: bool,
    out: &mut [f32],
) {
    let [ih, iw, ic] = g.in_hwc;
    let [oh, ow, oc] = g.out_hwc;
    let [kh, kw] = g.k;
    let per_batch = ih * iw * ic;
    let mult = if depthwise { oc / ic.max(1) } else { 1 };
    let (groups, fic) = if depthwise {
        (1, ic)
    } else {
        g.groups(w.len())
    };
    let opg = (oc / groups).max(1);
    debug_assert_eq!(out.len(), g.n * oh * ow * oc);
    for b in 0..g.n {
        let (q, s, zp) = quantize_asymmetric(&x[b * per_batch..(b + 1) * per_batch]);
        for oy in 0..oh {
            for ox in 0..ow {
                let o = &mut out[((b * oh + oy) * ow + ox) * oc..][..oc];
                for (c, ov) in o.iter_mut().enumerate() {
                    let mut acc: i32 = 0;
                    for ky in 0..kh {
                        let y =
                            (oy * g.stride[0] + ky * g.dilation[0]) as isize - g.pad[0] as isize;
                        if y < 0 || y as usize >= ih {
                            continue;
                        }
                        for kx in 0..kw {
                            let xx = (ox * g.stride[1] + kx * g.dilation[1]) as isize
                                - g.pad[1] as isize;
                            if xx < 0 || xx as usize >= iw {
                                continue;
                            }
                            let base = (y as usize * iw + xx as usize) * ic;
                            if depthwise {
                                let xv = q[base + c / mult] as i32 - zp;
                                acc += w[(ky * kw + kx) * oc + c] as i32 * xv;
                            } else {
                                let wrow = &w[((c * kh + ky) * kw + kx) * fic..][..fic];
                                let x0 = base + (c / opg) * fic;
                                for (wi, xi) in wrow.iter().zip(&q[x0..x0 + fic]) {
                                    acc += *wi as i32 * (*xi as i32 - zp);
                                }
                            }
                        }
                    }
                    let ws = if w_scale.len() == 1 {
                        w_scale[0]
                    } else {
                        w_scale[c]
                    };
                    // LiteRT's reference hybrid conv scales `(acc · w_scale) · s`; its
                    // depthwise `acc · (w_scale · s)` (the product of scales first).
                    let mut v = if depthwise {
                        acc as f32 * (ws * s)
                    } else {
                        acc as f32 * ws * s
                    };
                    if let Some(bv) = bias {
                        v += bv[c];
                    }
                    *ov = act.apply(v);
                }
            }
        }
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "mirrors LiteRT's hybrid kernel parameters"
)]
/// Hybrid fully connected (LiteRT `EvalHybrid`) into `out` (`[rows, out_n]`, every element
/// written): each input row quantized (symmetric, or asymmetric when `asymmetric`), exact int32
/// dot products, scaled back per row.
pub fn fully_connected(
    x: &[f32],
    rows: usize,
    w: &[i8],
    w_scale: &[f32],
    out_n: usize,
    bias: Option<&[f32]>,
    act: Act,
    asymmetric: bool,
    out: &mut [f32],
) {
    let k = w.len() / out_n.max(1);
    debug_assert_eq!(out.len(), rows * out_n);
    for r in 0..rows {
        let xr = &x[r * k..(r + 1) * k];
        let (q, s, zp) = if asymmetric {
            quantize_asymmetric(xr)
        } else {
            let (q, s) = quantize_symmetric(xr);
            (q, s, 0)
        };
        for o in 0..out_n {
            let wr = &w[o * k..(o + 1) * k];
            let mut acc: i32 = 0;
            for (wi, xi) in wr.iter().zip(&q) {
                acc += *wi as i32 * (*xi as i32 - zp);
            }
            let ws = if w_scale.len() == 1 {
                w_scale[0]
            } else {
                w_scale[o]
            };
            let mut v = acc as f32 * (s * ws);
            if let Some(b) = bias {
                v += b[o];
            }
            out[r * out_n + o] = act.apply(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fast::test_util::{bytes, geom};

    /// A grouped hybrid convolution equals the ungrouped one whose filter is zero outside each
    /// output channel's group (the input is quantized the same way in both).
    #[test]
    fn grouped_conv_is_the_block_diagonal_ungrouped_one() {
        for (ic, oc, groups) in [(4, 6, 2), (8, 8, 4), (6, 6, 6), (6, 12, 3)] {
            let g = geom(2, [7, 6], ic, oc, [3, 3], 2, 1, true);
            let (fic, opg) = (ic / groups, oc / groups);
            let x: Vec<f32> = bytes(2 * 7 * 6 * ic, 1)
                .iter()
                .map(|&b| b as f32 / 50.0)
                .collect();
            let w = bytes(oc * 9 * fic, 2);
            let mut full = vec![0i8; oc * 9 * ic];
            for o in 0..oc {
                for t in 0..9 {
                    for c in 0..fic {
                        full[(o * 9 + t) * ic + (o / opg) * fic + c] = w[(o * 9 + t) * fic + c];
                    }
                }
            }
            let scales: Vec<f32> = (0..oc).map(|o| 0.01 + o as f32 * 1e-3).collect();
            let b: Vec<f32> = (0..oc).map(|o| o as f32 * 0.1).collect();
            let len = 2 * g.out_hwc.iter().product::<usize>();
            let (mut got, mut want) = (vec![f32::NAN; len], vec![f32::NAN; len]);
            conv2d(&x, &w, &scales, Some(&b), &g, Act::None, false, &mut got);
            conv2d(
                &x,
                &full,
                &scales,
                Some(&b),
                &g,
                Act::None,
                false,
                &mut want,
            );
            assert_eq!(got, want, "{groups} groups");
        }
    }
}
