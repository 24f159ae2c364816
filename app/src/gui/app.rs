//! The coordinator: owns settings (persisted) and runtime state, drains worker events, applies
//! panel commands, lays out the panels. No computation here.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use pocket_engine::Graph;
use pocket_engine::eval::CompareReport;

use super::panels::compare::ComparePanel;
use super::panels::graph::GraphView;
use super::panels::live::LivePanel;
use super::panels::quantize::QuantizePanel;
use super::panels::start::StartPanel;
use super::panels::{Command, inspector};
use super::settings::Settings;
use super::worker::{Event, EventKind, FailureKind, Job, JobId, Loaded, Worker};
use crate::camera::pipeline::{LiveModel, LiveResult, Pipeline};

const SETTINGS_KEY: &str = "pocket-studio-settings";

/// A notification shown until dismissed.
struct Note {
    text: String,
    details: String,
    error: bool,
}

/// The quantized result of the open model.
struct Quantized {
    graph: Arc<Graph>,
    bytes: Arc<Vec<u8>>,
    recipe: pocket_engine::quant::Recipe,
}

/// The studio.
pub struct StudioApp {
    settings: Settings,
    worker: Worker,
    doc: Option<Box<Loaded>>,
    quant: Option<Quantized>,
    report: Option<CompareReport>,
    selected: Option<usize>,
    running: Option<(JobId, usize, usize, &'static str)>,
    notes: Vec<Note>,
    log: Vec<String>,
    start: StartPanel,
    graph: GraphView,
    quantize: QuantizePanel,
    compare: ComparePanel,
    export_path: String,
    pending_dialog: Option<std::thread::JoinHandle<Option<PathBuf>>>,
    weight_stats: Option<inspector::WeightStats>,
    timing: Timing,
    ctx: egui::Context,
    tab: Tab,
    live: LivePanel,
    pipeline: Option<Pipeline>,
    live_names: Vec<String>,
    live_result: Option<LiveResult>,
}

/// What the central area shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// The graph view.
    Graph,
    /// The live camera view.
    Live,
}

/// Launch and open timings: shown in the log; with `POCKET_STUDIO_BENCH=1` printed to stderr and
/// the window closes once the opened model's graph has been drawn (scripts/bench_studio.sh).
struct Timing {
    launched: Instant,
    first_frame: bool,
    open_started: Option<Instant>,
    /// Set when a load finished; the graph is drawn in the same frame.
    loaded: bool,
    bench: bool,
}

impl StudioApp {
    /// Build the app (restoring settings) and open `path` if given.
    pub fn new(cc: &eframe::CreationContext<'_>, path: Option<PathBuf>) -> Self {
        let settings: Settings = cc
            .storage
            .and_then(|s| s.get_string(SETTINGS_KEY))
            .and_then(|t| serde_json::from_str(&t).ok())
            .unwrap_or_default();
        let mut app = Self::with_settings(cc.egui_ctx.clone(), settings, path);
        app.timing.launched = super::launched();
        app
    }

    /// Build the app without eframe storage (tests).
    pub fn with_settings(ctx: egui::Context, settings: Settings, path: Option<PathBuf>) -> Self {
        ctx.set_visuals(if settings.dark {
            egui::Visuals::dark()
        } else {
            egui::Visuals::light()
        });
        let mut app = StudioApp {
            quantize: QuantizePanel {
                calib: settings.calib_dir.clone(),
                ..Default::default()
            },
            compare: ComparePanel {
                data: settings.data_dir.clone(),
            },
            settings,
            worker: Worker::new(ctx.clone()),
            ctx,
            tab: Tab::Graph,
            live: LivePanel::default(),
            pipeline: None,
            live_names: Vec::new(),
            live_result: None,
            doc: None,
            quant: None,
            report: None,
            selected: None,
            running: None,
            notes: Vec::new(),
            log: Vec::new(),
            start: StartPanel::default(),
            graph: GraphView::default(),
            export_path: String::new(),
            pending_dialog: None,
            weight_stats: None,
            timing: Timing {
                launched: Instant::now(),
                first_frame: false,
                open_started: None,
                loaded: false,
                bench: std::env::var_os("POCKET_STUDIO_BENCH").is_some(),
            },
        };
        if let Some(p) = path {
            app.apply(Command::Open(p));
        }
        app
    }

