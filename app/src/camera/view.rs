//! How a model output is shown, chosen by its shape: a classifier's top-k (`[N]`, `[1, N]`), a
//! per-pixel output as a mask (`[1, H, W]` with H, W >= 8, `[1, H, W, C]`, or `[1, C, H, W]`
//! with few channels), anything else as a heat map of the raw values. [`plan`] looks at every
//! output of a model at once, so that detector heads (SSD boxes + scores, YOLO, the four
//! `TFLite_Detection_PostProcess` outputs) and landmark vectors get their own views.

use super::detect::Detection;

/// Channels at most for an output to count as a per-pixel mask.
const MAX_MASK_CLASSES: usize = 64;

/// A displayable model output.
#[derive(Debug, Clone, PartialEq)]
pub enum OutputView {
    /// Top-k classes: (class index, label, probability), best first.
    Classes(Vec<(usize, String, f32)>),
    /// Per-pixel output, `w`×`h`: one class index per pixel when `classes > 1`, else a score
    /// in [0, 1].
    Mask {
        /// Width.
        w: usize,
        /// Height.
        h: usize,
        /// Channels of the output (1: score map).
        classes: usize,
        /// Row-major values.
        data: Vec<f32>,
    },
    /// Boxes (normalized to the model input), after non-maximum suppression.
    Detections {
        /// The boxes, best first.
        boxes: Vec<Detection>,
        /// How they were decoded ("anchors: face short range (896)") or why not.
        note: String,
    },
    /// Points (x, y) normalized to the model input.
    Landmarks(Vec<[f32; 2]>),
    /// Any other output, `w`×`h`, values scaled to [0, 1] between `min` and `max`.
    Heat {
        /// Width.
        w: usize,
        /// Height.
        h: usize,
        /// Row-major values in [0, 1].
        data: Vec<f32>,
        /// Smallest raw value.
        min: f32,
        /// Largest raw value.
        max: f32,
    },
}

impl OutputView {
    /// Top-1 class, for classifier views.
    pub fn top1(&self) -> Option<usize> {
        match self {
            OutputView::Classes(t) => t.first().map(|c| c.0),
            _ => None,
        }
    }
}

/// Probabilities from scores: kept if they already are a distribution, else softmax.
pub fn probabilities(x: &[f32]) -> Vec<f32> {
    let sum: f32 = x.iter().sum();
    if x.iter().all(|v| (0.0..=1.0).contains(v)) && (sum - 1.0).abs() < 1e-2 {
        return x.to_vec();
    }
    let m = x.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let e: Vec<f32> = x.iter().map(|v| (v - m).exp()).collect();
    let s: f32 = e.iter().sum();
    if s > 0.0 && s.is_finite() {
        e.iter().map(|v| v / s).collect()
    } else {
        vec![0.0; x.len()]
    }
}

/// The view for an output of `shape` with float `values`; `labels` name classes, `k` is top-k.
pub fn view_for(shape: &[usize], values: &[f32], labels: &[String], k: usize) -> OutputView {
    let big = shape.iter().filter(|&&d| d > 1).count();
    if big <= 1 && !values.is_empty() {
        return classes_view(values, labels, k);
    }
    mask_view(shape, values).unwrap_or_else(|| heat_view(shape, values))
}

/// Top-k of `values` (probabilities, or logits through a softmax).
pub fn classes_view(values: &[f32], labels: &[String], k: usize) -> OutputView {
    let n = values.len();
    let p = probabilities(values);
    let mut idx: Vec<usize> = (0..n).collect();
    idx.sort_by(|&a, &b| p[b].total_cmp(&p[a]).then(a.cmp(&b)));
    OutputView::Classes(
        idx.into_iter()
            .take(k.max(1))
            .map(|i| {
                let label = labels
                    .get(i)
                    .cloned()
                    .unwrap_or_else(|| format!("class {i}"));
                (i, label, p[i])
            })
            .collect(),
    )
}

/// (h, w, channels, channels-first) of a per-pixel output shape.
pub fn pixel_layout(shape: &[usize]) -> Option<(usize, usize, usize, bool)> {
    match shape {
        // Rank 3 is ambiguous ([1, boxes, 4] is no image): only image-sized maps.
        [1, h, w] if *h >= 8 && *w >= 8 => Some((*h, *w, 1, false)),
        [1, h, w, c] if *h > 1 && *w > 1 && *c <= MAX_MASK_CLASSES => Some((*h, *w, *c, false)),
        [1, c, h, w] if *h > 1 && *w > 1 && *c <= MAX_MASK_CLASSES => Some((*h, *w, *c, true)),
        _ => None,
    }
}

