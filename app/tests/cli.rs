//! The `pocket` binary as a user meets it: outputs, file names, exit codes, and that failed
//! commands write nothing.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn pocket(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pocket"))
        .args(args)
        .output()
        .expect("run pocket")
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn digits() -> String {
    root()
        .join("sample-models/digits/model.tflite")
        .to_string_lossy()
        .into_owned()
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("pocket-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("scratch");
    d
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn inspect_prints_and_json_has_the_documented_fields() {
    let o = pocket(&["inspect", &digits()]);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    for needle in [
        "Inputs:",
        "CONV_2D",
        "Parameters: 60876",
        "MACs per inference",
        "Runnable: yes",
    ] {
        assert!(t.contains(needle), "missing {needle} in:\n{t}");
    }
    let o = pocket(&["inspect", &digits(), "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["params"], 60876);
    assert!(v["ops"].as_array().is_some_and(|a| !a.is_empty()));
}

#[test]
fn run_saves_output_files_and_prints_top_k() {
    let dir = scratch("run");
    let img = root().join("sample-models/digits/test/7");
    let first = std::fs::read_dir(&img)
        .expect("images")
        .next()
        .expect("one")
        .expect("entry")
        .path();
    let labels = root().join("sample-models/digits/labels.txt");
    let o = pocket(&[
        "run",
        &digits(),
        "--input",
        first.to_str().expect("path"),
        "--top",
        "3",
        "--labels",
        labels.to_str().expect("path"),
        "--save",
        dir.to_str().expect("path"),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("1. class 7"),
        "{}",
        text(&o)
    );
    let v = pocket_engine::formats::npy::read(dir.join("output_0.npy")).expect("output_0.npy");
    assert_eq!(v.shape, vec![1, 10]);
}

#[test]
fn convert_writes_model_and_recipe_and_the_result_runs() {
    let dir = scratch("convert");
    let out = dir.join("digits_int8.tflite");
    let calib = root().join("sample-models/digits/calib");
    let o = pocket(&[
        "convert",
        &digits(),
        "-o",
        out.to_str().expect("p"),
        "--mode",
        "int8",
        "--calib",
        calib.to_str().expect("p"),
        "--calib-samples",
        "20",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let recipe = std::fs::read_to_string(dir.join("digits_int8.recipe.json"))
        .expect("recipe beside the model");
    assert!(
        recipe.contains("\"mode\": \"int8\"") && recipe.contains("\"max_samples\": 20"),
        "{recipe}"
    );
    let img = std::fs::read_dir(root().join("sample-models/digits/test/3"))
        .expect("images")
        .next()
        .expect("one")
        .expect("entry")
        .path();
    let o = pocket(&[
        "run",
        out.to_str().expect("p"),
        "--input",
        img.to_str().expect("p"),
        "--top",
        "1",
    ]);
    assert!(
        o.status.success() && String::from_utf8_lossy(&o.stdout).contains("1. class 3"),
        "{}",
        text(&o)
    );
}

#[test]
fn failed_conversions_write_nothing_and_exit_non_zero() {
    let dir = scratch("bad");
    let out = dir.join("x.tflite");
    let o_str = out.to_str().expect("p");
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).expect("dir");
    let recipe = dir.join("r.json");
    std::fs::write(
        &recipe,
        r#"{"mode": "int8", "keep_float": ["no_such_layer"]}"#,
    )
    .expect("recipe");
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            vec!["--mode".into(), "int8".into()],
            "needs calibration data",
        ),
        (
            vec![
                "--mode".into(),
                "int8".into(),
                "--calib".into(),
                empty.to_string_lossy().into(),
            ],
            "holds no samples",
        ),
        (
            vec![
                "--recipe".into(),
                recipe.to_string_lossy().into(),
                "--calib".into(),
                root()
                    .join("sample-models/digits/calib")
                    .to_string_lossy()
                    .into(),
            ],
            "matches no node",
        ),
        (
            vec![
                "--mode".into(),
                "float16".into(),
                "--calib-method".into(),
                "median".into(),
            ],
            "unknown calibration method",
        ),
    ];
    for (extra, needle) in cases {
        let mut args = vec!["convert".to_string(), digits(), "-o".into(), o_str.into()];
        args.extend(extra);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = pocket(&refs);
        assert!(!o.status.success(), "{refs:?} succeeded");
        assert!(
            text(&o).contains(needle),
            "{refs:?}: expected '{needle}' in {}",
            text(&o)
        );
        assert!(
            !out.exists() && !dir.join("x.recipe.json").exists(),
            "{refs:?} wrote files"
        );
    }
    // Never overwrite the input model.
    let copy = dir.join("model.tflite");
    std::fs::copy(digits(), &copy).expect("copy");
    let before = std::fs::read(&copy).expect("read");
    let o = pocket(&[
        "convert",
        copy.to_str().expect("p"),
        "-o",
        copy.to_str().expect("p"),
        "--mode",
        "float16",
    ]);
    assert!(
        !o.status.success() && text(&o).contains("refusing to overwrite"),
        "{}",
        text(&o)
    );
    assert_eq!(std::fs::read(&copy).expect("read"), before);
    // An already quantized model.
    let q = dir.join("q.tflite");
    assert!(
        pocket(&[
            "convert",
            &digits(),
            "-o",
            q.to_str().expect("p"),
            "--mode",
            "dynamic"
        ])
        .status
        .success()
    );
    let o = pocket(&[
        "convert",
        q.to_str().expect("p"),
        "-o",
        o_str,
        "--mode",
        "float16",
    ]);
    assert!(
        !o.status.success() && text(&o).contains("already quantized"),
        "{}",
        text(&o)
    );
}

#[test]
fn eval_json_and_compare_report() {
    let data = root().join("sample-models/digits/test");
    let o = pocket(&[
        "eval",
        &digits(),
        "--data",
        data.to_str().expect("p"),
        "--json",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert!(
        v["top1"].as_f64().is_some_and(|t| t > 0.9) && v["top5"].as_f64().is_some(),
        "{v}"
    );
    let dir = scratch("compare");
    let q = dir.join("q.tflite");
    let calib = root().join("sample-models/digits/calib");
    assert!(
        pocket(&[
            "convert",
            &digits(),
            "-o",
            q.to_str().expect("p"),
            "--mode",
            "int8",
            "--calib",
            calib.to_str().expect("p")
        ])
        .status
        .success()
    );
    let rep = dir.join("report");
    let o = pocket(&[
        "compare",
        &digits(),
        q.to_str().expect("p"),
        "--data",
        data.to_str().expect("p"),
        "--report",
        rep.to_str().expect("p"),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        text(&o).contains("agreement (same top-1)")
            && text(&o).contains("layers that lost the most precision"),
        "{}",
        text(&o)
    );
    let r: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(rep.join("report.json")).expect("report.json"),
    )
    .expect("json");
    assert!(
        r["agreement"].as_f64().is_some() && r["layers"].as_array().is_some_and(|l| !l.is_empty())
    );
    for f in ["report.md", "accuracy.png", "layers.png"] {
        assert!(rep.join(f).is_file(), "{f}");
    }
    // The default numerics are LiteRT's; `--numerics reference` computes TFLite Micro's.
    assert_eq!(r["quant"]["model"]["numerics"], "litert", "{r}");
    for cmd in [
        vec!["compare", &digits(), q.to_str().expect("p")],
        vec!["eval", q.to_str().expect("p")],
    ] {
        let mut args = cmd.clone();
        args.extend([
            "--data",
            data.to_str().expect("p"),
            "--numerics",
            "reference",
        ]);
        let o = pocket(&args);
        assert!(
            o.status.success() && text(&o).contains("int8 numerics: reference"),
            "{}",
            text(&o)
        );
    }
    // A target recorded by `convert --numerics` is the default of the model's later runs.
    let qr = dir.join("qr.tflite");
    let o = pocket(&[
        "convert",
        &digits(),
        "-o",
        qr.to_str().expect("p"),
        "--mode",
        "int8",
        "--calib",
        calib.to_str().expect("p"),
        "--numerics",
        "reference",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let o = pocket(&[
        "eval",
        qr.to_str().expect("p"),
        "--data",
        data.to_str().expect("p"),
    ]);
    assert!(
        text(&o).contains("int8 numerics: reference"),
        "{}",
        text(&o)
    );
    let o = pocket(&[
        "eval",
        &digits(),
        "--data",
        data.to_str().expect("p"),
        "--numerics",
        "tpu",
    ]);
    assert!(
        !o.status.success() && text(&o).contains("reference"),
        "{}",
        text(&o)
    );
    // Data whose classes the model does not know.
    let bad = dir.join("bad").join("giraffe");
    std::fs::create_dir_all(&bad).expect("dir");
    let one = std::fs::read_dir(data.join("1"))
        .expect("d")
        .next()
        .expect("1")
        .expect("e")
        .path();
    std::fs::copy(one, bad.join("x.png")).expect("copy");
    let o = pocket(&[
        "eval",
        &digits(),
        "--data",
        bad.parent().expect("p").to_str().expect("p"),
    ]);
    assert!(
        !o.status.success() && text(&o).contains("not among the model's"),
        "{}",
        text(&o)
    );
}

/// Run `bin` with `args`, killing it after 60 s (a window that opened would never return).
fn run_bounded(bin: &str, args: &[&str]) -> Output {
    let mut child = Command::new(bin)
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let t0 = std::time::Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if t0.elapsed() > std::time::Duration::from_secs(60) {
            let _ = child.kill();
            panic!("{bin} {args:?} did not exit (did it open a window?)");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    child.wait_with_output().expect("output")
}

#[test]
fn studio_help_and_version_print_and_exit_without_a_window() {
    let studio = env!("CARGO_BIN_EXE_pocket-studio");
    for flag in ["--help", "-h"] {
        let o = run_bounded(studio, &[flag]);
        assert!(o.status.success(), "{flag}: {}", text(&o));
        let t = String::from_utf8_lossy(&o.stdout);
        assert!(
            t.contains("Usage: pocket-studio [MODEL]") && t.contains("MODEL"),
            "{flag}: {t}"
        );
    }
    let o = run_bounded(studio, &["--version"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains(env!("CARGO_PKG_VERSION")),
        "{}",
        text(&o)
    );
    // An unknown flag is an error, not a model path and not a window.
    let o = run_bounded(studio, &["--no-such-flag"]);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("--no-such-flag"), "{}", text(&o));
}

#[test]
fn zero_threads_is_refused_by_every_subcommand() {
    let data = root().join("sample-models/digits/test");
    let img = std::fs::read_dir(data.join("7"))
        .expect("images")
        .next()
        .expect("one")
        .expect("entry")
        .path();
    let (d, i, m) = (data.to_string_lossy(), img.to_string_lossy(), digits());
    let cases: Vec<Vec<&str>> = vec![
        vec!["bench", &m, "--threads", "0", "--runs", "1"],
        vec!["run", &m, "--input", &i, "--threads", "0"],
        vec!["eval", &m, "--data", &d, "--threads", "0"],
        vec!["compare", &m, &m, "--data", &d, "--threads", "0"],
        vec!["bench", &m, "--runs", "0"],
    ];
    for args in cases {
        let o = pocket(&args);
        assert!(!o.status.success(), "{args:?} succeeded: {}", text(&o));
        assert!(text(&o).contains("at least 1"), "{args:?}: {}", text(&o));
    }
}

#[test]
fn missing_data_says_it_does_not_exist() {
    let nope = scratch("nope").join("no_such_folder");
    let (n, m) = (nope.to_string_lossy(), digits());
    for refs in [
        vec!["eval", &m, "--data", &n],
        vec!["compare", &m, &m, "--data", &n],
    ] {
        let o = pocket(&refs);
        assert!(!o.status.success(), "{refs:?}");
        let t = text(&o);
        assert!(
            t.contains("does not exist") && t.contains("no_such_folder"),
            "{refs:?}: {t}"
        );
        assert!(!t.contains("neither a folder"), "{t}");
    }
}

#[test]
fn eval_help_names_both_model_formats() {
    let o = pocket(&["eval", "--help"]);
    assert!(o.status.success());
    let t = String::from_utf8_lossy(&o.stdout);
    assert!(t.contains(".tflite or .onnx"), "{t}");
}

#[test]
fn an_unusable_output_fails_before_the_conversion_and_says_it_is_the_output() {
    let dir = scratch("badout");
    let empty = dir.join("empty");
    std::fs::create_dir_all(&empty).expect("dir");
    let e = empty.to_string_lossy().into_owned();
    // The calibration folder is empty too: the output must be reported first, which shows it
    // is checked before any work.
    let missing = dir.join("no_such_dir/out.tflite");
    for (out, needle) in [
        (missing.to_string_lossy().into_owned(), "does not exist"),
        (e.clone(), "is a folder"),
    ] {
        let o = pocket(&[
            "convert",
            &digits(),
            "-o",
            &out,
            "--mode",
            "int8",
            "--calib",
            &e,
        ]);
        assert!(!o.status.success(), "{out}");
        let t = text(&o);
        assert!(
            t.contains("output") && t.contains(needle) && !t.contains("holds no samples"),
            "{out}: {t}"
        );
    }
    assert!(!dir.join("no_such_dir").exists());
}

#[test]
fn a_failed_recipe_write_leaves_no_half_export() {
    let dir = scratch("half");
    let out = dir.join("m.tflite");
    std::fs::write(&out, b"the previous export").expect("old model");
    // The recipe's path is a folder holding a user's file, so the recipe cannot be written.
    let recipe = dir.join("m.recipe.json");
    std::fs::create_dir(&recipe).expect("dir");
    std::fs::write(recipe.join("notes.txt"), b"mine").expect("user file");
    let o = pocket(&[
        "convert",
        &digits(),
        "-o",
        out.to_str().expect("p"),
        "--mode",
        "float16",
    ]);
    assert!(!o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("m.recipe.json"), "{}", text(&o));
    assert_eq!(
        std::fs::read(&out).expect("old model"),
        b"the previous export"
    );
    assert_eq!(
        std::fs::read(recipe.join("notes.txt")).expect("kept"),
        b"mine"
    );
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("dir")
        .map(|e| e.expect("e").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["m.recipe.json", "m.tflite"],
        "no temporary files left"
    );
    // Without an old model, none appears.
    std::fs::remove_file(&out).expect("rm");
    let o = pocket(&[
        "convert",
        &digits(),
        "-o",
        out.to_str().expect("p"),
        "--mode",
        "float16",
    ]);
    assert!(!o.status.success() && !out.exists(), "{}", text(&o));
}

#[test]
fn the_source_model_is_recognised_however_the_output_is_spelled() {
    let dir = scratch("spelled");
    let copy = dir.join("model.tflite");
    std::fs::copy(digits(), &copy).expect("copy");
    let before = std::fs::read(&copy).expect("read");
    let sub = dir.join("sub");
    std::fs::create_dir(&sub).expect("sub");
    let odd = sub.join("..").join(".").join("model.tflite");
    let o = pocket(&[
        "convert",
        copy.to_str().expect("p"),
        "-o",
        odd.to_str().expect("p"),
        "--mode",
        "float16",
    ]);
    assert!(
        !o.status.success() && text(&o).contains("refusing to overwrite"),
        "{}",
        text(&o)
    );
    assert_eq!(std::fs::read(&copy).expect("read"), before);
}

#[test]
fn run_top_on_a_quantized_model_prints_scores_not_raw_integers() {
    let dir = scratch("top-int8");
    let q = dir.join("q.tflite");
    let calib = root().join("sample-models/digits/calib");
    let o = pocket(&[
        "convert",
        &digits(),
        "-o",
        q.to_str().expect("p"),
        "--mode",
        "int8",
        "--io",
        "int8",
        "--calib",
        calib.to_str().expect("p"),
        "--calib-samples",
        "20",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let img = std::fs::read_dir(root().join("sample-models/digits/test/7"))
        .expect("images")
        .next()
        .expect("one")
        .expect("entry")
        .path();
    let o = pocket(&[
        "run",
        q.to_str().expect("p"),
        "--input",
        img.to_str().expect("p"),
        "--top",
        "3",
    ]);
    assert!(o.status.success(), "{}", text(&o));
    let out = String::from_utf8_lossy(&o.stdout);
    assert!(out.contains(" i8 "), "the output is int8: {out}");
    let scores: Vec<f64> = out
        .lines()
        .filter(|l| l.trim_start().starts_with(|c: char| c.is_ascii_digit()))
        .filter_map(|l| l.split_whitespace().nth(3)?.parse().ok())
        .collect();
    assert_eq!(scores.len(), 3, "{out}");
    assert!(out.contains("1. class 7"), "{out}");
    // Softmax probabilities, dequantized: in [0, 1], the best one near 1 (raw int8 would be 127).
    assert!(
        scores.iter().all(|s| (0.0..=1.0).contains(s)) && scores[0] > 0.5,
        "{scores:?}\n{out}"
    );
}

#[test]
fn an_input_has_one_name_in_every_message() {
    let dir = scratch("names");
    let bad = dir.join("bad.npy");
    pocket_engine::formats::npy::write(
        &bad,
        &pocket_engine::Value::new(vec![1, 5], pocket_engine::ir::Data::F32(vec![0.0; 5])),
    )
    .expect("npy");
    let count = pocket(&["run", &digits()]);
    let shape = pocket(&["run", &digits(), "--input", bad.to_str().expect("p")]);
    for o in [&count, &shape] {
        assert!(!o.status.success());
        let t = text(o);
        // The name `inspect` shows (the signature's), never the raw tensor name.
        assert!(
            t.contains("image") && !t.contains("serving_default_image:0"),
            "{t}"
        );
    }
    assert!(text(&shape).contains("input 0 'image'"), "{}", text(&shape));
}

#[test]
fn inspect_lists_every_subgraph_type_and_kept_op_and_run_refuses_them_by_name() {
    let d = scratch("kept");
    let tfl = d.join("stateful.tflite");
    pocket_engine::formats::tflite::write_file(&pocket_tests::kept_models::stateful(), &tfl)
        .expect("write");
    let o = pocket(&["inspect", &tfl.to_string_lossy()]);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    for needle in [
        "Subgraphs (4):",
        "1: 'init' 0 inputs, 0 outputs, 2 nodes",
        "called by subgraph 0 node 0 '' (CALL_ONCE init_subgraph_index)",
        "3: 'else' 1 inputs, 1 outputs, 1 nodes",
        "called by subgraph 0 node 5 'y' (IF else_subgraph_index)",
        "resource 2",
        "VAR_HANDLE (2 nodes",
        "shared_name=\"state\"",
        // Control flow and resource variables run in the session: the file is runnable.
        "CALL_ONCE (1 node, first: subgraph 0 node 0 ''), runs",
        "Runnable: yes",
    ] {
        assert!(t.contains(needle), "missing {needle} in:\n{t}");
    }
    let onnx = d.join("foo.onnx");
    std::fs::write(&onnx, pocket_tests::kept_models::onnx_unknown_ops()).expect("write");
    let o = pocket(&["inspect", &onnx.to_string_lossy()]);
    assert!(o.status.success(), "{}", text(&o));
    let t = text(&o);
    for needle in ["com.example.Foo (1 node", "depth=3", "Hardmax (1 node"] {
        assert!(t.contains(needle), "missing {needle} in:\n{t}");
    }
    let x = d.join("x.npy");
    let v = pocket_engine::Value::f32(vec![1, 4], vec![1.0, 2.0, 3.0, 4.0]);
    std::fs::write(&x, pocket_engine::formats::npy::to_bytes(&v)).expect("write");
    let o = pocket(&[
        "run",
        &onnx.to_string_lossy(),
        "--input",
        &x.to_string_lossy(),
    ]);
    assert!(!o.status.success(), "{}", text(&o));
    let t = text(&o);
    assert!(
        t.contains("cannot run yet") && t.contains("com.example.Foo") && t.contains("Hardmax"),
        "{t}"
    );
    // Without --input the ops it lacks come first: no input would make it run.
    let t = text(&pocket(&["run", &onnx.to_string_lossy()]));
    assert!(
        t.contains("cannot run yet") && t.contains("Hardmax") && !t.contains("pass one --input"),
        "{t}"
    );
    let iff = d.join("if.onnx");
    std::fs::write(&iff, pocket_tests::kept_models::onnx_if()).expect("write");
    let t = text(&pocket(&["inspect", &iff.to_string_lossy()]));
    for needle in [
        "1: 'branch/then' 1 inputs, 1 outputs, 1 nodes",
        "2: 'branch/else' 1 inputs, 1 outputs, 2 nodes",
        "(IF else_subgraph_index)",
        "Runnable: yes",
    ] {
        assert!(t.contains(needle), "missing {needle} in:\n{t}");
    }
}

/// `run --steps N` runs N steps through one session: an array with a leading axis of N gives
/// one slice per step, and the model's state (a resource variable set up by CALL_ONCE) carries
/// from step to step; outputs are saved per step.
#[test]
fn run_steps_carries_the_state_and_saves_each_step() {
    use pocket_engine::ir::{Data, Value};
    let dir = scratch("run-steps");
    let model = dir.join("stream.tflite");
    pocket_engine::formats::tflite::write_file(&pocket_tests::state_models::int8_stream(), &model)
        .expect("write model");
    // Three frames of x int8 [1, 1, 4]: 1s, 2s, 3s.
    let frames: Vec<i8> = (1..=3).flat_map(|k| [k as i8; 4]).collect();
    let x = dir.join("x.npy");
    pocket_engine::formats::npy::write(&x, &Value::new(vec![3, 1, 1, 4], Data::I8(frames)))
        .expect("write input");
    let out = dir.join("out");
    let p = |p: &Path| p.to_str().expect("path").to_string();
    let o = pocket(&[
        "run",
        &p(&model),
        "--input",
        &p(&x),
        "--steps",
        "3",
        "--save",
        &p(&out),
    ]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(text(&o).contains("step 2 output 1"), "{}", text(&o));
    let window = |k: usize| {
        let v = pocket_engine::formats::npy::read(out.join(format!("output_1_step{k}.npy")))
            .expect("window of the step");
        assert_eq!(v.shape, [1, 3, 4]);
        match v.data {
            Data::I8(w) => w,
            d => panic!("window is {}", d.dtype()),
        }
    };
    // The variable starts at the zero point (-3) and holds the two newest frames.
    assert_eq!(window(0), [-3, -3, -3, -3, -3, -3, -3, -3, 1, 1, 1, 1]);
    assert_eq!(window(2), [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
    assert!(!out.join("output_0.npy").exists(), "steps name their files");
    // Without --steps the same array does not fit the input.
    let o = pocket(&["run", &p(&model), "--input", &p(&x)]);
    assert!(!o.status.success(), "{}", text(&o));
}
