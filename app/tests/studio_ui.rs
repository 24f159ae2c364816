//! The real studio `App`, driven through egui_kittest: widgets are found by their labels in the
//! accessibility tree and clicked, files are dropped on the window, worker jobs run on their
//! threads. No window or GPU is needed.

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

/// Step frames until `done` holds (worker jobs finish on their own threads).
fn step_until(h: &mut Harness<'_, StudioApp>, what: &str, done: impl Fn(&StudioApp) -> bool) {
    // The first steps deliver queued input (a click) so that the job has started.
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

fn sample(name: &str) -> PathBuf {
    samples()
        .into_iter()
        .find(|s| s.0 == name)
        .expect("sample model")
        .2
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pocket-kittest-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

#[test]
fn open_a_sample_from_the_start_screen() {
    let mut h = harness();
    h.get_by_label("Sample models");
    h.get_by_label("Open Shapes").click();
    step_until(&mut h, "the model to load", |a| a.model().is_some());
    // The title bar names the model and its size; the graph and side panel replace the start
    // screen.
    h.get_by_label_contains("11 nodes, 102551 params");
    assert!(h.query_by_label("Sample models").is_none());
    h.get_by_role_and_label(Role::Button, "Quantize");
}

#[test]
fn drop_a_model_file_on_the_window() {
    let mut h = harness();
    drop_file(&mut h, &sample("Digits"));
    step_until(&mut h, "the dropped model to load", |a| a.model().is_some());
    h.get_by_label_contains("digits");
}

#[test]
fn quantize_with_a_small_calibration_set_and_compare() {
    // A small labelled folder (3 images per class) serves as calibration and evaluation data.
    let data = tmp("data");
    let eval = sample("Shapes").parent().expect("dir").join("eval");
    for class in std::fs::read_dir(&eval).expect("eval dir") {
        let class = class.expect("entry").path();
        let name = class.file_name().expect("name").to_owned();
        std::fs::create_dir_all(data.join(&name)).expect("class dir");
        let mut imgs: Vec<_> = std::fs::read_dir(&class)
            .expect("class")
            .map(|e| e.expect("entry").path())
            .collect();
        imgs.sort();
        for img in imgs.iter().take(3) {
            std::fs::copy(img, data.join(&name).join(img.file_name().expect("f"))).expect("copy");
        }
    }
    let mut h = harness();
    h.get_by_label("Open Shapes").click();
    step_until(&mut h, "the model to load", |a| a.model().is_some());
    // Dropping a folder while a model is open offers it as calibration and evaluation data.
    drop_file(&mut h, &data);
    h.run_steps(2);
    h.get_by_label_contains("Folder set as calibration");
    h.get_by_role_and_label(Role::Button, "Quantize").click();
    step_until(&mut h, "quantization", |a| !a.busy());
    h.get_by_label_contains("Quantized: ");
    h.get_by_role_and_label(Role::Button, "Compare").click();
    step_until(&mut h, "the comparison", |a| {
        a.report().is_some() && !a.busy()
    });
    // The compare panel fills: accuracy table, sizes, per-layer plot heading, confusion.
    h.get_by_label("top-1");
    h.get_by_label("file size");
    h.get_by_label_contains("Per-layer SQNR");
    h.get_by_label_contains("Confusion");
    let r = h.state().report().expect("report");
    assert_eq!(r.float.samples, 15);
    assert!(!r.layers.is_empty());
    assert_eq!(r.quant.model.numerics, "litert");
    // The target picker: a microcontroller's numerics, measured on the next Compare.
    h.get_by_role(Role::ComboBox).click();
    h.run_steps(2);
    h.get_by_label("microcontroller (TFLite Micro)").click();
    h.run_steps(2);
    h.get_by_label_contains("measured with the litert numerics");
    h.get_by_role_and_label(Role::Button, "Compare").click();
    step_until(&mut h, "the second comparison", |a| {
        a.report()
            .is_some_and(|r| r.quant.model.numerics == "reference")
            && !a.busy()
    });
    let _ = std::fs::remove_dir_all(&data);
}

#[test]
fn a_corrupt_file_shows_a_notification() {
    let d = tmp("corrupt");
    let p = d.join("broken.tflite");
    std::fs::write(&p, b"\x10\x00\x00\x00TFL3 this is not a model").expect("write");
    let mut h = harness();
    drop_file(&mut h, &p);
    step_until(&mut h, "the load to fail", |a| !a.busy());
    h.get_by_label_contains("Not a readable model");
    assert!(h.state().model().is_none());
    // The start screen is still there and works.
    h.get_by_label("Open Shapes").click();
    step_until(&mut h, "the sample to load", |a| a.model().is_some());
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn export_writes_model_recipe_and_report_and_asks_before_overwriting() {
    let dir = tmp("export");
    let model = dir.join("shapes.tflite");
    let src = sample("Shapes");
    std::fs::copy(&src, &model).expect("copy");
    let original = std::fs::read(&model).expect("read");
    let mut h = harness();
    drop_file(&mut h, &model);
    step_until(&mut h, "the model to load", |a| a.model().is_some());
    // The copy has no calibration folder beside it: point both folders at the sample's eval set.
    drop_file(&mut h, &src.parent().expect("dir").join("eval"));
    // The folder applies at the end of the frame that saw the drop; Quantize (disabled while no
    // calibration folder is chosen) is enabled from the next frame on.
    h.run_steps(2);
    h.get_by_role_and_label(Role::Button, "Quantize").click();
    step_until(&mut h, "quantization", |a| !a.busy());
    h.get_by_role_and_label(Role::Button, "Compare").click();
    step_until(&mut h, "the comparison", |a| {
        a.report().is_some() && !a.busy()
    });
    let out = dir.join("shapes_quant.tflite");
    assert!(!out.exists());
    h.get_by_role_and_label(Role::Button, "Export (Ctrl+E)")
        .click();
    step_until(&mut h, "the export", |a| !a.busy());
    assert!(out.is_file(), "no export; log: {:?}", h.state().log());
    assert!(dir.join("shapes_quant.recipe.json").is_file());
    assert!(dir.join("shapes_quant_report/report.json").is_file());
    // Exporting again asks first; the second press confirms.
    std::fs::write(&out, b"old").expect("write");
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::E);
    h.run_steps(3);
    h.get_by_label_contains("Overwrite");
    assert_eq!(std::fs::read(&out).expect("read"), b"old");
    h.get_by_role_and_label(Role::Button, "Export (Ctrl+E)")
        .click();
    step_until(&mut h, "the export", |a| !a.busy());
    assert_ne!(std::fs::read(&out).expect("read"), b"old");
    assert_eq!(
        std::fs::read(&model).expect("read"),
        original,
        "source untouched"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn live_panel_runs_the_image_folder_source_and_saves_a_snapshot() {
    let mut h = harness();
    h.get_by_label("Open Shapes").click();
    step_until(&mut h, "the model to load", |a| a.model().is_some());
    h.get_by_role_and_label(Role::Button, "Quantize").click();
    step_until(&mut h, "quantization", |a| !a.busy());
    h.get_by_label("Live").click();
    h.run_steps(2);
    h.get_by_label("Image folder").click();
    h.run_steps(2);
    h.get_by_role_and_label(Role::Button, "Start").click();
    step_until(&mut h, "live results", |a| {
        a.live_result().is_some_and(|r| r.outputs.len() == 2)
    });
    h.run_steps(3);
    assert!(h.query_all_by_label_contains(" FPS").count() >= 1);
    h.get_by_label_contains("What the model sees 96x96");
    let names: Vec<String> = h
        .state()
        .live_result()
        .expect("result")
        .outputs
        .iter()
        .map(|o| o.name.clone())
        .collect();
    assert_eq!(names, ["float", "quantized"]);
    // Each model's column shows its latency.
    assert!(
        h.query_all_by(|n| n.label().or(n.value()).is_some_and(
            |l| l.ends_with(" ms") && l.chars().next().is_some_and(|c| c.is_ascii_digit())
        ))
        .count()
            >= 2
    );
    // Top-k bars name the sample's classes.
    assert!(
        h.query_all_by_label_contains("%").count() >= 10,
        "5 bars per model"
    );
    // Snapshot into a dataset folder under a class name.
    let snaps = tmp("snaps");
    h.get_by_label("Snapshot into").focus();
    h.run_steps(1);
    h.get_by_label("Snapshot into")
        .type_text(&snaps.display().to_string());
    h.run_steps(1);
    h.get_by_label("class").focus();
    h.run_steps(1);
    h.get_by_label("class").type_text("circle");
    h.run_steps(2);
    h.get_by_role_and_label(Role::Button, "Save frame").click();
    h.run_steps(3);
    h.get_by_label_contains("Frame saved");
    let saved: Vec<_> = std::fs::read_dir(snaps.join("circle"))
        .expect("class folder")
        .collect();
    assert_eq!(saved.len(), 1);
    h.get_by_role_and_label(Role::Button, "Stop").click();
    h.run_steps(3);
    assert!(h.state().pipeline().is_none());
    let _ = std::fs::remove_dir_all(&snaps);
}

#[test]
fn an_onnx_file_dropped_on_the_window_opens() {
    let d = tmp("onnx");
    let p = d.join("small.onnx");
    std::fs::write(&p, pocket_tests::onnx_models::conv_relu()).expect("write");
    let mut h = harness();
    drop_file(&mut h, &p);
    step_until(&mut h, "the ONNX model to load", |a| a.model().is_some());
    h.get_by_label_contains("small.onnx");
    let ops: Vec<String> = h
        .state()
        .model()
        .expect("model")
        .nodes
        .iter()
        .map(|n| n.op.name())
        .collect();
    // NCHW input: one transpose at the edge, then the NHWC convolution.
    assert!(ops.contains(&"CONV_2D".to_string()), "{ops:?}");
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn right_clicking_a_node_keeps_it_in_float() {
    let mut h = harness();
    h.get_by_label("Open Shapes").click();
    step_until(&mut h, "the model to load", |a| a.model().is_some());
    h.run_steps(3);
    let app = h.state();
    let g = app.model().expect("model");
    // A node whose name has regex metacharacters would also do; the first drawn node is enough.
    let (i, rect) = (0..g.nodes.len())
        .find_map(|i| app.graph_view().node_rect(i).map(|r| (i, r)))
        .expect("a drawn node");
    let name = g.nodes[i].name.clone();
    assert!(app.graph_view().drawn_kept().is_empty());
    let click = |h: &mut Harness<'_, StudioApp>| {
        let pos = rect.center();
        let input = h.input_mut();
        input.events.push(egui::Event::PointerMoved(pos));
        for pressed in [true, false] {
            input.events.push(egui::Event::PointerButton {
                pos,
                button: egui::PointerButton::Secondary,
                pressed,
                modifiers: egui::Modifiers::NONE,
            });
        }
        h.run_steps(3);
    };
    click(&mut h);
    let app = h.state();
    // The graph drew the keep-in-float outline on that node (and only there) ...
    assert_eq!(app.graph_view().drawn_kept(), &[i]);
    // ... the quantize panel lists it, and the recipe keeps exactly that name in float.
    h.get_by_label_contains("Kept in float (right-click a node to change)");
    let pattern = pocket_studio::gui::document::exact_pattern(&name);
    assert!(
        h.state().recipe().keep_float.contains(&pattern),
        "{pattern} not in {:?}",
        h.state().recipe().keep_float
    );
    // A second right-click releases it.
    click(&mut h);
    assert!(h.state().graph_view().drawn_kept().is_empty());
    assert!(!h.state().recipe().keep_float.contains(&pattern));
}

#[test]
fn a_model_with_free_dimensions_asks_for_its_size_and_re_infers() {
    use pocket_engine::quant::{Mode, Recipe};
    use pocket_studio::gui::panels::Command;
    let d = tmp("free");
    let p = d.join("free.onnx");
    std::fs::write(&p, pocket_tests::free_dims::onnx_free_model()).expect("write");
    let mut h = harness();
    drop_file(&mut h, &p);
    step_until(&mut h, "the model to load", |a| a.model().is_some());
    h.run_steps(2);
    h.get_by_label_contains("placeholder size");
    let placeholder_macs = h.state().document().expect("doc").loaded.summary.macs;
    // Quantizing at a placeholder size is refused with a pointer to the form.
    h.state_mut()
        .apply(Command::Quantize(Recipe::new(Mode::Int8), d.clone()));
    assert!(
        h.state()
            .notifications()
            .iter()
            .any(|n| n.contains("Set the input size first")),
        "{:?}",
        h.state().notifications()
    );
    // Apply the prefilled sizes: the placeholder warning goes.
    h.get_by_role_and_label(Role::Button, "Apply size").click();
    step_until(&mut h, "the sizes to apply", |a| {
        a.document()
            .is_some_and(|d| d.loaded.opened.placeholder.is_none())
    });
    // Other sizes: shapes and MACs follow.
    h.state_mut()
        .apply(Command::Resize(vec!["H=64".into(), "W=48".into()]));
    step_until(&mut h, "the model to re-infer", |a| {
        a.model()
            .is_some_and(|g| g.tensors[g.inputs[0]].shape == [1, 3, 64, 48])
    });
    let macs = h.state().document().expect("doc").loaded.summary.macs;
    assert!(
        macs as f64 > 2.5 * placeholder_macs as f64,
        "MACs at 64x48 ({macs}) must be about 3x those at the 32x32 placeholder ({placeholder_macs})"
    );
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn the_size_form_is_prefilled_from_the_calibration_images() {
    let d = tmp("free-calib");
    let p = d.join("free.onnx");
    std::fs::write(&p, pocket_tests::free_dims::onnx_free_model()).expect("write");
    let calib = d.join("calib");
    std::fs::create_dir_all(&calib).expect("calib dir");
    image::RgbImage::new(24, 40)
        .save(calib.join("a.png"))
        .expect("png");
    let mut h = harness();
    drop_file(&mut h, &p);
    step_until(&mut h, "the model to load", |a| a.model().is_some());
    drop_file(&mut h, &calib);
    h.run_steps(2);
    h.get_by_role_and_label(Role::Button, "1 Model").click();
    h.run_steps(2);
    h.get_by_label_contains("its first image, 40×24");
    h.get_by_role_and_label(Role::Button, "Apply size").click();
    step_until(&mut h, "the calibration size to apply", |a| {
        a.model()
            .is_some_and(|g| g.tensors[g.inputs[0]].shape == [1, 3, 40, 24])
    });
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn folders_belong_to_the_model_and_compare_runs_without_labels() {
    // A flat folder of images (no class sub-folders): calibration data, and comparison data
    // without labels.
    let data = tmp("flat");
    let eval = sample("Shapes").parent().expect("dir").join("eval");
    for class in std::fs::read_dir(&eval).expect("eval dir") {
        let class = class.expect("entry").path();
        let mut imgs: Vec<_> = std::fs::read_dir(&class)
            .expect("class")
            .map(|e| e.expect("entry").path())
            .collect();
        imgs.sort();
        for img in imgs.iter().take(2) {
            let name = format!(
                "{}_{}",
                class.file_name().expect("c").to_string_lossy(),
                img.file_name().expect("f").to_string_lossy()
            );
            std::fs::copy(img, data.join(name)).expect("copy");
        }
    }
    let mut h = harness();
    h.get_by_label("Open Shapes").click();
    step_until(&mut h, "the model to load", |a| a.model().is_some());
    drop_file(&mut h, &data);
    h.run_steps(2);
    let flat = data.display().to_string();
    assert_eq!(h.state().data_folders(), (flat.as_str(), flat.as_str()));
    h.get_by_role_and_label(Role::Button, "Quantize").click();
    step_until(&mut h, "quantization", |a| !a.busy());
    h.get_by_role_and_label(Role::Button, "Compare").click();
    step_until(&mut h, "the comparison", |a| {
        a.report().is_some() && !a.busy()
    });
    let r = h.state().report().expect("report");
    assert!(!r.labelled && r.outputs.len() == 1 && r.quant.samples == 10);
    h.get_by_label_contains("Outputs (quantized against float)");
    h.get_by_label_contains("compared without labels");
    assert!(h.query_by_label("top-1").is_none());

    // Another model does not silently reuse the folder: the digits sample brings its own.
    drop_file(&mut h, &sample("Digits"));
    let is = |a: &StudioApp, name: &str| {
        a.document()
            .is_some_and(|d| d.loaded.path.to_string_lossy().contains(name))
            && !a.busy()
    };
    step_until(&mut h, "the digits model", |a| is(a, "digits"));
    let (calib, cmp) = h.state().data_folders();
    assert!(
        calib.contains("digits") && cmp.contains("digits"),
        "{calib} {cmp}"
    );
    // Back to the first model: its folders come back.
    drop_file(&mut h, &sample("Shapes"));
    step_until(&mut h, "the shapes model again", |a| is(a, "shapes"));
    assert_eq!(h.state().data_folders(), (flat.as_str(), flat.as_str()));
    let _ = std::fs::remove_dir_all(&data);
}

/// x -> three CONV_2D (fp16 filters decoded by DEQUANTIZE, f32 bias) with RELU between -> y.
fn fp16_convs() -> pocket_engine::Graph {
    use pocket_engine::ir::*;
    let mut g = Graph::default();
    let x = g.add_tensor(Tensor::new("image", DType::F32, vec![1, 16, 16, 3]));
    g.inputs.push(x);
    let mut cur = x;
    let mut cin = 3;
    for i in 0..3 {
        let mut w = Tensor::new(
            format!("conv{i}/filter_fp16"),
            DType::F16,
            vec![8, 3, 3, cin],
        );
        w.data = Some(Bytes::from_vec(vec![0u8; 8 * 9 * cin * 2]));
        let w = g.add_tensor(w);
        let mut b = Tensor::new(format!("conv{i}/bias"), DType::F32, vec![8]);
        b.data = Some(Bytes::from_vec(vec![0u8; 32]));
        let b = g.add_tensor(b);
        let wd = g
            .push_node(
                &format!("conv{i}/dequantize"),
                Op::Dequantize,
                vec![Some(w)],
                &[],
            )
            .expect("dequantize")[0];
        let op = Op::Conv2d(Conv2d {
            padding: Padding::Same,
            stride: [2, 2],
            dilation: [1, 1],
            act: Activation::Relu6,
        });
        cur = g
            .push_node(
                &format!("conv{i}"),
                op,
                vec![Some(cur), Some(wd), Some(b)],
                &[],
            )
            .expect("conv")[0];
        cin = 8;
    }
    g.outputs.push(cur);
    g
}

fn open_fp16(h: &mut Harness<'_, StudioApp>, name: &str) -> PathBuf {
    let d = tmp(name);
    let p = d.join("fp16.tflite");
    let bytes = pocket_engine::formats::tflite::to_bytes(&fp16_convs()).expect("write");
    std::fs::write(&p, bytes).expect("write");
    drop_file(h, &p);
    step_until(h, "the fp16 model to load", |a| a.model().is_some());
    h.run_steps(3);
    d
}

#[test]
fn fp16_weights_fold_into_their_consumers_and_inputs_outputs_are_boxes() {
    let mut h = harness();
    let d = open_fp16(&mut h, "fold");
    let app = h.state();
    let g = app.model().expect("model");
    assert_eq!(g.nodes.len(), 6, "3 DEQUANTIZE + 3 CONV_2D in the file");
    let v = &app.document().expect("doc").loaded.layout.main;
    let titles: Vec<&str> = v.nodes.iter().map(|n| n.title.as_str()).collect();
    assert_eq!(titles, ["Input", "CONV_2D", "CONV_2D", "CONV_2D", "Output"]);
    assert_eq!(v.folded, 3);
    for n in &v.nodes[1..4] {
        assert_eq!(n.weights.len(), 2);
        assert!(
            n.weights[0].text.starts_with("filter 8×3×3×"),
            "{:?}",
            n.weights
        );
        assert!(n.weights[0].text.ends_with("f16 as f32"), "{:?}", n.weights);
        assert!(n.lines.contains(&"3×3, stride 2, same".to_string()));
        assert!(n.lines.contains(&"ReLU6".to_string()));
    }
    // Every box, inputs and outputs included, is drawn at Fit, and edges join them in order.
    assert_eq!(app.graph_view().drawn_boxes().len(), 5);
    let e: Vec<(usize, usize)> = v.edges.iter().map(|e| (e.from, e.to)).collect();
    assert_eq!(e, [(0, 1), (1, 2), (2, 3), (3, 4)]);
    assert_eq!(v.edges[0].label, "1×16×16×3");
    // Clicking the box selects the CONV_2D; a folded DEQUANTIZE selects its consumer.
    let conv = g
        .nodes
        .iter()
        .position(|n| n.name == "conv1")
        .expect("conv1");
    let rect = app.graph_view().node_rect(conv).expect("conv1 drawn");
    h.input_mut()
        .events
        .push(egui::Event::PointerMoved(rect.center()));
    for pressed in [true, false] {
        h.input_mut().events.push(egui::Event::PointerButton {
            pos: rect.center(),
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
    }
    h.run_steps(3);
    assert_eq!(h.state().document().expect("doc").selected, Some(conv));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn search_cycles_its_matches_with_enter_and_shift_enter_and_zooms_to_each() {
    let mut h = harness();
    let d = open_fp16(&mut h, "search");
    let fit_zoom = h.state().graph_view().zoom();
    h.get_by_label("Find").focus();
    h.run_steps(1);
    h.get_by_label("Find").type_text("conv_2d");
    h.run_steps(2);
    // The op name matches the three CONV_2D boxes.
    h.get_by_label("3 found");
    let names = |h: &Harness<'_, StudioApp>| {
        let app = h.state();
        let g = app.model().expect("model");
        app.document()
            .expect("doc")
            .selected
            .map(|i| g.nodes[i].name.clone())
    };
    let mut seen = Vec::new();
    for _ in 0..3 {
        h.key_press(egui::Key::Enter);
        h.run_steps(2);
        seen.push(names(&h).expect("a selected match"));
    }
    assert_eq!(seen, ["conv0", "conv1", "conv2"]);
    h.get_by_label("3 of 3");
    assert!(h.state().graph_view().zoom() >= fit_zoom.min(1.0));
    // The current match is on screen.
    let app = h.state();
    let (cur, n) = app.graph_view().current_match();
    assert_eq!(n, 3);
    let cur = cur.expect("current");
    assert!(
        app.graph_view()
            .drawn_boxes()
            .iter()
            .any(|(b, _)| *b == cur)
    );
    // Enter wraps around; Shift+Enter goes back.
    h.key_press(egui::Key::Enter);
    h.run_steps(2);
    assert_eq!(names(&h).as_deref(), Some("conv0"));
    h.key_press_modifiers(egui::Modifiers::SHIFT, egui::Key::Enter);
    h.run_steps(2);
    assert_eq!(names(&h).as_deref(), Some("conv2"));
    let _ = std::fs::remove_dir_all(&d);
}

#[test]
fn an_onnx_source_graph_is_shown_with_a_toggle_to_the_translated_graph() {
    use pocket_engine::ir::*;
    use pocket_studio::gui::layout::layout;
    use pocket_studio::gui::panels::graph::{GraphView, Which};
    let mut g = fp16_convs();
    // The file's own graph, as the ONNX importer records it: one Conv per CONV_2D (its
    // DEQUANTIZE has no ONNX node), NCHW shapes with a named batch.
    let val = |name: &str, dims: Vec<SourceDim>, is_const: bool| SourceValue {
        name: name.into(),
        dtype: "float32".into(),
        dims: Some(dims),
        is_const,
        numel: 0,
        tensor: None,
    };
    let nchw = |c, s| {
        vec![
            SourceDim::Named("batch".into()),
            SourceDim::Fixed(c),
            SourceDim::Fixed(s),
            SourceDim::Fixed(s),
        ]
    };
    let mut src = SourceGraph {
        format: "ONNX".into(),
        values: vec![val("image", nchw(3, 16), false)],
        ..Default::default()
    };
    src.inputs.push(0);
    let mut cur = 0;
    for i in 0..3usize {
        let w = src.values.len();
        let cin = if i == 0 { 3 } else { 8 };
        let dims = [8, cin, 3, 3].map(SourceDim::Fixed).to_vec();
        src.values.push(val(&format!("W{i}"), dims, true));
        let out = src.values.len();
        src.values
            .push(val(&format!("y{i}"), nchw(8, 8 >> i), false));
        src.nodes.push(SourceNode {
            name: format!("Conv_{i}"),
            op_type: "Conv".into(),
            domain: String::new(),
            attrs: vec![
                ("kernel_shape".into(), AttrValue::Ints(vec![3, 3])),
                ("strides".into(), AttrValue::Ints(vec![2, 2])),
            ],
            inputs: vec![Some(cur), Some(w)],
            outputs: vec![out],
            translated: vec![2 * i + 1],
        });
        cur = out;
    }
    src.outputs.push(cur);
    g.source = Some(Box::new(src));
    let l = layout(&g);
    let state = (GraphView::default(), g, l, None::<usize>);
    let mut h = Harness::builder()
        .with_size([1200.0, 800.0])
        .build_ui_state(
            |ui, (view, g, l, sel): &mut (GraphView, pocket_engine::Graph, _, Option<usize>)| {
                for c in view.ui(ui, g, l, *sel, &Default::default(), &Default::default()) {
                    if let pocket_studio::gui::panels::Command::Select(s) = c {
                        *sel = s;
                    }
                }
            },
            state,
        );
    h.run_steps(3);
    // The ONNX graph first: ONNX op names and attributes, NCHW shapes on the edges.
    let shown = |h: &Harness<'_, _>| {
        let (view, _, l, _): &(GraphView, pocket_engine::Graph, _, Option<usize>) = h.state();
        view.shown(l)
            .nodes
            .iter()
            .map(|n| n.title.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(h.state().0.which, Which::Source);
    assert_eq!(shown(&h), ["Input", "Conv", "Conv", "Conv", "Output"]);
    let (view, _, l, _) = h.state();
    let v = view.shown(l);
    assert_eq!(v.nodes[1].lines, ["3×3, stride 2", "8 filters"]);
    assert_eq!(v.edges[0].label, "batch×3×16×16");
    assert_eq!(view.drawn_boxes().len(), 5);
    // Clicking an ONNX box selects the IR node it became.
    let r = view.drawn_boxes()[2].1;
    h.input_mut()
        .events
        .push(egui::Event::PointerMoved(r.center()));
    for pressed in [true, false] {
        h.input_mut().events.push(egui::Event::PointerButton {
            pos: r.center(),
            button: egui::PointerButton::Primary,
            pressed,
            modifiers: egui::Modifiers::NONE,
        });
    }
    h.run_steps(3);
    assert_eq!(h.state().3, Some(3), "Conv_1 became IR node 3 (conv1)");
    // The toggle shows the translated graph, with the TFLite names.
    h.get_by_label("Translated graph").click();
    h.run_steps(3);
    assert_eq!(h.state().0.which, Which::Main);
    assert_eq!(
        shown(&h),
        ["Input", "CONV_2D", "CONV_2D", "CONV_2D", "Output"]
    );
    h.get_by_label("ONNX graph").click();
    h.run_steps(3);
    assert_eq!(shown(&h)[1], "Conv");
}
