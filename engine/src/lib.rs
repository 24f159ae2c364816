//! Pocket Studio engine: one IR for every model format, a TFLite reader and writer, a float
//! runtime whose numbers match LiteRT, and the kernels it runs. No UI code lives here.
//!
//! Dependency order: the `pocket-kernels` crate (pure math on slices, re-exported as
//! [`kernels`], its worker pool as [`parallel`]) <- `ir` <- `ops` <- {`formats`, `runtime`}.
#![warn(missing_docs)]

pub mod arena;
pub mod data;
pub mod error;
pub mod eval;
pub mod formats;
pub mod ir;
pub use pocket_kernels as kernels;
pub mod ops;
pub use pocket_kernels::parallel;
pub mod passes;
pub mod quant;
pub mod runtime;
pub mod shapes;
pub mod summary;

pub use error::{Error, Result};
pub use ir::{DType, Graph, Node, Op, QuantParams, Tensor, TensorId};
pub use runtime::{Numerics, Session, SessionOptions, Value};
