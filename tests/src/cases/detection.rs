//! Detection-family cases (`Op::Detect`): MediaPipe's Convolution2DTransposeBias,
//! MaxPoolingWithArgmax2D and MaxUnpooling2D (LiteRT runs them through XNNPACK, which takes
//! argmax pooling and unpooling only with strides equal to the window),
//! `TFLite_Detection_PostProcess` (fast and regular NMS, float and uint8/int8 scores, with and
//! without a background column), NON_MAX_SUPPRESSION_V4/V5 and WHERE.

use pocket_engine::ir::*;

use super::Cases;
use crate::{Builder, Rng};

fn tconv_bias_cases(c: &mut Cases) {
    for (i, &(h, w, ic, oc, k, s, pad)) in [
        (8, 8, 16, 1, 2, 2, Padding::Same),
        (5, 7, 3, 4, 3, 2, Padding::Same),
        (4, 6, 5, 2, 3, 2, Padding::Valid),
        (3, 3, 2, 3, 1, 3, Padding::Valid),
        (6, 5, 4, 2, 4, 1, Padding::Same),
    ]
    .iter()
    .enumerate()
    {
        let op = Op::Detect(DetOp::TransposeConvBias {
            padding: pad,
            stride: [s, s],
        });
        c.add(
            format!("tconv_bias_{i}_{h}x{w}x{ic}_to_{oc}_k{k}_s{s}_{pad:?}"),
            -1.0,
            1.0,
            |b: &mut Builder, r: &mut Rng, x| {
                let wt = b.f32("w", &[oc, k, k, ic], &r.normals(oc * k * k * ic, 0.5));
                let bias = b.f32("b", &[oc], &r.normals(oc, 0.3));
                vec![b.op("tconv_bias", op, &[Some(x[0]), Some(wt), Some(bias)])]
            },
            &[&[1, h, w, ic]],
        );
    }
}

/// XNNPACK takes MaxUnpooling2D with VALID padding only: the SAME cases pool alone.
fn unpool_cases(c: &mut Cases) {
    for (i, &(n, h, w, ch, k, pad)) in [
        (1, 4, 6, 3, 2, Padding::Valid),
        (2, 5, 7, 2, 2, Padding::Same),
        (1, 6, 6, 4, 3, Padding::Valid),
        (1, 9, 8, 1, 3, Padding::Same),
        (2, 6, 4, 2, 2, Padding::Valid),
    ]
    .iter()
    .enumerate()
    {
        let pool = DetOp::MaxPoolArgmax {
            padding: pad,
            stride: [k, k],
            filter: [k, k],
        };
        let unpool = DetOp::MaxUnpool {
            padding: pad,
            stride: [k, k],
            filter: [k, k],
        };
        c.add(
            format!("argmax_pool_{i}_{n}x{h}x{w}x{ch}_k{k}_{pad:?}"),
            -1.0,
            1.0,
            |b: &mut Builder, _r: &mut Rng, x| {
                let o = b.op_n("argmax", Op::Detect(pool), &[Some(x[0])], &[]);
                if pad == Padding::Same {
                    return o;
                }
                let u = b.op("unpool", Op::Detect(unpool), &[Some(o[0]), Some(o[1])]);
                vec![o[0], o[1], u]
            },
            &[&[n, h, w, ch]],
        );
    }
}

/// Anchors `[n, 4]` (y, x, h, w) on a grid, sizes varied.
fn anchors(r: &mut Rng, n: usize) -> Vec<f32> {
    (0..n)
        .flat_map(|i| {
            let side = (n as f32).sqrt().ceil();
            let (y, x) = ((i as f32 / side).floor(), i as f32 % side);
            [
                (y + 0.5) / side,
                (x + 0.5) / side,
                0.1 + 0.3 * r.uniform(),
                0.1 + 0.3 * r.uniform(),
            ]
        })
        .collect()
}

