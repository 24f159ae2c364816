//! Evaluation and comparison on labelled data: accuracy (top-1, top-5, per class, confusion),
//! agreement of a quantized model with its float original (same top-1, output SQNR and cosine),
//! per-layer error in lockstep (SQNR, cosine, RMSE in quantization steps), latency, size and
//! cost. Reports are serde structs, rendered to JSON, Markdown and PNG charts by `report`.

pub mod layers;
pub mod metrics;
pub mod plot;
pub mod report;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use crate::data::dataset::Dataset;
use crate::data::image::{Preprocess, to_input};
use crate::error::{Error, Result};
use crate::ir::{DType, Data, Graph, Node, Value};
use crate::runtime::{RunHooks, Session, SessionOptions};
use metrics::{Agreement, Classification};
pub use report::{CompareReport, EvalReport, LayerError, ModelInfo, OutputError, TaskAgreement};

/// Progress and cancellation.
#[derive(Default)]
pub struct Hooks<'a> {
    /// Called with (samples done, samples total).
    pub progress: Option<&'a (dyn Fn(usize, usize) + Sync)>,
    /// Checked between chunks of samples.
    pub cancel: Option<&'a AtomicBool>,
    /// [`compare`]: called once per sample with the float and the quantized model's outputs
    /// (dequantized, in output order), for measures that decode them (boxes, masks).
    pub outputs: Option<OutputsHook<'a>>,
}

/// [`Hooks::outputs`]: `(float outputs, quantized outputs)` of one sample.
pub type OutputsHook<'a> = &'a (dyn Fn(&[Vec<f32>], &[Vec<f32>]) + Sync);

/// Samples decoded in parallel at a time.
const CHUNK: usize = 32;

/// Number of classes of a classifier-shaped output 0 (`[C]` or `[1, C]`, C ≥ 2).
pub fn classifier_classes(g: &Graph) -> Result<usize> {
    let t = g
        .outputs
        .first()
        .map(|&o| &g.tensors[o])
        .ok_or_else(|| Error::data("the model has no outputs"))?;
    match t.shape.as_slice() {
        [c] | [1, c] if *c >= 2 => Ok(*c),
        s => Err(Error::data(format!(
            "output 0 '{}' has shape {s:?}; evaluation needs a classifier output of shape [1, classes]",
            t.name
        ))),
    }
}

/// Output `o` of `g` as float: int8/uint8 outputs are dequantized with their parameters.
pub fn output_f32(v: &Value, g: &Graph, o: usize) -> Vec<f32> {
    match &v.data {
        Data::F32(x) => x.clone(),
        _ => {
            let q = g.outputs.get(o).and_then(|&t| g.tensors[t].quant.as_ref());
            crate::ops::dequantize_value(v, q)
                .ok()
                .and_then(|d| d.as_f32().map(<[f32]>::to_vec))
                .unwrap_or_else(|| v.data.to_f64().iter().map(|&x| x as f32).collect())
        }
    }
}

fn scores(v: &Value, g: &Graph) -> Vec<f32> {
    output_f32(v, g, 0)
}

struct Run {
    session: Session,
    cls: Classification,
    time: f64,
}

impl Run {
    fn new(g: &Graph, classes: usize, opts: &SessionOptions) -> Result<Run> {
        Ok(Run {
            session: Session::new(g, opts)?,
            cls: Classification::new(classes),
            time: 0.0,
        })
    }
}

/// Drive `f` over the dataset in chunks: decode in parallel, skip unreadable samples (counted).
/// Median seconds of 9 plain runs of `s` on `x` (after one warm-up run).
fn plain_latency_s(s: &Session, x: &Value) -> Result<f64> {
    s.run(vec![x.clone()])?;
    let mut t: Vec<f64> = (0..9)
        .map(|_| {
            let a = Instant::now();
            s.run(vec![x.clone()]).map(|_| a.elapsed().as_secs_f64())
        })
        .collect::<Result<_>>()?;
    t.sort_by(f64::total_cmp);
    Ok(t[t.len() / 2])
}

fn each_sample(
    ds: &Dataset,
    g: &Graph,
    pre: &Preprocess,
    hooks: &Hooks<'_>,
    mut f: impl FnMut(Value, usize) -> Result<()>,
) -> Result<usize> {
    let total = ds.samples.len();
    let mut skipped = 0;
    let mut start = 0;
    while start < total {
        if hooks.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err(Error::Cancelled);
        }
        let end = (start + CHUNK).min(total);
        for (k, v) in ds.load(start..end, g, pre).into_iter().enumerate() {
            match v {
                Ok(v) => f(v, ds.samples[start + k].label)?,
                Err(_) => skipped += 1,
            }
        }
        if let Some(p) = hooks.progress {
            p(end, total);
        }
        start = end;
    }
    Ok(skipped)
}

