//! Quantization: float16 and int8 models written by us load in LiteRT and give LiteRT's
//! numbers; recipes and calibration data are validated.

use pocket_engine::formats::tflite;
use pocket_engine::ir::DType;
use pocket_engine::quant::{self, Mode, QuantHooks, Recipe};
use pocket_engine::{Error, Graph, Value};
use pocket_tests::{Rng, cases, cnn};

fn no_data() -> std::iter::Empty<quant::Sample> {
    std::iter::empty()
}

/// Random calibration samples shaped like the graph's inputs.
pub(crate) fn samples(g: &Graph, n: usize, seed: u64) -> Vec<Vec<Value>> {
    let mut r = Rng::new(seed);
    (0..n)
        .map(|_| {
            g.inputs
                .iter()
                .map(|&t| {
                    Value::f32(
                        g.tensors[t].shape.clone(),
                        r.vec(g.tensors[t].numel(), -1.0, 1.0),
                    )
                })
                .collect()
        })
        .collect()
}

#[test]
fn float16_halves_conv_nets_and_keeps_their_outputs() {
    let model = cnn::ensure("mobilenet_v2");
    let g = tflite::read_file(&model).expect("fixture");
    let q = quant::quantize(
        &g,
        &Recipe::new(Mode::Float16),
        &mut no_data(),
        &QuantHooks::default(),
    )
    .expect("float16");
    let (a, b) = (
        tflite::to_bytes(&g).expect("w").len(),
        tflite::to_bytes(&q).expect("w").len(),
    );
    let ratio = b as f64 / a as f64;
    println!("float16 size ratio (MobileNetV2-style): {ratio:.3}");
    assert!(ratio <= 0.52, "float16 file is {ratio:.3}x the float file");
    assert!(
        q.tensors
            .iter()
            .any(|t| t.dtype == DType::F16 && t.is_const())
    );
}

