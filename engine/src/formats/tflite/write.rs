//! IR -> .tflite bytes. Deterministic: the same graph always gives the same bytes.

use super::builder::{Obj, TableB, finish};
use super::options;
use super::schema::{self, default_version, type_code};
use crate::error::{Error, ExportError, Result};
use crate::ir::*;

/// Serialize a graph.
#[expect(
    clippy::indexing_slicing,
    reason = "tensor ids of a Graph are valid by construction (add_node checks them)"
)]
pub fn write(g: &Graph) -> Result<Vec<u8>> {
    let mut buffers: Vec<Obj> = vec![Obj::Table(TableB::new())];
    let mut opcodes: Vec<(i32, Option<String>, i32)> = Vec::new();
    let mut total: usize = 0;
    let mut subgraphs = Vec::with_capacity(g.subgraphs.len() + 1);
    for (i, sg) in std::iter::once(g).chain(&g.subgraphs).enumerate() {
        let t = subgraph(sg, i == 0, &mut buffers, &mut opcodes, &mut total)
            .map_err(|e| in_subgraph(e, i, g.subgraphs.len()))?;
        subgraphs.push(Obj::Table(t));
    }
    let opcode_objs: Vec<Obj> = opcodes
        .iter()
        .map(|(c, custom, v)| {
            let mut t = TableB::new()
                .i8(0, (*c).min(127) as i8)
                .i32(2, *v)
                .i32(3, *c);
            if let Some(s) = custom {
                t = t.str(1, s);
            }
            Obj::Table(t)
        })
        .collect();
    // Metadata: carry over what the file had, add min_runtime_version if missing.
    let mut metadata = Vec::new();
    let mut raw: Vec<(String, Vec<u8>)> = g
        .meta
        .raw
        .iter()
        .map(|m| (m.name.clone(), m.data.as_slice().to_vec()))
        .collect();
    if !raw.iter().any(|(n, _)| n == "min_runtime_version") {
        let mut v = b"1.14.0".to_vec();
        v.resize(16, 0);
        raw.push(("min_runtime_version".into(), v));
    }
    for (name, data) in raw {
        buffers.push(Obj::Table(TableB::new().obj(0, Obj::data(&data))));
        metadata.push(Obj::Table(
            TableB::new()
                .str(0, &name)
                .u32(1, (buffers.len() - 1) as u32),
        ));
    }
    let sig = g.signature.clone().unwrap_or_else(|| Signature {
        key: "serving_default".into(),
        inputs: g
            .inputs
            .iter()
            .map(|&t| (g.tensors[t].name.clone(), t))
            .collect(),
        outputs: g
            .outputs
            .iter()
            .map(|&t| (g.tensors[t].name.clone(), t))
            .collect(),
    });
    let maps = |v: &[(String, TensorId)]| {
        Obj::Objs(
            v.iter()
                .map(|(n, t)| Obj::Table(TableB::new().str(0, n).u32(1, *t as u32)))
                .collect(),
        )
    };
    let sig_obj = Obj::Table(
        TableB::new()
            .obj(0, maps(&sig.inputs))
            .obj(1, maps(&sig.outputs))
            .str(2, &sig.key)
            .u32(4, 0),
    );
    let model = TableB::new()
        .u32(0, 3)
        .obj(1, Obj::Objs(opcode_objs))
        .obj(2, Obj::Objs(subgraphs))
        .str(3, g.meta.description.as_deref().unwrap_or("Pocket Studio"))
        .obj(4, Obj::Objs(buffers))
        .obj(6, Obj::Objs(metadata))
        .obj(7, Obj::Objs(vec![sig_obj]));
    let mut bytes = finish(&model, b"TFL3");
    if let Some(t) = &g.meta.trailing {
        bytes.extend_from_slice(t.as_slice());
    }
    Ok(bytes)
}

