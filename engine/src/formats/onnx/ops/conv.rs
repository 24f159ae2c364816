//! Convolutions and products: Conv (1-D as 2-D over a unit height, 3-D in `conv3d`), ConvTranspose (its own file,
//! `conv_transpose`), Gemm, MatMul, BatchNormalization. Conv-family ops run NHWC between
//! transposes (ONNX is NCHW); weights are constants reordered here from ONNX's OIHW to TFLite's
//! OHWI, and Gemm/MatMul with constant weights become FULLY_CONNECTED.

use super::pool::window_padding;
use super::{AttrSpec, OpSpec, float, int, only_int, opt, spec, string};
use crate::formats::onnx::ctx::{Ctx, Node, NodeResult, TO_NCHW, dims_n};
use crate::formats::onnx::error::{NodeError, bail, refuse};
use crate::ir::*;

const CONV_ATTRS: &[AttrSpec] = &[
    int("group", 1),
    opt("strides"),
    opt("dilations"),
    opt("pads"),
    string("auto_pad", "NOTSET"),
    opt("kernel_shape"),
];
const CONVT_ATTRS: &[AttrSpec] = &[
    int("group", 1),
    opt("strides"),
    opt("dilations"),
    opt("pads"),
    opt("output_padding"),
    opt("output_shape"),
    string("auto_pad", "NOTSET"),
    opt("kernel_shape"),
];
const GEMM_ATTRS: &[AttrSpec] = &[
    int("transA", 0),
    int("transB", 0),
    float("alpha", 1.0),
    float("beta", 1.0),
];
const BN_ATTRS: &[AttrSpec] = &[
    float("epsilon", 1e-5),
    opt("momentum"),
    only_int("spatial", 1),
    only_int("training_mode", 0),
];

/// The ops of this family.
pub(super) const OPS: &[OpSpec] = &[
    spec("Conv", 7..=28, 2..=3, 1..=1, CONV_ATTRS, import_conv),
    spec(
        "ConvTranspose",
        7..=28,
        2..=3,
        1..=1,
        CONVT_ATTRS,
        super::conv_transpose::import_conv_transpose,
    ),
    // C became optional in opset 11.
    spec("Gemm", 7..=10, 3..=3, 1..=1, GEMM_ATTRS, import_gemm),
    spec("Gemm", 11..=28, 2..=3, 1..=1, GEMM_ATTRS, import_gemm),
    spec("MatMul", 7..=28, 2..=2, 1..=1, &[], import_matmul),
    spec(
        "BatchNormalization",
        7..=28,
        5..=5,
        1..=5,
        BN_ATTRS,
        import_batch_norm,
    ),
];

/// `[first, second]` of a 2-value attribute (missing values: `d`), each at least `min`.
fn pair(v: Option<Vec<i64>>, d: i64, min: i64) -> [usize; 2] {
    let v = v.unwrap_or_default();
    let at = |i: usize| v.get(i).copied().unwrap_or(d).max(min) as usize;
    [at(0), at(1)]
}

/// OIHW → OHWI (`[m, cg, kh, kw]` → `[m, kh, kw, cg]`).
#[expect(
    clippy::indexing_slicing,
    reason = "both buffers hold m*cg*kh*kw values: the caller checked the weight shape"
)]
fn oihw_to_ohwi(wf: &[f32], [m, cg, kh, kw]: [usize; 4]) -> Vec<f32> {
    let mut t = vec![0f32; wf.len()];
    for o in 0..m {
        for i in 0..cg {
            for yy in 0..kh {
                for xx in 0..kw {
                    t[((o * kh + yy) * kw + xx) * cg + i] = wf[((o * cg + i) * kh + yy) * kw + xx];
                }
            }
        }
    }
    t
}

/// Depthwise `[m, 1, kh, kw]` → `[1, kh, kw, m]`.
#[expect(
    clippy::indexing_slicing,
    reason = "both buffers hold m*kh*kw values: the caller checked the weight shape"
)]
fn m1hw_to_1hwm(wf: &[f32], [m, kh, kw]: [usize; 3]) -> Vec<f32> {
    let mut t = vec![0f32; wf.len()];
    for o in 0..m {
        for yy in 0..kh {
            for xx in 0..kw {
                t[(yy * kw + xx) * m + o] = wf[(o * kh + yy) * kw + xx];
            }
        }
    }
    t
}

