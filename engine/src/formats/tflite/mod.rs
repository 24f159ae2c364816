//! TFLite flatbuffers (schema v3): reader (`read_file`, `read_bytes`) and writer
//! (`write_file`, `to_bytes`).

pub mod builder;
pub mod fb;
pub mod flexbuf;
pub mod metadata;
pub(crate) mod options;
mod options_table;
mod read;
pub mod schema;
pub mod schema_detection;
pub mod schema_logic;
pub mod schema_movement;
pub mod sequence;
pub mod signatures;
mod write;

use std::path::Path;
use std::sync::Arc;

use crate::error::{Error, ImportError, Result};
use crate::ir::Graph;

pub use read::MAX_TENSOR_ELEMS;

/// Read a .tflite file. The file is memory-mapped: constant data is shared, not copied.
pub fn read_file(path: impl AsRef<Path>) -> Result<Graph> {
    let path = path.as_ref();
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let len = f.metadata().map_err(|e| Error::io(path, e))?.len();
    if len == 0 {
        return Err(Error::import(format!(
            "{}: the file is empty",
            path.display()
        )));
    }
    // SAFETY: the map is read-only; the engine never writes to model files, and a file
    // truncated by someone else while mapped is outside what a reader can defend against.
    let map = unsafe { memmap2::Mmap::map(&f) }.map_err(|e| Error::io(path, e))?;
    read::read(Arc::new(map)).map_err(|e| match e {
        Error::Import(ImportError::Corrupt(m)) => Error::import(format!("{}: {m}", path.display())),
        e => e,
    })
}

/// Read a .tflite model from bytes.
pub fn read_bytes(bytes: Vec<u8>) -> Result<Graph> {
    read::read(Arc::new(bytes))
}

/// Serialize a graph to .tflite bytes.
pub fn to_bytes(g: &Graph) -> Result<Vec<u8>> {
    write::write(g)
}

/// Write a graph to `path` through a temporary file and a rename, so that a failure never
/// leaves a half-written file.
pub fn write_file(g: &Graph, path: impl AsRef<Path>) -> Result<()> {
    let bytes = to_bytes(g)?;
    crate::formats::write_atomic(path.as_ref(), &bytes)
}
