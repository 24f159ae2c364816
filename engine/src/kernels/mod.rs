//! Pure math on slices and shapes: no IR types. Each optimized kernel keeps a simple reference
//! twin (`reference` functions) that tests compare against. This is the only module allowed to
//! use `unsafe` (the GEMM call).

pub mod act;
pub mod binary;
pub mod conv;
pub mod gemm;
pub mod hybrid;
pub mod int8;
pub mod layout;
pub mod packed;
pub mod pool;
pub mod reduce;
pub mod resize;
pub mod softmax;
pub mod sparse;

/// Row-major strides of a shape.
pub fn strides(shape: &[usize]) -> Vec<usize> {
    let mut s = vec![1; shape.len()];
    for i in (0..shape.len().saturating_sub(1)).rev() {
        s[i] = s[i + 1] * shape[i + 1];
    }
    s
}

/// TF padding: output size and padding before, for one spatial dimension.
/// `same = true` gives `out = ceil(in / stride)`, the smaller half of the total padding first.
pub fn conv_out_and_pad(
    input: usize,
    k: usize,
    stride: usize,
    dilation: usize,
    same: bool,
) -> (usize, usize) {
    let eff = (k.max(1) - 1) * dilation + 1;
    let stride = stride.max(1);
    if same {
        let out = input.div_ceil(stride);
        let needed = ((out.max(1) - 1) * stride + eff).saturating_sub(input);
        (out, needed / 2)
    } else {
        let out = if input >= eff {
            (input - eff) / stride + 1
        } else {
            0
        };
        (out, 0)
    }
}

/// Run `f` over the chunks of `out` split at multiples of `chunk`, on the worker pool when
/// `par` is set (see [`crate::parallel`]).
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
        crate::parallel::chunks_mut(out, chunk, f);
    } else {
        out.chunks_mut(chunk).enumerate().for_each(|(i, c)| f(i, c));
    }
}
