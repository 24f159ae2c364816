//! Labelled datasets for evaluation: an image folder with one sub-folder per class (the
//! ImageNet / Keras layout), a flat folder with a `labels.csv` (`file,label`), class folders
//! of `.npy` arrays, or a `.npz` with arrays `x` (samples along axis 0) and `y` (labels).
//! Class names are matched by name to the model's labels (metadata, or a `labels.txt` in the
//! data folder); samples are listed in a sorted order and loaded lazily, a chunk at a time.

use std::path::{Path, PathBuf};

use super::image::Preprocess;
use super::{IMAGE_EXT, ext, sorted};
use crate::error::{Error, Result};
use crate::formats::npy;
use crate::ir::{Graph, Value};

/// Where one sample's data lives.
#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// An image file.
    Image(PathBuf),
    /// A `.npy` array (one model input).
    Npy(PathBuf),
    /// Row `i` of the `.npz` array `x`.
    Row(usize),
}

/// A labelled sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// Its data.
    pub source: Source,
    /// Index into the model's classes.
    pub label: usize,
}

/// A labelled dataset.
#[derive(Debug, Clone)]
pub struct Dataset {
    /// The samples, in a stable order.
    pub samples: Vec<Sample>,
    /// Class names (index = model output index); empty for unlabelled data.
    pub classes: Vec<String>,
    /// Whether the samples carry labels (`false`: `Dataset::unlabelled`, every label is 0).
    pub labelled: bool,
    /// The `.npz` rows, when the dataset is a `.npz`.
    rows: Option<Value>,
}

/// Parse `labels.csv`: `file,label` lines (a header line is allowed).
fn read_csv(p: &Path) -> Result<Vec<(String, String)>> {
    let text = std::fs::read_to_string(p).map_err(|e| Error::io(p, e))?;
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let (f, l) = line.split_once(',').ok_or_else(|| {
            Error::data(format!("{}:{}: expected 'file,label'", p.display(), n + 1))
        })?;
        if n == 0
            && (f.trim().eq_ignore_ascii_case("file") || f.trim().eq_ignore_ascii_case("filename"))
        {
            continue;
        }
        out.push((f.trim().to_string(), l.trim().to_string()));
    }
    Ok(out)
}

impl Dataset {
    /// Open `path` for a model whose classes are `model_labels` (empty when the model has none)
    /// and whose classifier output has `n_classes` entries.
    pub fn open(path: &Path, model_labels: &[String], n_classes: usize) -> Result<Dataset> {
        let mut labels: Vec<String> = model_labels.to_vec();
        if labels.is_empty() && path.is_dir() && path.join("labels.txt").is_file() {
            let t = std::fs::read_to_string(path.join("labels.txt"))
                .map_err(|e| Error::io(path.join("labels.txt"), e))?;
            labels = t
                .lines()
                .map(|l| l.trim().to_string())
                .filter(|l| !l.is_empty())
                .collect();
        }
        let mut raw: Vec<(Source, String)> = Vec::new();
        let mut rows = None;
        if path.is_file() && ext(path) == "npz" {
            let arrays = npy::read_npz(path)?;
            let get = |n: &str| {
                arrays
                    .iter()
                    .find(|(k, _)| k == n)
                    .map(|(_, v)| v.clone())
                    .ok_or_else(|| {
                        Error::data(format!("{}: needs arrays 'x' and 'y'", path.display()))
                    })
            };
            let (x, y) = (get("x")?, get("y")?);
            let ys = y.data.to_i64().ok_or_else(|| {
                Error::data(format!("{}: 'y' must hold integer labels", path.display()))
            })?;
            if x.shape.first() != Some(&ys.len()) {
                return Err(Error::data(format!(
                    "{}: 'x' has {:?} but 'y' has {} labels",
                    path.display(),
                    x.shape,
                    ys.len()
                )));
            }
            raw = ys
                .iter()
                .enumerate()
                .map(|(i, &l)| (Source::Row(i), l.to_string()))
                .collect();
            rows = Some(x);
        } else if path.is_dir() {
            let csv = path.join("labels.csv");
            if csv.is_file() {
                raw = read_csv(&csv)?
                    .into_iter()
                    .map(|(f, l)| {
                        let p = path.join(f);
                        (
                            if ext(&p) == "npy" {
                                Source::Npy(p)
                            } else {
                                Source::Image(p)
                            },
                            l,
                        )
                    })
                    .collect();
            } else {
                for sub in sorted(path)?.into_iter().filter(|p| p.is_dir()) {
                    let class = sub
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    for f in sorted(&sub)? {
                        let e = ext(&f);
                        if e == "npy" {
                            raw.push((Source::Npy(f), class.clone()));
                        } else if IMAGE_EXT.contains(&e.as_str()) || f.is_file() {
                            raw.push((Source::Image(f), class.clone()));
                        }
                    }
                }
            }
        } else {
            return Err(Error::data(format!(
                "{} is neither a folder nor a .npz file",
                path.display()
            )));
        }
        if raw.is_empty() {
            return Err(Error::data(format!(
                "{} holds no labelled samples: expected one sub-folder per class, a labels.csv, or a .npz with x and y",
                path.display()
            )));
        }
        // Class names: the model's labels when it has them, else the data's own names.
        let numeric = raw.iter().all(|(_, l)| l.parse::<usize>().is_ok());
        if labels.is_empty() {
            labels = if numeric {
                (0..n_classes).map(|i| i.to_string()).collect()
            } else {
                let mut names: Vec<String> = raw.iter().map(|(_, l)| l.clone()).collect();
                names.sort();
                names.dedup();
                names
            };
        }
        let mut unknown: Vec<String> = Vec::new();
        let mut samples = Vec::with_capacity(raw.len());
        for (s, l) in raw {
            let idx = labels.iter().position(|m| *m == l).or_else(|| {
                if numeric {
                    l.parse::<usize>().ok().filter(|&i| i < labels.len())
                } else {
                    None
                }
            });
            match idx {
                Some(i) => samples.push(Sample {
                    source: s,
                    label: i,
                }),
                None => {
                    if !unknown.contains(&l) {
                        unknown.push(l);
                    }
                }
            }
        }
        if !unknown.is_empty() {
            unknown.sort();
            let shown: Vec<&str> = labels.iter().take(8).map(String::as_str).collect();
            return Err(Error::data(format!(
                "the data's classes {} are not among the model's {} labels ({}{})",
                unknown
                    .iter()
                    .take(8)
                    .map(|u| format!("'{u}'"))
                    .collect::<Vec<_>>()
                    .join(", "),
                labels.len(),
                shown.join(", "),
                if labels.len() > 8 { ", ..." } else { "" }
            )));
        }
        if labels.len() != n_classes {
            return Err(Error::data(format!(
                "the model has {n_classes} output classes but {} labels",
                labels.len()
            )));
        }
        Ok(Dataset {
            samples,
            classes: labels,
            labelled: true,
            rows,
        })
    }

