//! ONNX import against ONNX Runtime (the oracle) and ONNX's own backend node tests; the whole
//! CNN fixtures converted to int8 `.tflite` and run by LiteRT; malformed files.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use pocket_engine::data::folder;
use pocket_engine::formats::onnx::{self, ImportOptions, layout::count_transposes};
use pocket_engine::formats::{npy, tflite};
use pocket_engine::ir::{AttrValue, Data, Op};
use pocket_engine::quant::{self, Mode, QuantHooks, Recipe};
use pocket_engine::{Error, Graph, Session, SessionOptions, Value};
use pocket_tests::{Tolerance, oracle};

static GEN: Mutex<()> = Mutex::new(());

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

fn py(python: &Path, script: &str, args: &[&str]) -> Result<(), String> {
    let out = Command::new(python)
        .arg(root().join("oracle").join(script))
        .args(args)
        .output()
        .map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// The generated ONNX fixtures (made once by tests/oracle/make_onnx_fixtures.py).
fn fixtures(python: &Path) -> PathBuf {
    let dir = root().join("fixtures/onnx");
    let _g = GEN.lock().unwrap_or_else(|e| e.into_inner());
    if !dir.join("mobilenet_v2/model.onnx").exists()
        || !dir.join("resnet18_half/model.onnx").exists()
    {
        py(
            python,
            "make_onnx_fixtures.py",
            &[dir.to_str().expect("utf8")],
        )
        .expect("fixture generator");
    }
    dir
}

/// ONNX's backend node tests as .npy files (made once by tests/oracle/onnx_node_tests.py).
fn node_tests(python: &Path) -> PathBuf {
    let dir = root().join("data/onnx_node");
    let _g = GEN.lock().unwrap_or_else(|e| e.into_inner());
    // The export is redone whenever the script that makes it (its op list) changes.
    let script = std::fs::read(root().join("oracle/onnx_node_tests.py")).expect("script");
    let stamp = dir.join("made_by.py");
    let fresh = std::fs::read(&stamp).is_ok_and(|s| s == script);
    if !fresh || !dir.join("index.json").exists() {
        let _ = std::fs::remove_dir_all(&dir);
        py(python, "onnx_node_tests.py", &[dir.to_str().expect("utf8")]).expect("node test export");
        std::fs::write(&stamp, &script).expect("stamp");
    }
    dir
}

fn ort(python: &Path, model: &Path, inputs: &[PathBuf], out: &Path) -> Vec<Value> {
    let mut args = vec![
        model.to_str().expect("utf8").to_string(),
        out.to_str().expect("utf8").to_string(),
    ];
    args.extend(inputs.iter().map(|p| p.to_str().expect("utf8").to_string()));
    let a: Vec<&str> = args.iter().map(String::as_str).collect();
    py(python, "ort_run.py", &a).expect("onnxruntime");
    (0..)
        .map(|i| out.join(format!("output_{i}.npy")))
        .take_while(|p| p.exists())
        .map(|p| npy::read(&p).expect("npy"))
        .collect()
}

fn f32s(v: &Value) -> Vec<f32> {
    v.data.to_f64().iter().map(|&x| x as f32).collect()
}

/// `Tolerance::FLOAT` between two outputs of the same shape, or the reason it fails.
fn close(what: &str, ours: &Value, reference: &Value) -> f64 {
    Tolerance::FLOAT
        .check(ours, reference)
        .unwrap_or_else(|e| panic!("{what}: {e}"))
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let (mut ab, mut aa, mut bb) = (0f64, 0f64, 0f64);
    for (&x, &y) in a.iter().zip(b) {
        ab += x as f64 * y as f64;
        aa += x as f64 * x as f64;
        bb += y as f64 * y as f64;
    }
    ab / (aa.sqrt() * bb.sqrt()).max(1e-30)
}

fn argmax(v: &[f32]) -> usize {
    v.iter()
        .enumerate()
        .max_by(|a, b| a.1.total_cmp(b.1))
        .map_or(0, |p| p.0)
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pocket-onnx-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("tmp");
    d
}

#[test]
fn whole_cnns_match_onnx_runtime_and_convert_to_int8_tflite_for_litert() {
    let Some(python) = oracle::require(oracle::ORT) else {
        return;
    };
    let dir = fixtures(&python);
    println!(
        "| model | max error vs ORT | transposes before → after layout pass | int8 .tflite in LiteRT: top-1 agreement, cosine vs ORT float |"
    );
    println!("|---|---|---|---|");
    for name in ["resnet18_half", "mobilenet_v2"] {
        let d = dir.join(name);
        let model = d.join("model.onnx");
        let input = d.join("input_0.npy");
        let scratch = tmp(name);
        let reference = ort(
            &python,
            &model,
            std::slice::from_ref(&input),
            &scratch.join("ort"),
        );
        let g = onnx::read_file(&model).expect("import");
        let x = npy::read(&input).expect("input");
        let s = Session::new(
            &g,
            &SessionOptions {
                threads: 2,
                ..Default::default()
            },
        )
        .expect("session");
        let ours = s.run(vec![x.clone()]).expect("run");
        let e = close(name, &ours[0], &reference[0]);
        // The layout pass leaves only the input transpose (NCHW input by default).
        let raw = onnx::read_file_with(
            &model,
            &ImportOptions {
                layout: false,
                ..Default::default()
            },
        )
        .expect("import without layout pass");
        let (before, after) = (count_transposes(&raw), count_transposes(&g));
        assert_eq!(after, 1, "{name}: transposes left {after}");
        let t = g
            .nodes
            .iter()
            .find(|n| matches!(n.op, Op::Transpose))
            .expect("input transpose");
        assert_eq!(
            t.input(0),
            Some(g.inputs[0]),
            "{name}: the only transpose is at the input"
        );
        // NHWC input: no transpose at all, same answer.
        let gn = onnx::read_file_with(
            &model,
            &ImportOptions {
                nhwc_input: true,
                ..Default::default()
            },
        )
        .expect("nhwc import");
        assert_eq!(
            count_transposes(&gn),
            0,
            "{name}: NHWC input leaves no transpose"
        );
        let xv = f32s(&x);
        let mut xn = vec![0f32; xv.len()];
        for c in 0..3 {
            for i in 0..224 * 224 {
                xn[i * 3 + c] = xv[c * 224 * 224 + i];
            }
        }
        let on = Session::new(
            &gn,
            &SessionOptions {
                threads: 2,
                ..Default::default()
            },
        )
        .expect("session")
        .run(vec![Value::new(vec![1, 224, 224, 3], Data::F32(xn))])
        .expect("run");
        close(&format!("{name} (NHWC input)"), &on[0], &reference[0]);
        // Float export loads in LiteRT and matches ORT.
        let fpath = scratch.join("float.tflite");
        std::fs::write(&fpath, tflite::to_bytes(&g).expect("write float")).expect("write");
        // int8 with the fixture's calibration arrays.
        let items = folder::list(&d.join("calib"), 1).expect("calib");
        let mut data = items.iter().map(|it| folder::load(it, &g, &[]));
        let q = quant::quantize(
            &g,
            &Recipe::new(Mode::Int8),
            &mut data,
            &QuantHooks::default(),
        )
        .expect("int8");
        let qpath = scratch.join("int8.tflite");
        std::fs::write(&qpath, tflite::to_bytes(&q).expect("write int8")).expect("write");
        let jobs = [
            oracle::Job {
                model: fpath,
                inputs: vec![input.clone()],
                out: scratch.join("lf"),
                threads: 1,
                reference: false,
            },
            oracle::Job {
                model: qpath.clone(),
                inputs: vec![input.clone()],
                out: scratch.join("lq"),
                threads: 1,
                reference: false,
            },
            oracle::Job {
                model: qpath,
                inputs: vec![input.clone()],
                out: scratch.join("lr"),
                threads: 1,
                reference: true,
            },
        ];
        let res = oracle::run(&jobs, &scratch);
        // Our int8 run of the whole network equals LiteRT's reference kernels bit for bit, with
        // the session's folded PADs (plain run) and without (an observer sees every node).
        let lr = res[2]
            .as_ref()
            .expect("LiteRT reference kernels run the int8 export");
        let opts = SessionOptions::threads(2).with_numerics(pocket_engine::Numerics::Reference);
        let sq = Session::new(&q, &opts).expect("int8 session");
        let plain = sq.run(vec![x.clone()]).expect("int8 run");
        let mut seen = 0usize;
        let mut obs = |_: usize, _: &pocket_engine::Node, _: &[&Value]| seen += 1;
        let observed = sq
            .run_with(
                vec![x.clone()],
                &mut pocket_engine::runtime::RunHooks {
                    observer: Some(&mut obs),
                    ..Default::default()
                },
            )
            .expect("observed int8 run");
        assert_eq!(
            f32s(&plain[0]),
            f32s(&lr[0]),
            "{name}: int8 vs LiteRT reference"
        );
        assert_eq!(
            f32s(&observed[0]),
            f32s(&lr[0]),
            "{name}: observed int8 run"
        );
        assert!(seen > 0);
        let fused_pads = q
            .nodes
            .iter()
            .filter(|n| matches!(n.op, Op::Pad { .. }))
            .count();
        assert!(
            fused_pads > 0,
            "{name}: the fixture has explicit PADs to fold"
        );
        let lf = res[0].as_ref().expect("LiteRT runs the float export");
        let lq = res[1].as_ref().expect("LiteRT runs the int8 export");
        close(
            &format!("{name}: float .tflite in LiteRT"),
            &lf[0],
            &reference[0],
        );
        let (rf, qf) = (f32s(&reference[0]), f32s(&lq[0]));
        let cos = cosine(&qf, &rf);
        let agree = argmax(&qf) == argmax(&rf);
        println!(
            "| {name} | {e:.2e} | {before} → {after} | {}, {cos:.4} |",
            if agree { "same" } else { "different" }
        );
        assert!(cos > 0.9, "{name}: int8 cosine {cos}");
        let _ = std::fs::remove_dir_all(&scratch);
    }
}

#[derive(serde::Deserialize)]
struct NodeTest {
    name: String,
    op_types: Vec<String>,
    #[serde(default)]
    written: bool,
    #[serde(default)]
    nondeterministic: bool,
}

/// Input slots whose values must be known when converting to TFLite (weights, shapes, pads,
/// axes, bounds, scales): the harness freezes graph inputs that feed them into initializers,
/// as a deployment export would have them. Data inputs stay graph inputs.
fn param_slots(op: &str) -> &'static [usize] {
    match op {
        "Conv" | "ConvTranspose" | "Gemm" | "PRelu" | "LayerNormalization" => &[1, 2],
        "BatchNormalization" => &[1, 2, 3, 4],
        "Clip" | "QuantizeLinear" | "DequantizeLinear" => &[1, 2],
        "ConvInteger" => &[1, 3],
        "QLinearConv" => &[1, 2, 3, 4, 5, 6, 7, 8],
        "Pad" | "Slice" | "Resize" => &[1, 2, 3, 4],
        "Reshape" | "Expand" | "Squeeze" | "Unsqueeze" | "Upsample" | "Split" | "Gather"
        | "ReduceMean" | "ReduceMax" | "ReduceSum" | "Pow" => &[1],
        "ReduceMin" | "ReduceProd" | "ReduceL1" | "ReduceL2" | "ReduceLogSum"
        | "ReduceLogSumExp" | "ReduceSumSquare" | "Tile" | "TopK" | "Trilu" | "CumSum" => &[1],
        "InstanceNormalization" | "GroupNormalization" | "OneHot" => &[1, 2],
        "Range" => &[0, 1, 2],
        "NonMaxSuppression" => &[2, 3, 4],
        "ConstantOfShape" => &[0],
        "LSTM" => &[1, 2, 3, 4, 7],
        "GRU" | "RNN" => &[1, 2, 3, 4],
        _ => &[],
    }
}

