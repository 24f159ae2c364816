//! 2-D pooling in NHWC. Average pooling divides by the number of in-bounds taps (TFLite).

use super::act::Act;
use crate::geom::ConvGeom;

/// In-bounds input window `(rows, cols)` of output pixel `(oy, ox)` (dilation 1).
pub(crate) fn window(
    g: &ConvGeom,
    oy: usize,
    ox: usize,
) -> (std::ops::Range<usize>, std::ops::Range<usize>) {
    let span = |o: usize, d: usize| {
        let start = (o * g.stride[d]) as isize - g.pad[d] as isize;
        let end = ((start + g.k[d] as isize).max(0) as usize).min(g.in_hwc[d]);
        start.max(0) as usize..end
    };
    (span(oy, 0), span(ox, 1))
}

/// Average (`max = false`) or max pooling. `g.k` is the window, `g.dilation` must be 1.
pub fn pool2d(x: &[f32], g: &ConvGeom, max: bool, act: Act, threads: usize) -> Vec<f32> {
    let [ih, iw, c] = g.in_hwc;
    let [oh, ow, _] = g.out_hwc;
    let mut out = vec![0.0f32; g.n * oh * ow * c];
    super::for_chunks(&mut out, ow * c, threads > 1, |row, o| {
        let (b, oy) = (row / oh, row % oh);
        for ox in 0..ow {
            let (ys, xs) = window(g, oy, ox);
            let acc = &mut o[ox * c..(ox + 1) * c];
            acc.fill(if max { f32::NEG_INFINITY } else { 0.0 });
            let mut count = 0usize;
            for y in ys {
                for xx in xs.clone() {
                    let s = &x[((b * ih + y) * iw + xx) * c..][..c];
                    if max {
                        acc.iter_mut().zip(s).for_each(|(a, &v)| *a = a.max(v));
                    } else {
                        acc.iter_mut().zip(s).for_each(|(a, &v)| *a += v);
                    }
                    count += 1;
                }
            }
            if !max {
                let inv = if count > 0 { 1.0 / count as f32 } else { 0.0 };
                acc.iter_mut().for_each(|a| *a *= inv);
            } else if count == 0 {
                acc.fill(0.0);
            }
            act.apply_slice(acc);
        }
    });
    out
}
