//! Graph view: draws the cached layout with pan (drag), zoom (wheel), fit, search, a minimap,
//! and only the nodes and edges that are visible. Click selects; right-click toggles float.

use std::collections::{BTreeSet, HashMap};

use egui::{Align2, FontId, Pos2, Rect, Sense, Stroke, Vec2};
use pocket_engine::Graph;

use super::Command;
use crate::gui::layout::{Layout, NODE_H, NODE_W};
use crate::gui::theme;

/// Id of the search field (Ctrl+F focuses it).
pub fn search_id() -> egui::Id {
    egui::Id::NULL.with("graph-search")
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
    /// Nodes drawn last frame with their screen rectangles (hit tests, tests).
    drawn: Vec<(usize, Rect)>,
    /// Nodes drawn last frame with the keep-in-float outline.
    drawn_kept: Vec<usize>,
}

impl Default for GraphView {
    fn default() -> Self {
        GraphView {
            offset: Vec2::ZERO,
            zoom: 1.0,
            fitted: false,
            search: String::new(),
            heat: true,
            drawn: Vec::new(),
            drawn_kept: Vec::new(),
        }
    }
}

impl GraphView {
    /// Forget the view (new model).
    pub fn reset(&mut self) {
        self.fitted = false;
    }

    /// Screen rectangle of node `i` as drawn last frame, if it was visible.
    pub fn node_rect(&self, i: usize) -> Option<Rect> {
        self.drawn.iter().find(|d| d.0 == i).map(|d| d.1)
    }

    /// Nodes drawn last frame with the keep-in-float outline.
    pub fn drawn_kept(&self) -> &[usize] {
        &self.drawn_kept
    }