/// True when value `name` reaches an input of a Range node of `graph` through any nodes.
fn feeds_range(graph: &onnx::proto::GraphProto, name: &str) -> bool {
    let mut reached = std::collections::HashSet::from([name.to_string()]);
    for n in &graph.node {
        if n.input.iter().any(|t| reached.contains(t)) {
            if n.op_type.as_deref() == Some("Range") {
                return true;
            }
            reached.extend(n.output.iter().cloned());
        }
    }
    false
}

fn tensor_proto(name: &str, v: &Value) -> onnx::proto::TensorProto {
    let (dt, raw): (i32, Vec<u8>) = match &v.data {
        Data::F32(x) => (1, x.iter().flat_map(|f| f.to_le_bytes()).collect()),
        Data::F16(x) => (10, x.iter().flat_map(|f| f.to_le_bytes()).collect()),
        Data::I64(x) => (7, x.iter().flat_map(|f| f.to_le_bytes()).collect()),
        Data::I32(x) => (6, x.iter().flat_map(|f| f.to_le_bytes()).collect()),
        Data::I16(x) => (5, x.iter().flat_map(|f| f.to_le_bytes()).collect()),
        Data::I8(x) => (3, x.iter().map(|&f| f as u8).collect()),
        Data::U8(x) => (2, x.clone()),
        Data::Bool(x) => (9, x.iter().map(|&b| b as u8).collect()),
    };
    onnx::proto::TensorProto {
        name: Some(name.into()),
        dims: v.shape.iter().map(|&d| d as i64).collect(),
        data_type: Some(dt),
        raw_data: Some(raw.into()),
        ..Default::default()
    }
}

