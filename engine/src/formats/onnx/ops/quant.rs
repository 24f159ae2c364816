//! QDQ: QuantizeLinear and DequantizeLinear with per-tensor int8/uint8 parameters (constant
//! scale and zero point). Per-axis and blocked parameters are refused; opset 21's `output_dtype`
//! of QuantizeLinear picks the output type when there is no zero point, and opset 23's
//! `output_dtype` of DequantizeLinear is accepted only as float.

use super::{AttrSpec, OpSpec, int, only_int, opt, spec};
use crate::formats::onnx::ctx::{Ctx, Node, NodeResult, first};
use crate::formats::onnx::error::{NodeError, bail, refuse};
use crate::formats::onnx::proto::dtype;
use crate::ir::*;

const Q_ATTRS: &[AttrSpec] = &[
    // Per-axis parameters are refused through the scale's length.
    opt("axis"),
    only_int("block_size", 0),
    // Only meaningful for float8 outputs, which are refused.
    opt("saturate"),
    int("output_dtype", 0),
    // 0 (the scale's type) or float: both are f32 here.
    opt("precision"),
];
const DQ_ATTRS: &[AttrSpec] = &[
    opt("axis"),
    only_int("block_size", 0),
    int("output_dtype", 0),
];

/// The ops of this family.
pub(super) const OPS: &[OpSpec] = &[
    spec(
        "QuantizeLinear",
        10..=28,
        2..=3,
        1..=1,
        Q_ATTRS,
        import_quantize,
    ),
    spec(
        "DequantizeLinear",
        10..=28,
        2..=3,
        1..=1,
        DQ_ATTRS,
        import_dequantize,
    ),
];

/// `(scale, zero point, zero point type)`, per tensor.
fn params(c: &Ctx<'_>, n: &Node<'_>) -> NodeResult<(QuantParams, Option<DType>)> {
    let s = c.const_f32(c.need(n, 1)?, "the scale")?;
    let (zp, zdt) = match c.input(n, 2)? {
        Some(t) => {
            let v = c
                .value(t)
                .ok_or_else(|| NodeError::NotConstant("the zero point".into()))?;
            let zp = v
                .data
                .to_i64()
                .ok_or_else(|| NodeError::Invalid("zero point must be integers".into()))?;
            (zp, Some(v.dtype()))
        }
        None => (vec![0], None),
    };
    let (&[s], &[zp]) = (s.as_slice(), zp.as_slice()) else {
        refuse!(
            "{}: only per-tensor scale and zero point are supported",
            n.op
        );
    };
    Ok((QuantParams::per_tensor(s, zp), zdt))
}

fn import_quantize(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let (q, zdt) = params(c, n)?;
    let want = match i32::try_from(n.i("output_dtype")?).unwrap_or(i32::MAX) {
        0 => None,
        dtype::INT8 => Some(DType::I8),
        dtype::UINT8 => Some(DType::U8),
        t => refuse!(
            "QuantizeLinear to {} is not supported",
            crate::formats::onnx::tensor::dtype_name(t)
        ),
    };
    let dt = match (zdt, want) {
        (Some(z), Some(w)) if z != w => {
            bail!("output_dtype {w} differs from the zero point's type {z}")
        }
        (Some(z), _) => z,
        (None, Some(w)) => w,
        (None, None) => DType::U8,
    };
    if !matches!(dt, DType::I8 | DType::U8) {
        refuse!("QuantizeLinear to {dt} is not supported");
    }
    let y = c.emit_as(Op::Quantize, vec![Some(x)], dt)?;
    c.tensor_mut(y).quant = Some(q);
    Ok(vec![y])
}

fn import_dequantize(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let (q, _) = params(c, n)?;
    if !matches!(i32::try_from(n.i("output_dtype")?), Ok(0 | dtype::FLOAT)) {
        refuse!("DequantizeLinear to a type other than float is not supported");
    }
    // The quantized input carries the parameters (constants get them here).
    let t = c.tensor_mut(x);
    if !matches!(t.dtype, DType::I8 | DType::U8 | DType::I32) {
        refuse!("DequantizeLinear of {} is not supported", t.dtype);
    }
    if t.quant.is_none() || t.data.is_some() {
        t.quant = Some(q);
    }
    Ok(vec![first(c.emit(
        Op::Dequantize,
        vec![Some(x)],
        &[DType::F32],
    )?)?])
}
