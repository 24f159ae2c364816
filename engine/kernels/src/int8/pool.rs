//! Int8 pooling and reductions (MEAN, SUM), twins of LiteRT's
//! `reference_integer_ops::AveragePool`/`MaxPool` and the reduce.cc reference paths
//! (`reference_ops::QuantizedMeanOrSum`, plus the older `reference_integer_ops::Mean`).
//! Resizing is in [`super::resize`].

use super::fixed::{multiply_by_quantized_multiplier, quantize_multiplier};
use crate::geom::ConvGeom;

/// Window of output `o` along dim `d`: the in-bounds input range `start..end`.
fn window(g: &ConvGeom, d: usize, o: usize) -> (usize, usize) {
    let origin = (o * g.stride[d]) as isize - g.pad[d] as isize;
    let start = origin.max(0) as usize;
    let end = (origin + g.k[d] as isize).clamp(0, g.in_hwc[d] as isize) as usize;
    (start.min(end), end)
}

/// Every output element of `out` (`[n, oh, ow, c]`) is `f` of its window's in-bounds taps.
fn pool(x: &[i8], g: &ConvGeom, f: impl Fn(&mut dyn Iterator<Item = i8>) -> i32, out: &mut [i8]) {
    let [ih, iw, c] = g.in_hwc;
    let [oh, ow, _] = g.out_hwc;
    debug_assert_eq!(out.len(), g.n * oh * ow * c);
    for b in 0..g.n {
        for oy in 0..oh {
            let (ys, ye) = window(g, 0, oy);
            for ox in 0..ow {
                let (xs, xe) = window(g, 1, ox);
                for ch in 0..c {
                    let mut it = (ys..ye)
                        .flat_map(|y| (xs..xe).map(move |xx| (y, xx)))
                        .map(|(y, xx)| x[((b * ih + y) * iw + xx) * c + ch]);
                    out[((b * oh + oy) * ow + ox) * c + ch] =
                        f(&mut it).clamp(i8::MIN as i32, i8::MAX as i32) as i8;
                }
            }
        }
    }
}

/// `reference_integer_ops::AveragePool` (int8): mean of the in-bounds taps, rounded half away
/// from zero (`(sum ± count/2) / count`), clamped to `[act_min, act_max]` (same scale in and
/// out). A window with no in-bounds tap (LiteRT reports an error) yields `clamp(0)`. Into `out`,
/// `[n, oh, ow, c]`.
pub fn average_pool(x: &[i8], g: &ConvGeom, act_min: i32, act_max: i32, out: &mut [i8]) {
    let [ih, iw, c] = g.in_hwc;
    let [oh, ow, _] = g.out_hwc;
    debug_assert_eq!(out.len(), g.n * oh * ow * c);
    if x.len() < g.n * ih * iw * c {
        return average_pool_reference(x, g, act_min, act_max, out);
    }
    // Whole channel rows at a time: the i32 window sums vectorize, then one division per
    // element with the reference's rounding (its twin below, element by element).
    crate::parallel::chunks_mut(out, (ow * c).max(1), |row, o| {
        let (b, oy) = (row / oh, row % oh);
        let mut acc = vec![0i32; c];
        for ox in 0..ow {
            let (ys, xs) = super::super::pool::window(g, oy, ox);
            let count = (ys.len() * xs.len()) as i32;
            acc.fill(0);
            for y in ys {
                for xx in xs.clone() {
                    let s = &x[((b * ih + y) * iw + xx) * c..][..c];
                    acc.iter_mut().zip(s).for_each(|(a, &v)| *a += v as i32);
                }
            }
            let q = &mut o[ox * c..(ox + 1) * c];
            if count > 0 && count < F32_DIV_MAX_COUNT {
                // f32 division, truncated: the integer quotient exactly (see `div_f32`).
                let (d, h) = (count as f32, count / 2);
                for (q, &a) in q.iter_mut().zip(&acc) {
                    let n = if a > 0 { a + h } else { a - h };
                    *q = div_f32(n, d).max(act_min).min(act_max).clamp(-128, 127) as i8;
                }
            } else {
                for (q, &a) in q.iter_mut().zip(&acc) {
                    let avg = if count == 0 {
                        0
                    } else if a > 0 {
                        (a + count / 2) / count
                    } else {
                        (a - count / 2) / count
                    };
                    *q = avg.max(act_min).min(act_max).clamp(-128, 127) as i8;
                }
            }
        }
    });
}