/// Run one exported node test: `Ok` when every output is within `Tolerance::FLOAT` (integers
/// and booleans exactly), else the reason.
fn run_node_test(dir: &Path) -> Result<(), String> {
    use prost::Message;
    let bytes = std::fs::read(dir.join("model.onnx")).map_err(|e| e.to_string())?;
    let mut m = onnx::proto::ModelProto::decode(bytes.as_slice()).map_err(|e| e.to_string())?;
    let graph = m.graph.as_mut().ok_or("no graph")?;
    let mut feeds = Vec::new();
    let inputs = std::mem::take(&mut graph.input);
    for (i, vi) in inputs.into_iter().enumerate() {
        let name = vi.name.clone().unwrap_or_default();
        let v = npy::read(&dir.join(format!("input_{i}.npy"))).map_err(|e| e.chain())?;
        let frozen = graph.node.iter().any(|n| {
            let op = n.op_type.as_deref().unwrap_or("");
            // ScatterND/ScatterElements mul/max/min translate for indices fixed in the file (as a model's
            // are); replace and add also take run-time indices, and are tested so.
            let reduces = n.attribute.iter().any(|a| {
                a.name.as_deref() == Some("reduction")
                    && a.s.as_deref().is_some_and(|s| s != b"none" && s != b"add")
            });
            let slots = if matches!(op, "ScatterND" | "ScatterElements") && reduces {
                &[1][..]
            } else {
                param_slots(op)
            };
            n.input
                .iter()
                .enumerate()
                .any(|(k, t)| *t == name && slots.contains(&k))
        });
        // A scalar integer that a Range's bounds are computed from (the window functions'
        // length) is a size the user fixes: a Range's length must be known when the model is
        // read.
        let size = v.shape.is_empty()
            && matches!(v.data, Data::I64(_) | Data::I32(_))
            && feeds_range(graph, &name);
        if frozen || size {
            graph.initializer.push(tensor_proto(&name, &v));
        } else {
            graph.input.push(vi);
            feeds.push(v);
        }
    }
    let g: Graph = onnx::read_bytes(&m.encode_to_vec(), Some(dir), &ImportOptions::default())
        .map_err(|e| e.chain())?;
    let inputs: Vec<Value> = feeds
        .into_iter()
        .zip(&g.inputs)
        .map(|(v, &t)| {
            // Arrays of another type are converted (f16 data to the f32 the engine uses).
            let want = g.tensors[t].dtype;
            if v.dtype() == want {
                v
            } else {
                Value::new(
                    v.shape.clone(),
                    pocket_engine::ops::cast_value(&v, want).unwrap_or(v.data.clone()),
                )
            }
        })
        .collect();
    let s = Session::new(
        &g,
        &SessionOptions {
            threads: 1,
            ..Default::default()
        },
    )
    .map_err(|e| e.chain())?;
    let outs = s.run(inputs).map_err(|e| e.chain())?;
    for (i, o) in outs.iter().enumerate() {
        let r = npy::read(&dir.join(format!("output_{i}.npy"))).map_err(|e| e.chain())?;
        if o.numel() != r.numel() {
            return Err(format!(
                "output {i}: {} values, expected {} ({:?} vs {:?})",
                o.numel(),
                r.numel(),
                o.shape,
                r.shape
            ));
        }
        let tol = if matches!(r.data, Data::F32(_) | Data::F16(_)) {
            Tolerance::FLOAT
        } else {
            Tolerance::EXACT
        };
        tol.worst_of(&o.data.to_f64(), &r.data.to_f64())
            .and_then(|w| {
                tol.holds(w)
                    .then_some(())
                    .ok_or_else(|| format!("error {w:.3e}"))
            })
            .map_err(|e| format!("output {i}: {e}"))?;
    }
    Ok(())
}

