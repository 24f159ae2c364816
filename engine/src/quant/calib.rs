//! Calibration statistics: turns the float activations seen while running a representative
//! dataset into one `(min, max)` range per tensor.
//!
//! This module owns only the *statistics* step. It does not extend the range to contain zero,
//! nudge it, or compute scale / zero point: the quantizer does that afterwards (spec §2, steps
//! 1-6), for every method alike.
//!
//! Invariants:
//! * Memory per [`Observer`] is bounded and independent of the number of samples: min/max/EMA
//!   methods keep a few scalars, histogram methods one fixed array of [`HIST_BINS`] `u64`
//!   counters (32 KiB). Samples are never stored.
//! * Non-finite values (NaN, ±inf) are skipped, like the TFLite calibrator does.
//! * Results are deterministic: the same values fed in the same order give bit-identical ranges
//!   (no hashing, no threads, no randomness; all tie-breaks are fixed).
//! * Every returned range satisfies `lo <= hi` and lies inside the observed `[min, max]`; the
//!   one exception is [`Method::Entropy`] on non-negative data, which returns `(0, t)` (the
//!   same range once the quantizer has extended it to contain zero).
//!
//! The histogram shared by the percentile / MSE / entropy methods covers `[-R, R)` with
//! `2 × 2048` equal bins, so `0` is a bin edge and bins `2048 + k` / `2047 − k` together hold
//! `|x| ∈ [k·w, (k+1)·w)`. `R` is always the smallest power of two strictly above the absolute
//! maximum seen so far; when a larger value arrives `R` doubles and neighbouring bin pairs are
//! merged *exactly* (old edges are new edges, and binning `x·2048/R` is exact in f64). The
//! histogram is therefore a function of the multiset of finite values only, independent of
//! their order or of how they were split into samples. The data's absolute maximum lies in
//! `[R/2, R)`, so at least 1024 bins per side span the data.

/// Default EMA constant of [`Method::MovingAverage`] (onnxruntime `CalibMovingAverageConstant`).
pub fn default_ema() -> f32 {
    0.01
}

/// Default percentile of [`Method::Percentile`] (onnxruntime `CalibPercentile`).
pub fn default_p() -> f32 {
    99.999
}

/// How an activation range is chosen from calibration data.
// The serde derive and its helper attribute each sit on their own line, apart from the other
// derives, so a copy with every line mentioning serde removed still compiles (plain-rustc test
// harness without the crate's dependencies).
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
#[derive(Debug, Clone, PartialEq)]
pub enum Method {
    /// Absolute min / max over all samples (the TFLite converter's behaviour).
    Minmax,
    /// Exponential moving average of per-sample min / max (onnxruntime `CalibMovingAverage`).
    MovingAverage {
        /// EMA constant `c` in `r <- r + c·(batch − r)`; clamped to `[0, 1]`, non-finite → default.
        #[serde(default = "default_ema")]
        constant: f32,
    },
    /// Cut `(100 − p)/2` % of the values from each tail of a histogram.
    Percentile {
        /// Percentile in `[0, 100]` (clamped; non-finite → default).
        #[serde(default = "default_p")]
        p: f32,
    },
    /// Clipping range minimizing the int8 quantize→dequantize squared error.
    Mse,
    /// TensorRT-style KL-divergence threshold `t` on the `|x|` histogram; the range is
    /// `(-t, t)` cut to the observed `[min, max]` if the data has negatives, else `(0, t)`.
    Entropy,
}

impl Default for Method {
    /// Min/max, the TFLite converter's (and onnxruntime's) default.
    fn default() -> Self {
        Method::Minmax
    }
}

/// Number of histogram bins per sign (the `|x|` histogram of the entropy method has this many).
pub const HIST_HALF_BINS: usize = 2048;
/// Total number of bins of the signed histogram.
pub const HIST_BINS: usize = 2 * HIST_HALF_BINS;
/// Number of quantized levels the entropy method merges a candidate window into.
pub const ENTROPY_QUANT_BINS: usize = 128;
/// Number of candidate clipping ratios per side of the MSE search.
pub const MSE_CANDIDATES: usize = 100;
/// Smallest candidate clipping ratio of the MSE search (largest is 1.0).
pub const MSE_MIN_RATIO: f64 = 0.3;

