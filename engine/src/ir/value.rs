//! Runtime tensor values: a shape plus a typed vector. Constants become values when a session
//! is prepared; shape inference sees small constant values (shape tensors, axes, paddings).

use half::f16;

use super::{DType, Tensor};

/// Typed element storage.
#[derive(Debug, Clone, PartialEq)]
pub enum Data {
    /// f32 elements.
    F32(Vec<f32>),
    /// f16 elements.
    F16(Vec<f16>),
    /// i8 elements.
    I8(Vec<i8>),
    /// u8 elements.
    U8(Vec<u8>),
    /// i16 elements.
    I16(Vec<i16>),
    /// i32 elements.
    I32(Vec<i32>),
    /// i64 elements.
    I64(Vec<i64>),
    /// bool elements.
    Bool(Vec<bool>),
}

/// Apply `$body` to the inner vector of a `Data`, whatever its type.
#[macro_export]
macro_rules! with_data {
    ($data:expr, $v:ident => $body:expr) => {
        match $data {
            $crate::ir::Data::F32($v) => $body,
            $crate::ir::Data::F16($v) => $body,
            $crate::ir::Data::I8($v) => $body,
            $crate::ir::Data::U8($v) => $body,
            $crate::ir::Data::I16($v) => $body,
            $crate::ir::Data::I32($v) => $body,
            $crate::ir::Data::I64($v) => $body,
            $crate::ir::Data::Bool($v) => $body,
        }
    };
}

/// Build a `Data` of the same variant as `$like` from an expression producing a Vec of the
/// matching element type, given the inner vector of `$like` as `$v`.
#[macro_export]
macro_rules! map_data {
    ($data:expr, $v:ident => $body:expr) => {
        match $data {
            $crate::ir::Data::F32($v) => $crate::ir::Data::F32($body),
            $crate::ir::Data::F16($v) => $crate::ir::Data::F16($body),
            $crate::ir::Data::I8($v) => $crate::ir::Data::I8($body),
            $crate::ir::Data::U8($v) => $crate::ir::Data::U8($body),
            $crate::ir::Data::I16($v) => $crate::ir::Data::I16($body),
            $crate::ir::Data::I32($v) => $crate::ir::Data::I32($body),
            $crate::ir::Data::I64($v) => $crate::ir::Data::I64($body),
            $crate::ir::Data::Bool($v) => $crate::ir::Data::Bool($body),
        }
    };
}

impl Data {
    /// Element type.
    pub fn dtype(&self) -> DType {
        match self {
            Data::F32(_) => DType::F32,
            Data::F16(_) => DType::F16,
            Data::I8(_) => DType::I8,
            Data::U8(_) => DType::U8,
            Data::I16(_) => DType::I16,
            Data::I32(_) => DType::I32,
            Data::I64(_) => DType::I64,
            Data::Bool(_) => DType::Bool,
        }
    }

