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
    let m = decode_file(path)?;
    import_guarded(&m, path.parent(), opts).map_err(|e| named(path, e))
}

/// A corrupt-file error with the file's name.
fn named(path: &Path, e: Error) -> Error {
    match e {
        Error::Import(crate::error::ImportError::Corrupt(m)) => {
            Error::import(format!("{}: {m}", path.display()))
        }
        e => e,
    }
}

/// Decode an ONNX file from its memory map without copying: `raw_data` fields are slices of
/// the map, and the large ones are then read from the file as they are translated
/// ([`tensor::back_by_file`]), so the weights are in memory once, in the graph, and the map
/// goes with the message.
fn decode_file(path: &Path) -> Result<proto::ModelProto> {
    let f = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let len = f.metadata().map_err(|e| Error::io(path, e))?.len();
    if len > MAX_FILE {
        return Err(Error::import(format!(
            "{}: {len} bytes is larger than the 2 GiB an ONNX protobuf may have (store weights as external data)",
            path.display(),
        )));
    }
    if len == 0 {
        return Err(named(path, OnnxError::Empty.into()));
    }
    // SAFETY: the map is read-only; the engine never writes to model files, and a file
    // truncated by someone else while mapped is outside what a reader can defend against.
    let map = unsafe { memmap2::Mmap::map(&f) }.map_err(|e| Error::io(path, e))?;
    // Random access: no fault-around, so reading the message's fields does not map the
    // neighbouring weight pages into the process (a hint; failure is harmless).
    #[cfg(unix)]
    let _ = map.advise(memmap2::Advice::Random);
    let buf = bytes::Bytes::from_owner(map);
    let mut m = decode_shared(buf.clone()).map_err(|e| named(path, e))?;
    if let Some(name) = path.file_name().and_then(|n| n.to_str()) {
        tensor::back_by_file(&mut m, &buf, name);
    }
    Ok(m)
}

/// Import ONNX bytes; `dir` is where external data files live.
pub fn read_bytes(bytes: &[u8], dir: Option<&Path>, opts: &ImportOptions) -> Result<Graph> {
    use prost::Message;
    if bytes.is_empty() {
        return Err(OnnxError::Empty.into());
    }
    let m = proto::ModelProto::decode(bytes).map_err(OnnxError::Proto)?;
    import_guarded(&m, dir, opts)
}

/// [`import`], with a panic in a translation rule turned into an error.
fn import_guarded(
    m: &proto::ModelProto,
    dir: Option<&Path>,
    opts: &ImportOptions,
) -> Result<Graph> {
    // Defence in depth for hostile files: a bug in a translation rule becomes an error.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| import(m, dir, opts))).unwrap_or_else(
        |_| {
            Err(Error::import(
                "internal error while translating the graph (please report this file)",
            ))
        },
    )
}

/// Decode a model from a shared buffer: `raw_data` fields become slices of it.
fn decode_shared(buf: bytes::Bytes) -> Result<proto::ModelProto> {
    use prost::Message;
    if buf.is_empty() {
        return Err(OnnxError::Empty.into());
    }
    Ok(proto::ModelProto::decode(buf).map_err(OnnxError::Proto)?)
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

/// [`declared_inputs_with`] of an ONNX file, decoded from its memory map (the weights' pages
/// are not read).
pub fn declared_inputs_file(
    path: impl AsRef<Path>,
    batch: usize,
    overrides: &[String],
) -> Result<Vec<crate::shapes::InputDims>> {
    let m = decode_file(path.as_ref())?;
    Ok(import::declared_inputs_meta(&m, batch.max(1), overrides)?
        .into_iter()
        .map(|(_, d)| d)
        .collect())
}

/// [`metadata_sizes`] of an ONNX file, decoded from its memory map.
pub fn metadata_sizes_file(path: impl AsRef<Path>) -> Result<meta_sizes::MetaSizes> {
    Ok(meta_sizes::MetaSizes::of(&decode_file(path.as_ref())?))
}

/// [`overridable`] of an ONNX file, decoded from its memory map.
pub fn overridable_file(path: impl AsRef<Path>) -> Result<Vec<String>> {
    let m = decode_file(path.as_ref())?;
    let gp = m.graph.as_ref().ok_or(OnnxError::NoGraph)?;
    Ok(import::overridable(gp))
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
