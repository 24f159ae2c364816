//! The live pipeline: a capture thread writes the newest frame into a one-slot holder (stale
//! frames are dropped and counted); an inference thread takes the newest frame, preprocesses it
//! once (the same [`Preprocess`] code path as calibration and evaluation), runs every model
//! (float and quantized side by side, one thread each) and posts the newest result into a
//! second slot for the UI. Nothing here blocks the UI: stopping only raises a flag.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use image::DynamicImage;
use pocket_engine::data::image::{Color, Preprocess, ResizeMode};
use pocket_engine::eval::output_f32;
use pocket_engine::{Graph, Session, SessionOptions};

use super::plan::{self, RawOutput, ShownView, ViewSettings};
use super::slot::Slot;
use super::view::OutputView;
use super::{FrameSource, RgbImage, SourceError};

/// Seconds of history kept for the plot.
pub const HISTORY_SECONDS: f64 = 10.0;
/// Seconds over which FPS is averaged.
const FPS_WINDOW: f64 = 2.0;
/// Classes shown per classifier.
pub const TOP_K: usize = 5;

/// A model to run live.
#[derive(Clone)]
pub struct LiveModel {
    /// Shown name ("float", "int8").
    pub name: String,
    /// The graph.
    pub graph: Arc<Graph>,
    /// Its int8 arithmetic (the user's target).
    pub numerics: pocket_engine::Numerics,
}

/// A captured frame.
#[derive(Debug, Clone)]
pub struct Frame {
    /// Sequence number from 1.
    pub seq: u64,
    /// Pixels.
    pub image: Arc<RgbImage>,
    /// When it was captured.
    pub at: Instant,
}

/// One model's answer for a frame.
#[derive(Debug, Clone)]
pub struct ModelOutput {
    /// Model name.
    pub name: String,
    /// The first view (None if the run failed): output 0 for most models.
    pub view: Option<OutputView>,
    /// Every view of the outputs (one plan for all models: the first model's), in output order.
    pub views: Vec<ShownView>,
    /// Every output as floats (for the panel to rebuild views with other settings).
    pub raw: Vec<RawOutput>,
    /// Per output: SQNR against the first model's same output, dB (None for the first model
    /// or when shapes differ).
    pub sqnr_db: Vec<Option<f64>>,
    /// Inference time (preprocessed input to output), ms.
    pub latency_ms: f64,
    /// Why the run failed.
    pub error: Option<String>,
}

/// The result for one frame.
#[derive(Debug, Clone)]
pub struct LiveResult {
    /// Frame sequence number.
    pub seq: u64,
    /// The frame.
    pub frame: Arc<RgbImage>,
    /// What the model sees (resized/cropped, RGB for display).
    pub crop: RgbImage,
    /// One entry per model.
    pub outputs: Vec<ModelOutput>,
    /// Capture to result, ms.
    pub e2e_ms: f64,
    /// Float and quantized top-1 differ.
    pub disagree: bool,
    /// Where the crop lies in the frame, normalized (x0, y0, x1, y1): the whole frame when
    /// stretched, the centre when cropped. Boxes, points and masks are drawn through it.
    pub crop_in_frame: [f32; 4],
    /// The first model's class names (for views rebuilt with other settings).
    pub labels: Arc<[String]>,
}

/// The part of a `fw`×`fh` frame a `cw`×`ch` input sees, normalized (x0, y0, x1, y1).
pub fn crop_region(fw: u32, fh: u32, cw: usize, ch: usize, crop: bool) -> [f32; 4] {
    if !crop || fw == 0 || fh == 0 || cw == 0 || ch == 0 {
        return [0.0, 0.0, 1.0, 1.0];
    }
    let fa = fw as f32 / fh as f32;
    let ca = cw as f32 / ch as f32;
    if fa > ca {
        let w = ca / fa;
        [(1.0 - w) / 2.0, 0.0, (1.0 + w) / 2.0, 1.0]
    } else {
        let h = fa / ca;
        [0.0, (1.0 - h) / 2.0, 1.0, (1.0 + h) / 2.0]
    }
}

