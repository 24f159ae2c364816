//! Tests of the range observers: known sequences, outliers, N(0, 1) thresholds, non-finite
//! values, degenerate and empty data, determinism and bounds, histogram growth.

use super::*;

/// splitmix64 + Box-Muller: deterministic N(0, 1) samples without external crates.
struct Rng(u64);
impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in (0, 1].
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64
    }
    fn normal(&mut self) -> f32 {
        let (u, v) = (self.uniform(), self.uniform());
        ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
    }
    fn normals(&mut self, n: usize) -> Vec<f32> {
        (0..n).map(|_| self.normal()).collect()
    }
}

fn all_methods() -> Vec<Method> {
    vec![
        Method::Minmax,
        Method::MovingAverage {
            constant: default_ema(),
        },
        Method::Percentile { p: default_p() },
        Method::Mse,
        Method::Entropy,
    ]
}

/// Feed `data` in batches of `batch` values.
fn run(method: &Method, data: &[f32], batch: usize) -> Observer {
    let mut obs = Observer::new(method);
    for chunk in data.chunks(batch) {
        obs.observe(chunk);
    }
    obs
}

#[test]
fn minmax_exact() {
    let mut obs = Observer::new(&Method::Minmax);
    obs.observe(&[0.5, -1.25, 3.0]);
    obs.observe(&[2.0, 7.75]);
    obs.observe(&[-0.5]);
    assert_eq!(obs.samples(), 3);
    assert_eq!(obs.count(), 6);
    assert_eq!(obs.range(), Some((-1.25, 7.75)));
}

#[test]
fn moving_average_known_sequence() {
    let mut obs = Observer::new(&Method::MovingAverage { constant: 0.5 });
    obs.observe(&[0.0, 10.0]);
    assert_eq!(obs.range(), Some((0.0, 10.0)));
    obs.observe(&[-10.0, 5.0, 20.0]);
    // (0 + 0.5·(−10 − 0), 10 + 0.5·(20 − 10))
    assert_eq!(obs.range(), Some((-5.0, 15.0)));
    obs.observe(&[2.0, 4.0]);
    // (−5 + 0.5·(2 + 5), 15 + 0.5·(4 − 15))
    assert_eq!(obs.range(), Some((-1.5, 9.5)));
    // The absolute min/max is still tracked separately.
    assert_eq!(obs.min_max(), Some((-10.0, 20.0)));

    // Default constant 0.01: one outlier batch barely moves the range.
    let mut obs = Observer::new(&Method::MovingAverage {
        constant: default_ema(),
    });
    obs.observe(&[-1.0, 1.0]);
    obs.observe(&[-101.0, 101.0]);
    let (lo, hi) = obs.range().unwrap();
    assert!(
        (lo + 2.0).abs() < 1e-6 && (hi - 2.0).abs() < 1e-6,
        "{lo} {hi}"
    );
}

#[test]
fn percentile_clips_single_outlier() {
    let mut rng = Rng(1);
    let mut data = rng.normals(100_000);
    data[54_321] = 1000.0;
    let obs = run(&Method::Percentile { p: 99.99 }, &data, 1000);
    let (min, max) = obs.min_max().unwrap();
    assert_eq!(max, 1000.0);
    let (lo, hi) = obs.range().unwrap();
    assert!(lo >= min && hi <= max);
    assert!(hi > 3.0 && hi < 6.0, "hi = {hi}");
    assert!(lo < -3.0 && lo > -6.0, "lo = {lo}");

    // Default p = 99.999 with 1M values cuts 5 values per tail.
    let mut data = rng.normals(1_000_000);
    data[777] = 1000.0;
    let (lo, hi) = run(&Method::Percentile { p: default_p() }, &data, 4096)
        .range()
        .unwrap();
    assert!(hi > 3.5 && hi < 6.0, "hi = {hi}");
    assert!(lo < -3.5 && lo > -6.0, "lo = {lo}");
}

