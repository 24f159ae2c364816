//! Constants, shapes and pass-throughs: Constant, ConstantOfShape, Shape (folded to constants at
//! import: shapes are static), Identity and Dropout (inference: the input, with an all-true
//! mask when asked), Cast (f16 is carried as f32, rounded through a half cast).

use super::shape::MAX_CONST;
use super::{OpSpec, float, int, opt, spec};
use crate::formats::onnx::ctx::{Ctx, Node, NodeResult, first, scalar_f32};
use crate::formats::onnx::error::refuse;
use crate::formats::onnx::proto::dtype::FLOAT16;
use crate::formats::onnx::tensor::{dtype_name, engine_dtype};
use crate::ir::*;

/// The ops of this family.
pub(super) const OPS: &[OpSpec] = &[
    spec(
        "Shape",
        7..=28,
        1..=1,
        1..=1,
        &[opt("start"), opt("end")],
        import_shape,
    ),
    spec(
        "Constant",
        7..=28,
        0..=0,
        1..=1,
        &[
            opt("value"),
            opt("value_float"),
            opt("value_floats"),
            opt("value_int"),
            opt("value_ints"),
        ],
        import_constant,
    ),
    spec(
        "ConstantOfShape",
        9..=28,
        1..=1,
        1..=1,
        &[opt("value")],
        import_constant_of_shape,
    ),
    spec("Identity", 7..=28, 1..=1, 1..=1, &[], import_identity),
    // Ratio and training_mode became inputs in opset 12.
    spec(
        "Dropout",
        7..=11,
        1..=1,
        1..=2,
        &[float("ratio", 0.5)],
        import_identity,
    ),
    spec(
        "Dropout",
        12..=28,
        1..=3,
        1..=2,
        &[int("seed", 0)],
        import_identity,
    ),
    spec("Cast", 7..=28, 1..=1, 1..=1, &[int("to", 1)], import_cast),
];

fn import_identity(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    if n.op == "Dropout" && n.output_used(1) {
        // The mask of an inference-mode dropout is all true.
        let s = c.shape(x);
        let nm = c.fresh("mask");
        let m = c.konst(
            &nm,
            Value::new(s.clone(), Data::Bool(vec![true; s.iter().product()])),
        );
        return Ok(vec![x, m]);
    }
    Ok(vec![x])
}

fn import_constant(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let v = if let Some(t) = n.tensor("value")? {
        c.tensor_value(t)?
    } else if n.has("value_float") {
        scalar_f32(n.f("value_float")?)
    } else if let Some(f) = n.floats("value_floats")? {
        Value::new(vec![f.len()], Data::F32(f))
    } else if n.has("value_int") {
        Value::new(vec![], Data::I64(vec![n.i("value_int")?]))
    } else if let Some(i) = n.ints("value_ints")? {
        Value::new(vec![i.len()], Data::I64(i))
    } else {
        refuse!("Constant without a supported value attribute");
    };
    let name = n.proto.output.first().cloned().unwrap_or_default();
    Ok(vec![c.konst(&name, v)])
}

fn import_shape(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let s: Vec<i64> = c.shape(x).iter().map(|&d| d as i64).collect();
    let r = s.len() as i64;
    let clampi = |v: i64| (if v < 0 { v + r } else { v }).clamp(0, r) as usize;
    let start = if n.has("start") { n.i("start")? } else { 0 };
    let end = if n.has("end") { n.i("end")? } else { r };
    let (b, e) = (clampi(start), clampi(end));
    let v = s.get(b..e.max(b)).unwrap_or_default().to_vec();
    let nm = c.fresh("shape");
    Ok(vec![c.konst(&nm, Value::new(vec![v.len()], Data::I64(v)))])
}

fn import_constant_of_shape(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let s = c.const_ints(c.need(n, 0)?, "the shape")?;
    let s: Vec<usize> = s.iter().map(|&d| d.max(0) as usize).collect();
    let count = s
        .iter()
        .try_fold(1usize, |p, &d| p.checked_mul(d))
        .filter(|&p| p <= MAX_CONST);
    let Some(count) = count else {
        refuse!("ConstantOfShape {s:?} is too large");
    };
    let v = match n.tensor("value")? {
        Some(t) => c.tensor_value(t)?,
        None => scalar_f32(0.0),
    };
    let data = match v.data {
        Data::F32(x) => Data::F32(vec![x.first().copied().unwrap_or(0.0); count]),
        Data::I64(x) => Data::I64(vec![x.first().copied().unwrap_or(0); count]),
        Data::I32(x) => Data::I32(vec![x.first().copied().unwrap_or(0); count]),
        Data::Bool(x) => Data::Bool(vec![x.first().copied().unwrap_or(false); count]),
        Data::I8(x) => Data::I8(vec![x.first().copied().unwrap_or(0); count]),
        Data::U8(x) => Data::U8(vec![x.first().copied().unwrap_or(0); count]),
        d => refuse!("ConstantOfShape of {} is not supported", d.dtype()),
    };
    let nm = c.fresh("filled");
    Ok(vec![c.konst(&nm, Value::new(s, data))])
}

fn import_cast(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let to = n.i("to")? as i32;
    let Some(dt) = engine_dtype(to) else {
        refuse!("Cast to {} is not supported", dtype_name(to));
    };
    if to == FLOAT16 {
        // Half values are carried as f32: round through f16.
        let x = if c.dtype(x) == DType::F32 {
            x
        } else {
            first(c.emit(Op::Cast, vec![Some(x)], &[DType::F32])?)?
        };
        let h = c.emit_as(Op::Cast, vec![Some(x)], DType::F16)?;
        return Ok(vec![c.emit_as(Op::Cast, vec![Some(h)], DType::F32)?]);
    }
    if c.dtype(x) == dt {
        return Ok(vec![x]);
    }
    Ok(vec![c.emit_as(Op::Cast, vec![Some(x)], dt)?])
}
