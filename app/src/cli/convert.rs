//! `pocket convert MODEL -o OUT.tflite [...]`: quantize (float16, dynamic-range int8, full
//! int8) and write OUT.tflite plus OUT.recipe.json. Nothing is written when anything fails.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::Instant;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use pocket_engine::data::image::Preprocess;
use pocket_engine::quant::calib::Method;
use pocket_engine::quant::{Io, Mode, Recipe, Weights};

use crate::tasks::{self, defaults, export::Export, quantize::Request};

/// Arguments of `pocket convert`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Float model to quantize (.tflite or .onnx).
    model: PathBuf,
    /// ONNX models: make the image input NHWC ([N, H, W, C]) instead of keeping NCHW, so the
    /// exported .tflite has no transpose at all.
    #[arg(long)]
    nhwc_input: bool,
    /// Output model; the recipe is saved next to it as OUT.recipe.json.
    #[arg(short, long, value_name = "OUT.tflite")]
    output: PathBuf,
    /// Recipe file (JSON); the flags below are then not allowed.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["mode", "io", "per_tensor", "calib_samples", "calib_method", "keep_float"])]
    recipe: Option<PathBuf>,
    /// float32: no quantization (e.g. ONNX to .tflite as it is); float16: half-size weights;
    /// dynamic: int8 weights, float activations; int8: everything int8, calibrated with --calib.
    #[arg(long, value_enum)]
    mode: Option<ModeArg>,
    /// Input/output type of an int8 model.
    #[arg(long, value_enum)]
    io: Option<IoArg>,
    /// One weight scale per tensor instead of per output channel.
    #[arg(long)]
    per_tensor: bool,
    /// Calibration data: a folder of images (class sub-folders allowed) or of .npy files.
    #[arg(long, value_name = "DIR")]
    calib: Option<PathBuf>,
    /// Use at most N calibration samples [default: 100].
    #[arg(long, value_name = "N")]
    calib_samples: Option<usize>,
    /// Activation range method: minmax, moving_average, percentile[=P], mse, entropy.
    #[arg(long, value_name = "METHOD")]
    calib_method: Option<String>,
    /// Keep nodes in float: a node name or a regular expression over node and op names.
    #[arg(long = "keep-float", value_name = "PATTERN")]
    keep_float: Vec<String>,
    /// The target the model is for, recorded as the recipe's `target`: `litert` (phone/desktop
    /// CPU) or `reference` (microcontroller, TFLite Micro). `pocket run`, `bench`, `eval` and
    /// `compare` then compute its int8 arithmetic by default. Overrides a --recipe's target.
    #[arg(long, value_name = "litert|reference")]
    numerics: Option<pocket_engine::Numerics>,
    #[command(flatten)]
    pre: super::PreprocessArgs,
    #[command(flatten)]
    shape: super::ShapeArgs,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum ModeArg {
    /// No quantization: the graph optimized and written as a float .tflite (ONNX → TFLite).
    Float32,
    Float16,
    Dynamic,
    Int8,
}

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
enum IoArg {
    Float,
    Int8,
    Uint8,
}

fn parse_method(s: &str) -> Result<Method> {
    Ok(match s.split_once('=') {
        None if s == "minmax" => Method::Minmax,
        None if s == "moving_average" => defaults::moving_average_method(),
        None if s == "percentile" => defaults::percentile_method(),
        Some(("percentile", p)) => {
            let p: f32 = p
                .parse()
                .with_context(|| format!("percentile '{p}' is not a number"))?;
            if !(50.0..=100.0).contains(&p) {
                bail!("percentile must be between 50 and 100, got {p}");
            }
            Method::Percentile { p }
        }
        None if s == "mse" => Method::Mse,
        None if s == "entropy" => Method::Entropy,
        _ => bail!(
            "unknown calibration method '{s}' (use minmax, moving_average, percentile[=P], mse or entropy)"
        ),
    })
}

