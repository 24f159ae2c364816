//! Grouped convolution end to end: the suite's grouped CONV_2D cases (2, 4, C/2 and C groups)
//! against LiteRT's default (XNNPACK) and reference paths in float and int8, their filters
//! written back as `[O, KH, KW, C/groups]`, and ONNX `Conv` with `group` 2 and 4 against ONNX
//! Runtime, then exported (float and int8) and run by LiteRT.

use std::path::{Path, PathBuf};

use pocket_engine::data::image::to_input;
use pocket_engine::formats::onnx::{self, ImportOptions};
use pocket_engine::formats::{npy, tflite};
use pocket_engine::ir::{Data, Op};
use pocket_engine::quant::{self, Io, Mode, QuantHooks, Recipe, Weights};
use pocket_engine::{Graph, Numerics, Session, SessionOptions, Value};
use pocket_tests::onnx_models::{attr_int, attr_ints, f32_tensor, model, node, value_info};
use pocket_tests::oracle::{self, Job};
use pocket_tests::{Rng, Tolerance, cases};

use crate::scratch;

/// `(groups, input channels)` of every CONV_2D in `g` whose filter reads fewer channels than
/// its input has.
fn grouped_convs(g: &Graph) -> Vec<(usize, usize)> {
    g.nodes
        .iter()
        .filter(|n| matches!(n.op, Op::Conv2d(_)))
        .filter_map(|n| {
            let (x, w) = (n.input(0)?, n.input(1)?);
            let (ic, fic) = (*g.tensors[x].shape.last()?, *g.tensors[w].shape.last()?);
            (fic < ic).then_some((ic / fic, ic))
        })
        .collect()
}

fn ours(g: &Graph, inputs: &[Value]) -> Vec<Value> {
    ours_in(g, inputs, Numerics::Reference)
}

/// [`ours`] in `numerics`.
fn ours_in(g: &Graph, inputs: &[Value], numerics: Numerics) -> Vec<Value> {
    Session::new(g, &SessionOptions::threads(2).with_numerics(numerics))
        .and_then(|s| s.run(inputs.to_vec()))
        .unwrap_or_else(|e| panic!("ours: {}", e.chain()))
}

/// Write `g` and its inputs under `dir`; the LiteRT jobs on its reference and default paths.
fn jobs(dir: &Path, g: &Graph, inputs: &[Value]) -> [Job; 2] {
    std::fs::create_dir_all(dir).expect("dir");
    let m = dir.join("model.tflite");
    tflite::write_file(g, &m).expect("write");
    let ins: Vec<PathBuf> = inputs
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let p = dir.join(format!("input_{i}.npy"));
            npy::write(&p, v).expect("npy");
            p
        })
        .collect();
    [true, false].map(|reference| Job {
        model: m.clone(),
        inputs: ins.clone(),
        out: dir.join(if reference { "ref" } else { "default" }),
        threads: 1,
        reference,
    })
}

/// Int8 (int8 I/O) quantization calibrated on the case's inputs plus random samples.
fn int8(g: &Graph, inputs: &[Value], weights: Weights) -> (Graph, Vec<Value>) {
    let mut data: Vec<quant::Sample> = vec![Ok(inputs.to_vec())];
    data.extend(crate::quant::samples(g, 7, 11).into_iter().map(Ok));
    let mut r = Recipe::new(Mode::Int8);
    r.io = Io::Int8;
    r.weights = weights;
    let q = quant::quantize(g, &r, &mut data.into_iter(), &QuantHooks::default())
        .unwrap_or_else(|e| panic!("quantize: {}", e.chain()));
    let qin = inputs
        .iter()
        .enumerate()
        .map(|(i, v)| to_input(v.clone(), &q, i).expect("quantize input"))
        .collect();
    (q, qin)
}

/// Largest element distance between two int8 outputs.
fn lsb_apart(a: &Value, b: &Value) -> i64 {
    let (Data::I8(x), Data::I8(y)) = (&a.data, &b.data) else {
        panic!("int8 outputs expected, got {} and {}", a.dtype(), b.dtype());
    };
    assert_eq!(a.shape, b.shape);
    x.iter()
        .zip(y)
        .map(|(&p, &q)| (p as i64 - q as i64).abs())
        .max()
        .unwrap_or(0)
}

#[test]
fn the_suite_covers_2_4_half_and_all_channel_groups_and_writes_grouped_filters_back() {
    let mut forms = std::collections::BTreeSet::new();
    for c in cases::all() {
        let found = grouped_convs(&c.graph);
        if found.is_empty() {
            continue;
        }
        for &(groups, ic) in &found {
            forms.insert(match groups {
                _ if groups == ic => "C",
                _ if 2 * groups == ic => "C/2",
                2 => "2",
                4 => "4",
                _ => "other",
            });
        }
        // Written and read back: same filter shapes, same groups, same outputs.
        let bytes = tflite::to_bytes(&c.graph).expect("write");
        let back = tflite::read_bytes(bytes.clone()).expect("read back");
        assert_eq!(grouped_convs(&back), found, "{}", c.name);
        assert_eq!(tflite::to_bytes(&back).expect("write"), bytes, "{}", c.name);
        assert_eq!(
            ours(&back, &c.inputs),
            ours(&c.graph, &c.inputs),
            "{}",
            c.name
        );
    }
    for form in ["2", "4", "C/2", "C"] {
        assert!(
            forms.contains(form),
            "no grouped case with {form} groups: {forms:?}"
        );
    }
}

