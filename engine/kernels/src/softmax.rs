//! Softmax and log-softmax over the last axis.

/// Softmax of each row of length `d`: `exp((x - max) * beta) / sum`.
pub fn softmax(x: &[f32], d: usize, beta: f32) -> Vec<f32> {
    let mut out = vec![0.0f32; x.len()];
    if d == 0 {
        return out;
    }
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
    out
}

/// Log-softmax of each row: `x - max - log(sum(exp(x - max)))`.
pub fn log_softmax(x: &[f32], d: usize) -> Vec<f32> {
    let mut out = vec![0.0f32; x.len()];
    if d == 0 {
        return out;
    }
    for (row, o) in x.chunks_exact(d).zip(out.chunks_exact_mut(d)) {
        let m = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let s: f32 = row.iter().map(|&v| (v - m).exp()).sum();
        let ls = s.ln();
        for (oi, &v) in o.iter_mut().zip(row) {
            *oi = v - m - ls;
        }
    }
    out
}
