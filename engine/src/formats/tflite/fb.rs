//! A bounds-checked FlatBuffers reader: every access returns a `Result`, nothing panics and
//! nothing reads outside the buffer, whatever the bytes.

use crate::error::{Error, Result};

fn bad(msg: impl std::fmt::Display) -> Error {
    Error::import(format!("corrupt flatbuffer: {msg}"))
}

fn bytes_at<const N: usize>(d: &[u8], pos: usize) -> Result<[u8; N]> {
    let end = pos.checked_add(N).ok_or_else(|| bad("offset overflow"))?;
    let s = d.get(pos..end).ok_or_else(|| {
        bad(format_args!(
            "read of {N} bytes at {pos} past the end ({} bytes)",
            d.len()
        ))
    })?;
    let mut a = [0u8; N];
    a.copy_from_slice(s);
    Ok(a)
}

pub(crate) fn u32_at(d: &[u8], pos: usize) -> Result<u32> {
    bytes_at::<4>(d, pos).map(u32::from_le_bytes)
}

fn u16_at(d: &[u8], pos: usize) -> Result<u16> {
    bytes_at::<2>(d, pos).map(u16::from_le_bytes)
}

/// A table in the buffer.
#[derive(Clone, Copy)]
pub struct Table<'a> {
    data: &'a [u8],
    pos: usize,
    vt: usize,
    vt_len: usize,
}

/// A scalar type readable from a table or vector.
pub trait Scalar: Sized + Copy {
    /// Size in bytes.
    const SIZE: usize;
    /// Read at `pos`.
    fn read(d: &[u8], pos: usize) -> Result<Self>;
}

macro_rules! scalar {
    ($($t:ty),*) => {$(
        impl Scalar for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            fn read(d: &[u8], pos: usize) -> Result<Self> {
                bytes_at::<{ std::mem::size_of::<$t>() }>(d, pos).map(<$t>::from_le_bytes)
            }
        }
    )*};
}
scalar!(u8, i8, u16, i16, u32, i32, u64, i64, f32, f64);

impl<'a> Table<'a> {
    /// The root table of a buffer.
    pub fn root(data: &'a [u8]) -> Result<Self> {
        let off = u32_at(data, 0)? as usize;
        Table::at(data, off)
    }

    fn at(data: &'a [u8], pos: usize) -> Result<Self> {
        let soff = i32::from_le_bytes(bytes_at::<4>(data, pos)?);
        let vt = pos as i64 - soff as i64;
        if vt < 0 || vt as usize >= data.len() {
            return Err(bad(format_args!(
                "table at {pos} points to a vtable outside the buffer"
            )));
        }
        let vt = vt as usize;
        let vt_len = u16_at(data, vt)? as usize;
        let tbl_len = u16_at(data, vt + 2)? as usize;
        if vt_len < 4
            || !vt_len.is_multiple_of(2)
            || vt + vt_len > data.len()
            || pos + tbl_len > data.len()
        {
            return Err(bad(format_args!(
                "invalid vtable at {vt} for table at {pos}"
            )));
        }
        Ok(Table {
            data,
            pos,
            vt,
            vt_len,
        })
    }

    fn field(&self, id: usize) -> Result<Option<usize>> {
        let entry = 4 + 2 * id;
        if entry + 2 > self.vt_len {
            return Ok(None);
        }
        let off = u16_at(self.data, self.vt + entry)? as usize;
        Ok((off != 0).then_some(self.pos + off))
    }

    /// Whether field `id` is present (a scalar equal to its default is usually omitted).
    pub fn has(&self, id: usize) -> Result<bool> {
        Ok(self.field(id)?.is_some())
    }

    /// A scalar field, or `default` when absent.
    pub fn get<T: Scalar>(&self, id: usize, default: T) -> Result<T> {
        match self.field(id)? {
            Some(p) => T::read(self.data, p),
            None => Ok(default),
        }
    }

