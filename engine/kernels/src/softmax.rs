//! Softmax and log-softmax over the last axis.

/// Softmax of each row of length `d` into `out` (as long as `x`): `exp((x - max) * beta) / sum`.
pub fn softmax(x: &[f32], d: usize, beta: f32, out: &mut [f32]) {
    debug_assert_eq!(out.len(), x.len());
    if d == 0 {
        out.fill(0.0);
        return;
    }
    // A partial last row (never, after shape inference) stays 0.
    out[x.len() / d * d..].fill(0.0);
    for (row, o) in x.chunks_exact(d).zip(out.chunks_exact_mut(d)) {
        let m = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let mut s = 0.0f32;
        for (oi, &v) in o.iter_mut().zip(row) {
            *oi = ((v - m) * beta).exp();
            s += *oi;
        }
        let inv = 1.0 / s;
        o.iter_mut().for_each(|v| *v *= inv);
    }
}

/// Log-softmax of each row into `out` (as long as `x`): `x - max - log(sum(exp(x - max)))`.
pub fn log_softmax(x: &[f32], d: usize, out: &mut [f32]) {
    debug_assert_eq!(out.len(), x.len());
    if d == 0 {
        out.fill(0.0);
        return;
    }
    // A partial last row (never, after shape inference) stays 0.
    out[x.len() / d * d..].fill(0.0);
    for (row, o) in x.chunks_exact(d).zip(out.chunks_exact_mut(d)) {
        let m = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let s: f32 = row.iter().map(|&v| (v - m).exp()).sum();
        let ls = s.ln();
        for (oi, &v) in o.iter_mut().zip(row) {
            *oi = v - m - ls;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_sum_to_one_and_log_matches() {
        let x = [1.0f32, 2.0, 3.0, -1.0, 0.0, 1.0];
        let mut y = vec![-7.0; 6];
        softmax(&x, 3, 1.0, &mut y);
        for row in y.chunks(3) {
            assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        }
        assert_eq!(y[..3], y[3..]);
        let mut l = vec![-7.0; 6];
        log_softmax(&x, 3, &mut l);
        for (a, b) in l.iter().zip(&y) {
            assert!((a - b.ln()).abs() < 1e-6, "{a} vs {}", b.ln());
        }
    }

    /// Zero-size rows or zero rows: nothing to write, no panic.
    #[test]
    fn zero_size_dimensions() {
        let mut y: Vec<f32> = vec![];
        softmax(&[], 0, 1.0, &mut y);
        softmax(&[], 4, 1.0, &mut y);
        log_softmax(&[], 0, &mut y);
        log_softmax(&[], 4, &mut y);
        assert!(y.is_empty());
    }
}
