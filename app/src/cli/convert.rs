//! `pocket convert MODEL -o OUT.tflite [...]`: quantize (float16, dynamic-range int8, full
//! int8) and write OUT.tflite plus OUT.recipe.json. Nothing is written when anything fails.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use pocket_engine::data::folder;
use pocket_engine::data::image::Preprocess;
use pocket_engine::formats::tflite;
use pocket_engine::quant::calib::Method;
use pocket_engine::quant::{self, Io, Mode, QuantHooks, Recipe, Weights};

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
    #[command(flatten)]
    pre: super::PreprocessArgs,
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
        None if s == "moving_average" => Method::MovingAverage {
            constant: quant::calib::default_ema(),
        },
        None if s == "percentile" => Method::Percentile {
            p: quant::calib::default_p(),
        },
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
        let text = std::fs::read_to_string(p)
            .with_context(|| format!("reading recipe {}", p.display()))?;
        return Recipe::from_json(&text).with_context(|| format!("in {}", p.display()));
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

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(x), Ok(y)) => x == y,
        _ => false,
    }
}

pub fn run(a: Args) -> Result<()> {
    if same_file(&a.model, &a.output) {
        bail!(
            "refusing to overwrite the input model {}; choose another --output",
            a.model.display()
        );
    }
    if matches!(a.mode, Some(ModeArg::Float32)) {
        let t0 = Instant::now();
        let mut g = super::load_model_nhwc(&a.model, a.nhwc_input)?;
        pocket_engine::passes::optimize(&mut g)?;
        let bytes = tflite::to_bytes(&g)?;
        pocket_engine::formats::write_atomic(&a.output, &bytes)?;
        eprintln!(
            "wrote {} ({}, float32) in {:.1} s",
            a.output.display(),
            super::fmt_bytes(bytes.len()),
            t0.elapsed().as_secs_f64()
        );
        return Ok(());
    }
    let r = recipe(&a)?;
    let g = super::load_model_nhwc(&a.model, a.nhwc_input)?;
    let t0 = Instant::now();
    let items = match (&a.calib, r.mode) {
        (Some(dir), _) => folder::list(dir, g.inputs.len())?,
        (None, Mode::Int8) => bail!(
            "--mode int8 needs calibration data: --calib DIR (a folder of images or .npy files)"
        ),
        (None, _) => Vec::new(),
    };
    // Preprocessing: the recipe's when it has one (replay), else the model's own + flags; the
    // spec used for calibration is saved in the recipe.
    let mut r = r;
    let pre: Vec<Preprocess> = match &r.preprocess {
        Some(p) => vec![p.clone(); g.inputs.len()],
        None => (0..g.inputs.len())
            .map(|i| a.pre.apply(Preprocess::for_input(&g, i)))
            .collect::<Result<_>>()?,
    };
    if r.mode == Mode::Int8 && items.iter().any(|it| matches!(it, folder::Item::Image(..))) {
        r.preprocess = pre.first().cloned();
    }
    let planned = items.len().min(r.calibration.max_samples);
    let bar = ProgressBar::new(planned as u64);
    bar.set_style(
        ProgressStyle::with_template("calibrating {bar:30} {pos}/{len} samples {elapsed_precise}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    if r.mode != Mode::Int8 {
        bar.finish_and_clear();
    }
    let progress = |done: usize, _: usize| bar.set_position(done as u64);
    let mut samples = items.iter().map(|it| folder::load(it, &g, &pre));
    let qg = quant::quantize(
        &g,
        &r,
        &mut samples,
        &QuantHooks {
            progress: Some(&progress),
            cancel: None,
        },
    )?;
    bar.finish_and_clear();
    let bytes = tflite::to_bytes(&qg)?;
    let recipe_path = recipe_path(&a.output);
    pocket_engine::formats::write_atomic(&a.output, &bytes)?;
    pocket_engine::formats::write_atomic(&recipe_path, r.to_json().as_bytes())?;
    let before = std::fs::metadata(&a.model).map(|m| m.len()).unwrap_or(0);
    eprintln!(
        "wrote {} ({}, {:.2}x the float file) and {} in {:.1} s",
        a.output.display(),
        super::fmt_bytes(bytes.len()),
        bytes.len() as f64 / before.max(1) as f64,
        recipe_path.display(),
        t0.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `OUT.tflite` -> `OUT.recipe.json`.
pub fn recipe_path(out: &Path) -> PathBuf {
    out.with_extension("recipe.json")
}
