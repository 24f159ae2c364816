//! IR -> .tflite bytes. Deterministic: the same graph always gives the same bytes.

use super::builder::{Obj, TableB, finish};
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
    let mut tensors = Vec::with_capacity(g.tensors.len());
    let mut total: usize = 0;
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
            total += d.len();
            if total > i32::MAX as usize - (1 << 20) {
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
        let (code, custom, tag, opts, custom_opts) = match schema::encode(&n.op) {
            Some((c, tag, o)) => (c, None, tag, o, None),
            None => custom_encoding(n)?,
        };
        let in_dtype = n.input(0).map(|t| g.tensors[t].dtype);
        let out_rank = n.outputs.first().map_or(0, |&o| g.tensors[o].shape.len());
        let version = n
            .version
            .unwrap_or_else(|| default_version(&n.op, n.inputs.len(), in_dtype, out_rank));
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
        if tag != 0 {
            ob = ob.u8(3, tag).obj(4, Obj::Table(opts));
        }
        if let Some(c) = custom_opts {
            ob = ob.obj(5, Obj::u8s(&c));
        }
        operators.push(Obj::Table(ob));
    }
    let ids = |v: &[TensorId]| Obj::i32s(&v.iter().map(|&t| t as i32).collect::<Vec<_>>());
    let subgraph = TableB::new()
        .obj(0, Obj::Objs(tensors))
        .obj(1, ids(&g.inputs))
        .obj(2, ids(&g.outputs))
        .obj(3, Obj::Objs(operators))
        .str(4, "main");
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
        .obj(2, Obj::Objs(vec![Obj::Table(subgraph)]))
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

type CustomEnc = (i32, Option<String>, u8, TableB, Option<Vec<u8>>);

fn custom_encoding(n: &Node) -> Result<CustomEnc> {
    let Op::Custom { name, attrs } = &n.op else {
        return Err(ExportError::Node {
            node: n.name.clone(),
            why: format!("op {} has no TFLite encoding", n.op.name()),
        }
        .into());
    };
    let get = |k: &str| attrs.iter().find(|(a, _)| a == k).map(|(_, v)| v);
    match (get("builtin_code"), get("options_tag")) {
        (Some(AttrValue::Int(c)), Some(AttrValue::Int(0))) => {
            Ok((*c as i32, None, 0, TableB::new(), None))
        }
        (Some(_), _) => Err(ExportError::Node {
            node: n.name.clone(),
            why: format!(
                "the options of op {name} are not understood, so it cannot be written back"
            ),
        }
        .into()),
        (None, _) => {
            let opts = match get("custom_options") {
                Some(AttrValue::Bytes(b)) => Some(b.clone()),
                _ => None,
            };
            Ok((
                schema::code::CUSTOM,
                Some(name.clone()),
                0,
                TableB::new(),
                opts,
            ))
        }
    }
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
