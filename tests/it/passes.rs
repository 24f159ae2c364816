//! Every graph pass preserves outputs (differential tests on every model of the op suite and
//! on graphs built to contain each pattern), and actually fires on its pattern.

use pocket_engine::ir::*;
use pocket_engine::passes;
use pocket_engine::{Session, SessionOptions};
use pocket_tests::{Builder, Rng, cases};

type Pass = fn(&mut Graph) -> pocket_engine::Result<bool>;

fn run(g: &Graph, inputs: &[Value]) -> Vec<Value> {
    Session::new(
        g,
        &SessionOptions {
            threads: 1,
            ..Default::default()
        },
    )
    .and_then(|s| s.run(inputs.to_vec()))
    .unwrap_or_else(|e| panic!("{e}"))
}

fn same(a: &[Value], b: &[Value], what: &str) {
    assert_eq!(a.len(), b.len(), "{what}: output count");
    for (x, y) in a.iter().zip(b) {
        assert_eq!(x.shape, y.shape, "{what}");
        for (p, q) in x.data.to_f64().iter().zip(y.data.to_f64()) {
            // Equal values (infinities included) and NaN on both sides agree.
            assert!(
                *p == q || (p.is_nan() && q.is_nan()) || (p - q).abs() <= 1e-5 * q.abs().max(1.0),
                "{what}: {p} vs {q}"
            );
        }
    }
}

fn all_passes() -> Vec<(&'static str, Pass)> {
    vec![
        ("fold_constants", passes::fold_constants::run),
        ("dead", passes::dead::run),
        ("fold_batchnorm", passes::fold_batchnorm::run),
        ("fuse_activation", passes::fuse_activation::run),
        ("optimize", |g| passes::optimize(g).map(|_| true)),
    ]
}

#[test]
fn every_pass_preserves_every_suite_model() {
    for c in cases::all() {
        let before = run(&c.graph, &c.inputs);
        for (name, pass) in all_passes() {
            let mut g = c.graph.clone();
            pass(&mut g).unwrap_or_else(|e| panic!("{name} on {}: {e}", c.name));
            same(
                &before,
                &run(&g, &c.inputs),
                &format!("{name} on {}", c.name),
            );
        }
    }
}

/// conv -> MUL(per-channel) -> ADD(per-channel) -> RELU6, plus a dead branch, an identity
/// reshape and a constant computation.
fn pattern_graph() -> (Graph, Vec<Value>) {
    let mut r = Rng::new(3);
    let mut b = Builder::new();
    let x = b.input("x", DType::F32, &[1, 6, 6, 3]);
    let w = b.f32("w", &[4, 3, 3, 3], &r.normals(108, 0.5));
    let bias = b.f32("b", &[4], &r.normals(4, 0.1));
    let c = b.op(
        "conv",
        Op::Conv2d(Conv2d {
            padding: Padding::Same,
            stride: [1, 1],
            dilation: [1, 1],
            act: Activation::None,
        }),
        &[Some(x), Some(w), Some(bias)],
    );
    let gamma = b.f32("gamma", &[4], &r.vec(4, 0.5, 1.5));
    let m = b.op(
        "bn_mul",
        Op::Binary(Binary {
            kind: BinaryKind::Mul,
            act: Activation::None,
        }),
        &[Some(c), Some(gamma)],
    );
    let beta = b.f32("beta", &[1, 1, 1, 4], &r.normals(4, 0.2));
    let a = b.op(
        "bn_add",
        Op::Binary(Binary {
            kind: BinaryKind::Add,
            act: Activation::None,
        }),
        &[Some(m), Some(beta)],
    );
    let relu = b.op("relu6", Op::Unary(UnaryKind::Relu6), &[Some(a)]);
    let _dead = b.op("dead_tanh", Op::Unary(UnaryKind::Tanh), &[Some(relu)]);
    let c1 = b.f32("c1", &[4], &r.normals(4, 1.0));
    let c2 = b.f32("c2", &[4], &r.normals(4, 1.0));
    let k = b.op(
        "const_mul",
        Op::Binary(Binary {
            kind: BinaryKind::Mul,
            act: Activation::None,
        }),
        &[Some(c1), Some(c2)],
    );
    let shifted = b.op(
        "shift",
        Op::Binary(Binary {
            kind: BinaryKind::Add,
            act: Activation::None,
        }),
        &[Some(relu), Some(k)],
    );
    let keep = b.i32("keep", &[4], &[1, 6, 6, 4]);
    let rs = b.op(
        "noop_reshape",
        Op::Reshape { new_shape: None },
        &[Some(shifted), Some(keep)],
    );
    let g = b.finish(&[rs]);
    (g, vec![Value::f32(vec![1, 6, 6, 3], r.vec(108, -1.0, 1.0))])
}

#[test]
fn passes_fire_on_their_patterns() {
    let (g, inputs) = pattern_graph();
    let before = run(&g, &inputs);
    let count = |g: &Graph, name: &str| g.nodes.iter().filter(|n| n.op.name() == name).count();
    for (name, pass) in all_passes() {
        let mut h = g.clone();
        assert!(pass(&mut h).expect("pass"), "{name} did not fire");
        same(&before, &run(&h, &inputs), name);
        match name {
            "fold_constants" => assert_eq!(count(&h, "MUL"), 1, "the shape MUL is folded"),
            "dead" => assert!(count(&h, "TANH") == 0 && count(&h, "RESHAPE") == 0),
            "fold_batchnorm" => assert_eq!(
                (count(&h, "MUL"), count(&h, "ADD")),
                (1, 1),
                "BN MUL and ADD folded, the others stay"
            ),
            "fuse_activation" => assert_eq!(count(&h, "RELU6"), 0),
            _ => {}
        }
    }
    let mut h = g.clone();
    passes::optimize(&mut h).expect("optimize");
    assert_eq!(
        h.nodes.iter().map(|n| n.op.name()).collect::<Vec<_>>(),
        vec!["CONV_2D", "ADD"]
    );
    same(&before, &run(&h, &inputs), "optimize");
}
