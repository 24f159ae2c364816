//! .tflite -> IR. Validates everything it reads: indices, sizes, types, operator order.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::fb::{Table, Vector};
use super::{metadata, options, schema};
use crate::error::{Error, ImportError, Result};
use crate::ir::*;

/// Largest element count a tensor may claim.
pub const MAX_TENSOR_ELEMS: usize = i32::MAX as usize;

type Owner = Arc<dyn AsRef<[u8]> + Send + Sync>;

fn err(msg: impl Into<String>) -> Error {
    Error::import(msg)
}

struct Buffer {
    /// (start, len) of the bytes in the file.
    range: Option<(usize, usize)>,
}

struct OpCode {
    code: i32,
    custom: Option<String>,
    version: i32,
}

/// Parse a whole .tflite file held by `owner`.
pub fn read(owner: Owner) -> Result<Graph> {
    let data: &[u8] = (*owner).as_ref();
    if data.is_empty() {
        return Err(err("the file is empty"));
    }
    if data.len() < 8 {
        return Err(err(format!(
            "the file is only {} bytes, too short for a TFLite model",
            data.len()
        )));
    }
    let ident = data.get(4..8).unwrap_or_default();
    if ident != b"TFL3" {
        return Err(err(format!(
            "not a TFLite model: file identifier is {:?}, expected \"TFL3\"",
            String::from_utf8_lossy(ident)
        )));
    }
    let model = Table::root(data)?;
    let version = model.get::<u32>(0, 0)?;
    if version != 3 {
        return Err(err(format!(
            "schema version {version} is not supported (expected 3)"
        )));
    }
    let opcodes = read_opcodes(&model)?;
    let buffers = read_buffers(&model, data.len())?;
    let subgraphs = model
        .vector(2)?
        .ok_or_else(|| err("the model has no subgraphs"))?;
    if subgraphs.is_empty() {
        return Err(err("the model has no subgraphs"));
    }
    let mut graphs = (0..subgraphs.len())
        .map(|i| {
            let sg = subgraphs.table(i)?;
            read_subgraph(&sg, &opcodes, &buffers, &owner)
                .map_err(|e| in_subgraph(e, i, subgraphs.len()))
        })
        .collect::<Result<Vec<Graph>>>()?;
    let n_graphs = graphs.len();
    for (s, sg) in graphs.iter().enumerate() {
        for (i, n) in sg.nodes.iter().enumerate() {
            for (what, target) in n.op.called_subgraphs() {
                if target >= n_graphs {
                    return Err(in_subgraph(
                        err(format!(
                            "operator {i} ({}): {what} {target} is out of range ({n_graphs} subgraphs)",
                            n.op.name()
                        )),
                        s,
                        n_graphs,
                    ));
                }
            }
        }
    }
    let mut g = graphs.remove(0);
    g.subgraphs = graphs;
    read_signature(&model, &mut g)?;
    g.meta.description = model.string(3)?.map(str::to_string);
    read_metadata(&model, &buffers, &owner, &mut g)?;
    g.meta.trailing = metadata::trailing_zip(data)
        .and_then(|start| Bytes::slice_of(owner.clone(), start, data.len() - start));
    if let Some(t) = &g.meta.trailing {
        g.meta.labels = metadata::labels_from_zip(
            t.as_slice(),
            g.meta.outputs.iter().find_map(|m| m.label_file.as_deref()),
        );
    }
    Ok(g)
}

/// Name the subgraph in an error of a file that has more than one.
fn in_subgraph(e: Error, i: usize, n: usize) -> Error {
    match e {
        Error::Import(ImportError::Corrupt(m)) if n > 1 => err(format!("subgraph {i}: {m}")),
        Error::Import(ImportError::NotSupported(m)) if n > 1 => {
            Error::Import(ImportError::NotSupported(format!("subgraph {i}: {m}")))
        }
        e => e,
    }
}

/// One subgraph: its tensors, inputs/outputs, operators and name.
fn read_subgraph(
    sg: &Table<'_>,
    opcodes: &[OpCode],
    buffers: &[Buffer],
    owner: &Owner,
) -> Result<Graph> {
    let mut g = Graph::default();
    read_tensors(sg, buffers, owner, &mut g)?;
    let nt = g.tensors.len();
    let idx_list = |v: Option<Vector<'_>>, what: &str| -> Result<Vec<usize>> {
        v.map(|v| v.scalars::<i32>())
            .transpose()?
            .unwrap_or_default()
            .into_iter()
            .map(|i| {
                usize::try_from(i).ok().filter(|&i| i < nt).ok_or_else(|| {
                    err(format!(
                        "{what} refers to tensor {i}, but there are {nt} tensors"
                    ))
                })
            })
            .collect()
    };
    g.inputs = idx_list(sg.vector(1)?, "a graph input")?;
    g.outputs = idx_list(sg.vector(2)?, "a graph output")?;
    g.name = sg.string(4)?.unwrap_or_default().to_string();
    read_operators(sg, opcodes, &mut g)?;
    Ok(g)
}

