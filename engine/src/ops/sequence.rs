//! Recurrent ops (`Op::Sequence`): shape inference and float evaluation of LSTM,
//! UNIDIRECTIONAL_SEQUENCE_LSTM, RNN, UNIDIRECTIONAL_SEQUENCE_RNN and SVDF, with TFLite's
//! input order, and the hybrid RNNs (int8 weights, LiteRT's `RnnBatchStep`). State inputs (the file's variable tensors) are read as the state before the
//! call; when absent the state starts at zero.
//!
//! LSTM inputs: 0 x, 1–4 input weights (input, forget, cell, output gates; the input gate's
//! absent for CIFG), 5–8 recurrent weights, 9–11 peepholes (input, forget, output), 12–15
//! biases, 16 projection weights, 17 projection bias, 18 output state, 19 cell state, 20–23
//! layer-norm coefficients. RNN inputs: x, weights, recurrent weights, bias, hidden state.
//! SVDF inputs: x, feature weights, time weights, bias, activation state.

use super::{EvalCtx, Fact, InferResult, Ins, arg, need};
use crate::error::OpError;
use crate::ir::{Activation, DType, Data, SeqOp, Value};
use crate::kernels::lstm::{
    Gate, LstmCell, QWeights, SeqAct, SvdfDims, rnn_step, rnn_step_hybrid, svdf_features,
    svdf_features_hybrid, svdf_step,
};

type R<T> = std::result::Result<T, OpError>;

pub(super) fn seq_act(a: Activation) -> R<SeqAct> {
    Ok(match a {
        Activation::None => SeqAct::None,
        Activation::Relu => SeqAct::Relu,
        Activation::ReluN1To1 => SeqAct::Relu1,
        Activation::Relu6 => SeqAct::Relu6,
        Activation::Tanh => SeqAct::Tanh,
        Activation::SignBit => return Err("SIGN_BIT activation in a recurrent op".into()),
    })
}

fn dim(s: &[usize], i: usize, what: &str) -> R<usize> {
    s.get(i)
        .copied()
        .ok_or_else(|| OpError::Invalid(format!("{what} has shape {s:?}")))
}

fn rank_is(s: &[usize], r: usize, what: &str) -> R<()> {
    if s.len() == r {
        Ok(())
    } else {
        Err(OpError::Invalid(format!(
            "{what} must be {r}-D, got shape {s:?}"
        )))
    }
}

