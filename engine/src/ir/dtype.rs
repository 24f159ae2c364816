//! Element types the IR knows: every TFLite tensor type and every ONNX element type the readers
//! accept. Only some of them have kernels ([`DType::is_runnable`]); the others are kept so the
//! graph can be read, shown and written back, and a session refuses them by name.

use serde::{Deserialize, Serialize};

/// Element type of a tensor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DType {
    /// 32-bit float.
    F32,
    /// IEEE half float.
    F16,
    /// Signed 8-bit integer.
    I8,
    /// Unsigned 8-bit integer.
    U8,
    /// Signed 16-bit integer.
    I16,
    /// Signed 32-bit integer.
    I32,
    /// Signed 64-bit integer.
    I64,
    /// Boolean, one byte per element.
    Bool,
    /// 64-bit float.
    F64,
    /// bfloat16 (the top half of an f32).
    BF16,
    /// Unsigned 16-bit integer.
    U16,
    /// Unsigned 32-bit integer.
    U32,
    /// Unsigned 64-bit integer.
    U64,
    /// Signed 4-bit integer (two to a byte in constant buffers).
    I4,
    /// Unsigned 4-bit integer (two to a byte in constant buffers).
    U4,
    /// Signed 2-bit integer (four to a byte in constant buffers).
    I2,
    /// 8-bit float with 4 exponent and 3 mantissa bits (no infinities).
    F8E4M3,
    /// 8-bit float with 5 exponent and 2 mantissa bits.
    F8E5M2,
    /// Complex number of two f32.
    Complex64,
    /// Complex number of two f64.
    Complex128,
    /// Variable-length strings (TFLite's packed string buffer).
    Str,
    /// A handle to a resource (a TFLite resource variable); no element data.
    Resource,
    /// A variant (a TensorFlow tensor list or similar); no element data.
    Variant,
}

impl DType {
    /// Every type, in declaration order.
    pub const ALL: [DType; 23] = [
        DType::F32,
        DType::F16,
        DType::I8,
        DType::U8,
        DType::I16,
        DType::I32,
        DType::I64,
        DType::Bool,
        DType::F64,
        DType::BF16,
        DType::U16,
        DType::U32,
        DType::U64,
        DType::I4,
        DType::U4,
        DType::I2,
        DType::F8E4M3,
        DType::F8E5M2,
        DType::Complex64,
        DType::Complex128,
        DType::Str,
        DType::Resource,
        DType::Variant,
    ];

    /// Bytes per element of the types stored whole bytes at a time; `None` for the packed
    /// sub-byte types and for types without a fixed element size (strings, resources, variants).
    pub fn fixed_size(self) -> Option<usize> {
        Some(match self {
            DType::F32 | DType::I32 | DType::U32 => 4,
            DType::F16 | DType::I16 | DType::U16 | DType::BF16 => 2,
            DType::I8 | DType::U8 | DType::Bool | DType::F8E4M3 | DType::F8E5M2 => 1,
            DType::I64 | DType::U64 | DType::F64 | DType::Complex64 => 8,
            DType::Complex128 => 16,
            DType::I4 | DType::U4 | DType::I2 | DType::Str | DType::Resource | DType::Variant => {
                return None;
            }
        })
    }

    /// Bytes per element ([`DType::fixed_size`], or 1 for the types without one: an estimate
    /// good for memory accounting, never for decoding).
    pub fn size(self) -> usize {
        self.fixed_size().unwrap_or(1)
    }

    /// Byte lengths a constant buffer of `numel` elements may have (`None`: any length, as for
    /// strings). Sub-byte types may be packed or stored one element a byte.
    pub fn buffer_lens(self, numel: usize) -> Option<Vec<usize>> {
        match self {
            DType::I4 | DType::U4 => Some(vec![numel.div_ceil(2), numel]),
            DType::I2 => Some(vec![numel.div_ceil(4), numel]),
            DType::Str | DType::Resource | DType::Variant => None,
            d => Some(vec![numel.saturating_mul(d.size())]),
        }
    }

    /// True when the runtime has values (and kernels) of this type.
    pub fn is_runnable(self) -> bool {
        matches!(
            self,
            DType::F32
                | DType::F16
                | DType::I8
                | DType::U8
                | DType::I16
                | DType::I32
                | DType::I64
                | DType::Bool
        )
    }

    /// Short lowercase name (`f32`, `i8`, ...).
    pub fn name(self) -> &'static str {
        match self {
            DType::F32 => "f32",
            DType::F16 => "f16",
            DType::I8 => "i8",
            DType::U8 => "u8",
            DType::I16 => "i16",
            DType::I32 => "i32",
            DType::I64 => "i64",
            DType::Bool => "bool",
            DType::F64 => "f64",
            DType::BF16 => "bf16",
            DType::U16 => "u16",
            DType::U32 => "u32",
            DType::U64 => "u64",
            DType::I4 => "i4",
            DType::U4 => "u4",
            DType::I2 => "i2",
            DType::F8E4M3 => "f8e4m3",
            DType::F8E5M2 => "f8e5m2",
            DType::Complex64 => "complex64",
            DType::Complex128 => "complex128",
            DType::Str => "string",
            DType::Resource => "resource",
            DType::Variant => "variant",
        }
    }

    /// True for integer types that carry quantized values.
    pub fn is_quantized_int(self) -> bool {
        matches!(self, DType::I8 | DType::U8 | DType::I16)
    }
}

impl std::fmt::Display for DType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_distinct_and_only_value_types_run() {
        let mut names: Vec<_> = DType::ALL.iter().map(|d| d.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), DType::ALL.len());
        assert!(!DType::Resource.is_runnable() && DType::Resource.fixed_size().is_none());
        assert_eq!(DType::I4.buffer_lens(3), Some(vec![2, 3]));
        assert_eq!(DType::Complex128.fixed_size(), Some(16));
    }
}
