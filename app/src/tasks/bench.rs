//! Benchmark a model: latency of one inference on deterministic random inputs (median, p90,
//! min, mean), session preparation time, peak memory, and optionally time per op and per node
//! (in the style of LiteRT's `benchmark_model` op profiling).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use pocket_engine::ir::{DType, Data, Node};
use pocket_engine::runtime::RunHooks;
use pocket_engine::summary::node_macs;
use pocket_engine::{Graph, Session, SessionOptions, Value};
use serde::Serialize;

use super::{Progress, defaults};

/// Per-op-type profile row.
#[derive(Debug, Clone, Serialize)]
pub struct OpRow {
    /// Op type.
    pub op: String,
    /// Nodes of this type.
    pub count: usize,
    /// Average time per run, ms.
    pub ms: f64,
    /// Share of the summed op time, %.
    pub percent: f64,
    /// MACs per run.
    pub macs: u64,
    /// Throughput, GMAC/s.
    pub gmacs: f64,
}

/// Per-node profile row.
#[derive(Debug, Clone, Serialize)]
pub struct NodeRow {
    /// Node index.
    pub node: usize,
    /// Op type.
    pub op: String,
    /// Node name (first output tensor).
    pub name: String,
    /// Average time per run, ms.
    pub ms: f64,
    /// MACs per run.
    pub macs: u64,
}

/// What `--json` prints.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Model path.
    pub model: String,
    /// Threads.
    pub threads: usize,
    /// Timed runs.
    pub runs: usize,
    /// Untimed runs before them.
    pub warmup: usize,
    /// Median latency, ms.
    pub median_ms: f64,
    /// 90th percentile latency, ms.
    pub p90_ms: f64,
    /// Fastest run, ms.
    pub min_ms: f64,
    /// Mean latency, ms.
    pub mean_ms: f64,
    /// Session preparation (load excluded), ms.
    pub prepare_ms: f64,
    /// Peak resident memory of the process, bytes (Linux `VmHWM`; 0 where unknown).
    pub peak_rss_bytes: u64,
    /// Per op type (with `--profile`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ops: Vec<OpRow>,
    /// Slowest nodes first (with `--profile`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<NodeRow>,
}

/// Deterministic random inputs of the graph's declared types and shapes.
pub fn random_inputs(g: &Graph) -> Result<Vec<Value>> {
    let mut s: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    g.inputs
        .iter()
        .map(|&t| {
            let t = &g.tensors[t];
            let n = t.numel();
            if n > 1 << 28 {
                bail!("input '{}' {:?} is too large to benchmark", t.name, t.shape);
            }
            let data = match t.dtype {
                DType::F32 => Data::F32(
                    (0..n)
                        .map(|_| (next() >> 40) as f32 / (1u64 << 23) as f32 - 1.0)
                        .collect(),
                ),
                DType::I8 => Data::I8((0..n).map(|_| (next() >> 56) as i8).collect()),
                DType::U8 => Data::U8((0..n).map(|_| (next() >> 56) as u8).collect()),
                DType::I32 => Data::I32((0..n).map(|_| (next() >> 60) as i32).collect()),
                DType::I64 => Data::I64((0..n).map(|_| (next() >> 60) as i64).collect()),
                d => bail!("input '{}' is {d}: no random data for this type", t.name),
            };
            Ok(Value::new(t.shape.clone(), data))
        })
        .collect()
}

/// Peak resident set size of this process (Linux), bytes.
pub fn peak_rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

/// How to benchmark.
#[derive(Debug, Clone)]
pub struct Options {
    /// Worker threads (`None`: every core).
    pub threads: Option<usize>,
    /// Timed runs.
    pub runs: usize,
    /// Untimed runs first (caches, packed weights).
    pub warmup: usize,
    /// Time every op.
    pub profile: bool,
    /// Whose int8 arithmetic the session reproduces.
    pub numerics: pocket_engine::Numerics,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            threads: None,
            runs: defaults::BENCH_RUNS,
            warmup: defaults::BENCH_WARMUP,
            profile: false,
            numerics: Default::default(),
        }
    }
}

