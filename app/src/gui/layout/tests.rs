//! Tests of the views built from graphs: folding, input/output boxes, edges, source views.

use pocket_engine::ir::*;

use super::*;

/// x -> CONV_2D (f16 filter via DEQUANTIZE, f32 bias) -> RELU -> y.
pub fn fp16_conv() -> Graph {
    let mut g = Graph::default();
    let x = g.add_tensor(Tensor::new("x", DType::F32, vec![1, 8, 8, 3]));
    g.inputs.push(x);
    let mut w = Tensor::new("conv/filter_fp16", DType::F16, vec![4, 3, 3, 3]);
    w.data = Some(Bytes::from_vec(vec![0u8; 4 * 27 * 2]));
    let w = g.add_tensor(w);
    let mut b = Tensor::new("conv/bias", DType::F32, vec![4]);
    b.data = Some(Bytes::from_vec(vec![0u8; 16]));
    let b = g.add_tensor(b);
    let wd = g
        .push_node("dequant", Op::Dequantize, vec![Some(w)], &[])
        .expect("dequantize")[0];
    let op = Op::Conv2d(Conv2d {
        padding: Padding::Same,
        stride: [2, 2],
        dilation: [1, 1],
        act: Activation::Relu6,
    });
    let c = g
        .push_node("conv", op, vec![Some(x), Some(wd), Some(b)], &[])
        .expect("conv")[0];
    let y = g
        .push_node("relu", Op::Unary(UnaryKind::Relu), vec![Some(c)], &[])
        .expect("relu")[0];
    g.outputs.push(y);
    g
}

#[test]
fn decoders_of_constants_fold_into_their_consumer() {
    let g = fp16_conv();
    let v = layout(&g).main;
    let titles: Vec<&str> = v.nodes.iter().map(|n| n.title.as_str()).collect();
    assert_eq!(titles, ["Input", "CONV_2D", "RELU", "Output"]);
    assert_eq!(v.folded, 1);
    let conv = &v.nodes[1];
    assert_eq!(conv.lines, ["3×3, stride 2, same", "4 filters", "ReLU6"]);
    assert_eq!(conv.weights.len(), 2);
    assert_eq!(conv.weights[0].text, "filter 4×3×3×3 f16 as f32");
    assert!(
        conv.weights[0]
            .details
            .contains("decoded by DEQUANTIZE (dequant)")
    );
    assert_eq!(conv.weights[1].text, "bias 4 f32");
    // The folded DEQUANTIZE selects (and is found in) its consumer.
    assert_eq!(v.by_ir.get(&0), Some(&1));
    assert!(conv.search.contains("dequantize"));
    assert_eq!(conv.covers, [1, 0]);
    // Edges: input -> conv -> relu -> output, each with its shape.
    let e: Vec<(usize, usize, &str)> = v
        .edges
        .iter()
        .map(|e| (e.from, e.to, e.label.as_str()))
        .collect();
    assert_eq!(e, [(0, 1, "1×8×8×3"), (1, 2, "1×4×4×4"), (2, 3, "1×4×4×4")]);
    // Ranks top to bottom, boxes sized for their text.
    for w in v.nodes.windows(2) {
        assert!(w[1].pos[1] > w[0].pos[1] + w[0].size[1]);
    }
    assert!(
        conv.size[1] > v.nodes[2].size[1],
        "weight rows make the box taller"
    );
}

#[test]
fn a_decoder_whose_output_is_a_model_output_stays_a_box() {
    let mut g = fp16_conv();
    let dq = g.nodes[0].outputs[0];
    g.outputs.push(dq);
    let v = layout(&g).main;
    assert_eq!(v.folded, 0);
    assert!(v.nodes.iter().any(|n| n.title == "DEQUANTIZE"));
}

#[test]
fn subgraphs_get_their_own_views() {
    let mut g = fp16_conv();
    let mut body = fp16_conv();
    body.name = "cond".into();
    g.subgraphs.push(body);
    let l = layout(&g);
    assert_eq!(l.subgraphs.len(), 1);
    assert_eq!(l.subgraphs[0].title, "Subgraph 1: cond");
    assert_eq!(l.subgraphs[0].nodes.len(), 4);
    // Boxes of subgraph views do not select main-graph nodes.
    assert!(l.subgraphs[0].nodes.iter().all(|n| n.ir.is_none()));
}

/// An ONNX-like source graph: x -> Conv (W, B) -> Relu -> y, translated to the fp16 graph's
/// CONV_2D (node 1) and RELU (node 2).
pub fn source() -> SourceGraph {
    let val = |name: &str, dims: Vec<SourceDim>, is_const: bool| SourceValue {
        name: name.into(),
        dtype: "float32".into(),
        dims: Some(dims),
        is_const,
        numel: 0,
        tensor: None,
    };
    use SourceDim::{Fixed as F, Named};
    SourceGraph {
        format: "ONNX".into(),
        values: vec![
            val("x", vec![Named("batch".into()), F(3), F(8), F(8)], false),
            val("W", vec![F(4), F(3), F(3), F(3)], true),
            val("B", vec![F(4)], true),
            val("c", vec![Named("batch".into()), F(4), F(4), F(4)], false),
            val("y", vec![Named("batch".into()), F(4), F(4), F(4)], false),
        ],
        nodes: vec![
            SourceNode {
                name: "conv0".into(),
                op_type: "Conv".into(),
                domain: String::new(),
                attrs: vec![
                    ("kernel_shape".into(), AttrValue::Ints(vec![3, 3])),
                    ("strides".into(), AttrValue::Ints(vec![2, 2])),
                ],
                inputs: vec![Some(0), Some(1), Some(2)],
                outputs: vec![3],
                translated: vec![1],
            },
            SourceNode {
                name: "relu0".into(),
                op_type: "Relu".into(),
                domain: String::new(),
                attrs: vec![],
                inputs: vec![Some(3)],
                outputs: vec![4],
                translated: vec![2],
            },
        ],
        inputs: vec![0],
        outputs: vec![4],
        resizable: None,
    }
}

#[test]
fn the_source_view_draws_the_file_graph_with_its_names_and_shapes() {
    let mut g = fp16_conv();
    g.source = Some(Box::new(source()));
    let l = layout(&g);
    let s = l.source.as_ref().expect("source view");
    assert_eq!(s.title, "ONNX graph");
    let titles: Vec<&str> = s.nodes.iter().map(|n| n.title.as_str()).collect();
    assert_eq!(titles, ["Input", "Conv", "Relu", "Output"]);
    assert_eq!(s.nodes[1].lines, ["3×3, stride 2", "4 filters"]);
    assert_eq!(s.nodes[1].weights.len(), 2);
    assert_eq!(s.nodes[1].ir, Some(1));
    assert!(s.nodes[1].details.contains("translated into CONV_2D"));
    assert_eq!(s.nodes[1].look, Look::Family(OpFamily::Conv));
    assert_eq!(s.edges[0].label, "batch×3×8×8");
    assert_eq!(s.by_ir.get(&2), Some(&2));
}
