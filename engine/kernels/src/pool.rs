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

/// Average (`max = false`) or max pooling into `out` (`[n, oh, ow, c]`, every element written).
/// `g.k` is the window, `g.dilation` must be 1. A window with no in-bounds tap gives 0.
pub fn pool2d(x: &[f32], g: &ConvGeom, max: bool, act: Act, threads: usize, out: &mut [f32]) {
    let [ih, iw, c] = g.in_hwc;
    let [oh, ow, _] = g.out_hwc;
    debug_assert_eq!(out.len(), g.n * oh * ow * c);
    super::for_chunks(out, ow * c, threads > 1, |row, o| {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geom(n: usize, hw: usize, c: usize, k: usize, same: bool) -> ConvGeom {
        let (o, pad) = crate::conv_out_and_pad(hw, k, 1, 1, same);
        ConvGeom {
            n,
            in_hwc: [hw, hw, c],
            out_hwc: [o, o, c],
            k: [k, k],
            stride: [1, 1],
            dilation: [1, 1],
            pad: [pad, pad],
        }
    }

    fn run(x: &[f32], g: &ConvGeom, max: bool) -> Vec<f32> {
        let mut out = vec![-7.0; g.n * g.out_hwc.iter().product::<usize>()];
        pool2d(x, g, max, Act::None, 1, &mut out);
        out
    }

    #[test]
    fn average_and_max_by_hand() {
        let x: Vec<f32> = (1..=9).map(|v| v as f32).collect();
        let g = geom(1, 3, 1, 2, false);
        assert_eq!(run(&x, &g, false), vec![3.0, 4.0, 6.0, 7.0]);
        assert_eq!(run(&x, &g, true), vec![5.0, 6.0, 8.0, 9.0]);
        // SAME: the corner window counts its in-bounds taps only.
        let g = geom(1, 3, 1, 3, true);
        assert_eq!(run(&x, &g, false)[0], 3.0);
    }

    /// Zero batch, channels or spatial size: an empty output, or 0 for windows with no tap.
    #[test]
    fn zero_size_dimensions() {
        for max in [false, true] {
            assert!(run(&[], &geom(0, 3, 2, 2, false), max).is_empty());
            assert!(run(&[], &geom(2, 3, 0, 2, false), max).is_empty());
            assert!(run(&[], &geom(1, 0, 2, 2, false), max).is_empty());
            assert!(run(&[], &geom(1, 0, 2, 2, true), max).is_empty());
            // An empty image with a forced output size: every window is empty.
            let g = ConvGeom {
                out_hwc: [2, 2, 3],
                ..geom(1, 0, 3, 2, true)
            };
            assert_eq!(run(&[], &g, max), vec![0.0; 12]);
        }
    }
}
