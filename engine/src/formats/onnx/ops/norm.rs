//! Normalizations and block rearrangements: LpNormalization (p = 1 and 2), InstanceNormalization,
//! GroupNormalization (scale and bias per group before opset 21, per channel from it),
//! DepthToSpace and SpaceToDepth (DCR and CRD). The normalizations are expansions into mean,
//! variance and rsqrt; the block ops are TFLite's NHWC ops between layout transposes (CRD as a
//! constant channel gather to or from DCR order).

use super::{OpSpec, float, int, opt, spec, string};
use crate::formats::onnx::ctx::{Ctx, Node, NodeResult, TO_NCHW};
use crate::formats::onnx::error::{NodeError, refuse};
use crate::ir::*;

/// The ops of this family.
pub(super) const OPS: &[OpSpec] = &[
    spec(
        "LpNormalization",
        7..=28,
        1..=1,
        1..=1,
        &[int("axis", -1), int("p", 2)],
        import_lp_norm,
    ),
    spec(
        "InstanceNormalization",
        7..=28,
        3..=3,
        1..=1,
        &[float("epsilon", 1e-5)],
        import_instance_norm,
    ),
    spec(
        "GroupNormalization",
        18..=28,
        3..=3,
        1..=1,
        &[
            float("epsilon", 1e-5),
            int("num_groups", 0),
            opt("stash_type"),
        ],
        import_group_norm,
    ),
    spec(
        "DepthToSpace",
        7..=28,
        1..=1,
        1..=1,
        &[int("blocksize", 0), string("mode", "DCR")],
        import_depth_to_space,
    ),
    spec(
        "SpaceToDepth",
        7..=28,
        1..=1,
        1..=1,
        &[int("blocksize", 0), string("mode", "DCR")],
        import_space_to_depth,
    ),
];

fn mean(c: &mut Ctx<'_>, t: TensorId, axes: &[i64]) -> NodeResult<TensorId> {
    let at = c.ints_const("axes", axes);
    c.emit1(
        Op::Reduce(Reduce {
            kind: ReduceKind::Mean,
            keep_dims: true,
        }),
        vec![Some(t), Some(at)],
    )
}

/// `(x - mean) / sqrt(var + eps)` over `axes` (kept as size 1).
fn standardize(c: &mut Ctx<'_>, x: TensorId, axes: &[i64], eps: f32) -> NodeResult<TensorId> {
    let m = mean(c, x, axes)?;
    let d = c.binary(BinaryKind::Sub, x, m)?;
    let sq = c.binary(BinaryKind::Mul, d, d)?;
    let var = mean(c, sq, axes)?;
    let e = c.scalar(eps);
    let ve = c.binary(BinaryKind::Add, var, e)?;
    let inv = c.unary(UnaryKind::Rsqrt, ve)?;
    c.binary(BinaryKind::Mul, d, inv)
}

/// `y · scale + bias` with per-channel vectors broadcast over an NCHW-like tensor of rank `r`.
fn affine(
    c: &mut Ctx<'_>,
    y: TensorId,
    scale: TensorId,
    bias: TensorId,
    channels: usize,
    r: usize,
) -> NodeResult<TensorId> {
    let mut cs = vec![channels];
    cs.extend(std::iter::repeat_n(1, r.saturating_sub(2)));
    let sc = c.reshape(scale, &cs)?;
    let b = c.reshape(bias, &cs)?;
    let y = c.binary(BinaryKind::Mul, y, sc)?;
    c.binary(BinaryKind::Add, y, b)
}

fn import_lp_norm(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let r = c.rank(x);
    let ax = c.axis(x, n.i("axis")?)?;
    match n.i("p")? {
        1 => {
            // x / Σ|x| along the axis, as ONNX's reference (no epsilon).
            let a = c.emit1(Op::Math(MathKind::Abs), vec![Some(x)])?;
            let at = c.ints_const("axes", &[ax as i64]);
            let s = c.emit1(
                Op::Reduce(Reduce {
                    kind: ReduceKind::Sum,
                    keep_dims: true,
                }),
                vec![Some(a), Some(at)],
            )?;
            Ok(vec![c.binary(BinaryKind::Div, x, s)?])
        }
        2 => {
            let mut perm: Vec<i64> = (0..r as i64).collect();
            perm.swap(ax, r - 1);
            let last = ax + 1 == r;
            let t = if last { x } else { c.transpose(x, &perm)? };
            let y = c.emit1(
                Op::Movement(Movement::L2Norm {
                    act: Activation::None,
                }),
                vec![Some(t)],
            )?;
            Ok(vec![if last { y } else { c.transpose(y, &perm)? }])
        }
        p => refuse!("LpNormalization with p = {p} (ONNX allows 1 and 2)"),
    }
}

