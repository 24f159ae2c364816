//! The logic family: element-wise math of one input (ABS … GELU, LOGICAL_NOT), binary math
//! (POW, FLOOR_DIV, FLOOR_MOD, ATAN2, LOGICAL_AND/OR), comparisons with boolean outputs,
//! ADD_N and SELECT / SELECT_V2: shape inference, evaluation (float, integer, bool and the int8
//! forms LiteRT's reference kernels have: rescaled comparisons, raw NEG, SELECT, ELU/GELU by
//! lookup table), dtype limits.

use super::{EvalCtx, Fact, InferResult, Ins, arg, need};
use crate::error::OpError;
use crate::ir::{CompareKind, DType, Data, MathBinKind, MathKind, Op, QuantParams, Value};
use crate::kernels::binary::{broadcast, broadcast_shape};
use crate::kernels::int8::activations::lut_lookup;
use crate::kernels::int8::logic::{CompareScale, elu_lut, gelu_lut};
use crate::kernels::logic::{broadcast_shape3, select};
use crate::kernels::math;

type R = Result<Vec<Value>, OpError>;

fn bcast(a: &[usize], b: &[usize]) -> Result<Vec<usize>, OpError> {
    broadcast_shape(a, b).ok_or_else(|| OpError::Broadcast {
        a: a.to_vec(),
        b: b.to_vec(),
    })
}

fn same_types(a: DType, b: DType) -> Result<(), OpError> {
    if a == b {
        Ok(())
    } else {
        Err(OpError::Invalid(format!(
            "operand types differ: {a} and {b}"
        )))
    }
}

fn bool_only(op: &Op, dt: DType) -> Result<(), OpError> {
    if dt == DType::Bool {
        Ok(())
    } else {
        Err(OpError::Invalid(format!(
            "{} takes bool tensors, got {dt}",
            op.name()
        )))
    }
}

fn is_logical(op: &Op) -> bool {
    matches!(
        op,
        Op::Math(MathKind::LogicalNot)
            | Op::MathBin(MathBinKind::LogicalAnd | MathBinKind::LogicalOr)
    )
}

/// The condition shape SELECT (v1) reads: the input's shape, or a vector over its first axis
/// (seen as `[d0, 1, 1, ...]`).
fn select_v1_cond_shape(c: &[usize], x: &[usize]) -> Option<Vec<usize>> {
    if c == x {
        return Some(c.to_vec());
    }
    if c.len() == 1 && x.len() > 1 && x.first() == c.first() {
        let mut s = vec![1; x.len()];
        s[0] = c[0];
        return Some(s);
    }
    if c.is_empty() {
        return Some(Vec::new());
    }
    None
}

