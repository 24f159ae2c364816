//! Grouped convolutions (CONV_2D whose OHWI filter reads `ic / groups` input channels, as the
//! TF converter writes Keras `Conv2D(groups=g)` and some depthwise layers) run through a
//! kernel table's ungrouped kernels, prepared once per session:
//!
//! * one input channel per group (`[oc, kh, kw, 1]`, the converter's depthwise form) is a
//!   depthwise convolution with multiplier `oc / ic`: the filter is transposed once to
//!   `[1, kh, kw, oc]` and the table's depthwise kernel runs it (int8: the multiplier-1 kernel,
//!   else the reference depthwise loop);
//! * otherwise each group's input channels are gathered into a contiguous image, the table's
//!   GEMM convolution (packed with that group's filter rows, bias and requantization) runs on
//!   it, and its output channels are scattered into the group's slice of the output.
//!
//! Integer sums are exact in any order, so the int8 results equal the grouped reference
//! ([`crate::int8::conv::conv2d`], LiteRT's `ConvPerChannel`) bit for bit; the float ones agree
//! with [`crate::conv::reference::conv2d`] within rounding.

use crate::act::Act;
use crate::geom::ConvGeom;
use crate::int8::params::ConvQuant;
use crate::table::{F32Conv, F32Depthwise, Kernels, QConv};

/// `[oc, taps]` (OHWI with one input channel) → `[taps, oc]` (depthwise `[1, kh, kw, oc]`).
fn to_depthwise<T: Copy + Default>(w: &[T], oc: usize, taps: usize) -> Vec<T> {
    let mut t = vec![T::default(); w.len()];
    for o in 0..oc {
        for k in 0..taps {
            t[k * oc + o] = w[o * taps + k];
        }
    }
    t
}

/// Channels `c0..c0 + n` of every pixel of `x` (`c` channels per pixel) into `dst`.
fn gather<T: Copy>(x: &[T], c: usize, c0: usize, n: usize, dst: &mut [T]) {
    for (d, px) in dst.chunks_exact_mut(n).zip(x.chunks_exact(c)) {
        d.copy_from_slice(&px[c0..c0 + n]);
    }
}

/// Every pixel of `y` (`n` channels) into channels `c0..c0 + n` of `out` (`c` per pixel).
fn scatter<T: Copy>(y: &[T], c: usize, c0: usize, n: usize, out: &mut [T]) {
    for (px, s) in out.chunks_exact_mut(c).zip(y.chunks_exact(n)) {
        px[c0..c0 + n].copy_from_slice(s);
    }
}

/// Run `conv(gi, x_group, geometry, y_group)` for each group and assemble `out`.
fn per_group<T: Copy + Default>(
    x: &[T],
    g: &ConvGeom,
    groups: usize,
    out: &mut [T],
    conv: impl Fn(usize, &[T], &ConvGeom, &mut [T]),
) {
    let [ih, iw, ic] = g.in_hwc;
    let [oh, ow, oc] = g.out_hwc;
    let (fic, opg) = (ic / groups, oc / groups);
    let gg = g.group(fic, opg);
    let mut xg = vec![T::default(); g.n * ih * iw * fic];
    let mut yg = vec![T::default(); g.n * oh * ow * opg];
    for gi in 0..groups {
        gather(x, ic, gi * fic, fic, &mut xg);
        conv(gi, &xg, &gg, &mut yg);
        scatter(&yg, oc, gi * opg, opg, out);
    }
}

/// A prepared float grouped convolution.
#[derive(Debug)]
enum GroupedF32 {
    /// One input channel per group: the depthwise kernel on the transposed filter.
    Depthwise { dw: F32Depthwise, w: Vec<f32> },
    /// One packed GEMM convolution per group.
    Groups(Vec<Box<dyn F32Conv>>),
}

impl F32Conv for GroupedF32 {
    fn run(&self, x: &[f32], bias: Option<&[f32]>, g: &ConvGeom, act: Act, out: &mut [f32]) {
        match self {
            GroupedF32::Depthwise { dw, w } => dw(x, w, bias, g, act, out),
            GroupedF32::Groups(convs) => {
                let opg = g.out_hwc[2] / convs.len().max(1);
                per_group(x, g, convs.len(), out, |gi, xg, gg, yg| {
                    let b = bias.map(|b| &b[gi * opg..(gi + 1) * opg]);
                    convs[gi].run(xg, b, gg, act, yg)
                })
            }
        }
    }
}

/// Prepare the float grouped convolution of filter `w` (`[oc, kh, kw, ic / groups]`) for
/// geometry `g` with `k`'s kernels.
pub fn prepare_f32(k: &Kernels, w: &[f32], g: &ConvGeom) -> Box<dyn F32Conv> {
    let (groups, fic) = g.groups(w.len());
    let oc = g.out_hwc[2];
    let taps = g.k[0] * g.k[1];
    if fic == 1 {
        return Box::new(GroupedF32::Depthwise {
            dw: k.f32_depthwise,
            w: to_depthwise(w, oc, taps),
        });
    }
    let opg = oc / groups;
    let depth = taps * fic;
    Box::new(GroupedF32::Groups(
        w.chunks_exact(opg * depth)
            .map(|wg| (k.f32_conv)(wg, opg, depth))
            .collect(),
    ))
}

