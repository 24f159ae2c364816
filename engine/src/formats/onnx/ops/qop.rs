//! QOperator and integer ONNX ops (QLinearConv, QLinearMatMul, ConvInteger, MatMulInteger,
//! DynamicQuantizeLinear and the `com.microsoft` QLinear forms) as exact integer-valued float
//! compute: `x - z` in float holds the same integers ORT's kernels accumulate, so the float
//! Conv/MatMul sums equal ORT's int32 sums (exactly below 2^24), and the requantization
//! `clip(round(acc · s_x·s_w/s_y) + z_y)` rounds ties to even as ORT does. The float op of
//! each is the ordinary ONNX translation, reached through [`call`].

use super::{AttrSpec, OpSpec, int, opt};
use crate::formats::onnx::ctx::{Ctx, Node, NodeResult, first};
use crate::formats::onnx::error::{NodeError, refuse};
use crate::formats::onnx::proto::{AttributeProto, NodeProto};
use crate::ir::*;

/// The opset the helper translations of [`call`] are read at.
const CALL_OPSET: i64 = 13;

/// Translate a synthetic ONNX node `op` (default domain, opset 13) over existing tensors,
/// with `attrs`; returns its outputs.
pub(super) fn call(
    c: &mut Ctx<'_>,
    op: &str,
    ins: &[Option<TensorId>],
    attrs: Vec<AttributeProto>,
) -> NodeResult<Vec<TensorId>> {
    call_n(c, op, ins, attrs, 1)
}

fn call_n(
    c: &mut Ctx<'_>,
    op: &str,
    ins: &[Option<TensorId>],
    attrs: Vec<AttributeProto>,
    outs: usize,
) -> NodeResult<Vec<TensorId>> {
    let spec = super::lookup("", op, CALL_OPSET)
        .ok_or_else(|| NodeError::Invalid(format!("internal: no {op} translation")))?;
    let base = c.fresh(op);
    let mut names = Vec::new();
    for (i, t) in ins.iter().enumerate() {
        match t {
            Some(t) => {
                let name = format!("{base}#in{i}");
                c.names.insert(name.clone(), *t);
                names.push(name);
            }
            None => names.push(String::new()),
        }
    }
    let proto = NodeProto {
        input: names.clone(),
        output: (0..outs).map(|i| format!("{base}#out{i}")).collect(),
        op_type: Some(op.to_string()),
        attribute: attrs,
        ..Default::default()
    };
    let saved = std::mem::replace(&mut c.opset, CALL_OPSET);
    let node = Node::new(&proto, op, spec);
    let r = super::import_node(c, &node, spec);
    c.opset = saved;
    for n in names.iter().filter(|n| !n.is_empty()) {
        c.names.remove(n);
    }
    r
}

/// An integer attribute.
pub(super) fn attr_i(name: &str, v: i64) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        i: Some(v),
        r#type: Some(2),
        ..Default::default()
    }
}

fn attr_f(name: &str, v: f32) -> AttributeProto {
    AttributeProto {
        name: Some(name.into()),
        f: Some(v),
        r#type: Some(1),
        ..Default::default()
    }
}

/// The node's attributes named `keep`, forwarded to a helper translation.
fn forward(n: &Node<'_>, keep: &[&str]) -> Vec<AttributeProto> {
    n.proto
        .attribute
        .iter()
        .filter(|a| keep.contains(&a.name.as_deref().unwrap_or("")))
        .cloned()
        .collect()
}

fn f32_of(c: &mut Ctx<'_>, t: TensorId) -> NodeResult<TensorId> {
    if c.dtype(t) == DType::F32 {
        Ok(t)
    } else {
        c.emit_as(Op::Cast, vec![Some(t)], DType::F32)
    }
}

/// `t` reshaped so that a vector of `len` runs along axis `axis` of a rank-`rank` tensor
/// (a scalar or single value stays as it is).
fn along(c: &mut Ctx<'_>, t: TensorId, axis: usize, rank: usize) -> NodeResult<TensorId> {
    let n = c.tensor(t).numel();
    if n <= 1 || rank <= axis + 1 {
        return Ok(t);
    }
    let mut shape = vec![n];
    shape.extend(std::iter::repeat_n(1, rank - axis - 1));
    c.reshape(t, &shape)
}

