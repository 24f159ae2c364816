//! Bad input never panics: every malformed file gives an error that names the problem.

use std::panic::{AssertUnwindSafe, catch_unwind};

use pocket_engine::formats::tflite::builder::{Obj, TableB, finish};
use pocket_engine::formats::tflite::{self, read_bytes};
use pocket_engine::{Session, SessionOptions, Value};
use pocket_tests::cases;

fn valid_model() -> Vec<u8> {
    let c = cases::all()
        .into_iter()
        .find(|c| c.name.starts_with("multi_conv"))
        .expect("case");
    tflite::to_bytes(&c.graph).expect("write")
}

fn err_of(bytes: Vec<u8>) -> String {
    match catch_unwind(AssertUnwindSafe(|| read_bytes(bytes))) {
        Ok(Ok(_)) => panic!("a malformed model was accepted"),
        Ok(Err(e)) => e.chain(),
        Err(_) => panic!("the reader panicked"),
    }
}

/// Load, prepare and run whatever the reader accepts; nothing may panic.
fn survive(bytes: Vec<u8>) {
    let r = catch_unwind(AssertUnwindSafe(|| {
        let Ok(g) = read_bytes(bytes) else { return };
        let Ok(s) = Session::new(
            &g,
            &SessionOptions {
                threads: 1,
                ..Default::default()
            },
        ) else {
            return;
        };
        let inputs: Vec<Value> = g
            .inputs
            .iter()
            .map(|&t| {
                Value::new(
                    g.tensors[t].shape.clone(),
                    pocket_engine::ir::Data::zeros(g.tensors[t].dtype, g.tensors[t].numel()),
                )
            })
            .collect();
        let _ = s.run(inputs);
    }));
    assert!(r.is_ok(), "panic on a mutated model");
}

#[test]
fn empty_and_tiny_files() {
    assert!(err_of(vec![]).contains("empty"));
    assert!(err_of(vec![1, 2, 3]).contains("too short"));
}

#[test]
fn wrong_identifier() {
    let mut b = valid_model();
    b[4..8].copy_from_slice(b"ONNX");
    let e = err_of(b);
    assert!(e.contains("identifier"), "{e}");
}

#[test]
fn every_truncation_is_an_error() {
    let b = valid_model();
    // The writer pads the file end with zeros; cutting only padding leaves a valid model.
    let end = b.iter().rposition(|&x| x != 0).map_or(0, |p| p + 1);
    for len in (0..end).step_by(7).chain(end.saturating_sub(8)..end) {
        let r = catch_unwind(AssertUnwindSafe(|| read_bytes(b[..len].to_vec())));
        match r {
            Ok(Ok(_)) => panic!("truncated to {len} of {} bytes and still accepted", b.len()),
            Ok(Err(_)) => {}
            Err(_) => panic!("panic on a file truncated to {len} bytes"),
        }
    }
}

#[test]
fn bit_flips_never_panic() {
    let b = valid_model();
    let mut state = 12345u64;
    for _ in 0..3000 {
        state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let mut m = b.clone();
        let pos = (state >> 33) as usize % m.len();
        m[pos] ^= 1 << ((state >> 20) % 8);
        survive(m);
    }
}

// ---- hand-built models with one defect each ----

struct Raw {
    shapes: Vec<Vec<i32>>,
    tensor_buffers: Vec<u32>,
    buffers: Vec<Vec<u8>>,
    ops: Vec<(u32, Vec<i32>, Vec<i32>)>,
    opcodes: Vec<i32>,
    inputs: Vec<i32>,
    outputs: Vec<i32>,
}

impl Raw {
    /// x -> RELU -> y -> RELU -> z, all f32[2].
    fn chain() -> Raw {
        Raw {
            shapes: vec![vec![2], vec![2], vec![2]],
            tensor_buffers: vec![0, 0, 0],
            buffers: vec![vec![]],
            ops: vec![(0, vec![0], vec![1]), (0, vec![1], vec![2])],
            opcodes: vec![19],
            inputs: vec![0],
            outputs: vec![2],
        }
    }

    fn bytes(&self) -> Vec<u8> {
        self.encode(false)
    }

