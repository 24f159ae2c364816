//! Input sizes chosen by the user. A model's inputs may have free (symbolic) dimensions: ONNX
//! `dim_param`s or missing dims, TFLite `shape_signature` −1. [`InputShapes`] holds what the
//! user asked for (`--input-shape NAME=D,D,...`, where NAME is an input's name or index, or
//! `DIM=D` for a free dimension's name; the arrays given to `pocket run`), and
//! [`InputShapes::resolve`] turns it into one size per axis against the model's
//! [`InputDims`], with errors in the user's words. A free dimension nothing sizes keeps its
//! default (TFLite: the stored shape; ONNX: 1 for a batch axis) or stays unresolved.

mod flex;
pub use flex::{Flex, differs_beyond_shapes, fix_sizes, fixed, keep_flexible};

use std::collections::BTreeMap;
use std::fmt;

use crate::ir::Graph;

/// One axis of a model input as the file declares it.
#[derive(Debug, Clone, PartialEq)]
pub enum Dim {
    /// A fixed size.
    Fixed(usize),
    /// A free dimension: its name and the size used when nothing else gives one.
    Free {
        /// The dimension's name (`N`, `batch`, or `<input>.<axis>` when the file names none).
        name: String,
        /// The size taken when the user gives none (`None`: the user must choose).
        default: Option<usize>,
    },
}

/// The declared shape of one model input.
#[derive(Debug, Clone, PartialEq)]
pub struct InputDims {
    /// The input's name.
    pub name: String,
    /// One entry per axis.
    pub dims: Vec<Dim>,
}

impl InputDims {
    /// The shape as the user reads it: `[N, 3, H, W]`.
    pub fn symbolic(&self) -> String {
        let parts: Vec<String> = self
            .dims
            .iter()
            .map(|d| match d {
                Dim::Fixed(n) => n.to_string(),
                Dim::Free { name, .. } => name.clone(),
            })
            .collect();
        format!("[{}]", parts.join(", "))
    }

    /// True when some axis is free.
    pub fn has_free(&self) -> bool {
        self.dims.iter().any(|d| matches!(d, Dim::Free { .. }))
    }
}

/// The declared input shapes of a graph: fixed axes, and free ones (signature −1) with their
/// names and the graph's current size as default.
pub fn input_dims(g: &Graph) -> Vec<InputDims> {
    g.inputs
        .iter()
        .enumerate()
        .map(|(i, &t)| {
            let tensor = &g.tensors[t];
            let image_size = g
                .meta
                .inputs
                .get(i)
                .and_then(|m| m.image_size)
                .filter(|_| tensor.shape.len() == 4);
            let dims = tensor
                .shape
                .iter()
                .enumerate()
                .map(|(axis, &d)| match tensor.dim_name(axis) {
                    Some(name) => Dim::Free {
                        name,
                        // Metadata's image size comes ahead of the stored shape (NHWC H, W).
                        default: Some(match (image_size, axis) {
                            (Some((h, _)), 1) => h,
                            (Some((_, w)), 2) => w,
                            _ => d,
                        }),
                    },
                    None => Dim::Fixed(d),
                })
                .collect();
            InputDims {
                name: g.input_name(i),
                dims,
            }
        })
        .collect()
}

/// The sizes of one sample of the user's data (the first of a calibration or evaluation
/// folder), which size a model's free dimensions the user left open.
#[derive(Debug, Clone, PartialEq)]
pub enum SampleShape {
    /// An image: it sizes the height and width of the model's first image input (and 1 its
    /// batch).
    Image {
        /// Height in pixels.
        height: usize,
        /// Width in pixels.
        width: usize,
    },
    /// One array per model input, in input order.
    Arrays(Vec<Vec<usize>>),
}

impl InputDims {
    /// The (height, width) axes of an image input: four axes with a fixed channel count of 1,
    /// 3 or 4 last (NHWC) or second (NCHW); `None` for any other input.
    pub fn image_axes(&self) -> Option<(usize, usize)> {
        let channels = |a: usize| matches!(self.dims.get(a), Some(Dim::Fixed(1 | 3 | 4)));
        match self.dims.len() {
            4 if channels(3) => Some((1, 2)),
            4 if channels(1) => Some((2, 3)),
            _ => None,
        }
    }

