//! Long work off the UI thread: typed jobs in, typed events out. Each job gets an id so stale
//! results are dropped, a cancel token the engine checks between nodes and samples, and the UI
//! is woken with `request_repaint` after every event.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use pocket_engine::Graph;
use pocket_engine::data::dataset::Dataset;
use pocket_engine::data::folder;
use pocket_engine::data::image::Preprocess;
use pocket_engine::eval::{self, CompareReport, Hooks, Models};
use pocket_engine::formats::tflite;
use pocket_engine::quant::{self, QuantHooks, Recipe};
use pocket_engine::summary::{Summary, summarize};

use super::layout::{Layout, layout};

/// Identifies a job.
pub type JobId = u64;

/// Work the UI asks for.
pub enum Job {
    /// Read a model, summarize it and lay it out.
    Load(PathBuf),
    /// Quantize with a recipe and a calibration folder.
    Quantize {
        graph: Arc<Graph>,
        recipe: Recipe,
        calib: PathBuf,
    },
    /// Compare float and quantized models on a labelled folder.
    Compare {
        float: Arc<Graph>,
        float_bytes: usize,
        quant: Arc<Graph>,
        quant_bytes: usize,
        data: PathBuf,
    },
    /// Write a model and its recipe.
    /// Write the model, its recipe (`.recipe.json`) and, when there is one, the comparison
    /// report (`<stem>_report/`).
    Export {
        bytes: Arc<Vec<u8>>,
        recipe: Option<String>,
        report: Option<Box<pocket_engine::eval::CompareReport>>,
        path: PathBuf,
    },
}

/// A loaded model.
pub struct Loaded {
    /// File path.
    pub path: PathBuf,
    /// File size.
    pub bytes: usize,
    /// The graph.
    pub graph: Arc<Graph>,
    /// Summary.
    pub summary: Summary,
    /// Cached layout.
    pub layout: Layout,
}

/// What a job reports.
pub enum EventKind {
    /// (done, total, what).
    Progress(usize, usize, &'static str),
    /// A model is open.
    Loaded(Box<Loaded>),
    /// Quantized model and its serialized bytes.
    Quantized {
        graph: Arc<Graph>,
        bytes: Arc<Vec<u8>>,
        recipe: String,
    },
    /// Comparison finished.
    Compared(Box<CompareReport>),
    /// File written.
    Exported(PathBuf),
    /// The job failed (message with its context).
    Failed(String),
}

/// An event of job `job`.
pub struct Event {
    /// The job.
    pub job: JobId,
    /// What happened.
    pub kind: EventKind,
}

/// Runs jobs on background threads.
pub struct Worker {
    tx: SyncSender<Event>,
    /// Events for the UI to drain each frame.
    pub rx: Receiver<Event>,
    next: JobId,
    cancel: Arc<AtomicBool>,
    ctx: egui::Context,
}

impl Worker {
    /// A worker that wakes `ctx` when something happens.
    pub fn new(ctx: egui::Context) -> Self {
        let (tx, rx) = sync_channel(256);
        Worker {
            tx,
            rx,
            next: 1,
            cancel: Arc::new(AtomicBool::new(false)),
            ctx,
        }
    }

    /// Cancel running jobs.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Start a job; returns its id.
    pub fn spawn(&mut self, job: Job) -> JobId {
        let id = self.next;
        self.next += 1;
        self.cancel = Arc::new(AtomicBool::new(false));
        let (tx, ctx, cancel) = (self.tx.clone(), self.ctx.clone(), self.cancel.clone());
        std::thread::spawn(move || {
            let send = |kind: EventKind| {
                let _ = tx.try_send(Event { job: id, kind });
                ctx.request_repaint();
            };
            let kind = match run(job, &send, &cancel) {
                Ok(k) => k,
                Err(e) => EventKind::Failed(format!("{e:#}")),
            };
            // Final events must arrive: block if the channel is momentarily full.
            let _ = tx.send(Event { job: id, kind });
            ctx.request_repaint();
        });
        id
    }
}

fn run(
    job: Job,
    send: &(dyn Fn(EventKind) + Sync),
    cancel: &AtomicBool,
) -> anyhow::Result<EventKind> {
    use anyhow::Context as _;
    Ok(match job {
        Job::Load(path) => {
            send(EventKind::Progress(0, 2, "reading"));
            let graph = pocket_engine::formats::read_model(&path)?;
            let bytes = std::fs::metadata(&path)
                .map(|m| m.len() as usize)
                .unwrap_or(0);
            send(EventKind::Progress(1, 2, "laying out"));
            let summary = summarize(&graph);
            let layout = layout(&graph);
            EventKind::Loaded(Box::new(Loaded {
                path,
                bytes,
                graph: Arc::new(graph),
                summary,
                layout,
            }))
        }
        Job::Quantize {
            graph,
            recipe,
            calib,
        } => {
            let items = if recipe.mode == quant::Mode::Int8 {
                folder::list(&calib, graph.inputs.len())?
            } else {
                Vec::new()
            };
            let pre: Vec<Preprocess> = (0..graph.inputs.len())
                .map(|i| Preprocess::for_input(&graph, i))
                .collect();
            let progress = |d: usize, t: usize| send(EventKind::Progress(d, t, "calibrating"));
            let mut samples = items.iter().map(|it| folder::load(it, &graph, &pre));
            let q = quant::quantize(
                &graph,
                &recipe,
                &mut samples,
                &QuantHooks {
                    progress: Some(&progress),
                    cancel: Some(cancel),
                },
            )?;
            let bytes = tflite::to_bytes(&q)?;
            EventKind::Quantized {
                graph: Arc::new(q),
                bytes: Arc::new(bytes),
                recipe: recipe.to_json(),
            }
        }
        Job::Compare {
            float,
            float_bytes,
            quant,
            quant_bytes,
            data,
        } => {
            let classes = eval::classifier_classes(&float)?;
            let labels = if float.meta.labels.is_empty() {
                &quant.meta.labels
            } else {
                &float.meta.labels
            };
            let ds = Dataset::open(&data, labels, classes)?;
            let pre = Preprocess::for_input(&float, 0);
            let progress = |d: usize, t: usize| send(EventKind::Progress(d, t, "comparing"));
            let m = Models {
                float: &float,
                float_bytes,
                quant: &quant,
                quant_bytes,
            };
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
            let r = eval::compare(
                &m,
                &ds,
                &pre,
                threads,
                &Hooks {
                    progress: Some(&progress),
                    cancel: Some(cancel),
                },
            )?;
            EventKind::Compared(Box::new(r))
        }
        Job::Export {
            bytes,
            recipe,
            report,
            path,
        } => {
            pocket_engine::formats::write_atomic(&path, &bytes)
                .with_context(|| format!("writing {}", path.display()))?;
            if let Some(r) = recipe {
                pocket_engine::formats::write_atomic(
                    &path.with_extension("recipe.json"),
                    r.as_bytes(),
                )?;
            }
            if let Some(r) = report {
                let stem = path
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default();
                r.write(&path.with_file_name(format!("{stem}_report")))
                    .context("writing the comparison report")?;
            }
            EventKind::Exported(path)
        }
    })
}
