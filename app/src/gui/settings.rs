//! Settings that survive restarts (paths and options, never tensors). Unknown or corrupt saved
//! settings fall back to defaults.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Persisted settings.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Format version.
    pub version: u32,
    /// Recently opened models, most recent first.
    pub recent: Vec<PathBuf>,
    /// Dark theme.
    pub dark: bool,
    /// Show the log panel.
    pub show_log: bool,
    /// The input sizes last applied to each model with free dimensions (`name=size` each), so
    /// it reopens at them.
    pub sizes: BTreeMap<PathBuf, Vec<String>>,
    /// What the user chose for each model (folders, kept nodes, search, recipe), so opening
    /// another model never reuses them silently.
    pub models: BTreeMap<PathBuf, ModelState>,
    /// The SQNR scale of the graph's error colours (green at `good_db`, red at `bad_db`).
    pub heat: pocket_engine::eval::layers::HeatScale,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            version: 1,
            recent: Vec::new(),
            dark: true,
            show_log: false,
            sizes: BTreeMap::new(),
            models: BTreeMap::new(),
            heat: Default::default(),
        }
    }
}

impl Settings {
    /// Remember an opened model.
    pub fn add_recent(&mut self, p: PathBuf) {
        self.recent.retain(|r| *r != p);
        self.recent.insert(0, p);
        self.recent.truncate(10);
        // Sizes are kept for the recent models only.
        let recent = &self.recent;
        self.sizes.retain(|p, _| recent.contains(p));
        self.models.retain(|p, _| recent.contains(p));
    }

    /// The state remembered for model `path` (default when it was never opened).
    pub fn model(&self, path: &std::path::Path) -> ModelState {
        self.models.get(path).cloned().unwrap_or_default()
    }

    /// Change the state remembered for model `path`.
    pub fn model_mut(&mut self, path: &std::path::Path) -> &mut ModelState {
        self.models.entry(path.to_path_buf()).or_default()
    }
}

/// What the user chose for one model file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ModelState {
    /// Calibration folder (empty: not chosen yet).
    pub calib_dir: String,
    /// Comparison / evaluation data folder (empty: not chosen yet).
    pub data_dir: String,
    /// Names of the nodes kept in float.
    pub keep_float: Vec<String>,
    /// The graph's search text.
    pub search: String,
    /// The quantization recipe last edited for it.
    pub recipe: Option<pocket_engine::quant::Recipe>,
}
