//! Graph view benchmark (not a test): generated CNN-like graphs of about 300, 2,000 and 20,000
//! nodes (residual blocks, parallel branches joined by CONCATENATION, fp16 filters decoded by
//! DEQUANTIZE nodes, as converters write them); time to build and lay out the view, and the CPU
//! side of a frame (UI + tessellation, headless) while drag-panning at a readable zoom and at
//! Fit: median and worst.
//! Run: cargo run --release -p pocket-studio --example graph_bench

use std::collections::HashMap;
use std::time::Instant;

use pocket_engine::ir::*;
use pocket_studio::gui::layout::layout;
use pocket_studio::gui::panels::graph::GraphView;

fn bias(g: &mut Graph, name: &str) -> TensorId {
    let mut b = Tensor::new(format!("{name}/b"), DType::F32, vec![4]);
    b.data = Some(Bytes::from_vec(vec![0u8; 16]));
    g.add_tensor(b)
}

fn conv(g: &mut Graph, name: &str, x: TensorId) -> TensorId {
    let mut w = Tensor::new(format!("{name}/w16"), DType::F16, vec![4, 3, 3, 4]);
    w.data = Some(Bytes::from_vec(vec![0u8; 4 * 36 * 2]));
    let w = g.add_tensor(w);
    let wd = g
        .push_node(&format!("{name}/dq"), Op::Dequantize, vec![Some(w)], &[])
        .expect("dequantize")[0];
    let op = Op::Conv2d(Conv2d {
        padding: Padding::Same,
        stride: [1, 1],
        dilation: [1, 1],
        act: Activation::Relu,
    });
    let b = bias(g, name);
    g.push_node(name, op, vec![Some(x), Some(wd), Some(b)], &[])
        .expect("conv")[0]
}

fn add(g: &mut Graph, name: &str, a: TensorId, b: TensorId) -> TensorId {
    let op = Op::Binary(Binary {
        kind: BinaryKind::Add,
        act: Activation::None,
    });
    g.push_node(name, op, vec![Some(a), Some(b)], &[])
        .expect("add")[0]
}

/// About `n` IR nodes.
fn graph(n: usize) -> Graph {
    let mut g = Graph::default();
    let x = g.add_tensor(Tensor::new("x", DType::F32, vec![1, 8, 8, 4]));
    g.inputs.push(x);
    let mut cur = x;
    let mut i = 0;
    while g.nodes.len() < n {
        i += 1;
        if i % 4 == 0 {
            // Three parallel branches joined by a concatenation, then a 1x1-ish conv.
            let a = conv(&mut g, &format!("b{i}/a"), cur);
            let b = conv(&mut g, &format!("b{i}/b"), cur);
            let b = conv(&mut g, &format!("b{i}/b2"), b);
            let c = g
                .push_node(
                    &format!("b{i}/pool"),
                    Op::Unary(UnaryKind::Relu6),
                    vec![Some(cur)],
                    &[],
                )
                .expect("relu6")[0];
            let cat = g
                .push_node(
                    &format!("b{i}/cat"),
                    Op::Concatenation {
                        axis: 3,
                        act: Activation::None,
                    },
                    vec![Some(a), Some(b), Some(c)],
                    &[],
                )
                .expect("concat")[0];
            cur = conv_from(&mut g, &format!("b{i}/proj"), cat, 12);
        } else {
            // Residual block.
            let a = conv(&mut g, &format!("r{i}/c1"), cur);
            let b = conv(&mut g, &format!("r{i}/c2"), a);
            cur = add(&mut g, &format!("r{i}/add"), cur, b);
        }
    }
    g.outputs.push(cur);
    g
}

fn conv_from(g: &mut Graph, name: &str, x: TensorId, cin: usize) -> TensorId {
    let mut w = Tensor::new(format!("{name}/w"), DType::F32, vec![4, 1, 1, cin]);
    w.data = Some(Bytes::from_vec(vec![0u8; 4 * cin * 4]));
    let w = g.add_tensor(w);
    let op = Op::Conv2d(Conv2d {
        padding: Padding::Same,
        stride: [1, 1],
        dilation: [1, 1],
        act: Activation::None,
    });
    let b = bias(g, name);
    g.push_node(name, op, vec![Some(x), Some(w), Some(b)], &[])
        .expect("conv")[0]
}

/// CPU time of `frames` frames, each dragging the canvas `step` points to the left.
fn frames(
    ctx: &egui::Context,
    view: &mut GraphView,
    g: &Graph,
    l: &pocket_studio::gui::layout::Layout,
    frames: usize,
    step: f32,
) -> (f64, f64, usize) {
    let heat = HashMap::new();
    let mut times = Vec::new();
    let mut drawn = 0;
    let mut p = egui::pos2(900.0, 500.0);
    for frame in 0..frames + 2 {
        let mut input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(1600.0, 1000.0),
            )),
            ..Default::default()
        };
        if frame == 0 {
            input.events.push(egui::Event::PointerMoved(p));
            input.events.push(egui::Event::PointerButton {
                pos: p,
                button: egui::PointerButton::Primary,
                pressed: true,
                modifiers: Default::default(),
            });
        } else {
            p.x -= step;
            p.y -= step * 0.3;
            input.events.push(egui::Event::PointerMoved(p));
        }
        let t = Instant::now();
        let out = ctx.run_ui(input, |ui| {
            view.ui(ui, g, l, None, &heat, &Default::default());
        });
        let _ = ctx.tessellate(out.shapes, out.pixels_per_point);
        if frame >= 2 {
            times.push(t.elapsed().as_secs_f64() * 1e3);
        }
        drawn = view.drawn_boxes().len();
    }
    // Release the button.
    let mut input = egui::RawInput::default();
    input.events.push(egui::Event::PointerButton {
        pos: p,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: Default::default(),
    });
    let _ = ctx.run_ui(input, |ui| {
        view.ui(ui, g, l, None, &heat, &Default::default());
    });
    times.sort_by(f64::total_cmp);
    (times[times.len() / 2], times[times.len() - 1], drawn)
}

fn main() {
    for n in [300usize, 2_000, 20_000] {
        let g = graph(n);
        let t = Instant::now();
        let l = layout(&g);
        let t_layout = t.elapsed().as_secs_f64() * 1e3;
        let ctx = egui::Context::default();
        let mut view = GraphView::default();
        // At Fit (the first frame fits the whole graph).
        let (fit_med, fit_worst, fit_drawn) = frames(&ctx, &mut view, &g, &l, 60, 3.0);
        // Readable zoom, near the middle of the graph.
        let mid = l.main.nodes[l.main.nodes.len() / 2].pos;
        view.set_camera(egui::vec2(800.0 - mid[0], 500.0 - mid[1]), 1.0);
        let (med, worst, drawn) = frames(&ctx, &mut view, &g, &l, 120, 6.0);
        println!(
            "{:>6} nodes ({} boxes, {} edges, {:.0}x{:.0} units): layout {t_layout:.1} ms; \
             panning at zoom 1 ({drawn} boxes drawn): median {med:.2} ms, worst {worst:.2} ms; \
             panning at Fit ({fit_drawn} drawn): median {fit_med:.2} ms, worst {fit_worst:.2} ms",
            g.nodes.len(),
            l.main.nodes.len(),
            l.main.edges.len(),
            l.main.size[0],
            l.main.size[1],
        );
    }
}
