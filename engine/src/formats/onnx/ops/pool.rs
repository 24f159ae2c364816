//! Pooling: MaxPool, AveragePool (2-D windows and 1-D ones as 2-D with a unit axis: TFLite's
//! POOL_2D, NHWC between transposes, ONNX padding mapped to SAME/VALID plus an explicit PAD),
//! LpPool, and every window POOL_2D cannot express (3-D, dilated, AveragePool pads that are not
//! a SAME split, MaxPool's Indices) expanded into taps (`pool_taps`); GlobalAveragePool,
//! GlobalMaxPool and GlobalLpPool (reductions over the spatial axes). [`window_padding`] is
//! shared with Conv.

use super::pool_taps::{self, Fold};
use super::{AttrSpec, OpSpec, int, opt, spec, string};
use crate::formats::onnx::ctx::{Ctx, Node, NodeResult, TO_NCHW};
use crate::formats::onnx::error::{bail, refuse};
use crate::ir::*;

const POOL_ATTRS: &[AttrSpec] = &[
    opt("kernel_shape"),
    opt("strides"),
    opt("dilations"),
    opt("pads"),
    string("auto_pad", "NOTSET"),
    int("ceil_mode", 0),
    int("count_include_pad", 0),
    int("storage_order", 0),
];
const LP_POOL_ATTRS: &[AttrSpec] = &[
    opt("kernel_shape"),
    opt("strides"),
    opt("dilations"),
    opt("pads"),
    string("auto_pad", "NOTSET"),
    int("ceil_mode", 0),
    int("p", 2),
];

/// The ops of this family.
pub(super) const OPS: &[OpSpec] = &[
    spec("MaxPool", 7..=28, 1..=1, 1..=2, POOL_ATTRS, import_pool),
    spec("AveragePool", 7..=28, 1..=1, 1..=1, POOL_ATTRS, import_pool),
    spec("LpPool", 7..=28, 1..=1, 1..=1, LP_POOL_ATTRS, import_pool),
    spec(
        "GlobalLpPool",
        7..=28,
        1..=1,
        1..=1,
        &[int("p", 2)],
        import_global_lp_pool,
    ),
    spec(
        "GlobalAveragePool",
        7..=28,
        1..=1,
        1..=1,
        &[],
        import_global_pool,
    ),
    spec(
        "GlobalMaxPool",
        7..=28,
        1..=1,
        1..=1,
        &[],
        import_global_pool,
    ),
];

/// `(padding, explicit pads [(top, bottom), (left, right)])` of a 2-D window op.
#[expect(
    clippy::indexing_slicing,
    reason = "`d` ranges over 0..2 and indexes 2-element arrays"
)]
pub(super) fn window_padding(
    in_hw: [usize; 2],
    k_eff: [usize; 2],
    stride: [usize; 2],
    auto_pad: &str,
    pads: &[i64],
    ceil_mode: bool,
) -> NodeResult<(Padding, Option<[[usize; 2]; 2]>)> {
    if stride.contains(&0) || k_eff.contains(&0) {
        bail!("window {k_eff:?} with strides {stride:?}");
    }
    let same = |d: usize| {
        let out = in_hw[d].div_ceil(stride[d]);
        let total = (out.saturating_sub(1) * stride[d] + k_eff[d]).saturating_sub(in_hw[d]);
        [total / 2, total - total / 2]
    };
    let mut explicit: [[usize; 2]; 2] = match auto_pad {
        "VALID" => [[0, 0], [0, 0]],
        "SAME_UPPER" => return Ok((Padding::Same, None)),
        "SAME_LOWER" => {
            let ([a, b], [c, d]) = (same(0), same(1));
            [[b, a], [d, c]]
        }
        "NOTSET" | "" => {
            if pads.iter().any(|&p| p < 0) {
                refuse!("negative pads {pads:?}");
            }
            match pads {
                [] => [[0, 0], [0, 0]],
                [t, l, b, r] => [[*t as usize, *b as usize], [*l as usize, *r as usize]],
                p => bail!("pads {p:?}: 2-D windows need 4 values"),
            }
        }
        a => refuse!("auto_pad '{a}' is not supported"),
    };
    if ceil_mode {
        // Extra trailing padding so that floor division gives ONNX's ceil output size.
        for d in 0..2 {
            let span = in_hw[d] + explicit[d][0] + explicit[d][1];
            if span < k_eff[d] {
                continue;
            }
            let mut out = (span - k_eff[d]).div_ceil(stride[d]) + 1;
            // The last window must start inside the input or the leading padding.
            if (out - 1) * stride[d] >= in_hw[d] + explicit[d][0] {
                out -= 1;
            }
            let need = (out - 1) * stride[d] + k_eff[d];
            explicit[d][1] += need.saturating_sub(span);
        }
    }
    if explicit == [[0, 0], [0, 0]] {
        return Ok((Padding::Valid, None));
    }
    if explicit == [same(0), same(1)] {
        return Ok((Padding::Same, None));
    }
    Ok((Padding::Valid, Some(explicit)))
}

