//! ConvTranspose of any pads, output_padding, output_shape, auto_pad, dilations and group, in
//! 1-D (as 2-D with a unit axis) and 2-D. TFLite's TRANSPOSE_CONV computes the VALID (full)
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
    reason = "ranks were checked (3 or 4) and the per-axis lists hold one value per spatial axis"
)]
pub(super) fn import_conv_transpose(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let w = c.need(n, 1)?;
    let wv = c
        .value(w)
        .ok_or_else(|| NodeError::NotConstant("ConvTranspose weights".into()))?;
    let (xs, ws) = (c.shape(x), wv.shape.clone());
    if xs.len() != ws.len() || !(3..=4).contains(&xs.len()) {
        refuse!("ConvTranspose in 1-D or 2-D only (input {xs:?}, weights {ws:?})");
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
    let mut ax = window(n, &xs[2..], &ws[2..])?;
    let (nb, m) = (xs[0], mg * group);
    // 1-D runs as 2-D over a unit height.
    let x4 = if sp == 1 {
        ax.insert(
            0,
            Axis {
                len: 1,
                kernel: 1,
                stride: 1,
                dilation: 1,
                begin: 0,
                out: 1,
            },
        );
        c.reshape(x, &[nb, ci, 1, xs[2]])?
    } else {
        x
    };
    let ax2 = [ax[0], ax[1]];
    let (t, fshape) = filter(&wv.data.to_f64(), ci, mg, group, &ax2);
    let nw = c.fresh("filter");
    let wt = c.konst(&nw, Value::new(fshape.to_vec(), Data::F32(t)));
    let bias = c.input(n, 2)?;
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
    let mut y = if valid || same {
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
    y = c.transpose(y, &TO_NCHW)?;
    if sp == 1 {
        y = c.reshape(y, &[nb, m, outs[1]])?;
    }
    Ok(vec![y])
}
