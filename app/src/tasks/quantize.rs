//! Quantize a float model with a recipe and (for full int8) a calibration folder. The
//! preprocessing that turned calibration images into inputs is recorded in the returned
//! recipe, so saving that recipe and replaying it (`pocket convert --recipe`) gives the same
//! bytes.

use std::path::Path;
use std::sync::atomic::AtomicBool;

use anyhow::{Context, Result, bail};
use pocket_engine::Graph;
use pocket_engine::data::folder;
use pocket_engine::data::image::Preprocess;
use pocket_engine::formats::tflite;
use pocket_engine::quant::{self, Mode, QuantHooks, Recipe};
use pocket_engine::shapes::{self, Flex};

use super::Progress;

/// What to quantize.
pub struct Request<'a> {
    /// The float model.
    pub graph: &'a Graph,
    /// The recipe. When it names a preprocessing, that one is used (a replay).
    pub recipe: Recipe,
    /// Calibration data: a folder of images (class sub-folders allowed) or of .npy files.
    /// Needed for [`Mode::Int8`] only; other modes ignore it.
    pub calib: Option<&'a Path>,
    /// Preprocessing per input when the recipe names none; `None`: the model's own.
    pub preprocess: Option<Vec<Preprocess>>,
}

/// A quantized model.
pub struct Quantized {
    /// The quantized graph.
    pub graph: Graph,
    /// Its .tflite bytes.
    pub bytes: Vec<u8>,
    /// The recipe as it was applied, with the calibration preprocessing recorded.
    pub recipe: Recipe,
    /// Whether the export keeps the model's free dimensions (shape signatures).
    pub flex: Flex,
}

/// Read a recipe file.
pub fn read_recipe(path: &Path) -> Result<Recipe> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading recipe {}", path.display()))?;
    Recipe::from_json(&text).with_context(|| format!("in {}", path.display()))
}

/// The preprocessing of every input: the recipe's, else `given`, else the model's own.
pub fn preprocessing(
    g: &Graph,
    recipe: &Recipe,
    given: Option<Vec<Preprocess>>,
) -> Vec<Preprocess> {
    match (&recipe.preprocess, given) {
        (Some(p), _) => vec![p.clone(); g.inputs.len()],
        (None, Some(v)) => v,
        (None, None) => (0..g.inputs.len())
            .map(|i| Preprocess::for_input(g, i))
            .collect(),
    }
}

/// Quantize. `progress` sees (samples done, samples planned) while calibrating; setting
/// `cancel` stops between samples with an error.
pub fn quantize(
    req: Request<'_>,
    progress: Progress<'_>,
    cancel: &AtomicBool,
) -> Result<Quantized> {
    let Request {
        graph: g,
        mut recipe,
        calib,
        preprocess,
    } = req;
    let items = match (recipe.mode, calib) {
        (Mode::Int8, Some(dir)) if !dir.as_os_str().is_empty() => {
            folder::list(dir, g.inputs.len())?
        }
        (Mode::Int8, _) => {
            bail!("int8 quantization needs calibration data: a folder of images or .npy files")
        }
        _ => Vec::new(),
    };
    let pre = preprocessing(g, &recipe, preprocess);
    if recipe.mode == Mode::Int8 && items.iter().any(|it| matches!(it, folder::Item::Image(..))) {
        recipe.preprocess = pre.first().cloned();
    }
    let mut samples = items.iter().map(|it| folder::load(it, g, &pre));
    let q = quant::quantize(
        g,
        &recipe,
        &mut samples,
        &QuantHooks {
            progress: Some(progress),
            cancel: Some(cancel),
        },
    )?;
    let mut q = q;
    let flex = keep_flexible(g, &mut q);
    let bytes = tflite::to_bytes(&q)?;
    Ok(Quantized {
        graph: q,
        bytes,
        recipe,
        flex,
    })
}

/// No quantization: the float graph optimized and serialized as .tflite (e.g. ONNX to TFLite).
pub fn float32(g: Graph) -> Result<Vec<u8>> {
    Ok(float32_flex(g)?.0)
}

/// [`float32`], saying whether the export keeps the model's free dimensions.
pub fn float32_flex(mut g: Graph) -> Result<(Vec<u8>, Flex)> {
    let resizable = g.source.as_deref().map(|s| s.resizable.clone());
    pocket_engine::passes::optimize(&mut g)?;
    let flex = flex_of(resizable.as_ref(), &mut g);
    Ok((tflite::to_bytes(&g)?, flex))
}

/// Give the export `out` of the float graph `float` shape signatures where its sizes follow
/// free input dimensions. An ONNX graph whose shape arithmetic was folded at the chosen sizes
/// (or was never checked at others) is written at those sizes instead, saying why.
pub fn keep_flexible(float: &Graph, out: &mut Graph) -> Flex {
    let resizable = float.source.as_deref().map(|s| s.resizable.clone());
    flex_of(resizable.as_ref(), out)
}

/// [`keep_flexible`] from the float graph's `Graph::source` verdict (`None`: not ONNX).
fn flex_of(resizable: Option<&Option<pocket_engine::ir::Resizable>>, out: &mut Graph) -> Flex {
    match resizable {
        Some(Some(pocket_engine::ir::Resizable::Fixed(why))) => shapes::fixed(out, why),
        Some(None) => shapes::fixed(
            out,
            "the ONNX graph was not checked at other sizes (open it with `pocket convert` or \
             the studio to check)",
        ),
        _ => shapes::keep_flexible(out),
    }
}
