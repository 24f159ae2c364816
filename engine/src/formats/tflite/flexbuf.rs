//! FlexBuffers maps of scalars, the format of TFLite custom ops' options
//! (`TFLite_Detection_PostProcess`): a bounds-checked reader of the root map's int, uint,
//! float and bool entries, and a writer of such maps (keys sorted, as lookups binary-search).

use std::collections::BTreeMap;

/// One scalar of a map.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalar {
    /// Signed integer.
    Int(i64),
    /// Unsigned integer.
    UInt(u64),
    /// Float (stored as f32 or f64).
    Float(f64),
    /// Boolean.
    Bool(bool),
}

impl Scalar {
    /// As an integer (floats truncate, as FlexBuffers' `AsInt64`).
    pub fn as_i64(self) -> i64 {
        match self {
            Scalar::Int(v) => v,
            Scalar::UInt(v) => v as i64,
            Scalar::Float(v) => v as i64,
            Scalar::Bool(b) => i64::from(b),
        }
    }

    /// As a float.
    pub fn as_f64(self) -> f64 {
        match self {
            Scalar::Int(v) => v as f64,
            Scalar::UInt(v) => v as f64,
            Scalar::Float(v) => v,
            Scalar::Bool(b) => f64::from(u8::from(b)),
        }
    }

    /// As a boolean (non-zero is true).
    pub fn as_bool(self) -> bool {
        self.as_i64() != 0
    }
}

const T_NULL: u8 = 0;
const T_INT: u8 = 1;
const T_UINT: u8 = 2;
const T_FLOAT: u8 = 3;
const T_INDIRECT_INT: u8 = 6;
const T_INDIRECT_UINT: u8 = 7;
const T_INDIRECT_FLOAT: u8 = 8;
const T_MAP: u8 = 9;
const T_BOOL: u8 = 26;

fn uint(b: &[u8], at: usize, width: usize) -> Option<u64> {
    let s = b.get(at..at.checked_add(width)?)?;
    let mut v = [0u8; 8];
    v.get_mut(..width)?.copy_from_slice(s);
    Some(u64::from_le_bytes(v))
}

fn int(b: &[u8], at: usize, width: usize) -> Option<i64> {
    let u = uint(b, at, width)?;
    let shift = 64 - 8 * width as u32;
    Some(((u << shift) as i64) >> shift)
}

fn float(b: &[u8], at: usize, width: usize) -> Option<f64> {
    match width {
        4 => Some(f64::from(f32::from_bits(uint(b, at, 4)? as u32))),
        8 => Some(f64::from_bits(uint(b, at, 8)?)),
        _ => None,
    }
}

/// The target of an offset stored at `at` (offsets point backwards).
fn indirect(b: &[u8], at: usize, width: usize) -> Option<usize> {
    at.checked_sub(usize::try_from(uint(b, at, width)?).ok()?)
}

/// A NUL-terminated key at `at`.
fn key(b: &[u8], at: usize) -> Option<&str> {
    let rest = b.get(at..)?;
    let end = rest.iter().position(|&c| c == 0)?;
    std::str::from_utf8(rest.get(..end)?).ok()
}

/// The scalar entries of the root map of `bytes` (entries of other types are skipped);
/// `None` when the bytes are not a FlexBuffers map.
pub fn read_map(bytes: &[u8]) -> Option<BTreeMap<String, Scalar>> {
    let n = bytes.len();
    let root_width = usize::from(*bytes.last()?);
    let packed = *bytes.get(n.checked_sub(2)?)?;
    if !matches!(root_width, 1 | 2 | 4 | 8) || packed >> 2 != T_MAP {
        return None;
    }
    let root = n.checked_sub(2 + root_width)?;
    let data = indirect(bytes, root, root_width)?;
    let w = 1usize << (packed & 3);
    let len = usize::try_from(uint(bytes, data.checked_sub(w)?, w)?).ok()?;
    let keys_field = data.checked_sub(3 * w)?;
    let keys = indirect(bytes, keys_field, w)?;
    let kw = usize::try_from(uint(bytes, data.checked_sub(2 * w)?, w)?).ok()?;
    if !matches!(kw, 1 | 2 | 4 | 8) || len > n {
        return None;
    }
    let types = data.checked_add(len.checked_mul(w)?)?;
    let mut out = BTreeMap::new();
    for i in 0..len {
        let k = key(bytes, indirect(bytes, keys.checked_add(i * kw)?, kw)?)?;
        let at = data + i * w;
        let t = *bytes.get(types + i)?;
        let tw = 1usize << (t & 3);
        let v = match t >> 2 {
            T_INT => Scalar::Int(int(bytes, at, w)?),
            T_UINT => Scalar::UInt(uint(bytes, at, w)?),
            T_FLOAT => Scalar::Float(float(bytes, at, w)?),
            T_BOOL => Scalar::Bool(uint(bytes, at, w)? != 0),
            T_INDIRECT_INT => Scalar::Int(int(bytes, indirect(bytes, at, w)?, tw)?),
            T_INDIRECT_UINT => Scalar::UInt(uint(bytes, indirect(bytes, at, w)?, tw)?),
            T_INDIRECT_FLOAT => Scalar::Float(float(bytes, indirect(bytes, at, w)?, tw)?),
            T_NULL => continue,
            _ => continue,
        };
        out.insert(k.to_string(), v);
    }
    Some(out)
}