/// Signed histogram over `[-R, R]`, see the module docs.
#[derive(Debug, Clone)]
struct Histogram {
    bins: Vec<u64>,
    /// `R`; 0 while only zeros have been seen (they all sit in bin `HIST_HALF_BINS` anyway).
    half_range: f64,
    /// Exact zeros (also counted in bin `HIST_HALF_BINS`).
    zeros: u64,
}

impl Histogram {
    fn new() -> Self {
        Histogram {
            bins: vec![0; HIST_BINS],
            half_range: 0.0,
            zeros: 0,
        }
    }

    fn width(&self) -> f64 {
        self.half_range / HIST_HALF_BINS as f64
    }

    /// Lower edge of bin `k`.
    fn edge(&self, k: usize) -> f64 {
        (k as f64 - HIST_HALF_BINS as f64) * self.width()
    }

    /// Make sure `[-absmax, absmax]` is covered (strictly inside `[-R, R)`), doubling `R`
    /// (exact pairwise merge) as needed.
    fn cover(&mut self, absmax: f64) {
        if absmax < self.half_range || absmax == 0.0 {
            return;
        }
        if self.half_range == 0.0 {
            // Only zeros so far: bin HIST_HALF_BINS starts at 0 whatever R is.
            self.half_range = pow2_above(absmax);
            return;
        }
        while absmax >= self.half_range {
            // New bin HALF/2 + j = old bins 2j and 2j+1; zero stays at bin HALF.
            let quarter = HIST_HALF_BINS / 2;
            let mut merged = vec![0u64; HIST_BINS];
            for (j, slot) in merged[quarter..quarter + HIST_HALF_BINS]
                .iter_mut()
                .enumerate()
            {
                *slot = self.bins[2 * j] + self.bins[2 * j + 1];
            }
            self.bins = merged;
            self.half_range *= 2.0;
        }
    }

    /// Count the finite values; `cover` must already include their absolute maximum.
    fn add(&mut self, values: &[f32]) {
        let half = HIST_HALF_BINS as f64;
        let last = HIST_BINS - 1;
        if self.half_range == 0.0 {
            // All finite values are zeros.
            let n = values.iter().filter(|v| v.is_finite()).count() as u64;
            self.bins[HIST_HALF_BINS] += n;
            self.zeros += n;
            return;
        }
        let scale = half / self.half_range;
        let mut zeros = 0u64;
        for &v in values {
            if !v.is_finite() {
                continue;
            }
            // In [0, HIST_BINS) and exact (power-of-two scale); `as usize` floors.
            let idx = ((v as f64).mul_add(scale, half) as usize).min(last);
            self.bins[idx] += 1;
            zeros += (v == 0.0) as u64;
        }
        self.zeros += zeros;
    }
}

/// Smallest power of two strictly greater than `x` (finite, positive, at most `f32::MAX`, so
/// the f64 is normal and the result is at most 2^128).
fn pow2_above(x: f64) -> f64 {
    let exp = ((x.to_bits() >> 52) & 0x7ff) as i64 - 1023; // x in [2^exp, 2^(exp+1))
    f64::from_bits(((exp + 1 + 1023) as u64) << 52)
}

/// Per-method running state.
#[derive(Debug, Clone)]
enum State {
    Minmax,
    MovingAverage {
        constant: f64,
        ema: Option<(f64, f64)>,
    },
    Percentile {
        p: f64,
        hist: Histogram,
    },
    Mse {
        hist: Histogram,
    },
    Entropy {
        hist: Histogram,
    },
}

/// Streaming statistics of one tensor over many calibration samples.
#[derive(Debug, Clone)]
pub struct Observer {
    state: State,
    samples: usize,
    /// Number of finite values seen.
    count: u64,
    min: f32,
    max: f32,
}