#[expect(
    clippy::indexing_slicing,
    reason = "`xs` has rank 3 where it is indexed, and `kernel` one value per spatial axis"
)]
fn import_pool(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let xs = c.shape(x);
    let Some(spatial) = xs.get(2..).filter(|s| !s.is_empty()).map(<[usize]>::to_vec) else {
        refuse!("{} needs an [N, C, spatial...] input, got {xs:?}", n.op);
    };
    let sp = spatial.len();
    let list = |v: Option<Vec<i64>>, what: &str| -> NodeResult<Vec<usize>> {
        let v = v.unwrap_or(vec![1; sp]);
        if v.len() != sp || v.iter().any(|&d| d < 1) {
            bail!("{what} {v:?} for {sp} spatial axes");
        }
        Ok(v.iter().map(|&d| d as usize).collect())
    };
    let Some(k) = n.ints("kernel_shape")? else {
        bail!("kernel_shape is required");
    };
    let kernel = list(Some(k), "kernel_shape")?;
    let stride = list(n.ints("strides")?, "strides")?;
    let dilation = list(n.ints("dilations")?, "dilations")?;
    let pads = n.ints("pads")?.unwrap_or_default();
    let auto_pad = n.s("auto_pad")?;
    let ceil = n.i("ceil_mode")? != 0;
    let fold = match n.op {
        "MaxPool" => Fold::Max,
        "AveragePool" => Fold::Average {
            include_pad: n.i("count_include_pad")? != 0,
        },
        _ => Fold::Lp(n.i("p")? as f32),
    };
    let indices = n.output_used(1);
    if !indices && !matches!(fold, Fold::Lp(_)) && dilation.iter().all(|&d| d == 1) {
        let fast = match sp {
            2 => pool2d(c, x, &kernel, &stride, &pads, &auto_pad, ceil, fold)?,
            1 => {
                let [nb, ch, l] = [xs[0], xs[1], spatial[0]];
                let pads2: Vec<i64> = match pads.as_slice() {
                    [] => vec![],
                    [b, e] => vec![0, *b, 0, *e],
                    p => bail!("pads {p:?} for 1 spatial axis"),
                };
                let x4 = c.reshape(x, &[nb, ch, 1, l])?;
                match pool2d(
                    c,
                    x4,
                    &[1, kernel[0]],
                    &[1, stride[0]],
                    &pads2,
                    &auto_pad,
                    ceil,
                    fold,
                )? {
                    Some(y) => {
                        let ys = c.shape(y);
                        Some(c.reshape(y, &[nb, ch, ys.get(3).copied().unwrap_or(0)])?)
                    }
                    None => None,
                }
            }
            _ => None,
        };
        if let Some(y) = fast {
            return Ok(vec![y]);
        }
    }
    let ax = pool_taps::axes(
        &spatial, &kernel, &stride, &dilation, &pads, &auto_pad, ceil,
    )?;
    let order = indices
        .then(|| n.i("storage_order"))
        .transpose()?
        .map(|o| o != 0);
    let (y, idx) = pool_taps::emit(c, x, &ax, fold, order)?;
    Ok(std::iter::once(y).chain(idx).collect())
}

