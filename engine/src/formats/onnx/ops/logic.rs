//! Logic and math ops: comparisons (Equal, Less, …), Not/And/Or/Xor, Where, unary math (Neg,
//! Abs, Log, Floor, Ceil, Round, Sign, Sin, Cos), Reciprocal, Mod, IsNaN, IsInf, Erf, Gelu,
//! Sum/Mean over many inputs, and the activations TFLite has no builtin for, as exact
//! expansions into builtins: Softplus, Softsign, Mish, Selu, Elu, Celu, ThresholdedRelu.
//!
//! A lone Erf becomes a rational polynomial of TFLite builtins (Eigen's float erf: clamp to
//! [-4, 4], `x·P(x²)/Q(x²)`, within 4e-7 of erf everywhere); the GELU pattern
//! `x·0.5·(1 + erf(x/√2))` that PyTorch exports is fused into one GELU before import
//! ([`fuse_gelu`]).

use super::{AttrSpec, MANY, OpSpec, float, int, spec, string};
use crate::formats::onnx::ctx::{Ctx, Node, NodeResult};
use crate::formats::onnx::error::refuse;
use crate::formats::onnx::proto::{AttributeProto, GraphProto, NodeProto};
use crate::ir::*;

const ISINF_ATTRS: &[AttrSpec] = &[int("detect_negative", 1), int("detect_positive", 1)];

/// The ops of this family.
pub(super) const OPS: &[OpSpec] = &[
    spec("Equal", 7..=28, 2..=2, 1..=1, &[], import_compare),
    spec("Less", 7..=28, 2..=2, 1..=1, &[], import_compare),
    spec("LessOrEqual", 12..=28, 2..=2, 1..=1, &[], import_compare),
    spec("Greater", 7..=28, 2..=2, 1..=1, &[], import_compare),
    spec("GreaterOrEqual", 12..=28, 2..=2, 1..=1, &[], import_compare),
    spec("Not", 7..=28, 1..=1, 1..=1, &[], import_unary),
    spec("And", 7..=28, 2..=2, 1..=1, &[], import_logical),
    spec("Or", 7..=28, 2..=2, 1..=1, &[], import_logical),
    spec("Xor", 7..=28, 2..=2, 1..=1, &[], import_logical),
    spec("Where", 9..=28, 3..=3, 1..=1, &[], import_where),
    spec("Neg", 7..=28, 1..=1, 1..=1, &[], import_unary),
    spec("Abs", 7..=28, 1..=1, 1..=1, &[], import_unary),
    spec("Log", 7..=28, 1..=1, 1..=1, &[], import_unary),
    spec("Floor", 7..=28, 1..=1, 1..=1, &[], import_unary),
    spec("Ceil", 7..=28, 1..=1, 1..=1, &[], import_unary),
    spec("Round", 11..=28, 1..=1, 1..=1, &[], import_unary),
    spec("Sign", 9..=28, 1..=1, 1..=1, &[], import_unary),
    spec("Sin", 7..=28, 1..=1, 1..=1, &[], import_unary),
    spec("Cos", 7..=28, 1..=1, 1..=1, &[], import_unary),
    spec("Reciprocal", 7..=28, 1..=1, 1..=1, &[], import_reciprocal),
    spec("Mod", 10..=28, 2..=2, 1..=1, &[int("fmod", 0)], import_mod),
    spec("IsNaN", 9..=28, 1..=1, 1..=1, &[], import_isnan),
    spec("IsInf", 10..=28, 1..=1, 1..=1, ISINF_ATTRS, import_isinf),
    spec("Erf", 9..=28, 1..=1, 1..=1, &[], import_erf),
    // Opset 20's Gelu; earlier opsets meet it only as the fused GELU pattern.
    spec(
        "Gelu",
        7..=28,
        1..=1,
        1..=1,
        &[string("approximate", "none")],
        import_gelu,
    ),
    spec("Softplus", 7..=28, 1..=1, 1..=1, &[], import_softplus),
    spec("Softsign", 7..=28, 1..=1, 1..=1, &[], import_softsign),
    spec("Mish", 18..=28, 1..=1, 1..=1, &[], import_mish),
    spec(
        "Selu",
        7..=28,
        1..=1,
        1..=1,
        &[float("alpha", 1.673_263_2), float("gamma", 1.050_701)],
        import_selu,
    ),
    spec(
        "Elu",
        7..=28,
        1..=1,
        1..=1,
        &[float("alpha", 1.0)],
        import_elu,
    ),
    spec(
        "Celu",
        12..=28,
        1..=1,
        1..=1,
        &[float("alpha", 1.0)],
        import_celu,
    ),
    spec(
        "ThresholdedRelu",
        10..=28,
        1..=1,
        1..=1,
        &[float("alpha", 1.0)],
        import_thresholded_relu,
    ),
    spec("Sum", 8..=28, 1..=MANY, 1..=1, &[], import_sum_mean),
    spec("Mean", 8..=28, 1..=MANY, 1..=1, &[], import_sum_mean),
];

