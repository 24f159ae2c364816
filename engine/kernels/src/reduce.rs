//! Reductions over a set of axes.

/// Reduce `x` of shape `shape` over `axes` (deduplicated, in range) into `out`, in the order of
/// the kept axes (a kept position with nothing to reduce, a zero-size reduced axis, is `init`).
/// `init` starts each accumulator, `f` folds one element in.
pub fn reduce<T: Copy>(
    x: &[T],
    shape: &[usize],
    axes: &[usize],
    init: T,
    f: impl Fn(T, T) -> T,
    out: &mut [T],
) {
    let r = shape.len();
    let reduced: Vec<bool> = (0..r).map(|d| axes.contains(&d)).collect();
    let out_n: usize = (0..r).filter(|&d| !reduced[d]).map(|d| shape[d]).product();
    debug_assert_eq!(out.len(), out_n);
    out.fill(init);
    // Stride of each input dim in the output (0 for reduced dims).
    let mut ostr = vec![0usize; r];
    let mut acc = 1;
    for d in (0..r).rev() {
        if !reduced[d] {
            ostr[d] = acc;
            acc *= shape[d];
        }
    }
    if r == 0 {
        if let (Some(o), Some(&v)) = (out.first_mut(), x.first()) {
            *o = f(*o, v);
        }
        return;
    }
    let last = shape[r - 1];
    let ls = ostr[r - 1];
    let mut idx = vec![0usize; r];
    let outer = x.len() / last.max(1);
    for o in 0..outer {
        let base: usize = (0..r - 1).map(|d| idx[d] * ostr[d]).sum();
        let row = &x[o * last..(o + 1) * last];
        for (i, &v) in row.iter().enumerate() {
            let oi = base + i * ls;
            out[oi] = f(out[oi], v);
        }
        for d in (0..r - 1).rev() {
            idx[d] += 1;
            if idx[d] < shape[d] {
                break;
            }
            idx[d] = 0;
        }
    }
}

/// Sum of f32 `x` over `axes` into `out` (as [`reduce`]), accumulated in f64 and rounded
/// once: a mean over a 160×160 feature map summed in f32 drifts by ~1e-4 relative, which
/// ONNX Runtime's blocked sums do not.
pub fn sum_f32(x: &[f32], shape: &[usize], axes: &[usize], out: &mut [f32]) {
    let wide: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    let mut acc = vec![0f64; out.len()];
    reduce(&wide, shape, axes, 0.0, |a, b| a + b, &mut acc);
    for (o, a) in out.iter_mut().zip(&acc) {
        *o = *a as f32;
    }
}

#[cfg(test)]
mod tests {
    use super::{reduce, sum_f32};

    fn sum(x: &[f32], shape: &[usize], axes: &[usize], n: usize) -> Vec<f32> {
        let mut out = vec![-7.0; n];
        reduce(x, shape, axes, 0.0, |a, b| a + b, &mut out);
        out
    }

    #[test]
    fn reduces_middle_axis() {
        let x: Vec<f32> = (0..24).map(|v| v as f32).collect();
        let s = sum(&x, &[2, 3, 4], &[1], 8);
        assert_eq!(s, vec![12.0, 15.0, 18.0, 21.0, 48.0, 51.0, 54.0, 57.0]);
        assert_eq!(sum(&x, &[2, 3, 4], &[0, 1, 2], 1), vec![276.0]);
        assert_eq!(sum(&[5.0], &[], &[], 1), vec![5.0]);
    }

    /// The f64 accumulator keeps a long sum exact where f32 steps would round away the
    /// small terms: 2^24 + 1 + 1 + ... stays at 2^24 in f32 but not here.
    #[test]
    fn f32_sum_accumulates_wide() {
        let mut x = vec![1.0f32; 1001];
        x[0] = 16_777_216.0;
        let mut out = [0f32];
        sum_f32(&x, &[1001], &[0], &mut out);
        assert_eq!(out[0], 16_778_216.0);
        let mut naive = [0f32];
        reduce(&x, &[1001], &[0], 0.0, |a, b| a + b, &mut naive);
        assert_eq!(naive[0], 16_777_216.0);
    }

    /// A zero-size reduced axis leaves `init`; a zero-size kept axis an empty output.
    #[test]
    fn zero_size_dimensions() {
        assert_eq!(sum(&[], &[2, 0, 3], &[1], 6), vec![0.0; 6]);
        assert_eq!(sum(&[], &[2, 3, 0], &[2], 6), vec![0.0; 6]);
        assert_eq!(sum(&[], &[0, 3], &[1], 0), Vec::<f32>::new());
        assert_eq!(sum(&[], &[0, 3], &[0, 1], 1), vec![0.0]);
        assert_eq!(sum(&[], &[3, 0], &[0], 0), Vec::<f32>::new());
        let mut m = vec![1i32; 2];
        reduce(&[], &[2, 0], &[1], i32::MIN, |a, b| a.max(b), &mut m);
        assert_eq!(m, vec![i32::MIN; 2]);
    }
}
