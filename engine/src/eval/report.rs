//! Report structures (serialized as JSON; field names are an interface) and their Markdown and
//! PNG renderings.

use std::path::Path;

use serde::Serialize;

use super::metrics::{Agreement, Classification};
use super::plot;
use crate::data::dataset::Dataset;
use crate::data::image::Preprocess;
use crate::error::{Error, ExportError, Result};
use crate::ir::Graph;
use crate::runtime::Session;

/// Size and cost of a model.
#[derive(Debug, Clone, Serialize)]
pub struct ModelInfo {
    /// File size in bytes.
    pub file_bytes: usize,
    /// Constant bytes by element type.
    pub weight_bytes_by_dtype: std::collections::BTreeMap<String, usize>,
    /// The layers with the most weight bytes: (node name, op, bytes), largest first (up to 10).
    pub weight_bytes_by_layer: Vec<(String, String, usize)>,
    /// Multiply-accumulates per inference.
    pub macs: u64,
    /// Estimated peak bytes of intermediate tensors under the execution plan.
    pub peak_activation_bytes: usize,
    /// The int8 numerics it ran with: `litert` (phone/desktop CPU, LiteRT's default path) or
    /// `reference` (microcontroller, TFLite Micro).
    pub numerics: String,
}

/// Accuracy of one model on one dataset.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// Top-1 accuracy (fraction).
    pub top1: f64,
    /// Top-5 accuracy (fraction).
    pub top5: f64,
    /// Samples evaluated.
    pub samples: u64,
    /// Samples skipped because they could not be read.
    pub skipped: usize,
    /// Class names.
    pub classes: Vec<String>,
    /// (samples, top-1) per class.
    pub per_class: Vec<(u64, f64)>,
    /// `confusion[true][predicted]`.
    pub confusion: Vec<Vec<u64>>,
    /// Mean inference time per sample (ours), milliseconds.
    pub latency_ms: f64,
    /// Samples per second of the whole evaluation (decode + preprocess + inference).
    pub images_per_second: f64,
    /// Size and cost.
    pub model: ModelInfo,
    /// The preprocessing used (replayable).
    pub preprocess: Preprocess,
}

/// Error of one quantized tensor against its float twin.
#[derive(Debug, Clone, Serialize)]
pub struct LayerError {
    /// Tensor name.
    pub tensor: String,
    /// Index of the producing node in the quantized graph.
    pub node_index: usize,
    /// Producing op.
    pub op: String,
    /// Signal-to-quantization-noise ratio, dB.
    pub sqnr_db: f64,
    /// Cosine similarity.
    pub cosine: f64,
    /// RMSE in quantization steps (0.289 = pure rounding).
    pub rmse_over_scale: f64,
    /// Elements compared.
    pub elements: u64,
}

/// Error of one model output of the quantized model against the float model's.
#[derive(Debug, Clone, Serialize)]
pub struct OutputError {
    /// Output name (signature name, else tensor name).
    pub name: String,
    /// Output shape.
    pub shape: Vec<usize>,
    /// Signal-to-quantization-noise ratio, dB (infinite when identical).
    pub sqnr_db: f64,
    /// Cosine similarity.
    pub cosine: f64,
    /// Largest absolute difference over every sample.
    pub max_abs_error: f64,
    /// Mean absolute difference.
    pub mean_abs_error: f64,
    /// Root-mean-square of the float output, to read the errors against.
    pub float_rms: f64,
}

impl OutputError {
    pub(super) fn new(name: String, shape: Vec<usize>, a: &Agreement) -> OutputError {
        OutputError {
            name,
            shape,
            sqnr_db: a.sqnr_db(),
            cosine: a.cosine(),
            max_abs_error: a.max_abs_error(),
            mean_abs_error: a.mean_abs_error(),
            float_rms: a.reference_rms(),
        }
    }
}

/// How far the quantized model's decoded outputs (a detector's boxes, a segmenter's mask)
/// agree with the float model's, over every sample.
#[derive(Debug, Clone, Serialize)]
pub struct TaskAgreement {
    /// The outputs decoded (names, joined with " + ").
    pub outputs: String,
    /// `boxes` or `mask`.
    pub kind: String,
    /// Boxes: mean IoU of the matched box pairs; mask: mean over classes of the IoU of the two
    /// masks (foreground for a score map), pixels summed over samples.
    pub mean_iou: f64,
    /// Boxes: fraction of the float model's boxes a quantized box matches (same class, IoU at
    /// least 0.5); mask: fraction of pixels given the same class.
    pub matched: f64,
    /// The counts behind the figures, in words.
    pub detail: String,
}