    /// Serialize; `legacy` writes op codes only in the 1-byte field, as pre-3a files do.
    fn encode(&self, legacy: bool) -> Vec<u8> {
        let tensors = self
            .shapes
            .iter()
            .zip(&self.tensor_buffers)
            .enumerate()
            .map(|(i, (s, &b))| {
                Obj::Table(
                    TableB::new()
                        .obj(0, Obj::i32s(s))
                        .i8(1, 0)
                        .u32(2, b)
                        .str(3, &format!("t{i}")),
                )
            })
            .collect();
        let ops = self
            .ops
            .iter()
            .map(|(c, i, o)| {
                Obj::Table(
                    TableB::new()
                        .u32(0, *c)
                        .obj(1, Obj::i32s(i))
                        .obj(2, Obj::i32s(o)),
                )
            })
            .collect();
        let sg = TableB::new()
            .obj(0, Obj::Objs(tensors))
            .obj(1, Obj::i32s(&self.inputs))
            .obj(2, Obj::i32s(&self.outputs))
            .obj(3, Obj::Objs(ops));
        let codes = self
            .opcodes
            .iter()
            .map(|&c| {
                Obj::Table(if legacy {
                    TableB::new().i8(0, c as i8)
                } else {
                    TableB::new().i8(0, c.min(127) as i8).i32(2, 1).i32(3, c)
                })
            })
            .collect();
        let bufs = self
            .buffers
            .iter()
            .map(|b| {
                Obj::Table(if b.is_empty() {
                    TableB::new()
                } else {
                    TableB::new().obj(0, Obj::data(b))
                })
            })
            .collect();
        finish(
            &TableB::new()
                .u32(0, 3)
                .obj(1, Obj::Objs(codes))
                .obj(2, Obj::Objs(vec![Obj::Table(sg)]))
                .obj(4, Obj::Objs(bufs)),
            b"TFL3",
        )
    }
}

#[test]
fn the_hand_built_chain_is_valid() {
    let g = read_bytes(Raw::chain().bytes()).expect("valid");
    let out = Session::new(
        &g,
        &SessionOptions {
            threads: 1,
            ..Default::default()
        },
    )
    .expect("session")
    .run(vec![Value::f32(vec![2], vec![-1.0, 2.0])])
    .expect("run");
    assert_eq!(out[0].as_f32(), Some(&[0.0, 2.0][..]));
}

fn expect_err(r: Raw, needle: &str) {
    let e = err_of(r.bytes());
    assert!(
        e.contains(needle),
        "error '{e}' does not mention '{needle}'"
    );
}

#[test]
fn out_of_range_indices() {
    let mut r = Raw::chain();
    r.ops[0].1 = vec![7];
    expect_err(r, "tensor index 7 out of range");
    let mut r = Raw::chain();
    r.ops[1].2 = vec![-5];
    expect_err(r, "out of range");
    let mut r = Raw::chain();
    r.tensor_buffers[1] = 9;
    expect_err(r, "buffer index 9 out of range");
    let mut r = Raw::chain();
    r.ops[0].0 = 4;
    expect_err(r, "opcode index 4 out of range");
    let mut r = Raw::chain();
    r.inputs = vec![3];
    expect_err(r, "refers to tensor 3");
}

#[test]
fn negative_and_huge_shapes() {
    let mut r = Raw::chain();
    r.shapes[0] = vec![-3];
    expect_err(r, "negative dimension");
    let mut r = Raw::chain();
    r.shapes[1] = vec![1_000_000, 1_000_000];
    expect_err(r, "claims more than");
}

#[test]
fn mismatched_buffer_size() {
    let mut r = Raw::chain();
    r.buffers.push(vec![0u8; 6]);
    r.tensor_buffers[0] = 1;
    r.inputs = vec![];
    expect_err(r, "holds 6 bytes");
}

#[test]
fn cyclic_graph() {
    let mut r = Raw::chain();
    r.ops = vec![(0, vec![2], vec![1]), (0, vec![1], vec![2])];
    expect_err(r, "cyclic");
}

