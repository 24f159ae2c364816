//! The kernel table: one entry point per hot kernel, filled first with the reference kernels
//! ([`generic`]) and then overridden by [`crate::fast::plug`] with what the CPU level supports,
//! as tract's `linalg` does (`generic()` then `plug()`). [`kernels`] is the process-wide table,
//! built once at [`crate::cpu::level`]; [`for_level`] builds the table of any level (tests
//! compare every level the CPU has against [`generic`]). Dispatch is one indirect call per
//! kernel call, never per element.
//!
//! Kernels with prepared state (packed weights) are entered through a `prepare` function that
//! returns a [`QConv`] / [`F32Conv`] object; the caller keeps it for as long as the weights live
//! and runs it once per inference.

use std::fmt;
use std::sync::OnceLock;

use crate::act::Act;
use crate::cpu::Level;
use crate::geom::ConvGeom;
use crate::int8::params::{AddParams, ConvQuant, RequantizeParams};
use crate::{conv, int8};

/// An int8 convolution with its weights, bias and requantization prepared once.
pub trait QConv: Send + Sync + fmt::Debug {
    /// The convolution of `x` (NHWC int8) into `out` (`[n, oh, ow, oc]`, every element written).
    fn run(&self, x: &[i8], g: &ConvGeom, out: &mut [i8]);
}

/// A float convolution with its weights prepared once.
pub trait F32Conv: Send + Sync + fmt::Debug {
    /// The convolution of `x` (NHWC) plus `bias`, then `act`, into `out` (`[n, oh, ow, oc]`,
    /// every element written).
    fn run(&self, x: &[f32], bias: Option<&[f32]>, g: &ConvGeom, act: Act, out: &mut [f32]);
}

/// Prepares an int8 convolution: `(w, bias, geometry, requantization)`.
pub type PrepareQConv = fn(&[i8], Option<&[i32]>, &ConvGeom, &ConvQuant) -> Box<dyn QConv>;
/// `litert` int8 broadcast binary op: `(a, a_shape, b, b_shape, out_shape, params, out)`.
pub type XBinary<P> = fn(&[i8], &[usize], &[i8], &[usize], &[usize], &P, &mut [i8]);
/// Float depthwise convolution: `(x, w [1, kh, kw, oc], bias, geometry, act, out)`.
pub type F32Depthwise = fn(&[f32], &[f32], Option<&[f32]>, &ConvGeom, Act, &mut [f32]);
/// The rescale of an int8 FULLY_CONNECTED accumulator, one scale per unit.
#[derive(Debug, Clone, Copy)]
pub enum FcScales<'a> {
    /// LiteRT 2.3's reference kernel: `round(acc · s)` in double, ties away from zero.
    Double(&'a [f64]),
    /// XNNPACK (`litert` numerics): `acc · s` in f32, ties to even, clamped first.
    Float(&'a [f32]),
}

/// Per-channel int8 fully connected layer:
/// `((x, w [units, depth], bias, (batches, depth, units)), input_offset, scales,
/// output_offset, (act_min, act_max), out [batches, units])`.
pub type QFullyConnected = fn(
    (&[i8], &[i8], Option<&[i32]>, (usize, usize, usize)),
    i32,
    FcScales<'_>,
    i32,
    (i32, i32),
    &mut [i8],
);

/// One entry point per hot kernel, all writing into the output slice they are handed.
#[derive(Clone, Copy)]
pub struct Kernels {
    /// The level this table was built for.
    pub level: Level,
    /// Ungrouped float CONV_2D: packs `w` (`[oc, depth]`, depth = kh·kw·ic) once.
    pub f32_conv: fn(&[f32], usize, usize) -> Box<dyn F32Conv>,
    /// Float DEPTHWISE_CONV_2D (any channel multiplier).
    pub f32_depthwise: F32Depthwise,
    /// Ungrouped int8 CONV_2D (`w` is `[oc, kh·kw·ic]`).
    pub q_conv: PrepareQConv,
    /// Int8 DEPTHWISE_CONV_2D with channel multiplier 1 (`w` is `[kh·kw, c]`).
    pub q_depthwise: PrepareQConv,
    /// Int8 ADD (`false`) or SUB (`true`) of same-shape inputs: `(a, b, params, sub, out)`.
    pub q_add: fn(&[i8], &[i8], &AddParams, bool, &mut [i8]),
    /// Float LOGISTIC in place ([`crate::act::logistic`] over a slice).
    pub f32_logistic: fn(&mut [f32]),
    /// Float GELU `(x, out, approximate)` ([`crate::act::gelu_slice`]).
    pub f32_gelu: fn(&[f32], &mut [f32], bool),
    /// Float HARD_SWISH in place ([`crate::act::hard_swish_slice`]).
    pub f32_hard_swish: fn(&mut [f32]),
    /// `litert` int8 ADD / SUB with broadcasting (XNNPACK's arithmetic).
    pub x_add: XBinary<crate::xnn::params::AddParams>,
    /// `litert` int8 MUL with broadcasting (XNNPACK's arithmetic).
    pub x_mul: XBinary<crate::xnn::params::MulParams>,
    /// Per-channel int8 FULLY_CONNECTED (LiteRT 2.3's double rescale).
    pub q_fully_connected: QFullyConnected,
    /// f32 → int8 QUANTIZE: `(x, scale, zero point, out)`.
    pub quantize: fn(&[f32], f32, i32, &mut [i8]),
    /// int8 → int8 QUANTIZE (requantize): `(x, params, out)`.
    pub requantize: fn(&[i8], &RequantizeParams, &mut [i8]),
}

impl fmt::Debug for Kernels {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Kernels")
            .field("level", &self.level)
            .finish_non_exhaustive()
    }
}

