//! Float recurrent kernels with LiteRT's semantics (`lstm_eval.cc`, `basic_rnn.cc`,
//! `svdf.cc`): one LSTM step (CIFG, peepholes, layer norm, projection, clipping), one RNN
//! step, one SVDF step. States are updated in place; batches are rows.

/// Activations the recurrent ops apply (LiteRT's `ApplyActivationsToVector`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SeqAct {
    /// Identity.
    None,
    /// max(x, 0).
    Relu,
    /// clamp(x, -1, 1).
    Relu1,
    /// clamp(x, 0, 6).
    Relu6,
    /// tanh.
    Tanh,
    /// Logistic sigmoid.
    Sigmoid,
}

impl SeqAct {
    fn apply(self, v: &mut [f32]) {
        match self {
            SeqAct::None => {}
            SeqAct::Relu => v.iter_mut().for_each(|x| *x = x.max(0.0)),
            SeqAct::Relu1 => v.iter_mut().for_each(|x| *x = x.clamp(-1.0, 1.0)),
            SeqAct::Relu6 => v.iter_mut().for_each(|x| *x = x.clamp(0.0, 6.0)),
            SeqAct::Tanh => v.iter_mut().for_each(|x| *x = x.tanh()),
            SeqAct::Sigmoid => v.iter_mut().for_each(|x| *x = 1.0 / (1.0 + (-*x).exp())),
        }
    }
}

/// `out[b, r] += sum_c m[r, c] * x[b, c]` for `rows x cols` matrix `m`.
fn matvec_acc(m: &[f32], rows: usize, cols: usize, x: &[f32], batch: usize, out: &mut [f32]) {
    for b in 0..batch {
        let xb = &x[b * cols..(b + 1) * cols];
        for r in 0..rows {
            let mr = &m[r * cols..(r + 1) * cols];
            let dot: f32 = mr.iter().zip(xb).map(|(a, b)| a * b).sum();
            out[b * rows + r] += dot;
        }
    }
}

/// The weights of one LSTM gate.
#[derive(Debug, Clone, Copy, Default)]
pub struct Gate<'a> {
    /// Input weights `[n_cell, n_input]`.
    pub wx: &'a [f32],
    /// Recurrent weights `[n_cell, n_output]` (or `[n_cell]` when diagonal).
    pub wh: &'a [f32],
    /// Peephole weights `[n_cell]`.
    pub peephole: Option<&'a [f32]>,
    /// Bias `[n_cell]`.
    pub bias: Option<&'a [f32]>,
    /// Layer-norm coefficients `[n_cell]`.
    pub layer_norm: Option<&'a [f32]>,
}

/// Everything an LSTM step reads besides the input and the states.
#[derive(Debug, Clone, Copy)]
pub struct LstmCell<'a> {
    /// Input gate (`None`: CIFG, the input gate is `1 - forget`).
    pub input: Option<Gate<'a>>,
    /// Forget gate.
    pub forget: Gate<'a>,
    /// Cell gate.
    pub cell: Gate<'a>,
    /// Output gate.
    pub output: Gate<'a>,
    /// Projection `[n_output, n_cell]` and its bias.
    pub projection: Option<(&'a [f32], Option<&'a [f32]>)>,
    /// Sizes.
    pub n_input: usize,
    /// Cell units.
    pub n_cell: usize,
    /// Output units (`n_cell` without projection).
    pub n_output: usize,
    /// Gate/cell activation.
    pub act: SeqAct,
    /// Cell clip (0: none).
    pub cell_clip: f32,
    /// Projection clip (0: none).
    pub proj_clip: f32,
    /// Recurrent weights are diagonals.
    pub diagonal: bool,
}

