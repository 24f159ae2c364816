//! Models with free input dimensions through the `pocket` binary: an ONNX model with
//! `dim_param`s N/H/W (PaddleOCR-style conv + shape subgraph + reshape + matmul) against ONNX
//! Runtime and a TFLite model with `shape_signature` −1 in batch/height/width against LiteRT
//! (`resize_tensor_input`), each at two sizes; the messages that name free dimensions and bad
//! `--input-shape` values; and the real PaddleOCR models at their sizes (fetched from PyPI into
//! the real-model cache).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pocket_engine::Value;
use pocket_engine::formats::{npy, tflite};
use pocket_tests::free_dims::{onnx_free_model, tflite_free_model};
use pocket_tests::{Rng, oracle};

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

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pocket-free-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch");
    d
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf8 path")
}

fn random(shape: &[usize], seed: u64) -> Value {
    let n = shape.iter().product();
    Value::f32(shape.to_vec(), Rng::new(seed).vec(n, -1.0, 1.0))
}

/// `max |a - b| / max |b|`, the figure the PaddleOCR check reports.
fn max_rel(a: &Value, b: &Value) -> f64 {
    assert_eq!(a.shape, b.shape, "output shapes");
    let (a, b) = (a.data.to_f64(), b.data.to_f64());
    let num = a
        .iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max);
    let den = b.iter().map(|y| y.abs()).fold(0.0, f64::max);
    num / den.max(1e-30)
}

fn ort(py: &Path, model: &Path, input: &Path, out: &Path) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/oracle/ort_run.py");
    let o = Command::new(py)
        .arg(script)
        .args([s(model), s(out), s(input)])
        .output()
        .expect("start python");
    assert!(o.status.success(), "ort_run: {}", text(&o));
    npy::read(out.join("output_0.npy")).expect("ORT output")
}

/// `pocket run MODEL -i INPUT --save OUT` and its first output.
fn ours(model: &Path, input: &Path, out: &Path, extra: &[&str]) -> Value {
    let mut args = vec!["run", s(model), "-i", s(input), "--save", s(out)];
    args.extend_from_slice(extra);
    let o = pocket(&args);
    assert!(o.status.success(), "pocket run: {}", text(&o));
    npy::read(out.join("output_0.npy")).expect("our output")
}

#[test]
fn onnx_free_dims_run_at_two_sizes_like_onnx_runtime() {
    let Some(py) = oracle::require(oracle::ORT) else {
        return;
    };
    let d = scratch("onnx");
    let m = d.join("free.onnx");
    std::fs::write(&m, onnx_free_model()).expect("write model");
    for (k, shape) in [[1usize, 3, 8, 12], [2, 3, 16, 6]].iter().enumerate() {
        let x = d.join(format!("x{k}.npy"));
        npy::write(&x, &random(shape, k as u64 + 1)).expect("write input");
        let a = ours(&m, &x, &d.join(format!("ours{k}")), &[]);
        let b = ort(&py, &m, &x, &d.join(format!("ort{k}")));
        let hw = shape[2].div_ceil(2) * shape[3].div_ceil(2);
        assert_eq!(a.shape, vec![shape[0], hw, 1, 5], "size {shape:?}");
        let e = max_rel(&a, &b);
        assert!(e <= 1e-5, "size {shape:?}: max rel error {e}");
    }
}

