//! The op-coverage suite: single-op and small multi-op models covering every op the float
//! runtime supports, with varied shapes, strides, dilations, paddings, broadcasts and fused
//! activations. Built with the engine's builder and written with our own TFLite writer.

use pocket_engine::ir::*;

use crate::{Builder, Rng};

mod conv;
mod detection;
mod elementwise;
mod grouped_conv;
mod logic;
mod matmul;
mod movement;
mod multi;
mod pool;
mod quant;
mod sequence;
mod shape;
mod tanh;

pub use quant::hybrid;

/// One model plus its inputs.
pub struct Case {
    /// Unique, file-system-safe name.
    pub name: String,
    /// The model.
    pub graph: Graph,
    /// Inputs, in graph-input order.
    pub inputs: Vec<Value>,
}

const ACTS: [Activation; 4] = [
    Activation::None,
    Activation::Relu,
    Activation::Relu6,
    Activation::ReluN1To1,
];

fn act_name(a: Activation) -> &'static str {
    match a {
        Activation::None => "none",
        Activation::Relu => "relu",
        Activation::Relu6 => "relu6",
        Activation::ReluN1To1 => "relu1",
        Activation::Tanh => "tanh",
        Activation::SignBit => "sign",
    }
}

struct Cases {
    rng: Rng,
    out: Vec<Case>,
}

impl Cases {
    /// Add a case whose inputs are f32 tensors filled uniformly in [lo, hi).
    fn add(
        &mut self,
        name: String,
        lo: f32,
        hi: f32,
        build: impl FnOnce(&mut Builder, &mut Rng, &[TensorId]) -> Vec<TensorId>,
        inputs: &[&[usize]],
    ) {
        let mut b = Builder::new();
        let ids: Vec<TensorId> = inputs
            .iter()
            .enumerate()
            .map(|(i, s)| b.input(&format!("in{i}"), DType::F32, s))
            .collect();
        let outs = build(&mut b, &mut self.rng, &ids);
        let vals = inputs
            .iter()
            .map(|s| Value::f32(s.to_vec(), self.rng.vec(s.iter().product(), lo, hi)))
            .collect();
        self.out.push(Case {
            name,
            graph: b.finish(&outs),
            inputs: vals,
        });
    }
}

impl Cases {
    /// [`Cases::add`] with random numbers from a stream seeded by the case's name, leaving the
    /// shared stream untouched: a case added this way does not change the inputs of the cases
    /// after it (the shared stream makes every later case's inputs depend on every earlier
    /// one; new cases should come in this way).
    fn add_isolated(
        &mut self,
        name: String,
        lo: f32,
        hi: f32,
        build: impl FnOnce(&mut Builder, &mut Rng, &[TensorId]) -> Vec<TensorId>,
        inputs: &[&[usize]],
    ) {
        let seed = name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
            (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
        });
        let shared = std::mem::replace(&mut self.rng, Rng::new(seed));
        self.add(name, lo, hi, build, inputs);
        self.rng = shared;
    }
}

/// Every case of the suite, deterministic.
pub fn all() -> Vec<Case> {
    let mut c = Cases {
        rng: Rng::new(2026),
        out: Vec::new(),
    };
    conv::conv_cases(&mut c);
    conv::conv3d_cases(&mut c);
    grouped_conv::grouped_conv_cases(&mut c);
    matmul::matmul_cases(&mut c);
    elementwise::elementwise_cases(&mut c);
    pool::pool_reduce_cases(&mut c);
    shape::movement_cases(&mut c);
    movement::cases(&mut c);
    quant::quant_cases(&mut c);
    multi::multi_op_cases(&mut c);
    logic::logic_cases(&mut c);
    sequence::sequence_cases(&mut c);
    detection::detection_cases(&mut c);
    c.out
}

/// The detection heads' custom-op cases (MediaPipe's ops, `TFLite_Detection_PostProcess`),
/// kept out of [`all`]: LiteRT runs them on its default path only, not in the int8 suite.
pub fn heads() -> Vec<Case> {
    let mut c = Cases {
        rng: Rng::new(1616),
        out: Vec::new(),
    };
    detection::head_cases(&mut c);
    c.out
}

/// A case with a fused TANH, and the same model with the TANH as a separate node after the op
/// (what the oracle runs: see `tanh.rs`).
pub struct FusedTanh {
    /// The model with `Activation::Tanh` fused into its op.
    pub case: Case,
    /// The same weights and op with no activation, followed by a TANH node.
    pub unfused: Graph,
}

/// The fused-TANH cases, kept out of [`all`]: the oracle runs another model for them, and the
/// int8 suite, the README ops table and the fuzz seeds stay as they are.
pub fn fused_tanh() -> Vec<FusedTanh> {
    let build = |fused: bool| {
        let mut c = Cases {
            rng: Rng::new(4242),
            out: Vec::new(),
        };
        tanh::cases(&mut c, fused);
        c.out
    };
    build(true)
        .into_iter()
        .zip(build(false))
        .map(|(case, twin)| {
            assert_eq!(case.inputs, twin.inputs, "{}: twins differ", case.name);
            FusedTanh {
                case,
                unfused: twin.graph,
            }
        })
        .collect()
}