/// Float vs quantized on the same samples.
#[derive(Debug, Clone, Serialize)]
pub struct CompareReport {
    /// Whether the data had labels the model's classes match (top-1/top-5 and the confusion
    /// matrices are only meaningful then; otherwise they are NaN / empty).
    pub labelled: bool,
    /// Why the comparison ran without labels, when it did.
    pub note: Option<String>,
    /// Error of each model output, in output order.
    pub outputs: Vec<OutputError>,
    /// The float model.
    pub float: EvalReport,
    /// The quantized model.
    pub quant: EvalReport,
    /// Fraction of samples with the same top-1 class (NaN when output 0 is not class
    /// scores `[1, C]`).
    pub agreement: f64,
    /// SQNR of the quantized output 0 against the float one, dB.
    pub output_sqnr_db: f64,
    /// Cosine of the quantized output 0 against the float one.
    pub output_cosine: f64,
    /// Quantized file size / float file size.
    pub size_ratio: f64,
    /// Per-layer error in graph order.
    pub layers: Vec<LayerError>,
    /// Indices into `layers` of the worst layers (lowest SQNR first, up to 10).
    pub worst: Vec<usize>,
    /// Samples compared per second (both models, decode included).
    pub images_per_second: f64,
    /// Detector boxes and masks, decoded from both models' outputs and matched (filled by the
    /// caller that knows how to decode them; empty for other models).
    pub tasks: Vec<TaskAgreement>,
}

fn model_info(g: &Graph, file_bytes: usize, s: &Session) -> ModelInfo {
    let sum = crate::summary::summarize(g);
    let mut by_layer: Vec<(String, String, usize)> = g
        .nodes
        .iter()
        .map(|n| {
            (
                n.name.clone(),
                n.op.name(),
                n.inputs
                    .iter()
                    .flatten()
                    .filter_map(|&t| g.tensors[t].data.as_ref().map(|d| d.len()))
                    .sum(),
            )
        })
        .filter(|(_, _, b)| *b > 0)
        .collect();
    by_layer.sort_by(|a, b| b.2.cmp(&a.2).then(a.0.cmp(&b.0)));
    by_layer.truncate(10);
    ModelInfo {
        file_bytes,
        weight_bytes_by_dtype: sum.weight_bytes,
        weight_bytes_by_layer: by_layer,
        macs: sum.macs,
        peak_activation_bytes: s.peak_activation_bytes(),
        numerics: s.numerics().name().to_string(),
    }
}

#[expect(
    clippy::too_many_arguments,
    reason = "assembles one report from the run's parts"
)]
pub(super) fn eval_report(
    g: &Graph,
    bytes: usize,
    s: &Session,
    c: &Classification,
    ds: &Dataset,
    pre: &Preprocess,
    skipped: usize,
    infer_s: f64,
    wall_s: f64,
) -> EvalReport {
    // Unlabelled data: the classification only counted the samples (`n`).
    let (labelled, n) = (ds.labelled, c.n);
    EvalReport {
        top1: if labelled { c.top1() } else { f64::NAN },
        top5: if labelled { c.top5() } else { f64::NAN },
        samples: n,
        skipped,
        classes: ds.classes.clone(),
        per_class: if labelled { c.per_class() } else { Vec::new() },
        confusion: if labelled {
            c.confusion.clone()
        } else {
            Vec::new()
        },
        latency_ms: 1e3 * infer_s / n.max(1) as f64,
        images_per_second: n as f64 / wall_s.max(1e-9),
        model: model_info(g, bytes, s),
        preprocess: pre.clone(),
    }
}

/// What a comparison measured, beside the two models' own reports.
pub(super) struct Measured {
    pub labelled: bool,
    pub note: Option<String>,
    pub agreement: f64,
    pub outputs: Vec<OutputError>,
    pub layers: Vec<LayerError>,
    pub n: u64,
    pub wall: f64,
}

