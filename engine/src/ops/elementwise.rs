//! Element-wise ops: binary with broadcasting, unary activations, PRELU, softmax, CAST,
//! QUANTIZE / DEQUANTIZE.

use crate::error::OpError;
use half::f16;

use super::{EvalCtx, Fact, In, InferResult, Ins, act, arg, f32_arg, need};
use crate::ir::{BinaryKind, DType, Data, Op, QuantParams, UnaryKind, Value};
use crate::kernels::act::{Act, hard_swish, logistic};
use crate::kernels::binary::{broadcast, broadcast_shape};
use crate::kernels::softmax;

pub(super) fn infer(op: &Op, ins: &[Option<Fact<'_>>], out_dtypes: &[DType]) -> InferResult {
    let x = need(ins, 0)?;
    let same = |dt: DType| Ok(Some(vec![(dt, x.shape.to_vec())]));
    match op {
        Op::Binary(_) | Op::Prelu => {
            let y = need(ins, 1)?;
            if x.dtype != y.dtype {
                return Err(OpError::Invalid(format!(
                    "operand types differ: {} and {}",
                    x.dtype, y.dtype
                )));
            }
            let s = broadcast_shape(x.shape, y.shape).ok_or_else(|| {
                format!("shapes {:?} and {:?} do not broadcast", x.shape, y.shape)
            })?;
            if matches!(op, Op::Prelu) && s != x.shape {
                return Err(OpError::Invalid(format!(
                    "alpha {:?} must broadcast to the input {:?}",
                    y.shape, x.shape
                )));
            }
            Ok(Some(vec![(x.dtype, s)]))
        }
        Op::Unary(_) | Op::LeakyRelu { .. } | Op::Softmax { .. } | Op::LogSoftmax => same(x.dtype),
        Op::Cast | Op::Quantize => same(
            *out_dtypes
                .first()
                .ok_or("the output type is not declared")?,
        ),
        Op::Dequantize => same(DType::F32),
        Op::Densify => same(x.dtype),
        _ => Err("not an element-wise op".into()),
    }
}

/// `d[i] = act(d[i] ∘ c[i])` for same-shape operands, with the common operators and clamps
/// inlined so that the loop vectorizes (a function pointer per element does not).
fn same_shape_f32(d: &mut [f32], c: &[f32], kind: BinaryKind, a: crate::kernels::act::Act) {
    use crate::kernels::act::Act;
    #[inline(always)]
    fn go(d: &mut [f32], c: &[f32], f: impl Fn(f32, f32) -> f32, a: Act) {
        match a {
            Act::None => d.iter_mut().zip(c).for_each(|(p, &q)| *p = f(*p, q)),
            Act::Clamp(lo, hi) => d
                .iter_mut()
                .zip(c)
                .for_each(|(p, &q)| *p = f(*p, q).max(lo).min(hi)),
            Act::Tanh => d
                .iter_mut()
                .zip(c)
                .for_each(|(p, &q)| *p = a.apply(f(*p, q))),
        }
    }
    match kind {
        BinaryKind::Add => go(d, c, |x, y| x + y, a),
        BinaryKind::Sub => go(d, c, |x, y| x - y, a),
        BinaryKind::Mul => go(d, c, |x, y| x * y, a),
        k => go(d, c, binary_f32(k), a),
    }
}

fn binary_f32(kind: BinaryKind) -> fn(f32, f32) -> f32 {
    match kind {
        BinaryKind::Add => |a, b| a + b,
        BinaryKind::Sub => |a, b| a - b,
        BinaryKind::Mul => |a, b| a * b,
        BinaryKind::Div => |a, b| a / b,
        BinaryKind::SquaredDifference => |a, b| (a - b) * (a - b),
        BinaryKind::Minimum => |a: f32, b: f32| a.min(b),
        BinaryKind::Maximum => |a: f32, b: f32| a.max(b),
    }
}

/// [`broadcast`] with the float operator as a closure the row loops inline (through the
/// `fn` pointer of [`binary_f32`] every element was a call: no vectorization).
fn broadcast_f32(
    kind: BinaryKind,
    (a, ash): (&[f32], &[usize]),
    (b, bsh): (&[f32], &[usize]),
    shape: &[usize],
    out: &mut [f32],
) {
    match kind {
        BinaryKind::Add => broadcast(a, ash, b, bsh, shape, |x, y| x + y, out),
        BinaryKind::Sub => broadcast(a, ash, b, bsh, shape, |x, y| x - y, out),
        BinaryKind::Mul => broadcast(a, ash, b, bsh, shape, |x, y| x * y, out),
        BinaryKind::Div => broadcast(a, ash, b, bsh, shape, |x, y| x / y, out),
        BinaryKind::SquaredDifference => {
            broadcast(a, ash, b, bsh, shape, |x, y| (x - y) * (x - y), out)
        }
        BinaryKind::Minimum => broadcast(a, ash, b, bsh, shape, f32::min, out),
        BinaryKind::Maximum => broadcast(a, ash, b, bsh, shape, f32::max, out),
    }
}

macro_rules! int_binary {
    ($t:ty, $kind:expr) => {{
        let f: fn($t, $t) -> $t = match $kind {
            BinaryKind::Add => |a, b| a.wrapping_add(b),
            BinaryKind::Sub => |a, b| a.wrapping_sub(b),
            BinaryKind::Mul => |a, b| a.wrapping_mul(b),
            BinaryKind::Div => |a, b| if b == 0 { 0 } else { a.wrapping_div(b) },
            BinaryKind::SquaredDifference => {
                |a, b| a.wrapping_sub(b).wrapping_mul(a.wrapping_sub(b))
            }
            BinaryKind::Minimum => |a: $t, b: $t| a.min(b),
            BinaryKind::Maximum => |a: $t, b: $t| a.max(b),
        };
        f
    }};
}

fn unary_fn(k: UnaryKind) -> fn(f32) -> f32 {
    match k {
        UnaryKind::Logistic => logistic,
        UnaryKind::Tanh => f32::tanh,
        UnaryKind::Relu => |x| x.max(0.0),
        UnaryKind::Relu6 => |x| x.clamp(0.0, 6.0),
        UnaryKind::ReluN1To1 => |x| x.clamp(-1.0, 1.0),
        UnaryKind::HardSwish => hard_swish,
        UnaryKind::Rsqrt => |x| 1.0 / x.sqrt(),
        UnaryKind::Sqrt => f32::sqrt,
        UnaryKind::Exp => f32::exp,
    }
}

/// Take the first input as an owned f32 buffer (reusing it when this node owns it).
fn owned_f32(ins: &mut Ins<'_>) -> Result<Value, OpError> {
    let v = ins
        .get_mut(0)
        .and_then(Option::take)
        .ok_or("missing input 0")?
        .into_value();
    if v.dtype() != DType::F32 {
        return Err(OpError::Invalid(format!(
            "input is {}, expected f32",
            v.dtype()
        )));
    }
    Ok(v)
}

fn map_in_place(ins: &mut Ins<'_>, f: impl Fn(f32) -> f32) -> Result<Vec<Value>, OpError> {
    let mut v = owned_f32(ins)?;
    if let Data::F32(d) = &mut v.data {
        d.iter_mut().for_each(|x| *x = f(*x));
    }
    Ok(vec![v])
}

fn quant_of<'a>(q: Option<&'a QuantParams>, what: &str) -> Result<&'a QuantParams, OpError> {
    q.filter(|q| !q.scale.is_empty() && q.scale.len() == q.zero_point.len())
        .ok_or_else(|| OpError::Invalid(format!("{what} has no quantization parameters")))
}

