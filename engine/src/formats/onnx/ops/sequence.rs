//! Recurrent ops: LSTM, GRU and RNN. Each becomes an exact unrolled subgraph of engine ops
//! (one FULLY_CONNECTED of the whole input sequence, then per step a FULLY_CONNECTED of the
//! hidden state, the gate activations and the state updates), so the sequence length must be
//! known once the input sizes are chosen. Weights (`W`, `R`, `B`, `P`) and `sequence_lens`
//! must be constants; the activations are any ONNX allows except Softplus and
//! ThresholdedRelu (which need ops outside this family).

use super::{AttrSpec, OpSpec, int, only_int, opt, spec, string};
use crate::formats::onnx::ctx::{Ctx, Node, NodeResult, first};
use crate::formats::onnx::error::{NodeError, bail, refuse};
use crate::ir::*;

const LSTM_ATTRS: &[AttrSpec] = &[
    opt("activation_alpha"),
    opt("activation_beta"),
    opt("activations"),
    opt("clip"),
    string("direction", "forward"),
    int("hidden_size", 0),
    only_int("input_forget", 0),
    int("layout", 0),
];
const GRU_ATTRS: &[AttrSpec] = &[
    opt("activation_alpha"),
    opt("activation_beta"),
    opt("activations"),
    opt("clip"),
    string("direction", "forward"),
    int("hidden_size", 0),
    int("layout", 0),
    int("linear_before_reset", 0),
];
const RNN_ATTRS: &[AttrSpec] = &[
    opt("activation_alpha"),
    opt("activation_beta"),
    opt("activations"),
    opt("clip"),
    string("direction", "forward"),
    int("hidden_size", 0),
    int("layout", 0),
];

/// The ops of this family.
pub(super) const OPS: &[OpSpec] = &[
    spec("LSTM", 7..=28, 3..=8, 1..=3, LSTM_ATTRS, import_lstm),
    spec("GRU", 7..=28, 3..=6, 1..=2, GRU_ATTRS, import_gru),
    spec("RNN", 7..=28, 3..=6, 1..=2, RNN_ATTRS, import_rnn),
];

/// Which recurrent cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cell {
    Lstm,
    Gru,
    Rnn,
}

impl Cell {
    /// Gates stacked in `W` and `R`.
    fn gates(self) -> usize {
        match self {
            Cell::Lstm => 4,
            Cell::Gru => 3,
            Cell::Rnn => 1,
        }
    }

    /// The default activations of one direction.
    fn default_acts(self) -> &'static [&'static str] {
        match self {
            Cell::Lstm => &["Sigmoid", "Tanh", "Tanh"],
            Cell::Gru => &["Sigmoid", "Tanh"],
            Cell::Rnn => &["Tanh"],
        }
    }
}

/// One activation function with its parameters.
#[derive(Debug, Clone, PartialEq)]
struct ActFn {
    name: String,
    alpha: f32,
    beta: f32,
}

fn import_lstm(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    import_recurrent(c, n, Cell::Lstm)
}

fn import_gru(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    import_recurrent(c, n, Cell::Gru)
}

fn import_rnn(c: &mut Ctx<'_>, n: &Node<'_>) -> NodeResult<Vec<TensorId>> {
    import_recurrent(c, n, Cell::Rnn)
}

