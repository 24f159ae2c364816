//! Live panel: a frame source (webcam, image folder, test pattern), the frame and the crop the
//! model sees, every output's view (top-k bars, detector boxes and keypoints on the frame, masks
//! over the frame, or heat maps; picked from the outputs' shapes, switchable; see `views`),
//! disagreement highlighted, latency and FPS with a plot of the last
//! seconds, the preprocessing (editable), and snapshots into a dataset folder. The pipeline
//! itself lives in the app; this panel holds UI state and textures and returns commands.

use std::path::PathBuf;
use std::thread::JoinHandle;

use egui::{ColorImage, TextureHandle, TextureOptions};
use egui_plot::{Legend, Line, Plot};
use pocket_engine::data::image::{Color, Preprocess, ResizeMode};

mod views;

use super::Command;
use crate::camera::pipeline::{LiveResult, Stats, Status};
use crate::camera::webcam::{CameraEntry, list_cameras};
use crate::camera::{RgbImage, SourceSpec};
use crate::gui::theme;

/// Which kind of source is selected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// A webcam.
    Webcam,
    /// An image folder or one image.
    Folder,
    /// The moving test pattern.
    Pattern,
}

const SIZES: [(u32, u32); 4] = [(320, 240), (640, 480), (1280, 720), (1920, 1080)];

/// Live panel state.
pub struct LivePanel {
    /// Selected source kind.
    pub kind: SourceKind,
    cameras: Option<Result<Vec<CameraEntry>, String>>,
    listing: Option<JoinHandle<Result<Vec<CameraEntry>, String>>>,
    camera: u32,
    size: (u32, u32),
    cam_fps: u32,
    /// Image folder or file for the folder source.
    pub folder: String,
    folder_fps: f32,
    folder_scale: bool,
    pattern_fps: f32,
    /// Preprocessing being edited (applied with the Apply button or on start).
    pub pre: Option<Preprocess>,
    mean_text: String,
    std_text: String,
    /// Dataset folder for snapshots.
    pub snap_dir: String,
    /// Class name for snapshots.
    pub snap_class: String,
    frame_tex: Option<TextureHandle>,
    crop_tex: Option<TextureHandle>,
    views: views::ViewsUi,
    shown_seq: u64,
}

impl Default for LivePanel {
    fn default() -> Self {
        LivePanel {
            kind: SourceKind::Webcam,
            cameras: None,
            listing: None,
            camera: 0,
            size: (640, 480),
            cam_fps: 30,
            folder: String::new(),
            folder_fps: 30.0,
            folder_scale: true,
            pattern_fps: 30.0,
            pre: None,
            mean_text: String::new(),
            std_text: String::new(),
            snap_dir: String::new(),
            snap_class: String::new(),
            frame_tex: None,
            crop_tex: None,
            views: views::ViewsUi::default(),
            shown_seq: 0,
        }
    }
}