#[test]
fn percentile_fine_histogram_and_p100() {
    let mut rng = Rng(2);
    let data = rng.normals(200_000);
    // 99.9 % two-sided → ±3.29 for N(0, 1).
    let (lo, hi) = run(&Method::Percentile { p: 99.9 }, &data, 2000)
        .range()
        .unwrap();
    assert!(
        (hi - 3.29).abs() < 0.12 && (lo + 3.29).abs() < 0.12,
        "{lo} {hi}"
    );
    let obs = run(&Method::Percentile { p: 100.0 }, &data, 2000);
    assert_eq!(obs.range(), obs.min_max());
    // p = 0 → both ends at the median.
    let (lo, hi) = run(&Method::Percentile { p: 0.0 }, &data, 2000)
        .range()
        .unwrap();
    assert!(lo <= hi && lo.abs() < 0.05 && hi.abs() < 0.05, "{lo} {hi}");
}

#[test]
fn mse_inside_observed_and_covers_normal() {
    let mut rng = Rng(3);
    let data = rng.normals(1_000_000);
    let obs = run(&Method::Mse, &data, 10_000);
    let (min, max) = obs.min_max().unwrap();
    let (lo, hi) = obs.range().unwrap();
    assert!(
        min <= lo && lo < 0.0 && 0.0 < hi && hi <= max,
        "{lo} {hi} of {min} {max}"
    );
    assert!(lo < -2.5 && hi > 2.5, "{lo} {hi}");
    // Clips something: the extreme tails of 1M normals are not worth int8 resolution.
    assert!(hi < max || lo > min, "{lo} {hi} of {min} {max}");
}

#[test]
fn mse_one_signed_data_stays_inside() {
    // ReLU-like: half exact zeros, half |N(0, 1)|.
    let mut rng = Rng(4);
    let data: Vec<f32> = (0..200_000).map(|_| rng.normal().max(0.0)).collect();
    let obs = run(&Method::Mse, &data, 5000);
    let (min, max) = obs.min_max().unwrap();
    let (lo, hi) = obs.range().unwrap();
    assert_eq!(min, 0.0);
    assert!(lo == 0.0 && hi > 2.5 && hi <= max, "{lo} {hi}");
    // Strictly positive data: lower end is the observed min (quantizer extends to 0).
    let shifted: Vec<f32> = data.iter().map(|v| v + 1.0).collect();
    let obs = run(&Method::Mse, &shifted, 5000);
    let (lo, hi) = obs.range().unwrap();
    assert_eq!(lo, 1.0);
    assert!(hi > 3.5 && hi <= obs.min_max().unwrap().1, "{hi}");
}

/// Direct TensorRT-style KL(P‖Q) for candidate `i` (no prefix sums), to cross-check.
fn brute_kl(abs: &[f64], i: usize) -> f64 {
    let qb = ENTROPY_QUANT_BINS;
    let mut p = abs[..i].to_vec();
    p[i - 1] += abs[i..].iter().sum::<f64>();
    let mut q = vec![0.0; i];
    for j in 0..qb {
        let (s, e) = ((j * i).div_ceil(qb), ((j + 1) * i).div_ceil(qb));
        let m: f64 = abs[s..e].iter().sum();
        let nz = p[s..e].iter().filter(|&&x| x > 0.0).count() as f64;
        for k in s..e {
            if p[k] > 0.0 {
                q[k] = m / nz;
            }
        }
    }
    let (sp, sq) = (p.iter().sum::<f64>(), q.iter().sum::<f64>());
    let mut kl = 0.0;
    for k in 0..i {
        if p[k] > 0.0 {
            if q[k] == 0.0 {
                return f64::INFINITY;
            }
            kl += p[k] / sp * ((p[k] / sp) / (q[k] / sq)).ln();
        }
    }
    kl
}