/// `[rows, cols]` row-major → `[cols, rows]`.
#[expect(
    clippy::indexing_slicing,
    reason = "both buffers hold rows*cols values: the caller checked the 2-D shape"
)]
fn transpose_2d(wf: &[f64], rows: usize, cols: usize, scale: f32) -> Vec<f32> {
    let mut t = vec![0f32; wf.len()];
    for k in 0..rows {
        for u in 0..cols {
            t[u * rows + k] = wf[k * cols + u] as f32 * scale;
        }
    }
    t
}

fn import_conv(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let w = c.need(n, 1)?;
    let mut wv = c
        .value(w)
        .ok_or_else(|| NodeError::NotConstant("Conv weights".into()))?;
    let xs = c.shape(x);
    let bias = c.input(n, 2)?;
    let group = n.i("group")?.max(1) as usize;
    let auto_pad = n.s("auto_pad")?;
    let (strides, dilations, pads) = (n.ints("strides")?, n.ints("dilations")?, n.ints("pads")?);
    if xs.len() == 5 {
        return super::conv3d::import_conv3d(c, n, x, &wv);
    }
    if xs.len() != 3 {
        let p = pads.unwrap_or_default();
        return conv2d(c, x, &wv, bias, group, strides, dilations, &auto_pad, &p);
    }
    // 1-D: a 2-D convolution over a unit height.
    let one =
        |v: Option<Vec<i64>>, d: i64| vec![d, v.and_then(|v| v.first().copied()).unwrap_or(d)];
    let p = match pads.as_deref() {
        None | Some([]) => vec![],
        Some([b, e]) => vec![0, *b, 0, *e],
        Some(p) => bail!("pads {p:?} for 1 spatial axis"),
    };
    let Ok([nb, ch, l]) = <[usize; 3]>::try_from(xs.as_slice()) else {
        bail!("input {xs:?}");
    };
    let Ok([m, cg, k]) = <[usize; 3]>::try_from(wv.shape.as_slice()) else {
        refuse!("Conv weights {:?} for a 1-D input", wv.shape);
    };
    wv.shape = vec![m, cg, 1, k];
    let x4 = c.reshape(x, &[nb, ch, 1, l])?;
    let y = conv2d(
        c,
        x4,
        &wv,
        bias,
        group,
        Some(one(strides, 1)),
        Some(one(dilations, 1)),
        &auto_pad,
        &p,
    )?;
    let y = crate::formats::onnx::ctx::first(y)?;
    let ys = c.shape(y);
    Ok(vec![
        c.reshape(y, &[nb, m, ys.get(3).copied().unwrap_or(0)])?,
    ])
}