/// Output units of an LSTM: the projection's rows, else the cell count (`base` 0 for the
/// forward or only direction, 17 for a bidirectional op's backward one).
fn lstm_units(ins: &[Option<Fact<'_>>], base: usize) -> R<usize> {
    match ins.get(base + 16).copied().flatten() {
        Some(p) => dim(p.shape, 0, "projection weights"),
        None => dim(need(ins, base + 2)?.shape, 0, "input-to-forget weights"),
    }
}

/// Infer output types and shapes.
pub(super) fn infer(op: &SeqOp, ins: &[Option<Fact<'_>>]) -> InferResult {
    let x = need(ins, 0)?;
    let s = x.shape;
    let out = match op {
        SeqOp::UnidirectionalLstm(_) => {
            rank_is(s, 3, "the sequence input")?;
            vec![s[0], s[1], lstm_units(ins, 0)?]
        }
        SeqOp::Lstm(_) => {
            rank_is(s, 2, "the LSTM input")?;
            vec![s[0], lstm_units(ins, 0)?]
        }
        SeqOp::UnidirectionalRnn(_) => {
            rank_is(s, 3, "the sequence input")?;
            vec![s[0], s[1], dim(need(ins, 1)?.shape, 0, "RNN weights")?]
        }
        SeqOp::Rnn(_) => {
            rank_is(s, 2, "the RNN input")?;
            vec![s[0], dim(need(ins, 1)?.shape, 0, "RNN weights")?]
        }
        SeqOp::BidirectionalLstm { merge_outputs, .. }
        | SeqOp::BidirectionalRnn { merge_outputs, .. } => {
            rank_is(s, 3, "the sequence input")?;
            let (f, b) = match op {
                SeqOp::BidirectionalLstm { .. } => (lstm_units(ins, 0)?, lstm_units(ins, 17)?),
                _ => (
                    dim(need(ins, 1)?.shape, 0, "forward RNN weights")?,
                    dim(need(ins, 5)?.shape, 0, "backward RNN weights")?,
                ),
            };
            return Ok(Some(if *merge_outputs {
                vec![(x.dtype, vec![s[0], s[1], f + b])]
            } else {
                vec![
                    (x.dtype, vec![s[0], s[1], f]),
                    (x.dtype, vec![s[0], s[1], b]),
                ]
            }));
        }
        SeqOp::Svdf { rank, .. } => {
            rank_is(s, 2, "the SVDF input")?;
            let filters = dim(need(ins, 1)?.shape, 0, "SVDF feature weights")?;
            if *rank == 0 || filters % rank != 0 {
                return Err(OpError::Invalid(format!(
                    "SVDF rank {rank} does not divide {filters} filters"
                )));
            }
            vec![s[0], filters / rank]
        }
    };
    Ok(Some(vec![(x.dtype, out)]))
}

/// Why the runtime cannot run this node, if it cannot.
pub(super) fn unsupported_reason(op: &SeqOp, in_dtypes: &[Option<DType>]) -> Option<String> {
    let aux = match op {
        SeqOp::BidirectionalLstm { .. } => Some(39),
        SeqOp::BidirectionalRnn { .. } => Some(9),
        _ => None,
    };
    if aux.is_some_and(|i| in_dtypes.get(i).copied().flatten().is_some()) {
        return Some(format!("{} with an auxiliary input", op.name()));
    }
    let weights_f32 = in_dtypes.iter().skip(1).flatten().all(|&d| d == DType::F32);
    // The hybrid RNN and SVDF: int8 weights (inputs 1 and 2), the rest float.
    let hybrid_rnn = matches!(
        op,
        SeqOp::Rnn(_) | SeqOp::UnidirectionalRnn(_) | SeqOp::Svdf { .. }
    ) && in_dtypes
        .get(1..3)
        .is_some_and(|w| w.iter().all(|&d| d == Some(DType::I8)))
        && in_dtypes.iter().skip(3).flatten().all(|&d| d == DType::F32);
    let weights_f32 = weights_f32 || hybrid_rnn;
    match in_dtypes.first().copied().flatten() {
        Some(DType::F32) | None if weights_f32 => None,
        Some(DType::F32) | None => Some(format!(
            "{} with quantized weights (hybrid form not implemented)",
            op.name()
        )),
        Some(t) => Some(format!("{} ({t})", op.name())),
    }
}

/// The int8 weights at inputs `idx` with their per-tensor scales, when the first is int8
/// (a hybrid op: then every one must be).
fn hybrid_weights<'b, const N: usize>(
    ins: &'b Ins<'_>,
    ctx: &EvalCtx<'_>,
    idx: [usize; N],
) -> R<Option<[QWeights<'b>; N]>> {
    let first = idx
        .first()
        .and_then(|&i| ins.get(i))
        .and_then(|x| x.as_ref());
    if first.is_none_or(|v| v.v().dtype() != DType::I8) {
        return Ok(None);
    }
    let mut out = Vec::with_capacity(N);
    for i in idx {
        let v = arg(ins, i)?;
        let (Data::I8(w), Some(q)) = (&v.data, ctx.in_quant.get(i).copied().flatten()) else {
            return Err(OpError::Invalid(format!(
                "hybrid weights: input {i} must be int8 with a scale"
            )));
        };
        let scale = *q.scale.first().ok_or("int8 weights without a scale")?;
        out.push(QWeights { w, scale });
    }
    Ok(out.try_into().ok())
}

/// f32 data of optional input `i`.
pub(super) fn opt_f32<'b>(ins: &'b Ins<'_>, i: usize) -> R<Option<&'b [f32]>> {
    match ins.get(i).and_then(|x| x.as_ref()) {
        None => Ok(None),
        Some(v) => v
            .v()
            .as_f32()
            .map(Some)
            .ok_or_else(|| OpError::Invalid(format!("input {i} must be f32"))),
    }
}

pub(super) fn req_f32<'b>(ins: &'b Ins<'_>, i: usize) -> R<&'b [f32]> {
    opt_f32(ins, i)?.ok_or(OpError::MissingInput(i))
}

/// The state input `i` (or zeros), checked to hold `n` values.
pub(super) fn state(ins: &Ins<'_>, i: usize, n: usize) -> R<Vec<f32>> {
    match opt_f32(ins, i)? {
        Some(v) if v.len() == n => Ok(v.to_vec()),
        Some(v) => Err(OpError::Invalid(format!(
            "state input {i} holds {} values, expected {n}",
            v.len()
        ))),
        None => Ok(vec![0.0; n]),
    }
}

pub(super) fn check_len(v: &[f32], n: usize, what: &str) -> R<()> {
    if v.len() == n {
        Ok(())
    } else {
        Err(OpError::Invalid(format!(
            "{what} holds {} values, expected {n}",
            v.len()
        )))
    }
}

/// `[a, b, c]` → `[b, a, c]`.
pub(super) fn swap01(v: &[f32], a: usize, b: usize, c: usize) -> Vec<f32> {
    let mut out = vec![0.0; v.len()];
    for i in 0..a {
        for j in 0..b {
            out[(j * a + i) * c..(j * a + i + 1) * c]
                .copy_from_slice(&v[(i * b + j) * c..(i * b + j + 1) * c]);
        }
    }
    out
}

pub(super) fn lstm_cell<'b>(ins: &'b Ins<'_>, o: &crate::ir::LstmOptions) -> R<LstmCell<'b>> {
    let fw = arg(ins, 2)?;
    let [n_cell, n_input] = <[usize; 2]>::try_from(fw.shape.as_slice())
        .map_err(|_| OpError::Invalid(format!("input-to-forget weights {:?}", fw.shape)))?;
    let n_rec = if o.diagonal_recurrent_tensors {
        n_cell
    } else {
        dim(&arg(ins, 6)?.shape, 1, "recurrent-to-forget weights")?
    };
    let projection = match opt_f32(ins, 16)? {
        Some(w) => Some((w, opt_f32(ins, 17)?)),
        None => None,
    };
    let n_output = match projection {
        Some((w, _)) => w.len() / n_cell.max(1),
        None => n_cell,
    };
    if n_rec != n_output {
        return Err(OpError::Invalid(format!(
            "recurrent weights take {n_rec} values, the output has {n_output}"
        )));
    }
    let rec_len = if o.diagonal_recurrent_tensors {
        n_cell
    } else {
        n_cell * n_output
    };
    let gate = |wx: usize, wh: usize, p: Option<usize>, b: usize, ln: usize| -> R<Gate<'b>> {
        let g = Gate {
            wx: req_f32(ins, wx)?,
            wh: req_f32(ins, wh)?,
            peephole: p.map(|p| opt_f32(ins, p)).transpose()?.flatten(),
            bias: opt_f32(ins, b)?,
            layer_norm: opt_f32(ins, ln)?,
        };
        check_len(g.wx, n_cell * n_input, "input weights")?;
        check_len(g.wh, rec_len, "recurrent weights")?;
        for v in [g.peephole, g.bias, g.layer_norm].into_iter().flatten() {
            check_len(v, n_cell, "a per-cell vector")?;
        }
        Ok(g)
    };
    let input = if opt_f32(ins, 1)?.is_some() {
        Some(gate(1, 5, Some(9), 12, 20)?)
    } else {
        None
    };
    if let Some((w, b)) = projection {
        check_len(w, n_output * n_cell, "projection weights")?;
        if let Some(b) = b {
            check_len(b, n_output, "projection bias")?;
        }
    }
    Ok(LstmCell {
        input,
        forget: gate(2, 6, Some(10), 13, 21)?,
        cell: gate(3, 7, None, 14, 22)?,
        output: gate(4, 8, Some(11), 15, 23)?,
        projection,
        n_input,
        n_cell,
        n_output,
        act: seq_act(o.act)?,
        cell_clip: o.cell_clip,
        proj_clip: o.proj_clip,
        diagonal: o.diagonal_recurrent_tensors,
    })
}

