//! Graph view benchmark (not a test): generated 2,000- and 20,000-node graphs; time to lay out,
//! and CPU frame time (UI + tessellation, headless) while panning and zooming: median and worst.
//! Run: cargo run --release -p pocket-studio --example graph_bench

use std::collections::HashMap;
use std::time::Instant;

use pocket_engine::ir::*;
use pocket_studio::gui::layout::layout;
use pocket_studio::gui::panels::graph::GraphView;

/// A residual chain with branches: `n` nodes, realistic fan-in/fan-out.
fn graph(n: usize) -> Graph {
    let mut g = Graph::default();
    let x = g.add_tensor(Tensor::new("x", DType::F32, vec![1, 8]));
    g.inputs.push(x);
    let mut prev = vec![x];
    for i in 0..n {
        let a = prev[prev.len() - 1];
        let b = prev[prev.len().saturating_sub(1 + i % 3)];
        let op = Op::Binary(Binary {
            kind: BinaryKind::Add,
            act: Activation::None,
        });
        let out = g
            .push_node(&format!("node_{i}"), op, vec![Some(a), Some(b)], &[])
            .expect("node");
        prev.push(out[0]);
        if prev.len() > 8 {
            prev.remove(0);
        }
    }
    g.outputs.push(*prev.last().expect("out"));
    g
}

fn main() {
    for n in [2_000usize, 20_000] {
        let g = graph(n);
        let t = Instant::now();
        let l = layout(&g);
        let t_layout = t.elapsed().as_secs_f64() * 1e3;
        let ctx = egui::Context::default();
        let mut view = GraphView::default();
        let heat = HashMap::new();
        let mut times = Vec::new();
        for frame in 0..120 {
            let mut input = egui::RawInput {
                screen_rect: Some(egui::Rect::from_min_size(
                    egui::Pos2::ZERO,
                    egui::vec2(1280.0, 800.0),
                )),
                ..Default::default()
            };
            // Pan by dragging and zoom with the wheel, as a user would.
            let p = egui::pos2(640.0 + (frame % 40) as f32 * 5.0, 400.0);
            input.events.push(egui::Event::PointerMoved(p));
            if frame % 3 == 0 {
                input.events.push(egui::Event::MouseWheel {
                    unit: egui::MouseWheelUnit::Point,
                    delta: egui::vec2(0.0, if frame < 60 { 40.0 } else { -40.0 }),
                    modifiers: Default::default(),
                    phase: egui::TouchPhase::Move,
                    source: egui::MouseWheelSource::Wheel,
                });
            }
            let t = Instant::now();
            let out = ctx.run_ui(input, |ui| {
                view.ui(ui, &g, &l, None, &heat, &Default::default());
            });
            let _ = ctx.tessellate(out.shapes, out.pixels_per_point);
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        times.sort_by(f64::total_cmp);
        println!(
            "{n:>6} nodes: layout {t_layout:.1} ms; frame (CPU) median {:.2} ms, worst {:.2} ms over {} frames",
            times[times.len() / 2],
            times[times.len() - 1],
            times.len()
        );
    }
}