/// Index of the quantization channel of flat element `i`.
fn channel_of(q: &QuantParams, shape: &[usize]) -> impl Fn(usize) -> usize {
    let inner: usize = shape.get(q.axis + 1..).map_or(1, |s| s.iter().product());
    let n = q.scale.len();
    move |i| if n == 1 { 0 } else { (i / inner.max(1)) % n }
}

fn quantize(x: &[f32], shape: &[usize], q: &QuantParams, dt: DType) -> Result<Data, OpError> {
    let ch = channel_of(q, shape);
    let (lo, hi) = match dt {
        DType::I8 => (-128.0, 127.0),
        DType::U8 => (0.0, 255.0),
        DType::I16 => (-32768.0, 32767.0),
        _ => return Err(OpError::Invalid(format!("cannot quantize to {dt}"))),
    };
    if dt == DType::I8
        && q.scale.len() == 1
        && let Ok(zp) = i32::try_from(q.zero_point[0])
    {
        let mut out = crate::arena::take::<i8>(x.len());
        (crate::kernels::kernels().quantize)(x, q.scale[0], zp, &mut out);
        return Ok(Data::I8(out));
    }
    let qv = |i: usize, v: f32| -> f32 {
        let c = ch(i);
        ((v / q.scale[c]).round() + q.zero_point[c] as f32).clamp(lo, hi)
    };
    let it = x.iter().enumerate().map(|(i, &v)| qv(i, v));
    Ok(match dt {
        DType::I8 => Data::I8(it.map(|v| v as i8).collect()),
        DType::U8 => Data::U8(it.map(|v| v as u8).collect()),
        _ => Data::I16(it.map(|v| v as i16).collect()),
    })
}

