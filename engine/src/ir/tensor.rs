//! Tensors: name, type, shape, optional quantization and optional constant data.

use std::sync::Arc;

use super::DType;

/// Index of a tensor in `Graph::tensors`.
pub type TensorId = usize;

/// Immutable bytes shared between graphs without copying: a slice of a memory-mapped file or
/// of an owned buffer.
#[derive(Clone)]
pub struct Bytes {
    owner: Arc<dyn AsRef<[u8]> + Send + Sync>,
    start: usize,
    len: usize,
}

impl Bytes {
    /// Wrap owned bytes.
    pub fn from_vec(v: Vec<u8>) -> Self {
        let len = v.len();
        Bytes {
            owner: Arc::new(v),
            start: 0,
            len,
        }
    }

    /// A sub-range of a shared owner. Returns `None` when the range is out of bounds.
    pub fn slice_of(
        owner: Arc<dyn AsRef<[u8]> + Send + Sync>,
        start: usize,
        len: usize,
    ) -> Option<Self> {
        let total = (*owner).as_ref().len();
        let end = start.checked_add(len)?;
        (end <= total).then_some(Bytes { owner, start, len })
    }

    /// The bytes.
    pub fn as_slice(&self) -> &[u8] {
        // In bounds by construction (checked in `slice_of`/`from_vec`).
        &(*self.owner).as_ref()[self.start..self.start + self.len]
    }

    /// Number of bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl std::fmt::Debug for Bytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Bytes({} bytes)", self.len)
    }
}

impl PartialEq for Bytes {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

/// Affine quantization: `real = scale[c] * (q - zero_point[c])`. One entry for per-tensor,
/// one per slice of `axis` for per-axis.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct QuantParams {
    /// Scales.
    pub scale: Vec<f32>,
    /// Zero points (same length as `scale`).
    pub zero_point: Vec<i64>,
    /// Axis the per-axis scales run along (0 for per-tensor).
    pub axis: usize,
    /// Optional recorded float range (informational).
    pub min: Vec<f32>,
    /// Optional recorded float range (informational).
    pub max: Vec<f32>,
}

impl QuantParams {
    /// Per-tensor parameters.
    pub fn per_tensor(scale: f32, zero_point: i64) -> Self {
        QuantParams {
            scale: vec![scale],
            zero_point: vec![zero_point],
            ..Default::default()
        }
    }

    /// True when there is more than one scale.
    pub fn is_per_axis(&self) -> bool {
        self.scale.len() > 1
    }
}

/// A tensor of the graph.
#[derive(Debug, Clone, PartialEq)]
pub struct Tensor {
    /// Name (unique names are not guaranteed by files).
    pub name: String,
    /// Element type.
    pub dtype: DType,
    /// Static shape; dynamic dimensions are stored as 1 (as TFLite files do).
    pub shape: Vec<usize>,
    /// Shape signature from the file: `-1` marks a dynamic dimension. `None` = fully static.
    pub signature: Option<Vec<i32>>,
    /// Names of the dynamic dimensions, one entry per axis (`None` for a fixed or unnamed
    /// axis; empty when the file names none): ONNX `dim_param`s. Unnamed dynamic axes are
    /// called `<tensor name>.<axis>` (see [`Tensor::dim_name`]).
    pub dim_names: Vec<Option<String>>,
    /// Quantization parameters, if any.
    pub quant: Option<QuantParams>,
    /// Constant data (row-major, little-endian), if the tensor is a constant.
    pub data: Option<Bytes>,
    /// Stateful variable tensor (RNN state); carried over on export.
    pub is_variable: bool,
    /// Compressed storage of a sparse constant (its data holds only the stored values).
    pub sparsity: Option<Sparsity>,
}

impl Tensor {
    /// A non-constant tensor.
    pub fn new(name: impl Into<String>, dtype: DType, shape: Vec<usize>) -> Self {
        Tensor {
            name: name.into(),
            dtype,
            shape,
            signature: None,
            dim_names: Vec::new(),
            quant: None,
            data: None,
            is_variable: false,
            sparsity: None,
        }
    }

    /// Number of elements (saturating).
    pub fn numel(&self) -> usize {
        self.shape.iter().fold(1usize, |a, &d| a.saturating_mul(d))
    }

    /// True when this tensor holds constant data.
    pub fn is_const(&self) -> bool {
        self.data.is_some()
    }

    /// The name of dynamic axis `axis`: its stored name, else `<tensor name>.<axis>`; `None`
    /// when the axis is fixed.
    pub fn dim_name(&self, axis: usize) -> Option<String> {
        let dynamic = self
            .signature
            .as_ref()
            .is_some_and(|s| s.get(axis).is_some_and(|&d| d < 0));
        dynamic.then(|| match self.dim_names.get(axis) {
            Some(Some(n)) => n.clone(),
            _ => format!("{}.{axis}", self.name),
        })
    }

    /// True when some dimension is dynamic.
    pub fn has_dynamic_dims(&self) -> bool {
        self.signature
            .as_ref()
            .is_some_and(|s| s.iter().any(|&d| d < 0))
    }

    /// Mark every axis as sized by the data at run time (NonZero, NonMaxSuppression, a slice
    /// to a computed length): a `-1` signature named [`DATA_DIM`], which choosing the input
    /// sizes does not remove.
    pub fn mark_data_sized(&mut self) {
        let rank = self.shape.len();
        self.signature = Some(vec![-1; rank]);
        self.dim_names = vec![Some(DATA_DIM.to_string()); rank];
    }

    /// Whether [`Tensor::mark_data_sized`] marked this tensor.
    pub fn is_data_sized(&self) -> bool {
        !self.dim_names.is_empty()
            && self
                .dim_names
                .iter()
                .all(|n| n.as_deref() == Some(DATA_DIM))
    }
}

/// The name of an axis whose length the data decides at run time.
pub const DATA_DIM: &str = "<data>";

/// Format of one level of a sparse tensor's traversal.
#[derive(Debug, Clone, PartialEq)]
pub struct SparseDim {
    /// `true` for DENSE, `false` for SPARSE_CSR.
    pub dense: bool,
    /// Size of a dense level.
    pub dense_size: i32,
    /// CSR segments (sparse levels).
    pub segments: Vec<i32>,
    /// CSR indices (sparse levels).
    pub indices: Vec<i32>,
    /// Stored element type of segments/indices: 1 = int32, 2 = uint16, 3 = uint8.
    pub index_types: (u8, u8),
}

/// Sparsity of a constant tensor stored in TFLite's compressed format.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Sparsity {
    /// Dimension walked by each level (original dims first, then block dims).
    pub traversal_order: Vec<i32>,
    /// Original dimension split by each block dim.
    pub block_map: Vec<i32>,
    /// One entry per traversal level.
    pub dims: Vec<SparseDim>,
}
