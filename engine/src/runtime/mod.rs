//! The float runtime. A `Session` validates a graph once (every op runnable, order valid,
//! constants decoded, fp16/sparse weights folded into dense f32 constants), then runs it:
//! nodes in order, each intermediate freed (or handed to its last consumer for in-place reuse)
//! as soon as nothing else needs it. Observers see every intermediate; a progress callback and
//! a cancel token let callers follow and stop long runs.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{Error, InputError, OpError, Result};
pub use crate::ir::Value;
use crate::ir::{DType, Graph, Node};
pub use crate::kernels::Numerics;
use crate::ops::{self, EvalCtx, In};
use body::{Body, UNUSED, node_label};
use control::{Control, State};

mod body;
mod control;
mod fuse;

/// Whether a session runs this kept op itself (control flow, resource variables, CALL_ONCE)
/// although no kernel computes it.
pub fn runs_kept_op(op: &crate::ir::Op) -> bool {
    Control::of(op).is_some()
}

/// Options of a session.
#[derive(Debug, Clone)]
pub struct SessionOptions {
    /// Worker threads for kernels (1 = single-threaded).
    pub threads: usize,
    /// Whose int8 arithmetic to reproduce: LiteRT's default CPU path (`Litert`, the default)
    /// or its reference kernels / TFLite Micro (`Reference`). Float ops are unaffected.
    pub numerics: Numerics,
}

impl Default for SessionOptions {
    fn default() -> Self {
        SessionOptions {
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            numerics: Numerics::default(),
        }
    }
}

impl SessionOptions {
    /// `threads` workers, default numerics.
    pub fn threads(threads: usize) -> Self {
        SessionOptions {
            threads,
            ..Default::default()
        }
    }

