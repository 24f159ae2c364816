//! `pocket inspect MODEL [--json]`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use pocket_engine::summary::{KeptNode, Summary};

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

/// Tensor counts by type, every subgraph.
fn print_types(s: &Summary) {
    let v: Vec<String> = s.dtypes.iter().map(|(k, n)| format!("{k} {n}")).collect();
    println!("Tensor types: {}", v.join(", "));
}

/// Every subgraph after the main one, with its inputs/outputs and callers.
fn print_subgraphs(s: &Summary) {
    if s.subgraphs.len() < 2 {
        return;
    }
    println!("Subgraphs ({}):", s.subgraphs.len());
    for sg in &s.subgraphs {
        let name = if sg.name.is_empty() {
            ""
        } else {
            sg.name.as_str()
        };
        println!(
            "  {}: '{name}' {} inputs, {} outputs, {} nodes, {} tensors",
            sg.index,
            sg.inputs.len(),
            sg.outputs.len(),
            sg.nodes,
            sg.tensors
        );
        for (dir, v) in [("in ", &sg.inputs), ("out", &sg.outputs)] {
            for (i, x) in v.iter().enumerate() {
                let (dt, shape) = if x.known {
                    (x.dtype.name(), fmt_shape(&x.shape))
                } else {
                    ("?", "unknown shape".to_string())
                };
                println!("      {dir} {i}: {:<24} {dt:<8} {shape}", x.name);
            }
        }
        for c in &sg.called_by {
            println!("      called by {c}");
        }
    }
}

/// Nodes kept without a kernel or translation, by op, with the first one's attributes.
fn print_kept(s: &Summary) {
    if s.kept.is_empty() {
        return;
    }
    let mut by_op: BTreeMap<&str, Vec<&KeptNode>> = BTreeMap::new();
    for k in &s.kept {
        by_op.entry(&k.op).or_default().push(k);
    }
    println!(
        "Kept ops ({} nodes; control flow and state run in the session, the others have no kernel):",
        s.kept.len()
    );
    for (op, nodes) in by_op {
        let first = nodes[0];
        let mut attrs: String = first
            .attrs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ");
        if attrs.chars().count() > 140 {
            attrs = attrs.chars().take(140).collect::<String>() + " ...";
        }
        let n = nodes.len();
        println!(
            "  {op} ({n} node{}, first: subgraph {} node {} '{}'){} {attrs}",
            if n == 1 { "" } else { "s" },
            first.subgraph,
            first.node,
            first.name,
            if first.runs { ", runs" } else { "" }
        );
    }
}

pub fn run(a: Args) -> Result<()> {
    let o = match tasks::open::open_with(
        &a.model,
        &a.shape.shapes()?,
        a.shape.signature(),
        &tasks::no_progress,
    ) {
        Ok(o) => o,
        Err(e) => {
            // inspect never refuses a readable file with free dimensions: show what the file
            // declares and why the graph needs sizes. Sizes the user gave that do not fit are
            // an error in their own words.
            if !a.shape.shapes()?.is_empty() {
                return Err(e);
            }
            let Ok(inputs) = tasks::open::declared_inputs(&a.model, a.shape.signature()) else {
                return Err(e);
            };
            if !inputs.iter().any(|i| i.has_free()) {
                return Err(e);
            }
            println!("Model: {}", a.model.display());
            println!("Inputs (as the file declares them):");
            for (i, x) in inputs.iter().enumerate() {
                println!("  {i}: {:<24} {}", x.name, x.symbolic());
            }
            println!("The graph could not be built at any placeholder size: {e:#}");
            println!(
                "Choose its sizes with --input-shape NAME=D,D,... to see its ops, shapes and MACs."
            );
            return Ok(());
        }
    };
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
            let (dt, shape) = if x.known {
                (x.dtype.name(), fmt_shape(&x.shape))
            } else {
                ("?", "unknown shape".to_string())
            };
            println!("  {i}: {:<24} {dt:<5} {shape}{q}", x.name);
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
    print_types(&s);
    print_subgraphs(&s);
    print_kept(&s);
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
        None if o.shapes.is_empty() => match o.metadata_sizes() {
            Some(m) => println!(
                "  sized by the model's metadata ({m}); change with --input-shape NAME=D,D,... \
                 or DIM=D"
            ),
            None => println!(
                "  sized by default (a TFLite file's stored shape, an ONNX batch of 1); \
                 change with --input-shape NAME=D,D,... or DIM=D"
            ),
        },
        None => println!("  sized by --input-shape {}", o.shapes),
    }
}
