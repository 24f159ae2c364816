//! All integration tests, compiled into one binary.

#[path = "it/bad_input.rs"]
mod bad_input;
#[path = "it/detection.rs"]
mod detection;
#[path = "it/digits.rs"]
mod digits;
#[path = "it/eval.rs"]
mod eval;
#[path = "it/grouped_conv.rs"]
mod grouped_conv;
#[path = "it/kept.rs"]
mod kept;
#[path = "it/metadata.rs"]
mod metadata;
#[path = "it/onnx.rs"]
mod onnx;
#[path = "it/onnx_control.rs"]
mod onnx_control;
#[path = "it/onnx_quant.rs"]
mod onnx_quant;
#[path = "it/onnx_spatial.rs"]
mod onnx_spatial;
#[path = "it/ops_table.rs"]
mod ops_table;
#[path = "it/oracle_litert.rs"]
mod oracle_litert;
#[path = "it/passes.rs"]
mod passes;
#[path = "it/quant.rs"]
mod quant;
#[path = "it/quant_oracle.rs"]
mod quant_oracle;
#[path = "it/roundtrip.rs"]
mod roundtrip;
#[path = "it/runtime.rs"]
mod runtime;
#[path = "it/state.rs"]
mod state;
#[path = "it/tolerance.rs"]
mod tolerance;

/// A fresh scratch directory under the system temp dir.
pub fn scratch(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("pocket-tests-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch dir");
    d
}
