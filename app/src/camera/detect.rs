//! Detector and keypoint outputs decoded into boxes and points (no UI): SSD raw heads with
//! anchors (MediaPipe's TensorsToDetections semantics), YOLO-style heads (`[1, N, 4+1+C]` and
//! `[1, 4+C, N]`), the four outputs of `TFLite_Detection_PostProcess`, IoU and greedy
//! non-maximum suppression, and flat landmark vectors. Coordinates are normalized to the model
//! input ([0, 1], x right, y down).

use super::anchors::Anchor;

/// One detected box.
#[derive(Debug, Clone, PartialEq)]
pub struct Detection {
    /// Left, top, right, bottom, normalized.
    pub rect: [f32; 4],
    /// Confidence in [0, 1].
    pub score: f32,
    /// Class index (0 for single-class detectors).
    pub class: usize,
    /// Keypoints (x, y), normalized (SSD heads with extra coordinates).
    pub keypoints: Vec<[f32; 2]>,
}

/// Thresholds for decoding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DecodeOptions {
    /// Boxes scoring less are dropped.
    pub min_score: f32,
    /// Boxes overlapping a better one of the same class by more are dropped.
    pub iou: f32,
    /// Boxes kept at most.
    pub max_boxes: usize,
}

impl Default for DecodeOptions {
    fn default() -> Self {
        DecodeOptions {
            min_score: 0.5,
            iou: 0.3,
            max_boxes: 100,
        }
    }
}

/// Intersection over union of two `[x0, y0, x1, y1]` rectangles (0 when either is empty).
pub fn iou(a: &[f32; 4], b: &[f32; 4]) -> f32 {
    let area = |r: &[f32; 4]| (r[2] - r[0]).max(0.0) * (r[3] - r[1]).max(0.0);
    let iw = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let ih = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = iw * ih;
    let union = area(a) + area(b) - inter;
    if union > 0.0 { inter / union } else { 0.0 }
}

/// Greedy non-maximum suppression per class: best first, a box is dropped when it overlaps a
/// kept box of its class by more than `iou_max`; at most `max` kept.
pub fn nms(mut dets: Vec<Detection>, iou_max: f32, max: usize) -> Vec<Detection> {
    dets.retain(|d| d.score.is_finite() && d.rect.iter().all(|v| v.is_finite()));
    dets.sort_by(|a, b| b.score.total_cmp(&a.score));
    let mut kept: Vec<Detection> = Vec::new();
    for d in dets {
        if kept.len() >= max {
            break;
        }
        if kept
            .iter()
            .all(|k| k.class != d.class || iou(&k.rect, &d.rect) <= iou_max)
        {
            kept.push(d);
        }
    }
    kept
}

fn sigmoid(v: f32) -> f32 {
    1.0 / (1.0 + (-v.clamp(-100.0, 100.0)).exp())
}

/// Decode an SSD raw head: `boxes` is `[N, K]` (x, y, w, h offsets then (K-4)/2 keypoints, in
/// input pixels `scale`), `scores` is `[N, C]` logits; `anchors` has N entries.
pub fn decode_ssd(
    boxes: &[f32],
    k: usize,
    scores: &[f32],
    classes: usize,
    anchors: &[Anchor],
    scale: (f32, f32),
    o: &DecodeOptions,
) -> Vec<Detection> {
    let n = anchors.len();
    if k < 4 || classes == 0 || boxes.len() < n * k || scores.len() < n * classes {
        return Vec::new();
    }
    let (sx, sy) = (scale.0.max(1e-6), scale.1.max(1e-6));
    let mut dets = Vec::new();
    for (i, a) in anchors.iter().enumerate() {
        let (class, logit) = scores[i * classes..(i + 1) * classes]
            .iter()
            .copied()
            .enumerate()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or((0, f32::NEG_INFINITY));
        let score = sigmoid(logit);
        if score < o.min_score {
            continue;
        }
        let r = &boxes[i * k..(i + 1) * k];
        let cx = r[0] / sx * a.w + a.x;
        let cy = r[1] / sy * a.h + a.y;
        let w = r[2] / sx * a.w;
        let h = r[3] / sy * a.h;
        let keypoints = r[4..]
            .chunks_exact(2)
            .map(|p| [p[0] / sx * a.w + a.x, p[1] / sy * a.h + a.y])
            .collect();
        dets.push(Detection {
            rect: [cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0],
            score,
            class,
            keypoints,
        });
    }
    nms(dets, o.iou, o.max_boxes)
}