    /// The open model, if any (tests).
    pub fn model(&self) -> Option<&Graph> {
        self.doc.as_deref().map(|d| &*d.graph)
    }

    /// The comparison report, if any (tests).
    pub fn report(&self) -> Option<&CompareReport> {
        self.report.as_ref()
    }

    /// Notifications' texts (tests).
    pub fn notifications(&self) -> Vec<String> {
        self.notes.iter().map(|n| n.text.clone()).collect()
    }

    /// The newest live result (tests).
    pub fn live_result(&self) -> Option<&LiveResult> {
        self.live_result.as_ref()
    }

    /// The live pipeline, if running (tests).
    pub fn pipeline(&self) -> Option<&Pipeline> {
        self.pipeline.as_ref()
    }

    /// Show a central tab.
    pub fn show_tab(&mut self, t: Tab) {
        self.tab = t;
    }

    fn stop_live(&mut self) {
        self.pipeline = None;
        self.live_result = None;
        self.live.reset();
    }

    /// Whether a job is running (tests).
    pub fn busy(&self) -> bool {
        self.running.is_some()
    }

    fn notify(&mut self, text: impl Into<String>, details: impl Into<String>, error: bool) {
        let (text, details) = (text.into(), details.into());
        self.log.push(format!(
            "{}{text}{}",
            if error { "error: " } else { "" },
            if details.is_empty() {
                String::new()
            } else {
                format!(" — {details}")
            }
        ));
        self.notes.push(Note {
            text,
            details,
            error,
        });
    }

    fn start_job(&mut self, job: Job, what: &'static str) {
        let id = self.worker.spawn(job);
        self.running = Some((id, 0, 0, what));
    }

    /// Apply one command.
    pub fn apply(&mut self, c: Command) {
        match c {
            Command::Open(p) => {
                self.log.push(format!("opening {}", p.display()));
                self.timing.open_started = Some(Instant::now());
                self.start_job(Job::Load(p), "opening");
            }
            Command::OpenDialog => {
                // rfd's dialog blocks: run it on its own thread; without a portal it returns None.
                self.pending_dialog = Some(std::thread::spawn(|| {
                    rfd::FileDialog::new()
                        .add_filter("Model", &["tflite", "onnx"])
                        .pick_file()
                }));
            }
            Command::Select(s) => self.selected = s,
            Command::ToggleKeepFloat(name) => {
                let k = &mut self.quantize.recipe.keep_float;
                let exact = regex_escape(&name);
                match k.iter().position(|x| *x == exact) {
                    Some(i) => {
                        k.remove(i);
                    }
                    None => k.push(exact),
                }
            }
            Command::Quantize(recipe, calib) => {
                let Some(doc) = &self.doc else { return };
                self.settings.calib_dir = calib.display().to_string();
                let graph = doc.graph.clone();
                self.start_job(
                    Job::Quantize {
                        graph,
                        recipe,
                        calib,
                    },
                    "quantizing",
                );
            }
            Command::Compare(data) => {
                let (Some(doc), Some(q)) = (&self.doc, &self.quant) else {
                    return;
                };
                self.settings.data_dir = data.display().to_string();
                let job = Job::Compare {
                    float: doc.graph.clone(),
                    float_bytes: doc.bytes,
                    quant: q.graph.clone(),
                    quant_bytes: q.bytes.len(),
                    data,
                };
                self.start_job(job, "comparing");
            }
            Command::Export(path) => {
                let Some(q) = &self.quant else { return };
                let source = self.doc.as_ref().map(|d| d.path.clone());
                if source
                    .as_deref()
                    .is_some_and(|s| crate::tasks::export::same_path(s, &path))
                {
                    self.notify(
                        "Refusing to overwrite the source model",
                        path.display().to_string(),
                        true,
                    );
                    return;
                }
                let job = Job::Export {
                    bytes: q.bytes.clone(),
                    recipe: Some(q.recipe.clone()),
                    report: self.report.clone().map(Box::new),
                    path,
                    source,
                };
                self.start_job(job, "exporting");
            }
            Command::Cancel => self.worker.cancel(),
            Command::LiveStart(spec) => {
                let Some(doc) = &self.doc else { return };
                let mut models = vec![LiveModel {
                    name: "float".into(),
                    graph: doc.graph.clone(),
                }];
                if let Some(q) = &self.quant {
                    models.push(LiveModel {
                        name: "quantized".into(),
                        graph: q.graph.clone(),
                    });
                }
                let pre = self.live.pre.clone().unwrap_or_else(|| {
                    pocket_engine::data::image::Preprocess::for_input(&doc.graph, 0)
                });
                let names = models.iter().map(|m| m.name.clone()).collect();
                let ctx = self.ctx.clone();
                self.stop_live();
                match Pipeline::start(
                    move || spec.open(),
                    models,
                    pre,
                    move || ctx.request_repaint(),
                ) {
                    Ok(p) => {
                        self.pipeline = Some(p);
                        self.live_names = names;
                        if self.quant.is_none() {
                            self.notify(
                                "Live: float model only — quantize to see both side by side",
                                "",
                                false,
                            );
                        }
                    }
                    Err(e) => self.notify("Cannot start the live view", e, true),
                }
            }
            Command::LiveStop => self.pipeline = None,
            Command::LivePreprocess(p) => {
                if let Some(pl) = &self.pipeline {
                    pl.set_preprocess(p.clone());
                }
                self.live.pre = Some(p);
            }
            Command::LiveSnapshot(dir, class) => {
                let Some(r) = &self.live_result else {
                    self.notify("No frame to save yet", "", true);
                    return;
                };
                match crate::camera::snapshot::save(&r.frame, &dir, &class) {
                    Ok(p) => self.notify("Frame saved", p.display().to_string(), false),
                    Err(e) => self.notify("Cannot save the frame", e, true),
                }
            }
            Command::Close => {
                self.stop_live();
                self.weight_stats = None;
                self.doc = None;
                self.quant = None;
                self.report = None;
                self.selected = None;
            }
        }
    }

