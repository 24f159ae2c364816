//! State and control flow: models with resource variables, CALL_ONCE, IF, WHILE and CALL,
//! run step after step through one session and compared with one LiteRT interpreter invoked
//! as many times (int8 bit-exact against its reference kernels); resetting the state; clear
//! errors for a read before any assign and for a subgraph that calls itself.

use pocket_engine::formats::{npy, tflite};
use pocket_engine::ir::*;
use pocket_engine::runtime::{Session, SessionOptions};
use pocket_tests::{Rng, Tolerance, kept_models, oracle, state_models};

use crate::scratch;

fn session(g: &Graph) -> Session {
    Session::new(
        g,
        &SessionOptions {
            threads: 1,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{}", e.chain()))
}

/// Stack per-step values on a new leading axis.
fn stack(vs: &[Value]) -> Value {
    let mut shape = vec![vs.len()];
    shape.extend(&vs[0].shape);
    let data = match &vs[0].data {
        Data::F32(_) => Data::F32(
            vs.iter()
                .flat_map(|v| v.as_f32().unwrap_or(&[]).to_vec())
                .collect(),
        ),
        Data::I8(_) => Data::I8(
            vs.iter()
                .flat_map(|v| match &v.data {
                    Data::I8(x) => x.clone(),
                    _ => Vec::new(),
                })
                .collect(),
        ),
        Data::I32(_) => Data::I32(
            vs.iter()
                .flat_map(|v| match &v.data {
                    Data::I32(x) => x.clone(),
                    _ => Vec::new(),
                })
                .collect(),
        ),
        Data::Bool(_) => Data::Bool(
            vs.iter()
                .flat_map(|v| match &v.data {
                    Data::Bool(x) => x.clone(),
                    _ => Vec::new(),
                })
                .collect(),
        ),
        d => panic!("no stacking for {}", d.dtype()),
    };
    Value::new(shape, data)
}

/// Run `g` for the per-step inputs `steps` (each a full input list) through one session and
/// through one LiteRT interpreter; every output of every step must agree within `tol`
/// (exact for int8 and for float ops whose results are exactly rounded). Returns
/// the number of steps compared, or `None` when the oracle is missing.
fn compare_steps(
    g: &Graph,
    steps: &[Vec<Value>],
    reference: bool,
    tol: Tolerance,
    what: &str,
) -> Option<usize> {
    let _py = oracle::require(oracle::LITERT)?;
    let dir = scratch(&format!("state-{what}"));
    let model = dir.join(format!("{what}.tflite"));
    tflite::write_file(g, &model).unwrap_or_else(|e| panic!("{what}: {}", e.chain()));
    let n = steps.len();
    let inputs: Vec<std::path::PathBuf> = (0..steps[0].len())
        .map(|i| {
            let p = dir.join(format!("in_{i}.npy"));
            let per: Vec<Value> = steps.iter().map(|s| s[i].clone()).collect();
            npy::write(&p, &stack(&per)).expect("write input");
            p
        })
        .collect();
    let job = oracle::Job {
        model: model.clone(),
        inputs,
        out: dir.join("ref"),
        threads: 1,
        reference,
    };
    let refs = oracle::run_steps(&job, n, &dir).unwrap_or_else(|e| panic!("{what}: LiteRT: {e}"));
    // The session reads the file LiteRT read.
    let back = tflite::read_file(&model).unwrap_or_else(|e| panic!("{what}: {}", e.chain()));
    let s = session(&back);
    for (k, (ins, want)) in steps.iter().zip(&refs).enumerate() {
        let got = s
            .run(ins.clone())
            .unwrap_or_else(|e| panic!("{what}: step {k}: {}", e.chain()));
        assert_eq!(got.len(), want.len(), "{what}: step {k}: output count");
        for (i, (a, b)) in got.iter().zip(want).enumerate() {
            assert_eq!(a.dtype(), b.dtype(), "{what}: step {k} output {i} type");
            if let Err(e) = tol.check(a, b) {
                panic!("{what}: step {k} output {i} differs from LiteRT: {e}");
            }
        }
    }
    Some(n)
}

#[test]
fn float_state_with_call_once_and_if_matches_litert_over_steps() {
    let g = kept_models::stateful();
    let mut rng = Rng::new(16);
    let steps: Vec<Vec<Value>> = (0..12)
        .map(|k| {
            vec![
                Value::f32(vec![1, 4], rng.vec(4, -2.0, 2.0)),
                Value::new(vec![1], Data::Bool(vec![k % 3 != 2])),
            ]
        })
        .collect();
    if let Some(n) = compare_steps(&g, &steps, false, Tolerance::EXACT, "stateful") {
        assert_eq!(n, 12);
    }
}

#[test]
fn int8_streaming_state_is_bit_exact_with_litert_reference_over_50_steps() {
    let g = state_models::int8_stream();
    let mut rng = Rng::new(7);
    let steps: Vec<Vec<Value>> = (0..50)
        .map(|_| {
            let x: Vec<i8> = (0..4).map(|_| (rng.next_u64() % 256) as u8 as i8).collect();
            vec![Value::new(vec![1, 1, 4], Data::I8(x))]
        })
        .collect();
    if let Some(n) = compare_steps(&g, &steps, true, Tolerance::EXACT, "int8_stream") {
        assert_eq!(n, 50);
    }
}

#[test]
fn while_loops_match_litert() {
    let g = state_models::while_loop();
    let mut rng = Rng::new(3);
    let steps: Vec<Vec<Value>> = (0..6)
        .map(|k| {
            vec![
                Value::new(vec![1], Data::I32(vec![k])),
                Value::f32(vec![1, 4], rng.vec(4, -1.0, 1.0)),
            ]
        })
        .collect();
    // LOGISTIC differs from LiteRT's by an ulp or so.
    compare_steps(&g, &steps, false, Tolerance::FLOAT, "while");
}

#[test]
fn the_state_carries_across_runs_and_resets() {
    let g = state_models::int8_stream();
    let s = session(&g);
    let x = |v: i8| vec![Value::new(vec![1, 1, 4], Data::I8(vec![v; 4]))];
    let window = |out: &[Value]| match &out[1].data {
        Data::I8(w) => w.clone(),
        d => panic!("window is {}", d.dtype()),
    };
    let first = s.run(x(10)).expect("step 0");
    // CALL_ONCE zeroed the state (at the zero point -3); the frame is appended.
    assert_eq!(
        window(&first),
        [-3, -3, -3, -3, -3, -3, -3, -3, 10, 10, 10, 10]
    );
    let second = s.run(x(20)).expect("step 1");
    assert_eq!(
        window(&second),
        [-3, -3, -3, -3, 10, 10, 10, 10, 20, 20, 20, 20]
    );
    let vars = s.variables();
    assert_eq!(vars.len(), 1);
    assert_eq!(vars[0].0, "stream/states");
    assert_eq!(vars[0].1.shape, [1, 2, 4]);
    // CALL_ONCE does not run again: the third window still holds step 1's frame.
    let third = s.run(x(30)).expect("step 2");
    assert_eq!(&window(&third)[..4], [10; 4]);
    s.reset_state();
    assert!(s.variables().is_empty());
    assert_eq!(s.run(x(10)).expect("after reset"), first);
}

#[test]
fn call_runs_its_subgraph() {
    let mut b = pocket_tests::Builder::new();
    let x = b.input("x", DType::F32, &[1, 4]);
    let add = Op::Binary(Binary {
        kind: BinaryKind::Add,
        act: Activation::None,
    });
    let s = b.op("twice", add, &[Some(x), Some(x)]);
    let y = b.op("y", Op::Unary(UnaryKind::Tanh), &[Some(s)]);
    let callee = b.finish(&[y, s]);
    let g = state_models::call_of(&callee);
    let x = vec![Value::f32(vec![1, 4], vec![1.0, -2.0, 3.5, 0.25])];
    let direct = session(&callee).run(x.clone()).expect("callee alone");
    let called = session(&g).run(x).expect("through CALL");
    assert_eq!(called, direct);
}

#[test]
fn a_read_before_any_assign_and_a_self_call_fail_in_words() {
    let s = session(&state_models::read_before_assign());
    let e = s
        .run(vec![Value::f32(vec![2], vec![1.0, 2.0])])
        .expect_err("nothing was assigned")
        .chain();
    assert!(
        e.contains("variable 'never' is read before any value was assigned"),
        "{e}"
    );
    let s = session(&state_models::self_call());
    let e = s
        .run(vec![Value::f32(vec![2], vec![1.0, 2.0])])
        .expect_err("endless recursion")
        .chain();
    assert!(
        e.contains("calls deep (does a subgraph call itself?)"),
        "{e}"
    );
}