/// `x - z` in float (`z` absent: `x`); `z` runs along `axis` of `x` when per-channel.
fn centered(
    c: &mut Ctx<'_>,
    x: TensorId,
    z: Option<TensorId>,
    axis: usize,
) -> NodeResult<TensorId> {
    let xf = f32_of(c, x)?;
    match z {
        None => Ok(xf),
        Some(z) => {
            if c.value(z)
                .is_some_and(|v| v.data.to_f64().iter().all(|&q| q == 0.0))
            {
                return Ok(xf);
            }
            let zf = f32_of(c, z)?;
            let rank = c.rank(x);
            let zf = along(c, zf, axis, rank)?;
            c.binary(BinaryKind::Sub, xf, zf)
        }
    }
}

/// `clip(round(v) + z)` as type `dt` (the type of the zero point; uint8 when absent).
fn requantize(
    c: &mut Ctx<'_>,
    v: TensorId,
    z: Option<TensorId>,
    dt: DType,
) -> NodeResult<TensorId> {
    let v = first(call(c, "Round", &[Some(v)], vec![])?)?;
    let v = match z {
        Some(z) => {
            let zf = f32_of(c, z)?;
            c.binary(BinaryKind::Add, v, zf)?
        }
        None => v,
    };
    super::quant::saturate(c, v, dt)
}

/// The output type given by zero point `z` (uint8 when absent).
fn out_type(c: &Ctx<'_>, z: Option<TensorId>) -> NodeResult<DType> {
    let dt = z.map_or(DType::U8, |z| c.dtype(z));
    if !matches!(dt, DType::I8 | DType::U8) {
        refuse!("quantized output of type {dt} is not supported");
    }
    Ok(dt)
}

const CONV_ATTRS: &[AttrSpec] = &[
    opt("auto_pad"),
    opt("dilations"),
    opt("group"),
    opt("kernel_shape"),
    opt("pads"),
    opt("strides"),
];
const CONV_KEEP: &[&str] = &[
    "auto_pad",
    "dilations",
    "group",
    "kernel_shape",
    "pads",
    "strides",
];

const fn ms(
    name: &'static str,
    inputs: std::ops::RangeInclusive<usize>,
    outputs: std::ops::RangeInclusive<usize>,
    attrs: &'static [AttrSpec],
    import: super::ImportFn,
    required: usize,
) -> OpSpec {
    OpSpec {
        name,
        domain: "com.microsoft",
        required,
        opsets: 7..=28,
        inputs,
        outputs,
        attrs,
        import,
    }
}

const fn ds(
    name: &'static str,
    opsets: std::ops::RangeInclusive<i64>,
    inputs: std::ops::RangeInclusive<usize>,
    outputs: std::ops::RangeInclusive<usize>,
    attrs: &'static [AttrSpec],
    import: super::ImportFn,
    required: usize,
) -> OpSpec {
    OpSpec {
        name,
        domain: "",
        required,
        opsets,
        inputs,
        outputs,
        attrs,
        import,
    }
}

const UNARY_ATTRS: &[AttrSpec] = &[super::float("alpha", 0.01)];
const POOL_ATTRS: &[AttrSpec] = &[int("channels_last", 0)];
const CONCAT_ATTRS: &[AttrSpec] = &[int("axis", 0)];
const LSTM_ATTRS: &[AttrSpec] = &[
    opt("activation_alpha"),
    opt("activation_beta"),
    opt("activations"),
    opt("clip"),
    opt("direction"),
    opt("hidden_size"),
    opt("input_forget"),
];

