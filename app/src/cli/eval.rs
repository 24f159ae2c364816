//! `pocket eval MODEL --data DIR [--json] [--report OUT_DIR]`.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use anyhow::Result;
use pocket_engine::data::image::Preprocess;

use crate::tasks;

/// Arguments of `pocket eval`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Classifier model (.tflite or .onnx).
    model: PathBuf,
    /// Labelled data: a folder with one sub-folder per class, a folder with labels.csv, or a
    /// .npz with arrays x and y.
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// Print the report as JSON (top-level `top1` and `top5` are fractions).
    #[arg(long)]
    json: bool,
    /// Also write report.json, report.md and PNG charts into this folder.
    #[arg(long, value_name = "OUT_DIR")]
    report: Option<PathBuf>,
    /// Worker threads for inference (default: all cores).
    #[arg(long, value_name = "N", value_parser = super::at_least_one)]
    threads: Option<usize>,
    /// Int8 numerics: `litert` (phone/desktop CPU, LiteRT's default path) or `reference`
    /// (microcontroller, TFLite Micro). Default: the `target` of the recipe beside the model, else
    /// `litert`.
    #[arg(long, value_name = "litert|reference")]
    numerics: Option<pocket_engine::Numerics>,
    #[command(flatten)]
    pre: super::PreprocessArgs,
    #[command(flatten)]
    shape: super::ShapeArgs,
}

pub fn run(a: Args) -> Result<()> {
    let shapes = a.shape.shapes_for_data(&a.model, &a.data)?;
    let g = super::load_model_nhwc(&a.model, false, &shapes, a.shape.signature())?;
    let pre = a.pre.apply(Preprocess::for_input(&g, 0))?;
    let bar = super::progress_bar("evaluating", 0);
    let progress = |d: usize, t: usize| {
        bar.set_length(t as u64);
        bar.set_position(d as u64);
    };
    let r = tasks::compare::evaluate(
        &g,
        tasks::open::file_size(&a.model),
        &a.data,
        Some(pre),
        (
            a.threads,
            pocket_engine::quant::recipe::numerics_for(&a.model, a.numerics)?,
        ),
        &progress,
        &AtomicBool::new(false),
    )?;
    bar.finish_and_clear();
    if let Some(dir) = &a.report {
        r.write(dir, &format!("Evaluation of {}", a.model.display()))?;
        eprintln!("report written to {}", dir.join("report.md").display());
    }
    if r.skipped > 0 {
        eprintln!(
            "warning: {} sample(s) could not be read and were skipped",
            r.skipped
        );
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    println!(
        "{}: top-1 {:.2}%, top-5 {:.2}% on {} samples ({:.1} images/s, {:.3} ms per inference; int8 numerics: {})",
        a.model.display(),
        100.0 * r.top1,
        100.0 * r.top5,
        r.samples,
        r.images_per_second,
        r.latency_ms,
        r.model.numerics
    );
    for (name, (n, acc)) in r.classes.iter().zip(&r.per_class) {
        println!("  {name:<20} {:>6.2}%  ({n} samples)", 100.0 * acc);
    }
    Ok(())
}
