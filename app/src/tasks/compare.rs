//! Evaluate a classifier on labelled data (a folder with class sub-folders, a folder with
//! labels.csv, or a .npz), or compare a float model with its quantized version on any data:
//! labelled data adds accuracy, any folder of images or arrays compares the outputs.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use anyhow::{Result, bail};
use pocket_engine::data::dataset::Dataset;
use pocket_engine::data::image::Preprocess;
use pocket_engine::eval::{self, CompareReport, EvalReport, Hooks, Models};
use pocket_engine::{Graph, Numerics, SessionOptions};

use super::agreement::Agreement;
use super::{Progress, defaults};

/// The class names of a float/quantized pair: the float model's, else the quantized one's
/// (a converter may have kept only one copy of the metadata).
pub fn labels<'a>(float: &'a Graph, quant: &'a Graph) -> &'a [String] {
    if float.meta.labels.is_empty() {
        &quant.meta.labels
    } else {
        &float.meta.labels
    }
}

/// Open labelled data for a classifier with these labels (empty: none stored) and classes.
pub fn dataset(path: &Path, labels: &[String], classes: usize) -> Result<Dataset> {
    if !path.exists() {
        bail!("the data {} does not exist", path.display());
    }
    Ok(Dataset::open(path, labels, classes)?)
}

/// The data to compare `float` on: labelled when `data` has labels that match a classifier
/// output, else unlabelled, with the reason in the second field (shown to the user).
pub fn compare_data(
    data: &Path,
    float: &Graph,
    quant: &Graph,
) -> Result<(Dataset, Option<String>)> {
    if !data.exists() {
        bail!("the data {} does not exist", data.display());
    }
    let why = match eval::classifier_classes(float) {
        Ok(classes) => match Dataset::open(data, labels(float, quant), classes) {
            Ok(ds) => return Ok((ds, None)),
            Err(e) => format!("{e:#}"),
        },
        Err(_) => "the model's output 0 is not class scores".to_string(),
    };
    let ds = Dataset::unlabelled(data)?;
    Ok((
        ds,
        Some(format!(
            "compared without labels ({why}): output error and per-layer SQNR only"
        )),
    ))
}

/// A float model and its quantized version, to compare.
pub struct Pair<'a> {
    /// The float model.
    pub float: &'a Graph,
    /// Its file size.
    pub float_bytes: usize,
    /// The quantized model.
    pub quant: &'a Graph,
    /// Its file size.
    pub quant_bytes: usize,
}

/// Compare `pair` on the data at `data` (labelled or not, see `compare_data`). `preprocess`: `None` for the float model's
/// own; `threads`: `None` for every core; `numerics`: the int8 arithmetic of the target.
/// `progress` sees (samples done, total).
pub fn compare(
    pair: &Pair<'_>,
    data: &Path,
    preprocess: Option<Preprocess>,
    (threads, numerics): (Option<usize>, Numerics),
    progress: Progress<'_>,
    cancel: &AtomicBool,
) -> Result<CompareReport> {
    let opts = SessionOptions::threads(defaults::threads(threads)?).with_numerics(numerics);
    let (ds, note) = compare_data(data, pair.float, pair.quant)?;
    let pre = preprocess.unwrap_or_else(|| Preprocess::for_input(pair.float, 0));
    let m = Models {
        float: pair.float,
        float_bytes: pair.float_bytes,
        quant: pair.quant,
        quant_bytes: pair.quant_bytes,
    };
    // Detector boxes and masks, decoded from both models' outputs as the live view does.
    let agreement = Agreement::new(pair.float, pre.input_size(pair.float, 0).unwrap_or((1, 1)));
    let see = |f: &[Vec<f32>], q: &[Vec<f32>]| agreement.add(f, q);
    let hooks = Hooks {
        progress: Some(progress),
        cancel: Some(cancel),
        outputs: Some(&see),
    };
    let mut report = eval::compare(&m, &ds, &pre, &opts, &hooks)?;
    report.note = note;
    report.tasks = agreement.finish();
    Ok(report)
}

/// Accuracy of one classifier (`bytes`: its file size) on the labelled data at `data`.
pub fn evaluate(
    g: &Graph,
    bytes: usize,
    data: &Path,
    preprocess: Option<Preprocess>,
    (threads, numerics): (Option<usize>, Numerics),
    progress: Progress<'_>,
    cancel: &AtomicBool,
) -> Result<EvalReport> {
    let opts = SessionOptions::threads(defaults::threads(threads)?).with_numerics(numerics);
    let classes = eval::classifier_classes(g)?;
    let ds = dataset(data, &g.meta.labels, classes)?;
    let pre = preprocess.unwrap_or_else(|| Preprocess::for_input(g, 0));
    let hooks = Hooks {
        progress: Some(progress),
        cancel: Some(cancel),
        ..Default::default()
    };
    Ok(eval::evaluate(g, bytes, &ds, &pre, &opts, &hooks)?)
}