#[test]
fn onnx_backend_node_tests() {
    let Some(python) = oracle::require(oracle::ORT) else {
        return;
    };
    let dir = node_tests(&python);
    let index: Vec<NodeTest> =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).expect("index"))
            .expect("json");
    let known: BTreeMap<String, String> =
        std::fs::read_to_string(root().join("onnx_known_failures.txt"))
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
            .filter_map(|l| {
                l.split_once(':')
                    .map(|(a, b)| (a.trim().to_string(), b.trim().to_string()))
            })
            .collect();
    let mut per_op: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    let mut failures = Vec::new();
    let (mut pass, mut total) = (0, 0);
    for t in index.iter().filter(|t| t.written && !t.nondeterministic) {
        let r = run_node_test(&dir.join(&t.name));
        total += 1;
        if r.is_ok() {
            pass += 1;
        }
        let mut ops = t.op_types.clone();
        ops.sort();
        ops.dedup();
        for op in ops {
            let e = per_op.entry(op).or_default();
            e.1 += 1;
            if r.is_ok() {
                e.0 += 1;
            }
        }
        if let Err(e) = r {
            failures.push((t.name.clone(), e));
        }
    }
    let mut table = format!(
        "ONNX backend node tests of supported ops (onnx 1.23.2, deterministic tests whose tensors have supported types): **{pass} / {total} pass**.\n\n| op | pass / tests |\n|---|---|\n"
    );
    for (op, (p, n)) in &per_op {
        table.push_str(&format!("| {op} | {p} / {n} |\n"));
    }
    table.push_str("\nFailures and why:\n\n");
    for (name, e) in &failures {
        let why = known
            .get(name)
            .cloned()
            .unwrap_or_else(|| format!("UNEXPLAINED: {e}"));
        table.push_str(&format!("- `{name}`: {why}\n"));
    }
    println!("{table}");
    let unexplained: Vec<_> = failures
        .iter()
        .filter(|f| !known.contains_key(&f.0))
        .collect();
    let readme = root().join("../README.md");
    let text = std::fs::read_to_string(&readme).expect("README");
    let (a, b) = (
        "<!-- onnx-conformance:start -->\n",
        "<!-- onnx-conformance:end -->",
    );
    if let (Some(i), Some(j)) = (text.find(a), text.find(b)) {
        let current = &text[i + a.len()..j];
        if std::env::var("POCKET_UPDATE_README").is_ok() {
            let new = format!("{}{a}{table}{}", &text[..i], &text[j..]);
            std::fs::write(&readme, new).expect("write README");
        } else if unexplained.is_empty() {
            assert_eq!(
                current, table,
                "README conformance table is stale: run with POCKET_UPDATE_README=1"
            );
        }
    }
    assert!(
        unexplained.is_empty(),
        "unexplained failures: {unexplained:#?}"
    );
    let stale: Vec<_> = known
        .keys()
        .filter(|k| !failures.iter().any(|f| &f.0 == *k))
        .collect();
    assert!(
        stale.is_empty(),
        "listed as failing but now pass (remove from tests/onnx_known_failures.txt): {stale:?}"
    );
}

