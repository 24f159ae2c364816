//! Pooling: MaxPool, AveragePool (2-D windows, NHWC between transposes, ONNX padding mapped to
//! TFLite SAME/VALID plus an explicit PAD), GlobalAveragePool and GlobalMaxPool (a mean/max
//! reduction over the spatial axes). [`window_padding`] is shared with Conv.

use super::{AttrSpec, OpSpec, int, opt, spec, string};
use crate::formats::onnx::ctx::{Ctx, Node, NodeResult, TO_NCHW};
use crate::formats::onnx::error::{NodeError, bail, refuse};
use crate::ir::*;

const POOL_ATTRS: &[AttrSpec] = &[
    opt("kernel_shape"),
    opt("strides"),
    opt("dilations"),
    opt("pads"),
    string("auto_pad", "NOTSET"),
    int("ceil_mode", 0),
    int("count_include_pad", 0),
    // Only affects the Indices output, which is refused.
    opt("storage_order"),
];

/// The ops of this family.
pub(super) const OPS: &[OpSpec] = &[
    spec("MaxPool", 7..=28, 1..=1, 1..=2, POOL_ATTRS, import_pool),
    spec("AveragePool", 7..=28, 1..=1, 1..=1, POOL_ATTRS, import_pool),
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

fn import_pool(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    if n.output_used(1) {
        refuse!("MaxPool's Indices output is not supported");
    }
    let k = n.ints("kernel_shape")?.unwrap_or_default();
    let [kh, kw] = <[i64; 2]>::try_from(k.as_slice())
        .map_err(|_| NodeError::Unsupported("only 2-D pooling is supported".into()))?;
    if kh < 1 || kw < 1 {
        bail!("kernel_shape {k:?}");
    }
    let filter = [kh as usize, kw as usize];
    let st = n.ints("strides")?.unwrap_or(vec![1, 1]);
    let dil = n.ints("dilations")?.unwrap_or(vec![1, 1]);
    if dil.iter().any(|&d| d != 1) {
        refuse!("dilated pooling is not supported");
    }
    let s = c.shape(x);
    let Ok([_, _, ih, iw]) = <[usize; 4]>::try_from(s.as_slice()) else {
        refuse!("pooling needs a 4-D input, got {s:?}");
    };
    let stride = [
        st.first().copied().unwrap_or(1) as usize,
        st.get(1).copied().unwrap_or(1) as usize,
    ];
    let (pad, explicit) = window_padding(
        [ih, iw],
        filter,
        stride,
        &n.s("auto_pad")?,
        &n.ints("pads")?.unwrap_or_default(),
        n.i("ceil_mode")? != 0,
    )?;
    let max = n.op == "MaxPool";
    let include = !max && n.i("count_include_pad")? != 0;
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
    let mut y = c.nhwc(x, n.op)?;
    if let Some(p) = explicit {
        if !max && !include {
            refuse!(
                "AveragePool with pads {p:?} that are not SAME-style and count_include_pad=0 is not supported"
            );
        }
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
    Ok(vec![c.transpose(y, &TO_NCHW)?])
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
