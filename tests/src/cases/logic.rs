//! Logic-family cases: element-wise math of one input (with the values LiteRT defines at the
//! edges: zeros, infinities, NaN, rounding ties), binary math, comparisons and logic with
//! broadcasts, ADD_N, SELECT / SELECT_V2 and empty tensors. Inputs stay f32 (the int8 suite
//! quantizes every case); integer and boolean operands are made inside the graph by CAST and by
//! comparisons.

use pocket_engine::ir::*;

use super::Cases;
use crate::{Builder, Rng};

/// Values with defined edge behaviour, written over the first elements of an input.
const SPECIALS: [f32; 12] = [
    0.0,
    -0.0,
    0.5,
    -0.5,
    1.5,
    2.5,
    -2.5,
    f32::INFINITY,
    f32::NEG_INFINITY,
    f32::NAN,
    1e-30,
    -7.0,
];

fn math(k: MathKind) -> Op {
    Op::Math(k)
}

fn bin(k: MathBinKind) -> Op {
    Op::MathBin(k)
}

/// A constant 0 to compare with.
fn zero(b: &mut Builder) -> TensorId {
    b.f32("zero", &[], &[0.0])
}

impl Cases {
    /// A case whose first input begins with `specials` (the rest uniform in [lo, hi)).
    fn add_special(
        &mut self,
        name: String,
        (lo, hi): (f32, f32),
        specials: &[f32],
        build: impl FnOnce(&mut Builder, &mut Rng, &[TensorId]) -> Vec<TensorId>,
        inputs: &[&[usize]],
    ) {
        self.add(name, lo, hi, build, inputs);
        if let Some(case) = self.out.last_mut()
            && let Some(Value {
                data: Data::F32(v), ..
            }) = case.inputs.first_mut()
        {
            v.iter_mut().zip(specials).for_each(|(x, &s)| *x = s);
        }
    }
}

pub(super) fn logic_cases(c: &mut Cases) {
    unary_cases(c);
    binary_cases(c);
    compare_cases(c);
    select_cases(c);
}

fn unary_cases(c: &mut Cases) {
    use MathKind as M;
    // (kind, range, edge values LiteRT's float kernel defines the same way we do)
    let all: &[f32] = &SPECIALS;
    let finite: &[f32] = &[0.0, -0.0, 0.5, -0.5, 1.5, 2.5, -2.5, 3.5, -7.0, 1e-30];
    let kinds: [(MathKind, (f32, f32), &[f32]); 14] = [
        (M::Abs, (-4.0, 4.0), all),
        (M::Neg, (-4.0, 4.0), all),
        (M::Square, (-4.0, 4.0), all),
        (
            M::Log,
            (0.01, 8.0),
            // Not +inf or NaN: LiteRT's default path (XNNPACK's vectorized log) maps them to
            // ~88.4 and ~88.8; its reference kernel and we give inf and NaN.
            &[0.0, 1.0, 1e-30, -1.0, 1e30],
        ),
        (M::Floor, (-4.0, 4.0), all),
        (M::Ceil, (-4.0, 4.0), all),
        (M::Round, (-4.0, 4.0), all),
        (M::Sign, (-4.0, 4.0), finite),
        (M::Sin, (-6.0, 6.0), finite),
        (M::Cos, (-6.0, 6.0), finite),
        (M::Elu, (-5.0, 3.0), finite),
        (M::Relu0To1, (-1.5, 1.5), finite),
        (M::Gelu { approximate: false }, (-5.0, 5.0), finite),
        (M::Gelu { approximate: true }, (-5.0, 5.0), finite),
    ];
    let shapes: [&[usize]; 3] = [&[2, 5, 7], &[1, 4, 4, 3], &[37]];
    for (i, (k, range, sp)) in kinds.into_iter().enumerate() {
        let op = math(k);
        let tag = match k {
            M::Gelu { approximate: true } => "gelu_tanh".to_string(),
            _ => op.name().to_lowercase(),
        };
        c.add_special(
            tag.clone(),
            range,
            sp,
            |b, _, x| vec![b.op("u", op.clone(), &[Some(x[0])])],
            &[shapes[i % 3]],
        );
        // A second shape without edge values, for the int8 suite's calibration range.
        c.add(
            format!("{tag}_plain"),
            range.0,
            range.1,
            |b, _, x| vec![b.op("u", op, &[Some(x[0])])],
            &[shapes[(i + 1) % 3]],
        );
    }
    // Empty tensors run (and give empty outputs) like LiteRT's.
    c.add(
        "abs_empty".into(),
        -1.0,
        1.0,
        |b, _, x| vec![b.op("u", math(M::Abs), &[Some(x[0])])],
        &[&[0, 3]],
    );
    // Integer forms: ABS, NEG, SIGN on int32 made by CAST (LiteRT's SQUARE is float only).
    for k in [M::Abs, M::Neg, M::Sign] {
        c.add(
            format!("{}_int32", math(k).name().to_lowercase()),
            -20.0,
            20.0,
            |b, _, x| {
                let i = b.op_typed("cast", Op::Cast, &[Some(x[0])], &[DType::I32]);
                vec![b.op("u", math(k), &[Some(i)])]
            },
            &[&[3, 7]],
        );
    }
    // LOGICAL_NOT of a comparison.
    c.add(
        "logical_not".into(),
        -1.0,
        1.0,
        |b, _, x| {
            let z = zero(b);
            let p = b.op("lt", Op::Compare(CompareKind::Less), &[Some(x[0]), Some(z)]);
            vec![b.op("not", math(M::LogicalNot), &[Some(p)])]
        },
        &[&[2, 3, 4]],
    );
}

