//! ConvTranspose of any pads, output_padding, output_shape, auto_pad, dilations and group, in
//! 1-D (as 2-D with a unit axis), 2-D and 3-D (2-D per depth tap, spread and summed along
//! depth). TFLite's TRANSPOSE_CONV computes the VALID (full)
//! transposed convolution, so every case is exact: dilations become zeros inserted into the
//! constant filter, groups a block-diagonal filter, and ONNX's output window (which may start
//! before or end after the full result, where ONNX adds only the bias) a PAD and SLICE of the
//! full result, then the bias. Where ONNX's window is TFLite's VALID or SAME split, the op
//! takes the window (and the bias) itself. Pads follow ONNX's reference implementation
//! (`auto_pad` SAME_UPPER puts the smaller half first).

use crate::formats::onnx::ctx::{Ctx, Node, NodeResult, TO_NCHW};
use crate::formats::onnx::error::{NodeError, bail, refuse};
use crate::ir::*;

/// One spatial axis: input length, kernel, stride, dilation, and ONNX's output window
/// `[begin, begin + out)` of the full result.
#[derive(Debug, Clone, Copy)]
struct Axis {
    len: usize,
    kernel: usize,
    stride: usize,
    dilation: usize,
    begin: i64,
    out: usize,
}

impl Axis {
    fn k_eff(&self) -> usize {
        (self.kernel - 1) * self.dilation + 1
    }
    /// Length of the VALID transposed convolution.
    fn full(&self) -> usize {
        (self.len - 1) * self.stride + self.k_eff()
    }
}

/// A per-axis attribute (`sp` values, default `d`).
fn per_axis(v: Option<Vec<i64>>, sp: usize, d: i64, what: &str) -> NodeResult<Vec<i64>> {
    let v = v.unwrap_or(vec![d; sp]);
    if v.len() != sp {
        bail!("{what} {v:?} for {sp} spatial axes");
    }
    Ok(v)
}

#[expect(
    clippy::indexing_slicing,
    reason = "`d` ranges over the spatial axes; `pads` was checked to hold 2 values per axis"
)]
fn window(n: &Node<'_>, len: &[usize], kernel: &[usize]) -> NodeResult<Vec<Axis>> {
    let sp = len.len();
    let stride = per_axis(n.ints("strides")?, sp, 1, "strides")?;
    let dilation = per_axis(n.ints("dilations")?, sp, 1, "dilations")?;
    let opad = per_axis(n.ints("output_padding")?, sp, 0, "output_padding")?;
    if stride.iter().chain(&dilation).any(|&v| v < 1) || opad.iter().any(|&v| v < 0) {
        bail!("strides {stride:?}, dilations {dilation:?}, output_padding {opad:?}");
    }
    let oshape = n
        .ints("output_shape")?
        .map(|v| v.get(v.len().saturating_sub(sp)..).unwrap_or(&[]).to_vec());
    if let Some(o) = &oshape
        && (o.len() != sp || o.iter().any(|&v| v < 0))
    {
        bail!("output_shape {o:?} for {sp} spatial axes");
    }
    let auto = n.s("auto_pad")?;
    let pads = n.ints("pads")?;
    if let Some(p) = &pads
        && p.len() != 2 * sp
    {
        bail!("pads {p:?} for {sp} spatial axes");
    }
    let mut out = Vec::with_capacity(sp);
    for d in 0..sp {
        if len[d] == 0 || kernel[d] == 0 {
            bail!("input {len:?} with kernel {kernel:?}");
        }
        let (s, dl, op) = (stride[d], dilation[d], opad[d]);
        let mut a = Axis {
            len: len[d],
            kernel: kernel[d],
            stride: s as usize,
            dilation: dl as usize,
            begin: 0,
            out: 0,
        };
        let grown = a.full() as i64 + op;
        match (&pads, auto.as_str()) {
            (None, "SAME_UPPER" | "SAME_LOWER") => {
                let os = oshape
                    .as_ref()
                    .and_then(|o| o.get(d).copied())
                    .unwrap_or(len[d] as i64 * s);
                let total = grown - os;
                let half = total.div_euclid(2);
                a.begin = if auto == "SAME_UPPER" {
                    half
                } else {
                    total - half
                };
                a.out = os as usize;
            }
            (_, "NOTSET" | "" | "VALID" | "SAME_UPPER" | "SAME_LOWER") => {
                let p = match (&pads, auto.as_str()) {
                    (Some(p), "NOTSET" | "") => p.clone(),
                    _ => vec![0; 2 * sp],
                };
                let (pb, pe) = (p[d], p[sp + d]);
                a.begin = pb;
                let o = match &oshape {
                    Some(o) => o[d],
                    None => grown - pb - pe,
                };
                if o < 0 {
                    bail!("pads {p:?} leave no output");
                }
                a.out = o as usize;
            }
            (_, a) => refuse!("auto_pad '{a}' is not supported"),
        }
        out.push(a);
    }
    Ok(out)
}

