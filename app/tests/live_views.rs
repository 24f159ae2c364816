//! Live views by output, in the real studio driven through egui_kittest: tiny generated models
//! (an SSD face-detector head with BlazeFace's 896 anchors, a 21-point landmark vector, a mask
//! beside a scalar) are written as .tflite, dropped on the window and run live on the test
//! pattern; the views picked, the boxes and points decoded and the panel's labels are checked.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use pocket_engine::ir::*;
use pocket_studio::camera::plan::ViewKind;
use pocket_studio::camera::view::OutputView;
use pocket_studio::gui::app::StudioApp;
use pocket_tests::Builder;

fn harness<'a>() -> Harness<'a, StudioApp> {
    Harness::builder()
        .with_size([1400.0, 1000.0])
        .build_eframe(|cc| StudioApp::new(cc, None))
}

fn step_until(h: &mut Harness<'_, StudioApp>, what: &str, done: impl Fn(&StudioApp) -> bool) {
    h.run_steps(2);
    let t = Instant::now();
    while !done(h.state()) {
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "timed out waiting for {what}; notes: {:?}",
            h.state().notifications()
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

fn write_model(name: &str, g: &Graph) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pocket-liveviews-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    let p = d.join(format!("{name}.tflite"));
    pocket_engine::formats::tflite::write_file(g, &p).expect("write model");
    p
}

/// A 1x1 convolution with stride `s`, `oc` channels: weights `w` per (out, in) and `bias`.
fn conv(b: &mut Builder, name: &str, x: TensorId, s: usize, w: &[f32], bias: &[f32]) -> TensorId {
    let oc = bias.len();
    let ic = w.len() / oc;
    let wt = b.f32(&format!("{name}/w"), &[oc, 1, 1, ic], w);
    let bt = b.f32(&format!("{name}/b"), &[oc], bias);
    b.op(
        name,
        Op::Conv2d(Conv2d {
            padding: Padding::Same,
            stride: [s, s],
            dilation: [1, 1],
            act: Activation::None,
        }),
        &[Some(x), Some(wt), Some(bt)],
    )
}

fn reshape(b: &mut Builder, name: &str, x: TensorId, shape: &[i32]) -> TensorId {
    let s = b.i32(&format!("{name}/shape"), &[shape.len()], shape);
    b.op(name, Op::Reshape { new_shape: None }, &[Some(x), Some(s)])
}

fn concat(b: &mut Builder, name: &str, x: &[TensorId]) -> TensorId {
    let ins: Vec<Option<TensorId>> = x.iter().map(|&t| Some(t)).collect();
    b.op(
        name,
        Op::Concatenation {
            axis: 1,
            act: Activation::None,
        },
        &ins,
    )
}

/// BlazeFace-shaped head on a 128x128 input: boxes [1, 896, 16] (16x16 cells x 2 anchors, then
/// 8x8 cells x 6) and scores [1, 896, 1]. Every box is 24 px square on its anchor with a
/// keypoint 4 px right of it; scores follow the red channel, so bright cells win.
fn detector() -> Graph {
    detector_shifted(0.0)
}

/// [`detector`] with every box moved `dx` px right.
fn detector_shifted(dx: f32) -> Graph {
    let mut b = Builder::new();
    let x = b.input("image", DType::F32, &[1, 128, 128, 3]);
    let head = |b: &mut Builder, tag: &str, s: usize, anchors: usize, n: i32| {
        let mut bias = Vec::new();
        for _ in 0..anchors {
            bias.extend([dx, 0.0, 24.0, 24.0, 4.0, 0.0]);
            bias.extend([0.0; 10]);
        }
        let boxes = conv(
            b,
            &format!("{tag}_boxes"),
            x,
            s,
            &vec![0.0; bias.len() * 3],
            &bias,
        );
        let boxes = reshape(b, &format!("{tag}_boxes_r"), boxes, &[1, n, 16]);
        let w: Vec<f32> = (0..anchors).flat_map(|_| [4.0, 0.0, 0.0]).collect();
        let scores = conv(b, &format!("{tag}_scores"), x, s, &w, &vec![-2.0; anchors]);
        let scores = reshape(b, &format!("{tag}_scores_r"), scores, &[1, n, 1]);
        (boxes, scores)
    };
    let (b8, s8) = head(&mut b, "s8", 8, 2, 512);
    let (b16, s16) = head(&mut b, "s16", 16, 6, 384);
    let boxes = concat(&mut b, "regressors", &[b8, b16]);
    let scores = concat(&mut b, "classificators", &[s8, s16]);
    b.finish(&[boxes, scores])
}

/// 21 landmarks (hand-shaped output [1, 63]) on a 64x64 input: point i at (3i, 2i) px.
fn landmarks() -> Graph {
    let mut b = Builder::new();
    let x = b.input("image", DType::F32, &[1, 64, 64, 3]);
    let bias: Vec<f32> = (0..21)
        .flat_map(|i| [3.0 * i as f32, 2.0 * i as f32, 0.0])
        .collect();
    let y = conv(&mut b, "points", x, 64, &vec![0.0; 63 * 3], &bias);
    let y = reshape(&mut b, "landmarks", y, &[1, 63]);
    b.finish(&[y])
}

/// A 32x32 mask from the green channel, and a scalar [1, 1, 1, 1].
fn mask() -> Graph {
    mask_scaled(1.0)
}

/// [`mask`] with the mask scaled by `gain`.
fn mask_scaled(gain: f32) -> Graph {
    let mut b = Builder::new();
    let x = b.input("image", DType::F32, &[1, 32, 32, 3]);
    let m = conv(&mut b, "mask", x, 1, &[0.0, gain, 0.0], &[0.0]);
    let s = conv(&mut b, "score", x, 32, &[0.1, 0.1, 0.1], &[0.5]);
    b.finish(&[m, s])
}

/// Open `model` in the studio and run it live on the test pattern until a result has views.
fn run_live(model: &Path) -> Harness<'static, StudioApp> {
    let mut h = harness();
    h.input_mut()
        .dropped_files
        .push(Arc::new(Dropped(model.to_path_buf())));
    h.step();
    step_until(&mut h, "the model to load", |a| a.model().is_some());
    h.get_by_label("Live").click();
    h.run_steps(2);
    // With no camera the webcam row offers a second "Test pattern" button: either works.
    h.query_all_by_label("Test pattern")
        .next()
        .expect("test pattern source")
        .click();
    h.run_steps(2);
    h.get_by_role_and_label(Role::Button, "Start").click();
    step_until(&mut h, "live views", |a| {
        a.live_result()
            .is_some_and(|r| r.outputs.first().is_some_and(|o| !o.views.is_empty()))
    });
    h.run_steps(2);
    h
}

