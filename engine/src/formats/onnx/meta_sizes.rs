//! Input sizes that an ONNX file's metadata states: Ultralytics exports (YOLO detectors,
//! segmenters, pose models) record `imgsz` (`[H, W]` or one side) and `batch` in
//! `metadata_props`. They size the free dimensions of the image input that nothing else sizes:
//! after the user's arrays and `--input-shape`, ahead of the batch default.

use super::proto::ModelProto;
use crate::shapes::{Dim, InputDims};

/// Sizes a file's metadata states.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct MetaSizes {
    /// Image height and width (`imgsz`).
    pub image: Option<(usize, usize)>,
    /// Batch size (`batch`).
    pub batch: Option<usize>,
}

impl MetaSizes {
    /// What `m`'s `metadata_props` state (unparsable values are ignored).
    pub fn of(m: &ModelProto) -> MetaSizes {
        let get = |key: &str| {
            m.metadata_props
                .iter()
                .find(|p| p.key.as_deref() == Some(key))
                .and_then(|p| p.value.as_deref())
        };
        MetaSizes {
            image: get("imgsz").and_then(parse_imgsz),
            batch: get("batch").and_then(|v| positive(v.trim())),
        }
    }

    /// Give the free dimensions of `inputs` these sizes as their defaults: `imgsz` the H and W
    /// axes (2, 3 in ONNX's NCHW order) of each 4-D input, `batch` axis 0. A size the user
    /// chooses still wins (defaults come last in [`crate::shapes::InputShapes::resolve`]).
    pub fn apply<'a>(&self, inputs: impl IntoIterator<Item = &'a mut InputDims>) {
        for inp in inputs.into_iter().filter(|i| i.dims.len() == 4) {
            let mut set = |axis: usize, size: Option<usize>| {
                if let (Some(size), Some(Dim::Free { default, .. })) =
                    (size, inp.dims.get_mut(axis))
                {
                    *default = Some(size);
                }
            };
            set(0, self.batch);
            set(2, self.image.map(|(h, _)| h));
            set(3, self.image.map(|(_, w)| w));
        }
    }

    /// The sizes in words, for `inspect`: `imgsz 320×320, batch 1`; `None` when there are none.
    pub fn describe(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some((h, w)) = self.image {
            parts.push(format!("imgsz {h}×{w}"));
        }
        if let Some(b) = self.batch {
            parts.push(format!("batch {b}"));
        }
        (!parts.is_empty()).then(|| parts.join(", "))
    }
}

fn positive(s: &str) -> Option<usize> {
    s.parse::<usize>()
        .ok()
        .filter(|&n| (1..=i32::MAX as usize).contains(&n))
}

/// `[320, 320]`, `(480, 640)`, `640`: height and width.
fn parse_imgsz(v: &str) -> Option<(usize, usize)> {
    let inner = v
        .trim()
        .trim_start_matches(['[', '('])
        .trim_end_matches([']', ')']);
    let nums: Vec<usize> = inner
        .split(',')
        .map(|s| positive(s.trim()))
        .collect::<Option<_>>()?;
    match nums.as_slice() {
        [s] => Some((*s, *s)),
        [h, w] => Some((*h, *w)),
        _ => None,
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use crate::formats::onnx::proto::StringStringEntryProto;

    fn model(props: &[(&str, &str)]) -> ModelProto {
        ModelProto {
            metadata_props: props
                .iter()
                .map(|(k, v)| StringStringEntryProto {
                    key: Some(k.to_string()),
                    value: Some(v.to_string()),
                })
                .collect(),
            ..Default::default()
        }
    }

    fn free(name: &str) -> Dim {
        Dim::Free {
            name: name.into(),
            default: None,
        }
    }

    #[test]
    fn ultralytics_imgsz_sizes_free_height_and_width() {
        let m = MetaSizes::of(&model(&[("imgsz", "[320, 256]"), ("batch", "1")]));
        assert_eq!(m.image, Some((320, 256)));
        let mut inputs = vec![InputDims {
            name: "images".into(),
            dims: vec![free("batch"), Dim::Fixed(3), free("height"), Dim::Fixed(99)],
        }];
        m.apply(&mut inputs);
        let defaults: Vec<Option<usize>> = inputs[0]
            .dims
            .iter()
            .map(|d| match d {
                Dim::Free { default, .. } => *default,
                Dim::Fixed(_) => None,
            })
            .collect();
        // A fixed width stays as declared; free batch and height take the metadata's sizes.
        assert_eq!(defaults, vec![Some(1), None, Some(320), None]);
        assert_eq!(m.describe().unwrap(), "imgsz 320×256, batch 1");
    }

    #[test]
    fn odd_values_are_ignored() {
        for v in ["", "[]", "[0, 3]", "a", "[1, 2, 3]", "-4"] {
            assert_eq!(parse_imgsz(v), None, "{v}");
        }
        assert_eq!(parse_imgsz("640"), Some((640, 640)));
        assert_eq!(parse_imgsz("(480,640)"), Some((480, 640)));
        assert_eq!(MetaSizes::of(&model(&[])).describe(), None);
    }
}
