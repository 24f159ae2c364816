//! `pocket run --input NAME=FILE`: inputs given by name in any order, and ONNX initializers
//! that the file also lists as graph inputs fed by the user instead of their stored values —
//! each against ONNX Runtime fed the same arrays by name; and the messages for a name the
//! model does not have, an input given twice and a missing one.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pocket_engine::Value;
use pocket_engine::formats::npy;
use pocket_tests::onnx_models::{f32_tensor, model, node, value_info};
use pocket_tests::{Rng, oracle};
use prost::Message;

fn pocket(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pocket"))
        .args(args)
        .output()
        .expect("run pocket")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf8 path")
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pocket-named-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch");
    d
}

/// `y = (x @ W + B) * g`: x and g are plain inputs, W and B are initializers the file also
/// lists as graph inputs (as old PyTorch exports and `keep_initializers_as_inputs` write them).
fn matmul_model() -> Vec<u8> {
    let w: Vec<f32> = (0..12).map(|i| i as f32 * 0.25 - 1.0).collect();
    let b = vec![0.5, -0.5, 2.0];
    model(
        vec![
            node("mm", "MatMul", &["x", "W"], &["xw"], vec![]),
            node("add", "Add", &["xw", "B"], &["xwb"], vec![]),
            node("mul", "Mul", &["xwb", "g"], &["y"], vec![]),
        ],
        vec![f32_tensor("W", &[4, 3], w), f32_tensor("B", &[3], b)],
        vec![
            value_info("x", &[2, 4]),
            value_info("W", &[4, 3]),
            value_info("B", &[3]),
            value_info("g", &[1, 3]),
        ],
        vec![value_info("y", &[2, 3])],
    )
    .encode_to_vec()
}

fn random(shape: &[usize], seed: u64) -> Value {
    let n = shape.iter().product();
    Value::f32(shape.to_vec(), Rng::new(seed).vec(n, -1.0, 1.0))
}

/// ONNX Runtime on `model`, fed `feeds` (name, .npy) by name; its first output.
fn ort(py: &Path, model: &Path, feeds: &[(&str, &Path)], out: &Path) -> Value {
    let feeds: Vec<String> = feeds
        .iter()
        .map(|(n, p)| format!("{n:?}: np.load({:?})", s(p)))
        .collect();
    let script = format!(
        "import numpy as np, onnxruntime as ort\n\
         s = ort.InferenceSession({:?}, providers=['CPUExecutionProvider'])\n\
         np.save({:?}, s.run(None, {{{}}})[0])\n",
        s(model),
        s(out),
        feeds.join(", ")
    );
    let o = Command::new(py)
        .args(["-c", &script])
        .output()
        .expect("start python");
    assert!(o.status.success(), "ort: {}", text(&o));
    npy::read(out).expect("ORT output")
}

fn ours(args: &[&str], out: &Path) -> Value {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    all.extend_from_slice(&["--save", s(out)]);
    let o = pocket(&all);
    assert!(o.status.success(), "pocket {all:?}: {}", text(&o));
    npy::read(out.join("output_0.npy")).expect("our output")
}

fn assert_close(a: &Value, b: &Value, what: &str) {
    assert_eq!(a.shape, b.shape, "{what}: shapes");
    let (a, b) = (a.data.to_f64(), b.data.to_f64());
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        assert!(
            (x - y).abs() <= 1e-5 * y.abs().max(1.0),
            "{what}: [{i}] {x} vs {y}"
        );
    }
}

#[test]
fn named_inputs_and_overridden_initializers_match_onnx_runtime() {
    let Some(py) = oracle::require(oracle::ORT) else {
        return;
    };
    let d = scratch("match");
    let m = d.join("mm.onnx");
    std::fs::write(&m, matmul_model()).expect("write model");
    let arrays = [
        ("x", random(&[2, 4], 1)),
        ("g", random(&[1, 3], 2)),
        ("W", random(&[4, 3], 3)),
        ("B", random(&[3], 4)),
    ];
    let p: Vec<PathBuf> = arrays
        .iter()
        .map(|(n, v)| {
            let p = d.join(format!("{n}.npy"));
            npy::write(&p, v).expect("write input");
            p
        })
        .collect();
    let (x, g, w, b) = (&p[0], &p[1], &p[2], &p[3]);

    // Positional: the stored W and B.
    let a = ours(&[s(&m), "-i", s(x), "-i", s(g)], &d.join("pos"));
    let e = ort(&py, &m, &[("x", x), ("g", g)], &d.join("ort_pos.npy"));
    assert_close(&a, &e, "stored initializers");

    // By name, in another order: the same run.
    let gx = format!("g={}", s(g));
    let xx = format!("x={}", s(x));
    let a2 = ours(&[s(&m), "-i", &gx, "-i", &xx], &d.join("named"));
    assert_close(&a2, &e, "named inputs");

    // W and B fed by the user: ORT fed the same.
    let wx = format!("W={}", s(w));
    let bx = format!("B={}", s(b));
    let a3 = ours(
        &[s(&m), "-i", &wx, "-i", s(x), "-i", &bx, "-i", s(g)],
        &d.join("over"),
    );
    let e3 = ort(
        &py,
        &m,
        &[("x", x), ("g", g), ("W", w), ("B", b)],
        &d.join("ort_over.npy"),
    );
    assert_close(&a3, &e3, "overridden initializers");
    let moved = a3
        .data
        .to_f64()
        .iter()
        .zip(e.data.to_f64())
        .any(|(p, q)| (p - q).abs() > 1e-3);
    assert!(moved, "feeding W and B must change the output");
}

#[test]
fn bad_names_are_said_in_the_users_words() {
    let d = scratch("bad");
    let m = d.join("mm.onnx");
    std::fs::write(&m, matmul_model()).expect("write model");
    let x = d.join("x.npy");
    npy::write(&x, &random(&[2, 4], 1)).expect("write input");
    let g = d.join("g.npy");
    npy::write(&g, &random(&[1, 3], 2)).expect("write input");

    let o = pocket(&["run", s(&m), "-i", &format!("nope={}", s(&x))]);
    let t = text(&o);
    assert!(!o.status.success(), "{t}");
    assert!(
        t.contains("no input named 'nope'") && t.contains("'x', 'g'") && t.contains("'W', 'B'"),
        "{t}"
    );

    let o = pocket(&[
        "run",
        s(&m),
        "-i",
        &format!("x={}", s(&x)),
        "-i",
        &format!("0={}", s(&x)),
    ]);
    let t = text(&o);
    assert!(!o.status.success() && t.contains("given twice"), "{t}");

    let o = pocket(&["run", s(&m), "-i", &format!("g={}", s(&g))]);
    let t = text(&o);
    assert!(
        !o.status.success() && t.contains("no --input for input(s) 0 'x'"),
        "{t}"
    );
    assert!(!t.contains("panicked"), "{t}");
}
