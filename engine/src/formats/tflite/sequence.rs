//! TFLite codes and options of the recurrent ops (`Op::Sequence`): LSTM,
//! UNIDIRECTIONAL_SEQUENCE_LSTM, RNN, UNIDIRECTIONAL_SEQUENCE_RNN, SVDF,
//! BIDIRECTIONAL_SEQUENCE_LSTM, BIDIRECTIONAL_SEQUENCE_RNN.

use super::builder::TableB;
use super::fb::Table;
use crate::error::Result;
use crate::ir::{LstmOptions, Op, RnnOptions, SeqOp};

/// SVDF
pub const SVDF: i32 = 27;
/// LSTM
pub const LSTM: i32 = 16;
/// RNN
pub const RNN: i32 = 24;
/// UNIDIRECTIONAL_SEQUENCE_RNN
pub const UNIDIRECTIONAL_SEQUENCE_RNN: i32 = 35;
/// UNIDIRECTIONAL_SEQUENCE_LSTM
pub const UNIDIRECTIONAL_SEQUENCE_LSTM: i32 = 44;
/// BIDIRECTIONAL_SEQUENCE_RNN
pub const BIDIRECTIONAL_SEQUENCE_RNN: i32 = 46;
/// BIDIRECTIONAL_SEQUENCE_LSTM
pub const BIDIRECTIONAL_SEQUENCE_LSTM: i32 = 52;

/// The codes of this family with their names.
pub const DECODED: &[(i32, &str)] = &[
    (LSTM, "LSTM"),
    (RNN, "RNN"),
    (SVDF, "SVDF"),
    (UNIDIRECTIONAL_SEQUENCE_RNN, "UNIDIRECTIONAL_SEQUENCE_RNN"),
    (UNIDIRECTIONAL_SEQUENCE_LSTM, "UNIDIRECTIONAL_SEQUENCE_LSTM"),
    (BIDIRECTIONAL_SEQUENCE_RNN, "BIDIRECTIONAL_SEQUENCE_RNN"),
    (BIDIRECTIONAL_SEQUENCE_LSTM, "BIDIRECTIONAL_SEQUENCE_LSTM"),
];

/// Whether `c` is one of this family's codes.
pub fn is_code(c: i32) -> bool {
    DECODED.iter().any(|(k, _)| *k == c)
}

/// Decode one of this family's codes (`None`: a form the engine does not model, kept).
pub fn decode(
    c: i32,
    o: Option<Table<'_>>,
    act: fn(i8) -> Result<crate::ir::Activation>,
) -> Result<Option<Op>> {
    let i8f = |id: usize| -> Result<i8> { o.map_or(Ok(0), |t| t.get::<i8>(id, 0)) };
    let f32f = |id: usize| -> Result<f32> { o.map_or(Ok(0.0), |t| t.get::<f32>(id, 0.0)) };
    let b = |id: usize| -> Result<bool> { o.map_or(Ok(false), |t| t.bool(id)) };
    let s = match c {
        LSTM => {
            // kernel_type 1 is the 5-input BASIC kernel: kept as it is.
            if i8f(3)? != 0 {
                return Ok(None);
            }
            SeqOp::Lstm(LstmOptions {
                act: act(i8f(0)?)?,
                cell_clip: f32f(1)?,
                proj_clip: f32f(2)?,
                time_major: true,
                asymmetric_quantize_inputs: b(4)?,
                diagonal_recurrent_tensors: false,
            })
        }
        UNIDIRECTIONAL_SEQUENCE_LSTM => SeqOp::UnidirectionalLstm(LstmOptions {
            act: act(i8f(0)?)?,
            cell_clip: f32f(1)?,
            proj_clip: f32f(2)?,
            time_major: b(3)?,
            asymmetric_quantize_inputs: b(4)?,
            diagonal_recurrent_tensors: b(5)?,
        }),
        RNN => SeqOp::Rnn(RnnOptions {
            act: act(i8f(0)?)?,
            time_major: true,
            asymmetric_quantize_inputs: b(1)?,
        }),
        UNIDIRECTIONAL_SEQUENCE_RNN => SeqOp::UnidirectionalRnn(RnnOptions {
            time_major: b(0)?,
            act: act(i8f(1)?)?,
            asymmetric_quantize_inputs: b(2)?,
        }),
        // time_major defaults to true in the schema.
        BIDIRECTIONAL_SEQUENCE_LSTM => SeqOp::BidirectionalLstm {
            opts: LstmOptions {
                act: act(i8f(0)?)?,
                cell_clip: f32f(1)?,
                proj_clip: f32f(2)?,
                time_major: o.map_or(Ok(1), |t| t.get::<u8>(4, 1))? != 0,
                asymmetric_quantize_inputs: b(5)?,
                diagonal_recurrent_tensors: false,
            },
            merge_outputs: b(3)?,
        },
        BIDIRECTIONAL_SEQUENCE_RNN => SeqOp::BidirectionalRnn {
            opts: RnnOptions {
                time_major: b(0)?,
                act: act(i8f(1)?)?,
                asymmetric_quantize_inputs: b(3)?,
            },
            merge_outputs: b(2)?,
        },
        SVDF => SeqOp::Svdf {
            rank: usize::try_from(o.map_or(Ok(1), |t| t.get::<i32>(0, 0))?)
                .map_err(|_| crate::error::Error::import("negative SVDF rank"))?,
            act: act(i8f(1)?)?,
            asymmetric_quantize_inputs: b(2)?,
        },
        _ => return Ok(None),
    };
    Ok(Some(Op::Sequence(s)))
}

