//! Int8 convolutions and matrix products (NHWC activations, OHWI filters, int32 bias), twins of
//! LiteRT's `reference_integer_ops` ConvPerChannel, DepthwiseConvPerChannel, TransposeConv,
//! FullyConnected(PerChannel) and `reference_ops::BatchMatMul<int8_t, int32_t>`.
//!
//! Accumulation: `acc = Σ w · (x + input_offset)` over in-bounds taps only (padding behaves like
//! a real 0), `+ bias[c]`, then `MultiplyByQuantizedMultiplier(acc, mult[c], shift[c])`,
//! `+ output_offset`, clamp to the fused-activation range. Integer sums wrap like the C++.

use super::fixed::{multiply_by_quantized_multiplier, quantize_multiplier};
pub use super::params::ConvQuant;
use super::params::{Activation, calculate_activation_range_quantized};
use crate::geom::ConvGeom;

/// Input coordinate of output `o`, tap `t` along dim `d`, if inside the image.
#[inline]
fn in_coord(g: &ConvGeom, d: usize, o: usize, t: usize) -> Option<usize> {
    let pos = (o * g.stride[d] + t * g.dilation[d]) as isize - g.pad[d] as isize;
    (pos >= 0 && (pos as usize) < g.in_hwc[d]).then_some(pos as usize)
}

/// `reference_integer_ops::ConvPerChannel` (int8). `w` is `[oc, kh, kw, ic / groups]`; the
/// filter depth is inferred from `w.len()` (grouped convolution when it is smaller than `ic`).
pub fn conv2d(
    x: &[i8],
    w: &[i8],
    bias: Option<&[i32]>,
    g: &ConvGeom,
    q: &ConvQuant,
    out: &mut [i8],
) {
    let [ih, iw, ic] = g.in_hwc;
    let [oh, ow, oc] = g.out_hwc;
    let [kh, kw] = g.k;
    let taps = oc * kh * kw;
    let fic = w.len().checked_div(taps).map_or(ic, |f| f.max(1));
    let groups = (ic / fic).max(1);
    let per_group = (oc / groups).max(1);
    debug_assert_eq!(out.len(), g.n * oh * ow * oc);
    for b in 0..g.n {
        for oy in 0..oh {
            for ox in 0..ow {
                for o in 0..oc {
                    let group = o / per_group;
                    let mut acc = 0i32;
                    for ky in 0..kh {
                        let Some(y) = in_coord(g, 0, oy, ky) else {
                            continue;
                        };
                        for kx in 0..kw {
                            let Some(xx) = in_coord(g, 1, ox, kx) else {
                                continue;
                            };
                            let xrow = &x[((b * ih + y) * iw + xx) * ic + group * fic..][..fic];
                            let wrow = &w[((o * kh + ky) * kw + kx) * fic..][..fic];
                            for (&xv, &wv) in xrow.iter().zip(wrow) {
                                acc = acc.wrapping_add((wv as i32) * (xv as i32 + q.input_offset));
                            }
                        }
                    }
                    if let Some(bv) = bias {
                        acc = acc.wrapping_add(bv[o]);
                    }
                    out[((b * oh + oy) * ow + ox) * oc + o] = q.finish(acc, o);
                }
            }
        }
    }
}

/// `reference_integer_ops::DepthwiseConvPerChannel` (int8). `w` is `[1, kh, kw, ic · mult]`;
/// output channel `c · mult + m` reads input channel `c`.
pub fn depthwise(
    x: &[i8],
    w: &[i8],
    bias: Option<&[i32]>,
    g: &ConvGeom,
    q: &ConvQuant,
    out: &mut [i8],
) {
    let [ih, iw, ic] = g.in_hwc;
    let [oh, ow, oc] = g.out_hwc;
    let [kh, kw] = g.k;
    let mult = (oc / ic.max(1)).max(1);
    debug_assert_eq!(out.len(), g.n * oh * ow * oc);
    for b in 0..g.n {
        for oy in 0..oh {
            for ox in 0..ow {
                for c in 0..ic {
                    for m in 0..mult {
                        let o = c * mult + m;
                        if o >= oc {
                            continue;
                        }
                        let mut acc = 0i32;
                        for ky in 0..kh {
                            let Some(y) = in_coord(g, 0, oy, ky) else {
                                continue;
                            };
                            for kx in 0..kw {
                                let Some(xx) = in_coord(g, 1, ox, kx) else {
                                    continue;
                                };
                                let xv = x[((b * ih + y) * iw + xx) * ic + c] as i32;
                                let wv = w[(ky * kw + kx) * oc + o] as i32;
                                acc = acc.wrapping_add(wv * (xv + q.input_offset));
                            }
                        }
                        if let Some(bv) = bias {
                            acc = acc.wrapping_add(bv[o]);
                        }
                        out[((b * oh + oy) * ow + ox) * oc + o] = q.finish(acc, o);
                    }
                }
            }
        }
    }
}