fn small_model() -> Vec<u8> {
    pocket_tests::onnx_models::conv_relu()
}

#[test]
fn small_models_import_and_fold_shape_arithmetic() {
    for (name, bytes) in pocket_tests::onnx_models::all() {
        let g = onnx::read_bytes(&bytes, None, &ImportOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let s = Session::new(&g, &SessionOptions::default()).expect("session");
        let x: Vec<Value> = g
            .inputs
            .iter()
            .map(|&t| {
                Value::new(
                    g.tensors[t].shape.clone(),
                    Data::F32(vec![0.25; g.tensors[t].numel()]),
                )
            })
            .collect();
        s.run(x).unwrap_or_else(|e| panic!("{name}: {e}"));
        if name == "shape_arithmetic" {
            // Shape → Gather → Unsqueeze → Concat became a constant: only Reshape and Sigmoid run.
            let ops: Vec<String> = g.nodes.iter().map(|n| n.op.name()).collect();
            assert_eq!(ops, ["RESHAPE", "LOGISTIC"], "{ops:?}");
        }
    }
}

#[test]
fn onnx_fuzz_seed_corpus_runs_clean() {
    let dir = root().join("../fuzz/corpus/read_onnx");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).expect("fuzz/corpus/read_onnx exists") {
        let b = std::fs::read(e.expect("entry").path()).expect("seed");
        if let Ok(g) = onnx::read_bytes(&b, None, &ImportOptions::default()) {
            let _ = Session::new(&g, &SessionOptions::default());
        }
        n += 1;
    }
    assert!(n >= 5, "only {n} seeds");
}

