//! The quantization recipe: everything that decides the bytes of a quantized model, as
//! versioned JSON saved beside every output. The same model + recipe + calibration data always
//! gives the same file.

use serde::{Deserialize, Serialize};

use super::calib::Method;
use crate::error::{Error, QuantError, Result};
use crate::ir::Graph;
use crate::kernels::Numerics;

/// Current recipe format version.
pub const RECIPE_VERSION: u32 = 1;

/// What kind of model to produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// f32 weights stored as f16 behind DEQUANTIZE; math stays f32 (about half the size).
    Float16,
    /// Large weights stored int8, activations f32; hybrid kernels (about a quarter the size).
    DynamicRangeInt8,
    /// Everything int8 (weights, activations), calibrated on sample data.
    Int8,
}

/// Type of the model's inputs and outputs in full-integer mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Io {
    /// float32 in and out, with QUANTIZE/DEQUANTIZE at the edges (drop-in replacement).
    #[default]
    Float,
    /// int8 in and out (the caller quantizes).
    Int8,
    /// uint8 in and out (e.g. raw camera pixels).
    Uint8,
}

/// Weight quantization granularity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Weights {
    /// One scale per output channel (conv, depthwise, fully connected): more accurate.
    #[default]
    PerChannel,
    /// One scale per weight tensor: runs on the oldest runtimes.
    PerTensor,
}

/// How activation ranges are measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Calibration {
    /// Range method and its parameters.
    #[serde(flatten)]
    pub method: Method,
    /// Use at most this many samples of the calibration data.
    #[serde(default = "default_max_samples")]
    pub max_samples: usize,
}

fn default_max_samples() -> usize {
    100
}

fn default_version() -> u32 {
    RECIPE_VERSION
}

impl Default for Calibration {
    fn default() -> Self {
        Calibration {
            method: Method::Minmax,
            max_samples: default_max_samples(),
        }
    }
}

/// A quantization recipe.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Recipe {
    /// Format version (currently 1).
    #[serde(default = "default_version")]
    pub version: u32,
    /// What to produce.
    pub mode: Mode,
    /// Graph input/output type (full-integer mode).
    #[serde(default)]
    pub io: Io,
    /// Weight granularity.
    #[serde(default)]
    pub weights: Weights,
    /// Activation range measurement (full-integer mode).
    #[serde(default)]
    pub calibration: Calibration,
    /// Nodes kept in float: exact node names, or regular expressions matched against node
    /// names and op names (`^CONV_2D$`, `logits`).
    #[serde(default)]
    pub keep_float: Vec<String>,
    /// How calibration images become model inputs (`None`: the model's own metadata/defaults).
    /// Saved with every output so a run can be replayed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preprocess: Option<crate::data::image::Preprocess>,
    /// The deployment target whose int8 numerics runs of the model follow: `"litert"` (phone /
    /// desktop CPU, LiteRT's default path) or `"reference"` (microcontroller, TFLite Micro).
    /// `None`: `litert`. A `--numerics` flag overrides it.
    #[serde(default, skip_serializing_if = "Option::is_none", with = "target")]
    pub target: Option<Numerics>,
}

/// `target` as its name (`"litert"` / `"reference"`).
mod target {
    use serde::{Deserialize, Deserializer, Serializer, de::Error};

    use crate::kernels::Numerics;