/// The activations of every direction, with the alphas and betas consumed in order by the
/// functions that take them (as ONNX Runtime reads them).
fn activations(n: &Node<'_>, cell: Cell, dirs: usize) -> NodeResult<Vec<ActFn>> {
    let per = cell.default_acts().len();
    let names: Vec<String> = match n
        .proto
        .attribute
        .iter()
        .find(|a| a.name.as_deref() == Some("activations"))
    {
        Some(a) if !a.strings.is_empty() => a
            .strings
            .iter()
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .collect(),
        _ => (0..dirs)
            .flat_map(|_| cell.default_acts().iter().map(|s| s.to_string()))
            .collect(),
    };
    if names.len() != per * dirs {
        bail!(
            "{} needs {} activations for {dirs} direction(s), the node gives {}",
            n.op,
            per * dirs,
            names.len()
        );
    }
    let alphas = n.floats("activation_alpha")?.unwrap_or_default();
    let betas = n.floats("activation_beta")?.unwrap_or_default();
    let (mut ai, mut bi) = (alphas.iter(), betas.iter());
    names
        .into_iter()
        .map(|name| {
            let (da, db): (Option<f32>, Option<f32>) = match name.to_ascii_lowercase().as_str() {
                "sigmoid" | "tanh" | "relu" | "softsign" => (None, None),
                "affine" => (Some(1.0), Some(0.0)),
                "leakyrelu" => (Some(0.01), None),
                "thresholdedrelu" => (Some(1.0), None),
                "scaledtanh" => (Some(1.0), Some(1.0)),
                "hardsigmoid" => (Some(0.2), Some(0.5)),
                "elu" => (Some(1.0), None),
                "softplus" => (None, None),
                other => refuse!("{} activation '{other}' is not one ONNX defines", n.op),
            };
            let alpha = da.map_or(0.0, |d| ai.next().copied().unwrap_or(d));
            let beta = db.map_or(0.0, |d| bi.next().copied().unwrap_or(d));
            Ok(ActFn { name, alpha, beta })
        })
        .collect()
}

/// Constant floats of `t` with the expected element count.
fn weights(c: &Ctx<'_>, t: TensorId, what: &str, numel: usize) -> NodeResult<Vec<f32>> {
    let v = c.const_f32(t, what)?;
    if v.len() != numel {
        bail!("{what} holds {} values, expected {numel}", v.len());
    }
    Ok(v)
}

fn f32_const(c: &mut Ctx<'_>, what: &str, shape: Vec<usize>, v: Vec<f32>) -> TensorId {
    let nm = c.fresh(what);
    c.konst(&nm, Value::new(shape, Data::F32(v)))
}

fn fc(c: &mut Ctx<'_>, x: TensorId, w: TensorId, b: Option<TensorId>) -> NodeResult<TensorId> {
    c.emit1(
        Op::FullyConnected(FullyConnected {
            act: Activation::None,
            keep_num_dims: false,
            asymmetric_quantize_inputs: false,
        }),
        vec![Some(x), Some(w), b],
    )
}

fn split(c: &mut Ctx<'_>, x: TensorId, parts: usize) -> NodeResult<Vec<TensorId>> {
    if parts == 1 {
        return Ok(vec![x]);
    }
    let axis = c.ints_const("axis", &[1]);
    let dt = vec![c.dtype(x); parts];
    c.emit(
        Op::Split { num_splits: parts },
        vec![Some(axis), Some(x)],
        &dt,
    )
}

fn slice(c: &mut Ctx<'_>, x: TensorId, begin: &[i64], size: &[i64]) -> NodeResult<TensorId> {
    let b = c.ints_const("begin", begin);
    let s = c.ints_const("size", size);
    c.emit1(Op::Slice, vec![Some(x), Some(b), Some(s)])
}

fn concat(c: &mut Ctx<'_>, xs: Vec<TensorId>, axis: i32) -> NodeResult<TensorId> {
    if xs.len() == 1 {
        return first(xs);
    }
    c.emit1(
        Op::Concatenation {
            axis,
            act: Activation::None,
        },
        xs.into_iter().map(Some).collect(),
    )
}

fn bin(c: &mut Ctx<'_>, k: BinaryKind, a: TensorId, b: TensorId) -> NodeResult<TensorId> {
    c.binary(k, a, b)
}