/// Evaluate a classifier on a labelled dataset.
pub fn evaluate(
    g: &Graph,
    model_bytes: usize,
    ds: &Dataset,
    pre: &Preprocess,
    opts: &SessionOptions,
    hooks: &Hooks<'_>,
) -> Result<EvalReport> {
    let classes = classifier_classes(g)?;
    let mut run = Run::new(g, classes, opts)?;
    let t0 = Instant::now();
    let skipped = each_sample(ds, g, pre, hooks, |x, label| {
        let t = Instant::now();
        let out = run.session.run(vec![x])?;
        run.time += t.elapsed().as_secs_f64();
        run.cls.add(&scores(&out[0], g), label);
        Ok(())
    })?;
    if run.cls.n == 0 {
        return Err(Error::data(format!(
            "none of the {} samples could be read",
            ds.samples.len()
        )));
    }
    Ok(report::eval_report(
        g,
        model_bytes,
        &run.session,
        &run.cls,
        ds,
        pre,
        skipped,
        run.time,
        t0.elapsed().as_secs_f64(),
    ))
}

/// A float model and its quantized version, with their file sizes.
pub struct Models<'a> {
    /// The float model.
    pub float: &'a Graph,
    /// Its file size.
    pub float_bytes: usize,
    /// The quantized model.
    pub quant: &'a Graph,
    /// Its file size.
    pub quant_bytes: usize,
}

