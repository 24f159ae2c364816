//! Evaluation and comparison: dataset layouts, preprocessing against PIL, end to end on the
//! sample models (int8 within 1 point of float), and bad data.

use std::path::{Path, PathBuf};
use std::process::Command;

use pocket_engine::data::dataset::Dataset;
use pocket_engine::data::folder;
use pocket_engine::data::image::{Preprocess, ResizeMode};
use pocket_engine::eval::{self, Hooks, Models};
use pocket_engine::formats::{npy, tflite};
use pocket_engine::quant::{self, Mode, QuantHooks, Recipe};
use pocket_engine::{Graph, SessionOptions};
use pocket_tests::{cases, oracle};

use crate::scratch;

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sample-models")
        .join(name)
}

fn eval_dir(name: &str) -> PathBuf {
    let d = sample(name);
    if d.join("eval").is_dir() {
        d.join("eval")
    } else {
        d.join("test")
    }
}

fn quantized(g: &Graph, calib: &Path) -> Graph {
    let items = folder::list(calib, 1).expect("calibration");
    let pre = vec![Preprocess::for_input(g, 0)];
    let mut data = items.iter().map(|it| folder::load(it, g, &pre));
    quant::quantize(
        g,
        &Recipe::new(Mode::Int8),
        &mut data,
        &QuantHooks::default(),
    )
    .expect("int8")
}

#[test]
fn sample_models_keep_accuracy_in_int8() {
    for name in ["digits", "shapes"] {
        let g = tflite::read_file(sample(name).join("model.tflite")).expect("model");
        assert!(
            !g.meta.labels.is_empty(),
            "{name}: the sample model carries its labels"
        );
        let q = quantized(&g, &sample(name).join("calib"));
        let classes = eval::classifier_classes(&g).expect("classifier");
        let ds = Dataset::open(&eval_dir(name), &g.meta.labels, classes).expect("dataset");
        let pre = Preprocess::for_input(&g, 0);
        assert_eq!(pre.source, "model metadata");
        let m = Models {
            float: &g,
            float_bytes: 1,
            quant: &q,
            quant_bytes: 1,
        };
        let r = eval::compare(
            &m,
            &ds,
            &pre,
            &SessionOptions::threads(2),
            &Hooks::default(),
        )
        .expect("compare");
        println!(
            "{name}: float {:.2}% int8 {:.2}% agreement {:.2}% ({} images)",
            100.0 * r.float.top1,
            100.0 * r.quant.top1,
            100.0 * r.agreement,
            r.quant.samples
        );
        assert!(r.quant.samples >= 300 && r.quant.skipped == 0);
        assert!(
            r.quant.top1 >= r.float.top1 - 0.01,
            "{name}: int8 lost more than 1 point"
        );
        assert!(!r.layers.is_empty() && r.worst.len() <= 10);
        assert!(
            r.layers.iter().all(|l| l.cosine > 0.9),
            "{name}: a layer collapsed"
        );
        let dir = scratch(&format!("report-{name}"));
        r.write(&dir).expect("report");
        for f in [
            "report.json",
            "report.md",
            "accuracy.png",
            "layers.png",
            "confusion_quant.png",
            "per_class.png",
        ] {
            assert!(dir.join(f).is_file(), "{f} missing");
        }
    }
}