/// `f(x)` for one ONNX activation, in engine ops (exact formulas).
fn apply(c: &mut Ctx<'_>, f: &ActFn, x: TensorId) -> NodeResult<TensorId> {
    use BinaryKind::*;
    match f.name.to_ascii_lowercase().as_str() {
        "sigmoid" => c.unary(UnaryKind::Logistic, x),
        "tanh" => c.unary(UnaryKind::Tanh, x),
        "relu" => c.unary(UnaryKind::Relu, x),
        "leakyrelu" => c.emit1(Op::LeakyRelu { alpha: f.alpha }, vec![Some(x)]),
        "affine" => {
            let (a, b) = (c.scalar(f.alpha), c.scalar(f.beta));
            let y = bin(c, Mul, x, a)?;
            bin(c, Add, y, b)
        }
        "scaledtanh" => {
            let (a, b) = (c.scalar(f.alpha), c.scalar(f.beta));
            let y = bin(c, Mul, x, b)?;
            let y = c.unary(UnaryKind::Tanh, y)?;
            bin(c, Mul, y, a)
        }
        "hardsigmoid" => {
            let (a, b) = (c.scalar(f.alpha), c.scalar(f.beta));
            let (zero, one) = (c.scalar(0.0), c.scalar(1.0));
            let y = bin(c, Mul, x, a)?;
            let y = bin(c, Add, y, b)?;
            let y = bin(c, Minimum, y, one)?;
            bin(c, Maximum, y, zero)
        }
        "elu" => {
            // max(x, 0) + alpha * (exp(min(x, 0)) - 1)
            let (zero, one, a) = (c.scalar(0.0), c.scalar(1.0), c.scalar(f.alpha));
            let pos = bin(c, Maximum, x, zero)?;
            let neg = bin(c, Minimum, x, zero)?;
            let e = c.unary(UnaryKind::Exp, neg)?;
            let e = bin(c, Sub, e, one)?;
            let e = bin(c, Mul, e, a)?;
            bin(c, Add, pos, e)
        }
        "softsign" => {
            // x / (1 + max(x, -x))
            let (one, m1) = (c.scalar(1.0), c.scalar(-1.0));
            let nx = bin(c, Mul, x, m1)?;
            let ax = bin(c, Maximum, x, nx)?;
            let d = bin(c, Add, ax, one)?;
            bin(c, Div, x, d)
        }
        other => refuse!("recurrent activation {other} has no exact engine form yet"),
    }
}

/// Clip a gate's pre-activation to `[-clip, clip]`.
fn clipped(c: &mut Ctx<'_>, x: TensorId, clip: Option<f32>) -> NodeResult<TensorId> {
    match clip {
        None => Ok(x),
        Some(v) => {
            let (lo, hi) = (c.scalar(-v), c.scalar(v));
            let y = bin(c, BinaryKind::Minimum, x, hi)?;
            bin(c, BinaryKind::Maximum, y, lo)
        }
    }
}

/// The constant `[batch, 1]` mask of step `t` (1 where the batch entry is still running).
fn step_mask(c: &mut Ctx<'_>, lens: &[i64], t: usize) -> TensorId {
    let m = lens
        .iter()
        .map(|&l| if (t as i64) < l { 1.0 } else { 0.0 })
        .collect();
    f32_const(c, "mask", vec![lens.len(), 1], m)
}

/// `new * m + old * (1 - m)`: the state where the mask is 1, the held one elsewhere.
fn masked(
    c: &mut Ctx<'_>,
    new: TensorId,
    old: TensorId,
    m: TensorId,
    inv: TensorId,
) -> NodeResult<TensorId> {
    let a = bin(c, BinaryKind::Mul, new, m)?;
    let b = bin(c, BinaryKind::Mul, old, inv)?;
    bin(c, BinaryKind::Add, a, b)
}

/// The fixed configuration of one node.
struct Setup {
    cell: Cell,
    seq: usize,
    batch: usize,
    input: usize,
    hidden: usize,
    clip: Option<f32>,
    lbr: bool,
    lens: Option<Vec<i64>>,
}

/// State `[batch, hidden]` of direction `k` from an initial-state input `[dirs, batch, hidden]`.
fn initial(c: &mut Ctx<'_>, s: &Setup, t: Option<TensorId>, k: usize) -> NodeResult<TensorId> {
    match t {
        None => Ok(f32_const(
            c,
            "zeros",
            vec![s.batch, s.hidden],
            vec![0.0; s.batch * s.hidden],
        )),
        Some(t) => {
            let (b, h) = (s.batch as i64, s.hidden as i64);
            let y = slice(c, t, &[k as i64, 0, 0], &[1, b, h])?;
            c.reshape(y, &[s.batch, s.hidden])
        }
    }
}

/// Everything one direction needs.
struct Dir<'a> {
    k: usize,
    reverse: bool,
    acts: &'a [ActFn],
    w: &'a [f32],
    r: &'a [f32],
    b: Option<&'a [f32]>,
    p: Option<&'a [f32]>,
}

