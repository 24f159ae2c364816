//! Int8 resizing, twins of LiteRT's `reference_ops::ResizeBilinearInteger` and
//! `reference_ops::ResizeNearestNeighbor`.

/// TFLite `ComputeInterpolationValuesInteger`: 10-bit fixed-point source coordinate and the two
/// neighbouring indices.
fn interpolation_integer(
    value: i32,
    scale_10: i32,
    half_pixel: bool,
    size: i32,
) -> (i32, i32, i32) {
    let scaled = if half_pixel {
        value * scale_10 + scale_10 / 2 - (1 << 9)
    } else {
        value * scale_10
    };
    let lower = (scaled / (1 << 10)).max(0);
    let upper = ((scaled + (1 << 10) - 1) / (1 << 10)).min(size - 1);
    (scaled, lower, upper)
}

/// `reference_ops::ResizeBilinearInteger` (int8) of `[n, ih, iw, c]` to `[n, oh, ow, c]`:
/// 10-bit fixed-point scales `((1<<10)·in + out/2) / out` (align_corners: `in−1`, `out−1`),
/// 20-bit products summed in i64, rounded half away from zero by `±2^19` then `/ 2^20`. Into
/// `out`; an empty input image gives zeros.
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
    if ih == 0 || iw == 0 || oh == 0 || ow == 0 {
        out.fill(0);
        return;
    }
    let (ih_, iw_, oh_, ow_) = (ih as i32, iw as i32, oh as i32, ow as i32);
    let mut hs = ((1 << 10) * ih_ + oh_ / 2) / oh_;
    let mut ws = ((1 << 10) * iw_ + ow_ / 2) / ow_;
    if align_corners && oh > 1 {
        hs = ((1 << 10) * (ih_ - 1) + (oh_ - 1) / 2) / (oh_ - 1);
    }
    if align_corners && ow > 1 {
        ws = ((1 << 10) * (iw_ - 1) + (ow_ - 1) / 2) / (ow_ - 1);
    }
    let one = 1i64 << 10;
    for b in 0..n {
        for y in 0..oh {
            let (iy, y0, y1) = interpolation_integer(y as i32, hs, half_pixel_centers, ih_);
            let dy = (iy - (1 << 10) * y0) as i64;
            for xo in 0..ow {
                let (ix, x0, x1) = interpolation_integer(xo as i32, ws, half_pixel_centers, iw_);
                let dx = (ix - (1 << 10) * x0) as i64;
                let at = |yy: i32, xx: i32, ch: usize| {
                    x[((b * ih + yy as usize) * iw + xx as usize) * c + ch] as i64
                };
                for ch in 0..c {
                    let v = at(y0, x0, ch) * (one - dy) * (one - dx)
                        + at(y1, x0, ch) * dy * (one - dx)
                        + at(y0, x1, ch) * (one - dy) * dx
                        + at(y1, x1, ch) * dy * dx;
                    let round = if v > 0 { 1i64 << 19 } else { -(1i64 << 19) };
                    out[((b * oh + y) * ow + xo) * c + ch] = ((v + round) / (1 << 20)) as i8;
                }
            }
        }
    }
}

/// TFLite `GetNearestNeighbor`: source index of output `o` (f32 math as in the float kernel).
fn nearest_index(
    o: usize,
    in_size: usize,
    out_size: usize,
    align_corners: bool,
    half_pixel: bool,
) -> usize {
    let scale = if align_corners && out_size > 1 {
        (in_size as f32 - 1.0) / (out_size as f32 - 1.0)
    } else {
        in_size as f32 / out_size as f32
    };
    let offset = if half_pixel { 0.5f32 } else { 0.0 };
    let v = (o as f32 + offset) * scale;
    let i = if align_corners {
        v.round() as i64
    } else {
        v.floor() as i64
    };
    let i = i.min(in_size as i64 - 1);
    let i = if half_pixel { i.max(0) } else { i };
    i.max(0) as usize
}

