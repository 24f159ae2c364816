//! The model as its file states it, kept beside the translation: for ONNX files the ONNX op
//! names, attributes and NCHW shapes, so the studio can draw the graph the user exported and
//! map each source node to the IR nodes it became. Display only: nothing runs it.

use super::{AttrValue, NodeId};

/// One dimension of a value as the file declares it.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceDim {
    /// A fixed size.
    Fixed(usize),
    /// A named free dimension (`dim_param`), e.g. `batch`.
    Named(String),
    /// Neither a size nor a name.
    Unknown,
}

/// A value (tensor) of the source graph: a graph input, an initializer or a node output.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceValue {
    /// Name in the file.
    pub name: String,
    /// Element type as the file names it (`float32`, `int64`, ...), empty when undeclared.
    pub dtype: String,
    /// Declared or inferred shape in the file's layout (NCHW for ONNX); `None` when unknown.
    pub dims: Option<Vec<SourceDim>>,
    /// An initializer (constant); its element count is `numel`.
    pub is_const: bool,
    /// Number of elements of a constant (0 otherwise).
    pub numel: usize,
    /// The IR tensor this value became in the main graph, when it maps to one.
    pub tensor: Option<usize>,
}

/// A node of the source graph.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceNode {
    /// Node name in the file (may be empty).
    pub name: String,
    /// Op type as the file names it (`Conv`, `LSTM`).
    pub op_type: String,
    /// Op domain (`` for the default ONNX domain, `com.microsoft`, ...).
    pub domain: String,
    /// Attributes in file order (subgraph attributes as `Str` naming the body).
    pub attrs: Vec<(String, AttrValue)>,
    /// Input values (indices into `SourceGraph::values`); `None` for an omitted optional input.
    pub inputs: Vec<Option<usize>>,
    /// Output values (indices into `SourceGraph::values`).
    pub outputs: Vec<usize>,
    /// The main-graph IR nodes this node was translated into (empty when it folded away, e.g.
    /// shape arithmetic on constants).
    pub translated: Vec<NodeId>,
}

/// The graph as read from the file (main graph only).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SourceGraph {
    /// Format name shown to the user (`ONNX`).
    pub format: String,
    /// Every value.
    pub values: Vec<SourceValue>,
    /// Nodes in file order.
    pub nodes: Vec<SourceNode>,
    /// Graph inputs that are not initializers (indices into `values`).
    pub inputs: Vec<usize>,
    /// Graph outputs (indices into `values`).
    pub outputs: Vec<usize>,
    /// Whether the translation holds at other input sizes (checked by importing again at
    /// other sizes): `None` not checked (or no free dimensions).
    pub resizable: Option<Resizable>,
}

/// The verdict of importing an ONNX graph again at other input sizes.
#[derive(Debug, Clone, PartialEq)]
pub enum Resizable {
    /// Only shapes differ: an export can keep its free dimensions.
    Yes,
    /// Shape arithmetic was folded at the chosen sizes (the reason), so an export is fixed.
    Fixed(String),
}
