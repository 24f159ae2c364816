//! The CPU feature level the kernels run at: detected once per process, lowered (never raised)
//! by the `POCKET_SIMD` environment variable, which is read here and nowhere else.
//!
//! `POCKET_SIMD=reference` selects the reference kernels everywhere (whole-model differential
//! tests), `portable` the optimized algorithms compiled for the baseline target, `avx2` those
//! compiled with AVX2+FMA, `avx512` the AVX-512 VNNI intrinsics. A level the CPU lacks falls back
//! to the best one it has.

use std::sync::OnceLock;

/// Instruction-set level of a kernel table, ordered from plain to wide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// The reference kernels only (the twins every optimized kernel is tested against).
    Reference,
    /// Optimized algorithms, baseline target code left to the compiler's vectorizer.
    Portable,
    /// Optimized algorithms compiled with AVX2 + FMA.
    Avx2,
    /// AVX-512 F/BW/DQ/VL + VNNI intrinsics.
    Avx512Vnni,
}

impl Level {
    /// The `POCKET_SIMD` spelling of this level.
    pub fn name(self) -> &'static str {
        match self {
            Level::Reference => "reference",
            Level::Portable => "portable",
            Level::Avx2 => "avx2",
            Level::Avx512Vnni => "avx512",
        }
    }

    /// Parse a `POCKET_SIMD` value (`None` for anything else).
    pub fn parse(s: &str) -> Option<Level> {
        match s.trim().to_ascii_lowercase().as_str() {
            "reference" | "ref" => Some(Level::Reference),
            "portable" => Some(Level::Portable),
            "avx2" => Some(Level::Avx2),
            "avx512" | "avx512vnni" => Some(Level::Avx512Vnni),
            _ => None,
        }
    }
}

/// The best level this CPU supports.
pub fn detected() -> Level {
    static L: OnceLock<Level> = OnceLock::new();
    *L.get_or_init(detect)
}

/// The level kernels run at in this process: [`detected`], lowered by `POCKET_SIMD`.
pub fn level() -> Level {
    static L: OnceLock<Level> = OnceLock::new();
    *L.get_or_init(|| {
        let best = detected();
        match std::env::var("POCKET_SIMD")
            .ok()
            .as_deref()
            .and_then(Level::parse)
        {
            Some(want) => want.min(best),
            None => best,
        }
    })
}

/// Every level this CPU can run, from [`Level::Reference`] up to [`detected`] (tests compare
/// each against the reference).
pub fn supported() -> Vec<Level> {
    [
        Level::Reference,
        Level::Portable,
        Level::Avx2,
        Level::Avx512Vnni,
    ]
    .into_iter()
    .filter(|&l| l <= detected())
    .collect()
}

fn detect() -> Level {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512vnni")
            && std::arch::is_x86_feature_detected!("avx512dq")
            && std::arch::is_x86_feature_detected!("avx512vl")
            && std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("fma")
        {
            return Level::Avx512Vnni;
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return Level::Avx2;
        }
    }
    Level::Portable
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_levels_are_ordered() {
        for l in supported() {
            assert_eq!(Level::parse(l.name()), Some(l));
        }
        assert_eq!(Level::parse("AVX2"), Some(Level::Avx2));
        assert_eq!(Level::parse("sse9"), None);
        assert!(Level::Reference < Level::Portable && Level::Avx2 < Level::Avx512Vnni);
        assert!(level() <= detected());
        assert_eq!(supported().first(), Some(&Level::Reference));
        assert_eq!(supported().last(), Some(&detected()));
    }
}
