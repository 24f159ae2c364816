//! Float activations sampled for the inspector (no UI): the float model runs on the first few
//! calibration samples and every float tensor a node writes keeps an evenly strided sample of
//! its values, so the inspector can draw its histogram under the int8 grid the quantized model
//! chose for it. Bounded memory: at most `PER_TENSOR` values per tensor.

use std::collections::HashMap;
use std::path::Path;
use std::sync::atomic::AtomicBool;

use pocket_engine::Graph;
use pocket_engine::data::dataset::Dataset;
use pocket_engine::data::image::Preprocess;
use pocket_engine::runtime::{RunHooks, Session, SessionOptions};

/// Values kept per tensor (over all samples).
pub const PER_TENSOR: usize = 4096;
/// Samples run.
pub const SAMPLES: usize = 4;

/// Sampled float activations, by tensor name.
#[derive(Debug, Clone, Default)]
pub struct Activations {
    /// Values of each float tensor a node wrote.
    pub by_tensor: HashMap<String, Vec<f32>>,
    /// Samples the values come from.
    pub samples: usize,
}

/// Run `g` on the first samples of the folder `data` (images or `.npy`), preprocessed by `pre`.
pub fn sample(
    g: &Graph,
    data: &Path,
    pre: &Preprocess,
    cancel: &AtomicBool,
) -> anyhow::Result<Activations> {
    let ds = Dataset::unlabelled(data)?;
    let n = ds.samples.len().min(SAMPLES);
    let session = Session::new(g, &SessionOptions::default())?;
    let mut out = Activations::default();
    let per_sample = PER_TENSOR / n.max(1);
    for input in ds.load(0..n, g, pre) {
        let Ok(input) = input else { continue };
        let by = &mut out.by_tensor;
        let mut observe =
            |_: usize, node: &pocket_engine::ir::Node, values: &[&pocket_engine::Value]| {
                for (&t, v) in node.outputs.iter().zip(values) {
                    let Some(x) = v.as_f32() else { continue };
                    if x.is_empty() {
                        continue;
                    }
                    let step = x.len().div_ceil(per_sample).max(1);
                    let name = &g.tensors[t].name;
                    let slot = by.entry(name.clone()).or_default();
                    slot.extend(x.iter().step_by(step).copied().filter(|v| v.is_finite()));
                }
            };
        let mut hooks = RunHooks {
            observer: Some(&mut observe),
            progress: None,
            cancel: Some(cancel),
        };
        let mut inputs = vec![input];
        // Models with more inputs than the data gives get nothing sampled.
        if g.inputs.len() != 1 {
            inputs.clear();
        }
        if inputs.is_empty() {
            break;
        }
        session.run_with(inputs, &mut hooks)?;
        out.samples += 1;
    }
    Ok(out)
}
