//! Inspector: the selected node's attributes, its tensors (shape, dtype, quantization), MACs
//! and parameters (fp16 and sparse weights counted decoded), the weights' histogram; once
//! quantized, the matching quantized node: its SQNR from the comparison, each tensor's dtype,
//! scale and zero point (per-channel scales as a small plot), the float activation histogram
//! under the int8 grid with its clipping range, and the weights before and after quantization.
//! What it draws is computed once per selection (`data::Cache`).

pub mod data;

use egui_plot::{Bar, BarChart, Legend, Line, Plot, VLine};
use pocket_engine::Graph;
use pocket_engine::eval::CompareReport;

use crate::gui::activations::Activations;
use crate::gui::theme;
use data::{Cache, Hist};

/// What the inspector reads.
pub struct Inspect<'a> {
    /// The float graph.
    pub graph: &'a Graph,
    /// The selected node of it.
    pub node: usize,
    /// The quantized graph and its node matching `node`, when quantized.
    pub quant: Option<(&'a Graph, Option<usize>)>,
    /// The comparison report (per-layer SQNR).
    pub report: Option<&'a CompareReport>,
    /// Sampled float activations.
    pub activations: Option<&'a Activations>,
}

/// Parameters of node `i`: constant inputs directly or through the DEQUANTIZE / DENSIFY that
/// decodes them (fp16 and sparse weights).
pub fn params(g: &Graph, i: usize) -> usize {
    let producers = g.producers();
    g.nodes[i]
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
        .sum()
}

fn tensor_rows(ui: &mut egui::Ui, g: &Graph, i: usize, plot_id: &str) {
    let n = &g.nodes[i];
    let row = |ui: &mut egui::Ui, role: String, t: usize| {
        let tensor = &g.tensors[t];
        ui.label(format!(
            "{role}: {} {} {:?}{}",
            tensor.name,
            tensor.dtype,
            tensor.shape,
            if tensor.is_const() { " (constant)" } else { "" }
        ));
        let Some(q) = &tensor.quant else { return };
        if q.scale.len() == 1 {
            ui.weak(format!(
                "    scale {:.6}  zero point {}",
                q.scale[0],
                q.zero_point.first().copied().unwrap_or(0)
            ));
            return;
        }
        let (lo, hi) = q
            .scale
            .iter()
            .fold((f32::INFINITY, 0f32), |(a, b), &s| (a.min(s), b.max(s)));
        ui.weak(format!(
            "    {} scales along axis {} ({lo:.5} .. {hi:.5}), zero points {}",
            q.scale.len(),
            q.axis,
            if q.zero_point.iter().all(|&z| z == 0) {
                "0".to_string()
            } else {
                "per channel".to_string()
            }
        ));
        let pts: Vec<[f64; 2]> = q
            .scale
            .iter()
            .enumerate()
            .map(|(c, &s)| [c as f64, s as f64])
            .collect();
        Plot::new((plot_id, t))
            .height(70.0)
            .allow_scroll(false)
            .allow_drag(false)
            .x_axis_label("channel")
            .y_axis_label("scale")
            .show(ui, |p| p.line(Line::new("scale per channel", pts)));
    };
    for (k, t) in n.inputs.iter().enumerate() {
        match t {
            Some(t) => row(ui, format!("in {k}"), *t),
            None => {
                ui.weak(format!("in {k}: (absent)"));
            }
        }
    }
    for (k, &t) in n.outputs.iter().enumerate() {
        row(ui, format!("out {k}"), t);
    }
}

fn bars(h: &Hist) -> Vec<Bar> {
    let w = h.width();
    h.counts
        .iter()
        .enumerate()
        .map(|(k, &c)| Bar::new(h.lo + (k as f64 + 0.5) * w, c as f64).width(w))
        .collect()
}

/// Draw the inspector; `cache` keeps what it shows between frames.
pub fn ui(ui: &mut egui::Ui, x: &Inspect<'_>, cache: &mut Cache) {
    let (g, i) = (x.graph, x.node);
    let Some(n) = g.nodes.get(i) else { return };
    let qi = x.quant.and_then(|(_, q)| q);
    if cache.key != Some((i, qi)) {
        *cache = Cache::compute(g, i, x.quant, x.activations);
    }
    ui.heading(n.op.name());
    ui.label(egui::RichText::new(&n.name).small());
    let macs = pocket_engine::summary::node_macs(g, i);
    ui.label(format!("MACs {macs}   parameters {}", params(g, i)));
    if let Some((qg, q)) = x.quant {
        quantized(ui, x, qg, q);
    }
    activation(ui, cache, i);
    weights(ui, cache, i);
    if let Some((qg, Some(q))) = x.quant
        && q < qg.nodes.len()
    {
        egui::CollapsingHeader::new("Quantized tensors (dtype, scale, zero point)")
            .default_open(true)
            .show(ui, |ui| tensor_rows(ui, qg, q, "quant-scales"));
    }
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
    egui::CollapsingHeader::new("Tensors")
        .default_open(x.quant.is_none())
        .show(ui, |ui| tensor_rows(ui, g, i, "float-scales"));
}

