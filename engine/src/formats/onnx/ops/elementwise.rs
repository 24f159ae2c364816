//! Element-wise ops: activations (Relu, Sigmoid, Tanh, HardSigmoid, HardSwish, LeakyRelu, PRelu,
//! Clip), math (Sqrt, Exp, Pow with a constant exponent) and broadcasting binaries (Add, Sub,
//! Mul, Div, variadic Max/Min). Clip's bounds are attributes before opset 11 and constant
//! inputs from 11 on (two rows).

use super::{AttrSpec, MANY, OpSpec, float, spec};
use crate::formats::onnx::ctx::{Ctx, Node, NodeResult, scalar_f32};
use crate::formats::onnx::error::{NodeError, refuse};
use crate::ir::*;

const CLIP6_ATTRS: &[AttrSpec] = &[float("min", f32::MIN), float("max", f32::MAX)];

/// The ops of this family.
pub(super) const OPS: &[OpSpec] = &[
    spec("Relu", 7..=28, 1..=1, 1..=1, &[], import_unary),
    spec("Clip", 7..=10, 1..=1, 1..=1, CLIP6_ATTRS, import_clip),
    spec("Clip", 11..=28, 1..=3, 1..=1, &[], import_clip),
    spec(
        "LeakyRelu",
        7..=28,
        1..=1,
        1..=1,
        &[float("alpha", 0.01)],
        import_leaky_relu,
    ),
    spec("PRelu", 7..=28, 2..=2, 1..=1, &[], import_prelu),
    spec("Sigmoid", 7..=28, 1..=1, 1..=1, &[], import_unary),
    spec("Tanh", 7..=28, 1..=1, 1..=1, &[], import_unary),
    spec(
        "HardSigmoid",
        7..=28,
        1..=1,
        1..=1,
        &[float("alpha", 0.2), float("beta", 0.5)],
        import_hard_sigmoid,
    ),
    spec("HardSwish", 14..=28, 1..=1, 1..=1, &[], import_unary),
    spec("Add", 7..=28, 2..=2, 1..=1, &[], import_binary),
    spec("Sub", 7..=28, 2..=2, 1..=1, &[], import_binary),
    spec("Mul", 7..=28, 2..=2, 1..=1, &[], import_binary),
    spec("Div", 7..=28, 2..=2, 1..=1, &[], import_binary),
    spec("Pow", 7..=28, 2..=2, 1..=1, &[], import_pow),
    spec("Sqrt", 7..=28, 1..=1, 1..=1, &[], import_unary),
    spec("Exp", 7..=28, 1..=1, 1..=1, &[], import_unary),
    spec("Max", 7..=28, 1..=MANY, 1..=1, &[], import_max_min),
    spec("Min", 7..=28, 1..=MANY, 1..=1, &[], import_max_min),
];

fn import_unary(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let kind = match n.op {
        "Relu" => UnaryKind::Relu,
        "Sigmoid" => UnaryKind::Logistic,
        "Tanh" => UnaryKind::Tanh,
        "Sqrt" => UnaryKind::Sqrt,
        "Exp" => UnaryKind::Exp,
        "HardSwish" => UnaryKind::HardSwish,
        op => refuse!("{op} is not a unary op"),
    };
    let x = c.need(n, 0)?;
    Ok(vec![c.unary(kind, x)?])
}

fn import_leaky_relu(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let alpha = n.f("alpha")?;
    Ok(vec![c.emit1(Op::LeakyRelu { alpha }, vec![Some(x)])?])
}

fn import_prelu(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let (x, s) = (c.need(n, 0)?, c.need(n, 1)?);
    Ok(vec![c.emit1(Op::Prelu, vec![Some(x), Some(s)])?])
}

fn import_hard_sigmoid(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let (al, be) = (c.scalar(n.f("alpha")?), c.scalar(n.f("beta")?));
    let y = c.binary(BinaryKind::Mul, x, al)?;
    let y = c.binary(BinaryKind::Add, y, be)?;
    let (z, o) = (c.scalar(0.0), c.scalar(1.0));
    let y = c.binary(BinaryKind::Maximum, y, z)?;
    Ok(vec![c.binary(BinaryKind::Minimum, y, o)?])
}

/// A bound of Clip: a constant input from opset 11 on, an attribute before.
/// A Clip bound: a constant, or (opset 11+) a tensor computed at run time.
enum Bound {
    Const(f32),
    Tensor(TensorId),
}