fn read_opcodes(model: &Table<'_>) -> Result<Vec<OpCode>> {
    let Some(v) = model.vector(1)? else {
        return Ok(Vec::new());
    };
    (0..v.len())
        .map(|i| {
            let t = v.table(i)?;
            let deprecated = t.get::<i8>(0, 0)? as i32;
            let builtin = t.get::<i32>(3, 0)?;
            Ok(OpCode {
                code: deprecated.max(builtin),
                custom: t.string(1)?.map(str::to_string),
                version: t.get::<i32>(2, 1)?,
            })
        })
        .collect()
}

fn read_buffers(model: &Table<'_>, file_len: usize) -> Result<Vec<Buffer>> {
    let Some(v) = model.vector(4)? else {
        return Ok(Vec::new());
    };
    (0..v.len())
        .map(|i| {
            let t = v.table(i)?;
            if let Some(d) = t.vector(0)?
                && !d.is_empty() {
                    d.bytes()?;
                    return Ok(Buffer { range: Some((d.start(), d.len())) });
                }
            let (off, size) = (t.get::<u64>(1, 0)?, t.get::<u64>(2, 0)?);
            if off > 1 {
                let end = off.checked_add(size).ok_or_else(|| err(format!("buffer {i}: offset {off} + size {size} overflows")))?;
                if end > file_len as u64 {
                    return Err(err(format!("buffer {i}: data at offset {off} with size {size} lies past the end of the file ({file_len} bytes)")));
                }
                return Ok(Buffer { range: Some((off as usize, size as usize)) });
            }
            Ok(Buffer { range: None })
        })
        .collect()
}

fn read_quant(t: &Table<'_>, shape: &[usize], name: &str) -> Result<Option<QuantParams>> {
    let Some(q) = t.table(4)? else {
        return Ok(None);
    };
    let f32s = |id| -> Result<Vec<f32>> {
        Ok(q.vector(id)?
            .map(|v| v.scalars::<f32>())
            .transpose()?
            .unwrap_or_default())
    };
    let scale = f32s(2)?;
    if scale.is_empty() {
        return Ok(None);
    }
    let zero_point = q
        .vector(3)?
        .map(|v| v.scalars::<i64>())
        .transpose()?
        .unwrap_or_default();
    let zero_point = if zero_point.is_empty() {
        vec![0; scale.len()]
    } else {
        zero_point
    };
    let axis = q.get::<i32>(6, 0)?;
    if zero_point.len() != scale.len() {
        return Err(err(format!(
            "tensor '{name}': {} scales but {} zero points",
            scale.len(),
            zero_point.len()
        )));
    }
    let axis = usize::try_from(axis).map_err(|_| {
        err(format!(
            "tensor '{name}': negative quantized_dimension {axis}"
        ))
    })?;
    if scale.len() > 1 && shape.get(axis) != Some(&scale.len()) {
        return Err(err(format!(
            "tensor '{name}': {} per-axis scales do not match dimension {axis} of shape {shape:?}",
            scale.len()
        )));
    }
    if scale.iter().any(|s| !s.is_finite() || *s <= 0.0) && scale.iter().any(|s| *s != 0.0) {
        return Err(err(format!(
            "tensor '{name}': quantization scales must be positive and finite"
        )));
    }
    Ok(Some(QuantParams {
        scale,
        zero_point,
        axis,
        min: f32s(0)?,
        max: f32s(1)?,
    }))
}

