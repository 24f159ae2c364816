//! `pocket run MODEL [--input [NAME=]FILE]... [--save DIR] [--top K] [--labels FILE]
//! [--threads N] [--steps N]`.

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
    /// and normalized from the model metadata or --mean/--std/--color. NAME=FILE gives the
    /// input NAME (its name or index); for ONNX files, NAME may also be an initializer the
    /// file lists as a graph input, which is then fed from FILE instead of the stored value.
    #[arg(long = "input", short = 'i', value_name = "[NAME=]FILE", value_parser = parse_input)]
    inputs: Vec<InputArg>,
    /// Write each output i to DIR/output_<i>.npy (with --steps: DIR/output_<i>_step<k>.npy for
    /// step k).
    #[arg(long, value_name = "DIR")]
    save: Option<PathBuf>,
    /// Run N steps through one session, so a streaming model's state (resource variables,
    /// CALL_ONCE) carries from step to step as in LiteRT's interpreter: an --input array with
    /// one more axis than the model's input, of length N, gives one slice per step; any other
    /// input is fed every step.
    #[arg(long, value_name = "N", value_parser = super::at_least_one)]
    steps: Option<usize>,
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
    /// Int8 numerics: `litert` (phone/desktop CPU, LiteRT's default path) or `reference`
    /// (microcontroller, TFLite Micro). Default: the `target` of the recipe beside the model,
    /// else `litert`.
    #[arg(long, value_name = "litert|reference")]
    numerics: Option<pocket_engine::Numerics>,
    #[command(flatten)]
    pre: super::PreprocessArgs,
    /// Input sizes; the arrays given with --input size their inputs first.
    #[command(flatten)]
    shape: super::ShapeArgs,
}

/// One `--input`: a file for the next input in order, or one for the input NAME.
#[derive(Clone, Debug)]
pub struct InputArg {
    name: Option<String>,
    path: PathBuf,
}

/// `NAME=FILE` unless the whole argument is an existing file (whose name may contain '=').
fn parse_input(s: &str) -> std::result::Result<InputArg, String> {
    if !Path::new(s).exists()
        && let Some((name, path)) = s.split_once('=')
        && !name.is_empty()
        && !name.contains(['/', '\\'])
    {
        if path.is_empty() {
            return Err(format!("'{s}': the file after '=' is missing"));
        }
        return Ok(InputArg {
            name: Some(name.to_string()),
            path: path.into(),
        });
    }
    Ok(InputArg {
        name: None,
        path: s.into(),
    })
}

/// The --input files in graph-input order, and the ONNX initializers they override.
struct Inputs {
    paths: Vec<PathBuf>,
    overrides: Vec<String>,
}

/// Place the --input files: named ones at their input (an unknown name that the ONNX file
/// lists as an overridable initializer becomes an input), the others in order in the slots left.
fn place_inputs(a: &Args) -> Result<Inputs> {
    if a.inputs.iter().all(|i| i.name.is_none()) {
        return Ok(Inputs {
            paths: a.inputs.iter().map(|i| i.path.clone()).collect(),
            overrides: Vec::new(),
        });
    }
    let sig = a.shape.signature();
    let names = |overrides: &[String]| -> Result<Vec<String>> {
        Ok(
            crate::tasks::open::declared_inputs_with(&a.model, sig, overrides)?
                .into_iter()
                .map(|d| d.name)
                .collect(),
        )
    };
    let plain = names(&[])?;
    let overridable = crate::tasks::open::overridable(&a.model)?;
    let mut overrides = Vec::new();
    for name in a.inputs.iter().filter_map(|i| i.name.as_deref()) {
        let is_index = name.parse::<usize>().is_ok_and(|k| k < plain.len());
        if plain.iter().any(|n| n == name) || is_index {
            continue;
        }
        if !overridable.iter().any(|n| n == name) {
            let mut known = format!("its inputs are {}", quoted(&plain));
            if !overridable.is_empty() {
                known += &format!(
                    "; initializers it lets you override: {}",
                    quoted(&overridable)
                );
            }
            bail!(
                "--input {name}=...: {} has no input named '{name}' ({known})",
                a.model.display()
            );
        }
        if !overrides.iter().any(|o| o == name) {
            overrides.push(name.to_string());
        }
    }
    let order = names(&overrides)?;
    let mut slots: Vec<Option<PathBuf>> = vec![None; order.len()];
    for inp in &a.inputs {
        let Some(name) = &inp.name else { continue };
        let k = order
            .iter()
            .position(|n| n == name)
            .or_else(|| name.parse::<usize>().ok())
            .filter(|&k| k < slots.len())
            .with_context(|| format!("--input {name}=...: no such input"))?;
        if slots[k].is_some() {
            bail!("input {k} '{}' is given twice", order[k]);
        }
        slots[k] = Some(inp.path.clone());
    }
    let mut rest = a.inputs.iter().filter(|i| i.name.is_none());
    for slot in slots.iter_mut().filter(|s| s.is_none()) {
        *slot = rest.next().map(|i| i.path.clone());
    }
    if rest.next().is_some() {
        bail!(
            "the model has {} input(s) ({}); more --input files were given",
            order.len(),
            order.join(", ")
        );
    }
    let missing: Vec<String> = slots
        .iter()
        .zip(&order)
        .enumerate()
        .filter(|(_, (s, _))| s.is_none())
        .map(|(k, (_, n))| format!("{k} '{n}'"))
        .collect();
    if !missing.is_empty() {
        bail!("no --input for input(s) {}", missing.join(", "));
    }
    Ok(Inputs {
        paths: slots.into_iter().flatten().collect(),
        overrides,
    })
}

