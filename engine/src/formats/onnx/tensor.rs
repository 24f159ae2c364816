//! ONNX `TensorProto` → engine [`Value`]: `raw_data` (little-endian) or the typed repeated
//! fields, or an external data file next to the model (`location`, `offset`, `length`), with
//! every size checked before anything is allocated. Errors are [`OnnxError::Tensor`] (named
//! tensor, what is wrong) and [`OnnxError::ExternalData`] (the file that could not be read).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use super::error::OnnxError;
use super::proto::{GraphProto, ModelProto, NodeProto, StringStringEntryProto, TensorProto, dtype};
use crate::ir::{DType, Data, Graph, TensorId, Value};

type Result<T> = std::result::Result<T, OnnxError>;

fn bad_tensor(name: &str, why: String) -> OnnxError {
    OnnxError::Tensor {
        name: name.to_string(),
        why,
    }
}

fn io(path: &Path, source: std::io::Error) -> OnnxError {
    OnnxError::ExternalData {
        path: path.to_path_buf(),
        source,
    }
}

/// Largest tensor accepted (elements).
const MAX_ELEMENTS: usize = 1 << 31;

/// The engine type of an ONNX element type (`None` for types the engine has no kernels for).
pub fn engine_dtype(t: i32) -> Option<DType> {
    Some(match t {
        dtype::FLOAT => DType::F32,
        dtype::UINT8 => DType::U8,
        dtype::INT8 => DType::I8,
        dtype::INT16 => DType::I16,
        dtype::INT32 => DType::I32,
        dtype::INT64 => DType::I64,
        dtype::BOOL => DType::Bool,
        // Half and double tensors become f32 (weights in fp16 exports).
        dtype::FLOAT16 | dtype::DOUBLE => DType::F32,
        _ => return None,
    })
}

/// Name of an ONNX element type for messages.
pub fn dtype_name(t: i32) -> &'static str {
    const N: [&str; 29] = [
        "UNDEFINED",
        "FLOAT",
        "UINT8",
        "INT8",
        "UINT16",
        "INT16",
        "INT32",
        "INT64",
        "STRING",
        "BOOL",
        "FLOAT16",
        "DOUBLE",
        "UINT32",
        "UINT64",
        "COMPLEX64",
        "COMPLEX128",
        "BFLOAT16",
        "FLOAT8E4M3FN",
        "FLOAT8E4M3FNUZ",
        "FLOAT8E5M2",
        "FLOAT8E5M2FNUZ",
        "UINT4",
        "INT4",
        "FLOAT4E2M1",
        "FLOAT8E8M0",
        "UINT2",
        "INT2",
        "FLOAT6E2M3",
        "FLOAT6E3M2",
    ];
    usize::try_from(t)
        .ok()
        .and_then(|i| N.get(i))
        .copied()
        .unwrap_or("unknown")
}

fn read_external(t: &TensorProto, dir: Option<&Path>, want: usize) -> Result<Vec<u8>> {
    let name = t.name.as_deref().unwrap_or("");
    let get = |k: &str| {
        t.external_data
            .iter()
            .find(|e| e.key.as_deref() == Some(k))
            .and_then(|e| e.value.clone())
    };
    let loc = get("location")
        .ok_or_else(|| bad_tensor(name, "external data without a location".into()))?;
    let rel = Path::new(&loc);
    if rel.is_absolute()
        || rel
            .components()
            .any(|c| matches!(c, std::path::Component::ParentDir))
    {
        return Err(bad_tensor(
            name,
            format!(
                "external data location '{loc}' must be a relative path inside the model's folder"
            ),
        ));
    }
    let dir = dir.ok_or_else(|| {
        bad_tensor(
            name,
            format!("external data '{loc}' but the model was not read from a file"),
        )
    })?;
    let path = dir.join(rel);
    let parse = |k: &str| -> Result<Option<u64>> {
        get(k)
            .map(|v| {
                v.parse::<u64>().map_err(|_| {
                    bad_tensor(name, format!("external data {k} '{v}' is not a number"))
                })
            })
            .transpose()
    };
    let offset = parse("offset")?.unwrap_or(0);
    let len = parse("length")?.unwrap_or(want as u64);
    if len != want as u64 {
        return Err(bad_tensor(
            name,
            format!("external data length {len} but the shape needs {want} bytes"),
        ));
    }
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(&path).map_err(|e| io(&path, e))?;
    let size = f.metadata().map_err(|e| io(&path, e))?.len();
    if offset.checked_add(len).is_none_or(|end| end > size) {
        return Err(bad_tensor(
            name,
            format!(
                "external data {}..{} is past the end of {} ({size} bytes)",
                offset,
                offset.saturating_add(len),
                path.display()
            ),
        ));
    }
    f.seek(SeekFrom::Start(offset)).map_err(|e| io(&path, e))?;
    let mut buf = vec![0u8; want];
    f.read_exact(&mut buf).map_err(|e| io(&path, e))?;
    Ok(buf)
}

