//! ONNX `TensorProto` → engine [`Value`]: `raw_data` (little-endian) or the typed repeated
//! fields, or an external data file next to the model (`location`, `offset`, `length`), with
//! every size checked before anything is allocated. Errors are [`OnnxError::Tensor`] (named
//! tensor, what is wrong) and [`OnnxError::ExternalData`] (the file that could not be read).

use std::path::Path;

use super::error::OnnxError;
use super::proto::{TensorProto, dtype};
use crate::ir::{DType, Data, Value};

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
    let raw: Option<Vec<u8>> = if external {
        Some(read_external(t, dir, n * width)?)
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
