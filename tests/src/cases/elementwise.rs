//! Element-wise cases: binary ops with broadcasts and fused activations, unary activations,
//! softmax, casts and arg-max.

use pocket_engine::ir::*;

use super::{ACTS, Cases, act_name};
use crate::{Builder, Rng};

pub(super) fn elementwise_cases(c: &mut Cases) {
    let kinds = [
        BinaryKind::Add,
        BinaryKind::Sub,
        BinaryKind::Mul,
        BinaryKind::Div,
        BinaryKind::SquaredDifference,
        BinaryKind::Minimum,
        BinaryKind::Maximum,
    ];
    let shapes: [(&[usize], &[usize]); 4] = [
        (&[2, 3, 4], &[2, 3, 4]),
        (&[1, 4, 4, 3], &[3]),
        (&[2, 1, 5], &[1, 4, 1]),
        (&[1, 3, 3, 2], &[1]),
    ];
    for (ki, &k) in kinds.iter().enumerate() {
        for (si, &(a, bs)) in shapes.iter().enumerate() {
            let act = if matches!(
                k,
                BinaryKind::Add | BinaryKind::Sub | BinaryKind::Mul | BinaryKind::Div
            ) {
                ACTS[(ki + si) % 4]
            } else {
                Activation::None
            };
            let (lo, hi) = if k == BinaryKind::Div {
                (0.5, 2.0)
            } else {
                (-2.0, 2.0)
            };
            let name = format!(
                "{}_{si}_{}",
                Op::Binary(Binary { kind: k, act }).name().to_lowercase(),
                act_name(act)
            );
            c.add(
                name,
                lo,
                hi,
                |b, _, x| {
                    vec![b.op(
                        "bin",
                        Op::Binary(Binary { kind: k, act }),
                        &[Some(x[0]), Some(x[1])],
                    )]
                },
                &[a, bs],
            );
        }
    }
    // A constant operand, as real models have.
    c.add(
        "add_const_bias".into(),
        -1.0,
        1.0,
        |b, r, x| {
            let k = b.f32("k", &[1, 1, 1, 4], &r.normals(4, 1.0));
            vec![b.op(
                "add",
                Op::Binary(Binary {
                    kind: BinaryKind::Add,
                    act: Activation::None,
                }),
                &[Some(x[0]), Some(k)],
            )]
        },
        &[&[1, 3, 3, 4]],
    );
    let unary = [
        UnaryKind::Logistic,
        UnaryKind::Tanh,
        UnaryKind::Relu,
        UnaryKind::Relu6,
        UnaryKind::ReluN1To1,
        UnaryKind::HardSwish,
        UnaryKind::Rsqrt,
        UnaryKind::Sqrt,
        UnaryKind::Exp,
    ];
    for u in unary {
        let (lo, hi) = match u {
            UnaryKind::Rsqrt | UnaryKind::Sqrt => (0.05, 4.0),
            UnaryKind::Relu6 | UnaryKind::HardSwish => (-8.0, 8.0),
            _ => (-3.0, 3.0),
        };
        c.add(
            Op::Unary(u).name().to_lowercase(),
            lo,
            hi,
            |b, _, x| vec![b.op("u", Op::Unary(u), &[Some(x[0])])],
            &[&[2, 5, 7]],
        );
    }
    c.add(
        "leaky_relu".into(),
        -2.0,
        2.0,
        |b, _, x| vec![b.op("lr", Op::LeakyRelu { alpha: 0.2 }, &[Some(x[0])])],
        &[&[1, 4, 4, 3]],
    );
    c.add(
        "prelu_channel".into(),
        -2.0,
        2.0,
        |b, r, x| {
            let a = b.f32("alpha", &[1, 1, 3], &r.vec(3, 0.0, 0.5));
            vec![b.op("prelu", Op::Prelu, &[Some(x[0]), Some(a)])]
        },
        &[&[1, 4, 4, 3]],
    );
    // The last: near-equal logits over 1000 classes (an ImageNet head on an unsure input), each
    // probability about a quarter of the int8 output's 1/256 step: LiteRT's default path (a
    // float table) gives -128; its reference kernels abort there (gemmlowp's exponent 33).
    for (i, (shape, beta, range)) in [
        (vec![2, 10], 1.0f32, 4.0f32),
        (vec![1, 3, 7], 0.5, 4.0),
        (vec![4, 1001], 1.0, 4.0),
        (vec![2, 1000], 1.0, 0.3),
    ]
    .into_iter()
    .enumerate()
    {
        let build = |b: &mut Builder, _: &mut Rng, x: &[TensorId]| {
            vec![b.op("sm", Op::Softmax { beta }, &[Some(x[0])])]
        };
        let name = format!("softmax_{i}");
        if i < 3 {
            c.add(name, -range, range, build, &[&shape]);
        } else {
            c.add_isolated(name, -range, range, build, &[&shape]);
        }
    }
    c.add(
        "log_softmax".into(),
        -4.0,
        4.0,
        |b, _, x| vec![b.op("lsm", Op::LogSoftmax, &[Some(x[0])])],
        &[&[3, 9]],
    );
    c.add(
        "cast_f32_i32".into(),
        -50.0,
        50.0,
        |b, _, x| vec![b.op_typed("cast", Op::Cast, &[Some(x[0])], &[DType::I32])],
        &[&[4, 6]],
    );
    c.add(
        "arg_max_i32".into(),
        -1.0,
        1.0,
        |b, _, x| {
            let ax = b.i32("axis", &[1], &[-1]);
            vec![b.op(
                "am",
                Op::ArgMax {
                    output_type: DType::I32,
                },
                &[Some(x[0]), Some(ax)],
            )]
        },
        &[&[3, 4, 10]],
    );
    c.add(
        "arg_max_i64_axis1".into(),
        -1.0,
        1.0,
        |b, _, x| {
            let ax = b.i32("axis", &[1], &[1]);
            vec![b.op(
                "am",
                Op::ArgMax {
                    output_type: DType::I64,
                },
                &[Some(x[0]), Some(ax)],
            )]
        },
        &[&[3, 4, 10]],
    );
}
