//! Quantize panel: every recipe option with plain-words tooltips, the calibration folder, run
//! with progress and Cancel, load and save recipes.

use std::path::PathBuf;

use pocket_engine::quant::calib::Method;
use pocket_engine::quant::{Io, Mode, Recipe, Weights};

use super::Command;

/// Panel state: the recipe being edited.
pub struct QuantizePanel {
    /// The recipe.
    pub recipe: Recipe,
    /// Calibration folder.
    pub calib: String,
    /// A folder to suggest while none is chosen (the model's own folder).
    pub suggest: String,
    /// Path typed for loading and saving recipes.
    pub recipe_path: String,
    /// Last message of loading/saving recipes.
    pub status: String,
}

impl Default for QuantizePanel {
    fn default() -> Self {
        QuantizePanel {
            recipe: Recipe::new(Mode::Int8),
            calib: String::new(),
            suggest: String::new(),
            recipe_path: String::new(),
            status: String::new(),
        }
    }
}

impl QuantizePanel {
    /// Use `dir` as the calibration folder.
    pub fn set_calib(&mut self, dir: &std::path::Path) {
        self.calib = dir.display().to_string();
    }

    /// Draw; `busy` is (done, total, what) of a running job; `kept` names the nodes kept in
    /// float (added to the recipe's patterns when quantizing).
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        busy: Option<(usize, usize, &str)>,
        kept: &std::collections::BTreeSet<String>,
    ) -> Vec<Command> {
        let mut out = Vec::new();
        let r = &mut self.recipe;
        ui.heading("Quantize");
        ui.horizontal(|ui| {
            ui.label("Mode");
            ui.selectable_value(&mut r.mode, Mode::Int8, "int8").on_hover_text("Everything in 8-bit integers: about 4x smaller and fastest on phones and microcontrollers. Needs calibration images.");
            ui.selectable_value(&mut r.mode, Mode::DynamicRangeInt8, "dynamic").on_hover_text("Weights in int8, activations stay float: about 4x smaller, no calibration data needed.");
            ui.selectable_value(&mut r.mode, Mode::Float16, "float16").on_hover_text("Weights stored as 16-bit floats: half the size, accuracy unchanged; good for GPUs.");
        });
        ui.horizontal(|ui| {
            ui.label("Weights");
            ui.selectable_value(&mut r.weights, Weights::PerChannel, "per channel")
                .on_hover_text("One scale per output channel: more accurate (recommended).");
            ui.selectable_value(&mut r.weights, Weights::PerTensor, "per tensor")
                .on_hover_text(
                    "One scale per weight tensor: for the oldest runtimes and accelerators.",
                );
        });
        if r.mode == Mode::Int8 {
            ui.horizontal(|ui| {
                ui.label("Model input/output");
                ui.selectable_value(&mut r.io, Io::Float, "float")
                    .on_hover_text("Drop-in replacement: the model takes and returns floats.");
                ui.selectable_value(&mut r.io, Io::Int8, "int8")
                    .on_hover_text("The caller passes int8 data (fully integer pipeline).");
                ui.selectable_value(&mut r.io, Io::Uint8, "uint8")
                    .on_hover_text("Raw camera pixels (0..255) go straight in.");
            });
            ui.horizontal(|ui| {
                ui.label("Ranges");
                let m = &mut r.calibration.method;
                let label = match m {
                    Method::Minmax => "min-max",
                    Method::MovingAverage { .. } => "moving average",
                    Method::Percentile { .. } => "percentile",
                    Method::Mse => "MSE",
                    Method::Entropy => "entropy (KL)",
                };
                egui::ComboBox::from_id_salt("calib-method")
                    .selected_text(label)
                    .show_ui(ui, |ui| {
                        ui.selectable_value(m, Method::Minmax, "min-max")
                            .on_hover_text("Exact observed range, as the TFLite converter does.");
                        ui.selectable_value(
                            m,
                            crate::tasks::defaults::moving_average_method(),
                            "moving average",
                        )
                        .on_hover_text("Smooths out single unusual images.");
                        ui.selectable_value(
                            m,
                            crate::tasks::defaults::percentile_method(),
                            "percentile",
                        )
                        .on_hover_text("Ignores the rarest extreme values to gain resolution.");
                        ui.selectable_value(m, Method::Mse, "MSE").on_hover_text(
                            "Picks the clipping range with the least squared error.",
                        );
                        ui.selectable_value(m, Method::Entropy, "entropy (KL)")
                            .on_hover_text("TensorRT-style: keeps the value distribution's shape.");
                    });
                ui.label("samples");
                ui.add(egui::DragValue::new(&mut r.calibration.max_samples).range(1..=100_000))
                    .on_hover_text(
                        "At most this many calibration images are used (100-500 is typical).",
                    );
            });
            ui.horizontal(|ui| {
                ui.label("Calibration folder");
                ui.add(egui::TextEdit::singleline(&mut self.calib).hint_text("folder of images or .npy").desired_width(260.0)).on_hover_text("Images like those the model will see (class sub-folders are fine). Tip: drop a folder on the window.");
            });
            if self.calib.trim().is_empty() {
                ui.horizontal(|ui| {
                    ui.colored_label(
                        ui.visuals().warn_fg_color,
                        "Choose the images to calibrate this model on.",
                    );
                    if !self.suggest.is_empty()
                        && ui
                            .small_button("use the model's folder")
                            .on_hover_text(self.suggest.clone())
                            .clicked()
                    {
                        self.calib = self.suggest.clone();
                    }
                });
            }
        }
        if !kept.is_empty() {
            let names: Vec<&str> = kept.iter().map(String::as_str).collect();
            ui.label(format!(
                "Kept in float (right-click a node to change): {}",
                names.join(", ")
            ));
        }
        if !r.keep_float.is_empty() {
            ui.label(format!(
                "Kept in float by the recipe: {}",
                r.keep_float.join(", ")
            ));
        }
        ui.horizontal(|ui| match busy {
            Some((d, t, what)) => {
                ui.add(
                    egui::ProgressBar::new(if t > 0 { d as f32 / t as f32 } else { 0.0 })
                        .text(format!("{what} {d}/{t}"))
                        .desired_width(240.0),
                );
                if ui.button("Cancel").clicked() {
                    out.push(Command::Cancel);
                }
            }
            None => {
                let ready = r.mode != Mode::Int8 || !self.calib.trim().is_empty();
                if ui
                    .add_enabled(ready, egui::Button::new("Quantize"))
                    .on_hover_text("Run with this recipe (off the UI thread)")
                    .on_disabled_hover_text(
                        "Full int8 needs calibration images: choose a folder above",
                    )
                    .clicked()
                {
                    out.push(Command::Quantize(
                        r.clone(),
                        PathBuf::from(self.calib.trim()),
                    ));
                }
            }
        });
        ui.collapsing("Recipe file", |ui| {
            ui.horizontal(|ui| {
                ui.add(
                    egui::TextEdit::singleline(&mut self.recipe_path)
                        .hint_text("recipe.json")
                        .desired_width(200.0),
                );
                if ui.button("Load").clicked() {
                    self.status = match std::fs::read_to_string(self.recipe_path.trim())
                        .map_err(|e| e.to_string())
                        .and_then(|t| Recipe::from_json(&t).map_err(|e| e.chain()))
                    {
                        Ok(nr) => {
                            self.recipe = nr;
                            "loaded".into()
                        }
                        Err(e) => e,
                    };
                }
                if ui.button("Save").clicked() {
                    self.status = match pocket_engine::formats::write_atomic(
                        std::path::Path::new(self.recipe_path.trim()),
                        self.recipe.to_json().as_bytes(),
                    ) {
                        Ok(()) => "saved".into(),
                        Err(e) => e.chain(),
                    };
                }
            });
            if !self.status.is_empty() {
                ui.weak(&self.status);
            }
        });
        out
    }
}