/// Decode a YOLO head of `n` candidates with `d` values each: centre x, centre y, width,
/// height, then an objectness score when `objectness`, then class scores. `transposed`: the
/// values are `[d, n]` (YOLOv8), else `[n, d]`. Coordinates in input pixels are detected and
/// scaled by `input` (w, h); scores outside [0, 1] get a sigmoid.
#[allow(clippy::too_many_arguments)]
pub fn decode_yolo(
    v: &[f32],
    n: usize,
    d: usize,
    transposed: bool,
    objectness: bool,
    input: (f32, f32),
    o: &DecodeOptions,
) -> Vec<Detection> {
    let first = if objectness { 5 } else { 4 };
    if d <= first.min(4) || v.len() < n * d {
        return Vec::new();
    }
    let at = |i: usize, j: usize| {
        if transposed {
            v[j * n + i]
        } else {
            v[i * d + j]
        }
    };
    let pixels = (0..n).any(|i| (0..4).any(|j| at(i, j).abs() > 2.0));
    let (sx, sy) = if pixels {
        (input.0.max(1.0), input.1.max(1.0))
    } else {
        (1.0, 1.0)
    };
    let raw_scores = (0..n).any(|i| (4..d).any(|j| !(0.0..=1.0).contains(&at(i, j))));
    let prob = |x: f32| if raw_scores { sigmoid(x) } else { x };
    let mut dets = Vec::new();
    for i in 0..n {
        let obj = if objectness { prob(at(i, 4)) } else { 1.0 };
        let (class, cls) = if d > first {
            (first..d)
                .map(|j| (j - first, prob(at(i, j))))
                .max_by(|a, b| a.1.total_cmp(&b.1))
                .unwrap_or((0, 0.0))
        } else {
            (0, 1.0)
        };
        let score = obj * cls;
        if score < o.min_score {
            continue;
        }
        let (cx, cy, w, h) = (at(i, 0) / sx, at(i, 1) / sy, at(i, 2) / sx, at(i, 3) / sy);
        dets.push(Detection {
            rect: [cx - w / 2.0, cy - h / 2.0, cx + w / 2.0, cy + h / 2.0],
            score,
            class,
            keypoints: Vec::new(),
        });
    }
    nms(dets, o.iou, o.max_boxes)
}

/// The four outputs of `TFLite_Detection_PostProcess`: boxes `[N, 4]` as (ymin, xmin, ymax,
/// xmax), classes `[N]`, scores `[N]` and the count of valid entries (already suppressed).
pub fn decode_postprocess(
    boxes: &[f32],
    classes: &[f32],
    scores: &[f32],
    count: f32,
    o: &DecodeOptions,
) -> Vec<Detection> {
    let n = (boxes.len() / 4).min(classes.len()).min(scores.len());
    let valid = if count.is_finite() && count >= 0.0 {
        (count as usize).min(n)
    } else {
        n
    };
    (0..valid)
        .filter(|&i| scores[i] >= o.min_score)
        .map(|i| {
            let b = &boxes[i * 4..i * 4 + 4];
            Detection {
                rect: [b[1], b[0], b[3], b[2]],
                score: scores[i],
                class: if classes[i].is_finite() && classes[i] >= 0.0 {
                    classes[i] as usize
                } else {
                    0
                },
                keypoints: Vec::new(),
            }
        })
        .take(o.max_boxes)
        .collect()
}

/// Landmark layouts of known flat outputs: (points, values per point). 468x3 face mesh,
/// 39x5 pose (x, y, z, visibility, presence), 21x3 hand, 71x3 iris contour, 5x3 iris.
pub fn landmark_layout(numel: usize) -> Option<(usize, usize)> {
    match numel {
        1404 => Some((468, 3)),
        1434 => Some((478, 3)),
        195 => Some((39, 5)),
        165 => Some((33, 5)),
        63 => Some((21, 3)),
        213 => Some((71, 3)),
        15 => Some((5, 3)),
        _ => None,
    }
}