fn import_compare(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let k = match n.op {
        "Equal" => CompareKind::Equal,
        "Less" => CompareKind::Less,
        "LessOrEqual" => CompareKind::LessEqual,
        "Greater" => CompareKind::Greater,
        "GreaterOrEqual" => CompareKind::GreaterEqual,
        op => refuse!("{op} is not a comparison"),
    };
    let (x, y) = (c.need(n, 0)?, c.need(n, 1)?);
    Ok(vec![compare(c, k, x, y)?])
}

fn compare(c: &mut Ctx<'_>, k: CompareKind, x: TensorId, y: TensorId) -> NodeResult<TensorId> {
    c.emit_as(Op::Compare(k), vec![Some(x), Some(y)], DType::Bool)
}

fn math(c: &mut Ctx<'_>, k: MathKind, x: TensorId) -> NodeResult<TensorId> {
    c.emit1(Op::Math(k), vec![Some(x)])
}

fn import_unary(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let k = match n.op {
        "Not" => MathKind::LogicalNot,
        "Neg" => MathKind::Neg,
        "Abs" => MathKind::Abs,
        "Log" => MathKind::Log,
        "Floor" => MathKind::Floor,
        "Ceil" => MathKind::Ceil,
        "Round" => MathKind::Round,
        "Sign" => MathKind::Sign,
        "Sin" => MathKind::Sin,
        "Cos" => MathKind::Cos,
        op => refuse!("{op} is not a unary op"),
    };
    let x = c.need(n, 0)?;
    Ok(vec![math(c, k, x)?])
}

fn import_logical(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let (x, y) = (c.need(n, 0)?, c.need(n, 1)?);
    let out = match n.op {
        "And" => c.emit1(Op::MathBin(MathBinKind::LogicalAnd), vec![Some(x), Some(y)])?,
        "Or" => c.emit1(Op::MathBin(MathBinKind::LogicalOr), vec![Some(x), Some(y)])?,
        "Xor" => compare(c, CompareKind::NotEqual, x, y)?,
        op => refuse!("{op} is not a logical op"),
    };
    Ok(vec![out])
}

fn import_where(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let (cond, x, y) = (c.need(n, 0)?, c.need(n, 1)?, c.need(n, 2)?);
    let dt = c.dtype(x);
    Ok(vec![c.emit_as(
        Op::Select { v2: true },
        vec![Some(cond), Some(x), Some(y)],
        dt,
    )?])
}

/// A scalar constant of `dt` holding `v`.
fn scalar_of(c: &mut Ctx<'_>, dt: DType, v: f64) -> NodeResult<TensorId> {
    let data = match dt {
        DType::F32 => Data::F32(vec![v as f32]),
        DType::I32 => Data::I32(vec![v as i32]),
        DType::I64 => Data::I64(vec![v as i64]),
        other => refuse!("{other} tensors are not supported here"),
    };
    let name = c.fresh("c");
    Ok(c.konst(&name, Value::new(vec![], data)))
}

fn bin(c: &mut Ctx<'_>, k: BinaryKind, a: TensorId, b: TensorId) -> NodeResult<TensorId> {
    c.binary(k, a, b)
}

fn import_reciprocal(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let one = scalar_of(c, c.dtype(x), 1.0)?;
    Ok(vec![bin(c, BinaryKind::Div, one, x)?])
}

fn import_mod(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let (x, y) = (c.need(n, 0)?, c.need(n, 1)?);
    let floor_mod = Op::MathBin(MathBinKind::FloorMod);
    if n.i("fmod")? == 0 {
        // Python's %: the divisor's sign, TFLite's FLOOR_MOD.
        return Ok(vec![c.emit1(floor_mod, vec![Some(x), Some(y)])?]);
    }
    // C fmod (the dividend's sign): sign(x) · floor_mod(|x|, |y|), exact since both operands of
    // the floor_mod are non-negative.
    let (ax, ay) = (math(c, MathKind::Abs, x)?, math(c, MathKind::Abs, y)?);
    let r = c.emit1(floor_mod, vec![Some(ax), Some(ay)])?;
    let s = math(c, MathKind::Sign, x)?;
    Ok(vec![bin(c, BinaryKind::Mul, s, r)?])
}

