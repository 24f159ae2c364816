//! Open a model file: read it (TFLite or ONNX, recognised by extension or bytes), optionally
//! with NHWC inputs for ONNX, at the input sizes the user chose, and summarize it.
//!
//! Sizes: a TFLite file's stored shape sizes its free dimensions unless the user chooses
//! others (shapes then re-infer through the graph); an ONNX file is imported at the chosen
//! sizes, a free batch axis defaulting to 1. What must run ([`read_sized`]) refuses free
//! dimensions that nothing sizes, naming them with the flag to set; what only shows
//! ([`open_with`]) builds the graph at a placeholder size and says so. An [`Opened`] keeps the
//! graph as read (TFLite, whose constants are slices of the file's memory map) or only the
//! path (ONNX: the file is read again, memory-mapped, when [`Opened::reshape`] re-prepares it
//! for new sizes, so its bytes are not held beside the graph for the model's lifetime).

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use pocket_engine::Graph;
use pocket_engine::formats::{onnx, read_model};
use pocket_engine::shapes::{self, FreeDim, InputDims, InputShapes, ShapeError};
use pocket_engine::summary::{Summary, summarize};

use super::Progress;

/// Largest ONNX file read (protobuf needs the whole message; the engine says the same).
const MAX_ONNX: u64 = 2 << 30;

/// Sizes tried, in order, for free dimensions nothing sizes when a model is only shown.
pub const PLACEHOLDERS: [usize; 6] = [32, 64, 48, 224, 320, 640];

/// An opened model.
pub struct Opened {
    /// The path it was read from.
    pub path: PathBuf,
    /// File size, bytes.
    pub bytes: usize,
    /// The graph, at the chosen sizes (or `placeholder`).
    pub graph: Graph,
    /// Its summary (inputs, outputs, ops, cost, unsupported ops).
    pub summary: Summary,
    /// The inputs as the file declares them (free dimensions named).
    pub inputs: Vec<InputDims>,
    /// The sizes the graph was built at.
    pub shapes: InputShapes,
    /// Free dimensions nothing sized, and the placeholder size the graph shows them at.
    pub placeholder: Option<(Vec<FreeDim>, usize)>,
    source: Source,
}

/// What a model is re-prepared from.
#[derive(Clone)]
enum Source {
    Onnx {
        path: PathBuf,
        nhwc: bool,
        /// Initializers the user passes as inputs.
        overrides: Vec<String>,
    },
    Tflite(Box<Graph>),
}

/// The inputs as the file declares them (free dimensions named), without building the graph:
/// what `inspect` can still show when no size makes the graph build.
pub fn declared_inputs(path: &Path, signature: Option<&str>) -> Result<Vec<InputDims>> {
    Source::load(path, false, signature)?.declared()
}

/// [`declared_inputs`] with the ONNX initializers `overrides` counted as inputs.
pub fn declared_inputs_with(
    path: &Path,
    signature: Option<&str>,
    overrides: &[String],
) -> Result<Vec<InputDims>> {
    Source::load_with(path, false, signature, overrides)?.declared()
}

/// The initializers an ONNX file lists as graph inputs (constants a user may feed instead);
/// none for TFLite files.
pub fn overridable(path: &Path) -> Result<Vec<String>> {
    match Source::load(path, false, None)? {
        Source::Onnx { path, .. } => {
            onnx::overridable_file(&path).with_context(|| format!("reading {}", path.display()))
        }
        Source::Tflite(_) => Ok(Vec::new()),
    }
}

impl Source {
    fn load(path: &Path, nhwc_input: bool, signature: Option<&str>) -> Result<Source> {
        Source::load_with(path, nhwc_input, signature, &[])
    }