/// A point of the history plot.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryPoint {
    /// Seconds since the pipeline started.
    pub t: f64,
    /// End-to-end frames per second at that moment.
    pub fps: f64,
    /// Per-model latency, ms.
    pub latency_ms: Vec<f64>,
}

/// Counters and rates.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stats {
    /// Frames captured.
    pub captured: u64,
    /// Frames that reached a result.
    pub processed: u64,
    /// Frames replaced before inference took them (stale).
    pub dropped: u64,
    /// Results per second over the last two seconds.
    pub fps: f64,
    /// The last seconds.
    pub history: Vec<HistoryPoint>,
}

/// What the source is doing.
#[derive(Debug, Clone, PartialEq)]
pub enum Status {
    /// Opening the source.
    Starting,
    /// Frames flow; the source's description.
    Running(String),
    /// The source is away for now (camera unplugged or busy); retrying.
    Unavailable(String),
    /// The source cannot work; capture stopped.
    Failed(String),
}

struct Shared {
    stop: AtomicBool,
    frames: Slot<Frame>,
    results: Slot<LiveResult>,
    status: Mutex<Status>,
    stats: Mutex<Stats>,
    pre: RwLock<Preprocess>,
    notify: Box<dyn Fn() + Send + Sync>,
}

impl Shared {
    fn set_status(&self, s: Status) {
        let mut g = self.status.lock().unwrap_or_else(|e| e.into_inner());
        if *g != s {
            *g = s;
            drop(g);
            (self.notify)();
        }
    }
}