/// A prepared int8 grouped convolution.
#[derive(Debug)]
enum GroupedQ {
    /// One input channel and one output channel per group: the table's depthwise kernel.
    Depthwise(Box<dyn QConv>),
    /// One input channel per group, several outputs: the reference depthwise loop.
    DepthwiseMult {
        w: Vec<i8>,
        bias: Option<Vec<i32>>,
        q: ConvQuant,
    },
    /// One prepared GEMM convolution per group.
    Groups(Vec<Box<dyn QConv>>),
}

impl QConv for GroupedQ {
    fn run(&self, x: &[i8], g: &ConvGeom, out: &mut [i8]) {
        match self {
            GroupedQ::Depthwise(k) => k.run(x, g, out),
            GroupedQ::DepthwiseMult { w, bias, q } => {
                crate::int8::conv::depthwise(x, w, bias.as_deref(), g, q, out)
            }
            GroupedQ::Groups(convs) => per_group(x, g, convs.len(), out, |gi, xg, gg, yg| {
                convs[gi].run(xg, gg, yg)
            }),
        }
    }
}

/// The requantization of output channels `c0..c0 + n` of `q`.
fn quant_slice(q: &ConvQuant, c0: usize, n: usize) -> ConvQuant {
    ConvQuant {
        multipliers: q.multipliers[c0..c0 + n].to_vec(),
        shifts: q.shifts[c0..c0 + n].to_vec(),
        float_scales: q
            .float_scales
            .get(c0..c0 + n)
            .map_or(Vec::new(), <[f32]>::to_vec),
        ..q.clone()
    }
}

