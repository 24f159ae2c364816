//! ORT-quantized ONNX models (QDQ uint8 and per-channel int8, QOperator, dynamic; made by
//! onnxruntime.quantization in tests/oracle/make_onnx_quant_fixtures.py) run by the engine
//! against ONNX Runtime element by element, measured against their float parent, and
//! converted to `.tflite` files that LiteRT runs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use pocket_engine::formats::{npy, onnx, tflite};
use pocket_engine::ir::Op;
use pocket_engine::{Session, SessionOptions, Value};
use pocket_tests::oracle;

static GEN: Mutex<()> = Mutex::new(());

const VARIANTS: [&str; 4] = ["qdq", "qdq_s8", "qop", "dynamic"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn py(python: &Path, script: &str, args: &[&str]) {
    let out = Command::new(python)
        .arg(root().join("oracle").join(script))
        .args(args)
        .output()
        .expect("python");
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// The generated fixtures (made once).
fn fixtures(python: &Path) -> PathBuf {
    let dir = root().join("data/onnx_quant");
    let _g = GEN.lock().unwrap_or_else(|e| e.into_inner());
    if !dir.join("mlp_dynamic/model.onnx").exists() {
        py(
            python,
            "make_onnx_quant_fixtures.py",
            &[dir.to_str().expect("utf8")],
        );
    }
    dir
}

fn ort(python: &Path, model: &Path, input: &Path, out: &Path) -> Value {
    let a = [model, out, input].map(|p| p.to_str().expect("utf8").to_string());
    py(python, "ort_run.py", &[&a[0], &a[1], &a[2]]);
    npy::read(&out.join("output_0.npy")).expect("npy")
}

fn f32s(v: &Value) -> Vec<f64> {
    v.data.to_f64()
}

/// max |a - b| / max |b|.
fn rel(a: &Value, b: &Value) -> f64 {
    let (a, b) = (f32s(a), f32s(b));
    assert_eq!(a.len(), b.len(), "output sizes differ");
    let d = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0f64, f64::max);
    let m = b.iter().map(|y| y.abs()).fold(0f64, f64::max).max(1e-30);
    d / m
}

#[test]
fn ort_quantized_onnx_models_match_onnx_runtime_and_convert_for_litert() {
    let Some(python) = oracle::require(oracle::ORT) else {
        return;
    };
    let dir = fixtures(&python);
    let scratch = std::env::temp_dir().join(format!("pocket-onnx-quant-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).expect("scratch");
    println!(
        "| model | ours vs ORT (max err / max abs) | ORT quantized vs float parent | LiteRT .tflite vs ours |"
    );
    println!("|---|---|---|---|");
    for net in ["cnn", "mlp"] {
        let parent_dir = dir.join(format!("{net}_float"));
        let input = parent_dir.join("input_0.npy");
        let parent = ort(
            &python,
            &parent_dir.join("model.onnx"),
            &input,
            &scratch.join(format!("{net}_float")),
        );
        let mut jobs = Vec::new();
        let mut rows = Vec::new();
        for v in VARIANTS {
            let name = format!("{net}_{v}");
            let model = dir.join(&name).join("model.onnx");
            let reference = ort(&python, &model, &input, &scratch.join(&name));
            let g = onnx::read_file(&model).unwrap_or_else(|e| panic!("{name}: {}", e.chain()));
            let kept: Vec<String> = g
                .nodes
                .iter()
                .filter(|n| matches!(n.op, Op::Custom { .. }))
                .map(|n| n.op.name())
                .collect();
            assert!(kept.is_empty(), "{name}: untranslated nodes {kept:?}");
            let x = npy::read(&input).expect("input");
            let ours = Session::new(
                &g,
                &SessionOptions {
                    threads: 1,
                    ..Default::default()
                },
            )
            .and_then(|s| s.run(vec![x]))
            .unwrap_or_else(|e| panic!("{name}: {}", e.chain()))
            .remove(0);
            let e = rel(&ours, &reference);
            let q = rel(&reference, &parent);
            assert!(e <= 1e-2, "{name}: error vs ORT {e:.3e} above 1e-2");
            // The engine computes the quantized model, not its float parent: it is closer to
            // ORT's quantized result than the float model is.
            assert!(
                e < q,
                "{name}: error vs ORT {e:.3e} not below the quantization error {q:.3e}"
            );
            let tfl = scratch.join(format!("{name}.tflite"));
            let bytes = tflite::to_bytes(&g).unwrap_or_else(|e| panic!("{name}: {}", e.chain()));
            std::fs::write(&tfl, bytes).expect("write");
            jobs.push(oracle::Job {
                model: tfl,
                inputs: vec![input.clone()],
                out: scratch.join(format!("{name}_litert")),
                threads: 1,
                reference: false,
            });
            rows.push((name, e, q, ours));
        }
        let res = oracle::run(&jobs, &scratch);
        for ((name, e, q, ours), r) in rows.into_iter().zip(res) {
            let lite = r.unwrap_or_else(|e| panic!("{name}: LiteRT cannot run the export: {e}"));
            let l = rel(&lite[0], &ours);
            println!("| {name} | {e:.2e} | {q:.2e} | {l:.2e} |");
            assert!(l <= 1e-2, "{name}: LiteRT vs ours {l:.3e}");
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
}
