//! Float16 mode: every float constant read by a quantized node is stored as f16 and expanded
//! by a DEQUANTIZE op, exactly as the TFLite converter writes float16 models.

use half::f16;

use crate::error::Result;
use crate::ir::{Bytes, DType, Graph, Node, Op, Tensor, Value};

pub(super) fn run(g: &Graph, keep: &[bool]) -> Result<Graph> {
    let mut out = Graph {
        tensors: g.tensors.clone(),
        nodes: Vec::new(),
        source: None,
        ..g.clone()
    };
    let consumers = g.consumers();
    // For each convertible constant: the index of its first consumer.
    let mut first_use: Vec<Option<usize>> = vec![None; g.tensors.len()];
    for (t, tensor) in g.tensors.iter().enumerate() {
        let readers = &consumers[t];
        if tensor.dtype == DType::F32
            && tensor.is_const()
            && !readers.is_empty()
            && readers.iter().all(|&n| !keep[n])
            && !g.outputs.contains(&t)
        {
            first_use[t] = readers.iter().min().copied();
        }
    }
    let mut pending: Vec<Node> = Vec::new();
    for (t, fu) in first_use.iter().enumerate() {
        if fu.is_none() {
            continue;
        }
        let Some(v) = Value::from_const(&g.tensors[t]) else {
            continue;
        };
        let halfs: Vec<u8> = v
            .as_f32()
            .unwrap_or(&[])
            .iter()
            .flat_map(|&x| f16::from_f32(x).to_le_bytes())
            .collect();
        let src = &g.tensors[t];
        let h = out.add_tensor(Tensor {
            name: format!("{}_fp16", src.name),
            dtype: DType::F16,
            data: Some(Bytes::from_vec(halfs)),
            ..Tensor::new("", DType::F16, src.shape.clone())
        });
        out.tensors[t].data = None;
        pending.push(Node {
            name: format!("{}/dequantize", src.name),
            op: Op::Dequantize,
            inputs: vec![Some(h)],
            outputs: vec![t],
            version: None,
        });
    }
    // Emit each DEQUANTIZE right before the first node that reads its output.
    for (i, n) in g.nodes.iter().enumerate() {
        let (now, later): (Vec<Node>, Vec<Node>) = pending
            .into_iter()
            .partition(|d| first_use[d.outputs[0]] == Some(i));
        pending = later;
        for d in now {
            out.add_node(d)?;
        }
        out.add_node(n.clone())?;
    }
    Ok(out)
}