#[test]
fn malformed_onnx_files_give_errors_not_panics() {
    let good = small_model();
    let opts = ImportOptions::default();
    let g = onnx::read_bytes(&good, None, &opts).expect("the small model imports");
    assert_eq!(g.inputs.len(), 1);
    let y = Session::new(&g, &SessionOptions::default())
        .expect("session")
        .run(vec![Value::new(
            vec![1, 3, 6, 6],
            Data::F32(vec![0.5; 108]),
        )])
        .expect("run");
    assert_eq!(y[0].shape, vec![1, 4, 6, 6]);
    // Empty, random, a TFLite file, every 7th truncation, bit flips: errors, never panics.
    assert!(onnx::read_bytes(&[], None, &opts).is_err());
    assert!(onnx::read_bytes(b"\x10\x00\x00\x00TFL3\x00\x00", None, &opts).is_err());
    let mut s = 0x1234_5678u64;
    let mut rnd = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let noise: Vec<u8> = (0..4096).map(|_| rnd() as u8).collect();
    assert!(onnx::read_bytes(&noise, None, &opts).is_err());
    let mut errors = 0;
    for cut in (0..good.len()).step_by(7) {
        if onnx::read_bytes(&good[..cut], None, &opts).is_err() {
            errors += 1;
        }
    }
    assert!(errors > 0);
    for _ in 0..2000 {
        let mut b = good.clone();
        let i = rnd() as usize % b.len();
        b[i] ^= 1 << (rnd() % 8);
        if let Ok(g) = onnx::read_bytes(&b, None, &opts) {
            // Whatever imports must also prepare and run (or refuse) without panicking.
            if let Ok(s) = Session::new(&g, &SessionOptions::default()) {
                let x: Vec<Value> = g
                    .inputs
                    .iter()
                    .map(|&t| {
                        let t = &g.tensors[t];
                        Value::new(
                            t.shape.clone(),
                            Data::zeros(t.dtype, t.numel().min(1 << 20)),
                        )
                    })
                    .collect();
                let _ = s.run(x);
            }
        }
    }
}