fn read_tensors(sg: &Table<'_>, buffers: &[Buffer], owner: &Owner, g: &mut Graph) -> Result<()> {
    let Some(v) = sg.vector(0)? else {
        return Ok(());
    };
    for i in 0..v.len() {
        let t = v.table(i)?;
        let name = t.string(3)?.unwrap_or_default().to_string();
        let ctx = |m: String| err(format!("tensor {i} '{name}': {m}"));
        let raw_shape = t
            .vector(0)?
            .map(|s| s.scalars::<i32>())
            .transpose()?
            .unwrap_or_default();
        let shape: Vec<usize> = raw_shape
            .iter()
            .map(|&d| {
                usize::try_from(d)
                    .map_err(|_| ctx(format!("negative dimension in shape {raw_shape:?}")))
            })
            .collect::<Result<_>>()?;
        let numel = shape
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .filter(|&n| n <= MAX_TENSOR_ELEMS);
        let numel = numel.ok_or_else(|| {
            ctx(format!(
                "shape {raw_shape:?} claims more than {MAX_TENSOR_ELEMS} elements"
            ))
        })?;
        let type_code = t.get::<i8>(1, 0)?;
        let dtype = schema::dtype_of(type_code).ok_or_else(|| {
            Error::Import(ImportError::NotSupported(format!(
                "tensor {i} '{name}': type code {type_code} is not a TFLite tensor type"
            )))
        })?;
        let bidx = t.get::<u32>(2, 0)? as usize;
        let buf = buffers.get(bidx).ok_or_else(|| {
            ctx(format!(
                "buffer index {bidx} out of range ({} buffers)",
                buffers.len()
            ))
        })?;
        let sparsity = read_sparsity(&t).map_err(|e| ctx(format!("sparsity: {}", e.chain())))?;
        let sparse = sparsity.is_some();
        let data = match buf.range {
            Some((start, len)) => {
                if let Some(lens) = dtype.buffer_lens(numel)
                    && !sparse
                    && !lens.contains(&len)
                {
                    return Err(ctx(format!(
                        "buffer {bidx} holds {len} bytes, but shape {shape:?} of {dtype} needs {}",
                        lens.iter()
                            .map(usize::to_string)
                            .collect::<Vec<_>>()
                            .join(" or ")
                    )));
                }
                Some(
                    Bytes::slice_of(owner.clone(), start, len)
                        .ok_or_else(|| ctx("buffer out of range".into()))?,
                )
            }
            None => None,
        };
        let signature = t
            .vector(7)?
            .map(|s| s.scalars::<i32>())
            .transpose()?
            .filter(|s| !s.is_empty());
        if let Some(sig) = &signature
            && (sig.len() != shape.len()
                || sig
                    .iter()
                    .zip(&shape)
                    .any(|(&s, &d)| s >= 0 && s as usize != d))
        {
            return Err(ctx(format!(
                "shape_signature {sig:?} does not match shape {raw_shape:?}"
            )));
        }
        let quant = read_quant(&t, &shape, &name)?;
        if sparse && data.as_ref().is_some_and(|d| d.len() % dtype.size() != 0) {
            return Err(ctx("sparse values do not fill whole elements".into()));
        }
        g.tensors.push(Tensor {
            name,
            dtype,
            shape,
            signature,
            dim_names: Vec::new(),
            quant,
            data,
            is_variable: t.bool(5)?,
            sparsity,
        });
    }
    Ok(())
}

