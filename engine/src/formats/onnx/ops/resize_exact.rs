//! The exact expansion of any static-size ONNX Resize: resizing is separable, so each resized
//! axis becomes a GATHER (nearest: one source element per output) or a product with a constant
//! `[out, in]` matrix (linear, cubic, antialias, exclude_outside), and tf_crop_and_resize's
//! extrapolated positions get their value from one constant added at the end. The taps follow
//! ONNX's reference implementation (`onnx/reference/ops/op_resize.py`, the one the backend
//! node tests are generated with): coordinate transform, `ratio = 1` at exact integers, the
//! neighbour window over an edge-padded axis, and each mode's coefficients.

use crate::formats::onnx::ctx::{Ctx, NodeResult};
use crate::formats::onnx::error::{bail, refuse};
use crate::ir::*;

/// How one output coordinate picks its sources.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Interp {
    /// Nearest with ONNX's `nearest_mode`.
    Nearest(NearestMode),
    /// Linear (bilinear, trilinear... one axis at a time).
    Linear,
    /// Cubic with coefficient `a`.
    Cubic(f64),
}

/// ONNX's `nearest_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NearestMode {
    /// Round half down.
    RoundPreferFloor,
    /// Round half up.
    RoundPreferCeil,
    /// Floor.
    Floor,
    /// Ceil.
    Ceil,
}

impl NearestMode {
    pub(super) fn parse(s: &str) -> NodeResult<Self> {
        Ok(match s {
            "round_prefer_floor" => Self::RoundPreferFloor,
            "round_prefer_ceil" => Self::RoundPreferCeil,
            "floor" => Self::Floor,
            "ceil" => Self::Ceil,
            m => bail!("nearest_mode '{m}'"),
        })
    }
}

/// ONNX's `coordinate_transformation_mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Coord {
    HalfPixel,
    HalfPixelSymmetric,
    PytorchHalfPixel,
    AlignCorners,
    Asymmetric,
    TfHalfPixelForNn,
    TfCropAndResize,
}

impl Coord {
    pub(super) fn parse(s: &str) -> NodeResult<Self> {
        Ok(match s {
            "half_pixel" => Self::HalfPixel,
            "half_pixel_symmetric" => Self::HalfPixelSymmetric,
            "pytorch_half_pixel" => Self::PytorchHalfPixel,
            "align_corners" => Self::AlignCorners,
            "asymmetric" => Self::Asymmetric,
            "tf_half_pixel_for_nn" => Self::TfHalfPixelForNn,
            "tf_crop_and_resize" => Self::TfCropAndResize,
            m => bail!("coordinate_transformation_mode '{m}'"),
        })
    }
}

/// Everything about a Resize but its sizes.
#[derive(Debug, Clone, Copy)]
pub(super) struct Mode {
    pub interp: Interp,
    pub coord: Coord,
    pub antialias: bool,
    pub exclude_outside: bool,
    pub extrapolation: f32,
}

/// One axis to resize: lengths, the scale ONNX's coordinates use, and its roi.
#[derive(Debug, Clone, Copy)]
pub(super) struct AxisResize {
    pub axis: usize,
    pub len_in: usize,
    pub len_out: usize,
    pub scale: f64,
    pub roi: (f64, f64),
}

impl AxisResize {
    /// Whether ONNX's reference skips this axis as the identity.
    fn identity(&self) -> bool {
        (self.scale - 1.0).abs() <= 1e-9
            && self.len_in == self.len_out
            && self.roi.0.abs() <= 1e-9
            && (self.roi.1 - 1.0).abs() <= 1e-9
    }
}