    /// Draw. `error` maps node index to a heat value in [0, 1]; `keep` holds the names of the
    /// nodes kept in float.
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
        ui.horizontal(|ui| {
            ui.label("Find");
            ui.add(
                egui::TextEdit::singleline(&mut self.search)
                    .hint_text("node, tensor or op (Ctrl+F)")
                    .id(search_id())
                    .desired_width(220.0),
            );
            if ui
                .button("Fit")
                .on_hover_text("Show the whole graph")
                .clicked()
            {
                self.fitted = false;
            }
            if !error.is_empty() {
                ui.checkbox(&mut self.heat, "colour by quantization error")
                    .on_hover_text(
                        "Green: layer kept its precision; red: lost the most (per-layer SQNR)",
                    );
            }
            ui.weak(format!(
                "{} nodes — drag to pan, wheel to zoom, right-click to keep a node in float",
                g.nodes.len()
            ));
        });
        let (resp, painter) = ui.allocate_painter(ui.available_size(), Sense::click_and_drag());
        let area = resp.rect;
        if !self.fitted && area.width() > 10.0 {
            self.zoom = (area.width() / (l.size[0] + 40.0))
                .min(area.height() / (l.size[1] + 40.0))
                .clamp(0.02, 1.5);
            self.offset = Vec2::new((area.width() - l.size[0] * self.zoom) / 2.0, 20.0);
            self.fitted = true;
        }
        if resp.dragged() {
            self.offset += resp.drag_delta();
        }
        if resp.hovered() {
            let scroll = ui.input(|i| i.smooth_scroll_delta.y);
            if scroll != 0.0 {
                let pointer = ui.input(|i| i.pointer.hover_pos()).unwrap_or(area.center());
                let old = self.zoom;
                self.zoom = (self.zoom * (1.0 + scroll * 0.002)).clamp(0.02, 4.0);
                let p = pointer - area.min.to_vec2();
                self.offset = p.to_vec2() - (p.to_vec2() - self.offset) * (self.zoom / old);
            }
        }
        // Search: jump to the first match.
        let query = self.search.trim().to_lowercase();
        let matches = |i: usize| {
            !query.is_empty() && {
                let n = &g.nodes[i];
                n.name.to_lowercase().contains(&query)
                    || n.op.name().to_lowercase().contains(&query)
                    || n.outputs
                        .iter()
                        .any(|&t| g.tensors[t].name.to_lowercase().contains(&query))
            }
        };
        let to_screen = |p: [f32; 2]| area.min + self.offset + Vec2::new(p[0], p[1]) * self.zoom;
        let visible = area.expand(20.0);
        let z = self.zoom;
        for &(a, b, _t) in &l.edges {
            let (pa, pb) = (
                to_screen([l.pos[a][0] + NODE_W / 2.0, l.pos[a][1] + NODE_H]),
                to_screen([l.pos[b][0] + NODE_W / 2.0, l.pos[b][1]]),
            );
            if visible.intersects(Rect::from_two_pos(pa, pb)) {
                painter.line_segment([pa, pb], Stroke::new(1.0, theme::EDGE));
            }
        }
        let font = FontId::proportional((11.0 * z).clamp(6.0, 14.0));
        let mut clicked = None;
        self.drawn.clear();
        self.drawn_kept.clear();
        for (i, node) in g.nodes.iter().enumerate() {
            let r = Rect::from_min_size(to_screen(l.pos[i]), Vec2::new(NODE_W, NODE_H) * z);
            if !visible.intersects(r) {
                continue;
            }
            self.drawn.push((i, r));
            let name = node.op.name();
            let fill = match error.get(&i) {
                Some(&h) if self.heat => theme::heat(h),
                _ => theme::op_color(&node.op),
            };
            painter.rect_filled(r, 4.0 * z, fill);
            if selected == Some(i) || matches(i) {
                painter.rect_stroke(
                    r,
                    4.0 * z,
                    Stroke::new(3.0, theme::SELECTED),
                    egui::StrokeKind::Outside,
                );
            }
            if keep.contains(&node.name) {
                self.drawn_kept.push(i);
                painter.rect_stroke(
                    r,
                    4.0 * z,
                    Stroke::new(2.0, theme::KEEP_FLOAT),
                    egui::StrokeKind::Inside,
                );
            }
            if z > 0.35 {
                let shape = node
                    .outputs
                    .first()
                    .map(|&t| format!("{:?}", g.tensors[t].shape))
                    .unwrap_or_default();
                painter.text(
                    r.center() - Vec2::new(0.0, 6.0 * z),
                    Align2::CENTER_CENTER,
                    &name,
                    font.clone(),
                    theme::NODE_TEXT,
                );
                painter.text(
                    r.center() + Vec2::new(0.0, 8.0 * z),
                    Align2::CENTER_CENTER,
                    shape,
                    FontId::proportional((9.0 * z).clamp(5.0, 11.0)),
                    theme::NODE_TEXT,
                );
            }
            if let Some(p) = resp.interact_pointer_pos()
                && r.contains(p)
                && (resp.clicked() || resp.secondary_clicked())
            {
                clicked = Some((i, resp.secondary_clicked()));
            }
        }
        match clicked {
            Some((i, true)) => out.push(Command::ToggleKeepFloat(g.nodes[i].name.clone())),
            Some((i, false)) => out.push(Command::Select(Some(i))),
            None if resp.clicked() => out.push(Command::Select(None)),
            None => {}
        }
        // Heat legend.
        if self.heat && !error.is_empty() {
            let lg = Rect::from_min_size(area.min + Vec2::new(10.0, 10.0), Vec2::new(160.0, 12.0));
            for k in 0..32 {
                let x = lg.min.x + k as f32 * 5.0;
                painter.rect_filled(
                    Rect::from_min_size(Pos2::new(x, lg.min.y), Vec2::new(5.0, 12.0)),
                    0.0,
                    theme::heat(k as f32 / 31.0),
                );
            }
            painter.text(
                lg.left_bottom() + Vec2::new(0.0, 3.0),
                Align2::LEFT_TOP,
                "kept precision",
                FontId::proportional(10.0),
                theme::EDGE,
            );
            painter.text(
                lg.right_bottom() + Vec2::new(0.0, 3.0),
                Align2::RIGHT_TOP,
                "lost most",
                FontId::proportional(10.0),
                theme::EDGE,
            );
        }
        // Minimap.
        let mm = Rect::from_min_size(
            area.right_bottom() - Vec2::new(170.0, 130.0),
            Vec2::new(160.0, 120.0),
        );
        painter.rect_filled(mm, 4.0, theme::MINIMAP_BG);
        let s = (mm.width() / l.size[0].max(1.0)).min(mm.height() / l.size[1].max(1.0));
        let step = (g.nodes.len() / 4000).max(1);
        for i in (0..g.nodes.len()).step_by(step) {
            let p = mm.min + Vec2::new(l.pos[i][0], l.pos[i][1]) * s;
            painter.rect_filled(
                Rect::from_min_size(p, Vec2::new((NODE_W * s).max(1.0), (NODE_H * s).max(1.0))),
                0.0,
                theme::op_color(&g.nodes[i].op),
            );
        }
        let view = Rect::from_min_size(
            mm.min + (-self.offset / self.zoom) * s,
            area.size() / self.zoom * s,
        );
        painter.rect_stroke(
            view.intersect(mm),
            0.0,
            Stroke::new(1.0, theme::MINIMAP_VIEW),
            egui::StrokeKind::Inside,
        );
        if let (Some(i), true) = (
            (0..g.nodes.len()).find(|&i| matches(i)),
            ui.input(|i| i.key_pressed(egui::Key::Enter)),
        ) {
            self.offset = area.center().to_vec2()
                - area.min.to_vec2()
                - Vec2::new(l.pos[i][0] + NODE_W / 2.0, l.pos[i][1]) * self.zoom;
            out.push(Command::Select(Some(i)));
        }
        out
    }
}
