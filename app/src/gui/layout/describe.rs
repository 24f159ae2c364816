//! Words for people: op attributes (kernel, stride, filters, activation), shapes, dtypes and
//! quantization as the graph view shows them — never Rust `Debug` text.

use pocket_engine::ir::{
    Activation, AttrValue, Graph, Node, Op, Padding, PoolKind, QuantParams, SourceDim, Tensor,
};

/// `1×112×112×16` (`scalar` for rank 0).
pub fn shape(dims: &[usize]) -> String {
    if dims.is_empty() {
        return "scalar".into();
    }
    dims.iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("×")
}

/// A source (file) shape: sizes and named free dimensions, `?` when unknown.
pub fn source_shape(dims: Option<&[SourceDim]>) -> String {
    let Some(dims) = dims else {
        return "?".into();
    };
    if dims.is_empty() {
        return "scalar".into();
    }
    dims.iter()
        .map(|d| match d {
            SourceDim::Fixed(n) => n.to_string(),
            SourceDim::Named(s) => s.clone(),
            SourceDim::Unknown => "?".into(),
        })
        .collect::<Vec<_>>()
        .join("×")
}

/// A tensor's shape with its free dimensions named where the file names them.
pub fn tensor_shape(t: &Tensor) -> String {
    let named = t.dim_names.iter().any(Option::is_some);
    if !named {
        return shape(&t.shape);
    }
    t.shape
        .iter()
        .enumerate()
        .map(|(i, d)| match t.dim_names.get(i).and_then(|n| n.as_ref()) {
            Some(n) => format!("{n}={d}"),
            None => d.to_string(),
        })
        .collect::<Vec<_>>()
        .join("×")
}

/// `scale 0.0235, zero point -128`, or `per-channel on axis 0 (16 scales, 0.0011 … 0.0302)`.
pub fn quant(q: &QuantParams) -> String {
    if q.scale.len() == 1 {
        let zp = q.zero_point.first().copied().unwrap_or(0);
        return format!("scale {}, zero point {zp}", short_f(q.scale[0]));
    }
    let lo = q.scale.iter().copied().fold(f32::INFINITY, f32::min);
    let hi = q.scale.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    format!(
        "per-channel on axis {} ({} scales, {} … {})",
        q.axis,
        q.scale.len(),
        short_f(lo),
        short_f(hi)
    )
}

/// Four significant digits.
pub fn short_f(x: f32) -> String {
    if x == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    let a = x.abs();
    if (1e-3..1e5).contains(&a) {
        let s = format!("{x:.4}");
        let s = s.trim_end_matches('0').trim_end_matches('.');
        s.to_string()
    } else {
        format!("{x:.3e}")
    }
}

/// A tensor for a hover: name, dtype, shape, quantization.
pub fn tensor_details(t: &Tensor) -> String {
    let mut s = format!("{}\n{} {}", t.name, t.dtype.name(), tensor_shape(t));
    if let Some(q) = &t.quant {
        s.push_str(&format!("\nquantized: {}", quant(q)));
    }
    if t.is_const() {
        s.push_str(&format!("\nconstant, {} values", t.numel()));
    }
    if t.sparsity.is_some() {
        s.push_str(", stored sparse");
    }
    s
}

/// The name of a fused activation (`None` for identity).
pub fn activation(a: Activation) -> Option<&'static str> {
    match a {
        Activation::None => None,
        Activation::Relu => Some("ReLU"),
        Activation::ReluN1To1 => Some("ReLU −1…1"),
        Activation::Relu6 => Some("ReLU6"),
        Activation::Tanh => Some("tanh"),
        Activation::SignBit => Some("sign bit"),
    }
}

fn padding(p: Padding) -> &'static str {
    match p {
        Padding::Same => "same",
        Padding::Valid => "valid",
    }
}

fn pair(v: [usize; 2]) -> String {
    if v[0] == v[1] {
        v[0].to_string()
    } else {
        format!("{}×{}", v[0], v[1])
    }
}

/// `kh×kw, stride s, same` (stride and dilation only when not 1).
fn window(k: [usize; 2], stride: [usize; 2], dil: [usize; 2], pad: Padding) -> String {
    let mut s = format!("{}×{}", k[0], k[1]);
    if stride != [1, 1] {
        s.push_str(&format!(", stride {}", pair(stride)));
    }
    if dil != [1, 1] {
        s.push_str(&format!(", dilation {}", pair(dil)));
    }
    s.push_str(&format!(", {}", padding(pad)));
    s
}

