//! NumPy `.npy` files (format versions 1-3, C order, little-endian).
#![expect(
    clippy::indexing_slicing,
    reason = "header offsets are checked with get() before slicing"
)]

use std::path::Path;

use crate::error::{DataError, Error, Result};
use crate::ir::{DType, Data, Value};

fn descr(d: DType) -> &'static str {
    match d {
        DType::F32 => "<f4",
        DType::F16 => "<f2",
        DType::I8 => "|i1",
        DType::U8 => "|u1",
        DType::I16 => "<i2",
        DType::I32 => "<i4",
        DType::I64 => "<i8",
        DType::Bool => "|b1",
        // Values exist only for the runnable types; the others never reach a `.npy` file.
        _ => "|V1",
    }
}

/// Encode a value as `.npy` bytes.
pub fn to_bytes(v: &Value) -> Vec<u8> {
    let shape = match v.shape.len() {
        0 => "()".to_string(),
        1 => format!("({},)", v.shape[0]),
        _ => format!(
            "({})",
            v.shape
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    let mut header = format!(
        "{{'descr': '{}', 'fortran_order': False, 'shape': {}, }}",
        descr(v.dtype()),
        shape
    );
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut out = b"\x93NUMPY\x01\x00".to_vec();
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&v.data.to_le_bytes());
    out
}

fn npy_err(path: impl Into<std::path::PathBuf>, why: impl Into<String>) -> Error {
    DataError::Npy {
        path: path.into(),
        why: why.into(),
    }
    .into()
}

/// Decode `.npy` bytes.
pub fn from_bytes(b: &[u8]) -> Result<Value> {
    let bad = |m: &str| npy_err("", m);
    if b.get(..6) != Some(b"\x93NUMPY".as_slice()) {
        return Err(bad("not a .npy file (missing \\x93NUMPY magic)"));
    }
    let major = *b.get(6).ok_or_else(|| bad("truncated header"))?;
    let (hlen, hstart) = match major {
        1 => (
            b.get(8..10)
                .map(|s| u16::from_le_bytes([s[0], s[1]]) as usize),
            10,
        ),
        2 | 3 => (
            b.get(8..12)
                .map(|s| u32::from_le_bytes([s[0], s[1], s[2], s[3]]) as usize),
            12,
        ),
        _ => return Err(bad("unsupported .npy version")),
    };
    let hlen = hlen.ok_or_else(|| bad("truncated header"))?;
    let header = b
        .get(hstart..hstart + hlen)
        .ok_or_else(|| bad("truncated header"))?;
    let header = std::str::from_utf8(header).map_err(|_| bad("header is not text"))?;
    let field = |k: &str| -> Option<&str> {
        let i = header.find(&format!("'{k}'"))?;
        Some(
            header[i + k.len() + 2..]
                .trim_start()
                .trim_start_matches(':')
                .trim_start(),
        )
    };
    let d = field("descr").ok_or_else(|| bad("no descr"))?;
    let d = d.trim_start_matches('\'');
    let d = &d[..d.find('\'').unwrap_or(d.len())];
    let dtype = match d {
        "<f4" => DType::F32,
        "<f2" => DType::F16,
        "|i1" | "i1" => DType::I8,
        "|u1" | "u1" => DType::U8,
        "<i2" => DType::I16,
        "<i4" => DType::I32,
        "<i8" => DType::I64,
        "|b1" => DType::Bool,
        other => {
            return Err(npy_err(
                "",
                format!(
                    "unsupported dtype '{other}' (use float32, float16, int8, uint8, int16, int32, int64 or bool)"
                ),
            ));
        }
    };
    if field("fortran_order").is_some_and(|f| f.starts_with("True")) {
        return Err(bad("Fortran-order arrays are not supported"));
    }
    let s = field("shape").ok_or_else(|| bad("no shape"))?;
    let s = &s[s.find('(').ok_or_else(|| bad("bad shape"))? + 1
        ..s.find(')').ok_or_else(|| bad("bad shape"))?];
    let shape: Vec<usize> = s
        .split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(|x| x.parse::<usize>().map_err(|_| bad("bad shape")))
        .collect::<Result<_>>()?;
    let n = shape
        .iter()
        .try_fold(1usize, |a, &d| a.checked_mul(d))
        .ok_or_else(|| bad("shape overflows"))?;
    let body = &b[hstart + hlen..];
    let need = n
        .checked_mul(dtype.size())
        .ok_or_else(|| bad("shape overflows"))?;
    if body.len() != need {
        return Err(npy_err(
            "",
            format!(
                "data holds {} bytes, shape {shape:?} of {dtype} needs {need}",
                body.len()
            ),
        ));
    }
    let data = Data::from_le_bytes(dtype, body).ok_or_else(|| bad("bad data"))?;
    Ok(Value::new(shape, data))
}

/// Read a `.npy` file.
pub fn read(path: impl AsRef<Path>) -> Result<Value> {
    let p = path.as_ref();
    let b = std::fs::read(p).map_err(|e| Error::io(p, e))?;
    from_bytes(&b).map_err(|e| match e {
        Error::Data(DataError::Npy { why, .. }) => npy_err(p, why),
        e => e,
    })
}

/// Write a `.npy` file (atomically).
pub fn write(path: impl AsRef<Path>, v: &Value) -> Result<()> {
    super::write_atomic(path.as_ref(), &to_bytes(v))
}

/// Read every array of a `.npz` (an uncompressed ZIP of `.npy` files, as `numpy.savez` writes).
pub fn read_npz(path: impl AsRef<Path>) -> Result<Vec<(String, Value)>> {
    let p = path.as_ref();
    let b = std::fs::read(p).map_err(|e| Error::io(p, e))?;
    let entries = super::tflite::metadata::zip_entries(&b)
        .ok_or_else(|| npy_err(p, "not a .npz (ZIP) file"))?;
    let mut out = Vec::new();
    for (name, data, stored) in entries {
        if !stored {
            return Err(npy_err(
                p,
                format!("'{name}' is compressed; save with numpy.savez (not savez_compressed)"),
            ));
        }
        let v = from_bytes(data).map_err(|e| npy_err(p, format!("{name}: {}", e.chain())))?;
        out.push((name.trim_end_matches(".npy").to_string(), v));
    }
    Ok(out)
}
