//! Grouped CONV_2D cases: filters `[oc, kh, kw, ic / groups]` with 2, 4, C/2 and C groups (C
//! groups with one input channel each is how the TF converter writes some depthwise layers),
//! strided, dilated, VALID and SAME, with fused activations.

use pocket_engine::ir::*;

use super::{ACTS, Cases, act_name};
use crate::Rng;

pub(super) fn grouped_conv_cases(c: &mut Cases) {
    // A random stream of their own, so the cases made after these keep their weights.
    let rest = std::mem::replace(&mut c.rng, Rng::new(1414));
    // (h, w, ic, oc, groups, k, stride, dilation, padding)
    let convs = [
        (9, 9, 4, 6, 2, 3, 1, 1, Padding::Same),
        (10, 7, 8, 8, 4, 3, 2, 1, Padding::Same),
        (11, 11, 8, 4, 4, 3, 2, 1, Padding::Valid),
        (12, 12, 12, 6, 6, 3, 1, 2, Padding::Same),
        (10, 10, 16, 16, 8, 1, 1, 1, Padding::Same),
        (14, 14, 8, 8, 8, 7, 1, 1, Padding::Same),
        (9, 11, 6, 12, 6, 5, 2, 1, Padding::Valid),
        (8, 8, 6, 12, 2, 3, 1, 1, Padding::Valid),
        (12, 10, 16, 32, 4, 3, 1, 2, Padding::Valid),
    ];
    for (i, &(h, w, ic, oc, groups, k, s, d, p)) in convs.iter().enumerate() {
        let act = ACTS[i % 4];
        let fic = ic / groups;
        c.add(
            format!(
                "grouped_conv_{i}_{h}x{w}x{ic}_g{groups}_oc{oc}_k{k}s{s}d{d}_{p:?}_{}",
                act_name(act)
            ),
            -1.0,
            1.0,
            |b, r, x| {
                let wt = b.f32("w", &[oc, k, k, fic], &r.normals(oc * k * k * fic, 0.5));
                let bs = b.f32("b", &[oc], &r.normals(oc, 0.1));
                vec![b.op(
                    "grouped_conv",
                    Op::Conv2d(Conv2d {
                        padding: p,
                        stride: [s, s],
                        dilation: [d, d],
                        act,
                    }),
                    &[Some(x[0]), Some(wt), Some(bs)],
                )]
            },
            &[&[1, h, w, ic]],
        );
    }
    c.rng = rest;
}

/// Grouped convolutions big enough (at least 1024 weights) for dynamic-range quantization.
pub(super) fn hybrid_cases(c: &mut Cases) {
    // (h, w, ic, oc, groups, k, stride, act)
    let convs = [
        (9, 9, 32, 64, 4, 3, 2, Activation::Relu),
        (8, 8, 96, 96, 96, 7, 1, Activation::None),
    ];
    for (i, &(h, w, ic, oc, groups, k, s, act)) in convs.iter().enumerate() {
        let fic = ic / groups;
        c.add(
            format!("hybrid_grouped_conv_{i}_g{groups}"),
            -1.0,
            2.0,
            |b, r, x| {
                let wt = b.f32("w", &[oc, k, k, fic], &r.normals(oc * k * k * fic, 0.3));
                let bs = b.f32("b", &[oc], &r.normals(oc, 0.1));
                vec![b.op(
                    "grouped_conv",
                    Op::Conv2d(Conv2d {
                        padding: Padding::Same,
                        stride: [s, s],
                        dilation: [1, 1],
                        act,
                    }),
                    &[Some(x[0]), Some(wt), Some(bs)],
                )]
            },
            &[&[1, h, w, ic]],
        );
    }
}