fn import_isnan(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    Ok(vec![compare(c, CompareKind::NotEqual, x, x)?])
}

fn import_isinf(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let (neg, pos) = (n.i("detect_negative")? != 0, n.i("detect_positive")? != 0);
    let mut hits = Vec::new();
    for (on, v) in [(pos, f32::INFINITY), (neg, f32::NEG_INFINITY)] {
        if on {
            let k = c.scalar(v);
            hits.push(compare(c, CompareKind::Equal, x, k)?);
        }
    }
    match hits.as_slice() {
        [] => {
            // Neither sign: all false, shaped like x.
            let k = c.scalar(f32::NAN);
            Ok(vec![compare(c, CompareKind::Equal, x, k)?])
        }
        [one] => Ok(vec![*one]),
        [a, b, ..] => Ok(vec![c.emit1(
            Op::MathBin(MathBinKind::LogicalOr),
            vec![Some(*a), Some(*b)],
        )?]),
    }
}

/// Eigen's float erf numerator and denominator coefficients (highest power first).
const ERF_P: [f32; 7] = [
    -2.726_142_3e-10,
    2.770_681_4e-8,
    -2.101_024e-6,
    -5.692_506_4e-5,
    -7.349_906_3e-4,
    -2.954_600e-3,
    -1.609_603_3e-2,
];
const ERF_Q: [f32; 5] = [
    -1.456_607_2e-5,
    -2.133_740_6e-4,
    -1.682_827e-3,
    -7.373_329e-3,
    -1.426_474e-2,
];

/// `x·P(x²)/Q(x²)` of `x` clamped to [-4, 4], in builtins.
fn erf(c: &mut Ctx<'_>, x: TensorId) -> NodeResult<TensorId> {
    let (lo, hi) = (c.scalar(-4.0), c.scalar(4.0));
    let x = bin(c, BinaryKind::Maximum, x, lo)?;
    let x = bin(c, BinaryKind::Minimum, x, hi)?;
    let x2 = bin(c, BinaryKind::Mul, x, x)?;
    let horner = |c: &mut Ctx<'_>, k: &[f32]| -> NodeResult<TensorId> {
        let (&k0, rest) = k.split_first().unwrap_or((&0.0, &[]));
        let mut acc = c.scalar(k0);
        for &a in rest {
            let m = bin(c, BinaryKind::Mul, acc, x2)?;
            let a = c.scalar(a);
            acc = bin(c, BinaryKind::Add, m, a)?;
        }
        Ok(acc)
    };
    let p = horner(c, &ERF_P)?;
    let p = bin(c, BinaryKind::Mul, p, x)?;
    let q = horner(c, &ERF_Q)?;
    bin(c, BinaryKind::Div, p, q)
}

fn import_erf(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    if c.dtype(x) != DType::F32 {
        refuse!("Erf takes float tensors");
    }
    Ok(vec![erf(c, x)?])
}

fn import_gelu(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let approximate = match n.s("approximate")?.as_str() {
        "none" => false,
        "tanh" => true,
        other => refuse!("Gelu approximate={other:?} (ONNX defines none and tanh)"),
    };
    Ok(vec![math(c, MathKind::Gelu { approximate }, x)?])
}

/// `max(x, 0) + log(1 + exp(-|x|))`: softplus without overflow.
fn softplus(c: &mut Ctx<'_>, x: TensorId) -> NodeResult<TensorId> {
    let a = math(c, MathKind::Abs, x)?;
    let na = math(c, MathKind::Neg, a)?;
    let e = c.unary(UnaryKind::Exp, na)?;
    let one = c.scalar(1.0);
    let s = bin(c, BinaryKind::Add, e, one)?;
    let l = math(c, MathKind::Log, s)?;
    let r = c.unary(UnaryKind::Relu, x)?;
    bin(c, BinaryKind::Add, r, l)
}

fn import_softplus(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    Ok(vec![softplus(c, x)?])
}

fn import_softsign(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let a = math(c, MathKind::Abs, x)?;
    let one = c.scalar(1.0);
    let d = bin(c, BinaryKind::Add, a, one)?;
    Ok(vec![bin(c, BinaryKind::Div, x, d)?])
}

fn import_mish(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let s = softplus(c, x)?;
    let t = c.unary(UnaryKind::Tanh, s)?;
    Ok(vec![bin(c, BinaryKind::Mul, x, t)?])
}