    /// Handle worker events (stale ones are dropped).
    pub fn drain(&mut self) {
        while let Ok(Event { job, kind }) = self.worker.rx.try_recv() {
            let current = self.running.map(|r| r.0) == Some(job);
            if !current {
                continue;
            }
            match kind {
                EventKind::Progress(d, t, what) => self.running = Some((job, d, t, what)),
                EventKind::Loaded(doc) => {
                    self.running = None;
                    self.settings.add_recent(doc.path.clone());
                    self.log.push(format!(
                        "opened {} ({} nodes)",
                        doc.path.display(),
                        doc.graph.nodes.len()
                    ));
                    if !doc.summary.unsupported.is_empty() {
                        self.notify(
                            "Some ops cannot run yet",
                            doc.summary.unsupported.join(", "),
                            true,
                        );
                    }
                    // Sample models bring their own calibration and evaluation images.
                    if let Some(dir) = doc.path.parent() {
                        if dir.join("calib").is_dir() {
                            self.quantize.calib = dir.join("calib").display().to_string();
                        }
                        for d in ["eval", "test"] {
                            if dir.join(d).is_dir() {
                                self.compare.data = dir.join(d).display().to_string();
                            }
                        }
                    }
                    self.doc = Some(doc);
                    self.weight_stats = None;
                    self.quant = None;
                    self.report = None;
                    self.selected = None;
                    self.graph.reset();
                    self.timing.loaded = true;
                    self.stop_live();
                    if let Some(d) = &self.doc
                        && !d.graph.inputs.is_empty()
                    {
                        self.live.set_preprocess(
                            pocket_engine::data::image::Preprocess::for_input(&d.graph, 0),
                        );
                    }
                    if self.live.folder.is_empty() {
                        self.live.folder = self.compare.data.clone();
                    }
                }
                EventKind::Quantized {
                    graph,
                    bytes,
                    recipe,
                } => {
                    self.running = None;
                    let ratio =
                        bytes.len() as f64 / self.doc.as_ref().map_or(1, |d| d.bytes.max(1)) as f64;
                    self.notify(
                        format!(
                            "Quantized: {:.1} KiB ({ratio:.2}x)",
                            bytes.len() as f64 / 1024.0
                        ),
                        "",
                        false,
                    );
                    if let Some(d) = &self.doc {
                        self.export_path = crate::tasks::defaults::export_path(&d.path)
                            .display()
                            .to_string();
                    }
                    // The live view restarts with both models; it uses the calibration's
                    // preprocessing when the recipe names one.
                    if let Some(p) = recipe.preprocess.clone() {
                        self.live.set_preprocess(p);
                    }
                    let restart = self.pipeline.is_some();
                    self.stop_live();
                    self.quant = Some(Quantized {
                        graph,
                        bytes,
                        recipe,
                    });
                    if restart {
                        self.apply(Command::LiveStart(self.live.spec()));
                    }
                    self.report = None;
                }
                EventKind::Compared(r) => {
                    self.running = None;
                    self.notify(
                        format!(
                            "Compared: float {:.2}% vs quantized {:.2}% top-1",
                            100.0 * r.float.top1,
                            100.0 * r.quant.top1
                        ),
                        "",
                        false,
                    );
                    self.report = Some(*r);
                }
                EventKind::Exported(p) => {
                    self.running = None;
                    self.notify("Exported", p.display().to_string(), false);
                }
                EventKind::Failed(f) => {
                    self.running = None;
                    if self.timing.bench {
                        eprintln!("error: {}", f.message);
                        std::process::exit(1);
                    }
                    let error = f.kind != FailureKind::Cancelled;
                    self.notify(f.title(), f.message, error);
                }
            }
        }
    }

