//! The float runtime. A `Session` validates a graph once (every op runnable, order valid,
//! constants decoded, fp16/sparse weights folded into dense f32 constants), then runs it:
//! nodes in order, each intermediate freed (or handed to its last consumer for in-place reuse)
//! as soon as nothing else needs it. Observers see every intermediate; a progress callback and
//! a cancel token let callers follow and stop long runs.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, GraphError, InputError, OpError, Result};
pub use crate::ir::Value;
use crate::ir::{DType, Graph, Node, Op};
use crate::ops::{self, EvalCtx, In};

mod fuse;

/// Options of a session.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// Worker threads for kernels (1 = single-threaded).
    pub threads: usize,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// An observer of intermediate values: (node index, node, output values).
pub type Observer<'a> = dyn FnMut(usize, &Node, &[&Value]) + Send + 'a;

/// Hooks for one run.
#[derive(Default)]
pub struct RunHooks<'a> {
    /// Called after each node with the node index, the node and its output values.
    pub observer: Option<&'a mut Observer<'a>>,
    /// Called after each node with (nodes done, nodes total).
    pub progress: Option<&'a (dyn Fn(usize, usize) + Sync)>,
    /// Checked between nodes; when set, the run stops with `Error::Cancelled`.
    pub cancel: Option<&'a AtomicBool>,
}

/// A prepared graph, ready to run many times.
pub struct Session {
    graph: Graph,
    /// Decoded constants (and folded DEQUANTIZE/DENSIFY outputs), by tensor id.
    consts: Vec<Option<Value>>,
    /// Nodes to execute, in order (folded nodes are skipped).
    steps: Vec<usize>,
    /// For each tensor, the step index of its last consumer (`usize::MAX` if kept to the end).
    last_use: Vec<usize>,
    threads: usize,
    /// The plan with explicit PADs folded into convolutions, used by runs without an observer.
    fused: Option<fuse::Plan>,
    /// Buffers of dropped intermediate tensors, reused by the next kernels and runs.
    arena: std::sync::Mutex<crate::arena::Arena>,
    /// Per-node state from constant weights (packed int8 weights), made on first use.
    prepared: Vec<std::sync::OnceLock<ops::Prepared>>,
}

/// Largest intermediate tensor a session will allocate.
const MAX_TENSOR_BYTES: usize = 4 << 30;

/// `last_use` marker of a tensor that no step reads (its value is dropped at once).
const UNUSED: usize = usize::MAX - 1;

fn node_label(i: usize, n: &Node) -> String {
    if n.name.is_empty() {
        format!("#{i}")
    } else {
        format!("#{i} '{}'", n.name)
    }
}

