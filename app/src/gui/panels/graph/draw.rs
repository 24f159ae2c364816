//! Drawing helpers of the graph view: a box's text at full detail, routed edges, hit tests.

use egui::{Align2, Color32, FontId, Pos2, Rect, Shape, Stroke};

use crate::gui::layout::{
    LINE_H, LINE_SIZE, PAD, TITLE_H, TITLE_SIZE, VNode, WEIGHT_H, WEIGHT_ROWS,
};
use crate::gui::theme;

/// Height of a box's weight rows band.
pub fn weights_h(n: &VNode) -> f32 {
    let rows = n.weights.len().min(WEIGHT_ROWS + 1);
    if rows == 0 {
        0.0
    } else {
        4.0 + rows as f32 * WEIGHT_H + PAD * 0.75
    }
}

/// Title, attribute lines and weight rows of a box at zoom `z`.
pub fn draw_full(painter: &egui::Painter, n: &VNode, r: Rect, z: f32) {
    let x = r.min.x + PAD * z;
    let mut y = r.min.y + PAD * z;
    painter.text(
        Pos2::new(x, y),
        Align2::LEFT_TOP,
        &n.title,
        FontId::proportional(TITLE_SIZE * z),
        theme::NODE_TEXT,
    );
    y += TITLE_H * z;
    let line_font = FontId::proportional(LINE_SIZE * z);
    for l in &n.lines {
        painter.text(
            Pos2::new(x, y),
            Align2::LEFT_TOP,
            l,
            line_font.clone(),
            theme::NODE_TEXT,
        );
        y += LINE_H * z;
    }
    if n.weights.is_empty() {
        return;
    }
    let band = Rect::from_min_max(Pos2::new(r.min.x, y), Pos2::new(r.max.x, r.max.y));
    painter.rect_filled(band, egui::CornerRadius::ZERO, theme::WEIGHT_BAND);
    y += 4.0 * z;
    let wfont = FontId::proportional(LINE_SIZE * 0.92 * z);
    for w in n.weights.iter().take(WEIGHT_ROWS) {
        painter.text(
            Pos2::new(x, y),
            Align2::LEFT_TOP,
            &w.text,
            wfont.clone(),
            theme::WEIGHT_TEXT,
        );
        y += WEIGHT_H * z;
    }
    if n.weights.len() > WEIGHT_ROWS {
        let more = format!("+{} more…", n.weights.len() - WEIGHT_ROWS);
        painter.text(
            Pos2::new(x, y),
            Align2::LEFT_TOP,
            more,
            wfont,
            theme::WEIGHT_TEXT,
        );
    }
}

/// An edge through its route: curves between ranks, straight down through a rank's gap.
pub fn draw_edge(painter: &egui::Painter, pts: &[Pos2], stroke: Stroke, curves: bool) {
    if !curves || pts.len() < 2 {
        painter.add(Shape::line(pts.to_vec(), stroke));
        return;
    }
    for (k, w) in pts.windows(2).enumerate() {
        let (a, b) = (w[0], w[1]);
        if k % 2 == 1 || (a.x - b.x).abs() < 0.5 {
            painter.line_segment([a, b], stroke);
        } else {
            let m = (a.y + b.y) / 2.0;
            painter.add(egui::epaint::CubicBezierShape::from_points_stroke(
                [a, Pos2::new(a.x, m), Pos2::new(b.x, m), b],
                false,
                Color32::TRANSPARENT,
                stroke,
            ));
        }
    }
}

/// Whether `p` is within `tol` of the polyline (curves approximated by their chords' and
/// control points' hull, close enough for hovering).
pub fn near_polyline(pts: &[Pos2], p: Pos2, tol: f32) -> bool {
    pts.windows(2).any(|w| {
        let (a, b) = (w[0], w[1]);
        let m = (a.y + b.y) / 2.0;
        // The curve's midpoint and its two halves' chords.
        let mid = Pos2::new((a.x + b.x) / 2.0, m);
        let segs = [
            (a, Pos2::new(a.x, m)),
            (Pos2::new(a.x, m), mid),
            (mid, Pos2::new(b.x, m)),
            (Pos2::new(b.x, m), b),
        ];
        segs.iter().any(|&(s, t)| dist_to_segment(p, s, t) <= tol)
    })
}

pub fn dist_to_segment(p: Pos2, a: Pos2, b: Pos2) -> f32 {
    let ab = b - a;
    let len2 = ab.length_sq();
    let t = if len2 > 0.0 {
        ((p - a).dot(ab) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (a + ab * t - p).length()
}