/// Our resize (fast_image_resize, bilinear convolution) against Pillow's on real images.
#[test]
fn preprocessing_matches_pillow() {
    let Some(py) = oracle::require(oracle::PILLOW) else {
        return;
    };
    let img = std::fs::read_dir(eval_dir("shapes").join("star"))
        .expect("images")
        .next()
        .expect("one")
        .expect("entry")
        .path();
    let dir = scratch("pil");
    let decoded = image::open(&img).expect("decode");
    for (mode, w, h, pil_mode) in [
        (ResizeMode::Stretch, 64, 40, "stretch"),
        (ResizeMode::Crop, 50, 30, "crop"),
    ] {
        let mut p = Preprocess {
            resize: mode,
            ..Preprocess::for_input(&cases::all().remove(0).graph, 0)
        };
        p.color = pocket_engine::data::image::Color::Rgb;
        let ours = p.pixels(&decoded, w, h).expect("resize");
        let out = dir.join(format!("{pil_mode}.npy"));
        let script = format!(
            "import numpy as np, sys\nfrom PIL import Image, ImageOps\nim = Image.open(sys.argv[1]).convert('RGB')\nim = im.resize(({w}, {h}), Image.BILINEAR) if '{pil_mode}' == 'stretch' else ImageOps.fit(im, ({w}, {h}), Image.BILINEAR, centering=(0.5, 0.5))\nnp.save(sys.argv[2], np.asarray(im))"
        );
        let st = Command::new(&py)
            .arg("-c")
            .arg(script)
            .arg(&img)
            .arg(&out)
            .status()
            .expect("python");
        assert!(st.success());
        let theirs = npy::read(&out).expect("npy");
        let t = theirs.data.to_f64();
        assert_eq!(t.len(), ours.len());
        let mean = ours
            .iter()
            .zip(&t)
            .map(|(a, b)| (*a as f64 - b).abs())
            .sum::<f64>()
            / t.len() as f64;
        let max = ours
            .iter()
            .zip(&t)
            .map(|(a, b)| (*a as f64 - b).abs())
            .fold(0.0, f64::max);
        println!("{pil_mode}: mean |ours - Pillow| = {mean:.3}, max = {max}");
        assert!(
            mean < 1.0 && max <= 12.0,
            "{pil_mode}: mean {mean}, max {max}"
        );
    }
}

fn digit_graph() -> Graph {
    tflite::read_file(sample("digits").join("model.tflite")).expect("model")
}

/// The first test image of a digit class.
fn first_image(class: &str) -> PathBuf {
    let mut files: Vec<PathBuf> = std::fs::read_dir(eval_dir("digits").join(class))
        .expect("class folder")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    files.into_iter().next().expect("one image")
}

#[test]
fn dataset_layouts_csv_npy() {
    let g = digit_graph();
    let dir = scratch("layouts");
    // Flat folder + labels.csv (names as in labels.txt).
    let src = [first_image("3"), first_image("8")];
    let flat = dir.join("flat");
    std::fs::create_dir_all(&flat).expect("dir");
    std::fs::copy(&src[0], flat.join("a.png")).expect("copy");
    std::fs::copy(&src[1], flat.join("b.png")).expect("copy");
    std::fs::write(flat.join("labels.csv"), "file,label\na.png,3\nb.png,8\n").expect("csv");
    let ds = Dataset::open(&flat, &g.meta.labels, 10).expect("csv dataset");
    assert_eq!(
        ds.samples.iter().map(|s| s.label).collect::<Vec<_>>(),
        vec![3, 8]
    );
    let r = eval::evaluate(
        &g,
        1,
        &ds,
        &Preprocess::for_input(&g, 0),
        &SessionOptions::threads(1),
        &Hooks::default(),
    )
    .expect("eval");
    assert_eq!((r.samples, r.top1), (2, 1.0));
    // Class folders of .npy arrays.
    let (pre, npy_dir) = npy_dataset(&g, &src, &dir);
    let ds = Dataset::open(&npy_dir, &g.meta.labels, 10).expect("npy dataset");
    let r = eval::evaluate(
        &g,
        1,
        &ds,
        &pre,
        &SessionOptions::threads(1),
        &Hooks::default(),
    )
    .expect("eval");
    assert_eq!((r.samples, r.top1), (2, 1.0));
}

/// Two digit images ("3" and "8") as preprocessed arrays in `dir/npy/<class>/<i>.npy`.
fn npy_dataset(g: &Graph, src: &[PathBuf], dir: &Path) -> (Preprocess, PathBuf) {
    let pre = Preprocess::for_input(g, 0);
    let npy_dir = dir.join("npy");
    for (i, (p, c)) in src.iter().zip(["3", "8"]).enumerate() {
        let x = pre.load(p, g, 0).expect("load");
        std::fs::create_dir_all(npy_dir.join(c)).expect("dir");
        npy::write(npy_dir.join(c).join(format!("{i}.npy")), &x).expect("npy");
    }
    (pre, npy_dir)
}

