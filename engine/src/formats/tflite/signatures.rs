//! Every SignatureDef of a .tflite file (key, the subgraph it runs, its named inputs and
//! outputs), read straight from the flatbuffer so that a caller can pick one by name. Tensor
//! indices are checked against the subgraph's tensor count.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use super::fb::Table;
use crate::error::{Error, Result};
use crate::ir::Signature;

/// One SignatureDef.
#[derive(Debug, Clone, PartialEq)]
pub struct SignatureDef {
    /// The subgraph it runs.
    pub subgraph: usize,
    /// Its key and the tensors its names map to (indices into that subgraph's tensors).
    pub signature: Signature,
}

/// The SignatureDefs of the .tflite bytes, in file order.
pub fn read(data: &[u8]) -> Result<Vec<SignatureDef>> {
    let err = |m: String| Error::import(m);
    if data.get(4..8) != Some(b"TFL3") {
        return Err(err("not a TFLite model".into()));
    }
    defs(&Table::root(data)?)
}

/// The SignatureDefs of a decoded model table, in file order (the reader takes subgraph 0's
/// first one as the graph's signature).
pub(super) fn defs(model: &Table<'_>) -> Result<Vec<SignatureDef>> {
    let err = |m: String| Error::import(m);
    let subgraphs = model.vector(2)?;
    let tensors_in = |sg: usize| -> Result<usize> {
        let Some(v) = &subgraphs else { return Ok(0) };
        if sg >= v.len() {
            return Ok(0);
        }
        Ok(v.table(sg)?.vector(0)?.map_or(0, |t| t.len()))
    };
    let Some(v) = model.vector(7)? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::with_capacity(v.len());
    for i in 0..v.len() {
        let s = v.table(i)?;
        let subgraph = s.get::<u32>(4, 0)? as usize;
        let nt = tensors_in(subgraph)?;
        let maps = |id: usize| -> Result<Vec<(String, usize)>> {
            let Some(m) = s.vector(id)? else {
                return Ok(Vec::new());
            };
            (0..m.len())
                .map(|j| {
                    let e = m.table(j)?;
                    let ti = e.get::<u32>(1, 0)? as usize;
                    if ti >= nt {
                        return Err(err(format!(
                            "signature {i} refers to tensor {ti}, but subgraph {subgraph} has {nt} tensors"
                        )));
                    }
                    Ok((e.string(0)?.unwrap_or_default().to_string(), ti))
                })
                .collect()
        };
        out.push(SignatureDef {
            subgraph,
            signature: Signature {
                key: s.string(2)?.unwrap_or_default().to_string(),
                inputs: maps(0)?,
                outputs: maps(1)?,
            },
        });
    }
    Ok(out)
}
