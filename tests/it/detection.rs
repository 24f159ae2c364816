//! The detection family without an oracle: custom ops whose shapes do not fit what the family
//! models stay kept (the model still opens), the options round-trip through the file, and
//! `TFLite_Detection_PostProcess` gives its four outputs in LiteRT's layout.

use pocket_engine::formats::tflite;
use pocket_engine::ir::*;
use pocket_engine::{Session, SessionOptions};
use pocket_tests::{Builder, Rng};

fn tconv_bias(declared: Option<Vec<usize>>) -> Graph {
    let mut r = Rng::new(9);
    let mut b = Builder::new();
    let x = b.input("x", DType::F32, &[1, 3, 3, 2]);
    let w = b.f32("w", &[1, 2, 2, 2], &r.normals(8, 0.5));
    let bias = b.f32("b", &[1], &[0.25]);
    let op = Op::Detect(DetOp::TransposeConvBias {
        padding: Padding::Same,
        stride: [2, 2],
    });
    let y = b.op("tconv", op, &[Some(x), Some(w), Some(bias)]);
    if let Some(s) = declared {
        b.g.tensors[y].shape = s;
    }
    b.finish(&[y])
}

#[test]
fn a_custom_op_with_shapes_that_do_not_fit_stays_kept() {
    let g = tflite::read_bytes(tflite::to_bytes(&tconv_bias(None)).expect("write")).expect("read");
    assert_eq!(g.nodes[0].op.name(), "Convolution2DTransposeBias");
    assert!(matches!(g.nodes[0].op, Op::Detect(_)));
    assert_eq!(g.tensors[g.outputs[0]].shape, [1, 6, 6, 1]);
    // The same file declaring another output size: kept as the custom op it is.
    let odd = tconv_bias(Some(vec![1, 5, 5, 1]));
    let g = tflite::read_bytes(tflite::to_bytes(&odd).expect("write")).expect("still opens");
    assert!(
        matches!(&g.nodes[0].op, Op::Custom { name, .. } if name == "Convolution2DTransposeBias"),
        "{:?}",
        g.nodes[0].op
    );
    let back = tflite::read_bytes(tflite::to_bytes(&g).expect("write kept")).expect("read");
    assert!(matches!(back.nodes[0].op, Op::Custom { .. }));
}

#[test]
fn post_process_fills_unused_rows_with_zeros() {
    let mut b = Builder::new();
    let enc = b.input("enc", DType::F32, &[1, 2, 4]);
    let sc = b.input("scores", DType::F32, &[1, 2, 2]);
    let anchors = b.f32("a", &[2, 4], &[0.2, 0.2, 0.2, 0.2, 0.8, 0.8, 0.2, 0.2]);
    let p = PostProcess {
        max_detections: 3,
        max_classes_per_detection: 1,
        detections_per_class: 3,
        nms_score_threshold: 0.5,
        nms_iou_threshold: 0.5,
        num_classes: 1,
        scale: [10.0, 10.0, 5.0, 5.0],
        use_regular_nms: false,
    };
    let outs = b.op_n(
        "pp",
        Op::Detect(DetOp::PostProcess(p)),
        &[Some(enc), Some(sc), Some(anchors)],
        &[],
    );
    let g = b.finish(&outs);
    let s = Session::new(
        &g,
        &SessionOptions {
            threads: 1,
            ..Default::default()
        },
    )
    .expect("session");
    let out = s
        .run(vec![
            Value::f32(vec![1, 2, 4], vec![0.0; 8]),
            // background, class 0: only the second box passes the threshold.
            Value::f32(vec![1, 2, 2], vec![0.0, 0.4, 0.0, 0.9]),
        ])
        .expect("run");
    assert_eq!(out[0].shape, [1, 3, 4]);
    let boxes = out[0].as_f32().expect("f32");
    let want = [0.7f32, 0.7, 0.9, 0.9];
    for (a, w) in boxes[..4].iter().zip(want) {
        assert!((a - w).abs() < 1e-6, "{boxes:?}");
    }
    assert!(boxes[4..].iter().all(|&v| v == 0.0));
    assert_eq!(out[2].as_f32().expect("f32"), [0.9, 0.0, 0.0]);
    assert_eq!(out[3].as_f32().expect("f32"), [1.0]);
}
