//! Transpose sinking: after import every conv-family op sits between an NCHW→NHWC and an
//! NHWC→NCHW transpose. This pass moves transposes down through layout-agnostic ops (unary,
//! binary with a constant or with an equally transposed operand, concatenation, padding,
//! keep-dims reductions), merges consecutive transposes (cancelling inverse pairs), and turns
//! transposes that only move size-1 dimensions into reshapes. What remains are the transposes
//! at the graph edges (the NCHW input, NCHW outputs).
//!
//! Indexing here uses tensor ids of the graph being built and axes checked against ranks.
#![allow(clippy::indexing_slicing)]

use crate::error::Result;
use crate::ir::*;
use crate::passes::{replace_uses, use_counts};

/// Upper bound of rewrites (each one removes or moves a transpose; the bound guards against a
/// bug turning into a hang).
const MAX_STEPS: usize = 200_000;

fn perm(g: &Graph, n: &Node) -> Option<Vec<usize>> {
    if !matches!(n.op, Op::Transpose) {
        return None;
    }
    let t = &g.tensors[n.input(1)?];
    let v = Value::from_const(t)?.data.to_i64()?;
    let r = v.len();
    let p: Vec<usize> = v.iter().map(|&x| x as usize).collect();
    let mut seen = vec![false; r];
    for &x in &p {
        if x >= r || seen[x] {
            return None;
        }
        seen[x] = true;
    }
    Some(p)
}

fn inverse(p: &[usize]) -> Vec<usize> {
    let mut q = vec![0; p.len()];
    for (i, &x) in p.iter().enumerate() {
        q[x] = i;
    }
    q
}

fn permute<T: Copy>(v: &[T], p: &[usize]) -> Vec<T> {
    p.iter().map(|&i| v[i]).collect()
}

/// Transpose a constant value by `p`.
fn transpose_value(v: &Value, p: &[usize]) -> Value {
    let s = &v.shape;
    let r = s.len();
    let out_shape = permute(s, p);
    let n = v.numel();
    let mut strides = vec![1usize; r];
    for i in (0..r.saturating_sub(1)).rev() {
        strides[i] = strides[i + 1] * s[i + 1];
    }
    let src: Vec<usize> = (0..n)
        .map(|k| {
            // k indexes the output; find the source offset.
            let mut rem = k;
            let mut off = 0;
            for i in (0..r).rev() {
                let d = out_shape[i];
                let c = rem % d.max(1);
                rem /= d.max(1);
                off += c * strides[p[i]];
            }
            off
        })
        .collect();
    let data = crate::map_data!(&v.data, x => src.iter().map(|&i| x[i]).collect());
    Value::new(out_shape, data)
}

fn add_const(g: &mut Graph, name: String, v: Value) -> TensorId {
    let mut t = Tensor::new(name, v.dtype(), v.shape.clone());
    t.data = Some(Bytes::from_vec(v.data.to_le_bytes()));
    g.add_tensor(t)
}

fn perm_const(g: &mut Graph, name: &str, p: &[usize]) -> TensorId {
    add_const(
        g,
        format!("{name}/perm"),
        Value::new(
            vec![p.len()],
            Data::I32(p.iter().map(|&x| x as i32).collect()),
        ),
    )
}

/// A transpose that keeps the order of every dimension larger than 1 is a reshape.
fn only_moves_ones(shape: &[usize], p: &[usize]) -> bool {
    let order: Vec<usize> = p.iter().copied().filter(|&i| shape[i] != 1).collect();
    order.windows(2).all(|w| w[0] < w[1])
}

/// Layout-agnostic single-data-input ops a transpose can move below.
fn is_pointwise(op: &Op) -> bool {
    matches!(
        op,
        Op::Unary(_) | Op::LeakyRelu { .. } | Op::Quantize | Op::Dequantize | Op::Cast
    )
}

/// Run the pass.
pub fn run(g: &mut Graph) -> Result<()> {
    for _ in 0..MAX_STEPS {
        if !step(g) {
            break;
        }
    }
    crate::passes::dead::run(g)?;
    restore_names(g);
    Ok(())
}

/// Tensors that moved to NHWC carry a `/nhwc` suffix while both layouts exist; once the NCHW
/// original is gone, give the survivor its original name back (per-layer reports and node
/// names then read like the ONNX file).
fn restore_names(g: &mut Graph) {
    let mut live = vec![false; g.tensors.len()];
    for n in &g.nodes {
        for &t in n.inputs.iter().flatten().chain(&n.outputs) {
            live[t] = true;
        }
    }
    for &t in g.inputs.iter().chain(&g.outputs) {
        live[t] = true;
    }
    let mut taken: std::collections::HashSet<String> = g
        .tensors
        .iter()
        .enumerate()
        .filter(|&(i, t)| live[i] && !t.name.ends_with("/nhwc"))
        .map(|(_, t)| t.name.clone())
        .collect();
    for (i, t) in g.tensors.iter_mut().enumerate() {
        if !live[i] || !t.name.ends_with("/nhwc") {
            continue;
        }
        let mut base = t.name.as_str();
        while let Some(b) = base.strip_suffix("/nhwc") {
            base = b;
        }
        if !base.is_empty() && taken.insert(base.to_string()) {
            t.name = base.to_string();
        }
    }
}

