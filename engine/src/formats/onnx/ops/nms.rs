//! ONNX NonMaxSuppression as TFLite's NON_MAX_SUPPRESSION_V4, one per batch and class.
//!
//! ONNX returns `[selected, 3]` rows `(batch, class, box)`, batch-major then class-major, each
//! class's boxes best first. TFLite's V4 takes one `[N, 4]` box set and `[N]` scores and
//! returns the selected indices padded to `max_output_size` plus the number valid. So each
//! (batch, class) pair gets a V4 node whose indices are sliced to the valid count (a tensor of
//! data-dependent length), paired with constant batch and class columns, and the rows of every
//! pair are concatenated.
//!
//! Arithmetic: both runtimes select scores strictly above the score threshold. ONNX suppresses
//! a box whose IoU with a kept box is strictly above the IoU threshold, TFLite at or above it,
//! so the threshold passed on is the next float above ONNX's (`iou > t` ⟺ `iou >= next_up(t)`).
//! Both compute IoU from the corners in either order. Centre-format boxes (`center_point_box`
//! = 1: `[x_c, y_c, w, h]`) become corners `[y_c - h/2, x_c - w/2, y_c + h/2, x_c + w/2]` by a
//! constant 4x4 product, each corner one rounding as ONNX Runtime computes it. Equal scores are
//! ordered by TFLite's heap, which need not be ONNX Runtime's lowest-index-first.

use super::{OpSpec, int, spec};
use crate::formats::onnx::ctx::{Ctx, Node, NodeResult, first};
use crate::formats::onnx::error::{NodeError, refuse};
use crate::ir::*;

/// The ops of this family.
pub(super) const OPS: &[OpSpec] = &[spec(
    "NonMaxSuppression",
    10..=28,
    2..=5,
    1..=1,
    &[int("center_point_box", 0)],
    import_nms,
)];

/// The next float above `x` (finite `x`).
fn next_up(x: f32) -> f32 {
    if x == 0.0 {
        f32::from_bits(1)
    } else if x > 0.0 {
        f32::from_bits(x.to_bits() + 1)
    } else {
        f32::from_bits(x.to_bits() - 1)
    }
}

/// A constant scalar input of the node, or `default` when absent.
fn scalar_input(c: &Ctx<'_>, n: &Node<'_>, slot: usize, what: &str) -> NodeResult<Option<f32>> {
    match c.input(n, slot)? {
        Some(t) => Ok(c.const_f32(t, what)?.first().copied()),
        None => Ok(None),
    }
}