/// An .npz with `x` and `y`, written by numpy (the oracle venv's), is read as a dataset.
#[test]
fn dataset_layout_npz() {
    let Some(py) = oracle::require(&["numpy"]) else {
        return;
    };
    let g = digit_graph();
    let dir = scratch("layout-npz");
    let src = [first_image("3"), first_image("8")];
    let (pre, npy_dir) = npy_dataset(&g, &src, &dir);
    let npz = dir.join("d.npz");
    let script = "import numpy as np, sys\nx = np.concatenate([np.load(p) for p in sys.argv[2:]])\nnp.savez(sys.argv[1], x=x, y=np.array([3, 8]))";
    let st = Command::new(py)
        .arg("-c")
        .arg(script)
        .arg(&npz)
        .arg(npy_dir.join("3/0.npy"))
        .arg(npy_dir.join("8/1.npy"))
        .status()
        .expect("python");
    assert!(st.success());
    let ds = Dataset::open(&npz, &g.meta.labels, 10).expect("npz dataset");
    assert_eq!(
        ds.samples.iter().map(|s| s.label).collect::<Vec<_>>(),
        vec![3, 8]
    );
    let r = eval::evaluate(
        &g,
        1,
        &ds,
        &pre,
        &SessionOptions::threads(1),
        &Hooks::default(),
    )
    .expect("eval");
    assert_eq!((r.samples, r.top1), (2, 1.0));
}

#[test]
fn bad_data_is_reported_clearly() {
    let g = digit_graph();
    let dir = scratch("bad-data");
    // Unreadable and non-image files are skipped and counted.
    let seven = dir.join("mixed").join("7");
    std::fs::create_dir_all(&seven).expect("dir");
    let good = std::fs::read_dir(eval_dir("digits").join("7"))
        .expect("d")
        .next()
        .expect("1")
        .expect("e")
        .path();
    std::fs::copy(&good, seven.join("good.png")).expect("copy");
    std::fs::write(seven.join("broken.png"), b"\x89PNG garbage").expect("w");
    std::fs::write(seven.join("notes.txt"), b"not an image").expect("w");
    let ds = Dataset::open(&dir.join("mixed"), &g.meta.labels, 10).expect("dataset");
    let r = eval::evaluate(
        &g,
        1,
        &ds,
        &Preprocess::for_input(&g, 0),
        &SessionOptions::threads(1),
        &Hooks::default(),
    )
    .expect("eval");
    assert_eq!((r.samples, r.skipped), (1, 2));
    // Classes the model does not know.
    let other = dir.join("other").join("giraffe");
    std::fs::create_dir_all(&other).expect("dir");
    std::fs::copy(&good, other.join("x.png")).expect("copy");
    let e = Dataset::open(&dir.join("other"), &g.meta.labels, 10)
        .expect_err("unknown class")
        .chain();
    assert!(
        e.contains("'giraffe'") && e.contains("not among the model's 10 labels"),
        "{e}"
    );
    // An empty folder.
    std::fs::create_dir_all(dir.join("empty")).expect("dir");
    assert!(
        Dataset::open(&dir.join("empty"), &g.meta.labels, 10)
            .expect_err("empty")
            .chain()
            .contains("holds no labelled samples")
    );
    // A model without a classifier output.
    let c = cases::all()
        .into_iter()
        .find(|c| c.name == "conv2d_0_9x9x3_k3s1d1_Same_none")
        .expect("case");
    let e = eval::classifier_classes(&c.graph)
        .expect_err("not a classifier")
        .chain();
    assert!(e.contains("classifier output"), "{e}");
}

