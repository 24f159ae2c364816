//! Metric accumulators: classification accuracy (top-1, top-5, per class, confusion) and
//! tensor agreement (SQNR, cosine, RMSE in units of the quantization step).

/// Top-k accuracy, confusion matrix and per-class counts over many samples.
#[derive(Debug, Clone)]
pub struct Classification {
    /// `confusion[true][predicted]`.
    pub confusion: Vec<Vec<u64>>,
    /// Samples whose label is among the 5 best scores.
    pub top5: u64,
    /// Samples seen.
    pub n: u64,
}

/// Indices of the `k` highest scores, best first (ties: lower index first).
pub fn top_k(scores: &[f32], k: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..scores.len()).collect();
    idx.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
    idx.truncate(k);
    idx
}

impl Classification {
    /// Empty accumulator for `classes` classes.
    pub fn new(classes: usize) -> Self {
        Classification {
            confusion: vec![vec![0; classes]; classes],
            top5: 0,
            n: 0,
        }
    }

    /// Record one prediction.
    pub fn add(&mut self, scores: &[f32], label: usize) {
        let best = top_k(scores, 5);
        if let (Some(&p), Some(row)) = (best.first(), self.confusion.get_mut(label))
            && let Some(c) = row.get_mut(p)
        {
            *c += 1;
        }
        self.top5 += best.contains(&label) as u64;
        self.n += 1;
    }

    /// Top-1 accuracy.
    pub fn top1(&self) -> f64 {
        let hits: u64 = self
            .confusion
            .iter()
            .enumerate()
            .map(|(i, r)| r.get(i).copied().unwrap_or(0))
            .sum();
        hits as f64 / self.n.max(1) as f64
    }

    /// Top-5 accuracy.
    pub fn top5(&self) -> f64 {
        self.top5 as f64 / self.n.max(1) as f64
    }

    /// (samples, top-1 accuracy) of each class.
    pub fn per_class(&self) -> Vec<(u64, f64)> {
        self.confusion
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let n: u64 = r.iter().sum();
                (n, r.get(i).copied().unwrap_or(0) as f64 / n.max(1) as f64)
            })
            .collect()
    }
}

/// Agreement between a reference tensor and an approximation, accumulated over samples.
#[derive(Debug, Clone, Default)]
pub struct Agreement {
    signal: f64,
    noise: f64,
    dot: f64,
    ref_sq: f64,
    approx_sq: f64,
    err_over_scale_sq: f64,
    abs_sum: f64,
    abs_max: f64,
    /// Elements compared.
    pub n: u64,
}

impl Agreement {
    /// Add one pair; `scale` is the quantization step of the approximation (1 when none).
    pub fn add(&mut self, reference: &[f32], approx: &[f32], scale: f32) {
        let s = if scale > 0.0 { scale as f64 } else { 1.0 };
        for (&r, &a) in reference.iter().zip(approx) {
            let (r, a) = (r as f64, a as f64);
            let e = a - r;
            self.signal += r * r;
            self.noise += e * e;
            self.dot += r * a;
            self.ref_sq += r * r;
            self.approx_sq += a * a;
            self.err_over_scale_sq += (e / s) * (e / s);
            self.abs_sum += e.abs();
            // NaN in either side makes the maximum NaN: a broken output must not look exact.
            self.abs_max = if e.is_nan() || self.abs_max.is_nan() {
                f64::NAN
            } else {
                self.abs_max.max(e.abs())
            };
            self.n += 1;
        }
    }

    /// Signal-to-quantization-noise ratio in dB (infinite when identical).
    pub fn sqnr_db(&self) -> f64 {
        if self.noise == 0.0 {
            f64::INFINITY
        } else {
            10.0 * (self.signal / self.noise).log10()
        }
    }

    /// Cosine similarity (1 when both are zero).
    pub fn cosine(&self) -> f64 {
        let d = (self.ref_sq * self.approx_sq).sqrt();
        if d == 0.0 {
            if self.ref_sq == self.approx_sq {
                1.0
            } else {
                0.0
            }
        } else {
            self.dot / d
        }
    }

    /// Largest absolute error over every element compared.
    pub fn max_abs_error(&self) -> f64 {
        self.abs_max
    }

    /// Mean absolute error.
    pub fn mean_abs_error(&self) -> f64 {
        self.abs_sum / self.n.max(1) as f64
    }

    /// Root-mean-square error of the reference's magnitude: sqrt(signal / n).
    pub fn reference_rms(&self) -> f64 {
        (self.ref_sq / self.n.max(1) as f64).sqrt()
    }

    /// RMSE in quantization steps: 1/sqrt(12) ≈ 0.289 is pure rounding error.
    pub fn rmse_over_scale(&self) -> f64 {
        (self.err_over_scale_sq / self.n.max(1) as f64).sqrt()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classification_by_hand() {
        let mut c = Classification::new(3);
        c.add(&[0.1, 0.7, 0.2], 1); // right
        c.add(&[0.5, 0.3, 0.2], 2); // wrong, label in top 5
        c.add(&[0.2, 0.2, 0.6], 2); // right
        c.add(&[0.4, 0.4, 0.2], 1); // tie -> class 0: wrong
        assert_eq!(c.top1(), 0.5);
        assert_eq!(c.top5(), 1.0);
        assert_eq!(
            c.confusion,
            vec![vec![0, 0, 0], vec![1, 1, 0], vec![1, 0, 1]]
        );
        assert_eq!(c.per_class(), vec![(0, 0.0), (2, 0.5), (2, 0.5)]);
        assert_eq!(top_k(&[3.0, 1.0, 3.0, 2.0], 3), vec![0, 2, 3]);
    }

    #[test]
    fn agreement_by_hand() {
        let mut a = Agreement::default();
        a.add(&[3.0, 4.0], &[3.0, 4.0], 1.0);
        assert!(
            a.sqnr_db().is_infinite()
                && (a.cosine() - 1.0).abs() < 1e-12
                && a.rmse_over_scale() == 0.0
        );
        let mut b = Agreement::default();
        b.add(&[1.0, 0.0], &[1.0, 0.1], 0.1);
        // signal 1, noise 0.01 -> 20 dB; rmse = sqrt(0.01/2) / 0.1 = 0.7071 (f32 inputs: 1e-6)
        assert!((b.sqnr_db() - 20.0).abs() < 1e-6);
        assert!((b.rmse_over_scale() - 0.5f64.sqrt()).abs() < 1e-6);
        assert!((b.cosine() - 1.0 / 1.01f64.sqrt()).abs() < 1e-6);
        assert!((b.max_abs_error() - 0.1).abs() < 1e-6 && (b.mean_abs_error() - 0.05).abs() < 1e-6);
        let mut c = Agreement::default();
        c.add(&[1.0, 2.0], &[f32::NAN, 2.0], 1.0);
        assert!(c.max_abs_error().is_nan());
    }
}
