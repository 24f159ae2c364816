//! ONNX spatial ops the node tests do not cover, against ONNX Runtime: 3-D Conv and
//! ConvTranspose (grouped, dilated, padded, output_padding), 1-D grouped ConvTranspose,
//! GlobalLpPool, MaxPool's Indices (both storage orders) and Resize modes TFLite has no op for.

use std::path::{Path, PathBuf};
use std::process::Command;

use pocket_engine::formats::{npy, onnx};
use pocket_engine::ir::Data;
use pocket_engine::{Session, SessionOptions, Value};
use pocket_tests::onnx_models::{
    attr_int, attr_ints, f32_tensor, i64_tensor, model, node, value_info,
};
use pocket_tests::{Tolerance, oracle};

/// Deterministic values in [-1, 1).
fn values(n: usize, seed: u32) -> Vec<f32> {
    (0..n as u32)
        .map(|i| {
            let h = i
                .wrapping_mul(2_654_435_761)
                .wrapping_add(seed.wrapping_mul(40_503));
            (h >> 8) as f32 / (1u32 << 23) as f32 - 1.0
        })
        .collect()
}

struct Case {
    name: &'static str,
    op: &'static str,
    x: Vec<usize>,
    attrs: Vec<pocket_engine::formats::onnx::proto::AttributeProto>,
    /// Initializers after x (weights, bias, or Resize's roi/scales/sizes), with their names.
    inits: Vec<pocket_engine::formats::onnx::proto::TensorProto>,
    /// Input names after x ("" for an absent optional input).
    extra: Vec<&'static str>,
    outputs: usize,
}

fn weights(
    name: &str,
    dims: &[i64],
    seed: u32,
) -> pocket_engine::formats::onnx::proto::TensorProto {
    let n = dims.iter().product::<i64>() as usize;
    f32_tensor(name, dims, values(n, seed))
}

fn cases() -> Vec<Case> {
    vec![
        Case {
            name: "conv3d_grouped_dilated_padded",
            op: "Conv",
            x: vec![2, 4, 7, 8, 6],
            attrs: vec![
                attr_ints("kernel_shape", &[2, 3, 2]),
                attr_ints("strides", &[2, 1, 2]),
                attr_ints("dilations", &[2, 1, 1]),
                attr_ints("pads", &[1, 0, 1, 0, 2, 1]),
                attr_int("group", 2),
            ],
            inits: vec![weights("w", &[6, 2, 2, 3, 2], 1), weights("b", &[6], 2)],
            extra: vec!["w", "b"],
            outputs: 1,
        },
        Case {
            name: "convtranspose3d_output_padding_grouped",
            op: "ConvTranspose",
            x: vec![2, 4, 3, 4, 3],
            attrs: vec![
                attr_ints("kernel_shape", &[2, 3, 2]),
                attr_ints("strides", &[2, 1, 3]),
                attr_ints("dilations", &[2, 1, 1]),
                attr_ints("pads", &[1, 0, 1, 0, 2, 0]),
                attr_ints("output_padding", &[1, 0, 2]),
                attr_int("group", 2),
            ],
            inits: vec![weights("w", &[4, 1, 2, 3, 2], 3), weights("b", &[2], 4)],
            extra: vec!["w", "b"],
            outputs: 1,
        },
        Case {
            name: "convtranspose1d_grouped_dilated",
            op: "ConvTranspose",
            x: vec![1, 4, 9],
            attrs: vec![
                attr_ints("kernel_shape", &[3]),
                attr_ints("strides", &[3]),
                attr_ints("dilations", &[2]),
                attr_ints("output_padding", &[2]),
                attr_ints("pads", &[1, 0]),
                attr_int("group", 2),
            ],
            inits: vec![weights("w", &[4, 3, 3], 5), weights("b", &[6], 6)],
            extra: vec!["w", "b"],
            outputs: 1,
        },
        Case {
            name: "global_lp_pool_p3",
            op: "GlobalLpPool",
            x: vec![2, 3, 5, 4],
            attrs: vec![attr_int("p", 3)],
            inits: vec![],
            extra: vec![],
            outputs: 1,
        },
        Case {
            name: "maxpool3d_indices",
            op: "MaxPool",
            x: vec![1, 2, 5, 6, 7],
            attrs: vec![
                attr_ints("kernel_shape", &[2, 3, 2]),
                attr_ints("strides", &[2, 2, 1]),
                attr_ints("pads", &[0, 1, 1, 1, 1, 0]),
            ],
            inits: vec![],
            extra: vec![],
            outputs: 2,
        },
        Case {
            name: "maxpool2d_indices_column_major",
            op: "MaxPool",
            x: vec![2, 2, 6, 7],
            attrs: vec![
                attr_ints("kernel_shape", &[3, 3]),
                attr_ints("strides", &[2, 2]),
                attr_ints("pads", &[1, 1, 1, 1]),
                attr_int("storage_order", 1),
            ],
            inits: vec![],
            extra: vec![],
            outputs: 2,
        },
        Case {
            name: "resize_nearest_ceil_5d",
            op: "Resize",
            x: vec![1, 2, 3, 4, 5],
            attrs: vec![
                str_attr("mode", "nearest"),
                str_attr("coordinate_transformation_mode", "asymmetric"),
                str_attr("nearest_mode", "ceil"),
            ],
            inits: vec![f32_tensor("s", &[5], vec![1.0, 1.0, 2.0, 1.5, 0.5])],
            extra: vec!["", "s"],
            outputs: 1,
        },
        Case {
            name: "resize_linear_antialias_down",
            op: "Resize",
            x: vec![1, 1, 16, 12],
            attrs: vec![str_attr("mode", "linear"), attr_int("antialias", 1)],
            inits: vec![i64_tensor("z", &[4], vec![1, 1, 5, 7])],
            extra: vec!["", "", "z"],
            outputs: 1,
        },
    ]
}

