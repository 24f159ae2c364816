//! Test inputs shared by the optimized kernels' twin tests: deterministic bytes, geometries
//! and requantizations.

use crate::geom::ConvGeom;
use crate::int8::params::{Activation, ConvQuant};

/// Deterministic pseudo-random bytes.
pub fn bytes(n: usize, seed: u64) -> Vec<i8> {
    let mut s = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            s = s
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (s >> 56) as i8
        })
        .collect()
}

/// A geometry with TF SAME (`pad`) or VALID padding.
#[expect(clippy::too_many_arguments, reason = "every geometry knob")]
pub fn geom(
    n: usize,
    hw: [usize; 2],
    ic: usize,
    oc: usize,
    k: [usize; 2],
    stride: usize,
    dil: usize,
    pad: bool,
) -> ConvGeom {
    let eff = |d: usize| (k[d] - 1) * dil + 1;
    let out = |d: usize| {
        if pad {
            hw[d].div_ceil(stride)
        } else {
            (hw[d] - eff(d)) / stride + 1
        }
    };
    let padding = |d: usize| {
        if pad {
            ((out(d) - 1) * stride + eff(d)).saturating_sub(hw[d]) / 2
        } else {
            0
        }
    };
    ConvGeom {
        n,
        in_hwc: [hw[0], hw[1], ic],
        out_hwc: [out(0), out(1), oc],
        k,
        stride: [stride; 2],
        dilation: [dil; 2],
        pad: [padding(0), padding(1)],
    }
}

/// Per-channel requantization with varied filter scales.
pub fn quant(oc: usize, z_in: i32, act: Activation, seed: u64) -> ConvQuant {
    let scales: Vec<f32> = bytes(oc, seed)
        .iter()
        .map(|&b| 0.002 + (b as f32 + 128.0) * 1e-4)
        .collect();
    ConvQuant::per_channel((0.05, z_in), &scales, (0.09, -7), act, oc)
}

/// [`quant`] with the `litert` numerics' f32 requantization (the same scales).
pub fn quant_litert(oc: usize, z_in: i32, act: Activation, seed: u64) -> ConvQuant {
    let q = quant(oc, z_in, act, seed);
    let scales: Vec<f32> = bytes(oc, seed)
        .iter()
        .map(|&b| 0.002 + (b as f32 + 128.0) * 1e-4)
        .collect();
    ConvQuant {
        float_scales: crate::xnn::params::conv_scales(0.05, &scales, 0.09, oc),
        ..q
    }
}
