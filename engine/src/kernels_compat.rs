//! Transitional: the old `crate::kernels` paths and signatures (outputs returned, taken from the
//! session arena) over `pocket-kernels`, so that `ops/` and `runtime/` compile unchanged while
//! they are rewritten; removed once the call sites hand their outputs to the kernels.
#![allow(missing_docs)]

pub use pocket_kernels::{
    act, binary, conv_out_and_pad, for_chunks, hybrid, layout, pool, reduce, resize, softmax,
    sparse, strides,
};

use pocket_kernels::act::Act;

fn level() -> pocket_kernels::Level {
    pocket_kernels::kernels()
        .level
        .max(pocket_kernels::Level::Portable)
}

pub mod gemm {
    pub use pocket_kernels::gemm::*;

    #[expect(clippy::too_many_arguments, reason = "the old signature")]
    pub fn matmul(
        m: usize,
        n: usize,
        k: usize,
        a: Mat<'_>,
        b: Mat<'_>,
        dst: &mut [f32],
        accumulate: bool,
        _threads: usize,
    ) {
        pocket_kernels::gemm::matmul(m, n, k, a, b, dst, accumulate)
    }
}

pub mod conv {
    pub use pocket_kernels::conv::reference;
    pub use pocket_kernels::geom::ConvGeom;

    use super::Act;

    pub fn conv2d(
        x: &[f32],
        w: &[f32],
        bias: Option<&[f32]>,
        g: &ConvGeom,
        act: Act,
        _threads: usize,
    ) -> Vec<f32> {
        let mut out = crate::arena::take::<f32>(g.n * g.out_hwc.iter().product::<usize>());
        pocket_kernels::conv::conv2d(x, w, bias, g, act, &mut out);
        out
    }

    pub fn depthwise(
        x: &[f32],
        w: &[f32],
        bias: Option<&[f32]>,
        g: &ConvGeom,
        act: Act,
        _threads: usize,
    ) -> Vec<f32> {
        let mut out = crate::arena::take::<f32>(g.n * g.out_hwc.iter().product::<usize>());
        (pocket_kernels::kernels().f32_depthwise)(x, w, bias, g, act, &mut out);
        out
    }

    pub fn transpose_conv(
        x: &[f32],
        w: &[f32],
        bias: Option<&[f32]>,
        g: &ConvGeom,
        act: Act,
        _threads: usize,
    ) -> Vec<f32> {
        let mut out = crate::arena::take::<f32>(g.n * g.out_hwc.iter().product::<usize>());
        pocket_kernels::conv::transpose_conv(x, w, bias, g, act, &mut out);
        out
    }
}

pub mod packed {
    pub use pocket_kernels::fast::f32_packed::PackedF32;
    use pocket_kernels::geom::ConvGeom;

    use super::Act;

    pub fn conv2d(
        x: &[f32],
        p: &PackedF32,
        bias: Option<&[f32]>,
        g: &ConvGeom,
        act: Act,
        _threads: usize,
    ) -> Vec<f32> {
        let mut out = crate::arena::take::<f32>(g.n * g.out_hwc.iter().product::<usize>());
        pocket_kernels::fast::f32_packed::conv2d_at(super::level(), x, p, bias, g, act, &mut out);
        out
    }
}

pub mod int8 {
    pub use pocket_kernels::int8::{activations, fixed, params, pool};

    pub mod conv {
        use pocket_kernels::geom::ConvGeom;
        pub use pocket_kernels::int8::conv::*;

        pub fn conv2d(
            x: &[i8],
            w: &[i8],
            bias: Option<&[i32]>,
            g: &ConvGeom,
            q: &ConvQuant,
        ) -> Vec<i8> {
            let mut out = crate::arena::take::<i8>(g.n * g.out_hwc.iter().product::<usize>());
            pocket_kernels::int8::conv::conv2d(x, w, bias, g, q, &mut out);
            out
        }

        pub fn depthwise(
            x: &[i8],
            w: &[i8],
            bias: Option<&[i32]>,
            g: &ConvGeom,
            q: &ConvQuant,
        ) -> Vec<i8> {
            let mut out = crate::arena::take::<i8>(g.n * g.out_hwc.iter().product::<usize>());
            pocket_kernels::int8::conv::depthwise(x, w, bias, g, q, &mut out);
            out
        }
    }