/// A 2-D Conv (NCHW in and out) as CONV_2D / DEPTHWISE_CONV_2D between transposes.
#[expect(
    clippy::too_many_arguments,
    reason = "the ONNX attributes, read once by the caller"
)]
pub(super) fn conv2d(
    c: &mut Ctx<'_>,
    x: TensorId,
    wv: &Value,
    bias: Option<TensorId>,
    group: usize,
    strides: Option<Vec<i64>>,
    dilations: Option<Vec<i64>>,
    auto_pad: &str,
    pads: &[i64],
) -> NodeResult<Vec<TensorId>> {
    let ws = wv.shape.clone();
    let xs = c.shape(x);
    let (Ok([m, cg, kh, kw]), Ok([_, ch, ih, iw])) = (
        <[usize; 4]>::try_from(ws.as_slice()),
        <[usize; 4]>::try_from(xs.as_slice()),
    ) else {
        refuse!("only 1-D and 2-D Conv are supported (input {xs:?}, weights {ws:?})");
    };
    if wv.numel() != m * cg * kh * kw || kh == 0 || kw == 0 {
        bail!("weights {ws:?} hold {} values", wv.numel());
    }
    if cg * group != ch {
        bail!("weights {ws:?} do not match {ch} input channels in {group} groups");
    }
    let stride = pair(strides, 1, 1);
    let dilation = pair(dilations, 1, 1);
    let k_eff = [(kh - 1) * dilation[0] + 1, (kw - 1) * dilation[1] + 1];
    let (padding, explicit) = window_padding([ih, iw], k_eff, stride, auto_pad, pads, false)?;
    let wf: Vec<f32> = wv.data.to_f64().iter().map(|&v| v as f32).collect();
    let bias: Vec<f32> = match bias {
        Some(b) => c.const_f32(b, "Conv bias")?,
        None => vec![0.0; m],
    };
    if bias.len() != m {
        bail!("bias has {} values for {m} output channels", bias.len());
    }
    let mut y = c.nhwc(x, "Conv")?;
    if let Some(p) = explicit {
        y = c.pad_nhwc(y, p, None)?;
    }
    let (nw, nb) = (c.fresh("filter"), c.fresh("bias"));
    let bt = c.konst(&nb, Value::new(vec![m], Data::F32(bias)));
    if !m.is_multiple_of(group) {
        bail!("weights {ws:?}: {m} output channels do not divide into {group} groups");
    }
    // Grouped (any `group`, filter `[m, kh, kw, ch / group]`) is CONV_2D as the TF converter
    // writes it; depthwise-shaped ones become DEPTHWISE_CONV_2D, LiteRT's faster form.
    let y = if group == 1 || !(group == ch && cg == 1) {
        let t = oihw_to_ohwi(&wf, [m, cg, kh, kw]);
        let wt = c.konst(&nw, Value::new(vec![m, kh, kw, cg], Data::F32(t)));
        c.emit1(
            Op::Conv2d(Conv2d {
                padding,
                stride,
                dilation,
                act: Activation::None,
            }),
            vec![Some(y), Some(wt), Some(bt)],
        )?
    } else {
        let t = m1hw_to_1hwm(&wf, [m, kh, kw]);
        let wt = c.konst(&nw, Value::new(vec![1, kh, kw, m], Data::F32(t)));
        c.emit1(
            Op::DepthwiseConv2d(DepthwiseConv2d {
                padding,
                stride,
                dilation,
                depth_multiplier: m / ch.max(1),
                act: Activation::None,
            }),
            vec![Some(y), Some(wt), Some(bt)],
        )?
    };
    Ok(vec![c.transpose(y, &TO_NCHW)?])
}

fn import_gemm(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let (x, w) = (c.need(n, 0)?, c.need(n, 1)?);
    let x = if n.i("transA")? != 0 {
        if c.rank(x) != 2 {
            refuse!("Gemm with transA=1 needs a 2-D input");
        }
        c.transpose(x, &[1, 0])?
    } else {
        x
    };
    let (alpha, beta) = (n.f("alpha")?, n.f("beta")?);
    let wv = c
        .value(w)
        .ok_or_else(|| NodeError::NotConstant("Gemm weights".into()))?;
    let [r0, r1] = dims_n::<2>(&wv.shape, "Gemm weights")?;
    if wv.numel() != r0 * r1 {
        bail!("Gemm weights {:?} hold {} values", wv.shape, wv.numel());
    }
    let wf = wv.data.to_f64();
    let (units, depth, wt) = if n.i("transB")? != 0 {
        (r0, r1, wf.iter().map(|&v| v as f32 * alpha).collect())
    } else {
        (r1, r0, transpose_2d(&wf, r0, r1, alpha))
    };
    let nm = c.fresh("weights");
    let wt = c.konst(&nm, Value::new(vec![units, depth], Data::F32(wt)));
    // C folds into the bias when it is one value per output (or a scalar);
    // anything else is added after the product.
    let mut after = None;
    let bias: Vec<f32> = match c.input(n, 2)? {
        Some(ct) => match c.value(ct) {
            Some(cv) if cv.numel() == units && cv.shape.last().copied().unwrap_or(1) == units => {
                cv.data.to_f64().iter().map(|&v| v as f32 * beta).collect()
            }
            Some(cv) if cv.numel() == 1 => {
                vec![cv.data.to_f64().first().copied().unwrap_or(0.0) as f32 * beta; units]
            }
            _ => {
                after = Some(ct);
                vec![0.0; units]
            }
        },
        None => vec![0.0; units],
    };
    let nm = c.fresh("bias");
    let bt = c.konst(&nm, Value::new(vec![units], Data::F32(bias)));
    let y = c.emit1(
        Op::FullyConnected(FullyConnected {
            act: Activation::None,
            keep_num_dims: false,
            asymmetric_quantize_inputs: false,
        }),
        vec![Some(x), Some(wt), Some(bt)],
    )?;
    match after {
        Some(ct) => {
            let ct = if beta == 1.0 {
                ct
            } else {
                let b = c.scalar(beta);
                c.binary(BinaryKind::Mul, ct, b)?
            };
            Ok(vec![c.binary(BinaryKind::Add, y, ct)?])
        }
        None => Ok(vec![y]),
    }
}