fn binary_cases(c: &mut Cases) {
    use MathBinKind as B;
    let shapes: [(&[usize], &[usize]); 3] = [
        (&[2, 3, 4], &[2, 3, 4]),
        (&[2, 1, 5], &[1, 4, 1]),
        (&[1, 3, 3, 2], &[2]),
    ];
    for (si, &(a, bs)) in shapes.iter().enumerate() {
        // POW: positive bases, any exponent.
        c.add(
            format!("pow_{si}"),
            0.1,
            3.0,
            |b, _, x| vec![b.op("pow", bin(B::Pow), &[Some(x[0]), Some(x[1])])],
            &[a, bs],
        );
        // FLOOR_DIV / FLOOR_MOD of mixed signs (the divisor kept away from 0).
        for k in [B::FloorDiv, B::FloorMod] {
            c.add(
                format!("{}_{si}", bin(k).name().to_lowercase()),
                -6.0,
                6.0,
                |b, _, x| {
                    let h = b.f32("half", &[], &[0.5]);
                    let s = b.op("sign", math(MathKind::Sign), &[Some(x[1])]);
                    let off = b.op(
                        "off",
                        Op::Binary(Binary {
                            kind: BinaryKind::Mul,
                            act: Activation::None,
                        }),
                        &[Some(s), Some(h)],
                    );
                    let d = b.op(
                        "d",
                        Op::Binary(Binary {
                            kind: BinaryKind::Add,
                            act: Activation::None,
                        }),
                        &[Some(x[1]), Some(off)],
                    );
                    vec![b.op("op", bin(k), &[Some(x[0]), Some(d)])]
                },
                &[a, bs],
            );
            // The int32 form: both operands CAST, the divisor made odd (never 0).
            c.add(
                format!("{}_int32_{si}", bin(k).name().to_lowercase()),
                -9.0,
                9.0,
                |b, _, x| {
                    let p = b.op_typed("cx", Op::Cast, &[Some(x[0])], &[DType::I32]);
                    let q = b.op_typed("cy", Op::Cast, &[Some(x[1])], &[DType::I32]);
                    let two = b.i32("two", &[], &[2]);
                    let one = b.i32("one", &[], &[1]);
                    let mul = Op::Binary(Binary {
                        kind: BinaryKind::Mul,
                        act: Activation::None,
                    });
                    let add = Op::Binary(Binary {
                        kind: BinaryKind::Add,
                        act: Activation::None,
                    });
                    let q2 = b.op("q2", mul, &[Some(q), Some(two)]);
                    let odd = b.op("odd", add, &[Some(q2), Some(one)]);
                    vec![b.op("op", bin(k), &[Some(p), Some(odd)])]
                },
                &[a, bs],
            );
        }
        // ATAN2 does not broadcast in LiteRT: both operands of the first shape.
        c.add(
            format!("atan2_{si}"),
            -3.0,
            3.0,
            |b, _, x| vec![b.op("atan2", bin(B::Atan2), &[Some(x[0]), Some(x[1])])],
            &[a, a],
        );
    }
    // ATAN2 at the axes (signed zeros, infinities).
    c.add_special(
        "atan2_edges".into(),
        (-2.0, 2.0),
        &[
            0.0,
            -0.0,
            0.0,
            -0.0,
            1.0,
            -1.0,
            f32::INFINITY,
            f32::NEG_INFINITY,
        ],
        |b, _, x| {
            let y = b.f32("y", &[8], &[0.0, 0.0, -0.0, -0.0, 0.0, -0.0, 1.0, 1.0]);
            vec![b.op("atan2", bin(B::Atan2), &[Some(y), Some(x[0])])]
        },
        &[&[8]],
    );
    // Integer POW (non-negative exponents).
    c.add(
        "pow_int32".into(),
        0.0,
        4.0,
        |b, _, x| {
            let p = b.op_typed("cx", Op::Cast, &[Some(x[0])], &[DType::I32]);
            let e = b.i32("e", &[3], &[0, 2, 3]);
            vec![b.op("pow", bin(B::Pow), &[Some(p), Some(e)])]
        },
        &[&[2, 3]],
    );
    // ADD_N of 2, 3 and 4 inputs, and of int32.
    for n in 2..=4usize {
        let shapes: Vec<&[usize]> = vec![&[2, 3, 5]; n];
        c.add(
            format!("add_n_{n}"),
            -2.0,
            2.0,
            |b, _, x| {
                let ins: Vec<Option<TensorId>> = x.iter().map(|&t| Some(t)).collect();
                vec![b.op("add_n", Op::AddN, &ins)]
            },
            &shapes,
        );
    }
    c.add(
        "add_n_int32".into(),
        -100.0,
        100.0,
        |b, _, x| {
            let p = b.op_typed("cx", Op::Cast, &[Some(x[0])], &[DType::I32]);
            let q = b.op_typed("cy", Op::Cast, &[Some(x[1])], &[DType::I32]);
            vec![b.op("add_n", Op::AddN, &[Some(p), Some(q), Some(p)])]
        },
        &[&[4, 3], &[4, 3]],
    );
    // LOGICAL_AND / LOGICAL_OR of comparisons, broadcasting.
    for k in [B::LogicalAnd, B::LogicalOr] {
        c.add(
            bin(k).name().to_lowercase(),
            -1.0,
            1.0,
            |b, _, x| {
                let z = zero(b);
                let p = b.op("p", Op::Compare(CompareKind::Less), &[Some(x[0]), Some(z)]);
                let q = b.op(
                    "q",
                    Op::Compare(CompareKind::Greater),
                    &[Some(x[1]), Some(z)],
                );
                vec![b.op("op", bin(k), &[Some(p), Some(q)])]
            },
            &[&[2, 1, 4], &[3, 1]],
        );
    }
}

