//! Pocket Studio's kernels: pure math on slices and shapes (f32, int8), no IR types and no
//! workspace dependency. Every kernel writes into the output slice it is handed (buffer reuse is
//! the runtime's business) and only `debug_assert!`s shapes, which shape inference validated.
//!
//! * [`cpu`]: the one CPU feature level (detection, `POCKET_SIMD` override).
//! * [`table`]: the kernel table, reference kernels first, then overridden per level by
//!   [`fast::plug`] (tract `linalg`'s `generic()` then `plug()`); [`kernels`] is the cached one.
//! * Reference kernels: [`act`], [`binary`], [`conv`], [`gemm`], [`hybrid`], [`layout`],
//!   [`logic`], [`math`], [`pool`], [`reduce`], [`resize`], [`softmax`], [`sparse`], [`int8`]. They never import
//!   [`fast`].
//! * [`xnn`]: the `litert` [`Numerics`] (XNNPACK's integer arithmetic), where it differs from
//!   the reference kernels.
//! * [`fast`]: the optimized twins (SIMD), each tested against its reference at every level the
//!   CPU has.
//! * [`grouped`]: grouped convolutions run through a table's ungrouped kernels.
//! * [`geom`]: convolution geometry; [`parallel`]: the engine's one worker pool.
//!
//! All of the engine's `unsafe` lives in this crate: SIMD intrinsics in [`fast`], the pool's
//! disjoint-chunk pointers in [`parallel`], the `gemm` call in [`gemm`].
#![warn(missing_docs)]

pub mod act;
pub mod binary;
pub mod conv;
pub mod conv3d;
pub mod cpu;
pub mod detection;
pub mod fast;
pub mod gemm;
pub mod geom;
pub mod grouped;
pub mod hybrid;
pub mod int8;
pub mod layout;
pub mod logic;
pub mod lstm;
pub mod math;
pub mod movement;
pub mod numerics;
pub mod parallel;
pub mod pool;
pub mod postprocess;
pub mod reduce;
pub mod reduce2;
pub mod resize;
pub mod softmax;
pub mod sparse;
pub mod table;
pub mod xnn;

pub use cpu::Level;
pub use geom::{ConvGeom, conv_out_and_pad};
pub use numerics::Numerics;
pub use table::{F32Conv, Kernels, QConv, kernels};

/// Row-major strides of a shape.
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// Run `f` over the chunks of `out` split at multiples of `chunk`, on the worker pool when
/// `par` is set (see [`parallel`]).
pub fn for_chunks<T: Send>(
    out: &mut [T],
    chunk: usize,
    par: bool,
    f: impl Fn(usize, &mut [T]) + Sync + Send,
) {
    if chunk == 0 {
        return;
    }
    if par {
        parallel::chunks_mut(out, chunk, f);
    } else {
        out.chunks_mut(chunk).enumerate().for_each(|(i, c)| f(i, c));
    }
}