/// Unroll one direction over `x` `[seq, batch, input]`: `(Y [seq, 1, batch, h], Y_h, Y_c)`
/// with the final states as `[1, batch, h]`.
#[expect(
    clippy::indexing_slicing,
    reason = "import_recurrent checked W, R, B and P against their expected sizes (weights()), activations() returned one function per gate activation and direction, and ys has one slot per step"
)]
fn unroll(
    c: &mut Ctx<'_>,
    s: &Setup,
    d: &Dir<'_>,
    x: TensorId,
    h0: Option<TensorId>,
    c0: Option<TensorId>,
) -> NodeResult<(TensorId, TensorId, Option<TensorId>)> {
    use BinaryKind::*;
    let (g, h, inp) = (s.cell.gates(), s.hidden, s.input);
    let gh = g * h;
    let wk = &d.w[d.k * gh * inp..(d.k + 1) * gh * inp];
    let rk = &d.r[d.k * gh * h..(d.k + 1) * gh * h];
    let bk: Vec<f32> = match d.b {
        Some(b) => b[d.k * 2 * gh..(d.k + 1) * 2 * gh].to_vec(),
        None => vec![0.0; 2 * gh],
    };
    let (wb, rb) = bk.split_at(gh);
    // Recurrence biases fold into the input product's, except GRU's `Rbh` with
    // linear_before_reset (it is applied inside the reset gate's product).
    let xbias: Vec<f32> = (0..gh)
        .map(|i| {
            let keep_inside = s.cell == Cell::Gru && s.lbr && i >= 2 * h;
            if keep_inside { wb[i] } else { wb[i] + rb[i] }
        })
        .collect();
    let w_t = f32_const(c, "W", vec![gh, inp], wk.to_vec());
    let xb = f32_const(c, "Wb", vec![gh], xbias);
    let xf = c.reshape(x, &[s.seq * s.batch, inp])?;
    let xw = fc(c, xf, w_t, Some(xb))?;
    // GRU multiplies the hidden gate's recurrence separately.
    let (r_main, r_h, rbh) = if s.cell == Cell::Gru {
        let rm = f32_const(c, "R", vec![2 * h, h], rk[..2 * h * h].to_vec());
        let rh = f32_const(c, "Rh", vec![h, h], rk[2 * h * h..].to_vec());
        let rbh = s
            .lbr
            .then(|| f32_const(c, "Rbh", vec![h], rb[2 * h..].to_vec()));
        (rm, Some(rh), rbh)
    } else {
        (f32_const(c, "R", vec![gh, h], rk.to_vec()), None, None)
    };
    let peep = match d.p {
        Some(p) => {
            let pk = &p[d.k * 3 * h..(d.k + 1) * 3 * h];
            let mk = |c: &mut Ctx<'_>, j: usize| {
                f32_const(c, "P", vec![h], pk[j * h..(j + 1) * h].to_vec())
            };
            Some([mk(c, 0), mk(c, 1), mk(c, 2)])
        }
        None => None,
    };
    let mut hs = initial(c, s, h0, d.k)?;
    let mut cs = if s.cell == Cell::Lstm {
        Some(initial(c, s, c0, d.k)?)
    } else {
        None
    };
    let full = s
        .lens
        .as_ref()
        .is_none_or(|l| l.iter().all(|&v| v == s.seq as i64));
    if !full && d.reverse {
        refuse!(
            "{:?} in reverse with sequence_lens shorter than the sequence is not supported yet",
            s.cell
        );
    }
    let one = c.scalar(1.0);
    let mut ys: Vec<Option<TensorId>> = vec![None; s.seq];
    let order: Vec<usize> = if d.reverse {
        (0..s.seq).rev().collect()
    } else {
        (0..s.seq).collect()
    };
    let f = &d.acts[0];
    for t in order {
        let xt = slice(
            c,
            xw,
            &[(t * s.batch) as i64, 0],
            &[s.batch as i64, gh as i64],
        )?;
        let hr = fc(c, hs, r_main, None)?;
        let (hn, cn) = match s.cell {
            Cell::Rnn => {
                let a = bin(c, Add, xt, hr)?;
                let a = clipped(c, a, s.clip)?;
                (apply(c, f, a)?, None)
            }
            Cell::Lstm => {
                let cprev =
                    cs.ok_or_else(|| NodeError::Invalid("internal: no cell state".into()))?;
                let a = bin(c, Add, xt, hr)?;
                let parts = split(c, a, 4)?;
                let [mut i, mut o, mut fg, cc] = <[TensorId; 4]>::try_from(parts)
                    .map_err(|_| NodeError::Invalid("internal: split".into()))?;
                if let Some([pi, _, pf]) = peep {
                    let m = bin(c, Mul, cprev, pi)?;
                    i = bin(c, Add, i, m)?;
                    let m = bin(c, Mul, cprev, pf)?;
                    fg = bin(c, Add, fg, m)?;
                }
                let i = clipped(c, i, s.clip)?;
                let i = apply(c, f, i)?;
                let fg = clipped(c, fg, s.clip)?;
                let fg = apply(c, f, fg)?;
                let cc = clipped(c, cc, s.clip)?;
                let cc = apply(c, &d.acts[1], cc)?;
                let a = bin(c, Mul, fg, cprev)?;
                let b = bin(c, Mul, i, cc)?;
                let cn = bin(c, Add, a, b)?;
                if let Some([_, po, _]) = peep {
                    let m = bin(c, Mul, cn, po)?;
                    o = bin(c, Add, o, m)?;
                }
                let o = clipped(c, o, s.clip)?;
                let o = apply(c, f, o)?;
                let hc = apply(c, &d.acts[2], cn)?;
                (bin(c, Mul, o, hc)?, Some(cn))
            }
            Cell::Gru => {
                let xs = split(c, xt, 3)?;
                let hs2 = split(c, hr, 2)?;
                let (Some(&xz), Some(&xr), Some(&xh), Some(&hz), Some(&hrr)) =
                    (xs.first(), xs.get(1), xs.get(2), hs2.first(), hs2.get(1))
                else {
                    bail!("internal: split");
                };
                let rh = r_h.ok_or_else(|| NodeError::Invalid("internal: no Rh".into()))?;
                let z = bin(c, Add, xz, hz)?;
                let z = clipped(c, z, s.clip)?;
                let z = apply(c, f, z)?;
                let r = bin(c, Add, xr, hrr)?;
                let r = clipped(c, r, s.clip)?;
                let r = apply(c, f, r)?;
                let inner = if s.lbr {
                    let p = fc(c, hs, rh, rbh)?;
                    bin(c, Mul, r, p)?
                } else {
                    let rh_in = bin(c, Mul, r, hs)?;
                    fc(c, rh_in, rh, None)?
                };
                let a = bin(c, Add, xh, inner)?;
                let a = clipped(c, a, s.clip)?;
                let hh = apply(c, &d.acts[1], a)?;
                let omz = bin(c, Sub, one, z)?;
                let a = bin(c, Mul, omz, hh)?;
                let b = bin(c, Mul, z, hs)?;
                (bin(c, Add, a, b)?, None)
            }
        };
        match s.lens.as_ref().filter(|_| !full) {
            Some(lens) => {
                let m = step_mask(c, lens, t);
                let inv = bin(c, Sub, one, m)?;
                ys[t] = Some(bin(c, Mul, hn, m)?);
                hs = masked(c, hn, hs, m, inv)?;
                if let (Some(cn), Some(cp)) = (cn, cs) {
                    cs = Some(masked(c, cn, cp, m, inv)?);
                }
            }
            None => {
                ys[t] = Some(hn);
                hs = hn;
                cs = cn.or(cs);
            }
        }
    }
    let ys: Vec<TensorId> = ys.into_iter().flatten().collect();
    let y = concat(c, ys, 0)?;
    let y = c.reshape(y, &[s.seq, 1, s.batch, h])?;
    let yh = c.reshape(hs, &[1, s.batch, h])?;
    let yc = match cs {
        Some(t) => Some(c.reshape(t, &[1, s.batch, h])?),
        None => None,
    };
    Ok((y, yh, yc))
}

