//! Detection and segmentation heads (`Op::Detect`): shape inference and float evaluation of
//! MediaPipe's Convolution2DTransposeBias, MaxPoolingWithArgmax2D and MaxUnpooling2D, of
//! `TFLite_Detection_PostProcess` and NON_MAX_SUPPRESSION_V4/V5 (both in `postprocess.rs`).

use super::conv::tconv_geom;
use super::{EvalCtx, Fact, InferResult, Ins, arg, f32_arg, need};
use crate::error::OpError;
use crate::ir::{DType, Data, DetOp, Padding, Value};
use crate::kernels::detection::{Window, max_pool_argmax, max_unpool};
use crate::kernels::{act::Act, conv, conv_out_and_pad};

type R<T> = std::result::Result<T, OpError>;

fn rank4(s: &[usize], what: &'static str) -> R<[usize; 4]> {
    super::shape4(s, what)
}

/// The unpooled size of `pooled` (the inverse of a pool or a forward convolution): SAME
/// `pooled * stride`, VALID `(pooled - 1) * stride + k` (MediaPipe's transposed convolution:
/// `pooled * stride + max(k - stride, 0)`).
fn unpooled(pooled: usize, k: usize, stride: usize, padding: Padding, tconv: bool) -> usize {
    match padding {
        Padding::Same => pooled * stride,
        Padding::Valid if tconv => pooled * stride + k.saturating_sub(stride),
        Padding::Valid => (pooled.max(1) - 1) * stride + k,
    }
}

fn check_positive(stride: [usize; 2], filter: [usize; 2]) -> R<()> {
    if stride.contains(&0) || filter.contains(&0) {
        return Err(OpError::Invalid(format!(
            "strides {stride:?} and window {filter:?} must be positive"
        )));
    }
    Ok(())
}

/// The window of a pool from `full` (`[n, h, w, c]`) to `pooled` rows and columns.
fn window(
    full: [usize; 4],
    pooled: [usize; 2],
    filter: [usize; 2],
    stride: [usize; 2],
    padding: Padding,
) -> Window {
    let same = padding == Padding::Same;
    let (_, pt) = conv_out_and_pad(full[1], filter[0], stride[0], 1, same);
    let (_, pl) = conv_out_and_pad(full[2], filter[1], stride[1], 1, same);
    Window {
        n: full[0],
        c: full[3],
        pooled,
        full: [full[1], full[2]],
        k: filter,
        stride,
        pad: [pt, pl],
    }
}

