//! Input size: for a model with free dimensions (ONNX `dim_param`s, TFLite `shape_signature`
//! −1), one field per free dimension, prefilled with the size the graph is shown at; Apply
//! re-infers every shape (and the MACs, the graph's labels, the live view's input) at the new
//! sizes. Shown above everything else while the sizes are only a placeholder.

use std::sync::Arc;

use pocket_engine::shapes::{FreeDim, InputShapes, SampleShape};

use super::Command;
use crate::gui::worker::Loaded;
use crate::tasks::open::Opened;

/// The form's state: the sizes being edited, for one opened model.
#[derive(Default)]
pub struct SizesPanel {
    model: Option<Arc<Opened>>,
    values: Vec<usize>,
    /// The calibration folder the values were last prefilled from, and what it gave.
    prefill: Option<(String, Option<String>)>,
}

impl SizesPanel {
    /// The sizes the graph of `l` was built at, one per free dimension of `free`.
    fn current(l: &Loaded, free: &[FreeDim]) -> Vec<usize> {
        free.iter()
            .map(|f| {
                f.uses
                    .iter()
                    .find_map(|&(i, axis)| {
                        let t = *l.graph.inputs.get(i)?;
                        l.graph.tensors.get(t)?.shape.get(axis).copied()
                    })
                    .unwrap_or(1)
            })
            .collect()
    }

    /// Sizes for `free` from the first sample of the calibration folder `dir` (an image's
    /// height and width, or arrays' shapes), and that sample in words; `None` when it gives
    /// none.
    fn from_calib(l: &Loaded, free: &[FreeDim], dir: &str) -> Option<(Vec<usize>, String)> {
        let inputs = &l.opened.inputs;
        let dir = std::path::Path::new(dir.trim());
        let sample = pocket_engine::data::folder::first_sample_shape(dir, inputs.len())?;
        let given = InputShapes::default().sample_dims(inputs, &sample);
        if given.is_empty() {
            return None;
        }
        // Dimensions the sample does not size keep the size shown.
        let values: Vec<usize> = free
            .iter()
            .zip(Self::current(l, free))
            .map(|(f, shown)| {
                given
                    .iter()
                    .find(|(n, _)| n == &f.name)
                    .map_or(shown, |&(_, v)| v)
            })
            .collect();
        let what = match &sample {
            SampleShape::Image { height, width } => format!("its first image, {height}×{width}"),
            SampleShape::Arrays(a) => format!("its first arrays, {a:?}"),
        };
        Some((values, what))
    }

    /// The chosen sizes as `--input-shape` takes them (`name=size` per free dimension).
    pub fn args(free: &[FreeDim], values: &[usize]) -> Vec<String> {
        free.iter()
            .zip(values)
            .map(|(f, v)| format!("{}={v}", f.name))
            .collect()
    }

    /// Draw the form for the open model; returns the resize asked for, if any. Draws nothing
    /// for a model without free dimensions.
    /// While only a placeholder sizes the model, the fields are prefilled from the first
    /// sample of the calibration folder `calib` (when set).
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        l: &Loaded,
        calib: &str,
        busy: bool,
    ) -> Option<Command> {
        let free = l.opened.free_dims();
        if free.is_empty() {
            return None;
        }
        if !self
            .model
            .as_ref()
            .is_some_and(|m| Arc::ptr_eq(m, &l.opened))
        {
            self.model = Some(l.opened.clone());
            self.values = Self::current(l, &free);
            self.prefill = None;
        }
        if l.opened.placeholder.is_some()
            && !calib.trim().is_empty()
            && self.prefill.as_ref().is_none_or(|(d, _)| d != calib)
        {
            let found = Self::from_calib(l, &free, calib);
            if let Some((v, _)) = &found {
                self.values.clone_from(v);
            }
            self.prefill = Some((calib.to_string(), found.map(|(_, w)| w)));
        }
        let mut out = None;
        ui.heading("Input size");
        for inp in l.opened.inputs.iter().filter(|i| i.has_free()) {
            let text = egui::RichText::new(format!("{}: {}", inp.name, inp.symbolic())).monospace();
            ui.add(egui::Label::new(text).wrap())
                .on_hover_text("The input as the file declares it: names are free dimensions");
        }
        if let Some((_, p)) = &l.opened.placeholder {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                format!(
                    "Shapes and MACs are shown at a placeholder size ({p}). Set the sizes your \
                     data has; quantizing, comparing and the live view need them."
                ),
            );
        }
        egui::Grid::new("free-dims").num_columns(2).show(ui, |ui| {
            for (f, v) in free.iter().zip(self.values.iter_mut()) {
                let used: Vec<String> = f
                    .uses
                    .iter()
                    .map(|&(i, axis)| {
                        let name = l.opened.inputs.get(i).map_or("?", |d| d.name.as_str());
                        format!("{name} axis {axis}")
                    })
                    .collect();
                ui.label(&f.name)
                    .on_hover_text(format!("Free dimension, used by {}", used.join(", ")));
                ui.add(egui::DragValue::new(v).range(1..=16384).speed(1.0))
                    .on_hover_text("Size of this dimension (CLI: --input-shape NAME=SIZE)");
                ui.end_row();
            }
        });
        if let Some((dir, Some(what))) = &self.prefill {
            ui.weak(format!(
                "Prefilled from the calibration folder {dir}: {what}"
            ));
        }
        let changed = self.values != Self::current(l, &free) || l.opened.placeholder.is_some();
        let apply = ui
            .add_enabled(!busy && changed, egui::Button::new("Apply size"))
            .on_hover_text("Re-infer every shape, the MACs and the graph at these sizes");
        if apply.clicked() {
            out = Some(Command::Resize(Self::args(&free, &self.values)));
        }
        let cli: Vec<String> = Self::args(&free, &self.values)
            .iter()
            .map(|a| format!("--input-shape {a}"))
            .collect();
        ui.add(egui::Label::new(egui::RichText::new(cli.join(" ")).weak().small()).wrap())
            .on_hover_text("The same sizes for the pocket CLI");
        ui.separator();
        out
    }
}