    /// A bool field.
    pub fn bool(&self, id: usize) -> Result<bool> {
        Ok(self.get::<u8>(id, 0)? != 0)
    }

    fn indirect(&self, id: usize) -> Result<Option<usize>> {
        match self.field(id)? {
            Some(p) => {
                let off = u32_at(self.data, p)? as usize;
                let t = p
                    .checked_add(off)
                    .filter(|&t| t < self.data.len())
                    .ok_or_else(|| bad(format_args!("offset at {p} points outside the buffer")))?;
                Ok(Some(t))
            }
            None => Ok(None),
        }
    }

    /// A sub-table field.
    pub fn table(&self, id: usize) -> Result<Option<Table<'a>>> {
        self.indirect(id)?
            .map(|t| Table::at(self.data, t))
            .transpose()
    }

    /// A vector field.
    pub fn vector(&self, id: usize) -> Result<Option<Vector<'a>>> {
        self.indirect(id)?
            .map(|t| Vector::at(self.data, t))
            .transpose()
    }

    /// A string field.
    pub fn string(&self, id: usize) -> Result<Option<&'a str>> {
        self.indirect(id)?
            .map(|t| string_at(self.data, t))
            .transpose()
    }
}

fn string_at(d: &[u8], pos: usize) -> Result<&str> {
    let len = u32_at(d, pos)? as usize;
    let s = d
        .get(pos + 4..pos + 4 + len)
        .ok_or_else(|| bad(format_args!("string at {pos} runs past the end")))?;
    std::str::from_utf8(s).map_err(|_| bad(format_args!("string at {pos} is not UTF-8")))
}

/// A vector in the buffer.
#[derive(Clone, Copy)]
pub struct Vector<'a> {
    data: &'a [u8],
    start: usize,
    len: usize,
}

impl<'a> Vector<'a> {
    fn at(data: &'a [u8], pos: usize) -> Result<Self> {
        let len = u32_at(data, pos)? as usize;
        let start = pos + 4;
        if start > data.len() || len > data.len() - start {
            return Err(bad(format_args!(
                "vector at {pos} claims {len} elements, past the end"
            )));
        }
        Ok(Vector { data, start, len })
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Byte position of the first element in the buffer.
    pub fn start(&self) -> usize {
        self.start
    }

    fn span(&self, elem: usize) -> Result<&'a [u8]> {
        let n = self
            .len
            .checked_mul(elem)
            .ok_or_else(|| bad("vector size overflow"))?;
        self.data
            .get(self.start..self.start + n)
            .ok_or_else(|| bad(format_args!("vector at {} runs past the end", self.start)))
    }

    /// The elements as raw bytes (for `[u8]` vectors).
    pub fn bytes(&self) -> Result<&'a [u8]> {
        self.span(1)
    }

    /// All elements as scalars.
    pub fn scalars<T: Scalar>(&self) -> Result<Vec<T>> {
        let s = self.span(T::SIZE)?;
        (0..self.len).map(|i| T::read(s, i * T::SIZE)).collect()
    }

    fn indirect(&self, i: usize) -> Result<usize> {
        if i >= self.len {
            return Err(bad(format_args!("index {i} past vector end {}", self.len)));
        }
        let p = self.start + 4 * i;
        let off = u32_at(self.data, p)? as usize;
        p.checked_add(off)
            .filter(|&t| t < self.data.len())
            .ok_or_else(|| bad(format_args!("offset at {p} points outside the buffer")))
    }

    /// Element `i` of a vector of tables.
    pub fn table(&self, i: usize) -> Result<Table<'a>> {
        self.span(4)?;
        Table::at(self.data, self.indirect(i)?)
    }

    /// Element `i` of a vector of strings.
    pub fn string(&self, i: usize) -> Result<&'a str> {
        self.span(4)?;
        string_at(self.data, self.indirect(i)?)
    }
}