/// One subgraph's table; its constants go to `buffers`, its op codes to `opcodes`.
#[expect(
    clippy::indexing_slicing,
    reason = "tensor ids of a Graph are valid by construction (add_node checks them)"
)]
fn subgraph(
    g: &Graph,
    main: bool,
    buffers: &mut Vec<Obj>,
    opcodes: &mut Vec<(i32, Option<String>, i32)>,
    total: &mut usize,
) -> Result<TableB> {
    let mut tensors = Vec::with_capacity(g.tensors.len());
    for t in &g.tensors {
        let mut tb = TableB::new()
            .obj(
                0,
                Obj::i32s(
                    &t.shape
                        .iter()
                        .map(|&d| {
                            i32::try_from(d).map_err(|_| {
                                Error::from(ExportError::Tensor {
                                    tensor: t.name.clone(),
                                    why: format!("dimension {d} is too large"),
                                })
                            })
                        })
                        .collect::<Result<Vec<_>>>()?,
                ),
            )
            .i8(1, type_code(t.dtype))
            .str(3, &t.name);
        if let Some(d) = &t.data {
            *total += d.len();
            if *total > i32::MAX as usize - (1 << 20) {
                return Err(ExportError::TooLarge(
                    "the model is larger than 2 GB, which the TFLite flatbuffer cannot hold".into(),
                )
                .into());
            }
            buffers.push(Obj::Table(TableB::new().obj(0, Obj::data(d.as_slice()))));
            tb = tb.u32(2, (buffers.len() - 1) as u32);
        }
        if let Some(q) = &t.quant {
            let mut qb = TableB::new();
            if !q.min.is_empty() {
                qb = qb.obj(0, Obj::f32s(&q.min));
            }
            if !q.max.is_empty() {
                qb = qb.obj(1, Obj::f32s(&q.max));
            }
            // All-zero per-channel zero points are shared between tensors (8 bytes a channel).
            let zp = Obj::i64s(&q.zero_point);
            let zp = if q.zero_point.len() > 1 && q.zero_point.iter().all(|&z| z == 0) {
                Obj::Pooled(Box::new(zp))
            } else {
                zp
            };
            qb = qb.obj(2, Obj::f32s(&q.scale)).obj(3, zp);
            if q.axis != 0 {
                qb = qb.i32(6, q.axis as i32);
            }
            tb = tb.obj(4, Obj::Table(qb));
        }
        if t.is_variable {
            tb = tb.bool(5, true);
        }
        if let Some(sp) = &t.sparsity {
            tb = tb.obj(6, Obj::Table(sparsity(sp)));
        }
        if let Some(s) = &t.signature {
            tb = tb.obj(7, Obj::i32s(s));
        }
        tensors.push(Obj::Table(tb));
    }
    let mut operators = Vec::with_capacity(g.nodes.len());
    for n in &g.nodes {
        let enc = match schema::encode(&n.op) {
            Some((code, tag, opts)) => Enc {
                code,
                tag,
                opts,
                ..Enc::default()
            },
            None => match super::schema_detection::encode_custom(&n.op) {
                Some((name, bytes)) => Enc {
                    code: schema::code::CUSTOM,
                    custom: Some(name.to_string()),
                    custom_opts: Some(bytes),
                    ..Enc::default()
                },
                None => custom_encoding(n)?,
            },
        };
        let (code, custom) = (enc.code, enc.custom);
        let in_dtype = n.input(0).map(|t| g.tensors[t].dtype);
        let out_rank = n.outputs.first().map_or(0, |&o| g.tensors[o].shape.len());
        let version = n
            .version
            .unwrap_or_else(|| default_version(&n.op, n.inputs.len(), in_dtype, out_rank))
            .max(grouped_version(g, n));
        let key = (code, custom, version);
        let oi = match opcodes.iter().position(|k| *k == key) {
            Some(i) => i,
            None => {
                opcodes.push(key);
                opcodes.len() - 1
            }
        };
        let ins: Vec<i32> = n
            .inputs
            .iter()
            .map(|t| t.map_or(-1, |t| t as i32))
            .collect();
        let outs: Vec<i32> = n.outputs.iter().map(|&t| t as i32).collect();
        let mut ob = TableB::new()
            .u32(0, oi as u32)
            .obj(1, Obj::i32s(&ins))
            .obj(2, Obj::i32s(&outs));
        if enc.tag != 0 {
            ob = ob.u8(3, enc.tag).obj(4, Obj::Table(enc.opts));
        }
        if let Some(c) = enc.custom_opts {
            ob = ob.obj(5, Obj::u8s(&c));
        }
        if let Some(f) = enc.custom_format {
            ob = ob.i8(6, f);
        }
        if enc.tag2 != 0 {
            ob = ob.u8(11, enc.tag2).obj(12, Obj::Table(enc.opts2));
        }
        operators.push(Obj::Table(ob));
    }
    let ids = |v: &[TensorId]| Obj::i32s(&v.iter().map(|&t| t as i32).collect::<Vec<_>>());
    let mut t = TableB::new()
        .obj(0, Obj::Objs(tensors))
        .obj(1, ids(&g.inputs))
        .obj(2, ids(&g.outputs))
        .obj(3, Obj::Objs(operators));
    match (g.name.as_str(), main) {
        ("", true) => t = t.str(4, "main"),
        ("", false) => {}
        (name, _) => t = t.str(4, name),
    }
    Ok(t)
}

/// The least version of a grouped CONV_2D (filter input channels fewer than the input's):
/// LiteRT's `GetBuiltinOperatorVersion` gives 6 to every grouped convolution; 0 otherwise.
fn grouped_version(g: &Graph, n: &Node) -> i32 {
    let channels = |k: usize| {
        n.input(k)
            .and_then(|t| g.tensors.get(t))
            .and_then(|t| t.shape.get(3).copied())
    };
    match (&n.op, channels(0), channels(1)) {
        (Op::Conv2d(_), Some(c), Some(f)) if f != 0 && f != c => 6,
        _ => 0,
    }
}