/// Compare a quantized model with its float original on the same samples, output by output
/// and layer by layer. Labelled data (`Dataset::open`) adds accuracy; unlabelled data
/// (`Dataset::unlabelled`) compares any model, classifier or not.
pub fn compare(
    m: &Models<'_>,
    ds: &Dataset,
    pre: &Preprocess,
    opts: &SessionOptions,
    hooks: &Hooks<'_>,
) -> Result<CompareReport> {
    let (fg, qg, f_bytes, q_bytes) = (m.float, m.quant, m.float_bytes, m.quant_bytes);
    // Class scores on output 0 give top-1 agreement with or without labels; accuracy needs
    // labelled data.
    let classes = classifier_classes(fg).ok();
    let labelled = ds.labelled;
    if labelled && classifier_classes(qg)? != classifier_classes(fg)? {
        return Err(Error::data(
            "the two models have different numbers of classes",
        ));
    }
    if fg.inputs.len() != 1 || qg.inputs.len() != 1 {
        return Err(Error::data("comparison supports single-input models"));
    }
    if fg.outputs.len() != qg.outputs.len() {
        return Err(Error::data(format!(
            "the float model has {} outputs but the quantized one has {}",
            fg.outputs.len(),
            qg.outputs.len()
        )));
    }
    let n_classes = if labelled { classes.unwrap_or(0) } else { 0 };
    let (mut fr, mut qr) = (
        Run::new(fg, n_classes, opts)?,
        Run::new(qg, n_classes, opts)?,
    );
    let mut outputs = vec![Agreement::default(); fg.outputs.len()];
    // Quantized tensors with a float twin of the same name and shape.
    let float_by_name: HashMap<&str, usize> = fg
        .tensors
        .iter()
        .enumerate()
        .filter(|(_, t)| t.dtype == DType::F32 && !t.is_const())
        .map(|(i, t)| (t.name.as_str(), i))
        .collect();
    let mut pairs: HashMap<usize, usize> = HashMap::new();
    for (qi, t) in qg.tensors.iter().enumerate() {
        if matches!(t.dtype, DType::I8 | DType::U8 | DType::I16)
            && !t.is_const()
            && t.quant.is_some()
            && let Some(&fi) = float_by_name
                .get(t.name.as_str())
                .filter(|&&fi| fg.tensors[fi].shape == t.shape)
        {
            pairs.insert(qi, fi);
        }
    }
    let wanted: std::collections::HashSet<usize> = pairs.values().copied().collect();
    let mut layer_stats: HashMap<usize, Agreement> = HashMap::new();
    let (mut agree, mut n) = (0u64, 0u64);
    let t0 = Instant::now();
    let mut last: Option<(Value, Value)> = None;
    let skipped = each_sample(ds, fg, pre, hooks, |x, label| {
        let xq = to_input(x.clone(), qg, 0)?;
        last = Some((x.clone(), xq.clone()));
        let mut float_vals: HashMap<usize, Vec<f32>> = HashMap::new();
        let mut keep = |_: usize, node: &Node, outs: &[&Value]| {
            for (&t, v) in node.outputs.iter().zip(outs) {
                if wanted.contains(&t) {
                    float_vals.insert(t, v.as_f32().map(<[f32]>::to_vec).unwrap_or_default());
                }
            }
        };
        let t = Instant::now();
        let fo = fr.session.run_with(
            vec![x],
            &mut RunHooks {
                observer: Some(&mut keep),
                ..Default::default()
            },
        )?;
        fr.time += t.elapsed().as_secs_f64();
        let mut see = |_: usize, node: &Node, outs: &[&Value]| {
            for (&t, v) in node.outputs.iter().zip(outs) {
                let (Some(fi), Some(q)) = (pairs.get(&t), qg.tensors[t].quant.as_ref()) else {
                    continue;
                };
                let (Some(fv), Ok(d)) =
                    (float_vals.get(fi), crate::ops::dequantize_value(v, Some(q)))
                else {
                    continue;
                };
                layer_stats.entry(t).or_default().add(
                    fv,
                    d.as_f32().unwrap_or(&[]),
                    q.scale.first().copied().unwrap_or(1.0),
                );
            }
        };
        let t = Instant::now();
        let qo = qr.session.run_with(
            vec![xq],
            &mut RunHooks {
                observer: Some(&mut see),
                ..Default::default()
            },
        )?;
        qr.time += t.elapsed().as_secs_f64();
        let (mut all_f, mut all_q) = (Vec::new(), Vec::new());
        for (o, (fv, qv)) in fo.iter().zip(&qo).enumerate() {
            let (a, b) = (output_f32(fv, fg, o), output_f32(qv, qg, o));
            if a.len() != b.len() {
                return Err(Error::data(format!(
                    "output {o} '{}' has {} values in the float model but {} in the quantized one",
                    fg.output_name(o),
                    a.len(),
                    b.len()
                )));
            }
            outputs[o].add(&a, &b, 1.0);
            if hooks.outputs.is_some() {
                all_f.push(a);
                all_q.push(b);
            }
        }
        if let Some(see) = hooks.outputs {
            see(&all_f, &all_q);
        }
        if classes.is_some() {
            let (fs, qs) = (scores(&fo[0], fg), scores(&qo[0], qg));
            agree += (metrics::top_k(&fs, 1) == metrics::top_k(&qs, 1)) as u64;
            if labelled {
                fr.cls.add(&fs, label);
                qr.cls.add(&qs, label);
            }
        }
        if !labelled {
            fr.cls.n += 1;
            qr.cls.n += 1;
        }
        n += 1;
        Ok(())
    })?;
    if n == 0 {
        return Err(Error::data(format!(
            "none of the {} samples could be read",
            ds.samples.len()
        )));
    }
    let wall = t0.elapsed().as_secs_f64();
    // The runs above carry per-layer observers (copies, dequantization, statistics), which
    // would bill the quantized model for the comparison's own work; the reported latency is
    // the median of plain runs of each model on the last sample instead.
    if let Some((x, xq)) = last {
        let n = n as f64;
        fr.time = plain_latency_s(&fr.session, &x)? * n;
        qr.time = plain_latency_s(&qr.session, &xq)? * n;
    }
    let float = report::eval_report(
        fg,
        f_bytes,
        &fr.session,
        &fr.cls,
        ds,
        pre,
        skipped,
        fr.time,
        wall,
    );
    let quant = report::eval_report(
        qg,
        q_bytes,
        &qr.session,
        &qr.cls,
        ds,
        pre,
        skipped,
        qr.time,
        wall,
    );
    let producers = qg.producers();
    let mut layers: Vec<LayerError> = layer_stats
        .into_iter()
        .map(|(t, a)| {
            let node = producers[t].map(|p| &qg.nodes[p]);
            LayerError {
                tensor: qg.tensors[t].name.clone(),
                node_index: producers[t].unwrap_or(usize::MAX),
                op: node.map(|n| n.op.name()).unwrap_or_default(),
                sqnr_db: a.sqnr_db(),
                cosine: a.cosine(),
                rmse_over_scale: a.rmse_over_scale(),
                elements: a.n,
            }
        })
        .collect();
    layers.sort_by_key(|l| l.node_index);
    let outputs = outputs
        .iter()
        .enumerate()
        .map(|(o, a)| {
            let shape = fg.tensors[fg.outputs[o]].shape.clone();
            report::OutputError::new(fg.output_name(o), shape, a)
        })
        .collect();
    Ok(report::compare_report(
        float,
        quant,
        report::Measured {
            labelled,
            note: None,
            agreement: if classes.is_some() {
                agree as f64 / n as f64
            } else {
                f64::NAN
            },
            outputs,
            layers,
            n,
            wall,
        },
    ))
}
