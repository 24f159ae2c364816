//! Where each edge's shape label goes: beside the edge near its target (else near its
//! source), at the first candidate spot that overlaps no box and no label placed before it;
//! an edge with no free spot gets no label (its shape stays on hover). A grid of buckets keeps
//! this linear in the number of boxes and edges. Geometry only.

use std::collections::HashMap;

use super::{LINE_SIZE, VEdge, VNode};

/// Font size of an edge label (layout units).
pub const LABEL_SIZE: f32 = LINE_SIZE * 0.85;
/// Height of an edge label.
const LABEL_H: f32 = LABEL_SIZE + 2.0;
const CELL: f32 = 160.0;

/// Estimated width of `text` at the label size (proportional glyphs).
pub fn label_w(text: &str) -> f32 {
    text.chars().count() as f32 * LABEL_SIZE * 0.58 + 2.0
}

type R = [f32; 4];

fn overlaps(a: &R, b: &R) -> bool {
    a[0] < b[2] && b[0] < a[2] && a[1] < b[3] && b[1] < a[3]
}

#[derive(Default)]
struct Grid {
    cells: HashMap<(i32, i32), Vec<R>>,
}

impl Grid {
    fn keys(r: &R) -> impl Iterator<Item = (i32, i32)> {
        let (x0, x1) = ((r[0] / CELL).floor() as i32, (r[2] / CELL).floor() as i32);
        let (y0, y1) = ((r[1] / CELL).floor() as i32, (r[3] / CELL).floor() as i32);
        (x0..=x1).flat_map(move |x| (y0..=y1).map(move |y| (x, y)))
    }
    fn insert(&mut self, r: R) {
        for k in Self::keys(&r) {
            self.cells.entry(k).or_default().push(r);
        }
    }
    fn free(&self, r: &R) -> bool {
        Self::keys(r).all(|k| {
            self.cells
                .get(&k)
                .is_none_or(|v| v.iter().all(|o| !overlaps(o, r)))
        })
    }
}

/// Set `label_pos` of every edge of `edges` between `nodes`.
pub fn place(nodes: &[VNode], edges: &mut [VEdge]) {
    let mut grid = Grid::default();
    for n in nodes {
        grid.insert([
            n.pos[0] - 2.0,
            n.pos[1] - 2.0,
            n.pos[0] + n.size[0] + 2.0,
            n.pos[1] + n.size[1] + 2.0,
        ]);
    }
    for e in edges.iter_mut() {
        e.label_pos = None;
        if e.label.is_empty() || e.points.len() < 2 {
            continue;
        }
        let w = label_w(&e.label);
        let end = e.points[e.points.len() - 1];
        let start = e.points[0];
        let mut cands: Vec<[f32; 2]> = Vec::with_capacity(12);
        // Above the target, right then left of the line, stepping up the gap.
        for row in 0..3 {
            let y = end[1] - 3.0 - LABEL_H * (row as f32 + 1.0);
            cands.push([end[0] + 4.0, y]);
            cands.push([end[0] - 4.0 - w, y]);
        }
        // Below the source.
        for row in 0..2 {
            let y = start[1] + 3.0 + LABEL_H * row as f32;
            cands.push([start[0] + 4.0, y]);
            cands.push([start[0] - 4.0 - w, y]);
        }
        for c in cands {
            let r = [c[0], c[1], c[0] + w, c[1] + LABEL_H];
            if grid.free(&r) {
                grid.insert(r);
                e.label_pos = Some(c);
                break;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::gui::layout::Look;
    use pocket_engine::ir::OpFamily;

    fn node(x: f32, y: f32) -> VNode {
        VNode {
            title: "A".into(),
            look: Look::Family(OpFamily::Conv),
            lines: Vec::new(),
            weights: Vec::new(),
            details: String::new(),
            ir: None,
            covers: Vec::new(),
            search: String::new(),
            pos: [x, y],
            size: [120.0, 40.0],
        }
    }

    fn edge(from: [f32; 2], to: [f32; 2], label: &str) -> VEdge {
        VEdge {
            from: 0,
            to: 1,
            label: label.into(),
            details: String::new(),
            points: vec![from, to],
            bounds: [0.0; 4],
            label_pos: None,
        }
    }

    #[test]
    fn labels_overlap_neither_boxes_nor_each_other() {
        // One box feeding three boxes below, whose edges end close together.
        let nodes = vec![
            node(100.0, 0.0),
            node(0.0, 100.0),
            node(130.0, 100.0),
            node(260.0, 100.0),
        ];
        let mut edges: Vec<VEdge> = (0..6)
            .map(|k| {
                let x = 40.0 + 20.0 * k as f32;
                edge([160.0, 40.0], [x, 100.0], "1×56×56×128")
            })
            .collect();
        place(&nodes, &mut edges);
        let rects: Vec<R> = edges
            .iter()
            .filter_map(|e| {
                e.label_pos
                    .map(|p| [p[0], p[1], p[0] + label_w(&e.label), p[1] + LABEL_H])
            })
            .collect();
        assert!(rects.len() >= 3, "most edges keep a label: {}", rects.len());
        for (i, a) in rects.iter().enumerate() {
            for n in &nodes {
                let b = [
                    n.pos[0],
                    n.pos[1],
                    n.pos[0] + n.size[0],
                    n.pos[1] + n.size[1],
                ];
                assert!(!overlaps(a, &b), "label {i} on a box");
            }
            for (j, b) in rects.iter().enumerate().skip(i + 1) {
                assert!(!overlaps(a, b), "labels {i} and {j} overlap");
            }
        }
    }
}