/// A running pipeline. Dropping it stops its threads (without waiting for them).
pub struct Pipeline {
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl Pipeline {
    /// Start capturing from the source `make` builds (on the capture thread) and running
    /// `models` (all taking the same image input) with preprocessing `pre`. `notify` is called
    /// when there is something new to show (the UI's repaint request).
    pub fn start(
        make: impl FnOnce() -> Result<Box<dyn FrameSource>, SourceError> + Send + 'static,
        models: Vec<LiveModel>,
        pre: Preprocess,
        notify: impl Fn() + Send + Sync + 'static,
    ) -> Result<Pipeline, String> {
        if models.is_empty() {
            return Err("no model to run".into());
        }
        for m in &models {
            if m.graph.inputs.len() != 1 {
                return Err(format!(
                    "{}: live view needs a model with one image input (it has {})",
                    m.name,
                    m.graph.inputs.len()
                ));
            }
            pre.input_size(&m.graph, 0)
                .map_err(|e| format!("{}: {}", m.name, e.chain()))?;
        }
        let sessions = models
            .iter()
            .map(|m| {
                Session::new(
                    &m.graph,
                    &SessionOptions::threads(1).with_numerics(m.numerics),
                )
                .map_err(|e| format!("{}: {}", m.name, e.chain()))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            frames: Slot::default(),
            results: Slot::default(),
            status: Mutex::new(Status::Starting),
            stats: Mutex::new(Stats::default()),
            pre: RwLock::new(pre),
            notify: Box::new(notify),
        });
        let s = shared.clone();
        let capture = std::thread::Builder::new()
            .name("pocket-capture".into())
            .spawn(move || capture_loop(&s, make))
            .map_err(|e| format!("cannot start the capture thread: {e}"))?;
        let s = shared.clone();
        let infer = std::thread::Builder::new()
            .name("pocket-live-infer".into())
            .spawn(move || infer_loop(&s, &models, &sessions))
            .map_err(|e| format!("cannot start the inference thread: {e}"))?;
        Ok(Pipeline {
            shared,
            threads: vec![capture, infer],
        })
    }

    /// The newest result not yet taken.
    pub fn take_result(&self) -> Option<LiveResult> {
        self.shared.results.take()
    }

    /// The source's state.
    pub fn status(&self) -> Status {
        self.shared
            .status
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Counters, FPS and history.
    pub fn stats(&self) -> Stats {
        self.shared
            .stats
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Change the preprocessing (takes effect on the next frame).
    pub fn set_preprocess(&self, p: Preprocess) {
        *self.shared.pre.write().unwrap_or_else(|e| e.into_inner()) = p;
    }

    /// Stop and wait for both threads (tests, benchmarks; the UI just drops the pipeline).
    pub fn stop_and_wait(mut self) {
        self.signal_stop();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }

    fn signal_stop(&self) {
        self.shared.stop.store(true, Ordering::Relaxed);
        self.shared.frames.close();
    }
}

impl Drop for Pipeline {
    fn drop(&mut self) {
        self.signal_stop();
    }
}

fn capture_loop(s: &Shared, make: impl FnOnce() -> Result<Box<dyn FrameSource>, SourceError>) {
    let mut src = match make() {
        Ok(src) => src,
        Err(e) => return s.set_status(Status::Failed(e.to_string())),
    };
    let mut seq = 0;
    while !s.stop.load(Ordering::Relaxed) {
        match src.next_frame() {
            Ok(img) => {
                seq += 1;
                s.frames.put(Frame {
                    seq,
                    image: Arc::new(img),
                    at: Instant::now(),
                });
                let (put, dropped) = s.frames.counts();
                {
                    let mut st = s.stats.lock().unwrap_or_else(|e| e.into_inner());
                    st.captured = put;
                    st.dropped = dropped;
                }
                if !matches!(
                    *s.status.lock().unwrap_or_else(|e| e.into_inner()),
                    Status::Running(_)
                ) {
                    s.set_status(Status::Running(src.describe()));
                }
            }
            Err(SourceError::Unavailable(m)) => s.set_status(Status::Unavailable(m)),
            Err(SourceError::Fatal(m)) => return s.set_status(Status::Failed(m)),
        }
    }
}

/// The crop the model sees as RGB (gray is replicated, BGR swapped back).
fn crop_rgb(px: &[u8], w: usize, h: usize, color: Color) -> RgbImage {
    let rgb: Vec<u8> = match color {
        Color::Gray => px.iter().flat_map(|&v| [v, v, v]).collect(),
        Color::Rgb => px.to_vec(),
        Color::Bgr => px
            .chunks_exact(3)
            .flat_map(|p| [p[2], p[1], p[0]])
            .collect(),
    };
    RgbImage::from_raw(w as u32, h as u32, rgb).unwrap_or_default()
}

fn run_model(m: &LiveModel, session: &Session, px: &[u8], pre: &Preprocess) -> ModelOutput {
    let t = Instant::now();
    let out = pre
        .from_pixels(px, &m.graph, 0)
        .and_then(|x| session.run(vec![x]));
    let latency_ms = t.elapsed().as_secs_f64() * 1e3;
    match out {
        Ok(out) => {
            let g = &m.graph;
            let raw = out
                .iter()
                .enumerate()
                .map(|(i, v)| {
                    let shape = g
                        .outputs
                        .get(i)
                        .map(|&o| g.tensors[o].shape.clone())
                        .filter(|s| s.iter().product::<usize>() == v.numel())
                        .unwrap_or_else(|| v.shape.clone());
                    RawOutput {
                        name: g.output_name(i),
                        shape,
                        values: output_f32(v, g, i),
                    }
                })
                .collect();
            ModelOutput {
                name: m.name.clone(),
                view: None,
                views: Vec::new(),
                raw,
                sqnr_db: Vec::new(),
                latency_ms,
                error: None,
            }
        }
        Err(e) => failed(&m.name, latency_ms, e.chain()),
    }
}

fn failed(name: &str, latency_ms: f64, error: String) -> ModelOutput {
    ModelOutput {
        name: name.to_string(),
        view: None,
        views: Vec::new(),
        raw: Vec::new(),
        sqnr_db: Vec::new(),
        latency_ms,
        error: Some(error),
    }
}

/// Build every model's views under one plan (the first model's that ran) and the per-output
/// SQNR of each model against the first.
pub fn fill_views(outputs: &mut [ModelOutput], settings: &ViewSettings) {
    let Some(reference) = outputs.iter().find(|o| !o.raw.is_empty()) else {
        return;
    };
    let plans = plan::plan_for(&reference.raw, settings);
    let first: Vec<Vec<f32>> = outputs
        .first()
        .map(|o| o.raw.iter().map(|r| r.values.clone()).collect())
        .unwrap_or_default();
    for (k, o) in outputs.iter_mut().enumerate() {
        if o.raw.is_empty() {
            continue;
        }
        o.views = plan::build_all(&plans, &o.raw, settings);
        o.view = o.views.first().map(|v| v.view.clone());
        o.sqnr_db = o
            .raw
            .iter()
            .enumerate()
            .map(|(i, r)| {
                if k == 0 {
                    None
                } else {
                    first.get(i).and_then(|f| plan::sqnr_db(f, &r.values))
                }
            })
            .collect();
    }
}

fn infer_loop(s: &Shared, models: &[LiveModel], sessions: &[Session]) {
    let started = Instant::now();
    let labels: Arc<[String]> = models[0].graph.meta.labels.clone().into();
    let mut done: VecDeque<Instant> = VecDeque::new();
    let mut history: VecDeque<HistoryPoint> = VecDeque::new();
    while !s.stop.load(Ordering::Relaxed) {
        let Some(f) = s.frames.wait_take(Duration::from_millis(100)) else {
            continue;
        };
        let pre = s.pre.read().unwrap_or_else(|e| e.into_inner()).clone();
        let prepared = pre.input_size(&models[0].graph, 0).and_then(|(w, h)| {
            let img = DynamicImage::ImageRgb8((*f.image).clone());
            Ok((pre.pixels(&img, w, h)?, w, h))
        });
        let (px, w, h) = match prepared {
            Ok(p) => p,
            Err(e) => {
                s.set_status(Status::Failed(format!("preprocessing: {}", e.chain())));
                continue;
            }
        };
        // Float and quantized run side by side, one thread each.
        let mut outputs: Vec<ModelOutput> = std::thread::scope(|sc| {
            let handles: Vec<_> = models
                .iter()
                .zip(sessions)
                .skip(1)
                .map(|(m, sess)| {
                    let (px, pre) = (&px, &pre);
                    sc.spawn(move || run_model(m, sess, px, pre))
                })
                .collect();
            let mut outs = vec![run_model(&models[0], &sessions[0], &px, &pre)];
            for (h, m) in handles.into_iter().zip(models.iter().skip(1)) {
                outs.push(
                    h.join()
                        .unwrap_or_else(|_| failed(&m.name, 0.0, "the model run panicked".into())),
                );
            }
            outs
        });
        let settings = ViewSettings::new((w, h), labels.to_vec(), TOP_K);
        fill_views(&mut outputs, &settings);
        let now = Instant::now();
        let top1: Vec<Option<usize>> = outputs
            .iter()
            .map(|o| o.view.as_ref().and_then(OutputView::top1))
            .collect();
        let disagree = top1.len() >= 2
            && top1.iter().all(Option::is_some)
            && top1.windows(2).any(|p| p[0] != p[1]);
        done.push_back(now);
        while done
            .front()
            .is_some_and(|t| now.duration_since(*t).as_secs_f64() > FPS_WINDOW)
        {
            done.pop_front();
        }
        let span = now
            .duration_since(started)
            .as_secs_f64()
            .clamp(1e-3, FPS_WINDOW);
        let fps = done.len() as f64 / span;
        let t = now.duration_since(started).as_secs_f64();
        history.push_back(HistoryPoint {
            t,
            fps,
            latency_ms: outputs.iter().map(|o| o.latency_ms).collect(),
        });
        while history.front().is_some_and(|p| t - p.t > HISTORY_SECONDS) {
            history.pop_front();
        }
        {
            let mut st = s.stats.lock().unwrap_or_else(|e| e.into_inner());
            st.processed += 1;
            st.fps = fps;
            st.history = history.iter().cloned().collect();
        }
        s.results.put(LiveResult {
            seq: f.seq,
            crop: crop_rgb(&px, w, h, pre.color),
            labels: labels.clone(),
            crop_in_frame: crop_region(
                f.image.width(),
                f.image.height(),
                w,
                h,
                pre.resize == ResizeMode::Crop,
            ),
            frame: f.image,
            outputs,
            e2e_ms: now.duration_since(f.at).as_secs_f64() * 1e3,
            disagree,
        });
        (s.notify)();
    }
}
