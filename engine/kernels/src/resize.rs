//! Image resizing in NHWC with TFLite's coordinate conventions.

/// Scale from output to input coordinates.
fn scale(inp: usize, out: usize, align_corners: bool) -> f32 {
    if align_corners && out > 1 {
        (inp as f32 - 1.0) / (out as f32 - 1.0)
    } else {
        inp as f32 / out as f32
    }
}

/// Bilinear resize of `[n, ih, iw, c]` into `out`, `[n, oh, ow, c]`. An empty image (`ih` or
/// `iw` 0) resized to a non-empty one gives zeros.
#[allow(clippy::too_many_arguments)]
pub fn bilinear(
    x: &[f32],
    n: usize,
    ihwc: [usize; 3],
    oh: usize,
    ow: usize,
    align_corners: bool,
    half_pixel: bool,
    out: &mut [f32],
) {
    let [ih, iw, c] = ihwc;
    debug_assert_eq!(out.len(), n * oh * ow * c);
    if out.is_empty() {
        return;
    }
    if ih == 0 || iw == 0 {
        out.fill(0.0);
        return;
    }
    let (sy, sx) = (scale(ih, oh, align_corners), scale(iw, ow, align_corners));
    let coord = |o: usize, s: f32, size: usize| -> (f32, usize, usize) {
        let v = if half_pixel {
            (o as f32 + 0.5) * s - 0.5
        } else {
            o as f32 * s
        };
        let lo = (v.floor() as i64).max(0) as usize;
        let hi = (v.ceil() as i64).clamp(0, size as i64 - 1) as usize;
        (v, lo.min(size - 1), hi)
    };
    let xs: Vec<_> = (0..ow).map(|o| coord(o, sx, iw)).collect();
    for b in 0..n {
        for oy in 0..oh {
            let (fy, y0, y1) = coord(oy, sy, ih);
            let dy = fy - y0 as f32;
            for (ox, &(fx, x0, x1)) in xs.iter().enumerate() {
                let dx = fx - x0 as f32;
                let p = |y: usize, xx: usize| &x[((b * ih + y) * iw + xx) * c..][..c];
                let (a, bb, cc, d) = (p(y0, x0), p(y1, x0), p(y0, x1), p(y1, x1));
                let o = &mut out[((b * oh + oy) * ow + ox) * c..][..c];
                for k in 0..c {
                    o[k] = a[k] * (1.0 - dy) * (1.0 - dx)
                        + bb[k] * dy * (1.0 - dx)
                        + cc[k] * (1.0 - dy) * dx
                        + d[k] * dy * dx;
                }
            }
        }
    }
}

/// Nearest-neighbour resize into `out`, `[n, oh, ow, c]` (TFLite: floor, or round with
/// `align_corners`). An empty image (`ih` or `iw` 0) resized to a non-empty one gives
/// `T::default()`.
#[allow(clippy::too_many_arguments)]
pub fn nearest<T: Copy + Default>(
    x: &[T],
    n: usize,
    ihwc: [usize; 3],
    oh: usize,
    ow: usize,
    align_corners: bool,
    half_pixel: bool,
    out: &mut [T],
) {
    let [ih, iw, c] = ihwc;
    debug_assert_eq!(out.len(), n * oh * ow * c);
    if out.is_empty() {
        return;
    }
    if ih == 0 || iw == 0 {
        out.fill(T::default());
        return;
    }
    let offset = if half_pixel { 0.5 } else { 0.0 };
    let src = |o: usize, s: f32, size: usize| -> usize {
        let v = (o as f32 + offset) * s;
        let i = if align_corners {
            v.round() as i64
        } else {
            v.floor() as i64
        };
        i.clamp(0, size as i64 - 1) as usize
    };
    let (sy, sx) = (scale(ih, oh, align_corners), scale(iw, ow, align_corners));
    let xs: Vec<usize> = (0..ow).map(|o| src(o, sx, iw)).collect();
    let mut pixels = out.chunks_exact_mut(c);
    for b in 0..n {
        for oy in 0..oh {
            let y = src(oy, sy, ih);
            for (&xx, o) in xs.iter().zip(pixels.by_ref()) {
                o.copy_from_slice(&x[((b * ih + y) * iw + xx) * c..][..c]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bl(x: &[f32], n: usize, ihwc: [usize; 3], oh: usize, ow: usize, ac: bool) -> Vec<f32> {
        let mut out = vec![-7.0; n * oh * ow * ihwc[2]];
        bilinear(x, n, ihwc, oh, ow, ac, false, &mut out);
        out
    }

    fn nn(x: &[i32], n: usize, ihwc: [usize; 3], oh: usize, ow: usize, ac: bool) -> Vec<i32> {
        let mut out = vec![-7; n * oh * ow * ihwc[2]];
        nearest(x, n, ihwc, oh, ow, ac, false, &mut out);
        out
    }

    #[test]
    fn resize_by_hand() {
        assert_eq!(
            bl(&[0.0, 100.0], 1, [1, 2, 1], 1, 4, false),
            vec![0.0, 50.0, 100.0, 100.0]
        );
        assert_eq!(bl(&[0.0, 90.0], 1, [1, 2, 1], 1, 4, true)[1], 30.0);
        assert_eq!(nn(&[1, 2], 1, [1, 2, 1], 1, 4, false), vec![1, 1, 2, 2]);
        assert_eq!(nn(&[1, 2, 3], 1, [1, 3, 1], 1, 2, true), vec![1, 3]);
    }

    /// Zero-size batch, channels, input or output size: no panic (the fuzz case was an empty
    /// input image resized to a non-empty size: `size - 1` underflowed); an empty image gives 0.
    #[test]
    fn zero_size_dimensions() {
        for ac in [false, true] {
            for (n, ihwc, oh, ow) in [
                (0, [2, 2, 1], 3, 3),
                (1, [2, 2, 0], 3, 3),
                (1, [2, 2, 1], 0, 3),
                (1, [2, 2, 1], 3, 0),
                (1, [0, 2, 1], 0, 3),
            ] {
                let x = vec![1.0; n * ihwc.iter().product::<usize>()];
                let xi = vec![1; x.len()];
                assert!(
                    bl(&x, n, ihwc, oh, ow, ac).is_empty(),
                    "{n} {ihwc:?} {oh} {ow}"
                );
                assert!(
                    nn(&xi, n, ihwc, oh, ow, ac).is_empty(),
                    "{n} {ihwc:?} {oh} {ow}"
                );
            }
            for ihwc in [[0, 2, 3], [2, 0, 3], [0, 0, 3]] {
                assert_eq!(bl(&[], 1, ihwc, 2, 2, ac), vec![0.0; 12], "{ihwc:?}");
                assert_eq!(nn(&[], 1, ihwc, 2, 2, ac), vec![0; 12], "{ihwc:?}");
            }
        }
    }
}
