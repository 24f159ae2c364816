//! The studio's worker against the CLI: a recipe the studio saves replays through `pocket
//! convert` to the same bytes (the worker quantizes and exports model + recipe exactly as the
//! Quantize and Export buttons do, then the CLI converts the same model with that recipe and the
//! same calibration folder), and a studio export never overwrites its source, however spelled.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use pocket_engine::quant::Recipe;
use pocket_studio::gui::panels::quantize::QuantizePanel;
use pocket_studio::gui::worker::{Event, EventKind, Job, Worker};
use pocket_studio::tasks::defaults;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pocket-replay-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch");
    d
}

/// Run a job on the studio's worker and return its final event.
fn finish(w: &mut Worker, job: Job) -> EventKind {
    let id = w.spawn(job);
    loop {
        let Event { job, kind } =
            w.rx.recv_timeout(Duration::from_secs(300))
                .expect("the job finishes");
        if job != id {
            continue;
        }
        match kind {
            EventKind::Progress(..) => {}
            EventKind::Failed(e) => panic!("studio job failed: {}", e.message),
            k => return k,
        }
    }
}

/// Quantize `model` in the studio with `recipe` and export to `out`; returns the recipe file.
fn studio_export(model: &Path, recipe: Recipe, calib: &Path, out: &Path) -> PathBuf {
    let mut w = Worker::new(egui::Context::default());
    let graph = Arc::new(pocket_engine::formats::read_model(model).expect("model"));
    let EventKind::Quantized { bytes, recipe, .. } = finish(
        &mut w,
        Job::Quantize {
            graph,
            recipe,
            calib: calib.to_path_buf(),
        },
    ) else {
        panic!("expected a quantized model")
    };
    let EventKind::Exported(p) = finish(
        &mut w,
        Job::Export {
            bytes,
            recipe: Some(recipe),
            report: None,
            path: out.to_path_buf(),
            source: Some(model.to_path_buf()),
        },
    ) else {
        panic!("expected an export")
    };
    assert_eq!(p, out);
    defaults::recipe_path(out)
}

fn convert(model: &Path, recipe: &Path, calib: &Path, out: &Path) {
    let o = Command::new(env!("CARGO_BIN_EXE_pocket"))
        .arg("convert")
        .arg(model)
        .arg("--recipe")
        .arg(recipe)
        .arg("--calib")
        .arg(calib)
        .arg("-o")
        .arg(out)
        .output()
        .expect("run pocket");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
fn a_recipe_saved_by_the_studio_replays_to_identical_bytes() {
    let dir = scratch("shapes");
    let model = root().join("sample-models/shapes/model.tflite");
    let calib = root().join("sample-models/shapes/calib");
    // The panel's recipe as a user leaves it after picking the percentile method.
    let mut recipe = QuantizePanel::default().recipe;
    recipe.calibration.method = defaults::percentile_method();
    recipe.calibration.max_samples = 40;

    let studio = dir.join("studio.tflite");
    let saved = studio_export(&model, recipe.clone(), &calib, &studio);
    let text = std::fs::read_to_string(&saved).expect("the studio saved the recipe");
    let saved_recipe = Recipe::from_json(&text).expect("valid recipe");
    assert!(
        saved_recipe.preprocess.is_some(),
        "the studio records its calibration preprocessing: {text}"
    );
    let cli = dir.join("cli.tflite");
    convert(&model, &saved, &calib, &cli);
    assert!(
        read(&cli) == read(&studio),
        "the replay differs from the studio's export"
    );
    assert_eq!(
        Recipe::from_json(&std::fs::read_to_string(dir.join("cli.recipe.json")).expect("r"))
            .expect("json"),
        saved_recipe
    );

    // The recorded preprocessing is what decides the bytes: the studio honours a recipe's
    // preprocessing too, and the CLI replays that one as well.
    let mut edited = saved_recipe.clone();
    if let Some(p) = edited.preprocess.as_mut() {
        p.mean = p.mean.iter().map(|m| m + 20.0).collect();
    }
    let studio2 = dir.join("studio2.tflite");
    let saved2 = studio_export(&model, edited, &calib, &studio2);
    assert!(
        read(&studio2) != read(&studio),
        "changing the recipe's preprocessing must change the calibrated model"
    );
    let cli2 = dir.join("cli2.tflite");
    convert(&model, &saved2, &calib, &cli2);
    assert!(read(&cli2) == read(&studio2), "the second replay differs");
}

#[test]
fn the_studio_never_exports_over_its_source_however_the_path_is_spelled() {
    let dir = scratch("source");
    let model = dir.join("model.tflite");
    std::fs::copy(root().join("sample-models/digits/model.tflite"), &model).expect("copy");
    let before = read(&model);
    std::fs::create_dir(dir.join("sub")).expect("sub");
    let odd = dir.join("sub").join("..").join(".").join("model.tflite");
    let mut w = Worker::new(egui::Context::default());
    let id = w.spawn(Job::Export {
        bytes: Arc::new(b"not a model".to_vec()),
        recipe: Some(Recipe::new(pocket_engine::quant::Mode::Float16)),
        report: None,
        path: odd,
        source: Some(model.clone()),
    });
    let kind = loop {
        let e = w.rx.recv_timeout(Duration::from_secs(60)).expect("event");
        if e.job == id && !matches!(e.kind, EventKind::Progress(..)) {
            break e.kind;
        }
    };
    let EventKind::Failed(failure) = kind else {
        panic!("the export over the source succeeded")
    };
    let msg = failure.message;
    assert!(msg.contains("refusing to overwrite"), "{msg}");
    assert_eq!(read(&model), before);
    assert!(!dir.join("model.recipe.json").exists());
}
