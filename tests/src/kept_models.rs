//! Models that use what the engine cannot run but must open: TFLite resource variables,
//! several subgraphs (CALL_ONCE, IF), custom ops, unknown builtin codes, every tensor type;
//! ONNX files with ops the importer does not translate and with `If` bodies. Built in code
//! through our IR and writer (TFLite) or prost messages (ONNX), so they are byte-stable.

use pocket_engine::formats::onnx::proto::*;
use pocket_engine::ir::*;
use prost::Message;

use crate::onnx_models::{attr_int, model, node, value_info};

/// A builtin op the IR keeps as `Op::Custom`: its code, options union tag and option fields.
pub fn kept(name: &str, code: i64, tag: i64, fields: &[(&str, AttrValue)]) -> Op {
    let mut attrs = vec![("builtin_code".to_string(), AttrValue::Int(code))];
    if tag != 0 {
        attrs.push(("options_tag".into(), AttrValue::Int(tag)));
    }
    attrs.extend(fields.iter().map(|(k, v)| (k.to_string(), v.clone())));
    Op::Custom {
        name: name.into(),
        attrs,
    }
}

fn var_handle(shared: &str) -> Op {
    // VAR_HANDLE = 142, VarHandleOptions = 111.
    kept(
        "VAR_HANDLE",
        142,
        111,
        &[("shared_name", AttrValue::Str(shared.into()))],
    )
}

/// Add a node named as the TFLite reader names it (after its first output; TFLite nodes have
/// no names of their own). `what` only labels a failure.
fn add_node(g: &mut Graph, what: &str, op: Op, inputs: &[TensorId], outputs: &[TensorId]) {
    let name = outputs
        .first()
        .map(|&o| g.tensor(o).name.clone())
        .unwrap_or_default();
    g.add_node(Node {
        name,
        op,
        inputs: inputs.iter().map(|&t| Some(t)).collect(),
        outputs: outputs.to_vec(),
        version: Some(1),
    })
    .unwrap_or_else(|e| panic!("{what}: {e}"));
}

fn binary(kind: BinaryKind) -> Op {
    Op::Binary(Binary {
        kind,
        act: Activation::None,
    })
}

/// A streaming-state model like the keyword spotters LiteRT ships: subgraph 0 calls subgraph 1
/// once (CALL_ONCE) to zero the resource variable `state`, then adds the stored state to `x`,
/// stores the sum back and returns IF(`flag`) of it: subgraph 2 (`then`, sum + sum) or
/// subgraph 3 (`else`, RELU). Output `y` f32 [1, 4].
pub fn stateful() -> Graph {
    let f = |name: &str| Tensor::new(name, DType::F32, vec![1, 4]);
    let mut g = Graph {
        name: "main".into(),
        ..Graph::default()
    };
    let x = g.add_tensor(f("x"));
    let flag = g.add_tensor(Tensor::new("flag", DType::Bool, vec![1]));
    let h = g.add_tensor(Tensor::new("state_handle", DType::Resource, vec![]));
    let v = g.add_tensor(f("state_value"));
    let s = g.add_tensor(f("sum"));
    let y = g.add_tensor(f("y"));
    g.inputs = vec![x, flag];
    g.outputs = vec![y];
    // CALL_ONCE = 129, CallOnceOptions = 103.
    let init = kept(
        "CALL_ONCE",
        129,
        103,
        &[("init_subgraph_index", AttrValue::Int(1))],
    );
    add_node(&mut g, "init", init, &[], &[]);
    add_node(&mut g, "state_handle", var_handle("state"), &[], &[h]);
    // READ_VARIABLE = 143 (ReadVariableOptions 112), ASSIGN_VARIABLE = 144 (113).
    add_node(
        &mut g,
        "read",
        kept("READ_VARIABLE", 143, 112, &[]),
        &[h],
        &[v],
    );
    add_node(&mut g, "sum", binary(BinaryKind::Add), &[x, v], &[s]);
    add_node(
        &mut g,
        "store",
        kept("ASSIGN_VARIABLE", 144, 113, &[]),
        &[h, s],
        &[],
    );
    // IF = 118, IfOptions = 92.
    let branch = kept(
        "IF",
        118,
        92,
        &[
            ("then_subgraph_index", AttrValue::Int(2)),
            ("else_subgraph_index", AttrValue::Int(3)),
        ],
    );
    add_node(&mut g, "y", branch, &[flag, s], &[y]);

    let mut init = Graph {
        name: "init".into(),
        ..Graph::default()
    };
    let h0 = init.add_tensor(Tensor::new("state_handle", DType::Resource, vec![]));
    let mut zeros = f("zeros");
    zeros.data = Some(Bytes::from_vec(vec![0; 16]));
    let z = init.add_tensor(zeros);
    add_node(&mut init, "state_handle", var_handle("state"), &[], &[h0]);
    add_node(
        &mut init,
        "zero",
        kept("ASSIGN_VARIABLE", 144, 113, &[]),
        &[h0, z],
        &[],
    );

    let branch = |name: &str, op: Op, twice: bool| {
        let mut b = Graph {
            name: name.into(),
            ..Graph::default()
        };
        let a = b.add_tensor(f("a"));
        let o = b.add_tensor(f("b"));
        b.inputs = vec![a];
        b.outputs = vec![o];
        let ins = if twice { vec![a, a] } else { vec![a] };
        add_node(&mut b, "b", op, &ins, &[o]);
        b
    };
    g.subgraphs = vec![
        init,
        branch("then", binary(BinaryKind::Add), true),
        branch("else", Op::Unary(UnaryKind::Relu), false),
    ];
    g
}