    /// [`Source::load`], with the ONNX initializers `overrides` made inputs.
    fn load_with(
        path: &Path,
        nhwc_input: bool,
        signature: Option<&str>,
        overrides: &[String],
    ) -> Result<Source> {
        let onnx = is_onnx(path) || (!is_tflite(path) && sniff_onnx(path));
        if onnx && signature.is_some() {
            bail!("--signature applies to .tflite models (ONNX files have no signatures)");
        }
        if onnx {
            if file_size(path) as u64 > MAX_ONNX {
                // The engine's reader says why (external data).
                return Err(onnx::read_file(path).err().map_or_else(
                    || anyhow::anyhow!("{} is too large", path.display()),
                    anyhow::Error::from,
                ));
            }
            return Ok(Source::Onnx {
                path: path.to_path_buf(),
                nhwc: nhwc_input,
                overrides: overrides.to_vec(),
            });
        }
        if let Some(o) = overrides.first() {
            bail!(
                "input '{o}': only ONNX initializers listed as graph inputs can be passed; \
                 {} has no such input",
                path.display()
            );
        }
        if nhwc_input {
            bail!("NHWC input applies to .onnx models (TFLite inputs are NHWC already)");
        }
        // Engine errors already name the file.
        let mut g = read_model(path)?;
        if let Some(key) = signature {
            choose_signature(&mut g, path, key)?;
        }
        Ok(Source::Tflite(Box::new(g)))
    }

    /// The declared inputs.
    fn declared(&self) -> Result<Vec<InputDims>> {
        Ok(match self {
            Source::Onnx {
                path, overrides, ..
            } => onnx::declared_inputs_file(path, 1, overrides)
                .with_context(|| format!("reading {}", path.display()))?,
            Source::Tflite(g) => shapes::input_dims(g),
        })
    }

    /// The graph at `sizes`, which must size every free dimension the source needs sized.
    fn build(&self, sizes: &InputShapes) -> Result<Graph> {
        match self {
            Source::Onnx {
                path,
                nhwc,
                overrides,
            } => {
                let opts = onnx::ImportOptions {
                    nhwc_input: *nhwc,
                    shapes: sizes.clone(),
                    overrides: overrides.clone(),
                    ..Default::default()
                };
                // The engine's errors name the file.
                Ok(onnx::read_file_with(path, &opts)?)
            }
            Source::Tflite(g) => {
                let mut g = (**g).clone();
                if !sizes.is_empty() {
                    let all = sizes.resolve_all(&shapes::input_dims(&g))?;
                    g.reinfer(&all)?;
                }
                Ok(g)
            }
        }
    }

    /// Record on an ONNX graph `g`, built at `sizes`, whether its translation holds at other
    /// sizes: it is imported again with every free dimension doubled and compared (constants
    /// folded from shapes at the chosen size differ). Nothing to do for TFLite (shapes
    /// re-infer) or without free dimensions.
    fn check_resizable(&self, g: &mut Graph, declared: &[InputDims], sizes: &InputShapes) {
        if !matches!(self, Source::Onnx { .. }) || !declared.iter().any(|d| d.has_free()) {
            return;
        }
        let verdict = (|| {
            let resolved = sizes.resolve(declared).map_err(|e| e.to_string())?;
            let mut other = InputShapes::default();
            for (i, (d, r)) in declared.iter().zip(&resolved).enumerate() {
                let dims = d
                    .dims
                    .iter()
                    .zip(r)
                    .map(|(dim, &size)| match dim {
                        shapes::Dim::Fixed(n) => *n,
                        shapes::Dim::Free { .. } => size.unwrap_or(1) * 2,
                    })
                    .collect();
                other.prefer_input(i, dims);
            }
            let h = self.build(&other).map_err(|e| {
                format!("the graph cannot be built at other sizes ({other}): {e:#}")
            })?;
            match shapes::differs_beyond_shapes(g, &h) {
                Some(why) => Err(why),
                None => Ok(()),
            }
        })();
        if let Some(src) = g.source.as_deref_mut() {
            src.resizable = Some(match verdict {
                Ok(()) => pocket_engine::ir::Resizable::Yes,
                Err(why) => pocket_engine::ir::Resizable::Fixed(why),
            });
        }
    }
}

fn sniff_onnx(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 8];
    let n = std::fs::File::open(path)
        .and_then(|mut f| f.read(&mut head))
        .unwrap_or(0);
    n == 8 && head.get(4..8) != Some(b"TFL3") && onnx::sniff(&head)
}

fn is_tflite(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("tflite"))
}

