//! Typed errors of the engine: one enum per area (import, graph, shape, run, quantization,
//! export, data) under the `#[non_exhaustive]` [`Error`]. Every message names what it is about
//! (file offset, tensor, node, op, shapes) so that the CLI and the GUI can show it as is; causes
//! are kept as `#[source]`, so a caller printing the chain (`{:#}` with anyhow) sees all of it,
//! and a caller matching on the variant can tell "unsupported ops" from "corrupt file" from
//! "cancelled".

use std::path::PathBuf;

use crate::ir::DType;

/// Result alias used across the engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Any error the engine reports.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A model file could not be read: malformed bytes, out-of-range indices, bad sizes.
    #[error("cannot read model")]
    Import(#[source] ImportError),
    /// The graph is not a valid dataflow graph (cycle, unordered nodes, dangling tensors).
    #[error("invalid graph")]
    Graph(#[source] GraphError),
    /// Shape or type inference failed for a node.
    #[error("shape error in node {node} ({op})")]
    Shape {
        /// Node name or index.
        node: String,
        /// Op name.
        op: String,
        /// What is wrong with the node's inputs or attributes.
        #[source]
        source: OpError,
    },
    /// The model uses ops the runtime cannot execute (all of them are listed).
    #[error("the model uses ops that cannot run yet: {}", .ops.join(", "))]
    Unsupported {
        /// One entry per distinct op, e.g. `CUSTOM:TFLite_Detection_PostProcess (1 node)`.
        ops: Vec<String>,
    },
    /// Evaluation of a node failed (bad input values such as an out-of-range index).
    #[error("cannot run node {node} ({op})")]
    Eval {
        /// Node name or index.
        node: String,
        /// Op name.
        op: String,
        /// What went wrong.
        #[source]
        source: OpError,
    },
    /// Wrong inputs handed to a session, or inputs too large to run.
    #[error("invalid input")]
    Input(#[source] InputError),
    /// Quantization failed (bad recipe, bad calibration data, unsupported model).
    #[error("cannot quantize")]
    Quant(#[source] QuantError),
    /// A graph could not be exported.
    #[error("cannot export model")]
    Export(#[source] ExportError),
    /// A data file (image, `.npy`, `.npz`, dataset folder) could not be used.
    #[error("cannot use data")]
    Data(#[source] DataError),
    /// Work was cancelled through a cancel token.
    #[error("cancelled")]
    Cancelled,
    /// An I/O error with the path it concerns.
    #[error("cannot access {path}")]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        #[source]
        source: std::io::Error,
    },
}

/// What is wrong with a model file's bytes or with the model it describes.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ImportError {
    /// The bytes are not a valid model of the format: truncated, bad offsets, out-of-range
    /// indices, sizes that do not fit.
    #[error("{0}")]
    Corrupt(String),
    /// The file is valid but uses something this reader does not know (a format version, an
    /// element type, a feature).
    #[error("{0}")]
    NotSupported(String),
    /// The file is neither a TFLite nor an ONNX model.
    #[error("{0}")]
    Format(String),
    /// An ONNX model could not be translated (the error names the node, op and cause).
    #[error(transparent)]
    Onnx(Box<crate::formats::onnx::OnnxError>),
    /// A node could not be read into the IR.
    #[error("node {node} ({op})")]
    Node {
        /// Node name or index.
        node: String,
        /// Op name.
        op: String,
        /// Why.
        #[source]
        source: OpError,
    },
}

/// A graph whose structure is broken: found when a session or a pass walks it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum GraphError {
    /// A node reads a tensor that no earlier node produces.
    #[error(
        "node {node} ({op}) reads tensor {tensor} '{name}' before it is produced (the graph has a cycle or its nodes are out of order)"
    )]
    Cycle {
        /// Node label.
        node: String,
        /// Op name.
        op: String,
        /// Tensor index.
        tensor: usize,
        /// Tensor name.
        name: String,
    },
    /// A graph output that no node produces.
    #[error("graph output {tensor} '{name}' is never produced")]
    OutputNotProduced {
        /// Tensor index.
        tensor: usize,
        /// Tensor name.
        name: String,
    },
    /// A tensor index out of range, or a constant whose bytes do not match its shape.
    #[error("{0}")]
    Tensor(String),
}

