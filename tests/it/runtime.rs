//! Runtime behaviour that the oracle cannot show: observers, progress, cancellation,
//! dynamic batch, input validation, refusal of what the int8 kernels cannot compute.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use pocket_engine::ir::*;
use pocket_engine::runtime::RunHooks;
use pocket_engine::{Error, Session, SessionOptions};
use pocket_tests::{Builder, Tolerance, cases};

fn case(name: &str) -> cases::Case {
    cases::all()
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case {name}"))
}

#[test]
fn observer_sees_every_node_and_progress_counts() {
    let c = case("multi_conv_pool_fc_softmax");
    let s = Session::new(
        &c.graph,
        &SessionOptions {
            threads: 1,
            ..Default::default()
        },
    )
    .expect("session");
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
    let s = Session::new(
        &c.graph,
        &SessionOptions {
            threads: 1,
            ..Default::default()
        },
    )
    .expect("session");
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
    let s = Session::new(
        &c.graph,
        &SessionOptions {
            threads: 1,
            ..Default::default()
        },
    )
    .expect("session");
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
    let s = Session::new(
        &c.graph,
        &SessionOptions {
            threads: 2,
            ..Default::default()
        },
    )
    .expect("session");
    let a = c.inputs[0].as_f32().expect("f32").to_vec();
    let b: Vec<f32> = a.iter().map(|v| 1.0 - v).collect();
    let both = Value::f32(vec![2, 16, 16, 3], [a.clone(), b.clone()].concat());
    let out2 = s.run(vec![both]).expect("batch 2");
    let oa = s.run(vec![Value::f32(vec![1, 16, 16, 3], a)]).expect("a");
    let ob = s.run(vec![Value::f32(vec![1, 16, 16, 3], b)]).expect("b");
    let joined = [oa[1].as_f32().expect("f32"), ob[1].as_f32().expect("f32")].concat();
    assert_eq!(out2[1].shape, vec![2, 10]);
    if let Err(e) = Tolerance::FLOAT.check(&out2[1], &Value::f32(vec![2, 10], joined)) {
        panic!("batch of 2 vs two batches of 1: {e}");
    }
}

/// An int8 tensor with per-tensor parameters, or per-channel ones along `axis`.
fn int8_const(b: &mut Builder, name: &str, shape: &[usize], axis: usize, scale: f32) -> TensorId {
    let n: usize = shape.iter().product();
    let bytes = (0..n)
        .map(|i| ((i * 37 % 255) as i32 - 127) as i8 as u8)
        .collect();
    let t = b.raw(name, DType::I8, shape, bytes);
    let channels = shape[axis];
    b.g.tensors[t].quant = Some(QuantParams {
        scale: vec![scale; channels],
        zero_point: vec![0; channels],
        axis,
        ..Default::default()
    });
    t
}

/// An int8 model of one weighted op: input, per-channel weights, int32 bias, output.
fn int8_model(op: Op, input: &[usize], weights: &[usize], axis: usize) -> Graph {
    let mut b = Builder::new();
    let x = b.input("x", DType::I8, input);
    b.g.tensors[x].quant = Some(QuantParams::per_tensor(0.05, 0));
    let w = int8_const(&mut b, "w", weights, axis, 0.01);
    let oc = weights[axis];
    let bias = b.i32("b", &[oc], &vec![100; oc]);
    b.g.tensors[bias].quant = Some(QuantParams {
        scale: vec![0.05 * 0.01; oc],
        zero_point: vec![0; oc],
        ..Default::default()
    });
    let y = b.op("op", op, &[Some(x), Some(w), Some(bias)]);
    b.g.tensors[y].quant = Some(QuantParams::per_tensor(0.1, 0));
    b.finish(&[y])
}

/// An int8 CONV_2D, DEPTHWISE_CONV_2D or FULLY_CONNECTED with a fused TANH has no int8 kernel
/// that applies the TANH: the session refuses it, naming the TANH, instead of running the op
/// as if it had no activation. The same models with RELU run.
#[test]
fn int8_ops_with_fused_tanh_are_refused_not_run_without_it() {
    let conv = |act| {
        Op::Conv2d(Conv2d {
            padding: Padding::Same,
            stride: [1, 1],
            dilation: [1, 1],
            act,
        })
    };
    let dw = |act| {
        Op::DepthwiseConv2d(DepthwiseConv2d {
            padding: Padding::Same,
            stride: [1, 1],
            dilation: [1, 1],
            depth_multiplier: 1,
            act,
        })
    };
    let fc = |act| {
        Op::FullyConnected(FullyConnected {
            act,
            keep_num_dims: false,
            asymmetric_quantize_inputs: false,
        })
    };
    let models: [(&dyn Fn(Activation) -> Op, &[usize], &[usize], usize); 3] = [
        (&conv, &[1, 6, 6, 3], &[4, 3, 3, 3], 0),
        (&dw, &[1, 6, 6, 4], &[1, 3, 3, 4], 3),
        (&fc, &[2, 10], &[7, 10], 0),
    ];
    for (make, input, weights, axis) in models {
        let relu = int8_model(make(Activation::Relu), input, weights, axis);
        let op = relu.nodes[0].op.name();
        let x = Value::new(input.to_vec(), Data::I8(vec![3; input.iter().product()]));
        Session::new(
            &relu,
            &SessionOptions {
                threads: 1,
                ..Default::default()
            },
        )
        .and_then(|s| s.run(vec![x]))
        .unwrap_or_else(|e| panic!("int8 {op} with RELU: {e}"));
        let tanh = int8_model(make(Activation::Tanh), input, weights, axis);
        match Session::new(
            &tanh,
            &SessionOptions {
                threads: 1,
                ..Default::default()
            },
        ) {
            Err(e @ Error::Unsupported { .. }) => assert!(
                e.to_string().to_uppercase().contains("TANH"),
                "{op}: the refusal does not name the TANH: {e}"
            ),
            Err(e) => panic!("int8 {op} with TANH: refused, but not as an unsupported op: {e}"),
            Ok(_) => panic!(
                "int8 {op} with a fused TANH was accepted (its int8 kernel runs it without the TANH)"
            ),
        }
    }
}
