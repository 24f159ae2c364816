//! Reductions over a set of axes.

/// Reduce `x` of shape `shape` over `axes` (deduplicated, in range). Returns the values in the
/// order of the kept axes. `init` starts each accumulator, `f` folds one element in.
pub fn reduce<T: Copy>(
    x: &[T],
    shape: &[usize],
    axes: &[usize],
    init: T,
    f: impl Fn(T, T) -> T,
) -> Vec<T> {
    let r = shape.len();
    let reduced: Vec<bool> = (0..r).map(|d| axes.contains(&d)).collect();
    let out_n: usize = (0..r).filter(|&d| !reduced[d]).map(|d| shape[d]).product();
    let mut out = vec![init; out_n];
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
        return out;
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
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn reduces_middle_axis() {
        let x: Vec<f32> = (0..24).map(|v| v as f32).collect();
        let s = super::reduce(&x, &[2, 3, 4], &[1], 0.0, |a, b| a + b);
        assert_eq!(s, vec![12.0, 15.0, 18.0, 21.0, 48.0, 51.0, 54.0, 57.0]);
    }
}