/// A 2-D max or average pool as TFLite's POOL_2D (NHWC between transposes), or `None` when
/// the padding is one POOL_2D cannot express exactly.
#[expect(
    clippy::too_many_arguments,
    reason = "the ONNX window attributes, read once by the caller"
)]
fn pool2d(
    c: &mut Ctx<'_>,
    x: TensorId,
    kernel: &[usize],
    stride: &[usize],
    pads: &[i64],
    auto_pad: &str,
    ceil: bool,
    fold: Fold,
) -> NodeResult<Option<TensorId>> {
    let s = c.shape(x);
    let (Ok([_, _, ih, iw]), Ok(filter), Ok(stride)) = (
        <[usize; 4]>::try_from(s.as_slice()),
        <[usize; 2]>::try_from(kernel),
        <[usize; 2]>::try_from(stride),
    ) else {
        return Ok(None);
    };
    let (pad, explicit) = window_padding([ih, iw], filter, stride, auto_pad, pads, ceil)?;
    let max = fold == Fold::Max;
    let include = matches!(fold, Fold::Average { include_pad: true });
    if ceil && include {
        // ONNX leaves the ceil overhang out of the count; POOL_2D would count it.
        return Ok(None);
    }
    let (pad, explicit) = if include && pad == Padding::Same {
        // Padded zeros count: pad explicitly, then a VALID window.
        let sp = |i: usize, s: usize, k: usize| {
            let out = i.div_ceil(s);
            let total = (out.saturating_sub(1) * s + k).saturating_sub(i);
            [total / 2, total - total / 2]
        };
        let p = [sp(ih, stride[0], filter[0]), sp(iw, stride[1], filter[1])];
        (Padding::Valid, Some(p))
    } else {
        (pad, explicit)
    };
    if explicit.is_some() && !max && !include {
        return Ok(None);
    }
    let mut y = c.nhwc(x, "pool")?;
    if let Some(p) = explicit {
        y = c.pad_nhwc(y, p, max.then_some(f32::MIN))?;
    }
    let y = c.emit1(
        Op::Pool2d(Pool2d {
            kind: if max {
                PoolKind::Max
            } else {
                PoolKind::Average
            },
            padding: pad,
            stride,
            filter,
            act: Activation::None,
        }),
        vec![Some(y)],
    )?;
    Ok(Some(c.transpose(y, &TO_NCHW)?))
}

fn import_global_pool(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let r = c.rank(x);
    let axes: Vec<i64> = (2..r as i64).collect();
    let ax = c.ints_const("axes", &axes);
    let kind = if n.op == "GlobalMaxPool" {
        ReduceKind::Max
    } else {
        ReduceKind::Mean
    };
    Ok(vec![c.emit1(
        Op::Reduce(Reduce {
            kind,
            keep_dims: true,
        }),
        vec![Some(x), Some(ax)],
    )?])
}

/// GlobalLpPool: (Σ |x|^p)^(1/p) over the spatial axes.
fn import_global_lp_pool(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let p = n.i("p")? as f32;
    let r = c.rank(x);
    if r < 3 {
        refuse!("GlobalLpPool needs an [N, C, spatial...] input");
    }
    let axes: Vec<i64> = (2..r as i64).collect();
    let ax = c.ints_const("axes", &axes);
    let t = pool_taps::lp_power(c, x, p)?;
    let s = c.emit1(
        Op::Reduce(Reduce {
            kind: ReduceKind::Sum,
            keep_dims: true,
        }),
        vec![Some(t), Some(ax)],
    )?;
    Ok(vec![pool_taps::lp_root(c, s, p)?])
}

#[cfg(test)]
#[allow(
    clippy::expect_used,
    reason = "a failing test should stop at the failing step"
)]
mod tests {
    use super::*;

    fn pad(
        hw: [usize; 2],
        k: [usize; 2],
        s: [usize; 2],
        auto: &str,
        pads: &[i64],
        ceil: bool,
    ) -> (Padding, Option<[[usize; 2]; 2]>) {
        window_padding(hw, k, s, auto, pads, ceil).expect("valid padding")
    }

    #[test]
    fn padding_maps_to_tflite_same_or_explicit() {
        // 3x3 stride 1 pads 1 = SAME.
        assert_eq!(
            pad([8, 8], [3, 3], [1, 1], "NOTSET", &[1, 1, 1, 1], false),
            (Padding::Same, None)
        );
        // 3x3 stride 2 pads 1 on 224: SAME would pad (0, 1), so explicit.
        assert_eq!(
            pad([224, 224], [3, 3], [2, 2], "NOTSET", &[1, 1, 1, 1], false),
            (Padding::Valid, Some([[1, 1], [1, 1]]))
        );
        assert_eq!(
            pad([7, 7], [3, 3], [2, 2], "VALID", &[], false),
            (Padding::Valid, None)
        );
        // ceil_mode adds trailing padding: 6 -> ceil((6-3)/2)+1 = 3 windows, which is TFLite SAME
        // here (padding (0, 1) on each axis).
        assert_eq!(
            pad([6, 6], [3, 3], [2, 2], "NOTSET", &[0, 0, 0, 0], true),
            (Padding::Same, None)
        );
        // ...and explicit padding where SAME would split differently (the last window would
        // start in the trailing padding, so ceil adds none).
        assert_eq!(
            pad([7, 7], [2, 2], [2, 2], "NOTSET", &[1, 1, 1, 1], true),
            (Padding::Valid, Some([[1, 1], [1, 1]]))
        );
        // Bad values are errors, not panics.
        assert!(window_padding([7, 7], [2, 2], [0, 2], "NOTSET", &[], false).is_err());
        assert!(window_padding([7, 7], [2, 2], [1, 1], "NOTSET", &[1, 1], false).is_err());
    }
}
