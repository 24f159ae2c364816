//! A small deterministic FlatBuffers writer. Objects are described as a tree (`TableB`,
//! vectors, strings) and laid out front to back: each parent before its children, so every
//! offset points forward as the format requires. Scalars, vectors and tables are aligned to
//! their natural size; byte vectors of constant data to 16.
#![expect(
    clippy::indexing_slicing,
    reason = "the writer indexes only into buffers it has just sized"
)]

/// A table under construction: `(field id, value)` pairs.
#[derive(Debug, Clone, Default)]
pub struct TableB {
    fields: Vec<(u16, Field)>,
}

#[derive(Debug, Clone)]
enum Field {
    Scalar { bytes: [u8; 8], size: usize },
    Obj(Obj),
}

/// Any object an offset can point to.
#[derive(Debug, Clone)]
pub enum Obj {
    /// A table.
    Table(TableB),
    /// A vector of scalars, raw little-endian bytes with element size and alignment.
    Scalars {
        /// Element bytes.
        bytes: Vec<u8>,
        /// Element count.
        count: usize,
        /// Alignment of the first element.
        align: usize,
    },
    /// A vector of tables or strings.
    Objs(Vec<Obj>),
    /// A string.
    Str(String),
    /// A vector of scalars written once at the end of the buffer and shared by every
    /// reference with the same contents (e.g. the all-zero zero points of per-channel tensors).
    Pooled(Box<Obj>),
}

impl Obj {
    /// Vector of i32.
    pub fn i32s(v: &[i32]) -> Obj {
        Obj::Scalars {
            bytes: v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            count: v.len(),
            align: 4,
        }
    }
    /// Vector of f32.
    pub fn f32s(v: &[f32]) -> Obj {
        Obj::Scalars {
            bytes: v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            count: v.len(),
            align: 4,
        }
    }
    /// Vector of i64.
    pub fn i64s(v: &[i64]) -> Obj {
        Obj::Scalars {
            bytes: v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            count: v.len(),
            align: 8,
        }
    }
    /// Vector of bytes aligned to 16 (constant data).
    pub fn data(v: &[u8]) -> Obj {
        Obj::Scalars {
            bytes: v.to_vec(),
            count: v.len(),
            align: 16,
        }
    }
    /// Vector of bytes with no special alignment.
    pub fn u8s(v: &[u8]) -> Obj {
        Obj::Scalars {
            bytes: v.to_vec(),
            count: v.len(),
            align: 1,
        }
    }
}

macro_rules! setter {
    ($name:ident, $t:ty) => {
        /// Set a scalar field.
        pub fn $name(mut self, id: u16, v: $t) -> Self {
            let b = v.to_le_bytes();
            let mut bytes = [0u8; 8];
            bytes[..b.len()].copy_from_slice(&b);
            self.fields.push((
                id,
                Field::Scalar {
                    bytes,
                    size: b.len(),
                },
            ));
            self
        }
    };
}

impl TableB {
    /// An empty table.
    pub fn new() -> Self {
        TableB::default()
    }
    setter!(u8, u8);
    setter!(i8, i8);
    setter!(i32, i32);
    setter!(i16, i16);
    setter!(u16, u16);
    setter!(u32, u32);
    setter!(i64, i64);
    setter!(f64, f64);
    setter!(u64, u64);
    setter!(f32, f32);
    /// Set a scalar field from its little-endian bytes (1, 2, 4 or 8 of them).
    pub fn raw(mut self, id: u16, b: &[u8]) -> Self {
        let mut bytes = [0u8; 8];
        let size = b.len().min(8);
        bytes[..size].copy_from_slice(&b[..size]);
        self.fields.push((id, Field::Scalar { bytes, size }));
        self
    }
    /// Set a bool field.
    pub fn bool(self, id: u16, v: bool) -> Self {
        self.u8(id, v as u8)
    }
    /// Set an offset field.
    pub fn obj(mut self, id: u16, o: Obj) -> Self {
        self.fields.push((id, Field::Obj(o)));
        self
    }
    /// Set a string field.
    pub fn str(self, id: u16, s: &str) -> Self {
        self.obj(id, Obj::Str(s.to_string()))
    }
    /// True when no field is set.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }
}

struct W {
    buf: Vec<u8>,
    /// Pooled objects and the offset slots that point to them, in first-use order.
    pool: Vec<(Obj, Vec<usize>)>,
}

impl W {
    fn pad_to(&mut self, a: usize) {
        while !self.buf.len().is_multiple_of(a) {
            self.buf.push(0);
        }
    }

    fn patch(&mut self, at: usize, target: usize) {
        let off = (target - at) as u32;
        self.buf[at..at + 4].copy_from_slice(&off.to_le_bytes());
    }

