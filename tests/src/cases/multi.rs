//! Multi-op cases: sparse FULLY_CONNECTED weights behind DENSIFY and small classifiers.

use pocket_engine::ir::*;

use super::Cases;
use crate::{Builder, Rng};

/// A sparse constant in TFLite's compressed format: rows dense, then CSR over column blocks of
/// `block` (1 = plain CSR).
fn sparse_weights(
    b: &mut Builder,
    r: &mut Rng,
    rows: usize,
    cols: usize,
    block: usize,
) -> TensorId {
    let nb = cols / block;
    let mut keep = vec![vec![false; nb]; rows];
    let (mut segments, mut indices, mut values) = (vec![0i32], Vec::new(), Vec::new());
    for (row, k) in keep.iter_mut().enumerate() {
        for (blk, kept) in k.iter_mut().enumerate() {
            *kept = (row + blk) % 3 != 1 && r.uniform() < 0.7;
            if *kept {
                indices.push(blk as i32);
                values.extend(r.normals(block, 0.5));
            }
        }
        segments.push(indices.len() as i32);
    }
    let bytes: Vec<u8> = values.iter().flat_map(|v: &f32| v.to_le_bytes()).collect();
    let t = b.raw("w_sparse", DType::F32, &[rows, cols], bytes);
    let sparse = SparseDim {
        dense: false,
        dense_size: 0,
        segments,
        indices,
        index_types: (1, 1),
    };
    let mut dims = vec![
        SparseDim {
            dense: true,
            dense_size: rows as i32,
            segments: vec![],
            indices: vec![],
            index_types: (0, 0),
        },
        sparse,
    ];
    let (order, block_map) = if block > 1 {
        dims.push(SparseDim {
            dense: true,
            dense_size: block as i32,
            segments: vec![],
            indices: vec![],
            index_types: (0, 0),
        });
        (vec![0, 1, 2], vec![1])
    } else {
        (vec![0, 1], vec![])
    };
    b.g.tensors[t].sparsity = Some(Sparsity {
        traversal_order: order,
        block_map,
        dims,
    });
    t
}

pub(super) fn multi_op_cases(c: &mut Cases) {
    for (i, block) in [1usize, 4].into_iter().enumerate() {
        c.add(
            format!("fully_connected_sparse_weights_{i}_block{block}"),
            -1.0,
            1.0,
            |b, r, x| {
                let ws = sparse_weights(b, r, 6, 16, block);
                let wd = b.op("w_dense", Op::Densify, &[Some(ws)]);
                let bs = b.f32("b", &[6], &r.normals(6, 0.1));
                vec![b.op(
                    "fc",
                    Op::FullyConnected(FullyConnected {
                        act: Activation::None,
                        keep_num_dims: false,
                        asymmetric_quantize_inputs: false,
                    }),
                    &[Some(x[0]), Some(wd), Some(bs)],
                )]
            },
            &[&[3, 16]],
        );
    }
    c.add(
        "multi_conv_pool_fc_softmax".into(),
        0.0,
        1.0,
        |b, r, x| small_classifier(b, r, x, true),
        &[&[1, 16, 16, 3]],
    );
    c.add(
        "classifier_single_output".into(),
        0.0,
        1.0,
        |b, r, x| small_classifier(b, r, x, false),
        &[&[1, 16, 16, 3]],
    );
    c.add(
        "multi_two_inputs_hardswish_concat".into(),
        -2.0,
        2.0,
        |b, _, x| {
            let h = b.op("hs", Op::Unary(UnaryKind::HardSwish), &[Some(x[0])]);
            let l = b.op("lg", Op::Unary(UnaryKind::Logistic), &[Some(x[1])]);
            let m = b.op(
                "mul",
                Op::Binary(Binary {
                    kind: BinaryKind::Mul,
                    act: Activation::None,
                }),
                &[Some(h), Some(l)],
            );
            vec![b.op(
                "cat",
                Op::Concatenation {
                    axis: 1,
                    act: Activation::None,
                },
                &[Some(m), Some(x[0])],
            )]
        },
        &[&[2, 5], &[2, 5]],
    );
}

/// A tiny image classifier: conv, depthwise residual, global mean, FC, softmax.
fn small_classifier(
    b: &mut Builder,
    r: &mut Rng,
    x: &[TensorId],
    with_logits: bool,
) -> Vec<TensorId> {
    let w1 = b.f32("w1", &[8, 3, 3, 3], &r.normals(216, 0.4));
    let b1 = b.f32("b1", &[8], &r.normals(8, 0.1));
    let c1 = b.op(
        "conv1",
        Op::Conv2d(Conv2d {
            padding: Padding::Same,
            stride: [2, 2],
            dilation: [1, 1],
            act: Activation::Relu6,
        }),
        &[Some(x[0]), Some(w1), Some(b1)],
    );
    let dw = b.f32("dw", &[1, 3, 3, 8], &r.normals(72, 0.4));
    let db = b.f32("db", &[8], &r.normals(8, 0.1));
    let c2 = b.op(
        "dw1",
        Op::DepthwiseConv2d(DepthwiseConv2d {
            padding: Padding::Same,
            stride: [1, 1],
            dilation: [1, 1],
            depth_multiplier: 1,
            act: Activation::Relu6,
        }),
        &[Some(c1), Some(dw), Some(db)],
    );
    let add = b.op(
        "res",
        Op::Binary(Binary {
            kind: BinaryKind::Add,
            act: Activation::None,
        }),
        &[Some(c1), Some(c2)],
    );
    let ax = b.i32("axes", &[2], &[1, 2]);
    let m = b.op(
        "gap",
        Op::Reduce(Reduce {
            kind: ReduceKind::Mean,
            keep_dims: false,
        }),
        &[Some(add), Some(ax)],
    );
    let fw = b.f32("fw", &[10, 8], &r.normals(80, 0.5));
    let fb = b.f32("fb", &[10], &r.normals(10, 0.1));
    let fc = b.op(
        "fc",
        Op::FullyConnected(FullyConnected {
            act: Activation::None,
            keep_num_dims: false,
            asymmetric_quantize_inputs: false,
        }),
        &[Some(m), Some(fw), Some(fb)],
    );
    let prob = b.op("prob", Op::Softmax { beta: 1.0 }, &[Some(fc)]);
    if with_logits {
        vec![prob, fc]
    } else {
        vec![prob]
    }
}