/// A FlexBuffers map of `entries` (every value 8 bytes wide; keys sorted).
pub fn write_map(entries: &BTreeMap<&str, Scalar>) -> Vec<u8> {
    const W: usize = 8;
    let mut b = Vec::new();
    let mut key_at = Vec::with_capacity(entries.len());
    for k in entries.keys() {
        key_at.push(b.len());
        b.extend_from_slice(k.as_bytes());
        b.push(0);
    }
    let pad = |b: &mut Vec<u8>| {
        while !b.len().is_multiple_of(W) {
            b.push(0);
        }
    };
    pad(&mut b);
    // Keys vector: length, then offsets back to each key.
    b.extend_from_slice(&(entries.len() as u64).to_le_bytes());
    let keys = b.len();
    for &k in &key_at {
        let here = b.len();
        b.extend_from_slice(&((here - k) as u64).to_le_bytes());
    }
    // Map: offset to the keys vector, its byte width, length, values, types.
    let field = b.len();
    b.extend_from_slice(&((field - keys) as u64).to_le_bytes());
    b.extend_from_slice(&(W as u64).to_le_bytes());
    b.extend_from_slice(&(entries.len() as u64).to_le_bytes());
    let data = b.len();
    let mut types = Vec::with_capacity(entries.len());
    for v in entries.values() {
        let (bits, t) = match *v {
            Scalar::Int(i) => (i as u64, T_INT),
            Scalar::UInt(u) => (u, T_UINT),
            Scalar::Float(f) => (f.to_bits(), T_FLOAT),
            Scalar::Bool(x) => (u64::from(x), T_BOOL),
        };
        b.extend_from_slice(&bits.to_le_bytes());
        types.push((t << 2) | 3);
    }
    b.extend_from_slice(&types);
    // Root: offset to the map, its packed type, the root's byte width.
    pad(&mut b);
    let root = b.len();
    b.extend_from_slice(&((root - data) as u64).to_le_bytes());
    b.push((T_MAP << 2) | 3);
    b.push(W as u8);
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_map_reads_back() {
        let mut m = BTreeMap::new();
        m.insert("max_detections", Scalar::Int(10));
        m.insert("nms_iou_threshold", Scalar::Float(0.6));
        m.insert("use_regular_nms", Scalar::Bool(true));
        m.insert("big", Scalar::UInt(1 << 40));
        m.insert("neg", Scalar::Int(-3));
        let r = read_map(&write_map(&m)).unwrap_or_else(|| panic!("not a map"));
        assert_eq!(r.len(), 5);
        assert_eq!(r.get("max_detections").copied(), Some(Scalar::Int(10)));
        assert_eq!(
            r.get("nms_iou_threshold").copied(),
            Some(Scalar::Float(0.6))
        );
        assert_eq!(r.get("use_regular_nms").copied(), Some(Scalar::Bool(true)));
        assert_eq!(r.get("big").copied(), Some(Scalar::UInt(1 << 40)));
        assert_eq!(r.get("neg").map(|v| v.as_i64()), Some(-3));
    }

    /// Narrower widths, as other builders write them: keys vector of width 1, a map of width 4
    /// holding INT 7 and an f32 0.5, a 1-byte root; truncated copies never panic.
    #[test]
    fn narrow_widths_and_garbage() {
        let mut b = vec![b'a', 0, b'b', 0];
        b.push(2); // keys vector length (width 1)
        let keys = b.len();
        b.push((keys) as u8); // offset back to "a" (at 0)
        b.push((keys + 1 - 2) as u8); // offset back to "b" (at 2)
        while b.len() % 4 != 0 {
            b.push(0);
        }
        let field = b.len();
        b.extend_from_slice(&((field - keys) as u32).to_le_bytes());
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&2u32.to_le_bytes());
        let data = b.len();
        b.extend_from_slice(&7i32.to_le_bytes());
        b.extend_from_slice(&0.5f32.to_bits().to_le_bytes());
        b.push(T_INT << 2);
        b.push((T_FLOAT << 2) | 2);
        let root = b.len();
        b.push((root - data) as u8);
        b.push((T_MAP << 2) | 2);
        b.push(1);
        let r = read_map(&b).unwrap_or_else(|| panic!("not a map"));
        assert_eq!(r.get("a").copied(), Some(Scalar::Int(7)));
        assert_eq!(r.get("b").copied(), Some(Scalar::Float(0.5)));
        for cut in 0..b.len() {
            let (head, tail) = b.split_at(cut);
            let _ = read_map(head);
            let _ = read_map(tail);
        }
        assert!(read_map(&[]).is_none());
        assert!(read_map(&[1, 2, 3]).is_none());
    }
}
