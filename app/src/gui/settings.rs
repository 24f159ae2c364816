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
    /// Last calibration folder.
    pub calib_dir: String,
    /// Last evaluation folder.
    pub data_dir: String,
    /// Show the log panel.
    pub show_log: bool,
    /// The input sizes last applied to each model with free dimensions (`name=size` each), so
    /// it reopens at them.
    pub sizes: BTreeMap<PathBuf, Vec<String>>,
    /// The SQNR scale of the graph's error colours (green at `good_db`, red at `bad_db`).
    pub heat: pocket_engine::eval::layers::HeatScale,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            version: 1,
            recent: Vec::new(),
            dark: true,
            calib_dir: String::new(),
            data_dir: String::new(),
            show_log: false,
            sizes: BTreeMap::new(),
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
    }
}
