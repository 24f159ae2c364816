//! Fuzz the ONNX reader and importer, and the session preparation and run of whatever it
//! accepts. Run: cargo +nightly fuzz run read_onnx fuzz/corpus/read_onnx
#![no_main]

use libfuzzer_sys::fuzz_target;
use pocket_engine::formats::onnx::{ImportOptions, read_bytes};
use pocket_engine::ir::Data;
use pocket_engine::{Session, SessionOptions, Value};

fuzz_target!(|data: &[u8]| {
    let Ok(g) = read_bytes(data, None, &ImportOptions::default()) else { return };
    let Ok(s) = Session::new(&g, &SessionOptions { threads: 1, ..Default::default() }) else { return };
    if g.tensors.iter().map(|t| t.numel()).sum::<usize>() > 1 << 20 {
        return;
    }
    let inputs = g.inputs.iter().map(|&t| Value::new(g.tensors[t].shape.clone(), Data::zeros(g.tensors[t].dtype, g.tensors[t].numel()))).collect();
    let _ = s.run(inputs);
});
