//! QDQ: QuantizeLinear and DequantizeLinear with constant int8/uint8 (and int32 bias)
//! parameters, per tensor, per axis (the IR's per-channel [`QuantParams`]) or blocked. A
//! DequantizeLinear of a constant (weights, biases) folds to a float constant; of an activation
//! it becomes DEQUANTIZE reading the parameters stored on its input. Blocked parameters of
//! activations expand to full-shape constants and compute as plain float and integer ops
//! (`(x - z) · s`; `clip(round(x / s) + z)` with ONNX's ties-to-even rounding). Opset 21's
//! `output_dtype` of QuantizeLinear picks the output type when there is no zero point; opset
//! 23's `output_dtype` of DequantizeLinear is accepted only as float. A per-tensor scale or
//! zero point computed at run time (the expanded DynamicQuantizeLinear) computes the same
//! formulas in float.

use super::qop::call;
use super::{AttrSpec, OpSpec, int, opt, spec};
use crate::formats::onnx::ctx::{Ctx, Node, NodeResult, first};
use crate::formats::onnx::error::{NodeError, bail, refuse};
use crate::formats::onnx::proto::dtype;
use crate::ir::*;

const Q_ATTRS: &[AttrSpec] = &[
    int("axis", 1),
    int("block_size", 0),
    // Only meaningful for float8 outputs, which are refused.
    opt("saturate"),
    int("output_dtype", 0),
    // 0 (the scale's type) or float: both are f32 here.
    opt("precision"),
];
const DQ_ATTRS: &[AttrSpec] = &[int("axis", 1), int("block_size", 0), int("output_dtype", 0)];

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

/// The parameters of one QuantizeLinear/DequantizeLinear node.
pub(super) struct Params {
    /// Scales, as stored (one, one per slice of `axis`, or one per block).
    pub scale: Vec<f32>,
    /// Shape of the scale tensor.
    pub scale_shape: Vec<usize>,
    /// Zero points (as many as scales; zeros when absent).
    pub zp: Vec<i64>,
    /// Type of the zero point, when given.
    pub zdt: Option<DType>,
    /// Axis of per-axis or blocked parameters.
    pub axis: usize,
    /// Block size (0: not blocked).
    pub block: usize,
}

impl Params {
    /// Per-tensor or per-axis parameters as the IR stores them (`None` when blocked).
    pub fn quant(&self) -> Option<QuantParams> {
        if self.block > 0 {
            return None;
        }
        Some(QuantParams {
            scale: self.scale.clone(),
            zero_point: self.zp.clone(),
            axis: if self.scale.len() > 1 { self.axis } else { 0 },
            ..Default::default()
        })
    }

    /// `(scale, zero point)` of every element of a tensor of `shape`, row-major.
    #[expect(
        clippy::indexing_slicing,
        reason = "params() checked the axis against the input's rank, the scale's shape against the input's and the zero points' count against the scales'"
    )]
    pub fn expand(&self, shape: &[usize]) -> Vec<(f32, i64)> {
        let n: usize = shape.iter().product();
        let rank = shape.len();
        if self.scale.len() == 1 {
            return vec![(self.scale[0], self.zp[0]); n];
        }
        let mut strides = vec![1usize; rank];
        for i in (0..rank.saturating_sub(1)).rev() {
            strides[i] = strides[i + 1] * shape[i + 1];
        }
        let mut sstr = vec![1usize; self.scale_shape.len()];
        for i in (0..self.scale_shape.len().saturating_sub(1)).rev() {
            sstr[i] = sstr[i + 1] * self.scale_shape[i + 1];
        }
        (0..n)
            .map(|i| {
                let k = if self.block == 0 {
                    (i / strides[self.axis]) % shape[self.axis]
                } else {
                    (0..rank)
                        .map(|d| {
                            let c = (i / strides[d]) % shape[d];
                            let c = if d == self.axis { c / self.block } else { c };
                            c * sstr[d]
                        })
                        .sum()
                };
                (self.scale[k], self.zp[k])
            })
            .collect()
    }
}