/// Shape of input `i` of node `n` (empty when absent).
fn in_shape<'a>(g: &'a Graph, n: &Node, i: usize) -> &'a [usize] {
    n.input(i)
        .and_then(|t| g.tensors.get(t))
        .map_or(&[][..], |t| &t.shape[..])
}

/// The key attributes of an IR node, one short line each.
pub fn ir_attrs(g: &Graph, n: &Node) -> Vec<String> {
    let mut l = Vec::new();
    let filt = in_shape(g, n, 1);
    let k = |f: &[usize]| -> [usize; 2] { if f.len() == 4 { [f[1], f[2]] } else { [1, 1] } };
    match &n.op {
        Op::Conv2d(c) => {
            l.push(window(k(filt), c.stride, c.dilation, c.padding));
            if let Some(&o) = filt.first() {
                l.push(format!("{o} filters"));
            }
        }
        Op::DepthwiseConv2d(c) => {
            l.push(window(k(filt), c.stride, c.dilation, c.padding));
            if c.depth_multiplier > 1 {
                l.push(format!("channel multiplier {}", c.depth_multiplier));
            }
        }
        Op::TransposeConv(c) => {
            l.push(window(k(filt), c.stride, [1, 1], c.padding));
            if let Some(&o) = filt.first() {
                l.push(format!("{o} filters"));
            }
        }
        Op::FullyConnected(_) => {
            if let Some(&o) = filt.first() {
                l.push(format!("{o} units"));
            }
        }
        Op::BatchMatMul(b) => {
            let t: Vec<&str> = [(b.adj_x, "A"), (b.adj_y, "B")]
                .iter()
                .filter(|x| x.0)
                .map(|x| x.1)
                .collect();
            if !t.is_empty() {
                l.push(format!("transpose {}", t.join(", ")));
            }
        }
        Op::Pool2d(p) => {
            let kind = match p.kind {
                PoolKind::Average => "average",
                PoolKind::Max => "max",
            };
            l.push(format!(
                "{kind} {}",
                window(p.filter, p.stride, [1, 1], p.padding)
            ));
        }
        Op::LeakyRelu { alpha } => l.push(format!("slope {}", short_f(*alpha))),
        Op::Reduce(r) if r.keep_dims => l.push("keep dims".into()),
        Op::Squeeze { axes } if !axes.is_empty() => l.push(format!("axes {axes:?}")),
        Op::Concatenation { axis, .. } => l.push(format!("axis {axis}")),
        Op::Split { num_splits } => l.push(format!("{num_splits} parts")),
        Op::Pack { axis, .. } | Op::Unpack { axis, .. } => l.push(format!("axis {axis}")),
        Op::Gather { axis, batch_dims } => l.push(if *batch_dims != 0 {
            format!("axis {axis}, {batch_dims} batch dims")
        } else {
            format!("axis {axis}")
        }),
        Op::DepthToSpace { block } | Op::SpaceToDepth { block } => l.push(format!("block {block}")),
        Op::Resize(r) => {
            let mut s = String::from(if r.bilinear { "bilinear" } else { "nearest" });
            if r.align_corners {
                s.push_str(", align corners");
            }
            if r.half_pixel_centers {
                s.push_str(", half-pixel");
            }
            l.push(s);
        }
        Op::Softmax { beta } if *beta != 1.0 => l.push(format!("β {}", short_f(*beta))),
        Op::Custom { attrs, .. } => l.extend(attr_lines(attrs, 3)),
        _ => {}
    }
    if let Some(a) = n.op.activation().and_then(activation) {
        l.push(a.to_string());
    }
    l
}

/// `name = value` lines of kept attributes (at most `max`, then `+N more`).
pub fn attr_lines(attrs: &[(String, AttrValue)], max: usize) -> Vec<String> {
    let mut l: Vec<String> = attrs
        .iter()
        .filter(|(k, _)| k != "unknown_shapes")
        .take(max)
        .map(|(k, v)| format!("{k} = {v}"))
        .collect();
    if attrs.len() > max {
        l.push(format!("+{} more", attrs.len() - max));
    }
    l
}

