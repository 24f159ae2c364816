//! Runtime behaviour that the oracle cannot show: observers, progress, cancellation,
//! dynamic batch, input validation.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use pocket_engine::runtime::RunHooks;
use pocket_engine::{Error, Session, SessionOptions, Value};
use pocket_tests::cases;

fn case(name: &str) -> cases::Case {
    cases::all()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case {name}"))
}

#[test]
fn observer_sees_every_node_and_progress_counts() {
    let c = case("multi_conv_pool_fc_softmax");
    let s = Session::new(&c.graph, &SessionOptions { threads: 1 }).expect("session");
    let mut seen = Vec::new();
    let mut obs =
        |i: usize, _: &pocket_engine::Node, outs: &[&Value]| seen.push((i, outs[0].shape.clone()));
    let done = AtomicUsize::new(0);
    let prog = |d: usize, t: usize| {
        assert!(d <= t);
        done.store(d, Ordering::Relaxed);
    };
    let out = s
        .run_with(
            c.inputs.clone(),
            &mut RunHooks {
                observer: Some(&mut obs),
                progress: Some(&prog),
                cancel: None,
            },
        )
        .expect("run");
    assert_eq!(seen.len(), c.graph.nodes.len());
    assert_eq!(done.load(Ordering::Relaxed), c.graph.nodes.len());
    for (i, shape) in &seen {
        assert_eq!(&c.graph.tensors[c.graph.nodes[*i].outputs[0]].shape, shape);
    }
    assert_eq!(out[0].shape, vec![1, 10]);
    let sum: f32 = out[0].as_f32().expect("f32").iter().sum();
    assert!((sum - 1.0).abs() < 1e-5);
}

#[test]
fn cancel_stops_the_run() {
    let c = case("multi_conv_pool_fc_softmax");
    let s = Session::new(&c.graph, &SessionOptions { threads: 1 }).expect("session");
    let cancel = AtomicBool::new(true);
    let r = s.run_with(
        c.inputs.clone(),
        &mut RunHooks {
            cancel: Some(&cancel),
            ..Default::default()
        },
    );
    assert!(matches!(r, Err(Error::Cancelled)));
}

#[test]
fn wrong_inputs_are_rejected_with_names() {
    let c = case("multi_conv_pool_fc_softmax");
    let s = Session::new(&c.graph, &SessionOptions { threads: 1 }).expect("session");
    let e = s
        .run(vec![Value::f32(vec![1, 8, 8, 3], vec![0.0; 192])])
        .expect_err("bad shape")
        .chain();
    assert!(e.contains("must have shape [1, 16, 16, 3]"), "{e}");
    assert!(s.run(vec![]).is_err());
}

#[test]
fn dynamic_batch_runs_each_item_like_batch_one() {
    let mut c = case("multi_conv_pool_fc_softmax");
    let x = c.graph.inputs[0];
    c.graph.tensors[x].signature = Some(vec![-1, 16, 16, 3]);
    let s = Session::new(&c.graph, &SessionOptions { threads: 2 }).expect("session");
    let a = c.inputs[0].as_f32().expect("f32").to_vec();
    let b: Vec<f32> = a.iter().map(|v| 1.0 - v).collect();
    let both = Value::f32(vec![2, 16, 16, 3], [a.clone(), b.clone()].concat());
    let out2 = s.run(vec![both]).expect("batch 2");
    let oa = s.run(vec![Value::f32(vec![1, 16, 16, 3], a)]).expect("a");
    let ob = s.run(vec![Value::f32(vec![1, 16, 16, 3], b)]).expect("b");
    let joined = [oa[1].as_f32().expect("f32"), ob[1].as_f32().expect("f32")].concat();
    assert_eq!(out2[1].shape, vec![2, 10]);
    for (x, y) in out2[1].as_f32().expect("f32").iter().zip(&joined) {
        assert!((x - y).abs() < 1e-4, "{x} vs {y}");
    }
}
