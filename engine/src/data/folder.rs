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

/// The sizes of the first sample of `dir`, the one [`list`] would give first, found without
/// listing the rest (a class-folder dataset is read one sub-folder deep, the first only): an
/// image's height and width, read from its header, or its arrays' shapes. `None` when the
/// folder holds no sample or its first cannot be read (loading it later says why).
pub fn first_sample_shape(dir: &Path, n_inputs: usize) -> Option<SampleShape> {
    let image = |p: &Path| {
        let (width, height) = ::image::image_dimensions(p).ok()?;
        Some(SampleShape::Image {
            height: height as usize,
            width: width as usize,
        })
    };
    let arrays = |paths: &[PathBuf]| {
        paths
            .iter()
            .map(|p| npy::read(p).ok().map(|v| v.shape))
            .collect::<Option<Vec<_>>>()
            .map(SampleShape::Arrays)
    };
    for p in sorted(dir).ok()? {
        if p.is_dir() {
            let paths: Vec<PathBuf> = (0..n_inputs)
                .map(|i| p.join(format!("input_{i}.npy")))
                .collect();
            if paths.iter().all(|a| a.is_file()) {
                return arrays(&paths);
            }
            let first = sorted(&p)
                .ok()?
                .into_iter()
                .find(|f| IMAGE_EXT.contains(&ext(f).as_str()));
            if let Some(f) = first {
                return image(&f);
            }
        } else if IMAGE_EXT.contains(&ext(&p).as_str()) {
            return image(&p);
        } else if ext(&p) == "npy" && n_inputs == 1 {
            return arrays(&[p]);
        }
    }
    None
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

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    /// The first sample found without listing is the one `list` gives first, in each layout.
    #[test]
    fn the_first_sample_is_lists_first() {
        let root = std::env::temp_dir().join(format!("pocket-first-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&root);
        let png = |p: &Path, w: u32, h: u32| {
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            ::image::RgbImage::new(w, h).save(p).unwrap();
        };
        let flat = root.join("flat");
        png(&flat.join("b.png"), 7, 5);
        png(&flat.join("a.png"), 9, 3);
        std::fs::write(flat.join("notes.txt"), "x").unwrap();
        let classes = root.join("classes");
        png(&classes.join("cat/2.png"), 4, 6);
        png(&classes.join("ant/9.png"), 11, 2);
        png(&classes.join("ant/1.png"), 8, 8);
        let arrays = root.join("arrays");
        std::fs::create_dir_all(&arrays).unwrap();
        npy::write(
            arrays.join("s0.npy"),
            &Value::f32(vec![1, 4, 3], vec![0.0; 12]),
        )
        .unwrap();
        for (dir, want) in [
            (
                &flat,
                SampleShape::Image {
                    height: 3,
                    width: 9,
                },
            ),
            (
                &classes,
                SampleShape::Image {
                    height: 8,
                    width: 8,
                },
            ),
            (&arrays, SampleShape::Arrays(vec![vec![1, 4, 3]])),
        ] {
            assert_eq!(first_sample_shape(dir, 1), Some(want), "{}", dir.display());
            let listed = list(dir, 1).unwrap().remove(0);
            let from_list = match listed {
                Item::Image(p, _) => {
                    let (w, h) = ::image::image_dimensions(p).unwrap();
                    SampleShape::Image {
                        height: h as usize,
                        width: w as usize,
                    }
                }
                Item::Arrays(p) => SampleShape::Arrays(vec![npy::read(&p[0]).unwrap().shape]),
            };
            assert_eq!(first_sample_shape(dir, 1), Some(from_list));
        }
        assert_eq!(first_sample_shape(&root.join("missing"), 1), None);
        let _ = std::fs::remove_dir_all(&root);
    }
}