impl Observer {
    /// A fresh observer for `method`. Out-of-range parameters are clamped (see [`Method`]).
    pub fn new(method: &Method) -> Self {
        let state = match *method {
            Method::Minmax => State::Minmax,
            Method::MovingAverage { constant } => {
                let c = if constant.is_finite() {
                    constant
                } else {
                    default_ema()
                };
                State::MovingAverage {
                    constant: f64::from(c).clamp(0.0, 1.0),
                    ema: None,
                }
            }
            Method::Percentile { p } => {
                let p = if p.is_finite() { p } else { default_p() };
                State::Percentile {
                    p: f64::from(p).clamp(0.0, 100.0),
                    hist: Histogram::new(),
                }
            }
            Method::Mse => State::Mse {
                hist: Histogram::new(),
            },
            Method::Entropy => State::Entropy {
                hist: Histogram::new(),
            },
        };
        Observer {
            state,
            samples: 0,
            count: 0,
            min: f32::INFINITY,
            max: f32::NEG_INFINITY,
        }
    }

    /// Feed one sample's values (one batch). NaN/inf values are ignored.
    pub fn observe(&mut self, values: &[f32]) {
        self.samples += 1;
        let (mut lo, mut hi, mut n) = (f32::INFINITY, f32::NEG_INFINITY, 0u64);
        for &v in values {
            if v.is_finite() {
                lo = lo.min(v);
                hi = hi.max(v);
                n += 1;
            }
        }
        if n == 0 {
            return;
        }
        self.count += n;
        self.min = self.min.min(lo);
        self.max = self.max.max(hi);
        let absmax = f64::from(lo.abs().max(hi.abs()));
        match &mut self.state {
            State::Minmax => {}
            State::MovingAverage { constant, ema } => {
                let (blo, bhi) = (f64::from(lo), f64::from(hi));
                *ema = Some(match *ema {
                    None => (blo, bhi),
                    Some((rlo, rhi)) => {
                        (rlo + *constant * (blo - rlo), rhi + *constant * (bhi - rhi))
                    }
                });
            }
            State::Percentile { hist, .. } | State::Mse { hist } | State::Entropy { hist } => {
                hist.cover(absmax);
                hist.add(values);
            }
        }
    }

    /// Number of samples fed (calls to [`Observer::observe`], including empty ones).
    pub fn samples(&self) -> usize {
        self.samples
    }

    /// Number of finite values seen over all samples.
    pub fn count(&self) -> u64 {
        self.count
    }

    /// Absolute (min, max) of the finite values seen, whatever the method; None if none.
    pub fn min_max(&self) -> Option<(f32, f32)> {
        (self.count > 0).then_some((self.min, self.max))
    }

    /// Final (min, max) range, always containing 0 is NOT required here (the quantizer extends
    /// it); returns None if nothing finite was observed.
    pub fn range(&self) -> Option<(f32, f32)> {
        let (min, max) = self.min_max()?;
        let range = match &self.state {
            State::Minmax => (min, max),
            State::MovingAverage { ema, .. } => {
                let (lo, hi) = (*ema)?;
                // A convex combination of batch extremes; clamp only guards f64→f32 rounding.
                ((lo as f32).clamp(min, max), (hi as f32).clamp(min, max))
            }
            _ if min == max => (min, max),
            State::Percentile { p, hist } => percentile_range(hist, self.count, min, max, *p),
            State::Mse { hist } => mse_range(hist, min, max),
            State::Entropy { hist } => {
                let t = entropy_threshold(hist, min, max);
                // Symmetric (-t, t) cut to the observed range: identical whenever the data
                // reaches past ±t on both sides, and never wastes int8 levels on values that
                // were not seen.
                if min < 0.0 {
                    ((-t).max(min), t.min(max))
                } else {
                    (0.0, t.min(max))
                }
            }
        };
        Some(range)
    }
}

/// Clamp an f64 candidate into the observed f32 range.
fn clamp_f32(v: f64, min: f32, max: f32) -> f32 {
    (v as f32).clamp(min, max)
}