/// Scores stored as a quantized constant of `dt` (uint8 or int8).
fn quantized_scores(b: &mut Builder, r: &mut Rng, dt: DType, shape: &[usize]) -> TensorId {
    let n: usize = shape.iter().product();
    let (bytes, zp): (Vec<u8>, i64) = match dt {
        DType::U8 => ((0..n).map(|_| (r.next_u64() % 256) as u8).collect(), 0),
        _ => ((0..n).map(|_| (r.next_u64() % 256) as u8).collect(), -128),
    };
    let t = b.raw("scores_q", dt, shape, bytes);
    b.g.tensors[t].quant = Some(QuantParams::per_tensor(1.0 / 255.0, zp));
    t
}

fn postprocess_cases(c: &mut Cases) {
    // (boxes, classes, background column, max det, max classes, per class, regular, quantized
    // scores, quantized box encodings and anchors too). LiteRT 2.3 fails to invoke the op on
    // int8 inputs (uint8 runs), so only uint8 is compared; the engine reads both alike.
    type Config = (
        usize,
        usize,
        bool,
        usize,
        usize,
        usize,
        bool,
        Option<DType>,
        bool,
    );
    let configs: &[Config] = &[
        (20, 3, true, 5, 1, 100, false, None, false),
        (30, 4, false, 6, 2, 100, false, None, false),
        (25, 3, true, 5, 1, 3, true, None, false),
        (40, 2, false, 8, 1, 4, true, None, false),
        (16, 3, true, 10, 1, 100, false, None, false),
        (24, 3, true, 4, 1, 100, false, Some(DType::U8), false),
        (24, 2, false, 4, 1, 2, true, Some(DType::U8), false),
        (24, 3, true, 4, 1, 100, false, Some(DType::U8), true),
        (24, 2, false, 4, 1, 3, true, Some(DType::U8), true),
    ];
    for (i, &(n, nc, bg, md, mc, pc, regular, q, qboxes)) in configs.iter().enumerate() {
        let p = PostProcess {
            max_detections: md,
            max_classes_per_detection: mc,
            detections_per_class: pc,
            nms_score_threshold: 0.3,
            nms_iou_threshold: 0.4,
            num_classes: nc,
            scale: [10.0, 10.0, 5.0, 5.0],
            use_regular_nms: regular,
        };
        let ncb = nc + usize::from(bg);
        let name = format!(
            "postprocess_{i}_{n}boxes_{nc}classes{}_{}_{}",
            if bg { "_bg" } else { "" },
            if regular { "regular" } else { "fast" },
            match (q, qboxes) {
                // "quantize": the oracle then rounds QUANTIZE as the reference kernels (and we) do.
                (Some(_), true) => "u8_boxes_quantize",
                (Some(d), false) => d.name(),
                (None, _) => "f32",
            }
        );
        let inputs: Vec<Vec<usize>> = match q {
            None => vec![vec![1, n, 4], vec![1, n, ncb]],
            Some(_) => vec![vec![1, n, 4]],
        };
        let inputs: Vec<&[usize]> = inputs.iter().map(Vec::as_slice).collect();
        c.add(
            name,
            -1.0,
            1.0,
            |b: &mut Builder, r: &mut Rng, x| {
                let scores = match q {
                    None => x[1],
                    Some(dt) => quantized_scores(b, r, dt, &[1, n, ncb]),
                };
                let a = anchors(r, n);
                // Quantized box encodings come with anchors of the same type.
                let (boxes, a) = if qboxes {
                    let mut t = Tensor::new("boxes_q", DType::U8, vec![1, n, 4]);
                    t.quant = Some(QuantParams::per_tensor(1.0 / 100.0, 128));
                    let bq = b.g.add_tensor(t);
                    b.g.add_node(Node {
                        name: "quantize".into(),
                        op: Op::Quantize,
                        inputs: vec![Some(x[0])],
                        outputs: vec![bq],
                        version: None,
                    })
                    .expect("QUANTIZE node");
                    let qa: Vec<u8> = a
                        .iter()
                        .map(|&v| (v * 255.0).round().clamp(0.0, 255.0) as u8)
                        .collect();
                    let at = b.raw("anchors_q", DType::U8, &[n, 4], qa);
                    b.g.tensors[at].quant = Some(QuantParams::per_tensor(1.0 / 255.0, 0));
                    (bq, at)
                } else {
                    (x[0], b.f32("anchors", &[n, 4], &a))
                };
                b.op_n(
                    "postprocess",
                    Op::Detect(DetOp::PostProcess(p)),
                    &[Some(boxes), Some(scores), Some(a)],
                    &[],
                )
            },
            &inputs,
        );
    }
}