    /// Write `o` (or register it in the pool) and point the offset slot `at` to it.
    fn place(&mut self, o: &Obj, at: usize) {
        if let Obj::Pooled(inner) = o {
            let key = |x: &Obj| match x {
                Obj::Scalars {
                    bytes,
                    count,
                    align,
                } => Some((bytes.clone(), *count, *align)),
                _ => None,
            };
            let k = key(inner);
            match self
                .pool
                .iter_mut()
                .find(|(p, _)| k.is_some() && key(p) == k)
            {
                Some((_, slots)) => slots.push(at),
                None => self.pool.push(((**inner).clone(), vec![at])),
            }
            return;
        }
        let cp = self.obj(o);
        self.patch(at, cp);
    }

    fn obj(&mut self, o: &Obj) -> usize {
        match o {
            Obj::Pooled(inner) => self.obj(inner),
            Obj::Table(t) => self.table(t),
            Obj::Scalars {
                bytes,
                count,
                align,
            } => {
                let a = (*align).max(4);
                self.pad_to(4);
                while !(self.buf.len() + 4).is_multiple_of(a) {
                    self.buf.push(0);
                }
                let pos = self.buf.len();
                self.buf.extend_from_slice(&(*count as u32).to_le_bytes());
                self.buf.extend_from_slice(bytes);
                pos
            }
            Obj::Objs(v) => {
                self.pad_to(4);
                let pos = self.buf.len();
                self.buf.extend_from_slice(&(v.len() as u32).to_le_bytes());
                self.buf.resize(pos + 4 + 4 * v.len(), 0);
                for (i, c) in v.iter().enumerate() {
                    self.place(c, pos + 4 + 4 * i);
                }
                pos
            }
            Obj::Str(s) => {
                self.pad_to(4);
                let pos = self.buf.len();
                self.buf.extend_from_slice(&(s.len() as u32).to_le_bytes());
                self.buf.extend_from_slice(s.as_bytes());
                self.buf.push(0);
                pos
            }
        }
    }

    fn table(&mut self, t: &TableB) -> usize {
        let mut fields: Vec<&(u16, Field)> = t.fields.iter().collect();
        fields.sort_by_key(|(id, _)| *id);
        let size = |f: &Field| match f {
            Field::Scalar { size, .. } => *size,
            Field::Obj(_) => 4,
        };
        // Inline layout: largest fields first, each aligned to its size.
        let mut order: Vec<usize> = (0..fields.len()).collect();
        order.sort_by_key(|&i| (std::cmp::Reverse(size(&fields[i].1)), fields[i].0));
        let mut offs = vec![0usize; fields.len()];
        let mut cur = 4usize;
        for &i in &order {
            let s = size(&fields[i].1);
            cur = cur.div_ceil(s) * s;
            offs[i] = cur;
            cur += s;
        }
        let tbl_size = cur.div_ceil(4) * 4;
        let n_ids = fields.last().map_or(0, |(id, _)| *id as usize + 1);
        self.pad_to(2);
        let vt = self.buf.len();
        self.buf
            .extend_from_slice(&((4 + 2 * n_ids) as u16).to_le_bytes());
        self.buf.extend_from_slice(&(tbl_size as u16).to_le_bytes());
        let mut entries = vec![0u16; n_ids];
        for (i, (id, _)) in fields.iter().enumerate() {
            entries[*id as usize] = offs[i] as u16;
        }
        for e in entries {
            self.buf.extend_from_slice(&e.to_le_bytes());
        }
        self.pad_to(8);
        let pos = self.buf.len();
        self.buf
            .extend_from_slice(&((pos - vt) as i32).to_le_bytes());
        self.buf.resize(pos + tbl_size, 0);
        for (i, (_, f)) in fields.iter().enumerate() {
            if let Field::Scalar { bytes, size } = f {
                self.buf[pos + offs[i]..pos + offs[i] + size].copy_from_slice(&bytes[..*size]);
            }
        }
        for (i, (_, f)) in fields.iter().enumerate() {
            if let Field::Obj(o) = f {
                self.place(o, pos + offs[i]);
            }
        }
        pos
    }
}

/// Serialize `root` with a 4-byte file identifier.
pub fn finish(root: &TableB, ident: &[u8; 4]) -> Vec<u8> {
    let mut w = W {
        buf: vec![0u8; 8],
        pool: Vec::new(),
    };
    w.buf[4..8].copy_from_slice(ident);
    let pos = w.table(root);
    w.patch(0, pos);
    // Pooled objects go last, so every reference to them points forward.
    for (o, slots) in std::mem::take(&mut w.pool) {
        let p = w.obj(&o);
        for s in slots {
            w.patch(s, p);
        }
    }
    w.pad_to(16);
    w.buf
}
