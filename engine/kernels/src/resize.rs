//! Image resizing in NHWC with TFLite's coordinate conventions.

/// Scale from output to input coordinates.
fn scale(inp: usize, out: usize, align_corners: bool) -> f32 {
    if align_corners && out > 1 {
        (inp as f32 - 1.0) / (out as f32 - 1.0)
    } else {
        inp as f32 / out as f32
    }
}

/// Bilinear resize of `[n, ih, iw, c]` to `[n, oh, ow, c]`.
pub fn bilinear(
    x: &[f32],
    n: usize,
    ihwc: [usize; 3],
    oh: usize,
    ow: usize,
    align_corners: bool,
    half_pixel: bool,
) -> Vec<f32> {
    let [ih, iw, c] = ihwc;
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
    let mut out = vec![0.0f32; n * oh * ow * c];
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
    out
}

/// Nearest-neighbour resize (TFLite: floor, or round with `align_corners`).
pub fn nearest<T: Copy>(
    x: &[T],
    n: usize,
    ihwc: [usize; 3],
    oh: usize,
    ow: usize,
    align_corners: bool,
    half_pixel: bool,
) -> Vec<T> {
    let [ih, iw, c] = ihwc;
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
    let mut out = Vec::with_capacity(n * oh * ow * c);
    for b in 0..n {
        for oy in 0..oh {
            let y = src(oy, sy, ih);
            for &xx in &xs {
                out.extend_from_slice(&x[((b * ih + y) * iw + xx) * c..][..c]);
            }
        }
    }
    out
}
