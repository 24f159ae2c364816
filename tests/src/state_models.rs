//! Models with state and control flow the session runs and LiteRT runs too: an int8 streaming
//! model (resource variable of int8 type, set up by CALL_ONCE, like the microcontroller wake
//! word models), a WHILE loop, a CALL, and broken ones (a read before any assign, a subgraph
//! that calls itself). Built through our IR and writer, so they are byte-stable.

use pocket_engine::ir::*;

use crate::kept_models::kept;

fn add(g: &mut Graph, op: Op, inputs: &[TensorId], outputs: &[TensorId], version: Option<i32>) {
    let name = outputs
        .first()
        .map(|&o| g.tensor(o).name.clone())
        .unwrap_or_default();
    let n = Node {
        name,
        op,
        inputs: inputs.iter().map(|&t| Some(t)).collect(),
        outputs: outputs.to_vec(),
        version,
    };
    g.add_node(n).unwrap_or_else(|e| panic!("{}", e.chain()));
}

fn konst(g: &mut Graph, name: &str, dtype: DType, shape: Vec<usize>, bytes: Vec<u8>) -> TensorId {
    let mut t = Tensor::new(name, dtype, shape);
    t.data = Some(Bytes::from_vec(bytes));
    g.add_tensor(t)
}

fn i32s(v: &[i32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

fn var_handle(shared: &str) -> Op {
    kept(
        "VAR_HANDLE",
        142,
        111,
        &[("shared_name", AttrValue::Str(shared.into()))],
    )
}

fn read_variable() -> Op {
    kept("READ_VARIABLE", 143, 112, &[])
}

fn assign_variable() -> Op {
    kept("ASSIGN_VARIABLE", 144, 113, &[])
}

fn call_once(init: i64) -> Op {
    kept(
        "CALL_ONCE",
        129,
        103,
        &[("init_subgraph_index", AttrValue::Int(init))],
    )
}

fn binary(kind: BinaryKind) -> Op {
    Op::Binary(Binary {
        kind,
        act: Activation::None,
    })
}

/// Streaming int8, as the wake-word models keep their frames: x int8 [1, 1, 4] is appended to
/// the two frames held in the variable `stream/states` (int8 [1, 2, 4], zeroed — at the zero
/// point — by CALL_ONCE's subgraph 1); the newest two frames are stored back; outputs are
/// y = ADD(window, window) int8 [1, 3, 4] (requantized) and the window itself.
pub fn int8_stream() -> Graph {
    let q = |t: &mut Tensor, s: f32, z: i64| t.quant = Some(QuantParams::per_tensor(s, z));
    let mut g = Graph {
        name: "main".into(),
        ..Graph::default()
    };
    let mut x = Tensor::new("x", DType::I8, vec![1, 1, 4]);
    q(&mut x, 0.5, -3);
    let x = g.add_tensor(x);
    let h = g.add_tensor(Tensor::new("stream/states", DType::Resource, vec![]));
    let mut st = Tensor::new("state", DType::I8, vec![1, 2, 4]);
    q(&mut st, 0.5, -3);
    let st = g.add_tensor(st);
    let mut w = Tensor::new("window", DType::I8, vec![1, 3, 4]);
    q(&mut w, 0.5, -3);
    let w = g.add_tensor(w);
    let begin = konst(&mut g, "begin", DType::I32, vec![3], i32s(&[0, 1, 0]));
    let end = konst(&mut g, "end", DType::I32, vec![3], i32s(&[1, 3, 4]));
    let strides = konst(&mut g, "strides", DType::I32, vec![3], i32s(&[1, 1, 1]));
    let mut ns = Tensor::new("new_state", DType::I8, vec![1, 2, 4]);
    q(&mut ns, 0.5, -3);
    let ns = g.add_tensor(ns);
    let mut y = Tensor::new("y", DType::I8, vec![1, 3, 4]);
    q(&mut y, 0.75, 5);
    let y = g.add_tensor(y);
    g.inputs = vec![x];
    g.outputs = vec![y, w];
    add(&mut g, call_once(1), &[], &[], Some(1));
    add(&mut g, var_handle("stream/states"), &[], &[h], Some(1));
    add(&mut g, read_variable(), &[h], &[st], Some(1));
    let concat = Op::Concatenation {
        axis: 1,
        act: Activation::None,
    };
    add(&mut g, concat, &[st, x], &[w], None);
    let slice = Op::StridedSlice(StridedSlice::default());
    add(&mut g, slice, &[w, begin, end, strides], &[ns], None);
    add(&mut g, assign_variable(), &[h, ns], &[], Some(1));
    add(&mut g, binary(BinaryKind::Add), &[w, w], &[y], None);

    let mut init = Graph {
        name: "NoOp".into(),
        ..Graph::default()
    };
    let h0 = init.add_tensor(Tensor::new("stream/states", DType::Resource, vec![]));
    let mut zeros = Tensor::new("zeros", DType::I8, vec![1, 2, 4]);
    q(&mut zeros, 0.5, -3);
    zeros.data = Some(Bytes::from_vec(vec![(-3i8) as u8; 8]));
    let z = init.add_tensor(zeros);
    add(&mut init, var_handle("stream/states"), &[], &[h0], Some(1));
    add(&mut init, assign_variable(), &[h0, z], &[], Some(1));
    g.subgraphs = vec![init];
    g
}

/// WHILE (n i32 [1], x f32 [1, 4]): while n != 0 (cond, subgraph 1: CAST n to bool),
/// n = n - 1 and x = logistic(x + x) (body, subgraph 2). Outputs x, n after the loop.
pub fn while_loop() -> Graph {
    let f = |name: &str| Tensor::new(name, DType::F32, vec![1, 4]);
    let i = |name: &str| Tensor::new(name, DType::I32, vec![1]);
    let mut g = Graph {
        name: "main".into(),
        ..Graph::default()
    };
    let n = g.add_tensor(i("n"));
    let x = g.add_tensor(f("x"));
    let n_out = g.add_tensor(i("n_out"));
    let x_out = g.add_tensor(f("x_out"));
    g.inputs = vec![n, x];
    g.outputs = vec![x_out, n_out];
    let op = kept(
        "WHILE",
        119,
        93,
        &[
            ("cond_subgraph_index", AttrValue::Int(1)),
            ("body_subgraph_index", AttrValue::Int(2)),
        ],
    );
    add(&mut g, op, &[n, x], &[n_out, x_out], Some(1));

    let mut cond = Graph {
        name: "cond".into(),
        ..Graph::default()
    };
    let cn = cond.add_tensor(i("n"));
    let cx = cond.add_tensor(f("x"));
    let b = cond.add_tensor(Tensor::new("go", DType::Bool, vec![1]));
    cond.inputs = vec![cn, cx];
    cond.outputs = vec![b];
    add(&mut cond, Op::Cast, &[cn], &[b], None);

    let mut body = Graph {
        name: "body".into(),
        ..Graph::default()
    };
    let bn = body.add_tensor(i("n"));
    let bx = body.add_tensor(f("x"));
    let one = konst(&mut body, "one", DType::I32, vec![1], i32s(&[1]));
    let n2 = body.add_tensor(i("n_next"));
    let s = body.add_tensor(f("twice"));
    let x2 = body.add_tensor(f("x_next"));
    body.inputs = vec![bn, bx];
    body.outputs = vec![n2, x2];
    add(&mut body, binary(BinaryKind::Sub), &[bn, one], &[n2], None);
    add(&mut body, binary(BinaryKind::Add), &[bx, bx], &[s], None);
    add(&mut body, Op::Unary(UnaryKind::Logistic), &[s], &[x2], None);
    g.subgraphs = vec![cond, body];
    g
}

/// `callee`'s inputs and outputs wrapped in a main graph whose one node CALLs it (subgraph 1).
pub fn call_of(callee: &Graph) -> Graph {
    let mut g = Graph {
        name: "main".into(),
        ..Graph::default()
    };
    let ins: Vec<TensorId> = callee
        .inputs
        .iter()
        .map(|&t| g.add_tensor(callee.tensor(t).clone()))
        .collect();
    let outs: Vec<TensorId> = callee
        .outputs
        .iter()
        .map(|&t| {
            let mut o = callee.tensor(t).clone();
            o.name = format!("called_{}", o.name);
            g.add_tensor(o)
        })
        .collect();
    g.inputs = ins.clone();
    g.outputs = outs.clone();
    let op = kept("CALL", 31, 16, &[("subgraph", AttrValue::Int(1))]);
    add(&mut g, op, &ins, &outs, Some(1));
    let mut sub = callee.clone();
    sub.subgraphs.clear();
    g.subgraphs = vec![sub];
    g
}

/// Reads the variable `never` that nothing assigns.
pub fn read_before_assign() -> Graph {
    let mut g = Graph::default();
    let x = g.add_tensor(Tensor::new("x", DType::F32, vec![2]));
    let h = g.add_tensor(Tensor::new("h", DType::Resource, vec![]));
    let v = g.add_tensor(Tensor::new("v", DType::F32, vec![2]));
    let y = g.add_tensor(Tensor::new("y", DType::F32, vec![2]));
    g.inputs = vec![x];
    g.outputs = vec![y];
    add(&mut g, var_handle("never"), &[], &[h], Some(1));
    add(&mut g, read_variable(), &[h], &[v], Some(1));
    add(&mut g, binary(BinaryKind::Add), &[x, v], &[y], None);
    g
}

/// Subgraph 1 CALLs itself.
pub fn self_call() -> Graph {
    let f = |name: &str| Tensor::new(name, DType::F32, vec![2]);
    let mut inner = Graph {
        name: "again".into(),
        ..Graph::default()
    };
    let a = inner.add_tensor(f("a"));
    let b = inner.add_tensor(f("b"));
    inner.inputs = vec![a];
    inner.outputs = vec![b];
    let op = kept("CALL", 31, 16, &[("subgraph", AttrValue::Int(1))]);
    add(&mut inner, op, &[a], &[b], Some(1));
    let mut g = call_of(&inner);
    g.subgraphs = vec![inner];
    g
}
