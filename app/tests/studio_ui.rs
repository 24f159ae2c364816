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
    h.get_by_label_contains("Quantized");
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
    assert!(out.is_file());
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
