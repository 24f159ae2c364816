//! Graph view: draws a cached layout (`gui::layout`) with pan (drag), zoom (wheel), Fit,
//! search that cycles its matches (Enter / Shift+Enter) and zooms to each, a minimap, hover
//! details for boxes, weight rows and edges, semantic zoom (full text, then op name only, then
//! colour only), a selector for the subgraphs and for an ONNX model's own graph, and SVG / PNG
//! export. Only visible boxes and edges are drawn. Click selects; right-click keeps in float.

mod draw;
mod export;

use draw::{draw_edge, draw_full, near_polyline, weights_h};

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use egui::{Align2, FontId, Pos2, Rect, Sense, Shape, Stroke, Vec2};
use pocket_engine::Graph;

use super::Command;
use crate::gui::layout::labels::LABEL_SIZE;
use crate::gui::layout::{LINE_SIZE, Layout, TITLE_SIZE, View, WEIGHT_H, WEIGHT_ROWS};
use crate::gui::theme;

/// Id of the search field (Ctrl+F focuses it).
pub fn search_id() -> egui::Id {
    egui::Id::NULL.with("graph-search")
}

/// Which view of the model is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    /// The main graph as the IR holds it (translated, for ONNX).
    Main,
    /// The file's own graph (ONNX), when present.
    Source,
    /// Subgraph `i` (1-based, as the file numbers them).
    Sub(usize),
}

/// How much a box shows at the current zoom.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Op, attributes, weight rows, edge shapes.
    Full,
    /// Family colour and op name.
    Name,
    /// Family colour only.
    Colour,
}

/// The detail level at zoom `z` (screen pixels per layout unit).
pub fn detail_at(z: f32) -> Detail {
    if LINE_SIZE * z >= 8.5 {
        Detail::Full
    } else if z >= 0.1 {
        Detail::Name
    } else {
        Detail::Colour
    }
}

/// View state.
pub struct GraphView {
    offset: Vec2,
    zoom: f32,
    fitted: bool,
    /// Search text.
    pub search: String,
    /// Colour nodes by quantization error when available.
    pub heat: bool,
    /// The error colours' scale in dB (green at .0 and above, red at .1 and below), for the
    /// legend; the app sets it from the settings.
    pub heat_db: (f64, f64),
    /// The shown view (an ONNX model starts on its own graph).
    pub which: Which,
    /// Show the quantized model's graph instead of the float one (the app passes it).
    pub quantized: bool,
    /// Whether there is a quantized model to switch to (the app sets it).
    pub quant_available: bool,
    matches: Vec<usize>,
    match_key: (String, Which),
    current: Option<usize>,
    expanded: Option<usize>,
    /// Main-graph nodes drawn last frame with their screen rectangles (hit tests, tests).
    drawn: Vec<(usize, Rect)>,
    /// Boxes of the shown view drawn last frame.
    drawn_boxes: Vec<(usize, Rect)>,
    /// Nodes drawn last frame with the keep-in-float outline.
    drawn_kept: Vec<usize>,
    model_path: Option<PathBuf>,
    status: Arc<Mutex<Option<String>>>,
    png_requested: bool,
}

impl Default for GraphView {
    fn default() -> Self {
        GraphView {
            offset: Vec2::ZERO,
            zoom: 1.0,
            fitted: false,
            search: String::new(),
            heat: true,
            heat_db: (40.0, 10.0),
            which: Which::Source,
            quantized: false,
            quant_available: false,
            matches: Vec::new(),
            match_key: (String::new(), Which::Main),
            current: None,
            expanded: None,
            drawn: Vec::new(),
            drawn_boxes: Vec::new(),
            drawn_kept: Vec::new(),
            model_path: None,
            status: Arc::new(Mutex::new(None)),
            png_requested: false,
        }
    }
}