/// `reference_integer_ops::TransposeConv` (int8): scatter `(x + input_offset) · w` into an int32
/// scratch of the output size (`out = in · stride − pad + tap`), then per output element add
/// `bias[c]` (int32, before requantization — exactly like the reference) and requantize
/// per channel. `w` is `[oc, kh, kw, ic]`; `g.in_hwc` is the small input, `g.out_hwc` the large
/// output; dilation is ignored (TFLite has none for TRANSPOSE_CONV). Into `out` (`[n, oh, ow,
/// oc]`, every element written).
pub fn transpose_conv(
    x: &[i8],
    w: &[i8],
    bias: Option<&[i32]>,
    g: &ConvGeom,
    q: &ConvQuant,
    out: &mut [i8],
) {
    let [ih, iw, ic] = g.in_hwc;
    let [oh, ow, oc] = g.out_hwc;
    let [kh, kw] = g.k;
    let mut scratch = vec![0i32; g.n * oh * ow * oc];
    for b in 0..g.n {
        for iy in 0..ih {
            for ix in 0..iw {
                for c in 0..ic {
                    let xv = x[((b * ih + iy) * iw + ix) * ic + c] as i32 + q.input_offset;
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
                            let base = ((b * oh + oy as usize) * ow + ox as usize) * oc;
                            for o in 0..oc {
                                let wv = w[((o * kh + ky) * kw + kx) * ic + c] as i32;
                                let s = &mut scratch[base + o];
                                *s = s.wrapping_add(xv * wv);
                            }
                        }
                    }
                }
            }
        }
    }
    debug_assert_eq!(out.len(), scratch.len());
    for (i, (y, &acc)) in out.iter_mut().zip(&scratch).enumerate() {
        let o = i % oc.max(1);
        let acc = match bias {
            Some(bv) => acc.wrapping_add(bv[o]),
            None => acc,
        };
        *y = q.finish(acc, o);
    }
}

/// Per-tensor requantization of FULLY_CONNECTED / BATCH_MATMUL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FcQuant {
    /// `-input_zero_point` (BATCH_MATMUL: `-lhs_zero_point`).
    pub input_offset: i32,
    /// `-weights_zero_point` (BATCH_MATMUL: `-rhs_zero_point`); 0 for symmetric weights.
    pub weights_offset: i32,
    /// Output zero point.
    pub output_offset: i32,
    /// Q0.31 multiplier.
    pub multiplier: i32,
    /// Shift (positive = left).
    pub shift: i32,
    /// Fused activation clamp.
    pub act_min: i32,
    /// Fused activation clamp.
    pub act_max: i32,
}

impl FcQuant {
    /// LiteRT `GetQuantizedConvolutionMultipler` (per-tensor FC and BATCH_MATMUL): the scale
    /// product `s_in · s_w` is formed in **f32**, then `M = (double)product / (double)s_out`.
    pub fn per_tensor(
        (s_in, z_in): (f32, i32),
        (s_w, z_w): (f32, i32),
        (s_out, z_out): (f32, i32),
        act: Activation,
    ) -> Self {
        let (multiplier, shift) = quantize_multiplier((s_in * s_w) as f64 / s_out as f64);
        let (act_min, act_max) = calculate_activation_range_quantized(act, s_out, z_out);
        Self {
            input_offset: -z_in,
            weights_offset: -z_w,
            output_offset: z_out,
            multiplier,
            shift,
            act_min,
            act_max,
        }
    }

    /// Requantize an accumulator (bias added) to the output.
    #[inline]
    pub fn finish(&self, acc: i32) -> i8 {
        let v = multiply_by_quantized_multiplier(acc, self.multiplier, self.shift)
            .wrapping_add(self.output_offset);
        v.max(self.act_min)
            .min(self.act_max)
            .clamp(i8::MIN as i32, i8::MAX as i32) as i8
    }
}