fn nms_cases(c: &mut Cases) {
    for (i, &(n, max, iou, score, sigma)) in [
        (10, 5, 0.5, 0.0, None),
        (30, 10, 0.3, 0.2, None),
        (16, 20, 0.6, -1.0, None),
        (12, 6, 0.5, 0.1, Some(0.5)),
        (25, 8, 1.0, 0.05, Some(0.2)),
        (8, 3, 0.4, 0.3, Some(0.0)),
    ]
    .iter()
    .enumerate()
    {
        let v5 = sigma.is_some();
        c.add(
            format!("nms_v{}_{i}_{n}boxes_max{max}", if v5 { 5 } else { 4 }),
            0.0,
            1.0,
            |b: &mut Builder, _r: &mut Rng, x| {
                let m = b.i32("max", &[], &[max as i32]);
                let t = b.f32("iou", &[], &[iou]);
                let s = b.f32("score", &[], &[score]);
                let mut ins = vec![Some(x[0]), Some(x[1]), Some(m), Some(t), Some(s)];
                if let Some(sg) = sigma {
                    ins.push(Some(b.f32("sigma", &[], &[sg])));
                }
                b.op_n("nms", Op::Detect(DetOp::Nms { v5 }), &ins, &[])
            },
            &[&[n, 4], &[n]],
        );
    }
}

/// WHERE of a data-dependent condition: its output's size is known only when it runs (the
/// file declares `[1, rank]` with shape signature `[-1, rank]`).
fn where_cases(c: &mut Cases) {
    for (i, shape) in [vec![7], vec![3, 4], vec![2, 3, 5], vec![1, 2, 3, 2]]
        .into_iter()
        .enumerate()
    {
        let rank = shape.len();
        for on_bool in [true, false] {
            c.add(
                format!(
                    "where_{i}_rank{rank}_{}",
                    if on_bool { "bool" } else { "f32" }
                ),
                -1.0,
                1.0,
                |b: &mut Builder, _r: &mut Rng, x| {
                    let cond = if on_bool {
                        let zero = b.f32("zero", &[], &[0.2]);
                        b.op(
                            "gt",
                            Op::Compare(CompareKind::Greater),
                            &[Some(x[0]), Some(zero)],
                        )
                    } else {
                        b.op("relu", Op::Unary(UnaryKind::Relu), &[Some(x[0])])
                    };
                    let mut t = Tensor::new("where", DType::I64, vec![1, rank]);
                    t.signature = Some(vec![-1, rank as i32]);
                    let out = b.g.add_tensor(t);
                    b.g.add_node(Node {
                        name: "where".into(),
                        op: Op::Detect(DetOp::Where),
                        inputs: vec![Some(cond)],
                        outputs: vec![out],
                        version: None,
                    })
                    .expect("WHERE node");
                    vec![out]
                },
                &[&shape],
            );
        }
    }
}

/// The builtin cases of the family, in the main suite (the int8 suite quantizes around them).
pub(super) fn detection_cases(c: &mut Cases) {
    nms_cases(c);
    where_cases(c);
}

/// The custom-op cases: LiteRT runs MediaPipe's ops only on its default (XNNPACK) path, not
/// with the reference resolver the int8 suite uses, so they are kept out of the main suite.
pub(super) fn head_cases(c: &mut Cases) {
    tconv_bias_cases(c);
    unpool_cases(c);
    postprocess_cases(c);
}