/// One rewrite; false when nothing applies.
fn step(g: &mut Graph) -> bool {
    let uses = use_counts(g);
    let producer = g.producers();
    for ti in 0..g.nodes.len() {
        let Some(p) = perm(g, &g.nodes[ti]) else {
            continue;
        };
        let (Some(x), y) = (g.nodes[ti].input(0), g.nodes[ti].outputs[0]) else {
            continue;
        };
        let r = p.len();
        // Identity permutation.
        if p.iter().enumerate().all(|(i, &v)| i == v) && !g.outputs.contains(&y) {
            replace_uses(g, y, x);
            g.nodes.remove(ti);
            return true;
        }
        // Moves only unit dimensions: a reshape.
        if only_moves_ones(&g.tensors[x].shape, &p) {
            let s: Vec<i32> = g.tensors[y].shape.iter().map(|&d| d as i32).collect();
            let name = g.nodes[ti].name.clone();
            let c = add_const(
                g,
                format!("{name}/shape"),
                Value::new(vec![s.len()], Data::I32(s)),
            );
            let n = &mut g.nodes[ti];
            n.op = Op::Reshape { new_shape: None };
            n.inputs = vec![Some(x), Some(c)];
            return true;
        }
        if g.outputs.contains(&y) {
            continue;
        }
        if uses[y] > 1 {
            // One copy per reader, so that each can sink (or cancel) on its own.
            let readers: Vec<usize> = (0..g.nodes.len())
                .filter(|&k| g.nodes[k].inputs.iter().flatten().any(|&t| t == y))
                .collect();
            if readers.len() < 2 {
                continue;
            }
            let k = readers[readers.len() - 1];
            let yt = g.tensors[y].clone();
            let y2 = g.add_tensor(Tensor::new(
                format!("{}/copy", yt.name),
                yt.dtype,
                yt.shape.clone(),
            ));
            g.tensors[y2].quant = yt.quant.clone();
            for i in g.nodes[k].inputs.iter_mut().flatten() {
                if *i == y {
                    *i = y2;
                }
            }
            let mut copy = g.nodes[ti].clone();
            copy.outputs = vec![y2];
            copy.name = format!("{}/copy", copy.name);
            g.nodes.insert(ti + 1, copy);
            return true;
        }
        let Some(ci) = g
            .nodes
            .iter()
            .position(|n| n.inputs.iter().flatten().any(|&t| t == y))
        else {
            continue;
        };
        let consumer = g.nodes[ci].clone();
        let z = match consumer.outputs.first() {
            Some(&z) => z,
            None => continue,
        };
        let name = consumer.name.clone();
        let inv = inverse(&p);
        // Transpose of a transpose: one combined permutation.
        if let Some(q) = perm(g, &consumer) {
            let c: Vec<usize> = q.iter().map(|&i| p[i]).collect();
            let pc = perm_const(g, &name, &c);
            let n = &mut g.nodes[ci];
            n.inputs = vec![Some(x), Some(pc)];
            g.nodes.remove(ti);
            return true;
        }
        // Transposes of graph inputs stay at the edge instead of sinking into the body.
        if g.inputs.contains(&x) {
            continue;
        }
        // The rewritten consumer produces z' (z's shape permuted back), and a transpose
        // restores z after it.
        let mut new_inputs = consumer.inputs.clone();
        let mut new_op = consumer.op.clone();
        let mut remove = vec![ti];
        let ok = match &consumer.op {
            op if is_pointwise(op) && consumer.input(0) == Some(y) => {
                new_inputs[0] = Some(x);
                true
            }
            Op::Binary(_) | Op::Prelu => {
                let k = if consumer.input(0) == Some(y) { 0 } else { 1 };
                let Some(o) = consumer.input(1 - k) else {
                    continue;
                };
                if o == y {
                    new_inputs = vec![Some(x), Some(x)];
                    true
                } else if g.tensors[o].data.is_some() {
                    let Some(v) = Value::from_const(&g.tensors[o]) else {
                        continue;
                    };
                    if v.shape.len() > r {
                        continue;
                    }
                    let mut s = vec![1usize; r - v.shape.len()];
                    s.extend(&v.shape);
                    let v2 = transpose_value(&Value::new(s, v.data.clone()), &inv);
                    let c = add_const(g, format!("{}/nhwc", g.tensors[o].name), v2);
                    if let Some(q) = g.tensors[o].quant.clone() {
                        if !q.is_per_axis() {
                            g.tensors[c].quant = Some(q);
                        } else {
                            continue;
                        }
                    }
                    new_inputs[k] = Some(x);
                    new_inputs[1 - k] = Some(c);
                    true
                } else if let Some(pi) = producer[o] {
                    if perm(g, &g.nodes[pi]).as_deref() == Some(&p[..]) && uses[o] == 1 {
                        new_inputs[k] = Some(x);
                        new_inputs[1 - k] = g.nodes[pi].input(0);
                        remove.push(pi);
                        true
                    } else {
                        false
                    }
                } else {
                    false
                }
            }
            Op::Concatenation { axis, act } => {
                let mut srcs = Vec::new();
                for t in consumer.inputs.iter().flatten() {
                    match producer[*t] {
                        Some(pi)
                            if perm(g, &g.nodes[pi]).as_deref() == Some(&p[..])
                                && uses[*t] == 1 =>
                        {
                            srcs.push((pi, g.nodes[pi].input(0)));
                        }
                        _ => break,
                    }
                }
                if srcs.len() != consumer.inputs.len() {
                    false
                } else {
                    let a = if *axis < 0 { *axis + r as i32 } else { *axis } as usize;
                    new_op = Op::Concatenation {
                        axis: p[a.min(r - 1)] as i32,
                        act: *act,
                    };
                    new_inputs = srcs.iter().map(|s| s.1).collect();
                    remove = srcs.iter().map(|s| s.0).collect();
                    true
                }
            }
            Op::Pad { .. } if consumer.input(0) == Some(y) => {
                let Some(pt) = consumer.input(1) else {
                    continue;
                };
                let Some(pv) = Value::from_const(&g.tensors[pt]).and_then(|v| v.data.to_i64())
                else {
                    continue;
                };
                if pv.len() != 2 * r {
                    continue;
                }
                let mut q = vec![0i32; 2 * r];
                for i in 0..r {
                    q[2 * p[i]] = pv[2 * i] as i32;
                    q[2 * p[i] + 1] = pv[2 * i + 1] as i32;
                }
                let c = add_const(
                    g,
                    format!("{name}/paddings"),
                    Value::new(vec![r, 2], Data::I32(q)),
                );
                new_inputs[0] = Some(x);
                new_inputs[1] = Some(c);
                true
            }
            Op::Reduce(rd) if rd.keep_dims && consumer.input(0) == Some(y) => {
                let Some(at) = consumer.input(1) else {
                    continue;
                };
                let Some(av) = Value::from_const(&g.tensors[at]).and_then(|v| v.data.to_i64())
                else {
                    continue;
                };
                let axes: Vec<i32> = av
                    .iter()
                    .map(|&a| {
                        p[(if a < 0 { a + r as i64 } else { a }).clamp(0, r as i64 - 1) as usize]
                            as i32
                    })
                    .collect();
                let c = add_const(
                    g,
                    format!("{name}/axes"),
                    Value::new(vec![axes.len()], Data::I32(axes)),
                );
                new_inputs[0] = Some(x);
                new_inputs[1] = Some(c);
                true
            }
            _ => false,
        };
        if !ok || g.tensors[z].shape.len() != r {
            continue;
        }
        // z' = z with the permutation undone.
        let zt = &g.tensors[z];
        let mut zp = Tensor::new(format!("{}/nhwc", zt.name), zt.dtype, vec![0; r]);
        for (&pi, &d) in p.iter().zip(&zt.shape) {
            zp.shape[pi] = d;
        }
        zp.quant = zt.quant.clone().filter(|q| !q.is_per_axis());
        let zp = g.add_tensor(zp);
        let pc = perm_const(g, &name, &p);
        let rewritten = Node {
            name: name.clone(),
            op: new_op,
            inputs: new_inputs,
            outputs: vec![zp],
            version: None,
        };
        let back = Node {
            name: format!("{name}/to_nchw"),
            op: Op::Transpose,
            inputs: vec![Some(zp), Some(pc)],
            outputs: vec![z],
            version: None,
        };
        g.nodes[ci] = rewritten;
        g.nodes.insert(ci + 1, back);
        remove.sort_unstable();
        for k in remove.into_iter().rev() {
            g.nodes.remove(k);
        }
        return true;
    }
    false
}

/// Transposes in a graph (for reports).
pub fn count_transposes(g: &Graph) -> usize {
    g.nodes
        .iter()
        .filter(|n| matches!(n.op, Op::Transpose))
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transposes_constants() {
        let v = Value::new(vec![2, 3], Data::F32((0..6).map(|x| x as f32).collect()));
        let t = transpose_value(&v, &[1, 0]);
        assert_eq!(t.shape, vec![3, 2]);
        assert_eq!(t.data, Data::F32(vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]));
        assert!(only_moves_ones(&[1, 1, 1, 8], &[0, 3, 1, 2]));
        assert!(!only_moves_ones(&[1, 4, 4, 8], &[0, 3, 1, 2]));
    }
}
