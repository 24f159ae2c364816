//! `pocket run MODEL [--input FILE]... [--save DIR] [--top K] [--labels FILE] [--threads N]`.

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use pocket_engine::data::image::{Preprocess, to_input};
use pocket_engine::formats::npy;
use pocket_engine::{Graph, Session, SessionOptions, Value};

/// Arguments of `pocket run`.
#[derive(clap::Args, Debug)]
pub struct Args {
    /// Model file (.tflite or .onnx).
    model: PathBuf,
    /// ONNX models: make the image input NHWC ([N, H, W, C]) instead of keeping NCHW.
    #[arg(long)]
    nhwc_input: bool,
    /// One input per graph input, in order: a .npy array (float arrays fed to int8 inputs are
    /// quantized with the input's parameters) or an image (png, jpeg), resized to the input
    /// and normalized from the model metadata or --mean/--std/--color.
    #[arg(long = "input", short = 'i', value_name = "FILE")]
    inputs: Vec<PathBuf>,
    /// Write each output i to DIR/output_<i>.npy.
    #[arg(long, value_name = "DIR")]
    save: Option<PathBuf>,
    /// Also write every intermediate tensor to DIR/t<index>.npy (tensor index as in the file),
    /// to compare layer by layer with another runtime.
    #[arg(long, value_name = "DIR")]
    save_intermediates: Option<PathBuf>,
    /// Print the K highest-scoring classes of each output.
    #[arg(long, value_name = "K")]
    top: Option<usize>,
    /// Class labels, one per line (default: labels stored in the model).
    #[arg(long, value_name = "FILE")]
    labels: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long, value_name = "N", value_parser = super::at_least_one)]
    threads: Option<usize>,
    #[command(flatten)]
    pre: super::PreprocessArgs,
    /// Input sizes; the arrays given with --input size their inputs first.
    #[command(flatten)]
    shape: super::ShapeArgs,
}

fn is_image(p: &Path) -> bool {
    matches!(
        p.extension()
            .and_then(|e| e.to_str())
            .map(|e| e.to_ascii_lowercase())
            .as_deref(),
        Some("png" | "jpg" | "jpeg" | "bmp")
    )
}

fn load_input(a: &Args, g: &Graph, i: usize, path: &Path, array: Option<Value>) -> Result<Value> {
    if is_image(path) {
        let p = a.pre.apply(Preprocess::for_input(g, i))?;
        eprintln!(
            "input {i} '{}': {} as {:?} ({:?}), (x - {:?}) / {:?} [{}]",
            g.input_name(i),
            path.display(),
            p.color,
            p.resize,
            p.mean,
            p.std,
            p.source
        );
        return p
            .load(path, g, i)
            .with_context(|| format!("input {i} '{}' from {}", g.input_name(i), path.display()));
    }
    let v = match array {
        Some(v) => v,
        None => npy::read(path)?,
    };
    let t = &g.tensors[g.inputs[i]];
    let name = g.input_name(i);
    let v =
        to_input(v, g, i).with_context(|| format!("input {i} '{name}' from {}", path.display()))?;
    if v.shape.len() != t.shape.len() {
        bail!(
            "{}: array has shape {:?}, input {i} '{name}' expects {:?}",
            path.display(),
            v.shape,
            t.shape
        );
    }
    Ok(v)
}

fn read_labels(a: &Args, g: &Graph) -> Result<Vec<String>> {
    match &a.labels {
        Some(p) => Ok(std::fs::read_to_string(p)
            .with_context(|| format!("reading labels {}", p.display()))?
            .lines()
            .map(|l| l.trim().to_string())
            .collect()),
        None => Ok(g.meta.labels.clone()),
    }
}