/// The ops of this family.
pub(super) const OPS: &[OpSpec] = &[
    ds(
        "QLinearConv",
        10..=28,
        8..=9,
        1..=1,
        CONV_ATTRS,
        import_qlinear_conv,
        8,
    ),
    ds(
        "QLinearMatMul",
        10..=28,
        8..=8,
        1..=1,
        &[],
        import_qlinear_matmul,
        8,
    ),
    ds(
        "ConvInteger",
        10..=28,
        2..=4,
        1..=1,
        CONV_ATTRS,
        import_conv_integer,
        2,
    ),
    ds(
        "MatMulInteger",
        10..=28,
        2..=4,
        1..=1,
        &[],
        import_matmul_integer,
        2,
    ),
    ds(
        "DynamicQuantizeLinear",
        11..=28,
        1..=1,
        3..=3,
        &[],
        import_dynamic_quantize,
        1,
    ),
    ms("QLinearAdd", 7..=8, 1..=1, &[], import_qlinear_add, 7),
    ms("QLinearMul", 7..=8, 1..=1, &[], import_qlinear_add, 7),
    ms("QLinearSigmoid", 4..=5, 1..=1, &[], import_qlinear_unary, 4),
    ms(
        "QLinearLeakyRelu",
        4..=5,
        1..=1,
        UNARY_ATTRS,
        import_qlinear_unary,
        4,
    ),
    ms(
        "QLinearGlobalAveragePool",
        5..=5,
        1..=1,
        POOL_ATTRS,
        import_qlinear_gap,
        5,
    ),
    ms(
        "QLinearConcat",
        5..=super::MANY,
        1..=1,
        CONCAT_ATTRS,
        import_qlinear_concat,
        5,
    ),
    ms(
        "MatMulIntegerToFloat",
        4..=7,
        1..=1,
        &[],
        import_matmul_to_float,
        4,
    ),
    ms(
        "DynamicQuantizeMatMul",
        3..=5,
        1..=1,
        &[],
        import_dynamic_matmul,
        3,
    ),
    ms(
        "DynamicQuantizeLSTM",
        12..=12,
        1..=3,
        LSTM_ATTRS,
        import_dq_lstm,
        3,
    ),
];

/// A scale tensor (`what` names it) as float, checked for being one value or a vector.
fn scale_of(c: &mut Ctx<'_>, t: TensorId) -> NodeResult<TensorId> {
    f32_of(c, t)
}

/// `s_x · s_w / s_y` (per channel along `axis` of a rank-`rank` result when `s_w` is a vector).
fn multiplier(
    c: &mut Ctx<'_>,
    sx: TensorId,
    sw: TensorId,
    sy: Option<TensorId>,
    axis: usize,
    rank: usize,
) -> NodeResult<TensorId> {
    let (sx, sw) = (scale_of(c, sx)?, scale_of(c, sw)?);
    let sw = along(c, sw, axis, rank)?;
    let m = c.binary(BinaryKind::Mul, sx, sw)?;
    match sy {
        Some(sy) => {
            let sy = scale_of(c, sy)?;
            c.binary(BinaryKind::Div, m, sy)
        }
        None => Ok(m),
    }
}

fn conv_acc(
    c: &mut Ctx<'_>,
    n: &Node<'_>,
    x: TensorId,
    xz: Option<TensorId>,
    w: TensorId,
    wz: Option<TensorId>,
    b: Option<TensorId>,
) -> NodeResult<TensorId> {
    if c.value(w).is_none() {
        return Err(NodeError::NotConstant("the weights".into()));
    }
    let xf = centered(c, x, xz, 0)?;
    let wf = centered(c, w, wz, 0)?;
    let bf = match b {
        Some(b) => Some(f32_of(c, b)?),
        None => None,
    };
    first(call(
        c,
        "Conv",
        &[Some(xf), Some(wf), bf],
        forward(n, CONV_KEEP),
    )?)
}

fn import_qlinear_conv(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let i = |k| c.input(n, k);
    let (x, sx, xz, w, sw, wz, sy, yz, b) = (
        c.need(n, 0)?,
        c.need(n, 1)?,
        i(2)?,
        c.need(n, 3)?,
        c.need(n, 4)?,
        i(5)?,
        c.need(n, 6)?,
        i(7)?,
        i(8)?,
    );
    let dt = out_type(c, yz)?;
    let acc = conv_acc(c, n, x, xz, w, wz, b)?;
    let rank = c.rank(acc);
    let m = multiplier(c, sx, sw, Some(sy), 1, rank)?;
    let v = c.binary(BinaryKind::Mul, acc, m)?;
    Ok(vec![requantize(c, v, yz, dt)?])
}