/// Builtin code, options union tag and options table.
pub fn encode(s: &SeqOp, act_code: fn(crate::ir::Activation) -> i8) -> (i32, u8, TableB) {
    let t = TableB::new();
    match s {
        SeqOp::Lstm(o) => (
            LSTM,
            14,
            t.i8(0, act_code(o.act))
                .f32(1, o.cell_clip)
                .f32(2, o.proj_clip)
                .bool(4, o.asymmetric_quantize_inputs),
        ),
        SeqOp::UnidirectionalLstm(o) => (
            UNIDIRECTIONAL_SEQUENCE_LSTM,
            71,
            t.i8(0, act_code(o.act))
                .f32(1, o.cell_clip)
                .f32(2, o.proj_clip)
                .bool(3, o.time_major)
                .bool(4, o.asymmetric_quantize_inputs)
                .bool(5, o.diagonal_recurrent_tensors),
        ),
        SeqOp::Rnn(o) => (
            RNN,
            7,
            t.i8(0, act_code(o.act))
                .bool(1, o.asymmetric_quantize_inputs),
        ),
        SeqOp::UnidirectionalRnn(o) => (
            UNIDIRECTIONAL_SEQUENCE_RNN,
            31,
            t.bool(0, o.time_major)
                .i8(1, act_code(o.act))
                .bool(2, o.asymmetric_quantize_inputs),
        ),
        SeqOp::BidirectionalLstm {
            opts: o,
            merge_outputs,
        } => (
            BIDIRECTIONAL_SEQUENCE_LSTM,
            69,
            t.i8(0, act_code(o.act))
                .f32(1, o.cell_clip)
                .f32(2, o.proj_clip)
                .bool(3, *merge_outputs)
                .bool(4, o.time_major)
                .bool(5, o.asymmetric_quantize_inputs),
        ),
        SeqOp::BidirectionalRnn {
            opts: o,
            merge_outputs,
        } => (
            BIDIRECTIONAL_SEQUENCE_RNN,
            70,
            t.bool(0, o.time_major)
                .i8(1, act_code(o.act))
                .bool(2, *merge_outputs)
                .bool(3, o.asymmetric_quantize_inputs),
        ),
        SeqOp::Svdf {
            rank,
            act,
            asymmetric_quantize_inputs,
        } => (
            SVDF,
            6,
            t.i32(0, *rank as i32)
                .i8(1, act_code(*act))
                .bool(2, *asymmetric_quantize_inputs),
        ),
    }
}

/// The float version the converter writes.
pub fn version(s: &SeqOp) -> i32 {
    match s {
        SeqOp::UnidirectionalLstm(o) if o.diagonal_recurrent_tensors => 4,
        _ => 1,
    }
}