/// Integer list attribute.
fn ints<'a>(attrs: &'a [(String, AttrValue)], key: &str) -> Option<&'a [i64]> {
    attrs
        .iter()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| match v {
            AttrValue::Ints(v) => Some(&v[..]),
            _ => None,
        })
}

fn int(attrs: &[(String, AttrValue)], key: &str) -> Option<i64> {
    attrs
        .iter()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| match v {
            AttrValue::Int(i) => Some(*i),
            _ => None,
        })
}

fn join_x(v: &[i64]) -> String {
    v.iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("×")
}

/// Key attributes of an ONNX node: kernel, stride, padding, dilation, group for the conv and
/// pool family; `filters` comes from the weight's first dimension when known; other ops list
/// their attributes.
pub fn onnx_attrs(op: &str, attrs: &[(String, AttrValue)], filters: Option<usize>) -> Vec<String> {
    let mut l = Vec::new();
    let windowed = matches!(
        op,
        "Conv" | "ConvTranspose" | "MaxPool" | "AveragePool" | "LpPool" | "ConvInteger"
    );
    if windowed {
        let mut s = ints(attrs, "kernel_shape").map(join_x).unwrap_or_default();
        if let Some(st) = ints(attrs, "strides").filter(|v| v.iter().any(|&x| x != 1)) {
            let st = if st.iter().all(|&x| x == st[0]) {
                st[0].to_string()
            } else {
                join_x(st)
            };
            s.push_str(&format!(
                "{}stride {st}",
                if s.is_empty() { "" } else { ", " }
            ));
        }
        if let Some(d) = ints(attrs, "dilations").filter(|v| v.iter().any(|&x| x != 1)) {
            s.push_str(&format!(", dilation {}", join_x(d)));
        }
        if let Some(p) = ints(attrs, "pads").filter(|v| v.iter().any(|&x| x != 0)) {
            let p = if p.iter().all(|&x| x == p[0]) {
                p[0].to_string()
            } else {
                p.iter()
                    .map(|x| x.to_string())
                    .collect::<Vec<_>>()
                    .join(",")
            };
            s.push_str(&format!(", pad {p}"));
        }
        if let Some(AttrValue::Str(a)) = attrs
            .iter()
            .find(|(k, _)| k == "auto_pad")
            .map(|(_, v)| v)
            .filter(|v| !matches!(v, AttrValue::Str(s) if s == "NOTSET"))
        {
            s.push_str(&format!(", {}", a.to_lowercase()));
        }
        if !s.is_empty() {
            l.push(s);
        }
        if let Some(f) = filters.filter(|_| op.starts_with("Conv")) {
            l.push(format!("{f} filters"));
        }
        if let Some(gr) = int(attrs, "group").filter(|&g| g > 1) {
            l.push(format!("group {gr}"));
        }
        return l;
    }
    if op == "Gemm" {
        if let Some(f) = filters {
            l.push(format!("{f} units"));
        }
        if int(attrs, "transB") == Some(1) {
            l.push("transpose B".into());
        }
        return l;
    }
    attr_lines(attrs, 3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn people_text_not_debug_text() {
        assert_eq!(shape(&[1, 112, 112, 16]), "1×112×112×16");
        assert_eq!(shape(&[]), "scalar");
        assert_eq!(
            window([3, 3], [2, 2], [1, 1], Padding::Same),
            "3×3, stride 2, same"
        );
        assert_eq!(
            window([1, 5], [1, 2], [2, 2], Padding::Valid),
            "1×5, stride 1×2, dilation 2, valid"
        );
        assert_eq!(short_f(0.023_529_4), "0.0235");
        assert_eq!(
            quant(&QuantParams::per_tensor(0.5, -128)),
            "scale 0.5, zero point -128"
        );
        let attrs = vec![
            ("kernel_shape".to_string(), AttrValue::Ints(vec![3, 3])),
            ("strides".to_string(), AttrValue::Ints(vec![2, 2])),
            ("pads".to_string(), AttrValue::Ints(vec![1, 1, 1, 1])),
            ("group".to_string(), AttrValue::Int(1)),
        ];
        assert_eq!(
            onnx_attrs("Conv", &attrs, Some(16)),
            ["3×3, stride 2, pad 1", "16 filters"]
        );
        let s = source_shape(Some(&[
            SourceDim::Named("batch".into()),
            SourceDim::Fixed(3),
            SourceDim::Unknown,
        ]));
        assert_eq!(s, "batch×3×?");
    }
}