#[test]
fn entropy_threshold_for_normal() {
    let mut rng = Rng(5);
    let data = rng.normals(1_000_000);
    let obs = run(&Method::Entropy, &data, 10_000);
    let (min, max) = obs.min_max().unwrap();
    let (lo, hi) = obs.range().unwrap();
    assert!(
        min <= lo && lo < 0.0 && 0.0 < hi && hi <= max,
        "{lo} {hi} of {min} {max}"
    );
    let State::Entropy { hist } = &obs.state else {
        unreachable!()
    };
    let t = entropy_threshold(hist, min, max);
    assert!(t == -lo || t == hi, "{t}: {lo} {hi}");
    // For a Gaussian the KL curve is nearly flat from ~4.3σ up (the remaining divergence is
    // sampling noise, about bins/2N), so at 1M samples t lands in ~[4.3, 5.0] (8 seeds,
    // and likewise with an exact 2048-bin histogram over [0, absmax]).
    assert!((2.5..=5.1).contains(&t), "t = {t}");
    assert!(t < min.abs().max(max.abs()), "t = {t} clips nothing");

    // The prefix-sum search picks the same bin as a direct evaluation of every candidate.
    let w = hist.width();
    let abs: Vec<f64> = (0..HIST_HALF_BINS)
        .map(|k| (hist.bins[HIST_HALF_BINS + k] + hist.bins[HIST_HALF_BINS - 1 - k]) as f64)
        .collect();
    let n = abs.iter().rposition(|&c| c > 0.0).unwrap() + 1;
    let mut best = (f64::INFINITY, 0);
    for i in ENTROPY_QUANT_BINS..=n {
        if abs[..i].iter().filter(|&&c| c > 0.0).count() < ENTROPY_QUANT_BINS && i < n {
            continue;
        }
        let kl = brute_kl(&abs[..n], i);
        if kl < best.0 {
            best = (kl, i);
        }
    }
    assert_eq!(t, (best.1 as f64 * w) as f32);
}

#[test]
fn entropy_non_negative_data() {
    let mut rng = Rng(6);
    let data: Vec<f32> = (0..300_000).map(|_| rng.normal().abs()).collect();
    let (lo, hi) = run(&Method::Entropy, &data, 3000).range().unwrap();
    assert_eq!(lo, 0.0);
    assert!(hi > 2.5 && hi < 5.0, "{hi}");
    // ReLU output: half the values are exact zeros; they must not drag the threshold down.
    let relu: Vec<f32> = rng
        .normals(600_000)
        .into_iter()
        .map(|v| v.max(0.0))
        .collect();
    let (lo, hi) = run(&Method::Entropy, &relu, 3000).range().unwrap();
    assert_eq!(lo, 0.0);
    assert!(hi > 2.5 && hi < 5.0, "{hi}");
    // Strictly positive data (no mass near 0) still gives (0, t) with a sensible t; plain
    // TensorRT KL would return t ≈ 0.5 here (every value folded into one bin).
    let shifted: Vec<f32> = data.iter().map(|v| v + 0.5).collect();
    let (lo, hi) = run(&Method::Entropy, &shifted, 3000).range().unwrap();
    assert_eq!(lo, 0.0);
    assert!(hi > 3.0 && hi < 5.5, "{hi}");
}

#[test]
fn entropy_cut_to_observed_side() {
    // Mostly positive data with a short negative tail: (-t, t) would waste half the levels.
    let mut rng = Rng(9);
    let data: Vec<f32> = (0..200_000)
        .map(|_| rng.normal().abs() * 2.0 - 0.1)
        .collect();
    let obs = run(&Method::Entropy, &data, 2000);
    let (min, max) = obs.min_max().unwrap();
    let (lo, hi) = obs.range().unwrap();
    assert_eq!(lo, min);
    assert!(hi > 4.0 && hi <= max, "{hi}");
}

#[test]
fn nan_and_inf_ignored() {
    let mut rng = Rng(7);
    let clean = rng.normals(50_000);
    let mut dirty = Vec::new();
    for (i, &v) in clean.iter().enumerate() {
        dirty.push(v);
        match i % 1000 {
            0 => dirty.push(f32::NAN),
            1 => dirty.push(f32::INFINITY),
            2 => dirty.push(f32::NEG_INFINITY),
            _ => {}
        }
    }
    for m in all_methods() {
        let a = run(&m, &clean, 1000);
        // Same split into samples: the dirty stream batches on the same clean boundaries.
        let mut b = Observer::new(&m);
        let mut start = 0;
        let mut seen = 0;
        for (j, v) in dirty.iter().enumerate() {
            if v.is_finite() {
                seen += 1;
                if seen % 1000 == 0 {
                    b.observe(&dirty[start..=j]);
                    start = j + 1;
                }
            }
        }
        assert_eq!(start, dirty.len(), "{m:?}");
        assert_eq!(a.count(), b.count(), "{m:?}");
        assert_eq!(a.range(), b.range(), "{m:?}");
    }
}