    pub mod elementwise {
        pub use pocket_kernels::int8::elementwise::*;
        pub use pocket_kernels::int8::params::RequantizeParams;
        pub use pocket_kernels::int8::unary::*;

        pub fn add(
            a: &[i8],
            a_shape: &[usize],
            b: &[i8],
            b_shape: &[usize],
            out_shape: &[usize],
            p: &AddParams,
        ) -> Vec<i8> {
            if a_shape == b_shape && a_shape == out_shape {
                let mut out = vec![0i8; a.len()];
                (pocket_kernels::kernels().q_add)(a, b, p, false, &mut out);
                return out;
            }
            pocket_kernels::int8::elementwise::add(a, a_shape, b, b_shape, out_shape, p)
        }

        pub fn sub(
            a: &[i8],
            a_shape: &[usize],
            b: &[i8],
            b_shape: &[usize],
            out_shape: &[usize],
            p: &AddParams,
        ) -> Vec<i8> {
            if a_shape == b_shape && a_shape == out_shape {
                let mut out = vec![0i8; a.len()];
                (pocket_kernels::kernels().q_add)(a, b, p, true, &mut out);
                return out;
            }
            pocket_kernels::int8::elementwise::sub(a, a_shape, b, b_shape, out_shape, p)
        }

        pub fn quantize_f32(x: &[f32], scale: f32, zp: i32) -> Vec<i8> {
            let mut out = vec![0i8; x.len()];
            (pocket_kernels::kernels().quantize)(x, scale, zp, &mut out);
            out
        }

        pub fn requantize(x: &[i8], p: &RequantizeParams) -> Vec<i8> {
            let mut out = vec![0i8; x.len()];
            (pocket_kernels::kernels().requantize)(x, p, &mut out);
            out
        }
    }

    pub mod fast {
        use pocket_kernels::fast;
        pub use pocket_kernels::fast::int8_depthwise::DwPacked;
        pub use pocket_kernels::fast::int8_gemm::{Packed, Requant};
        use pocket_kernels::geom::ConvGeom;
        use pocket_kernels::int8::conv::ConvQuant;

        pub fn conv2d(x: &[i8], p: &Packed, rq: &Requant, g: &ConvGeom, z_in: i32) -> Vec<i8> {
            let mut out = crate::arena::take::<i8>(g.n * g.out_hwc.iter().product::<usize>());
            fast::int8_gemm::conv2d_at(super::super::level(), x, p, rq, g, z_in, &mut out);
            out
        }

        pub fn depthwise_packed(x: &[i8], p: &DwPacked, g: &ConvGeom) -> Vec<i8> {
            let mut out = crate::arena::take::<i8>(g.n * g.out_hwc.iter().product::<usize>());
            fast::int8_depthwise::depthwise_packed(x, p, g, &mut out);
            out
        }

        pub fn depthwise_generic(
            x: &[i8],
            w: &[i8],
            bias: Option<&[i32]>,
            g: &ConvGeom,
            q: &ConvQuant,
        ) -> Vec<i8> {
            let mut out = vec![0i8; g.n * g.out_hwc.iter().product::<usize>()];
            let rq = fast::int8_depthwise::generic_requant(bias, q, g.in_hwc[2]);
            let lv = super::super::level();
            fast::int8_depthwise::depthwise_generic(lv, x, w, g, q.input_offset, &rq, &mut out);
            out
        }

        #[expect(clippy::too_many_arguments, reason = "the old signature")]
        pub fn fully_connected_double(
            x: &[i8],
            w: &[i8],
            bias: Option<&[i32]>,
            dims: (usize, usize, usize),
            input_offset: i32,
            scales: &[f64],
            output_offset: i32,
            range: (i32, i32),
        ) -> Vec<i8> {
            let mut out = vec![0i8; dims.0 * dims.2];
            (pocket_kernels::kernels().q_fully_connected)(
                (x, w, bias, dims),
                input_offset,
                scales,
                output_offset,
                range,
                &mut out,
            );
            out
        }
    }
}