/// Windows below this many taps divide in f32 (see [`div_f32`]).
const F32_DIV_MAX_COUNT: i32 = 1 << 16;

/// `n / d` truncated toward zero, as i32 division gives it, through an f32 division (which
/// vectorizes; `idiv` does not). Exact for an average pool's rounded sums: `|n| < 2^24` is
/// exact in f32, an integer quotient comes out exact (IEEE division is correctly rounded),
/// and a fractional one, at least `1/d` from an integer, moves by at most `2^-24 · |n/d|`
/// ≤ 8e-6 < `1/d` for `d < 2^16` (checked exhaustively for small windows in the tests).
#[inline(always)]
fn div_f32(n: i32, d: f32) -> i32 {
    (n as f32 / d) as i32
}

/// [`average_pool`] tap by tap, the reference twin (`reference_integer_ops::AveragePool`'s
/// loop order).
pub fn average_pool_reference(x: &[i8], g: &ConvGeom, act_min: i32, act_max: i32, out: &mut [i8]) {
    pool(
        x,
        g,
        |it| {
            let (mut acc, mut count) = (0i32, 0i32);
            for v in it {
                acc += v as i32;
                count += 1;
            }
            let avg = if count == 0 {
                0
            } else if acc > 0 {
                (acc + count / 2) / count
            } else {
                (acc - count / 2) / count
            };
            avg.max(act_min).min(act_max)
        },
        out,
    )
}

/// `reference_integer_ops::MaxPool` (int8): raw maximum of the in-bounds taps (−128 if none),
/// clamped to `[act_min, act_max]`. Into `out`, `[n, oh, ow, c]`.
pub fn max_pool(x: &[i8], g: &ConvGeom, act_min: i32, act_max: i32, out: &mut [i8]) {
    let [ih, iw, c] = g.in_hwc;
    let [oh, ow, _] = g.out_hwc;
    debug_assert_eq!(out.len(), g.n * oh * ow * c);
    if x.len() < g.n * ih * iw * c {
        let f = |it: &mut dyn Iterator<Item = i8>| {
            let m = it.fold(i8::MIN, i8::max) as i32;
            m.max(act_min).min(act_max)
        };
        return pool(x, g, f, out);
    }
    let (lo, hi) = (
        act_min.clamp(-128, 127) as i8,
        act_max.clamp(-128, 127) as i8,
    );
    // Whole channel rows at a time (the running maximum vectorizes).
    crate::parallel::chunks_mut(out, (ow * c).max(1), |row, o| {
        let (b, oy) = (row / oh, row % oh);
        for ox in 0..ow {
            let (ys, xs) = super::super::pool::window(g, oy, ox);
            let acc = &mut o[ox * c..(ox + 1) * c];
            acc.fill(i8::MIN);
            for y in ys {
                for xx in xs.clone() {
                    let s = &x[((b * ih + y) * iw + xx) * c..][..c];
                    acc.iter_mut().zip(s).for_each(|(a, &v)| *a = (*a).max(v));
                }
            }
            acc.iter_mut().for_each(|a| *a = (*a).max(lo).min(hi));
        }
    });
}

/// Quantization parameters of int8 MEAN / SUM.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReduceQuant {
    /// Input scale.
    pub input_scale: f32,
    /// Input zero point.
    pub input_zp: i32,
    /// Output scale.
    pub output_scale: f32,
    /// Output zero point.
    pub output_zp: i32,
    /// Quantized `(double)s_in / (double)s_out` (`PrepareMeanOrSum`).
    pub multiplier: i32,
    /// Its shift.
    pub shift: i32,
}