pub(super) fn compare_report(float: EvalReport, quant: EvalReport, m: Measured) -> CompareReport {
    let Measured {
        labelled,
        note,
        agreement,
        outputs,
        layers,
        n,
        wall,
    } = m;
    let mut order: Vec<usize> = (0..layers.len()).collect();
    order.sort_by(|&a, &b| {
        layers[a]
            .sqnr_db
            .total_cmp(&layers[b].sqnr_db)
            .then(a.cmp(&b))
    });
    order.truncate(10);
    CompareReport {
        size_ratio: quant.model.file_bytes as f64 / float.model.file_bytes.max(1) as f64,
        float,
        quant,
        agreement,
        output_sqnr_db: outputs.first().map_or(f64::NAN, |o| o.sqnr_db),
        output_cosine: outputs.first().map_or(f64::NAN, |o| o.cosine),
        labelled,
        note,
        outputs,
        layers,
        worst: order,
        images_per_second: n as f64 / wall.max(1e-9),
        tasks: Vec::new(),
    }
}

/// A readable layer name: converters join fused op names with ';' — keep the first.
pub fn short_name(tensor: &str) -> &str {
    tensor.split(';').next().unwrap_or(tensor)
}

fn pct(x: f64) -> String {
    format!("{:.2}%", 100.0 * x)
}

fn mib(b: usize) -> String {
    format!("{:.2} MiB", b as f64 / (1u64 << 20) as f64)
}

fn save_png(img: &image::RgbImage, path: &Path) -> Result<()> {
    let mut buf = std::io::Cursor::new(Vec::new());
    img.write_to(&mut buf, image::ImageFormat::Png)
        .map_err(|e| {
            Error::Export(ExportError::Encode {
                path: path.to_path_buf(),
                why: format!("cannot encode the chart as PNG: {e}"),
            })
        })?;
    crate::formats::write_atomic(path, buf.get_ref())
}

impl EvalReport {
    /// Markdown rendering (with `confusion.png` and `per_class.png` written into `dir`).
    pub fn write(&self, dir: &Path, title: &str) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        save_png(
            &plot::confusion("Confusion matrix", &self.classes, &self.confusion),
            &dir.join("confusion.png"),
        )?;
        let acc: Vec<f64> = self.per_class.iter().map(|p| p.1).collect();
        save_png(
            &plot::bars("Top-1 accuracy per class", &self.classes, &[("model", acc)]),
            &dir.join("per_class.png"),
        )?;
        let mut md = format!(
            "# {title}\n\n| metric | value |\n|---|---|\n| top-1 | {} |\n| top-5 | {} |\n| samples | {} (skipped {}) |\n| latency | {:.3} ms |\n| throughput | {:.1} images/s |\n| file | {} |\n| MACs | {} |\n| peak activations | {} |\n| int8 numerics | {} |\n\n![per class](per_class.png)\n\n![confusion](confusion.png)\n",
            pct(self.top1),
            pct(self.top5),
            self.samples,
            self.skipped,
            self.latency_ms,
            self.images_per_second,
            mib(self.model.file_bytes),
            self.model.macs,
            mib(self.model.peak_activation_bytes),
            self.model.numerics
        );
        md.push_str("\n```json\n");
        md.push_str(&serde_json::to_string_pretty(&self.preprocess).unwrap_or_default());
        md.push_str("\n```\n");
        crate::formats::write_atomic(&dir.join("report.md"), md.as_bytes())?;
        crate::formats::write_atomic(
            &dir.join("report.json"),
            serde_json::to_string_pretty(self)
                .unwrap_or_default()
                .as_bytes(),
        )
    }
}