    pub fn serialize<S: Serializer>(t: &Option<Numerics>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(n) => s.serialize_str(n.name()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Numerics>, D::Error> {
        let v: Option<String> = Option::deserialize(d)?;
        v.map(|s| s.parse::<Numerics>().map_err(D::Error::custom))
            .transpose()
    }
}

/// The numerics a run of `model` follows: `flag` if given, else the `target` of the recipe
/// saved beside it (`MODEL.recipe.json`, as exports write it), else `litert`. A recipe that
/// exists but cannot be read is an error in the user's words, not silently ignored.
pub fn numerics_for(model: &std::path::Path, flag: Option<Numerics>) -> Result<Numerics> {
    if let Some(n) = flag {
        return Ok(n);
    }
    let path = model.with_extension("recipe.json");
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Numerics::default()),
        Err(e) => {
            return Err(Error::Quant(QuantError::Recipe(format!(
                "cannot read {}: {e}",
                path.display()
            ))));
        }
    };
    let r = Recipe::from_json(&text).map_err(|e| {
        Error::Quant(QuantError::Recipe(format!(
            "{} (the recipe beside the model): {}",
            path.display(),
            e.chain()
        )))
    })?;
    Ok(r.target.unwrap_or_default())
}

impl Recipe {
    /// A recipe with defaults for `mode`.
    pub fn new(mode: Mode) -> Self {
        Recipe {
            version: RECIPE_VERSION,
            mode,
            io: Io::Float,
            weights: Weights::PerChannel,
            calibration: Calibration::default(),
            keep_float: Vec::new(),
            preprocess: None,
            target: None,
        }
    }

    /// Parse JSON, with errors that say what is wrong.
    pub fn from_json(s: &str) -> Result<Recipe> {
        let r: Recipe = serde_json::from_str(s)
            .map_err(|e| Error::Quant(QuantError::Recipe(format!("invalid JSON: {e}"))))?;
        if r.version != RECIPE_VERSION {
            return Err(Error::Quant(QuantError::Recipe(format!(
                "version {} is not supported (this build reads version {RECIPE_VERSION})",
                r.version
            ))));
        }
        Ok(r)
    }

    /// Pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The node indices of `g` matched by `keep_float`; every pattern must match something.
    pub fn float_nodes(&self, g: &Graph) -> Result<Vec<bool>> {
        let mut keep = vec![false; g.nodes.len()];
        for p in &self.keep_float {
            let re = regex::Regex::new(p).map_err(|e| {
                Error::Quant(QuantError::Recipe(format!(
                    "keep_float pattern '{p}' is not a valid regular expression: {e}"
                )))
            })?;
            let mut hit = false;
            for (i, n) in g.nodes.iter().enumerate() {
                if n.name == *p || re.is_match(&n.name) || re.is_match(&n.op.name()) {
                    keep[i] = true;
                    hit = true;
                }
            }
            if !hit {
                return Err(Error::Quant(QuantError::Recipe(format!(
                    "keep_float pattern '{p}' matches no node of the model"
                ))));
            }
        }
        Ok(keep)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_round_trips_and_bad_targets_are_refused() {
        let mut r = Recipe::new(Mode::Int8);
        assert!(!r.to_json().contains("target"));
        r.target = Some(Numerics::Reference);
        let j = r.to_json();
        assert!(j.contains("\"target\": \"reference\""), "{j}");
        assert_eq!(Recipe::from_json(&j).expect("parse"), r);
        let bad = j.replace("\"reference\"", "\"gpu\"");
        let e = Recipe::from_json(&bad).unwrap_err().chain();
        assert!(e.contains("unknown numerics 'gpu'"), "{e}");
    }

    #[test]
    fn numerics_precedence_flag_then_recipe_then_litert() {
        let dir = std::env::temp_dir().join(format!("pocket-numerics-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let model = dir.join("m.tflite");
        assert_eq!(numerics_for(&model, None).expect("none"), Numerics::Litert);
        let mut r = Recipe::new(Mode::Int8);
        r.target = Some(Numerics::Reference);
        std::fs::write(dir.join("m.recipe.json"), r.to_json()).expect("write");
        assert_eq!(
            numerics_for(&model, None).expect("recipe"),
            Numerics::Reference
        );
        let flag = Some(Numerics::Litert);
        assert_eq!(numerics_for(&model, flag).expect("flag"), Numerics::Litert);
        std::fs::write(dir.join("m.recipe.json"), "{").expect("write");
        assert!(numerics_for(&model, None).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