fn batch_matmul(c: &mut Ctx<'_>, x: TensorId, w: TensorId) -> NodeResult<TensorId> {
    c.emit1(
        Op::BatchMatMul(BatchMatMul {
            adj_x: false,
            adj_y: false,
            asymmetric_quantize_inputs: false,
        }),
        vec![Some(x), Some(w)],
    )
}

fn import_matmul(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let (x, w) = (c.need(n, 0)?, c.need(n, 1)?);
    // NumPy rules for 1-D operands: a vector on the left gains a leading 1, on the
    // right a trailing 1, and that dimension is dropped from the result.
    let (xs, ws) = (c.shape(x), c.shape(w));
    if let (1, _) | (_, 1) = (xs.len(), ws.len()) {
        let x2 = match xs.as_slice() {
            [k] => c.reshape(x, &[1, *k])?,
            _ => x,
        };
        let w2 = match ws.as_slice() {
            [k] => c.reshape(w, &[*k, 1])?,
            _ => w,
        };
        let y = batch_matmul(c, x2, w2)?;
        let mut s = c.shape(y);
        if ws.len() == 1 {
            s.pop();
        }
        if xs.len() == 1 {
            let at = s.len().checked_sub(1 + usize::from(ws.len() != 1));
            if let Some(at) = at.filter(|&i| i < s.len()) {
                s.remove(at);
            }
        }
        return Ok(vec![c.reshape(y, &s)?]);
    }
    match c.value(w) {
        Some(wv) if c.rank(x) >= 2 => {
            let Ok([k, u]) = <[usize; 2]>::try_from(wv.shape.as_slice()) else {
                return Ok(vec![batch_matmul(c, x, w)?]);
            };
            if wv.numel() != k * u {
                bail!("MatMul weights {:?} hold {} values", wv.shape, wv.numel());
            }
            let t = transpose_2d(&wv.data.to_f64(), k, u, 1.0);
            let nm = c.fresh("weights");
            let wt = c.konst(&nm, Value::new(vec![u, k], Data::F32(t)));
            let nb = c.fresh("bias");
            let b = c.konst(&nb, Value::new(vec![u], Data::F32(vec![0.0; u])));
            Ok(vec![c.emit1(
                Op::FullyConnected(FullyConnected {
                    act: Activation::None,
                    keep_num_dims: true,
                    asymmetric_quantize_inputs: false,
                }),
                vec![Some(x), Some(wt), Some(b)],
            )?])
        }
        _ => Ok(vec![batch_matmul(c, x, w)?]),
    }
}

fn import_batch_norm(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let get = |c: &Ctx<'_>, i: usize, w: &str| c.const_f32(c.need(n, i)?, w);
    let (sc, b, m, v) = (
        get(c, 1, "scale")?,
        get(c, 2, "bias")?,
        get(c, 3, "mean")?,
        get(c, 4, "var")?,
    );
    let eps = n.f("epsilon")?;
    let ch = sc.len();
    if [b.len(), m.len(), v.len()].iter().any(|&l| l != ch) {
        bail!("scale, bias, mean and var must have one value per channel");
    }
    let mul: Vec<f32> = sc
        .iter()
        .zip(&v)
        .map(|(s, v)| s / (v + eps).sqrt())
        .collect();
    let add: Vec<f32> = b
        .iter()
        .zip(&m)
        .zip(&mul)
        .map(|((b, m), k)| b - m * k)
        .collect();
    let r = c.rank(x);
    let mut shp = vec![ch];
    shp.extend(std::iter::repeat_n(1, r.saturating_sub(2)));
    let (nm, na) = (c.fresh("bn_mul"), c.fresh("bn_add"));
    let cm = c.konst(&nm, Value::new(shp.clone(), Data::F32(mul)));
    let ca = c.konst(&na, Value::new(shp, Data::F32(add)));
    let y = c.binary(BinaryKind::Mul, x, cm)?;
    Ok(vec![c.binary(BinaryKind::Add, y, ca)?])
}
