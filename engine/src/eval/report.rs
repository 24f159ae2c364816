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

/// Float vs quantized on the same samples.
#[derive(Debug, Clone, Serialize)]
pub struct CompareReport {
    /// The float model.
    pub float: EvalReport,
    /// The quantized model.
    pub quant: EvalReport,
    /// Fraction of samples with the same top-1 class.
    pub agreement: f64,
    /// SQNR of the quantized scores against the float scores, dB.
    pub output_sqnr_db: f64,
    /// Cosine of the quantized scores against the float scores.
    pub output_cosine: f64,
    /// Quantized file size / float file size.
    pub size_ratio: f64,
    /// Per-layer error in graph order.
    pub layers: Vec<LayerError>,
    /// Indices into `layers` of the worst layers (lowest SQNR first, up to 10).
    pub worst: Vec<usize>,
    /// Samples compared per second (both models, decode included).
    pub images_per_second: f64,
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
    EvalReport {
        top1: c.top1(),
        top5: c.top5(),
        samples: c.n,
        skipped,
        classes: ds.classes.clone(),
        per_class: c.per_class(),
        confusion: c.confusion.clone(),
        latency_ms: 1e3 * infer_s / c.n.max(1) as f64,
        images_per_second: c.n as f64 / wall_s.max(1e-9),
        model: model_info(g, bytes, s),
        preprocess: pre.clone(),
    }
}

pub(super) fn compare_report(
    float: EvalReport,
    quant: EvalReport,
    agreement: f64,
    out: &Agreement,
    layers: Vec<LayerError>,
    n: u64,
    wall: f64,
) -> CompareReport {
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
        output_sqnr_db: out.sqnr_db(),
        output_cosine: out.cosine(),
        layers,
        worst: order,
        images_per_second: n as f64 / wall.max(1e-9),
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
            "# {title}\n\n| metric | value |\n|---|---|\n| top-1 | {} |\n| top-5 | {} |\n| samples | {} (skipped {}) |\n| latency | {:.3} ms |\n| throughput | {:.1} images/s |\n| file | {} |\n| MACs | {} |\n| peak activations | {} |\n\n![per class](per_class.png)\n\n![confusion](confusion.png)\n",
            pct(self.top1),
            pct(self.top5),
            self.samples,
            self.skipped,
            self.latency_ms,
            self.images_per_second,
            mib(self.model.file_bytes),
            self.model.macs,
            mib(self.model.peak_activation_bytes)
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
        let mut md = String::from(
            "# Float vs quantized\n\n![accuracy](accuracy.png)\n\n| | float | quantized |\n|---|---|---|\n",
        );
        md.push_str(&format!("| top-1 | {} | {} |\n| top-5 | {} | {} |\n| file size | {} | {} ({:.2}x) |\n| latency (ours) | {:.3} ms | {:.3} ms |\n| MACs | {} | {} |\n| peak activations | {} | {} |\n", pct(f.top1), pct(q.top1), pct(f.top5), pct(q.top5), mib(f.model.file_bytes), mib(q.model.file_bytes), self.size_ratio, f.latency_ms, q.latency_ms, f.model.macs, q.model.macs, mib(f.model.peak_activation_bytes), mib(q.model.peak_activation_bytes)));
        md.push_str(&format!("\nSame top-1 on {} of samples; output SQNR {:.1} dB, cosine {:.5}; {} samples ({} skipped), {:.1} images/s.\n", pct(self.agreement), self.output_sqnr_db, self.output_cosine, q.samples, q.skipped, self.images_per_second));
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
        md.push_str("\nRMSE / scale of 0.289 (1/√12) is pure rounding; much larger values point at clipping or a poorly chosen range.\n\n![per class](per_class.png)\n\n![confusion float](confusion_float.png) ![confusion quantized](confusion_quant.png)\n");
        crate::formats::write_atomic(&dir.join("report.md"), md.as_bytes())?;
        crate::formats::write_atomic(
            &dir.join("report.json"),
            serde_json::to_string_pretty(self)
                .unwrap_or_default()
                .as_bytes(),
        )
    }
}