/// Read and check the scale and zero point of `n` for data input `x`.
pub(super) fn params(c: &Ctx<'_>, n: &Node<'_>, x: TensorId) -> NodeResult<Params> {
    let st = c.need(n, 1)?;
    let scale = c.const_f32(st, "the scale")?;
    let scale_shape = c.shape(st);
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
        None => (vec![0; scale.len()], None),
    };
    if zp.len() != scale.len() {
        bail!(
            "{}: {} zero points for {} scales",
            n.op,
            zp.len(),
            scale.len()
        );
    }
    if scale.is_empty() {
        bail!("{}: the scale is empty", n.op);
    }
    let shape = c.shape(x);
    // Before opset 13 there is no axis: parameters are per tensor.
    let axis = if scale.len() > 1 || n.i("block_size")? > 0 {
        c.axis(x, n.i("axis")?)?
    } else {
        0
    };
    let block = usize::try_from(n.i("block_size")?)
        .map_err(|_| NodeError::Invalid("block_size must not be negative".into()))?;
    if block > 0 {
        let want: Vec<usize> = shape
            .iter()
            .enumerate()
            .map(|(d, &s)| if d == axis { s.div_ceil(block) } else { s })
            .collect();
        if scale_shape != want {
            bail!(
                "{}: blocked scale of shape {scale_shape:?}, expected {want:?} for input {shape:?} and block {block}",
                n.op
            );
        }
    } else if scale.len() > 1 && (scale_shape.len() != 1 || shape.get(axis) != Some(&scale.len())) {
        bail!(
            "{}: {} scales do not match axis {axis} of the input {shape:?}",
            n.op,
            scale.len()
        );
    }
    Ok(Params {
        scale,
        scale_shape,
        zp,
        zdt,
        axis,
        block,
    })
}

/// True when the scale or the zero point of `n` is computed at run time (the expanded
/// DynamicQuantizeLinear computes both from the data's range).
fn runtime_params(c: &Ctx<'_>, n: &Node<'_>) -> NodeResult<bool> {
    let s = c.need(n, 1)?;
    let z = c.input(n, 2)?;
    Ok(c.value(s).is_none() || z.is_some_and(|z| c.value(z).is_none()))
}

