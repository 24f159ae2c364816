//! Every default the CLI and the studio share, in one place: worker threads, calibration
//! samples and method parameters (the engine's), bench runs, and the file names an export
//! writes beside its model.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use pocket_engine::quant::calib::{self, Method};
use pocket_engine::quant::recipe::Calibration;

/// Timed runs of `pocket bench`.
pub const BENCH_RUNS: usize = 50;
/// Untimed warm-up runs of `pocket bench`.
pub const BENCH_WARMUP: usize = 5;

/// Worker threads: `requested`, or every core. Zero is refused.
pub fn threads(requested: Option<usize>) -> Result<usize> {
    match requested {
        Some(0) => bail!("the number of threads must be at least 1"),
        Some(n) => Ok(n),
        None => Ok(std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)),
    }
}

/// Calibration samples used when a recipe does not say.
pub fn calib_samples() -> usize {
    Calibration::default().max_samples
}

/// The percentile of [`Method::Percentile`] when none is given (the engine's default).
pub fn percentile() -> f32 {
    calib::default_p()
}

/// The EMA constant of [`Method::MovingAverage`] when none is given (the engine's default).
pub fn moving_average() -> f32 {
    calib::default_ema()
}

/// Percentile method with the default percentile.
pub fn percentile_method() -> Method {
    Method::Percentile { p: percentile() }
}

/// Moving-average method with the default constant.
pub fn moving_average_method() -> Method {
    Method::MovingAverage {
        constant: moving_average(),
    }
}

/// `OUT.tflite` -> `OUT.recipe.json`: where an export writes its recipe.
pub fn recipe_path(out: &Path) -> PathBuf {
    out.with_extension("recipe.json")
}

/// `DIR/OUT.tflite` -> `DIR/OUT_report/`: where an export writes its comparison report.
pub fn report_dir(out: &Path) -> PathBuf {
    let stem = out
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    out.with_file_name(format!("{stem}_report"))
}

/// `DIR/model.tflite` -> `DIR/model_quant.tflite`: the studio's suggested export path.
pub fn export_path(source: &Path) -> PathBuf {
    let stem = source
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    source.with_file_name(format!("{stem}_quant.tflite"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_beside_the_output() {
        let out = Path::new("/x/y/m_int8.tflite");
        assert_eq!(recipe_path(out), Path::new("/x/y/m_int8.recipe.json"));
        assert_eq!(report_dir(out), Path::new("/x/y/m_int8_report"));
        assert_eq!(
            export_path(Path::new("/a/model.onnx")),
            Path::new("/a/model_quant.tflite")
        );
    }

    #[test]
    fn zero_threads_is_refused_and_none_means_every_core() {
        assert!(threads(Some(0)).is_err());
        assert_eq!(threads(Some(3)).ok(), Some(3));
        assert!(threads(None).is_ok_and(|n| n >= 1));
    }

    #[test]
    fn the_percentile_default_is_the_engines() {
        let from_json: Method = serde_json::from_str(r#"{"method": "percentile"}"#).expect("json");
        assert_eq!(from_json, percentile_method());
    }
}