fn floats(v: &[f32]) -> String {
    v.iter()
        .map(|x| format!("{x}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn parse_floats(s: &str) -> Option<Vec<f32>> {
    let v: Option<Vec<f32>> = s
        .split([',', ' '])
        .filter(|t| !t.trim().is_empty())
        .map(|t| t.trim().parse::<f32>().ok())
        .collect();
    v.filter(|v| !v.is_empty() && v.len() <= 4)
}

/// Distinct colours for mask classes (class 0 is transparent background).
fn class_colour(c: usize) -> [u8; 3] {
    const P: [[u8; 3]; 8] = [
        [0, 0, 0],
        [230, 25, 75],
        [60, 180, 75],
        [255, 225, 25],
        [0, 130, 200],
        [245, 130, 48],
        [145, 30, 180],
        [70, 240, 240],
    ];
    P[c % P.len()]
}

fn color_image(img: &RgbImage) -> ColorImage {
    ColorImage::from_rgb([img.width() as usize, img.height() as usize], img.as_raw())
}

fn upload(ctx: &egui::Context, slot: &mut Option<TextureHandle>, name: &str, img: ColorImage) {
    match slot {
        // Updated in place: one texture per view for the life of the panel.
        Some(t) => t.set(img, TextureOptions::LINEAR),
        None => *slot = Some(ctx.load_texture(name, img, TextureOptions::LINEAR)),
    }
}

impl LivePanel {
    /// Set the preprocessing shown (when a model is opened or quantized).
    pub fn set_preprocess(&mut self, p: Preprocess) {
        self.mean_text = floats(&p.mean);
        self.std_text = floats(&p.std);
        self.pre = Some(p);
    }

    /// Use `dir` as the image folder source.
    pub fn set_folder(&mut self, dir: &std::path::Path) {
        self.folder = dir.display().to_string();
    }

    /// Forget textures (model closed).
    pub fn reset(&mut self) {
        self.frame_tex = None;
        self.crop_tex = None;
        self.views.reset();
        self.shown_seq = 0;
    }

    /// The source currently configured.
    pub fn spec(&self) -> SourceSpec {
        match self.kind {
            SourceKind::Webcam => SourceSpec::Webcam {
                index: self.camera,
                size: self.size,
                fps: self.cam_fps,
            },
            SourceKind::Folder => SourceSpec::Folder {
                path: PathBuf::from(self.folder.trim()),
                fps: self.folder_fps,
                size: self.folder_scale.then_some(self.size),
            },
            SourceKind::Pattern => SourceSpec::Pattern {
                size: self.size,
                fps: self.pattern_fps,
            },
        }
    }

    fn poll_cameras(&mut self) {
        if self.cameras.is_none() && self.listing.is_none() {
            self.listing = Some(std::thread::spawn(list_cameras));
        }
        if let Some(h) = self.listing.take_if(|h| h.is_finished()) {
            let found = h
                .join()
                .unwrap_or_else(|_| Err("listing cameras failed".into()));
            // With no camera, start on a source that works.
            if matches!(&found, Ok(v) if v.is_empty()) && self.kind == SourceKind::Webcam {
                self.kind = if self.folder.trim().is_empty() {
                    SourceKind::Pattern
                } else {
                    SourceKind::Folder
                };
            }
            if let Ok(v) = &found
                && let Some(c) = v.first()
                && !v.iter().any(|x| x.index == self.camera)
            {
                self.camera = c.index;
            }
            self.cameras = Some(found);
        }
    }

    /// Draw. `running`: the pipeline's status and stats if one runs; `result`: the newest
    /// result; `names`: the models that run (float first).
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        running: Option<(&Status, &Stats)>,
        result: Option<&LiveResult>,
        names: &[String],
        numerics: &mut pocket_engine::Numerics,
    ) -> Vec<Command> {
        let mut out = Vec::new();
        self.poll_cameras();
        if self.listing.is_some() {
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(100));
        }
        // Wrapped, so that nothing is cut off beside the side panel at 1024 px.
        ui.horizontal_wrapped(|ui| {
            ui.label("Source");
            ui.selectable_value(&mut self.kind, SourceKind::Webcam, "Webcam")
                .on_hover_text("A camera attached to this computer");
            ui.selectable_value(&mut self.kind, SourceKind::Folder, "Image folder")
                .on_hover_text(
                    "Every image of a folder (or one image), looping — works without a camera",
                );
            ui.selectable_value(&mut self.kind, SourceKind::Pattern, "Test pattern")
                .on_hover_text("A moving synthetic pattern — works without a camera or files");
            ui.separator();
            if running.is_some() {
                if ui.button("Stop").clicked() {
                    out.push(Command::LiveStop);
                }
            } else if ui
                .button("Start")
                .on_hover_text("Run the float and the quantized model on the frames")
                .clicked()
            {
                if let Some(p) = self.edited_pre() {
                    out.push(Command::LivePreprocess(p));
                }
                out.push(Command::LiveStart(self.spec()));
            }
            ui.separator();
            // A new target applies from the next start: restart a running view with it.
            if super::numerics_picker(ui, "live-numerics", numerics) && running.is_some() {
                out.push(Command::LiveStart(self.spec()));
            }
            if matches!(&self.cameras, Some(Ok(v)) if v.is_empty()) {
                ui.weak("No camera found: the image folder and the test pattern work without one.");
            }
        });
        ui.horizontal_wrapped(|ui| match self.kind {
            SourceKind::Webcam => match &self.cameras {
                None => {
                    ui.spinner();
                    ui.label("Looking for cameras…");
                }
                Some(Err(e)) => {
                    ui.colored_label(theme::ERROR, e);
                    if ui.button("Refresh").clicked() {
                        self.cameras = None;
                    }
                }
                Some(Ok(list)) if list.is_empty() => {
                    ui.label("No camera found. Plug one in and press Refresh, or use another source:");
                    if ui.button("Refresh").clicked() {
                        self.cameras = None;
                    }
                    if ui.button("Image folder").clicked() {
                        self.kind = SourceKind::Folder;
                    }
                    if ui.button("Test pattern").clicked() {
                        self.kind = SourceKind::Pattern;
                    }
                }
                Some(Ok(list)) => {
                    let name = list
                        .iter()
                        .find(|c| c.index == self.camera)
                        .map_or_else(|| format!("camera {}", self.camera), |c| c.name.clone());
                    egui::ComboBox::from_id_salt("camera")
                        .selected_text(name)
                        .show_ui(ui, |ui| {
                            for c in list {
                                ui.selectable_value(&mut self.camera, c.index, &c.name);
                            }
                        });
                    if ui.button("Refresh").on_hover_text("List the cameras again").clicked() {
                        self.cameras = None;
                    }
                    self.size_ui(ui);
                    ui.label("fps");
                    ui.add(egui::DragValue::new(&mut self.cam_fps).range(1..=120));
                }
            },
            SourceKind::Folder => {
                ui.add(
                    egui::TextEdit::singleline(&mut self.folder)
                        .hint_text("folder of images, or one image")
                        .desired_width(300.0),
                )
                .on_hover_text("Class sub-folders are fine. Tip: drop a folder on the window.");
                ui.label("fps");
                ui.add(egui::DragValue::new(&mut self.folder_fps).range(0.5..=240.0));
                ui.checkbox(&mut self.folder_scale, "scale to")
                    .on_hover_text("Scale every image to a camera resolution first");
                self.size_ui(ui);
            }
            SourceKind::Pattern => {
                self.size_ui(ui);
                ui.label("fps");
                ui.add(egui::DragValue::new(&mut self.pattern_fps).range(0.5..=240.0));
            }
        });
        if let Some((status, _)) = running {
            match status {
                Status::Starting => {
                    ui.label("Starting…");
                }
                Status::Running(d) => {
                    ui.weak(d);
                }
                Status::Unavailable(m) => {
                    ui.colored_label(theme::WARNING, format!("{m} — the panel keeps working; the stream resumes when the source returns"));
                }
                Status::Failed(m) => {
                    ui.colored_label(theme::ERROR, m);
                }
            }
        }
        self.pre_ui(ui, &mut out);
        ui.separator();
        match result {
            Some(r) => self.result_ui(ui, r, running.map(|r| r.1), names, &mut out),
            None => {
                ui.weak(if running.is_some() {
                    "Waiting for the first frame…"
                } else {
                    "Pick a source and press Start."
                });
            }
        }
        out
    }

    fn size_ui(&mut self, ui: &mut egui::Ui) {
        egui::ComboBox::from_id_salt("size")
            .selected_text(format!("{}x{}", self.size.0, self.size.1))
            .show_ui(ui, |ui| {
                for s in SIZES {
                    ui.selectable_value(&mut self.size, s, format!("{}x{}", s.0, s.1));
                }
            });
    }

    fn edited_pre(&self) -> Option<Preprocess> {
        let mut p = self.pre.clone()?;
        if let Some(m) = parse_floats(&self.mean_text) {
            p.mean = m;
        }
        if let Some(s) = parse_floats(&self.std_text).filter(|s| s.iter().all(|v| *v != 0.0)) {
            p.std = s;
        }
        Some(p)
    }

    fn pre_ui(&mut self, ui: &mut egui::Ui, out: &mut Vec<Command>) {
        let Some(p) = self.pre.as_mut() else { return };
        let mut apply = false;
        egui::CollapsingHeader::new(format!(
            "Preprocessing: {:?}, mean {}, std {}, {:?} ({})",
            p.color,
            floats(&p.mean),
            floats(&p.std),
            p.resize,
            p.source
        ))
        .id_salt("live-pre")
        .show(ui, |ui| {
            ui.weak("The same code path as calibration and evaluation: (pixel − mean) / std, pixels 0–255.");
            ui.horizontal(|ui| {
                ui.label("colour");
                let gray = p.color == Color::Gray;
                ui.add_enabled_ui(!gray, |ui| {
                    ui.selectable_value(&mut p.color, Color::Rgb, "RGB");
                    ui.selectable_value(&mut p.color, Color::Bgr, "BGR");
                });
                if gray {
                    ui.label("gray (one-channel input)");
                }
                ui.separator();
                ui.label("resize");
                ui.selectable_value(&mut p.resize, ResizeMode::Stretch, "stretch")
                    .on_hover_text("Scale each axis to the input size (aspect ratio not kept)");
                ui.selectable_value(&mut p.resize, ResizeMode::Crop, "centre crop")
                    .on_hover_text("Scale the shorter side, cut the centre (aspect ratio kept)");
            });
            ui.horizontal(|ui| {
                ui.label("mean");
                ui.add(egui::TextEdit::singleline(&mut self.mean_text).desired_width(120.0))
                    .on_hover_text("One value, or one per channel, comma separated");
                ui.label("std");
                ui.add(egui::TextEdit::singleline(&mut self.std_text).desired_width(120.0))
                    .on_hover_text("One value, or one per channel; 255 with mean 0 gives [0, 1]");
                apply = ui
                    .button("Apply")
                    .on_hover_text("Use these settings from the next frame on")
                    .clicked();
            });
        });
        if apply && let Some(mut p) = self.edited_pre() {
            p.source = "edited in the Live panel".into();
            self.set_preprocess(p.clone());
            out.push(Command::LivePreprocess(p));
        }
    }

    fn result_ui(
        &mut self,
        ui: &mut egui::Ui,
        r: &LiveResult,
        stats: Option<&Stats>,
        names: &[String],
        out: &mut Vec<Command>,
    ) {
        let ctx = ui.ctx().clone();
        if r.seq != self.shown_seq {
            self.shown_seq = r.seq;
            upload(
                &ctx,
                &mut self.frame_tex,
                "live-frame",
                color_image(&r.frame),
            );
            upload(&ctx, &mut self.crop_tex, "live-crop", color_image(&r.crop));
        }
        let fw = r.frame.width().max(1) as f32;
        let fh = r.frame.height().max(1) as f32;
        // The counters go beside the pictures when there is room, else under them.
        let narrow = ui.available_width() < 240.0 * fw / fh + 160.0 + 240.0;
        ui.horizontal(|ui| {
            if let Some(t) = &self.frame_tex {
                let h = 240.0_f32;
                ui.vertical(|ui| {
                    ui.label(format!("Frame {}x{}", r.frame.width(), r.frame.height()));
                    ui.image((t.id(), egui::vec2(h * fw / fh, h)));
                });
            }
            if let Some(t) = &self.crop_tex {
                ui.vertical(|ui| {
                    ui.label(format!(
                        "What the model sees {}x{}",
                        r.crop.width(),
                        r.crop.height()
                    ));
                    ui.image((
                        t.id(),
                        egui::vec2(
                            160.0,
                            160.0 * r.crop.height() as f32 / r.crop.width().max(1) as f32,
                        ),
                    ));
                });
            }
            if let Some(st) = stats.filter(|_| !narrow) {
                ui.vertical(|ui| counters(ui, st, r.e2e_ms));
            }
        });
        if let Some(st) = stats.filter(|_| narrow) {
            ui.horizontal_wrapped(|ui| counters(ui, st, r.e2e_ms));
        }
        if r.disagree {
            ui.colored_label(
                theme::DISAGREE,
                "The float and the quantized model disagree on this frame",
            );
        }
        ui.horizontal_wrapped(|ui| {
            for (k, o) in r.outputs.iter().enumerate() {
                ui.colored_label(
                    views::MODEL_COLOURS[k % views::MODEL_COLOURS.len()],
                    o.name.clone(),
                );
                ui.label(format!("{:.2} ms", o.latency_ms));
                if let Some(e) = &o.error {
                    ui.colored_label(theme::ERROR, e);
                }
                ui.separator();
            }
        });
        self.views.ui(ui, r, self.frame_tex.as_ref());
        if let Some(st) = stats
            && !st.history.is_empty()
        {
            // Frames per second and milliseconds per model have their own axes (one plot each,
            // time axes linked), so neither flattens the other.
            let fps: Vec<[f64; 2]> = st.history.iter().map(|p| [p.t, p.fps]).collect();
            let link = egui::Id::NULL.with("live-time");
            ui.columns(2, |cols| {
                Plot::new("live-fps")
                    .height(110.0)
                    .allow_scroll(false)
                    .link_axis(link, [true, false])
                    .x_axis_label("time (s)")
                    .y_axis_label("frames per second")
                    .include_y(0.0)
                    .show(&mut cols[0], |p| p.line(Line::new("FPS", fps)));
                Plot::new("live-latency")
                    .height(110.0)
                    .legend(Legend::default())
                    .allow_scroll(false)
                    .link_axis(link, [true, false])
                    .x_axis_label("time (s)")
                    .y_axis_label("latency (ms)")
                    .include_y(0.0)
                    .show(&mut cols[1], |p| {
                        for (k, name) in names.iter().enumerate() {
                            let pts: Vec<[f64; 2]> = st
                                .history
                                .iter()
                                .filter_map(|h| h.latency_ms.get(k).map(|&l| [h.t, l]))
                                .collect();
                            p.line(Line::new(name.to_string(), pts));
                        }
                    });
            });
        }
        ui.horizontal(|ui| {
            let l = ui.label("Snapshot into");
            ui.add(egui::TextEdit::singleline(&mut self.snap_dir).hint_text("dataset folder").desired_width(220.0))
                .labelled_by(l.id)
                .on_hover_text("Frames are saved as <folder>/<class>/snap_<time>.png — a layout calibration and evaluation read directly");
            let l = ui.label("class");
            ui.add(egui::TextEdit::singleline(&mut self.snap_class).hint_text("class name").desired_width(100.0))
                .labelled_by(l.id);
            if ui.button("Save frame").clicked() {
                out.push(Command::LiveSnapshot(PathBuf::from(self.snap_dir.trim()), self.snap_class.trim().to_string()));
            }
        });
    }
}

/// Frame rate, latency and frame counts of the running view.
fn counters(ui: &mut egui::Ui, st: &Stats, e2e_ms: f64) {
    ui.heading(format!("{:.1} FPS", st.fps));
    ui.label(format!("end to end {e2e_ms:.1} ms"));
    ui.label(format!(
        "frames {} captured, {} shown, {} stale dropped",
        st.captured, st.processed, st.dropped
    ));
}