/// Read a model file to run it, at the sizes `shapes` chooses. With `nhwc_input`, an ONNX
/// model's image input becomes NHWC; TFLite inputs are NHWC already, so asking for it there is
/// an error. Refuses free dimensions that nothing sizes, naming each and the flag.
/// `signature` picks a TFLite SignatureDef by its key.
pub fn read_sized(
    path: &Path,
    nhwc_input: bool,
    shapes: &InputShapes,
    signature: Option<&str>,
) -> Result<Graph> {
    read_sized_with(path, nhwc_input, shapes, signature, &[])
}

/// [`read_sized`] with the ONNX initializers `overrides` (listed as graph inputs) made graph
/// inputs, so the caller passes their values.
pub fn read_sized_with(
    path: &Path,
    nhwc_input: bool,
    shapes: &InputShapes,
    signature: Option<&str>,
    overrides: &[String],
) -> Result<Graph> {
    let src = Source::load_with(path, nhwc_input, signature, overrides)?;
    let (g, _) = sized(&src, shapes)?;
    Ok(g)
}

/// [`read_sized`] for an export: an ONNX graph with free dimensions also records whether it
/// can be resized (`Graph::source`'s `resizable`), so the export keeps or drops its shape
/// signatures rightly (see `tasks::quantize::keep_flexible`).
pub fn read_for_export(
    path: &Path,
    nhwc_input: bool,
    shapes: &InputShapes,
    signature: Option<&str>,
) -> Result<Graph> {
    let src = Source::load(path, nhwc_input, signature)?;
    let (mut g, declared) = sized(&src, shapes)?;
    src.check_resizable(&mut g, &declared, shapes);
    Ok(g)
}

/// The graph of `src` at `shapes`, refusing free dimensions nothing sizes; with the declared
/// inputs.
fn sized(src: &Source, shapes: &InputShapes) -> Result<(Graph, Vec<InputDims>)> {
    let declared = src.declared()?;
    let resolved = shapes.resolve(&declared)?;
    let free = shapes::unresolved(&declared, &resolved);
    if !free.is_empty() {
        return Err(pocket_engine::Error::from(ShapeError::Unresolved {
            inputs: declared,
            free,
        })
        .into());
    }
    Ok((src.build(shapes)?, declared))
}

/// [`read_sized`] with no sizes chosen (the file's own).
pub fn read(path: &Path, nhwc_input: bool) -> Result<Graph> {
    read_sized(path, nhwc_input, &InputShapes::default(), None)
}

/// Whether `path` names an ONNX file (by extension).
pub fn is_onnx(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("onnx"))
}

/// Size of the file at `path` in bytes (0 when it cannot be read).
pub fn file_size(path: &Path) -> usize {
    std::fs::metadata(path).map_or(0, |m| m.len() as usize)
}

/// Read and summarize a model; `progress` sees (0, 2) before reading, (1, 2) before
/// summarizing.
pub fn open(path: &Path, progress: Progress<'_>) -> Result<Opened> {
    open_with(path, &InputShapes::default(), None, progress)
}

/// [`open`] at the sizes `shapes` chooses. Never refuses free dimensions: those nothing sizes
/// are shown at a placeholder size (see [`Opened::placeholder`]). `signature` picks a TFLite
/// SignatureDef by its key.
pub fn open_with(
    path: &Path,
    shapes: &InputShapes,
    signature: Option<&str>,
    progress: Progress<'_>,
) -> Result<Opened> {
    progress(0, 2);
    let source = Source::load(path, false, signature)?;
    progress(1, 2);
    prepare(source, shapes, path.to_path_buf(), file_size(path))
}