/// Compare without labels: any model, on any folder of images or arrays, output by output.
#[test]
fn compare_without_labels_measures_every_output() {
    // A classifier on a flat folder of images: no accuracy, but top-1 agreement and the
    // error of its output.
    let g = tflite::read_file(sample("shapes").join("model.tflite")).expect("model");
    let calib = sample("shapes").join("calib");
    let q = quantized(&g, &calib);
    let ds = Dataset::unlabelled(&calib).expect("unlabelled");
    assert!(!ds.labelled && ds.samples.len() >= 10 && ds.classes.is_empty());
    let pre = Preprocess::for_input(&g, 0);
    let m = Models {
        float: &g,
        float_bytes: 1,
        quant: &q,
        quant_bytes: 1,
    };
    let r = eval::compare(
        &m,
        &ds,
        &pre,
        &SessionOptions::threads(2),
        &Hooks::default(),
    )
    .expect("compare");
    assert!(!r.labelled && r.float.top1.is_nan() && r.quant.confusion.is_empty());
    assert_eq!(r.quant.samples as usize, ds.samples.len());
    assert!(r.agreement > 0.8, "agreement {}", r.agreement);
    assert_eq!(r.outputs.len(), g.outputs.len());
    let o = &r.outputs[0];
    assert!(
        o.sqnr_db.is_finite() && o.sqnr_db > 15.0 && o.cosine > 0.95,
        "{o:?}"
    );
    assert!(o.max_abs_error > 0.0 && o.mean_abs_error <= o.max_abs_error && o.float_rms > 0.0);
    assert_eq!(o.sqnr_db, r.output_sqnr_db);
    assert!(!r.layers.is_empty());

    // A model whose output is not class scores (a convolution's feature map), on .npy arrays.
    let c = cases::all()
        .into_iter()
        .find(|c| c.name == "conv2d_0_9x9x3_k3s1d1_Same_none")
        .expect("case");
    let shape = c.graph.tensors[c.graph.inputs[0]].shape.clone();
    let n: usize = shape.iter().product();
    let dir = scratch("unlabelled-arrays");
    let inputs: Vec<pocket_engine::ir::Value> = (0..6)
        .map(|k| {
            let x = (0..n)
                .map(|i| (((i * 7 + k * 13) % 17) as f32 / 8.0) - 1.0)
                .collect();
            pocket_engine::ir::Value::f32(shape.clone(), x)
        })
        .collect();
    for (k, v) in inputs.iter().enumerate() {
        npy::write(dir.join(format!("sample_{k}.npy")), v).expect("npy");
    }
    let mut data = inputs.iter().map(|v| Ok(vec![v.clone()]));
    let q = quant::quantize(
        &c.graph,
        &Recipe::new(Mode::Int8),
        &mut data,
        &QuantHooks::default(),
    )
    .expect("int8");
    let ds = Dataset::unlabelled(&dir).expect("arrays");
    let m = Models {
        float: &c.graph,
        float_bytes: 1,
        quant: &q,
        quant_bytes: 1,
    };
    let r = eval::compare(
        &m,
        &ds,
        &Preprocess::for_input(&c.graph, 0),
        &SessionOptions::threads(1),
        &Hooks::default(),
    )
    .expect("compare a feature map");
    assert!(r.agreement.is_nan(), "not class scores: no top-1 agreement");
    let o = &r.outputs[0];
    assert_eq!(o.shape, c.graph.tensors[c.graph.outputs[0]].shape);
    assert!(o.sqnr_db > 20.0 && o.sqnr_db.is_finite(), "{o:?}");
    let rep = scratch("unlabelled-report");
    r.write(&rep).expect("report");
    let md = std::fs::read_to_string(rep.join("report.md")).expect("md");
    assert!(md.contains("## Outputs") && !md.contains("top-1 |"), "{md}");
    assert!(rep.join("layers.png").is_file() && !rep.join("accuracy.png").exists());
    // Nothing to compare on.
    let empty = scratch("unlabelled-empty");
    let e = Dataset::unlabelled(&empty).expect_err("empty").chain();
    assert!(e.contains("holds no samples"), "{e}");
}
