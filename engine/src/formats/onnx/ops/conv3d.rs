//! 3-D Conv (`[N, C, D, H, W]`) expanded exactly into 2-D convolutions: the depth axis is padded
//! once, each depth tap `kd` reads one strided depth slice (depth folded into the batch) through
//! a CONV_2D with the filter's `kd` plane, and the taps add up (the bias joins the first).

use super::conv::conv2d;
use crate::formats::onnx::ctx::{Ctx, Node, NodeResult, first};
use crate::formats::onnx::error::{bail, refuse};
use crate::ir::*;

/// `(pad_begin, pad_end)` of one axis under ONNX's auto_pad (SAME_UPPER: the extra at the end).
fn axis_pads(
    len: usize,
    k_eff: usize,
    stride: usize,
    auto_pad: &str,
    b: i64,
    e: i64,
) -> NodeResult<(usize, usize)> {
    Ok(match auto_pad {
        "SAME_UPPER" | "SAME_LOWER" => {
            let out = len.div_ceil(stride);
            let total = ((out.max(1) - 1) * stride + k_eff).saturating_sub(len);
            let small = total / 2;
            if auto_pad == "SAME_UPPER" {
                (small, total - small)
            } else {
                (total - small, small)
            }
        }
        "VALID" => (0, 0),
        "NOTSET" | "" => {
            if b < 0 || e < 0 {
                refuse!("negative pads");
            }
            (b as usize, e as usize)
        }
        a => refuse!("auto_pad '{a}' is not supported"),
    })
}

#[expect(
    clippy::indexing_slicing,
    reason = "the input and weights were checked to be 5-D and each attribute list to hold 3 (pads 6) values"
)]
pub(super) fn import_conv3d(
    c: &mut Ctx<'_>,
    n: &Node<'_>,
    x: TensorId,
    wv: &Value,
) -> NodeResult<Vec<TensorId>> {
    let xs = c.shape(x);
    let ws = wv.shape.clone();
    if xs.len() != 5 || ws.len() != 5 {
        refuse!("3-D Conv needs a 5-D input and filter, got {xs:?} and {ws:?}");
    }
    if wv.numel() != ws.iter().product::<usize>() || ws[2..].contains(&0) {
        bail!("weights {ws:?} hold {} values", wv.numel());
    }
    let three = |v: Option<Vec<i64>>, what: &str| -> NodeResult<[usize; 3]> {
        let v = v.unwrap_or(vec![1; 3]);
        match <[i64; 3]>::try_from(v.as_slice()) {
            Ok(a) if a.iter().all(|&d| d >= 1) => Ok(a.map(|d| d as usize)),
            _ => bail!("{what} {v:?} for 3 spatial axes"),
        }
    };
    let stride = three(n.ints("strides")?, "strides")?;
    let dil = three(n.ints("dilations")?, "dilations")?;
    let pads = n.ints("pads")?.unwrap_or(vec![0; 6]);
    if pads.len() != 6 {
        bail!("pads {pads:?} for 3 spatial axes");
    }
    let auto = n.s("auto_pad")?;
    let group = n.i("group")?.max(1) as usize;
    let (nb, m, kd) = (xs[0], ws[0], ws[2]);
    let mut p = [(0usize, 0usize); 3];
    for d in 0..3 {
        let k_eff = (ws[2 + d] - 1) * dil[d] + 1;
        p[d] = axis_pads(xs[2 + d], k_eff, stride[d], &auto, pads[d], pads[3 + d])?;
    }
    let kd_eff = (kd - 1) * dil[0] + 1;
    let span = xs[2] + p[0].0 + p[0].1;
    if span < kd_eff {
        bail!("depth window {kd_eff} is larger than the padded depth {span}");
    }
    let d_out = (span - kd_eff) / stride[0] + 1;
    let xp = if p[0] != (0, 0) {
        let v = [0, 0, 0, 0, p[0].0 as i32, p[0].1 as i32, 0, 0, 0, 0];
        let nm = c.fresh("paddings");
        let pt = c.konst(&nm, Value::new(vec![5, 2], Data::I32(v.to_vec())));
        c.emit1(Op::Pad { v2: false }, vec![Some(x), Some(pt)])?
    } else {
        x
    };
    let wf = wv.data.to_f64();
    let (cg, kh, kw) = (ws[1], ws[3], ws[4]);
    let pads2 = [p[1].0 as i64, p[2].0 as i64, p[1].1 as i64, p[2].1 as i64];
    let mut acc: Option<TensorId> = None;
    for t in 0..kd {
        let b = (t * dil[0]) as i64;
        let e = b + ((d_out - 1) * stride[0] + 1) as i64;
        let (h, w) = (xs[3] as i64, xs[4] as i64);
        let (bt, et, st) = (
            c.ints_const("begin", &[0, 0, b, 0, 0]),
            c.ints_const("end", &[nb as i64, xs[1] as i64, e, h, w]),
            c.ints_const("strides", &[1, 1, stride[0] as i64, 1, 1]),
        );
        let s = c.emit1(
            Op::StridedSlice(StridedSlice::default()),
            vec![Some(xp), Some(bt), Some(et), Some(st)],
        )?;
        let s = c.transpose(s, &[0, 2, 1, 3, 4])?;
        let s = c.reshape(s, &[nb * d_out, xs[1], xs[3], xs[4]])?;
        // The filter's depth plane `t`: [m, cg, kh, kw].
        let mut plane = Vec::with_capacity(m * cg * kh * kw);
        for o in 0..m {
            for i in 0..cg {
                let base = ((o * cg + i) * kd + t) * kh * kw;
                plane.extend(wf[base..base + kh * kw].iter().map(|&v| v as f32));
            }
        }
        let pv = Value::new(vec![m, cg, kh, kw], Data::F32(plane));
        let bias = if t == 0 { c.input(n, 2)? } else { None };
        let strides2 = Some(vec![stride[1] as i64, stride[2] as i64]);
        let dil2 = Some(vec![dil[1] as i64, dil[2] as i64]);
        let y = first(conv2d(
            c, s, &pv, bias, group, strides2, dil2, "NOTSET", &pads2,
        )?)?;
        acc = Some(match acc {
            None => y,
            Some(a) => c.binary(BinaryKind::Add, a, y)?,
        });
    }
    let Some(y) = acc else {
        bail!("empty depth window");
    };
    let ys = c.shape(y);
    let (ho, wo) = (ys[2], ys[3]);
    let y = c.reshape(y, &[nb, d_out, m, ho, wo])?;
    Ok(vec![c.transpose(y, &[0, 2, 1, 3, 4])?])
}