impl GraphView {
    /// Forget the view (new model): fit again, main (or source) graph, no search.
    pub fn reset(&mut self) {
        self.fitted = false;
        self.which = Which::Source;
        self.quantized = false;
        self.quant_available = false;
        self.search.clear();
        self.current = None;
        self.expanded = None;
    }

    /// The model file the view shows (exports go beside it).
    pub fn set_model_path(&mut self, p: &Path) {
        self.model_path = Some(p.to_path_buf());
    }

    /// Screen rectangle of main-graph node `i` as drawn last frame, if it was visible.
    pub fn node_rect(&self, i: usize) -> Option<Rect> {
        self.drawn.iter().find(|d| d.0 == i).map(|d| d.1)
    }

    /// Boxes of the shown view drawn last frame (box index, screen rectangle).
    pub fn drawn_boxes(&self) -> &[(usize, Rect)] {
        &self.drawn_boxes
    }

    /// Nodes drawn last frame with the keep-in-float outline.
    pub fn drawn_kept(&self) -> &[usize] {
        &self.drawn_kept
    }

    /// The search's current match (a box of the shown view) and the number of matches.
    pub fn current_match(&self) -> (Option<usize>, usize) {
        (self.current.map(|c| self.matches[c]), self.matches.len())
    }

    /// Place the camera: `offset` of the layout origin from the canvas corner, and zoom.
    pub fn set_camera(&mut self, offset: Vec2, zoom: f32) {
        self.offset = offset;
        self.zoom = zoom;
        self.fitted = true;
    }

    /// Zoom (screen pixels per layout unit).
    pub fn zoom(&self) -> f32 {
        self.zoom
    }

