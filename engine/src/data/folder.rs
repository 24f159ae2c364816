//! Sample folders: images (flat, or one sub-folder per class) or `.npy` arrays (one file per
//! sample for single-input models, or one sub-folder per sample holding `input_<i>.npy`).
//! Listing is sorted, so every run sees the same samples in the same order; files are read
//! one at a time, never all at once.

use std::path::{Path, PathBuf};

use super::image::{Preprocess, to_input};
use super::{IMAGE_EXT, ext, sorted};
use crate::error::{Error, Result};
use crate::formats::npy;
use crate::ir::{Graph, Value};
use crate::shapes::SampleShape;

/// One sample on disk.
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// An image, with its class (sub-folder name) if any.
    Image(PathBuf, Option<String>),
    /// One `.npy` per graph input.
    Arrays(Vec<PathBuf>),
}

/// List the samples of `dir` for a model with `n_inputs` inputs.
pub fn list(dir: &Path, n_inputs: usize) -> Result<Vec<Item>> {
    if !dir.is_dir() {
        return Err(Error::data(format!("{} is not a folder", dir.display())));
    }
    let mut items = Vec::new();
    for p in sorted(dir)? {
        if p.is_dir() {
            let inner = sorted(&p)?;
            let arrays: Vec<PathBuf> = (0..n_inputs)
                .map(|i| p.join(format!("input_{i}.npy")))
                .collect();
            if arrays.iter().all(|a| a.is_file()) {
                items.push(Item::Arrays(arrays));
                continue;
            }
            let class = p.file_name().map(|n| n.to_string_lossy().into_owned());
            items.extend(
                inner
                    .into_iter()
                    .filter(|f| IMAGE_EXT.contains(&ext(f).as_str()))
                    .map(|f| Item::Image(f, class.clone())),
            );
        } else if IMAGE_EXT.contains(&ext(&p).as_str()) {
            items.push(Item::Image(p, None));
        } else if ext(&p) == "npy" && n_inputs == 1 {
            items.push(Item::Arrays(vec![p]));
        }
    }
    if items.is_empty() {
        let hint = if n_inputs > 1 {
            format!("sub-folders with input_0.npy .. input_{}.npy", n_inputs - 1)
        } else {
            "images (png, jpeg, ...) or .npy files".into()
        };
        return Err(Error::data(format!(
            "{} holds no samples: expected {hint}",
            dir.display()
        )));
    }
    Ok(items)
}

/// The sizes of the first sample of `dir` (see [`list`]): an image's height and width, read
/// from its header, or its arrays' shapes, read from their headers. `None` when the folder
/// holds no sample or its first cannot be read (loading it later says why).
pub fn first_sample_shape(dir: &Path, n_inputs: usize) -> Option<SampleShape> {
    match list(dir, n_inputs).ok()?.into_iter().next()? {
        Item::Image(p, _) => {
            let (width, height) = ::image::image_dimensions(&p).ok()?;
            Some(SampleShape::Image {
                height: height as usize,
                width: width as usize,
            })
        }
        Item::Arrays(paths) => paths
            .iter()
            .map(|p| npy::read(p).ok().map(|v| v.shape))
            .collect::<Option<Vec<_>>>()
            .map(SampleShape::Arrays),
    }
}

/// Load one sample as model inputs.
pub fn load(item: &Item, g: &Graph, pre: &[Preprocess]) -> Result<Vec<Value>> {
    match item {
        Item::Image(p, _) => {
            if g.inputs.len() != 1 {
                return Err(Error::mismatch(format!(
                    "{}: an image can only feed a single-input model; this one has {} inputs",
                    p.display(),
                    g.inputs.len()
                )));
            }
            Ok(vec![
                pre.first()
                    .unwrap_or(&Preprocess::for_input(g, 0))
                    .load(p, g, 0)?,
            ])
        }
        Item::Arrays(paths) => paths
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let v = npy::read(p)?;
                let t = &g.tensors[g.inputs[i]];
                let fits = v.shape.len() == t.shape.len()
                    && v.shape
                        .iter()
                        .zip(&t.shape)
                        .enumerate()
                        .all(|(d, (a, b))| a == b || (d == 0 && t.has_dynamic_dims()));
                if !fits {
                    return Err(Error::mismatch(format!(
                        "{}: array of shape {:?} does not fit input '{}' of shape {:?}",
                        p.display(),
                        v.shape,
                        g.input_name(i),
                        t.shape
                    )));
                }
                // Calibration feeds the float model: keep float arrays as they are.
                if v.dtype() == t.dtype {
                    Ok(v)
                } else {
                    to_input(v, g, i)
                }
            })
            .collect(),
    }
}
