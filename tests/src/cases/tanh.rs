//! Fused TANH: every op family that carries a fused activation, built twice from the same
//! numbers, once with `Activation::Tanh` fused and once with no activation and a separate TANH
//! node after it. LiteRT's float kernels ignore a fused TANH (CONV_2D, DEPTHWISE_CONV_2D, ADD,
//! pools compute as if it were absent) or refuse it (FULLY_CONNECTED's Prepare), so the oracle
//! runs the unfused twin, whose meaning it does compute.

use pocket_engine::ir::*;

use super::Cases;

/// The op, then (when `separate`) a TANH node on its output.
fn finish(
    b: &mut crate::Builder,
    op: Op,
    ins: &[Option<TensorId>],
    separate: bool,
) -> Vec<TensorId> {
    let y = b.op("op", op, ins);
    if separate {
        vec![b.op("tanh", Op::Unary(UnaryKind::Tanh), &[Some(y)])]
    } else {
        vec![y]
    }
}

/// The fused (`fused = true`) or unfused twin of every case, in the same order with the same
/// names, weights and inputs.
pub(super) fn cases(c: &mut Cases, fused: bool) {
    let (act, sep) = if fused {
        (Activation::Tanh, false)
    } else {
        (Activation::None, true)
    };
    for (i, &(h, w, ic, oc, k, s, p)) in [
        (9, 9, 3, 8, 3, 1, Padding::Same),
        (10, 7, 4, 6, 3, 2, Padding::Valid),
    ]
    .iter()
    .enumerate()
    {
        c.add(
            format!("conv2d_tanh_{i}_{h}x{w}x{ic}_k{k}s{s}_{p:?}"),
            -1.0,
            1.0,
            |b, r, x| {
                let wt = b.f32("w", &[oc, k, k, ic], &r.normals(oc * k * k * ic, 0.3));
                let bs = b.f32("b", &[oc], &r.normals(oc, 0.1));
                let op = Op::Conv2d(Conv2d {
                    padding: p,
                    stride: [s, s],
                    dilation: [1, 1],
                    act,
                });
                finish(b, op, &[Some(x[0]), Some(wt), Some(bs)], sep)
            },
            &[&[1, h, w, ic]],
        );
    }
    for (i, &(h, w, ic, m, k, s)) in [(10, 10, 8, 1, 3, 1), (9, 9, 3, 3, 5, 2)]
        .iter()
        .enumerate()
    {
        c.add(
            format!("depthwise_tanh_{i}_{h}x{w}x{ic}_m{m}_k{k}s{s}"),
            -1.0,
            1.0,
            |b, r, x| {
                let oc = ic * m;
                let wt = b.f32("w", &[1, k, k, oc], &r.normals(k * k * oc, 0.5));
                let bs = b.f32("b", &[oc], &r.normals(oc, 0.1));
                let op = Op::DepthwiseConv2d(DepthwiseConv2d {
                    padding: Padding::Same,
                    stride: [s, s],
                    dilation: [1, 1],
                    depth_multiplier: m,
                    act,
                });
                finish(b, op, &[Some(x[0]), Some(wt), Some(bs)], sep)
            },
            &[&[1, h, w, ic]],
        );
    }
    c.add(
        "fully_connected_tanh_bias".into(),
        -1.0,
        1.0,
        |b, r, x| {
            let wt = b.f32("w", &[7, 10], &r.normals(70, 0.4));
            let bs = b.f32("b", &[7], &r.normals(7, 0.1));
            let op = Op::FullyConnected(FullyConnected {
                act,
                keep_num_dims: false,
                asymmetric_quantize_inputs: false,
            });
            finish(b, op, &[Some(x[0]), Some(wt), Some(bs)], sep)
        },
        &[&[2, 10]],
    );
    c.add(
        "transpose_conv_tanh_4x4x3_k3s2".into(),
        -1.0,
        1.0,
        |b, r, x| {
            let os = b.i32("out_shape", &[4], &[1, 8, 8, 5]);
            let wt = b.f32("w", &[5, 3, 3, 3], &r.normals(135, 0.5));
            let bs = b.f32("b", &[5], &r.normals(5, 0.1));
            let op = Op::TransposeConv(TransposeConv {
                padding: Padding::Same,
                stride: [2, 2],
                act,
            });
            finish(b, op, &[Some(os), Some(wt), Some(x[0]), Some(bs)], sep)
        },
        &[&[1, 4, 4, 3]],
    );
    let binaries: [(BinaryKind, &[usize], &[usize], f32, f32); 4] = [
        (BinaryKind::Add, &[1, 4, 4, 3], &[3], -2.0, 2.0),
        (BinaryKind::Sub, &[2, 1, 5], &[1, 4, 1], -2.0, 2.0),
        (BinaryKind::Mul, &[2, 3, 4], &[2, 3, 4], -2.0, 2.0),
        (BinaryKind::Div, &[1, 3, 3, 2], &[1], 0.5, 2.0),
    ];
    for (kind, a, bsh, lo, hi) in binaries {
        let op = Op::Binary(Binary { kind, act });
        c.add(
            format!("{}_tanh", op.name().to_lowercase()),
            lo,
            hi,
            |b, _, x| finish(b, op, &[Some(x[0]), Some(x[1])], sep),
            &[a, bsh],
        );
    }
    for (kind, k, s, p) in [
        (PoolKind::Average, 3, 2, Padding::Same),
        (PoolKind::Max, 2, 2, Padding::Valid),
    ] {
        let op = Op::Pool2d(Pool2d {
            kind,
            padding: p,
            stride: [s, s],
            filter: [k, k],
            act,
        });
        c.add(
            format!("{}_tanh_k{k}s{s}_{p:?}", op.name().to_lowercase()),
            -2.0,
            2.0,
            |b, _, x| finish(b, op, &[Some(x[0])], sep),
            &[&[1, 9, 11, 3]],
        );
    }
}