/// The quantized node: its SQNR, op and tensors.
fn quantized(ui: &mut egui::Ui, x: &Inspect<'_>, qg: &Graph, q: Option<usize>) {
    egui::CollapsingHeader::new("Quantized")
        .default_open(true)
        .show(ui, |ui| {
            let Some(q) = q.filter(|&q| q < qg.nodes.len()) else {
                ui.weak("No node of the quantized model writes this node's output (folded or fused away).");
                return;
            };
            let qn = &qg.nodes[q];
            let layer = x.report.and_then(|r| r.layers.iter().find(|l| l.node_index == q));
            match (layer, x.report) {
                (Some(l), _) => {
                    ui.label(
                        egui::RichText::new(format!(
                            "SQNR {:.1} dB   cosine {:.4}   RMSE {:.2} steps",
                            l.sqnr_db, l.cosine, l.rmse_over_scale
                        ))
                        .strong(),
                    )
                    .on_hover_text("Float against quantized on the compared images: signal-to-quantization-noise ratio of this node's output, its cosine similarity and the RMSE in quantization steps (0.29 is pure rounding)");
                }
                (None, Some(_)) => {
                    ui.weak("SQNR: this node's output was not compared");
                }
                (None, None) => {
                    ui.weak("SQNR: run Compare to measure this node's error");
                }
            }
            ui.label(format!("runs as {}", qn.op.name()))
                .on_hover_text(&qn.name);
        });
}

fn activation(ui: &mut egui::Ui, cache: &Cache, i: usize) {
    let Some(a) = &cache.act else { return };
    egui::CollapsingHeader::new("Activation (float) and its int8 grid")
        .default_open(true)
        .show(ui, |ui| {
            ui.label(format!(
                "min {:.4}  max {:.4}  mean {:.4}  std {:.4}  ({} sampled values)",
                a.stats.min, a.stats.max, a.stats.mean, a.stats.std, a.stats.n
            ));
            if let Some((lo, hi, s, z)) = a.grid {
                ui.label(format!(
                    "int8 range {lo:.4} .. {hi:.4} (scale {s:.6}, zero point {z}); {:.2}% of the sample clipped",
                    100.0 * a.clipped
                ));
            }
            Plot::new(("activation", i))
                .height(130.0)
                .allow_scroll(false)
                .legend(Legend::default())
                .x_axis_label("value")
                .y_axis_label("count")
                .show(ui, |p| {
                    p.bar_chart(BarChart::new("float activation", bars(&a.hist)).color(theme::HIST_FLOAT));
                    if let Some((lo, hi, s, _)) = a.grid {
                        // Every grid step when they are few enough to see, else every k-th.
                        let steps = ((hi - lo) / s).round().max(1.0);
                        let every = (steps / 64.0).ceil().max(1.0);
                        let mut v = lo;
                        while v <= hi + 1e-9 {
                            p.vline(VLine::new("int8 grid", v).color(theme::HIST_GRID).width(0.5));
                            v += s * every;
                        }
                        for b in [lo, hi] {
                            p.vline(VLine::new("clipping range", b).color(theme::HIST_CLIP).width(2.0));
                        }
                    }
                });
        });
}

fn weights(ui: &mut egui::Ui, cache: &Cache, i: usize) {
    let (Some(f), Some((hf, hq))) = (&cache.float, &cache.weight_hists) else {
        return;
    };
    egui::CollapsingHeader::new(format!("Weights: {}", f.name))
        .default_open(true)
        .show(ui, |ui| {
            let s = &f.stats;
            ui.label(format!(
                "{}: min {:.4}  max {:.4}  mean {:.4}  std {:.4}  ({} values)",
                f.stored, s.min, s.max, s.mean, s.std, s.n
            ));
            if let Some(q) = &cache.quant {
                ui.label(format!(
                    "quantized ({}): min {:.4}  max {:.4}{}",
                    q.stored,
                    q.stats.min,
                    q.stats.max,
                    cache
                        .weight_err
                        .map_or(String::new(), |e| format!("  max |error| {e:.5}"))
                ));
            }
            Plot::new(("weights", i))
                .height(140.0)
                .allow_scroll(false)
                .legend(Legend::default())
                .x_axis_label("weight value")
                .y_axis_label("count")
                .show(ui, |p| {
                    p.bar_chart(BarChart::new("before (float)", bars(hf)).color(theme::HIST_FLOAT));
                    if let Some(hq) = hq {
                        p.bar_chart(
                            BarChart::new("after (dequantized)", bars(hq)).color(theme::HIST_QUANT),
                        );
                    }
                });
        });
}
