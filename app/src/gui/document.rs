//! One open model and everything derived from it: the loaded graph and its cached layout, the
//! nodes kept in float, the quantized result, the comparison report (with its per-node heat,
//! computed once when the report arrives), the selection and the inspector's weight statistics.
//! The App routes commands to it; panels only read it. Also where the bundled samples keep
//! their calibration and evaluation images.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use pocket_engine::data::image::Preprocess;
use pocket_engine::eval::{CompareReport, layers};
use pocket_engine::quant::Recipe;
use pocket_engine::{Graph, Numerics};

use super::panels::inspector::data::Cache;
use super::worker::Loaded;

/// The quantized result of the open model.
pub struct Quantized {
    /// The quantized graph.
    pub graph: Arc<Graph>,
    /// Its serialized .tflite.
    pub bytes: Arc<Vec<u8>>,
    /// The recipe it was made with (written next to the export).
    pub recipe: pocket_engine::quant::Recipe,
    /// Its layout (the graph view's quantized side).
    pub layout: Box<super::layout::Layout>,
    /// Float activations on the first calibration samples, for the inspector's histograms.
    pub activations: Option<Box<super::activations::Activations>>,
}

/// An export waiting for the user: set when the target exists, confirmed by a second press.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingExport {
    /// Where the export goes.
    pub path: PathBuf,
}

/// One open model.
pub struct Document {
    /// The loaded file, graph, summary and layout.
    pub loaded: Box<Loaded>,
    /// Names of nodes kept in float (right-click in the graph).
    pub keep_float: BTreeSet<String>,
    /// The recipe of the running quantization (its preprocessing feeds the live view).
    pub quantizing: Option<Recipe>,
    /// The quantized model.
    pub quant: Option<Quantized>,
    /// Float against quantized on labelled data.
    pub report: Option<CompareReport>,
    /// Per-node heat of `report` on the float graph.
    pub heat: HashMap<usize, f32>,
    /// Per-node heat of `report` on the quantized graph.
    pub heat_quant: HashMap<usize, f32>,
    /// The selected node of the float graph.
    pub selected: Option<usize>,
    /// What the inspector shows for the selection (computed once per selection).
    pub weight_stats: Cache,
    /// An export asked to overwrite an existing file.
    pub pending_export: Option<PendingExport>,
    /// The int8 arithmetic of the user's target, for compare and live (and the exported
    /// recipe's `target`): from the recipe beside the model, else LiteRT's.
    pub numerics: Numerics,
}

impl Document {
    /// A freshly opened model.
    pub fn new(loaded: Box<Loaded>) -> Self {
        Document {
            keep_float: BTreeSet::new(),
            quantizing: None,
            quant: None,
            report: None,
            heat: HashMap::new(),
            heat_quant: HashMap::new(),
            selected: None,
            weight_stats: Cache::default(),
            pending_export: None,
            numerics: pocket_engine::quant::recipe::numerics_for(&loaded.path, None)
                .unwrap_or_default(),
            loaded,
        }
    }

    /// The float graph.
    pub fn graph(&self) -> &Arc<Graph> {
        &self.loaded.graph
    }

    /// Keep node `name` in float, or stop keeping it.
    pub fn toggle_keep_float(&mut self, name: String) {
        if !self.keep_float.remove(&name) {
            self.keep_float.insert(name);
        }
    }

    /// `base` with the kept nodes added to its `keep_float` patterns (exact-name regexes).
    pub fn recipe(&self, base: &Recipe) -> Recipe {
        let mut r = base.clone();
        for n in &self.keep_float {
            let p = exact_pattern(n);
            if !r.keep_float.contains(&p) {
                r.keep_float.push(p);
            }
        }
        r
    }

    /// A new quantized result: the old report (and its heat) no longer applies.
    pub fn set_quantized(&mut self, q: Quantized) {
        self.quant = Some(q);
        self.set_report(None, &layers::HeatScale::default());
    }

