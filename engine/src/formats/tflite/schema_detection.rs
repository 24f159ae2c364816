//! TFLite encodings of the detection family (`Op::Detect`): the custom ops' codes and options
//! bytes (MediaPipe's raw `TfLiteTransposeConvParams` / `TfLitePoolParams` structs,
//! `TFLite_Detection_PostProcess`'s FlexBuffers map).

use std::collections::BTreeMap;

use super::flexbuf::{self, Scalar};
use crate::ir::{DetOp, Op, Padding, PostProcess};

/// LiteRT's `kNumDetectionsPerClass`, the default of `detections_per_class`.
const DETECTIONS_PER_CLASS: usize = 100;

/// WHERE
pub const WHERE: i32 = 109;
/// NON_MAX_SUPPRESSION_V4
pub const NON_MAX_SUPPRESSION_V4: i32 = 120;
/// NON_MAX_SUPPRESSION_V5
pub const NON_MAX_SUPPRESSION_V5: i32 = 121;

/// The builtin codes of this family with their names.
pub const DECODED: &[(i32, &str)] = &[
    (WHERE, "WHERE"),
    (NON_MAX_SUPPRESSION_V4, "NON_MAX_SUPPRESSION_V4"),
    (NON_MAX_SUPPRESSION_V5, "NON_MAX_SUPPRESSION_V5"),
];

/// The op of one of this family's builtin codes (they have no options).
pub fn decode(c: i32) -> Option<Op> {
    Some(Op::Detect(match c {
        NON_MAX_SUPPRESSION_V4 => DetOp::Nms { v5: false },
        NON_MAX_SUPPRESSION_V5 => DetOp::Nms { v5: true },
        WHERE => DetOp::Where,
        _ => return None,
    }))
}

/// Builtin code, options union tag and (empty) options of a builtin of this family.
pub fn encode(d: &DetOp) -> Option<(i32, u8, super::builder::TableB)> {
    let c = match d {
        DetOp::Nms { v5: false } => NON_MAX_SUPPRESSION_V4,
        DetOp::Nms { v5: true } => NON_MAX_SUPPRESSION_V5,
        DetOp::Where => WHERE,
        _ => return None,
    };
    Some((c, 0, super::builder::TableB::new()))
}

/// The custom codes this family decodes.
pub const CUSTOM_CODES: &[&str] = &[
    "Convolution2DTransposeBias",
    "MaxPoolingWithArgmax2D",
    "MaxUnpooling2D",
    "TFLite_Detection_PostProcess",
];

fn i32_at(b: &[u8], i: usize) -> Option<i32> {
    let s = b.get(i * 4..i * 4 + 4)?;
    Some(i32::from_le_bytes(s.try_into().ok()?))
}

fn pos(b: &[u8], i: usize) -> Option<usize> {
    usize::try_from(i32_at(b, i)?).ok().filter(|&v| v > 0)
}

/// `TfLitePadding`: 1 SAME, 2 VALID (0, unknown, is not decoded).
fn padding(b: &[u8]) -> Option<Padding> {
    match i32_at(b, 0)? {
        1 => Some(Padding::Same),
        2 => Some(Padding::Valid),
        _ => None,
    }
}

fn padding_code(p: Padding) -> i32 {
    match p {
        Padding::Same => 1,
        Padding::Valid => 2,
    }
}

/// The op of a CUSTOM operator with code `name` and options `opts`, when this family models it
/// (`None`: kept as a custom op — unknown code, or options it cannot read).
pub fn decode_custom(name: &str, opts: &[u8]) -> Option<Op> {
    let d = match name {
        // {padding, stride_width, stride_height, ...}
        "Convolution2DTransposeBias" => DetOp::TransposeConvBias {
            padding: padding(opts)?,
            stride: [pos(opts, 2)?, pos(opts, 1)?],
        },
        // TfLitePoolParams: {padding, stride_w, stride_h, filter_w, filter_h, activation, ...}
        "MaxPoolingWithArgmax2D" | "MaxUnpooling2D" => {
            let (padding, stride, filter) = (
                padding(opts)?,
                [pos(opts, 2)?, pos(opts, 1)?],
                [pos(opts, 4)?, pos(opts, 3)?],
            );
            if i32_at(opts, 5).is_some_and(|a| a != 0) {
                return None;
            }
            if name == "MaxUnpooling2D" {
                DetOp::MaxUnpool {
                    padding,
                    stride,
                    filter,
                }
            } else {
                DetOp::MaxPoolArgmax {
                    padding,
                    stride,
                    filter,
                }
            }
        }
        "TFLite_Detection_PostProcess" => DetOp::PostProcess(post_process(opts)?),
        _ => return None,
    };
    Some(Op::Detect(d))
}

