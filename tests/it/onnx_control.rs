//! ONNX control flow against ONNX Runtime, element by element: an `If` whose condition folds
//! once the input size is known (inlined: no IF is left, either branch), a data-dependent
//! `If` (an IF calling two subgraphs), a `Loop` with loop-carried state and an early exit (a
//! WHILE), an `If` nested in a `Loop`'s body, and NonMaxSuppression / NonZero (outputs whose
//! length depends on the data). Each is run by our engine and, written to a
//! `.tflite`, by LiteRT. The models come from tests/oracle/make_onnx_control.py.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use pocket_engine::formats::onnx::{self, ImportOptions};
use pocket_engine::formats::{npy, tflite};
use pocket_engine::ir::Op;
use pocket_engine::{Graph, Session, SessionOptions, Value};
use pocket_tests::{Tolerance, oracle};

static GEN: Mutex<()> = Mutex::new(());

/// The generated cases (made once; delete the directory to regenerate).
fn cases(python: &Path) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("data/onnx_control");
    let _g = GEN.lock().unwrap_or_else(|e| e.into_inner());
    if !dir.join("loop_peel/output_0.npy").exists() {
        let out = Command::new(python)
            .arg(root.join("oracle/make_onnx_control.py"))
            .arg(&dir)
            .output()
            .expect("start make_onnx_control.py");
        assert!(
            out.status.success(),
            "make_onnx_control.py: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    dir
}

fn numbered(d: &Path, stem: &str) -> Vec<PathBuf> {
    (0..)
        .map(|i| d.join(format!("{stem}_{i}.npy")))
        .take_while(|p| p.exists())
        .collect()
}

/// The names of the control-flow nodes of every graph of `g` (main graph first).
fn control_ops(g: &Graph) -> Vec<String> {
    std::iter::once(g)
        .chain(&g.subgraphs)
        .flat_map(|sg| &sg.nodes)
        .filter(|n| matches!(&n.op, Op::Custom { .. }))
        .map(|n| n.op.name())
        .collect()
}

/// Import case `name` (a free batch dimension at `batch`), run it with our engine and with
/// LiteRT on its `.tflite`, and compare both with ONNX Runtime; the graph imported.
fn check(python: &Path, name: &str, batch: usize) -> Graph {
    let d = cases(python).join(name);
    let opts = ImportOptions {
        batch,
        ..Default::default()
    };
    let g = onnx::read_file_with(d.join("model.onnx"), &opts).expect("import");
    let inputs = numbered(&d, "input");
    let expected: Vec<Value> = numbered(&d, "output")
        .iter()
        .map(|p| npy::read(p).expect("npy"))
        .collect();
    let xs: Vec<Value> = inputs.iter().map(|p| npy::read(p).expect("npy")).collect();
    let ours = Session::new(
        &g,
        &SessionOptions {
            threads: 1,
            ..Default::default()
        },
    )
    .expect("session")
    .run(xs)
    .expect("run");
    assert_eq!(ours.len(), expected.len(), "{name}: outputs");
    for (i, (o, e)) in ours.iter().zip(&expected).enumerate() {
        Tolerance::FLOAT
            .check(o, e)
            .unwrap_or_else(|err| panic!("{name} output {i} (ours vs ORT): {err}"));
    }
    let scratch = std::env::temp_dir().join(format!("pocket-onnxcf-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).expect("scratch");
    let model = scratch.join("model.tflite");
    std::fs::write(&model, tflite::to_bytes(&g).expect("write .tflite")).expect("write");
    let job = oracle::Job {
        model,
        inputs,
        out: scratch.join("litert"),
        threads: 1,
        reference: false,
    };
    let lite = oracle::run(std::slice::from_ref(&job), &scratch)
        .pop()
        .expect("one job")
        .unwrap_or_else(|e| panic!("{name}: LiteRT: {e}"));
    assert_eq!(lite.len(), expected.len(), "{name}: LiteRT outputs");
    for (i, (l, e)) in lite.iter().zip(&expected).enumerate() {
        Tolerance::FLOAT
            .check(l, e)
            .unwrap_or_else(|err| panic!("{name} output {i} (LiteRT vs ORT): {err}"));
    }
    let _ = std::fs::remove_dir_all(&scratch);
    g
}

/// `If(Equal(Shape(x)[0], 1))`: at batch 1 the then branch, at batch 2 the else branch, each
/// inlined (nothing is left to branch on at run time).
#[test]
fn if_with_a_condition_on_input_sizes_is_replaced_by_its_branch() {
    let Some(python) = oracle::require(oracle::ORT) else {
        return;
    };
    for (name, batch) in [("if_const_shape", 1), ("if_const_else", 2)] {
        let g = check(&python, name, batch);
        assert!(control_ops(&g).is_empty(), "{name}: {:?}", control_ops(&g));
        assert!(g.subgraphs.is_empty(), "{name}: no subgraph is left");
    }
}

/// `If(ReduceSum(x) > 0)` becomes an IF calling two subgraphs; both branches are taken.
#[test]
fn data_dependent_if_becomes_an_if_with_two_subgraphs() {
    let Some(python) = oracle::require(oracle::ORT) else {
        return;
    };
    for name in ["if_data_then", "if_data_else"] {
        let g = check(&python, name, 1);
        assert_eq!(control_ops(&g), ["IF"], "{name}");
        assert_eq!(g.subgraphs.len(), 2, "{name}");
    }
}

/// A data-dependent `If` whose else branch cannot run at these input sizes (ORT refuses it
/// when taken) still runs its then branch, in our engine and in LiteRT; taking the else branch
/// fails in both, with the reason in our error.
#[test]
fn if_with_a_branch_that_cannot_run_fails_only_when_taken() {
    let Some(python) = oracle::require(oracle::ORT) else {
        return;
    };
    let g = check(&python, "if_data_broken", 1);
    assert_eq!(control_ops(&g), ["IF"]);
    let d = cases(&python).join("if_data_broken");
    let neg = npy::read(d.join("broken_else.npy")).expect("npy");
    let err = Session::new(&g, &SessionOptions::default())
        .expect("session")
        .run(vec![neg])
        .err()
        .expect("the else branch fails")
        .chain();
    assert!(err.contains("cannot run at these input sizes"), "{err}");
    assert!(err.contains("Reshape"), "{err}");
    let scratch = std::env::temp_dir().join(format!("pocket-onnxcf-{}-broken", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("scratch");
    let model = scratch.join("model.tflite");
    std::fs::write(&model, tflite::to_bytes(&g).expect("write .tflite")).expect("write");
    let job = oracle::Job {
        model,
        inputs: vec![d.join("broken_else.npy")],
        out: scratch.join("litert"),
        threads: 1,
        reference: false,
    };
    let lite = oracle::run(std::slice::from_ref(&job), &scratch)
        .pop()
        .expect("one job");
    assert!(lite.is_err(), "LiteRT ran the failing branch: {lite:?}");
    let _ = std::fs::remove_dir_all(&scratch);
}

/// `Loop` with a trip count input, loop-carried state, a counter and an early exit (the body's
/// condition) becomes a WHILE; an `If` inside the body becomes an IF in the body subgraph.
#[test]
fn loop_becomes_a_while_with_its_state_and_nested_if() {
    let Some(python) = oracle::require(oracle::ORT) else {
        return;
    };
    let g = check(&python, "loop_state", 1);
    assert_eq!(control_ops(&g), ["WHILE"]);
    let g = check(&python, "loop_if", 1);
    assert_eq!(control_ops(&g), ["WHILE", "IF"]);
    assert_eq!(g.subgraphs.len(), 4, "then, else, cond and body");
}

/// Paddle's while-loop form: a buffer whose successor starts as a scalar placeholder, written
/// at `Range(i, min(L, i + 1))` each step. The first iteration is translated inline and a
/// WHILE runs the rest, its run-time Slice and Range checked against the first iteration's
/// length; the Slice to the counter after the loop has a data-dependent length.
#[test]
fn loop_with_a_placeholder_state_runs_its_first_iteration_apart() {
    let Some(python) = oracle::require(oracle::ORT) else {
        return;
    };
    let g = check(&python, "loop_peel", 1);
    assert_eq!(control_ops(&g), ["WHILE"]);
    let body = g.subgraphs.last().expect("the body");
    let guards = body
        .nodes
        .iter()
        .filter(|n| n.name.contains("at the loop's first iteration"))
        .count();
    assert_eq!(guards, 2, "the Slice and the Range are checked");
}

/// NonMaxSuppression and NonZero give tensors whose length depends on the data: one
/// NON_MAX_SUPPRESSION_V4 per batch and class, sliced to its valid count; WHERE for NonZero.
/// Gathers, casts and transposes follow them; an empty selection gives `[0, 3]`.
#[test]
fn outputs_of_data_dependent_length_match_ort_and_litert() {
    let Some(python) = oracle::require(oracle::ORT) else {
        return;
    };
    for (name, nms) in [
        ("nms_corners", 6),
        ("nms_center", 2),
        ("nms_none", 2),
        ("nonzero", 0),
    ] {
        let g = check(&python, name, 1);
        let count = g
            .nodes
            .iter()
            .filter(|n| n.op.name() == "NON_MAX_SUPPRESSION_V4")
            .count();
        assert_eq!(count, nms, "{name}: one NMS per batch and class");
    }
}
