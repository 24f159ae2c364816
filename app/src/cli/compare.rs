//! `pocket compare FLOAT QUANT --data DIR [--report OUT_DIR] [--json]`: accuracy on labelled
//! data, output and per-layer error on any data.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use anyhow::Result;
use pocket_engine::data::image::Preprocess;

use crate::tasks::{self, compare::Pair};

/// Arguments of `pocket compare`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// The float model.
    float: PathBuf,
    /// The quantized model.
    quant: PathBuf,
    /// Data to run both models on: labelled (as for `pocket eval`) adds top-1/top-5 accuracy;
    /// any folder of images or .npy arrays (or a .npz with x) compares the outputs of any
    /// model — detectors, landmarks, masks — by SQNR, cosine and absolute error.
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    /// Write report.json, report.md and PNG charts into this folder.
    #[arg(long, value_name = "OUT_DIR")]
    report: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    json: bool,
    /// Worker threads for inference (default: all cores).
    #[arg(long, value_name = "N", value_parser = super::at_least_one)]
    threads: Option<usize>,
    /// Int8 numerics: `litert` (phone/desktop CPU, LiteRT's default path) or `reference`
    /// (microcontroller, TFLite Micro). Default: the `target` of the recipe beside the quantized
    /// model, else `litert`.
    #[arg(long, value_name = "litert|reference")]
    numerics: Option<pocket_engine::Numerics>,
    #[command(flatten)]
    pre: super::PreprocessArgs,
    #[command(flatten)]
    shape: super::ShapeArgs,
}

pub fn run(a: Args) -> Result<()> {
    // The signature names an entry point of the .tflite model(s).
    let sig = |p: &std::path::Path| a.shape.signature().filter(|_| !tasks::open::is_onnx(p));
    // Free input sizes follow the data, in each model (an export may be fixed where the float
    // model is free, and its free dimensions may be named otherwise).
    let read = |p: &std::path::Path| -> Result<pocket_engine::Graph> {
        let shapes = a.shape.shapes_for_data(p, &a.data)?;
        tasks::open::read_sized(p, false, &shapes, sig(p))
    };
    let fg = read(&a.float)?;
    let qg = read(&a.quant)?;
    let pre = a.pre.apply(Preprocess::for_input(&fg, 0))?;
    let bar = super::progress_bar("comparing", 0);
    let progress = |d: usize, t: usize| {
        bar.set_length(t as u64);
        bar.set_position(d as u64);
    };
    let pair = Pair {
        float: &fg,
        float_bytes: tasks::open::file_size(&a.float),
        quant: &qg,
        quant_bytes: tasks::open::file_size(&a.quant),
    };
    let r = tasks::compare::compare(
        &pair,
        &a.data,
        Some(pre),
        (
            a.threads,
            pocket_engine::quant::recipe::numerics_for(&a.quant, a.numerics)?,
        ),
        &progress,
        &AtomicBool::new(false),
    )?;
    bar.finish_and_clear();
    if let Some(dir) = &a.report {
        r.write(dir)?;
        eprintln!("report written to {}", dir.join("report.md").display());
    }
    if r.quant.skipped > 0 {
        eprintln!(
            "warning: {} sample(s) could not be read and were skipped",
            r.quant.skipped
        );
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    if let Some(note) = &r.note {
        eprintln!("note: {note}");
    }
    println!(
        "{} samples, {:.1} images/s, int8 numerics: {}",
        r.quant.samples, r.images_per_second, r.quant.model.numerics
    );
    println!("              float      quantized");
    if r.labelled {
        println!(
            "top-1      {:>8.2}%  {:>8.2}%",
            100.0 * r.float.top1,
            100.0 * r.quant.top1
        );
        println!(
            "top-5      {:>8.2}%  {:>8.2}%",
            100.0 * r.float.top5,
            100.0 * r.quant.top5
        );
    }
    println!(
        "size       {:>8.1}K  {:>8.1}K  ({:.2}x)",
        r.float.model.file_bytes as f64 / 1024.0,
        r.quant.model.file_bytes as f64 / 1024.0,
        r.size_ratio
    );
    println!(
        "latency    {:>7.3}ms  {:>7.3}ms",
        r.float.latency_ms, r.quant.latency_ms
    );
    if r.agreement.is_finite() {
        println!("agreement (same top-1): {:.2}%", 100.0 * r.agreement);
    }
    println!("outputs (quantized against float):");
    for o in &r.outputs {
        println!(
            "  {:<28} {:<16} SQNR {:>6.1} dB  cosine {:.5}  max |err| {:.4}  mean |err| {:.4}  (float RMS {:.4})",
            o.name,
            format!("{:?}", o.shape),
            o.sqnr_db,
            o.cosine,
            o.max_abs_error,
            o.mean_abs_error,
            o.float_rms
        );
    }
    if !r.tasks.is_empty() {
        println!("boxes and masks (decoded from both models):");
        for t in &r.tasks {
            println!(
                "  {:<28} {:<6} mean IoU {:.3}  matched {:.1}%  {}",
                t.outputs,
                t.kind,
                t.mean_iou,
                100.0 * t.matched,
                t.detail
            );
        }
    }
    println!("layers that lost the most precision:");
    for &i in &r.worst {
        let l = &r.layers[i];
        println!(
            "  {:<40} {:<20} SQNR {:>6.1} dB  RMSE/scale {:.3}",
            pocket_engine::eval::report::short_name(&l.tensor),
            l.op,
            l.sqnr_db,
            l.rmse_over_scale
        );
    }
    Ok(())
}
