//! Live pipeline benchmark (not a test): end-to-end FPS and per-model latency from the
//! image-folder source at 640x480 (frames decoded and scaled like camera frames, then
//! preprocessed to the model's input), for each sample model and the MobileNetV2-style fixture,
//! float alone, int8 alone, and both side by side. The source runs at 1000 fps so the pipeline
//! is limited by decode + preprocessing + inference, not by the source.
//! Run: cargo run --release -p pocket-studio --example live_bench [SECONDS]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pocket_engine::Graph;
use pocket_engine::data::folder;
use pocket_engine::data::image::Preprocess;
use pocket_engine::formats::tflite;
use pocket_engine::quant::{self, Mode, QuantHooks, Recipe};
use pocket_studio::camera::SourceSpec;
use pocket_studio::camera::pipeline::{LiveModel, Pipeline};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn int8(g: &Graph, calib: &Path) -> Graph {
    let items = folder::list(calib, 1).expect("calibration folder");
    let pre = vec![Preprocess::for_input(g, 0)];
    let mut data = items.iter().take(50).map(|it| folder::load(it, g, &pre));
    quant::quantize(
        g,
        &Recipe::new(Mode::Int8),
        &mut data,
        &QuantHooks::default(),
    )
    .expect("int8")
}

fn median(mut v: Vec<f64>) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// (frames per second, per-model median latency ms, median end-to-end ms).
fn run(models: Vec<LiveModel>, frames: &Path, secs: f64) -> (f64, Vec<f64>, f64) {
    let pre = Preprocess::for_input(&models[0].graph, 0);
    let n = models.len();
    let spec = SourceSpec::Folder {
        path: frames.to_path_buf(),
        fps: 1000.0,
        size: Some((640, 480)),
    };
    let p = Pipeline::start(move || spec.open(), models, pre, || {}).expect("pipeline");
    // Warm up for a second, then count.
    let warm = Instant::now();
    while warm.elapsed() < Duration::from_secs(1) {
        let _ = p.take_result();
        std::thread::sleep(Duration::from_millis(1));
    }
    let t = Instant::now();
    let mut count = 0usize;
    let mut lat = vec![Vec::new(); n];
    let mut e2e = Vec::new();
    while t.elapsed().as_secs_f64() < secs {
        if let Some(r) = p.take_result() {
            count += 1;
            for (k, o) in r.outputs.iter().enumerate() {
                lat[k].push(o.latency_ms);
            }
            e2e.push(r.e2e_ms);
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    let fps = count as f64 / t.elapsed().as_secs_f64();
    p.stop_and_wait();
    (fps, lat.into_iter().map(median).collect(), median(e2e))
}

fn main() {
    let secs: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(5.0);
    let r = root();
    let shapes = r.join("sample-models/shapes");
    let cases = [
        (
            "digits",
            r.join("sample-models/digits/model.tflite"),
            r.join("sample-models/digits/calib"),
            r.join("sample-models/digits/test"),
        ),
        (
            "shapes",
            shapes.join("model.tflite"),
            shapes.join("calib"),
            shapes.join("eval"),
        ),
        (
            "mobilenet_v2 fixture",
            r.join("tests/fixtures/mobilenet_v2/model.tflite"),
            shapes.join("calib"),
            shapes.join("eval"),
        ),
    ];
    println!(
        "Image-folder source at 640x480, {secs} s per row after 1 s warm-up, {} cores",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!("| model | models run | FPS | float ms | int8 ms | end-to-end ms |");
    println!("|---|---|---|---|---|---|");
    for (name, model, calib, frames) in cases {
        let Ok(g) = tflite::read_file(&model) else {
            eprintln!(
                "skipping {name}: {} not found (run gen-fixtures)",
                model.display()
            );
            continue;
        };
        let g = Arc::new(g);
        let q = Arc::new(int8(&g, &calib));
        let f = || LiveModel {
            name: "float".into(),
            graph: g.clone(),
            numerics: Default::default(),
        };
        let i = || LiveModel {
            name: "int8".into(),
            graph: q.clone(),
            numerics: Default::default(),
        };
        let fmt = |v: Option<f64>| v.map_or("—".to_string(), |x| format!("{x:.2}"));
        let (fps, l, e) = run(vec![f()], &frames, secs);
        println!(
            "| {name} | float | {fps:.1} | {} | — | {e:.1} |",
            fmt(l.first().copied())
        );
        let (fps, l, e) = run(vec![i()], &frames, secs);
        println!(
            "| {name} | int8 | {fps:.1} | — | {} | {e:.1} |",
            fmt(l.first().copied())
        );
        let (fps, l, e) = run(vec![f(), i()], &frames, secs);
        println!(
            "| {name} | float + int8 side by side | {fps:.1} | {} | {} | {e:.1} |",
            fmt(l.first().copied()),
            fmt(l.get(1).copied())
        );
    }
}