/// The per-axis resizes of an input of shape `shape`, from `scales` or `sizes` (over `axes`, or
/// every axis), with the keep_aspect_ratio_policy and roi (`[starts..., ends...]` over the same
/// axes) applied as ONNX's reference does.
pub(super) fn plan(
    shape: &[usize],
    axes: Option<&[usize]>,
    scales: Option<&[f32]>,
    sizes: Option<&[i64]>,
    roi: Option<&[f32]>,
    policy: &str,
) -> NodeResult<Vec<AxisResize>> {
    let all: Vec<usize> = (0..shape.len()).collect();
    let axes = axes.unwrap_or(&all);
    let n = axes.len();
    let len_in: Vec<usize> = axes
        .iter()
        .map(|&a| shape.get(a).copied().unwrap_or(0))
        .collect();
    let (mut out, mut scale): (Vec<usize>, Vec<f64>) = match (sizes, scales) {
        (Some(sz), _) => {
            if sz.len() != n || sz.iter().any(|&v| v < 0) {
                bail!("sizes {sz:?} for {n} axes");
            }
            let out: Vec<usize> = sz.iter().map(|&v| v as usize).collect();
            let sc = out
                .iter()
                .zip(&len_in)
                .map(|(&o, &i)| o as f64 / i.max(1) as f64)
                .collect();
            (out, sc)
        }
        (None, Some(sc)) => {
            if sc.len() != n || sc.iter().any(|&v| !v.is_finite() || v <= 0.0) {
                bail!("scales {sc:?} for {n} axes");
            }
            let out = sc
                .iter()
                .zip(&len_in)
                .map(|(&s, &i)| (s * i as f32).floor() as usize)
                .collect();
            (out, sc.iter().map(|&s| f64::from(s)).collect())
        }
        (None, None) => bail!("Resize needs scales or sizes"),
    };
    if sizes.is_some() && policy != "stretch" {
        let s = match policy {
            "not_larger" => scale.iter().copied().fold(f64::INFINITY, f64::min),
            "not_smaller" => scale.iter().copied().fold(0.0, f64::max),
            p => bail!("keep_aspect_ratio_policy '{p}'"),
        };
        scale = vec![s; n];
        out = len_in
            .iter()
            .map(|&i| (s * i as f64 + 0.5) as usize)
            .collect();
    }
    let roi: Vec<(f64, f64)> = match roi.filter(|r| !r.is_empty()) {
        None => vec![(0.0, 1.0); n],
        Some(r) if r.len() == 2 * n => (0..n)
            .map(|i| {
                (
                    f64::from(r.get(i).copied().unwrap_or(0.0)),
                    f64::from(r.get(n + i).copied().unwrap_or(1.0)),
                )
            })
            .collect(),
        Some(r) => bail!("roi {r:?} for {n} axes"),
    };
    Ok((0..n)
        .filter_map(|i| {
            Some(AxisResize {
                axis: *axes.get(i)?,
                len_in: *len_in.get(i)?,
                len_out: *out.get(i)?,
                scale: *scale.get(i)?,
                roi: *roi.get(i)?,
            })
        })
        .collect())
}

/// The coefficients of one output position at fractional offset `ratio` (in `(0, 1]`).
fn coeffs(interp: Interp, antialias: bool, ratio: f64, scale: f64) -> Vec<f64> {
    match (interp, antialias) {
        (Interp::Nearest(m), _) => {
            if ratio == 1.0 {
                return vec![0.0, 1.0];
            }
            let up = match m {
                NearestMode::RoundPreferFloor => ratio > 0.5,
                NearestMode::RoundPreferCeil => ratio >= 0.5,
                NearestMode::Floor => false,
                NearestMode::Ceil => true,
            };
            if up { vec![0.0, 1.0] } else { vec![1.0, 0.0] }
        }
        (Interp::Linear, false) => vec![1.0 - ratio, ratio],
        (Interp::Linear, true) => {
            let s = scale.min(1.0);
            let start = (-1.0 / s).floor() as i64 + 1;
            let footprint = 2 - 2 * start;
            let c: Vec<f64> = (start..start + footprint)
                .map(|i| (1.0 - ((i as f64 - ratio) * s).abs()).clamp(0.0, 1.0))
                .collect();
            normalized(c)
        }
        (Interp::Cubic(a), false) => {
            let r = ratio;
            let q = 1.0 - ratio;
            vec![
                ((a * (r + 1.0) - 5.0 * a) * (r + 1.0) + 8.0 * a) * (r + 1.0) - 4.0 * a,
                ((a + 2.0) * r - (a + 3.0)) * r * r + 1.0,
                ((a + 2.0) * q - (a + 3.0)) * q * q + 1.0,
                ((a * (q + 1.0) - 5.0 * a) * (q + 1.0) + 8.0 * a) * (q + 1.0) - 4.0 * a,
            ]
        }
        (Interp::Cubic(a), true) => {
            let s = scale.min(1.0);
            let k = |x: f64| {
                let x = x.abs();
                let (x2, x3) = (x * x, x * x * x);
                if x <= 1.0 {
                    (a + 2.0) * x3 - (a + 3.0) * x2 + 1.0
                } else if x < 2.0 {
                    a * x3 - 5.0 * a * x2 + 8.0 * a * x - 4.0 * a
                } else {
                    0.0
                }
            };
            let start = (-2.0 / s).floor() as i64 + 1;
            let end = 2 - start;
            normalized((start..end).map(|i| k(s * (i as f64 - ratio))).collect())
        }
    }
}

