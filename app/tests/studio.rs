//! The studio's coordinator driven without a window: commands in, worker events drained, the
//! same code paths the panels use (open a sample, a corrupt file, quantize, compare).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use pocket_engine::quant::{Mode, Recipe};
use pocket_studio::gui::app::StudioApp;
use pocket_studio::gui::panels::{Command, samples};
use pocket_studio::gui::settings::Settings;

fn wait(app: &mut StudioApp) {
    let t = Instant::now();
    while app.busy() {
        assert!(t.elapsed() < Duration::from_secs(120), "job did not finish");
        std::thread::sleep(Duration::from_millis(20));
        app.drain();
    }
}

fn shapes() -> PathBuf {
    samples()
        .into_iter()
        .find(|s| s.0 == "Shapes")
        .expect("shapes sample")
        .2
}

#[test]
fn open_sample_quantize_and_compare() {
    let mut app = StudioApp::with_settings(egui::Context::default(), Settings::default(), None);
    app.apply(Command::Open(shapes()));
    wait(&mut app);
    assert_eq!(app.model().map(|g| g.nodes.len()), Some(11));
    let dir = shapes().parent().expect("dir").to_path_buf();
    app.apply(Command::Quantize(
        Recipe::new(Mode::Int8),
        dir.join("calib"),
    ));
    wait(&mut app);
    assert!(
        app.notifications()
            .iter()
            .any(|n| n.starts_with("Quantized")),
        "{:?}",
        app.notifications()
    );
    app.apply(Command::Compare(dir.join("eval")));
    wait(&mut app);
    let r = app.report().expect("compare report");
    assert!(r.quant.top1 >= r.float.top1 - 0.01 && !r.layers.is_empty());
}

#[test]
fn corrupt_file_gives_a_notification_not_a_crash() {
    let p = std::env::temp_dir().join(format!(
        "pocket-studio-corrupt-{}.tflite",
        std::process::id()
    ));
    std::fs::write(&p, b"\x10\x00\x00\x00TFL3 this is not a model").expect("write");
    let mut app = StudioApp::with_settings(egui::Context::default(), Settings::default(), Some(p));
    wait(&mut app);
    assert!(app.model().is_none());
    assert!(
        app.notifications()
            .iter()
            .any(|n| n.contains("Not a readable model")),
        "{:?}",
        app.notifications()
    );
}
