//! Models that must open, whether or not they run: TFLite resource variables and several
//! subgraphs (CALL_ONCE, IF; these run), custom ops and unknown builtin codes, every tensor type; ONNX
//! ops without a translation and `If` bodies. They open, keep what they hold, round-trip
//! byte-stable, LiteRT loads (and runs) what we write, and running refuses by name.

use std::process::Command;

use pocket_engine::formats::{onnx, tflite};
use pocket_engine::ir::*;
use pocket_engine::runtime::{Session, SessionOptions};
use pocket_tests::{kept_models, oracle};

use crate::scratch;

/// write → read → write gives the same bytes, and the read graph equals the written one.
fn round_trip(g: &Graph, what: &str) -> Graph {
    let bytes = tflite::to_bytes(g).unwrap_or_else(|e| panic!("{what}: write: {}", e.chain()));
    let back =
        tflite::read_bytes(bytes.clone()).unwrap_or_else(|e| panic!("{what}: {}", e.chain()));
    let again = tflite::to_bytes(&back).expect("write again");
    assert!(bytes == again, "{what}: read → write is not byte-stable");
    assert_eq!(back.nodes, g.nodes, "{what}: nodes changed");
    assert_eq!(back.tensors, g.tensors, "{what}: tensors changed");
    assert_eq!(back.subgraphs, g.subgraphs, "{what}: subgraphs changed");
    back
}

fn refusal(g: &Graph) -> String {
    Session::new(
        g,
        &SessionOptions {
            threads: 1,
            ..Default::default()
        },
    )
    .err()
    .expect("the session refuses the graph")
    .chain()
}

#[test]
fn resource_variables_and_subgraphs_open_round_trip_and_keep_their_calls() {
    let g = round_trip(&kept_models::stateful(), "stateful");
    assert_eq!(g.subgraphs.len(), 3);
    let names: Vec<&str> = g.subgraphs.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["init", "then", "else"]);
    assert_eq!(g.nodes[0].op.name(), "CALL_ONCE");
    assert_eq!(
        g.nodes[0].op.called_subgraphs(),
        [("init_subgraph_index", 1)]
    );
    assert_eq!(
        g.nodes[5].op.called_subgraphs(),
        [("then_subgraph_index", 2), ("else_subgraph_index", 3)]
    );
    assert_eq!(
        g.nodes[1].op.attr("shared_name"),
        Some(&AttrValue::Str("state".into()))
    );
    assert_eq!(g.tensor(2).dtype, DType::Resource);
    let callers = g.subgraph_callers();
    assert_eq!(callers[1], [(0, 0)], "CALL_ONCE calls subgraph 1");
    assert_eq!(callers[3], [(0, 5)], "IF calls subgraph 3");
    // The session runs them (tests/it/state.rs compares the runs with LiteRT).
    Session::new(
        &g,
        &SessionOptions {
            threads: 1,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("{}", e.chain()));
    // A subgraph index past the end is refused when read.
    let mut bad = g.clone();
    if let Op::Custom { attrs, .. } = &mut bad.nodes[0].op {
        attrs[2].1 = AttrValue::Int(7);
    }
    let e = tflite::read_bytes(tflite::to_bytes(&bad).expect("write"))
        .expect_err("out of range")
        .chain();
    assert!(e.contains("init_subgraph_index 7 is out of range"), "{e}");
}

