//! Shared test support: a deterministic RNG, a graph builder, the op-coverage cases and whole
//! CNN generators, the LiteRT oracle driver and the comparison tolerance.

pub mod cases;
pub mod cnn;
pub mod free_dims;
pub mod kept_models;
pub mod onnx_models;
pub mod oracle;
pub mod state_models;

use pocket_engine::ir::*;

/// Deterministic random numbers (SplitMix64), so fixtures are byte-stable.
pub struct Rng(u64);

impl Rng {
    /// New generator.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn uniform(&mut self) -> f32 {
        (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32
    }
    /// Standard normal.
    pub fn normal(&mut self) -> f32 {
        let u1 = self.uniform().max(1e-7);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f32::consts::TAU * u2).cos()
    }
    /// `n` values uniform in [lo, hi).
    pub fn vec(&mut self, n: usize, lo: f32, hi: f32) -> Vec<f32> {
        (0..n).map(|_| lo + (hi - lo) * self.uniform()).collect()
    }
    /// `n` normal values with the given std.
    pub fn normals(&mut self, n: usize, std: f32) -> Vec<f32> {
        (0..n).map(|_| self.normal() * std).collect()
    }
}

/// Builds graphs through the engine's own `push_node` (so shape inference checks them).
pub struct Builder {
    /// The graph being built.
    pub g: Graph,
}

fn f32_bytes(v: &[f32]) -> Vec<u8> {
    v.iter().flat_map(|x| x.to_le_bytes()).collect()
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    /// Empty graph.
    pub fn new() -> Self {
        Builder {
            g: Graph::default(),
        }
    }
    /// A graph input.
    pub fn input(&mut self, name: &str, dtype: DType, shape: &[usize]) -> TensorId {
        let t = self.g.add_tensor(Tensor::new(name, dtype, shape.to_vec()));
        self.g.inputs.push(t);
        t
    }
    /// An f32 constant.
    pub fn f32(&mut self, name: &str, shape: &[usize], v: &[f32]) -> TensorId {
        assert_eq!(shape.iter().product::<usize>(), v.len(), "constant {name}");
        let mut t = Tensor::new(name, DType::F32, shape.to_vec());
        t.data = Some(Bytes::from_vec(f32_bytes(v)));
        self.g.add_tensor(t)
    }
    /// An i32 constant.
    pub fn i32(&mut self, name: &str, shape: &[usize], v: &[i32]) -> TensorId {
        let mut t = Tensor::new(name, DType::I32, shape.to_vec());
        t.data = Some(Bytes::from_vec(
            v.iter().flat_map(|x| x.to_le_bytes()).collect(),
        ));
        self.g.add_tensor(t)
    }
    /// A constant of any type from raw bytes.
    pub fn raw(&mut self, name: &str, dtype: DType, shape: &[usize], bytes: Vec<u8>) -> TensorId {
        let mut t = Tensor::new(name, dtype, shape.to_vec());
        t.data = Some(Bytes::from_vec(bytes));
        self.g.add_tensor(t)
    }
    /// Add a node with one output.
    pub fn op(&mut self, name: &str, op: Op, inputs: &[Option<TensorId>]) -> TensorId {
        self.op_n(name, op, inputs, &[])[0]
    }
    /// Add a node with declared output types (CAST, QUANTIZE).
    pub fn op_typed(
        &mut self,
        name: &str,
        op: Op,
        inputs: &[Option<TensorId>],
        out: &[DType],
    ) -> TensorId {
        self.op_n(name, op, inputs, out)[0]
    }
    /// Add a node, returning all outputs.
    pub fn op_n(
        &mut self,
        name: &str,
        op: Op,
        inputs: &[Option<TensorId>],
        out: &[DType],
    ) -> Vec<TensorId> {
        self.g
            .push_node(name, op, inputs.to_vec(), out)
            .unwrap_or_else(|e| panic!("building {name}: {e}"))
    }
    /// Mark graph outputs and return the graph.
    pub fn finish(mut self, outputs: &[TensorId]) -> Graph {
        self.g.outputs = outputs.to_vec();
        self.g
    }
}

/// The one comparison rule of the tests: `|ours - ref| <= rel * max(1, |ref|)` per element.
///
/// Non-finite values must match exactly: NaN agrees only with NaN and an infinity only with the
/// same infinity; any other pairing involving one counts as an infinite error (so a NaN or an
/// overflow on one side is always a failure, however loose the bound).
#[derive(Debug, Clone, Copy)]
pub struct Tolerance {
    /// Relative (and, below 1, absolute) bound.
    pub rel: f64,
}

impl Tolerance {
    /// The float rule: 1e-4.
    pub const FLOAT: Tolerance = Tolerance { rel: 1e-4 };
    /// Exact equality: integers and booleans.
    pub const EXACT: Tolerance = Tolerance { rel: 0.0 };

    /// Worst normalized error `|a - b| / max(1, |b|)`, or an error when shapes differ.
    pub fn worst(&self, ours: &Value, reference: &Value) -> Result<f64, String> {
        if ours.shape != reference.shape {
            return Err(format!(
                "shape {:?} vs reference {:?}",
                ours.shape, reference.shape
            ));
        }
        self.worst_of(&ours.data.to_f64(), &reference.data.to_f64())
    }

    /// [`Tolerance::worst`] of two flat sequences, or an error when their lengths differ.
    pub fn worst_of(&self, ours: &[f64], reference: &[f64]) -> Result<f64, String> {
        if ours.len() != reference.len() {
            return Err(format!(
                "{} values vs {} in the reference",
                ours.len(),
                reference.len()
            ));
        }
        Ok(ours
            .iter()
            .zip(reference)
            .map(|(&x, &y)| element_error(x, y))
            .fold(0.0, f64::max))
    }

    /// True when `worst` is within the bound.
    pub fn holds(&self, worst: f64) -> bool {
        worst <= self.rel
    }

    /// `Ok(worst)` when `ours` is within the bound of `reference`, else the reason.
    pub fn check(&self, ours: &Value, reference: &Value) -> Result<f64, String> {
        let w = self.worst(ours, reference)?;
        if self.holds(w) {
            Ok(w)
        } else {
            Err(format!(
                "max normalized error {w:.3e} exceeds {:.0e}",
                self.rel
            ))
        }
    }
}

/// One element's normalized error; never NaN (see [`Tolerance`]).
fn element_error(x: f64, y: f64) -> f64 {
    if x == y || (x.is_nan() && y.is_nan()) {
        0.0
    } else if !x.is_finite() || !y.is_finite() {
        f64::INFINITY
    } else {
        (x - y).abs() / y.abs().max(1.0)
    }
}