fn stop(h: &mut Harness<'_, StudioApp>) {
    h.get_by_role_and_label(Role::Button, "Stop").click();
    h.run_steps(3);
    assert!(h.state().pipeline().is_none());
}

#[test]
fn a_detector_head_is_decoded_into_boxes_on_the_frame() {
    let p = write_model("detector", &detector());
    let mut h = run_live(&p);
    let r = h.state().live_result().expect("result").clone();
    let views = &r.outputs[0].views;
    assert_eq!(views.len(), 1, "boxes and scores make one view");
    assert_eq!(views[0].plan.kind, ViewKind::Ssd);
    assert_eq!(views[0].plan.outputs, vec![0, 1]);
    let OutputView::Detections { boxes, note } = &views[0].view else {
        panic!("{:?}", views[0].view)
    };
    assert!(note.contains("face short range"), "{note}");
    assert!(!boxes.is_empty(), "the test pattern has bright cells");
    assert!(boxes.len() < 100, "NMS keeps few of 896 overlapping boxes");
    for d in boxes {
        // 24 px of 128 on a fixed-size anchor, keypoint 4 px right of the centre.
        assert!((d.rect[2] - d.rect[0] - 24.0 / 128.0).abs() < 1e-4, "{d:?}");
        let cx = (d.rect[0] + d.rect[2]) / 2.0;
        assert!((d.keypoints[0][0] - cx - 4.0 / 128.0).abs() < 1e-4);
        assert!(d.score >= 0.5);
    }
    // Overlapping boxes were suppressed.
    for (i, a) in boxes.iter().enumerate() {
        for b in &boxes[i + 1..] {
            assert!(pocket_studio::camera::detect::iou(&a.rect, &b.rect) <= 0.3 + 1e-6);
        }
    }
    // The kind picker shows the automatic kind; the legend counts the boxes (the pattern
    // moves, so the count on screen may be a later frame's).
    h.get_by_value("SSD detector (anchors)");
    assert!(h.query_all_by_label_contains(" boxes, best ").count() >= 1);
    // Switch the view to heat maps: one per output.
    h.get_by_value("SSD detector (anchors)").click();
    h.run_steps(2);
    h.get_by_label("heat map").click();
    h.run_steps(4);
    assert!(h.query_all_by_label_contains("raw output").count() >= 2);
    stop(&mut h);
}