#[test]
fn recipe_errors_are_clear() {
    let e = Recipe::from_json(r#"{"mode": "int8", "colour": "blue"}"#).expect_err("unknown field");
    assert!(e.chain().contains("unknown field `colour`"), "{e}");
    let e = Recipe::from_json(r#"{"mode": "int4"}"#).expect_err("unknown mode");
    assert!(e.chain().contains("int4"), "{e}");
    let e = Recipe::from_json(r#"{"mode": "int8", "version": 7}"#).expect_err("version");
    assert!(e.chain().contains("version 7"), "{e}");
    let r = Recipe::from_json(
        r#"{"mode": "int8", "calibration": {"method": "percentile", "p": 99.9, "max_samples": 8}}"#,
    )
    .expect("valid");
    assert_eq!(r.calibration.max_samples, 8);
    assert_eq!(Recipe::from_json(&r.to_json()).expect("round trip"), r);
    let c = cases::all()
        .into_iter()
        .find(|c| c.name == "classifier_single_output")
        .expect("case");
    let mut r = Recipe::new(Mode::Float16);
    r.keep_float = vec!["no_such_node".into()];
    let e = quant::quantize(&c.graph, &r, &mut no_data(), &QuantHooks::default())
        .expect_err("unknown node");
    assert!(e.chain().contains("matches no node"), "{e}");
    r.keep_float = vec!["(".into()];
    assert!(quant::quantize(&c.graph, &r, &mut no_data(), &QuantHooks::default()).is_err());
}

#[test]
fn int8_without_calibration_data_is_an_error() {
    let c = cases::all()
        .into_iter()
        .find(|c| c.name == "classifier_single_output")
        .expect("case");
    let e = quant::quantize(
        &c.graph,
        &Recipe::new(Mode::Int8),
        &mut no_data(),
        &QuantHooks::default(),
    )
    .expect_err("no data");
    assert!(
        matches!(e, Error::Quant(_)) && e.chain().contains("calibration data"),
        "{e}"
    );
}

#[test]
fn calibration_folders_are_validated() {
    use pocket_engine::data::folder;
    let dir = crate::scratch("calib-empty");
    let e = folder::list(&dir, 1).expect_err("empty");
    assert!(e.chain().contains("holds no samples"), "{e}");
    assert!(
        folder::list(&dir.join("missing"), 1)
            .expect_err("missing")
            .chain()
            .contains("not a folder")
    );
    let c = cases::all()
        .into_iter()
        .find(|c| c.name == "classifier_single_output")
        .expect("case");
    // An array of the wrong shape.
    pocket_engine::formats::npy::write(
        dir.join("a.npy"),
        &Value::f32(vec![1, 8, 8, 3], vec![0.0; 192]),
    )
    .expect("npy");
    let items = folder::list(&dir, 1).expect("one item");
    let e = folder::load(&items[0], &c.graph, &[]).expect_err("shape");
    assert!(e.chain().contains("does not fit input"), "{e}");
    // An unreadable image.
    std::fs::write(dir.join("b.png"), b"not a png").expect("write");
    let items = folder::list(&dir, 1).expect("items");
    let pre = vec![pocket_engine::data::image::Preprocess::for_input(
        &c.graph, 0,
    )];
    let png = items
        .iter()
        .find(|it| matches!(it, folder::Item::Image(..)))
        .expect("the png is listed");
    let e = folder::load(png, &c.graph, &pre).expect_err("bad image");
    assert!(e.chain().contains("cannot decode image"), "{e}");
}

/// Dynamic-range models: our hybrid kernels against LiteRT's reference kernels.
#[test]
fn dynamic_range_ops_match_litert_reference() {
    use pocket_tests::oracle::{self, Job};
    if !oracle::available() {
        return;
    }
    let dir = crate::scratch("hybrid");
    let mut jobs = Vec::new();
    let mut ours = Vec::new();
    for c in cases::hybrid() {
        let q = quant::quantize(
            &c.graph,
            &Recipe::new(Mode::DynamicRangeInt8),
            &mut no_data(),
            &QuantHooks::default(),
        )
        .expect("dynamic");
        assert!(
            q.tensors
                .iter()
                .any(|t| t.dtype == DType::I8 && t.is_const()),
            "{}: no int8 weights",
            c.name
        );
        let m = dir.join(format!("{}.tflite", c.name));
        tflite::write_file(&q, &m).expect("write");
        let input = dir.join(format!("{}_in.npy", c.name));
        pocket_engine::formats::npy::write(&input, &c.inputs[0]).expect("npy");
        ours.push((
            c.name.clone(),
            pocket_engine::Session::new(&q, &Default::default())
                .and_then(|s| s.run(c.inputs.clone()))
                .expect("ours"),
        ));
        jobs.push(Job {
            model: m,
            inputs: vec![input],
            out: dir.join(&c.name),
            threads: 1,
            reference: true,
        });
    }
    let refs = oracle::run(&jobs, &dir);
    let mut bad = Vec::new();
    for ((name, o), r) in ours.iter().zip(refs) {
        let r = r.unwrap_or_else(|e| panic!("{name}: LiteRT failed: {e}"));
        let w = pocket_tests::Tolerance::FLOAT
            .worst(&o[0], &r[0])
            .expect("shapes");
        println!("{name}: max normalized error vs BUILTIN_REF {w:.3e}");
        if !pocket_tests::Tolerance::FLOAT.holds(w) {
            bad.push(format!("{name}: {w:.3e}"));
        }
    }
    assert!(bad.is_empty(), "{bad:?}");
}

/// The same model + recipe + calibration data always gives the same bytes; int8 and
/// dynamic-range conv nets come out at most 0.27x the float file.
#[test]
fn int8_is_deterministic_and_small() {
    for (name, _) in cnn::fixtures() {
        let g = tflite::read_file(cnn::ensure(name)).expect("fixture");
        let data = samples(&g, 4, 21);
        let run = |mode: Mode| {
            let mut d = data.clone().into_iter().map(Ok);
            tflite::to_bytes(
                &quant::quantize(&g, &Recipe::new(mode), &mut d, &QuantHooks::default())
                    .expect("quantize"),
            )
            .expect("write")
        };
        let float = tflite::to_bytes(&g).expect("write").len() as f64;
        for mode in [Mode::Int8, Mode::DynamicRangeInt8] {
            let (a, b) = (run(mode), run(mode));
            assert_eq!(a, b, "{name} {mode:?}: not deterministic");
            let ratio = a.len() as f64 / float;
            println!("{name} {mode:?}: {ratio:.3}x the float file");
            assert!(ratio <= 0.27, "{name} {mode:?}: {ratio:.3}x");
        }
    }
}

/// Calibration reports progress per sample and stops when cancelled.
#[test]
fn calibration_progress_and_cancel() {
    let c = cases::all()
        .into_iter()
        .find(|c| c.name == "classifier_single_output")
        .expect("case");
    let data = samples(&c.graph, 5, 1);
    let seen = std::sync::Mutex::new(Vec::new());
    let progress = |d: usize, t: usize| seen.lock().expect("lock").push((d, t));
    let mut r = Recipe::new(Mode::Int8);
    r.calibration.max_samples = 3;
    quant::quantize(
        &c.graph,
        &r,
        &mut data.clone().into_iter().map(Ok),
        &QuantHooks {
            progress: Some(&progress),
            cancel: None,
        },
    )
    .expect("int8");
    assert_eq!(*seen.lock().expect("lock"), vec![(1, 3), (2, 3), (3, 3)]);
    let cancel = std::sync::atomic::AtomicBool::new(true);
    let e = quant::quantize(
        &c.graph,
        &r,
        &mut data.into_iter().map(Ok),
        &QuantHooks {
            progress: None,
            cancel: Some(&cancel),
        },
    )
    .expect_err("cancelled");
    assert!(matches!(e, Error::Cancelled));
}