/// Per-channel FULLY_CONNECTED as LiteRT 2.3's reference kernel computes it: the int32
/// accumulator is rescaled in double, `round(acc · s_in·s_w[u]/s_out) + z_out` (round half away
/// from zero), not through a fixed-point multiplier. `scales[u]` is that double ratio.
#[expect(
    clippy::too_many_arguments,
    reason = "mirrors the reference kernel's parameters"
)]
pub fn fully_connected_per_channel_double(
    x: &[i8],
    w: &[i8],
    bias: Option<&[i32]>,
    (batches, depth, units): (usize, usize, usize),
    input_offset: i32,
    scales: &[f64],
    output_offset: i32,
    (act_min, act_max): (i32, i32),
    out: &mut [i8],
) {
    debug_assert_eq!(out.len(), batches * units);
    for b in 0..batches {
        let xr = &x[b * depth..(b + 1) * depth];
        for u in 0..units {
            let wr = &w[u * depth..(u + 1) * depth];
            let mut acc = 0i64;
            for (&xv, &wv) in xr.iter().zip(wr) {
                acc += wv as i64 * (xv as i64 + input_offset as i64);
            }
            if let Some(bv) = bias {
                acc += bv[u] as i64;
            }
            let v = (acc as f64 * scales[u]).round() as i64 + output_offset as i64;
            out[b * units + u] = v.clamp(act_min as i64, act_max as i64) as i8;
        }
    }
}

