//! What the inspector shows, computed once per selection (no UI): a node's weights decoded
//! (fp16, sparse and int8 constants through their DEQUANTIZE / DENSIFY chains), the matching
//! quantized node's weights dequantized, both binned on one range, and the float activation
//! sample of the node's output binned with the int8 grid's clipping range.

use pocket_engine::Graph;
use pocket_engine::ir::{DType, Op, QuantParams, Value};

/// Bins of every histogram.
pub const BINS: usize = 48;
/// Values kept for statistics (evenly strided beyond this).
const MAX_VALUES: usize = 200_000;

/// Summary statistics of some values.
#[derive(Debug, Clone, PartialEq)]
pub struct Stats {
    /// Smallest.
    pub min: f64,
    /// Largest.
    pub max: f64,
    /// Mean.
    pub mean: f64,
    /// Standard deviation.
    pub std: f64,
    /// How many values (all of them, before striding).
    pub n: usize,
}

/// A histogram over `[lo, hi]` in `BINS` bins.
#[derive(Debug, Clone, PartialEq)]
pub struct Hist {
    /// Left edge.
    pub lo: f64,
    /// Right edge.
    pub hi: f64,
    /// Counts.
    pub counts: Vec<u64>,
}

impl Hist {
    /// Bin width.
    pub fn width(&self) -> f64 {
        ((self.hi - self.lo) / self.counts.len().max(1) as f64).max(1e-12)
    }
}

fn stats(v: &[f64], n: usize) -> Option<Stats> {
    if v.is_empty() {
        return None;
    }
    let (min, max) = v
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    let std = (v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64).sqrt();
    Some(Stats {
        min,
        max,
        mean,
        std,
        n,
    })
}

/// Bin `v` over `[lo, hi]` (values outside go to the end bins).
pub fn hist(v: &[f64], lo: f64, hi: f64) -> Hist {
    let mut h = Hist {
        lo,
        hi: if hi > lo { hi } else { lo + 1e-6 },
        counts: vec![0; BINS],
    };
    let w = h.width();
    for &x in v {
        let k = ((x - lo) / w).floor().clamp(0.0, (BINS - 1) as f64) as usize;
        h.counts[k] += 1;
    }
    h
}

/// One weight tensor, decoded.
#[derive(Debug, Clone)]
pub struct Weights {
    /// The stored tensor's name.
    pub name: String,
    /// How it is stored (`f16`, `int8 per channel`, `f32 sparse` ...).
    pub stored: String,
    /// Statistics of the decoded values.
    pub stats: Stats,
    values: Vec<f64>,
}

/// Decoded values of tensor `t` of `g`: a constant (densified, dequantized), or the output of
/// the DEQUANTIZE / DENSIFY chain that decodes one. With the root constant.
fn decode(g: &Graph, t: usize, depth: usize) -> Option<(Vec<f64>, usize)> {
    let tensor = g.tensors.get(t)?;
    if tensor.is_const() {
        let v = if tensor.sparsity.is_some() {
            pocket_engine::ops::densify_tensor(tensor).ok()?
        } else {
            Value::from_const(tensor)?
        };
        let vals = match (tensor.dtype, &tensor.quant) {
            (DType::I8 | DType::U8 | DType::I16 | DType::I32, Some(q)) => {
                pocket_engine::ops::dequantize_value(&v, Some(q))
                    .ok()?
                    .data
                    .to_f64()
            }
            _ => v.data.to_f64(),
        };
        return Some((vals, t));
    }
    if depth > 4 {
        return None;
    }
    let p = g.nodes.iter().position(|n| n.outputs.contains(&t))?;
    let n = &g.nodes[p];
    match n.op {
        Op::Dequantize | Op::Densify => decode(g, n.input(0)?, depth + 1),
        _ => None,
    }
}

/// The weights of node `i`: its largest input decoded from a constant.
pub fn weights(g: &Graph, i: usize) -> Option<Weights> {
    let n = g.nodes.get(i)?;
    let producers = g.producers();
    let decodable = |t: usize| {
        let x = &g.tensors[t];
        x.is_const()
            || producers[t].is_some_and(|p| {
                matches!(g.nodes[p].op, Op::Dequantize | Op::Densify)
                    && g.nodes[p].input(0).is_some()
            })
    };
    let t = n
        .inputs
        .iter()
        .flatten()
        .copied()
        .filter(|&t| g.tensors[t].numel() > 1 && decodable(t))
        .max_by_key(|&t| g.tensors[t].numel())?;
    let (mut vals, root) = decode(g, t, 0)?;
    let n_all = vals.len();
    if vals.len() > MAX_VALUES {
        let step = vals.len().div_ceil(MAX_VALUES);
        vals = vals.into_iter().step_by(step).collect();
    }
    let r = &g.tensors[root];
    let mut stored = r.dtype.name().to_string();
    if let Some(q) = &r.quant {
        stored.push_str(if q.scale.len() > 1 {
            " per channel"
        } else {
            " per tensor"
        });
    }
    if r.sparsity.is_some() {
        stored.push_str(" sparse");
    }
    Some(Weights {
        name: r.name.clone(),
        stored,
        stats: stats(&vals, n_all)?,
        values: vals,
    })
}

