//! Float kernels of MediaPipe's max pooling with argmax and max unpooling. Indices are
//! positions inside the pooling window in XNNPACK's order (column-major, `kx * kh + ky`), as
//! LiteRT computes them (it runs these custom ops only through XNNPACK).

/// NHWC pooling window geometry.
#[derive(Debug, Clone, Copy)]
pub struct Window {
    /// Batch.
    pub n: usize,
    /// Channels.
    pub c: usize,
    /// Pooled (small) height and width.
    pub pooled: [usize; 2],
    /// Unpooled (large) height and width.
    pub full: [usize; 2],
    /// Window (h, w).
    pub k: [usize; 2],
    /// Strides (h, w).
    pub stride: [usize; 2],
    /// Padding before (top, left).
    pub pad: [usize; 2],
}

impl Window {
    /// The full-size position of tap `(ky, kx)` of pooled pixel `(y, x)`, if inside.
    fn tap(&self, y: usize, x: usize, ky: usize, kx: usize) -> Option<(usize, usize)> {
        let iy = (y * self.stride[0] + ky).checked_sub(self.pad[0])?;
        let ix = (x * self.stride[1] + kx).checked_sub(self.pad[1])?;
        (iy < self.full[0] && ix < self.full[1]).then_some((iy, ix))
    }
}

/// Max pooling of `x` (`[n, full h, full w, c]`) into `out` and `index` (`[n, pooled h,
/// pooled w, c]`): the first maximum of each window in XNNPACK's scan order (padding
/// excluded) and its window position `kx * kh + ky`.
pub fn max_pool_argmax(x: &[f32], w: &Window, out: &mut [f32], index: &mut [i32]) {
    let [ph, pw] = w.pooled;
    let [fh, fw] = w.full;
    let [kh, kw] = w.k;
    let c = w.c;
    for b in 0..w.n {
        for y in 0..ph {
            for xx in 0..pw {
                let o = ((b * ph + y) * pw + xx) * c;
                for ch in 0..c {
                    let (mut best, mut at) = (f32::NEG_INFINITY, 0usize);
                    let mut seen = false;
                    for kx in 0..kw {
                        for ky in 0..kh {
                            let Some((iy, ix)) = w.tap(y, xx, ky, kx) else {
                                continue;
                            };
                            let v = x[((b * fh + iy) * fw + ix) * c + ch];
                            if !seen || v > best {
                                (best, at, seen) = (v, kx * kh + ky, true);
                            }
                        }
                    }
                    out[o + ch] = best;
                    index[o + ch] = at as i32;
                }
            }
        }
    }
}

/// Max unpooling: `out` (`[n, full h, full w, c]`) is zero but for each value of `x`
/// (`[n, pooled h, pooled w, c]`) written where its window index points; indices outside the
/// window or the output are skipped.
pub fn max_unpool(x: &[f32], index: &[i32], w: &Window, out: &mut [f32]) {
    let [ph, pw] = w.pooled;
    let [fh, fw] = w.full;
    let [kh, kw] = w.k;
    let c = w.c;
    out.fill(0.0);
    for b in 0..w.n {
        for y in 0..ph {
            for xx in 0..pw {
                let o = ((b * ph + y) * pw + xx) * c;
                for ch in 0..c {
                    let Ok(i) = usize::try_from(index[o + ch]) else {
                        continue;
                    };
                    if i >= kh * kw {
                        continue;
                    }
                    if let Some((iy, ix)) = w.tap(y, xx, i % kh, i / kh) {
                        out[((b * fh + iy) * fw + ix) * c + ch] = x[o + ch];
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn argmax_pool_then_unpool_keeps_the_maxima() {
        let w = Window {
            n: 1,
            c: 1,
            pooled: [1, 2],
            full: [2, 4],
            k: [2, 2],
            stride: [2, 2],
            pad: [0, 0],
        };
        let x = [1.0, 5.0, -1.0, -2.0, 3.0, 2.0, -3.0, -0.5];
        let (mut o, mut i) = ([0.0; 2], [0; 2]);
        max_pool_argmax(&x, &w, &mut o, &mut i);
        assert_eq!(o, [5.0, -0.5]);
        assert_eq!(i, [2, 3]);
        let mut back = [9.0; 8];
        max_unpool(&o, &i, &w, &mut back);
        assert_eq!(back, [0.0, 5.0, 0.0, 0.0, 0.0, 0.0, 0.0, -0.5]);
    }
}
