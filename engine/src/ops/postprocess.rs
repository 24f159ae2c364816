//! `TFLite_Detection_PostProcess` and NON_MAX_SUPPRESSION_V4/V5 (`Op::Detect`): shape
//! inference and evaluation. Quantized (uint8/int8) box encodings, scores and anchors are
//! dequantized first, as LiteRT does; the outputs are float.

use super::{EvalCtx, Fact, InferResult, Ins, arg, need};
use crate::error::OpError;
use crate::ir::{DType, PostProcess, Value};
use crate::kernels::postprocess::{PostParams, decode_boxes, non_max_suppression, post_process};

type R<T> = std::result::Result<T, OpError>;

/// Output shapes of the post-process: boxes, classes, scores, count.
pub(super) fn infer_post(p: &PostProcess, ins: &[Option<Fact<'_>>]) -> InferResult {
    let (b, s, a) = (need(ins, 0)?, need(ins, 1)?, need(ins, 2)?);
    match (b.shape, s.shape, a.shape) {
        ([1, n, c], [1, m, k], [na, 4]) if n == m && m == na && *c >= 4 && *k > 0 => {}
        _ => {
            return Err(OpError::Invalid(format!(
                "box encodings {:?}, class scores {:?} and anchors {:?} must be [1, N, 4+], \
                 [1, N, C] and [N, 4]",
                b.shape, s.shape, a.shape
            )));
        }
    }
    let m = p.max_detections * p.max_classes_per_detection;
    Ok(Some(vec![
        (DType::F32, vec![1, m, 4]),
        (DType::F32, vec![1, m]),
        (DType::F32, vec![1, m]),
        (DType::F32, vec![1]),
    ]))
}

/// Output shapes of NMS: indices (and V5's scores) of `max_output_size`, and the count.
pub(super) fn infer_nms(v5: bool, ins: &[Option<Fact<'_>>]) -> InferResult {
    let (b, s) = (need(ins, 0)?, need(ins, 1)?);
    match (b.shape, s.shape) {
        ([n, 4], [m]) if n == m => {}
        _ => {
            return Err(OpError::Invalid(format!(
                "boxes {:?} and scores {:?} must be [N, 4] and [N]",
                b.shape, s.shape
            )));
        }
    }
    let Some(max) = super::fact_ints(&need(ins, 2)?)? else {
        return Ok(None);
    };
    let max = max_output(&max)?;
    let mut outs = vec![(DType::I32, vec![max])];
    if v5 {
        outs.push((DType::F32, vec![max]));
    }
    outs.push((DType::I32, vec![]));
    Ok(Some(outs))
}

fn max_output(v: &[i64]) -> R<usize> {
    match v {
        [m] => usize::try_from(*m)
            .map_err(|_| OpError::Invalid(format!("max_output_size {m} is negative"))),
        _ => Err(OpError::Invalid(format!(
            "max_output_size must be a scalar, got {} values",
            v.len()
        ))),
    }
}

/// Input `i` as f32, dequantized with its tensor's parameters when quantized.
fn floats(ins: &Ins<'_>, ctx: &EvalCtx<'_>, i: usize) -> R<Vec<f32>> {
    let v = arg(ins, i)?;
    match v.as_f32() {
        Some(f) => Ok(f.to_vec()),
        None => {
            let q = ctx.in_quant.get(i).copied().flatten();
            let d = super::dequantize_value(v, q)?;
            Ok(d.as_f32().map(<[f32]>::to_vec).unwrap_or_default())
        }
    }
}

fn scalar_f32(ins: &Ins<'_>, i: usize) -> R<f32> {
    match arg(ins, i)?.as_f32() {
        Some([x]) => Ok(*x),
        _ => Err(OpError::Invalid(format!("input {i} must be one float"))),
    }
}

/// Evaluate the post-process.
pub(super) fn eval_post(p: &PostProcess, ins: &Ins<'_>, ctx: &EvalCtx<'_>) -> R<Vec<Value>> {
    let (bv, sv) = (arg(ins, 0)?, arg(ins, 1)?);
    let (&[1, n, c], &[1, _, ncb]) = (bv.shape.as_slice(), sv.shape.as_slice()) else {
        return Err("box encodings and scores must be [1, N, ...]".into());
    };
    let (enc, scores, anchors) = (
        floats(ins, ctx, 0)?,
        floats(ins, ctx, 1)?,
        floats(ins, ctx, 2)?,
    );
    if enc.len() != n * c || scores.len() != n * ncb || anchors.len() != n * 4 {
        return Err("box encodings, scores and anchors do not hold N boxes".into());
    }
    let enc: Vec<[f32; 4]> = (0..n)
        .map(|i| [enc[i * c], enc[i * c + 1], enc[i * c + 2], enc[i * c + 3]])
        .collect();
    let anchors: Vec<[f32; 4]> = anchors
        .chunks_exact(4)
        .map(|a| [a[0], a[1], a[2], a[3]])
        .collect();
    let boxes = decode_boxes(&enc, &anchors, p.scale);
    let params = PostParams {
        max_detections: p.max_detections,
        max_classes_per_detection: p.max_classes_per_detection,
        detections_per_class: p.detections_per_class,
        score_threshold: p.nms_score_threshold,
        iou_threshold: p.nms_iou_threshold,
        num_classes: p.num_classes,
        scale: p.scale,
        regular: p.use_regular_nms,
    };
    let d =
        post_process(&params, &boxes, &scores, ncb).map_err(|e| OpError::Invalid(e.to_string()))?;
    let m = d.classes.len();
    Ok(vec![
        Value::f32(vec![1, m, 4], d.boxes),
        Value::f32(vec![1, m], d.classes),
        Value::f32(vec![1, m], d.scores),
        Value::f32(vec![1], vec![d.count as f32]),
    ])
}

/// Evaluate NON_MAX_SUPPRESSION_V4 / V5 (float).
pub(super) fn eval_nms(v5: bool, ins: &Ins<'_>) -> R<Vec<Value>> {
    let boxes = super::f32_arg(ins, 0)?;
    let scores = super::f32_arg(ins, 1)?;
    if boxes.len() != scores.len() * 4 {
        return Err("boxes must be [N, 4] for N scores".into());
    }
    let max = max_output(&super::ints(arg(ins, 2)?)?)?;
    let iou = scalar_f32(ins, 3)?;
    let score = scalar_f32(ins, 4)?;
    let sigma = if v5 { scalar_f32(ins, 5)? } else { 0.0 };
    let (mut idx, mut sel) = non_max_suppression(boxes, scores, max, iou, score, sigma);
    let count = idx.len() as i32;
    idx.resize(max, 0);
    sel.resize(max, 0.0);
    let mut outs = vec![Value::new(vec![max], crate::ir::Data::I32(idx))];
    if v5 {
        outs.push(Value::f32(vec![max], sel));
    }
    outs.push(Value::new(vec![], crate::ir::Data::I32(vec![count])));
    Ok(outs)
}
