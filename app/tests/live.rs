//! The live pipeline with sources that need no camera: frames in, predictions out (checked
//! against the image folder's own class labels), stale frames dropped, FPS counted, camera
//! faults reported without a panic.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use pocket_engine::Graph;
use pocket_engine::data::folder::{self, Item};
use pocket_engine::data::image::Preprocess;
use pocket_engine::formats::tflite;
use pocket_engine::quant::{self, Mode, QuantHooks, Recipe};
use pocket_studio::camera::pipeline::{LiveModel, LiveResult, Pipeline, Status};
use pocket_studio::camera::view::OutputView;
use pocket_studio::camera::webcam::list_cameras;
use pocket_studio::camera::{FrameSource, RgbImage, SourceError, SourceSpec};

fn sample_dir(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../sample-models")
        .join(name)
}

fn load(name: &str) -> Arc<Graph> {
    Arc::new(tflite::read_file(sample_dir(name).join("model.tflite")).expect("model"))
}

fn int8(g: &Graph, calib: &Path) -> Arc<Graph> {
    let items = folder::list(calib, 1).expect("calibration");
    let pre = vec![Preprocess::for_input(g, 0)];
    let mut data = items.iter().take(20).map(|it| folder::load(it, g, &pre));
    Arc::new(
        quant::quantize(
            g,
            &Recipe::new(Mode::Int8),
            &mut data,
            &QuantHooks::default(),
        )
        .expect("int8"),
    )
}

fn models(name: &str) -> Vec<LiveModel> {
    let g = load(name);
    let q = int8(&g, &sample_dir(name).join("calib"));
    vec![
        LiveModel {
            name: "float".into(),
            graph: g,
            numerics: Default::default(),
        },
        LiveModel {
            name: "int8".into(),
            graph: q,
            numerics: Default::default(),
        },
    ]
}

/// A pipeline running one float model on `spec`.
fn start_float(g: Arc<Graph>, spec: SourceSpec) -> Pipeline {
    let pre = Preprocess::for_input(&g, 0);
    Pipeline::start(
        move || spec.open(),
        vec![LiveModel {
            name: "float".into(),
            graph: g,
            numerics: Default::default(),
        }],
        pre,
        || {},
    )
    .expect("start")
}

