//! `pocket` subcommands, one file each. Errors are printed once, with their context chain, and
//! give a non-zero exit code.

mod bench;
mod compare;
mod convert;
mod eval;
mod inspect;
mod run;

use std::path::Path;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand};
use pocket_engine::Graph;
use pocket_engine::shapes::InputShapes;

/// Pocket Studio: inspect, run, quantize, evaluate and benchmark neural networks for phones,
/// cameras and microcontrollers.
#[derive(Parser, Debug)]
#[command(name = "pocket", version, about, long_about = None, arg_required_else_help = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Show a model's inputs, outputs, ops, parameters, size and cost.
    Inspect(inspect::Args),
    /// Run a model on .npy arrays or images and print or save the outputs.
    Run(run::Args),
    /// Quantize a float model (float16, dynamic-range int8, full int8) and write a .tflite.
    Convert(convert::Args),
    /// Accuracy of a classifier on a labelled image folder (top-1, top-5, per class, confusion).
    Eval(eval::Args),
    /// Float vs quantized on the same labelled data: accuracy, agreement, per-layer error.
    Compare(compare::Args),
    /// Latency (median, p90, min), peak memory and, with --profile, time per op.
    Bench(bench::Args),
}

/// Entry point of the `pocket` binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let res = match cli.command {
        Command::Inspect(a) => inspect::run(a),
        Command::Run(a) => run::run(a),
        Command::Convert(a) => convert::run(a),
        Command::Eval(a) => eval::run(a),
        Command::Compare(a) => compare::run(a),
        Command::Bench(a) => bench::run(a),
    };
    match res {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// Read a model file to run it at the sizes `shapes` chooses and the TFLite `signature`; ONNX
/// inputs are made NHWC when `nhwc_input` (`--nhwc-input`) is set.
pub fn load_model_nhwc(
    path: &Path,
    nhwc_input: bool,
    shapes: &InputShapes,
    signature: Option<&str>,
) -> Result<Graph> {
    load_model_with(path, nhwc_input, shapes, signature, &[])
}

/// [`load_model_nhwc`] with the ONNX initializers `overrides` made graph inputs (`pocket run
/// --input NAME=FILE`).
pub fn load_model_with(
    path: &Path,
    nhwc_input: bool,
    shapes: &InputShapes,
    signature: Option<&str>,
    overrides: &[String],
) -> Result<Graph> {
    if nhwc_input && !crate::tasks::open::is_onnx(path) {
        anyhow::bail!("--nhwc-input applies to .onnx models (TFLite inputs are NHWC already)");
    }
    crate::tasks::open::read_sized_with(path, nhwc_input, shapes, signature, overrides)
}

/// Input sizes for models with free (symbolic) dimensions, shared by every subcommand.
#[derive(clap::Args, Debug, Default)]
pub struct ShapeArgs {
    /// Size the model's free input dimensions: NAME=D,D,... gives input NAME (its name or
    /// index) every dimension, in the file's order (ONNX: NCHW); DIM=D sizes the free
    /// dimension DIM wherever it appears (e.g. batch=1). Repeatable. Without it a TFLite file
    /// runs at its stored shape and an ONNX batch dimension is 1; other free dimensions must
    /// be chosen (`pocket inspect` lists them).
    #[arg(long = "input-shape", value_name = "NAME=D,D,...")]
    input_shape: Vec<String>,
    /// TFLite files with several entry points (SignatureDefs): use the one with this key
    /// (its input and output names). The default is the main subgraph's first.
    #[arg(long, value_name = "NAME")]
    signature: Option<String>,
}

impl ShapeArgs {
    /// The sizes asked for.
    pub fn shapes(&self) -> Result<InputShapes> {
        Ok(InputShapes::parse(&self.input_shape)?)
    }

    /// The signature asked for.
    pub fn signature(&self) -> Option<&str> {
        self.signature.as_deref()
    }

    /// The sizes asked for, with the free dimensions they leave open sized by the first sample
    /// of `data` (a calibration or evaluation folder: an image's height and width, or arrays'
    /// shapes), so a model with free input sizes runs at the size of the user's data. Says
    /// on stderr what it sized.
    pub fn shapes_for_data(&self, model: &Path, data: &Path) -> Result<InputShapes> {
        let shapes = self.shapes()?;
        let sig = self
            .signature()
            .filter(|_| !crate::tasks::open::is_onnx(model));
        let inputs = crate::tasks::open::declared_inputs(model, sig)?;
        if !inputs.iter().any(|i| i.has_free()) {
            return Ok(shapes);
        }
        let Some(sample) = pocket_engine::data::folder::first_sample_shape(data, inputs.len())
        else {
            return Ok(shapes);
        };
        let added = shapes.sample_dims(&inputs, &sample);
        if !added.is_empty() {
            let said: Vec<String> = added.iter().map(|(n, v)| format!("{n}={v}")).collect();
            eprintln!(
                "note: free dimensions sized from the first sample of {}: {} \
                 (--input-shape chooses others)",
                data.display(),
                said.join(" ")
            );
        }
        Ok(shapes.with_sample(&inputs, &sample))
    }

    /// Read `path` to run it at these sizes and signature (`nhwc_input`: `--nhwc-input`).
    pub fn load(&self, path: &Path, nhwc_input: bool) -> Result<Graph> {
        load_model_nhwc(path, nhwc_input, &self.shapes()?, self.signature())
    }
}

/// Parse a count that must be at least 1 (`--threads`, `--runs`).
pub fn at_least_one(s: &str) -> std::result::Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1".into()),
        Ok(n) => Ok(n),
        Err(e) => Err(e.to_string()),
    }
}