    /// The size `sample` gives each axis of this input (`None`: it gives none).
    fn sample_sizes(&self, index: usize, sample: &SampleShape) -> Vec<Option<usize>> {
        match sample {
            SampleShape::Image { height, width } => match self.image_axes() {
                Some((h, w)) => (0..self.dims.len())
                    .map(|axis| match axis {
                        _ if axis == h => Some(*height),
                        _ if axis == w => Some(*width),
                        0 => Some(1),
                        _ => None,
                    })
                    .collect(),
                None => vec![None; self.dims.len()],
            },
            SampleShape::Arrays(arrays) => match arrays.get(index) {
                Some(a) if a.len() == self.dims.len() => a.iter().map(|&d| Some(d)).collect(),
                _ => vec![None; self.dims.len()],
            },
        }
    }
}

/// A free dimension of a model and where it appears.
#[derive(Debug, Clone, PartialEq)]
pub struct FreeDim {
    /// Its name.
    pub name: String,
    /// `(input index, axis)` of every use.
    pub uses: Vec<(usize, usize)>,
}

/// Every free dimension of `inputs`, in order of first use.
pub fn free_dims(inputs: &[InputDims]) -> Vec<FreeDim> {
    let mut out: Vec<FreeDim> = Vec::new();
    for (i, inp) in inputs.iter().enumerate() {
        for (axis, d) in inp.dims.iter().enumerate() {
            if let Dim::Free { name, .. } = d {
                match out.iter_mut().find(|f| &f.name == name) {
                    Some(f) => f.uses.push((i, axis)),
                    None => out.push(FreeDim {
                        name: name.clone(),
                        uses: vec![(i, axis)],
                    }),
                }
            }
        }
    }
    out
}

/// Why the chosen sizes do not fit the model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ShapeError {
    /// A `--input-shape` value that cannot be read.
    #[error("--input-shape '{arg}': {why}")]
    Syntax {
        /// The argument as given.
        arg: String,
        /// What is wrong with it.
        why: String,
    },
    /// A name that is neither an input nor a free dimension.
    #[error("--input-shape {key}: the model has no input or free dimension '{key}' ({known})")]
    Unknown {
        /// The name given.
        key: String,
        /// The inputs and free dimensions there are.
        known: String,
    },
    /// A full shape with the wrong number of dimensions, or a fixed axis given another size.
    #[error("input '{input}' has shape {declared}: {why}")]
    Mismatch {
        /// The input's name.
        input: String,
        /// Its declared shape (`[N, 3, H, W]`).
        declared: String,
        /// What does not fit.
        why: String,
    },
    /// One free dimension given two sizes.
    #[error("dimension '{name}' is given {a} and {b}")]
    Conflict {
        /// The dimension.
        name: String,
        /// One size.
        a: usize,
        /// The other.
        b: usize,
    },
    /// Free dimensions nothing gives a size to (commands that must run refuse).
    #[error("{}", fmt_unresolved(.inputs, .free))]
    Unresolved {
        /// The model's inputs.
        inputs: Vec<InputDims>,
        /// The free dimensions without a size.
        free: Vec<FreeDim>,
    },
}

fn fmt_unresolved(inputs: &[InputDims], free: &[FreeDim]) -> String {
    let mut parts = Vec::new();
    for (i, inp) in inputs.iter().enumerate() {
        if !free.iter().any(|f| f.uses.iter().any(|&(u, _)| u == i)) {
            continue;
        }
        let example: Vec<String> = inp
            .dims
            .iter()
            .map(|d| match d {
                Dim::Fixed(n) => n.to_string(),
                Dim::Free {
                    default: Some(n), ..
                } => n.to_string(),
                Dim::Free { name, .. } => format!("<{name}>"),
            })
            .collect();
        parts.push(format!(
            "input '{}' has free dimensions {}; choose them with --input-shape {}={}",
            inp.name,
            inp.symbolic(),
            inp.name,
            example.join(",")
        ));
    }
    let names: Vec<&str> = free.iter().map(|f| f.name.as_str()).collect();
    format!(
        "{} (or size each free dimension: {})",
        parts.join("; "),
        names
            .iter()
            .map(|n| format!("--input-shape {n}=D"))
            .collect::<Vec<_>>()
            .join(" ")
    )
}

