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

/// The absolute SQNR scale of the error heat: at or above `good_db` a layer kept its
/// precision (heat 0), at or below `bad_db` it lost most of it (heat 1), linear between.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct HeatScale {
    /// SQNR (dB) from which a layer counts as exact enough: heat 0.
    pub good_db: f64,
    /// SQNR (dB) at or below which a layer counts as broken: heat 1.
    pub bad_db: f64,
}

impl Default for HeatScale {
    /// 40 dB (error 1% of the signal's amplitude) to 10 dB (error a third of it).
    fn default() -> Self {
        HeatScale {
            good_db: 40.0,
            bad_db: 10.0,
        }
    }
}

impl HeatScale {
    /// Heat in [0, 1] of a layer with this SQNR; an exact layer (infinite SQNR) is 0, a NaN
    /// (broken) layer 1.
    pub fn heat(&self, sqnr_db: f64) -> f32 {
        if sqnr_db.is_nan() {
            return 1.0;
        }
        let span = (self.good_db - self.bad_db).max(1e-9);
        ((self.good_db - sqnr_db) / span).clamp(0.0, 1.0) as f32
    }
}

/// Per-node heat in [0, 1] on the float graph `float` (0 kept its precision, 1 lost the most),
/// on the absolute dB scale `scale`, so the same colour means the same error in every model.
pub fn node_heat(float: &Graph, report: &CompareReport, scale: &HeatScale) -> HashMap<usize, f32> {
    let by_name = producers(float);
    report
        .layers
        .iter()
        .filter_map(|l| Some((*by_name.get(l.tensor.as_str())?, scale.heat(l.sqnr_db))))
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

#[cfg(test)]
mod tests {
    use super::HeatScale;

    #[test]
    fn heat_is_absolute() {
        let s = HeatScale::default();
        assert_eq!(s.heat(f64::INFINITY), 0.0);
        assert_eq!(s.heat(45.0), 0.0);
        assert_eq!(s.heat(25.0), 0.5);
        assert_eq!(s.heat(10.0), 1.0);
        assert_eq!(s.heat(-3.0), 1.0);
        assert_eq!(s.heat(f64::NAN), 1.0);
    }
}