/// Points (x, y) from a flat landmark vector of `per` values each, normalized: values in input
/// pixels are divided by `input` (w, h); values already in [0, 1] stay.
pub fn landmarks(v: &[f32], per: usize, input: (f32, f32)) -> Vec<[f32; 2]> {
    if per < 2 {
        return Vec::new();
    }
    let pts: Vec<[f32; 2]> = v.chunks_exact(per).map(|p| [p[0], p[1]]).collect();
    let pixels = pts.iter().any(|p| p[0].abs() > 1.5 || p[1].abs() > 1.5);
    if pixels {
        let (w, h) = (input.0.max(1.0), input.1.max(1.0));
        pts.iter().map(|p| [p[0] / w, p[1] / h]).collect()
    } else {
        pts
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det(rect: [f32; 4], score: f32, class: usize) -> Detection {
        Detection {
            rect,
            score,
            class,
            keypoints: Vec::new(),
        }
    }

    #[test]
    fn iou_by_hand() {
        // Two 2x2 squares overlapping in a 1x2 strip: 2 / (4 + 4 - 2).
        let a = [0.0, 0.0, 2.0, 2.0];
        let b = [1.0, 0.0, 3.0, 2.0];
        assert!((iou(&a, &b) - 2.0 / 6.0).abs() < 1e-6);
        assert_eq!(iou(&a, &a), 1.0);
        assert_eq!(iou(&a, &[5.0, 5.0, 6.0, 6.0]), 0.0);
        // An empty box overlaps nothing.
        assert_eq!(iou(&[1.0, 1.0, 1.0, 1.0], &[1.0, 1.0, 1.0, 1.0]), 0.0);
        // Contained: 1 / 4.
        assert!((iou(&a, &[0.0, 0.0, 1.0, 1.0]) - 0.25).abs() < 1e-6);
    }

    #[test]
    fn nms_by_hand() {
        let dets = vec![
            det([0.0, 0.0, 2.0, 2.0], 0.6, 0),
            det([0.1, 0.0, 2.1, 2.0], 0.9, 0), // overlaps the first by 0.9
            det([1.0, 0.0, 3.0, 2.0], 0.8, 0), // IoU 0.33 / 0.38 with the others
            det([0.0, 0.0, 2.0, 2.0], 0.7, 1), // other class: kept
            det([5.0, 5.0, 6.0, 6.0], 0.5, 0),
        ];
        let kept = nms(dets.clone(), 0.5, 10);
        let scores: Vec<f32> = kept.iter().map(|d| d.score).collect();
        assert_eq!(scores, vec![0.9, 0.8, 0.7, 0.5]);
        // A tighter threshold also drops the 0.8 box (IoU 2.2 / 5.8 = 0.38 with the 0.9 box).
        let kept = nms(dets.clone(), 0.3, 10);
        let scores: Vec<f32> = kept.iter().map(|d| d.score).collect();
        assert_eq!(scores, vec![0.9, 0.7, 0.5]);
        assert_eq!(nms(dets, 0.5, 2).len(), 2);
    }

    #[test]
    fn ssd_boxes_are_offsets_from_anchors() {
        let anchors = [
            Anchor {
                x: 0.25,
                y: 0.5,
                w: 1.0,
                h: 1.0,
            },
            Anchor {
                x: 0.75,
                y: 0.5,
                w: 1.0,
                h: 1.0,
            },
        ];
        // Box 0: shifted 16 px right of its anchor, 32x64 px on a 128 input, one keypoint.
        let boxes = [
            16.0, 0.0, 32.0, 64.0, 0.0, 8.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
        ];
        let scores = [3.0, -3.0];
        let d = decode_ssd(
            &boxes,
            6,
            &scores,
            1,
            &anchors,
            (128.0, 128.0),
            &DecodeOptions::default(),
        );
        assert_eq!(d.len(), 1);
        let cx = 0.25 + 16.0 / 128.0;
        let want = [cx - 0.125, 0.25, cx + 0.125, 0.75];
        for (a, b) in d[0].rect.iter().zip(want) {
            assert!((a - b).abs() < 1e-6, "{:?}", d[0].rect);
        }
        assert!((d[0].score - sigmoid(3.0)).abs() < 1e-6);
        assert!((d[0].keypoints[0][1] - (0.5 + 8.0 / 128.0)).abs() < 1e-6);
    }

    #[test]
    fn yolo_heads_both_layouts() {
        // Two candidates, 4 + obj + 2 classes, in pixels of a 100x100 input.
        let rows = [
            50.0, 50.0, 20.0, 40.0, 0.9, 0.1, 0.8, //
            10.0, 10.0, 4.0, 4.0, 0.2, 0.9, 0.1,
        ];
        let o = DecodeOptions::default();
        let d = decode_yolo(&rows, 2, 7, false, true, (100.0, 100.0), &o);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].class, 1);
        assert!((d[0].score - 0.72).abs() < 1e-6);
        assert!((d[0].rect[0] - 0.4).abs() < 1e-6 && (d[0].rect[3] - 0.7).abs() < 1e-6);
        // The same first candidate transposed, without objectness (YOLOv8).
        let cols = [
            50.0, 10.0, 50.0, 10.0, 20.0, 4.0, 40.0, 4.0, 0.1, 0.3, 0.8, 0.2,
        ];
        let d = decode_yolo(&cols, 2, 6, true, false, (100.0, 100.0), &o);
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].class, d[0].score), (1, 0.8));
    }

    #[test]
    fn postprocess_outputs_respect_the_count() {
        let boxes = [0.1, 0.2, 0.3, 0.4, 0.0, 0.0, 1.0, 1.0, 0.5, 0.5, 0.6, 0.6];
        let d = decode_postprocess(
            &boxes,
            &[3.0, 1.0, 2.0],
            &[0.9, 0.8, 0.95],
            2.0,
            &DecodeOptions::default(),
        );
        assert_eq!(d.len(), 2);
        assert_eq!(d[0].rect, [0.2, 0.1, 0.4, 0.3]);
        assert_eq!(d[0].class, 3);
    }

    #[test]
    fn landmarks_in_pixels_are_normalized() {
        assert_eq!(landmark_layout(1404), Some((468, 3)));
        assert_eq!(landmark_layout(195), Some((39, 5)));
        assert_eq!(landmark_layout(10), None);
        let p = landmarks(&[64.0, 32.0, 1.0, 128.0, 0.0, 2.0], 3, (128.0, 64.0));
        assert_eq!(p, vec![[0.5, 0.5], [1.0, 0.0]]);
        let p = landmarks(&[0.5, 0.25, 0.0, 9.0, 9.0], 5, (10.0, 10.0));
        assert_eq!(p, vec![[0.5, 0.25]]);
    }
}
