//! Inspector: the selected node's attributes, its tensors (shape, dtype, quantization per
//! channel), weight statistics with a histogram, MACs and parameter count.

use egui_plot::{Bar, BarChart, Plot};
use pocket_engine::Graph;
use pocket_engine::ir::{DType, Value};

/// Statistics and a 40-bin histogram of one weight tensor (dequantized when quantized).
pub struct WeightStats {
    tensor: usize,
    min: f64,
    max: f64,
    mean: f64,
    std: f64,
    n: usize,
    counts: Vec<u64>,
}

impl WeightStats {
    fn of(g: &Graph, t: usize) -> Option<WeightStats> {
        let tensor = &g.tensors[t];
        let v = Value::from_const(tensor)?;
        let vals: Vec<f64> = match (tensor.dtype, &tensor.quant) {
            (DType::I8 | DType::U8 | DType::I32, Some(q)) => {
                pocket_engine::ops::dequantize_value(&v, Some(q))
                    .map(|d| d.data.to_f64())
                    .unwrap_or_default()
            }
            _ => v.data.to_f64(),
        };
        if vals.is_empty() {
            return None;
        }
        let (min, max) = vals
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
                (a.min(x), b.max(x))
            });
        let mean = vals.iter().sum::<f64>() / vals.len() as f64;
        let std = (vals.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / vals.len() as f64).sqrt();
        let bins = 40;
        let width = ((max - min) / bins as f64).max(1e-12);
        let mut counts = vec![0u64; bins];
        for x in &vals {
            counts[(((x - min) / width) as usize).min(bins - 1)] += 1;
        }
        Some(WeightStats {
            tensor: t,
            min,
            max,
            mean,
            std,
            n: vals.len(),
            counts,
        })
    }
}

/// Draw the inspector for node `i`; `cache` keeps the weight statistics between frames.
pub fn ui(ui: &mut egui::Ui, g: &Graph, i: usize, cache: &mut Option<WeightStats>) {
    let n = &g.nodes[i];
    ui.heading(n.op.name());
    ui.label(egui::RichText::new(&n.name).small());
    let macs = pocket_engine::summary::node_macs(g, i);
    // Constants count directly or through the DEQUANTIZE / DENSIFY that decodes them (fp16
    // and sparse weights).
    let producers = g.producers();
    let params: usize = n
        .inputs
        .iter()
        .flatten()
        .map(|&t| {
            let tensor = &g.tensors[t];
            if tensor.is_const() {
                return tensor.numel();
            }
            match producers[t].map(|p| &g.nodes[p]) {
                Some(d)
                    if matches!(
                        d.op,
                        pocket_engine::ir::Op::Dequantize | pocket_engine::ir::Op::Densify
                    ) && d.input(0).is_some_and(|s| g.tensors[s].is_const()) =>
                {
                    tensor.numel()
                }
                _ => 0,
            }
        })
        .sum();
    ui.label(format!("MACs {macs}   parameters {params}"));
    egui::CollapsingHeader::new("Attributes")
        .default_open(true)
        .show(ui, |ui| {
            let lines = crate::gui::layout::describe::ir_attrs(g, n);
            if lines.is_empty() {
                ui.weak("none");
            }
            for l in lines {
                ui.label(l);
            }
            egui::CollapsingHeader::new("every field")
                .default_open(false)
                .show(ui, |ui| {
                    let text = format!("{:#?}", n.op);
                    ui.add(egui::Label::new(egui::RichText::new(text).monospace().small()).wrap());
                });
        });
    let tensor_row = |ui: &mut egui::Ui, role: &str, t: usize| {
        let tensor = &g.tensors[t];
        ui.label(format!(
            "{role}: {} {} {:?}{}",
            tensor.name,
            tensor.dtype,
            tensor.shape,
            if tensor.is_const() { " (constant)" } else { "" }
        ));
        if let Some(q) = &tensor.quant {
            let s = if q.scale.len() == 1 {
                format!("scale {:.6} zero point {}", q.scale[0], q.zero_point[0])
            } else {
                format!(
                    "{} scales along axis {} ({:.5} .. {:.5})",
                    q.scale.len(),
                    q.axis,
                    q.scale.iter().copied().fold(f32::INFINITY, f32::min),
                    q.scale.iter().copied().fold(0.0, f32::max)
                )
            };
            ui.weak(format!("    quantized: {s}"));
        }
    };
    egui::CollapsingHeader::new("Tensors")
        .default_open(true)
        .show(ui, |ui| {
            for (k, t) in n.inputs.iter().enumerate() {
                match t {
                    Some(t) => tensor_row(ui, &format!("in {k}"), *t),
                    None => {
                        ui.weak(format!("in {k}: (absent)"));
                    }
                }
            }
            for (k, &t) in n.outputs.iter().enumerate() {
                tensor_row(ui, &format!("out {k}"), t);
            }
        });
    // Weight statistics of the largest constant input (computed once per selection, cached).
    let w = n
        .inputs
        .iter()
        .flatten()
        .copied()
        .filter(|&t| g.tensors[t].is_const() && g.tensors[t].numel() > 1)
        .max_by_key(|&t| g.tensors[t].numel());
    let Some(w) = w else { return };
    if cache.as_ref().map(|c| c.tensor) != Some(w) {
        *cache = WeightStats::of(g, w);
    }
    let Some(st) = cache.as_ref() else { return };
    egui::CollapsingHeader::new(format!("Weights: {}", g.tensors[w].name))
        .default_open(true)
        .show(ui, |ui| {
            ui.label(format!(
                "min {:.4}  max {:.4}  mean {:.4}  std {:.4}  ({} values)",
                st.min, st.max, st.mean, st.std, st.n
            ));
            let width = ((st.max - st.min) / st.counts.len() as f64).max(1e-12);
            let bars: Vec<Bar> = st
                .counts
                .iter()
                .enumerate()
                .map(|(k, &c)| Bar::new(st.min + (k as f64 + 0.5) * width, c as f64).width(width))
                .collect();
            Plot::new(("weights", i))
                .height(140.0)
                .allow_scroll(false)
                .show(ui, |p| p.bar_chart(BarChart::new("histogram", bars)));
        });
}