/// Infer output types and shapes.
pub(super) fn infer(op: &DetOp, ins: &[Option<Fact<'_>>], out_dtypes: &[DType]) -> InferResult {
    match *op {
        DetOp::TransposeConvBias { padding, stride } => {
            let x = need(ins, 0)?;
            let xs = rank4(x.shape, "input")?;
            let w = rank4(need(ins, 1)?.shape, "filter")?;
            check_positive(stride, [w[1], w[2]])?;
            let out = [
                xs[0],
                unpooled(xs[1], w[1], stride[0], padding, true),
                unpooled(xs[2], w[2], stride[1], padding, true),
                w[0],
            ];
            tconv_geom(out, xs, w, stride, padding)?;
            let b = need(ins, 2)?;
            if b.shape.iter().product::<usize>() != w[0] {
                return Err(OpError::Invalid(format!(
                    "bias has shape {:?}, expected [{}]",
                    b.shape, w[0]
                )));
            }
            Ok(Some(vec![(x.dtype, out.to_vec())]))
        }
        DetOp::MaxPoolArgmax {
            padding,
            stride,
            filter,
        } => {
            let x = need(ins, 0)?;
            let s = rank4(x.shape, "input")?;
            check_positive(stride, filter)?;
            let same = padding == Padding::Same;
            let (oh, _) = conv_out_and_pad(s[1], filter[0], stride[0], 1, same);
            let (ow, _) = conv_out_and_pad(s[2], filter[1], stride[1], 1, same);
            let shape = vec![s[0], oh, ow, s[3]];
            // MediaPipe's indices tensor is float32 (XNNPACK takes no other type); XNNPACK
            // writes each index's uint32 bits into it.
            let index = match out_dtypes.get(1) {
                Some(DType::I32) => DType::I32,
                _ => DType::F32,
            };
            Ok(Some(vec![(x.dtype, shape.clone()), (index, shape)]))
        }
        DetOp::MaxUnpool {
            padding,
            stride,
            filter,
        } => {
            let x = need(ins, 0)?;
            let s = rank4(x.shape, "input")?;
            if need(ins, 1)?.shape != x.shape {
                return Err(OpError::Invalid(format!(
                    "indices {:?} must have the input's shape {:?}",
                    need(ins, 1)?.shape,
                    x.shape
                )));
            }
            check_positive(stride, filter)?;
            let out = vec![
                s[0],
                unpooled(s[1], filter[0], stride[0], padding, false),
                unpooled(s[2], filter[1], stride[1], padding, false),
                s[3],
            ];
            Ok(Some(vec![(x.dtype, out)]))
        }
        DetOp::PostProcess(p) => super::postprocess::infer_post(&p, ins),
        DetOp::Nms { v5 } => super::postprocess::infer_nms(v5, ins),
        // Data-dependent: the file's shape (`[-1, rank]`) is kept; the run gives the size.
        DetOp::Where => {
            let c = need(ins, 0)?;
            match c.value {
                Some(v) => {
                    let (shape, _) = where_coords(v)?;
                    Ok(Some(vec![(DType::I64, shape)]))
                }
                None => Ok(None),
            }
        }
    }
}

/// Why the runtime cannot run this node, if it cannot.
pub(super) fn unsupported_reason(op: &DetOp, in_dtypes: &[Option<DType>]) -> Option<String> {
    let first = in_dtypes.first().copied().flatten();
    match op {
        DetOp::TransposeConvBias { .. } | DetOp::MaxPoolArgmax { .. } | DetOp::MaxUnpool { .. } => {
            match first {
                Some(DType::F32) | None => None,
                Some(t) => Some(format!("{} ({t})", op.name())),
            }
        }
        DetOp::PostProcess(_) => match first {
            Some(DType::F32 | DType::U8 | DType::I8) | None => None,
            Some(t) => Some(format!("{} ({t})", op.name())),
        },
        DetOp::Nms { .. } => match first {
            Some(DType::F32) | None => None,
            Some(t) => Some(format!("{} ({t})", op.name())),
        },
        DetOp::Where => match first {
            Some(DType::F16) => Some(format!("{} ({})", op.name(), DType::F16)),
            _ => None,
        },
    }
}

/// Integer window indices of a value: int32, or float32 holding XNNPACK's uint32 bits (tiny
/// subnormals); a float that is a whole number reads as that number.
fn indices(v: &Value) -> R<Vec<i32>> {
    match &v.data {
        Data::I32(i) => Ok(i.clone()),
        Data::F32(f) => Ok(f
            .iter()
            .map(|&x| {
                if x.abs() < f32::MIN_POSITIVE {
                    x.to_bits() as i32
                } else {
                    x as i32
                }
            })
            .collect()),
        _ => Err(OpError::Invalid(format!(
            "unpooling indices must be int32 or float32, got {}",
            v.dtype()
        ))),
    }
}

/// Evaluate one node (float).
pub(super) fn eval(op: &DetOp, ins: Ins<'_>, ctx: &EvalCtx<'_>) -> R<Vec<Value>> {
    match *op {
        DetOp::PostProcess(p) => return super::postprocess::eval_post(&p, &ins, ctx),
        DetOp::Nms { v5 } => return super::postprocess::eval_nms(v5, &ins),
        DetOp::Where => {
            let (shape, coords) = where_coords(arg(&ins, 0)?)?;
            return Ok(vec![Value::new(shape, Data::I64(coords))]);
        }
        _ => {}
    }
    let x = arg(&ins, 0)?;
    let xs = rank4(&x.shape, "the input")?;
    match *op {
        DetOp::TransposeConvBias { padding, stride } => {
            let w = rank4(&arg(&ins, 1)?.shape, "the filter")?;
            let out = [
                xs[0],
                unpooled(xs[1], w[1], stride[0], padding, true),
                unpooled(xs[2], w[2], stride[1], padding, true),
                w[0],
            ];
            let g = tconv_geom(out, xs, w, stride, padding)?;
            let bias = f32_arg(&ins, 2)?;
            if bias.len() != w[0] {
                return Err(OpError::Invalid(format!(
                    "bias holds {} values, expected {}",
                    bias.len(),
                    w[0]
                )));
            }
            let mut y = crate::arena::take::<f32>(out.iter().product());
            conv::transpose_conv(
                f32_arg(&ins, 0)?,
                f32_arg(&ins, 1)?,
                Some(bias),
                &g,
                Act::None,
                &mut y,
            );
            Ok(vec![Value::f32(out.to_vec(), y)])
        }
        DetOp::MaxPoolArgmax {
            padding,
            stride,
            filter,
        } => {
            let same = padding == Padding::Same;
            let (oh, _) = conv_out_and_pad(xs[1], filter[0], stride[0], 1, same);
            let (ow, _) = conv_out_and_pad(xs[2], filter[1], stride[1], 1, same);
            let w = window(xs, [oh, ow], filter, stride, padding);
            let n = xs[0] * oh * ow * xs[3];
            let (mut out, mut index) = (vec![0.0f32; n], vec![0i32; n]);
            max_pool_argmax(f32_arg(&ins, 0)?, &w, &mut out, &mut index);
            let shape = vec![xs[0], oh, ow, xs[3]];
            let index = match ctx.out_dtypes.get(1) {
                Some(DType::I32) => Data::I32(index),
                _ => Data::F32(index.iter().map(|&i| f32::from_bits(i as u32)).collect()),
            };
            Ok(vec![
                Value::f32(shape.clone(), out),
                Value::new(shape, index),
            ])
        }
        DetOp::MaxUnpool {
            padding,
            stride,
            filter,
        } => {
            let full = [
                xs[0],
                unpooled(xs[1], filter[0], stride[0], padding, false),
                unpooled(xs[2], filter[1], stride[1], padding, false),
                xs[3],
            ];
            let idx = indices(arg(&ins, 1)?)?;
            if idx.len() != x.numel() {
                return Err("unpooling indices must have the input's shape".into());
            }
            let w = window(full, [xs[1], xs[2]], filter, stride, padding);
            let mut out = vec![0.0f32; full.iter().product()];
            max_unpool(f32_arg(&ins, 0)?, &idx, &w, &mut out);
            Ok(vec![Value::f32(full.to_vec(), out)])
        }
        DetOp::PostProcess(_) | DetOp::Nms { .. } | DetOp::Where => {
            Err(OpError::NoKernel(op.name().to_string()))
        }
    }
}

/// WHERE: the coordinates `[n_true, rank]` of the non-zero (true) elements of `v`, row-major.
fn where_coords(v: &Value) -> R<(Vec<usize>, Vec<i64>)> {
    let truth: Vec<bool> = match &v.data {
        Data::Bool(b) => b.clone(),
        Data::F32(x) => x.iter().map(|&e| e != 0.0).collect(),
        Data::I8(x) => x.iter().map(|&e| e != 0).collect(),
        Data::U8(x) => x.iter().map(|&e| e != 0).collect(),
        Data::I16(x) => x.iter().map(|&e| e != 0).collect(),
        Data::I32(x) => x.iter().map(|&e| e != 0).collect(),
        Data::I64(x) => x.iter().map(|&e| e != 0).collect(),
        Data::F16(_) => return Err("WHERE of float16 values".into()),
    };
    let rank = v.shape.len();
    let mut coords = Vec::new();
    let mut n = 0;
    for (i, _) in truth.iter().enumerate().filter(|(_, t)| **t) {
        let start = coords.len();
        let mut rest = i;
        for &d in v.shape.iter().rev() {
            coords.push((rest % d.max(1)) as i64);
            rest /= d.max(1);
        }
        coords[start..].reverse();
        n += 1;
    }
    Ok((vec![n, rank], coords))
}

/// Multiply-accumulates of one node.
pub(super) fn macs(op: &DetOp, ins: &[Option<&[usize]>], _outs: &[&[usize]]) -> u64 {
    let numel = |i: usize| -> u64 {
        ins.get(i)
            .copied()
            .flatten()
            .map_or(0, |s| s.iter().product::<usize>() as u64)
    };
    match op {
        // Every input element times every filter tap of its channel row.
        DetOp::TransposeConvBias { .. } => {
            let w = ins.get(1).copied().flatten().unwrap_or(&[]);
            let per_in: u64 = w.iter().take(3).product::<usize>() as u64;
            numel(0) * per_in
        }
        _ => 0,
    }
}