/// `reference_ops::BatchMatMul<int8_t, int32_t>` as LiteRT's batch_matmul.cc calls it:
/// `out[..., m, n] = clamp(MBQM(Σ_k (a[m,k] + lhs_off)(b[k,n] + rhs_off)) + out_zp)` with
/// `q.input_offset = -lhs_zp`, `q.weights_offset = -rhs_zp` and the multiplier of
/// [`FcQuant::per_tensor`] (no fused activation: use `Activation::None`). `adj_x`/`adj_y`
/// transpose the last two dims of lhs/rhs; leading (batch) dims broadcast NumPy-style.
/// Returns the output values and shape; `None` if the shapes do not fit.
pub fn batch_matmul(
    lhs: &[i8],
    lhs_shape: &[usize],
    rhs: &[i8],
    rhs_shape: &[usize],
    adj_x: bool,
    adj_y: bool,
    q: &FcQuant,
) -> Option<(Vec<i8>, Vec<usize>)> {
    if lhs_shape.len() < 2 || rhs_shape.len() < 2 {
        return None;
    }
    let (lr, rr) = (lhs_shape.len(), rhs_shape.len());
    let (m, k) = if adj_x {
        (lhs_shape[lr - 1], lhs_shape[lr - 2])
    } else {
        (lhs_shape[lr - 2], lhs_shape[lr - 1])
    };
    let (k2, n) = if adj_y {
        (rhs_shape[rr - 1], rhs_shape[rr - 2])
    } else {
        (rhs_shape[rr - 2], rhs_shape[rr - 1])
    };
    if k != k2 {
        return None;
    }
    let lb = &lhs_shape[..lr - 2];
    let rb = &rhs_shape[..rr - 2];
    let ob = super::elementwise::broadcast_shape(lb, rb)?;
    let nb: usize = ob.iter().product();
    let rank = ob.len();
    // Batch strides (in matrices) of lhs/rhs aligned to the output batch dims; 0 = broadcast.
    let bstrides = |shape: &[usize]| -> Vec<usize> {
        let mut s = vec![0; rank];
        let mut acc = 1;
        for i in (0..shape.len()).rev() {
            let o = rank - shape.len() + i;
            s[o] = if shape[i] == 1 { 0 } else { acc };
            acc *= shape[i];
        }
        s
    };
    let (sl, sr) = (bstrides(lb), bstrides(rb));
    let mut out = vec![0i8; nb * m * n];
    let mut idx = vec![0usize; rank];
    for bi in 0..nb {
        let la: usize = (0..rank).map(|d| idx[d] * sl[d]).sum();
        let ra: usize = (0..rank).map(|d| idx[d] * sr[d]).sum();
        let a = &lhs[la * m * k..(la + 1) * m * k];
        let bm = &rhs[ra * k * n..(ra + 1) * k * n];
        for i in 0..m {
            for j in 0..n {
                let mut acc = 0i32;
                for t in 0..k {
                    let av = if adj_x { a[t * m + i] } else { a[i * k + t] } as i32;
                    let bv = if adj_y { bm[j * k + t] } else { bm[t * n + j] } as i32;
                    acc =
                        acc.wrapping_add((bv + q.weights_offset).wrapping_mul(av + q.input_offset));
                }
                out[(bi * m + i) * n + j] = q.finish(acc);
            }
        }
        for d in (0..rank).rev() {
            idx[d] += 1;
            if idx[d] < ob[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    let mut shape = ob;
    shape.extend([m, n]);
    Some((out, shape))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The kernels' outputs as vectors (tests only).
    fn conv(x: &[i8], w: &[i8], b: Option<&[i32]>, g: &ConvGeom, q: &ConvQuant) -> Vec<i8> {
        let mut out = vec![0x55i8; g.n * g.out_hwc.iter().product::<usize>()];
        conv2d(x, w, b, g, q, &mut out);
        out
    }

    fn tconv(x: &[i8], w: &[i8], b: Option<&[i32]>, g: &ConvGeom, q: &ConvQuant) -> Vec<i8> {
        let mut out = vec![0x55i8; g.n * g.out_hwc.iter().product::<usize>()];
        transpose_conv(x, w, b, g, q, &mut out);
        out
    }

    fn dw(x: &[i8], w: &[i8], b: Option<&[i32]>, g: &ConvGeom, q: &ConvQuant) -> Vec<i8> {
        let mut out = vec![0x55i8; g.n * g.out_hwc.iter().product::<usize>()];
        depthwise(x, w, b, g, q, &mut out);
        out
    }

    #[expect(clippy::too_many_arguments, reason = "the kernel's parameters")]
    fn fc(
        x: &[i8],
        w: &[i8],
        b: Option<&[i32]>,
        d: (usize, usize, usize),
        io: i32,
        s: &[f64],
        oo: i32,
        r: (i32, i32),
    ) -> Vec<i8> {
        let mut out = vec![0x55i8; d.0 * d.2];
        fully_connected_per_channel_double(x, w, b, d, io, s, oo, r, &mut out);
        out
    }

    fn geom(
        in_hwc: [usize; 3],
        out_hwc: [usize; 3],
        k: usize,
        stride: usize,
        pad: usize,
    ) -> ConvGeom {
        ConvGeom {
            n: 1,
            in_hwc,
            out_hwc,
            k: [k, k],
            stride: [stride; 2],
            dilation: [1, 1],
            pad: [pad; 2],
        }
    }

    /// Identity requantization: M = 1 (q = 2^30, shift 1).
    fn unit_quant(in_zp: i32, out_zp: i32, oc: usize, act: Activation) -> ConvQuant {
        ConvQuant::per_channel((0.5, in_zp), &[0.5], (0.25, out_zp), act, oc)
    }

    #[test]
    fn conv_by_hand() {
        // 3x3 input (values 1..9, zp 1 -> 0..8), 2x2 all-ones filter, VALID.
        let x: Vec<i8> = (1..=9).collect();
        let g = geom([3, 3, 1], [2, 2, 1], 2, 1, 0);
        let q = unit_quant(1, 0, 1, Activation::None);
        assert_eq!(q.multipliers, vec![1 << 30]);
        assert_eq!(q.shifts, vec![1]);
        let y = conv(&x, &[1, 1, 1, 1], Some(&[10]), &g, &q);
        // windows of 0..8: (0+1+3+4)=8, 12, 20, 24 ; + bias 10
        assert_eq!(y, vec![18, 22, 30, 34]);
        // SAME padding with a 3x3 filter: padding taps contribute nothing.
        let g = geom([3, 3, 1], [3, 3, 1], 3, 1, 1);
        let y = conv(&x, &[1; 9], None, &g, &q);
        assert_eq!(y[0], 8);
        assert_eq!(y[4], 36);
        // RELU on an output zero point of -10.
        let q = ConvQuant::per_channel((0.5, 1), &[0.5], (0.25, -10), Activation::Relu, 1);
        let y = conv(&x, &[-1; 9], None, &g, &q);
        assert_eq!(y, vec![-10; 9]);
    }

    #[test]
    fn grouped_conv_and_depthwise() {
        // 1x1 input with 2 channels, 2 groups of one channel each.
        let g = geom([1, 1, 2], [1, 1, 2], 1, 1, 0);
        let q = unit_quant(0, 0, 2, Activation::None);
        assert_eq!(conv(&[3, 5], &[2, -1], None, &g, &q), vec![6, -5]);
        // Depthwise with multiplier 2 on a 1x1 image.
        let g = geom([1, 1, 2], [1, 1, 4], 1, 1, 0);
        let q = unit_quant(0, 0, 4, Activation::None);
        assert_eq!(
            dw(&[3, 5], &[1, 2, 3, 4], Some(&[0, 1, 0, 1]), &g, &q),
            vec![3, 7, 15, 21]
        );
    }

    #[test]
    fn transpose_conv_by_hand() {
        // 2x2 input, 2x2 filter of ones, stride 2, no padding: each pixel fills a 2x2 block.
        let g = ConvGeom {
            n: 1,
            in_hwc: [2, 2, 1],
            out_hwc: [4, 4, 1],
            k: [2, 2],
            stride: [2, 2],
            dilation: [1, 1],
            pad: [0, 0],
        };
        let q = unit_quant(0, 0, 1, Activation::None);
        let y = tconv(&[1, 2, 3, 4], &[1, 1, 1, 1], Some(&[1]), &g, &q);
        assert_eq!(y, vec![2, 2, 3, 3, 2, 2, 3, 3, 4, 4, 5, 5, 4, 4, 5, 5]);
        // Stride 1: overlapping contributions add up.
        let g = ConvGeom {
            out_hwc: [3, 3, 1],
            stride: [1, 1],
            ..g
        };
        let y = tconv(&[1, 2, 3, 4], &[1, 1, 1, 1], None, &g, &q);
        assert_eq!(y, vec![1, 3, 2, 4, 10, 6, 3, 7, 4]);
    }

    #[test]
    fn fully_connected_and_batch_matmul() {
        // x - zp = [1, 2, 3]; w rows [1,1,1], [1,-1,0]
        // (s_in·s_w/s_out) = 1 for both units; output zero point 1.
        let y = fc(
            &[3, 4, 5],
            &[1, 1, 1, 1, -1, 0],
            Some(&[0, 100]),
            (1, 3, 2),
            -2,
            &[1.0, 1.0],
            1,
            (-128, 127),
        );
        assert_eq!(y, vec![7, 100]);
        // Per channel: unit 1 at half the scale, acc -4 -> -2; ties round away from zero.
        let y = fc(
            &[3, 4, 5],
            &[1, 1, 1, 4, -4, 0],
            None,
            (1, 3, 2),
            -2,
            &[1.0, 0.5],
            1,
            (-128, 127),
        );
        assert_eq!(y, vec![7, -1]);
        let y = fc(
            &[3],
            &[1, 1],
            Some(&[0, -2]),
            (1, 1, 2),
            0,
            &[0.5, 0.5],
            0,
            (-128, 127),
        );
        assert_eq!(
            y,
            vec![2, 1],
            "ties 1.5 -> 2 and 0.5 -> 1 round away from zero"
        );
        // [2,2] x [2,2] with unit multiplier, zero points 0.
        let q = FcQuant::per_tensor((0.5, 0), (0.5, 0), (0.25, 0), Activation::None);
        let (y, s) = batch_matmul(
            &[1, 2, 3, 4],
            &[2, 2],
            &[5, 6, 7, 8],
            &[2, 2],
            false,
            false,
            &q,
        )
        .unwrap();
        assert_eq!(s, vec![2, 2]);
        assert_eq!(y, vec![19, 22, 43, 50]);
        let (y, _) = batch_matmul(
            &[1, 3, 2, 4],
            &[2, 2],
            &[5, 7, 6, 8],
            &[2, 2],
            true,
            true,
            &q,
        )
        .unwrap();
        assert_eq!(y, vec![19, 22, 43, 50]);
        // Broadcast a [1,2,2] rhs over a [3,1,2] lhs batch.
        let (y, s) = batch_matmul(
            &[1, 0, 0, 1, 1, 1],
            &[3, 1, 2],
            &[1, 2, 3, 4],
            &[1, 2, 2],
            false,
            false,
            &q,
        )
        .unwrap();
        assert_eq!(s, vec![3, 1, 2]);
        assert_eq!(y, vec![1, 2, 3, 4, 4, 6]);
    }
}