/// Decode a tensor. `dir` resolves external data.
pub fn to_value(t: &TensorProto, dir: Option<&Path>) -> Result<Value> {
    let name = t.name.as_deref().unwrap_or("");
    let dt = t.data_type.unwrap_or(0);
    let shape: Vec<usize> = t
        .dims
        .iter()
        .map(|&d| {
            usize::try_from(d).map_err(|_| bad_tensor(name, format!("negative dimension {d}")))
        })
        .collect::<Result<_>>()?;
    let n = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .filter(|&n| n <= MAX_ELEMENTS)
        .ok_or_else(|| bad_tensor(name, format!("shape {shape:?} is too large")))?;
    let width = match dt {
        dtype::FLOAT | dtype::INT32 => 4,
        dtype::UINT8 | dtype::INT8 | dtype::BOOL => 1,
        dtype::INT16 | dtype::FLOAT16 => 2,
        dtype::INT64 | dtype::DOUBLE => 8,
        _ => {
            return Err(bad_tensor(
                name,
                format!("element type {} is not supported", dtype_name(dt)),
            ));
        }
    };
    let external = t.data_location == Some(1);
    let raw: Option<bytes::Bytes> = if external {
        Some(read_external(t, dir, n * width)?.into())
    } else {
        t.raw_data.clone()
    };
    let bad = |have: usize| {
        bad_tensor(
            name,
            format!("shape {shape:?} stores {have} values, {n} expected"),
        )
    };
    let data = if let Some(raw) = raw {
        if raw.len() != n * width {
            return Err(bad(raw.len() / width.max(1)));
        }
        match dt {
            dtype::FLOAT16 => Data::F32(
                raw.chunks_exact(2)
                    .map(|c| half::f16::from_le_bytes(c.try_into().unwrap_or([0; 2])).to_f32())
                    .collect(),
            ),
            dtype::DOUBLE => Data::F32(
                raw.chunks_exact(8)
                    .map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8])) as f32)
                    .collect(),
            ),
            _ => {
                let d = engine_dtype(dt).ok_or_else(|| bad(0))?;
                Data::from_le_bytes(d, &raw).ok_or_else(|| bad(raw.len()))?
            }
        }
    } else {
        let check = |have: usize| if have == n { Ok(()) } else { Err(bad(have)) };
        match dt {
            dtype::FLOAT => {
                check(t.float_data.len())?;
                Data::F32(t.float_data.clone())
            }
            dtype::DOUBLE => {
                check(t.double_data.len())?;
                Data::F32(t.double_data.iter().map(|&v| v as f32).collect())
            }
            dtype::INT64 => {
                check(t.int64_data.len())?;
                Data::I64(t.int64_data.clone())
            }
            dtype::INT32 => {
                check(t.int32_data.len())?;
                Data::I32(t.int32_data.clone())
            }
            // Narrow types live in int32_data.
            dtype::INT8 => {
                check(t.int32_data.len())?;
                Data::I8(t.int32_data.iter().map(|&v| v as i8).collect())
            }
            dtype::UINT8 => {
                check(t.int32_data.len())?;
                Data::U8(t.int32_data.iter().map(|&v| v as u8).collect())
            }
            dtype::INT16 => {
                check(t.int32_data.len())?;
                Data::I16(t.int32_data.iter().map(|&v| v as i16).collect())
            }
            dtype::BOOL => {
                check(t.int32_data.len())?;
                Data::Bool(t.int32_data.iter().map(|&v| v != 0).collect())
            }
            dtype::FLOAT16 => {
                check(t.int32_data.len())?;
                Data::F32(
                    t.int32_data
                        .iter()
                        .map(|&v| half::f16::from_bits(v as u16).to_f32())
                        .collect(),
                )
            }
            _ => return Err(bad(0)),
        }
    };
    Ok(Value::new(shape, data))
}

/// Initializers at least this large are read from the file when translated (see
/// [`back_by_file`]); smaller ones stay slices of the decoded buffer.
const FILE_BACKED_MIN: usize = 4096;