/// `max(x, 0) + alpha · min(elu(x / alpha_in), 0)` (Elu: `alpha_in` 1; Celu: `alpha`).
fn scaled_elu(c: &mut Ctx<'_>, x: TensorId, alpha: f32, inner: f32) -> NodeResult<TensorId> {
    let xi = if inner == 1.0 {
        x
    } else {
        let k = c.scalar(inner);
        bin(c, BinaryKind::Div, x, k)?
    };
    let e = math(c, MathKind::Elu, xi)?;
    if alpha == 1.0 && inner == 1.0 {
        return Ok(e);
    }
    let z = c.scalar(0.0);
    let neg = bin(c, BinaryKind::Minimum, e, z)?;
    let a = c.scalar(alpha);
    let neg = bin(c, BinaryKind::Mul, neg, a)?;
    let pos = c.unary(UnaryKind::Relu, x)?;
    bin(c, BinaryKind::Add, pos, neg)
}

fn import_elu(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    Ok(vec![scaled_elu(c, x, n.f("alpha")?, 1.0)?])
}

fn import_celu(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let a = n.f("alpha")?;
    Ok(vec![scaled_elu(c, x, a, a)?])
}

fn import_selu(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let e = scaled_elu(c, x, n.f("alpha")?, 1.0)?;
    let g = c.scalar(n.f("gamma")?);
    Ok(vec![bin(c, BinaryKind::Mul, e, g)?])
}

fn import_thresholded_relu(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let a = c.scalar(n.f("alpha")?);
    let p = compare(c, CompareKind::Greater, x, a)?;
    let z = c.scalar(0.0);
    Ok(vec![c.emit1(
        Op::Select { v2: true },
        vec![Some(p), Some(x), Some(z)],
    )?])
}

fn import_sum_mean(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let xs: Vec<TensorId> = (0..n.inputs())
        .map(|i| c.need(n, i))
        .collect::<NodeResult<_>>()?;
    let first = *xs
        .first()
        .ok_or(crate::formats::onnx::error::NodeError::MissingInput(0))?;
    let one_shape = xs.iter().all(|&t| c.shape(t) == c.shape(first));
    let mut y = if xs.len() > 2 && one_shape && c.dtype(first) == DType::F32 {
        c.emit1(Op::AddN, xs.iter().map(|&t| Some(t)).collect())?
    } else {
        let mut y = first;
        for &t in xs.iter().skip(1) {
            y = bin(c, BinaryKind::Add, y, t)?;
        }
        y
    };
    if n.op == "Mean" && xs.len() > 1 {
        let k = scalar_of(c, c.dtype(y), xs.len() as f64)?;
        y = bin(c, BinaryKind::Div, y, k)?;
    }
    Ok(vec![y])
}

/// General Pow (any exponent tensor; an exponent of another type is cast to the base's).
pub(super) fn pow(c: &mut Ctx<'_>, x: TensorId, y: TensorId) -> NodeResult<TensorId> {
    let dt = c.dtype(x);
    let y = if c.dtype(y) == dt {
        y
    } else {
        c.emit_as(Op::Cast, vec![Some(y)], dt)?
    };
    c.emit1(Op::MathBin(MathBinKind::Pow), vec![Some(x), Some(y)])
}

/// The scalar value of tensor `name` when it is an initializer or a Constant node's output.
fn const_scalar(g: &GraphProto, nodes: &[NodeProto], name: &str) -> Option<f64> {
    use crate::formats::onnx::tensor::to_value;
    let t = g
        .initializer
        .iter()
        .find(|t| t.name.as_deref() == Some(name))
        .or_else(|| {
            nodes
                .iter()
                .find(|n| {
                    n.op_type.as_deref() == Some("Constant") && n.output.iter().any(|o| o == name)
                })
                .and_then(|n| {
                    n.attribute
                        .iter()
                        .find(|a| a.name.as_deref() == Some("value"))
                })
                .and_then(|a| a.t.as_ref())
        })?;
    let v = to_value(t, None).ok()?;
    (v.numel() == 1)
        .then(|| v.data.to_f64().first().copied())
        .flatten()
}

fn near(v: Option<f64>, want: f64) -> bool {
    v.is_some_and(|v| (v - want).abs() <= 1e-4 * want.abs())
}