/// LiteRT's `MeanStddevNormalization` of each row of `v` (`n` values per row).
fn mean_stddev_normalize(v: &mut [f32], n: usize) {
    for row in v.chunks_mut(n) {
        let (mut sum, mut sum_sq) = (0.0f32, 0.0f32);
        for &x in row.iter() {
            sum += x;
            sum_sq += x * x;
        }
        let mean = sum / n as f32;
        let variance = sum_sq / n as f32 - mean * mean;
        let inv = if variance == 0.0 {
            1.0 / 1e-8f32.sqrt()
        } else {
            1.0 / variance.sqrt()
        };
        row.iter_mut().for_each(|x| *x = (*x - mean) * inv);
    }
}

impl LstmCell<'_> {
    fn gate(
        &self,
        g: &Gate<'_>,
        x: &[f32],
        h: &[f32],
        c: &[f32],
        batch: usize,
        act: SeqAct,
    ) -> Vec<f32> {
        let n = self.n_cell;
        let mut out = vec![0.0f32; batch * n];
        if g.layer_norm.is_none()
            && let Some(b) = g.bias
        {
            out.chunks_mut(n).for_each(|r| r.copy_from_slice(b));
        }
        matvec_acc(g.wx, n, self.n_input, x, batch, &mut out);
        if self.diagonal {
            for (o, (hv, w)) in out.iter_mut().zip(h.iter().zip(g.wh.iter().cycle())) {
                *o += w * hv;
            }
        } else {
            matvec_acc(g.wh, n, self.n_output, h, batch, &mut out);
        }
        if let Some(p) = g.peephole {
            for (o, (cv, w)) in out.iter_mut().zip(c.iter().zip(p.iter().cycle())) {
                *o += w * cv;
            }
        }
        if let Some(ln) = g.layer_norm {
            mean_stddev_normalize(&mut out, n);
            for row in out.chunks_mut(n) {
                for (i, o) in row.iter_mut().enumerate() {
                    *o *= ln[i];
                    if let Some(b) = g.bias {
                        *o += b[i];
                    }
                }
            }
        }
        act.apply(&mut out);
        out
    }

    /// One step for `batch` rows: `x [batch, n_input]`, `h [batch, n_output]` and
    /// `c [batch, n_cell]` (updated in place; `h` is the step's output).
    pub fn step(&self, x: &[f32], h: &mut [f32], c: &mut [f32], batch: usize) {
        let ig = self
            .input
            .as_ref()
            .map(|g| self.gate(g, x, h, c, batch, SeqAct::Sigmoid));
        let fg = self.gate(&self.forget, x, h, c, batch, SeqAct::Sigmoid);
        let cg = self.gate(&self.cell, x, h, c, batch, self.act);
        for (i, cv) in c.iter_mut().enumerate() {
            *cv *= fg[i];
            let ival = match &ig {
                Some(ig) => ig[i],
                None => 1.0 - fg[i],
            };
            *cv += cg[i] * ival;
            if self.cell_clip > 0.0 {
                *cv = cv.clamp(-self.cell_clip, self.cell_clip);
            }
        }
        let og = self.gate(&self.output, x, h, c, batch, SeqAct::Sigmoid);
        let mut s = c.to_vec();
        self.act.apply(&mut s);
        s.iter_mut().zip(&og).for_each(|(a, o)| *a *= o);
        match self.projection {
            Some((w, b)) => {
                for row in h.chunks_mut(self.n_output) {
                    match b {
                        Some(b) => row.copy_from_slice(b),
                        None => row.fill(0.0),
                    }
                }
                matvec_acc(w, self.n_output, self.n_cell, &s, batch, h);
                if self.proj_clip > 0.0 {
                    h.iter_mut()
                        .for_each(|v| *v = v.clamp(-self.proj_clip, self.proj_clip));
                }
            }
            None => h.copy_from_slice(&s),
        }
    }
}

/// One RNN step: `h = act(W x + R h + b)` for `x [batch, n_input]`, `h [batch, units]`.
#[allow(clippy::too_many_arguments)]
pub fn rnn_step(
    w: &[f32],
    r: &[f32],
    b: &[f32],
    act: SeqAct,
    x: &[f32],
    h: &mut [f32],
    batch: usize,
    n_input: usize,
    units: usize,
) {
    let mut out = vec![0.0f32; batch * units];
    out.chunks_mut(units).for_each(|row| row.copy_from_slice(b));
    matvec_acc(w, units, n_input, x, batch, &mut out);
    matvec_acc(r, units, units, h, batch, &mut out);
    act.apply(&mut out);
    h.copy_from_slice(&out);
}