/// LiteRT's interpreter loads the file we write and runs it: the state starts at zero
/// (CALL_ONCE), accumulates x, and IF picks a branch.
#[test]
fn litert_loads_and_runs_our_resource_variable_file() {
    let Some(py) = oracle::require(oracle::LITERT) else {
        return;
    };
    let dir = scratch("kept-litert");
    let path = dir.join("stateful.tflite");
    tflite::write_file(&kept_models::stateful(), &path).expect("write");
    let script = r#"
import sys, numpy as np
from ai_edge_litert.interpreter import Interpreter
it = Interpreter(model_content=open(sys.argv[1], 'rb').read())
it.allocate_tensors()
ins = {d['name']: d['index'] for d in it.get_input_details()}
out = it.get_output_details()[0]['index']
x = np.array([[1, -2, 3, -4]], np.float32)
for flag in [True, True, False]:
    it.set_tensor(ins['x'], x)
    it.set_tensor(ins['flag'], np.array([flag]))
    it.invoke()
    print(' '.join(str(v) for v in it.get_tensor(out).ravel()))
"#;
    let o = Command::new(py)
        .arg("-c")
        .arg(script)
        .arg(&path)
        .output()
        .expect("run python");
    assert!(
        o.status.success(),
        "LiteRT refused the file: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let lines: Vec<String> = String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .collect();
    // state 0 → sum x → then 2x; state x → sum 2x → then 4x; state 2x → 3x → else relu.
    assert_eq!(
        lines,
        [
            "2.0 -4.0 6.0 -8.0",
            "4.0 -8.0 12.0 -16.0",
            "3.0 0.0 9.0 0.0"
        ]
    );
}

#[test]
fn custom_ops_and_unknown_builtin_codes_keep_their_options_and_are_all_refused() {
    let g = round_trip(&kept_models::custom_and_unknown(), "custom");
    assert_eq!(g.nodes[0].op.name(), "MyCustomOp");
    assert_eq!(
        g.nodes[0].op.attr("custom_options"),
        Some(&AttrValue::Bytes(vec![
            0x61, 0x6c, 0x70, 0x68, 0x61, 0x00, 0x03, 0x01
        ]))
    );
    assert_eq!(g.nodes[1].op.name(), "BUILTIN_250");
    assert_eq!(g.nodes[1].version, Some(1));
    let e = refusal(&g);
    assert!(
        e.contains("MyCustomOp (1 node)") && e.contains("BUILTIN_250 (1 node)"),
        "{e}"
    );
}

#[test]
fn every_tensor_type_reads_writes_back_and_is_refused_by_name() {
    let g = round_trip(&kept_models::every_type(), "every type");
    let types: Vec<DType> = g
        .tensors
        .iter()
        .take(DType::ALL.len())
        .map(|t| t.dtype)
        .collect();
    assert_eq!(types, DType::ALL);
    let s = pocket_engine::summary::summarize(&g);
    for d in DType::ALL {
        // The sink's output `y` is one more f32.
        let want = 1 + usize::from(d == DType::F32);
        assert_eq!(s.dtypes.get(d.name()), Some(&want), "{d}");
    }
    // An op we have a kernel for, on a type we have none for, is named with the type.
    let mut g = Graph::default();
    let a = g.add_tensor(Tensor::new("a", DType::U32, vec![2]));
    let b = g.add_tensor(Tensor::new("b", DType::U32, vec![2]));
    g.inputs = vec![a];
    g.outputs = vec![b];
    g.add_node(Node {
        name: "relu".into(),
        op: Op::Unary(UnaryKind::Relu),
        inputs: vec![Some(a)],
        outputs: vec![b],
        version: None,
    })
    .expect("add");
    let e = refusal(&g);
    assert!(e.contains("RELU") && e.contains("u32"), "{e}");
}

#[test]
fn onnx_ops_without_a_translation_open_as_kept_nodes_and_running_names_them_all() {
    let g = onnx::read_bytes(&kept_models::onnx_unknown_ops(), None, &Default::default())
        .unwrap_or_else(|e| panic!("{}", e.chain()));
    let kept: Vec<(String, Option<&AttrValue>)> = g
        .nodes
        .iter()
        .filter(|n| matches!(n.op, Op::Custom { .. }))
        .map(|n| (n.op.name(), n.op.attr("onnx_domain")))
        .collect();
    let dom = |d: &str| Some(AttrValue::Str(d.into()));
    // Foo's output type is in the file; Hardmax's is not, so Add (reading it) is kept too.
    assert_eq!(
        kept,
        [
            ("com.example.Foo".to_string(), dom("com.example").as_ref()),
            ("Hardmax".to_string(), dom("").as_ref()),
            ("Add".to_string(), dom("").as_ref()),
        ]
    );
    let foo = g
        .nodes
        .iter()
        .find(|n| n.op.name() == "com.example.Foo")
        .expect("foo");
    assert_eq!(foo.op.attr("depth"), Some(&AttrValue::Int(3)));
    let f = foo.outputs[0];
    assert_eq!(
        (g.tensor(f).dtype, g.tensor(f).shape.as_slice()),
        (DType::F32, &[1, 4][..])
    );
    let erf = g
        .nodes
        .iter()
        .find(|n| n.op.name() == "Hardmax")
        .expect("erf");
    assert_eq!(
        erf.op.attr("unknown_shapes"),
        Some(&AttrValue::Ints(vec![0]))
    );
    assert!(!g.known_shapes()[erf.outputs[0]]);
    let e = refusal(&g);
    for op in ["com.example.Foo (1 node)", "Hardmax (1 node)"] {
        assert!(e.contains(op), "{op} missing: {e}");
    }
    // The ONNX ops have no TFLite form: export says which.
    let e = tflite::to_bytes(&g).expect_err("no export").chain();
    assert!(
        e.contains("com.example.Foo has no TFLite equivalent"),
        "{e}"
    );
}

#[test]
fn onnx_if_bodies_become_subgraphs_the_node_calls() {
    let g = onnx::read_bytes(&kept_models::onnx_if(), None, &Default::default())
        .unwrap_or_else(|e| panic!("{}", e.chain()));
    // A data-dependent If becomes TFLite's IF calling one subgraph per branch; what a body
    // reads from the outer graph (x) is passed in.
    let names: Vec<(&str, usize, usize)> = g
        .subgraphs
        .iter()
        .map(|s| (s.name.as_str(), s.inputs.len(), s.nodes.len()))
        .collect();
    assert_eq!(names, [("branch/then", 1, 1), ("branch/else", 1, 2)]);
    let branch = g.nodes.iter().find(|n| n.op.name() == "IF").expect("IF");
    assert_eq!(
        branch.op.called_subgraphs(),
        [("then_subgraph_index", 1), ("else_subgraph_index", 2)]
    );
    let y = branch.outputs[0];
    assert_eq!(
        g.tensor(y).shape,
        [1, 4],
        "the graph output states y's type"
    );
    // It runs: then = x + x, else = relu(-x).
    let s = Session::new(&g, &SessionOptions::threads(1)).expect("session");
    let x = Value::f32(vec![1, 4], vec![1.0, -2.0, 3.0, -4.0]);
    for (c, want) in [
        (true, [2.0, -4.0, 6.0, -8.0]),
        (false, [0.0, 2.0, 0.0, 4.0]),
    ] {
        let cond = Value::new(vec![], Data::Bool(vec![c]));
        let out = s.run(vec![x.clone(), cond]).expect("run");
        assert_eq!(out[0].as_f32().expect("f32"), want, "cond {c}");
    }
}