impl CompareReport {
    /// Write `report.json`, `report.md` and PNG charts into `dir`.
    pub fn write(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        let (f, q) = (&self.float, &self.quant);
        if self.labelled {
            save_png(
                &plot::bars(
                    "Accuracy: float vs quantized",
                    &["top-1".into(), "top-5".into(), "agreement".into()],
                    &[
                        ("float", vec![f.top1, f.top5, 1.0]),
                        ("quantized", vec![q.top1, q.top5, self.agreement]),
                    ],
                ),
                &dir.join("accuracy.png"),
            )?;
            let per_f: Vec<f64> = f.per_class.iter().map(|p| p.1).collect();
            let per_q: Vec<f64> = q.per_class.iter().map(|p| p.1).collect();
            save_png(
                &plot::bars(
                    "Top-1 per class",
                    &f.classes,
                    &[("float", per_f), ("quantized", per_q)],
                ),
                &dir.join("per_class.png"),
            )?;
            save_png(
                &plot::confusion("Confusion matrix (float)", &f.classes, &f.confusion),
                &dir.join("confusion_float.png"),
            )?;
            save_png(
                &plot::confusion("Confusion matrix (quantized)", &q.classes, &q.confusion),
                &dir.join("confusion_quant.png"),
            )?;
        }
        let sqnr: Vec<f64> = self.layers.iter().map(|l| l.sqnr_db).collect();
        save_png(
            &plot::layers(
                "Per-layer SQNR (dB, higher is better)",
                "SQNR dB",
                &sqnr,
                &self.worst,
            ),
            &dir.join("layers.png"),
        )?;
        let mut md = String::from("# Float vs quantized\n\n");
        if let Some(note) = &self.note {
            md.push_str(&format!("{note}\n\n"));
        }
        if self.labelled {
            md.push_str("![accuracy](accuracy.png)\n\n");
        }
        md.push_str("| | float | quantized |\n|---|---|---|\n");
        if self.labelled {
            md.push_str(&format!(
                "| top-1 | {} | {} |\n| top-5 | {} | {} |\n",
                pct(f.top1),
                pct(q.top1),
                pct(f.top5),
                pct(q.top5)
            ));
        }
        md.push_str(&format!("| file size | {} | {} ({:.2}x) |\n| latency (ours) | {:.3} ms | {:.3} ms |\n| MACs | {} | {} |\n| peak activations | {} | {} |\n| int8 numerics | {} | {} |\n", mib(f.model.file_bytes), mib(q.model.file_bytes), self.size_ratio, f.latency_ms, q.latency_ms, f.model.macs, q.model.macs, mib(f.model.peak_activation_bytes), mib(q.model.peak_activation_bytes), f.model.numerics, q.model.numerics));
        md.push_str("\n## Outputs\n\n| output | shape | SQNR dB | cosine | max abs error | mean abs error | float RMS |\n|---|---|---|---|---|---|---|\n");
        for o in &self.outputs {
            md.push_str(&format!(
                "| {} | {:?} | {:.1} | {:.5} | {:.4} | {:.4} | {:.4} |\n",
                o.name,
                o.shape,
                o.sqnr_db,
                o.cosine,
                o.max_abs_error,
                o.mean_abs_error,
                o.float_rms
            ));
        }
        if !self.tasks.is_empty() {
            md.push_str("\n## Boxes and masks\n\n| outputs | kind | mean IoU | matched | counts |\n|---|---|---|---|---|\n");
            for t in &self.tasks {
                md.push_str(&format!(
                    "| {} | {} | {:.3} | {} | {} |\n",
                    t.outputs,
                    t.kind,
                    t.mean_iou,
                    pct(t.matched),
                    t.detail
                ));
            }
        }
        if self.agreement.is_finite() {
            md.push_str(&format!(
                "\nSame top-1 on {} of samples.",
                pct(self.agreement)
            ));
        }
        md.push_str(&format!(
            "\n{} samples ({} skipped), {:.1} images/s.\n",
            q.samples, q.skipped, self.images_per_second
        ));
        md.push_str("\n## Layers that lost the most precision\n\n![layers](layers.png)\n\n| layer (tensor) | op | SQNR dB | cosine | RMSE / scale |\n|---|---|---|---|---|\n");
        for &i in &self.worst {
            let l = &self.layers[i];
            md.push_str(&format!(
                "| {} | {} | {:.1} | {:.5} | {:.3} |\n",
                short_name(&l.tensor),
                l.op,
                l.sqnr_db,
                l.cosine,
                l.rmse_over_scale
            ));
        }
        md.push_str("\nRMSE / scale of 0.289 (1/√12) is pure rounding; much larger values point at clipping or a poorly chosen range.\n");
        if self.labelled {
            md.push_str("\n![per class](per_class.png)\n\n![confusion float](confusion_float.png) ![confusion quantized](confusion_quant.png)\n");
        }
        crate::formats::write_atomic(&dir.join("report.md"), md.as_bytes())?;
        crate::formats::write_atomic(
            &dir.join("report.json"),
            serde_json::to_string_pretty(self)
                .unwrap_or_default()
                .as_bytes(),
        )
    }
}