fn import_instance_norm(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let s = c.shape(x);
    let r = s.len();
    if r < 3 {
        refuse!("InstanceNormalization needs rank >= 3");
    }
    let axes: Vec<i64> = (2..r as i64).collect();
    let y = standardize(c, x, &axes, n.f("epsilon")?)?;
    let (sc, b) = (c.need(n, 1)?, c.need(n, 2)?);
    let ch = s.get(1).copied().unwrap_or(1);
    Ok(vec![affine(c, y, sc, b, ch, r)?])
}

/// GroupNormalization: the channels split into `num_groups` groups, each standardized over its
/// channels and every spatial position, then scaled per group (opset 18) or per channel (21+).
fn import_group_norm(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let s = c.shape(x);
    let r = s.len();
    let g = n.i("num_groups")?;
    let (Some(&batch), Some(&ch)) = (s.first(), s.get(1)) else {
        refuse!("GroupNormalization needs rank >= 2");
    };
    if g <= 0 || ch % g as usize != 0 {
        return Err(NodeError::Invalid(format!(
            "num_groups {g} does not divide the {ch} channels"
        )));
    }
    let g = g as usize;
    let rest: usize = s.iter().skip(2).product();
    let grouped = c.reshape(x, &[batch, g, (ch / g) * rest])?;
    let y = standardize(c, grouped, &[2], n.f("epsilon")?)?;
    let y = c.reshape(y, &s)?;
    let (mut sc, mut b) = (c.need(n, 1)?, c.need(n, 2)?);
    if c.shape(sc).iter().product::<usize>() == g && g != ch {
        // Opset 18: one scale and bias per group, repeated over its channels.
        let idx: Vec<i64> = (0..ch).map(|k| (k / (ch / g)) as i64).collect();
        let it = c.ints_const("group_of_channel", &idx);
        let gather = Op::Gather {
            axis: 0,
            batch_dims: 0,
        };
        sc = c.emit1(gather.clone(), vec![Some(sc), Some(it)])?;
        b = c.emit1(gather, vec![Some(b), Some(it)])?;
    }
    Ok(vec![affine(c, y, sc, b, ch, r)?])
}

fn block(n: &Node<'_>) -> NodeResult<usize> {
    match n.i("blocksize")? {
        b if b >= 1 => Ok(b as usize),
        b => Err(NodeError::Invalid(format!("blocksize {b} (must be >= 1)"))),
    }
}

fn import_depth_to_space(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let mut x = c.need(n, 0)?;
    let bs = block(n)?;
    let ch = c.shape(x).get(1).copied().unwrap_or(0);
    if ch % (bs * bs) != 0 {
        return Err(NodeError::Invalid(format!(
            "{ch} channels are not a multiple of blocksize² = {}",
            bs * bs
        )));
    }
    match n.s("mode")?.as_str() {
        "DCR" => {}
        "CRD" => {
            // CRD reads channel c·bs² + (i·bs + j) where DCR reads (i·bs + j)·C' + c.
            let co = ch / (bs * bs);
            let idx: Vec<i64> = (0..ch)
                .map(|k| ((k % co) * bs * bs + k / co) as i64)
                .collect();
            let it = c.ints_const("crd_to_dcr", &idx);
            x = c.emit1(
                Op::Gather {
                    axis: 1,
                    batch_dims: 0,
                },
                vec![Some(x), Some(it)],
            )?;
        }
        m => refuse!("DepthToSpace mode '{m}' (ONNX has DCR and CRD)"),
    }
    let t = c.nhwc(x, "DepthToSpace")?;
    let y = c.emit1(Op::DepthToSpace { block: bs }, vec![Some(t)])?;
    Ok(vec![c.transpose(y, &TO_NCHW)?])
}

fn import_space_to_depth(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let bs = block(n)?;
    let s = c.shape(x);
    if s.iter().skip(2).any(|&d| d % bs != 0) {
        return Err(NodeError::Invalid(format!(
            "spatial size {:?} is not a multiple of blocksize {bs}",
            s.get(2..).unwrap_or_default()
        )));
    }
    let t = c.nhwc(x, "SpaceToDepth")?;
    let y = c.emit1(Op::SpaceToDepth { block: bs }, vec![Some(t)])?;
    let y = c.transpose(y, &TO_NCHW)?;
    match n.s("mode")?.as_str() {
        "DCR" => Ok(vec![y]),
        "CRD" => {
            // CRD writes channel c·bs² + (i·bs + j) where DCR writes (i·bs + j)·C + c.
            let ch = s.get(1).copied().unwrap_or(0);
            let b2 = bs * bs;
            let idx: Vec<i64> = (0..ch * b2)
                .map(|k| ((k % b2) * ch + k / b2) as i64)
                .collect();
            let it = c.ints_const("dcr_to_crd", &idx);
            let g = Op::Gather {
                axis: 1,
                batch_dims: 0,
            };
            Ok(vec![c.emit1(g, vec![Some(y), Some(it)])?])
        }
        m => refuse!("SpaceToDepth mode '{m}' (ONNX has DCR and CRD)"),
    }
}