fn in_subgraph(e: Error, i: usize, more: usize) -> Error {
    match e {
        Error::Export(ExportError::Node { node, why }) if more > 0 => ExportError::Node {
            node,
            why: format!("{why} (subgraph {i})"),
        }
        .into(),
        e => e,
    }
}

/// How one operator is written: op code, options of both unions, custom options.
#[derive(Default)]
struct Enc {
    code: i32,
    custom: Option<String>,
    tag: u8,
    opts: TableB,
    tag2: u8,
    opts2: TableB,
    custom_opts: Option<Vec<u8>>,
    custom_format: Option<i8>,
}

/// A kept op (`Op::Custom`) as read: a builtin with its options fields, or a CUSTOM op.
fn custom_encoding(n: &Node) -> Result<Enc> {
    let fail = |why: String| -> Error {
        ExportError::Node {
            node: n.name.clone(),
            why,
        }
        .into()
    };
    let Op::Custom { name, attrs } = &n.op else {
        return Err(fail(format!("op {} has no TFLite encoding", n.op.name())));
    };
    let get = |k: &str| attrs.iter().find(|(a, _)| a == k).map(|(_, v)| v);
    if let Some(v) = get("onnx_domain") {
        let dom = match v {
            AttrValue::Str(d) if !d.is_empty() => format!("{d}."),
            _ => String::new(),
        };
        return Err(fail(format!(
            "the ONNX op {dom}{name} has no TFLite equivalent"
        )));
    }
    if let Some(AttrValue::Str(why)) = get("options_unreadable") {
        return Err(fail(format!(
            "the options of op {name} are not understood ({why}), so it cannot be written back"
        )));
    }
    let Some(code) = get("builtin_code") else {
        let custom_opts = match get("custom_options") {
            Some(AttrValue::Bytes(b)) => Some(b.clone()),
            _ => None,
        };
        let custom_format = match get("custom_options_format") {
            Some(AttrValue::Int(f)) => i8::try_from(*f).ok(),
            _ => None,
        };
        return Ok(Enc {
            code: schema::code::CUSTOM,
            custom: Some(name.clone()),
            custom_opts,
            custom_format,
            ..Enc::default()
        });
    };
    let AttrValue::Int(code) = code else {
        return Err(fail(format!("op {name}: builtin_code is {code}")));
    };
    let code = i32::try_from(*code).map_err(|_| fail(format!("op {name}: code {code}")))?;
    let mut enc = Enc {
        code,
        ..Enc::default()
    };
    for (second, key, prefix) in [
        (false, "options_tag", ""),
        (true, "options2_tag", "options2."),
    ] {
        let Some(tag) = get(key) else { continue };
        let tag = match tag {
            AttrValue::Int(t) => u8::try_from(*t).ok(),
            _ => None,
        }
        .ok_or_else(|| fail(format!("op {name}: {key} is {tag}")))?;
        if tag == 0 {
            continue;
        }
        let table = options::lookup(second, tag)
            .ok_or_else(|| fail(format!("op {name}: options union tag {tag} is unknown")))?;
        let opts =
            options::write(table, attrs, prefix).map_err(|e| fail(format!("op {name}: {e}")))?;
        if second {
            (enc.tag2, enc.opts2) = (tag, opts);
        } else {
            (enc.tag, enc.opts) = (tag, opts);
        }
    }
    Ok(enc)
}

fn index_vector(ty: u8, v: &[i32]) -> Obj {
    let values = match ty {
        2 => Obj::Scalars {
            bytes: v.iter().flat_map(|&x| (x as u16).to_le_bytes()).collect(),
            count: v.len(),
            align: 2,
        },
        3 => Obj::u8s(&v.iter().map(|&x| x as u8).collect::<Vec<_>>()),
        _ => Obj::i32s(v),
    };
    Obj::Table(TableB::new().obj(0, values))
}

fn sparsity(sp: &Sparsity) -> TableB {
    let dims = sp
        .dims
        .iter()
        .map(|d| {
            let mut t = TableB::new()
                .i8(0, if d.dense { 0 } else { 1 })
                .i32(1, d.dense_size);
            if !d.dense {
                let (st, it) = (d.index_types.0.max(1), d.index_types.1.max(1));
                t = t
                    .u8(2, st)
                    .obj(3, index_vector(st, &d.segments))
                    .u8(4, it)
                    .obj(5, index_vector(it, &d.indices));
            }
            Obj::Table(t)
        })
        .collect();
    TableB::new()
        .obj(0, Obj::i32s(&sp.traversal_order))
        .obj(1, Obj::i32s(&sp.block_map))
        .obj(2, Obj::Objs(dims))
}
