//! Quantization as a pure function: `quantize(&Graph, &Recipe, calibration data) -> Graph`.
//! Float16 stores weights as f16 behind DEQUANTIZE; full-integer int8 calibrates activation
//! ranges through the runtime's observers and rewrites the graph with TFLite's int8 rules
//! (symmetric per-channel weights, asymmetric activations, int32 bias, fixed and shared
//! output parameters), keeping requested or unsupported nodes in float.

pub mod calib;
mod dynamic;
mod float16;
mod int8;
pub mod params;
pub mod recipe;

use std::sync::atomic::{AtomicBool, Ordering};

pub use recipe::{Calibration, Io, Mode, Recipe, Weights};

use crate::error::{Error, QuantError, Result};
use crate::ir::{DType, Graph, Node, Value};
use crate::runtime::{RunHooks, Session, SessionOptions};

/// Progress and cancellation for long quantization jobs.
#[derive(Default)]
pub struct QuantHooks<'a> {
    /// Called with (samples done, samples planned) during calibration.
    pub progress: Option<&'a (dyn Fn(usize, usize) + Sync)>,
    /// Checked between samples; when set, quantization stops with `Error::Cancelled`.
    pub cancel: Option<&'a AtomicBool>,
}

/// One calibration sample: a value per graph input.
pub type Sample = Result<Vec<Value>>;

/// Quantize `g` according to `r`. `data` yields calibration samples (needed for `Mode::Int8`
/// only; at most `r.calibration.max_samples` are used).
pub fn quantize(
    g: &Graph,
    r: &Recipe,
    data: &mut dyn Iterator<Item = Sample>,
    hooks: &QuantHooks<'_>,
) -> Result<Graph> {
    check_float_model(g)?;
    let mut fg = g.clone();
    crate::passes::optimize(&mut fg)?;
    let keep = r.float_nodes(&fg)?;
    match r.mode {
        Mode::Float16 => float16::run(&fg, &keep),
        Mode::DynamicRangeInt8 => dynamic::run(&fg, r, &keep),
        Mode::Int8 => {
            let ranges = calibrate(&fg, r, data, hooks)?;
            int8::run(&fg, r, &keep, &ranges)
        }
    }
}

/// Refuse models that are already quantized (int8 activations or weights, f16 weights).
fn check_float_model(g: &Graph) -> Result<()> {
    let quantized = g.tensors.iter().any(|t| {
        t.quant.is_some()
            && matches!(t.dtype, DType::I8 | DType::U8 | DType::I16)
            && t.data.is_none()
    }) || {
        // Constants nothing reads (an ONNX importer's folded initializers) do not count.
        let read: std::collections::HashSet<usize> = g
            .nodes
            .iter()
            .flat_map(|n| n.inputs.iter().flatten().copied())
            .collect();
        g.tensors.iter().enumerate().any(|(i, t)| {
            t.is_const() && matches!(t.dtype, DType::I8 | DType::U8) && read.contains(&i)
        })
    };
    if quantized {
        return Err(Error::quant(
            "the model is already quantized; start from the float model",
        ));
    }
    if g.inputs.iter().any(|&t| g.tensors[t].dtype != DType::F32) {
        return Err(Error::quant("the model's inputs are not float32"));
    }
    Ok(())
}

/// Observe every float tensor over the calibration samples; returns (min, max) per tensor.
fn calibrate(
    g: &Graph,
    r: &Recipe,
    data: &mut dyn Iterator<Item = Sample>,
    hooks: &QuantHooks<'_>,
) -> Result<Vec<Option<(f32, f32)>>> {
    let session = Session::new(g, &SessionOptions::default())?;
    let nt = g.tensors.len();
    let mut obs: Vec<Option<calib::Observer>> = (0..nt)
        .map(|t| {
            (g.tensors[t].dtype == DType::F32 && !g.tensors[t].is_const())
                .then(|| calib::Observer::new(&r.calibration.method))
        })
        .collect();
    let planned = r.calibration.max_samples.max(1);
    let mut n = 0usize;
    for sample in data.take(planned) {
        if hooks.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
            return Err(Error::Cancelled);
        }
        let inputs = sample?;
        for (&t, v) in g.inputs.iter().zip(&inputs) {
            if let (Some(Some(o)), Some(x)) = (obs.get_mut(t), v.as_f32()) {
                o.observe(x);
            }
        }
        let mut see = |_: usize, node: &Node, outs: &[&Value]| {
            for (&t, v) in node.outputs.iter().zip(outs) {
                if let (Some(Some(o)), Some(x)) = (obs.get_mut(t), v.as_f32()) {
                    o.observe(x);
                }
            }
        };
        session.run_with(
            inputs,
            &mut RunHooks {
                observer: Some(&mut see),
                progress: None,
                cancel: hooks.cancel,
            },
        )?;
        n += 1;
        if let Some(p) = hooks.progress {
            p(n, planned);
        }
    }
    if n == 0 {
        return Err(Error::Quant(QuantError::Calibration(
            "full-integer quantization needs calibration data, and none was given".into(),
        )));
    }
    Ok(obs.into_iter().map(|o| o.and_then(|o| o.range())).collect())
}