fn compare_cases(c: &mut Cases) {
    use CompareKind as C;
    let kinds = [
        C::Equal,
        C::NotEqual,
        C::Less,
        C::LessEqual,
        C::Greater,
        C::GreaterEqual,
    ];
    let shapes: [(&[usize], &[usize]); 3] = [
        (&[2, 3, 4], &[2, 3, 4]),
        (&[1, 4, 4, 3], &[3]),
        (&[2, 1, 5], &[1, 4, 1]),
    ];
    for (ki, &k) in kinds.iter().enumerate() {
        let name = Op::Compare(k).name().to_lowercase();
        for (si, &(a, bs)) in shapes.iter().enumerate() {
            // Floats on a coarse grid, so that equal pairs occur.
            c.add(
                format!("{name}_{si}"),
                -2.0,
                2.0,
                |b, _, x| {
                    let r = |b: &mut Builder, t: TensorId, nm: &str| {
                        b.op(nm, math(MathKind::Round), &[Some(t)])
                    };
                    let (p, q) = (r(b, x[0], "rx"), r(b, x[1], "ry"));
                    vec![b.op("cmp", Op::Compare(k), &[Some(p), Some(q)])]
                },
                &[a, bs],
            );
        }
        // Raw floats (the int8 suite's form: each input rescaled by its own parameters).
        c.add(
            format!("{name}_raw"),
            -1.0,
            1.0,
            |b, _, x| vec![b.op("cmp", Op::Compare(k), &[Some(x[0]), Some(x[1])])],
            &[&[3, 4], &[4]],
        );
        // With a constant operand.
        c.add(
            format!("{name}_const"),
            -1.0,
            1.0,
            |b, _, x| {
                let t = b.f32("t", &[], &[0.25]);
                vec![b.op("cmp", Op::Compare(k), &[Some(x[0]), Some(t)])]
            },
            &[&[2, 6]],
        );
        // NaN and infinities against finite values.
        c.add_special(
            format!("{name}_nan"),
            (-2.0, 2.0),
            &SPECIALS,
            |b, _, x| {
                let t = b.f32("t", &[], &[0.5]);
                vec![b.op("cmp", Op::Compare(k), &[Some(x[0]), Some(t)])]
            },
            &[&[16]],
        );
        // int32 and int64 operands.
        let dt = if ki % 2 == 0 { DType::I32 } else { DType::I64 };
        c.add(
            format!("{name}_{}", dt.name()),
            -3.0,
            3.0,
            |b, _, x| {
                let p = b.op_typed("cx", Op::Cast, &[Some(x[0])], &[dt]);
                let q = b.op_typed("cy", Op::Cast, &[Some(x[1])], &[dt]);
                vec![b.op("cmp", Op::Compare(k), &[Some(p), Some(q)])]
            },
            &[&[2, 5], &[5]],
        );
    }
    // Booleans compare equal / not equal (XOR).
    for k in [C::Equal, C::NotEqual] {
        c.add(
            format!("{}_bool", Op::Compare(k).name().to_lowercase()),
            -1.0,
            1.0,
            |b, _, x| {
                let z = zero(b);
                let p = b.op("p", Op::Compare(C::Less), &[Some(x[0]), Some(z)]);
                let q = b.op("q", Op::Compare(C::Less), &[Some(x[1]), Some(z)]);
                vec![b.op("cmp", Op::Compare(k), &[Some(p), Some(q)])]
            },
            &[&[3, 4], &[3, 4]],
        );
    }
    c.add(
        "greater_empty".into(),
        -1.0,
        1.0,
        |b, _, x| vec![b.op("cmp", Op::Compare(C::Greater), &[Some(x[0]), Some(x[1])])],
        &[&[2, 0], &[1]],
    );
}