/// Cut `(100 − p)/2` % of `total` from each tail, interpolating linearly inside the bin where
/// the cut falls, then clamp to the observed range.
fn percentile_range(hist: &Histogram, total: u64, min: f32, max: f32, p: f64) -> (f32, f32) {
    let frac = ((100.0 - p) / 200.0).clamp(0.0, 0.5);
    if frac == 0.0 {
        return (min, max);
    }
    let target = frac * total as f64;
    let w = hist.width();
    let mut lo = f64::from(min);
    let mut cum = 0.0;
    for (k, &c) in hist.bins.iter().enumerate() {
        let c = c as f64;
        if c > 0.0 && cum + c > target {
            lo = hist.edge(k) + w * (target - cum) / c;
            break;
        }
        cum += c;
    }
    let mut hi = f64::from(max);
    cum = 0.0;
    for (k, &c) in hist.bins.iter().enumerate().rev() {
        let c = c as f64;
        if c > 0.0 && cum + c > target {
            hi = hist.edge(k + 1) - w * (target - cum) / c;
            break;
        }
        cum += c;
    }
    let (lo, hi) = (clamp_f32(lo, min, max), clamp_f32(hi, min, max));
    if lo <= hi {
        (lo, hi)
    } else {
        // Only possible for p ≈ 0 (both cuts at the median, inside one bin).
        let mid = clamp_f32((f64::from(lo) + f64::from(hi)) / 2.0, min, max);
        (mid, mid)
    }
}

/// Squared error of int8 asymmetric quantize→dequantize of the histogram mass `points`
/// (bin centre, count) for the real range `[lo, hi]` (`lo <= 0 <= hi`).
fn quant_error(points: &[(f64, f64)], lo: f64, hi: f64) -> f64 {
    let scale = (hi - lo) / 255.0;
    if scale <= 0.0 || !scale.is_finite() {
        return f64::INFINITY;
    }
    let inv = 1.0 / scale;
    // zp = round(qmin − lo/scale); lo <= 0 <= hi keeps it in [-128, 127].
    let zp = (-128.0 - lo * inv).round().clamp(-128.0, 127.0);
    let mut err = 0.0;
    for &(x, c) in points {
        // clamp-then-round == round-then-clamp; floor(v + 0.5) differs from half-away-from-zero
        // only at exact ties, where both choices have the same error.
        let v = x.mul_add(inv, zp).clamp(-128.0, 127.0);
        let q = ((v + 128.5) as i64 - 128) as f64;
        let d = x - (q - zp) * scale;
        err += c * d * d;
    }
    err
}

/// MSE search: the quantizer will use `[min(lo, 0), max(hi, 0)]`; try `[a·lo0, b·hi0]` for
/// ratios `a, b` on a grid in `[MSE_MIN_RATIO, 1]`: first a joint sweep `a = b`, then
/// coordinate descent (one side at a time) until no improvement. Ties keep the wider range.
fn mse_range(hist: &Histogram, min: f32, max: f32) -> (f32, f32) {
    let w = hist.width();
    let mut points = Vec::new();
    for (k, &c) in hist.bins.iter().enumerate() {
        // Exact zeros are always representable (error 0 for every candidate): leave them out.
        let c = if k == HIST_HALF_BINS {
            c - hist.zeros
        } else {
            c
        };
        if c > 0 {
            points.push((hist.edge(k) + 0.5 * w, c as f64));
        }
    }
    let lo0 = f64::from(min.min(0.0));
    let hi0 = f64::from(max.max(0.0));
    let ratio =
        |k: usize| MSE_MIN_RATIO + (1.0 - MSE_MIN_RATIO) * k as f64 / (MSE_CANDIDATES - 1) as f64;
    let top = MSE_CANDIDATES - 1;
    let (mut a, mut b) = (top, top);
    let mut best = quant_error(&points, lo0, hi0);
    for k in (0..top).rev() {
        let e = quant_error(&points, ratio(k) * lo0, ratio(k) * hi0);
        if e < best {
            (best, a, b) = (e, k, k);
        }
    }
    for _round in 0..16 {
        let mut improved = false;
        if hi0 > 0.0 {
            for k in (0..MSE_CANDIDATES).rev() {
                let e = quant_error(&points, ratio(a) * lo0, ratio(k) * hi0);
                if e < best {
                    (best, b, improved) = (e, k, true);
                }
            }
        }
        if lo0 < 0.0 {
            for k in (0..MSE_CANDIDATES).rev() {
                let e = quant_error(&points, ratio(k) * lo0, ratio(b) * hi0);
                if e < best {
                    (best, a, improved) = (e, k, true);
                }
            }
        }
        if !improved {
            break;
        }
    }
    // Clamping to the observed range keeps the result inside it; for one-signed data the
    // quantizer's zero extension restores exactly the modelled range.
    (
        clamp_f32(ratio(a) * lo0, min, max),
        clamp_f32(ratio(b) * hi0, min, max),
    )
}

