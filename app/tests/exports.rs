//! Exports of models with free dimensions through `pocket convert`: the written .tflite keeps
//! shape signatures with -1 on every tensor that follows a free input dimension, so LiteRT
//! resizes it (`resize_tensor_input`) and matches our run at two sizes, float and int8; an
//! ONNX model whose shape arithmetic folds at the chosen size is written fixed and says so.
//! Also: an ONNX file keeps its graph as read (`Graph::source`).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use pocket_engine::Value;
use pocket_engine::formats::onnx::proto::ValueInfoProto;
use pocket_engine::formats::{npy, onnx, tflite};
use pocket_tests::free_dims::{onnx_free_model, sym_input, tflite_free_model};
use pocket_tests::onnx_models::{attr_ints, f32_tensor, model, node};
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

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pocket-exports-{}-{name}", std::process::id()));
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

fn max_abs(a: &Value, b: &Value) -> f64 {
    assert_eq!(a.shape, b.shape, "output shapes");
    a.data
        .to_f64()
        .iter()
        .zip(&b.data.to_f64())
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f64::max)
}

/// x [N, 3, H, W] → Conv 3x3 stride 2 → Relu → Conv 1x1 → Sigmoid: `[N, 2, H/2, W/2]`, no
/// shape arithmetic, so its export stays resizable.
fn onnx_conv_model() -> Vec<u8> {
    let mut r = Rng::new(3);
    let nodes = vec![
        node(
            "conv",
            "Conv",
            &["x", "w", "b"],
            &["c"],
            vec![
                attr_ints("kernel_shape", &[3, 3]),
                attr_ints("strides", &[2, 2]),
                attr_ints("pads", &[1, 1, 1, 1]),
            ],
        ),
        node("relu", "Relu", &["c"], &["y"], vec![]),
        node(
            "head",
            "Conv",
            &["y", "w2", "b2"],
            &["h"],
            vec![attr_ints("kernel_shape", &[1, 1])],
        ),
        node("sig", "Sigmoid", &["h"], &["out"], vec![]),
    ];
    let inits = vec![
        f32_tensor("w", &[4, 3, 3, 3], r.normals(108, 0.5)),
        f32_tensor("b", &[4], r.normals(4, 0.1)),
        f32_tensor("w2", &[2, 4, 1, 1], r.normals(8, 0.5)),
        f32_tensor("b2", &[2], r.normals(2, 0.1)),
    ];
    let out = ValueInfoProto {
        name: Some("out".into()),
        ..Default::default()
    };
    let mut m = model(
        nodes,
        inits,
        vec![sym_input("x", &["N", "3", "H", "W"])],
        vec![out],
    );
    if let Some(o) = m.opset_import.first_mut() {
        o.version = Some(13);
    }
    m.encode_to_vec()
}

/// `pocket run` on `model` with `input`, its first output.
fn ours(model: &Path, input: &Path, out: &Path) -> Value {
    let o = pocket(&["run", s(model), "-i", s(input), "--save", s(out)]);
    assert!(o.status.success(), "pocket run: {}", text(&o));
    npy::read(out.join("output_0.npy")).expect("our output")
}

/// Convert `src` with `args`, check the note, then run the export with LiteRT and ourselves at
/// each of `sizes` (LiteRT resizes the inputs to the arrays) and compare within `tol`.
fn export_resizes(d: &Path, src: &Path, args: &[&str], sizes: &[Vec<usize>], tol: f64) {
    let out = d.join(format!("{}.tflite", args.join("_").replace(['-', '/'], "")));
    let mut a = vec!["convert", s(src), "-o", s(&out)];
    a.extend_from_slice(args);
    let o = pocket(&a);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(
        t.contains("kept:") && t.contains("shape signature with -1"),
        "{t}"
    );
    // Every non-constant activation of the export follows the input (batch at least); shape
    // values (SHAPE and what slices it) have a fixed length.
    let g = tflite::read_file(&out).expect("read export");
    let fixed: Vec<&str> = g
        .tensors
        .iter()
        .filter(|t| t.data.is_none() && t.dtype != pocket_engine::DType::I32)
        .filter(|t| !t.has_dynamic_dims())
        .map(|t| t.name.as_str())
        .collect();
    assert!(fixed.is_empty(), "tensors without -1: {fixed:?}");
    let mut jobs = Vec::new();
    let mut mine = Vec::new();
    for (k, shape) in sizes.iter().enumerate() {
        let x = d.join(format!("x{k}.npy"));
        npy::write(&x, &random(shape, 40 + k as u64)).expect("write input");
        mine.push(ours(&out, &x, &d.join(format!("ours{k}"))));
        jobs.push(oracle::Job {
            model: out.clone(),
            inputs: vec![x],
            out: d.join(format!("litert{k}")),
            threads: 1,
            reference: false,
        });
    }
    for ((shape, a), b) in sizes.iter().zip(&mine).zip(oracle::run(&jobs, d)) {
        let b = b.unwrap_or_else(|e| panic!("LiteRT at {shape:?}: {e}"));
        let e = max_abs(a, &b[0]);
        println!(
            "{args:?} at {shape:?}: output {:?}, max |ours - LiteRT| {e:.3e}",
            a.shape
        );
        assert!(e <= tol, "{args:?} at {shape:?}: max abs error {e}");
    }
}