#[test]
fn landmarks_become_points_and_masks_overlay_the_frame() {
    let p = write_model("hand", &landmarks());
    let mut h = run_live(&p);
    let r = h.state().live_result().expect("result").clone();
    let v = &r.outputs[0].views;
    assert_eq!(v[0].plan.kind, ViewKind::Landmarks { per: 3 });
    let OutputView::Landmarks(pts) = &v[0].view else {
        panic!("{:?}", v[0].view)
    };
    assert_eq!(pts.len(), 21);
    assert!((pts[5][0] - 15.0 / 64.0).abs() < 1e-5 && (pts[5][1] - 10.0 / 64.0).abs() < 1e-5);
    h.get_by_label_contains("float: 21 points");
    stop(&mut h);

    let p = write_model("mask", &mask());
    let mut h = run_live(&p);
    let r = h.state().live_result().expect("result").clone();
    let kinds: Vec<ViewKind> = r.outputs[0].views.iter().map(|v| v.plan.kind).collect();
    assert_eq!(
        kinds,
        vec![ViewKind::Mask, ViewKind::Heat],
        "every output listed"
    );
    let OutputView::Mask { w, h: mh, data, .. } = &r.outputs[0].views[0].view else {
        panic!()
    };
    assert_eq!((*w, *mh, data.len()), (32, 32, 1024));
    h.get_by_label_contains("mask (score)");
    h.get_by_label_contains("raw output 1x1");
    stop(&mut h);
}

/// Compare decodes both models' boxes and masks: a detector whose boxes sit 3 px right of the
/// float one's (24 px squares: IoU 21/27) and a mask scaled by 0.8 (foreground from 0.625
/// instead of 0.5 on a left-to-right green ramp: 12 of 16 columns).
#[test]
fn compare_reports_box_agreement_and_mask_iou() {
    use pocket_studio::tasks::compare::{Pair, compare};
    let run = |float: &Graph, quant: &Graph, data: &Path| {
        let pair = Pair {
            float,
            float_bytes: 1,
            quant,
            quant_bytes: 1,
        };
        compare(
            &pair,
            data,
            None,
            (Some(1), pocket_engine::Numerics::default()),
            &pocket_studio::tasks::no_progress,
            &std::sync::atomic::AtomicBool::new(false),
        )
        .expect("compare")
    };
    let dir = std::env::temp_dir().join(format!("pocket-agree-{}", std::process::id()));
    let (faces, ramps) = (dir.join("faces"), dir.join("ramps"));
    for d in [&faces, &ramps] {
        std::fs::create_dir_all(d).expect("data dir");
    }
    for (i, at) in [20u32, 60].into_iter().enumerate() {
        image::RgbImage::from_fn(128, 128, |x, y| {
            let inside = (at..at + 40).contains(&x) && (at..at + 40).contains(&y);
            image::Rgb([if inside { 255 } else { 0 }, 0, 0])
        })
        .save(faces.join(format!("{i}.png")))
        .expect("png");
    }
    image::RgbImage::from_fn(32, 32, |x, _| image::Rgb([0, (x * 255 / 31) as u8, 0]))
        .save(ramps.join("ramp.png"))
        .expect("png");

    let r = run(&detector(), &detector_shifted(3.0), &faces);
    assert_eq!(r.tasks.len(), 1, "{:?}", r.tasks);
    let t = &r.tasks[0];
    assert_eq!(t.kind, "boxes");
    assert!((t.matched - 1.0).abs() < 1e-9, "{t:?}");
    assert!((t.mean_iou - 21.0 / 27.0).abs() < 1e-3, "{t:?}");
    // The same model matches itself exactly.
    let same = run(&detector(), &detector(), &faces);
    assert!(
        (same.tasks[0].mean_iou - 1.0).abs() < 1e-6,
        "{:?}",
        same.tasks
    );

    let r = run(&mask(), &mask_scaled(0.8), &ramps);
    let t = r
        .tasks
        .iter()
        .find(|t| t.kind == "mask")
        .expect("mask task");
    assert!((t.mean_iou - 0.75).abs() < 1e-9, "{t:?}");
    assert!((t.matched - 28.0 / 32.0).abs() < 1e-9, "{t:?}");
    let _ = std::fs::remove_dir_all(&dir);
}
