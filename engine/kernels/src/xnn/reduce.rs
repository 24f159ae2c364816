//! `litert` MEAN / SUM (XNNPACK's reduce operator on qs8) and RESIZE_BILINEAR (XNNPACK's
//! `s8-ibilinear` with Q11 weights).
//!
//! Reduce: the raw int8 values (not `q − z_in`) are summed in int32, then converted as an
//! int32 → qs8 convert whose parameters fold the input zero point in:
//! `s = (s_in / s_out) · (1/N)` (MEAN; `1` for SUM), `z = z_out − (N · z_in) · s`, all f32,
//! `y = sat(nearbyint(sum · s + z))`.

/// Constants of a MEAN or SUM over `count` elements.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReduceParams {
    /// Scale applied to the raw sum.
    pub scale: f32,
    /// Zero point with the input zero point folded in.
    pub zero: f32,
}

impl ReduceParams {
    /// `xnn_init_qs8_reduce_scalar_params` + `xnn_update_qs8_reduce_scalar_params` and the
    /// convert parameters of `reduce-nd.c`.
    pub fn new((si, zi): (f32, i32), (so, zo): (f32, i32), count: usize, mean: bool) -> Self {
        let mut scale = si / so;
        if mean {
            scale *= 1.0 / count as f32;
        }
        let zero = zo as f32 - ((count as i32) as f32 * zi as f32) * scale;
        ReduceParams { scale, zero }
    }

    /// One output from its raw sum.
    #[inline]
    pub fn finish(&self, sum: i32) -> i8 {
        let y = sum as f32 * self.scale + self.zero;
        let y = if y.is_nan() { 0.0 } else { y.round_ties_even() };
        y.max(-128.0).min(127.0) as i8
    }
}

/// Raw int32 sums of `x` (shape `shape`) over the dims flagged in `reduced`, in row-major order
/// of the kept dims, into `sums` (zeroed here).
pub fn raw_sums(x: &[i8], shape: &[usize], reduced: &[bool], sums: &mut [i32]) {
    sums.fill(0);
    let r = shape.len();
    if r == 0 {
        if let (Some(s), Some(&v)) = (sums.first_mut(), x.first()) {
            *s = v as i32;
        }
        return;
    }
    if x.is_empty() {
        return;
    }
    // Output strides per input dim (0 on reduced dims).
    let mut ost = vec![0usize; r];
    let mut acc = 1usize;
    for d in (0..r).rev() {
        if !reduced[d] {
            ost[d] = acc;
            acc *= shape[d];
        }
    }
    let last = shape[r - 1];
    let outer = x.len() / last;
    let mut idx = vec![0usize; r - 1];
    let mut o = 0usize;
    for row in 0..outer {
        let xr = &x[row * last..(row + 1) * last];
        if reduced[r - 1] {
            let s: i32 = xr.iter().map(|&v| v as i32).sum();
            sums[o] = sums[o].wrapping_add(s);
        } else {
            for (s, &v) in sums[o..o + last].iter_mut().zip(xr) {
                *s = s.wrapping_add(v as i32);
            }
        }
        for d in (0..r - 1).rev() {
            idx[d] += 1;
            o += ost[d];
            if idx[d] < shape[d] {
                break;
            }
            o -= ost[d] * idx[d];
            idx[d] = 0;
        }
    }
}

/// MEAN (`mean`) or SUM of `x` over `reduced` dims into `out` (the kept dims, row-major).
pub fn reduce(x: &[i8], shape: &[usize], reduced: &[bool], p: &ReduceParams, out: &mut [i8]) {
    let mut sums = vec![0i32; out.len()];
    raw_sums(x, shape, reduced, &mut sums);
    for (o, &s) in out.iter_mut().zip(&sums) {
        *o = p.finish(s);
    }
}

/// The source rows/columns and Q11 weight of one output coordinate
/// (`xnn_indirection_init_resize_bilinear2d_hwc_q11`).
fn taps(o: usize, scale: f32, offset: Option<f32>, max: usize) -> (usize, usize, i32) {
    let v = match offset {
        // Legacy TensorFlow mode and align_corners: `o · scale`, capped at the last index.
        None => (o as i32 as f32 * scale).min(max as f32),
        // Half-pixel centers: `o · scale + (scale/2 − 1/2)`, clamped to the image.
        Some(off) => (o as i32 as f32 * scale + off).max(0.0).min(max as f32),
    };
    let lo = v as i32 as usize;
    let hi = (lo + 1).min(max);
    let alpha = v - lo as f32;
    let w = (alpha * 2048.0).round_ties_even() as i32 as i16 as u16 as i32;
    (lo, hi, w)
}