/// What the user asked for, in order of priority: earlier entries win.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct InputShapes {
    specs: Vec<(String, Vec<usize>)>,
}

impl InputShapes {
    /// Parse `NAME=D,D,...` arguments (repeatable; the first one naming a thing wins).
    pub fn parse<S: AsRef<str>>(args: &[S]) -> Result<Self, ShapeError> {
        let mut s = InputShapes::default();
        for a in args {
            s.push_arg(a.as_ref())?;
        }
        Ok(s)
    }

    /// Parse and append one `NAME=D,D,...` argument.
    pub fn push_arg(&mut self, arg: &str) -> Result<(), ShapeError> {
        let bad = |why: &str| ShapeError::Syntax {
            arg: arg.to_string(),
            why: why.to_string(),
        };
        let (key, vals) = arg
            .rsplit_once('=')
            .ok_or_else(|| bad("expected NAME=D,D,... (e.g. x=1,3,640,640 or batch=1)"))?;
        let key = key.trim();
        if key.is_empty() {
            return Err(bad("the name before '=' is empty"));
        }
        let dims = vals
            .split([',', 'x'])
            .map(|v| {
                let v = v.trim();
                match v.parse::<usize>() {
                    Ok(0) => Err(bad("sizes must be at least 1")),
                    Ok(n) if n > i32::MAX as usize => Err(bad(&format!("size {v} is too large"))),
                    Ok(n) => Ok(n),
                    Err(_) if v.is_empty() => Err(bad("a size is missing")),
                    Err(_) => Err(bad(&format!("'{v}' is not a size"))),
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        self.specs.push((key.to_string(), dims));
        Ok(())
    }

    /// Give input `index` the shape `dims` ahead of everything else (an array given to run).
    pub fn prefer_input(&mut self, index: usize, dims: Vec<usize>) {
        self.specs.insert(0, (index.to_string(), dims));
    }

    /// The sizes `sample` gives the free dimensions this choice leaves to the file (its stored
    /// shape or metadata, or nothing), as `(dimension name, size)`: an image sizes the first
    /// image input's height and width (batch 1), arrays every axis of their input. Sizes asked
    /// for win; so does the first sample where two disagree (every other sample is resized or
    /// refused as usual).
    pub fn sample_dims(&self, inputs: &[InputDims], sample: &SampleShape) -> Vec<(String, usize)> {
        let asked = self.resolve_asked(inputs);
        let first_image = inputs.iter().position(|i| i.image_axes().is_some());
        let mut out: Vec<(String, usize)> = Vec::new();
        for (i, inp) in inputs.iter().enumerate() {
            if matches!(sample, SampleShape::Image { .. }) && Some(i) != first_image {
                continue;
            }
            for (axis, (d, size)) in inp.dims.iter().zip(inp.sample_sizes(i, sample)).enumerate() {
                let (Dim::Free { name, .. }, Some(size)) = (d, size) else {
                    continue;
                };
                let taken = asked.contains(&(i, axis))
                    || self.specs.iter().any(|(k, _)| k == name)
                    || out.iter().any(|(k, _)| k == name);
                if !taken && size > 0 {
                    out.push((name.clone(), size));
                }
            }
        }
        out
    }

    /// This choice with [`InputShapes::sample_dims`] added (after everything asked).
    pub fn with_sample(&self, inputs: &[InputDims], sample: &SampleShape) -> InputShapes {
        let mut s = self.clone();
        s.specs.extend(
            self.sample_dims(inputs, sample)
                .into_iter()
                .map(|(name, size)| (name, vec![size])),
        );
        s
    }

    /// `(input, axis)` of every axis the asked-for sizes name (a full input shape or a free
    /// dimension's name).
    fn resolve_asked(&self, inputs: &[InputDims]) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for (i, inp) in inputs.iter().enumerate() {
            let whole = self
                .specs
                .iter()
                .any(|(k, _)| k == &inp.name || k.parse::<usize>().ok() == Some(i));
            for (axis, d) in inp.dims.iter().enumerate() {
                let named = matches!(d, Dim::Free { name, .. }
                    if self.specs.iter().any(|(k, _)| k == name));
                if whole || named {
                    out.push((i, axis));
                }
            }
        }
        out
    }

    /// True when nothing is asked for.
    pub fn is_empty(&self) -> bool {
        self.specs.is_empty()
    }

    /// This choice with `name=size` added for each free dimension of `free` (placeholders).
    pub fn with_dims(&self, free: &[FreeDim], size: usize) -> InputShapes {
        let mut s = self.clone();
        s.specs
            .extend(free.iter().map(|f| (f.name.clone(), vec![size])));
        s
    }

    /// One size per axis of each input; `None` where a free dimension has no size.
    pub fn resolve(&self, inputs: &[InputDims]) -> Result<Vec<Vec<Option<usize>>>, ShapeError> {
        let free = free_dims(inputs);
        // Which input each spec names, and the one-value specs of dimension names.
        let mut per_input: Vec<Option<&[usize]>> = vec![None; inputs.len()];
        let mut per_dim: BTreeMap<&str, usize> = BTreeMap::new();
        for (key, vals) in &self.specs {
            let input = inputs
                .iter()
                .position(|i| &i.name == key)
                .or_else(|| key.parse::<usize>().ok().filter(|&i| i < inputs.len()));
            if let Some(i) = input {
                let inp = &inputs[i];
                if vals.len() != inp.dims.len() {
                    return Err(ShapeError::Mismatch {
                        input: inp.name.clone(),
                        declared: inp.symbolic(),
                        why: format!(
                            "{} dimensions given ({key}={}), it has {}",
                            vals.len(),
                            join(vals),
                            inp.dims.len()
                        ),
                    });
                }
                per_input[i].get_or_insert(vals.as_slice());
            } else if free.iter().any(|f| &f.name == key) {
                let &[v] = vals.as_slice() else {
                    return Err(ShapeError::Syntax {
                        arg: format!("{key}={}", join(vals)),
                        why: format!("'{key}' is one dimension: give one size, e.g. {key}=1"),
                    });
                };
                per_dim.entry(key.as_str()).or_insert(v);
            } else {
                let mut known: Vec<String> = inputs
                    .iter()
                    .enumerate()
                    .map(|(i, x)| format!("input {i} '{}' {}", x.name, x.symbolic()))
                    .collect();
                if known.is_empty() {
                    known.push("it has no inputs".into());
                }
                if !free.is_empty() {
                    let names: Vec<&str> = free.iter().map(|f| f.name.as_str()).collect();
                    known.push(format!("free dimensions: {}", names.join(", ")));
                }
                return Err(ShapeError::Unknown {
                    key: key.clone(),
                    known: known.join("; "),
                });
            }
        }
        // A dimension's size from the full shapes, checked for agreement across inputs.
        let mut from_inputs: BTreeMap<&str, usize> = BTreeMap::new();
        let mut out = Vec::with_capacity(inputs.len());
        for (i, inp) in inputs.iter().enumerate() {
            let mut sizes = Vec::with_capacity(inp.dims.len());
            for (axis, d) in inp.dims.iter().enumerate() {
                let given = per_input[i].and_then(|v| v.get(axis).copied());
                let size = match d {
                    Dim::Fixed(n) => {
                        if let Some(g) = given.filter(|g| g != n) {
                            return Err(ShapeError::Mismatch {
                                input: inp.name.clone(),
                                declared: inp.symbolic(),
                                why: format!("dimension {axis} is fixed at {n}, {g} given"),
                            });
                        }
                        Some(*n)
                    }
                    Dim::Free { name, default } => {
                        if let Some(g) = given {
                            match from_inputs.get(name.as_str()) {
                                Some(&a) if a != g => {
                                    return Err(ShapeError::Conflict {
                                        name: name.clone(),
                                        a,
                                        b: g,
                                    });
                                }
                                _ => {
                                    from_inputs.insert(name, g);
                                }
                            }
                        }
                        given
                            .or_else(|| per_dim.get(name.as_str()).copied())
                            .or(*default)
                    }
                };
                sizes.push(size);
            }
            out.push(sizes);
        }
        Ok(out)
    }

    /// Every input's size, or [`ShapeError::Unresolved`] naming each free dimension without
    /// one.
    pub fn resolve_all(&self, inputs: &[InputDims]) -> Result<Vec<Vec<usize>>, ShapeError> {
        let r = self.resolve(inputs)?;
        let free = unresolved(inputs, &r);
        if !free.is_empty() {
            return Err(ShapeError::Unresolved {
                inputs: inputs.to_vec(),
                free,
            });
        }
        Ok(r.into_iter()
            .map(|s| s.into_iter().map(|d| d.unwrap_or(1)).collect())
            .collect())
    }
}

/// The free dimensions that `resolved` leaves without a size.
pub fn unresolved(inputs: &[InputDims], resolved: &[Vec<Option<usize>>]) -> Vec<FreeDim> {
    free_dims(inputs)
        .into_iter()
        .filter(|f| {
            f.uses.iter().any(|&(i, axis)| {
                resolved
                    .get(i)
                    .and_then(|s| s.get(axis))
                    .is_none_or(|d| d.is_none())
            })
        })
        .collect()
}

fn join(v: &[usize]) -> String {
    v.iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

impl fmt::Display for InputShapes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .specs
            .iter()
            .map(|(k, v)| format!("{k}={}", join(v)))
            .collect();
        f.write_str(&parts.join(" "))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn metadata_image_size_comes_ahead_of_the_stored_shape() {
        let mut g = Graph::default();
        let mut t = crate::ir::Tensor::new("image", crate::ir::DType::F32, vec![1, 1, 1, 3]);
        t.signature = Some(vec![-1, -1, -1, 3]);
        g.tensors.push(t);
        g.inputs.push(0);
        let defaults = |g: &Graph| -> Vec<Option<usize>> {
            input_dims(g)[0]
                .dims
                .iter()
                .map(|d| match d {
                    Dim::Free { default, .. } => *default,
                    Dim::Fixed(_) => None,
                })
                .collect()
        };
        // Without metadata the stored shape sizes the free axes.
        assert_eq!(defaults(&g), vec![Some(1), Some(1), Some(1), None]);
        g.meta.inputs.push(crate::ir::TensorMeta {
            image_size: Some((192, 256)),
            ..Default::default()
        });
        assert_eq!(defaults(&g), vec![Some(1), Some(192), Some(256), None]);
    }

    fn det() -> Vec<InputDims> {
        let free = |n: &str, d| Dim::Free {
            name: n.into(),
            default: d,
        };
        vec![InputDims {
            name: "x".into(),
            dims: vec![
                free("N", Some(1)),
                Dim::Fixed(3),
                free("H", None),
                free("W", None),
            ],
        }]
    }

    #[test]
    fn full_shapes_and_dimension_names_resolve() {
        let s = InputShapes::parse(&["x=2,3,64,32"]).unwrap();
        assert_eq!(s.resolve_all(&det()).unwrap(), vec![vec![2, 3, 64, 32]]);
        let s = InputShapes::parse(&["H=64", "W=96"]).unwrap();
        assert_eq!(s.resolve_all(&det()).unwrap(), vec![vec![1, 3, 64, 96]]);
        // By index, and the first spec naming an input wins.
        let mut s = InputShapes::parse(&["0=1,3,32,32"]).unwrap();
        s.prefer_input(0, vec![1, 3, 64, 64]);
        assert_eq!(s.resolve_all(&det()).unwrap(), vec![vec![1, 3, 64, 64]]);
    }

    #[test]
    fn a_sample_sizes_only_what_the_user_left_open() {
        let image = SampleShape::Image {
            height: 48,
            width: 192,
        };
        let none = InputShapes::default();
        assert_eq!(
            none.with_sample(&det(), &image)
                .resolve_all(&det())
                .unwrap(),
            vec![vec![1, 3, 48, 192]]
        );
        // The user's sizes win, by dimension name or whole input.
        let h = InputShapes::parse(&["H=32"]).unwrap();
        assert_eq!(
            h.with_sample(&det(), &image).resolve_all(&det()).unwrap(),
            vec![vec![1, 3, 32, 192]]
        );
        let whole = InputShapes::parse(&["x=2,3,8,8"]).unwrap();
        assert_eq!(
            whole
                .with_sample(&det(), &image)
                .resolve_all(&det())
                .unwrap(),
            vec![vec![2, 3, 8, 8]]
        );
        // NHWC: height and width are axes 1 and 2; arrays size every free axis.
        let nhwc = vec![InputDims {
            name: "img".into(),
            dims: vec![
                Dim::Free {
                    name: "b".into(),
                    default: Some(1),
                },
                Dim::Free {
                    name: "h".into(),
                    default: Some(1),
                },
                Dim::Free {
                    name: "w".into(),
                    default: Some(1),
                },
                Dim::Fixed(3),
            ],
        }];
        assert_eq!(
            none.with_sample(&nhwc, &image).resolve_all(&nhwc).unwrap(),
            vec![vec![1, 48, 192, 3]]
        );
        let arrays = SampleShape::Arrays(vec![vec![2, 20, 30, 3]]);
        assert_eq!(
            none.with_sample(&nhwc, &arrays).resolve_all(&nhwc).unwrap(),
            vec![vec![2, 20, 30, 3]]
        );
        // An array of another rank sizes nothing.
        let flat = SampleShape::Arrays(vec![vec![600]]);
        assert_eq!(none.with_sample(&nhwc, &flat), none);
    }

    #[test]
    fn unresolved_dims_are_named_with_the_flag() {
        let e = InputShapes::default().resolve_all(&det()).unwrap_err();
        let m = e.to_string();
        assert!(
            m.contains("input 'x' has free dimensions [N, 3, H, W]; choose them with --input-shape x=1,3,<H>,<W>"),
            "{m}"
        );
        assert!(m.contains("--input-shape H=D --input-shape W=D"), "{m}");
        assert!(!m.contains("N=D"), "N has a default: {m}");
    }

    #[test]
    fn bad_values_say_what_is_wrong() {
        let e = |a: &str| match InputShapes::parse(&[a]) {
            Err(e) => e.to_string(),
            Ok(s) => s.resolve(&det()).unwrap_err().to_string(),
        };
        assert!(e("x").contains("expected NAME=D,D,..."), "{}", e("x"));
        assert!(e("x=1,3,a,4").contains("'a' is not a size"));
        assert!(e("x=1,3,0,4").contains("at least 1"));
        assert!(e("x=1,,2").contains("a size is missing"));
        let m = e("y=1,3,4,4");
        assert!(
            m.contains("no input or free dimension 'y' (input 0 'x' [N, 3, H, W]; free dimensions: N, H, W)"),
            "{m}"
        );
        let m = e("x=1,3,4");
        assert!(m.contains("3 dimensions given (x=1,3,4), it has 4"), "{m}");
        let m = e("x=1,4,4,4");
        assert!(m.contains("dimension 1 is fixed at 3, 4 given"), "{m}");
        let m = e("H=4,4");
        assert!(m.contains("give one size, e.g. H=1"), "{m}");
    }

    #[test]
    fn a_dimension_shared_by_two_inputs_must_agree() {
        let free = |n: &str| Dim::Free {
            name: n.into(),
            default: None,
        };
        let inputs = vec![
            InputDims {
                name: "a".into(),
                dims: vec![free("T"), Dim::Fixed(4)],
            },
            InputDims {
                name: "b".into(),
                dims: vec![free("T")],
            },
        ];
        let s = InputShapes::parse(&["a=5,4", "b=6"]).unwrap();
        assert_eq!(
            s.resolve(&inputs).unwrap_err(),
            ShapeError::Conflict {
                name: "T".into(),
                a: 5,
                b: 6
            }
        );
        let s = InputShapes::parse(&["T=7"]).unwrap();
        assert_eq!(s.resolve_all(&inputs).unwrap(), vec![vec![7, 4], vec![7]]);
    }
}