impl Session {
    /// Prepare `graph` for execution.
    pub fn new(graph: &Graph, opts: &SessionOptions) -> Result<Session> {
        let graph = graph.clone();
        let nt = graph.tensors.len();
        for (i, t) in graph.tensors.iter().enumerate() {
            let bytes = t.numel().saturating_mul(t.dtype.size());
            if t.data.is_none() && bytes > MAX_TENSOR_BYTES {
                return Err(InputError::TooLarge {
                    index: i,
                    name: t.name.clone(),
                    shape: t.shape.clone(),
                    gib: bytes as f64 / (1u64 << 30) as f64,
                    limit_gib: MAX_TENSOR_BYTES >> 30,
                }
                .into());
            }
        }
        let mut consts: Vec<Option<Value>> = vec![None; nt];
        for (i, t) in graph.tensors.iter().enumerate() {
            // A variable tensor without data (RNN state) starts at zero, as in LiteRT.
            if t.is_variable && t.data.is_none() && t.dtype == DType::F32 {
                consts[i] = Some(Value::f32(t.shape.clone(), vec![0.0; t.numel()]));
            }
            if t.data.is_some() && t.sparsity.is_none() && t.dtype.is_runnable() {
                consts[i] = Some(Value::from_const(t).ok_or_else(|| {
                    GraphError::Tensor(format!(
                        "tensor {i} '{}': constant data does not match its shape",
                        t.name
                    ))
                })?);
            }
        }
        // Fold DEQUANTIZE / DENSIFY of constants into dense f32 constants, once.
        let mut steps = Vec::new();
        let mut available: Vec<bool> = (0..nt)
            .map(|i| {
                let t = &graph.tensors[i];
                t.data.is_some()
                    || (t.is_variable && t.dtype == DType::F32)
                    || graph.inputs.contains(&i)
            })
            .collect();
        let mut unsupported: BTreeMap<String, usize> = BTreeMap::new();
        for (i, n) in graph.nodes.iter().enumerate() {
            for &t in n.inputs.iter().flatten() {
                if !available[t] {
                    return Err(GraphError::Cycle {
                        node: node_label(i, n),
                        op: n.op.name(),
                        tensor: t,
                        name: graph.tensors[t].name.clone(),
                    }
                    .into());
                }
            }
            let const_in = n.input(0).and_then(|t| consts[t].as_ref());
            match (&n.op, const_in) {
                (Op::Dequantize, Some(v)) => {
                    let q = n.input(0).and_then(|t| graph.tensors[t].quant.as_ref());
                    let f = ops::dequantize_value(v, q).map_err(|source| Error::Eval {
                        node: node_label(i, n),
                        op: n.op.name(),
                        source,
                    })?;
                    if let Some(&o) = n.outputs.first() {
                        consts[o] = Some(f);
                    }
                }
                (Op::Densify, _)
                    if n.input(0).is_some_and(|t| {
                        graph.tensors[t].sparsity.is_some() && graph.tensors[t].data.is_some()
                    }) =>
                {
                    let t = n
                        .input(0)
                        .map(|t| &graph.tensors[t])
                        .ok_or_else(|| GraphError::Tensor("DENSIFY without input".into()))?;
                    let v = ops::densify_tensor(t).map_err(|e| Error::Eval {
                        node: node_label(i, n),
                        op: n.op.name(),
                        source: OpError::Invalid(format!("sparse tensor '{}': {e}", t.name)),
                    })?;
                    if let Some(&o) = n.outputs.first() {
                        consts[o] = Some(v);
                    }
                }
                _ => {
                    let dts: Vec<Option<DType>> = n
                        .inputs
                        .iter()
                        .map(|t| t.map(|t| graph.tensors[t].dtype))
                        .collect();
                    let odd = n
                        .inputs
                        .iter()
                        .flatten()
                        .chain(&n.outputs)
                        .map(|&t| graph.tensors[t].dtype)
                        .find(|d| !d.is_runnable());
                    let reason = match (ops::unsupported_reason(&n.op, &dts), odd) {
                        (Some(r), _) => Some(r),
                        (None, Some(d)) => Some(format!("{} on {d} tensors", n.op.name())),
                        (None, None) => None,
                    };
                    if let Some(r) = reason {
                        *unsupported.entry(r).or_default() += 1;
                    }
                    steps.push(i);
                }
            }
            for &o in &n.outputs {
                available[o] = true;
            }
        }
        if !unsupported.is_empty() {
            return Err(Error::Unsupported {
                ops: unsupported
                    .into_iter()
                    .map(|(k, c)| format!("{k} ({c} node{})", if c == 1 { "" } else { "s" }))
                    .collect(),
            });
        }
        for &o in &graph.outputs {
            if !available[o] {
                return Err(GraphError::OutputNotProduced {
                    tensor: o,
                    name: graph.tensors[o].name.clone(),
                }
                .into());
            }
        }
        let mut last_use = vec![UNUSED; nt];
        for (s, &i) in steps.iter().enumerate() {
            for &t in graph.nodes[i].inputs.iter().flatten() {
                last_use[t] = s;
            }
        }
        for &o in &graph.outputs {
            last_use[o] = usize::MAX;
        }
        let threads = opts.threads.max(1);
        let fused = fuse::fold_pads(&graph, &consts, &steps, UNUSED);
        Ok(Session {
            fused,
            consts,
            steps,
            last_use,
            threads,
            arena: Default::default(),
            prepared: (0..graph.nodes.len()).map(|_| Default::default()).collect(),
            graph,
        })
    }

    /// Estimated peak memory of intermediate tensors for one run with the declared shapes:
    /// graph inputs plus every value alive at the same time under this plan's freeing order.
    pub fn peak_activation_bytes(&self) -> usize {
        let g = &self.graph;
        let bytes = |t: usize| {
            g.tensors[t]
                .numel()
                .saturating_mul(g.tensors[t].dtype.size())
        };
        let mut live: usize = g.inputs.iter().map(|&t| bytes(t)).sum();
        let mut peak = live;
        for (s, &ni) in self.steps.iter().enumerate() {
            let n = &g.nodes[ni];
            live += n.outputs.iter().map(|&o| bytes(o)).sum::<usize>();
            peak = peak.max(live);
            let mut freed: Vec<usize> = n
                .inputs
                .iter()
                .flatten()
                .copied()
                .filter(|&t| self.last_use[t] == s && self.consts[t].is_none())
                .collect();
            freed.extend(
                n.outputs
                    .iter()
                    .copied()
                    .filter(|&o| self.last_use[o] == UNUSED),
            );
            freed.sort_unstable();
            freed.dedup();
            live = live.saturating_sub(freed.iter().map(|&t| bytes(t)).sum());
        }
        peak
    }

    /// The graph this session runs.
    pub fn graph(&self) -> &Graph {
        &self.graph
    }

    /// Run with inputs in graph-input order; returns outputs in graph-output order.
    pub fn run(&self, inputs: Vec<Value>) -> Result<Vec<Value>> {
        self.run_with(inputs, &mut RunHooks::default())
    }