    /// The view of `l` shown now (falling back to the main graph).
    pub fn shown<'a>(&self, l: &'a Layout) -> &'a View {
        if self.quantized {
            return &l.main;
        }
        match self.which {
            Which::Source => l.source.as_ref().unwrap_or(&l.main),
            Which::Sub(i) => l.subgraphs.get(i.wrapping_sub(1)).unwrap_or(&l.main),
            Which::Main => &l.main,
        }
    }

    /// Show the float or the quantized model (when there is one).
    pub fn show_quantized(&mut self, q: bool) {
        let q = q && self.quant_available;
        if self.quantized != q {
            self.quantized = q;
            self.fitted = false;
            self.expanded = None;
            self.match_key.0 = "\u{0}".into();
        }
    }

    /// Show another view.
    pub fn show(&mut self, w: Which) {
        if self.which != w {
            self.which = w;
            self.fitted = false;
            self.expanded = None;
        }
    }

    fn toolbar(&mut self, ui: &mut egui::Ui, l: &Layout, g: &Graph, heat: bool) -> Option<i32> {
        let mut step = None;
        ui.horizontal_wrapped(|ui| {
            let find = ui.label("Find");
            let r = ui.add(
                egui::TextEdit::singleline(&mut self.search)
                    .hint_text("node, tensor or op (Ctrl+F)")
                    .id(search_id())
                    .desired_width(200.0),
            )
            .labelled_by(find.id);
            if r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                step = Some(if ui.input(|i| i.modifiers.shift) { -1 } else { 1 });
                r.request_focus();
            }
            if !self.search.trim().is_empty() {
                let n = self.matches.len();
                ui.label(match self.current {
                    Some(c) => format!("{} of {n}", c + 1),
                    None => format!("{n} found"),
                });
                if ui.small_button("‹").on_hover_text("Previous match (Shift+Enter)").clicked() {
                    step = Some(-1);
                }
                if ui.small_button("›").on_hover_text("Next match (Enter)").clicked() {
                    step = Some(1);
                }
            }
            if ui.button("Fit").on_hover_text("Show the whole graph").clicked() {
                self.fitted = false;
            }
            if self.quant_available {
                let mut q = self.quantized;
                ui.selectable_value(&mut q, false, "Float model")
                    .on_hover_text("The model as opened");
                ui.selectable_value(&mut q, true, "Quantized model")
                    .on_hover_text("The quantized model: QUANTIZE / DEQUANTIZE where domains change, int8 tensors with their scales (colours: per-layer error once compared)");
                self.show_quantized(q);
            }
            if l.source.is_some() && !self.quantized {
                let title = l.source.as_ref().map_or("", |s| s.title.as_str()).to_string();
                let mut w = self.which;
                ui.selectable_value(&mut w, Which::Source, title)
                    .on_hover_text("The graph as the file states it (op names, NCHW shapes)");
                ui.selectable_value(&mut w, Which::Main, "Translated graph")
                    .on_hover_text("The graph the engine runs (TFLite ops, NHWC)");
                self.show(w);
            }
            if !l.subgraphs.is_empty() && !self.quantized {
                let mut w = self.which;
                let cur = self.shown(l).title.clone();
                egui::ComboBox::from_id_salt("graph-subgraph")
                    .selected_text(cur)
                    .show_ui(ui, |ui| {
                        let main = if l.source.is_some() { Which::Source } else { Which::Main };
                        ui.selectable_value(&mut w, main, "Main graph");
                        for (i, s) in l.subgraphs.iter().enumerate() {
                            ui.selectable_value(&mut w, Which::Sub(i + 1), &s.title);
                        }
                    });
                self.show(w);
            }
            if ui.button("Export SVG").on_hover_text("Write the whole view as an SVG next to the model").clicked() {
                let v = self.shown(l);
                let msg = match export::svg_path(self.model_path.as_deref(), &v.title)
                    .and_then(|p| export::write_svg(v, &p).map(|()| p))
                {
                    Ok(p) => format!("Saved {}", p.display()),
                    Err(e) => format!("Cannot save the SVG: {e}"),
                };
                self.set_status(msg);
            }
            if ui.button("Export PNG").on_hover_text("Save what the canvas shows as a PNG next to the model").clicked() {
                self.png_requested = true;
            }
            if heat {
                ui.checkbox(&mut self.heat, "colour by quantization error")
                    .on_hover_text("Green: layer kept its precision; red: lost the most (per-layer SQNR)");
            }
            let v = self.shown(l);
            ui.weak(format!(
                "{} boxes ({} of {} nodes folded as weights) — drag to pan, wheel to zoom, right-click to keep in float",
                v.nodes.len(),
                v.folded,
                g.nodes.len()
            ));
            if let Some(s) = self.status.lock().ok().and_then(|s| s.clone()) {
                ui.label(s);
            }
        });
        step
    }

    fn set_status(&self, s: String) {
        if let Ok(mut st) = self.status.lock() {
            *st = Some(s);
        }
    }

    /// The command selecting node `i` of the shown graph.
    fn select(&self, i: usize) -> Command {
        if self.quantized {
            Command::SelectQuantized(i)
        } else {
            Command::Select(Some(i))
        }
    }

    /// Centre box `b` of `v` at a readable zoom.
    fn zoom_to(&mut self, v: &View, b: usize, area: Rect) {
        let n = &v.nodes[b];
        self.zoom = self.zoom.clamp(1.0, 2.0);
        let c = Vec2::new(n.pos[0] + n.size[0] / 2.0, n.pos[1] + n.size[1] / 2.0);
        self.offset = area.size() / 2.0 - c * self.zoom;
        self.fitted = true;
    }

    /// Draw. `error` maps main-graph node index to a heat value in [0, 1]; `keep` holds the
    /// names of the nodes kept in float.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        g: &Graph,
        l: &Layout,
        selected: Option<usize>,
        error: &HashMap<usize, f32>,
        keep: &BTreeSet<String>,
    ) -> Vec<Command> {
        let mut out = Vec::new();
        if self.which == Which::Source && l.source.is_none() {
            self.which = Which::Main;
        }
        let step = self.toolbar(ui, l, g, !error.is_empty());
        let v = self.shown(l);
        // Matches follow the query and the view.
        let query = self.search.trim().to_lowercase();
        if self.match_key != (query.clone(), self.which) {
            self.matches = if query.is_empty() {
                Vec::new()
            } else {
                (0..v.nodes.len())
                    .filter(|&b| v.nodes[b].search.contains(&query))
                    .collect()
            };
            self.match_key = (query, self.which);
            self.current = None;
        }
        let (resp, painter) = ui.allocate_painter(ui.available_size(), Sense::click_and_drag());
        let area = resp.rect;
        if !self.fitted && area.width() > 10.0 {
            self.zoom = (area.width() / (v.size[0] + 60.0))
                .min(area.height() / (v.size[1] + 60.0))
                .clamp(0.002, 1.5);
            self.offset = (area.size() - Vec2::new(v.size[0], v.size[1]) * self.zoom) / 2.0;
            self.fitted = true;
        }
        if let Some(s) = step
            && !self.matches.is_empty()
        {
            let n = self.matches.len() as i64;
            let c = match self.current {
                None if s < 0 => n - 1,
                None => 0,
                Some(c) => (c as i64 + s as i64).rem_euclid(n),
            } as usize;
            self.current = Some(c);
            let b = self.matches[c];
            self.zoom_to(v, b, area);
            if let Some(i) = v.nodes[b].ir {
                out.push(self.select(i));
            }
        }
        if resp.dragged() {
            self.offset += resp.drag_delta();
        }
        if resp.hovered() {
            let (scroll, pinch) = ui.input(|i| (i.smooth_scroll_delta.y, i.zoom_delta()));
            let factor = (1.0 + scroll * 0.002) * pinch;
            if factor != 1.0 {
                let pointer = ui.input(|i| i.pointer.hover_pos()).unwrap_or(area.center());
                let old = self.zoom;
                self.zoom = (self.zoom * factor).clamp(0.002, 4.0);
                let p = pointer - area.min;
                self.offset = p - (p - self.offset) * (self.zoom / old);
            }
        }
        let z = self.zoom;
        let origin = area.min + self.offset;
        let to_screen = |p: [f32; 2]| origin + Vec2::new(p[0], p[1]) * z;
        // The visible part of the layout, in layout units (a margin for labels).
        let vis = Rect::from_min_max(
            Pos2::new(
                (area.min.x - origin.x) / z - 40.0,
                (area.min.y - origin.y) / z - 40.0,
            ),
            Pos2::new(
                (area.max.x - origin.x) / z + 40.0,
                (area.max.y - origin.y) / z + 40.0,
            ),
        );
        let painter = painter.with_clip_rect(area);
        let dark = ui.visuals().dark_mode;
        let detail = detail_at(z);
        let pointer = resp.hover_pos();
        // Boxes hit first, so that an edge under a box is not hovered.
        let hovered_box = pointer.and_then(|p| {
            let q = (p - origin) / z;
            v.nodes.iter().position(|n| {
                q.x >= n.pos[0]
                    && q.x <= n.pos[0] + n.size[0]
                    && q.y >= n.pos[1]
                    && q.y <= n.pos[1] + n.size[1]
            })
        });
        // Edges.
        let mut hovered_edge = None;
        let stroke_w = (1.2 * z).clamp(0.6, 2.0);
        let curves = z >= 0.15;
        for (ei, e) in v.edges.iter().enumerate() {
            let b = e.bounds;
            if b[2] < vis.min.x || b[0] > vis.max.x || b[3] < vis.min.y || b[1] > vis.max.y {
                continue;
            }
            let pts: Vec<Pos2> = e.points.iter().map(|&p| to_screen(p)).collect();
            if hovered_box.is_none()
                && hovered_edge.is_none()
                && let Some(p) = pointer
                && near_polyline(&pts, p, 5.0)
            {
                hovered_edge = Some(ei);
            }
            let color = if hovered_edge == Some(ei) {
                theme::EDGE_HOVER
            } else {
                theme::edge(dark)
            };
            draw_edge(&painter, &pts, Stroke::new(stroke_w, color), curves);
            if detail == Detail::Full
                && let Some(at) = e.label_pos
            {
                painter.text(
                    to_screen(at),
                    Align2::LEFT_TOP,
                    &e.label,
                    FontId::proportional(LABEL_SIZE * z),
                    theme::edge_label(dark),
                );
            }
        }
        // Boxes.
        let selected_box = selected.and_then(|s| v.by_ir.get(&s).copied());
        let current = self.current.map(|c| self.matches[c]);
        self.drawn.clear();
        self.drawn_boxes.clear();
        self.drawn_kept.clear();
        let main_view = self.which == Which::Main || self.quantized;
        for (bi, n) in v.nodes.iter().enumerate() {
            if n.pos[0] > vis.max.x
                || n.pos[0] + n.size[0] < vis.min.x
                || n.pos[1] > vis.max.y
                || n.pos[1] + n.size[1] < vis.min.y
            {
                continue;
            }
            let r = Rect::from_min_size(to_screen(n.pos), Vec2::new(n.size[0], n.size[1]) * z);
            self.drawn_boxes.push((bi, r));
            if let Some(i) = n.ir
                && main_view
            {
                self.drawn.push((i, r));
            }
            let heat = n
                .covers
                .iter()
                .filter_map(|c| error.get(c))
                .copied()
                .reduce(f32::max);
            let fill = match heat {
                Some(h) if self.heat => theme::heat(h),
                _ => theme::box_fill(n.look, dark),
            };
            let round = (5.0 * z).min(6.0);
            painter.rect_filled(r, round, fill);
            let kept =
                n.ir.is_some_and(|i| g.nodes.get(i).is_some_and(|x| keep.contains(&x.name)));
            if kept {
                if let Some(i) = n.ir {
                    self.drawn_kept.push(i);
                }
                painter.rect_stroke(
                    r,
                    round,
                    Stroke::new(2.5, theme::keep_float(dark)),
                    egui::StrokeKind::Inside,
                );
            }
            if selected_box == Some(bi) || current == Some(bi) {
                painter.rect_stroke(
                    r,
                    round,
                    Stroke::new(3.0, theme::SELECTED),
                    egui::StrokeKind::Outside,
                );
            } else if self.matches.binary_search(&bi).is_ok() {
                painter.rect_stroke(
                    r,
                    round,
                    Stroke::new(2.0, theme::SEARCH_MATCH),
                    egui::StrokeKind::Outside,
                );
            }
            match detail {
                Detail::Full => draw_full(&painter, n, r, z),
                Detail::Name => {
                    let chars = n.title.chars().count().max(1) as f32;
                    let size = (TITLE_SIZE * 1.3 * z)
                        .min(r.height() * 0.6)
                        .min(r.width() * 0.92 / (chars * 0.6));
                    if size >= 6.0 {
                        painter.text(
                            r.center(),
                            Align2::CENTER_CENTER,
                            &n.title,
                            FontId::proportional(size),
                            theme::NODE_TEXT,
                        );
                    }
                }
                Detail::Colour => {}
            }
        }
        // Arrowheads on top of the boxes' outlines.
        if detail != Detail::Colour {
            for e in &v.edges {
                let Some(&end) = e.points.last() else {
                    continue;
                };
                if !vis.contains(Pos2::new(end[0], end[1])) {
                    continue;
                }
                let p = to_screen(end);
                let s = (6.0 * z).clamp(3.0, 7.0);
                painter.add(Shape::convex_polygon(
                    vec![p, p + Vec2::new(-s * 0.6, -s), p + Vec2::new(s * 0.6, -s)],
                    theme::edge(dark),
                    Stroke::NONE,
                ));
            }
        }
        // The expanded weight list of a box, over the canvas.
        if let Some(b) = self.expanded.filter(|&b| b < v.nodes.len()) {
            let n = &v.nodes[b];
            let at = to_screen([n.pos[0], n.pos[1] + n.size[1]]) + Vec2::new(0.0, 4.0);
            let text = n
                .weights
                .iter()
                .map(|w| w.text.clone())
                .collect::<Vec<_>>()
                .join("\n");
            let galley =
                painter.layout_no_wrap(text, FontId::proportional(12.0), theme::WEIGHT_TEXT);
            let r = Rect::from_min_size(at, galley.size() + Vec2::splat(12.0));
            painter.rect_filled(r, 4.0, theme::POPUP_BG);
            painter.galley(at + Vec2::splat(6.0), galley, theme::WEIGHT_TEXT);
        }
        // Clicks.
        if let Some(p) = resp.interact_pointer_pos()
            && (resp.clicked() || resp.secondary_clicked())
        {
            let q = (p - origin) / z;
            let hit = v.nodes.iter().position(|n| {
                q.x >= n.pos[0]
                    && q.x <= n.pos[0] + n.size[0]
                    && q.y >= n.pos[1]
                    && q.y <= n.pos[1] + n.size[1]
            });
            match hit {
                Some(b) if resp.secondary_clicked() => {
                    if let Some(i) = v.nodes[b].ir {
                        // A source box keeps every node it became.
                        let names: Vec<usize> = if main_view {
                            vec![i]
                        } else {
                            v.nodes[b].covers.clone()
                        };
                        for i in names {
                            if let Some(x) = g.nodes.get(i) {
                                out.push(Command::ToggleKeepFloat(x.name.clone()));
                            }
                        }
                    }
                }
                Some(b) => {
                    let n = &v.nodes[b];
                    // A click on the weight rows opens or closes the full list.
                    let rows_top = n.pos[1] + n.size[1] - weights_h(n);
                    if !n.weights.is_empty() && q.y >= rows_top {
                        self.expanded = if self.expanded == Some(b) {
                            None
                        } else {
                            Some(b)
                        };
                    }
                    if let Some(i) = n.ir {
                        out.push(self.select(i));
                    }
                }
                None => {
                    self.expanded = None;
                    out.push(Command::Select(None));
                }
            }
        }
        // Hover details.
        if !resp.dragged() {
            if let (Some(b), Some(p)) = (hovered_box, pointer) {
                let n = &v.nodes[b];
                let q = (p - origin) / z;
                let rows_top = n.pos[1] + n.size[1] - weights_h(n);
                let row = ((q.y - rows_top - 4.0) / WEIGHT_H).floor();
                let text = if !n.weights.is_empty() && q.y >= rows_top && row >= 0.0 {
                    let k = row as usize;
                    if k < WEIGHT_ROWS.min(n.weights.len()) {
                        n.weights[k].details.clone()
                    } else {
                        format!("{} weights — click to list them all", n.weights.len())
                    }
                } else {
                    n.details.clone()
                };
                resp.clone().on_hover_ui_at_pointer(|ui| {
                    ui.label(text);
                });
            } else if let Some(e) = hovered_edge {
                let text = v.edges[e].details.clone();
                resp.clone().on_hover_ui_at_pointer(|ui| {
                    ui.label(text);
                });
            }
        }
        self.legend(&painter, area, !error.is_empty());
        self.minimap(ui, &painter, v, area);
        if std::mem::take(&mut self.png_requested) {
            self.request_png(ui.ctx(), area, &v.title);
        }
        out
    }

    fn legend(&self, painter: &egui::Painter, area: Rect, heat: bool) {
        if !(self.heat && heat) {
            return;
        }
        let lg = Rect::from_min_size(area.min + Vec2::new(10.0, 10.0), Vec2::new(200.0, 12.0));
        for k in 0..32 {
            let x = lg.min.x + k as f32 * 6.25;
            painter.rect_filled(
                Rect::from_min_size(Pos2::new(x, lg.min.y), Vec2::new(6.25, 12.0)),
                0.0,
                theme::heat(k as f32 / 31.0),
            );
        }
        let (good, bad) = (
            format!("SQNR {:.0} dB and up", self.heat_db.0),
            format!("{:.0} dB and below", self.heat_db.1),
        );
        for (at, align, text) in [
            (lg.left_bottom(), Align2::LEFT_TOP, good.as_str()),
            (lg.right_bottom(), Align2::RIGHT_TOP, bad.as_str()),
        ] {
            painter.text(
                at + Vec2::new(0.0, 3.0),
                align,
                text,
                FontId::proportional(10.0),
                theme::EDGE,
            );
        }
    }

    /// The whole drawing in a corner; a click or drag there moves the view.
    fn minimap(&mut self, ui: &egui::Ui, painter: &egui::Painter, v: &View, area: Rect) {
        // Not needed (and in the way) when the whole drawing is on screen.
        let seen = Rect::from_min_size(
            Pos2::ZERO + (-self.offset / self.zoom),
            area.size() / self.zoom,
        );
        if seen.contains_rect(Rect::from_min_size(
            Pos2::ZERO,
            Vec2::new(v.size[0], v.size[1]),
        )) {
            return;
        }
        let (w, h) = (170.0, 130.0);
        let s = (w / v.size[0].max(1.0)).min(h / v.size[1].max(1.0));
        let mm_size = Vec2::new(v.size[0] * s, v.size[1] * s).max(Vec2::splat(20.0));
        let mm = Rect::from_min_size(area.right_bottom() - mm_size - Vec2::splat(10.0), mm_size);
        let dark = ui.visuals().dark_mode;
        painter.rect_filled(mm.expand(3.0), 4.0, theme::minimap_bg(dark));
        let step = (v.nodes.len() / 3000).max(1);
        for n in v.nodes.iter().step_by(step) {
            let p = mm.min + Vec2::new(n.pos[0], n.pos[1]) * s;
            let r = Rect::from_min_size(
                p,
                (Vec2::new(n.size[0], n.size[1]) * s).max(Vec2::splat(1.0)),
            );
            painter.rect_filled(r, 0.0, theme::look_color(n.look));
        }
        let view = Rect::from_min_size(
            mm.min + (-self.offset / self.zoom) * s,
            area.size() / self.zoom * s,
        );
        painter.rect_stroke(
            view.intersect(mm.expand(2.0)),
            0.0,
            Stroke::new(1.5, theme::minimap_view(dark)),
            egui::StrokeKind::Inside,
        );
        let r = ui.interact(
            mm,
            ui.make_persistent_id("graph-minimap"),
            Sense::click_and_drag(),
        );
        if let Some(p) = r.interact_pointer_pos()
            && (r.clicked() || r.dragged())
        {
            let c = (p - mm.min) / s;
            self.offset = area.size() / 2.0 - c * self.zoom;
        }
    }

    fn request_png(&self, ctx: &egui::Context, area: Rect, title: &str) {
        let path = match export::png_path(self.model_path.as_deref(), title) {
            Ok(p) => p,
            Err(e) => return self.set_status(format!("Cannot save the PNG: {e}")),
        };
        let status = self.status.clone();
        let ppp = ctx.pixels_per_point();
        let repaint = ctx.clone();
        self.set_status("Saving PNG…".into());
        ctx.request_screenshot(move |img| {
            let msg = match export::write_png(&img, area, ppp, &path) {
                Ok(()) => format!("Saved {}", path.display()),
                Err(e) => format!("Cannot save the PNG: {e}"),
            };
            if let Ok(mut s) = status.lock() {
                *s = Some(msg);
            }
            repaint.request_repaint();
        });
    }
}
