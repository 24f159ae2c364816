//! Model file formats. Readers are the validation boundary: whatever the bytes, they return a
//! valid `Graph` or an error naming the problem, never panic, and never allocate more than a
//! small multiple of the file's size.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

pub mod npy;
pub mod onnx;
pub mod tflite;

use std::path::Path;

use crate::error::{Error, ExportError, Result};

/// Read a model by its extension (`.onnx` or `.tflite`); other names are sniffed.
pub fn read_model(path: &Path) -> Result<crate::ir::Graph> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    match ext.as_str() {
        "onnx" => onnx::read_file(path),
        "tflite" => tflite::read_file(path),
        _ => {
            use std::io::Read;
            let mut head = [0u8; 8];
            let n = std::fs::File::open(path)
                .and_then(|mut f| f.read(&mut head))
                .map_err(|e| Error::io(path, e))?;
            if head.get(4..8) == Some(b"TFL3") || n < 8 || !onnx::sniff(&head) {
                tflite::read_file(path)
            } else {
                onnx::read_file(path)
            }
        }
    }
}

/// Write `bytes` to `path` via a temporary file in the same directory and a rename.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .ok_or_else(|| ExportError::NotAFile(path.to_path_buf()))?;
    let tmp = dir.join(format!(
        ".{}.tmp{}",
        name.to_string_lossy(),
        std::process::id()
    ));
    let res = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    res.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        Error::io(path, e)
    })
}