/// XNNPACK RESIZE_BILINEAR on int8 NHWC (`n` images `[ih, iw, c]` → `[oh, ow, c]`), the
/// delegate's mode: `align_corners`, else half-pixel centers, else TensorFlow's legacy mode.
#[allow(clippy::too_many_arguments)]
pub fn resize_bilinear(
    x: &[i8],
    n: usize,
    [ih, iw, c]: [usize; 3],
    oh: usize,
    ow: usize,
    align_corners: bool,
    half_pixel_centers: bool,
    out: &mut [i8],
) {
    debug_assert_eq!(out.len(), n * oh * ow * c);
    if ih == 0 || iw == 0 || oh == 0 || ow == 0 || c == 0 {
        return;
    }
    let adj = |o: usize| (align_corners && o != 1) as i32;
    let hs = (ih as i32 - adj(oh)) as f32 / (oh as i32 - adj(oh)) as f32;
    let ws = (iw as i32 - adj(ow)) as f32 / (ow as i32 - adj(ow)) as f32;
    let pixel = !align_corners && half_pixel_centers;
    let (ho, wo) = (
        pixel.then_some(0.5 * hs - 0.5),
        pixel.then_some(0.5 * ws - 0.5),
    );
    let cols: Vec<(usize, usize, i32)> = (0..ow).map(|ox| taps(ox, ws, wo, iw - 1)).collect();
    for b in 0..n {
        let img = &x[b * ih * iw * c..(b + 1) * ih * iw * c];
        for oy in 0..oh {
            let (t, bt, av) = taps(oy, hs, ho, ih - 1);
            for (ox, &(l, r, ah)) in cols.iter().enumerate() {
                let px = |y: usize, xx: usize| &img[(y * iw + xx) * c..(y * iw + xx + 1) * c];
                let (tl, tr, bl, br) = (px(t, l), px(t, r), px(bt, l), px(bt, r));
                let o = &mut out[((b * oh + oy) * ow + ox) * c..][..c];
                for ch in 0..c {
                    let (tl, tr) = (tl[ch] as i32, tr[ch] as i32);
                    let (bl, br) = (bl[ch] as i32, br[ch] as i32);
                    let top = (tl << 11) + (tr - tl) * ah;
                    let bot = (bl << 11) + (br - bl) * ah;
                    let acc = (top << 11).wrapping_add((bot - top) * av);
                    o[ch] = (acc.wrapping_add(1 << 21) >> 22) as i8;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_over_any_axes() {
        // [2, 3, 2]: reduce axis 1 → [2, 2]; reduce axes 0 and 2 → [3].
        let x: Vec<i8> = (0..12).map(|v| v as i8 - 6).collect();
        let shape = [2, 3, 2];
        let mut s = vec![0; 4];
        raw_sums(&x, &shape, &[false, true, false], &mut s);
        assert_eq!(s, vec![-6 - 4 - 2, -5 - 3 - 1, 0 + 2 + 4, 1 + 3 + 5]);
        let mut s = vec![0; 3];
        raw_sums(&x, &shape, &[true, false, true], &mut s);
        assert_eq!(s, vec![-6 - 5 + 0 + 1, -4 - 3 + 2 + 3, -2 - 1 + 4 + 5]);
    }

    #[test]
    fn mean_folds_the_zero_point() {
        // Mean of q − z over 4 values with equal scales: (1 + 2 + 3 + 4)/4 = 2.5 → 2 (even).
        let p = ReduceParams::new((0.5, 10), (0.5, 0), 4, true);
        assert_eq!(p.finish(11 + 12 + 13 + 14), 2);
        let p = ReduceParams::new((0.5, 10), (0.5, 0), 4, false);
        assert_eq!(p.finish(11 + 12 + 13 + 14), 10);
    }

    #[test]
    fn resize_bilinear_by_hand() {
        // 1x2 → 1x4 (legacy mode): x = 0, 0.5, 1, 1.5→1 (capped); values 0 and 100.
        let mut y = vec![0i8; 4];
        resize_bilinear(&[0, 100], 1, [1, 2, 1], 1, 4, false, false, &mut y);
        assert_eq!(y, vec![0, 50, 100, 100]);
        // Identity size is a copy in every mode.
        let x: Vec<i8> = (0..12).map(|v| (v * 19 - 100) as i8).collect();
        for (ac, hp) in [(false, false), (true, false), (false, true)] {
            let mut y = vec![0i8; 12];
            resize_bilinear(&x, 1, [2, 3, 2], 2, 3, ac, hp, &mut y);
            assert_eq!(y, x, "{ac} {hp}");
        }
    }
}
