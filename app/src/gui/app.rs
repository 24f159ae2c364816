//! The coordinator: owns the persisted settings, the worker and the open `Document`; each frame
//! it drains worker events, draws the panels (which return commands) and applies the commands
//! in one place (`apply`). Derived data comes from the document and the engine, not from here.

use std::path::PathBuf;
use std::time::Instant;

use pocket_engine::shapes::InputShapes;

use super::document::{Document, PendingExport, Quantized, sample_data};

mod access;
mod side;
use super::notes::Notes;
pub use side::SideTab;

use super::panels::Command;
use super::panels::compare::ComparePanel;
use super::panels::graph::GraphView;
use super::panels::live::LivePanel;
use super::panels::quantize::QuantizePanel;
use super::panels::sizes::SizesPanel;
use super::panels::start::StartPanel;
use super::settings::Settings;
use super::worker::{Event, EventKind, FailureKind, Job, JobId, Worker};
use crate::camera::pipeline::{LiveModel, LiveResult, Pipeline};

const SETTINGS_KEY: &str = "pocket-studio-settings";

/// The studio.
pub struct StudioApp {
    settings: Settings,
    worker: Worker,
    doc: Option<Document>,
    running: Option<(JobId, usize, usize, &'static str)>,
    notes: Notes,
    start: StartPanel,
    graph: GraphView,
    quantize: QuantizePanel,
    compare: ComparePanel,
    sizes: SizesPanel,
    export_path: String,
    pending_dialog: Option<std::thread::JoinHandle<Option<PathBuf>>>,
    timing: Timing,
    ctx: egui::Context,
    tab: Tab,
    side: SideTab,
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
            quantize: QuantizePanel::default(),
            compare: ComparePanel::default(),
            settings,
            worker: Worker::new(ctx.clone()),
            ctx,
            tab: Tab::Graph,
            side: SideTab::Quantize,
            live: LivePanel::default(),
            pipeline: None,
            live_names: Vec::new(),
            live_result: None,
            doc: None,
            running: None,
            notes: Notes::default(),
            start: StartPanel::default(),
            sizes: SizesPanel::default(),
            graph: GraphView::default(),
            export_path: String::new(),
            pending_dialog: None,
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

    fn stop_live(&mut self) {
        self.pipeline = None;
        self.live_result = None;
        self.live.reset();
    }

    fn notify(&mut self, text: impl Into<String>, details: impl Into<String>, error: bool) {
        self.notes.notify(text, details, error);
    }

    fn start_job(&mut self, job: Job, what: &'static str) {
        let id = self.worker.spawn(job);
        self.running = Some((id, 0, 0, what));
    }

    /// Apply one command.
    pub fn apply(&mut self, c: Command) {
        match c {
            Command::Open(p) => {
                self.notes.log.push(format!("opening {}", p.display()));
                self.timing.open_started = Some(Instant::now());
                // A model with free dimensions reopens at the sizes last applied to it.
                let shapes = self
                    .settings
                    .sizes
                    .get(&p)
                    .and_then(|a| InputShapes::parse(a).ok())
                    .unwrap_or_default();
                self.start_job(Job::Load(p, shapes, None), "opening");
            }
            Command::OpenSignature(key) => {
                let Some(doc) = &self.doc else { return };
                let p = doc.loaded.path.clone();
                self.notes
                    .log
                    .push(format!("opening {} with signature '{key}'", p.display()));
                let shapes = self
                    .settings
                    .sizes
                    .get(&p)
                    .and_then(|a| InputShapes::parse(a).ok())
                    .unwrap_or_default();
                self.start_job(Job::Load(p, shapes, Some(key)), "opening");
            }
            Command::OpenDialog => {
                // rfd's dialog blocks: run it on its own thread; without a portal it returns None.
                self.pending_dialog = Some(std::thread::spawn(|| {
                    rfd::FileDialog::new()
                        .add_filter("Model", &["tflite", "onnx"])
                        .pick_file()
                }));
            }
            Command::Select(s) => {
                if let Some(d) = &mut self.doc {
                    d.select(s, false);
                    if s.is_some() {
                        self.side = SideTab::Inspect;
                    }
                }
            }
            Command::SelectQuantized(i) => {
                if let Some(d) = &mut self.doc {
                    d.select(Some(i), true);
                    self.side = SideTab::Inspect;
                }
            }
            Command::ToggleKeepFloat(name) => {
                if let Some(d) = &mut self.doc {
                    d.toggle_keep_float(name);
                    self.settings.model_mut(&d.loaded.path).keep_float =
                        d.keep_float.iter().cloned().collect();
                }
            }
            Command::UseDataFolder(p) => {
                self.live.set_folder(&p);
                self.quantize.set_calib(&p);
                self.compare.set_data(&p);
                if let Some(d) = &self.doc {
                    let state = self.settings.model_mut(&d.loaded.path);
                    state.calib_dir = p.display().to_string();
                    state.data_dir = p.display().to_string();
                }
                self.notify(
                    "Folder set as calibration and evaluation data",
                    p.display().to_string(),
                    false,
                );
            }
            Command::Resize(args) => {
                let Some(doc) = &self.doc else { return };
                let shapes = match InputShapes::parse(&args) {
                    Ok(s) => s,
                    Err(e) => {
                        self.notify("Cannot use these sizes", e.to_string(), true);
                        return;
                    }
                };
                let opened = doc.loaded.opened.clone();
                let sigs = (doc.loaded.signatures.clone(), doc.loaded.signature.clone());
                self.settings.sizes.insert(doc.loaded.path.clone(), args);
                self.notes
                    .log
                    .push(format!("resizing inputs of {}", doc.loaded.path.display()));
                self.start_job(Job::Reshape(opened, shapes, sigs.0, sigs.1), "resizing");
            }
            Command::Quantize(..) | Command::Compare(_) | Command::LiveStart(_)
                if self.needs_sizes() =>
            {
                self.notify(
                    "Set the input size first",
                    "The model has free input dimensions shown at a placeholder size: choose its sizes under Input size",
                    true,
                );
            }
            Command::Quantize(recipe, calib) => {
                let Some(doc) = &mut self.doc else { return };
                let state = self.settings.model_mut(&doc.loaded.path);
                state.calib_dir = calib.display().to_string();
                state.recipe = Some(recipe.clone());
                let recipe = doc.recipe(&recipe);
                doc.quantizing = Some(recipe.clone());
                let graph = doc.graph().clone();
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
                let Some((doc, Some(q))) = self.doc.as_ref().map(|d| (d, &d.quant)) else {
                    return;
                };
                self.settings.model_mut(&doc.loaded.path).data_dir = data.display().to_string();
                let job = Job::Compare {
                    float: doc.graph().clone(),
                    float_bytes: doc.loaded.bytes,
                    quant: q.graph.clone(),
                    quant_bytes: q.bytes.len(),
                    data,
                    numerics: doc.numerics,
                };
                self.start_job(job, "comparing");
            }
            Command::Export(path) => {
                let Some((doc, Some(q))) = self.doc.as_ref().map(|d| (d, &d.quant)) else {
                    return;
                };
                let source = doc.loaded.path.clone();
                if crate::tasks::export::same_path(&source, &path) {
                    self.notify(
                        "Refusing to overwrite the source model",
                        path.display().to_string(),
                        true,
                    );
                    return;
                }
                // The recipe records the target chosen in the studio (LiteRT's is the default).
                let mut recipe = q.recipe.clone();
                recipe.target =
                    (doc.numerics != pocket_engine::Numerics::Litert).then_some(doc.numerics);
                let job = Job::Export {
                    bytes: q.bytes.clone(),
                    recipe: Some(recipe),
                    report: doc.report.clone().map(Box::new),
                    path,
                    source: Some(source),
                };
                self.start_job(job, "exporting");
            }
            Command::Cancel => self.worker.cancel(),
            Command::LiveStart(spec) => {
                let Some(doc) = &self.doc else { return };
                let mut models = vec![LiveModel {
                    name: "float".into(),
                    graph: doc.graph().clone(),
                    numerics: doc.numerics,
                }];
                if let Some(q) = &doc.quant {
                    models.push(LiveModel {
                        name: "quantized".into(),
                        graph: q.graph.clone(),
                        numerics: doc.numerics,
                    });
                }
                let pre = self.live.pre.clone().unwrap_or_else(|| {
                    pocket_engine::data::image::Preprocess::for_input(doc.graph(), 0)
                });
                let float_only = doc.quant.is_none();
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
                        if float_only {
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
                self.doc = None;
            }
        }
    }

    /// Keep the open model's view state (its search text) in its settings, before another
    /// model replaces it or the settings are saved.
    fn remember_view(&mut self) {
        if let Some(d) = &self.doc {
            self.settings.model_mut(&d.loaded.path).search = self.graph.search.clone();
        }
    }

    /// True when the open model's free dimensions are only at a placeholder size.
    fn needs_sizes(&self) -> bool {
        self.doc
            .as_ref()
            .is_some_and(|d| d.loaded.opened.placeholder.is_some())
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
                    self.notes.log.push(format!(
                        "opened {} ({} nodes)",
                        doc.path.display(),
                        doc.graph.nodes.len()
                    ));
                    // A reload (new input sizes) replaces what the last load said.
                    const CANNOT_RUN: &str = "Some ops cannot run yet";
                    self.notes.dismiss(CANNOT_RUN);
                    if !doc.summary.unsupported.is_empty() {
                        self.notify(CANNOT_RUN, doc.summary.unsupported.join(", "), true);
                    }
                    self.remember_view();
                    let state = self.settings.model(&doc.path);
                    // Folders, kept nodes, search and recipe belong to the model: what was
                    // chosen for it before, else the folders a sample model brings, else
                    // nothing (the panels ask, suggesting the model's folder).
                    let data = sample_data(&doc.path);
                    let pick = |chosen: &str, sample: &Option<PathBuf>| {
                        if chosen.is_empty() {
                            sample
                                .as_ref()
                                .map(|d| d.display().to_string())
                                .unwrap_or_default()
                        } else {
                            chosen.to_string()
                        }
                    };
                    self.quantize.calib = pick(&state.calib_dir, &data.calib);
                    self.compare.data = pick(&state.data_dir, &data.eval);
                    let beside = doc.path.parent().map(|d| d.display().to_string());
                    self.quantize.suggest = beside.clone().unwrap_or_default();
                    self.compare.suggest = beside.unwrap_or_default();
                    if let Some(r) = state.recipe {
                        self.quantize.recipe = r;
                    }
                    // The step the user is on: sizes or a signature to choose first, else quantize.
                    self.side = if doc.opened.placeholder.is_some() || doc.signatures.len() > 1 {
                        SideTab::Model
                    } else {
                        SideTab::Quantize
                    };
                    let mut doc = Document::new(doc);
                    doc.keep_float = state.keep_float.into_iter().collect();
                    let pre = doc.live_preprocess();
                    self.graph.reset();
                    self.graph.set_model_path(&doc.loaded.path);
                    self.graph.heat_db = (self.settings.heat.good_db, self.settings.heat.bad_db);
                    self.graph.search = state.search;
                    self.doc = Some(doc);
                    self.timing.loaded = true;
                    self.stop_live();
                    if let Some(p) = pre {
                        self.live.set_preprocess(p);
                    }
                    self.live.folder = self.compare.data.clone();
                }
                EventKind::Quantized {
                    graph,
                    bytes,
                    recipe,
                    layout,
                    activations,
                } => {
                    self.running = None;
                    self.side = SideTab::Compare;
                    // No comparison folder chosen for this model: compare on the calibration
                    // images (the user may pick others).
                    if self.compare.data.trim().is_empty() {
                        self.compare.data = self.quantize.calib.clone();
                    }
                    let ratio = bytes.len() as f64
                        / self.doc.as_ref().map_or(1, |d| d.loaded.bytes.max(1)) as f64;
                    self.notify(
                        format!(
                            "Quantized: {:.1} KiB ({ratio:.2}x)",
                            bytes.len() as f64 / 1024.0
                        ),
                        "",
                        false,
                    );
                    let Some(doc) = &mut self.doc else { continue };
                    self.export_path = doc.default_export_path().display().to_string();
                    // The live view restarts with both models; it uses the calibration's
                    // preprocessing, which the applied recipe records.
                    doc.quantizing = None;
                    if let Some(t) = recipe.target {
                        doc.numerics = t;
                    }
                    let pre = recipe.preprocess.clone();
                    doc.set_quantized(Quantized {
                        graph,
                        bytes,
                        recipe,
                        layout,
                        activations,
                    });
                    if let Some(p) = pre {
                        self.live.set_preprocess(p);
                    }
                    let restart = self.pipeline.is_some();
                    self.stop_live();
                    if restart {
                        self.apply(Command::LiveStart(self.live.spec()));
                    }
                }
                EventKind::Compared(r) => {
                    self.running = None;
                    let summary = if r.labelled {
                        format!(
                            "Compared: float {:.2}% vs quantized {:.2}% top-1",
                            100.0 * r.float.top1,
                            100.0 * r.quant.top1
                        )
                    } else {
                        format!(
                            "Compared {} samples: output SQNR {:.1} dB",
                            r.quant.samples, r.output_sqnr_db
                        )
                    };
                    self.notify(summary, r.note.clone().unwrap_or_default(), false);
                    if let Some(d) = &mut self.doc {
                        d.set_report(Some(*r), &self.settings.heat);
                    }
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
                cmds.push(Command::UseDataFolder(p));
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
        let have_quant = self.doc.as_ref().is_some_and(|d| d.quant.is_some());
        let mut want_export = export && have_quant;
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
                let title = self.doc.as_ref().map(|d| {
                    let (path, s) = (&d.loaded.path, &d.loaded.summary);
                    // The file and its folder (`digits/model.tflite`): enough to tell models apart.
                    let tail: Vec<String> = path
                        .iter()
                        .rev()
                        .take(2)
                        .map(|c| c.to_string_lossy().into_owned())
                        .collect();
                    let file = tail.into_iter().rev().collect::<Vec<_>>().join("/");
                    (
                        format!(
                            "{file} — {} nodes, {} params, {:.1} MMACs",
                            s.nodes,
                            s.params,
                            s.macs as f64 / 1e6
                        ),
                        path.display().to_string(),
                    )
                });
                // Right to left: theme, log, the running job; the title takes what is left and
                // is cut with an ellipsis (the full path on hover), never under the buttons.
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
                        ui.separator();
                    }
                    if let Some((title, full)) = title {
                        ui.with_layout(egui::Layout::left_to_right(egui::Align::Center), |ui| {
                            ui.add(egui::Label::new(title).truncate())
                                .on_hover_text(full);
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
                            for l in &self.notes.log {
                                ui.monospace(l);
                            }
                        });
                });
        }
        match &mut self.doc {
            None => {
                egui::CentralPanel::default().show(ui, |ui| {
                    cmds.extend(self.start.ui(ui, &self.settings.recent))
                });
            }
            Some(doc) => {
                let busy = self.running.map(|(_, d, t, w)| (d, t, w));
                side::panel(
                    ui,
                    side::Parts {
                        doc,
                        tab: &mut self.side,
                        sizes: &mut self.sizes,
                        quantize: &mut self.quantize,
                        compare: &mut self.compare,
                        export_path: &mut self.export_path,
                    },
                    busy,
                    &mut cmds,
                    &mut want_export,
                );
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
                        Tab::Graph => {
                            self.graph.quant_available = doc.quant.is_some();
                            let (g, l, sel, heat) = match &doc.quant {
                                Some(q) if self.graph.quantized => (
                                    &*q.graph,
                                    &*q.layout,
                                    doc.selected.and_then(|s| doc.quant_node(s)),
                                    &doc.heat_quant,
                                ),
                                _ => (&*doc.loaded.graph, &doc.loaded.layout, doc.selected, &doc.heat),
                            };
                            cmds.extend(self.graph.ui(ui, g, l, sel, heat, &doc.keep_float));
                        }
                        Tab::Live => {
                            let st = self.pipeline.as_ref().map(|p| (p.status(), p.stats()));
                            egui::ScrollArea::vertical().id_salt("live-scroll").show(ui, |ui| {
                                cmds.extend(self.live.ui(
                                    ui,
                                    st.as_ref().map(|(a, b)| (a, b)),
                                    self.live_result.as_ref(),
                                    &self.live_names,
                                    &mut doc.numerics,
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
        self.notes.ui(ui);
        self.record_timing(ui.ctx());
        for c in cmds {
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
        let doc = self.doc.as_mut()?;
        let asked = format!("Overwrite {}? Press Export again to confirm.", p.display());
        let pending = PendingExport { path: p.clone() };
        if p.exists() && doc.pending_export.as_ref() != Some(&pending) {
            doc.pending_export = Some(pending);
            self.notify(asked, "", false);
            return None;
        }
        doc.pending_export = None;
        self.notes.dismiss(&asked);
        Some(Command::Export(p))
    }

    fn record_timing(&mut self, ctx: &egui::Context) {
        let t = &mut self.timing;
        if !t.first_frame {
            t.first_frame = true;
            let ms = t.launched.elapsed().as_secs_f64() * 1e3;
            self.notes
                .log
                .push(format!("first frame {ms:.0} ms after launch"));
            if t.bench {
                eprintln!("first_frame_ms={ms:.1}");
            }
        }
        if t.loaded {
            t.loaded = false;
            if let Some(s) = t.open_started.take() {
                let ms = s.elapsed().as_secs_f64() * 1e3;
                self.notes.log.push(format!(
                    "open to drawn graph: {ms:.0} ms (read, prepare, layout)"
                ));
                if t.bench {
                    eprintln!("open_to_graph_ms={ms:.1}");
                    ctx.send_viewport_cmd(egui::ViewportCommand::Close);
                }
            }
        }
    }
}

impl eframe::App for StudioApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.frame(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        self.remember_view();
        if let Ok(t) = serde_json::to_string(&self.settings) {
            storage.set_string(SETTINGS_KEY, t);
        }
    }
}