#[test]
fn inspect_shows_free_dims_and_shapes_follow_input_shape() {
    let d = scratch("inspect");
    let m = d.join("free.onnx");
    std::fs::write(&m, onnx_free_model()).expect("write model");
    let o = pocket(&["inspect", s(&m)]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("[?, 3, ?, ?]"), "{t}");
    assert!(
        t.contains("input 'x' [N, 3, H, W], shown at [1, 3, 32, 32]"),
        "{t}"
    );
    assert!(t.contains("H, W not sized"), "{t}");
    assert!(t.contains("placeholder 32"), "{t}");
    let o = pocket(&["inspect", s(&m), "--input-shape", "x=2,3,16,6", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["outputs"][0]["shape"], serde_json::json!([2, 24, 1, 5]));
    let macs_small = v["macs"].as_u64().expect("macs");
    let o = pocket(&[
        "inspect",
        s(&m),
        "--input-shape",
        "H=32",
        "--input-shape",
        "W=24",
        "--json",
    ]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["outputs"][0]["shape"], serde_json::json!([1, 192, 1, 5]));
    // 8x the pixels of one sample of [2, 3, 16, 6]: 4x the MACs.
    assert_eq!(
        v["macs"].as_u64(),
        Some(macs_small * 4),
        "MACs follow the sizes"
    );
}

#[test]
fn sizes_stated_in_the_metadata_size_free_dims_and_the_user_still_wins() {
    use pocket_engine::formats::onnx::proto::{ModelProto, StringStringEntryProto};
    use prost::Message;
    let d = scratch("meta");
    let mut mp = ModelProto::decode(onnx_free_model().as_slice()).expect("model");
    // As Ultralytics' exporter writes them.
    for (k, v) in [("imgsz", "[8, 12]"), ("batch", "1")] {
        mp.metadata_props.push(StringStringEntryProto {
            key: Some(k.into()),
            value: Some(v.into()),
        });
    }
    let m = d.join("meta.onnx");
    std::fs::write(&m, mp.encode_to_vec()).expect("write model");
    let o = pocket(&["inspect", s(&m)]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(
        t.contains("input 'x' [N, 3, H, W], shown at [1, 3, 8, 12]"),
        "{t}"
    );
    assert!(
        t.contains("sized by the model's metadata (imgsz 8×12, batch 1)"),
        "{t}"
    );
    // Commands that must run take the metadata's size without a flag ...
    let o = pocket(&["bench", s(&m), "--runs", "1", "--warmup", "0"]);
    assert!(o.status.success(), "{}", text(&o));
    // ... and --input-shape comes first.
    let o = pocket(&["inspect", s(&m), "--input-shape", "H=16", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["outputs"][0]["shape"], serde_json::json!([1, 48, 1, 5]));
}

#[test]
fn commands_that_run_refuse_unsized_free_dims_and_bad_sizes_are_named() {
    let d = scratch("refuse");
    let m = d.join("free.onnx");
    std::fs::write(&m, onnx_free_model()).expect("write model");
    let o = pocket(&["bench", s(&m), "--runs", "1", "--warmup", "0"]);
    let t = text(&o);
    assert!(!o.status.success(), "{t}");
    assert!(
        t.contains("input 'x' has free dimensions [N, 3, H, W]; choose them with --input-shape x=1,3,<H>,<W>"),
        "{t}"
    );
    assert!(t.contains("--input-shape H=D --input-shape W=D"), "{t}");
    let o = pocket(&[
        "bench",
        s(&m),
        "--runs",
        "1",
        "--warmup",
        "0",
        "--input-shape",
        "H=16",
        "--input-shape",
        "W=8",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    for (arg, want) in [
        ("x=1,3,a,4", "'a' is not a size"),
        ("x=1,3,0,4", "sizes must be at least 1"),
        ("x", "expected NAME=D,D,..."),
        (
            "y=1,3,8,8",
            "no input or free dimension 'y' (input 0 'x' [N, 3, H, W]; free dimensions: N, H, W)",
        ),
        ("x=1,3,8", "3 dimensions given (x=1,3,8), it has 4"),
        ("x=1,4,8,8", "dimension 1 is fixed at 3, 4 given"),
        ("H=8,8", "'H' is one dimension: give one size, e.g. H=1"),
    ] {
        for cmd in ["inspect", "bench"] {
            let o = pocket(&[cmd, s(&m), "--input-shape", arg]);
            let t = text(&o);
            assert!(!o.status.success(), "{cmd} {arg}: {t}");
            assert!(t.contains(want), "{cmd} {arg}: want {want:?} in {t}");
            assert!(!t.contains("panicked"), "{t}");
        }
    }
    // An array of the wrong rank for `pocket run` is named in the same words.
    let x = d.join("x.npy");
    npy::write(&x, &random(&[3, 8, 8], 1)).expect("write input");
    let o = pocket(&["run", s(&m), "-i", s(&x)]);
    let t = text(&o);
    assert!(
        !o.status.success() && t.contains("input 'x' has shape [N, 3, H, W]"),
        "{t}"
    );
}

#[test]
fn int8_conversion_calibrates_at_the_size_of_the_calibration_images() {
    let d = scratch("calib-size");
    let m = d.join("free.onnx");
    std::fs::write(&m, onnx_free_model()).expect("write model");
    let calib = d.join("calib");
    std::fs::create_dir_all(&calib).expect("calib dir");
    for (i, v) in [30u8, 200].into_iter().enumerate() {
        image::RgbImage::from_pixel(20, 12, image::Rgb([v, 255 - v, v / 2]))
            .save(calib.join(format!("{i}.png")))
            .expect("png");
    }
    let input_shape = |p: &Path| {
        let g = tflite::read_file(p).expect("read export");
        g.tensors[g.inputs[0]].shape.clone()
    };
    // Without --input-shape: H and W from the images (12 x 20), batch 1.
    let q = d.join("q.tflite");
    let o = pocket(&[
        "convert",
        s(&m),
        "--mode",
        "int8",
        "--calib",
        s(&calib),
        "-o",
        s(&q),
    ]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(t.contains("sized from the first sample"), "{t}");
    assert_eq!(input_shape(&q), [1, 3, 12, 20], "{t}");
    // --input-shape wins over the images, by dimension name.
    let q2 = d.join("q2.tflite");
    let o = pocket(&[
        "convert",
        s(&m),
        "--mode",
        "int8",
        "--calib",
        s(&calib),
        "-o",
        s(&q2),
        "--input-shape",
        "H=16",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(input_shape(&q2), [1, 3, 16, 20]);
    // Compare sizes both models from the same data (float free, export as written).
    let o = pocket(&["compare", s(&m), s(&q), "--data", s(&calib), "--json"]);
    assert!(o.status.success(), "{}", text(&o));
    // A folder with no images sizes nothing: the refusal names the free dimensions.
    let empty = d.join("empty");
    std::fs::create_dir_all(&empty).expect("empty dir");
    let o = pocket(&[
        "convert",
        s(&m),
        "--mode",
        "int8",
        "--calib",
        s(&empty),
        "-o",
        s(&q),
    ]);
    let t = text(&o);
    assert!(
        !o.status.success() && t.contains("--input-shape H=D"),
        "{t}"
    );
}

#[test]
fn tflite_signature_dims_resize_at_two_sizes_like_litert() {
    let Some(_py) = oracle::require(oracle::LITERT) else {
        return;
    };
    let d = scratch("tflite");
    let m = d.join("free.tflite");
    tflite::write_file(&tflite_free_model(), &m).expect("write model");
    // Stored shape: runs as today.
    let o = pocket(&["inspect", s(&m), "--input-shape", "x=2,16,12,3", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(
        v["outputs"][0]["shape"],
        serde_json::json!([2, 48, 5]),
        "{}",
        text(&o)
    );
    let sizes = [[1usize, 8, 8, 3], [2, 16, 12, 3], [3, 6, 10, 3]];
    let mut jobs = Vec::new();
    let mut mine = Vec::new();
    for (k, shape) in sizes.iter().enumerate() {
        let x = d.join(format!("x{k}.npy"));
        npy::write(&x, &random(shape, k as u64 + 5)).expect("write input");
        mine.push(ours(&m, &x, &d.join(format!("ours{k}")), &[]));
        jobs.push(oracle::Job {
            model: m.clone(),
            inputs: vec![x],
            out: d.join(format!("litert{k}")),
            threads: 1,
            reference: false,
        });
    }
    for ((shape, a), b) in sizes.iter().zip(&mine).zip(oracle::run(&jobs, &d)) {
        let b = b.expect("LiteRT ran");
        let l = shape[1].div_ceil(2) * shape[2].div_ceil(2);
        assert_eq!(a.shape, vec![shape[0], l, 5], "size {shape:?}");
        let e = max_rel(a, &b[0]);
        assert!(e <= 1e-5, "size {shape:?}: max rel error {e}");
    }
}

/// A synthetic page of text, NCHW, normalized as PaddleOCR normalizes (det: ImageNet mean and
/// std; rec and cls: `(v / 255 - 0.5) / 0.5`): white paper with slight noise and rows of dark
/// glyph-sized blocks, so the detector sees text (on pure noise its output is near 0 and the
/// relative error is measured against a tiny maximum).
fn page(shape: [usize; 4], seed: u64, det: bool) -> Value {
    let [n, c, h, w] = shape;
    let mut r = Rng::new(seed);
    let mut ink = vec![false; h * w];
    let line = (h / 4).clamp(12, 32);
    let mut y0 = line / 3;
    while y0 + line <= h {
        let gh = line * 2 / 3;
        let mut x0 = 4 + (r.uniform() * 8.0) as usize;
        while x0 + 4 < w {
            let gw = 3 + (r.uniform() * (gh as f32)) as usize;
            for y in y0..(y0 + gh).min(h) {
                for x in x0..(x0 + gw).min(w) {
                    ink[y * w + x] = r.uniform() < 0.7;
                }
            }
            x0 += gw + 2 + (r.uniform() * 6.0) as usize;
        }
        y0 += line + line / 3;
    }
    let (mean, std) = if det {
        ([0.485f32, 0.456, 0.406], [0.229f32, 0.224, 0.225])
    } else {
        ([0.5; 3], [0.5; 3])
    };
    let mut v = Vec::with_capacity(n * c * h * w);
    for _ in 0..n {
        for ch in 0..c {
            for &dark in &ink {
                let px = if dark { 20.0 } else { 235.0 } + r.uniform() * 20.0;
                v.push((px / 255.0 - mean[ch % 3]) / std[ch % 3]);
            }
        }
    }
    Value::f32(shape.to_vec(), v)
}

/// The real PaddleOCR det / rec / cls models at their sizes against ONNX Runtime, through
/// `pocket run`, on a synthetic page of text (asserted within 1e-4 of ORT's maximum) and on
/// uniform noise (printed). The models are RapidOCR's (`rapidocr_onnxruntime` 1.3.24 on PyPI),
/// fetched into the real-model cache by tests/oracle/real_models.py when missing.
#[test]
fn paddleocr_models_run_at_their_sizes_like_onnx_runtime() {
    let Some(py) = oracle::require(oracle::ORT) else {
        return;
    };
    let names = [
        "rapidocr_ch_pp-ocrv4_det_infer",
        "rapidocr_ch_pp-ocrv4_rec_infer",
        "rapidocr_ch_ppocr_mobile_v2.0_cls_infer",
    ];
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let fetched = Command::new(&py)
        .arg(root.join("tests/oracle/real_models.py"))
        .arg(env!("CARGO_BIN_EXE_pocket"))
        .arg("--manifest")
        .arg(root.join("tests/real_models.tsv"))
        .arg("--only")
        .args(names)
        .output()
        .expect("start tests/oracle/real_models.py");
    assert!(
        fetched.status.success(),
        "fetching the PaddleOCR models failed: {}",
        text(&fetched)
    );
    let dir = std::env::var_os("POCKET_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").expect("HOME")).join(".cache/pocket-studio")
        })
        .join("real-models/models");
    let d = scratch("paddleocr");
    let mut failed = Vec::new();
    for (k, (file, shape)) in [
        ("rapidocr_ch_pp-ocrv4_det_infer.onnx", [1usize, 3, 640, 640]),
        ("rapidocr_ch_pp-ocrv4_rec_infer.onnx", [1, 3, 48, 320]),
        (
            "rapidocr_ch_ppocr_mobile_v2.0_cls_infer.onnx",
            [1, 3, 48, 192],
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let m = dir.join(file);
        let inputs = [
            ("page", page(shape, 100 + k as u64, k == 0)),
            ("noise", random(&shape, 200 + k as u64)),
        ];
        for (what, input) in inputs {
            let x = d.join(format!("x{k}_{what}.npy"));
            npy::write(&x, &input).expect("write input");
            let a = ours(&m, &x, &d.join(format!("ours{k}_{what}")), &[]);
            let b = ort(&py, &m, &x, &d.join(format!("ort{k}_{what}")));
            let e = max_rel(&a, &b);
            let top = b.data.to_f64().iter().fold(0.0f64, |m, v| m.max(v.abs()));
            println!(
                "{file} at {shape:?} on {what}: output {:?} (max |ORT| {top:.4}), max |ours - ORT| / max |ORT| = {e:.3e}",
                a.shape
            );
            if what == "page" && e > 1e-4 {
                failed.push(format!("{file}: {e:.3e}"));
            }
        }
    }
    assert!(failed.is_empty(), "beyond 1e-4 relative: {failed:?}");
}

#[test]
fn signature_picks_a_tflite_entry_point_by_name_on_every_subcommand() {
    let d = scratch("signature");
    let m = d.join("sig.tflite");
    let mut g = tflite_free_model();
    g.signature = Some(pocket_engine::ir::Signature {
        key: "serving_default".into(),
        inputs: vec![("image".into(), g.inputs[0])],
        outputs: vec![("scores".into(), g.outputs[0])],
    });
    tflite::write_file(&g, &m).expect("write model");
    let o = pocket(&["inspect", s(&m), "--signature", "serving_default"]);
    let t = text(&o);
    assert!(
        o.status.success() && t.contains("image") && t.contains("scores"),
        "{t}"
    );
    let x = d.join("x.npy");
    npy::write(&x, &random(&[1, 8, 8, 3], 3)).expect("write input");
    let o = pocket(&["run", s(&m), "-i", s(&x), "--signature", "serving_default"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("output 0 'scores'"), "{}", text(&o));
    for cmd in ["inspect", "run", "bench"] {
        let mut args = vec![cmd, s(&m), "--signature", "decode"];
        if cmd == "run" {
            args.extend(["-i", s(&x)]);
        }
        let o = pocket(&args);
        let t = text(&o);
        assert!(!o.status.success(), "{cmd}: {t}");
        assert!(
            t.contains("has no signature 'decode' (it has 'serving_default')"),
            "{cmd}: {t}"
        );
    }
    let onnx = d.join("free.onnx");
    std::fs::write(&onnx, onnx_free_model()).expect("write model");
    let o = pocket(&["inspect", s(&onnx), "--signature", "serving_default"]);
    assert!(
        !o.status.success() && text(&o).contains("--signature applies to .tflite models"),
        "{}",
        text(&o)
    );
}