fn import_conv_integer(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let (x, w, xz, wz) = (c.need(n, 0)?, c.need(n, 1)?, c.input(n, 2)?, c.input(n, 3)?);
    let acc = conv_acc(c, n, x, xz, w, wz, None)?;
    Ok(vec![c.emit_as(Op::Cast, vec![Some(acc)], DType::I32)?])
}

/// `(a - z_a) @ (b - z_b)` in float; a per-row `z_a` runs along axis `rank - 2`.
fn matmul_acc(
    c: &mut Ctx<'_>,
    a: TensorId,
    az: Option<TensorId>,
    b: TensorId,
    bz: Option<TensorId>,
) -> NodeResult<TensorId> {
    let ra = c.rank(a);
    let af = centered(c, a, az, ra.saturating_sub(2))?;
    // A per-column zero point of b is a vector along its last axis: it broadcasts as it is.
    let bf = centered(c, b, bz, c.rank(b).saturating_sub(1))?;
    first(call(c, "MatMul", &[Some(af), Some(bf)], vec![])?)
}

fn import_matmul_integer(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let (a, b, az, bz) = (c.need(n, 0)?, c.need(n, 1)?, c.input(n, 2)?, c.input(n, 3)?);
    let acc = matmul_acc(c, a, az, b, bz)?;
    Ok(vec![c.emit_as(Op::Cast, vec![Some(acc)], DType::I32)?])
}

fn import_qlinear_matmul(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let i = |k| c.input(n, k);
    let (a, sa, az, b, sb, bz, sy, yz) = (
        c.need(n, 0)?,
        c.need(n, 1)?,
        i(2)?,
        c.need(n, 3)?,
        c.need(n, 4)?,
        i(5)?,
        c.need(n, 6)?,
        i(7)?,
    );
    let dt = out_type(c, yz)?;
    let acc = matmul_acc(c, a, az, b, bz)?;
    let rank = c.rank(acc);
    // A per-column scale of b is a vector along the last axis: it broadcasts as it is.
    let m = multiplier(c, sa, sb, Some(sy), rank.saturating_sub(1), rank)?;
    let v = c.binary(BinaryKind::Mul, acc, m)?;
    Ok(vec![requantize(c, v, yz, dt)?])
}

fn import_matmul_to_float(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let i = |k| c.input(n, k);
    let (a, b, sa, sb, az, bz, bias) = (
        c.need(n, 0)?,
        c.need(n, 1)?,
        c.need(n, 2)?,
        c.need(n, 3)?,
        i(4)?,
        i(5)?,
        i(6)?,
    );
    let acc = matmul_acc(c, a, az, b, bz)?;
    let rank = c.rank(acc);
    let m = multiplier(c, sa, sb, None, rank.saturating_sub(1), rank)?;
    let v = c.binary(BinaryKind::Mul, acc, m)?;
    Ok(vec![match bias {
        Some(bias) => c.binary(BinaryKind::Add, v, bias)?,
        None => v,
    }])
}

/// `(q - z) · s` in float, `s` and `z` per channel along `axis` when vectors.
fn dequant(
    c: &mut Ctx<'_>,
    q: TensorId,
    s: TensorId,
    z: Option<TensorId>,
    axis: usize,
) -> NodeResult<TensorId> {
    let v = centered(c, q, z, axis)?;
    let s = scale_of(c, s)?;
    let rank = c.rank(q);
    let s = along(c, s, axis, rank)?;
    c.binary(BinaryKind::Mul, v, s)
}

fn import_dynamic_matmul(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let (a, b, sb, bz, bias) = (
        c.need(n, 0)?,
        c.need(n, 1)?,
        c.need(n, 2)?,
        c.input(n, 3)?,
        c.input(n, 4)?,
    );
    let rb = c.rank(b);
    let bf = dequant(c, b, sb, bz, rb.saturating_sub(1))?;
    let v = first(call(c, "MatMul", &[Some(a), Some(bf)], vec![])?)?;
    Ok(vec![match bias {
        Some(bias) => c.binary(BinaryKind::Add, v, bias)?,
        None => v,
    }])
}