    /// A new comparison report, with its per-node heat on the absolute dB scale `scale`.
    pub fn set_report(&mut self, r: Option<CompareReport>, scale: &layers::HeatScale) {
        self.heat = r
            .as_ref()
            .map(|r| layers::node_heat(&self.loaded.graph, r, scale))
            .unwrap_or_default();
        self.heat_quant = r
            .as_ref()
            .map(|r| {
                r.layers
                    .iter()
                    .map(|l| (l.node_index, scale.heat(l.sqnr_db)))
                    .collect()
            })
            .unwrap_or_default();
        self.report = r;
    }

    /// Select node `i` of the graph the command came from: report rows name nodes of the
    /// quantized graph, mapped here to the float graph by tensor name.
    pub fn select(&mut self, i: Option<usize>, from_quantized: bool) {
        self.selected = match (i, &self.quant) {
            (Some(qi), Some(q)) if from_quantized => {
                layers::float_node(&q.graph, &self.loaded.graph, qi).or(Some(qi))
            }
            _ => i,
        };
    }

    /// The node of the quantized graph that writes the float node `fi`'s first output (by
    /// tensor name; the quantizer keeps names), if there is a quantized graph.
    pub fn quant_node(&self, fi: usize) -> Option<usize> {
        let q = &self.quant.as_ref()?.graph;
        let g = &self.loaded.graph;
        let name = &g.tensors.get(*g.nodes.get(fi)?.outputs.first()?)?.name;
        q.nodes.iter().position(|n| {
            n.outputs
                .iter()
                .any(|&t| q.tensors.get(t).is_some_and(|x| x.name == *name))
        })
    }

    /// Default export path: `<stem>_quant.tflite` next to the source.
    pub fn default_export_path(&self) -> PathBuf {
        crate::tasks::defaults::export_path(&self.loaded.path)
    }

    /// The live view's preprocessing the model's first input implies (none without inputs).
    pub fn live_preprocess(&self) -> Option<Preprocess> {
        if self.loaded.graph.inputs.is_empty() {
            return None;
        }
        Some(Preprocess::for_input(&self.loaded.graph, 0))
    }
}

/// `^name$` with the regex metacharacters of `name` escaped.
pub fn exact_pattern(name: &str) -> String {
    let mut o = String::from("^");
    for ch in name.chars() {
        if "\\.+*?()|[]{}^$".contains(ch) {
            o.push('\\');
        }
        o.push(ch);
    }
    o.push('$');
    o
}

/// Data folders that come with a model.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DataFolders {
    /// Calibration images.
    pub calib: Option<PathBuf>,
    /// Labelled evaluation images.
    pub eval: Option<PathBuf>,
}

/// The bundled samples' layout: `calib/` next to the model for calibration, `test/` (or
/// `eval/`, `test` winning) for evaluation.
pub fn sample_data(model: &Path) -> DataFolders {
    let Some(dir) = model.parent() else {
        return DataFolders::default();
    };
    let calib = Some(dir.join("calib")).filter(|d| d.is_dir());
    let eval = ["test", "eval"]
        .iter()
        .map(|d| dir.join(d))
        .find(|d| d.is_dir());
    DataFolders { calib, eval }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_pattern_escapes_metacharacters() {
        assert_eq!(exact_pattern("a.b/c(1)"), r"^a\.b/c\(1\)$");
    }

    #[test]
    fn sample_data_finds_the_folders_next_to_the_model() {
        let d = std::env::temp_dir().join(format!("pocket-doc-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("calib")).expect("dir");
        std::fs::create_dir_all(d.join("test")).expect("dir");
        let f = sample_data(&d.join("model.tflite"));
        assert_eq!(f.calib, Some(d.join("calib")));
        assert_eq!(f.eval, Some(d.join("test")));
        std::fs::create_dir_all(d.join("eval")).expect("dir");
        assert_eq!(
            sample_data(&d.join("model.tflite")).eval,
            Some(d.join("test"))
        );
        std::fs::remove_dir_all(d.join("test")).expect("rm");
        assert_eq!(
            sample_data(&d.join("model.tflite")).eval,
            Some(d.join("eval"))
        );
        let _ = std::fs::remove_dir_all(&d);
    }
}