/// ONNX's `[c, m/g, k...]` filter as TRANSPOSE_CONV's `[m, kh_eff, kw_eff, c]`: dilations as
/// inserted zeros, groups block-diagonal.
#[expect(
    clippy::indexing_slicing,
    reason = "indices stay below the sizes the caller checked against the weight's element count"
)]
fn filter(wf: &[f64], c: usize, mg: usize, group: usize, ax: &[Axis; 2]) -> (Vec<f32>, [usize; 4]) {
    let m = mg * group;
    let cg = c / group;
    let (kh, kw) = (ax[0].kernel, ax[1].kernel);
    let (eh, ew) = (ax[0].k_eff(), ax[1].k_eff());
    let mut t = vec![0f32; m * eh * ew * c];
    for i in 0..c {
        let g = i / cg;
        for ol in 0..mg {
            let o = g * mg + ol;
            for y in 0..kh {
                for x in 0..kw {
                    let v = wf[((i * mg + ol) * kh + y) * kw + x];
                    let (yy, xx) = (y * ax[0].dilation, x * ax[1].dilation);
                    t[((o * eh + yy) * ew + xx) * c + i] = v as f32;
                }
            }
        }
    }
    (t, [m, eh, ew, c])
}

#[expect(
    clippy::indexing_slicing,
    reason = "ranks were checked (3 to 5) and the per-axis lists hold one value per spatial axis"
)]
pub(super) fn import_conv_transpose(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let w = c.need(n, 1)?;
    let wv = c
        .value(w)
        .ok_or_else(|| NodeError::NotConstant("ConvTranspose weights".into()))?;
    let (xs, ws) = (c.shape(x), wv.shape.clone());
    if xs.len() != ws.len() || !(3..=5).contains(&xs.len()) {
        refuse!("ConvTranspose in 1-D, 2-D or 3-D only (input {xs:?}, weights {ws:?})");
    }
    let sp = xs.len() - 2;
    let (ci, mg) = (ws[0], ws[1]);
    let group = n.i("group")?.max(1) as usize;
    if ci != xs[1] || !ci.is_multiple_of(group) {
        bail!(
            "weights {ws:?} do not match {} input channels in {group} groups",
            xs[1]
        );
    }
    if wv.numel() != ws.iter().product::<usize>() {
        bail!("weights {ws:?} hold {} values", wv.numel());
    }
    let ax = window(n, &xs[2..], &ws[2..])?;
    let (nb, m) = (xs[0], mg * group);
    let wf = wv.data.to_f64();
    let bias = c.input(n, 2)?;
    match sp {
        1 => {
            // 1-D runs as 2-D over a unit height.
            let x4 = c.reshape(x, &[nb, ci, 1, xs[2]])?;
            let y = transpose_conv2d(c, x4, &wf, ci, mg, group, [UNIT, ax[0]], bias)?;
            Ok(vec![c.reshape(y, &[nb, m, ax[0].out])?])
        }
        2 => Ok(vec![transpose_conv2d(
            c,
            x,
            &wf,
            ci,
            mg,
            group,
            [ax[0], ax[1]],
            bias,
        )?]),
        _ => Ok(vec![transpose_conv3d(
            c,
            x,
            &wf,
            ci,
            mg,
            group,
            [ax[0], ax[1], ax[2]],
            bias,
        )?]),
    }
}