/// A folder of calibration arrays of `shape`.
fn calib(d: &Path, shape: &[usize]) -> PathBuf {
    let c = d.join("calib");
    std::fs::create_dir_all(&c).expect("calib dir");
    for k in 0..4 {
        npy::write(c.join(format!("c{k}.npy")), &random(shape, 100 + k)).expect("calib");
    }
    c
}

#[test]
fn tflite_exports_resize_in_litert_float_and_int8() {
    let Some(_py) = oracle::require(oracle::LITERT) else {
        return;
    };
    let d = scratch("tflite");
    let m = d.join("free.tflite");
    tflite::write_file(&tflite_free_model(), &m).expect("write model");
    let sizes = [vec![1usize, 8, 8, 3], vec![2, 16, 12, 3]];
    export_resizes(&d, &m, &["--mode", "float32"], &sizes, 1e-5);
    let c = calib(&d, &[1, 12, 10, 3]);
    // int8 with float io: both runtimes quantize the input the same way; allow a step or two.
    export_resizes(&d, &m, &["--mode", "int8", "--calib", s(&c)], &sizes, 0.05);
}

#[test]
fn onnx_exports_resize_in_litert_float_and_int8() {
    let Some(_py) = oracle::require(oracle::LITERT) else {
        return;
    };
    let d = scratch("onnx");
    let m = d.join("conv.onnx");
    std::fs::write(&m, onnx_conv_model()).expect("write model");
    let sizes = [vec![1usize, 3, 8, 8], vec![2, 3, 16, 12]];
    let shape = ["--input-shape", "H=8", "--input-shape", "W=8"];
    let mut a = vec!["--mode", "float32"];
    a.extend(shape);
    export_resizes(&d, &m, &a, &sizes, 1e-5);
    let c = calib(&d, &[1, 3, 8, 8]);
    let mut a = vec!["--mode", "int8", "--calib", s(&c)];
    a.extend(shape);
    export_resizes(&d, &m, &a, &sizes, 0.05);
}

#[test]
fn onnx_exports_with_folded_shape_arithmetic_are_fixed_and_say_so() {
    let d = scratch("folded");
    let m = d.join("free.onnx");
    std::fs::write(&m, onnx_free_model()).expect("write model");
    let out = d.join("free.tflite");
    let o = pocket(&[
        "convert",
        s(&m),
        "-o",
        s(&out),
        "--mode",
        "float32",
        "--input-shape",
        "x=1,3,8,12",
    ]);
    let t = text(&o);
    assert!(o.status.success(), "{t}");
    assert!(
        t.contains("the export is fixed at x [1, 3, 8, 12] and cannot be resized"),
        "{t}"
    );
    let g = tflite::read_file(&out).expect("read export");
    assert!(
        g.tensors.iter().all(|t| t.signature.is_none()),
        "no signature is written"
    );
}

#[test]
fn onnx_graph_is_kept_as_read() {
    let bytes = onnx_free_model();
    let g = onnx::read_bytes(&bytes, None, &Default::default()).expect("import");
    let src = g.source.as_deref().expect("source graph");
    // The fixture's nodes, in file order, and their attribute counts.
    let file = [
        ("Conv", 3),
        ("Relu", 0),
        ("Shape", 0),
        ("Gather", 1),
        ("Unsqueeze", 0),
        ("Concat", 1),
        ("Reshape", 0),
        ("Transpose", 1),
        ("MatMul", 0),
        ("Reshape", 0),
    ];
    assert_eq!(src.format, "ONNX");
    assert_eq!(src.nodes.len(), file.len());
    for (a, (op, attrs)) in src.nodes.iter().zip(file) {
        assert_eq!(a.op_type, op);
        assert_eq!(a.attrs.len(), attrs, "{op}");
        for &id in &a.translated {
            assert!(id < g.nodes.len(), "{op}: node {id}");
        }
    }
    let conv = &src.nodes[0];
    assert!(!conv.translated.is_empty(), "the conv became IR nodes");
    assert!(
        conv.translated
            .iter()
            .any(|&i| matches!(g.nodes[i].op, pocket_engine::ir::Op::Conv2d(_))),
        "{:?}",
        conv.translated
    );
    // NCHW dims: the conv output at the default sizes (N = 1, H = W = 1).
    let c = src.nodes[0].outputs[0];
    use pocket_engine::ir::SourceDim::Fixed;
    assert_eq!(
        src.values[c].dims,
        Some(vec![Fixed(1), Fixed(4), Fixed(1), Fixed(1)])
    );
    let x = src.inputs[0];
    assert_eq!(src.values[x].name, "x");
    assert!(
        src.values
            .iter()
            .any(|v| v.name == "w" && v.is_const && v.numel == 108)
    );
}
