//! Open a model file: read it (TFLite or ONNX, recognised by extension or bytes), optionally
//! with NHWC inputs for ONNX, and summarize it.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use pocket_engine::Graph;
use pocket_engine::formats::onnx;
use pocket_engine::summary::{Summary, summarize};

use super::Progress;

/// An opened model.
pub struct Opened {
    /// The path it was read from.
    pub path: PathBuf,
    /// File size, bytes.
    pub bytes: usize,
    /// The graph.
    pub graph: Graph,
    /// Its summary (inputs, outputs, ops, cost, unsupported ops).
    pub summary: Summary,
}

/// Read a model file. With `nhwc_input`, an ONNX model's image input becomes NHWC; TFLite
/// inputs are NHWC already, so asking for it there is an error.
pub fn read(path: &Path, nhwc_input: bool) -> Result<Graph> {
    if !nhwc_input {
        // Engine errors already name the file.
        return Ok(pocket_engine::formats::read_model(path)?);
    }
    if !is_onnx(path) {
        bail!("NHWC input applies to .onnx models (TFLite inputs are NHWC already)");
    }
    let opts = onnx::ImportOptions {
        nhwc_input: true,
        ..Default::default()
    };
    Ok(onnx::read_file_with(path, &opts)?)
}

/// Whether `path` names an ONNX file (by extension).
pub fn is_onnx(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("onnx"))
}

/// Size of the file at `path` in bytes (0 when it cannot be read).
pub fn file_size(path: &Path) -> usize {
    std::fs::metadata(path).map_or(0, |m| m.len() as usize)
}

/// Read and summarize a model; `progress` sees (0, 2) before reading, (1, 2) before
/// summarizing.
pub fn open(path: &Path, progress: Progress<'_>) -> Result<Opened> {
    progress(0, 2);
    let graph = read(path, false)?;
    progress(1, 2);
    let summary = summarize(&graph);
    Ok(Opened {
        path: path.to_path_buf(),
        bytes: file_size(path),
        graph,
        summary,
    })
}