fn normalized(c: Vec<f64>) -> Vec<f64> {
    let sum: f64 = c.iter().sum();
    c.into_iter().map(|v| v / sum).collect()
}

/// One output position's sources: `(input index, weight)`, or `None` where tf_crop_and_resize
/// extrapolates.
type Taps = Option<Vec<(usize, f64)>>;

/// The taps of every output position of one axis.
pub(super) fn axis_taps(m: &Mode, a: &AxisResize) -> Vec<Taps> {
    let (li, lo) = (a.len_in as f64, a.len_out as f64);
    let width = a.scale * li;
    (0..a.len_out)
        .map(|y| {
            let y = y as f64;
            let x = match m.coord {
                Coord::AlignCorners => {
                    if width == 1.0 {
                        0.0
                    } else {
                        y * (li - 1.0) / (width - 1.0)
                    }
                }
                Coord::Asymmetric => y / a.scale,
                Coord::TfHalfPixelForNn => (y + 0.5) / a.scale,
                Coord::TfCropAndResize => {
                    let (r0, r1) = a.roi;
                    let x = if width == 1.0 {
                        (r1 - r0) * (li - 1.0) / 2.0
                    } else {
                        y * (r1 - r0) * (li - 1.0) / (width - 1.0)
                    } + r0 * (li - 1.0);
                    if x < 0.0 || x > li - 1.0 {
                        return None;
                    }
                    x
                }
                Coord::PytorchHalfPixel => {
                    if width == 1.0 {
                        -0.5
                    } else {
                        (y + 0.5) / a.scale - 0.5
                    }
                }
                Coord::HalfPixel => (y + 0.5) / a.scale - 0.5,
                Coord::HalfPixelSymmetric => {
                    let offset = li / 2.0 * (1.0 - lo / width);
                    offset + (y + 0.5) / a.scale - 0.5
                }
            };
            let fl = x.floor();
            let ratio = if x == fl { 1.0 } else { x - fl };
            let mut c = coeffs(m.interp, m.antialias, ratio, a.scale);
            let n = c.len() as i64;
            let pad = (n + 1) / 2;
            let xp = x + pad as f64;
            let p = xp.floor();
            let frac = xp - p;
            let off = if n % 2 == 0 {
                if frac == 0.0 { -(n / 2) } else { -(n / 2) + 1 }
            } else {
                let base = -((n - 1) / 2);
                if frac <= 0.5 { base } else { base + 1 }
            };
            let start = p as i64 + off - pad;
            if m.exclude_outside {
                for (k, w) in c.iter_mut().enumerate() {
                    let i = start + k as i64;
                    if i < 0 || i >= a.len_in as i64 {
                        *w = 0.0;
                    }
                }
                let s: f64 = c.iter().sum();
                let s = if s == 0.0 { 1.0 } else { s };
                c.iter_mut().for_each(|w| *w /= s);
            }
            let hi = a.len_in as i64 - 1;
            let mut taps: Vec<(usize, f64)> = Vec::with_capacity(c.len());
            for (k, w) in c.into_iter().enumerate() {
                let i = (start + k as i64).clamp(0, hi.max(0)) as usize;
                match taps.iter_mut().find(|t| t.0 == i) {
                    Some(t) => t.1 += w,
                    None => taps.push((i, w)),
                }
            }
            taps.retain(|t| t.1 != 0.0);
            Some(taps)
        })
        .collect()
}

/// The source index of every output position when each takes one input element whole.
fn gather_indices(taps: &[Taps]) -> Option<Vec<i64>> {
    taps.iter()
        .map(|t| match t.as_deref() {
            Some([(i, w)]) if *w == 1.0 => Some(*i as i64),
            _ => None,
        })
        .collect()
}