#[test]
fn untranslated_ops_open_and_running_lists_them_at_once_and_errors_name_the_node() {
    use onnx::proto::*;
    use prost::Message;
    let mut m = ModelProto::decode(small_model().as_slice()).expect("decode");
    let graph = m.graph.as_mut().expect("graph");
    for (op, name) in [("Hardmax", "e1"), ("Col2Im", "l1"), ("Hardmax", "e2")] {
        graph.node.push(NodeProto {
            name: Some(name.into()),
            op_type: Some(op.into()),
            input: vec!["y".into()],
            output: vec![format!("{name}_out")],
            ..Default::default()
        });
        // Kept nodes whose results nobody uses are dropped like any dead node: use them.
        graph.output.push(ValueInfoProto {
            name: Some(format!("{name}_out")),
            ..Default::default()
        });
    }
    // The model opens (the ops are kept); running lists every one at once.
    let g = onnx::read_bytes(&m.encode_to_vec(), None, &ImportOptions::default())
        .unwrap_or_else(|e| panic!("{}", e.chain()));
    match Session::new(
        &g,
        &SessionOptions {
            threads: 1,
            ..Default::default()
        },
    ) {
        Err(Error::Unsupported { ops }) => {
            assert_eq!(
                ops,
                vec![
                    "Col2Im (1 node)".to_string(),
                    "Hardmax (2 nodes)".to_string()
                ]
            );
        }
        r => panic!("expected the unsupported ops, got {:?}", r.map(|_| ())),
    }
    // A Conv whose weights are not constant is kept, saying why, and names itself when run.
    let mut m = ModelProto::decode(small_model().as_slice()).expect("decode");
    let graph = m.graph.as_mut().expect("graph");
    graph.initializer.clear();
    let mut w = graph.input[0].clone();
    w.name = Some("w".into());
    graph.input.push(w);
    let g = onnx::read_bytes(&m.encode_to_vec(), None, &ImportOptions::default())
        .unwrap_or_else(|e| panic!("{}", e.chain()));
    let conv = g.nodes.iter().find(|n| n.name == "conv").expect("conv");
    assert!(
        matches!(conv.op.attr("not_translated"), Some(AttrValue::Str(w)) if w.contains("constant")),
        "{:?}",
        conv.op
    );
    let e = Session::new(
        &g,
        &SessionOptions {
            threads: 1,
            ..Default::default()
        },
    )
    .err()
    .expect("cannot run")
    .chain();
    assert!(e.contains("Conv (1 node)"), "{e}");
    // External data outside the model's folder is refused.
    let mut m = ModelProto::decode(small_model().as_slice()).expect("decode");
    {
        let t = &mut m.graph.as_mut().expect("graph").initializer[0];
        t.float_data.clear();
        t.data_location = Some(1);
        t.external_data = vec![StringStringEntryProto {
            key: Some("location".into()),
            value: Some("../../etc/passwd".into()),
        }];
    }
    let e = onnx::read_bytes(
        &m.encode_to_vec(),
        Some(Path::new("/tmp")),
        &ImportOptions::default(),
    )
    .err()
    .expect("error")
    .chain();
    assert!(e.contains("relative path inside"), "{e}");
    // External data that is too short is refused, and good external data is read.
    let d = tmp("external");
    let w: Vec<f32> = (0..4 * 3 * 9).map(|i| (i % 7) as f32 * 0.1 - 0.3).collect();
    let bytes: Vec<u8> = w.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(d.join("w.bin"), &bytes[..100]).expect("write");
    m.graph.as_mut().expect("graph").initializer[0].external_data = vec![StringStringEntryProto {
        key: Some("location".into()),
        value: Some("w.bin".into()),
    }];
    let enc = m.encode_to_vec();
    let e = onnx::read_bytes(&enc, Some(&d), &ImportOptions::default())
        .err()
        .expect("error")
        .chain();
    assert!(e.contains("past the end"), "{e}");
    std::fs::write(d.join("w.bin"), &bytes).expect("write");
    let g = onnx::read_bytes(&enc, Some(&d), &ImportOptions::default()).expect("external data");
    let a = onnx::read_bytes(&small_model(), None, &ImportOptions::default()).expect("inline");
    let x = Value::new(
        vec![1, 3, 6, 6],
        Data::F32((0..108).map(|i| i as f32 * 0.01).collect()),
    );
    let run = |g: &Graph| {
        Session::new(g, &SessionOptions::default())
            .expect("s")
            .run(vec![x.clone()])
            .expect("run")
    };
    assert_eq!(run(&g)[0], run(&a)[0]);
    let _ = std::fs::remove_dir_all(&d);
}
