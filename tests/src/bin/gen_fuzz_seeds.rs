//! Write the fuzz seed corpora (fuzz/corpus/read_tflite/, fuzz/corpus/read_onnx/): small valid models from the op suite
//! plus a few classic malformations. Usage: cargo run -p pocket-tests --bin gen-fuzz-seeds

fn main() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/read_tflite");
    std::fs::create_dir_all(&dir).expect("corpus dir");
    let mut n = 0;
    for c in pocket_tests::cases::all().iter().step_by(9) {
        let b = pocket_engine::formats::tflite::to_bytes(&c.graph).expect("write");
        std::fs::write(dir.join(format!("{}.tflite", c.name)), &b).expect("seed");
        let mut t = b.clone();
        t.truncate(b.len() / 2);
        std::fs::write(dir.join(format!("{}.truncated", c.name)), &t).expect("seed");
        n += 2;
    }
    std::fs::write(dir.join("empty"), b"").expect("seed");
    std::fs::write(dir.join("identifier-only"), b"\x08\x00\x00\x00TFL3").expect("seed");
    println!("wrote {} seeds to {}", n + 2, dir.display());
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/read_onnx");
    std::fs::create_dir_all(&dir).expect("corpus dir");
    for (name, b) in pocket_tests::onnx_models::all() {
        std::fs::write(dir.join(format!("{name}.onnx")), &b).expect("seed");
        std::fs::write(dir.join(format!("{name}.truncated")), &b[..b.len() / 2]).expect("seed");
    }
    std::fs::write(dir.join("empty"), b"").expect("seed");
    println!("wrote ONNX seeds to {}", dir.display());
}