/// Benchmark `g` (read from `path`, named in the report). `progress` sees (runs done, warm-up
/// plus timed runs); `cancel` stops between runs.
pub fn bench(
    g: &Graph,
    path: &Path,
    o: &Options,
    progress: Progress<'_>,
    cancel: &AtomicBool,
) -> Result<Report> {
    if o.runs == 0 {
        bail!("the number of timed runs must be at least 1");
    }
    let threads = defaults::threads(o.threads)?;
    let t = Instant::now();
    let s = Session::new(
        g,
        &SessionOptions {
            threads,
            numerics: o.numerics,
        },
    )
    .with_context(|| format!("preparing {}", path.display()))?;
    let prepare_ms = t.elapsed().as_secs_f64() * 1e3;
    let inputs = random_inputs(g)?;
    let total = o.warmup + o.runs;
    let check = |done: usize| -> Result<()> {
        if cancel.load(Ordering::Relaxed) {
            bail!("cancelled");
        }
        progress(done, total);
        Ok(())
    };
    for i in 0..o.warmup {
        check(i)?;
        s.run(inputs.clone())?;
    }
    let mut times = Vec::with_capacity(o.runs);
    let mut node_time = vec![0f64; g.nodes.len()];
    for i in 0..o.runs {
        check(o.warmup + i)?;
        let x = inputs.clone();
        let t = Instant::now();
        if o.profile {
            let mut last = Instant::now();
            let mut obs = |i: usize, _: &Node, _: &[&Value]| {
                let now = Instant::now();
                node_time[i] += now.duration_since(last).as_secs_f64() * 1e3;
                last = now;
            };
            let mut hooks = RunHooks {
                observer: Some(&mut obs),
                ..Default::default()
            };
            s.run_with(x, &mut hooks)?;
        } else {
            s.run(x)?;
        }
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    progress(total, total);
    let mean_ms = times.iter().sum::<f64>() / times.len() as f64;
    times.sort_by(f64::total_cmp);
    let (ops, nodes) = if o.profile {
        profile(g, &node_time, o.runs)
    } else {
        (Vec::new(), Vec::new())
    };
    Ok(Report {
        model: path.display().to_string(),
        threads,
        runs: o.runs,
        warmup: o.warmup,
        median_ms: percentile(&times, 0.5),
        p90_ms: percentile(&times, 0.9),
        min_ms: times.first().copied().unwrap_or(f64::NAN),
        mean_ms,
        prepare_ms,
        peak_rss_bytes: peak_rss_bytes(),
        ops,
        nodes,
    })
}

/// Per-op-type and per-node rows (slowest first) from summed per-node times over `runs`.
fn profile(g: &Graph, node_time: &[f64], runs: usize) -> (Vec<OpRow>, Vec<NodeRow>) {
    let runs = runs as f64;
    let total: f64 = node_time.iter().sum::<f64>().max(1e-12);
    let mut by_op: BTreeMap<String, (usize, f64, u64)> = BTreeMap::new();
    let mut nodes = Vec::new();
    for (i, n) in g.nodes.iter().enumerate() {
        let e = by_op.entry(n.op.name()).or_default();
        e.0 += 1;
        e.1 += node_time[i];
        e.2 += node_macs(g, i);
        nodes.push(NodeRow {
            node: i,
            op: n.op.name(),
            name: n
                .outputs
                .first()
                .map(|&t| g.tensors[t].name.clone())
                .unwrap_or_default(),
            ms: node_time[i] / runs,
            macs: node_macs(g, i),
        });
    }
    let mut ops: Vec<OpRow> = by_op
        .into_iter()
        .map(|(op, (count, t, macs))| OpRow {
            op,
            count,
            ms: t / runs,
            percent: 100.0 * t / total,
            macs,
            gmacs: if t > 0.0 {
                macs as f64 / (t / runs) / 1e6
            } else {
                0.0
            },
        })
        .collect();
    ops.sort_by(|a, b| b.ms.total_cmp(&a.ms));
    nodes.sort_by(|a, b| b.ms.total_cmp(&a.ms));
    (ops, nodes)
}
