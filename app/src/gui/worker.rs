//! Long work off the UI thread: typed jobs in, typed events out. The work itself is done by the
//! [`crate::tasks`] functions the CLI calls too; this file only threads and routes events. Each
//! job gets an id so stale results are dropped, a cancel token the engine checks between nodes
//! and samples, and the UI is woken with `request_repaint` after every event.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};

use pocket_engine::Graph;
use pocket_engine::eval::CompareReport;
use pocket_engine::quant::Recipe;
use pocket_engine::summary::Summary;

use super::layout::{Layout, layout};
use crate::tasks;
use crate::tasks::open::Opened;
use pocket_engine::shapes::InputShapes;

/// Identifies a job.
pub type JobId = u64;

/// Work the UI asks for.
pub enum Job {
    /// Read a model at the input sizes chosen (empty: the file's own, or a placeholder for
    /// free dimensions) and with the TFLite signature named (none: the file's first),
    /// summarize it and lay it out.
    Load(PathBuf, InputShapes, Option<String>),
    /// Re-prepare an open model for other input sizes, without reading the file again.
    /// The file's signature keys and the chosen one carry over.
    Reshape(Arc<Opened>, InputShapes, Vec<String>, Option<String>),
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
        numerics: pocket_engine::Numerics,
    },
    /// Write the model, its recipe (`.recipe.json`) and, when there is one, the comparison
    /// report (`<stem>_report/`), all or nothing; `source` (the open model) is never
    /// overwritten.
    Export {
        bytes: Arc<Vec<u8>>,
        recipe: Option<Recipe>,
        report: Option<Box<CompareReport>>,
        path: PathBuf,
        source: Option<PathBuf>,
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
    /// The model as opened: its declared inputs (free dimensions named), the sizes the graph
    /// was built at, and what it re-prepares from for other sizes.
    pub opened: Arc<Opened>,
    /// The file's TFLite signature keys, in file order (empty: none, or ONNX).
    pub signatures: Vec<String>,
    /// The signature the graph was opened with.
    pub signature: Option<String>,
}

impl Loaded {
    fn of(o: Opened) -> Loaded {
        let graph = Arc::new(o.graph.clone());
        Loaded {
            path: o.path.clone(),
            bytes: o.bytes,
            layout: layout(&graph),
            summary: o.summary.clone(),
            graph,
            opened: Arc::new(o),
            signatures: Vec::new(),
            signature: None,
        }
    }
}

/// The signature keys of a .tflite file (empty for other files or when there are none).
fn signature_keys(path: &std::path::Path) -> Vec<String> {
    if tasks::open::is_onnx(path) {
        return Vec::new();
    }
    std::fs::read(path)
        .ok()
        .and_then(|b| pocket_engine::formats::tflite::signatures::read(&b).ok())
        .map(|d| d.into_iter().map(|d| d.signature.key).collect())
        .unwrap_or_default()
}

/// What a job reports.
pub enum EventKind {
    /// (done, total, what).
    Progress(usize, usize, &'static str),
    /// A model is open.
    Loaded(Box<Loaded>),
    /// Quantized model, its serialized bytes and the recipe as applied (with the calibration
    /// preprocessing recorded).
    Quantized {
        graph: Arc<Graph>,
        bytes: Arc<Vec<u8>>,
        recipe: Recipe,
        /// The quantized graph's layout (the graph view's float / quantized switch).
        layout: Box<Layout>,
        /// Float activations on the first calibration samples (none when they cannot run).
        activations: Option<Box<super::activations::Activations>>,
    },
    /// Comparison finished.
    Compared(Box<CompareReport>),
    /// File written.
    Exported(PathBuf),
    /// The job failed.
    Failed(Failure),
}

/// What kind of failure a job ended with, read from the engine's typed error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureKind {
    /// The user cancelled it.
    Cancelled,
    /// The model uses ops the engine cannot run.
    UnsupportedOps,
    /// The file is not a readable model (corrupt, truncated, unknown format).
    CorruptModel,
    /// A data file or folder could not be used.
    BadData,
    /// Anything else.
    Other,
}

/// A failed job: its kind and the whole message with its context chain.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The kind, for the title and whether it is an error at all.
    pub kind: FailureKind,
    /// The message with its context chain.
    pub message: String,
}

impl Failure {
    /// Classify an error by the engine error inside it.
    pub fn of(e: &anyhow::Error) -> Failure {
        use pocket_engine::Error as E;
        let kind = match e.chain().find_map(|c| c.downcast_ref::<E>()) {
            Some(E::Cancelled) => FailureKind::Cancelled,
            Some(E::Unsupported { .. }) => FailureKind::UnsupportedOps,
            Some(E::Import(_) | E::Graph(_)) => FailureKind::CorruptModel,
            Some(E::Data(_)) => FailureKind::BadData,
            _ => FailureKind::Other,
        };
        Failure {
            kind,
            message: format!("{e:#}"),
        }
    }

