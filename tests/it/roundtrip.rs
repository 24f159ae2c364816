//! Writer faithfulness: read -> write -> read gives the same graph and identical constant
//! bytes; the same graph always gives the same file bytes; files are written atomically.

use pocket_engine::formats::tflite;
use pocket_tests::cases;

use crate::scratch;

#[test]
fn read_write_read_is_identity_for_every_case() {
    for c in cases::all() {
        let bytes = tflite::to_bytes(&c.graph).expect("write");
        let g1 = tflite::read_bytes(bytes.clone()).unwrap_or_else(|e| panic!("{}: {e}", c.name));
        let bytes2 = tflite::to_bytes(&g1).expect("write again");
        let g2 = tflite::read_bytes(bytes2.clone()).expect("read again");
        assert_eq!(
            g1.nodes, g2.nodes,
            "{}: nodes differ after a round trip",
            c.name
        );
        assert_eq!(
            g1.tensors, g2.tensors,
            "{}: tensors (incl. constant bytes) differ",
            c.name
        );
        assert_eq!(g1.inputs, g2.inputs);
        assert_eq!(g1.outputs, g2.outputs);
        assert_eq!(g1.signature, g2.signature);
        assert_eq!(
            bytes2,
            tflite::to_bytes(&g2).expect("write"),
            "{}: writing is not deterministic",
            c.name
        );
        for (a, b) in c.graph.tensors.iter().zip(&g1.tensors) {
            assert_eq!(
                a.data, b.data,
                "{}: constant bytes of '{}' changed",
                c.name, a.name
            );
            assert_eq!(a.shape, b.shape);
            assert_eq!(a.dtype, b.dtype);
        }
    }
}

#[test]
fn same_graph_gives_same_bytes() {
    let a = cases::all();
    let b = cases::all();
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(
            tflite::to_bytes(&x.graph).expect("w"),
            tflite::to_bytes(&y.graph).expect("w"),
            "{}",
            x.name
        );
    }
}

#[test]
fn write_file_replaces_atomically_and_leaves_no_temp_files() {
    let dir = scratch("atomic");
    let c = cases::all().into_iter().next().expect("a case");
    let p = dir.join("m.tflite");
    std::fs::write(&p, b"old").expect("seed");
    tflite::write_file(&c.graph, &p).expect("write");
    let names: Vec<_> = std::fs::read_dir(&dir)
        .expect("ls")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(names.len(), 1, "temp files left behind: {names:?}");
    assert!(tflite::read_file(&p).is_ok());
    // A write into a missing folder is an error, not a panic.
    let bad = dir.join("no-such-dir").join("m.tflite");
    assert!(tflite::write_file(&c.graph, &bad).is_err());
}

/// A write to an existing file that fails part-way (here: its temporary file cannot be
/// created) reports the error and leaves the old file's bytes as they were.
#[test]
fn failing_write_leaves_the_old_file_untouched() {
    let dir = scratch("atomic-fail");
    let all = cases::all();
    let (old, new) = (&all[0], &all[1]);
    let p = dir.join("m.tflite");
    tflite::write_file(&old.graph, &p).expect("write");
    let before = std::fs::read(&p).expect("read");
    assert_ne!(
        before,
        tflite::to_bytes(&new.graph).expect("serialize"),
        "the second case must give other bytes"
    );
    // The writer's temporary file is `.<name>.tmp<pid>` beside the target: a folder there makes
    // creating it fail after the model has been serialized.
    let blocker = dir.join(format!(".m.tflite.tmp{}", std::process::id()));
    std::fs::create_dir(&blocker).expect("blocker");
    std::fs::write(blocker.join("keep"), b"x").expect("blocker content");
    let r = tflite::write_file(&new.graph, &p);
    assert!(
        r.is_err(),
        "the write succeeded despite the blocked temporary path (did the writer's temporary \
         file name change? update this test)"
    );
    assert_eq!(
        std::fs::read(&p).expect("the old file is still there"),
        before,
        "a failed write changed the old file"
    );
    assert!(tflite::read_file(&p).is_ok());
}