/// Prepare the int8 grouped convolution of filter `w` (`[oc, kh, kw, ic / groups]`), `bias`
/// and per-channel requantization `q` for geometry `g` with `k`'s kernels.
pub fn prepare_q(
    k: &Kernels,
    w: &[i8],
    bias: Option<&[i32]>,
    g: &ConvGeom,
    q: &ConvQuant,
) -> Box<dyn QConv> {
    let (groups, fic) = g.groups(w.len());
    let [_, _, ic] = g.in_hwc;
    let oc = g.out_hwc[2];
    let taps = g.k[0] * g.k[1];
    if fic == 1 {
        let wt = to_depthwise(w, oc, taps);
        if oc == ic {
            return Box::new(GroupedQ::Depthwise((k.q_depthwise)(&wt, bias, g, q)));
        }
        return Box::new(GroupedQ::DepthwiseMult {
            w: wt,
            bias: bias.map(<[i32]>::to_vec),
            q: q.clone(),
        });
    }
    let opg = oc / groups;
    let depth = taps * fic;
    let gg = g.group(fic, opg);
    Box::new(GroupedQ::Groups(
        w.chunks_exact(opg * depth)
            .enumerate()
            .map(|(gi, wg)| {
                let b = bias.map(|b| &b[gi * opg..(gi + 1) * opg]);
                (k.q_conv)(wg, b, &gg, &quant_slice(q, gi * opg, opg))
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fast::test_util::{bytes, geom, quant};
    use crate::int8::params::Activation;

    fn floats(n: usize, seed: u64) -> Vec<f32> {
        bytes(n, seed).iter().map(|&b| b as f32 / 64.0).collect()
    }

    /// (batch, [h, w], ic, oc, groups, [kh, kw], stride, dilation, SAME).
    type Case = (
        usize,
        [usize; 2],
        usize,
        usize,
        usize,
        [usize; 2],
        usize,
        usize,
        bool,
    );

    /// Groups 2, 4, C/2 and C (the converter's depthwise form, with multiplier 1 and 2), 1×1
    /// and strided, dilated, VALID and SAME windows.
    const CASES: &[Case] = &[
        (1, [7, 6], 4, 6, 2, [3, 3], 1, 1, true),
        (2, [9, 9], 8, 8, 4, [3, 2], 2, 1, false),
        (1, [8, 7], 12, 6, 6, [3, 3], 1, 2, true),
        (1, [10, 10], 8, 8, 8, [7, 7], 1, 1, true),
        (2, [6, 9], 5, 10, 5, [3, 3], 2, 1, true),
        (1, [5, 5], 6, 9, 3, [1, 1], 1, 1, true),
        (1, [9, 8], 16, 32, 4, [5, 5], 2, 1, false),
    ];

    /// The grouped reference equals the ungrouped reference run on each group's channels and
    /// filter rows alone (an independent statement of what grouping means).
    #[test]
    fn the_grouped_reference_is_the_ungrouped_one_per_group() {
        for &(n, hw, ic, oc, groups, k, s, d, same) in CASES {
            let g = geom(n, hw, ic, oc, k, s, d, same);
            let (fic, opg) = (ic / groups, oc / groups);
            let (x, w, b) = (
                floats(n * hw[0] * hw[1] * ic, 1),
                floats(oc * k[0] * k[1] * fic, 2),
                floats(oc, 3),
            );
            assert_eq!(g.groups(w.len()), (groups, fic));
            let all = crate::conv::reference::conv2d(&x, &w, Some(&b), &g, false);
            let gg = g.group(fic, opg);
            let mut xg = vec![0.0; n * hw[0] * hw[1] * fic];
            for gi in 0..groups {
                gather(&x, ic, gi * fic, fic, &mut xg);
                let wg = &w[gi * opg * k[0] * k[1] * fic..][..opg * k[0] * k[1] * fic];
                let part = crate::conv::reference::conv2d(
                    &xg,
                    wg,
                    Some(&b[gi * opg..][..opg]),
                    &gg,
                    false,
                );
                for (p, row) in part.chunks_exact(opg).enumerate() {
                    assert_eq!(&all[p * oc + gi * opg..][..opg], row, "{groups} groups");
                }
            }
            // The int8 reference agrees with the same construction.
            let (xq, wq) = (bytes(x.len(), 4), bytes(w.len(), 5));
            let bq: Vec<i32> = bytes(oc, 6).iter().map(|&v| v as i32 * 40).collect();
            let q = quant(oc, -3, Activation::None, 7);
            let mut want = vec![0i8; n * g.out_hwc.iter().product::<usize>()];
            crate::int8::conv::conv2d(&xq, &wq, Some(&bq), &g, &q, &mut want);
            let mut xg = vec![0i8; n * hw[0] * hw[1] * fic];
            let mut part = vec![0i8; n * gg.out_hwc.iter().product::<usize>()];
            for gi in 0..groups {
                gather(&xq, ic, gi * fic, fic, &mut xg);
                let wg = &wq[gi * opg * k[0] * k[1] * fic..][..opg * k[0] * k[1] * fic];
                let qg = quant_slice(&q, gi * opg, opg);
                crate::int8::conv::conv2d(
                    &xg,
                    wg,
                    Some(&bq[gi * opg..][..opg]),
                    &gg,
                    &qg,
                    &mut part,
                );
                for (p, row) in part.chunks_exact(opg).enumerate() {
                    assert_eq!(
                        &want[p * oc + gi * opg..][..opg],
                        row,
                        "int8, {groups} groups"
                    );
                }
            }
        }
    }

    /// At every level the CPU has, the prepared grouped kernels (float within rounding, int8
    /// bit for bit) and the im2col float path equal the references, into garbage-filled buffers.
    #[test]
    fn prepared_grouped_kernels_match_the_references_at_every_level() {
        for &(n, hw, ic, oc, groups, k, s, d, same) in CASES {
            let g = geom(n, hw, ic, oc, k, s, d, same);
            let fic = ic / groups;
            let (x, w, b) = (
                floats(n * hw[0] * hw[1] * ic, 11),
                floats(oc * k[0] * k[1] * fic, 12),
                floats(oc, 13),
            );
            let len = n * g.out_hwc.iter().product::<usize>();
            let want = crate::conv::reference::conv2d(&x, &w, Some(&b), &g, false);
            let close = |got: &[f32], what: &str| {
                let worst = got
                    .iter()
                    .zip(&want)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0f32, f32::max);
                assert!(worst < 1e-3, "{what}, {groups} groups: off by {worst}");
            };
            let mut got = vec![f32::NAN; len];
            crate::parallel::with_threads(2, || {
                crate::conv::conv2d(&x, &w, Some(&b), &g, Act::None, &mut got)
            });
            close(&got, "im2col");
            let (xq, wq) = (bytes(x.len(), 14), bytes(w.len(), 15));
            let bq: Vec<i32> = bytes(oc, 16).iter().map(|&v| v as i32 * 40).collect();
            let q = quant(oc, 5, Activation::Relu, 17);
            let mut qwant = vec![0i8; len];
            crate::int8::conv::conv2d(&xq, &wq, Some(&bq), &g, &q, &mut qwant);
            for lv in crate::cpu::supported() {
                let t = crate::table::for_level(lv);
                let mut got = vec![f32::NAN; len];
                let f = prepare_f32(&t, &w, &g);
                crate::parallel::with_threads(2, || f.run(&x, Some(&b), &g, Act::None, &mut got));
                close(&got, &format!("{lv:?}"));
                let mut qgot = vec![0x55i8; len];
                let p = prepare_q(&t, &wq, Some(&bq), &g, &q);
                crate::parallel::with_threads(2, || p.run(&xq, &g, &mut qgot));
                assert_eq!(qgot, qwant, "int8 {lv:?}, {groups} groups");
            }
        }
    }
}
