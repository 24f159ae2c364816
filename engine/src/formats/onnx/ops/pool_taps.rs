//! Pooling of any rank expanded exactly into its taps, for the windows TFLite's 2-D pools cannot
//! express: 1-D and 3-D windows, dilations, AveragePool pads that are not a SAME split (with
//! either count_include_pad), LpPool, and MaxPool's Indices output. The input (NCHW…) is padded
//! once; every window offset is one strided slice; the taps fold with MAXIMUM (max), ADD and a
//! division by the constant per-position count (average), or ADD of |x|^p then the p-th root
//! (Lp). Indices keep the first maximum, as ONNX's reference does, through GREATER + SELECT_V2.

use crate::formats::onnx::ctx::{Ctx, NodeResult};
use crate::formats::onnx::error::{bail, refuse};
use crate::ir::*;

/// What the taps fold into.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Fold {
    /// Maximum.
    Max,
    /// Mean over the taps inside the input (`include_pad`: inside the explicit padding).
    Average {
        /// count_include_pad.
        include_pad: bool,
    },
    /// (Σ |x|^p)^(1/p).
    Lp(f32),
}

/// One spatial axis of the window: input length, kernel, stride, dilation, pads and output.
#[derive(Debug, Clone, Copy)]
pub(super) struct Axis {
    pub len: usize,
    pub kernel: usize,
    pub stride: usize,
    pub dilation: usize,
    pub pad_begin: usize,
    pub pad_end: usize,
    pub out: usize,
}

impl Axis {
    fn k_eff(&self) -> usize {
        (self.kernel - 1) * self.dilation + 1
    }
}

/// The window axes of an ONNX pool: `pads` as `[begins..., ends...]`, `auto_pad`, `ceil_mode`
/// (the last window must start inside the input or the leading padding).
#[expect(
    clippy::indexing_slicing,
    reason = "`d` ranges over the spatial axes, whose lists the caller checked to have that length"
)]
pub(super) fn axes(
    len: &[usize],
    kernel: &[usize],
    stride: &[usize],
    dilation: &[usize],
    pads: &[i64],
    auto_pad: &str,
    ceil_mode: bool,
) -> NodeResult<Vec<Axis>> {
    let n = len.len();
    if kernel.len() != n || stride.len() != n || dilation.len() != n {
        bail!(
            "kernel_shape {kernel:?}, strides {stride:?}, dilations {dilation:?} for {n} spatial axes"
        );
    }
    if !pads.is_empty() && pads.len() != 2 * n {
        bail!("pads {pads:?} for {n} spatial axes");
    }
    if pads.iter().any(|&p| p < 0) {
        refuse!("negative pads {pads:?}");
    }
    let mut out = Vec::with_capacity(n);
    for d in 0..n {
        let (l, k, s, dl) = (len[d], kernel[d], stride[d], dilation[d]);
        if k == 0 || s == 0 || dl == 0 {
            bail!("kernel {k}, stride {s}, dilation {dl}");
        }
        let k_eff = (k - 1) * dl + 1;
        let (pb, pe, o) = match auto_pad {
            "SAME_UPPER" | "SAME_LOWER" => {
                let o = l.div_ceil(s);
                let total = ((o.max(1) - 1) * s + k_eff).saturating_sub(l);
                let small = total / 2;
                if auto_pad == "SAME_UPPER" {
                    (small, total - small, o)
                } else {
                    (total - small, small, o)
                }
            }
            "VALID" | "NOTSET" | "" => {
                let (pb, pe) = if auto_pad == "VALID" {
                    (0, 0)
                } else {
                    (
                        pads.get(d).copied().unwrap_or(0) as usize,
                        pads.get(n + d).copied().unwrap_or(0) as usize,
                    )
                };
                let span = l + pb + pe;
                if span < k_eff {
                    bail!("window {k_eff} is larger than the padded input {span}");
                }
                let o = if ceil_mode {
                    let mut o = (span - k_eff).div_ceil(s) + 1;
                    if (o - 1) * s >= l + pb {
                        o -= 1;
                    }
                    o
                } else {
                    (span - k_eff) / s + 1
                };
                (pb, pe, o)
            }
            a => refuse!("auto_pad '{a}' is not supported"),
        };
        out.push(Axis {
            len: l,
            kernel: k,
            stride: s,
            dilation: dl,
            pad_begin: pb,
            pad_end: pe,
            out: o,
        });
    }
    Ok(out)
}

/// Every window offset (one index per axis), the last axis fastest.
fn offsets(ax: &[Axis]) -> Vec<Vec<usize>> {
    let mut all = vec![Vec::new()];
    for a in ax {
        all = all
            .into_iter()
            .flat_map(|p| {
                (0..a.kernel).map(move |k| {
                    let mut q = p.clone();
                    q.push(k);
                    q
                })
            })
            .collect();
    }
    all
}