pub(super) fn infer(op: &Op, ins: &[Option<Fact<'_>>]) -> InferResult {
    let x = need(ins, 0)?;
    match op {
        Op::Math(_) => {
            if is_logical(op) {
                bool_only(op, x.dtype)?;
            }
            Ok(Some(vec![(x.dtype, x.shape.to_vec())]))
        }
        Op::MathBin(_) | Op::Compare(_) => {
            let y = need(ins, 1)?;
            same_types(x.dtype, y.dtype)?;
            if is_logical(op) {
                bool_only(op, x.dtype)?;
            }
            if matches!(op, Op::MathBin(MathBinKind::Atan2)) && x.shape != y.shape {
                return Err(OpError::Invalid(format!(
                    "ATAN2 takes operands of one shape (LiteRT does not broadcast it): {:?} and {:?}",
                    x.shape, y.shape
                )));
            }
            let s = bcast(x.shape, y.shape)?;
            let dt = if matches!(op, Op::Compare(_)) {
                DType::Bool
            } else {
                x.dtype
            };
            Ok(Some(vec![(dt, s)]))
        }
        Op::AddN => {
            for i in 1..ins.len() {
                let y = need(ins, i)?;
                same_types(x.dtype, y.dtype)?;
                if y.shape != x.shape {
                    return Err(OpError::Invalid(format!(
                        "ADD_N inputs must have one shape: {:?} and {:?}",
                        x.shape, y.shape
                    )));
                }
            }
            Ok(Some(vec![(x.dtype, x.shape.to_vec())]))
        }
        Op::Select { v2 } => {
            let (a, b) = (need(ins, 1)?, need(ins, 2)?);
            bool_only(op, x.dtype)?;
            same_types(a.dtype, b.dtype)?;
            let s = if *v2 {
                broadcast_shape3(x.shape, a.shape, b.shape).ok_or_else(|| {
                    OpError::Invalid(format!(
                        "shapes {:?}, {:?} and {:?} do not broadcast",
                        x.shape, a.shape, b.shape
                    ))
                })?
            } else {
                if a.shape != b.shape || select_v1_cond_shape(x.shape, a.shape).is_none() {
                    return Err(OpError::Invalid(format!(
                        "SELECT needs inputs of one shape and a condition of that shape or a \
                         vector over its first axis; got {:?}, {:?} and {:?}",
                        x.shape, a.shape, b.shape
                    )));
                }
                a.shape.to_vec()
            };
            Ok(Some(vec![(a.dtype, s)]))
        }
        _ => Err("not a logic-family op".into()),
    }
}

/// Why these input types cannot run, if they cannot.
pub(super) fn unsupported_reason(op: &Op, in_dtypes: &[Option<DType>]) -> Option<String> {
    use DType as D;
    let first = in_dtypes.first().copied().flatten()?;
    let ok = match op {
        Op::Math(k) => match k {
            MathKind::LogicalNot => first == D::Bool,
            MathKind::Abs | MathKind::Neg => matches!(first, D::F32 | D::I32 | D::I64 | D::I8),
            MathKind::Sign => matches!(first, D::F32 | D::I32 | D::I64),
            MathKind::Elu | MathKind::Gelu { .. } => matches!(first, D::F32 | D::I8),
            _ => first == D::F32,
        },
        Op::MathBin(k) => match k {
            MathBinKind::LogicalAnd | MathBinKind::LogicalOr => first == D::Bool,
            MathBinKind::Pow => matches!(first, D::F32 | D::I32),
            MathBinKind::FloorDiv | MathBinKind::FloorMod => {
                matches!(first, D::F32 | D::I32 | D::I64 | D::I8 | D::U8)
            }
            MathBinKind::Atan2 => first == D::F32,
        },
        Op::Compare(_) => matches!(first, D::F32 | D::I32 | D::I64 | D::Bool | D::I8 | D::U8),
        Op::AddN => matches!(first, D::F32 | D::I32 | D::I64),
        Op::Select { .. } => {
            let x = in_dtypes.get(1).copied().flatten();
            first == D::Bool && x != Some(D::Str)
        }
        _ => true,
    };
    (!ok).then(|| format!("{} ({first})", op.name()))
}

fn unary_f32(k: MathKind) -> Option<fn(f32) -> f32> {
    Some(match k {
        MathKind::Abs => f32::abs,
        MathKind::Neg => |x: f32| -x,
        MathKind::Square => |x| x * x,
        MathKind::Log => f32::ln,
        MathKind::Floor => f32::floor,
        MathKind::Ceil => f32::ceil,
        MathKind::Round => f32::round_ties_even,
        MathKind::Sign => math::sign_f32,
        MathKind::Sin => f32::sin,
        MathKind::Cos => f32::cos,
        MathKind::Elu => math::elu,
        MathKind::Relu0To1 => |x: f32| x.clamp(0.0, 1.0),
        MathKind::Gelu { approximate: false } => math::gelu,
        MathKind::Gelu { approximate: true } => math::gelu_tanh,
        MathKind::LogicalNot => return None,
    })
}

macro_rules! int_unary {
    ($t:ty, $k:expr) => {{
        let f: Option<fn($t) -> $t> = match $k {
            MathKind::Abs => Some(|x: $t| x.wrapping_abs()),
            MathKind::Neg => Some(|x: $t| x.wrapping_neg()),
            MathKind::Square => Some(|x: $t| x.wrapping_mul(x)),
            MathKind::Sign => Some(|x: $t| x.signum()),
            _ => None,
        };
        f
    }};
}

fn per_tensor(q: Option<&QuantParams>, what: &str) -> Result<(f32, i32), OpError> {
    match q {
        Some(q) if q.scale.len() == 1 && q.zero_point.len() == 1 => {
            Ok((q.scale[0], q.zero_point[0] as i32))
        }
        _ => Err(OpError::Invalid(format!(
            "{what} is int8 but not quantized per tensor"
        ))),
    }
}

fn eval_math(k: MathKind, x: &Value, ctx: &EvalCtx<'_>) -> R {
    let n = x.numel();
    let no = || OpError::NoKernel(format!("{} on {}", Op::Math(k).name(), x.dtype()));
    let data = match &x.data {
        Data::F32(v) => {
            let mut o = crate::arena::take::<f32>(n);
            if let MathKind::Gelu { approximate } = k {
                // Vectorized, within 1e-6 of the f64 form (see `act::gelu_lanes`).
                (crate::kernels::kernels().f32_gelu)(v, &mut o, approximate);
            } else {
                math::map(v, &mut o, unary_f32(k).ok_or_else(no)?);
            }
            Data::F32(o)
        }
        Data::I32(v) => {
            let f = int_unary!(i32, k).ok_or_else(no)?;
            let mut o = crate::arena::take::<i32>(n);
            math::map(v, &mut o, f);
            Data::I32(o)
        }
        Data::I64(v) => {
            let f = int_unary!(i64, k).ok_or_else(no)?;
            let mut o = crate::arena::take::<i64>(n);
            math::map(v, &mut o, f);
            Data::I64(o)
        }
        Data::Bool(v) if k == MathKind::LogicalNot => {
            let mut o = crate::arena::take::<bool>(n);
            math::map(v, &mut o, |b: bool| !b);
            Data::Bool(o)
        }
        Data::I8(v) => {
            let mut o = crate::arena::take::<i8>(n);
            match k {
                // LiteRT negates the stored integers (the output's zero point is the input's,
                // negated).
                MathKind::Neg => math::map(v, &mut o, |q: i8| q.wrapping_neg()),
                MathKind::Elu | MathKind::Gelu { .. } => {
                    let qi = per_tensor(ctx.in_quant.first().copied().flatten(), "the input")?;
                    let qo = per_tensor(ctx.out_quant.first().copied().flatten(), "the output")?;
                    let lut = match k {
                        MathKind::Gelu { approximate } => gelu_lut(qi, qo, approximate),
                        // XNNPACK takes int8 ELU: its table of `expm1f`, ties to even.
                        _ if ctx.numerics == crate::kernels::Numerics::Litert => {
                            crate::kernels::xnn::params::lookup_table(
                                qi,
                                qo,
                                crate::kernels::xnn::params::elu,
                            )
                        }
                        _ => elu_lut(qi, qo),
                    };
                    lut_lookup(v, &lut, &mut o);
                }
                _ => return Err(no()),
            }
            Data::I8(o)
        }
        _ => return Err(no()),
    };
    Ok(vec![Value::new(x.shape.clone(), data)])
}

fn zero_divisor<T: PartialEq + Default>(y: &[T]) -> Result<(), OpError> {
    if y.iter().any(|v| *v == T::default()) {
        Err(OpError::Invalid("division by zero".into()))
    } else {
        Ok(())
    }
}

fn eval_math_bin(k: MathBinKind, x: &Value, y: &Value) -> R {
    let shape = bcast(&x.shape, &y.shape)?;
    let n: usize = shape.iter().product();
    let (xs, ys) = (&x.shape, &y.shape);
    let no = || OpError::NoKernel(format!("{} on {}", Op::MathBin(k).name(), x.dtype()));
    macro_rules! run {
        ($t:ty, $var:ident, $a:expr, $b:expr, $f:expr) => {{
            let mut o = crate::arena::take::<$t>(n);
            broadcast($a, xs, $b, ys, &shape, $f, &mut o);
            Data::$var(o)
        }};
    }
    let data = match (&x.data, &y.data, k) {
        (Data::F32(a), Data::F32(b), _) => {
            let f: fn(f32, f32) -> f32 = match k {
                MathBinKind::Pow => f32::powf,
                MathBinKind::FloorDiv => math::floor_div_f32,
                MathBinKind::FloorMod => math::floor_mod_f32,
                MathBinKind::Atan2 => f32::atan2,
                _ => return Err(no()),
            };
            run!(f32, F32, a, b, f)
        }
        (Data::I32(a), Data::I32(b), MathBinKind::Pow) => {
            if b.iter().any(|&e| e < 0) {
                return Err(OpError::Invalid(
                    "POW does not support negative exponents on int32".into(),
                ));
            }
            run!(i32, I32, a, b, math::pow_i32)
        }
        (Data::I32(a), Data::I32(b), MathBinKind::FloorDiv | MathBinKind::FloorMod) => {
            zero_divisor(b)?;
            let f = if k == MathBinKind::FloorDiv {
                math::floor_div_i64
            } else {
                math::floor_mod_i64
            };
            run!(
                i32,
                I32,
                a,
                b,
                |p: i32, q: i32| f(i64::from(p), i64::from(q)) as i32
            )
        }
        (Data::I64(a), Data::I64(b), MathBinKind::FloorDiv | MathBinKind::FloorMod) => {
            zero_divisor(b)?;
            let f = if k == MathBinKind::FloorDiv {
                math::floor_div_i64
            } else {
                math::floor_mod_i64
            };
            run!(i64, I64, a, b, f)
        }
        (Data::I8(a), Data::I8(b), MathBinKind::FloorDiv | MathBinKind::FloorMod) => {
            zero_divisor(b)?;
            let f = if k == MathBinKind::FloorDiv {
                math::floor_div_i64
            } else {
                math::floor_mod_i64
            };
            run!(i8, I8, a, b, |p: i8, q: i8| f(i64::from(p), i64::from(q))
                as i8)
        }
        (Data::U8(a), Data::U8(b), MathBinKind::FloorDiv | MathBinKind::FloorMod) => {
            zero_divisor(b)?;
            let f = if k == MathBinKind::FloorDiv {
                math::floor_div_i64
            } else {
                math::floor_mod_i64
            };
            run!(u8, U8, a, b, |p: u8, q: u8| f(i64::from(p), i64::from(q))
                as u8)
        }
        (Data::Bool(a), Data::Bool(b), MathBinKind::LogicalAnd) => {
            run!(bool, Bool, a, b, |p: bool, q: bool| p && q)
        }
        (Data::Bool(a), Data::Bool(b), MathBinKind::LogicalOr) => {
            run!(bool, Bool, a, b, |p: bool, q: bool| p || q)
        }
        _ => return Err(no()),
    };
    Ok(vec![Value::new(shape, data)])
}

fn cmp_fn<T: PartialOrd>(k: CompareKind) -> fn(T, T) -> bool {
    match k {
        CompareKind::Equal => |a, b| a == b,
        CompareKind::NotEqual => |a, b| a != b,
        CompareKind::Less => |a, b| a < b,
        CompareKind::LessEqual => |a, b| a <= b,
        CompareKind::Greater => |a, b| a > b,
        CompareKind::GreaterEqual => |a, b| a >= b,
    }
}

fn eval_compare(k: CompareKind, x: &Value, y: &Value, ctx: &EvalCtx<'_>) -> R {
    let shape = bcast(&x.shape, &y.shape)?;
    let n: usize = shape.iter().product();
    let mut o = crate::arena::take::<bool>(n);
    let (xs, ys) = (&x.shape, &y.shape);
    match (&x.data, &y.data) {
        (Data::F32(a), Data::F32(b)) => broadcast(a, xs, b, ys, &shape, cmp_fn(k), &mut o),
        (Data::I32(a), Data::I32(b)) => broadcast(a, xs, b, ys, &shape, cmp_fn(k), &mut o),
        (Data::I64(a), Data::I64(b)) => broadcast(a, xs, b, ys, &shape, cmp_fn(k), &mut o),
        (Data::Bool(a), Data::Bool(b)) => broadcast(a, xs, b, ys, &shape, cmp_fn(k), &mut o),
        (Data::I8(a), Data::I8(b))
            if ctx.in_quant.first().copied().flatten().is_none()
                && ctx.in_quant.get(1).copied().flatten().is_none() =>
        {
            broadcast(a, xs, b, ys, &shape, cmp_fn(k), &mut o)
        }
        (Data::U8(a), Data::U8(b)) => broadcast(a, xs, b, ys, &shape, cmp_fn(k), &mut o),
        (Data::I8(a), Data::I8(b)) => {
            let (s1, z1) = per_tensor(ctx.in_quant.first().copied().flatten(), "input 0")?;
            let (s2, z2) = per_tensor(ctx.in_quant.get(1).copied().flatten(), "input 1")?;
            let (p1, p2) = (CompareScale::new(s1, z1), CompareScale::new(s2, z2));
            let f = cmp_fn::<i32>(k);
            broadcast(
                a,
                xs,
                b,
                ys,
                &shape,
                |p: i8, q: i8| f(p1.apply(p), p2.apply(q)),
                &mut o,
            );
        }
        _ => {
            return Err(OpError::NoKernel(format!(
                "{} on {} and {}",
                Op::Compare(k).name(),
                x.dtype(),
                y.dtype()
            )));
        }
    }
    Ok(vec![Value::new(shape, Data::Bool(o))])
}

fn eval_add_n(ins: &Ins<'_>) -> R {
    let vals: Vec<&Value> = (0..ins.len())
        .map(|i| arg(ins, i))
        .collect::<Result<_, _>>()?;
    let first = vals.first().ok_or(OpError::MissingInput(0))?;
    let n = first.numel();
    macro_rules! sum {
        ($t:ty, $var:ident) => {{
            let xs: Vec<&[$t]> = vals
                .iter()
                .map(|v| match &v.data {
                    Data::$var(d) => Ok(d.as_slice()),
                    d => Err(OpError::Invalid(format!(
                        "ADD_N inputs differ in type: {}",
                        d.dtype()
                    ))),
                })
                .collect::<Result<_, _>>()?;
            let mut o = crate::arena::take::<$t>(n);
            math::add_n(&xs, &mut o);
            Data::$var(o)
        }};
    }
    let data = match &first.data {
        Data::F32(_) => sum!(f32, F32),
        Data::I32(_) => {
            let xs: Vec<&[i32]> = vals
                .iter()
                .filter_map(|v| match &v.data {
                    Data::I32(d) => Some(d.as_slice()),
                    _ => None,
                })
                .collect();
            if xs.len() != vals.len() {
                return Err("ADD_N inputs differ in type".into());
            }
            let mut o = crate::arena::take::<i32>(n);
            o.copy_from_slice(xs[0]);
            for x in &xs[1..] {
                o.iter_mut()
                    .zip(x.iter())
                    .for_each(|(p, &q)| *p = p.wrapping_add(q));
            }
            Data::I32(o)
        }
        Data::I64(_) => {
            let xs: Vec<&[i64]> = vals
                .iter()
                .filter_map(|v| match &v.data {
                    Data::I64(d) => Some(d.as_slice()),
                    _ => None,
                })
                .collect();
            if xs.len() != vals.len() {
                return Err("ADD_N inputs differ in type".into());
            }
            let mut o = crate::arena::take::<i64>(n);
            o.copy_from_slice(xs[0]);
            for x in &xs[1..] {
                o.iter_mut()
                    .zip(x.iter())
                    .for_each(|(p, &q)| *p = p.wrapping_add(q));
            }
            Data::I64(o)
        }
        d => return Err(OpError::NoKernel(format!("ADD_N on {}", d.dtype()))),
    };
    Ok(vec![Value::new(first.shape.clone(), data)])
}

fn eval_select(v2: bool, ins: &Ins<'_>) -> R {
    let (c, x, y) = (arg(ins, 0)?, arg(ins, 1)?, arg(ins, 2)?);
    let Data::Bool(cond) = &c.data else {
        return Err(OpError::InputType {
            index: 0,
            got: c.dtype(),
            expected: "bool",
        });
    };
    let (cs, shape) = if v2 {
        let s = broadcast_shape3(&c.shape, &x.shape, &y.shape)
            .ok_or("the condition and inputs do not broadcast")?;
        (c.shape.clone(), s)
    } else {
        let cs = select_v1_cond_shape(&c.shape, &x.shape)
            .ok_or("the condition must have the input's shape or its first axis")?;
        (cs, x.shape.clone())
    };
    let n: usize = shape.iter().product();
    macro_rules! pick {
        ($t:ty, $var:ident, $a:expr, $b:expr) => {{
            let mut o = crate::arena::take::<$t>(n);
            select(cond, &cs, $a, &x.shape, $b, &y.shape, &shape, &mut o);
            Data::$var(o)
        }};
    }
    let data = match (&x.data, &y.data) {
        (Data::F32(a), Data::F32(b)) => pick!(f32, F32, a, b),
        (Data::I8(a), Data::I8(b)) => pick!(i8, I8, a, b),
        (Data::U8(a), Data::U8(b)) => pick!(u8, U8, a, b),
        (Data::I16(a), Data::I16(b)) => pick!(i16, I16, a, b),
        (Data::I32(a), Data::I32(b)) => pick!(i32, I32, a, b),
        (Data::I64(a), Data::I64(b)) => pick!(i64, I64, a, b),
        (Data::Bool(a), Data::Bool(b)) => pick!(bool, Bool, a, b),
        (Data::F16(a), Data::F16(b)) => {
            let mut o = vec![half::f16::ZERO; n];
            select(cond, &cs, a, &x.shape, b, &y.shape, &shape, &mut o);
            Data::F16(o)
        }
        _ => {
            return Err(OpError::Invalid(format!(
                "SELECT inputs differ in type: {} and {}",
                x.dtype(),
                y.dtype()
            )));
        }
    };
    Ok(vec![Value::new(shape, data)])
}

pub(super) fn eval(op: &Op, ins: Ins<'_>, ctx: &EvalCtx<'_>) -> R {
    match op {
        Op::Math(k) => eval_math(*k, arg(&ins, 0)?, ctx),
        Op::MathBin(k) => eval_math_bin(*k, arg(&ins, 0)?, arg(&ins, 1)?),
        Op::Compare(k) => eval_compare(*k, arg(&ins, 0)?, arg(&ins, 1)?, ctx),
        Op::AddN => eval_add_n(&ins),
        Op::Select { v2 } => eval_select(*v2, &ins),
        _ => Err("not a logic-family op".into()),
    }
}
