//! TFLite codes of the logic family (`Op::Math`, `Op::MathBin`, `Op::Compare`, `Op::AddN`,
//! `Op::Select`): the `schema` tables delegate here.

use super::schema::{DECODED, code};
use crate::ir::{CompareKind, MathBinKind, MathKind, Op};

/// The logic family's op of a builtin code without options (`approximate`: GELU's option).
pub(super) fn logic_op(c: i32, approximate: bool) -> Option<Op> {
    use CompareKind as C;
    use MathBinKind as B;
    use MathKind as M;
    Some(match c {
        code::ABS => Op::Math(M::Abs),
        code::NEG => Op::Math(M::Neg),
        code::SQUARE => Op::Math(M::Square),
        code::LOG => Op::Math(M::Log),
        code::FLOOR => Op::Math(M::Floor),
        code::CEIL => Op::Math(M::Ceil),
        code::ROUND => Op::Math(M::Round),
        code::SIGN => Op::Math(M::Sign),
        code::SIN => Op::Math(M::Sin),
        code::COS => Op::Math(M::Cos),
        code::ELU => Op::Math(M::Elu),
        code::RELU_0_TO_1 => Op::Math(M::Relu0To1),
        code::GELU => Op::Math(M::Gelu { approximate }),
        code::LOGICAL_NOT => Op::Math(M::LogicalNot),
        code::POW => Op::MathBin(B::Pow),
        code::FLOOR_DIV => Op::MathBin(B::FloorDiv),
        code::FLOOR_MOD => Op::MathBin(B::FloorMod),
        code::ATAN2 => Op::MathBin(B::Atan2),
        code::LOGICAL_AND => Op::MathBin(B::LogicalAnd),
        code::LOGICAL_OR => Op::MathBin(B::LogicalOr),
        code::EQUAL => Op::Compare(C::Equal),
        code::NOT_EQUAL => Op::Compare(C::NotEqual),
        code::LESS => Op::Compare(C::Less),
        code::LESS_EQUAL => Op::Compare(C::LessEqual),
        code::GREATER => Op::Compare(C::Greater),
        code::GREATER_EQUAL => Op::Compare(C::GreaterEqual),
        code::ADD_N => Op::AddN,
        code::SELECT => Op::Select { v2: false },
        code::SELECT_V2 => Op::Select { v2: true },
        _ => return None,
    })
}

/// The builtin code of a logic-family op (by its name, which [`DECODED`] pairs with the code).
pub(super) fn logic_code(op: &Op) -> Option<i32> {
    let name = op.name();
    DECODED.iter().find(|(_, n)| *n == name).map(|(c, _)| *c)
}