    /// A short title for a notification.
    pub fn title(&self) -> &'static str {
        match self.kind {
            FailureKind::Cancelled => "Cancelled",
            FailureKind::UnsupportedOps => "The model uses ops that cannot run yet",
            FailureKind::CorruptModel => "Not a readable model",
            FailureKind::BadData => "The data cannot be used",
            FailureKind::Other => "Failed",
        }
    }
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
                Err(e) => EventKind::Failed(Failure::of(&e)),
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
    Ok(match job {
        Job::Load(path, shapes, signature) => {
            let what = ["reading", "laying out"];
            let progress = |d: usize, t: usize| {
                send(EventKind::Progress(
                    d,
                    t,
                    what.get(d).copied().unwrap_or(""),
                ));
            };
            let o = tasks::open::open_with(&path, &shapes, signature.as_deref(), &progress)?;
            let mut l = Loaded::of(o);
            l.signatures = signature_keys(&path);
            l.signature = signature.or_else(|| l.signatures.first().cloned());
            EventKind::Loaded(Box::new(l))
        }
        Job::Reshape(opened, shapes, signatures, signature) => {
            send(EventKind::Progress(0, 1, "re-inferring shapes"));
            let mut l = Loaded::of(opened.reshape(&shapes)?);
            l.signatures = signatures;
            l.signature = signature;
            EventKind::Loaded(Box::new(l))
        }
        Job::Quantize {
            graph,
            recipe,
            calib,
        } => {
            let progress = |d: usize, t: usize| send(EventKind::Progress(d, t, "calibrating"));
            let req = tasks::quantize::Request {
                graph: &graph,
                recipe,
                calib: Some(&calib),
                preprocess: None,
            };
            let q = tasks::quantize::quantize(req, &progress, cancel)?;
            send(EventKind::Progress(0, 1, "sampling activations"));
            let pre =
                q.recipe.preprocess.clone().unwrap_or_else(|| {
                    pocket_engine::data::image::Preprocess::for_input(&graph, 0)
                });
            let activations = (!graph.inputs.is_empty())
                .then(|| super::activations::sample(&graph, &calib, &pre, cancel).ok())
                .flatten()
                .map(Box::new);
            let qgraph = Arc::new(q.graph);
            EventKind::Quantized {
                layout: Box::new(layout(&qgraph)),
                graph: qgraph,
                bytes: Arc::new(q.bytes),
                recipe: q.recipe,
                activations,
            }
        }
        Job::Compare {
            float,
            float_bytes,
            quant,
            quant_bytes,
            data,
            numerics,
        } => {
            let progress = |d: usize, t: usize| send(EventKind::Progress(d, t, "comparing"));
            let pair = tasks::compare::Pair {
                float: &float,
                float_bytes,
                quant: &quant,
                quant_bytes,
            };
            let r =
                tasks::compare::compare(&pair, &data, None, (None, numerics), &progress, cancel)?;
            EventKind::Compared(Box::new(r))
        }
        Job::Export {
            bytes,
            recipe,
            report,
            path,
            source,
        } => {
            let w = tasks::export::export(&tasks::export::Export {
                path: &path,
                model: &bytes,
                recipe: recipe.as_ref(),
                report: report.as_deref(),
                source: source.as_deref(),
            })?;
            EventKind::Exported(w.model)
        }
    })
}

#[cfg(test)]
mod failure_tests {
    use super::*;

    #[test]
    fn failures_are_told_apart_by_the_engine_error() {
        let wrap = |e: pocket_engine::Error| anyhow::Error::from(e).context("opening x.tflite");
        assert_eq!(
            Failure::of(&wrap(pocket_engine::Error::Cancelled)).kind,
            FailureKind::Cancelled
        );
        let u = Failure::of(&wrap(pocket_engine::Error::Unsupported {
            ops: vec!["LSTM (1 node)".into()],
        }));
        assert_eq!(u.kind, FailureKind::UnsupportedOps);
        assert!(u.message.contains("LSTM (1 node)"), "{}", u.message);
        let c = Failure::of(&wrap(pocket_engine::Error::import("truncated")));
        assert_eq!(c.kind, FailureKind::CorruptModel);
        assert!(c.message.contains("truncated"), "{}", c.message);
        assert_eq!(
            Failure::of(&anyhow::anyhow!("disk full")).kind,
            FailureKind::Other
        );
    }
}