/// The unit axis a 1-D ConvTranspose runs over.
const UNIT: Axis = Axis {
    len: 1,
    kernel: 1,
    stride: 1,
    dilation: 1,
    begin: 0,
    out: 1,
};

/// A 2-D ConvTranspose (NCHW in and out; `wf` ONNX's `[c, m/g, kh, kw]` filter).
#[expect(
    clippy::too_many_arguments,
    reason = "the filter and the window, read once by the caller"
)]
#[expect(
    clippy::indexing_slicing,
    reason = "x is 4-D (checked by nhwc) and the per-axis vectors hold two values"
)]
fn transpose_conv2d(
    c: &mut Ctx<'_>,
    x4: TensorId,
    wf: &[f64],
    ci: usize,
    mg: usize,
    group: usize,
    ax2: [Axis; 2],
    bias: Option<TensorId>,
) -> NodeResult<TensorId> {
    let nb = c.shape(x4).first().copied().unwrap_or(1);
    let m = mg * group;
    let (t, fshape) = filter(wf, ci, mg, group, &ax2);
    let nw = c.fresh("filter");
    let wt = c.konst(&nw, Value::new(fshape.to_vec(), Data::F32(t)));
    let y = c.nhwc(x4, "ConvTranspose")?;
    let full = [ax2[0].full(), ax2[1].full()];
    let outs = [ax2[0].out, ax2[1].out];
    let valid = ax2.iter().all(|a| a.begin == 0 && a.out == a.full());
    let same = ax2.iter().all(|a| {
        a.out == a.len * a.stride
            && a.begin >= 0
            && (a.full().saturating_sub(a.out) / 2) as i64 == a.begin
            && a.full() >= a.out
    });
    let y = if valid || same {
        let osh = c.ints_const(
            "output_shape",
            &[nb as i64, outs[0] as i64, outs[1] as i64, m as i64],
        );
        c.emit1(
            Op::TransposeConv(TransposeConv {
                padding: if valid { Padding::Valid } else { Padding::Same },
                stride: [ax2[0].stride, ax2[1].stride],
                act: Activation::None,
            }),
            vec![Some(osh), Some(wt), Some(y), bias],
        )?
    } else {
        let osh = c.ints_const(
            "output_shape",
            &[nb as i64, full[0] as i64, full[1] as i64, m as i64],
        );
        let mut y = c.emit1(
            Op::TransposeConv(TransposeConv {
                padding: Padding::Valid,
                stride: [ax2[0].stride, ax2[1].stride],
                act: Activation::None,
            }),
            vec![Some(osh), Some(wt), Some(y), None],
        )?;
        // ONNX's window of the full result, zeros outside it.
        let before: Vec<usize> = ax2.iter().map(|a| (-a.begin).max(0) as usize).collect();
        let after: Vec<usize> = ax2
            .iter()
            .map(|a| (a.begin + a.out as i64 - a.full() as i64).max(0) as usize)
            .collect();
        if before.iter().chain(&after).any(|&p| p > 0) {
            y = c.pad_nhwc(y, [[before[0], after[0]], [before[1], after[1]]], None)?;
        }
        let start: Vec<i64> = ax2.iter().map(|a| a.begin.max(0)).collect();
        if start.iter().any(|&s| s > 0) || outs != full {
            let b = c.ints_const("begin", &[0, start[0], start[1], 0]);
            let s = c.ints_const(
                "size",
                &[nb as i64, outs[0] as i64, outs[1] as i64, m as i64],
            );
            y = c.emit1(Op::Slice, vec![Some(y), Some(b), Some(s)])?;
        }
        match bias {
            Some(b) => c.binary(BinaryKind::Add, y, b)?,
            None => y,
        }
    };
    c.transpose(y, &TO_NCHW)
}