#[expect(
    clippy::indexing_slicing,
    reason = "tensor ids are range-checked by tensor_list and the graph-input check above"
)]
fn read_operators(sg: &Table<'_>, opcodes: &[OpCode], g: &mut Graph) -> Result<()> {
    let Some(v) = sg.vector(3)? else {
        return Ok(());
    };
    let nt = g.tensors.len();
    // Variable tensors hold state between invocations: readable before any operator writes them.
    let mut produced: Vec<bool> = g
        .tensors
        .iter()
        .map(|t| t.is_const() || t.is_variable)
        .collect();
    for &i in &g.inputs {
        produced[i] = true;
    }
    // Shapes computed at run time by SHAPE chains (a converter stores placeholders such as
    // `[1, 1]` for the RESHAPE they feed, as LiteRT resizes it when it prepares the model): the
    // chain's values, and the tensors whose stored shape they replaced.
    let mut known: HashMap<usize, Value> = HashMap::new();
    let mut settled: HashSet<usize> = HashSet::new();
    for i in 0..v.len() {
        let t = v.table(i)?;
        let oi = t.get::<u32>(0, 0)? as usize;
        let oc = opcodes.get(oi).ok_or_else(|| {
            err(format!(
                "operator {i}: opcode index {oi} out of range ({} opcodes)",
                opcodes.len()
            ))
        })?;
        let tensor_list = |id: usize, what: &str| -> Result<Vec<Option<usize>>> {
            t.vector(id)?
                .map(|v| v.scalars::<i32>())
                .transpose()?
                .unwrap_or_default()
                .into_iter()
                .map(|x| match x {
                    -1 => Ok(None),
                    x if x >= 0 && (x as usize) < nt => Ok(Some(x as usize)),
                    x => Err(err(format!(
                        "operator {i}: {what} tensor index {x} out of range ({nt} tensors)"
                    ))),
                })
                .collect()
        };
        let inputs = tensor_list(1, "input")?;
        let outputs: Vec<usize> = tensor_list(2, "output")?
            .into_iter()
            .map(|o| o.ok_or_else(|| err(format!("operator {i}: output index -1"))))
            .collect::<Result<_>>()?;
        let opts = match t.get::<u8>(3, 0)? {
            0 => None,
            _ => t.table(4)?,
        };
        let op = match oc.code {
            schema::code::CUSTOM => custom_op(&t, oc)?,
            code => match schema::decode(code, opts) {
                Ok(Some(op)) => op,
                Ok(None) | Err(_) => kept_builtin(&t, code)?,
            },
        };
        for &x in inputs.iter().flatten() {
            // A zero-size tensor that nothing wrote has nothing to hold: the converter stores
            // empty constants (e.g. RESHAPE's shape `[]` for a scalar) without buffer data.
            if !produced[x] && g.tensors[x].numel() == 0 {
                g.tensors[x].data = Some(Bytes::from_vec(Vec::new()));
                produced[x] = true;
            }
            if !produced[x] {
                return Err(err(format!(
                    "operator {i} ({}) reads tensor {x} '{}' before any operator produces it: the graph is cyclic or its operators are out of order",
                    op.name(),
                    g.tensors[x].name
                )));
            }
        }
        for &o in &outputs {
            if std::mem::replace(&mut produced[o], true) {
                return Err(err(format!(
                    "operator {i} ({}) writes tensor {o} '{}', which is already produced or constant",
                    op.name(),
                    g.tensors[o].name
                )));
            }
        }
        let name = outputs
            .first()
            .map(|&o| g.tensors[o].name.clone())
            .unwrap_or_default();
        let node = Node {
            name,
            op,
            inputs,
            outputs,
            version: Some(oc.version),
        };
        // A custom op whose shapes do not fit what the detection family models stays as the
        // file has it, so the model still opens.
        if oc.code == schema::code::CUSTOM && matches!(node.op, Op::Detect(_)) {
            if g.add_node(node.clone()).is_err() {
                g.add_node(Node {
                    op: custom_kept(&t, oc)?,
                    ..node
                })?;
            }
        } else {
            let settle = node
                .inputs
                .iter()
                .flatten()
                .any(|t| known.contains_key(t) || settled.contains(t));
            let (idx, changed) = g.add_node_settling(node, &known, settle)?;
            settled.extend(changed);
            let n = &g.nodes[idx];
            if settle || matches!(n.op, Op::Shape { .. }) {
                if let Some(outs) = crate::ops::reinfer::propagate_known(g, n, &known) {
                    known.extend(n.outputs.iter().copied().zip(outs));
                }
            }
        }
    }
    Ok(())
}

/// A CUSTOM op: one the detection family models, else the op kept as it is.
fn custom_op(t: &Table<'_>, oc: &OpCode) -> Result<Op> {
    let bytes = t
        .vector(5)?
        .map(|v| v.bytes())
        .transpose()?
        .unwrap_or_default();
    let name = oc.custom.as_deref().unwrap_or("CUSTOM");
    match super::schema_detection::decode_custom(name, bytes) {
        Some(op) => Ok(op),
        None => custom_kept(t, oc),
    }
}

/// A CUSTOM op kept as it is: its custom code, options bytes and their format.
fn custom_kept(t: &Table<'_>, oc: &OpCode) -> Result<Op> {
    let bytes = t
        .vector(5)?
        .map(|v| v.bytes())
        .transpose()?
        .unwrap_or_default();
    let mut attrs = vec![("custom_options".into(), AttrValue::Bytes(bytes.to_vec()))];
    if t.has(6)? {
        attrs.push((
            "custom_options_format".into(),
            AttrValue::Int(t.get::<i8>(6, 0)?.into()),
        ));
    }
    Ok(Op::Custom {
        name: oc.custom.clone().unwrap_or_else(|| "CUSTOM".into()),
        attrs,
    })
}