fn quoted(names: &[String]) -> String {
    if names.is_empty() {
        return "none".into();
    }
    names
        .iter()
        .map(|n| format!("'{n}'"))
        .collect::<Vec<_>>()
        .join(", ")
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

/// With `--steps n`: for each --input, whether its array holds one slice per step (one more
/// axis than the model's input, of length `n`). The ranks come from the file at the sizes
/// --input-shape chooses; when it cannot be read without the arrays' sizes, an array of rank
/// two or more with a leading axis of `n` is taken as sliced.
fn sliced_inputs(
    a: &Args,
    overrides: &[String],
    arrays: &[Option<Value>],
    n: usize,
) -> Result<Vec<bool>> {
    let ranks: Option<Vec<usize>> = crate::tasks::open::read_sized_with(
        &a.model,
        a.nhwc_input,
        &a.shape.shapes()?,
        a.shape.signature(),
        overrides,
    )
    .ok()
    .map(|g| g.inputs.iter().map(|&t| g.tensors[t].shape.len()).collect());
    Ok(arrays
        .iter()
        .enumerate()
        .map(|(i, v)| {
            v.as_ref().is_some_and(|v| {
                let leading = v.shape.first() == Some(&n);
                match ranks.as_ref().and_then(|r| r.get(i)) {
                    Some(&r) => leading && v.shape.len() == r + 1,
                    None => leading && v.shape.len() >= 2,
                }
            })
        })
        .collect())
}

/// Slice `k` of `n` along the leading axis of `v`.
fn step_slice(v: &Value, k: usize, n: usize) -> Value {
    let m = v.numel() / n.max(1);
    let data = pocket_engine::map_data!(&v.data, x => x[k * m..(k + 1) * m].to_vec());
    Value::new(v.shape[1..].to_vec(), data)
}

pub fn run(a: Args) -> Result<()> {
    // Arrays size their inputs (as LiteRT's resize_tensor_input and ONNX Runtime do), ahead of
    // --input-shape; images are resized to the model's size.
    let mut shapes = a.shape.shapes()?;
    let Inputs { paths, overrides } = place_inputs(&a)?;
    let mut arrays: Vec<Option<Value>> = Vec::with_capacity(paths.len());
    for p in &paths {
        arrays.push(if is_image(p) {
            None
        } else {
            Some(npy::read(p)?)
        });
    }
    let steps = a.steps.unwrap_or(1);
    let sliced = match a.steps {
        Some(n) => sliced_inputs(&a, &overrides, &arrays, n)?,
        None => vec![false; arrays.len()],
    };
    for (i, v) in arrays.iter().enumerate().rev() {
        let Some(v) = v else { continue };
        let mut dims = v.shape[usize::from(sliced[i])..].to_vec();
        if a.nhwc_input && dims.len() == 4 {
            // --input-shape and the file speak NCHW; the array is NHWC.
            dims = vec![dims[0], dims[3], dims[1], dims[2]];
        }
        shapes.prefer_input(i, dims);
    }
    let read = |shapes: &pocket_engine::shapes::InputShapes| {
        super::load_model_with(
            &a.model,
            a.nhwc_input,
            shapes,
            a.shape.signature(),
            &overrides,
        )
    };
    let g = read(&shapes).or_else(|e| {
        // A count or rank mismatch is said below, in terms of --input and the array.
        match read(&a.shape.shapes()?) {
            Ok(g)
                if g.inputs.len() != paths.len()
                    || g.inputs.iter().zip(&arrays).any(|(&t, v)| {
                        v.as_ref()
                            .is_some_and(|v| v.shape.len() != g.tensors[t].shape.len())
                    }) =>
            {
                Ok(g)
            }
            _ => Err(e),
        }
    })?;
    if paths.len() != g.inputs.len() {
        // A model that cannot run says so first (naming every op it lacks): no --input helps.
        if let Err(e) = Session::new(
            &g,
            &SessionOptions {
                threads: 1,
                ..Default::default()
            },
        ) {
            return Err(e.into());
        }
        bail!(
            "the model has {} input(s) ({}); pass one --input per input, got {}",
            g.inputs.len(),
            (0..g.inputs.len())
                .map(|i| g.input_name(i))
                .collect::<Vec<_>>()
                .join(", "),
            paths.len()
        );
    }
    // The inputs of each step: sliced arrays give one slice per step, the rest are loaded once.
    let fixed: Vec<Option<Value>> = paths
        .iter()
        .zip(&arrays)
        .enumerate()
        .map(|(i, (p, v))| {
            if sliced[i] {
                Ok(None)
            } else {
                load_input(&a, &g, i, p, v.clone()).map(Some)
            }
        })
        .collect::<Result<_>>()?;
    let step_inputs = |k: usize| -> Result<Vec<Value>> {
        fixed
            .iter()
            .enumerate()
            .map(|(i, f)| match (f, &arrays[i]) {
                (Some(v), _) => Ok(v.clone()),
                (None, Some(arr)) => {
                    load_input(&a, &g, i, &paths[i], Some(step_slice(arr, k, steps)))
                        .with_context(|| format!("step {k}"))
                }
                (None, None) => bail!("input {i} has no value"),
            })
            .collect()
    };
    let opts = SessionOptions {
        threads: crate::tasks::defaults::threads(a.threads)?,
        numerics: pocket_engine::quant::recipe::numerics_for(&a.model, a.numerics)?,
    };
    let session = Session::new(&g, &opts)?;
    let labels = read_labels(&a, &g)?;
    let mut elapsed = std::time::Duration::ZERO;
    for k in 0..steps {
        let inputs = step_inputs(k)?;
        let step = a.steps.map(|_| k);
        let tail = step.map_or(String::new(), |k| format!("_step{k}"));
        let t0 = Instant::now();
        let outputs = match &a.save_intermediates {
            None => session.run(inputs)?,
            Some(dir) => {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("creating {}", dir.display()))?;
                let mut failed = None;
                let mut save = |_: usize, n: &pocket_engine::Node, outs: &[&Value]| {
                    for (&t, v) in n.outputs.iter().zip(outs) {
                        if let Err(e) = npy::write(dir.join(format!("t{t}{tail}.npy")), v) {
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
        elapsed += t0.elapsed();
        report(&a, &g, &labels, step, &outputs)?;
    }
    match a.steps {
        None => eprintln!(
            "inference: {:.2} ms on {} thread(s)",
            elapsed.as_secs_f64() * 1e3,
            opts.threads
        ),
        Some(n) => eprintln!(
            "inference: {n} steps, {:.2} ms in all ({:.3} ms per step) on {} thread(s)",
            elapsed.as_secs_f64() * 1e3,
            elapsed.as_secs_f64() * 1e3 / n as f64,
            opts.threads
        ),
    }
    if let Some(dir) = &a.save {
        eprintln!(
            "saved {} output(s){} to {}",
            g.outputs.len(),
            a.steps.map_or(String::new(), |n| format!(" of {n} steps")),
            dir.display()
        );
    }
    Ok(())
}

/// Print the outputs of one run (of step `step`) and save them when --save asks.
fn report(
    a: &Args,
    g: &Graph,
    labels: &[String],
    step: Option<usize>,
    outputs: &[Value],
) -> Result<()> {
    let prefix = step.map_or(String::new(), |k| format!("step {k} "));
    for (i, o) in outputs.iter().enumerate() {
        let vals = o.data.to_f64();
        let (mn, mx) = vals
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| {
                (a.min(v), b.max(v))
            });
        println!(
            "{prefix}output {i} '{}': {} {:?}  min {mn:.6} max {mx:.6}",
            g.output_name(i),
            o.dtype(),
            o.shape
        );
        if let Some(k) = a.top {
            // Scores, not raw integers: quantized outputs are dequantized first.
            let vals = pocket_engine::eval::output_f32(o, g, i);
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
        let tail = step.map_or(String::new(), |k| format!("_step{k}"));
        for (i, o) in outputs.iter().enumerate() {
            npy::write(dir.join(format!("output_{i}{tail}.npy")), o)?;
        }
    }
    Ok(())
}