/// Evaluate one node (float).
pub(super) fn eval(op: &SeqOp, ins: Ins<'_>, _ctx: &EvalCtx<'_>) -> R<Vec<Value>> {
    let xv = arg(&ins, 0)?;
    let x = xv.as_f32().ok_or("recurrent input must be f32")?;
    let shape = xv.shape.clone();
    match op {
        SeqOp::Lstm(o) | SeqOp::UnidirectionalLstm(o) => {
            let cell = lstm_cell(&ins, o)?;
            let seq = matches!(op, SeqOp::UnidirectionalLstm(_));
            let (t, b) = match (seq, shape.as_slice()) {
                (false, [b, _]) => (1, *b),
                (true, [a, b, _]) if o.time_major => (*a, *b),
                (true, [b, a, _]) => (*a, *b),
                _ => return Err(OpError::Invalid(format!("LSTM input shape {shape:?}"))),
            };
            check_len(x, t * b * cell.n_input, "the LSTM input")?;
            let xt = if seq && !o.time_major {
                swap01(x, b, t, cell.n_input)
            } else {
                x.to_vec()
            };
            let mut h = state(&ins, 18, b * cell.n_output)?;
            let mut c = state(&ins, 19, b * cell.n_cell)?;
            let mut out = Vec::with_capacity(t * b * cell.n_output);
            for step in 0..t {
                let xs = &xt[step * b * cell.n_input..(step + 1) * b * cell.n_input];
                cell.step(xs, &mut h, &mut c, b);
                out.extend_from_slice(&h);
            }
            let out = if seq && !o.time_major {
                swap01(&out, t, b, cell.n_output)
            } else {
                out
            };
            let mut s = shape;
            if let Some(l) = s.last_mut() {
                *l = cell.n_output;
            }
            Ok(vec![Value::f32(s, out)])
        }
        SeqOp::Rnn(o) | SeqOp::UnidirectionalRnn(o) => {
            let seq = matches!(op, SeqOp::UnidirectionalRnn(_));
            let wv = arg(&ins, 1)?;
            let [units, n_input] = <[usize; 2]>::try_from(wv.shape.as_slice())
                .map_err(|_| OpError::Invalid(format!("RNN weights {:?}", wv.shape)))?;
            let (t, b) = match (seq, shape.as_slice()) {
                (false, [b, _]) => (1, *b),
                (true, [a, b, _]) if o.time_major => (*a, *b),
                (true, [b, a, _]) => (*a, *b),
                _ => return Err(OpError::Invalid(format!("RNN input shape {shape:?}"))),
            };
            let hybrid = hybrid_weights(&ins, _ctx, [1, 2])?;
            let (w, r) = match hybrid {
                Some(_) => (&[][..], &[][..]),
                None => (req_f32(&ins, 1)?, req_f32(&ins, 2)?),
            };
            let bias = req_f32(&ins, 3)?;
            check_len(x, t * b * n_input, "the RNN input")?;
            let r_len = hybrid.map_or(r.len(), |[_, rq]| rq.w.len());
            if r_len != units * units {
                return Err(OpError::Invalid(format!(
                    "recurrent weights hold {r_len} values, expected {}",
                    units * units
                )));
            }
            check_len(bias, units, "bias")?;
            let act = seq_act(o.act)?;
            let xt = if seq && !o.time_major {
                swap01(x, b, t, n_input)
            } else {
                x.to_vec()
            };
            let mut h = state(&ins, 4, b * units)?;
            let mut out = Vec::with_capacity(t * b * units);
            for step in 0..t {
                let xs = &xt[step * b * n_input..(step + 1) * b * n_input];
                match hybrid {
                    Some([wq, rq]) => rnn_step_hybrid(
                        wq,
                        rq,
                        bias,
                        act,
                        xs,
                        &mut h,
                        n_input,
                        units,
                        o.asymmetric_quantize_inputs,
                    ),
                    None => rnn_step(w, r, bias, act, xs, &mut h, b, n_input, units),
                }
                out.extend_from_slice(&h);
            }
            let out = if seq && !o.time_major {
                swap01(&out, t, b, units)
            } else {
                out
            };
            let mut s = shape;
            if let Some(l) = s.last_mut() {
                *l = units;
            }
            Ok(vec![Value::f32(s, out)])
        }
        SeqOp::BidirectionalLstm {
            opts,
            merge_outputs,
        } => super::sequence_bidir::lstm(&ins, opts, *merge_outputs),
        SeqOp::BidirectionalRnn {
            opts,
            merge_outputs,
        } => super::sequence_bidir::rnn(&ins, opts, *merge_outputs),
        SeqOp::Svdf { rank, act, .. } => {
            let wf = arg(&ins, 1)?;
            let [filters, n_input] = <[usize; 2]>::try_from(wf.shape.as_slice())
                .map_err(|_| OpError::Invalid(format!("SVDF feature weights {:?}", wf.shape)))?;
            let memory = dim(&arg(&ins, 2)?.shape, 1, "SVDF time weights")?;
            let batch = dim(&shape, 0, "the SVDF input")?;
            let d = SvdfDims {
                batch,
                n_input,
                filters,
                memory,
                rank: *rank,
            };
            let units = filters / (*rank).max(1);
            check_len(x, batch * n_input, "the SVDF input")?;
            // Hybrid: int8 feature and time weights; the time weights are used dequantized.
            let (features, wt) = match hybrid_weights(&ins, _ctx, [1, 2])? {
                Some([wf, wtq]) => {
                    if wf.w.len() != filters * n_input {
                        return Err(OpError::Invalid("SVDF feature weights".into()));
                    }
                    let wt: Vec<f32> = wtq.w.iter().map(|&v| f32::from(v) * wtq.scale).collect();
                    let asym = matches!(
                        op,
                        SeqOp::Svdf {
                            asymmetric_quantize_inputs: true,
                            ..
                        }
                    );
                    (svdf_features_hybrid(d, wf, x, asym), wt)
                }
                None => {
                    let (wfv, wt) = (req_f32(&ins, 1)?, req_f32(&ins, 2)?);
                    (svdf_features(d, wfv, x), wt.to_vec())
                }
            };
            check_len(&wt, filters * memory, "SVDF time weights")?;
            let bias = opt_f32(&ins, 3)?;
            if let Some(b) = bias {
                check_len(b, units, "SVDF bias")?;
            }
            let mut st = state(&ins, 4, batch * filters * memory)?;
            let mut out = vec![0.0; batch * units];
            svdf_step(d, &features, &wt, bias, seq_act(*act)?, &mut st, &mut out);
            Ok(vec![Value::f32(vec![batch, units], out)])
        }
    }
}

/// Multiply-accumulates of one node.
pub(super) fn macs(op: &SeqOp, ins: &[Option<&[usize]>], outs: &[&[usize]]) -> u64 {
    let numel = |i: usize| -> u64 {
        ins.get(i)
            .copied()
            .flatten()
            .map_or(0, |s| s.iter().product::<usize>() as u64)
    };
    let rows = outs
        .first()
        .map_or(1, |s| s.iter().rev().skip(1).product::<usize>() as u64);
    let per_row = match op {
        SeqOp::Lstm(_) | SeqOp::UnidirectionalLstm(_) => (1..=8).chain([16]).map(numel).sum(),
        SeqOp::Rnn(_) | SeqOp::UnidirectionalRnn(_) => numel(1) + numel(2),
        SeqOp::Svdf { .. } => numel(1) + numel(2),
        SeqOp::BidirectionalLstm { .. } => (1..=8)
            .chain([16])
            .chain(18..=25)
            .chain([33])
            .map(numel)
            .sum(),
        SeqOp::BidirectionalRnn { .. } => numel(1) + numel(2) + numel(5) + numel(6),
    };
    rows * per_row
}
