//! Optimized kernels, each bit-exact (int8) or within float tolerance (f32) of its reference
//! twin, and [`plug`], which overrides the reference entries of a [`Kernels`] table with the
//! ones a CPU level supports. Only this module uses SIMD intrinsics and `target_feature`; the
//! reference modules never import it, and it imports them only in tests (parameter structs and
//! the fixed-point arithmetic of [`crate::int8::params`] / [`crate::int8::fixed`] are shared).

pub mod f32_depthwise;
pub mod f32_packed;
pub mod int8_depthwise;
pub mod int8_elementwise;
pub mod int8_gemm;
#[cfg(target_arch = "x86_64")]
pub mod simd512;
#[cfg(test)]
pub(crate) mod test_util;

use crate::cpu::Level;
use crate::table::Kernels;

/// Override `k`'s entries with the optimized kernels of `level` (which the caller has checked
/// the CPU supports; [`Level::Reference`] leaves the table as it is).
pub fn plug(k: &mut Kernels, level: Level) {
    if level == Level::Reference {
        return;
    }
    k.level = level;
    k.f32_conv = f32_packed::prepare_portable;
    k.f32_depthwise = f32_depthwise::depthwise_portable;
    k.q_conv = int8_gemm::prepare_portable;
    k.q_depthwise = int8_depthwise::prepare_portable;
    k.q_add = int8_elementwise::add_portable;
    k.q_fully_connected = int8_elementwise::fully_connected_portable;
    k.quantize = int8_elementwise::quantize_portable;
    #[cfg(target_arch = "x86_64")]
    x86_64::plug(k, level);
}

#[cfg(target_arch = "x86_64")]
mod x86_64 {
    use super::*;

    /// The AVX2 and AVX-512 entries (the float packed convolution has no AVX2 kernel).
    pub(super) fn plug(k: &mut Kernels, level: Level) {
        if level >= Level::Avx2 {
            k.f32_depthwise = f32_depthwise::depthwise_avx2;
            k.q_conv = int8_gemm::prepare_avx2;
            k.q_depthwise = int8_depthwise::prepare_avx2;
            k.q_add = int8_elementwise::add_avx2;
            k.x_add = int8_elementwise::xnn_add_avx2;
            k.f32_logistic = int8_elementwise::logistic_avx2;
            k.f32_gelu = int8_elementwise::gelu_avx2;
            k.f32_hard_swish = int8_elementwise::hard_swish_avx2;
            k.x_mul = int8_elementwise::xnn_mul_avx2;
            k.q_fully_connected = int8_elementwise::fully_connected_avx2;
            k.quantize = int8_elementwise::quantize_avx2;
        }
        if level >= Level::Avx512Vnni {
            k.f32_conv = f32_packed::prepare_avx512;
            k.f32_depthwise = f32_depthwise::depthwise_avx512;
            k.q_conv = int8_gemm::prepare_avx512;
            k.q_depthwise = int8_depthwise::prepare_avx512;
            k.q_add = int8_elementwise::add_avx512;
            k.x_add = int8_elementwise::xnn_add_avx512;
            k.f32_logistic = int8_elementwise::logistic_avx512;
            k.f32_gelu = int8_elementwise::gelu_avx512;
            k.f32_hard_swish = int8_elementwise::hard_swish_avx512;
            k.x_mul = int8_elementwise::xnn_mul_avx512;
            k.q_fully_connected = int8_elementwise::fully_connected_avx512;
            k.quantize = int8_elementwise::quantize_avx512;
        }
    }
}