/// Dequantize any integer value with `q`; f16 converts to f32.
pub(crate) fn dequantize(v: &Value, q: Option<&QuantParams>) -> Result<Vec<f32>, OpError> {
    if let Data::F16(h) = &v.data {
        return Ok(h.iter().map(|x| x.to_f32()).collect());
    }
    let q = quant_of(q, "the DEQUANTIZE input")?;
    let ch = channel_of(q, &v.shape);
    let ints = v
        .data
        .to_i64()
        .ok_or_else(|| OpError::Invalid(format!("cannot dequantize {}", v.dtype())))?;
    Ok(ints
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let c = ch(i);
            q.scale[c] * (x - q.zero_point[c]) as f32
        })
        .collect())
}

/// CAST semantics (also used to feed arrays of another type to a graph input).
pub fn cast(v: &Value, to: DType) -> Result<Data, OpError> {
    // Integer (and bool) sources convert as C++'s static_cast does: wrapping to narrower ints.
    if let (Some(i), true) = (
        v.data.to_i64(),
        matches!(
            to,
            DType::I8 | DType::U8 | DType::I16 | DType::I32 | DType::I64
        ),
    ) {
        return Ok(match to {
            DType::I8 => Data::I8(i.iter().map(|&x| x as i8).collect()),
            DType::U8 => Data::U8(i.iter().map(|&x| x as u8).collect()),
            DType::I16 => Data::I16(i.iter().map(|&x| x as i16).collect()),
            DType::I32 => Data::I32(i.iter().map(|&x| x as i32).collect()),
            _ => Data::I64(i),
        });
    }
    let f = v.data.to_f64();
    Ok(match to {
        DType::F32 => Data::F32(f.iter().map(|&x| x as f32).collect()),
        DType::F16 => Data::F16(f.iter().map(|&x| f16::from_f64(x)).collect()),
        DType::I8 => Data::I8(f.iter().map(|&x| x as i8).collect()),
        DType::U8 => Data::U8(f.iter().map(|&x| x as u8).collect()),
        DType::I16 => Data::I16(f.iter().map(|&x| x as i16).collect()),
        DType::I32 => match &v.data {
            Data::I64(s) => Data::I32(s.iter().map(|&x| x as i32).collect()),
            _ => Data::I32(f.iter().map(|&x| x as i32).collect()),
        },
        DType::I64 => match v.data.to_i64() {
            Some(s) => Data::I64(s),
            None => Data::I64(f.iter().map(|&x| x as i64).collect()),
        },
        DType::Bool => Data::Bool(f.iter().map(|&x| x != 0.0).collect()),
        other => return Err(OpError::NoKernel(format!("CAST to {other}"))),
    })
}

