//! Real models nobody here made (MediaPipe, PaddleOCR through RapidOCR, Silero VAD, ddddocr),
//! fetched at test time from the PyPI wheels pinned in tests/real_models.tsv (cached in
//! `~/.cache/pocket-studio/real-models`, never committed): every one opens in `pocket inspect`,
//! and the ones the manifest marks runnable match LiteRT / ONNX Runtime element by element.
//! The work is done by tests/oracle/real_models.py, which prints one line per model.

use std::path::Path;
use std::process::Command;

use pocket_tests::oracle;

#[test]
fn real_models_from_registry_wheels_open_and_match_their_runtime() {
    let Some(python) = oracle::require(oracle::ORT) else {
        return;
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Command::new(python)
        .arg(root.join("tests/oracle/real_models.py"))
        .arg(env!("CARGO_BIN_EXE_pocket"))
        .arg("--manifest")
        .arg(root.join("tests/real_models.tsv"))
        .output()
        .expect("start tests/oracle/real_models.py");
    let report = String::from_utf8_lossy(&out.stdout);
    println!("{report}");
    assert!(
        out.status.success(),
        "real models failed:\n{report}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