    /// Per-node heat (0 best .. 1 worst) from the comparison, on the open (float) graph.
    fn heat(&self) -> HashMap<usize, f32> {
        let (Some(r), Some(doc)) = (&self.report, &self.doc) else {
            return HashMap::new();
        };
        let by_name: HashMap<&str, usize> = doc
            .graph
            .nodes
            .iter()
            .enumerate()
            .flat_map(|(i, n)| n.outputs.iter().map(move |&t| (t, i)))
            .map(|(t, i)| (doc.graph.tensors[t].name.as_str(), i))
            .collect();
        let finite: Vec<f64> = r
            .layers
            .iter()
            .map(|l| l.sqnr_db)
            .filter(|s| s.is_finite())
            .collect();
        let (lo, hi) = finite
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &s| {
                (a.min(s), b.max(s))
            });
        r.layers
            .iter()
            .filter_map(|l| {
                by_name.get(l.tensor.as_str()).map(|&i| {
                    (
                        i,
                        if hi > lo && l.sqnr_db.is_finite() {
                            ((hi - l.sqnr_db) / (hi - lo)) as f32
                        } else {
                            0.0
                        },
                    )
                })
            })
            .collect()
    }

    /// One frame of UI.
    pub fn frame(&mut self, ui: &mut egui::Ui) {
        self.drain();
        if let Some(r) = self.pipeline.as_ref().and_then(Pipeline::take_result) {
            self.live_result = Some(r);
        }
        if let Some(h) = self.pending_dialog.take_if(|h| h.is_finished()) {
            match h.join().ok().flatten() {
                Some(p) => self.apply(Command::Open(p)),
                None => self.notify("No file chosen (or no file dialog available here): type a path on the start screen", "", false),
            }
        }
        let mut cmds = Vec::new();
        // Files dropped on the window: a model opens; a folder becomes calibration/eval data.
        let dropped: Vec<PathBuf> = ui.ctx().input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_path_buf())
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        });
        for p in dropped {
            if p.is_dir() && self.doc.is_some() {
                self.live.folder = p.display().to_string();
                self.quantize.calib = p.display().to_string();
                self.compare.data = p.display().to_string();
                self.notify(
                    "Folder set as calibration and evaluation data",
                    p.display().to_string(),
                    false,
                );
            } else {
                cmds.push(Command::Open(p));
            }
        }
        let (open, find, export, close) = ui.ctx().input(|i| {
            (
                i.modifiers.command && i.key_pressed(egui::Key::O),
                i.modifiers.command && i.key_pressed(egui::Key::F),
                i.modifiers.command && i.key_pressed(egui::Key::E),
                i.modifiers.command && i.key_pressed(egui::Key::W),
            )
        });
        if open {
            cmds.push(Command::OpenDialog);
        }
        if find {
            ui.ctx()
                .memory_mut(|m| m.request_focus(super::panels::graph::search_id()));
        }
        let mut want_export = export && self.quant.is_some();
        if close {
            cmds.push(Command::Close);
        }
        egui::Panel::top("menu").show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.strong("Pocket Studio");
                if ui.button("Open…").clicked() {
                    cmds.push(Command::OpenDialog);
                }
                if self.doc.is_some() && ui.button("Close").clicked() {
                    cmds.push(Command::Close);
                }
                if let Some(d) = &self.doc {
                    ui.label(format!(
                        "{} — {} nodes, {} params, {:.1} MMACs",
                        d.path.display(),
                        d.summary.nodes,
                        d.summary.params,
                        d.summary.macs as f64 / 1e6
                    ));
                }
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    if ui
                        .button(if self.settings.dark {
                            "Light theme"
                        } else {
                            "Dark theme"
                        })
                        .clicked()
                    {
                        self.settings.dark = !self.settings.dark;
                        ui.ctx().set_visuals(if self.settings.dark {
                            egui::Visuals::dark()
                        } else {
                            egui::Visuals::light()
                        });
                    }
                    ui.toggle_value(&mut self.settings.show_log, "Log");
                    if let Some((_, d, t, what)) = self.running {
                        ui.add(egui::Spinner::new());
                        ui.label(if t > 0 {
                            format!("{what} {d}/{t}")
                        } else {
                            what.to_string()
                        });
                    }
                });
            });
        });
        if self.settings.show_log {
            egui::Panel::bottom("log")
                .resizable(true)
                .default_size(120.0)
                .show(ui, |ui| {
                    egui::ScrollArea::vertical()
                        .stick_to_bottom(true)
                        .show(ui, |ui| {
                            for l in &self.log {
                                ui.monospace(l);
                            }
                        });
                });
        }
        match &self.doc {
            None => {
                egui::CentralPanel::default().show(ui, |ui| {
                    cmds.extend(self.start.ui(ui, &self.settings.recent))
                });
            }
            Some(doc) => {
                let doc_graph = doc.graph.clone();
                let busy = self.running.map(|(_, d, t, w)| (d, t, w));
                egui::Panel::right("side").resizable(true).default_size(420.0).show(ui, |ui| {
                    egui::ScrollArea::vertical().show(ui, |ui| {
                        cmds.extend(self.quantize.ui(ui, busy));
                        if self.quant.is_some() {
                            ui.horizontal(|ui| {
                                ui.add(egui::TextEdit::singleline(&mut self.export_path).desired_width(260.0));
                                if ui.button("Export (Ctrl+E)").on_hover_text("Write the quantized .tflite, its recipe (.recipe.json) and the comparison report (<name>_report/); never touches the source file").clicked() {
                                    want_export = true;
                                }
                            });
                        }
                        ui.separator();
                        cmds.extend(self.compare.ui(ui, self.report.as_ref(), self.quant.is_some(), busy.is_some()));
                        ui.separator();
                        match self.selected {
                            Some(i) if i < doc_graph.nodes.len() => inspector::ui(ui, &doc_graph, i, &mut self.weight_stats),
                            _ => {
                                ui.weak("Click a node to inspect it.");
                            }
                        }
                    });
                });
                let heat = self.heat();
                let keep = self
                    .quantize
                    .recipe
                    .keep_float
                    .iter()
                    .map(|k| k.replace('\\', ""))
                    .collect::<Vec<_>>();
                let layout = &doc.layout;
                egui::CentralPanel::default().show(ui, |ui| {
                    ui.horizontal(|ui| {
                        ui.selectable_value(&mut self.tab, Tab::Graph, "Graph");
                        ui.selectable_value(&mut self.tab, Tab::Live, "Live")
                            .on_hover_text("Run the float and the quantized model on a webcam, an image folder or a test pattern");
                        if self.pipeline.is_some() {
                            ui.weak("(live view running)");
                        }
                    });
                    match self.tab {
                        Tab::Graph => cmds.extend(
                            self.graph
                                .ui(ui, &doc_graph, layout, self.selected, &heat, &keep),
                        ),
                        Tab::Live => {
                            let st = self.pipeline.as_ref().map(|p| (p.status(), p.stats()));
                            egui::ScrollArea::vertical().id_salt("live-scroll").show(ui, |ui| {
                                cmds.extend(self.live.ui(
                                    ui,
                                    st.as_ref().map(|(a, b)| (a, b)),
                                    self.live_result.as_ref(),
                                    &self.live_names,
                                ));
                            });
                        }
                    }
                });
            }
        }
        if want_export {
            cmds.extend(self.request_export());
        }
        self.notes_ui(ui);
        self.record_timing(ui.ctx());
        for c in cmds {
            // Compare reports select layers of the quantized graph: map them to the open graph.
            let c = match c {
                Command::Select(Some(i))
                    if self.report.is_some()
                        && self.quant.as_ref().is_some_and(|q| i < q.graph.nodes.len())
                        && self.map_quant_node(i).is_some() =>
                {
                    Command::Select(self.map_quant_node(i))
                }
                c => c,
            };
            self.apply(c);
        }
    }

    /// Export to the path field, asking first (a second press confirms) when the file exists.
    fn request_export(&mut self) -> Option<Command> {
        let p = PathBuf::from(self.export_path.trim());
        if p.as_os_str().is_empty() {
            self.notify("Type a path for the exported .tflite first", "", true);
            return None;
        }
        let asked = format!("Overwrite {}? Press Export again to confirm.", p.display());
        if p.exists() && !self.notes.iter().any(|n| n.text == asked) {
            self.notes.push(Note {
                text: asked,
                details: String::new(),
                error: false,
            });
            return None;
        }
        self.notes.retain(|n| n.text != asked);
        Some(Command::Export(p))
    }

    fn record_timing(&mut self, ctx: &egui::Context) {
        let t = &mut self.timing;
        if !t.first_frame {
            t.first_frame = true;
            let ms = t.launched.elapsed().as_secs_f64() * 1e3;
            self.log
                .push(format!("first frame {ms:.0} ms after launch"));
            if t.bench {
                eprintln!("first_frame_ms={ms:.1}");
            }
        }
        if t.loaded {
            t.loaded = false;
            if let Some(s) = t.open_started.take() {
                let ms = s.elapsed().as_secs_f64() * 1e3;
                self.log.push(format!(
                    "open to drawn graph: {ms:.0} ms (read, prepare, layout)"
                ));
                if t.bench {
                    eprintln!("open_to_graph_ms={ms:.1}");
                    ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                }
            }
        }
    }

    fn map_quant_node(&self, qi: usize) -> Option<usize> {
        let (q, d) = (self.quant.as_ref()?, self.doc.as_ref()?);
        let name = q
            .graph
            .nodes
            .get(qi)
            .and_then(|n| n.outputs.first())
            .map(|&t| &q.graph.tensors[t].name)?;
        d.graph
            .nodes
            .iter()
            .position(|n| n.outputs.iter().any(|&t| d.graph.tensors[t].name == *name))
    }

    /// Notifications float over the bottom-left corner (they never move the panels).
    fn notes_ui(&mut self, ui: &mut egui::Ui) {
        let mut dismiss = None;
        if self.notes.is_empty() {
            return;
        }
        egui::Area::new(egui::Id::NULL.with("notes"))
            .anchor(egui::Align2::LEFT_BOTTOM, [10.0, -10.0])
            .order(egui::Order::Foreground)
            .show(ui.ctx(), |ui| {
                for (i, n) in self.notes.iter().enumerate().rev().take(5) {
                    egui::Frame::popup(ui.style()).show(ui, |ui| {
                        ui.set_max_width(520.0);
                        ui.horizontal(|ui| {
                            let color = if n.error {
                                egui::Color32::from_rgb(219, 68, 55)
                            } else {
                                egui::Color32::from_rgb(52, 168, 83)
                            };
                            ui.colored_label(color, &n.text);
                            if ui.small_button("x").on_hover_text("Dismiss").clicked() {
                                dismiss = Some(i);
                            }
                        });
                        if !n.details.is_empty() && n.details != n.text {
                            ui.collapsing("details", |ui| {
                                ui.monospace(&n.details);
                            });
                        }
                    });
                }
            });
        if let Some(i) = dismiss {
            self.notes.remove(i);
        }
    }
}

fn regex_escape(s: &str) -> String {
    let mut o = String::from("^");
    for ch in s.chars() {
        if "\\.+*?()|[]{}^$".contains(ch) {
            o.push('\\');
        }
        o.push(ch);
    }
    o.push('$');
    o
}

impl eframe::App for StudioApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.frame(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if let Ok(t) = serde_json::to_string(&self.settings) {
            storage.set_string(SETTINGS_KEY, t);
        }
    }
}
