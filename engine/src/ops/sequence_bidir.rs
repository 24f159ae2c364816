//! BIDIRECTIONAL_SEQUENCE_LSTM and BIDIRECTIONAL_SEQUENCE_RNN (float): a forward and a
//! backward pass (the backward one reads the sequence from its end), each the unidirectional
//! kernel on its own weights and states, outputs apart or concatenated on the last axis.
//!
//! LSTM inputs: 0 x, 1–17 forward weights (as LSTM's 1–17), 18–34 backward weights, 35/36
//! forward output/cell state, 37/38 backward, 39 aux input, 40–47 aux weights. RNN inputs: 0 x,
//! 1–4 forward weights, recurrent weights, bias, hidden state; 5–8 backward; 9–11 aux.

use super::sequence::{check_len, lstm_cell, req_f32, seq_act, state, swap01};
use super::{In, Ins, arg};
use crate::error::OpError;
use crate::ir::{LstmOptions, RnnOptions, Value};
use crate::kernels::lstm::rnn_step;

type R<T> = std::result::Result<T, OpError>;

/// The inputs of one direction, renumbered as the unidirectional op takes them.
fn remap<'b>(ins: &'b Ins<'_>, map: &[Option<usize>]) -> Ins<'b> {
    map.iter()
        .map(|i| {
            i.and_then(|i| ins.get(i))
                .and_then(|x| x.as_ref())
                .map(|x| In::Ref(x.v()))
        })
        .collect()
}

/// (time, batch) and the time-major input.
fn time_major_input(ins: &Ins<'_>, time_major: bool) -> R<(usize, usize, usize, Vec<f32>)> {
    let xv = arg(ins, 0)?;
    let x = xv.as_f32().ok_or("recurrent input must be f32")?;
    let [a, b, n] = <[usize; 3]>::try_from(xv.shape.as_slice())
        .map_err(|_| OpError::Invalid(format!("sequence input shape {:?}", xv.shape)))?;
    Ok(if time_major {
        (a, b, n, x.to_vec())
    } else {
        (b, a, n, swap01(x, a, b, n))
    })
}

/// The outputs from the two time-major results.
fn outputs(
    f: (Vec<f32>, usize),
    b: (Vec<f32>, usize),
    t: usize,
    batch: usize,
    time_major: bool,
    merge: bool,
) -> Vec<Value> {
    let lay = |v: Vec<f32>, n: usize| {
        if time_major {
            v
        } else {
            swap01(&v, t, batch, n)
        }
    };
    let (of, nf) = (lay(f.0, f.1), f.1);
    let (ob, nb) = (lay(b.0, b.1), b.1);
    let lead = if time_major { [t, batch] } else { [batch, t] };
    if merge {
        let mut m = Vec::with_capacity(of.len() + ob.len());
        for r in 0..t * batch {
            m.extend_from_slice(&of[r * nf..(r + 1) * nf]);
            m.extend_from_slice(&ob[r * nb..(r + 1) * nb]);
        }
        vec![Value::f32(vec![lead[0], lead[1], nf + nb], m)]
    } else {
        vec![
            Value::f32(vec![lead[0], lead[1], nf], of),
            Value::f32(vec![lead[0], lead[1], nb], ob),
        ]
    }
}

/// BIDIRECTIONAL_SEQUENCE_LSTM.
pub(super) fn lstm(ins: &Ins<'_>, o: &LstmOptions, merge: bool) -> R<Vec<Value>> {
    let (t, batch, n_in, xt) = time_major_input(ins, o.time_major)?;
    let mut dirs = Vec::with_capacity(2);
    for (base, h_at, reverse) in [(0usize, 35usize, false), (17, 37, true)] {
        let mut map: Vec<Option<usize>> = vec![Some(0)];
        map.extend((1..=17).map(|i| Some(base + i)));
        map.extend([Some(h_at), Some(h_at + 1), None, None, None, None]);
        let d = remap(ins, &map);
        let cell = lstm_cell(&d, o)?;
        check_len(&xt, t * batch * cell.n_input, "the LSTM input")?;
        if cell.n_input != n_in {
            return Err(OpError::Invalid(format!(
                "input weights take {} features, the input has {n_in}",
                cell.n_input
            )));
        }
        let mut h = state(&d, 18, batch * cell.n_output)?;
        let mut c = state(&d, 19, batch * cell.n_cell)?;
        let (ni, no) = (cell.n_input, cell.n_output);
        let mut out = vec![0.0f32; t * batch * no];
        for k in 0..t {
            let s = if reverse { t - 1 - k } else { k };
            cell.step(
                &xt[s * batch * ni..(s + 1) * batch * ni],
                &mut h,
                &mut c,
                batch,
            );
            out[s * batch * no..(s + 1) * batch * no].copy_from_slice(&h);
        }
        dirs.push((out, no));
    }
    let b = dirs.pop().ok_or("no backward pass")?;
    let f = dirs.pop().ok_or("no forward pass")?;
    Ok(outputs(f, b, t, batch, o.time_major, merge))
}

/// BIDIRECTIONAL_SEQUENCE_RNN.
pub(super) fn rnn(ins: &Ins<'_>, o: &RnnOptions, merge: bool) -> R<Vec<Value>> {
    let (t, batch, n_in, xt) = time_major_input(ins, o.time_major)?;
    let act = seq_act(o.act)?;
    let mut dirs = Vec::with_capacity(2);
    for (base, reverse) in [(1usize, false), (5, true)] {
        let wv = arg(ins, base)?;
        let [units, wn] = <[usize; 2]>::try_from(wv.shape.as_slice())
            .map_err(|_| OpError::Invalid(format!("RNN weights {:?}", wv.shape)))?;
        if wn != n_in {
            return Err(OpError::Invalid(format!(
                "RNN weights take {wn} features, the input has {n_in}"
            )));
        }
        let (w, r, bias) = (
            req_f32(ins, base)?,
            req_f32(ins, base + 1)?,
            req_f32(ins, base + 2)?,
        );
        check_len(r, units * units, "recurrent weights")?;
        check_len(bias, units, "bias")?;
        let mut h = state(ins, base + 3, batch * units)?;
        let mut out = vec![0.0f32; t * batch * units];
        for k in 0..t {
            let s = if reverse { t - 1 - k } else { k };
            let xs = &xt[s * batch * n_in..(s + 1) * batch * n_in];
            rnn_step(w, r, bias, act, xs, &mut h, batch, n_in, units);
            out[s * batch * units..(s + 1) * batch * units].copy_from_slice(&h);
        }
        dirs.push((out, units));
    }
    let b = dirs.pop().ok_or("no backward pass")?;
    let f = dirs.pop().ok_or("no forward pass")?;
    Ok(outputs(f, b, t, batch, o.time_major, merge))
}
