//! The Live panel's output views: every view of the plan listed with a kind picker (automatic
//! by default) and per-output SQNR of each model against the float one; boxes and keypoints of
//! all models drawn on one frame in one colour per model, masks over the frame through the
//! crop region the model saw, class bars and heat maps per model; SSD anchor options and
//! decode thresholds editable (views are then rebuilt here from the raw outputs).

use egui::{Color32, ColorImage, Pos2, Rect, Stroke, TextureHandle, TextureOptions};

use crate::camera::anchors::SsdAnchorOptions;
use crate::camera::pipeline::{LiveResult, ModelOutput};
use crate::camera::plan::{self, ShownView, ViewKind, ViewSettings};
use crate::camera::view::OutputView;
use crate::gui::theme;

/// One colour per model: float, quantized, then more.
pub const MODEL_COLOURS: [Color32; 4] = [
    Color32::from_rgb(0, 200, 255),
    Color32::from_rgb(255, 120, 0),
    Color32::from_rgb(220, 60, 220),
    Color32::from_rgb(120, 230, 60),
];

fn colour(k: usize) -> Color32 {
    MODEL_COLOURS[k % MODEL_COLOURS.len()]
}

/// View settings the user edited, and the textures of mask and heat views.
#[derive(Default)]
pub struct ViewsUi {
    overrides: Vec<(usize, ViewKind)>,
    anchors: Option<SsdAnchorOptions>,
    strides_text: String,
    ratios_text: String,
    min_score: Option<f32>,
    iou: Option<f32>,
    /// [view][model] textures, rebuilt per shown frame.
    tex: Vec<Vec<Option<TextureHandle>>>,
    shown: (u64, u64),
    generation: u64,
    rebuilt: Vec<Vec<ShownView>>,
}

fn list<T: std::str::FromStr>(s: &str) -> Option<Vec<T>> {
    let v: Option<Vec<T>> = s
        .split([',', ' '])
        .filter(|t| !t.trim().is_empty())
        .map(|t| t.trim().parse().ok())
        .collect();
    v.filter(|v| !v.is_empty())
}

