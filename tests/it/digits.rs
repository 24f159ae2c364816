//! The handwritten-digit sample model (trained by sample-models/digits/train.py), quantized to
//! int8 by us with its 100 calibration images, keeps its float accuracy within 0.1 point on
//! the 10,000 MNIST test images, as evaluated by LiteRT.

use std::path::{Path, PathBuf};
use std::process::Command;

use pocket_engine::data::folder;
use pocket_engine::data::image::Preprocess;
use pocket_engine::formats::tflite;
use pocket_engine::quant::{self, Mode, QuantHooks, Recipe};
use pocket_tests::oracle;

fn digits() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../sample-models/digits")
}

/// (top-1 accuracy, images) of a model in LiteRT on MNIST's 10k test set, or on the committed
/// 300 test images when MNIST is not available (never under CI).
fn litert_accuracy(python: &Path, model: &Path) -> (f64, usize) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("oracle/litert_eval.py");
    let mut cmd = Command::new(python);
    cmd.arg(script).arg(model);
    match std::env::var("POCKET_MNIST_DIR") {
        Ok(d) => {
            cmd.arg("--idx")
                .arg(Path::new(&d).join("t10k-images.idx3-ubyte"))
                .arg(Path::new(&d).join("t10k-labels.idx1-ubyte"));
        }
        Err(_) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI must evaluate on the 10,000 MNIST test images: set POCKET_MNIST_DIR (scripts/test.sh does)"
            );
            eprintln!("POCKET_MNIST_DIR not set: evaluating on the 300 committed test images only");
            cmd.arg("--folder").arg(digits().join("test"));
        }
    }
    let out = cmd.output().expect("run litert_eval.py");
    assert!(
        out.status.success(),
        "litert_eval failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = String::from_utf8_lossy(&out.stdout);
    let v: serde_json::Value =
        serde_json::from_str(line.trim().lines().last().unwrap_or("{}")).expect("json");
    (
        v["top1"].as_f64().expect("top1"),
        v["n"].as_u64().expect("n") as usize,
    )
}

#[test]
fn int8_digit_model_keeps_float_accuracy() {
    // litert_eval.py reads the committed PNGs with Pillow when MNIST is not available.
    let Some(py) = oracle::require(&["ai_edge_litert", "numpy", "PIL"]) else {
        return;
    };
    let g = tflite::read_file(digits().join("model.tflite")).expect("digit model");
    let items = folder::list(&digits().join("calib"), 1).expect("calibration images");
    let pre = vec![Preprocess::for_input(&g, 0)];
    let mut data = items.iter().map(|it| folder::load(it, &g, &pre));
    let q = quant::quantize(
        &g,
        &Recipe::new(Mode::Int8),
        &mut data,
        &QuantHooks::default(),
    )
    .expect("int8");
    let out = crate::scratch("digits").join("digits_int8.tflite");
    tflite::write_file(&q, &out).expect("write");
    let (f, n) = litert_accuracy(&py, &digits().join("model.tflite"));
    let (i, _) = litert_accuracy(&py, &out);
    println!(
        "digit CNN top-1 on {n} images (LiteRT): float {:.2}%, int8 (ours) {:.2}%",
        100.0 * f,
        100.0 * i
    );
    let allowed = if n >= 10_000 { 0.001 } else { 1.0 / n as f64 };
    assert!(
        i >= f - allowed - 1e-12,
        "int8 accuracy {i} fell more than {allowed} below float {f}"
    );
}