fn str_attr(name: &str, v: &str) -> pocket_engine::formats::onnx::proto::AttributeProto {
    pocket_engine::formats::onnx::proto::AttributeProto {
        name: Some(name.into()),
        s: Some(v.as_bytes().to_vec()),
        r#type: Some(3),
        ..Default::default()
    }
}

fn ort(python: &Path, model: &Path, input: &Path, out: &Path) -> Vec<Value> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("oracle/ort_run.py");
    let r = Command::new(python)
        .arg(script)
        .args([model, out, input])
        .output()
        .expect("python");
    assert!(
        r.status.success(),
        "ort_run: {}",
        String::from_utf8_lossy(&r.stderr)
    );
    (0..)
        .map(|i| out.join(format!("output_{i}.npy")))
        .take_while(|p| p.exists())
        .map(|p| npy::read(&p).expect("npy"))
        .collect()
}

#[test]
fn spatial_ops_match_onnx_runtime() {
    let Some(python) = oracle::require(oracle::ORT) else {
        return;
    };
    use prost::Message;
    let dir: PathBuf = crate::scratch("onnx-spatial");
    for case in cases() {
        let d = dir.join(case.name);
        std::fs::create_dir_all(&d).expect("dir");
        let dims: Vec<i64> = case.x.iter().map(|&v| v as i64).collect();
        let mut ins = vec!["x"];
        ins.extend(&case.extra);
        let outs: Vec<String> = (0..case.outputs).map(|i| format!("y{i}")).collect();
        let out_refs: Vec<&str> = outs.iter().map(String::as_str).collect();
        let mut m = model(
            vec![node("n", case.op, &ins, &out_refs, case.attrs)],
            case.inits,
            vec![value_info("x", &dims)],
            outs.iter()
                .enumerate()
                .map(|(i, o)| {
                    let mut v = value_info(o, &[]);
                    if let Some(t) = v.r#type.as_mut().and_then(|t| t.tensor_type.as_mut()) {
                        t.shape = None;
                        if i == 1 {
                            // MaxPool's Indices are int64.
                            t.elem_type = Some(7);
                        }
                    }
                    v
                })
                .collect(),
        );
        if let Some(o) = m.opset_import.first_mut() {
            o.version = Some(19);
        }
        let bytes = m.encode_to_vec();
        let path = d.join("model.onnx");
        std::fs::write(&path, &bytes).expect("write model");
        let n: usize = case.x.iter().product();
        let x = Value::new(case.x.clone(), Data::F32(values(n, 99)));
        let xp = d.join("x.npy");
        npy::write(&xp, &x).expect("npy");
        let reference = ort(&python, &path, &xp, &d.join("ort"));
        let g = onnx::read_bytes(&bytes, Some(&d), &onnx::ImportOptions::default())
            .unwrap_or_else(|e| panic!("{}: {}", case.name, e.chain()));
        let s = Session::new(
            &g,
            &SessionOptions {
                threads: 1,
                ..Default::default()
            },
        )
        .expect("session");
        let ours = s.run(vec![x]).expect("run");
        assert_eq!(ours.len(), reference.len(), "{}", case.name);
        for (i, (o, r)) in ours.iter().zip(&reference).enumerate() {
            assert_eq!(o.shape, r.shape, "{} output {i}", case.name);
            let tol = if i == 1 {
                Tolerance::EXACT
            } else {
                Tolerance::FLOAT
            };
            tol.check(o, r)
                .unwrap_or_else(|e| panic!("{} output {i}: {e}", case.name));
        }
    }
}