fn join<T: std::fmt::Display>(v: &[T]) -> String {
    v.iter()
        .map(|x| x.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// An RGBA image for a mask or heat view.
pub fn overlay(view: &OutputView) -> Option<ColorImage> {
    let (w, h, px): (usize, usize, Vec<u8>) = match view {
        OutputView::Mask {
            w,
            h,
            classes,
            data,
        } => {
            let px = data
                .iter()
                .flat_map(|&v| {
                    if *classes == 1 {
                        [255, 40, 40, (v.clamp(0.0, 1.0) * 160.0) as u8]
                    } else {
                        let c = v as usize;
                        let [r, g, b] = super::class_colour(c);
                        [r, g, b, if c == 0 { 0 } else { 140 }]
                    }
                })
                .collect();
            (*w, *h, px)
        }
        OutputView::Heat { w, h, data, .. } => {
            let px = data
                .iter()
                .flat_map(|&v| {
                    let v = v.clamp(0.0, 1.0);
                    [
                        (255.0 * v) as u8,
                        (80.0 * (1.0 - v)) as u8,
                        (255.0 * (1.0 - v)) as u8,
                        255,
                    ]
                })
                .collect();
            (*w, *h, px)
        }
        _ => return None,
    };
    if w == 0 || h == 0 || px.len() != w * h * 4 {
        return None;
    }
    Some(ColorImage::from_rgba_unmultiplied([w, h], &px))
}

impl ViewsUi {
    /// Forget textures (model closed) and the user's choices (they belong to the model).
    pub fn reset(&mut self) {
        *self = ViewsUi::default();
    }

    fn custom(&self) -> bool {
        !self.overrides.is_empty()
            || self.anchors.is_some()
            || self.min_score.is_some()
            || self.iou.is_some()
    }

    fn settings(&self, r: &LiveResult) -> ViewSettings {
        let mut s = ViewSettings::new(
            (r.crop.width() as usize, r.crop.height() as usize),
            r.labels.to_vec(),
            crate::camera::pipeline::TOP_K,
        );
        s.overrides = self.overrides.clone();
        s.anchors = self.anchors.clone();
        if let Some(v) = self.min_score {
            s.decode.min_score = v;
        }
        if let Some(v) = self.iou {
            s.decode.iou = v;
        }
        s
    }

    /// The views to show for each model: the pipeline's, or rebuilt with the user's settings.
    fn views<'a>(&'a mut self, r: &'a LiveResult) -> Vec<&'a [ShownView]> {
        if !self.custom() {
            return r.outputs.iter().map(|o| o.views.as_slice()).collect();
        }
        if self.shown != (r.seq, self.generation) || self.rebuilt.len() != r.outputs.len() {
            let s = self.settings(r);
            let mut outs: Vec<ModelOutput> = r.outputs.clone();
            crate::camera::pipeline::fill_views(&mut outs, &s);
            self.rebuilt = outs.into_iter().map(|o| o.views).collect();
        }
        self.rebuilt.iter().map(|v| v.as_slice()).collect()
    }

    /// Draw every view of `r`; `frame` is the frame's texture.
    pub fn ui(&mut self, ui: &mut egui::Ui, r: &LiveResult, frame: Option<&TextureHandle>) {
        let ctx = ui.ctx().clone();
        let key = (r.seq, self.generation);
        let fresh = self.shown != key;
        let views: Vec<Vec<ShownView>> = self.views(r).into_iter().map(|v| v.to_vec()).collect();
        self.shown = key;
        let Some(plans) = views.iter().find(|v| !v.is_empty()) else {
            return;
        };
        let plans: Vec<plan::ViewPlan> = plans.iter().map(|v| v.plan.clone()).collect();
        if fresh || self.tex.len() != plans.len() {
            self.tex.resize_with(plans.len(), Vec::new);
            for (vi, t) in self.tex.iter_mut().enumerate() {
                t.resize_with(views.len(), || None);
                for (k, mv) in views.iter().enumerate() {
                    match mv.get(vi).and_then(|v| overlay(&v.view)) {
                        Some(img) => match &mut t[k] {
                            Some(h) => h.set(img, TextureOptions::NEAREST),
                            None => {
                                t[k] = Some(ctx.load_texture(
                                    format!("live-view-{vi}-{k}"),
                                    img,
                                    TextureOptions::NEAREST,
                                ))
                            }
                        },
                        None => t[k] = None,
                    }
                }
            }
        }
        let shapes: Vec<Vec<usize>> = r
            .outputs
            .iter()
            .find(|o| !o.raw.is_empty())
            .map(|o| o.raw.iter().map(|x| x.shape.clone()).collect())
            .unwrap_or_default();
        let fw = r.frame.width().max(1) as f32;
        let fh = r.frame.height().max(1) as f32;
        for (vi, p) in plans.iter().enumerate() {
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.set_min_width(ui.available_width());
                self.header_ui(ui, vi, p, &shapes, r);
                if p.kind == ViewKind::Ssd {
                    self.anchors_ui(ui, &shapes, p, r);
                }
                let per_model: Vec<Option<&OutputView>> =
                    views.iter().map(|v| v.get(vi).map(|s| &s.view)).collect();
                match per_model.iter().flatten().next() {
                    Some(OutputView::Detections { .. }) | Some(OutputView::Landmarks(_)) => {
                        on_frame_ui(ui, &per_model, &r.outputs, frame, r.crop_in_frame, fw, fh)
                    }
                    _ => self.columns_ui(ui, vi, &per_model, r, frame, fw, fh),
                }
            });
        }
    }

    fn header_ui(
        &mut self,
        ui: &mut egui::Ui,
        vi: usize,
        p: &plan::ViewPlan,
        shapes: &[Vec<usize>],
        r: &LiveResult,
    ) {
        ui.horizontal_wrapped(|ui| {
            let names: Vec<String> = p
                .outputs
                .iter()
                .map(|&i| {
                    let name = r
                        .outputs
                        .iter()
                        .find_map(|o| o.raw.get(i).map(|x| x.name.clone()))
                        .unwrap_or_default();
                    format!("output {i} {name} {:?}", shapes.get(i).cloned().unwrap_or_default())
                })
                .collect();
            ui.strong(names.join(" + "));
            let auto = p.outputs[0];
            let mut chosen = p.kind;
            egui::ComboBox::from_id_salt(("live-view-kind", vi))
                .selected_text(p.kind.label())
                .show_ui(ui, |ui| {
                    for k in plan::choices(p, shapes) {
                        ui.selectable_value(&mut chosen, k, k.label());
                    }
                    if !self.overrides.is_empty() && ui.button("automatic").clicked() {
                        self.overrides.retain(|o| o.0 != auto);
                        self.generation += 1;
                    }
                })
                .response
                .on_hover_text("How this output is shown (picked from its shape; switch here)");
            if chosen != p.kind {
                self.overrides.retain(|o| o.0 != auto);
                self.overrides.push((auto, chosen));
                self.generation += 1;
            }
            for (k, o) in r.outputs.iter().enumerate().skip(1) {
                for &i in &p.outputs {
                    match o.sqnr_db.get(i).copied().flatten() {
                        Some(db) => ui.colored_label(
                            colour(k),
                            if db.is_finite() {
                                format!("{} SQNR {db:.1} dB", o.name)
                            } else {
                                format!("{} SQNR exact", o.name)
                            },
                        ),
                        None => ui.weak(format!("{} SQNR —", o.name)),
                    }
                    .on_hover_text(format!(
                        "Signal-to-quantization-noise ratio of output {i} against the first model, this frame"
                    ));
                }
            }
        });
    }

    fn anchors_ui(
        &mut self,
        ui: &mut egui::Ui,
        shapes: &[Vec<usize>],
        p: &plan::ViewPlan,
        r: &LiveResult,
    ) {
        let n = shapes
            .get(p.outputs[0])
            .and_then(|s| s.get(1))
            .copied()
            .unwrap_or(0);
        let input = (r.crop.width() as usize, r.crop.height() as usize);
        let mut changed = false;
        egui::CollapsingHeader::new("Anchor options and thresholds")
            .id_salt("live-anchors")
            .show(ui, |ui| {
                ui.horizontal_wrapped(|ui| {
                    ui.label("preset");
                    for preset in SsdAnchorOptions::presets() {
                        if ui
                            .button(&preset.name)
                            .on_hover_text(format!(
                                "{}x{}, {} anchors",
                                preset.input_w,
                                preset.input_h,
                                preset.count()
                            ))
                            .clicked()
                        {
                            self.strides_text = join(&preset.strides);
                            self.ratios_text = join(&preset.aspect_ratios);
                            self.anchors = Some(preset);
                            changed = true;
                        }
                    }
                    if self.anchors.is_some() && ui.button("automatic").clicked() {
                        self.anchors = None;
                        changed = true;
                    }
                });
                let mut a = self.anchors.clone().unwrap_or_else(|| {
                    SsdAnchorOptions::preset_for(n, input)
                        .unwrap_or_else(SsdAnchorOptions::face_short_range)
                });
                if self.strides_text.is_empty() {
                    self.strides_text = join(&a.strides);
                    self.ratios_text = join(&a.aspect_ratios);
                }
                let before = a.clone();
                ui.horizontal_wrapped(|ui| {
                    ui.label("layers");
                    ui.add(egui::DragValue::new(&mut a.num_layers).range(1..=8));
                    ui.label("scale");
                    ui.add(
                        egui::DragValue::new(&mut a.min_scale)
                            .speed(0.001)
                            .range(0.0..=2.0),
                    );
                    ui.label("…");
                    ui.add(
                        egui::DragValue::new(&mut a.max_scale)
                            .speed(0.001)
                            .range(0.0..=2.0),
                    );
                    ui.label("input");
                    ui.add(egui::DragValue::new(&mut a.input_w).range(1..=4096));
                    ui.label("x");
                    ui.add(egui::DragValue::new(&mut a.input_h).range(1..=4096));
                    ui.label("offset");
                    ui.add(
                        egui::DragValue::new(&mut a.offset_x)
                            .speed(0.01)
                            .range(0.0..=1.0),
                    );
                    ui.add(
                        egui::DragValue::new(&mut a.offset_y)
                            .speed(0.01)
                            .range(0.0..=1.0),
                    );
                });
                ui.horizontal_wrapped(|ui| {
                    ui.label("strides");
                    ui.add(egui::TextEdit::singleline(&mut self.strides_text).desired_width(90.0));
                    ui.label("aspect ratios");
                    ui.add(egui::TextEdit::singleline(&mut self.ratios_text).desired_width(70.0));
                    ui.label("interpolated");
                    ui.add(
                        egui::DragValue::new(&mut a.interpolated_scale_aspect_ratio)
                            .speed(0.01)
                            .range(0.0..=4.0),
                    );
                    ui.checkbox(&mut a.fixed_anchor_size, "fixed anchor size");
                    ui.checkbox(&mut a.reduce_boxes_in_lowest_layer, "reduce lowest layer");
                });
                if let Some(s) =
                    list::<usize>(&self.strides_text).filter(|s| s.iter().all(|&v| v > 0))
                {
                    a.strides = s;
                }
                if let Some(s) =
                    list::<f32>(&self.ratios_text).filter(|s| s.iter().all(|&v| v > 0.0))
                {
                    a.aspect_ratios = s;
                }
                let count = a.count();
                ui.label(format!("{count} anchors; the model has {n}"));
                if a != before {
                    a.name = "edited".into();
                    self.anchors = Some(a);
                    changed = true;
                }
                ui.horizontal(|ui| {
                    let mut score = self.min_score.unwrap_or(0.5);
                    let mut iou = self.iou.unwrap_or(0.3);
                    ui.label("min score");
                    let a = ui.add(egui::Slider::new(&mut score, 0.0..=1.0));
                    ui.label("NMS IoU");
                    let b = ui.add(egui::Slider::new(&mut iou, 0.0..=1.0));
                    if a.changed() || b.changed() {
                        self.min_score = Some(score);
                        self.iou = Some(iou);
                        changed = true;
                    }
                });
            });
        if changed {
            self.generation += 1;
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn columns_ui(
        &self,
        ui: &mut egui::Ui,
        vi: usize,
        per_model: &[Option<&OutputView>],
        r: &LiveResult,
        frame: Option<&TextureHandle>,
        fw: f32,
        fh: f32,
    ) {
        ui.columns(per_model.len().max(1), |cols| {
            for (k, v) in per_model.iter().enumerate() {
                let ui = &mut cols[k];
                ui.colored_label(colour(k), &r.outputs[k].name);
                let tex = self
                    .tex
                    .get(vi)
                    .and_then(|t| t.get(k))
                    .and_then(Option::as_ref);
                match v {
                    Some(OutputView::Classes(top)) => {
                        for (i, (_, label, p)) in top.iter().enumerate() {
                            let bar = egui::ProgressBar::new(*p)
                                .text(format!("{label}  {:.1}%", 100.0 * p))
                                .desired_width(ui.available_width());
                            ui.add(if i == 0 {
                                bar.fill(theme::SCORE_BAR)
                            } else {
                                bar
                            });
                        }
                    }
                    Some(OutputView::Mask { classes, .. }) => {
                        ui.label(if *classes == 1 {
                            "mask (score)".to_string()
                        } else {
                            format!("mask ({classes} classes, arg-max)")
                        });
                        if let Some(f) = frame {
                            let w = ui.available_width().min(320.0);
                            let rr = image_at(ui, f, egui::vec2(w, w * fh / fw));
                            if let Some(t) = tex {
                                let uv = Rect::from_min_max(Pos2::ZERO, egui::pos2(1.0, 1.0));
                                ui.painter().image(
                                    t.id(),
                                    sub_rect(rr, r.crop_in_frame),
                                    uv,
                                    theme::IMAGE_TINT,
                                );
                            }
                        }
                    }
                    Some(OutputView::Heat { min, max, w, h, .. }) => {
                        ui.label(format!("raw output {h}x{w}, {min:.3} … {max:.3}"));
                        if let Some(t) = tex {
                            let s = (200.0 / (*w.max(h) as f32)).min(40.0);
                            let (iw, ih) = (*w as f32 * s, (*h as f32 * s).max(4.0));
                            ui.image((t.id(), egui::vec2(iw, ih.min(400.0))));
                        }
                    }
                    Some(_) | None => {}
                }
            }
        });
    }
}

/// Draw `t` at exactly `size` and return where: overlays are painted through this rect (a
/// widget's response rect may be wider than the picture in a justified layout).
fn image_at(ui: &mut egui::Ui, t: &TextureHandle, size: egui::Vec2) -> Rect {
    let (rect, _) = ui.allocate_exact_size(size, egui::Sense::hover());
    egui::Image::new((t.id(), size)).paint_at(ui, rect);
    rect
}

/// `inner` (normalized) inside `outer`.
fn sub_rect(outer: Rect, inner: [f32; 4]) -> Rect {
    let at = |x: f32, y: f32| {
        egui::pos2(
            outer.min.x + x * outer.width(),
            outer.min.y + y * outer.height(),
        )
    };
    Rect::from_min_max(at(inner[0], inner[1]), at(inner[2], inner[3]))
}

/// Boxes and points of every model on one frame.
fn on_frame_ui(
    ui: &mut egui::Ui,
    per_model: &[Option<&OutputView>],
    outputs: &[ModelOutput],
    frame: Option<&TextureHandle>,
    crop: [f32; 4],
    fw: f32,
    fh: f32,
) {
    ui.horizontal_wrapped(|ui| {
        for (k, v) in per_model.iter().enumerate() {
            let name = outputs.get(k).map_or("", |o| o.name.as_str());
            let text = match v {
                Some(OutputView::Detections { boxes, note }) => {
                    let best = boxes
                        .first()
                        .map_or(String::new(), |b| format!(", best {:.2}", b.score));
                    format!("{name}: {} boxes{best} — {note}", boxes.len())
                }
                Some(OutputView::Landmarks(p)) => format!("{name}: {} points", p.len()),
                _ => format!("{name}: —"),
            };
            ui.colored_label(colour(k), text);
        }
    });
    let Some(f) = frame else { return };
    let w = ui.available_width().min(640.0);
    let rect = image_at(ui, f, egui::vec2(w, w * fh / fw));
    let area = sub_rect(rect, crop);
    let painter = ui.painter_at(rect);
    if crop != [0.0, 0.0, 1.0, 1.0] {
        painter.rect_stroke(
            area,
            0.0,
            Stroke::new(1.0, Color32::from_white_alpha(90)),
            egui::StrokeKind::Inside,
        );
    }
    let map = |p: [f32; 2]| {
        egui::pos2(
            area.min.x + p[0] * area.width(),
            area.min.y + p[1] * area.height(),
        )
    };
    for (k, v) in per_model.iter().enumerate() {
        let c = colour(k);
        match v {
            Some(OutputView::Detections { boxes, .. }) => {
                for b in boxes {
                    let r = Rect::from_two_pos(
                        map([b.rect[0], b.rect[1]]),
                        map([b.rect[2], b.rect[3]]),
                    );
                    painter.rect_stroke(r, 0.0, Stroke::new(2.0, c), egui::StrokeKind::Middle);
                    painter.text(
                        if k == 0 {
                            r.left_top()
                        } else {
                            r.left_bottom()
                        },
                        if k == 0 {
                            egui::Align2::LEFT_BOTTOM
                        } else {
                            egui::Align2::LEFT_TOP
                        },
                        format!("{} {:.2}", b.class, b.score),
                        egui::FontId::proportional(11.0),
                        c,
                    );
                    for &p in &b.keypoints {
                        painter.circle_filled(map(p), 2.5, c);
                    }
                }
            }
            Some(OutputView::Landmarks(pts)) => {
                for &p in pts {
                    painter.circle_filled(map(p), 1.6, c);
                }
            }
            _ => {}
        }
    }
}
