//! `pocket inspect MODEL [--json]`.

use std::path::PathBuf;

use super::{fmt_bytes, fmt_shape};
use crate::tasks;
use anyhow::Result;

/// Arguments of `pocket inspect`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Model file (.tflite or .onnx).
    model: PathBuf,
    /// Print machine-readable JSON instead of text.
    #[arg(long)]
    json: bool,
    /// Shapes, memory and MACs are shown at these sizes.
    #[command(flatten)]
    shape: super::ShapeArgs,
}

pub fn run(a: Args) -> Result<()> {
    let o = tasks::open::open_with(
        &a.model,
        &a.shape.shapes()?,
        a.shape.signature(),
        &tasks::no_progress,
    )?;
    let s = &o.summary;
    if a.json {
        println!("{}", serde_json::to_string_pretty(s)?);
        return Ok(());
    }
    println!("Model: {}", a.model.display());
    if let Some(d) = &s.description {
        println!("Description: {d}");
    }
    let io = |title: &str, v: &[pocket_engine::summary::IoInfo]| {
        println!("{title}:");
        for (i, x) in v.iter().enumerate() {
            let q = x
                .quant
                .map(|(s, z)| format!("  scale {s:.6} zero point {z}"))
                .unwrap_or_default();
            println!(
                "  {i}: {:<24} {:<5} {}{q}",
                x.name,
                x.dtype.name(),
                fmt_shape(&x.shape)
            );
        }
    };
    io("Inputs", &s.inputs);
    free_dims(&o);
    io("Outputs", &s.outputs);
    println!("Ops ({} nodes):", s.nodes);
    println!("  {:<26} {:>6} {:>14}", "op", "count", "MACs");
    for o in &s.ops {
        println!("  {:<26} {:>6} {:>14}", o.op, o.count, o.macs);
    }
    println!("Tensors: {}", s.tensors);
    println!("Parameters: {}", s.params);
    let total: usize = s.weight_bytes.values().sum();
    let by: Vec<String> = s
        .weight_bytes
        .iter()
        .map(|(k, v)| format!("{k} {}", fmt_bytes(*v)))
        .collect();
    println!(
        "Weights: {} ({})",
        fmt_bytes(total),
        if by.is_empty() {
            "none".into()
        } else {
            by.join(", ")
        }
    );
    println!(
        "MACs per inference: {} ({:.3} G)",
        s.macs,
        s.macs as f64 / 1e9
    );
    if s.labels > 0 {
        println!("Labels: {} (from model metadata)", s.labels);
    }
    if s.unsupported.is_empty() {
        println!("Runnable: yes, every op has a kernel");
    } else {
        println!("Runnable: no, these ops cannot run yet:");
        for u in &s.unsupported {
            println!("  - {u}");
        }
    }
    Ok(())
}

/// The inputs' free dimensions and the sizes the graph below is shown at.
fn free_dims(o: &tasks::open::Opened) {
    let free = o.free_dims();
    if free.is_empty() {
        return;
    }
    println!("Free dimensions:");
    for inp in o.inputs.iter().filter(|i| i.has_free()) {
        let i = o
            .inputs
            .iter()
            .position(|x| x.name == inp.name)
            .unwrap_or(0);
        let now = o
            .graph
            .inputs
            .get(i)
            .map(|&t| format!("{:?}", o.graph.tensors[t].shape))
            .unwrap_or_default();
        println!("  input '{}' {}, shown at {now}", inp.name, inp.symbolic());
    }
    match &o.placeholder {
        Some((dims, p)) => {
            let names: Vec<&str> = dims.iter().map(|d| d.name.as_str()).collect();
            println!(
                "  {} not sized: shapes, memory and MACs below are for the placeholder {p} \
                 (choose sizes with --input-shape NAME=D,D,... or DIM=D)",
                names.join(", ")
            );
        }
        None if o.shapes.is_empty() => {
            println!(
                "  sized by default (a TFLite file's stored shape, an ONNX batch of 1); \
                 change with --input-shape NAME=D,D,... or DIM=D"
            )
        }
        None => println!("  sized by --input-shape {}", o.shapes),
    }
}