fn select_cases(c: &mut Cases) {
    // SELECT_V2 broadcasting condition, x and y.
    let v2_shapes: [(&[usize], &[usize], &[usize]); 3] = [
        (&[2, 3, 4], &[2, 3, 4], &[2, 3, 4]),
        (&[3, 1], &[1, 4], &[3, 4]),
        (&[1, 4, 4, 1], &[1, 4, 4, 3], &[3]),
    ];
    for (si, &(cs, xs, ys)) in v2_shapes.iter().enumerate() {
        c.add(
            format!("select_v2_{si}"),
            -2.0,
            2.0,
            |b, _, x| {
                let z = zero(b);
                let p = b.op(
                    "p",
                    Op::Compare(CompareKind::Greater),
                    &[Some(x[0]), Some(z)],
                );
                vec![b.op(
                    "sel",
                    Op::Select { v2: true },
                    &[Some(p), Some(x[1]), Some(x[2])],
                )]
            },
            &[cs, xs, ys],
        );
    }
    // SELECT: a condition of the inputs' shape, and a vector over the first axis.
    let v1_shapes: [(&[usize], &[usize]); 2] = [(&[2, 3, 4], &[2, 3, 4]), (&[3], &[3, 2, 2])];
    for (si, &(cs, xs)) in v1_shapes.iter().enumerate() {
        c.add(
            format!("select_{si}"),
            -2.0,
            2.0,
            |b, _, x| {
                let z = zero(b);
                let p = b.op("p", Op::Compare(CompareKind::Less), &[Some(x[0]), Some(z)]);
                vec![b.op(
                    "sel",
                    Op::Select { v2: false },
                    &[Some(p), Some(x[1]), Some(x[2])],
                )]
            },
            &[cs, xs, xs],
        );
    }
    // SELECT_V2 on int32 values.
    c.add(
        "select_v2_int32".into(),
        -50.0,
        50.0,
        |b, _, x| {
            let z = zero(b);
            let p = b.op("p", Op::Compare(CompareKind::Less), &[Some(x[0]), Some(z)]);
            let i = b.op_typed("ci", Op::Cast, &[Some(x[0])], &[DType::I32]);
            let k = b.i32("k", &[], &[7]);
            vec![b.op("sel", Op::Select { v2: true }, &[Some(p), Some(i), Some(k)])]
        },
        &[&[2, 6]],
    );
}
