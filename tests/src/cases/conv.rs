//! Convolution cases: CONV_2D, DEPTHWISE_CONV_2D and TRANSPOSE_CONV with varied shapes,
//! strides, dilations, paddings and fused activations.

use pocket_engine::ir::*;

use super::{ACTS, Cases, act_name};

pub(super) fn conv_cases(c: &mut Cases) {
    // (h, w, ic, oc, k, stride, dilation, padding)
    let convs = [
        (9, 9, 3, 8, 3, 1, 1, Padding::Same),
        (10, 7, 4, 6, 3, 2, 1, Padding::Same),
        (11, 11, 5, 4, 3, 2, 1, Padding::Valid),
        (12, 12, 3, 5, 3, 1, 2, Padding::Same),
        (13, 9, 2, 3, 5, 3, 1, Padding::Valid),
        (8, 8, 16, 24, 1, 1, 1, Padding::Same),
        (7, 7, 8, 4, 1, 2, 1, Padding::Valid),
        (16, 16, 3, 16, 3, 2, 1, Padding::Same),
        (6, 10, 4, 4, 2, 2, 1, Padding::Same),
        (9, 9, 6, 6, 3, 1, 3, Padding::Valid),
    ];
    for (i, &(h, w, ic, oc, k, s, d, p)) in convs.iter().enumerate() {
        let act = ACTS[i % 4];
        c.add(
            format!(
                "conv2d_{i}_{h}x{w}x{ic}_k{k}s{s}d{d}_{p:?}_{}",
                act_name(act)
            ),
            -1.0,
            1.0,
            |b, r, x| {
                let wt = b.f32("w", &[oc, k, k, ic], &r.normals(oc * k * k * ic, 0.5));
                let bs = b.f32("b", &[oc], &r.normals(oc, 0.1));
                vec![b.op(
                    "conv",
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
    // (h, w, ic, mult, k, stride, dilation, padding)
    let dws = [
        (10, 10, 8, 1, 3, 1, 1, Padding::Same),
        (11, 9, 6, 1, 3, 2, 1, Padding::Same),
        (12, 12, 4, 2, 3, 1, 1, Padding::Valid),
        (9, 9, 3, 3, 5, 2, 1, Padding::Same),
        (14, 14, 5, 1, 3, 1, 2, Padding::Same),
        (8, 8, 16, 1, 3, 2, 1, Padding::Valid),
    ];
    for (i, &(h, w, ic, m, k, s, d, p)) in dws.iter().enumerate() {
        let act = ACTS[(i + 1) % 4];
        c.add(
            format!(
                "depthwise_{i}_{h}x{w}x{ic}_m{m}_k{k}s{s}d{d}_{p:?}_{}",
                act_name(act)
            ),
            -1.0,
            1.0,
            |b, r, x| {
                let oc = ic * m;
                let wt = b.f32("w", &[1, k, k, oc], &r.normals(k * k * oc, 0.5));
                let bs = b.f32("b", &[oc], &r.normals(oc, 0.1));
                vec![b.op(
                    "dw",
                    Op::DepthwiseConv2d(DepthwiseConv2d {
                        padding: p,
                        stride: [s, s],
                        dilation: [d, d],
                        depth_multiplier: m,
                        act,
                    }),
                    &[Some(x[0]), Some(wt), Some(bs)],
                )]
            },
            &[&[1, h, w, ic]],
        );
    }
    // Transposed convolutions: (in h, in w, ic, oc, k, stride, padding, out h, out w, bias)
    let tcs = [
        (4, 4, 3, 5, 3, 2, Padding::Same, 8, 8, true),
        (5, 3, 4, 2, 3, 1, Padding::Same, 5, 3, false),
        (3, 3, 2, 3, 3, 2, Padding::Valid, 7, 7, true),
        (4, 5, 3, 4, 2, 2, Padding::Valid, 8, 10, false),
    ];
    for (i, &(h, w, ic, oc, k, s, p, oh, ow, bias)) in tcs.iter().enumerate() {
        c.add(
            format!(
                "transpose_conv_{i}_{h}x{w}x{ic}_k{k}s{s}_{p:?}{}",
                if bias { "_bias" } else { "" }
            ),
            -1.0,
            1.0,
            |b, r, x| {
                let os = b.i32("out_shape", &[4], &[1, oh, ow, oc as i32]);
                let wt = b.f32("w", &[oc, k, k, ic], &r.normals(oc * k * k * ic, 0.5));
                let bs = bias.then(|| b.f32("b", &[oc], &r.normals(oc, 0.1)));
                let mut ins = vec![Some(os), Some(wt), Some(x[0])];
                if bias {
                    ins.push(bs);
                }
                vec![b.op(
                    "tconv",
                    Op::TransposeConv(TransposeConv {
                        padding: p,
                        stride: [s, s],
                        act: Activation::None,
                    }),
                    &ins,
                )]
            },
            &[&[1, h, w, ic]],
        );
    }
}

/// CONV_3D and CONV_3D_TRANSPOSE (NDHWC): both paddings, strides per axis, a dilation, fused
/// activations, with and without bias.
pub(super) fn conv3d_cases(c: &mut Cases) {
    let o3 = |padding, stride, dilation, act| Conv3d {
        padding,
        stride,
        dilation,
        act,
    };
    for (i, (o, k, oc, bias)) in [
        (
            o3(Padding::Valid, [1, 1, 1], [1, 1, 1], Activation::None),
            [2, 3, 2],
            4,
            true,
        ),
        (
            o3(Padding::Same, [2, 1, 2], [1, 1, 1], Activation::Relu6),
            [3, 3, 3],
            5,
            true,
        ),
        (
            o3(Padding::Same, [1, 1, 1], [2, 1, 2], Activation::None),
            [2, 2, 2],
            3,
            false,
        ),
        (
            o3(Padding::Valid, [1, 2, 1], [1, 1, 1], Activation::Relu),
            [1, 3, 3],
            8,
            true,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let ic = 3;
        c.add(
            format!("conv3d_{i}_{:?}_{}", o.padding, act_name(o.act)),
            -1.0,
            1.0,
            |b, r, x| {
                let n = k.iter().product::<usize>() * ic * oc;
                let wt = b.f32("w", &[k[0], k[1], k[2], ic, oc], &r.normals(n, 0.3));
                let bs = bias.then(|| b.f32("b", &[oc], &r.normals(oc, 0.1)));
                let ins: Vec<_> = [Some(x[0]), Some(wt), bs]
                    .into_iter()
                    .take(2 + usize::from(bias))
                    .collect();
                vec![b.op("conv3d", Op::Movement(Movement::Conv3d(o)), &ins)]
            },
            &[&[1, 4, 5, 6, ic]],
        );
    }
    // Transposes: input [1, 3, 3, 4, 2], filter [kd, kh, kw, oc, ic], output shapes that a
    // forward convolution maps back onto the input.
    for (i, (o, k, out, bias)) in [
        (
            o3(Padding::Same, [2, 2, 2], [1, 1, 1], Activation::None),
            [2, 3, 3],
            [6, 6, 8],
            true,
        ),
        (
            o3(Padding::Valid, [1, 2, 1], [1, 1, 1], Activation::Relu),
            [2, 3, 3],
            [4, 7, 6],
            false,
        ),
        (
            o3(Padding::Same, [1, 1, 1], [1, 1, 1], Activation::None),
            [3, 1, 2],
            [3, 3, 4],
            true,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let (ic, oc) = (2, 3);
        c.add(
            format!("conv3d_transpose_{i}_{:?}", o.padding),
            -1.0,
            1.0,
            |b, r, x| {
                let shape = [1, out[0] as i32, out[1] as i32, out[2] as i32, oc as i32];
                let os = b.i32("out_shape", &[5], &shape);
                let n = k.iter().product::<usize>() * ic * oc;
                let wt = b.f32("w", &[k[0], k[1], k[2], oc, ic], &r.normals(n, 0.3));
                let bs = bias.then(|| b.f32("b", &[oc], &r.normals(oc, 0.1)));
                let ins: Vec<_> = [Some(os), Some(wt), Some(x[0]), bs]
                    .into_iter()
                    .take(3 + usize::from(bias))
                    .collect();
                vec![b.op("conv3d_t", Op::Movement(Movement::Conv3dTranspose(o)), &ins)]
            },
            &[&[1, 3, 3, 4, ic]],
        );
    }
}