/// The per-tensor scale and zero point of `n` as float tensors, either may be computed at run
/// time; `None` for the zero point when absent.
fn runtime_scalars(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<(TensorId, Option<TensorId>)> {
    let s = c.need(n, 1)?;
    let z = c.input(n, 2)?;
    for t in std::iter::once(s).chain(z) {
        if c.shape(t).iter().product::<usize>() != 1 {
            refuse!(
                "{} with a per-axis scale or zero point computed at run time",
                n.op
            );
        }
    }
    let z = match z {
        Some(z) => Some(c.emit_as(Op::Cast, vec![Some(z)], DType::F32)?),
        None => None,
    };
    Ok((s, z))
}

fn import_quantize(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    if runtime_params(c, n)? {
        // clip(round(x / s) + z) with ONNX's ties-to-even rounding, in float, then a cast.
        let zdt = c.input(n, 2)?.map(|z| c.dtype(z));
        let dt = match (zdt, i32::try_from(n.i("output_dtype")?).unwrap_or(i32::MAX)) {
            (Some(z), _) => z,
            (None, dtype::INT8) => DType::I8,
            _ => DType::U8,
        };
        if !matches!(dt, DType::I8 | DType::U8) || c.dtype(x) != DType::F32 {
            refuse!("QuantizeLinear of {} to {dt} is not supported", c.dtype(x));
        }
        let (s, z) = runtime_scalars(c, n)?;
        let v = c.binary(BinaryKind::Div, x, s)?;
        let mut v = first(call(c, "Round", &[Some(v)], vec![])?)?;
        if let Some(z) = z {
            v = c.binary(BinaryKind::Add, v, z)?;
        }
        return Ok(vec![saturate(c, v, dt)?]);
    }
    let p = params(c, n, x)?;
    let want = match i32::try_from(n.i("output_dtype")?).unwrap_or(i32::MAX) {
        0 => None,
        dtype::INT8 => Some(DType::I8),
        dtype::UINT8 => Some(DType::U8),
        t => refuse!(
            "QuantizeLinear to {} is not supported",
            crate::formats::onnx::tensor::dtype_name(t)
        ),
    };
    let dt = match (p.zdt, want) {
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
    if c.dtype(x) != DType::F32 {
        refuse!("QuantizeLinear of {} is not supported", c.dtype(x));
    }
    match p.quant() {
        Some(q) => {
            let y = c.emit_as(Op::Quantize, vec![Some(x)], dt)?;
            c.tensor_mut(y).quant = Some(q);
            Ok(vec![y])
        }
        None => {
            // Blocked: clip(round(x / s) + z) over full-shape constants, then a cast.
            let shape = c.shape(x);
            let (s, z): (Vec<f32>, Vec<f32>) = p
                .expand(&shape)
                .into_iter()
                .map(|(s, z)| (s, z as f32))
                .unzip();
            let (sn, zn) = (c.fresh("scale"), c.fresh("zero_point"));
            let s = c.konst(&sn, Value::f32(shape.clone(), s));
            let z = c.konst(&zn, Value::f32(shape, z));
            let v = c.binary(BinaryKind::Div, x, s)?;
            let v = first(call(c, "Round", &[Some(v)], vec![])?)?;
            let v = c.binary(BinaryKind::Add, v, z)?;
            Ok(vec![saturate(c, v, dt)?])
        }
    }
}

/// `v` (float integers) clamped to the range of `dt` and cast to it.
pub(super) fn saturate(c: &mut Ctx<'_>, v: TensorId, dt: DType) -> NodeResult<TensorId> {
    let (lo, hi) = match dt {
        DType::I8 => (-128.0, 127.0),
        DType::U8 => (0.0, 255.0),
        _ => (i32::MIN as f32, i32::MAX as f32),
    };
    let (lo, hi) = (c.scalar(lo), c.scalar(hi));
    let v = first(call(c, "Clip", &[Some(v), Some(lo), Some(hi)], vec![])?)?;
    c.emit_as(Op::Cast, vec![Some(v)], dt)
}

fn import_dequantize(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    if runtime_params(c, n)? {
        // (x - z) · s with run-time parameters, in float.
        let (s, z) = runtime_scalars(c, n)?;
        let mut v = c.emit_as(Op::Cast, vec![Some(x)], DType::F32)?;
        if let Some(z) = z {
            v = c.binary(BinaryKind::Sub, v, z)?;
        }
        return Ok(vec![c.binary(BinaryKind::Mul, v, s)?]);
    }
    let p = params(c, n, x)?;
    if !matches!(i32::try_from(n.i("output_dtype")?), Ok(0 | dtype::FLOAT)) {
        refuse!("DequantizeLinear to a type other than float is not supported");
    }
    let xdt = c.dtype(x);
    if !matches!(xdt, DType::I8 | DType::U8 | DType::I32) {
        refuse!("DequantizeLinear of {xdt} is not supported");
    }
    let shape = c.shape(x);
    if let Some(v) = c.value(x) {
        // Weights and biases: folded to float now.
        let ints = v
            .data
            .to_i64()
            .ok_or_else(|| NodeError::Invalid("the quantized input must be integers".into()))?;
        let f: Vec<f32> = ints
            .iter()
            .zip(p.expand(&shape))
            .map(|(&q, (s, z))| s * (q - z) as f32)
            .collect();
        let name = c.fresh("dequantized");
        return Ok(vec![c.konst(&name, Value::f32(shape, f))]);
    }
    match p.quant() {
        Some(q) => {
            let t = c.tensor_mut(x);
            match &t.quant {
                None => t.quant = Some(q),
                Some(have) if *have == q => {}
                Some(_) => refuse!(
                    "DequantizeLinear with parameters other than those its input was quantized with"
                ),
            }
            Ok(vec![first(c.emit(
                Op::Dequantize,
                vec![Some(x)],
                &[DType::F32],
            )?)?])
        }
        None => {
            // Blocked: (x - z) · s over full-shape constants.
            let (s, z): (Vec<f32>, Vec<f32>) = p
                .expand(&shape)
                .into_iter()
                .map(|(s, z)| (s, z as f32))
                .unzip();
            let (sn, zn) = (c.fresh("scale"), c.fresh("zero_point"));
            let s = c.konst(&sn, Value::f32(shape.clone(), s));
            let z = c.konst(&zn, Value::f32(shape, z));
            let v = c.emit_as(Op::Cast, vec![Some(x)], DType::F32)?;
            let v = c.binary(BinaryKind::Sub, v, z)?;
            Ok(vec![c.binary(BinaryKind::Mul, v, s)?])
        }
    }
}