    /// These options with `numerics`.
    pub fn with_numerics(mut self, numerics: Numerics) -> Self {
        self.numerics = numerics;
        self
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

/// A prepared model, ready to run many times. It holds the model's state across runs: the
/// resource variables its VAR_HANDLE / ASSIGN_VARIABLE nodes keep and whether each CALL_ONCE
/// init subgraph has run (so a streaming model fed a sequence of inputs, one run each, gives
/// the sequence of outputs LiteRT's interpreter gives).
pub struct Session {
    graph: Graph,
    /// The main graph, prepared.
    main: Body,
    /// Subgraph `i` (index `i - 1` here), prepared when a control-flow node can reach it.
    subs: Vec<Option<Body>>,
    threads: usize,
    /// The int8 numerics every kernel of this session follows.
    numerics: Numerics,
    /// Buffers of dropped intermediate tensors, reused by the next kernels and runs.
    arena: std::sync::Mutex<crate::arena::Arena>,
    /// Resource variables and CALL_ONCE initializations, kept across runs.
    state: std::sync::Mutex<State>,
}

/// Largest intermediate tensor a session will allocate.
const MAX_TENSOR_BYTES: usize = 4 << 30;

/// Deepest nesting of subgraph calls (a subgraph that calls itself stops here).
const MAX_CALL_DEPTH: usize = 64;

impl Session {
    /// Prepare `graph` (and every subgraph its control-flow nodes call) for execution.
    pub fn new(graph: &Graph, opts: &SessionOptions) -> Result<Session> {
        let graph = graph.clone();
        let reach = body::reachable(&graph);
        for (s, _) in reach.iter().enumerate().filter(|(_, r)| **r) {
            let Some(sg) = graph.subgraph(s) else {
                continue;
            };
            for (i, t) in sg.tensors.iter().enumerate() {
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
        }
        let mut unsupported: BTreeMap<String, usize> = BTreeMap::new();
        let main = Body::new(&graph, &graph, &mut unsupported)?;
        let mut subs = Vec::with_capacity(graph.subgraphs.len());
        for (i, sg) in graph.subgraphs.iter().enumerate() {
            subs.push(if reach.get(i + 1).copied().unwrap_or(false) {
                Some(Body::new(sg, &graph, &mut unsupported)?)
            } else {
                None
            });
        }
        if !unsupported.is_empty() {
            return Err(Error::Unsupported {
                ops: unsupported
                    .into_iter()
                    .map(|(k, c)| format!("{k} ({c} node{})", if c == 1 { "" } else { "s" }))
                    .collect(),
            });
        }
        Ok(Session {
            main,
            subs,
            threads: opts.threads.max(1),
            numerics: opts.numerics,
            arena: Default::default(),
            state: Default::default(),
            graph,
        })
    }

    /// Forget the state: every resource variable, and which CALL_ONCE init subgraphs ran (the
    /// next run starts as the first run of a new session).
    pub fn reset_state(&self) {
        *self.state() = State::default();
    }

    /// The resource variables assigned so far, as (shared name, value), in order of first use.
    pub fn variables(&self) -> Vec<(String, Value)> {
        self.state().variables()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
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
        let b = &self.main;
        let mut live: usize = g.inputs.iter().map(|&t| bytes(t)).sum();
        let mut peak = live;
        for (s, &ni) in b.steps.iter().enumerate() {
            let n = &g.nodes[ni];
            live += n.outputs.iter().map(|&o| bytes(o)).sum::<usize>();
            peak = peak.max(live);
            let mut freed: Vec<usize> = n
                .inputs
                .iter()
                .flatten()
                .copied()
                .filter(|&t| b.last_use[t] == s && b.consts[t].is_none())
                .collect();
            freed.extend(
                n.outputs
                    .iter()
                    .copied()
                    .filter(|&o| b.last_use[o] == UNUSED),
            );
            freed.sort_unstable();
            freed.dedup();
            live = live.saturating_sub(freed.iter().map(|&t| bytes(t)).sum());
        }
        peak
    }

    /// The int8 numerics this session follows.
    pub fn numerics(&self) -> Numerics {
        self.numerics
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
            crate::parallel::with_threads(self.threads, || {
                self.execute(g, &self.main, &mut values, hooks, 0)
            })
        });
        *self.arena.lock().unwrap_or_else(|e| e.into_inner()) = arena;
        r?;
        take_outputs(g, &self.main, &mut values)
    }

    /// Run subgraph `i` on `inputs` (a control-flow node's call), `depth` calls deep.
    fn run_body(
        &self,
        i: usize,
        inputs: Vec<Value>,
        cancel: Option<&AtomicBool>,
        depth: usize,
    ) -> std::result::Result<Vec<Value>, CtlError> {
        let (Some(g), Some(Some(body))) =
            (self.graph.subgraph(i), self.subs.get(i.wrapping_sub(1)))
        else {
            return Err(OpError::Invalid(format!("subgraph {i} is not prepared")).into());
        };
        let fail =
            |m: String| CtlError::Op(OpError::Invalid(format!("subgraph {i} '{}' {m}", g.name)));
        if depth >= MAX_CALL_DEPTH {
            return Err(fail(format!(
                "is called more than {MAX_CALL_DEPTH} calls deep (does a subgraph call itself?)"
            )));
        }
        if inputs.len() != g.inputs.len() {
            return Err(fail(format!(
                "takes {} inputs, given {}",
                g.inputs.len(),
                inputs.len()
            )));
        }
        let mut values: Vec<Option<Value>> = vec![None; g.tensors.len()];
        for (k, (v, &t)) in inputs.into_iter().zip(&g.inputs).enumerate() {
            let want = g.tensors[t].dtype;
            if !same_type(v.dtype(), want) {
                return Err(fail(format!(
                    "input {k} '{}' is {want}, given {}",
                    g.tensors[t].name,
                    v.dtype()
                )));
            }
            values[t] = Some(v);
        }
        let mut hooks = RunHooks {
            cancel,
            ..Default::default()
        };
        let sub = |e: Error| match e {
            Error::Cancelled => CtlError::Run(e),
            e => CtlError::Op(OpError::Invalid(format!(
                "in subgraph {i} '{}': {}",
                g.name,
                e.chain()
            ))),
        };
        self.execute(g, body, &mut values, &mut hooks, depth)
            .map_err(sub)?;
        take_outputs(g, body, &mut values).map_err(sub)
    }

    /// Run a control-flow or variable node `n` of `g` on its input values.
    fn run_control(
        &self,
        c: &Control,
        g: &Graph,
        n: &Node,
        ins: Vec<Value>,
        cancel: Option<&AtomicBool>,
        depth: usize,
    ) -> std::result::Result<Vec<Value>, CtlError> {
        let call = |i: usize, ins: Vec<Value>| self.run_body(i, ins, cancel, depth + 1);
        let mut it = ins.into_iter();
        let mut arg = || it.next().ok_or(CtlError::Op(OpError::MissingInput(0)));
        Ok(match c {
            Control::VarHandle {
                container,
                shared_name,
            } => vec![self.state().handle(container, shared_name)],
            Control::ReadVariable => {
                let dt = n
                    .outputs
                    .first()
                    .map_or(DType::F32, |&o| g.tensors[o].dtype);
                let h = arg()?;
                vec![self.state().read(&h, dt)?]
            }
            Control::AssignVariable => {
                let (h, v) = (arg()?, arg()?);
                self.state().assign(&h, v)?;
                Vec::new()
            }
            Control::CallOnce { init } => {
                if !self.state().initialized.contains(init) {
                    call(*init, Vec::new())?;
                    self.state().initialized.insert(*init);
                }
                Vec::new()
            }
            Control::If { then, else_ } => {
                let cond = control::truth(&arg()?, "the IF condition")?;
                call(if cond { *then } else { *else_ }, it.collect())?
            }
            Control::While { cond, body } => {
                let mut vals: Vec<Value> = it.collect();
                loop {
                    if cancel.is_some_and(|c| c.load(Ordering::Relaxed)) {
                        return Err(CtlError::Run(Error::Cancelled));
                    }
                    let c = call(*cond, vals.clone())?;
                    let go = c.first().map(|v| control::truth(v, "the WHILE condition"));
                    if !go.unwrap_or(Ok(false))? {
                        break vals;
                    }
                    vals = call(*body, vals)?;
                }
            }
            Control::Call { subgraph } => call(*subgraph, it.collect())?,
        })
    }

    fn execute(
        &self,
        g: &Graph,
        body: &Body,
        values: &mut [Option<Value>],
        hooks: &mut RunHooks<'_>,
        depth: usize,
    ) -> Result<()> {
        // Folded PADs skip nodes, so an observer (which sees every node) gets the plain plan.
        let (steps, last_use, folded) = match (&body.fused, hooks.observer.is_none()) {
            (Some(p), true) => (&p.steps[..], &p.last_use[..], Some(&p.folded[..])),
            _ => (&body.steps[..], &body.last_use[..], None),
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
                    (last_use[t] == s && once && body.consts[t].is_none())
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
                    (Some(t), None) => body.consts[*t]
                        .as_ref()
                        .or(values[*t].as_ref())
                        .map(|v| Some(In::Ref(v)))
                        .ok_or_else(|| err(format!("input tensor {t} has no value").into())),
                })
                .collect::<Result<_>>()?;
            let outs = match &body.control[ni] {
                Some(c) => {
                    let vals = ins
                        .into_iter()
                        .enumerate()
                        .map(|(k, x)| x.map(take_in).ok_or(OpError::MissingInput(k)))
                        .collect::<std::result::Result<Vec<_>, _>>()
                        .map_err(err)?;
                    self.run_control(c, g, n, vals, hooks.cancel, depth)
                        .map_err(|e| e.at(ni, n))?
                }
                None => {
                    let mut ctx =
                        EvalCtx::for_node(g, n, self.threads).with_cache(g, n, &body.prepared[ni]);
                    ctx.input_pad = fold.map(|f| f.pads);
                    ctx.numerics = self.numerics;
                    ops::eval(&n.op, ins, &ctx).map_err(err)?
                }
            };
            if outs.len() != n.outputs.len() {
                return Err(err(format!(
                    "produced {} outputs, expected {}",
                    outs.len(),
                    n.outputs.len()
                )
                .into()));
            }
            for (v, &o) in outs.iter().zip(&n.outputs) {
                if !same_type(v.dtype(), g.tensors[o].dtype) {
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

/// The value of a kernel input (a borrowed one cloned), leaving an empty one behind.
fn take_in(mut x: In<'_>) -> Value {
    match &mut x {
        In::Ref(v) => (*v).clone(),
        In::Own(v) => std::mem::replace(v, Value::f32(vec![0], Vec::new())),
    }
}

/// Whether a value of type `got` may stand for a tensor declared `want` (resource handles
/// travel as int32 ids).
fn same_type(got: DType, want: DType) -> bool {
    got == want || (want == DType::Resource && got == DType::I32)
}

/// The graph outputs of a finished run, in order (an output listed twice is copied).
fn take_outputs(g: &Graph, body: &Body, values: &mut [Option<Value>]) -> Result<Vec<Value>> {
    g.outputs
        .iter()
        .enumerate()
        .map(|(k, &o)| {
            let again = g.outputs[k + 1..].contains(&o);
            let v = if again {
                values[o].clone()
            } else {
                values[o].take()
            };
            v.or_else(|| body.consts[o].clone())
                .ok_or_else(|| InputError::NotComputed(g.tensors[o].name.clone()).into())
        })
        .collect()
}

/// A failure of a control-flow node: its own or its subgraph's (bad handle, condition,
/// a failing node inside, in words naming the subgraph), or a cancellation.
enum CtlError {
    Op(OpError),
    Run(Error),
}

impl From<OpError> for CtlError {
    fn from(e: OpError) -> Self {
        CtlError::Op(e)
    }
}

impl CtlError {
    /// The error of node `ni` (a cancellation passes through).
    fn at(self, ni: usize, n: &Node) -> Error {
        let source = match self {
            CtlError::Run(e) => return e,
            CtlError::Op(e) => e,
        };
        Error::Eval {
            node: node_label(ni, n),
            op: n.op.name(),
            source,
        }
    }
}