fn import_recurrent(c: &mut Ctx<'_>, n: &Node<'_>, cell: Cell) -> NodeResult<Vec<TensorId>> {
    let x = c.need(n, 0)?;
    let (w, r) = (c.need(n, 1)?, c.need(n, 2)?);
    let b = c.input(n, 3)?;
    let lens_t = c.input(n, 4)?;
    let mut h0 = c.input(n, 5)?;
    let (mut c0, p) = if cell == Cell::Lstm {
        (c.input(n, 6)?, c.input(n, 7)?)
    } else {
        (None, None)
    };
    if c.dtype(x) != DType::F32 {
        refuse!("{} on {} input (float only)", n.op, c.dtype(x));
    }
    let dirs: Vec<bool> = match n.s("direction")?.as_str() {
        "forward" => vec![false],
        "reverse" => vec![true],
        "bidirectional" => vec![false, true],
        other => bail!("unknown direction '{other}'"),
    };
    let nd = dirs.len();
    let layout = n.i("layout")?;
    let mut x = x;
    if layout == 1 {
        if c.rank(x) != 3 {
            bail!("{} input must be 3-D, got {:?}", n.op, c.shape(x));
        }
        x = c.transpose(x, &[1, 0, 2])?;
        if let Some(t) = h0 {
            h0 = Some(c.transpose(t, &[1, 0, 2])?);
        }
        if let Some(t) = c0 {
            c0 = Some(c.transpose(t, &[1, 0, 2])?);
        }
    } else if layout != 0 {
        bail!("unknown layout {layout}");
    }
    let [seq, batch, input] =
        crate::formats::onnx::ctx::dims_n::<3>(&c.shape(x), "the sequence input")?;
    let ws = c.shape(w);
    let g = cell.gates();
    let hidden = match n.i("hidden_size")? {
        h if h > 0 => h as usize,
        _ => ws.get(1).copied().unwrap_or(0) / g,
    };
    if ws != [nd, g * hidden, input] {
        bail!(
            "{} W has shape {ws:?}, expected {:?}",
            n.op,
            [nd, g * hidden, input]
        );
    }
    if seq == 0 || batch == 0 {
        refuse!("{} over an empty sequence or batch", n.op);
    }
    let wv = weights(c, w, "W", nd * g * hidden * input)?;
    let rv = weights(c, r, "R", nd * g * hidden * hidden)?;
    let bv = b
        .map(|b| weights(c, b, "B", nd * 2 * g * hidden))
        .transpose()?;
    let pv = p.map(|p| weights(c, p, "P", nd * 3 * hidden)).transpose()?;
    let lens = match lens_t {
        Some(t) => {
            let v = c.const_ints(t, "sequence_lens")?;
            if v.len() != batch || v.iter().any(|&l| l < 0 || l > seq as i64) {
                bail!("sequence_lens {v:?} does not fit batch {batch} and length {seq}");
            }
            Some(v)
        }
        None => None,
    };
    let clip = if n.has("clip") {
        Some(n.f("clip")?)
    } else {
        None
    };
    let acts = activations(n, cell, nd)?;
    if acts.iter().any(|a| {
        matches!(
            a.name.to_ascii_lowercase().as_str(),
            "softplus" | "thresholdedrelu"
        )
    }) {
        refuse!("{} with a Softplus or ThresholdedRelu activation", n.op);
    }
    let s = Setup {
        cell,
        seq,
        batch,
        input,
        hidden,
        clip,
        lbr: cell == Cell::Gru && n.i("linear_before_reset")? != 0,
        lens,
    };
    let per = cell.default_acts().len();
    let (mut ys, mut yhs, mut ycs) = (Vec::new(), Vec::new(), Vec::new());
    for (k, &reverse) in dirs.iter().enumerate() {
        let d = Dir {
            k,
            reverse,
            acts: acts.get(k * per..(k + 1) * per).unwrap_or_default(),
            w: &wv,
            r: &rv,
            b: bv.as_deref(),
            p: pv.as_deref(),
        };
        let (y, yh, yc) = unroll(c, &s, &d, x, h0, c0)?;
        ys.push(y);
        yhs.push(yh);
        ycs.extend(yc);
    }
    let mut y = concat(c, ys, 1)?;
    let mut yh = concat(c, yhs, 0)?;
    let mut yc = if ycs.is_empty() {
        None
    } else {
        Some(concat(c, ycs, 0)?)
    };
    if layout == 1 {
        y = c.transpose(y, &[2, 0, 1, 3])?;
        yh = c.transpose(yh, &[1, 0, 2])?;
        if let Some(t) = yc {
            yc = Some(c.transpose(t, &[1, 0, 2])?);
        }
    }
    let mut outs = vec![y, yh];
    outs.extend(yc);
    outs.truncate(n.outputs());
    Ok(outs)
}