/// A builtin op the IR has no variant for (or whose options it cannot take): its code and
/// every options field, kept to be shown and written back.
fn kept_builtin(t: &Table<'_>, code: i32) -> Result<Op> {
    let mut attrs = vec![("builtin_code".to_string(), AttrValue::Int(code.into()))];
    for (second, tag_id, table_id, prefix) in [(false, 3, 4, ""), (true, 11, 12, "options2.")] {
        let tag = t.get::<u8>(tag_id, 0)?;
        if tag == 0 {
            continue;
        }
        let key = if second {
            "options2_tag"
        } else {
            "options_tag"
        };
        attrs.push((key.into(), AttrValue::Int(tag.into())));
        let (Some(table), Some(opts)) = (options::lookup(second, tag), t.table(table_id)?) else {
            attrs.push((
                "options_unreadable".into(),
                AttrValue::Str(format!("options union tag {tag} is unknown")),
            ));
            continue;
        };
        match options::read(table, &opts, prefix)? {
            Ok(fields) => attrs.extend(fields),
            Err(field) => attrs.push((
                "options_unreadable".into(),
                AttrValue::Str(format!("field '{field}' of {}", table.name)),
            )),
        }
    }
    Ok(Op::Custom {
        name: schema::builtin_name(code),
        attrs,
    })
}

fn read_signature(model: &Table<'_>, g: &mut Graph) -> Result<()> {
    g.signature = super::signatures::defs(model)?
        .into_iter()
        .find(|d| d.subgraph == 0)
        .map(|d| d.signature);
    Ok(())
}

fn read_metadata(
    model: &Table<'_>,
    buffers: &[Buffer],
    owner: &Owner,
    g: &mut Graph,
) -> Result<()> {
    let Some(v) = model.vector(6)? else {
        return Ok(());
    };
    for i in 0..v.len() {
        let m = v.table(i)?;
        let name = m.string(0)?.unwrap_or_default().to_string();
        let b = m.get::<u32>(1, 0)? as usize;
        let buf = buffers
            .get(b)
            .ok_or_else(|| err(format!("metadata '{name}': buffer index {b} out of range")))?;
        let bytes = match buf.range {
            Some((s, l)) => Bytes::slice_of(owner.clone(), s, l)
                .ok_or_else(|| err("metadata buffer out of range"))?,
            None => Bytes::from_vec(Vec::new()),
        };
        if name == "TFLITE_METADATA" {
            // Model metadata is optional: a malformed one is ignored, not fatal.
            if let Ok(meta) = metadata::parse(bytes.as_slice()) {
                g.meta.name = meta.name;
                g.meta.inputs = meta.inputs;
                g.meta.outputs = meta.outputs;
                if g.meta.description.is_none() {
                    g.meta.description = meta.description;
                }
            }
        }
        g.meta.raw.push(RawMetadata { name, data: bytes });
    }
    Ok(())
}

fn index_vector(t: &Table<'_>, type_id: usize, id: usize) -> Result<(u8, Vec<i32>)> {
    let ty = t.get::<u8>(type_id, 0)?;
    let Some(v) = t.table(id)?.map(|x| x.vector(0)).transpose()?.flatten() else {
        return Ok((ty, Vec::new()));
    };
    let vals = match ty {
        1 => v.scalars::<i32>()?,
        2 => v.scalars::<u16>()?.into_iter().map(i32::from).collect(),
        3 => v.bytes()?.iter().map(|&b| i32::from(b)).collect(),
        _ => return Err(err(format!("unknown sparse index vector type {ty}"))),
    };
    Ok((ty, vals))
}

fn read_sparsity(t: &Table<'_>) -> Result<Option<Sparsity>> {
    let Some(s) = t.table(6)? else {
        return Ok(None);
    };
    let ints = |id| -> Result<Vec<i32>> {
        Ok(s.vector(id)?
            .map(|v| v.scalars::<i32>())
            .transpose()?
            .unwrap_or_default())
    };
    let mut dims = Vec::new();
    if let Some(v) = s.vector(2)? {
        for i in 0..v.len() {
            let d = v.table(i)?;
            let (st, segments) = index_vector(&d, 2, 3)?;
            let (it, indices) = index_vector(&d, 4, 5)?;
            dims.push(SparseDim {
                dense: d.get::<i8>(0, 0)? == 0,
                dense_size: d.get::<i32>(1, 0)?,
                segments,
                indices,
                index_types: (st, it),
            });
        }
    }
    Ok(Some(Sparsity {
        traversal_order: ints(0)?,
        block_map: ints(1)?,
        dims,
    }))
}
