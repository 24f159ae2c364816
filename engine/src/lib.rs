//! Pocket Studio engine: one IR for every model format, a TFLite reader and writer, a float
//! runtime whose numbers match LiteRT, and the kernels it runs. No UI code lives here.
//!
//! Dependency order inside the crate: `kernels` (pure math on slices) <- `ir` <- `ops` <-
//! {`formats`, `runtime`}.
#![warn(missing_docs)]

pub mod arena;
pub mod data;
pub mod error;
pub mod eval;
pub mod formats;
pub mod ir;
pub mod kernels;
pub mod ops;
pub mod parallel;
pub mod passes;
pub mod quant;
pub mod runtime;
pub mod summary;

pub use error::{Error, Result};
pub use ir::{DType, Graph, Node, Op, QuantParams, Tensor, TensorId};
pub use runtime::{Session, SessionOptions, Value};