fn import_qlinear_add(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let i = |k| c.input(n, k);
    let (a, sa, az, b, sb, bz, sy, yz) = (
        c.need(n, 0)?,
        c.need(n, 1)?,
        i(2)?,
        c.need(n, 3)?,
        c.need(n, 4)?,
        i(5)?,
        c.need(n, 6)?,
        i(7)?,
    );
    let dt = out_type(c, yz)?;
    let (af, bf) = (centered(c, a, az, 0)?, centered(c, b, bz, 0)?);
    let (sa, sb, sy) = (scale_of(c, sa)?, scale_of(c, sb)?, scale_of(c, sy)?);
    let v = if n.op == "QLinearAdd" {
        let ra = c.binary(BinaryKind::Div, sa, sy)?;
        let rb = c.binary(BinaryKind::Div, sb, sy)?;
        let x = c.binary(BinaryKind::Mul, af, ra)?;
        let y = c.binary(BinaryKind::Mul, bf, rb)?;
        c.binary(BinaryKind::Add, x, y)?
    } else {
        let m = c.binary(BinaryKind::Mul, sa, sb)?;
        let m = c.binary(BinaryKind::Div, m, sy)?;
        let p = c.binary(BinaryKind::Mul, af, bf)?;
        c.binary(BinaryKind::Mul, p, m)?
    };
    Ok(vec![requantize(c, v, yz, dt)?])
}

fn import_qlinear_unary(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let (x, sx, xz, sy, yz) = (
        c.need(n, 0)?,
        c.need(n, 1)?,
        c.input(n, 2)?,
        c.need(n, 3)?,
        c.input(n, 4)?,
    );
    let dt = out_type(c, yz)?;
    let xf = dequant(c, x, sx, xz, 0)?;
    let f = match n.op {
        "QLinearSigmoid" => first(call(c, "Sigmoid", &[Some(xf)], vec![])?)?,
        _ => first(call(
            c,
            "LeakyRelu",
            &[Some(xf)],
            vec![attr_f("alpha", n.f("alpha")?)],
        )?)?,
    };
    let sy = scale_of(c, sy)?;
    let v = c.binary(BinaryKind::Div, f, sy)?;
    Ok(vec![requantize(c, v, yz, dt)?])
}

fn import_qlinear_gap(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let (x, sx, xz, sy, yz) = (
        c.need(n, 0)?,
        c.need(n, 1)?,
        c.input(n, 2)?,
        c.need(n, 3)?,
        c.input(n, 4)?,
    );
    if n.i("channels_last")? != 0 {
        refuse!("QLinearGlobalAveragePool with channels_last is not supported");
    }
    let dt = out_type(c, yz)?;
    let xf = centered(c, x, xz, 0)?;
    let p = first(call(c, "GlobalAveragePool", &[Some(xf)], vec![])?)?;
    let (sx, sy) = (scale_of(c, sx)?, scale_of(c, sy)?);
    let m = c.binary(BinaryKind::Div, sx, sy)?;
    let v = c.binary(BinaryKind::Mul, p, m)?;
    Ok(vec![requantize(c, v, yz, dt)?])
}

fn import_qlinear_concat(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let (sy, yz) = (c.need(n, 0)?, c.input(n, 1)?);
    let dt = out_type(c, yz)?;
    if !(n.inputs() - 2).is_multiple_of(3) {
        return Err(NodeError::Invalid(
            "QLinearConcat takes (input, scale, zero point) triples".into(),
        ));
    }
    let sy = scale_of(c, sy)?;
    let mut parts = Vec::new();
    for k in (2..n.inputs()).step_by(3) {
        let (x, s, z) = (c.need(n, k)?, c.need(n, k + 1)?, c.input(n, k + 2)?);
        let xf = centered(c, x, z, 0)?;
        let s = scale_of(c, s)?;
        let r = c.binary(BinaryKind::Div, s, sy)?;
        parts.push(Some(c.binary(BinaryKind::Mul, xf, r)?));
    }
    let axis = n.i("axis")?;
    let v = first(call(c, "Concat", &parts, vec![attr_i("axis", axis)])?)?;
    Ok(vec![requantize(c, v, yz, dt)?])
}

