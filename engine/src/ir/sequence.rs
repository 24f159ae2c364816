//! Attributes of TFLite's recurrent ops (LSTM, RNN and SVDF families), one IR variant
//! (`Op::Sequence`) for the whole family.

use serde::{Deserialize, Serialize};

use super::Activation;

/// Options of the LSTM ops (`LSTM`, `UNIDIRECTIONAL_SEQUENCE_LSTM`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LstmOptions {
    /// Activation of the cell gate and of the cell state on output (usually TANH).
    pub act: Activation,
    /// Clip the cell state to `[-cell_clip, cell_clip]` (0: no clipping).
    pub cell_clip: f32,
    /// Clip the projected output to `[-proj_clip, proj_clip]` (0: no clipping).
    pub proj_clip: f32,
    /// `[time, batch, input]` (true) or `[batch, time, input]` (false); sequence op only.
    pub time_major: bool,
    /// Hybrid kernels: quantize inputs asymmetrically.
    pub asymmetric_quantize_inputs: bool,
    /// Recurrent weights are diagonals (`[n_cell]` each); sequence op only.
    pub diagonal_recurrent_tensors: bool,
}

/// Options of the RNN ops (`RNN`, `UNIDIRECTIONAL_SEQUENCE_RNN`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RnnOptions {
    /// Activation of the hidden state.
    pub act: Activation,
    /// `[time, batch, input]` (true) or `[batch, time, input]` (false); sequence op only.
    pub time_major: bool,
    /// Hybrid kernels: quantize inputs asymmetrically.
    pub asymmetric_quantize_inputs: bool,
}

/// A recurrent op. Inputs follow TFLite's order (see `ops::sequence`); state inputs are the
/// file's variable tensors, read as the state before the call.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum SeqOp {
    /// LSTM: one step, input `[batch, input]` (full kernel).
    Lstm(LstmOptions),
    /// UNIDIRECTIONAL_SEQUENCE_LSTM
    UnidirectionalLstm(LstmOptions),
    /// RNN: one step, input `[batch, input]`.
    Rnn(RnnOptions),
    /// UNIDIRECTIONAL_SEQUENCE_RNN
    UnidirectionalRnn(RnnOptions),
    /// BIDIRECTIONAL_SEQUENCE_LSTM: a forward and a backward LSTM over the sequence.
    BidirectionalLstm {
        /// Options shared by both directions.
        opts: LstmOptions,
        /// One output, the directions concatenated on the last axis (else two outputs).
        merge_outputs: bool,
    },
    /// BIDIRECTIONAL_SEQUENCE_RNN: a forward and a backward RNN over the sequence.
    BidirectionalRnn {
        /// Options shared by both directions.
        opts: RnnOptions,
        /// One output, the directions concatenated on the last axis (else two outputs).
        merge_outputs: bool,
    },
    /// SVDF (singular value decomposition filter).
    Svdf {
        /// Rank of the decomposition.
        rank: usize,
        /// Output activation.
        act: Activation,
        /// Hybrid kernels: quantize inputs asymmetrically.
        asymmetric_quantize_inputs: bool,
    },
}

impl SeqOp {
    /// The TFLite name.
    pub fn name(&self) -> &'static str {
        match self {
            SeqOp::Lstm(_) => "LSTM",
            SeqOp::UnidirectionalLstm(_) => "UNIDIRECTIONAL_SEQUENCE_LSTM",
            SeqOp::Rnn(_) => "RNN",
            SeqOp::UnidirectionalRnn(_) => "UNIDIRECTIONAL_SEQUENCE_RNN",
            SeqOp::Svdf { .. } => "SVDF",
            SeqOp::BidirectionalLstm { .. } => "BIDIRECTIONAL_SEQUENCE_LSTM",
            SeqOp::BidirectionalRnn { .. } => "BIDIRECTIONAL_SEQUENCE_RNN",
        }
    }

    /// The fused activation.
    pub fn activation(&self) -> Activation {
        match self {
            SeqOp::Lstm(o) | SeqOp::UnidirectionalLstm(o) => o.act,
            SeqOp::Rnn(o) | SeqOp::UnidirectionalRnn(o) => o.act,
            SeqOp::Svdf { act, .. } => *act,
            SeqOp::BidirectionalLstm { opts, .. } => opts.act,
            SeqOp::BidirectionalRnn { opts, .. } => opts.act,
        }
    }
}
