//! Convolution geometry shared by the f32, int8 and pooling kernels: [`ConvGeom`], TF padding
//! ([`conv_out_and_pad`]), where each tap of an output pixel reads ([`DwTaps`]) and patch
//! gathering ([`im2col`]). Shapes are validated by the caller's shape inference; here they are
//! only debug-asserted.

/// TF padding: output size and padding before, for one spatial dimension.
/// `same = true` gives `out = ceil(in / stride)`, the smaller half of the total padding first.
pub fn conv_out_and_pad(
    input: usize,
    k: usize,
    stride: usize,
    dilation: usize,
    same: bool,
) -> (usize, usize) {
    let eff = (k.max(1) - 1) * dilation + 1;
    let stride = stride.max(1);
    if same {
        let out = input.div_ceil(stride);
        let needed = ((out.max(1) - 1) * stride + eff).saturating_sub(input);
        (out, needed / 2)
    } else {
        let out = if input >= eff {
            (input - eff) / stride + 1
        } else {
            0
        };
        (out, 0)
    }
}

/// Geometry of a 2-D convolution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ConvGeom {
    /// Batch.
    pub n: usize,
    /// Input height, width, channels.
    pub in_hwc: [usize; 3],
    /// Output height, width, channels.
    pub out_hwc: [usize; 3],
    /// Kernel height, width.
    pub k: [usize; 2],
    /// Strides (h, w).
    pub stride: [usize; 2],
    /// Dilations (h, w).
    pub dilation: [usize; 2],
    /// Padding before (top, left).
    pub pad: [usize; 2],
}

impl ConvGeom {
    /// A 1×1 convolution over `rows` pixels of `depth` channels into `units`: the geometry
    /// that runs a FULLY_CONNECTED layer (`[units, depth]` weights) through a conv kernel.
    pub fn pointwise(rows: usize, depth: usize, units: usize) -> ConvGeom {
        ConvGeom {
            n: 1,
            in_hwc: [rows, 1, depth],
            out_hwc: [rows, 1, units],
            k: [1, 1],
            stride: [1, 1],
            dilation: [1, 1],
            pad: [0, 0],
        }
    }

    /// Input coordinate of output `o` and kernel tap `t` along dim `d` (0 = h, 1 = w), or
    /// `None` if it falls into the padding.
    #[inline]
    pub fn in_coord(&self, d: usize, o: usize, t: usize) -> Option<usize> {
        let pos = (o * self.stride[d] + t * self.dilation[d]) as isize - self.pad[d] as isize;
        (pos >= 0 && (pos as usize) < self.in_hwc[d]).then_some(pos as usize)
    }

    /// `(groups, filter channels)` of a CONV_2D whose OHWI filter holds `w_len` values: the
    /// filter reads `ic / groups` input channels and each group makes `oc / groups` outputs
    /// (one group when the filter reads every channel, or when the sizes are degenerate).
    pub fn groups(&self, w_len: usize) -> (usize, usize) {
        let ic = self.in_hwc[2];
        let taps = self.out_hwc[2] * self.k[0] * self.k[1];
        match w_len.checked_div(taps) {
            Some(f) if f > 0 && f < ic && ic.is_multiple_of(f) => (ic / f, f),
            _ => (1, ic),
        }
    }

    /// The geometry of one group of a grouped convolution: `fic` input and `opg` output
    /// channels, the same window.
    pub fn group(&self, fic: usize, opg: usize) -> ConvGeom {
        ConvGeom {
            in_hwc: [self.in_hwc[0], self.in_hwc[1], fic],
            out_hwc: [self.out_hwc[0], self.out_hwc[1], opg],
            ..*self
        }
    }
}

/// Fill `col` with patches for output rows `r0..r1` (row = (n, oy, ox)); padding taps are 0.
/// Rows are split over the worker pool when `par` is set.
pub fn im2col(x: &[f32], g: &ConvGeom, r0: usize, r1: usize, col: &mut [f32], par: bool) {
    im2col_channels(x, g, 0, g.in_hwc[2], r0, r1, col, par)
}