fn import_dynamic_quantize(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let keep = vec![attr_i("keepdims", 0)];
    let hi = first(call(c, "ReduceMax", &[Some(x)], keep.clone())?)?;
    let lo = first(call(c, "ReduceMin", &[Some(x)], keep)?)?;
    let zero = c.scalar(0.0);
    let hi = first(call(c, "Max", &[Some(hi), Some(zero)], vec![])?)?;
    let lo = first(call(c, "Min", &[Some(lo), Some(zero)], vec![])?)?;
    let range = c.binary(BinaryKind::Sub, hi, lo)?;
    let q = c.scalar(255.0);
    let scale = c.binary(BinaryKind::Div, range, q)?;
    let neg = c.binary(BinaryKind::Sub, zero, lo)?;
    let zf = c.binary(BinaryKind::Div, neg, scale)?;
    let zf = first(call(c, "Round", &[Some(zf)], vec![])?)?;
    let (l, h) = (c.scalar(0.0), c.scalar(255.0));
    let zf = first(call(c, "Clip", &[Some(zf), Some(l), Some(h)], vec![])?)?;
    let zp = c.emit_as(Op::Cast, vec![Some(zf)], DType::U8)?;
    let v = c.binary(BinaryKind::Div, x, scale)?;
    let v = first(call(c, "Round", &[Some(v)], vec![])?)?;
    let v = c.binary(BinaryKind::Add, v, zf)?;
    let y = super::quant::saturate(c, v, DType::U8)?;
    Ok(vec![y, scale, zp])
}

/// com.microsoft.DynamicQuantizeLSTM: the ONNX LSTM with its int8 weights dequantized
/// (`W` `[D, I, 4H]` and `R` `[D, H, 4H]` transposed to ONNX's `[D, 4H, ·]`). ORT quantizes the
/// input and hidden state per step; the float LSTM differs from it by that rounding only.
fn import_dq_lstm(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let i = |k| c.input(n, k);
    let (x, w, r) = (c.need(n, 0)?, c.need(n, 1)?, c.need(n, 2)?);
    let (b, lens, h0, c0, p) = (i(3)?, i(4)?, i(5)?, i(6)?, i(7)?);
    let (ws, wz, rs, rz) = (c.need(n, 8)?, c.need(n, 9)?, c.need(n, 10)?, c.need(n, 11)?);
    let mut wf = Vec::with_capacity(2);
    for (q, s, z) in [(w, ws, wz), (r, rs, rz)] {
        if c.value(q).is_none() {
            return Err(NodeError::NotConstant("the weights".into()));
        }
        // Scales and zero points: [D] or [D, 4H]; as [D, 1, 1] or [D, 1, 4H] they broadcast.
        let shape = c.shape(q);
        let (d, g) = (
            shape.first().copied().unwrap_or(1),
            shape.get(2).copied().unwrap_or(1),
        );
        let per_gate = c.tensor(s).numel() == d * g && g > 1;
        let target = if per_gate {
            vec![d, 1, g]
        } else {
            vec![d, 1, 1]
        };
        let sf = scale_of(c, s)?;
        let sf = c.reshape(sf, &target)?;
        let zf = f32_of(c, z)?;
        let zf = c.reshape(zf, &target)?;
        let qf = f32_of(c, q)?;
        let v = c.binary(BinaryKind::Sub, qf, zf)?;
        let v = c.binary(BinaryKind::Mul, v, sf)?;
        wf.push(Some(c.transpose(v, &[0, 2, 1])?));
    }
    let attrs = forward(
        n,
        &[
            "activation_alpha",
            "activation_beta",
            "activations",
            "clip",
            "direction",
            "hidden_size",
            "input_forget",
        ],
    );
    call_n(
        c,
        "LSTM",
        &[
            Some(x),
            wf.first().copied().flatten(),
            wf.get(1).copied().flatten(),
            b,
            lens,
            h0,
            c0,
            p,
        ],
        attrs,
        n.outputs(),
    )
}
