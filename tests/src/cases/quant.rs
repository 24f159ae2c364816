//! Cases with quantized edges (QUANTIZE / DEQUANTIZE, float16 weights) and the
//! dynamic-range suite (`hybrid`).

use pocket_engine::ir::*;

use super::{Case, Cases};
use crate::{Builder, Rng};

pub(super) fn quant_cases(c: &mut Cases) {
    // QUANTIZE / DEQUANTIZE at graph edges: a float model whose input is int8.
    let mut b = Builder::new();
    let mut x = Tensor::new("in_q", DType::I8, vec![1, 4, 4, 3]);
    x.quant = Some(QuantParams::per_tensor(0.05, 3));
    let xi = b.g.add_tensor(x);
    b.g.inputs.push(xi);
    let f = b.op("deq", Op::Dequantize, &[Some(xi)]);
    let r = b.op("relu", Op::Unary(UnaryKind::Relu), &[Some(f)]);
    let qo = b.g.add_tensor(Tensor {
        quant: Some(QuantParams::per_tensor(0.02, -10)),
        ..Tensor::new("out_q", DType::I8, vec![1, 4, 4, 3])
    });
    b.g.add_node(Node {
        name: "quant".into(),
        op: Op::Quantize,
        inputs: vec![Some(r)],
        outputs: vec![qo],
        version: None,
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let inputs = vec![Value::new(
        vec![1, 4, 4, 3],
        Data::I8(
            (0..48)
                .map(|_| (c.rng.next_u64() % 256) as u8 as i8)
                .collect(),
        ),
    )];
    c.out.push(Case {
        name: "quantize_dequantize_edges".into(),
        graph: b.finish(&[qo]),
        inputs,
    });
    // fp16 weights behind DEQUANTIZE, as the TFLite converter writes float16 models.
    c.add(
        "conv_fp16_weights".into(),
        -1.0,
        1.0,
        |b, r, x| {
            let w: Vec<u8> = r
                .normals(4 * 3 * 3 * 3, 0.5)
                .iter()
                .flat_map(|&v| half::f16::from_f32(v).to_le_bytes())
                .collect();
            let w16 = b.raw("w_fp16", DType::F16, &[4, 3, 3, 3], w);
            let wf = b.op("w_deq", Op::Dequantize, &[Some(w16)]);
            let bs = b.f32("b", &[4], &r.normals(4, 0.1));
            vec![b.op(
                "conv",
                Op::Conv2d(Conv2d {
                    padding: Padding::Same,
                    stride: [1, 1],
                    dilation: [1, 1],
                    act: Activation::Relu,
                }),
                &[Some(x[0]), Some(wf), Some(bs)],
            )]
        },
        &[&[1, 6, 6, 3]],
    );
}

/// Models whose weights are large enough (≥ 1024 elements) for dynamic-range quantization.
pub fn hybrid() -> Vec<Case> {
    let mut c = Cases {
        rng: Rng::new(77),
        out: Vec::new(),
    };
    c.add(
        "hybrid_conv".into(),
        -1.0,
        2.0,
        |b, r, x| {
            let w = b.f32("w", &[32, 3, 3, 16], &r.normals(32 * 9 * 16, 0.3));
            let bs = b.f32("b", &[32], &r.normals(32, 0.1));
            vec![b.op(
                "conv",
                Op::Conv2d(Conv2d {
                    padding: Padding::Same,
                    stride: [2, 2],
                    dilation: [1, 1],
                    act: Activation::Relu,
                }),
                &[Some(x[0]), Some(w), Some(bs)],
            )]
        },
        &[&[1, 9, 9, 16]],
    );
    c.add(
        "hybrid_conv_1x1".into(),
        -1.0,
        1.0,
        |b, r, x| {
            let w = b.f32("w", &[96, 1, 1, 16], &r.normals(96 * 16, 0.3));
            let bs = b.f32("b", &[96], &r.normals(96, 0.1));
            vec![b.op(
                "conv",
                Op::Conv2d(Conv2d {
                    padding: Padding::Same,
                    stride: [1, 1],
                    dilation: [1, 1],
                    act: Activation::Relu6,
                }),
                &[Some(x[0]), Some(w), Some(bs)],
            )]
        },
        &[&[1, 12, 12, 16]],
    );
    // Input codes on a rounding tie: with max 6 and min 0 (scale 6/255, zero point -128),
    // 0.6/scale = 25.500002 but -128 + 25.500002 is -102.5 in f32; LiteRT rounds before adding
    // the zero point (-102), rounding after gives -103 and a 1e-3 error on every output.
    c.add_isolated(
        "hybrid_conv_1x1_rounding_tie".into(),
        0.0,
        1.0,
        |b, r, x| {
            let w = b.f32("w", &[96, 1, 1, 16], &r.normals(96 * 16, 0.3));
            let bs = b.f32("b", &[96], &[0.0; 96]);
            vec![b.op(
                "conv",
                Op::Conv2d(Conv2d {
                    padding: Padding::Valid,
                    stride: [1, 1],
                    dilation: [1, 1],
                    act: Activation::None,
                }),
                &[Some(x[0]), Some(w), Some(bs)],
            )]
        },
        &[&[1, 2, 2, 16]],
    );
    if let Some(case) = c.out.last_mut() {
        let mut v = vec![0.6f32; 64];
        v[0] = 6.0;
        v[1] = 0.0;
        case.inputs = vec![Value::f32(vec![1, 2, 2, 16], v)];
    }
    c.add(
        "hybrid_depthwise".into(),
        -1.0,
        2.0,
        |b, r, x| {
            let w = b.f32("w", &[1, 5, 5, 64], &r.normals(25 * 64, 0.3));
            let bs = b.f32("b", &[64], &r.normals(64, 0.1));
            vec![b.op(
                "dw",
                Op::DepthwiseConv2d(DepthwiseConv2d {
                    padding: Padding::Same,
                    stride: [1, 1],
                    dilation: [1, 1],
                    depth_multiplier: 1,
                    act: Activation::None,
                }),
                &[Some(x[0]), Some(w), Some(bs)],
            )]
        },
        &[&[1, 7, 7, 64]],
    );
    c.add(
        "hybrid_fully_connected".into(),
        -1.0,
        2.0,
        |b, r, x| {
            let w = b.f32("w", &[32, 64], &r.normals(32 * 64, 0.3));
            let bs = b.f32("b", &[32], &r.normals(32, 0.1));
            vec![b.op(
                "fc",
                Op::FullyConnected(FullyConnected {
                    act: Activation::None,
                    keep_num_dims: false,
                    asymmetric_quantize_inputs: false,
                }),
                &[Some(x[0]), Some(w), Some(bs)],
            )]
        },
        &[&[3, 64]],
    );
    // BATCH_MATMUL with a constant rhs: one scale for the rhs, each lhs row quantized alone;
    // plain, and transposed operands with batched weights and asymmetric inputs.
    for (name, xs, ws, adj_x, adj_y, asym) in [
        (
            "hybrid_batch_matmul",
            vec![1, 6, 64],
            vec![64, 48],
            false,
            false,
            false,
        ),
        (
            "hybrid_batch_matmul_adj_asym",
            vec![2, 32, 5],
            vec![2, 48, 32],
            true,
            true,
            true,
        ),
    ] {
        c.add(
            name.into(),
            -1.0,
            2.0,
            |b, r, x| {
                let n = ws.iter().product();
                let w = b.f32("w", &ws, &r.normals(n, 0.3));
                vec![b.op(
                    "bmm",
                    Op::BatchMatMul(BatchMatMul {
                        adj_x,
                        adj_y,
                        asymmetric_quantize_inputs: asym,
                    }),
                    &[Some(x[0]), Some(w)],
                )]
            },
            &[&xs],
        );
    }
    // Hybrid RNNs: int8 input and recurrent weights (per tensor), float bias and state; one
    // step, and a batch-major sequence with asymmetric inputs.
    for (name, seq, act, asym, shape) in [
        ("hybrid_rnn", false, Activation::Tanh, false, vec![2, 64]),
        (
            "hybrid_sequence_rnn_asym",
            true,
            Activation::Relu,
            true,
            vec![2, 4, 64],
        ),
    ] {
        let (n_in, units) = (64, 32);
        c.add(
            name.into(),
            -1.0,
            1.0,
            |b, r, x| {
                let w = b.f32("w", &[units, n_in], &r.normals(units * n_in, 0.2));
                let rw = b.f32("r", &[units, units], &r.normals(units * units, 0.2));
                let bias = b.f32("b", &[units], &r.normals(units, 0.2));
                let h = super::sequence::state(b, "h", &[2, units]);
                let o = RnnOptions {
                    act,
                    time_major: false,
                    asymmetric_quantize_inputs: asym,
                };
                let op = Op::Sequence(if seq {
                    SeqOp::UnidirectionalRnn(o)
                } else {
                    SeqOp::Rnn(o)
                });
                vec![b.op(
                    "rnn",
                    op,
                    &[Some(x[0]), Some(w), Some(rw), Some(bias), Some(h)],
                )]
            },
            &[&shape],
        );
    }
    // Hybrid SVDF (keyword spotters' layer): int8 feature and time weights; rank 1 with bias,
    // rank 2 with asymmetric inputs and no bias.
    for (name, rank, bias, asym) in [
        ("hybrid_svdf_rank1", 1, true, false),
        ("hybrid_svdf_rank2_asym", 2, false, true),
    ] {
        let (batch, n_in, filters, memory) = (2, 64, 32, 8);
        let units = filters / rank;
        c.add(
            name.into(),
            -1.0,
            1.0,
            |b, r, x| {
                let wf = b.f32("wf", &[filters, n_in], &r.normals(filters * n_in, 0.2));
                let wt = b.f32("wt", &[filters, memory], &r.normals(filters * memory, 0.3));
                let bs = bias.then(|| b.f32("b", &[units], &r.normals(units, 0.2)));
                let st = super::sequence::state(b, "state", &[batch, filters * memory]);
                let op = Op::Sequence(SeqOp::Svdf {
                    rank,
                    act: Activation::Relu,
                    asymmetric_quantize_inputs: asym,
                });
                vec![b.op("svdf", op, &[Some(x[0]), Some(wf), Some(wt), bs, Some(st)])]
            },
            &[&[batch, n_in]],
        );
    }
    super::grouped_conv::hybrid_cases(&mut c);
    c.out
}
