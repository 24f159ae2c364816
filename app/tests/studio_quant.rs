//! The studio after quantizing, driven through egui_kittest: the side panel's tabs follow the
//! user's step, the graph switches between the float and the quantized model, the inspector
//! shows the quantized node (SQNR from the comparison, scales and zero points, the activation
//! against its int8 grid, weights before and after), and a file with several TFLite
//! signatures gets a picker that reopens it with the chosen one.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use pocket_studio::gui::app::StudioApp;
use pocket_studio::gui::panels::samples;

fn harness<'a>() -> Harness<'a, StudioApp> {
    Harness::builder()
        .with_size([1400.0, 900.0])
        .build_eframe(|cc| StudioApp::new(cc, None))
}

fn step_until(h: &mut Harness<'_, StudioApp>, what: &str, done: impl Fn(&StudioApp) -> bool) {
    h.run_steps(2);
    let t = Instant::now();
    while !done(h.state()) {
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "timed out waiting for {what}; notes: {:?}; log: {:?}",
            h.state().notifications(),
            h.state().log()
        );
        std::thread::sleep(Duration::from_millis(10));
        h.step();
    }
    h.run_steps(3);
}

#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

fn drop_file(h: &mut Harness<'_, StudioApp>, p: &Path) {
    h.input_mut()
        .dropped_files
        .push(Arc::new(Dropped(p.to_path_buf())));
    h.step();
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pocket-kq-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn click_at(h: &mut Harness<'_, StudioApp>, pos: egui::Pos2) {
    let input = h.input_mut();
    input.events.push(egui::Event::PointerMoved(pos));
    for pressed in [true, false] {
        input.events.push(egui::Event::PointerButton {
            pos,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
    }
    h.run_steps(3);
}

/// The Shapes sample opened, quantized on a few of its images and compared on them.
fn quantized_shapes(h: &mut Harness<'_, StudioApp>, name: &str) -> PathBuf {
    let model = samples()
        .into_iter()
        .find(|s| s.0 == "Shapes")
        .expect("sample")
        .2;
    let data = tmp(name);
    let eval = model.parent().expect("dir").join("eval");
    let mut imgs: Vec<PathBuf> = std::fs::read_dir(&eval)
        .expect("eval dir")
        .flat_map(|c| std::fs::read_dir(c.expect("entry").path()).expect("class"))
        .map(|e| e.expect("entry").path())
        .collect();
    imgs.sort();
    for img in imgs.iter().step_by(imgs.len().div_ceil(8).max(1)) {
        std::fs::copy(img, data.join(img.file_name().expect("file"))).expect("copy");
    }
    h.get_by_label("Open Shapes").click();
    step_until(h, "the model to load", |a| a.model().is_some());
    // The step the user is on: quantize (the compare panel is not shown yet).
    h.get_by_role_and_label(Role::Button, "Quantize");
    assert!(h.query_by_role_and_label(Role::Button, "Compare").is_none());
    drop_file(h, &data);
    h.run_steps(2);
    h.get_by_role_and_label(Role::Button, "Quantize").click();
    step_until(h, "quantization", |a| {
        !a.busy() && a.document().is_some_and(|d| d.quant.is_some())
    });
    // Quantized: the compare tab opens by itself.
    assert!(
        h.query_by_role_and_label(Role::Button, "Quantize")
            .is_none()
    );
    h.get_by_role_and_label(Role::Button, "Compare").click();
    step_until(h, "the comparison", |a| a.report().is_some() && !a.busy());
    data
}

#[test]
fn the_inspector_shows_the_quantized_node_its_error_grid_and_weights() {
    let mut h = harness();
    let data = quantized_shapes(&mut h, "inspect");
    let app = h.state();
    let doc = app.document().expect("doc");
    let g = doc.graph().clone();
    // A drawn convolution that the quantized model also has and the comparison measured.
    let (fi, qi, rect) = (0..g.nodes.len())
        .filter(|&i| g.nodes[i].op.name() == "CONV_2D")
        .find_map(|i| {
            let q = doc.quant_node(i)?;
            let r = app.graph_view().node_rect(i)?;
            app.report()?
                .layers
                .iter()
                .any(|l| l.node_index == q)
                .then_some((i, q, r))
        })
        .expect("a compared convolution on screen");
    let sqnr = app
        .report()
        .and_then(|r| r.layers.iter().find(|l| l.node_index == qi))
        .expect("layer")
        .sqnr_db;
    click_at(&mut h, rect.center());
    assert_eq!(h.state().document().and_then(|d| d.selected), Some(fi));
    // The inspect tab opened on the node, with its quantized twin.
    h.get_by_label("Quantized");
    h.get_by_label_contains(&format!("SQNR {sqnr:.1} dB"));
    let q = h
        .state()
        .document()
        .expect("doc")
        .quant
        .as_ref()
        .expect("q");
    let qn = &q.graph.nodes[qi];
    h.get_by_label_contains(&format!("runs as {}", qn.op.name()));
    // Per-channel filter scales and the activation's scale and zero point, as the quantized
    // graph holds them.
    let filter = &q.graph.tensors[qn.input(1).expect("filter")];
    let fq = filter.quant.as_ref().expect("filter quantized");
    assert!(fq.scale.len() > 1, "per-channel filter");
    assert!(
        h.query_all_by_label_contains(&format!("{} scales along axis", fq.scale.len()))
            .count()
            >= 1
    );
    let out = &q.graph.tensors[qn.outputs[0]];
    let oq = out.quant.as_ref().expect("output quantized");
    h.get_by_label_contains(&format!(
        "(scale {:.6}, zero point {})",
        oq.scale[0], oq.zero_point[0]
    ));
    h.get_by_label_contains("of the sample clipped");
    // Weights before and after quantization.
    h.get_by_label_contains("quantized (i8 per channel)");
    h.get_by_label_contains("max |error|");
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn the_graph_switches_between_the_float_and_the_quantized_model() {
    let mut h = harness();
    let data = quantized_shapes(&mut h, "switch");
    assert!(!h.state().graph_view().quantized);
    let float_boxes = h.state().graph_view().drawn_boxes().len();
    h.get_by_label("Quantized model").click();
    h.run_steps(4);
    let app = h.state();
    assert!(app.graph_view().quantized);
    let doc = app.document().expect("doc");
    let q = doc.quant.as_ref().expect("quantized");
    // The view draws the quantized graph: its QUANTIZE box is on screen.
    let drawn = app.graph_view().drawn_boxes();
    assert!(!drawn.is_empty() && float_boxes > 0);
    assert!(
        drawn
            .iter()
            .any(|&(b, _)| q.layout.main.nodes[b].title == "QUANTIZE"),
        "no QUANTIZE box drawn"
    );
    // A click on a quantized box selects the float node writing the same tensor.
    let (qi, rect) = q
        .graph
        .nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.op.name() == "CONV_2D")
        .find_map(|(i, _)| app.graph_view().node_rect(i).map(|r| (i, r)))
        .expect("a quantized conv on screen");
    let name = q.graph.tensors[q.graph.nodes[qi].outputs[0]].name.clone();
    click_at(&mut h, rect.center());
    let doc = h.state().document().expect("doc");
    let fi = doc.selected.expect("selected");
    assert_eq!(
        doc.graph().tensors[doc.graph().nodes[fi].outputs[0]].name,
        name
    );
    assert_eq!(doc.quant_node(fi), Some(qi));
    h.get_by_label("Float model").click();
    h.run_steps(3);
    assert!(!h.state().graph_view().quantized);
    let _ = std::fs::remove_dir_all(&data);
}

/// A RELU model with two signatures on its main subgraph: `serving_default` names the input
/// `image`, `decode` names it `z`.
fn two_signatures() -> Vec<u8> {
    use pocket_engine::formats::tflite::builder::{Obj, TableB, finish};
    let tensor = |name: &str| {
        Obj::Table(
            TableB::new()
                .obj(0, Obj::i32s(&[1, 4]))
                .i8(1, 0)
                .u32(2, 0)
                .str(3, name),
        )
    };
    let sg = TableB::new()
        .obj(0, Obj::Objs(vec![tensor("t0"), tensor("t1")]))
        .obj(1, Obj::i32s(&[0]))
        .obj(2, Obj::i32s(&[1]))
        .obj(
            3,
            Obj::Objs(vec![Obj::Table(
                TableB::new()
                    .u32(0, 0)
                    .obj(1, Obj::i32s(&[0]))
                    .obj(2, Obj::i32s(&[1])),
            )]),
        );
    let map = |n: &str, t: u32| Obj::Objs(vec![Obj::Table(TableB::new().str(0, n).u32(1, t))]);
    let sig = |key: &str, i: &str, o: &str| {
        Obj::Table(
            TableB::new()
                .obj(0, map(i, 0))
                .obj(1, map(o, 1))
                .str(2, key)
                .u32(4, 0),
        )
    };
    finish(
        &TableB::new()
            .u32(0, 3)
            .obj(
                1,
                Obj::Objs(vec![Obj::Table(
                    TableB::new().i8(0, 19).i32(2, 1).i32(3, 19),
                )]),
            )
            .obj(2, Obj::Objs(vec![Obj::Table(sg)]))
            .obj(4, Obj::Objs(vec![Obj::Table(TableB::new())]))
            .obj(
                7,
                Obj::Objs(vec![
                    sig("serving_default", "image", "scores"),
                    sig("decode", "z", "w"),
                ]),
            ),
        b"TFL3",
    )
}

#[test]
fn a_file_with_several_signatures_gets_a_picker_that_reopens_it() {
    let d = tmp("sigs");
    let m = d.join("two_signatures.tflite");
    std::fs::write(&m, two_signatures()).expect("write");
    let mut h = harness();
    drop_file(&mut h, &m);
    step_until(&mut h, "the model to load", |a| a.model().is_some());
    let doc = h.state().document().expect("doc");
    assert_eq!(doc.loaded.signatures, ["serving_default", "decode"]);
    assert_eq!(doc.loaded.signature.as_deref(), Some("serving_default"));
    // Several signatures: the model tab is open first, with the picker.
    h.get_by_label_contains("input image:");
    h.get_by_role(Role::ComboBox).click();
    h.run_steps(2);
    h.get_by_label("decode").click();
    step_until(&mut h, "the model to reopen", |a| {
        a.document()
            .is_some_and(|d| d.loaded.signature.as_deref() == Some("decode"))
            && !a.busy()
    });
    // The graph now has the signature's names.
    let g = h.state().model().expect("model");
    assert_eq!(g.input_name(0), "z");
    assert_eq!(g.output_name(0), "w");
    h.get_by_label_contains("input z:");
    h.get_by_label_contains("output w:");
    let _ = std::fs::remove_dir_all(&d);
}