fn import_nms(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let boxes = c.need(n, 0)?;
    let scores = c.need(n, 1)?;
    let max = match c.input(n, 2)? {
        Some(t) => c
            .const_ints(t, "max_output_boxes_per_class")?
            .first()
            .copied()
            .unwrap_or(0),
        None => 0,
    };
    let iou = scalar_input(c, n, 3, "iou_threshold")?.unwrap_or(0.0);
    let score = scalar_input(c, n, 4, "score_threshold")?.unwrap_or(f32::NEG_INFINITY);
    if !iou.is_finite() {
        refuse!("NonMaxSuppression with iou_threshold {iou}");
    }
    let center = n.i("center_point_box")?;
    let (bs, ss) = (c.shape(boxes), c.shape(scores));
    let (b, nb, classes) = match (bs.as_slice(), ss.as_slice()) {
        ([b, nb, 4], [b2, cl, nb2]) if b == b2 && nb == nb2 => (*b, *nb, *cl),
        _ => {
            return Err(NodeError::Invalid(format!(
                "boxes {bs:?} and scores {ss:?} must be [B, N, 4] and [B, C, N]"
            )));
        }
    };
    let max = usize::try_from(max).unwrap_or(0).min(nb);
    if max == 0 || b * classes == 0 {
        let nm = c.fresh("none_selected");
        return Ok(vec![
            c.konst(&nm, Value::new(vec![0, 3], Data::I64(vec![]))),
        ]);
    }
    let corners = if center == 1 {
        // [x_c, y_c, w, h] · M = [y1, x1, y2, x2].
        #[rustfmt::skip]
        let m = vec![
            0.0, 1.0, 0.0, 1.0,
            1.0, 0.0, 1.0, 0.0,
            0.0, -0.5, 0.0, 0.5,
            -0.5, 0.0, 0.5, 0.0,
        ];
        let nm = c.fresh("center_to_corners");
        let w = c.konst(&nm, Value::f32(vec![4, 4], m));
        c.emit1(
            Op::BatchMatMul(BatchMatMul {
                adj_x: false,
                adj_y: false,
                asymmetric_quantize_inputs: false,
            }),
            vec![Some(boxes), Some(w)],
        )?
    } else {
        boxes
    };
    let max_t = c.konst(
        &format!("{}/max_output", c.node),
        Value::new(vec![], Data::I32(vec![max as i32])),
    );
    let iou_t = c.scalar(next_up(iou));
    let score_t = c.scalar(score);
    let zero = c.ints_const("begin", &[0]);
    let shape_k1 = c.ints_const("rows", &[-1, 1]);
    let shape_1 = c.ints_const("one", &[1]);
    let zero_i = c.ints_const("zero", &[0]);
    let mut rows = Vec::new();
    for bi in 0..b {
        let bx = slice(c, corners, &[bi, 0, 0], &[1, nb, 4])?;
        let bx = c.reshape(bx, &[nb, 4])?;
        for ci in 0..classes {
            let sc = slice(c, scores, &[bi, ci, 0], &[1, 1, nb])?;
            let sc = c.reshape(sc, &[nb])?;
            let outs = c.emit(
                Op::Detect(DetOp::Nms { v5: false }),
                vec![Some(bx), Some(sc), Some(max_t), Some(iou_t), Some(score_t)],
                &[DType::I32, DType::I32],
            )?;
            let (sel, valid) = match outs.as_slice() {
                [s, v] => (*s, *v),
                _ => return Err(NodeError::Invalid("NMS gives two outputs".into())),
            };
            let count = c.emit1(
                Op::Reshape { new_shape: None },
                vec![Some(valid), Some(shape_1)],
            )?;
            let picked = c.emit_dynamic(
                Op::Slice,
                vec![Some(sel), Some(zero), Some(count)],
                DType::I32,
                vec![max],
            );
            let col = c.emit1(
                Op::Reshape { new_shape: None },
                vec![Some(picked), Some(shape_k1)],
            )?;
            let z = c.binary(BinaryKind::Mul, col, zero_i)?;
            let bnum = c.ints_const("batch", &[bi as i64]);
            let cnum = c.ints_const("class", &[ci as i64]);
            let bcol = c.binary(BinaryKind::Add, z, bnum)?;
            let ccol = c.binary(BinaryKind::Add, z, cnum)?;
            rows.push(concat(c, &[bcol, ccol, col], 1)?);
        }
    }
    let all = if rows.len() == 1 {
        first(rows)?
    } else {
        concat(c, &rows, 0)?
    };
    Ok(vec![c.emit_as(Op::Cast, vec![Some(all)], DType::I64)?])
}

fn slice(c: &mut Ctx<'_>, x: TensorId, begin: &[usize], size: &[usize]) -> NodeResult<TensorId> {
    let to_i = |v: &[usize]| v.iter().map(|&d| d as i64).collect::<Vec<_>>();
    let b = c.ints_const("begin", &to_i(begin));
    let s = c.ints_const("size", &to_i(size));
    c.emit1(Op::Slice, vec![Some(x), Some(b), Some(s)])
}

fn concat(c: &mut Ctx<'_>, xs: &[TensorId], axis: i32) -> NodeResult<TensorId> {
    c.emit1(
        Op::Concatenation {
            axis,
            act: Activation::None,
        },
        xs.iter().map(|&x| Some(x)).collect(),
    )
}
