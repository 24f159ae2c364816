//! Models with free input dimensions, for the free-dimension tests: an ONNX model with
//! `dim_param`s N/H/W in the style of PaddleOCR's exports (a shape subgraph feeding a Reshape)
//! and a TFLite graph whose input has `shape_signature` −1 in batch, height and width.

use pocket_engine::DType;
use pocket_engine::formats::onnx::proto::*;
use pocket_engine::ir::*;
use prost::Message;

use crate::Rng;
use crate::onnx_models::{attr_int, attr_ints, f32_tensor, i64_tensor, model, node};

/// A float input whose dims are sizes or `dim_param` names.
pub fn sym_input(name: &str, dims: &[&str]) -> ValueInfoProto {
    ValueInfoProto {
        name: Some(name.into()),
        r#type: Some(TypeProto {
            tensor_type: Some(TypeTensor {
                elem_type: Some(1),
                shape: Some(TensorShapeProto {
                    dim: dims
                        .iter()
                        .map(|d| match d.parse::<i64>() {
                            Ok(v) => Dimension {
                                dim_value: Some(v),
                                ..Default::default()
                            },
                            Err(_) => Dimension {
                                dim_param: Some(d.to_string()),
                                ..Default::default()
                            },
                        })
                        .collect(),
                }),
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// x [N, 3, H, W] → Conv 3x3 stride 2 → Relu → Reshape to [N, 4, -1] by a Shape → Gather →
/// Unsqueeze → Concat subgraph → Transpose → MatMul [4, 5] → Reshape [0, 0, 1, 5]:
/// `[N, H/2 * W/2, 1, 5]`.
pub fn onnx_free_model() -> Vec<u8> {
    let mut r = Rng::new(7);
    let nodes = vec![
        node(
            "conv",
            "Conv",
            &["x", "w", "b"],
            &["c"],
            vec![
                attr_ints("kernel_shape", &[3, 3]),
                attr_ints("strides", &[2, 2]),
                attr_ints("pads", &[1, 1, 1, 1]),
            ],
        ),
        node("relu", "Relu", &["c"], &["y"], vec![]),
        node("shape", "Shape", &["y"], &["s"], vec![]),
        node(
            "n",
            "Gather",
            &["s", "zero"],
            &["n0"],
            vec![attr_int("axis", 0)],
        ),
        node("un", "Unsqueeze", &["n0", "axes"], &["n1"], vec![]),
        node(
            "cat",
            "Concat",
            &["n1", "rest"],
            &["shp"],
            vec![attr_int("axis", 0)],
        ),
        node("flat", "Reshape", &["y", "shp"], &["f"], vec![]),
        node(
            "tr",
            "Transpose",
            &["f"],
            &["t"],
            vec![attr_ints("perm", &[0, 2, 1])],
        ),
        node("mm", "MatMul", &["t", "m"], &["z"], vec![]),
        node("out", "Reshape", &["z", "last"], &["out"], vec![]),
    ];
    let mut zero = i64_tensor("zero", &[], vec![0]);
    zero.dims.clear();
    let inits = vec![
        f32_tensor("w", &[4, 3, 3, 3], r.normals(108, 0.5)),
        f32_tensor("b", &[4], r.normals(4, 0.1)),
        zero,
        i64_tensor("axes", &[1], vec![0]),
        i64_tensor("rest", &[2], vec![4, -1]),
        f32_tensor("m", &[4, 5], r.normals(20, 0.5)),
        i64_tensor("last", &[4], vec![0, 0, 1, 5]),
    ];
    let out = ValueInfoProto {
        name: Some("out".into()),
        ..Default::default()
    };
    let mut m = model(
        nodes,
        inits,
        vec![sym_input("x", &["N", "3", "H", "W"])],
        vec![out],
    );
    if let Some(o) = m.opset_import.first_mut() {
        o.version = Some(13);
    }
    m.encode_to_vec()
}

fn i32_const(g: &mut Graph, name: &str, v: &[i32]) -> TensorId {
    let mut t = Tensor::new(name, DType::I32, vec![v.len()]);
    t.data = Some(Bytes::from_vec(
        v.iter().flat_map(|x| x.to_le_bytes()).collect(),
    ));
    g.add_tensor(t)
}

fn f32_const(g: &mut Graph, name: &str, shape: &[usize], v: &[f32]) -> TensorId {
    let mut t = Tensor::new(name, DType::F32, shape.to_vec());
    t.data = Some(Bytes::from_vec(
        v.iter().flat_map(|x| x.to_le_bytes()).collect(),
    ));
    g.add_tensor(t)
}

/// x [N, H, W, 3] (signature [-1, -1, -1, 3]) → CONV_2D 3x3 stride 2 SAME + RELU → RESHAPE to
/// [N, -1, 4] by SHAPE → STRIDED_SLICE → CONCATENATION → FULLY_CONNECTED (keep dims) → [N, L, 5].
pub fn tflite_free_model() -> Graph {
    let mut r = Rng::new(11);
    let mut g = Graph::default();
    let mut x = Tensor::new("x", DType::F32, vec![1, 8, 8, 3]);
    x.signature = Some(vec![-1, -1, -1, 3]);
    let x = g.add_tensor(x);
    g.inputs.push(x);
    let w = f32_const(&mut g, "w", &[4, 3, 3, 3], &r.normals(108, 0.5));
    let b = f32_const(&mut g, "b", &[4], &r.normals(4, 0.1));
    let push = |g: &mut Graph, name: &str, op: Op, ins: Vec<Option<TensorId>>| {
        g.push_node(name, op, ins, &[]).expect(name)[0]
    };
    let c = push(
        &mut g,
        "conv",
        Op::Conv2d(Conv2d {
            padding: Padding::Same,
            stride: [2, 2],
            dilation: [1, 1],
            act: Activation::Relu,
        }),
        vec![Some(x), Some(w), Some(b)],
    );
    let sh = push(
        &mut g,
        "shape",
        Op::Shape {
            output_type: DType::I32,
        },
        vec![Some(c)],
    );
    let (b0, e0, s0) = (
        i32_const(&mut g, "begin", &[0]),
        i32_const(&mut g, "end", &[1]),
        i32_const(&mut g, "strides", &[1]),
    );
    let n = push(
        &mut g,
        "n",
        Op::StridedSlice(StridedSlice::default()),
        vec![Some(sh), Some(b0), Some(e0), Some(s0)],
    );
    let rest = i32_const(&mut g, "rest", &[-1, 4]);
    let shp = push(
        &mut g,
        "cat",
        Op::Concatenation {
            axis: 0,
            act: Activation::None,
        },
        vec![Some(n), Some(rest)],
    );
    let f = g.add_tensor(Tensor::new("flat", DType::F32, vec![1, 16, 4]));
    g.add_node(Node {
        name: "flat".into(),
        op: Op::Reshape { new_shape: None },
        inputs: vec![Some(c), Some(shp)],
        outputs: vec![f],
        version: None,
    })
    .expect("reshape");
    let fw = f32_const(&mut g, "fw", &[5, 4], &r.normals(20, 0.5));
    let fb = f32_const(&mut g, "fb", &[5], &r.normals(5, 0.1));
    let y = push(
        &mut g,
        "fc",
        Op::FullyConnected(FullyConnected {
            act: Activation::None,
            keep_num_dims: true,
            asymmetric_quantize_inputs: false,
        }),
        vec![Some(f), Some(fw), Some(fb)],
    );
    g.outputs.push(y);
    g
}
