//! Which runtime's integer arithmetic the int8 kernels reproduce bit for bit: LiteRT's default
//! CPU path (XNNPACK for the ops it takes, LiteRT's optimized builtins for the rest) or
//! LiteRT's reference kernels (`BUILTIN_REF`, which TFLite Micro and CMSIS-NN also compute).

use std::fmt;
use std::str::FromStr;

/// The numerics of the user's deployment target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Numerics {
    /// A phone, laptop or Raspberry Pi: LiteRT's default interpreter (XNNPACK delegate).
    /// Requantization in f32 with round-to-nearest-even, lookup-table activations. Verified
    /// on x86-64; XNNPACK's Arm kernels round some ops differently.
    #[default]
    Litert,
    /// A microcontroller: LiteRT's reference kernels / TFLite Micro (gemmlowp fixed point,
    /// double rounding).
    Reference,
}

impl Numerics {
    /// Both choices, default first.
    pub const ALL: [Numerics; 2] = [Numerics::Litert, Numerics::Reference];

    /// The name used on the command line and in recipes.
    pub fn name(self) -> &'static str {
        match self {
            Numerics::Litert => "litert",
            Numerics::Reference => "reference",
        }
    }

    /// What it stands for, in the user's words.
    pub fn describe(self) -> &'static str {
        match self {
            Numerics::Litert => "phone/desktop CPU (LiteRT)",
            Numerics::Reference => "microcontroller (TFLite Micro)",
        }
    }
}

impl fmt::Display for Numerics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not `litert` or `reference`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownNumerics(pub String);

impl fmt::Display for UnknownNumerics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown numerics '{}' (expected 'litert' or 'reference')",
            self.0
        )
    }
}

impl std::error::Error for UnknownNumerics {}

impl FromStr for Numerics {
    type Err = UnknownNumerics;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "litert" | "xnnpack" => Ok(Numerics::Litert),
            "reference" | "ref" | "tflm" => Ok(Numerics::Reference),
            _ => Err(UnknownNumerics(s.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_bad_names_are_refused() {
        for n in Numerics::ALL {
            assert_eq!(n.name().parse::<Numerics>(), Ok(n));
        }
        assert_eq!(Numerics::default(), Numerics::Litert);
        let e = "fast".parse::<Numerics>().unwrap_err();
        assert!(e.to_string().contains("'fast'"));
    }
}