fn recipe(a: &Args) -> Result<Recipe> {
    if let Some(p) = &a.recipe {
        return tasks::quantize::read_recipe(p);
    }
    let Some(mode) = a.mode else {
        bail!("choose --mode float16|dynamic|int8, or give --recipe FILE")
    };
    let mut r = Recipe::new(match mode {
        ModeArg::Float32 => {
            bail!("--mode float32 writes the float model as it is; it has no recipe")
        }
        ModeArg::Float16 => Mode::Float16,
        ModeArg::Dynamic => Mode::DynamicRangeInt8,
        ModeArg::Int8 => Mode::Int8,
    });
    r.io = match a.io {
        None | Some(IoArg::Float) => Io::Float,
        Some(IoArg::Int8) => Io::Int8,
        Some(IoArg::Uint8) => Io::Uint8,
    };
    if a.io.is_some() && r.mode != Mode::Int8 {
        bail!("--io applies to --mode int8 only");
    }
    if a.per_tensor {
        r.weights = Weights::PerTensor;
    }
    if let Some(n) = a.calib_samples {
        if n == 0 {
            bail!("--calib-samples must be at least 1");
        }
        r.calibration.max_samples = n;
    }
    if let Some(m) = &a.calib_method {
        r.calibration.method = parse_method(m)?;
    }
    r.keep_float = a.keep_float.clone();
    Ok(r)
}

/// The model to convert, at the chosen sizes, checked for resizing (see
/// `tasks::open::read_for_export`).
fn load(a: &Args) -> Result<pocket_engine::Graph> {
    if a.nhwc_input && !tasks::open::is_onnx(&a.model) {
        bail!("--nhwc-input applies to .onnx models (TFLite inputs are NHWC already)");
    }
    let shapes = match &a.calib {
        // Int8 calibrates at the size of the calibration data (--input-shape wins).
        Some(dir) => a.shape.shapes_for_data(&a.model, dir)?,
        None => a.shape.shapes()?,
    };
    tasks::open::read_for_export(&a.model, a.nhwc_input, &shapes, a.shape.signature())
}

pub fn run(a: Args) -> Result<()> {
    // The output is checked before any work, so a bad -o fails at once and says so.
    tasks::export::check_destination(&a.output, Some(&a.model))?;
    let t0 = Instant::now();
    if matches!(a.mode, Some(ModeArg::Float32)) {
        let g = load(&a)?;
        let (bytes, flex) = tasks::quantize::float32_flex(g)?;
        if let Some(line) = flex.describe() {
            eprintln!("note: {line}");
        }
        let w = tasks::export::export(&Export {
            path: &a.output,
            model: &bytes,
            recipe: None,
            report: None,
            source: Some(&a.model),
        })?;
        eprintln!(
            "wrote {} ({}, float32) in {:.1} s",
            w.model.display(),
            super::fmt_bytes(bytes.len()),
            t0.elapsed().as_secs_f64()
        );
        return Ok(());
    }
    let mut r = recipe(&a)?;
    if let Some(n) = a.numerics {
        r.target = Some(n);
    }
    if r.mode == Mode::Int8 && a.calib.is_none() {
        bail!("--mode int8 needs calibration data: --calib DIR (a folder of images or .npy files)");
    }
    if r.mode != Mode::Int8 && a.calib.is_some() {
        eprintln!("note: --calib is used by int8 quantization only; ignored");
    }
    if r.preprocess.is_some() && a.pre.any() {
        eprintln!(
            "warning: the recipe names its preprocessing; --mean/--std/--color/--resize are ignored"
        );
    }
    let g = load(&a)?;
    let pre: Vec<Preprocess> = (0..g.inputs.len())
        .map(|i| a.pre.apply(Preprocess::for_input(&g, i)))
        .collect::<Result<_>>()?;
    let bar = ProgressBar::hidden();
    bar.set_style(
        ProgressStyle::with_template("calibrating {bar:30} {pos}/{len} samples {elapsed_precise}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let progress = |done: usize, total: usize| {
        if bar.is_hidden() {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    };
    let q = tasks::quantize::quantize(
        Request {
            graph: &g,
            recipe: r,
            calib: a.calib.as_deref(),
            preprocess: Some(pre),
        },
        &progress,
        &AtomicBool::new(false),
    )?;
    bar.finish_and_clear();
    if let Some(line) = q.flex.describe() {
        eprintln!("note: {line}");
    }
    let w = tasks::export::export(&Export {
        path: &a.output,
        model: &q.bytes,
        recipe: Some(&q.recipe),
        report: None,
        source: Some(&a.model),
    })?;
    let before = tasks::open::file_size(&a.model);
    eprintln!(
        "wrote {} ({}, {:.2}x the float file) and {} in {:.1} s",
        w.model.display(),
        super::fmt_bytes(q.bytes.len()),
        q.bytes.len() as f64 / before.max(1) as f64,
        w.recipe.as_deref().unwrap_or(&a.output).display(),
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}
