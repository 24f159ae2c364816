//! Typed errors of the ONNX importer. [`OnnxError`] is what every internal function returns;
//! [`NodeError`] is why one node could not be translated, and the driver wraps it with the
//! node's name and op (so no import function can forget to name them). The one conversion into
//! the engine's [`crate::error::Error`] lives at the end of this file.

use std::ops::RangeInclusive;
use std::path::PathBuf;

use crate::error::Error;

/// Why an ONNX model could not be imported.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OnnxError {
    /// The bytes are not an ONNX protobuf.
    #[error("not an ONNX model (protobuf: {0})")]
    Proto(#[source] prost::DecodeError),
    /// The file is empty.
    #[error("empty file")]
    Empty,
    /// The model has no graph.
    #[error("the model has no graph")]
    NoGraph,
    /// The default-domain opset is outside what the importer translates.
    #[error("opset {got} is outside the supported range {}-{}", .range.start(), .range.end())]
    Opset {
        /// The model's `ai.onnx` opset.
        got: i64,
        /// The opsets the importer handles.
        range: RangeInclusive<i64>,
    },
    /// Ops (or op versions) the importer has no translation for, each with its node count.
    #[error("the model uses ops that cannot be imported: {}", fmt_ops(.ops))]
    UnsupportedOps {
        /// `(op, nodes)`, sorted by op; the op may be `domain.Op` or `Op at opset N`.
        ops: Vec<(String, usize)>,
    },
    /// A graph-level feature the importer does not handle.
    #[error("{0} are not supported")]
    UnsupportedFeature(&'static str),
    /// A graph input whose type the importer cannot use.
    #[error("graph input '{name}' {why}")]
    GraphInput {
        /// Input name.
        name: String,
        /// What is wrong with it.
        why: String,
    },
    /// A graph output that no node produces.
    #[error("graph output '{0}' is never produced")]
    MissingOutput(String),
    /// An initializer or constant tensor is malformed (sizes, types, external data fields).
    #[error("tensor '{name}': {why}")]
    Tensor {
        /// The tensor's name.
        name: String,
        /// What is wrong.
        why: String,
    },
    /// An external data file could not be read.
    #[error("cannot read external data {}", .path.display())]
    ExternalData {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// One node could not be translated.
    #[error("node '{node}' ({op})")]
    Node {
        /// The node's name (or its first output, or `#index`).
        node: String,
        /// Its op type.
        op: String,
        /// Why.
        #[source]
        cause: Box<NodeError>,
    },
}

/// Why one node could not be translated (the node and op are attached by [`OnnxError::Node`]).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum NodeError {
    /// An input no earlier node, initializer or graph input produces.
    #[error("input '{0}' is not produced by any earlier node")]
    UnknownInput(String),
    /// A required input is absent or empty.
    #[error("input {0} is missing")]
    MissingInput(usize),
    /// The node has more or fewer inputs or outputs than its op allows.
    #[error("{what}: {got}, expected {}", fmt_range(.want))]
    Arity {
        /// `inputs` or `outputs`.
        what: &'static str,
        /// How many the node has.
        got: usize,
        /// How many the op takes.
        want: RangeInclusive<usize>,
    },
    /// An attribute with a wrong type or a value the translation does not handle.
    #[error("attribute '{attr}': {why}")]
    BadAttribute {
        /// Attribute name.
        attr: String,
        /// What is wrong.
        why: String,
    },
    /// An input that must be known at import time (weights, shapes, axes) is computed.
    #[error("{0} must be a constant (or computable from shapes)")]
    NotConstant(String),
    /// An axis outside the tensor's rank.
    #[error("axis {axis} out of range for rank {rank}")]
    Axis {
        /// The axis as written.
        axis: i64,
        /// The tensor's rank.
        rank: usize,
    },
    /// Inputs or attributes that are inconsistent (shapes, lengths, values).
    #[error("{0}")]
    Invalid(String),
    /// A valid configuration the translation does not handle.
    #[error("{0}")]
    Unsupported(String),
    /// The engine refused the translated node (shape inference).
    #[error(transparent)]
    Graph(Error),
    /// A constant tensor attribute could not be read.
    #[error(transparent)]
    Tensor(Box<OnnxError>),
}

fn fmt_ops(ops: &[(String, usize)]) -> String {
    ops.iter()
        .map(|(op, n)| fmt_op(op, *n))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `LSTM (1 node)`, `Erf (2 nodes)`.
fn fmt_op(op: &str, n: usize) -> String {
    format!("{op} ({n} node{})", if n == 1 { "" } else { "s" })
}

fn fmt_range(r: &RangeInclusive<usize>) -> String {
    match (*r.start(), *r.end()) {
        (a, b) if a == b => format!("{a}"),
        (a, usize::MAX) => format!("at least {a}"),
        (a, b) => format!("{a} to {b}"),
    }
}

/// The one place ONNX errors become engine errors.
impl From<OnnxError> for Error {
    fn from(e: OnnxError) -> Self {
        match e {
            OnnxError::UnsupportedOps { ops } => Error::Unsupported {
                ops: ops.iter().map(|(op, n)| fmt_op(op, *n)).collect(),
            },
            OnnxError::ExternalData { path, source } => Error::Io { path, source },
            e => Error::Import(crate::error::ImportError::Onnx(Box::new(e))),
        }
    }
}

/// `return Err(NodeError::Invalid(format!(..)))`.
macro_rules! bail {
    ($($t:tt)*) => { return Err($crate::formats::onnx::error::NodeError::Invalid(format!($($t)*))) };
}
/// `return Err(NodeError::Unsupported(format!(..)))`.
macro_rules! refuse {
    ($($t:tt)*) => { return Err($crate::formats::onnx::error::NodeError::Unsupported(format!($($t)*))) };
}
pub(crate) use {bail, refuse};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsupported_ops_keep_the_engine_message_format() {
        let e = Error::from(OnnxError::UnsupportedOps {
            ops: vec![("Erf".into(), 2), ("LSTM".into(), 1)],
        });
        match e {
            Error::Unsupported { ops } => assert_eq!(ops, ["Erf (2 nodes)", "LSTM (1 node)"]),
            e => panic!("{e}"),
        }
        let e = OnnxError::Node {
            node: "c1".into(),
            op: "Conv".into(),
            cause: Box::new(NodeError::Arity {
                what: "inputs",
                got: 1,
                want: 2..=3,
            }),
        };
        assert_eq!(
            Error::from(e).chain(),
            "cannot read model: node 'c1' (Conv): inputs: 1, expected 2 to 3"
        );
    }
}