    /// Open `path` without labels, for comparisons that need none: the images and `.npy`
    /// arrays of a folder (flat, or one level of sub-folders such as class folders), or the
    /// array `x` of a `.npz` (samples along axis 0), or one image or `.npy` file.
    pub fn unlabelled(path: &Path) -> Result<Dataset> {
        let source = |f: PathBuf| {
            let e = ext(&f);
            if e == "npy" {
                Some(Source::Npy(f))
            } else if IMAGE_EXT.contains(&e.as_str()) {
                Some(Source::Image(f))
            } else {
                None
            }
        };
        let mut sources = Vec::new();
        let mut rows = None;
        if path.is_file() && ext(path) == "npz" {
            let x = npy::read_npz(path)?
                .into_iter()
                .find(|(k, _)| k == "x")
                .map(|(_, v)| v)
                .ok_or_else(|| Error::data(format!("{}: needs an array 'x'", path.display())))?;
            sources = (0..x.shape.first().copied().unwrap_or(0))
                .map(Source::Row)
                .collect();
            rows = Some(x);
        } else if path.is_file() {
            sources.extend(source(path.to_path_buf()));
        } else if path.is_dir() {
            for p in sorted(path)? {
                if p.is_dir() {
                    sources.extend(sorted(&p)?.into_iter().filter_map(source));
                } else {
                    sources.extend(source(p));
                }
            }
        } else {
            return Err(Error::data(format!("{} does not exist", path.display())));
        }
        if sources.is_empty() {
            return Err(Error::data(format!(
                "{} holds no samples: expected images (png, jpeg, ...), .npy arrays or a .npz with x",
                path.display()
            )));
        }
        Ok(Dataset {
            samples: sources
                .into_iter()
                .map(|source| Sample { source, label: 0 })
                .collect(),
            classes: Vec::new(),
            labelled: false,
            rows,
        })
    }

    /// Load samples `range` in parallel (one scoped thread per core, each decoding a contiguous
    /// share, results in sample order). Failed samples come back as errors (the caller skips and
    /// counts them); nothing else is kept in memory.
    pub fn load(
        &self,
        range: std::ops::Range<usize>,
        g: &Graph,
        pre: &Preprocess,
    ) -> Vec<Result<Value>> {
        let samples = &self.samples[range];
        let one = |s: &Sample| match &s.source {
            Source::Image(p) => pre.load(p, g, 0),
            Source::Npy(p) => npy::read(p).and_then(|v| super::image::to_input(v, g, 0)),
            Source::Row(i) => {
                let x = self.rows.as_ref().ok_or_else(|| Error::data("no rows"))?;
                let per: usize = x.shape[1..].iter().product();
                let mut shape = x.shape.clone();
                shape[0] = 1;
                let data = crate::map_data!(&x.data, v => v[i * per..(i + 1) * per].to_vec());
                super::image::to_input(Value::new(shape, data), g, 0)
            }
        };
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(samples.len());
        if threads <= 1 {
            return samples.iter().map(one).collect();
        }
        let share = samples.len().div_ceil(threads);
        std::thread::scope(|scope| {
            let workers: Vec<_> = samples
                .chunks(share)
                .map(|part| scope.spawn(move || part.iter().map(one).collect::<Vec<_>>()))
                .collect();
            workers
                .into_iter()
                .flat_map(|w| match w.join() {
                    Ok(v) => v,
                    Err(panic) => std::panic::resume_unwind(panic),
                })
                .collect()
        })
    }
}