/// Per-tensor int8 weights of a hybrid recurrent op.
#[derive(Debug, Clone, Copy)]
pub struct QWeights<'a> {
    /// `[rows, cols]` values.
    pub w: &'a [i8],
    /// Their scale.
    pub scale: f32,
}

/// `out [batch, rows] += (row scale · weight scale) · dot(q(x row), w row)` for each row of
/// `x [batch, cols]`, each quantized alone (asymmetrically when `asymmetric`), skipped when the
/// whole of `x` is zero (LiteRT's `MatrixBatchVectorMultiplyAccumulate` after
/// `BatchQuantizeFloats`).
fn hybrid_acc(w: QWeights<'_>, x: &[f32], cols: usize, asymmetric: bool, out: &mut [f32]) {
    if x.iter().all(|&v| v == 0.0) {
        return;
    }
    let rows = w.w.len() / cols.max(1);
    for (xr, or) in x.chunks(cols.max(1)).zip(out.chunks_mut(rows.max(1))) {
        let (q, s, zp) = if asymmetric {
            crate::hybrid::quantize_asymmetric(xr)
        } else {
            let (q, s) = crate::hybrid::quantize_symmetric(xr);
            (q, s, 0)
        };
        let sf = s * w.scale;
        for (o, wr) in or.iter_mut().zip(w.w.chunks(cols.max(1))) {
            let acc: i32 = wr
                .iter()
                .zip(&q)
                .map(|(&a, &b)| i32::from(a) * (i32::from(b) - zp))
                .sum();
            *o += acc as f32 * sf;
        }
    }
}

/// One hybrid RNN step (LiteRT's `RnnBatchStep` with int8 weights): `out = bias`, plus the
/// input and then the recurrent products of [`hybrid_acc`], activated, into `h`.
#[expect(
    clippy::too_many_arguments,
    reason = "mirrors rnn_step with the weights' scales and the input quantization mode"
)]
pub fn rnn_step_hybrid(
    w: QWeights<'_>,
    r: QWeights<'_>,
    b: &[f32],
    act: SeqAct,
    x: &[f32],
    h: &mut [f32],
    n_input: usize,
    units: usize,
    asymmetric: bool,
) {
    let batch = h.len() / units.max(1);
    let mut out = vec![0.0f32; batch * units];
    out.chunks_mut(units.max(1))
        .for_each(|row| row.copy_from_slice(b));
    hybrid_acc(w, x, n_input, asymmetric, &mut out);
    hybrid_acc(r, h, units, asymmetric, &mut out);
    act.apply(&mut out);
    h.copy_from_slice(&out);
}

/// SVDF sizes.
#[derive(Debug, Clone, Copy)]
pub struct SvdfDims {
    /// Rows.
    pub batch: usize,
    /// Input features.
    pub n_input: usize,
    /// Filters (`units * rank`).
    pub filters: usize,
    /// Memory (time) length.
    pub memory: usize,
    /// Rank.
    pub rank: usize,
}

/// The feature products of an SVDF step, `[batch, filters]`: each filter's float dot product
/// with each input row.
pub fn svdf_features(d: SvdfDims, w_feature: &[f32], x: &[f32]) -> Vec<f32> {
    let mut out = vec![0.0f32; d.batch * d.filters];
    for b in 0..d.batch {
        let xb = &x[b * d.n_input..(b + 1) * d.n_input];
        for f in 0..d.filters {
            let wf = &w_feature[f * d.n_input..(f + 1) * d.n_input];
            let mut dot = 0.0f32;
            for (a, v) in wf.iter().zip(xb) {
                dot += a * v;
            }
            out[b * d.filters + f] = dot;
        }
    }
    out
}