/// The range int8 (or uint8 / int16) codes of `q` on a tensor of `dtype` can represent.
pub fn clip_range(dtype: DType, q: &QuantParams) -> Option<(f64, f64)> {
    let (qmin, qmax) = match dtype {
        DType::I8 => (-128.0, 127.0),
        DType::U8 => (0.0, 255.0),
        DType::I16 => (-32768.0, 32767.0),
        _ => return None,
    };
    let (s, z) = (*q.scale.first()? as f64, *q.zero_point.first()? as f64);
    Some((s * (qmin - z), s * (qmax - z)))
}

/// Everything the inspector draws for one selection.
#[derive(Debug, Clone, Default)]
pub struct Cache {
    /// (float node, quantized node) it was computed for.
    pub key: Option<(usize, Option<usize>)>,
    /// The float node's weights.
    pub float: Option<Weights>,
    /// The quantized node's weights, dequantized.
    pub quant: Option<Weights>,
    /// Both on one range (float, quantized).
    pub weight_hists: Option<(Hist, Option<Hist>)>,
    /// Max |float − dequantized| when both have the same number of values.
    pub weight_err: Option<f64>,
    /// The float activation sample of the node's output: stats, histogram, the clipping range
    /// of the quantized tensor and the share of values outside it.
    pub act: Option<Activation>,
}

/// The float activation of a node's output against its int8 grid.
#[derive(Debug, Clone)]
pub struct Activation {
    /// Statistics of the sample.
    pub stats: Stats,
    /// Its histogram (over the sample and the clipping range).
    pub hist: Hist,
    /// The quantized tensor's representable range, scale and zero point.
    pub grid: Option<(f64, f64, f64, i64)>,
    /// Share of the sample outside the range.
    pub clipped: f64,
}

impl Cache {
    /// Compute for float node `fi` of `g` and quantized node `qi` of `q`, with the sampled
    /// activations `act`.
    pub fn compute(
        g: &Graph,
        fi: usize,
        q: Option<(&Graph, Option<usize>)>,
        act: Option<&crate::gui::activations::Activations>,
    ) -> Cache {
        let qi = q.and_then(|(_, i)| i);
        let float = weights(g, fi);
        let quant = q.and_then(|(qg, i)| weights(qg, i?));
        let weight_hists = float.as_ref().map(|f| {
            let (mut lo, mut hi) = (f.stats.min, f.stats.max);
            if let Some(w) = &quant {
                lo = lo.min(w.stats.min);
                hi = hi.max(w.stats.max);
            }
            (
                hist(&f.values, lo, hi),
                quant.as_ref().map(|w| hist(&w.values, lo, hi)),
            )
        });
        let weight_err = match (&float, &quant) {
            (Some(f), Some(w)) if f.values.len() == w.values.len() => Some(
                f.values
                    .iter()
                    .zip(&w.values)
                    .map(|(a, b)| (a - b).abs())
                    .fold(0.0, f64::max),
            ),
            _ => None,
        };
        let act = (|| {
            let out = *g.nodes.get(fi)?.outputs.first()?;
            let name = &g.tensors.get(out)?.name;
            let sample: Vec<f64> = act?
                .by_tensor
                .get(name)?
                .iter()
                .map(|&x| x as f64)
                .collect();
            let st = stats(&sample, sample.len())?;
            let grid = q.and_then(|(qg, _)| {
                let t = qg.tensors.iter().find(|t| t.name == *name)?;
                let qp = t.quant.as_ref()?;
                let (lo, hi) = clip_range(t.dtype, qp)?;
                Some((lo, hi, *qp.scale.first()? as f64, *qp.zero_point.first()?))
            });
            let (mut lo, mut hi) = (st.min, st.max);
            if let Some((a, b, _, _)) = grid {
                lo = lo.min(a);
                hi = hi.max(b);
            }
            let clipped = grid.map_or(0.0, |(a, b, _, _)| {
                sample.iter().filter(|&&x| x < a || x > b).count() as f64 / sample.len() as f64
            });
            Some(Activation {
                stats: st,
                hist: hist(&sample, lo, hi),
                grid,
                clipped,
            })
        })();
        Cache {
            key: Some((fi, qi)),
            float,
            quant,
            weight_hists,
            weight_err,
            act,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_bin_on_the_range_and_clip_ranges_follow_the_zero_point() {
        let h = hist(&[0.0, 0.5, 1.0, 1.0, -3.0], 0.0, 1.0);
        assert_eq!(h.counts.iter().sum::<u64>(), 5);
        assert_eq!(h.counts[0], 2, "0.0 and the clamped -3.0");
        assert_eq!(h.counts[BINS - 1], 2);
        let q = QuantParams {
            scale: vec![0.5],
            zero_point: vec![-28],
            axis: 0,
            min: Vec::new(),
            max: Vec::new(),
        };
        assert_eq!(clip_range(DType::I8, &q), Some((-50.0, 77.5)));
        assert_eq!(clip_range(DType::F32, &q), None);
    }
}