/// Float: within `Tolerance::FLOAT` of LiteRT's default (XNNPACK delegates grouped CONV_2D) and
/// reference paths. Int8, per-channel and per-tensor weights: equal to BUILTIN_REF on every
/// element in the reference numerics, and equal to the default path in the litert numerics.
#[test]
fn grouped_convs_match_litert_in_float_and_int8() {
    if oracle::require(oracle::LITERT).is_none() {
        return;
    }
    let dir = scratch("grouped");
    let mut items = Vec::new();
    for c in cases::all()
        .into_iter()
        .filter(|c| !grouped_convs(&c.graph).is_empty())
    {
        items.push((format!("{}_f32", c.name), c.graph.clone(), c.inputs.clone()));
        for (w, tag) in [(Weights::PerChannel, "pc"), (Weights::PerTensor, "pt")] {
            let (q, qin) = int8(&c.graph, &c.inputs, w);
            assert_eq!(grouped_convs(&q), grouped_convs(&c.graph), "{}", c.name);
            items.push((format!("{}_int8_{tag}", c.name), q, qin));
        }
    }
    assert!(items.len() >= 3 * 8, "only {} grouped models", items.len());
    let all: Vec<Job> = items
        .iter()
        .flat_map(|(name, g, ins)| jobs(&dir.join(name), g, ins))
        .collect();
    let refs = oracle::run(&all, &dir);
    let mut failures = Vec::new();
    for (k, (name, g, ins)) in items.iter().enumerate() {
        for (r, path, numerics) in [
            (&refs[2 * k], "BUILTIN_REF", Numerics::Reference),
            (&refs[2 * k + 1], "default", Numerics::Litert),
        ] {
            let o = ours_in(g, ins, numerics);
            let r = match r {
                Ok(r) => r,
                Err(e) => {
                    failures.push(format!("{name}: LiteRT {path} failed: {e}"));
                    continue;
                }
            };
            let verdict = if name.ends_with("_f32") {
                Tolerance::FLOAT.check(&o[0], &r[0]).map(|_| ())
            } else {
                let d = lsb_apart(&o[0], &r[0]);
                // Each numerics is bit-exact with its LiteRT path.
                let allowed = 0;
                (d <= allowed)
                    .then_some(())
                    .ok_or(format!("{d} LSB apart (allowed {allowed})"))
            };
            if let Err(e) = verdict {
                failures.push(format!("{name} vs {path}: {e}"));
            }
        }
    }
    println!("grouped: {} models x 2 LiteRT paths", items.len());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// An NCHW ONNX model of one grouped `Conv` (bias, pads, strides, dilations).
struct OnnxConv {
    c: usize,
    m: usize,
    group: usize,
    k: usize,
    stride: usize,
    dilation: usize,
    pad: usize,
    hw: [usize; 2],
}

impl OnnxConv {
    fn bytes(&self, r: &mut Rng) -> Vec<u8> {
        use prost::Message;
        let (c, m, k) = (self.c, self.m, self.k);
        let cg = c / self.group;
        let out =
            |d: usize| (self.hw[d] + 2 * self.pad - (k - 1) * self.dilation - 1) / self.stride + 1;
        let i64s = |v: &[usize]| v.iter().map(|&d| d as i64).collect::<Vec<_>>();
        model(
            vec![node(
                "grouped",
                "Conv",
                &["x", "w", "b"],
                &["y"],
                vec![
                    attr_int("group", self.group as i64),
                    attr_ints("kernel_shape", &i64s(&[k, k])),
                    attr_ints("strides", &i64s(&[self.stride; 2])),
                    attr_ints("dilations", &i64s(&[self.dilation; 2])),
                    attr_ints("pads", &i64s(&[self.pad; 4])),
                ],
            )],
            vec![
                f32_tensor("w", &i64s(&[m, cg, k, k]), r.normals(m * cg * k * k, 0.5)),
                f32_tensor("b", &i64s(&[m]), r.normals(m, 0.1)),
            ],
            vec![value_info("x", &i64s(&[1, c, self.hw[0], self.hw[1]]))],
            vec![value_info("y", &i64s(&[1, m, out(0), out(1)]))],
        )
        .encode_to_vec()
    }
}

fn ort(model: &Path, inputs: &[PathBuf], out: &Path) -> Vec<Value> {
    let py = oracle::require(oracle::ORT).expect("checked by the caller");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("oracle/ort_run.py");
    let st = std::process::Command::new(py)
        .arg(script)
        .arg(model)
        .arg(out)
        .args(inputs)
        .output()
        .expect("start ort_run.py");
    assert!(
        st.status.success(),
        "onnxruntime: {}",
        String::from_utf8_lossy(&st.stderr)
    );
    (0..)
        .map(|i| out.join(format!("output_{i}.npy")))
        .take_while(|p| p.exists())
        .map(|p| npy::read(&p).expect("npy"))
        .collect()
}

/// ONNX `Conv` with `group` 2 and 4 imports as a grouped CONV_2D and matches ONNX Runtime; its
/// float export matches ONNX Runtime in LiteRT, its int8 export equals ours in BUILTIN_REF.
#[test]
fn onnx_grouped_conv_matches_onnx_runtime_and_exports_to_litert() {
    if oracle::require(oracle::ORT).is_none() {
        return;
    }
    let dir = scratch("grouped-onnx");
    let mut r = Rng::new(14);
    let convs = [
        OnnxConv {
            c: 4,
            m: 6,
            group: 2,
            k: 3,
            stride: 1,
            dilation: 1,
            pad: 1,
            hw: [9, 8],
        },
        OnnxConv {
            c: 8,
            m: 8,
            group: 4,
            k: 3,
            stride: 2,
            dilation: 1,
            pad: 0,
            hw: [11, 10],
        },
        OnnxConv {
            c: 8,
            m: 16,
            group: 4,
            k: 3,
            stride: 1,
            dilation: 2,
            pad: 2,
            hw: [10, 10],
        },
        OnnxConv {
            c: 6,
            m: 4,
            group: 2,
            k: 1,
            stride: 1,
            dilation: 1,
            pad: 0,
            hw: [7, 7],
        },
        // Pads wider than SAME's: an explicit PAD the session folds into the grouped conv.
        OnnxConv {
            c: 8,
            m: 4,
            group: 4,
            k: 3,
            stride: 2,
            dilation: 1,
            pad: 2,
            hw: [9, 9],
        },
    ];
    let mut jobs_all = Vec::new();
    let mut runs = Vec::new();
    for (i, spec) in convs.iter().enumerate() {
        let d = dir.join(format!("conv{i}_g{}", spec.group));
        std::fs::create_dir_all(&d).expect("dir");
        let path = d.join("model.onnx");
        std::fs::write(&path, spec.bytes(&mut r)).expect("write onnx");
        let x = Value::f32(
            vec![1, spec.c, spec.hw[0], spec.hw[1]],
            r.vec(spec.c * spec.hw[0] * spec.hw[1], -1.0, 1.0),
        );
        let xp = d.join("x.npy");
        npy::write(&xp, &x).expect("npy");
        let want = ort(&path, std::slice::from_ref(&xp), &d.join("ort"));
        let g = onnx::read_file_with(&path, &ImportOptions::default())
            .unwrap_or_else(|e| panic!("conv{i}: {}", e.chain()));
        assert_eq!(
            grouped_convs(&g),
            vec![(spec.group, spec.c)],
            "conv{i}: not one grouped CONV_2D"
        );
        if i == 4 {
            assert!(
                g.nodes.iter().any(|n| n.op.name() == "PAD"),
                "conv4 should read through an explicit PAD"
            );
        }
        let got = ours(&g, std::slice::from_ref(&x));
        let w = Tolerance::FLOAT
            .check(&got[0], &want[0])
            .unwrap_or_else(|e| panic!("conv{i} vs ONNX Runtime: {e}"));
        println!(
            "conv{i} (group {}): max error vs ONNX Runtime {w:.2e}",
            spec.group
        );
        let [_, float] = jobs(&d.join("f32"), &g, std::slice::from_ref(&x));
        let (q, qin) = int8(&g, std::slice::from_ref(&x), Weights::PerChannel);
        let [reference, _] = jobs(&d.join("int8"), &q, &qin);
        jobs_all.extend([float, reference]);
        runs.push((want, ours(&q, &qin)));
    }
    let lite = oracle::run(&jobs_all, &dir);
    for (i, (want, q)) in runs.iter().enumerate() {
        let f = lite[2 * i]
            .as_ref()
            .unwrap_or_else(|e| panic!("conv{i}: LiteRT: {e}"));
        Tolerance::FLOAT
            .check(&f[0], &want[0])
            .unwrap_or_else(|e| panic!("conv{i}: LiteRT on the float export vs ONNX Runtime: {e}"));
        let b = lite[2 * i + 1]
            .as_ref()
            .unwrap_or_else(|e| panic!("conv{i}: LiteRT BUILTIN_REF: {e}"));
        assert_eq!(
            lsb_apart(&q[0], &b[0]),
            0,
            "conv{i}: int8 export vs BUILTIN_REF"
        );
    }
}