/// The feature products of a hybrid SVDF step (LiteRT's `EvalHybridSVDF`): zeros plus the
/// int8 products of [`hybrid_acc`].
pub fn svdf_features_hybrid(d: SvdfDims, w: QWeights<'_>, x: &[f32], asymmetric: bool) -> Vec<f32> {
    let mut out = vec![0.0f32; d.batch * d.filters];
    hybrid_acc(w, x, d.n_input, asymmetric, &mut out);
    out
}

/// One SVDF step: shifts `state [batch, filters * memory]` left by one, writes the feature
/// products (`[batch, filters]`, [`svdf_features`]) into each filter's newest slot, then
/// `out [batch, units]` = rank-summed time products + bias, activated.
pub fn svdf_step(
    d: SvdfDims,
    features: &[f32],
    w_time: &[f32],
    bias: Option<&[f32]>,
    act: SeqAct,
    state: &mut [f32],
    out: &mut [f32],
) {
    let SvdfDims {
        batch,
        filters,
        memory,
        rank,
        ..
    } = d;
    if state.len() > 1 {
        state.copy_within(1.., 0);
    }
    for (i, &v) in features.iter().enumerate().take(batch * filters) {
        state[i * memory + memory - 1] = v;
    }
    let units = filters / rank.max(1);
    for b in 0..batch {
        let mut scratch = vec![0.0f32; filters];
        for (f, s) in scratch.iter_mut().enumerate() {
            let st = &state[(b * filters + f) * memory..(b * filters + f + 1) * memory];
            let wt = &w_time[f * memory..(f + 1) * memory];
            let mut dot = 0.0f32;
            for (a, v) in wt.iter().zip(st) {
                dot += a * v;
            }
            *s = dot;
        }
        let ob = &mut out[b * units..(b + 1) * units];
        for (u, o) in ob.iter_mut().enumerate() {
            let mut sum = 0.0f32;
            for r in 0..rank {
                sum += scratch[u * rank + r];
            }
            *o = sum + bias.map_or(0.0, |bv| bv[u]);
        }
        act.apply(ob);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A one-unit LSTM step computed by hand.
    #[test]
    fn lstm_step_matches_the_equations() {
        let (wx, wh, bias) = ([0.5f32], [0.25f32], [0.1f32]);
        let g = Gate {
            wx: &wx,
            wh: &wh,
            peephole: None,
            bias: Some(&bias),
            layer_norm: None,
        };
        let cell = LstmCell {
            input: Some(g),
            forget: g,
            cell: g,
            output: g,
            projection: None,
            n_input: 1,
            n_cell: 1,
            n_output: 1,
            act: SeqAct::Tanh,
            cell_clip: 0.0,
            proj_clip: 0.0,
            diagonal: false,
        };
        let (mut h, mut c) = ([0.2f32], [0.3f32]);
        cell.step(&[1.0], &mut h, &mut c, 1);
        let pre = 0.5 + 0.25 * 0.2 + 0.1f32;
        let sg = 1.0 / (1.0 + (-pre).exp());
        let c1 = sg * 0.3 + sg * pre.tanh();
        assert!((c[0] - c1).abs() < 1e-6);
        assert!((h[0] - sg * c1.tanh()).abs() < 1e-6);
    }

    #[test]
    fn svdf_shifts_state_and_sums_rank() {
        let d = SvdfDims {
            batch: 1,
            n_input: 1,
            filters: 2,
            memory: 2,
            rank: 2,
        };
        let mut state = [1.0, 2.0, 3.0, 4.0];
        let mut out = [0.0];
        let features = svdf_features(d, &[1.0, 2.0], &[10.0]);
        svdf_step(
            d,
            &features,
            &[1.0, 1.0, 1.0, 1.0],
            None,
            SeqAct::None,
            &mut state,
            &mut out,
        );
        assert_eq!(state, [2.0, 10.0, 4.0, 20.0]);
        assert_eq!(out, [36.0]);
    }
}
