//! Compare panel: sizes before/after, the error of each output (any model: detectors,
//! landmarks, masks), with labelled data the accuracy table and the confusion matrix, and the
//! per-layer error plot, where clicking a point selects that layer in the graph.

use egui_plot::{Bar, BarChart, HoverPosition, Plot, Points};
use pocket_engine::eval::CompareReport;

use super::Command;

/// Panel state.
#[derive(Default)]
pub struct ComparePanel {
    /// Data folder (labels optional).
    pub data: String,
    /// A folder to suggest while none is chosen (the model's own folder).
    pub suggest: String,
}

impl ComparePanel {
    /// Use `dir` as the data folder.
    pub fn set_data(&mut self, dir: &std::path::Path) {
        self.data = dir.display().to_string();
    }

    /// Draw.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        report: Option<&CompareReport>,
        have_quant: bool,
        busy: bool,
        numerics: &mut pocket_engine::Numerics,
    ) -> Vec<Command> {
        let mut out = Vec::new();
        ui.heading("Compare");
        if let Some(r) = report.filter(|r| r.quant.model.numerics != numerics.name()) {
            ui.weak(format!(
                "The report below was measured with the {} numerics: press Compare to measure with this target.",
                r.quant.model.numerics
            ));
        }
        ui.horizontal(|ui| {
            ui.label("Images")
                .on_hover_text("Any folder of images or .npy arrays. With one sub-folder per class (or a labels.csv) matching a classifier's labels, accuracy is measured too.");
            ui.add(
                egui::TextEdit::singleline(&mut self.data)
                    .hint_text("folder of images (class sub-folders: accuracy too)")
                    .desired_width(240.0),
            );
            if ui
                .add_enabled(
                    have_quant && !busy && !self.data.trim().is_empty(),
                    egui::Button::new("Compare"),
                )
                .on_hover_text("Run float and quantized on the same images, layer by layer")
                .clicked()
            {
                out.push(Command::Compare(self.data.trim().into()));
            }
        });
        ui.horizontal(|ui| {
            super::numerics_picker(ui, "compare-numerics", numerics);
        });
        if !have_quant {
            ui.weak("Quantize the model first.");
        } else if self.data.trim().is_empty() {
            ui.horizontal(|ui| {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    "Choose the images to compare on.",
                );
                if !self.suggest.is_empty()
                    && ui
                        .small_button("use the model's folder")
                        .on_hover_text(self.suggest.clone())
                        .clicked()
                {
                    self.data = self.suggest.clone();
                }
            });
        }
        let Some(r) = report else { return out };
        if let Some(note) = &r.note {
            ui.weak(note);
        }
        egui::Grid::new("cmp").striped(true).show(ui, |ui| {
            ui.label("");
            ui.strong("float");
            ui.strong("quantized");
            ui.end_row();
            if r.labelled {
                ui.label("top-1");
                ui.label(format!("{:.2}%", 100.0 * r.float.top1));
                ui.label(format!("{:.2}%", 100.0 * r.quant.top1));
                ui.end_row();
                ui.label("top-5");
                ui.label(format!("{:.2}%", 100.0 * r.float.top5));
                ui.label(format!("{:.2}%", 100.0 * r.quant.top5));
                ui.end_row();
            }
            ui.label("file size");
            ui.label(format!(
                "{:.1} KiB",
                r.float.model.file_bytes as f64 / 1024.0
            ));
            ui.label(format!(
                "{:.1} KiB ({:.2}x)",
                r.quant.model.file_bytes as f64 / 1024.0,
                r.size_ratio
            ));
            ui.end_row();
            ui.label("latency (ours)");
            ui.label(format!("{:.3} ms", r.float.latency_ms));
            ui.label(format!("{:.3} ms", r.quant.latency_ms));
            ui.end_row();
        });
        if r.agreement.is_finite() {
            ui.label(format!(
                "Same top-1 on {:.2}% of {} images",
                100.0 * r.agreement,
                r.quant.samples
            ));
        } else {
            ui.label(format!("{} images", r.quant.samples));
        }
        ui.label("Outputs (quantized against float)");
        egui::Grid::new("cmp_outputs").striped(true).show(ui, |ui| {
            for h in ["output", "SQNR", "cosine", "max |err|", "mean |err|"] {
                ui.strong(h);
            }
            ui.end_row();
            for o in &r.outputs {
                ui.label(&o.name)
                    .on_hover_text(format!("shape {:?}; float RMS {:.4}", o.shape, o.float_rms));
                ui.label(format!("{:.1} dB", o.sqnr_db));
                ui.label(format!("{:.5}", o.cosine));
                ui.label(format!("{:.4}", o.max_abs_error));
                ui.label(format!("{:.4}", o.mean_abs_error));
                ui.end_row();
            }
        });
        if !r.tasks.is_empty() {
            ui.label("Boxes and masks (decoded from both models)")
                .on_hover_text(
                    "Each sample's outputs decoded as the live view decodes them, float and \
                     quantized matched: boxes of one class at IoU ≥ 0.5, masks pixel by pixel",
                );
            egui::Grid::new("cmp_tasks").striped(true).show(ui, |ui| {
                for h in ["kind", "mean IoU", "matched", "outputs"] {
                    ui.strong(h);
                }
                ui.end_row();
                for t in &r.tasks {
                    ui.label(&t.kind);
                    ui.label(format!("{:.3}", t.mean_iou))
                        .on_hover_text(&t.detail);
                    ui.label(format!("{:.1}%", 100.0 * t.matched))
                        .on_hover_text(&t.detail);
                    ui.add(egui::Label::new(&t.outputs).wrap())
                        .on_hover_text(&t.detail);
                    ui.end_row();
                }
            });
        }
        let sizes = vec![
            Bar::new(0.0, r.float.model.file_bytes as f64 / 1024.0).name("float"),
            Bar::new(1.0, r.quant.model.file_bytes as f64 / 1024.0).name("quantized"),
        ];
        Plot::new("sizes")
            .height(110.0)
            .allow_scroll(false)
            .y_axis_label("file size (KiB)")
            // The two bars at x = 0 and 1 are named on the axis; no other x marks.
            .x_axis_formatter(|m, _| match m.value {
                v if v == 0.0 => "float".into(),
                v if v == 1.0 => "quantized".into(),
                _ => String::new(),
            })
            .show(ui, |p| p.bar_chart(BarChart::new("size KiB", sizes)));
        ui.label("Per-layer SQNR (dB, higher is better) — click a point to select the layer");
        let pts: Vec<[f64; 2]> = r
            .layers
            .iter()
            .enumerate()
            .map(|(k, l)| {
                [
                    k as f64,
                    if l.sqnr_db.is_finite() {
                        l.sqnr_db
                    } else {
                        100.0
                    },
                ]
            })
            .collect();
        let layers = &r.layers;
        let resp = Plot::new("layers")
            .height(170.0)
            .allow_scroll(false)
            .x_axis_label("layer (graph order)")
            .y_axis_label("SQNR (dB)")
            .label_formatter(move |pos| match pos {
                HoverPosition::NearDataPoint { index, .. } => layers.get(*index).map(|l| {
                    format!(
                        "{} ({})\nSQNR {:.1} dB, RMSE/scale {:.2}",
                        pocket_engine::eval::report::short_name(&l.tensor),
                        l.op,
                        l.sqnr_db,
                        l.rmse_over_scale
                    )
                }),
                HoverPosition::Elsewhere { .. } => None,
            })
            .show(ui, |p| {
                p.points(Points::new("SQNR", pts.clone()).radius(3.0));
                p.pointer_coordinate()
            });
        if resp.response.clicked()
            && let Some(c) = resp.inner
        {
            let k = c.x.round().clamp(0.0, (r.layers.len().max(1) - 1) as f64) as usize;
            if let Some(l) = r.layers.get(k) {
                out.push(Command::SelectQuantized(l.node_index));
            }
        }
        ui.label("Worst layers");
        for &i in &r.worst {
            let l = &r.layers[i];
            if ui
                .link(format!(
                    "{:<30}  {}  SQNR {:.1} dB  RMSE/scale {:.2}",
                    pocket_engine::eval::report::short_name(&l.tensor),
                    l.op,
                    l.sqnr_db,
                    l.rmse_over_scale
                ))
                .clicked()
            {
                out.push(Command::SelectQuantized(l.node_index));
            }
        }
        if !r.labelled {
            return out;
        }
        ui.label("Confusion (quantized, rows: true class)");
        egui::Grid::new("confusion").show(ui, |ui| {
            for (ci, row) in r.quant.confusion.iter().enumerate() {
                ui.label(r.quant.classes.get(ci).map(String::as_str).unwrap_or(""));
                for &v in row {
                    ui.label(v.to_string());
                }
                ui.end_row();
            }
        });
        out
    }
}
