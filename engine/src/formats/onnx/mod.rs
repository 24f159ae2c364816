//! ONNX models in (opsets [`import::OPSET`], 7–28; a few ops claim fewer, e.g. Upsample 7–9
//! and the ops introduced later from their first version): protobuf decoding ([`proto`], prost,
//! no `protoc`), tensors (raw or typed fields, external data files next to the model), and
//! translation into the engine's TFLite-style IR ([`import`], the driver; `ops/`, one file per
//! op family with its table of ops, opsets, arities and attribute defaults): NCHW ops become
//! their NHWC TFLite counterparts between transposes, shape-computing subgraphs are folded to
//! constants (the batch dimension is fixed, 1 unless told otherwise), and [`layout`] then
//! cancels the transposes inside the graph so that only the graph edges keep them.
//!
//! Errors inside the importer are [`error::OnnxError`]; the public functions return the
//! engine's error through its one `From` impl.

mod ctx;
pub mod error;
pub mod import;
mod kept;
pub mod layout;
pub mod meta_sizes;
mod ops;
pub mod proto;
mod source;
pub mod tensor;

use std::path::Path;

pub use error::OnnxError;
pub use import::{ImportOptions, OPSET, import};
pub use ops::supported as supported_ops;

use crate::error::{Error, Result};
use crate::ir::Graph;

/// Largest model file read into memory (protobuf needs the whole message).
const MAX_FILE: u64 = 2 << 30;

/// Read and import an ONNX file (external data is looked up next to it).
pub fn read_file(path: impl AsRef<Path>) -> Result<Graph> {
    read_file_with(path, &ImportOptions::default())
}

/// [`read_file`] with options.
pub fn read_file_with(path: impl AsRef<Path>, opts: &ImportOptions) -> Result<Graph> {
    let path = path.as_ref();
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.len() > MAX_FILE {
        return Err(Error::import(format!(
            "{}: {} bytes is larger than the 2 GiB an ONNX protobuf may have (store weights as external data)",
            path.display(),
            meta.len()
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
    read_bytes(&bytes, path.parent(), opts).map_err(|e| match e {
        Error::Import(crate::error::ImportError::Corrupt(m)) => {
            Error::import(format!("{}: {m}", path.display()))
        }
        e => e,
    })
}

/// Import ONNX bytes; `dir` is where external data files live.
pub fn read_bytes(bytes: &[u8], dir: Option<&Path>, opts: &ImportOptions) -> Result<Graph> {
    use prost::Message;
    if bytes.is_empty() {
        return Err(OnnxError::Empty.into());
    }
    let m = proto::ModelProto::decode(bytes).map_err(OnnxError::Proto)?;
    // Defence in depth for hostile files: a bug in a translation rule becomes an error.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| import(&m, dir, opts))).unwrap_or_else(
        |_| {
            Err(Error::import(
                "internal error while translating the graph (please report this file)",
            ))
        },
    )
}

/// The declared inputs of ONNX bytes (fixed and free dimensions, a free batch axis defaulting
/// to `batch`), read without importing the graph: what `--input-shape` is checked against.
pub fn declared_inputs(bytes: &[u8], batch: usize) -> Result<Vec<crate::shapes::InputDims>> {
    declared_inputs_with(bytes, batch, &[])
}

/// [`declared_inputs`] with the initializers named in `overrides` counted as inputs (see
/// [`ImportOptions::overrides`]).
pub fn declared_inputs_with(
    bytes: &[u8],
    batch: usize,
    overrides: &[String],
) -> Result<Vec<crate::shapes::InputDims>> {
    let m = decode(bytes)?;
    Ok(import::declared_inputs_meta(&m, batch.max(1), overrides)?
        .into_iter()
        .map(|(_, d)| d)
        .collect())
}

/// The input sizes ONNX bytes' metadata states (Ultralytics' `imgsz`, `batch`).
pub fn metadata_sizes(bytes: &[u8]) -> Result<meta_sizes::MetaSizes> {
    Ok(meta_sizes::MetaSizes::of(&decode(bytes)?))
}

/// The initializers ONNX bytes also list as graph inputs: constants a caller may override.
pub fn overridable(bytes: &[u8]) -> Result<Vec<String>> {
    let m = decode(bytes)?;
    let gp = m.graph.as_ref().ok_or(OnnxError::NoGraph)?;
    Ok(import::overridable(gp))
}

fn decode(bytes: &[u8]) -> Result<proto::ModelProto> {
    use prost::Message;
    if bytes.is_empty() {
        return Err(OnnxError::Empty.into());
    }
    Ok(proto::ModelProto::decode(bytes).map_err(OnnxError::Proto)?)
}

/// True when the bytes look like an ONNX model (a protobuf starting with `ir_version`).
pub fn sniff(bytes: &[u8]) -> bool {
    bytes.first() == Some(&0x08)
}
