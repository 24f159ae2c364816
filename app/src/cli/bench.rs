//! `pocket bench MODEL [--threads N] [--runs N] [--warmup N] [--profile] [--json]`: latency of
//! one inference on deterministic random inputs (median, p90, min, mean), peak memory, and with
//! `--profile` a per-op table in the style of LiteRT's `benchmark_model` op profiling.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;

use anyhow::Result;

use crate::tasks::{self, bench, defaults};

/// Arguments of `pocket bench`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Model file (.tflite or .onnx).
    model: PathBuf,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N", value_parser = super::at_least_one)]
    threads: Option<usize>,
    /// Timed runs.
    #[arg(long, value_name = "N", default_value_t = defaults::BENCH_RUNS, value_parser = super::at_least_one)]
    runs: usize,
    /// Untimed runs first (caches, packed weights).
    #[arg(long, value_name = "N", default_value_t = defaults::BENCH_WARMUP)]
    warmup: usize,
    /// Time every op (adds a little overhead per op) and print a per-op-type and a per-node table.
    #[arg(long)]
    profile: bool,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Int8 numerics: `litert` (phone/desktop CPU, LiteRT's default path) or `reference`
    /// (microcontroller, TFLite Micro). Default: the `target` of the recipe beside the model,
    /// else `litert`.
    #[arg(long, value_name = "litert|reference")]
    numerics: Option<pocket_engine::Numerics>,
    #[command(flatten)]
    shape: super::ShapeArgs,
}

/// `pocket bench`.
pub fn run(a: Args) -> Result<()> {
    let g = a.shape.load(&a.model, false)?;
    let opts = bench::Options {
        threads: a.threads,
        runs: a.runs,
        warmup: a.warmup,
        profile: a.profile,
        numerics: pocket_engine::quant::recipe::numerics_for(&a.model, a.numerics)?,
    };
    let r = bench::bench(
        &g,
        &a.model,
        &opts,
        &tasks::no_progress,
        &AtomicBool::new(false),
    )?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&r)?);
        return Ok(());
    }
    println!("Model: {}", r.model);
    println!(
        "Threads: {}   runs: {} (after {} warm-up)   prepare: {:.1} ms",
        r.threads, r.runs, r.warmup, r.prepare_ms
    );
    println!(
        "Latency ms: median {:.3}   p90 {:.3}   min {:.3}   mean {:.3}",
        r.median_ms, r.p90_ms, r.min_ms, r.mean_ms
    );
    println!(
        "Peak memory (RSS): {:.1} MiB",
        r.peak_rss_bytes as f64 / (1 << 20) as f64
    );
    if !r.ops.is_empty() {
        println!("\nBy op type (average per run):");
        println!(
            "  {:<26} {:>5} {:>10} {:>7} {:>14} {:>9}",
            "op", "count", "ms", "%", "MACs", "GMAC/s"
        );
        for o in &r.ops {
            println!(
                "  {:<26} {:>5} {:>10.3} {:>6.1}% {:>14} {:>9.2}",
                o.op, o.count, o.ms, o.percent, o.macs, o.gmacs
            );
        }
        println!("\nSlowest nodes:");
        println!(
            "  {:>5} {:<22} {:>10} {:>14}  name",
            "node", "op", "ms", "MACs"
        );
        for n in r.nodes.iter().take(10) {
            println!(
                "  {:>5} {:<22} {:>10.3} {:>14}  {}",
                n.node, n.op, n.ms, n.macs, n.name
            );
        }
    }
    Ok(())
}
