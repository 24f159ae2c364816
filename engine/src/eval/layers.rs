//! Per-node data derived from a comparison, for views: the error "heat" of each node of the
//! float graph and the matching of quantized nodes to float nodes. Nodes are matched by the name
//! of their first output tensor, which quantization keeps; nodes with no match are left out.

use std::collections::HashMap;

use super::report::CompareReport;
use crate::ir::Graph;

/// Index of the node of `g` producing each tensor name.
fn producers(g: &Graph) -> HashMap<&str, usize> {
    g.nodes
        .iter()
        .enumerate()
        .flat_map(|(i, n)| n.outputs.iter().map(move |&t| (t, i)))
        .filter_map(|(t, i)| g.tensors.get(t).map(|x| (x.name.as_str(), i)))
        .collect()
}

/// Per-node heat in [0, 1] (0 kept its precision best, 1 lost the most) on the float graph
/// `float`, scaled between the best and the worst finite per-layer SQNR of `report`. Layers with
/// an infinite SQNR (exact) get 0; when all layers are equal every heat is 0.
pub fn node_heat(float: &Graph, report: &CompareReport) -> HashMap<usize, f32> {
    let by_name = producers(float);
    let (lo, hi) = report
        .layers
        .iter()
        .map(|l| l.sqnr_db)
        .filter(|s| s.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), s| {
            (a.min(s), b.max(s))
        });
    report
        .layers
        .iter()
        .filter_map(|l| {
            let &i = by_name.get(l.tensor.as_str())?;
            let h = if hi > lo && l.sqnr_db.is_finite() {
                ((hi - l.sqnr_db) / (hi - lo)) as f32
            } else {
                0.0
            };
            Some((i, h))
        })
        .collect()
}

/// The node of `float` that produces the first output of node `qi` of `quant`, if any.
pub fn float_node(quant: &Graph, float: &Graph, qi: usize) -> Option<usize> {
    let t = *quant.nodes.get(qi)?.outputs.first()?;
    let name = &quant.tensors.get(t)?.name;
    float.nodes.iter().position(|n| {
        n.outputs
            .iter()
            .any(|&t| float.tensors.get(t).is_some_and(|x| x.name == *name))
    })
}