fn prepare(source: Source, shapes: &InputShapes, path: PathBuf, bytes: usize) -> Result<Opened> {
    let inputs = source.declared()?;
    let resolved = shapes.resolve(&inputs)?;
    let free = shapes::unresolved(&inputs, &resolved);
    let (graph, used, placeholder) = if free.is_empty() {
        (source.build(shapes)?, shapes.clone(), None)
    } else {
        let mut errors: Vec<anyhow::Error> = Vec::new();
        let mut found = None;
        for p in PLACEHOLDERS {
            let s = shapes.with_dims(&free, p);
            match source.build(&s) {
                Ok(g) => {
                    found = Some((g, s, p));
                    break;
                }
                Err(e) => errors.push(e),
            }
        }
        match found {
            Some((g, s, p)) => (g, s, Some((free, p))),
            None => {
                let same = errors
                    .windows(2)
                    .all(|w| format!("{:#}", w[0]) == format!("{:#}", w[1]));
                let mut errors = errors.into_iter();
                let Some(e) = errors.next() else {
                    bail!("no placeholder size to try");
                };
                if same {
                    // The same failure at every size: not a matter of sizes.
                    return Err(e);
                }
                let names: Vec<&str> = free.iter().map(|f| f.name.as_str()).collect();
                return Err(e.context(format!(
                    "the graph cannot be built without sizes for its free dimensions {} \
                     (tried {PLACEHOLDERS:?}); choose them with --input-shape",
                    names.join(", ")
                )));
            }
        }
    };
    let mut graph = graph;
    source.check_resizable(&mut graph, &inputs, &used);
    let summary = summarize(&graph);
    Ok(Opened {
        path,
        bytes,
        graph,
        summary,
        inputs,
        shapes: used,
        placeholder,
        source,
    })
}

impl Opened {
    /// Every free dimension of the model's inputs, in order of first use.
    pub fn free_dims(&self) -> Vec<FreeDim> {
        shapes::free_dims(&self.inputs)
    }

    /// The input sizes the file's metadata states, in words (ONNX: Ultralytics' `imgsz` and
    /// `batch`; TFLite: an image input's `default_size`); `None` when it states none.
    pub fn metadata_sizes(&self) -> Option<String> {
        match &self.source {
            Source::Onnx { path, .. } => onnx::metadata_sizes_file(path).ok()?.describe(),
            Source::Tflite(g) => {
                let v: Vec<String> = g
                    .meta
                    .inputs
                    .iter()
                    .enumerate()
                    .filter_map(|(i, m)| {
                        m.image_size
                            .map(|(h, w)| format!("input {i} image {h}×{w}"))
                    })
                    .collect();
                (!v.is_empty()).then(|| v.join(", "))
            }
        }
    }

    /// The same model re-prepared at the sizes `shapes` chooses (ONNX: re-imported from the
    /// file, so shape subgraphs fold at the new sizes; TFLite: shapes re-inferred).
    pub fn reshape(&self, shapes: &InputShapes) -> Result<Opened> {
        prepare(self.source.clone(), shapes, self.path.clone(), self.bytes)
    }

    /// The graph, if it can run at the sizes chosen: refuses when free dimensions were only
    /// given a placeholder.
    pub fn runnable(&self) -> Result<&Graph> {
        match &self.placeholder {
            None => Ok(&self.graph),
            Some((free, _)) => Err(pocket_engine::Error::from(ShapeError::Unresolved {
                inputs: self.inputs.clone(),
                free: free.clone(),
            })
            .into()),
        }
    }
}

/// Make the SignatureDef `key` of the .tflite file at `path` the graph's signature (its names
/// for the inputs and outputs). The runtime runs the main subgraph, so a signature of another
/// subgraph is refused, saying so.
pub fn choose_signature(g: &mut Graph, path: &Path, key: &str) -> Result<()> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let defs = pocket_engine::formats::tflite::signatures::read(&bytes)
        .with_context(|| format!("reading the signatures of {}", path.display()))?;
    let keys: Vec<String> = defs
        .iter()
        .map(|d| format!("'{}'", d.signature.key))
        .collect();
    let Some(def) = defs.into_iter().find(|d| d.signature.key == key) else {
        if keys.is_empty() {
            bail!("--signature {key}: {} has no signatures", path.display());
        }
        bail!(
            "--signature {key}: {} has no signature '{key}' (it has {})",
            path.display(),
            keys.join(", ")
        );
    };
    if def.subgraph != 0 {
        bail!(
            "--signature {key}: the signature runs subgraph {}, and only the main subgraph's \
             signatures can run yet",
            def.subgraph
        );
    }
    g.signature = Some(def.signature);
    Ok(())
}