/// `x` (`[N, C, spatial...]`) pooled over `ax`; with `indices`, also MaxPool's int64 Indices
/// (flat positions in `x`, row-major, or column-major over the spatial axes with
/// `storage_order` 1).
#[expect(
    clippy::indexing_slicing,
    reason = "`d` ranges over the spatial axes of `xs`, whose rank was checked to be their count + 2"
)]
pub(super) fn emit(
    c: &mut Ctx<'_>,
    x: TensorId,
    ax: &[Axis],
    fold: Fold,
    indices: Option<bool>,
) -> NodeResult<(TensorId, Option<TensorId>)> {
    let xs = c.shape(x);
    let r = xs.len();
    if r != ax.len() + 2 {
        bail!("input {xs:?} for {} spatial axes", ax.len());
    }
    if c.dtype(x) != DType::F32 {
        refuse!("this pooling needs float32 data, got {:?}", c.dtype(x));
    }
    let padded_end: Vec<usize> = ax
        .iter()
        .map(|a| {
            let need = (a.out.max(1) - 1) * a.stride + a.k_eff();
            need.saturating_sub(a.len + a.pad_begin)
        })
        .collect();
    let xp = if ax
        .iter()
        .zip(&padded_end)
        .any(|(a, &e)| a.pad_begin > 0 || e > 0)
    {
        let mut p = vec![0i32; 2 * r];
        for (d, a) in ax.iter().enumerate() {
            p[2 * (d + 2)] = a.pad_begin as i32;
            p[2 * (d + 2) + 1] = padded_end[d] as i32;
        }
        let nm = c.fresh("paddings");
        let pads = c.konst(&nm, Value::new(vec![r, 2], Data::I32(p)));
        let fill = c.scalar(if fold == Fold::Max {
            f32::NEG_INFINITY
        } else {
            0.0
        });
        c.emit1(Op::Pad { v2: true }, vec![Some(x), Some(pads), Some(fill)])?
    } else {
        x
    };
    let mut out_shape = xs.clone();
    for (d, a) in ax.iter().enumerate() {
        out_shape[d + 2] = a.out;
    }
    let mut acc: Option<TensorId> = None;
    let mut idx: Option<TensorId> = None;
    for off in offsets(ax) {
        let mut begin = vec![0i64; r];
        let mut end: Vec<i64> = xs.iter().map(|&v| v as i64).collect();
        let mut strides = vec![1i64; r];
        for (d, a) in ax.iter().enumerate() {
            let b = off[d] * a.dilation;
            begin[d + 2] = b as i64;
            end[d + 2] = (b + (a.out.max(1) - 1) * a.stride + 1) as i64;
            strides[d + 2] = a.stride as i64;
        }
        let (bt, et, st) = (
            c.ints_const("begin", &begin),
            c.ints_const("end", &end),
            c.ints_const("strides", &strides),
        );
        let mut t = c.emit1(
            Op::StridedSlice(StridedSlice::default()),
            vec![Some(xp), Some(bt), Some(et), Some(st)],
        )?;
        if let Fold::Lp(p) = fold {
            t = lp_power(c, t, p)?;
        }
        acc = Some(match acc {
            None => {
                if let Some(order) = indices {
                    idx = Some(index_const(c, &xs, ax, &off, &out_shape, order)?);
                }
                t
            }
            Some(a) => match fold {
                Fold::Max => {
                    if let (Some(order), Some(i)) = (indices, idx) {
                        let better = c.emit_as(
                            Op::Compare(CompareKind::Greater),
                            vec![Some(t), Some(a)],
                            DType::Bool,
                        )?;
                        let here = index_const(c, &xs, ax, &off, &out_shape, order)?;
                        idx = Some(c.emit_as(
                            Op::Select { v2: true },
                            vec![Some(better), Some(here), Some(i)],
                            DType::I64,
                        )?);
                    }
                    c.binary(BinaryKind::Maximum, a, t)?
                }
                _ => c.binary(BinaryKind::Add, a, t)?,
            },
        });
    }
    let Some(mut y) = acc else {
        bail!("empty pooling window");
    };
    match fold {
        Fold::Max => {}
        Fold::Average { include_pad } => {
            let counts = counts(ax, include_pad);
            let mut shape = vec![1usize; 2];
            shape.extend(ax.iter().map(|a| a.out));
            let nm = c.fresh("window_count");
            let k = c.konst(&nm, Value::new(shape, Data::F32(counts)));
            y = c.binary(BinaryKind::Div, y, k)?;
        }
        Fold::Lp(p) => y = lp_root(c, y, p)?,
    }
    Ok((y, idx))
}

/// |t|^p (p = 1: |t|, p = 2: t·t).
pub(super) fn lp_power(c: &mut Ctx<'_>, t: TensorId, p: f32) -> NodeResult<TensorId> {
    if p == 2.0 {
        return c.binary(BinaryKind::Mul, t, t);
    }
    let a = c.emit1(Op::Math(MathKind::Abs), vec![Some(t)])?;
    if p == 1.0 {
        return Ok(a);
    }
    let e = c.scalar(p);
    c.emit1(Op::MathBin(MathBinKind::Pow), vec![Some(a), Some(e)])
}

