//! Small ONNX models built in code (prost messages), for tests and fuzz seeds.

use pocket_engine::formats::onnx::proto::*;
use prost::Message;

/// A float tensor graph input or output of static shape.
pub fn value_info(name: &str, dims: &[i64]) -> ValueInfoProto {
    ValueInfoProto {
        name: Some(name.into()),
        r#type: Some(TypeProto {
            tensor_type: Some(TypeTensor {
                elem_type: Some(1),
                shape: Some(TensorShapeProto {
                    dim: dims
                        .iter()
                        .map(|&d| Dimension {
                            dim_value: Some(d),
                            ..Default::default()
                        })
                        .collect(),
                }),
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// An INTS attribute.
pub fn attr_ints(name: &str, v: &[i64]) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        ints: v.to_vec(),
        r#type: Some(7),
        ..Default::default()
    }
}

/// An INT attribute.
pub fn attr_int(name: &str, v: i64) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        i: Some(v),
        r#type: Some(2),
        ..Default::default()
    }
}

/// A node.
pub fn node(
    name: &str,
    op: &str,
    ins: &[&str],
    outs: &[&str],
    attrs: Vec<AttributeProto>,
) -> NodeProto {
    NodeProto {
        name: Some(name.into()),
        op_type: Some(op.into()),
        input: ins.iter().map(|s| s.to_string()).collect(),
        output: outs.iter().map(|s| s.to_string()).collect(),
        attribute: attrs,
        ..Default::default()
    }
}

/// A float initializer.
pub fn f32_tensor(name: &str, dims: &[i64], v: Vec<f32>) -> TensorProto {
    TensorProto {
        name: Some(name.into()),
        dims: dims.to_vec(),
        data_type: Some(1),
        float_data: v,
        ..Default::default()
    }
}

/// An int64 initializer.
pub fn i64_tensor(name: &str, dims: &[i64], v: Vec<i64>) -> TensorProto {
    TensorProto {
        name: Some(name.into()),
        dims: dims.to_vec(),
        data_type: Some(7),
        int64_data: v,
        ..Default::default()
    }
}

/// A model (opset 17) from its parts.
pub fn model(
    nodes: Vec<NodeProto>,
    inits: Vec<TensorProto>,
    inputs: Vec<ValueInfoProto>,
    outputs: Vec<ValueInfoProto>,
) -> ModelProto {
    ModelProto {
        ir_version: Some(8),
        opset_import: vec![OperatorSetIdProto {
            domain: Some(String::new()),
            version: Some(17),
        }],
        graph: Some(GraphProto {
            name: Some("test".into()),
            node: nodes,
            initializer: inits,
            input: inputs,
            output: outputs,
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// NCHW input [1,3,6,6] → Conv 3x3 (4 filters, pads 1) → Relu.
pub fn conv_relu() -> Vec<u8> {
    let w: Vec<f32> = (0..4 * 3 * 9).map(|i| (i % 7) as f32 * 0.1 - 0.3).collect();
    model(
        vec![
            node(
                "conv",
                "Conv",
                &["x", "w"],
                &["c"],
                vec![
                    attr_ints("pads", &[1, 1, 1, 1]),
                    attr_ints("kernel_shape", &[3, 3]),
                ],
            ),
            node("relu", "Relu", &["c"], &["y"], vec![]),
        ],
        vec![f32_tensor("w", &[4, 3, 3, 3], w)],
        vec![value_info("x", &[1, 3, 6, 6])],
        vec![value_info("y", &[1, 4, 6, 6])],
    )
    .encode_to_vec()
}

/// [1, 8] → Gemm (4 units, transB) → Softmax.
pub fn gemm_softmax() -> Vec<u8> {
    let w: Vec<f32> = (0..32).map(|i| (i % 5) as f32 * 0.2 - 0.4).collect();
    model(
        vec![
            node(
                "fc",
                "Gemm",
                &["x", "w", "b"],
                &["h"],
                vec![attr_int("transB", 1)],
            ),
            node("sm", "Softmax", &["h"], &["y"], vec![attr_int("axis", 1)]),
        ],
        vec![
            f32_tensor("w", &[4, 8], w),
            f32_tensor("b", &[4], vec![0.1, -0.2, 0.3, 0.0]),
        ],
        vec![value_info("x", &[1, 8])],
        vec![value_info("y", &[1, 4])],
    )
    .encode_to_vec()
}

/// [1, 2, 3, 4] → Shape → Gather(0) → Unsqueeze → Concat with [-1] → Reshape → Sigmoid: shape
/// arithmetic the importer folds to constants.
pub fn shape_arithmetic() -> Vec<u8> {
    model(
        vec![
            node("shape", "Shape", &["x"], &["s"], vec![]),
            node(
                "batch",
                "Gather",
                &["s", "zero"],
                &["n"],
                vec![attr_int("axis", 0)],
            ),
            node("unsq", "Unsqueeze", &["n", "axes"], &["n1"], vec![]),
            node(
                "cat",
                "Concat",
                &["n1", "minus1"],
                &["target"],
                vec![attr_int("axis", 0)],
            ),
            node("reshape", "Reshape", &["x", "target"], &["r"], vec![]),
            node("act", "Sigmoid", &["r"], &["y"], vec![]),
        ],
        vec![
            i64_tensor("zero", &[], vec![0]),
            i64_tensor("axes", &[1], vec![0]),
            i64_tensor("minus1", &[1], vec![-1]),
        ],
        vec![value_info("x", &[1, 2, 3, 4])],
        vec![value_info("y", &[1, 24])],
    )
    .encode_to_vec()
}

/// Every model of this module: (name, bytes).
pub fn all() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("conv_relu", conv_relu()),
        ("gemm_softmax", gemm_softmax()),
        ("shape_arithmetic", shape_arithmetic()),
    ]
}