/// `reference_ops::ResizeNearestNeighbor` (int8; values are copied, same parameters in and out),
/// into `out`; an empty input image gives zeros.
#[allow(clippy::too_many_arguments)]
pub fn resize_nearest(
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
    if out.is_empty() {
        return;
    }
    if ih == 0 || iw == 0 {
        out.fill(0);
        return;
    }
    let xs: Vec<usize> = (0..ow)
        .map(|o| nearest_index(o, iw, ow, align_corners, half_pixel_centers))
        .collect();
    let mut pixels = out.chunks_exact_mut(c);
    for b in 0..n {
        for oy in 0..oh {
            let y = nearest_index(oy, ih, oh, align_corners, half_pixel_centers);
            for (&xx, o) in xs.iter().zip(pixels.by_ref()) {
                o.copy_from_slice(&x[((b * ih + y) * iw + xx) * c..][..c]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    /// A buffer of `n` stale bytes: every one must be overwritten.
    fn stale(n: usize) -> Vec<i8> {
        vec![0x55; n]
    }

    // The kernels into a buffer the test allocates.
    fn resize_bilinear(
        x: &[i8],
        n: usize,
        ihwc: [usize; 3],
        oh: usize,
        ow: usize,
        ac: bool,
        hp: bool,
    ) -> Vec<i8> {
        let mut out = stale(n * oh * ow * ihwc[2]);
        super::resize_bilinear(x, n, ihwc, oh, ow, ac, hp, &mut out);
        out
    }

    fn resize_nearest(
        x: &[i8],
        n: usize,
        ihwc: [usize; 3],
        oh: usize,
        ow: usize,
        ac: bool,
        hp: bool,
    ) -> Vec<i8> {
        let mut out = stale(n * oh * ow * ihwc[2]);
        super::resize_nearest(x, n, ihwc, oh, ow, ac, hp, &mut out);
        out
    }

    /// Zero-size batch, channels, spatial or reduced dimensions: no panic; empty outputs, or
    /// zeros where the output has elements but nothing to read.

    #[test]
    fn zero_size_dimensions() {
        for (ac, hp) in [(false, false), (true, false), (false, true)] {
            for (n, ihwc, oh, ow) in [
                (0, [2, 2, 1], 3, 3),
                (1, [2, 2, 0], 3, 3),
                (1, [2, 2, 1], 0, 3),
                (1, [2, 2, 1], 3, 0),
            ] {
                let x = vec![1; n * ihwc.iter().product::<usize>()];
                assert!(resize_bilinear(&x, n, ihwc, oh, ow, ac, hp).is_empty());
                assert!(resize_nearest(&x, n, ihwc, oh, ow, ac, hp).is_empty());
            }
            assert_eq!(
                resize_bilinear(&[], 1, [0, 2, 3], 2, 2, ac, hp),
                vec![0; 12]
            );
            assert_eq!(resize_nearest(&[], 1, [2, 0, 3], 2, 2, ac, hp), vec![0; 12]);
        }
    }

    #[test]
    fn resize_by_hand() {
        // 1x2 -> 1x4 bilinear, values 0 and 100.
        let x = [0i8, 100];
        let y = resize_bilinear(&x, 1, [1, 2, 1], 1, 4, false, false);
        assert_eq!(y, vec![0, 50, 100, 100]);
        let y = resize_bilinear(&x, 1, [1, 2, 1], 1, 4, true, false);
        assert_eq!(y, vec![0, 33, 67, 100]);
        let y = resize_bilinear(&x, 1, [1, 2, 1], 1, 4, false, true);
        assert_eq!(y, vec![0, 25, 75, 100]);
        let y = resize_nearest(&x, 1, [1, 2, 1], 1, 4, false, false);
        assert_eq!(y, vec![0, 0, 100, 100]);
        let y = resize_nearest(&[1, 2, 3], 1, [1, 3, 1], 1, 2, true, false);
        assert_eq!(y, vec![1, 3]);
    }
}