/// Collect results until `n` arrived (or fail after a generous deadline).
fn collect(p: &Pipeline, n: usize) -> Vec<LiveResult> {
    let t = Instant::now();
    let mut out = Vec::new();
    while out.len() < n {
        assert!(
            t.elapsed() < Duration::from_secs(60),
            "only {} results; status {:?}",
            out.len(),
            p.status()
        );
        if let Some(r) = p.take_result() {
            out.push(r);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    out
}

#[test]
fn image_folder_frames_give_the_folders_classes() {
    let dir = sample_dir("shapes").join("eval");
    let files: Vec<(PathBuf, String)> = folder::list(&dir, 1)
        .expect("list")
        .into_iter()
        .filter_map(|i| match i {
            Item::Image(p, Some(c)) => Some((p, c)),
            _ => None,
        })
        .collect();
    let ms = models("shapes");
    let pre = Preprocess::for_input(&ms[0].graph, 0);
    let spec = SourceSpec::Folder {
        path: dir,
        fps: 60.0,
        size: None,
    };
    let p = Pipeline::start(move || spec.open(), ms, pre, || {}).expect("start");
    let results = collect(&p, 40);
    let mut right = 0;
    let mut seqs = Vec::new();
    for r in &results {
        assert_eq!(r.outputs.len(), 2);
        let class = &files[(r.seq as usize - 1) % files.len()].1;
        for o in &r.outputs {
            assert!(o.error.is_none(), "{:?}", o.error);
            let Some(OutputView::Classes(top)) = &o.view else {
                panic!("a classifier gives top-k: {:?}", o.view)
            };
            assert_eq!(top.len(), 5);
            assert!(top.windows(2).all(|w| w[0].2 >= w[1].2));
            if top[0].1 == *class {
                right += 1;
            }
        }
        assert_eq!(
            r.disagree,
            r.outputs[0].view.as_ref().and_then(OutputView::top1)
                != r.outputs[1].view.as_ref().and_then(OutputView::top1)
        );
        // The crop the model sees is the input size (96x96 for this model).
        assert_eq!((r.crop.width(), r.crop.height()), (96, 96));
        seqs.push(r.seq);
    }
    // Results come in frame order, newest only.
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    // Both models classify the sample's held-out images (100% offline) from the live path too.
    assert!(
        right >= 2 * results.len() * 95 / 100,
        "{right} of {}",
        2 * results.len()
    );
    let st = p.stats();
    assert!(st.processed >= 40 && st.captured >= st.processed);
    assert!(st.fps > 0.0 && !st.history.is_empty());
    assert!(matches!(p.status(), Status::Running(ref d) if d.contains("300 images")));
    p.stop_and_wait();
}

/// A source that makes frames as fast as it can: the model cannot keep up.
struct Flood(u64);

impl FrameSource for Flood {
    fn describe(&self) -> String {
        "flood".into()
    }
    fn next_frame(&mut self) -> Result<RgbImage, SourceError> {
        self.0 += 1;
        std::thread::sleep(Duration::from_micros(200));
        Ok(RgbImage::from_pixel(
            64,
            48,
            image::Rgb([(self.0 % 255) as u8, 0, 0]),
        ))
    }
}

#[test]
fn a_slow_model_sees_only_the_newest_frames() {
    let ms = models("shapes");
    let pre = Preprocess::for_input(&ms[0].graph, 0);
    let p = Pipeline::start(
        || Ok(Box::new(Flood(0)) as Box<dyn FrameSource>),
        ms,
        pre,
        || {},
    )
    .expect("start");
    let results = collect(&p, 10);
    let st = p.stats();
    p.stop_and_wait();
    assert!(st.dropped > 0, "stale frames are dropped: {st:?}");
    assert!(st.captured > st.processed);
    // Frames were skipped between consecutive results.
    assert!(results.windows(2).any(|w| w[1].seq > w[0].seq + 1));
}

#[test]
fn test_pattern_runs_and_fps_is_counted() {
    let spec = SourceSpec::Pattern {
        size: (320, 240),
        fps: 25.0,
    };
    let p = start_float(load("digits"), spec);
    let results = collect(&p, 30);
    let st = p.stats();
    p.stop_and_wait();
    // Gray model: the crop is 28x28 and gray (r == g == b).
    let c = &results[0].crop;
    assert_eq!((c.width(), c.height()), (28, 28));
    assert!(c.pixels().all(|p| p[0] == p[1] && p[1] == p[2]));
    assert_eq!(
        (results[0].frame.width(), results[0].frame.height()),
        (320, 240)
    );
    // The rate follows the source (25 fps), not the model (much faster).
    assert!(st.fps > 5.0 && st.fps < 40.0, "fps {}", st.fps);
    assert!(results.iter().all(|r| !r.disagree && r.outputs.len() == 1));
}

#[test]
fn no_camera_is_an_empty_list_and_a_message_not_a_panic() {
    let list = list_cameras();
    if !Path::new("/dev/video0").exists() {
        assert_eq!(list, Ok(vec![]));
    }
    // Opening a camera that is not there: the pipeline reports it and keeps retrying.
    let spec = SourceSpec::Webcam {
        index: 97,
        size: (640, 480),
        fps: 30,
    };
    let p = start_float(load("shapes"), spec);
    let t = Instant::now();
    while !matches!(p.status(), Status::Unavailable(_)) {
        assert!(t.elapsed() < Duration::from_secs(20), "{:?}", p.status());
        std::thread::sleep(Duration::from_millis(10));
    }
    let Status::Unavailable(m) = p.status() else {
        unreachable!()
    };
    assert!(m.contains("camera 97") && m.contains("retrying"), "{m}");
    assert!(p.take_result().is_none());
    p.stop_and_wait();
}

#[test]
fn bad_sources_and_models_give_errors() {
    let empty = std::env::temp_dir().join(format!("pocket-live-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).expect("dir");
    let g = load("shapes");
    let pre = Preprocess::for_input(&g, 0);
    let spec = SourceSpec::Folder {
        path: empty.clone(),
        fps: 30.0,
        size: None,
    };
    let p = start_float(g.clone(), spec);
    let t = Instant::now();
    while !matches!(p.status(), Status::Failed(_)) {
        assert!(t.elapsed() < Duration::from_secs(20), "{:?}", p.status());
        std::thread::sleep(Duration::from_millis(10));
    }
    p.stop_and_wait();
    let _ = std::fs::remove_dir_all(&empty);
    // A gray preprocessing for a colour model is refused up front.
    let mut gray = pre;
    gray.color = pocket_engine::data::image::Color::Gray;
    let e = Pipeline::start(
        || Err(SourceError::Fatal("unused".into())),
        vec![LiveModel {
            name: "float".into(),
            graph: g,
            numerics: Default::default(),
        }],
        gray,
        || {},
    )
    .err()
    .expect("refused");
    assert!(e.contains("channels"), "{e}");
}
