//! The studio window (`pocket-studio`): a thin `App` coordinator, persisted settings, a worker
//! running long jobs off the UI thread, a graph layout computed away from drawing code, and one
//! file per panel. Panels only hold their own UI state and send `Command`s.

pub mod activations;
pub mod app;
pub mod document;
pub mod layout;
pub mod notes;
pub mod panels;
pub mod settings;
pub mod theme;
pub mod worker;

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Instant;

static LAUNCHED: OnceLock<Instant> = OnceLock::new();

/// Record the process start (call first thing in `main`).
pub fn mark_launch() {
    let _ = LAUNCHED.set(Instant::now());
}

/// When the process started (or, if never marked, now).
pub fn launched() -> Instant {
    *LAUNCHED.get_or_init(Instant::now)
}

/// Start the studio, opening `path` if given.
pub fn run(path: Option<PathBuf>) -> eframe::Result {
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Pocket Studio")
            .with_inner_size([1280.0, 800.0])
            .with_drag_and_drop(true),
        ..Default::default()
    };
    eframe::run_native(
        "Pocket Studio",
        options,
        Box::new(move |cc| Ok(Box::new(app::StudioApp::new(cc, path)))),
    )
}