/// Make the large initializers of `m`, decoded from `buf` (the memory map of the model file
/// `file_name`), read from the file when they are translated instead of through the map: each
/// `raw_data` slice of `buf` becomes an external-data reference to its own range of the model
/// file. The map's pages holding weights are then never touched, so they never count in the
/// process's resident memory, and each weight exists once, in the translated graph.
pub(crate) fn back_by_file(m: &mut ModelProto, buf: &[u8], file_name: &str) {
    let Some(gp) = m.graph.as_mut() else {
        return;
    };
    let base = buf.as_ptr() as usize;
    for t in &mut gp.initializer {
        if t.data_location == Some(1) {
            continue;
        }
        let Some(raw) = t.raw_data.as_ref() else {
            continue;
        };
        let start = (raw.as_ptr() as usize).wrapping_sub(base);
        if raw.len() < FILE_BACKED_MIN || start.checked_add(raw.len()).is_none_or(|e| e > buf.len())
        {
            continue;
        }
        let entry = |k: &str, v: String| StringStringEntryProto {
            key: Some(k.to_string()),
            value: Some(v),
        };
        t.external_data = vec![
            entry("location", file_name.to_string()),
            entry("offset", start.to_string()),
            entry("length", raw.len().to_string()),
        ];
        t.data_location = Some(1);
        t.raw_data = None;
    }
}

/// Drops the data of initializers once no node can read them any more (their last reader among
/// the ONNX nodes is translated and no IR node reads the constant), so that weights the
/// translation re-lays (convolution filters to OHWI, Gemm weights) do not exist twice while a
/// graph is imported. Off for graphs with subgraph attributes (bodies may read outer names).
pub(crate) struct Release {
    /// (last ONNX node index reading it, the constant) by initializer, latest first.
    pending: Vec<(usize, TensorId)>,
    /// IR tensors some IR node reads (for the IR nodes `0..scanned`) or that an ONNX node's
    /// output name is bound to (for the ONNX nodes `0..named`: a translation may answer with
    /// the constant itself, e.g. Identity).
    read: HashSet<TensorId>,
    scanned: usize,
    named: usize,
}

impl Release {
    /// The initializers of `gp` (their constants in `names`) that `nodes` read.
    pub(crate) fn new(
        gp: &GraphProto,
        nodes: &[NodeProto],
        names: &HashMap<String, TensorId>,
    ) -> Self {
        let nested = nodes.iter().any(|n| {
            n.attribute
                .iter()
                .any(|a| a.g.is_some() || !a.graphs.is_empty())
        });
        let mut last: HashMap<&str, usize> = HashMap::new();
        if !nested {
            for (k, n) in nodes.iter().enumerate() {
                for x in &n.input {
                    last.insert(x.as_str(), k);
                }
            }
        }
        let outputs: HashSet<&str> = gp.output.iter().filter_map(|o| o.name.as_deref()).collect();
        let mut pending: Vec<(usize, TensorId)> = gp
            .initializer
            .iter()
            .filter_map(|t| {
                let name = t.name.as_deref()?;
                let k = *last.get(name)?;
                (!outputs.contains(name))
                    .then(|| names.get(name).map(|&id| (k, id)))
                    .flatten()
            })
            .collect();
        pending.sort_unstable_by_key(|&(k, _)| std::cmp::Reverse(k));
        Release {
            pending,
            read: HashSet::new(),
            scanned: 0,
            named: 0,
        }
    }