/// s^(1/p) (p = 1: s, p = 2: √s).
pub(super) fn lp_root(c: &mut Ctx<'_>, s: TensorId, p: f32) -> NodeResult<TensorId> {
    if p == 1.0 {
        return Ok(s);
    }
    if p == 2.0 {
        return c.unary(UnaryKind::Sqrt, s);
    }
    let e = c.scalar(1.0 / p);
    c.emit1(Op::MathBin(MathBinKind::Pow), vec![Some(s), Some(e)])
}

/// How many taps of each output window count toward the average (separable: the product of
/// each axis's count), flattened over the output's spatial shape.
fn counts(ax: &[Axis], include_pad: bool) -> Vec<f32> {
    let per_axis: Vec<Vec<usize>> = ax
        .iter()
        .map(|a| {
            (0..a.out)
                .map(|o| {
                    (0..a.kernel)
                        .filter(|&k| {
                            let p = (o * a.stride + k * a.dilation) as i64 - a.pad_begin as i64;
                            if include_pad {
                                p < (a.len + a.pad_end) as i64
                            } else {
                                p >= 0 && p < a.len as i64
                            }
                        })
                        .count()
                })
                .collect()
        })
        .collect();
    let mut out = vec![1f32];
    for v in &per_axis {
        out = out
            .iter()
            .flat_map(|&p| v.iter().map(move |&k| p * k as f32))
            .collect();
    }
    out
}

/// The int64 flat input position that window offset `off` reads at each output position
/// (positions in the padding get -1: they never win, as their value is -inf).
#[expect(
    clippy::indexing_slicing,
    reason = "positions range over `out_shape`, whose rank is that of `xs`: spatial axes + 2"
)]
fn index_const(
    c: &mut Ctx<'_>,
    xs: &[usize],
    ax: &[Axis],
    off: &[usize],
    out_shape: &[usize],
    column_major: bool,
) -> NodeResult<TensorId> {
    let count: usize = out_shape.iter().product();
    let sp = ax.len();
    let mut v = vec![0i64; count];
    let spatial: Vec<usize> = xs.get(2..).unwrap_or(&[]).to_vec();
    let plane: usize = spatial.iter().product();
    for (flat, e) in v.iter_mut().enumerate() {
        // Decompose `flat` over out_shape.
        let mut rem = flat;
        let mut pos = vec![0usize; out_shape.len()];
        for d in (0..out_shape.len()).rev() {
            let len = out_shape[d].max(1);
            pos[d] = rem % len;
            rem /= len;
        }
        let mut inside = true;
        let mut coords = vec![0usize; sp];
        for (d, a) in ax.iter().enumerate() {
            let p = (pos[d + 2] * a.stride + off[d] * a.dilation) as i64 - a.pad_begin as i64;
            if p < 0 || p >= a.len as i64 {
                inside = false;
            }
            coords[d] = p.max(0) as usize;
        }
        if !inside {
            *e = -1;
            continue;
        }
        let mut within = 0usize;
        if column_major {
            for d in (0..sp).rev() {
                within = within * spatial[d] + coords[d];
            }
        } else {
            for d in 0..sp {
                within = within * spatial[d] + coords[d];
            }
        }
        let nc = pos[0] * xs[1] + pos[1];
        *e = (nc * plane + within) as i64;
    }
    let nm = c.fresh("indices");
    Ok(c.konst(&nm, Value::new(out_shape.to_vec(), Data::I64(v))))
}

#[cfg(test)]
#[allow(
    clippy::expect_used,
    clippy::indexing_slicing,
    reason = "a failing test should stop at the failing step"
)]
mod tests {
    use super::*;

    #[test]
    fn output_sizes_follow_onnx() {
        let a = axes(&[5], &[3], &[2], &[2], &[1, 1], "NOTSET", false).expect("axes");
        assert_eq!(a[0].out, 1 + (5 + 2 - 5) / 2);
        let a = axes(&[6], &[3], &[2], &[1], &[0, 0], "NOTSET", true).expect("axes");
        assert_eq!(a[0].out, 3);
        let a = axes(&[7], &[2], &[2], &[1], &[], "SAME_LOWER", false).expect("axes");
        assert_eq!((a[0].pad_begin, a[0].pad_end, a[0].out), (1, 0, 4));
        assert!(axes(&[2], &[5], &[1], &[1], &[], "NOTSET", false).is_err());
    }

    /// count_include_pad=0 divides by the taps inside the input only.
    #[test]
    fn average_counts() {
        let a = axes(&[4], &[3], &[1], &[1], &[1, 1], "NOTSET", false).expect("axes");
        assert_eq!(counts(&a, false), vec![2.0, 3.0, 3.0, 2.0]);
        assert_eq!(counts(&a, true), vec![3.0, 3.0, 3.0, 3.0]);
    }
}