fn xlnx(x: f64) -> f64 {
    if x > 0.0 { x * x.ln() } else { 0.0 }
}

/// TensorRT-style KL threshold on the `|x|` histogram (`HIST_HALF_BINS` bins of width `w`,
/// exact zeros removed, trimmed to the last non-empty bin `n`). For each candidate `i` in `128..=n`
/// whose first `i` bins include at least 128 non-empty ones (or `i = n`):
/// P = bins `0..i` with the mass of bins `>= i` added to bin `i−1`; Q = bins `0..i` (without
/// that outlier mass) merged into 128 groups and spread uniformly over the bins where P is
/// non-zero; minimize KL(P‖Q) (first minimum wins). Threshold = upper edge of bin `i−1`,
/// capped at the observed absolute maximum.
fn entropy_threshold(hist: &Histogram, min: f32, max: f32) -> f32 {
    let absmax = min.abs().max(max.abs());
    let w = hist.width();
    let mut abs: Vec<f64> = (0..HIST_HALF_BINS)
        .map(|k| (hist.bins[HIST_HALF_BINS + k] + hist.bins[HIST_HALF_BINS - 1 - k]) as f64)
        .collect();
    // Exact zeros are exact after quantization whatever the threshold: leaving them in would let
    // a ReLU's zero spike (smeared over the first 128-level group by Q) dominate the divergence.
    abs[0] -= hist.zeros as f64;
    let n = abs.iter().rposition(|&c| c > 0.0).map_or(0, |k| k + 1);
    let qb = ENTROPY_QUANT_BINS;
    if n <= qb {
        return clamp_f32(n as f64 * w, 0.0, absmax);
    }
    // Prefix sums over bins 0..k: mass, non-empty bin count, Σ c·ln c.
    let mut cnt = vec![0.0; n + 1];
    let mut nnz = vec![0.0; n + 1];
    let mut plnp = vec![0.0; n + 1];
    for k in 0..n {
        cnt[k + 1] = cnt[k] + abs[k];
        nnz[k + 1] = nnz[k] + if abs[k] > 0.0 { 1.0 } else { 0.0 };
        plnp[k + 1] = plnp[k] + xlnx(abs[k]);
    }
    let total = cnt[n];
    // Candidates whose window holds fewer than `qb` non-empty bins are skipped (deviation from
    // TensorRT): Q then reproduces P exactly whatever was clipped, so e.g. data in [0.5, 5]
    // would get KL = 0 for t ≈ 0.5, with every value folded into one bin. `i = n` (no clipping)
    // is always a candidate.
    let first = (qb..=n).find(|&i| nnz[i] >= qb as f64).unwrap_or(n);
    let mut best = (f64::INFINITY, n);
    for i in first..=n {
        let outliers = total - cnt[i];
        let slice_mass = cnt[i];
        // Σ P ln P (counts) with the outliers folded into bin i−1.
        let sum_plnp = plnp[i - 1] + xlnx(abs[i - 1] + outliers);
        // Σ_j Pmass_j · ln q_j, q_j = m_j / (nnz_j · slice_mass) per non-zero bin of group j.
        let mut sum_plnq = 0.0;
        let mut finite = true;
        for j in 0..qb {
            let s = (j * i).div_ceil(qb);
            let e = ((j + 1) * i).div_ceil(qb);
            let m = cnt[e] - cnt[s];
            let mut nz = nnz[e] - nnz[s];
            let mut pmass = m;
            if j == qb - 1 {
                pmass += outliers;
                if abs[i - 1] == 0.0 && outliers > 0.0 {
                    nz += 1.0;
                }
            }
            if pmass == 0.0 {
                continue;
            }
            if m == 0.0 {
                // P has mass Q cannot represent: infinite divergence.
                finite = false;
                break;
            }
            sum_plnq += pmass * (m / (nz * slice_mass)).ln();
        }
        if !finite {
            continue;
        }
        let kl = (sum_plnp - sum_plnq) / total - total.ln();
        if kl < best.0 {
            best = (kl, i);
        }
    }
    clamp_f32(best.1 as f64 * w, 0.0, absmax)
}

#[cfg(test)]
mod tests;