/// x f32 [2] → CUSTOM `MyCustomOp` (options bytes kept) → an unknown builtin code (250) →
/// ADD with x.
pub fn custom_and_unknown() -> Graph {
    let mut g = Graph::default();
    let f = |n: &str| Tensor::new(n, DType::F32, vec![2]);
    let x = g.add_tensor(f("x"));
    let c = g.add_tensor(f("custom_out"));
    let u = g.add_tensor(f("unknown_out"));
    let y = g.add_tensor(f("y"));
    g.inputs = vec![x];
    g.outputs = vec![y];
    let custom = Op::Custom {
        name: "MyCustomOp".into(),
        attrs: vec![(
            "custom_options".into(),
            AttrValue::Bytes(vec![0x61, 0x6c, 0x70, 0x68, 0x61, 0x00, 0x03, 0x01]),
        )],
    };
    add_node(&mut g, "custom_out", custom, &[x], &[c]);
    add_node(
        &mut g,
        "unknown_out",
        kept("BUILTIN_250", 250, 0, &[]),
        &[c],
        &[u],
    );
    add_node(&mut g, "y", binary(BinaryKind::Add), &[u, x], &[y]);
    g
}

/// Constant bytes for `n` elements of `d` (strings: TFLite's packed form of one string).
fn bytes_of(d: DType, n: usize) -> Option<Vec<u8>> {
    match d {
        DType::Str => {
            // count, offsets (count + 1), then the characters.
            let mut b = Vec::new();
            for v in [1u32, 12, 14] {
                b.extend_from_slice(&v.to_le_bytes());
            }
            b.extend_from_slice(b"hi");
            Some(b)
        }
        DType::Resource | DType::Variant => None,
        d => {
            let len = d.buffer_lens(n)?.first().copied()?;
            Some((0..len).map(|i| i as u8).collect())
        }
    }
}

/// One constant of every tensor type (resource and variant, which carry no data, are inputs),
/// all read by one CUSTOM `Sink` op with output `y` f32 [1].
pub fn every_type() -> Graph {
    let mut g = Graph::default();
    let mut ins = Vec::new();
    for d in DType::ALL {
        let mut t = Tensor::new(format!("t_{d}"), d, vec![3]);
        if d == DType::Str {
            t.shape = vec![1];
        }
        t.data = bytes_of(d, t.numel()).map(Bytes::from_vec);
        let dataless = t.data.is_none();
        let id = g.add_tensor(t);
        if dataless {
            g.inputs.push(id);
        }
        ins.push(id);
    }
    let y = g.add_tensor(Tensor::new("y", DType::F32, vec![1]));
    g.outputs = vec![y];
    let sink = Op::Custom {
        name: "Sink".into(),
        attrs: vec![("custom_options".into(), AttrValue::Bytes(vec![]))],
    };
    add_node(&mut g, "y", sink, &ins, &[y]);
    g
}

/// x [1, 4] → Relu → ops without a translation: `com.example.Foo` (domain com.example) and
/// the standard `Hardmax` (no translation yet), then Add with x. The file states Foo's output type, not
/// Hardmax's.
pub fn onnx_unknown_ops() -> Vec<u8> {
    let mut custom = node("foo", "Foo", &["r"], &["f"], vec![attr_int("depth", 3)]);
    custom.domain = Some("com.example".into());
    let mut m = model(
        vec![
            node("relu", "Relu", &["x"], &["r"], vec![]),
            custom,
            node("erf", "Hardmax", &["f"], &["e"], vec![]),
            node("add", "Add", &["e", "x"], &["y"], vec![]),
        ],
        vec![],
        vec![value_info("x", &[1, 4])],
        vec![value_info("y", &[1, 4])],
    );
    m.opset_import.push(OperatorSetIdProto {
        domain: Some("com.example".into()),
        version: Some(1),
    });
    if let Some(gp) = m.graph.as_mut() {
        gp.value_info.push(value_info("f", &[1, 4]));
    }
    m.encode_to_vec()
}

/// x [1, 4], c bool [] → If(c): then = x + x (`then_body`, 1 node), else = Relu(Neg(x))
/// (`else_body`, 2 nodes). The bodies read `x` from the outer scope, as ONNX allows.
pub fn onnx_if() -> Vec<u8> {
    let body = |name: &str, nodes: Vec<NodeProto>, out: &str| GraphProto {
        name: Some(name.into()),
        node: nodes,
        output: vec![value_info(out, &[1, 4])],
        ..Default::default()
    };
    let then_b = body(
        "then_body",
        vec![node("twice", "Add", &["x", "x"], &["t"], vec![])],
        "t",
    );
    let else_b = body(
        "else_body",
        vec![
            node("neg", "Neg", &["x"], &["n"], vec![]),
            node("relu", "Relu", &["n"], &["e"], vec![]),
        ],
        "e",
    );
    let graph_attr = |name: &str, g: &GraphProto| AttributeProto {
        name: Some(name.into()),
        g: Some(g.encode_to_vec()),
        r#type: Some(5),
        ..Default::default()
    };
    let mut cond = value_info("c", &[]);
    if let Some(tt) = cond.r#type.as_mut().and_then(|t| t.tensor_type.as_mut()) {
        tt.elem_type = Some(9);
    }
    model(
        vec![node(
            "branch",
            "If",
            &["c"],
            &["y"],
            vec![
                graph_attr("then_branch", &then_b),
                graph_attr("else_branch", &else_b),
            ],
        )],
        vec![],
        vec![value_info("x", &[1, 4]), cond],
        vec![value_info("y", &[1, 4])],
    )
    .encode_to_vec()
}