    /// Number of elements.
    pub fn len(&self) -> usize {
        with_data!(self, v => v.len())
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Zero-filled storage.
    pub fn zeros(dtype: DType, n: usize) -> Data {
        match dtype {
            DType::F32 => Data::F32(vec![0.0; n]),
            DType::F16 => Data::F16(vec![f16::ZERO; n]),
            DType::I8 => Data::I8(vec![0; n]),
            DType::U8 => Data::U8(vec![0; n]),
            DType::I16 => Data::I16(vec![0; n]),
            DType::I32 => Data::I32(vec![0; n]),
            DType::I64 => Data::I64(vec![0; n]),
            DType::Bool => Data::Bool(vec![false; n]),
            // Types without kernels have no storage of their own (a session refuses graphs that
            // use them before it makes any value): plain bytes.
            d => Data::U8(vec![0; n.saturating_mul(d.size())]),
        }
    }

    /// Decode little-endian bytes. Fails when the length is not a multiple of the element size.
    /// `None` too for the types without runtime values ([`DType::is_runnable`]).
    pub fn from_le_bytes(dtype: DType, b: &[u8]) -> Option<Data> {
        if !dtype.is_runnable() {
            return None;
        }
        let es = dtype.size();
        if !b.len().is_multiple_of(es) {
            return None;
        }
        macro_rules! dec {
            ($t:ty, $n:literal) => {
                b.chunks_exact($n)
                    .map(|c| {
                        let mut a = [0u8; $n];
                        a.copy_from_slice(c);
                        <$t>::from_le_bytes(a)
                    })
                    .collect()
            };
        }
        Some(match dtype {
            DType::F32 => Data::F32(dec!(f32, 4)),
            DType::F16 => Data::F16(
                b.chunks_exact(2)
                    .map(|c| f16::from_le_bytes([c[0], c[1]]))
                    .collect(),
            ),
            DType::I8 => Data::I8(b.iter().map(|&x| x as i8).collect()),
            DType::U8 => Data::U8(b.to_vec()),
            DType::I16 => Data::I16(dec!(i16, 2)),
            DType::I32 => Data::I32(dec!(i32, 4)),
            DType::I64 => Data::I64(dec!(i64, 8)),
            DType::Bool => Data::Bool(b.iter().map(|&x| x != 0).collect()),
            _ => return None,
        })
    }

    /// Encode as little-endian bytes.
    pub fn to_le_bytes(&self) -> Vec<u8> {
        match self {
            Data::F32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Data::F16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Data::I8(v) => v.iter().map(|&x| x as u8).collect(),
            Data::U8(v) => v.clone(),
            Data::I16(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Data::I32(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Data::I64(v) => v.iter().flat_map(|x| x.to_le_bytes()).collect(),
            Data::Bool(v) => v.iter().map(|&x| x as u8).collect(),
        }
    }

    /// Elements as f64 (for printing and statistics).
    pub fn to_f64(&self) -> Vec<f64> {
        match self {
            Data::F32(v) => v.iter().map(|&x| x as f64).collect(),
            Data::F16(v) => v.iter().map(|&x| x.to_f64()).collect(),
            Data::I8(v) => v.iter().map(|&x| x as f64).collect(),
            Data::U8(v) => v.iter().map(|&x| x as f64).collect(),
            Data::I16(v) => v.iter().map(|&x| x as f64).collect(),
            Data::I32(v) => v.iter().map(|&x| x as f64).collect(),
            Data::I64(v) => v.iter().map(|&x| x as f64).collect(),
            Data::Bool(v) => v.iter().map(|&x| x as u8 as f64).collect(),
        }
    }

    /// Integer elements as i64 (`None` for float types).
    pub fn to_i64(&self) -> Option<Vec<i64>> {
        Some(match self {
            Data::I8(v) => v.iter().map(|&x| x as i64).collect(),
            Data::U8(v) => v.iter().map(|&x| x as i64).collect(),
            Data::I16(v) => v.iter().map(|&x| x as i64).collect(),
            Data::I32(v) => v.iter().map(|&x| x as i64).collect(),
            Data::I64(v) => v.clone(),
            Data::Bool(v) => v.iter().map(|&x| x as i64).collect(),
            Data::F32(_) | Data::F16(_) => return None,
        })
    }
}

/// A runtime tensor value.
#[derive(Debug, Clone, PartialEq)]
pub struct Value {
    /// Shape.
    pub shape: Vec<usize>,
    /// Elements, row-major.
    pub data: Data,
}

impl Value {
    /// New value; the caller guarantees `data.len() == product(shape)`.
    pub fn new(shape: Vec<usize>, data: Data) -> Self {
        debug_assert_eq!(shape.iter().product::<usize>(), data.len());
        Value { shape, data }
    }

    /// f32 value.
    pub fn f32(shape: Vec<usize>, v: Vec<f32>) -> Self {
        Value::new(shape, Data::F32(v))
    }

    /// Element type.
    pub fn dtype(&self) -> DType {
        self.data.dtype()
    }

    /// Number of elements.
    pub fn numel(&self) -> usize {
        self.data.len()
    }

    /// The f32 elements, if this is an f32 value.
    pub fn as_f32(&self) -> Option<&[f32]> {
        match &self.data {
            Data::F32(v) => Some(v),
            _ => None,
        }
    }

    /// Decode a constant tensor's data. `None` when the tensor has no data or the byte count
    /// does not match its shape.
    pub fn from_const(t: &Tensor) -> Option<Value> {
        let bytes = t.data.as_ref()?;
        let data = Data::from_le_bytes(t.dtype, bytes.as_slice())?;
        (data.len() == t.numel()).then(|| Value::new(t.shape.clone(), data))
    }
}