/// Format a shape with dynamic dims as `?`.
pub fn fmt_shape(s: &[i64]) -> String {
    let parts: Vec<String> = s
        .iter()
        .map(|&d| if d < 0 { "?".into() } else { d.to_string() })
        .collect();
    format!("[{}]", parts.join(", "))
}

/// Human-readable byte count.
pub fn fmt_bytes(b: usize) -> String {
    if b >= 1 << 20 {
        format!("{:.2} MiB", b as f64 / (1u64 << 20) as f64)
    } else if b >= 1 << 10 {
        format!("{:.1} KiB", b as f64 / 1024.0)
    } else {
        format!("{b} B")
    }
}

/// Image preprocessing overrides shared by run, convert, eval and compare.
#[derive(clap::Args, Debug, Default)]
pub struct PreprocessArgs {
    /// Image normalization mean, one value or one per channel (pixels are 0..255).
    #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
    mean: Option<Vec<f32>>,
    /// Image normalization std, one value or one per channel.
    #[arg(long, value_delimiter = ',')]
    std: Option<Vec<f32>>,
    /// Colour order of image inputs.
    #[arg(long, value_enum)]
    color: Option<ColorArg>,
    /// How images reach the input size: stretch, or crop (shorter side, then centre).
    #[arg(long, value_enum)]
    resize: Option<ResizeArg>,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum ColorArg {
    Rgb,
    Bgr,
    Gray,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum ResizeArg {
    Stretch,
    Crop,
}

impl PreprocessArgs {
    /// Whether any override is given.
    pub fn any(&self) -> bool {
        self.mean.is_some() || self.std.is_some() || self.color.is_some() || self.resize.is_some()
    }

    /// Apply the overrides to the model's defaults.
    pub fn apply(
        &self,
        mut p: pocket_engine::data::image::Preprocess,
    ) -> Result<pocket_engine::data::image::Preprocess> {
        use pocket_engine::data::image::{Color, ResizeMode};
        if self.any() {
            p.source = format!("{} + command line", p.source);
        }
        if let Some(m) = &self.mean {
            p.mean = m.clone();
        }
        if let Some(s) = &self.std {
            if s.contains(&0.0) {
                anyhow::bail!("--std must not be 0");
            }
            p.std = s.clone();
        }
        if let Some(c) = self.color {
            p.color = match c {
                ColorArg::Rgb => Color::Rgb,
                ColorArg::Bgr => Color::Bgr,
                ColorArg::Gray => Color::Gray,
            };
        }
        if let Some(r) = self.resize {
            p.resize = match r {
                ResizeArg::Stretch => ResizeMode::Stretch,
                ResizeArg::Crop => ResizeMode::Crop,
            };
        }
        Ok(p)
    }
}

/// A progress bar for `total` samples.
pub fn progress_bar(what: &str, total: usize) -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(total as u64);
    let style = format!("{what} {{bar:30}} {{pos}}/{{len}} {{per_sec}} eta {{eta}}");
    bar.set_style(
        indicatif::ProgressStyle::with_template(&style)
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    bar
}