/// The GELU patterns PyTorch exports, `x·0.5·(1 + erf(x/√2))` in its three groupings, each
/// replaced by one `Gelu` node (approximate="none") when its intermediate values have no other
/// reader and are not graph outputs. Returns the graph's nodes, rewritten.
#[expect(
    clippy::indexing_slicing,
    reason = "every node index comes from `position` over `nodes` or from `enumerate`, and `drop` has one entry per node"
)]
pub(crate) fn fuse_gelu(g: &GraphProto) -> std::borrow::Cow<'_, [NodeProto]> {
    use std::borrow::Cow;
    let nodes = &g.node;
    if !nodes.iter().any(|n| n.op_type.as_deref() == Some("Erf")) {
        return Cow::Borrowed(nodes);
    }
    let readers = |name: &str| -> usize {
        nodes
            .iter()
            .map(|n| n.input.iter().filter(|i| *i == name).count())
            .sum::<usize>()
            + g.output
                .iter()
                .filter(|o| o.name.as_deref() == Some(name))
                .count()
    };
    let producer = |name: &str| {
        nodes
            .iter()
            .position(|n| n.output.first().is_some_and(|o| o == name))
    };
    let only_reader = |name: &str| -> Option<usize> {
        if readers(name) != 1 {
            return None;
        }
        nodes.iter().position(|n| n.input.iter().any(|i| i == name))
    };
    let op = |i: usize| nodes[i].op_type.as_deref().unwrap_or("");
    let other = |i: usize, name: &str| -> Option<String> {
        let n = &nodes[i];
        match n.input.as_slice() {
            [a, b] if a == name => Some(b.clone()),
            [a, b] if b == name => Some(a.clone()),
            _ => None,
        }
    };
    let dom_ok = |i: usize| matches!(nodes[i].domain.as_deref(), None | Some("" | "ai.onnx"));
    let mut drop = vec![false; nodes.len()];
    let mut replace: Vec<(usize, NodeProto)> = Vec::new();
    for (e, en) in nodes.iter().enumerate() {
        if op(e) != "Erf" || !dom_ok(e) {
            continue;
        }
        let found = (|| {
            let u = en.input.first()?;
            let du = producer(u)?;
            let (ux, uk) = match nodes[du].input.as_slice() {
                [a, b] => (a.clone(), b.clone()),
                _ => return None,
            };
            let scaled = match op(du) {
                "Div" => near(const_scalar(g, nodes, &uk), std::f64::consts::SQRT_2),
                "Mul" => near(const_scalar(g, nodes, &uk), std::f64::consts::FRAC_1_SQRT_2),
                _ => false,
            };
            if !scaled || readers(u) != 1 {
                return None;
            }
            let x = ux;
            let ev = en.output.first()?;
            let add = only_reader(ev)?;
            if op(add) != "Add" || !near(const_scalar(g, nodes, &other(add, ev)?), 1.0) {
                return None;
            }
            let av = nodes[add].output.first()?;
            let m1 = only_reader(av)?;
            if op(m1) != "Mul" {
                return None;
            }
            let o1 = other(m1, av)?;
            let m1v = nodes[m1].output.first()?.clone();
            let mut chain = vec![du, e, add];
            let last = if o1 == x {
                // (x · (1 + erf)) · 0.5
                let m2 = only_reader(&m1v)?;
                if op(m2) != "Mul" || !near(const_scalar(g, nodes, &other(m2, &m1v)?), 0.5) {
                    return None;
                }
                chain.push(m1);
                m2
            } else if near(const_scalar(g, nodes, &o1), 0.5) {
                // (0.5 · (1 + erf)) · x
                let m2 = only_reader(&m1v)?;
                if op(m2) != "Mul" || other(m2, &m1v)? != x {
                    return None;
                }
                chain.push(m1);
                m2
            } else {
                // (x · 0.5) · (1 + erf)
                let h = producer(&o1)?;
                if op(h) != "Mul"
                    || readers(&o1) != 1
                    || !near(const_scalar(g, nodes, &other(h, &x)?), 0.5)
                {
                    return None;
                }
                chain.push(h);
                m1
            };
            Some((chain, last, x))
        })();
        if let Some((chain, last, x)) = found {
            if chain.iter().chain([&last]).any(|&i| drop[i]) {
                continue;
            }
            for &i in &chain {
                drop[i] = true;
            }
            let mut n = nodes[last].clone();
            n.op_type = Some("Gelu".into());
            n.domain = None;
            n.input = vec![x];
            n.attribute = vec![AttributeProto {
                name: Some("approximate".into()),
                s: Some(b"none".to_vec()),
                r#type: Some(3),
                ..Default::default()
            }];
            replace.push((last, n));
        }
    }
    if replace.is_empty() {
        return Cow::Borrowed(nodes);
    }
    let mut out = Vec::with_capacity(nodes.len());
    for (i, n) in nodes.iter().enumerate() {
        if drop[i] {
            continue;
        }
        match replace.iter().find(|(k, _)| *k == i) {
            Some((_, r)) => out.push(r.clone()),
            None => out.push(n.clone()),
        }
    }
    Cow::Owned(out)
}