/// What is wrong with one op's inputs, attributes or values. Returned by shape inference and
/// evaluation in `ops`; the caller wraps it with the node it concerns ([`Error::Shape`],
/// [`Error::Eval`]).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum OpError {
    /// An input the op needs is absent.
    #[error("missing input {0}")]
    MissingInput(usize),
    /// An input has the wrong element type.
    #[error("input {index} is {got}, expected {expected}")]
    InputType {
        /// Input index.
        index: usize,
        /// Its type.
        got: DType,
        /// What the op takes.
        expected: &'static str,
    },
    /// A tensor has the wrong rank.
    #[error("{what} must be {rank}-D, got {shape:?}")]
    Rank {
        /// Which tensor.
        what: &'static str,
        /// The rank the op needs.
        rank: usize,
        /// Its shape.
        shape: Vec<usize>,
    },
    /// Two shapes do not broadcast.
    #[error("shapes {a:?} and {b:?} do not broadcast")]
    Broadcast {
        /// First shape.
        a: Vec<usize>,
        /// Second shape.
        b: Vec<usize>,
    },
    /// An axis outside the tensor's rank.
    #[error("axis {axis} is out of range for rank {rank}")]
    Axis {
        /// The axis as given.
        axis: i64,
        /// The rank.
        rank: usize,
    },
    /// The op has no kernel for this combination of types or attributes.
    #[error("no kernel for {0}")]
    NoKernel(String),
    /// Inputs, attributes or values that do not fit together (the message names the shapes
    /// and values concerned).
    #[error("{0}")]
    Invalid(String),
}

impl From<String> for OpError {
    fn from(s: String) -> Self {
        OpError::Invalid(s)
    }
}

impl From<crate::kernels::sparse::SparseError> for OpError {
    fn from(e: crate::kernels::sparse::SparseError) -> Self {
        OpError::Invalid(e.to_string())
    }
}

impl From<&str> for OpError {
    fn from(s: &str) -> Self {
        OpError::Invalid(s.to_string())
    }
}

/// Inputs handed to a session that do not fit the model.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// Wrong number of inputs.
    #[error("the model takes {expected} inputs, got {got}")]
    Count {
        /// What the model takes.
        expected: usize,
        /// What was given.
        got: usize,
    },
    /// An input of the wrong type.
    #[error("input {index} '{name}' is {expected}, got {got}")]
    DType {
        /// Input index.
        index: usize,
        /// Input name.
        name: String,
        /// The model's type.
        expected: DType,
        /// The given type.
        got: DType,
    },
    /// An input of the wrong shape.
    #[error("input {index} '{name}' must have shape {expected:?}, got {got:?}")]
    Shape {
        /// Input index.
        index: usize,
        /// Input name.
        name: String,
        /// The model's shape.
        expected: Vec<usize>,
        /// The given shape.
        got: Vec<usize>,
    },
    /// A tensor too large for one intermediate buffer.
    #[error(
        "tensor {index} '{name}' {shape:?} would need {gib:.1} GiB, more than the {limit_gib} GiB a single intermediate may use"
    )]
    TooLarge {
        /// Tensor index.
        index: usize,
        /// Tensor name.
        name: String,
        /// Its shape.
        shape: Vec<usize>,
        /// Bytes it would need, in GiB.
        gib: f64,
        /// The limit, in GiB.
        limit_gib: usize,
    },
    /// An output that the run did not compute.
    #[error("output '{0}' was not computed")]
    NotComputed(String),
    /// Input sizes (`--input-shape`, the arrays given) that do not fit the model.
    #[error(transparent)]
    Sizes(#[from] crate::shapes::ShapeError),
}