#[test]
fn unsupported_ops_are_listed_together() {
    let mut r = Raw::chain();
    r.opcodes = vec![19, 131, 134];
    r.ops = vec![(1, vec![0], vec![1]), (2, vec![1], vec![2])];
    let g = read_bytes(r.bytes()).expect("unknown ops still load, as Custom");
    let e = Session::new(
        &g,
        &SessionOptions {
            threads: 1,
            ..Default::default()
        },
    )
    .err()
    .expect("cannot run")
    .chain();
    assert!(
        e.contains("RFFT2D") && e.contains("REAL"),
        "both unsupported ops must be named: {e}"
    );
}

#[test]
fn fuzz_seed_corpus_runs_clean() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/corpus/read_tflite");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).expect("fuzz/corpus/read_tflite exists") {
        let p = e.expect("entry").path();
        survive(std::fs::read(&p).expect("read seed"));
        n += 1;
    }
    assert!(n >= 5, "the seed corpus has only {n} files");
}

/// Buffers stored after the flatbuffer (the >2 GB "offset/size" form) are read from the file.
#[test]
fn buffers_stored_at_an_offset() {
    // x + c -> y with c = [1, 2] stored after the flatbuffer.
    let build = |offset: u64| {
        let tensors = vec![
            Obj::Table(
                TableB::new()
                    .obj(0, Obj::i32s(&[2]))
                    .i8(1, 0)
                    .u32(2, 0)
                    .str(3, "x"),
            ),
            Obj::Table(
                TableB::new()
                    .obj(0, Obj::i32s(&[2]))
                    .i8(1, 0)
                    .u32(2, 1)
                    .str(3, "c"),
            ),
            Obj::Table(
                TableB::new()
                    .obj(0, Obj::i32s(&[2]))
                    .i8(1, 0)
                    .u32(2, 0)
                    .str(3, "y"),
            ),
        ];
        let op = Obj::Table(
            TableB::new()
                .u32(0, 0)
                .obj(1, Obj::i32s(&[0, 1]))
                .obj(2, Obj::i32s(&[2])),
        );
        let sg = TableB::new()
            .obj(0, Obj::Objs(tensors))
            .obj(1, Obj::i32s(&[0]))
            .obj(2, Obj::i32s(&[2]))
            .obj(3, Obj::Objs(vec![op]));
        let codes = vec![Obj::Table(TableB::new().i8(0, 0).i32(2, 1).i32(3, 0))];
        let bufs = vec![
            Obj::Table(TableB::new()),
            Obj::Table(TableB::new().u64(1, offset).u64(2, 8)),
        ];
        finish(
            &TableB::new()
                .u32(0, 3)
                .obj(1, Obj::Objs(codes))
                .obj(2, Obj::Objs(vec![Obj::Table(sg)]))
                .obj(4, Obj::Objs(bufs)),
            b"TFL3",
        )
    };
    let len = build(1 << 40).len();
    let off = len.div_ceil(16) * 16;
    let mut bytes = build(off as u64);
    assert_eq!(bytes.len(), len);
    bytes.resize(off, 0);
    bytes.extend([1.0f32, 2.0].iter().flat_map(|v| v.to_le_bytes()));
    let g = read_bytes(bytes.clone()).expect("offset buffers");
    let out = Session::new(
        &g,
        &SessionOptions {
            threads: 1,
            ..Default::default()
        },
    )
    .expect("session")
    .run(vec![Value::f32(vec![2], vec![10.0, 20.0])])
    .expect("run");
    assert_eq!(out[0].as_f32(), Some(&[11.0, 22.0][..]));
    // Pointing past the end of the file is an error that says so.
    bytes.truncate(off + 4);
    assert!(err_of(bytes).contains("past the end of the file"));
}

/// Files from before schema 3a carry the op code only in the 1-byte legacy field.
#[test]
fn legacy_opcode_field_only() {
    let r = Raw::chain();
    let g = read_bytes(r.bytes()).expect("valid");
    assert_eq!(g.nodes[0].op.name(), "RELU");
    // builtin_code absent, only deprecated_builtin_code = RELU.
    let g = read_bytes(r.encode(true)).expect("legacy file");
    assert_eq!(
        g.nodes.iter().map(|n| n.op.name()).collect::<Vec<_>>(),
        vec!["RELU", "RELU"]
    );
    assert!(g.signature.is_none());
}
