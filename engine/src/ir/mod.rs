//! The intermediate representation every format translates into: tensors, nodes with a closed
//! `Op` enum, graph inputs/outputs and model metadata. Invariants: `Graph::nodes` is in a valid
//! execution order, every node's output tensors carry the dtype/shape its shape inference
//! produced, and constant data is shared, never copied.

mod detection;
mod dtype;
mod graph;
mod movement;
mod op;
mod sequence;
mod source;
mod tensor;
mod value;

pub use detection::{DetOp, PostProcess};
pub use dtype::DType;
pub use graph::{Graph, ModelMeta, Node, NodeId, RawMetadata, Signature, TensorMeta};
pub use movement::{Conv3d, Movement, Reduce2Kind};
pub use op::*;
pub use sequence::{LstmOptions, RnnOptions, SeqOp};
pub use source::{Resizable, SourceDim, SourceGraph, SourceNode, SourceValue};
pub use tensor::{Bytes, QuantParams, SparseDim, Sparsity, Tensor, TensorId};
pub use value::{Data, Value};
