//! `pocket-studio`: the desktop app. `pocket-studio [MODEL]` opens a model directly;
//! `--help` and `--version` print and exit without opening a window.

use std::path::PathBuf;

use clap::Parser;

/// Pocket Studio: open a .tflite or .onnx model, quantize it, compare it with the float model,
/// export it and try it live on a camera. The `pocket` command does the same from scripts.
#[derive(Parser, Debug)]
#[command(name = "pocket-studio", version, long_about = None)]
struct Args {
    /// Model to open (.tflite or .onnx); without it the start screen shows the samples.
    #[arg(value_name = "MODEL")]
    model: Option<PathBuf>,
}

fn main() -> std::process::ExitCode {
    pocket_studio::gui::mark_launch();
    // Parsing first: `--help`, `--version` and unknown flags never open a window.
    let args = Args::parse();
    pocket_studio::tune_allocator();
    match pocket_studio::gui::run(args.model) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot start the window: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