pub fn run(a: Args) -> Result<()> {
    // Arrays size their inputs (as LiteRT's resize_tensor_input and ONNX Runtime do), ahead of
    // --input-shape; images are resized to the model's size.
    let mut shapes = a.shape.shapes()?;
    let mut arrays: Vec<Option<Value>> = Vec::with_capacity(a.inputs.len());
    for (i, p) in a.inputs.iter().enumerate().rev() {
        if is_image(p) {
            arrays.push(None);
            continue;
        }
        let v = npy::read(p)?;
        let mut dims = v.shape.clone();
        if a.nhwc_input && dims.len() == 4 {
            // --input-shape and the file speak NCHW; the array is NHWC.
            dims = vec![dims[0], dims[3], dims[1], dims[2]];
        }
        shapes.prefer_input(i, dims);
        arrays.push(Some(v));
    }
    arrays.reverse();
    let g = super::load_model_nhwc(&a.model, a.nhwc_input, &shapes, a.shape.signature()).or_else(
        |e| {
            // A count or rank mismatch is said below, in terms of --input and the array.
            let n = crate::tasks::open::read_sized(
                &a.model,
                a.nhwc_input,
                &a.shape.shapes()?,
                a.shape.signature(),
            );
            match n {
                Ok(g)
                    if g.inputs.len() != a.inputs.len()
                        || g.inputs.iter().zip(&arrays).any(|(&t, v)| {
                            v.as_ref()
                                .is_some_and(|v| v.shape.len() != g.tensors[t].shape.len())
                        }) =>
                {
                    Ok(g)
                }
                _ => Err(e),
            }
        },
    )?;
    if a.inputs.len() != g.inputs.len() {
        bail!(
            "the model has {} input(s) ({}); pass one --input per input, got {}",
            g.inputs.len(),
            (0..g.inputs.len())
                .map(|i| g.input_name(i))
                .collect::<Vec<_>>()
                .join(", "),
            a.inputs.len()
        );
    }
    let inputs: Vec<Value> = a
        .inputs
        .iter()
        .zip(arrays)
        .enumerate()
        .map(|(i, (p, v))| load_input(&a, &g, i, p, v))
        .collect::<Result<_>>()?;
    let opts = SessionOptions {
        threads: crate::tasks::defaults::threads(a.threads)?,
    };
    let session = Session::new(&g, &opts)?;
    let t0 = Instant::now();
    let outputs = match &a.save_intermediates {
        None => session.run(inputs)?,
        Some(dir) => {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
            let mut failed = None;
            let mut save = |_: usize, n: &pocket_engine::Node, outs: &[&Value]| {
                for (&t, v) in n.outputs.iter().zip(outs) {
                    if let Err(e) = npy::write(dir.join(format!("t{t}.npy")), v) {
                        failed.get_or_insert(e);
                    }
                }
            };
            let out = session.run_with(
                inputs,
                &mut pocket_engine::runtime::RunHooks {
                    observer: Some(&mut save),
                    ..Default::default()
                },
            )?;
            if let Some(e) = failed {
                return Err(e.into());
            }
            out
        }
    };
    let dt = t0.elapsed();
    eprintln!(
        "inference: {:.2} ms on {} thread(s)",
        dt.as_secs_f64() * 1e3,
        opts.threads
    );
    let labels = read_labels(&a, &g)?;
    for (i, o) in outputs.iter().enumerate() {
        let vals = o.data.to_f64();
        let (mn, mx) = vals
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        println!(
            "output {i} '{}': {} {:?}  min {mn:.6} max {mx:.6}",
            g.output_name(i),
            o.dtype(),
            o.shape
        );
        if let Some(k) = a.top {
            // Scores, not raw integers: quantized outputs are dequantized first.
            let vals = pocket_engine::eval::output_f32(o, &g, i);
            let n = o.shape.last().copied().unwrap_or(1).max(1);
            let mut idx: Vec<usize> = (0..n.min(vals.len())).collect();
            idx.sort_by(|&x, &y| vals[y].total_cmp(&vals[x]).then(x.cmp(&y)));
            for (rank, &c) in idx.iter().take(k).enumerate() {
                let name = labels.get(c).map(String::as_str).unwrap_or("");
                println!("  {}. class {c:<5} {:>12.6}  {name}", rank + 1, vals[c]);
            }
        }
    }
    if let Some(dir) = &a.save {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        for (i, o) in outputs.iter().enumerate() {
            let p = dir.join(format!("output_{i}.npy"));
            npy::write(&p, o)?;
        }
        eprintln!("saved {} output(s) to {}", outputs.len(), dir.display());
    }
    Ok(())
}