/// `x` resized exactly: the axes of `plan` one after the other, as ONNX's reference does.
pub(super) fn emit(
    c: &mut Ctx<'_>,
    x: TensorId,
    m: &Mode,
    plan: &[AxisResize],
) -> NodeResult<TensorId> {
    let rank = c.rank(x);
    let mut y = x;
    // Per resized axis, which output positions extrapolate.
    let mut extrapolated: Vec<(usize, Vec<bool>)> = Vec::new();
    for a in plan {
        if a.axis >= rank {
            bail!("axis {} of a rank-{rank} input", a.axis);
        }
        if a.identity() {
            continue;
        }
        if a.len_in == 0 && a.len_out > 0 {
            bail!("cannot resize an empty axis {} to {}", a.axis, a.len_out);
        }
        let taps = axis_taps(m, a);
        if taps.iter().any(Option::is_none) {
            extrapolated.push((a.axis, taps.iter().map(Option::is_none).collect()));
        }
        y = match gather_indices(&taps) {
            Some(idx) => {
                let ids = c.ints_const("indices", &idx);
                c.emit1(
                    Op::Gather {
                        axis: a.axis as i32,
                        batch_dims: 0,
                    },
                    vec![Some(y), Some(ids)],
                )?
            }
            None => along_axis(c, y, a, &taps)?,
        };
    }
    if !extrapolated.is_empty() && m.extrapolation != 0.0 {
        let oshape = c.shape(y);
        let mut mshape = vec![1usize; rank];
        for (ax, _) in &extrapolated {
            if let (Some(d), Some(&o)) = (mshape.get_mut(*ax), oshape.get(*ax)) {
                *d = o;
            }
        }
        let count: usize = mshape.iter().product();
        let mut v = vec![0f32; count];
        for (flat, e) in v.iter_mut().enumerate() {
            let mut rem = flat;
            let mut out = false;
            for d in (0..rank).rev() {
                let len = mshape.get(d).copied().unwrap_or(1).max(1);
                let i = rem % len;
                rem /= len;
                if let Some((_, ext)) = extrapolated.iter().find(|(ax, _)| *ax == d) {
                    out |= ext.get(i).copied().unwrap_or(false);
                }
            }
            if out {
                *e = m.extrapolation;
            }
        }
        let nm = c.fresh("extrapolation");
        let k = c.konst(&nm, Value::new(mshape, Data::F32(v)));
        y = c.binary(BinaryKind::Add, y, k)?;
    }
    Ok(y)
}

/// `y` multiplied along axis `a.axis` by the `[out, in]` matrix of `taps` (a FULLY_CONNECTED
/// over the last axis, between transposes for the others).
fn along_axis(c: &mut Ctx<'_>, y: TensorId, a: &AxisResize, taps: &[Taps]) -> NodeResult<TensorId> {
    if c.dtype(y) != DType::F32 {
        refuse!(
            "Resize that blends elements needs float32 data, got {:?}",
            c.dtype(y)
        );
    }
    let (li, lo) = (a.len_in, a.len_out);
    let mut w = vec![0f32; lo * li];
    for (o, t) in taps.iter().enumerate() {
        for &(i, v) in t.iter().flatten() {
            if let Some(e) = w.get_mut(o * li + i) {
                *e = v as f32;
            }
        }
    }
    let rank = c.rank(y);
    let last = rank - 1;
    let perm: Vec<i64> = (0..rank as i64)
        .map(|d| match d as usize {
            d if d == a.axis => last as i64,
            d if d == last => a.axis as i64,
            d => d as i64,
        })
        .collect();
    let moved = if a.axis == last {
        y
    } else {
        c.transpose(y, &perm)?
    };
    let (nw, nb) = (c.fresh("resize_weights"), c.fresh("resize_bias"));
    let wt = c.konst(&nw, Value::new(vec![lo, li], Data::F32(w)));
    let bt = c.konst(&nb, Value::new(vec![lo], Data::F32(vec![0.0; lo])));
    let z = c.emit1(
        Op::FullyConnected(FullyConnected {
            act: Activation::None,
            keep_num_dims: true,
            asymmetric_quantize_inputs: false,
        }),
        vec![Some(moved), Some(wt), Some(bt)],
    )?;
    if a.axis == last {
        Ok(z)
    } else {
        c.transpose(z, &perm)
    }
}