/// A 3-D ConvTranspose: per depth tap, the 2-D ConvTranspose of every depth slice (depth folded
/// into the batch) with the filter's plane, spread along depth by the stride (zeros between),
/// shifted by the tap, summed; then ONNX's depth window and the bias.
#[expect(
    clippy::too_many_arguments,
    reason = "the filter and the window, read once by the caller"
)]
#[expect(
    clippy::indexing_slicing,
    reason = "x is 5-D (checked by the caller) and the 2-D result 4-D"
)]
fn transpose_conv3d(
    c: &mut Ctx<'_>,
    x: TensorId,
    wf: &[f64],
    ci: usize,
    mg: usize,
    group: usize,
    ax: [Axis; 3],
    bias: Option<TensorId>,
) -> NodeResult<TensorId> {
    let xs = c.shape(x);
    let (nb, d_in, m) = (xs[0], xs[2], mg * group);
    let d = ax[0];
    let (kd, kh, kw) = (d.kernel, ax[1].kernel, ax[2].kernel);
    let xt = c.transpose(x, &[0, 2, 1, 3, 4])?;
    let x4 = c.reshape(xt, &[nb * d_in, ci, xs[3], xs[4]])?;
    let full = d.full();
    let spread = (d_in - 1) * d.stride + 1;
    let mut acc: Option<TensorId> = None;
    let mut k_len = 0;
    let mut hw = (0, 0);
    for t in 0..kd {
        let mut plane = Vec::with_capacity(ci * mg * kh * kw);
        for i in 0..ci {
            for o in 0..mg {
                let base = ((i * mg + o) * kd + t) * kh * kw;
                plane.extend_from_slice(&wf[base..base + kh * kw]);
            }
        }
        let z = transpose_conv2d(c, x4, &plane, ci, mg, group, [ax[1], ax[2]], None)?;
        let zs = c.shape(z);
        hw = (zs[2], zs[3]);
        k_len = m * hw.0 * hw.1;
        let mut z = c.reshape(z, &[nb, d_in, 1, k_len])?;
        if d.stride > 1 {
            z = pad_axes(c, z, &[(2, 0, d.stride - 1)])?;
        }
        let z = c.reshape(z, &[nb, d_in * d.stride, k_len])?;
        let z = slice3(c, z, 0, spread, nb, k_len)?;
        let shift = t * d.dilation;
        let z = pad_axes(c, z, &[(1, shift, full - shift - spread)])?;
        acc = Some(match acc {
            None => z,
            Some(a) => c.binary(BinaryKind::Add, a, z)?,
        });
    }
    let Some(mut y) = acc else {
        bail!("empty depth window");
    };
    let before = (-d.begin).max(0) as usize;
    let after = (d.begin + d.out as i64 - full as i64).max(0) as usize;
    if before > 0 || after > 0 {
        y = pad_axes(c, y, &[(1, before, after)])?;
    }
    let start = d.begin.max(0) as usize;
    if start > 0 || d.out != full {
        y = slice3(c, y, start, d.out, nb, k_len)?;
    }
    let y = c.reshape(y, &[nb, d.out, m, hw.0, hw.1])?;
    let mut y = c.transpose(y, &[0, 2, 1, 3, 4])?;
    if let Some(b) = bias {
        let b = c.reshape(b, &[m, 1, 1, 1])?;
        y = c.binary(BinaryKind::Add, y, b)?;
    }
    Ok(y)
}

/// Zero padding of `x` on the given `(axis, before, after)`s.
fn pad_axes(c: &mut Ctx<'_>, x: TensorId, p: &[(usize, usize, usize)]) -> NodeResult<TensorId> {
    let r = c.rank(x);
    let mut v = vec![0i32; 2 * r];
    for &(a, b, e) in p {
        if let Some(s) = v.get_mut(2 * a..2 * a + 2) {
            s.copy_from_slice(&[b as i32, e as i32]);
        }
    }
    if v.iter().all(|&q| q == 0) {
        return Ok(x);
    }
    let nm = c.fresh("paddings");
    let pads = c.konst(&nm, Value::new(vec![r, 2], Data::I32(v)));
    c.emit1(Op::Pad { v2: false }, vec![Some(x), Some(pads)])
}

/// `x[:, start..start + len, :]` of a `[nb, _, k]` tensor.
fn slice3(
    c: &mut Ctx<'_>,
    x: TensorId,
    start: usize,
    len: usize,
    nb: usize,
    k: usize,
) -> NodeResult<TensorId> {
    let b = c.ints_const("begin", &[0, start as i64, 0]);
    let s = c.ints_const("size", &[nb as i64, len as i64, k as i64]);
    c.emit1(Op::Slice, vec![Some(x), Some(b), Some(s)])
}
