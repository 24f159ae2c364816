//! One file per panel. Panels hold only their own UI state and return `Command`s for the app.

pub mod compare;
pub mod graph;
pub mod inspector;
pub mod live;
pub mod quantize;
pub mod sizes;
pub mod start;

use std::path::PathBuf;

use pocket_engine::quant::Recipe;

/// What panels ask the app to do.
#[derive(Debug, Clone)]
pub enum Command {
    /// Open a model file.
    Open(PathBuf),
    /// Show the native open dialog.
    OpenDialog,
    /// Select a node of the open (float) graph.
    Select(Option<usize>),
    /// Select the node of the open graph matching node `i` of the quantized graph.
    SelectQuantized(usize),
    /// Use a folder as calibration, evaluation and live-view image folder.
    UseDataFolder(PathBuf),
    /// Toggle keeping a node in float.
    ToggleKeepFloat(String),
    /// Quantize with a recipe and a calibration folder.
    Quantize(Recipe, PathBuf),
    /// Compare float and quantized on a labelled folder.
    Compare(PathBuf),
    /// Write the quantized model to a path.
    Export(PathBuf),
    /// Cancel the running job.
    Cancel,
    /// Close the model.
    Close,
    /// Re-prepare the open model at other input sizes (`name=size` per free dimension, as
    /// `--input-shape` takes them).
    Resize(Vec<String>),
    /// Reopen the open model with another TFLite signature (by key).
    OpenSignature(String),
    /// Start the live view from a source.
    LiveStart(crate::camera::SourceSpec),
    /// Stop the live view.
    LiveStop,
    /// Use this preprocessing for the live view.
    LivePreprocess(pocket_engine::data::image::Preprocess),
    /// Save the current live frame into `<folder>/<class>/`.
    LiveSnapshot(PathBuf, String),
}

/// The sample models shipped with the studio: (name, description, path).
pub fn samples() -> Vec<(&'static str, &'static str, PathBuf)> {
    let root = sample_root();
    vec![
        (
            "Digits",
            "Handwritten digits, MNIST, 28x28 gray CNN",
            root.join("digits/model.tflite"),
        ),
        (
            "Shapes",
            "Shapes drawn on paper, 96x96 colour CNN for the camera",
            root.join("shapes/model.tflite"),
        ),
    ]
}

/// Where the sample models live: next to the executable's repository, or `POCKET_SAMPLES`.
pub fn sample_root() -> PathBuf {
    if let Ok(p) = std::env::var("POCKET_SAMPLES") {
        return PathBuf::from(p);
    }
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../sample-models");
    p.canonicalize().unwrap_or(p)
}

/// The target picker: which int8 arithmetic compare and live compute.
pub fn numerics_picker(ui: &mut egui::Ui, id: &str, n: &mut pocket_engine::Numerics) -> bool {
    let before = *n;
    ui.label("Target").on_hover_text(
        "The int8 arithmetic to compute: a phone, laptop or Raspberry Pi runs LiteRT's default CPU path (XNNPACK); a microcontroller runs TFLite Micro, whose arithmetic is LiteRT's reference kernels. The exported recipe records it.",
    );
    egui::ComboBox::from_id_salt(id)
        .selected_text(n.describe())
        .show_ui(ui, |ui| {
            for c in pocket_engine::Numerics::ALL {
                ui.selectable_value(n, c, c.describe());
            }
        });
    *n != before
}