/// [`im2col`] of input channels `c0..c0 + ic` only (one group of a grouped convolution): each
/// patch holds `kh·kw·ic` values.
#[expect(
    clippy::too_many_arguments,
    reason = "im2col's parameters plus the channel range"
)]
pub fn im2col_channels(
    x: &[f32],
    g: &ConvGeom,
    c0: usize,
    ic: usize,
    r0: usize,
    r1: usize,
    col: &mut [f32],
    par: bool,
) {
    let [ih, iw, c] = g.in_hwc;
    let [oh, ow, _] = g.out_hwc;
    let [kh, kw] = g.k;
    let kdim = kh * kw * ic;
    // Whole rows of taps are contiguous in x only when the patch takes every channel.
    let all = c0 == 0 && ic == c;
    crate::for_chunks(&mut col[..(r1 - r0) * kdim], kdim, par, |i, patch| {
        let r = r0 + i;
        let (b, rem) = (r / (oh * ow), r % (oh * ow));
        let (oy, ox) = (rem / ow, rem % ow);
        // Start of the window's row in x (dilation 1: its kw taps are contiguous).
        let x0 = (ox * g.stride[1]) as isize - g.pad[1] as isize;
        let row_inside = all && g.dilation[1] == 1 && x0 >= 0 && x0 as usize + kw <= iw;
        for ky in 0..kh {
            if row_inside {
                let dst = &mut patch[ky * kw * ic..(ky + 1) * kw * ic];
                match g.in_coord(0, oy, ky) {
                    Some(y) => {
                        let s = ((b * ih + y) * iw + x0 as usize) * ic;
                        dst.copy_from_slice(&x[s..s + kw * ic]);
                    }
                    None => dst.fill(0.0),
                }
                continue;
            }
            for kx in 0..kw {
                let dst = &mut patch[(ky * kw + kx) * ic..(ky * kw + kx + 1) * ic];
                match (g.in_coord(0, oy, ky), g.in_coord(1, ox, kx)) {
                    (Some(y), Some(xx)) => {
                        let s = ((b * ih + y) * iw + xx) * c + c0;
                        dst.copy_from_slice(&x[s..s + ic]);
                    }
                    _ => dst.fill(0.0),
                }
            }
        }
    });
}

/// Where the taps of one output row's pixels read (depthwise row kernels, any element type):
/// each kernel row's image row, found once per output row; per pixel, pointers by addition in
/// the interior and checked coordinates at the edges, padding pointing at a zero row.
/// Pointers are computed with wrapping arithmetic; the kernels read through them only after
/// checking `x` holds the whole input.
pub struct DwTaps<T> {
    rows: Vec<Option<*const T>>,
    b: usize,
    oy: usize,
}

impl<T> DwTaps<T> {
    /// The kernel rows of output row `oy` of image `b`.
    #[inline(always)]
    pub fn new(x: &[T], g: &ConvGeom, b: usize, oy: usize) -> Self {
        let [ih, iw, c] = g.in_hwc;
        let rows = (0..g.k[0])
            .map(|ky| {
                g.in_coord(0, oy, ky)
                    .map(|y| x.as_ptr().wrapping_add((b * ih + y) * iw * c))
            })
            .collect();
        DwTaps { rows, b, oy }
    }

    /// `ptrs[ky·kw + kx]`: the pixel tap (ky, kx) of output column `ox` reads, or `zero`.
    /// (Always inlined: as a call it cost the int8 depthwise kernel 12%, measured.)
    #[inline(always)]
    pub fn fill(&self, x: &[T], g: &ConvGeom, zero: *const T, ox: usize, ptrs: &mut [*const T]) {
        let [ih, iw, c] = g.in_hwc;
        let [kh, kw] = g.k;
        let (sx, dx) = (g.stride[1], g.dilation[1]);
        let x0 = (ox * sx) as isize - g.pad[1] as isize;
        if x0 >= 0 && x0 as usize + (kw - 1) * dx < iw {
            // Interior column: every tap of a valid row is inside.
            for (ky, row) in self.rows.iter().enumerate() {
                for kx in 0..kw {
                    ptrs[ky * kw + kx] = match row {
                        Some(r) => r.wrapping_add((x0 as usize + kx * dx) * c),
                        None => zero,
                    };
                }
            }
            return;
        }
        for ky in 0..kh {
            let y = g.in_coord(0, self.oy, ky);
            for kx in 0..kw {
                ptrs[ky * kw + kx] = match (y, g.in_coord(1, ox, kx)) {
                    (Some(y), Some(xx)) => {
                        x.as_ptr().wrapping_add(((self.b * ih + y) * iw + xx) * c)
                    }
                    _ => zero,
                };
            }
        }
    }
}