fn post_process(opts: &[u8]) -> Option<PostProcess> {
    let m = flexbuf::read_map(opts)?;
    let count = |k: &str| -> Option<usize> { usize::try_from(m.get(k)?.as_i64()).ok() };
    let f = |k: &str| -> Option<f32> { Some(m.get(k)?.as_f64() as f32) };
    Some(PostProcess {
        max_detections: count("max_detections")?,
        max_classes_per_detection: count("max_classes_per_detection")?,
        detections_per_class: match m.get("detections_per_class") {
            None => DETECTIONS_PER_CLASS,
            Some(_) => count("detections_per_class")?,
        },
        nms_score_threshold: f("nms_score_threshold")?,
        nms_iou_threshold: f("nms_iou_threshold")?,
        num_classes: count("num_classes")?,
        scale: [f("y_scale")?, f("x_scale")?, f("h_scale")?, f("w_scale")?],
        use_regular_nms: m.get("use_regular_nms").is_some_and(|v| v.as_bool()),
    })
}

/// The custom code and options bytes of a custom op of this family (`None`: a builtin or
/// another family).
pub fn encode_custom(op: &Op) -> Option<(&'static str, Vec<u8>)> {
    let Op::Detect(d) = op else { return None };
    let ints = |v: &[i32]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let bytes = match *d {
        DetOp::TransposeConvBias { padding, stride } => {
            ints(&[padding_code(padding), stride[1] as i32, stride[0] as i32])
        }
        DetOp::MaxPoolArgmax {
            padding,
            stride,
            filter,
        }
        | DetOp::MaxUnpool {
            padding,
            stride,
            filter,
        } => {
            // The whole TfLitePoolParams: activation none, computed padding zero.
            ints(&[
                padding_code(padding),
                stride[1] as i32,
                stride[0] as i32,
                filter[1] as i32,
                filter[0] as i32,
                0,
                0,
                0,
                0,
                0,
            ])
        }
        DetOp::PostProcess(p) => {
            let mut m = BTreeMap::new();
            let n = |v: usize| Scalar::Int(v as i64);
            let f = |v: f32| Scalar::Float(f64::from(v));
            m.insert("max_detections", n(p.max_detections));
            m.insert("max_classes_per_detection", n(p.max_classes_per_detection));
            m.insert("detections_per_class", n(p.detections_per_class));
            m.insert("nms_score_threshold", f(p.nms_score_threshold));
            m.insert("nms_iou_threshold", f(p.nms_iou_threshold));
            m.insert("num_classes", n(p.num_classes));
            m.insert("y_scale", f(p.scale[0]));
            m.insert("x_scale", f(p.scale[1]));
            m.insert("h_scale", f(p.scale[2]));
            m.insert("w_scale", f(p.scale[3]));
            m.insert("use_regular_nms", Scalar::Bool(p.use_regular_nms));
            flexbuf::write_map(&m)
        }
        DetOp::Nms { .. } | DetOp::Where => return None,
    };
    Some((d.name(), bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_custom_op_round_trips() {
        let ops = [
            DetOp::TransposeConvBias {
                padding: Padding::Same,
                stride: [2, 3],
            },
            DetOp::MaxPoolArgmax {
                padding: Padding::Valid,
                stride: [2, 2],
                filter: [3, 2],
            },
            DetOp::MaxUnpool {
                padding: Padding::Same,
                stride: [1, 2],
                filter: [2, 2],
            },
            DetOp::PostProcess(PostProcess {
                max_detections: 10,
                max_classes_per_detection: 1,
                detections_per_class: 5,
                nms_score_threshold: 0.25,
                nms_iou_threshold: 0.5,
                num_classes: 3,
                scale: [10.0, 10.0, 5.0, 5.0],
                use_regular_nms: true,
            }),
        ];
        for d in ops {
            let (name, bytes) =
                encode_custom(&Op::Detect(d)).unwrap_or_else(|| panic!("{d:?} does not encode"));
            assert!(CUSTOM_CODES.contains(&name));
            assert_eq!(decode_custom(name, &bytes), Some(Op::Detect(d)), "{name}");
        }
        // MediaPipe's own bytes: SAME, stride 2x2.
        let mp = [1u8, 0, 0, 0, 2, 0, 0, 0, 2, 0, 0, 0];
        assert_eq!(
            decode_custom("Convolution2DTransposeBias", &mp),
            Some(Op::Detect(DetOp::TransposeConvBias {
                padding: Padding::Same,
                stride: [2, 2]
            }))
        );
        assert_eq!(
            decode_custom("Convolution2DTransposeBias", mp.split_at(8).0),
            None
        );
        assert_eq!(decode_custom("TFLite_Detection_PostProcess", &mp), None);
    }
}
