//! `pocket`: the Pocket Studio command line.

fn main() -> std::process::ExitCode {
    pocket_studio::tune_allocator();
    pocket_studio::cli::main()
}
