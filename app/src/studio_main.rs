//! `pocket-studio`: the desktop app. `pocket-studio [MODEL]` opens a model directly.

fn main() -> std::process::ExitCode {
    pocket_studio::gui::mark_launch();
    pocket_studio::tune_allocator();
    let path = std::env::args_os().nth(1).map(std::path::PathBuf::from);
    match pocket_studio::gui::run(path) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot start the window: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