/// Why a model could not be quantized.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum QuantError {
    /// The recipe is malformed or asks for something inconsistent.
    #[error("recipe: {0}")]
    Recipe(String),
    /// Calibration data is missing or does not fit the model.
    #[error("calibration data: {0}")]
    Calibration(String),
    /// The model cannot be quantized as asked (the message names the node or tensor).
    #[error("{0}")]
    Model(String),
    /// Running the float model during calibration failed.
    #[error("while calibrating")]
    Run(#[source] Box<Error>),
}

/// Why a graph could not be written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ExportError {
    /// A node that the format cannot encode.
    #[error("node '{node}': {why}")]
    Node {
        /// Node name.
        node: String,
        /// Why.
        why: String,
    },
    /// A tensor that the format cannot hold.
    #[error("tensor '{tensor}': {why}")]
    Tensor {
        /// Tensor name.
        tensor: String,
        /// Why.
        why: String,
    },
    /// The whole model exceeds a limit of the format.
    #[error("{0}")]
    TooLarge(String),
    /// A file that could not be encoded (a chart, a report).
    #[error("{path}: {why}")]
    Encode {
        /// The file.
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// The destination is not a file path.
    #[error("{0} is not a file path")]
    NotAFile(PathBuf),
}

/// Why a data file or folder could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DataError {
    /// A `.npy`/`.npz` file that is malformed or holds an unsupported type.
    #[error("{path}: {why}")]
    Npy {
        /// The file (empty when read from memory).
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// An image that cannot be decoded or resized.
    #[error("{path}: {why}")]
    Image {
        /// The file (empty when from memory).
        path: PathBuf,
        /// Why.
        why: String,
    },
    /// A file or folder that is missing or malformed, or holds no usable samples.
    #[error("{0}")]
    Invalid(String),
    /// A sample that does not fit the model's inputs.
    #[error("{0}")]
    Mismatch(String),
}

impl Error {
    /// Shorthand for an import error on corrupt bytes.
    pub fn import(msg: impl Into<String>) -> Self {
        Error::Import(ImportError::Corrupt(msg.into()))
    }

    /// Attach a path to an I/O error.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// Shorthand for a quantization error about the model.
    pub fn quant(msg: impl Into<String>) -> Self {
        Error::Quant(QuantError::Model(msg.into()))
    }

    /// Shorthand for a data file or folder that is missing, malformed or empty.
    pub fn data(msg: impl Into<String>) -> Self {
        Error::Data(DataError::Invalid(msg.into()))
    }

    /// Shorthand for a sample that does not fit the model.
    pub fn mismatch(msg: impl Into<String>) -> Self {
        Error::Data(DataError::Mismatch(msg.into()))
    }

    /// The whole message with its causes, `outer: inner: ...` (what the CLI and studio show).
    pub fn chain(&self) -> String {
        let mut s = self.to_string();
        let mut cur: Option<&dyn std::error::Error> = std::error::Error::source(self);
        while let Some(e) = cur {
            s.push_str(": ");
            s.push_str(&e.to_string());
            cur = e.source();
        }
        s
    }
}

macro_rules! from_area {
    ($t:ty => $v:ident) => {
        impl From<$t> for Error {
            fn from(e: $t) -> Self {
                Error::$v(e)
            }
        }
    };
}
from_area!(ImportError => Import);
from_area!(GraphError => Graph);
from_area!(InputError => Input);
from_area!(QuantError => Quant);
from_area!(ExportError => Export);
from_area!(DataError => Data);

impl From<crate::shapes::ShapeError> for Error {
    fn from(e: crate::shapes::ShapeError) -> Self {
        Error::Input(InputError::Sizes(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_names_every_cause() {
        let e = Error::Shape {
            node: "#3 'conv'".into(),
            op: "CONV_2D".into(),
            source: OpError::Rank {
                what: "filter",
                rank: 4,
                shape: vec![3, 3],
            },
        };
        assert_eq!(
            e.chain(),
            "shape error in node #3 'conv' (CONV_2D): filter must be 4-D, got [3, 3]"
        );
        let q = Error::Quant(QuantError::Run(Box::new(Error::Cancelled)));
        assert_eq!(q.chain(), "cannot quantize: while calibrating: cancelled");
    }
}