#[cfg(test)]
#[allow(
    clippy::indexing_slicing,
    clippy::expect_used,
    reason = "a failing test should stop at the failing step"
)]
mod tests {
    use super::*;

    fn axis(len_in: usize, len_out: usize, scale: f64) -> AxisResize {
        AxisResize {
            axis: 0,
            len_in,
            len_out,
            scale,
            roi: (0.0, 1.0),
        }
    }

    fn mode(interp: Interp, coord: Coord) -> Mode {
        Mode {
            interp,
            coord,
            antialias: false,
            exclude_outside: false,
            extrapolation: 0.0,
        }
    }

    /// Linear half-pixel upsampling by 2 blends 3:1 and clamps at the edges.
    #[test]
    fn linear_half_pixel_taps() {
        let t = axis_taps(&mode(Interp::Linear, Coord::HalfPixel), &axis(2, 4, 2.0));
        assert_eq!(t[0], Some(vec![(0, 1.0)]));
        assert_eq!(t[1], Some(vec![(0, 0.75), (1, 0.25)]));
        assert_eq!(t[2], Some(vec![(0, 0.25), (1, 0.75)]));
        assert_eq!(t[3], Some(vec![(1, 1.0)]));
    }

    /// Nearest modes round x_ori as ONNX's reference: at 4 -> 8 asymmetric, x_ori = y / 2.
    #[test]
    fn nearest_modes_pick_like_the_reference() {
        let pick = |nm| {
            let t = axis_taps(
                &mode(Interp::Nearest(nm), Coord::Asymmetric),
                &axis(4, 8, 2.0),
            );
            gather_indices(&t).expect("one source each")
        };
        assert_eq!(pick(NearestMode::Floor), vec![0, 0, 1, 1, 2, 2, 3, 3]);
        assert_eq!(pick(NearestMode::Ceil), vec![0, 1, 1, 2, 2, 3, 3, 3]);
        assert_eq!(
            pick(NearestMode::RoundPreferFloor),
            vec![0, 0, 1, 1, 2, 2, 3, 3]
        );
        assert_eq!(
            pick(NearestMode::RoundPreferCeil),
            vec![0, 1, 1, 2, 2, 3, 3, 3]
        );
    }

    /// Cubic coefficients sum to one; exclude_outside renormalizes without the clamped taps.
    #[test]
    fn cubic_coefficients() {
        let mut m = mode(Interp::Cubic(-0.75), Coord::HalfPixel);
        for t in axis_taps(&m, &axis(4, 8, 2.0)).into_iter().flatten() {
            let s: f64 = t.iter().map(|x| x.1).sum();
            assert!((s - 1.0).abs() < 1e-12, "{t:?}");
        }
        m.exclude_outside = true;
        let t = axis_taps(&m, &axis(4, 8, 2.0));
        let first = t[0].as_ref().expect("inside");
        assert!(first.iter().all(|&(i, _)| i < 4));
        let s: f64 = first.iter().map(|x| x.1).sum();
        assert!((s - 1.0).abs() < 1e-12);
    }

    /// tf_crop_and_resize marks positions outside the input as extrapolated.
    #[test]
    fn crop_and_resize_extrapolates() {
        let mut a = axis(4, 3, 0.75);
        a.roi = (0.5, 1.5);
        let t = axis_taps(&mode(Interp::Linear, Coord::TfCropAndResize), &a);
        assert!(t[0].is_some());
        assert!(t[2].is_none());
    }

    /// keep_aspect_ratio_policy scales every axis by one factor and rounds half up.
    #[test]
    fn plan_keeps_aspect_ratio() {
        let p = plan(
            &[1, 1, 4, 4],
            Some(&[2, 3]),
            None,
            Some(&[7, 8]),
            None,
            "not_larger",
        )
        .expect("plan");
        assert_eq!(p[0].len_out, 7);
        assert_eq!(p[1].len_out, 7);
        assert!((p[0].scale - 1.75).abs() < 1e-12);
        assert!(plan(&[4], None, Some(&[-1.0]), None, None, "stretch").is_err());
    }
}