impl ReduceQuant {
    /// LiteRT reduce.cc `PrepareMeanOrSum` for int8: `QuantizeMultiplier((double)s_in /
    /// (double)s_out)`.
    pub fn new((input_scale, input_zp): (f32, i32), (output_scale, output_zp): (f32, i32)) -> Self {
        let (multiplier, shift) = quantize_multiplier(input_scale as f64 / output_scale as f64);
        Self {
            input_scale,
            input_zp,
            output_scale,
            output_zp,
            multiplier,
            shift,
        }
    }
}

/// TFLite `ResolveAxis`: wraps negative axes, drops duplicates and out-of-range axes.
fn resolve_axes(rank: usize, axes: &[i32]) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    for &a in axes {
        let a = if a < 0 { a + rank as i32 } else { a };
        if a >= 0 && (a as usize) < rank && !out.contains(&(a as usize)) {
            out.push(a as usize);
        }
    }
    out
}

/// Sums `f(x)` into one accumulator per kept position (row-major over the kept axes), like
/// `ReduceSumImpl`. Returns `(sums, reduced element count)`.
fn reduce_sums(
    x: &[i8],
    shape: &[usize],
    axes: &[usize],
    f: impl Fn(i8) -> i32,
) -> (Vec<i32>, usize) {
    let r = shape.len();
    let mut ostr = vec![0usize; r];
    let mut acc = 1;
    for d in (0..r).rev() {
        if !axes.contains(&d) {
            ostr[d] = acc;
            acc *= shape[d];
        }
    }
    let mut sums = vec![0i32; acc];
    let count: usize = axes.iter().map(|&a| shape[a]).product();
    // Reduced axes in one contiguous run (global pooling, last-axis sums): `[outer, red, inner]`.
    let (lo, hi) = (
        axes.iter().copied().min().unwrap_or(0),
        axes.iter().copied().max().unwrap_or(0),
    );
    if !axes.is_empty() && hi - lo + 1 == axes.len() && x.len() >= shape.iter().product() {
        let inner: usize = shape[hi + 1..].iter().product();
        let outer: usize = shape[..lo].iter().product();
        for o in 0..outer {
            let dst = &mut sums[o * inner..(o + 1) * inner];
            for rrow in x[o * count * inner..(o + 1) * count * inner].chunks_exact(inner.max(1)) {
                for (s, &v) in dst.iter_mut().zip(rrow) {
                    *s = s.wrapping_add(f(v));
                }
            }
        }
        return (sums, count);
    }
    let mut idx = vec![0usize; r];
    for &v in x.iter().take(shape.iter().product()) {
        let o: usize = (0..r).map(|d| idx[d] * ostr[d]).sum();
        sums[o] = sums[o].wrapping_add(f(v));
        for d in (0..r).rev() {
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
    (sums, count)
}

/// `reference_integer_ops::Mean` (int8): the special 4-D case reducing axes {1, 2} with
/// `keep_dims`: `acc = Σ (q − z_in)`; `acc = MBQM(acc, M, shift)` with `M = s_in/s_out`; then
/// divide by `H·W` rounding half away from zero; `+ z_out`; clamp. `shape` is `[n, h, w, c]`,
/// output `[n, 1, 1, c]`. Older TFLite releases dispatched 4-D `keep_dims` MEAN over axes
/// `[1, 2]` here; LiteRT 2.3.0's reference MEAN no longer does (see [`mean`]), so this is only
/// for models/oracles built against those releases. Into `out`, `[n, c]` elements.
pub fn mean_hw(x: &[i8], shape: [usize; 4], q: &ReduceQuant, out: &mut [i8]) {
    let [n, h, w, c] = shape;
    let count = (h * w) as i32;
    debug_assert_eq!(out.len(), n * c);
    for b in 0..n {
        for ch in 0..c {
            let mut acc = 0i32;
            for y in 0..h {
                for xx in 0..w {
                    acc = acc.wrapping_add(x[((b * h + y) * w + xx) * c + ch] as i32 - q.input_zp);
                }
            }
            acc = multiply_by_quantized_multiplier(acc, q.multiplier, q.shift);
            if count > 0 {
                acc = if acc > 0 {
                    acc.wrapping_add(count / 2) / count
                } else {
                    acc.wrapping_sub(count / 2) / count
                };
            }
            out[b * c + ch] = acc
                .wrapping_add(q.output_zp)
                .clamp(i8::MIN as i32, i8::MAX as i32) as i8;
        }
    }
}

/// Core of `reference_ops::QuantizedMeanOrSum`, generic over how a stored byte is read and how
/// the result is clamped and stored. `out` has one element per kept position.
#[allow(clippy::too_many_arguments)]
fn mean_or_sum_impl(
    x: &[i8],
    shape: &[usize],
    axes: &[i32],
    q: &ReduceQuant,
    compute_sum: bool,
    read: impl Fn(i8) -> i32,
    store: impl Fn(i32) -> i8,
    out: &mut [i8],
) {
    let axes = resolve_axes(shape.len(), axes);
    let (sums, count) = reduce_sums(x, shape, &axes, read);
    debug_assert_eq!(out.len(), sums.len());
    let count = count as i64;
    if count == 0 {
        out.fill(0);
        return;
    }
    let (mut multiplier, mut shift) = (q.multiplier, q.shift);
    if !compute_sum {
        // Fold 1/count into the multiplier: shift' = min(floor(log2 count), 32, 31 + shift).
        let s = (63 - (count as u64).leading_zeros() as i32)
            .min(32)
            .min(31 + shift);
        multiplier = (((multiplier as i64) << s.clamp(0, 63)) / count) as i32;
        shift -= s;
    }
    for (o, &sum) in out.iter_mut().zip(&sums) {
        let shifted = (sum as i64 - q.input_zp as i64 * count) as i32;
        *o = store(
            multiply_by_quantized_multiplier(shifted, multiplier, shift).wrapping_add(q.output_zp),
        );
    }
}

/// `reference_ops::QuantizedMeanOrSum<int8_t>`: `sum = Σ q` (int32); for the mean the multiplier
/// absorbs `1/count` (`s' = min(63 − clz64(count), 32, 31 + shift)`, `M' = (M << s') / count`,
/// `shift −= s'`); `out = clamp(MBQM(sum − z_in·count, M', shift) + z_out)`. Values come out in
/// row-major order of the kept axes (the same with or without `keep_dims`), into `out`.
pub fn quantized_mean_or_sum(
    x: &[i8],
    shape: &[usize],
    axes: &[i32],
    q: &ReduceQuant,
    compute_sum: bool,
    out: &mut [i8],
) {
    mean_or_sum_impl(
        x,
        shape,
        axes,
        q,
        compute_sum,
        |v| v as i32,
        |v| v.clamp(i8::MIN as i32, i8::MAX as i32) as i8,
        out,
    )
}

/// Int8 MEAN as LiteRT 2.3.0's reduce.cc `EvalMean<kReference>` runs it: always
/// [`quantized_mean_or_sum`] (also when input and output parameters are equal, and also for 4-D
/// `keep_dims` over axes {1, 2}; verified against `BUILTIN_REF`). `keep_dims` only changes the
/// output shape, not the values.
pub fn mean(
    x: &[i8],
    shape: &[usize],
    axes: &[i32],
    _keep_dims: bool,
    q: &ReduceQuant,
    out: &mut [i8],
) {
    quantized_mean_or_sum(x, shape, axes, q, false, out)
}

/// Int8 SUM with LiteRT's intended semantics (current reduce.cc `EvalSum` for quantized inputs
/// and the optimized kernel): [`quantized_mean_or_sum`] with `compute_sum`, rescaling by
/// `s_in/s_out` (equal parameters included — the sum saturates rather than wraps).
pub fn sum(x: &[i8], shape: &[usize], axes: &[i32], q: &ReduceQuant, out: &mut [i8]) {
    quantized_mean_or_sum(x, shape, axes, q, true, out)
}

/// What `ai_edge_litert` 2.3.0 with `BUILTIN_REF` actually computes for an int8 SUM (a bug in
/// that build, verified bit-exactly): `QuantizedMeanOrSum<uint8_t>` applied to the int8 bytes —
/// each value read as `q as u8`, the zero points used unchanged, the result clamped to
/// `[0, 255]` and stored as that byte. Use only to reproduce the reference oracle; compare
/// real models against [`sum`] (which matches the optimized kernel).
pub fn sum_litert_2_3_reference_quirk(
    x: &[i8],
    shape: &[usize],
    axes: &[i32],
    q: &ReduceQuant,
    out: &mut [i8],
) {
    mean_or_sum_impl(
        x,
        shape,
        axes,
        q,
        true,
        |v| v as u8 as i32,
        |v| v.clamp(0, 255) as u8 as i8,
        out,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A buffer of `n` stale bytes: every one must be overwritten.
    fn stale(n: usize) -> Vec<i8> {
        vec![0x55; n]
    }

    // The kernels into a buffer the test allocates (these shadow the glob import).
    fn average_pool(x: &[i8], g: &ConvGeom, lo: i32, hi: i32) -> Vec<i8> {
        let mut out = stale(g.n * g.out_hwc.iter().product::<usize>());
        super::average_pool(x, g, lo, hi, &mut out);
        out
    }

    /// The f32 division equals i32 division on every rounded sum an average pool of up to
    /// 1,000 taps (and a few larger windows) can form.
    #[test]
    fn f32_division_is_the_integer_quotient() {
        for count in (1..=1000).chain([4096, 65_535]) {
            let d = count as f32;
            let lim = 128 * count + count / 2;
            let step = if count > 1000 { 97 } else { 1 };
            for n in (-lim..=lim).step_by(step) {
                assert_eq!(super::div_f32(n, d), n / count, "{n} / {count}");
            }
        }
    }

    /// The row-wise average pool against its tap-by-tap twin: strides, padding, windows
    /// cut by the border, a window with no in-bounds tap, fused ranges.
    #[test]
    fn average_pool_rows_match_the_reference_twin() {
        let mut seed = 7u32;
        let mut next = || {
            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (seed >> 24) as i8
        };
        for (ih, iw, c, k, stride, pad, lo, hi) in [
            (35, 35, 19, [3, 3], [1, 1], [1, 1], -128, 127),
            (8, 9, 64, [3, 2], [2, 2], [0, 1], -128, 127),
            (5, 5, 3, [5, 5], [1, 1], [2, 2], -20, 90),
            (4, 4, 2, [2, 2], [3, 3], [0, 0], -128, 127),
            (2, 2, 5, [1, 1], [1, 1], [2, 2], -128, 127),
        ] {
            let oh = (ih + 2 * pad[0] - k[0]) / stride[0] + 1;
            let ow = (iw + 2 * pad[1] - k[1]) / stride[1] + 1;
            let g = ConvGeom {
                n: 2,
                in_hwc: [ih, iw, c],
                out_hwc: [oh, ow, c],
                k,
                stride,
                dilation: [1, 1],
                pad,
            };
            let x: Vec<i8> = (0..2 * ih * iw * c).map(|_| next()).collect();
            let mut want = stale(2 * oh * ow * c);
            super::average_pool_reference(&x, &g, lo, hi, &mut want);
            assert_eq!(average_pool(&x, &g, lo, hi), want, "{g:?}");
        }
    }

    fn max_pool(x: &[i8], g: &ConvGeom, lo: i32, hi: i32) -> Vec<i8> {
        let mut out = stale(g.n * g.out_hwc.iter().product::<usize>());
        super::max_pool(x, g, lo, hi, &mut out);
        out
    }

    fn pool(x: &[i8], g: &ConvGeom, f: impl Fn(&mut dyn Iterator<Item = i8>) -> i32) -> Vec<i8> {
        let mut out = stale(g.n * g.out_hwc.iter().product::<usize>());
        super::pool(x, g, f, &mut out);
        out
    }

    /// Elements of the kept positions of a reduction.
    fn kept(shape: &[usize], axes: &[i32]) -> usize {
        let axes = resolve_axes(shape.len(), axes);
        (0..shape.len())
            .filter(|d| !axes.contains(d))
            .map(|d| shape[d])
            .product()
    }

    fn mean(x: &[i8], shape: &[usize], axes: &[i32], keep: bool, q: &ReduceQuant) -> Vec<i8> {
        let mut out = stale(kept(shape, axes));
        super::mean(x, shape, axes, keep, q, &mut out);
        out
    }

    fn sum(x: &[i8], shape: &[usize], axes: &[i32], q: &ReduceQuant) -> Vec<i8> {
        let mut out = stale(kept(shape, axes));
        super::sum(x, shape, axes, q, &mut out);
        out
    }

    fn sum_litert_2_3_reference_quirk(
        x: &[i8],
        shape: &[usize],
        axes: &[i32],
        q: &ReduceQuant,
    ) -> Vec<i8> {
        let mut out = stale(kept(shape, axes));
        super::sum_litert_2_3_reference_quirk(x, shape, axes, q, &mut out);
        out
    }

    fn mean_hw(x: &[i8], shape: [usize; 4], q: &ReduceQuant) -> Vec<i8> {
        let mut out = stale(shape[0] * shape[3]);
        super::mean_hw(x, shape, q, &mut out);
        out
    }

    #[test]
    fn zero_size_dimensions() {
        let geom = |n: usize, hw: usize, c: usize, out_hw: usize| ConvGeom {
            n,
            in_hwc: [hw, hw, c],
            out_hwc: [out_hw, out_hw, c],
            ..g2(2, 1, 0, hw, out_hw)
        };
        for g in [geom(0, 3, 2, 2), geom(1, 3, 0, 2), geom(1, 0, 2, 0)] {
            assert!(average_pool(&[], &g, -128, 127).is_empty());
            assert!(max_pool(&[], &g, -128, 127).is_empty());
        }
        // An empty image with a forced output size: every window is empty.
        let g = geom(1, 0, 2, 2);
        assert_eq!(average_pool(&[], &g, -128, 127), vec![0; 8]);
        assert_eq!(max_pool(&[], &g, -128, 127), vec![-128; 8]);
        let q = ReduceQuant::new((0.5, 0), (0.5, 0));
        assert_eq!(mean(&[], &[2, 0, 3], &[1], false, &q), vec![0; 6]);
        assert!(mean(&[], &[0, 3], &[1], false, &q).is_empty());
        assert_eq!(sum(&[], &[2, 0], &[1], &q), vec![0; 2]);
        assert_eq!(
            sum_litert_2_3_reference_quirk(&[], &[3, 0], &[-1], &q),
            vec![0; 3]
        );
        assert_eq!(mean_hw(&[], [1, 0, 2, 3], &q), vec![0; 3]);
        assert!(mean_hw(&[], [0, 2, 2, 3], &q).is_empty());
    }

    fn g2(k: usize, stride: usize, pad: usize, in_hw: usize, out_hw: usize) -> ConvGeom {
        ConvGeom {
            n: 1,
            in_hwc: [in_hw, in_hw, 1],
            out_hwc: [out_hw, out_hw, 1],
            k: [k, k],
            stride: [stride; 2],
            dilation: [1, 1],
            pad: [pad; 2],
        }
    }

    /// The row-wise max pool against the per-window definition, with padding at every edge.
    #[test]
    fn max_pool_matches_the_window_definition() {
        for (c, k, stride, pad) in [(3, 3, 2, 1), (17, 2, 2, 0), (64, 3, 1, 1)] {
            let (h, w) = (9, 7);
            let out = |n: usize| (n + 2 * pad - k) / stride + 1;
            let g = ConvGeom {
                n: 2,
                in_hwc: [h, w, c],
                out_hwc: [out(h), out(w), c],
                k: [k, k],
                stride: [stride; 2],
                dilation: [1; 2],
                pad: [pad; 2],
            };
            let x: Vec<i8> = (0..2 * h * w * c).map(|i| (i * 7919 % 251) as i8).collect();
            for (lo, hi) in [(-128, 127), (0, 6), (-3, 50)] {
                let want = pool(&x, &g, |it| {
                    let m = it.fold(i8::MIN, i8::max) as i32;
                    m.max(lo).min(hi)
                });
                assert_eq!(max_pool(&x, &g, lo, hi), want, "c {c} k {k} ({lo}, {hi})");
            }
        }
    }

    #[test]
    fn pooling_by_hand() {
        let x: Vec<i8> = vec![1, 2, 3, 4, 5, 6, 7, 8, 9];
        let g = g2(2, 1, 0, 3, 2);
        // (1+2+4+5)/4 = 3, (2+3+5+6)/4 = 4, 6, 7
        assert_eq!(average_pool(&x, &g, -128, 127), vec![3, 4, 6, 7]);
        assert_eq!(max_pool(&x, &g, -128, 127), vec![5, 6, 8, 9]);
        assert_eq!(max_pool(&x, &g, -128, 6), vec![5, 6, 6, 6]);
        // Rounding half away from zero: (1+2)/2 = 1.5 -> 2, (-1-2)/2 -> -2.
        let g = ConvGeom {
            in_hwc: [1, 2, 1],
            out_hwc: [1, 1, 1],
            k: [1, 2],
            ..g2(1, 1, 0, 1, 1)
        };
        assert_eq!(average_pool(&[1, 2], &g, -128, 127), vec![2]);
        assert_eq!(average_pool(&[-1, -2], &g, -128, 127), vec![-2]);
        // SAME padding: corner windows only count in-bounds taps.
        let g = g2(3, 1, 1, 3, 3);
        assert_eq!(average_pool(&x, &g, -128, 127)[0], 3); // (1+2+4+5)/4
    }

    #[test]
    fn mean_and_sum() {
        let q = ReduceQuant::new((0.5, 0), (0.5, 0));
        let x = [1i8, 2, 3, 5];
        // Equal params: M = 1, count 4 folded in: 11/4 = 2.75 -> 3.
        assert_eq!(mean(&x, &[1, 2, 2, 1], &[1, 2], true, &q), vec![3]);
        assert_eq!(mean(&x, &[4], &[-1], false, &q), vec![3]);
        // The older 4-D path divides after rescaling: (11 + 2) / 4 = 3 as well here.
        assert_eq!(mean_hw(&x, [1, 2, 2, 1], &q), vec![3]);
        // Output scale 0.25 -> 2.75 * 2 = 5.5 -> 6 (MBQM rounding).
        let q2 = ReduceQuant::new((0.5, 0), (0.25, 0));
        assert_eq!(mean(&x, &[1, 2, 2, 1], &[-3, -2], true, &q2), vec![6]);
        // Sum: 11 * 2 = 22; equal params saturate instead of wrapping.
        assert_eq!(sum(&x, &[4], &[0], &q2), vec![22]);
        assert_eq!(sum(&[100, 100], &[2], &[0], &q), vec![127]);
        // Middle axis of [2, 3, 2]: means 2, 3, 8, 9.
        let x: Vec<i8> = (0..12).collect();
        assert_eq!(mean(&x, &[2, 3, 2], &[1], false, &q), vec![2, 3, 8, 9]);
        // The 2.3.0 reference quirk reads bytes as u8 and clamps to [0, 255].
        // 255 + 1 = 256 -> 255 -> byte -1; 128 + 1 = 129 -> byte -127.
        assert_eq!(
            sum_litert_2_3_reference_quirk(&[-1, 1], &[2], &[0], &q),
            vec![-1]
        );
        assert_eq!(
            sum_litert_2_3_reference_quirk(&[-128, 1], &[2], &[0], &q),
            vec![-127]
        );
    }
}
