//! Fuzz the TFLite reader, and the session preparation and run of whatever it accepts.
//! Run: cargo +nightly fuzz run read_tflite fuzz/corpus/read_tflite
#![no_main]

use libfuzzer_sys::fuzz_target;
use pocket_engine::ir::Data;
use pocket_engine::{Session, SessionOptions, Value};

fuzz_target!(|data: &[u8]| {
    let Ok(g) = pocket_engine::formats::tflite::read_bytes(data.to_vec()) else { return };
    let Ok(s) = Session::new(&g, &SessionOptions { threads: 1, ..Default::default() }) else { return };
    // Only run small graphs, so the fuzzer explores parsing rather than big allocations.
    if g.tensors.iter().map(|t| t.numel()).sum::<usize>() > 1 << 20 {
        return;
    }
    let inputs = g.inputs.iter().map(|&t| Value::new(g.tensors[t].shape.clone(), Data::zeros(g.tensors[t].dtype, g.tensors[t].numel()))).collect();
    let _ = s.run(inputs);
});