#[test]
fn empty_gives_none() {
    for m in all_methods() {
        let mut obs = Observer::new(&m);
        assert_eq!(obs.range(), None, "{m:?}");
        obs.observe(&[]);
        obs.observe(&[f32::NAN, f32::INFINITY]);
        assert_eq!(obs.samples(), 2);
        assert_eq!(obs.count(), 0);
        assert_eq!(obs.range(), None, "{m:?}");
    }
}

#[test]
fn degenerate_ranges() {
    for m in all_methods() {
        let obs = run(&m, &[0.0; 100], 10);
        assert_eq!(obs.range(), Some((0.0, 0.0)), "{m:?}");
        let obs = run(&m, &[2.5; 100], 10);
        assert_eq!(obs.range(), Some((2.5, 2.5)), "{m:?}");
        // Zeros first, then real data: histogram starts at R = 0.
        let mut obs = Observer::new(&m);
        obs.observe(&[0.0; 10]);
        obs.observe(&[-1.0, 0.5, 2.0]);
        let (lo, hi) = obs.range().unwrap();
        assert!(lo <= hi && hi <= 2.0 && lo >= -2.0, "{m:?}: {lo} {hi}");
    }
}

/// Every method gives the same bits on the same data, and a range inside what it saw that
/// still contains zero and most of the data (N(0, 1): ±2.5 holds 98.8 %).
#[test]
fn deterministic_and_bounded() {
    let mut rng = Rng(8);
    let data = rng.normals(100_000);
    for m in all_methods() {
        let obs = run(&m, &data, 777);
        let a = obs.range();
        let b = run(&m, &data, 777).range();
        assert_eq!(
            a.map(|(x, y)| (x.to_bits(), y.to_bits())),
            b.map(|(x, y)| (x.to_bits(), y.to_bits())),
            "{m:?}: not deterministic"
        );
        let (min, max) = obs.min_max().expect("data seen");
        let (lo, hi) = a.expect("a range");
        assert!(
            min <= lo && lo < 0.0 && 0.0 < hi && hi <= max,
            "{m:?}: range ({lo}, {hi}) not inside the observed ({min}, {max}) around 0"
        );
        assert!(
            lo <= -2.5 && hi >= 2.5,
            "{m:?}: range ({lo}, {hi}) clips the bulk of N(0, 1)"
        );
    }
}

#[test]
fn histogram_growth_is_exact() {
    // Doubling R merges bins exactly: feeding in pieces equals feeding everything at once,
    // in any order.
    let values = [-1.0f32, -0.3, 0.0, 0.2, 0.999, 1.0, 3.5, -2.0, 1e-30];
    let mut pieces = Histogram::new();
    for v in values {
        pieces.cover(f64::from(v.abs()));
        pieces.add(&[v]);
    }
    let mut rev = Histogram::new();
    for v in values.iter().rev() {
        rev.cover(f64::from(v.abs()));
        rev.add(&[*v]);
    }
    let mut direct = Histogram::new();
    direct.cover(3.5);
    direct.add(&values);
    assert_eq!(direct.half_range, 4.0);
    assert_eq!(pieces.half_range, 4.0);
    assert_eq!(pieces.bins.iter().sum::<u64>(), values.len() as u64);
    assert_eq!(pieces.zeros, 1);
    assert_eq!(pieces.bins, direct.bins);
    assert_eq!(rev.bins, direct.bins);
    assert_eq!(direct.bins[HIST_HALF_BINS + 1792], 1); // 3.5 → [3.5, 3.5 + w)
    assert_eq!(direct.bins[HIST_HALF_BINS - 1024], 1); // −2.0 → [−2, −2 + w)
    assert_eq!(pow2_above(1.0), 2.0);
    assert_eq!(pow2_above(0.75), 1.0);
    assert_eq!(pow2_above(f64::from(f32::MAX)), 2f64.powi(128));
    assert_eq!(pow2_above(f64::from(f32::from_bits(1))), 2f64.powi(-148));
}

#[test]
fn parameters_sanitized() {
    let obs = Observer::new(&Method::Percentile { p: f32::NAN });
    assert!(matches!(obs.state, State::Percentile { p, .. } if p == f64::from(default_p())));
    let obs = Observer::new(&Method::MovingAverage { constant: 5.0 });
    assert!(matches!(obs.state, State::MovingAverage { constant, .. } if constant == 1.0));
    assert_eq!(Method::default(), Method::Minmax);
}
