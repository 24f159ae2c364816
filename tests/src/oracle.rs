//! Driving the Python oracles from Rust: finding them (a missing one is a recorded skip, or a
//! failure under CI) and running the LiteRT oracle (tests/oracle/litert_run.py).

use std::path::{Path, PathBuf};
use std::process::Command;

use pocket_engine::Value;

/// The Python interpreter with the oracle installed: `$POCKET_PYTHON`, else the repo's `.venv`.
/// Tests call [`require`], which also checks the oracle's modules and records a skip.
fn python() -> Option<PathBuf> {
    if let Ok(p) = std::env::var("POCKET_PYTHON") {
        return Some(PathBuf::from(p));
    }
    let venv = Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv/bin/python");
    venv.exists().then_some(venv)
}

/// The Python modules of the LiteRT oracle.
pub const LITERT: &[&str] = &["ai_edge_litert", "numpy"];
/// The Python modules of the ONNX Runtime oracle (its fixtures are also run by LiteRT).
pub const ORT: &[&str] = &["ai_edge_litert", "numpy", "onnxruntime", "onnx"];
/// The Python modules of the Pillow preprocessing oracle.
pub const PILLOW: &[&str] = &["PIL", "numpy"];

/// The oracle Python for a test that needs `modules`, or `None` after recording the calling
/// test as skipped. Call it first in every oracle test and return on `None`:
///
/// ```ignore
/// let Some(py) = oracle::require(oracle::LITERT) else { return };
/// ```
///
/// Under `CI=true` a missing oracle panics (the test fails): CI never skips. Elsewhere the
/// skip is written, as one line `SKIPPED: <test>: <reason>`, straight to stderr (past the test
/// harness's capture, so a plain `cargo test` shows it) and appended to the file named by
/// `$POCKET_SKIP_LOG`, from which scripts/test.sh counts skipped tests: the harness itself has
/// no skip outcome and counts a skipped test as passed.
pub fn require(modules: &[&str]) -> Option<PathBuf> {
    let found = match python() {
        None => Err("no Python: set POCKET_PYTHON or run scripts/test.sh to make .venv".into()),
        Some(p) => match Command::new(&p)
            .arg("-c")
            .arg(format!("import {}", modules.join(", ")))
            .output()
        {
            Ok(o) if o.status.success() => Ok(p),
            Ok(_) => Err(format!(
                "{} cannot import {} (pip install -r tests/oracle/requirements.txt)",
                p.display(),
                modules.join(", ")
            )),
            Err(e) => Err(format!("cannot start {}: {e}", p.display())),
        },
    };
    let reason = match found {
        Ok(p) => return Some(p),
        Err(reason) => reason,
    };
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("the oracle is missing under CI=true: {reason}");
    }
    record_skip(&reason);
    None
}

/// Record the current test as skipped (see [`require`]).
fn record_skip(reason: &str) {
    use std::io::Write;
    // The harness names each test's thread after the test.
    let name = std::thread::current()
        .name()
        .filter(|n| *n != "main")
        .unwrap_or("<unnamed test>")
        .to_string();
    let line = format!("SKIPPED: {name}: {reason}\n");
    // `io::stderr()` is not captured by the harness (only the print macros are).
    let _ = std::io::stderr().lock().write_all(line.as_bytes());
    if let Some(log) = std::env::var_os("POCKET_SKIP_LOG") {
        let written = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .and_then(|mut f| f.write_all(line.as_bytes()));
        if let Err(e) = written {
            panic!("cannot record the skip in POCKET_SKIP_LOG={log:?}: {e}");
        }
    }
}

/// One oracle job.
pub struct Job {
    /// Model path.
    pub model: PathBuf,
    /// Input .npy paths.
    pub inputs: Vec<PathBuf>,
    /// Output directory.
    pub out: PathBuf,
    /// Threads.
    pub threads: usize,
    /// Use LiteRT's reference kernels.
    pub reference: bool,
}

/// Run jobs in one Python process; returns per job the outputs or the oracle's error.
pub fn run(jobs: &[Job], scratch: &Path) -> Vec<Result<Vec<Value>, String>> {
    let manifest: Vec<serde_json::Value> = jobs
        .iter()
        .map(|j| serde_json::json!({"model": j.model, "inputs": j.inputs, "out": j.out, "threads": j.threads, "ref": j.reference}))
        .collect();
    let mpath = scratch.join("manifest.json");
    std::fs::write(&mpath, serde_json::to_vec(&manifest).unwrap_or_default())
        .unwrap_or_else(|e| panic!("{e}"));
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("oracle/litert_run.py");
    let py = python().unwrap_or_else(|| PathBuf::from("python3"));
    let st = Command::new(py)
        .arg(script)
        .arg("--manifest")
        .arg(&mpath)
        .status()
        .unwrap_or_else(|e| panic!("cannot start the oracle: {e}"));
    assert!(st.success(), "the oracle failed to run");
    jobs.iter()
        .map(|j| {
            if let Ok(e) = std::fs::read_to_string(j.out.join("error.txt")) {
                return Err(e.trim().to_string());
            }
            let mut outs = Vec::new();
            for i in 0.. {
                let p = j.out.join(format!("output_{i}.npy"));
                if !p.exists() {
                    break;
                }
                outs.push(pocket_engine::formats::npy::read(&p).map_err(|e| e.to_string())?);
            }
            Ok(outs)
        })
        .collect()
}

/// Run one model for `steps` invocations of a single LiteRT interpreter (its state carries
/// from step to step; see litert_run.py `--steps`): per step, the outputs, or the oracle's
/// error. Inputs with a leading axis of `steps` (one more than the model's input) are sliced.
pub fn run_steps(job: &Job, steps: usize, scratch: &Path) -> Result<Vec<Vec<Value>>, String> {
    let manifest = serde_json::json!([{"model": job.model, "inputs": job.inputs, "out": job.out,
        "threads": job.threads, "ref": job.reference, "steps": steps}]);
    let mpath = scratch.join("manifest_steps.json");
    std::fs::write(&mpath, serde_json::to_vec(&manifest).unwrap_or_default())
        .map_err(|e| e.to_string())?;
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("oracle/litert_run.py");
    let py = python().unwrap_or_else(|| PathBuf::from("python3"));
    let st = Command::new(py)
        .arg(script)
        .arg("--manifest")
        .arg(&mpath)
        .status()
        .map_err(|e| format!("cannot start the oracle: {e}"))?;
    if !st.success() {
        return Err("the oracle failed to run".into());
    }
    if let Ok(e) = std::fs::read_to_string(job.out.join("error.txt")) {
        return Err(e.trim().to_string());
    }
    (0..steps)
        .map(|k| {
            let mut outs = Vec::new();
            for i in 0.. {
                let p = job.out.join(format!("output_{i}_step{k}.npy"));
                if !p.exists() {
                    break;
                }
                outs.push(pocket_engine::formats::npy::read(&p).map_err(|e| e.to_string())?);
            }
            Ok(outs)
        })
        .collect()
}