    /// Before translating ONNX node `k` (or with `usize::MAX` after the last): drop the data
    /// of the initializers only nodes before `k` read, unless an IR node reads them.
    pub(crate) fn before(
        &mut self,
        k: usize,
        nodes: &[NodeProto],
        names: &HashMap<String, TensorId>,
        g: &mut Graph,
    ) {
        if self.pending.last().is_none_or(|&(last, _)| last >= k) {
            return;
        }
        for n in g.nodes.get(self.scanned..).unwrap_or_default() {
            self.read.extend(n.inputs.iter().flatten().copied());
        }
        self.scanned = g.nodes.len();
        let done = k.min(nodes.len());
        for n in nodes.get(self.named.min(done)..done).unwrap_or_default() {
            self.read
                .extend(n.output.iter().filter_map(|o| names.get(o).copied()));
        }
        self.named = done;
        while let Some(&(last, id)) = self.pending.last() {
            if last >= k {
                break;
            }
            self.pending.pop();
            if !self.read.contains(&id) && !g.outputs.contains(&id) {
                if let Some(t) = g.tensors.get_mut(id) {
                    t.data = None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::proto::{
        Dimension, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto,
        TensorShapeProto, TypeProto, TypeTensor, ValueInfoProto,
    };
    use crate::ir::{Data, Value};

    fn vi(name: &str, dims: &[i64]) -> ValueInfoProto {
        ValueInfoProto {
            name: Some(name.into()),
            r#type: Some(TypeProto {
                tensor_type: Some(TypeTensor {
                    elem_type: Some(1),
                    shape: Some(TensorShapeProto {
                        dim: dims
                            .iter()
                            .map(|&d| Dimension {
                                dim_value: Some(d),
                                ..Default::default()
                            })
                            .collect(),
                    }),
                }),
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    fn init(name: &str, dims: &[i64], v: &[f32]) -> TensorProto {
        TensorProto {
            name: Some(name.into()),
            dims: dims.to_vec(),
            data_type: Some(1),
            raw_data: Some(v.iter().flat_map(|x| x.to_le_bytes()).collect()),
            ..Default::default()
        }
    }

    fn node(op: &str, ins: &[&str], out: &str) -> NodeProto {
        NodeProto {
            op_type: Some(op.into()),
            input: ins.iter().map(|s| s.to_string()).collect(),
            output: vec![out.into()],
            name: Some(out.into()),
            ..Default::default()
        }
    }

    /// out = relu(conv(x, w, b)) * identity(s) + conv(x, w, b): the filter (6.4 kB, read from
    /// the file) is read by the first and the last node, `s` only through an Identity.
    fn model(w: &[f32], b: &[f32], s: &[f32]) -> ModelProto {
        ModelProto {
            ir_version: Some(8),
            opset_import: vec![OperatorSetIdProto {
                domain: Some(String::new()),
                version: Some(17),
            }],
            graph: Some(GraphProto {
                node: vec![
                    node("Conv", &["x", "w", "b"], "y"),
                    node("Identity", &["s"], "si"),
                    node("Relu", &["y"], "r"),
                    node("Mul", &["r", "si"], "m"),
                    node("Conv", &["x", "w", "b"], "y2"),
                    node("Add", &["m", "y2"], "out"),
                ],
                initializer: vec![
                    init("w", &[32, 2, 5, 5], w),
                    init("b", &[32], b),
                    init("s", &[1, 32, 12, 12], s),
                ],
                input: vec![vi("x", &[1, 2, 16, 16])],
                output: vec![vi("out", &[1, 32, 12, 12])],
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn file_backed_weights_and_released_initializers_give_the_same_results() {
        use prost::Message;
        let f = |n: usize, k: f32| -> Vec<f32> {
            (0..n)
                .map(|i| ((i * 37 % 101) as f32 / 50.0 - 1.0) * k)
                .collect()
        };
        let (w, b, s, x) = (f(1600, 0.3), f(32, 1.0), f(4608, 2.0), f(512, 1.0));
        let bytes = model(&w, &b, &s).encode_to_vec();
        let dir = std::env::temp_dir().join(format!("pocket-onnx-mem-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        let path = dir.join("m.onnx");
        std::fs::write(&path, &bytes).expect("write model");
        let from_file = super::super::read_file(&path).expect("reads from the file");
        let from_bytes =
            super::super::read_bytes(&bytes, None, &Default::default()).expect("reads from bytes");
        std::fs::remove_dir_all(&dir).ok();
        // Naive reference.
        let mut want = vec![0f32; 32 * 144];
        for o in 0..32 {
            for i in 0..12 {
                for j in 0..12 {
                    let mut acc = b[o];
                    for c in 0..2 {
                        for u in 0..5 {
                            for v in 0..5 {
                                acc += w[((o * 2 + c) * 5 + u) * 5 + v]
                                    * x[(c * 16 + i + u) * 16 + j + v];
                            }
                        }
                    }
                    let k = o * 144 + i * 12 + j;
                    want[k] = acc.max(0.0) * s[k] + acc;
                }
            }
        }
        for g in [&from_file, &from_bytes] {
            let sess = crate::runtime::Session::new(g, &Default::default()).expect("prepares");
            let y = sess
                .run(vec![Value::new(vec![1, 2, 16, 16], Data::F32(x.clone()))])
                .expect("runs");
            let got = y[0].data.to_f64();
            assert_eq!(got.len(), want.len());
            for (k, (&g, &e)) in got.iter().zip(&want).enumerate() {
                assert!(
                    (g as f32 - e).abs() <= 1e-4 * (1.0 + e.abs()),
                    "{k}: {g} vs {e}"
                );
            }
        }
        // The original OIHW filter's data is gone from the graph (only its OHWI copies are
        // kept); `s`, read through the Identity, is not.
        let data = |name: &str| {
            from_file
                .tensors
                .iter()
                .filter(|t| t.name == name)
                .any(|t| t.data.is_some())
        };
        assert!(
            !data("w") && !data("b"),
            "the original filter is still held"
        );
        assert!(
            data("s")
                || from_file
                    .tensors
                    .iter()
                    .any(|t| t.data.as_ref().is_some_and(|d| d.len() == 4608 * 4))
        );
    }
}