    /// Run with hooks (observer, progress, cancel).
    pub fn run_with(&self, inputs: Vec<Value>, hooks: &mut RunHooks<'_>) -> Result<Vec<Value>> {
        let g = &self.graph;
        if inputs.len() != g.inputs.len() {
            return Err(InputError::Count {
                expected: g.inputs.len(),
                got: inputs.len(),
            }
            .into());
        }
        let mut values: Vec<Option<Value>> = vec![None; g.tensors.len()];
        for (i, (v, &t)) in inputs.into_iter().zip(&g.inputs).enumerate() {
            let tensor = &g.tensors[t];
            if v.dtype() != tensor.dtype {
                return Err(InputError::DType {
                    index: i,
                    name: tensor.name.clone(),
                    expected: tensor.dtype,
                    got: v.dtype(),
                }
                .into());
            }
            let sig = tensor.signature.as_ref();
            let ok = v.shape.len() == tensor.shape.len()
                && v.shape.iter().enumerate().all(|(d, &s)| {
                    s == tensor.shape[d] || sig.is_some_and(|sg| sg.get(d).is_some_and(|&x| x < 0))
                });
            if !ok {
                return Err(InputError::Shape {
                    index: i,
                    name: tensor.name.clone(),
                    expected: tensor.shape.clone(),
                    got: v.shape.clone(),
                }
                .into());
            }
            values[t] = Some(v);
        }
        let arena = std::mem::take(&mut *self.arena.lock().unwrap_or_else(|e| e.into_inner()));
        let (r, arena) = crate::arena::with(arena, || {
            crate::parallel::with_threads(self.threads, || self.execute(&mut values, hooks))
        });
        *self.arena.lock().unwrap_or_else(|e| e.into_inner()) = arena;
        r?;
        g.outputs
            .iter()
            .map(|&o| {
                values[o]
                    .take()
                    .or_else(|| self.consts[o].clone())
                    .ok_or_else(|| InputError::NotComputed(g.tensors[o].name.clone()).into())
            })
            .collect()
    }

    fn execute(&self, values: &mut [Option<Value>], hooks: &mut RunHooks<'_>) -> Result<()> {
        let g = &self.graph;
        // Folded PADs skip nodes, so an observer (which sees every node) gets the plain plan.
        let (steps, last_use, folded) = match (&self.fused, hooks.observer.is_none()) {
            (Some(p), true) => (&p.steps[..], &p.last_use[..], Some(&p.folded[..])),
            _ => (&self.steps[..], &self.last_use[..], None),
        };
        let total = steps.len();
        for (s, &ni) in steps.iter().enumerate() {
            if hooks.cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                return Err(Error::Cancelled);
            }
            let n = &g.nodes[ni];
            let err = |source: OpError| Error::Eval {
                node: node_label(ni, n),
                op: n.op.name(),
                source,
            };
            let fold = folded.and_then(|f| f[ni]);
            let mut inputs = n.inputs.clone();
            if let (Some(f), Some(first)) = (fold, inputs.first_mut()) {
                *first = Some(f.src);
            }
            // Inputs this node consumes last (and only once) are handed over for reuse.
            let mut owned: Vec<Option<Value>> = inputs
                .iter()
                .map(|t| {
                    let t = (*t)?;
                    let once = inputs.iter().filter(|x| **x == Some(t)).count() == 1;
                    (last_use[t] == s && once && self.consts[t].is_none())
                        .then(|| values[t].take())
                        .flatten()
                })
                .collect();
            let ins: Vec<Option<In<'_>>> = inputs
                .iter()
                .zip(owned.iter_mut())
                .map(|(t, o)| match (t, o.take()) {
                    (_, Some(v)) => Ok(Some(In::Own(v))),
                    (None, None) => Ok(None),
                    (Some(t), None) => self.consts[*t]
                        .as_ref()
                        .or(values[*t].as_ref())
                        .map(|v| Some(In::Ref(v)))
                        .ok_or_else(|| err(format!("input tensor {t} has no value").into())),
                })
                .collect::<Result<_>>()?;
            let mut ctx =
                EvalCtx::for_node(g, n, self.threads).with_cache(g, n, &self.prepared[ni]);
            ctx.input_pad = fold.map(|f| f.pads);
            let outs = ops::eval(&n.op, ins, &ctx).map_err(err)?;
            if outs.len() != n.outputs.len() {
                return Err(err(format!(
                    "produced {} outputs, expected {}",
                    outs.len(),
                    n.outputs.len()
                )
                .into()));
            }
            for (v, &o) in outs.iter().zip(&n.outputs) {
                if v.dtype() != g.tensors[o].dtype {
                    return Err(err(format!(
                        "output '{}' came out as {}, declared {}",
                        g.tensors[o].name,
                        v.dtype(),
                        g.tensors[o].dtype
                    )
                    .into()));
                }
            }
            if let Some(obs) = hooks.observer.as_mut() {
                let refs: Vec<&Value> = outs.iter().collect();
                obs(ni, n, &refs);
            }
            for (v, &o) in outs.into_iter().zip(&n.outputs) {
                values[o] = Some(v);
            }
            for &t in inputs.iter().flatten() {
                if last_use[t] == s
                    && let Some(v) = values[t].take()
                {
                    crate::arena::recycle(v);
                }
            }
            for &o in &n.outputs {
                if last_use[o] == UNUSED
                    && let Some(v) = values[o].take()
                {
                    crate::arena::recycle(v);
                }
            }
            if let Some(p) = hooks.progress {
                p(s + 1, total);
            }
        }
        Ok(())
    }
}
