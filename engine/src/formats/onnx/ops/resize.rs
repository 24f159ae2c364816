//! Spatial resizing: Resize (opset 10: scales input; 11+: roi, scales, sizes and the coordinate
//! modes; 18+: axes, antialias, keep_aspect_ratio_policy) and Upsample (opset 7: scales
//! attribute; 9: scales input; deprecated from 10, so not claimed there). A 4-D NCHW input
//! resized in H and W by its size ratio, in a mode TFLite has, maps onto RESIZE_NEAREST/BILINEAR
//! between transposes; every other static-size resize is expanded exactly (`resize_exact`).

use super::resize_exact::{self, AxisResize, Coord, Interp, Mode, NearestMode};
use super::{AttrSpec, OpSpec, float, int, opt, spec, string};
use crate::formats::onnx::ctx::{Ctx, Node, NodeResult, TO_NCHW};
use crate::formats::onnx::error::{bail, refuse};
use crate::ir::*;

const RESIZE11_ATTRS: &[AttrSpec] = &[
    string("mode", "nearest"),
    string("coordinate_transformation_mode", "half_pixel"),
    string("nearest_mode", "round_prefer_floor"),
    float("cubic_coeff_a", -0.75),
    int("exclude_outside", 0),
    float("extrapolation_value", 0.0),
    opt("axes"),
    int("antialias", 0),
    string("keep_aspect_ratio_policy", "stretch"),
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
    let mode = n.s("mode")?;
    let upsample = op == "Upsample";
    let old = upsample || c.opset < 11;
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
    let ctm = if old {
        "asymmetric".to_string()
    } else {
        n.s("coordinate_transformation_mode")?
    };
    let coord = Coord::parse(&ctm)?;
    let (axes, policy, roi) = if old {
        (None, "stretch".to_string(), None)
    } else {
        let axes = match n.ints("axes")? {
            Some(v) => Some(
                v.iter()
                    .map(|&a| c.axis(x, a))
                    .collect::<NodeResult<Vec<usize>>>()?,
            ),
            None => None,
        };
        let roi = match (coord, c.input(n, 1)?) {
            (Coord::TfCropAndResize, Some(t)) => Some(c.const_f32(t, "roi")?),
            (Coord::TfCropAndResize, None) => bail!("tf_crop_and_resize needs the roi input"),
            _ => None,
        };
        (axes, n.s("keep_aspect_ratio_policy")?, roi)
    };
    let plan = resize_exact::plan(
        &xs,
        axes.as_deref(),
        scales.as_deref(),
        sizes.as_deref(),
        roi.as_deref(),
        &policy,
    )?;
    let nearest_mode = if old {
        "round_prefer_floor".to_string()
    } else {
        n.s("nearest_mode")?
    };
    let antialias = !old && n.i("antialias")? != 0;
    if let Some(r) = tflite_form(&mode, &ctm, &nearest_mode, old, antialias, &xs, &plan) {
        let (oh, ow) = r.1;
        let y = c.nhwc(x, op)?;
        let size = c.ints_const("size", &[oh as i64, ow as i64]);
        let y = c.emit1(Op::Resize(r.0), vec![Some(y), Some(size)])?;
        return Ok(vec![c.transpose(y, &TO_NCHW)?]);
    }
    let interp = match mode.as_str() {
        "nearest" if antialias => bail!("antialias applies to linear and cubic modes only"),
        "nearest" => Interp::Nearest(NearestMode::parse(&nearest_mode)?),
        "linear" | "bilinear" => Interp::Linear,
        "cubic" if !old => Interp::Cubic(f64::from(n.f("cubic_coeff_a")?)),
        m => refuse!("{op} mode '{m}' is not supported"),
    };
    let m = Mode {
        interp,
        coord,
        antialias,
        exclude_outside: !old && n.i("exclude_outside")? != 0,
        extrapolation: if old {
            0.0
        } else {
            n.f("extrapolation_value")?
        },
    };
    Ok(vec![resize_exact::emit(c, x, &m, &plan)?])
}

/// TFLite's RESIZE_NEAREST_NEIGHBOR / RESIZE_BILINEAR, with the output size, where it computes
/// exactly what ONNX asks: a 4-D input resized in H and W only, by the in/out size ratio (TFLite
/// derives its scale from the sizes), in a coordinate and rounding mode TFLite has.
fn tflite_form(
    mode: &str,
    ctm: &str,
    nearest_mode: &str,
    old: bool,
    antialias: bool,
    xs: &[usize],
    plan: &[AxisResize],
) -> Option<(Resize, (usize, usize))> {
    if xs.len() != 4 || antialias {
        return None;
    }
    let find = |d: usize| plan.iter().find(|a| a.axis == d);
    for d in 0..2 {
        if let Some(a) = find(d)
            && (a.len_in != a.len_out || a.scale != 1.0)
        {
            return None;
        }
    }
    let (h, w) = (find(2)?, find(3)?);
    let ratio_ok = |a: &AxisResize| a.scale * a.len_in as f64 == a.len_out as f64;
    if !(old || ratio_ok(h) && ratio_ok(w)) {
        return None;
    }
    let (oh, ow) = (h.len_out, w.len_out);
    let r = match (mode, ctm) {
        ("nearest", "asymmetric") if old || nearest_mode == "floor" => resize(false, false, false),
        ("nearest", "tf_half_pixel_for_nn") if nearest_mode == "floor" => {
            resize(false, false, true)
        }
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
        _ => return None,
    };
    Some((r, (oh, ow)))
}