/// A mask, if `shape` is per-pixel: NHWC, NHW, or NCHW with few channels.
pub fn mask_view(shape: &[usize], values: &[f32]) -> Option<OutputView> {
    let (h, w, c, chw) = pixel_layout(shape)?;
    if values.len() != h * w * c {
        return None;
    }
    let at = |y: usize, x: usize, ch: usize| {
        if chw {
            values[(ch * h + y) * w + x]
        } else {
            values[(y * w + x) * c + ch]
        }
    };
    let data: Vec<f32> = if c == 1 {
        let unit = values.iter().all(|v| (0.0..=1.0).contains(v));
        (0..h * w)
            .map(|i| {
                let v = at(i / w, i % w, 0);
                if unit { v } else { 1.0 / (1.0 + (-v).exp()) }
            })
            .collect()
    } else {
        (0..h * w)
            .map(|i| {
                let (y, x) = (i / w, i % w);
                (0..c)
                    .max_by(|&a, &b| at(y, x, a).total_cmp(&at(y, x, b)))
                    .unwrap_or(0) as f32
            })
            .collect()
    };
    Some(OutputView::Mask {
        w,
        h,
        classes: c,
        data,
    })
}

/// The raw values as a heat map: the last dimension across, the rest down.
pub fn heat_view(shape: &[usize], values: &[f32]) -> OutputView {
    let n = values.len();
    let w = shape
        .iter()
        .copied()
        .filter(|&d| d > 1)
        .last()
        .unwrap_or(1)
        .clamp(1, n.max(1));
    let h = (n / w).max(1);
    let (min, max) = values
        .iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &v| {
            (a.min(v), b.max(v))
        });
    let span = if max > min { max - min } else { 1.0 };
    OutputView::Heat {
        w,
        h,
        data: values
            .iter()
            .take(w * h)
            .map(|v| (v - min) / span)
            .collect(),
        min,
        max,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifier_outputs_become_top_k() {
        let labels: Vec<String> = ["a", "b", "c"].map(String::from).to_vec();
        match view_for(&[1, 3], &[0.1, 0.7, 0.2], &labels, 2) {
            OutputView::Classes(t) => {
                assert_eq!(t.len(), 2);
                assert_eq!((t[0].0, t[0].1.as_str()), (1, "b"));
                assert!((t[0].2 - 0.7).abs() < 1e-6);
            }
            v => panic!("{v:?}"),
        }
        // Logits get a softmax.
        let v = view_for(&[3], &[0.0, 0.0, 10.0], &[], 3);
        assert_eq!(v.top1(), Some(2));
        if let OutputView::Classes(t) = v {
            assert!(t[0].2 > 0.99 && t[0].1 == "class 2");
        }
    }

    #[test]
    fn per_pixel_outputs_become_masks() {
        // [1, 2, 2, 2] NHWC: class 1 wins on the diagonal.
        let v = [0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 0.0, 1.0];
        match view_for(&[1, 2, 2, 2], &v, &[], 5) {
            OutputView::Mask {
                w,
                h,
                classes,
                data,
            } => {
                assert_eq!((w, h, classes), (2, 2, 2));
                assert_eq!(data, vec![1.0, 0.0, 0.0, 1.0]);
            }
            v => panic!("{v:?}"),
        }
        // A single-channel logit map goes through a sigmoid.
        match view_for(&[1, 2, 2, 1], &[-20.0, 20.0, 0.0, 0.0], &[], 5) {
            OutputView::Mask { data, .. } => {
                assert!(data[0] < 0.01 && data[1] > 0.99 && (data[2] - 0.5).abs() < 1e-6)
            }
            v => panic!("{v:?}"),
        }
        // NCHW (PyTorch) with 2 channels over a 2x70 map: channel 1 wins everywhere.
        let v: Vec<f32> = (0..280).map(|i| if i < 140 { 0.0 } else { 1.0 }).collect();
        match view_for(&[1, 2, 2, 70], &v, &[], 5) {
            OutputView::Mask {
                w,
                h,
                classes,
                data,
            } => {
                assert_eq!((w, h, classes), (70, 2, 2));
                assert!(data.iter().all(|&c| c == 1.0));
            }
            v => panic!("{v:?}"),
        }
    }

    #[test]
    fn other_outputs_become_heat_maps() {
        let v: Vec<f32> = (0..6).map(|i| i as f32).collect();
        match view_for(&[2, 3], &v, &[], 5) {
            OutputView::Heat {
                w,
                h,
                data,
                min,
                max,
            } => {
                assert_eq!((w, h, min, max), (3, 2, 0.0, 5.0));
                assert_eq!(data[5], 1.0);
            }
            v => panic!("{v:?}"),
        }
        // [1, 100, 4] (e.g. boxes) is not per-pixel.
        assert!(matches!(
            view_for(&[1, 100, 4], &vec![0.5; 400], &[], 5),
            OutputView::Heat { w: 4, h: 100, .. }
        ));
    }
}
