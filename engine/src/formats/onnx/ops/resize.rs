//! Spatial resizing: Resize (opset 10: scales input; 11+: roi, scales, sizes and the coordinate
//! modes) and Upsample (opset 7: scales attribute; 9: scales input; deprecated from 10, so not
//! claimed there). Only 4-D NCHW inputs resized in H and W map onto TFLite's RESIZE_NEAREST/
//! BILINEAR, between transposes; opset 18's antialias and keep_aspect_ratio_policy are accepted
//! only at their defaults.

use super::{AttrSpec, OpSpec, float, int, only_int, only_str, opt, spec, string};
use crate::formats::onnx::ctx::{Ctx, Node, NodeResult, TO_NCHW};
use crate::formats::onnx::error::{bail, refuse};
use crate::ir::*;

const RESIZE11_ATTRS: &[AttrSpec] = &[
    string("mode", "nearest"),
    string("coordinate_transformation_mode", "half_pixel"),
    string("nearest_mode", "round_prefer_floor"),
    // Only used by the cubic mode and tf_crop_and_resize, which are refused.
    opt("cubic_coeff_a"),
    int("exclude_outside", 0),
    float("extrapolation_value", 0.0),
    opt("axes"),
    only_int("antialias", 0),
    only_str("keep_aspect_ratio_policy", "stretch"),
];

/// The ops of this family.
pub(super) const OPS: &[OpSpec] = &[
    spec(
        "Resize",
        10..=10,
        2..=2,
        1..=1,
        &[string("mode", "nearest")],
        import_resize,
    ),
    spec(
        "Resize",
        11..=28,
        1..=4,
        1..=1,
        RESIZE11_ATTRS,
        import_resize,
    ),
    spec(
        "Upsample",
        7..=8,
        1..=1,
        1..=1,
        &[string("mode", "nearest"), opt("scales")],
        import_resize,
    ),
    spec(
        "Upsample",
        9..=9,
        2..=2,
        1..=1,
        &[string("mode", "nearest")],
        import_resize,
    ),
];

fn resize(bilinear: bool, align_corners: bool, half_pixel_centers: bool) -> Resize {
    Resize {
        bilinear,
        align_corners,
        half_pixel_centers,
    }
}

fn import_resize(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let op = n.op;
    let x = c.need(n, 0)?;
    let xs = c.shape(x);
    let Ok([xn, xc, xh, xw]) = <[usize; 4]>::try_from(xs.as_slice()) else {
        refuse!("{op} supports 4-D NCHW inputs only");
    };
    let mode = n.s("mode")?;
    let upsample = op == "Upsample";
    let (scales, sizes): (Option<Vec<f32>>, Option<Vec<i64>>) = if upsample {
        let s = if c.opset >= 9 {
            Some(c.const_f32(c.need(n, 1)?, "scales")?)
        } else {
            n.floats("scales")?
        };
        (s, None)
    } else if c.opset < 11 {
        (Some(c.const_f32(c.need(n, 1)?, "scales")?), None)
    } else {
        let sc = match c.input(n, 2)? {
            Some(t) => Some(c.const_f32(t, "scales")?).filter(|v| !v.is_empty()),
            None => None,
        };
        let sz = match c.input(n, 3)? {
            Some(t) => Some(c.const_ints(t, "sizes")?).filter(|v| !v.is_empty()),
            None => None,
        };
        (sc, sz)
    };
    if !upsample && c.opset >= 11 && n.ints("axes")?.is_some() {
        refuse!("Resize with axes is not supported");
    }
    let (oh, ow) = match (sizes.as_deref(), scales.as_deref()) {
        (Some(&[sn, sc, sh, sw]), _) => {
            if sn as usize != xn || sc as usize != xc {
                refuse!("Resize of the batch or channel dimension is not supported");
            }
            (sh.max(1) as usize, sw.max(1) as usize)
        }
        (_, Some(&[sn, sc, sh, sw])) => {
            if sn != 1.0 || sc != 1.0 {
                refuse!("Resize of the batch or channel dimension is not supported");
            }
            (
                (xh as f32 * sh).floor() as usize,
                (xw as f32 * sw).floor() as usize,
            )
        }
        _ => bail!("{op} needs 4 scales or 4 sizes"),
    };
    let old = upsample || c.opset < 11;
    let ctm = if old {
        "asymmetric".to_string()
    } else {
        n.s("coordinate_transformation_mode")?
    };
    let nearest_mode = if old {
        "round_prefer_floor".to_string()
    } else {
        n.s("nearest_mode")?
    };
    let r = match (mode.as_str(), ctm.as_str()) {
        ("nearest", "asymmetric") if old || nearest_mode == "floor" => resize(false, false, false),
        ("nearest", "tf_half_pixel_for_nn") => resize(false, false, true),
        ("nearest", "align_corners") if nearest_mode == "round_prefer_ceil" => {
            resize(false, true, false)
        }
        ("linear" | "bilinear", "asymmetric") => resize(true, false, false),
        ("linear" | "bilinear", "half_pixel" | "pytorch_half_pixel")
            if ctm == "half_pixel" || (oh > 1 && ow > 1) =>
        {
            resize(true, false, true)
        }
        ("linear" | "bilinear", "align_corners") => resize(true, true, false),
        (m, t) => refuse!(
            "{op} mode '{m}' with coordinate_transformation_mode '{t}' (nearest_mode '{nearest_mode}') is not supported"
        ),
    };
    let y = c.nhwc(x, op)?;
    let size = c.ints_const("size", &[oh as i64, ow as i64]);
    let y = c.emit1(Op::Resize(r), vec![Some(y), Some(size)])?;
    Ok(vec![c.transpose(y, &TO_NCHW)?])
}