/// The table of reference kernels (every entry a reference twin).
pub fn generic() -> Kernels {
    Kernels {
        level: Level::Reference,
        f32_conv: |w, oc, depth| {
            debug_assert_eq!(w.len(), oc * depth);
            Box::new(RefF32Conv { w: w.to_vec() })
        },
        f32_depthwise: conv::reference::depthwise,
        q_conv: |w, bias, _, q| Box::new(RefQConv::new(w, bias, q, false)),
        q_depthwise: |w, bias, _, q| Box::new(RefQConv::new(w, bias, q, true)),
        q_add: int8::elementwise::add_same_shape,
        f32_logistic: crate::act::logistic_slice,
        f32_gelu: crate::act::gelu_slice,
        f32_hard_swish: crate::act::hard_swish_slice,
        x_add: crate::xnn::elementwise::add,
        x_mul: crate::xnn::elementwise::mul,
        q_fully_connected: |(x, w, bias, dims), io, scales, oo, range, out| match scales {
            FcScales::Double(s) => int8::conv::fully_connected_per_channel_double(
                x, w, bias, dims, io, s, oo, range, out,
            ),
            FcScales::Float(s) => {
                crate::xnn::fully_connected((x, w, bias, dims), io, s, oo, range, out)
            }
        },
        quantize: int8::unary::quantize_f32,
        requantize: int8::unary::requantize,
    }
}

/// The table at `level` (clamped to what this CPU supports).
pub fn for_level(level: Level) -> Kernels {
    let mut k = generic();
    crate::fast::plug(&mut k, level.min(crate::cpu::detected()));
    k
}

/// The process-wide table at [`crate::cpu::level`], built once.
pub fn kernels() -> &'static Kernels {
    static K: OnceLock<Kernels> = OnceLock::new();
    K.get_or_init(|| for_level(crate::cpu::level()))
}

/// The reference float convolution on the weights as given.
#[derive(Debug)]
struct RefF32Conv {
    w: Vec<f32>,
}

impl F32Conv for RefF32Conv {
    fn run(&self, x: &[f32], bias: Option<&[f32]>, g: &ConvGeom, act: Act, out: &mut [f32]) {
        conv::reference::conv2d_act(x, &self.w, bias, g, act, out)
    }
}

/// The reference int8 convolution (or depthwise convolution) on the weights as given.
#[derive(Debug)]
struct RefQConv {
    w: Vec<i8>,
    bias: Option<Vec<i32>>,
    q: ConvQuant,
    depthwise: bool,
}

impl RefQConv {
    fn new(w: &[i8], bias: Option<&[i32]>, q: &ConvQuant, depthwise: bool) -> Self {
        RefQConv {
            w: w.to_vec(),
            bias: bias.map(<[i32]>::to_vec),
            q: q.clone(),
            depthwise,
        }
    }
}

impl QConv for RefQConv {
    fn run(&self, x: &[i8], g: &ConvGeom, out: &mut [i8]) {
        let bias = self.bias.as_deref();
        if self.depthwise {
            int8::conv::depthwise(x, &self.w, bias, g, &self.q, out)
        } else {
            int8::conv::conv2d(x, &self.w, bias, g, &self.q, out)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_follow_the_levels() {
        assert_eq!(generic().level, Level::Reference);
        assert_eq!(kernels().level, crate::cpu::level());
        for lv in crate::cpu::supported() {
            assert_eq!(for_level(lv).level, lv);
        }
    }
}