fn clip_bound(c: &Ctx<'_>, n: &Node<'_>, slot: usize, attr: &str) -> NodeResult<Option<Bound>> {
    if c.opset >= 11 {
        match c.input(n, slot)? {
            Some(t) if c.value(t).is_none() => {
                if c.tensor(t).numel() != 1 {
                    return Err(NodeError::Invalid(format!(
                        "Clip {attr} must be a scalar, got shape {:?}",
                        c.shape(t)
                    )));
                }
                Ok(Some(Bound::Tensor(t)))
            }
            Some(t) => Ok(c
                .const_f32(t, &format!("Clip {attr}"))?
                .first()
                .copied()
                .map(Bound::Const)),
            None => Ok(None),
        }
    } else if n.has(attr) {
        Ok(Some(Bound::Const(n.f(attr)?)))
    } else {
        Ok(None)
    }
}

fn import_clip(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let lo = clip_bound(c, n, 1, "min")?;
    let hi = clip_bound(c, n, 2, "max")?;
    let dt = c.dtype(x);
    if dt == DType::F32 {
        let fused = match (&lo, &hi) {
            (Some(Bound::Const(l)), Some(Bound::Const(h))) if *l == 0.0 && *h == 6.0 => {
                Some(UnaryKind::Relu6)
            }
            (Some(Bound::Const(l)), None) if *l == 0.0 => Some(UnaryKind::Relu),
            (Some(Bound::Const(l)), Some(Bound::Const(h))) if *l == -1.0 && *h == 1.0 => {
                Some(UnaryKind::ReluN1To1)
            }
            _ => None,
        };
        if let Some(k) = fused {
            return Ok(vec![c.unary(k, x)?]);
        }
    }
    let mk = |c: &mut Ctx<'_>, b: Bound| -> NodeResult<TensorId> {
        let v = match b {
            // A bound computed at run time (a top-dB floor: max(x) - 80) is a scalar tensor
            // of x's type; MAXIMUM/MINIMUM broadcast it.
            Bound::Tensor(t) if c.dtype(t) == dt => return Ok(t),
            Bound::Tensor(t) => {
                return c.emit_as(Op::Cast, vec![Some(t)], dt);
            }
            Bound::Const(v) => v,
        };
        let nm = c.fresh("bound");
        let val = match dt {
            DType::F32 => scalar_f32(v),
            DType::I64 => Value::new(vec![], Data::I64(vec![v as i64])),
            DType::I32 => Value::new(vec![], Data::I32(vec![v as i32])),
            DType::I8 => Value::new(vec![], Data::I8(vec![v as i8])),
            DType::U8 => Value::new(vec![], Data::U8(vec![v as u8])),
            _ => scalar_f32(v),
        };
        Ok(c.konst(&nm, val))
    };
    let mut y = x;
    if let Some(l) = lo {
        let b = mk(c, l)?;
        y = c.binary(BinaryKind::Maximum, y, b)?;
    }
    if let Some(h) = hi {
        let b = mk(c, h)?;
        y = c.binary(BinaryKind::Minimum, y, b)?;
    }
    Ok(vec![y])
}

fn import_binary(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let kind = match n.op {
        "Add" => BinaryKind::Add,
        "Sub" => BinaryKind::Sub,
        "Mul" => BinaryKind::Mul,
        "Div" => BinaryKind::Div,
        op => refuse!("{op} is not a binary op"),
    };
    let (x, y) = (c.need(n, 0)?, c.need(n, 1)?);
    Ok(vec![c.binary(kind, x, y)?])
}

fn import_pow(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let (x, y) = (c.need(n, 0)?, c.need(n, 1)?);
    let e = c
        .const_f32(y, "Pow exponent")
        .ok()
        .filter(|v| v.windows(2).all(|w| w.first() == w.last()))
        .and_then(|v| v.first().copied());
    let out = match e {
        Some(1.0) => x,
        Some(2.0) => c.binary(BinaryKind::Mul, x, x)?,
        Some(3.0) => {
            let s = c.binary(BinaryKind::Mul, x, x)?;
            c.binary(BinaryKind::Mul, s, x)?
        }
        Some(0.5) => c.unary(UnaryKind::Sqrt, x)?,
        Some(-0.5) => c.unary(UnaryKind::Rsqrt, x)?,
        Some(-1.0) => {
            let o = c.scalar(1.0);
            c.binary(BinaryKind::Div, o, x)?
        }
        _ => super::logic::pow(c, x, y)?,
    };
    Ok(vec![out])
}

fn import_max_min(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let kind = if n.op == "Max" {
        BinaryKind::Maximum
    } else {
        BinaryKind::Minimum
    };
    let mut y = c.need(n, 0)?;
    for i in 1..n.inputs() {
        let z = c.need(n, i)?;
        y = c.binary(kind, y, z)?;
    }
    Ok(vec![y])
}