pub(super) fn eval(op: &Op, mut ins: Ins<'_>, ctx: &EvalCtx<'_>) -> Result<Vec<Value>, OpError> {
    match op {
        Op::Binary(b) => {
            let (x, y) = (arg(&ins, 0)?, arg(&ins, 1)?);
            let shape = broadcast_shape(&x.shape, &y.shape).ok_or("shapes do not broadcast")?;
            let n: usize = shape.iter().product();
            let data = match (&x.data, &y.data) {
                (Data::F32(a), Data::F32(c)) => {
                    let a2 = act(b.act);
                    if x.shape == shape
                        && y.shape == shape
                        && matches!(ins.first(), Some(Some(In::Own(_))))
                    {
                        let mut owned = owned_f32(&mut ins)?;
                        let c = f32_arg(&ins, 1)?;
                        if let Data::F32(d) = &mut owned.data {
                            same_shape_f32(d, c, b.kind, a2);
                        }
                        return Ok(vec![owned]);
                    }
                    if x.shape == shape && y.shape == shape {
                        let mut d = a.clone();
                        same_shape_f32(&mut d, c, b.kind, a2);
                        return Ok(vec![Value::f32(shape, d)]);
                    }
                    let mut o = crate::arena::take::<f32>(n);
                    broadcast_f32(b.kind, (a, &x.shape), (c, &y.shape), &shape, &mut o);
                    a2.apply_slice(&mut o);
                    Data::F32(o)
                }
                (Data::I32(a), Data::I32(c)) => {
                    let mut o = crate::arena::take::<i32>(n);
                    let f = int_binary!(i32, b.kind);
                    broadcast(a, &x.shape, c, &y.shape, &shape, f, &mut o);
                    Data::I32(clamp_int(o, b.act))
                }
                (Data::I64(a), Data::I64(c)) => {
                    let mut o = crate::arena::take::<i64>(n);
                    let f = int_binary!(i64, b.kind);
                    broadcast(a, &x.shape, c, &y.shape, &shape, f, &mut o);
                    Data::I64(o)
                }
                // Plain (not quantized) 8-bit integers: the quantized ones took the int8 path.
                (Data::I8(a), Data::I8(c)) => {
                    let mut o = crate::arena::take::<i8>(n);
                    broadcast(
                        a,
                        &x.shape,
                        c,
                        &y.shape,
                        &shape,
                        int_binary!(i8, b.kind),
                        &mut o,
                    );
                    Data::I8(o)
                }
                (Data::U8(a), Data::U8(c)) => {
                    let mut o = crate::arena::take::<u8>(n);
                    broadcast(
                        a,
                        &x.shape,
                        c,
                        &y.shape,
                        &shape,
                        int_binary!(u8, b.kind),
                        &mut o,
                    );
                    Data::U8(o)
                }
                _ => {
                    return Err(OpError::Invalid(format!(
                        "{} on {} and {} is not supported",
                        op.name(),
                        x.dtype(),
                        y.dtype()
                    )));
                }
            };
            Ok(vec![Value::new(shape, data)])
        }
        // The logistic (swish's half) by name, so that the loop inlines and vectorizes.
        Op::Unary(UnaryKind::Logistic) => {
            let mut v = owned_f32(&mut ins)?;
            if let Data::F32(d) = &mut v.data {
                (crate::kernels::kernels().f32_logistic)(d);
            }
            Ok(vec![v])
        }
        Op::Unary(UnaryKind::HardSwish) => {
            let mut v = owned_f32(&mut ins)?;
            if let Data::F32(d) = &mut v.data {
                (crate::kernels::kernels().f32_hard_swish)(d);
            }
            Ok(vec![v])
        }
        Op::Unary(k) => map_in_place(&mut ins, unary_fn(*k)),
        Op::LeakyRelu { alpha } => {
            let a = *alpha;
            map_in_place(&mut ins, move |x| if x >= 0.0 { x } else { x * a })
        }
        Op::Prelu => {
            let (x, al) = (arg(&ins, 0)?, arg(&ins, 1)?);
            let mut o = crate::arena::take::<f32>(x.shape.iter().product());
            broadcast(
                f32_arg(&ins, 0)?,
                &x.shape,
                f32_arg(&ins, 1)?,
                &al.shape,
                &x.shape,
                |v, a| if v >= 0.0 { v } else { v * a },
                &mut o,
            );
            Ok(vec![Value::f32(x.shape.clone(), o)])
        }
        Op::Softmax { beta } => {
            let x = arg(&ins, 0)?;
            let d = x.shape.last().copied().unwrap_or(1);
            let xs = f32_arg(&ins, 0)?;
            let mut o = crate::arena::take::<f32>(xs.len());
            softmax::softmax(xs, d, *beta, &mut o);
            Ok(vec![Value::f32(x.shape.clone(), o)])
        }
        Op::LogSoftmax => {
            let x = arg(&ins, 0)?;
            let d = x.shape.last().copied().unwrap_or(1);
            let xs = f32_arg(&ins, 0)?;
            let mut o = crate::arena::take::<f32>(xs.len());
            softmax::log_softmax(xs, d, &mut o);
            Ok(vec![Value::f32(x.shape.clone(), o)])
        }
        Op::Cast => {
            let x = arg(&ins, 0)?;
            let to = *ctx.out_dtypes.first().ok_or("output type not declared")?;
            Ok(vec![Value::new(x.shape.clone(), cast(x, to)?)])
        }
        Op::Quantize => {
            let x = arg(&ins, 0)?;
            let to = *ctx.out_dtypes.first().ok_or("output type not declared")?;
            let q = quant_of(
                ctx.out_quant.first().copied().flatten(),
                "the QUANTIZE output",
            )?;
            let owned;
            let fx: &[f32] = match &x.data {
                Data::F32(v) => v,
                _ => {
                    owned = dequantize(x, ctx.in_quant.first().copied().flatten())?;
                    &owned
                }
            };
            Ok(vec![Value::new(
                x.shape.clone(),
                quantize(fx, &x.shape, q, to)?,
            )])
        }
        Op::Dequantize => {
            let x = arg(&ins, 0)?;
            Ok(vec![Value::f32(
                x.shape.clone(),
                dequantize(x, ctx.in_quant.first().copied().flatten())?,
            )])
        }
        Op::Densify => {
            Err("DENSIFY runs only on constants, folded when the session is prepared".into())
        }
        _ => Err("not an element-wise op".into()),
    }
}

fn clamp_int(mut v: Vec<i32>, a: crate::ir::Activation) -> Vec<i32> {
    if let Act::Clamp(lo, hi) = act(a) {
        let (lo, hi) = (
            lo.max(i32::MIN as f32) as i32,
            hi.min(i32::MAX as f32) as i32,
        );
        v.iter_mut().for_each(|x| *x = (*x).clamp(lo, hi));
    }
    v
}
