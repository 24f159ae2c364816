//! `TFLite_Detection_PostProcess` and non-max suppression with LiteRT's semantics
//! (`detection_postprocess.cc`, `non_max_suppression.cc`): centre-size box decoding against
//! anchors (in double, as LiteRT), greedy NMS over scores sorted by a stable descending sort,
//! class-agnostic fast NMS and per-class regular NMS, outputs written in LiteRT's order.

/// A box as (ymin, xmin, ymax, xmax).
pub type Corners = [f32; 4];

/// Options of the post-process op.
#[derive(Debug, Clone, Copy)]
pub struct PostParams {
    /// Detections kept.
    pub max_detections: usize,
    /// Classes per detection (fast NMS).
    pub max_classes_per_detection: usize,
    /// Detections per class (regular NMS).
    pub detections_per_class: usize,
    /// Minimum score kept.
    pub score_threshold: f32,
    /// IoU above which a box is suppressed.
    pub iou_threshold: f32,
    /// Classes without background.
    pub num_classes: usize,
    /// (y, x, h, w) scales.
    pub scale: [f32; 4],
    /// Regular (per-class) NMS.
    pub regular: bool,
}

/// The four outputs: boxes `[m, 4]`, classes `[m]`, scores `[m]` and the count, `m =
/// max_detections * max_classes_per_detection` (entries past the count are zero).
#[derive(Debug, Clone, PartialEq)]
pub struct Detections {
    /// Corners of each detection.
    pub boxes: Vec<f32>,
    /// Class index (without background) of each detection.
    pub classes: Vec<f32>,
    /// Score of each detection.
    pub scores: Vec<f32>,
    /// Number of detections written.
    pub count: usize,
}

/// Decode centre-size encodings `(y, x, h, w)` against anchors `(y, x, h, w)`.
pub fn decode_boxes(enc: &[[f32; 4]], anchors: &[[f32; 4]], scale: [f32; 4]) -> Vec<Corners> {
    let s = scale.map(f64::from);
    enc.iter()
        .zip(anchors)
        .map(|(e, a)| {
            let (e, a) = (e.map(f64::from), a.map(f64::from));
            let yc = (e[0] / s[0] * a[2] + a[0]) as f32;
            let xc = (e[1] / s[1] * a[3] + a[1]) as f32;
            let hh = (0.5 * (e[2] / s[2]).exp() * a[2]) as f32;
            let hw = (0.5 * (e[3] / s[3]).exp() * a[3]) as f32;
            [yc - hh, xc - hw, yc + hh, xc + hw]
        })
        .collect()
}

/// LiteRT's `ComputeIntersectionOverUnion` of two corner boxes.
pub fn iou(a: &Corners, b: &Corners) -> f32 {
    let area_a = (a[2] - a[0]) * (a[3] - a[1]);
    let area_b = (b[2] - b[0]) * (b[3] - b[1]);
    if area_a <= 0.0 || area_b <= 0.0 {
        return 0.0;
    }
    let ymin = a[0].max(b[0]);
    let xmin = a[1].max(b[1]);
    let ymax = a[2].min(b[2]);
    let xmax = a[3].min(b[3]);
    let inter = (ymax - ymin).max(0.0) * (xmax - xmin).max(0.0);
    inter / (area_a + area_b - inter)
}

/// Indices of `values` by decreasing value, ties in index order (LiteRT's stable
/// `DecreasingArgSort`).
pub fn decreasing_argsort(values: &[f32]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..values.len()).collect();
    idx.sort_by(|&i, &j| {
        values[j]
            .partial_cmp(&values[i])
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    idx
}

/// The first `k` indices of `values` by decreasing value (LiteRT's `DecreasingPartialArgSort`:
/// for one, the first maximum).
fn top_k(values: &[f32], k: usize) -> Vec<usize> {
    if k == 1 {
        let mut best = 0;
        for (i, &v) in values.iter().enumerate() {
            if v > values[best] {
                best = i;
            }
        }
        return vec![best];
    }
    let mut s = decreasing_argsort(values);
    s.truncate(k);
    s
}

/// Greedy NMS of one class (`NonMaxSuppressionSingleClassHelper`): indices of the kept boxes,
/// best first, at most `max`.
pub fn nms_single_class(
    boxes: &[Corners],
    scores: &[f32],
    max: usize,
    score_threshold: f32,
    iou_threshold: f32,
) -> Vec<usize> {
    let kept: Vec<usize> = (0..scores.len())
        .filter(|&i| scores[i] >= score_threshold)
        .collect();
    let kept_scores: Vec<f32> = kept.iter().map(|&i| scores[i]).collect();
    let order = decreasing_argsort(&kept_scores);
    let n = kept.len();
    let out_size = n.min(max);
    let mut active = vec![true; n];
    let mut n_active = n;
    let mut selected = Vec::with_capacity(out_size);
    for i in 0..n {
        if n_active == 0 || selected.len() >= out_size {
            break;
        }
        if !active[i] {
            continue;
        }
        let bi = kept[order[i]];
        selected.push(bi);
        active[i] = false;
        n_active -= 1;
        for j in i + 1..n {
            if active[j] && iou(&boxes[bi], &boxes[kept[order[j]]]) > iou_threshold {
                active[j] = false;
                n_active -= 1;
            }
        }
    }
    selected
}

/// Why `TFLite_Detection_PostProcess` cannot run on its inputs and options.
#[derive(Debug, Clone, PartialEq)]
pub enum PostProcessError {
    /// The score tensor has neither `classes` nor `classes + 1` columns.
    ScoreColumns {
        /// Columns of the score tensor.
        columns: usize,
        /// `num_classes` of the options.
        classes: usize,
    },
    /// `nms_iou_threshold` outside (0, 1].
    IouThreshold(f32),
    /// A decoded box with ymin > ymax or xmin > xmax.
    InvertedBox,
    /// `detections_per_class` is 0 (regular NMS).
    NoDetectionsPerClass,
    /// `max_classes_per_detection` is 0 (fast NMS).
    NoClassesPerDetection,
}

impl std::fmt::Display for PostProcessError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::ScoreColumns { columns, classes } => write!(
                f,
                "{columns} score columns for {classes} classes (expected {classes} or {})",
                classes + 1
            ),
            Self::IouThreshold(t) => write!(f, "nms_iou_threshold {t} must be in (0, 1]"),
            Self::InvertedBox => f.write_str("a decoded box has ymin > ymax or xmin > xmax"),
            Self::NoDetectionsPerClass => f.write_str("detections_per_class must be positive"),
            Self::NoClassesPerDetection => {
                f.write_str("max_classes_per_detection must be positive")
            }
        }
    }
}

impl std::error::Error for PostProcessError {}

/// Run the post-process on decoded `boxes` and `scores` (`[boxes, classes_with_background]`).
pub fn post_process(
    p: &PostParams,
    boxes: &[Corners],
    scores: &[f32],
    classes_with_background: usize,
) -> Result<Detections, PostProcessError> {
    let nc = p.num_classes;
    let ncb = classes_with_background;
    if ncb < nc || ncb - nc > 1 {
        return Err(PostProcessError::ScoreColumns {
            columns: ncb,
            classes: nc,
        });
    }
    if !(p.iou_threshold > 0.0 && p.iou_threshold <= 1.0) {
        return Err(PostProcessError::IouThreshold(p.iou_threshold));
    }
    if boxes.iter().any(|b| !(b[0] <= b[2] && b[1] <= b[3])) {
        return Err(PostProcessError::InvertedBox);
    }
    let offset = ncb - nc;
    let m = p.max_detections * p.max_classes_per_detection;
    let mut d = Detections {
        boxes: vec![0.0; m * 4],
        classes: vec![0.0; m],
        scores: vec![0.0; m],
        count: 0,
    };
    let put = |d: &mut Detections, at: usize, b: &Corners, class: usize, score: f32| {
        if at < m {
            d.boxes[at * 4..at * 4 + 4].copy_from_slice(b);
            d.classes[at] = class as f32;
            d.scores[at] = score;
        }
    };
    let row = |i: usize| &scores[i * ncb + offset..i * ncb + offset + nc];
    if p.regular {
        let per_class = p.detections_per_class.min(p.max_detections);
        if per_class == 0 {
            return Err(PostProcessError::NoDetectionsPerClass);
        }
        // (score, flat index anchor * ncb + column), best first, across classes so far.
        let mut best: Vec<(f32, usize)> = Vec::new();
        let mut class_scores = vec![0.0f32; boxes.len()];
        for col in 0..nc {
            for (i, s) in class_scores.iter_mut().enumerate() {
                *s = scores[i * ncb + col + offset];
            }
            let sel = nms_single_class(
                boxes,
                &class_scores,
                per_class,
                p.score_threshold,
                p.iou_threshold,
            );
            best.extend(
                sel.iter()
                    .map(|&i| (class_scores[i], i * ncb + col + offset)),
            );
            let vals: Vec<f32> = best.iter().map(|b| b.0).collect();
            let order = decreasing_argsort(&vals);
            let keep = best.len().min(p.max_detections);
            best = order.iter().take(keep).map(|&k| best[k]).collect();
        }
        for (k, &(score, flat)) in best.iter().enumerate() {
            let anchor = flat / ncb;
            put(
                &mut d,
                k,
                &boxes[anchor],
                flat - anchor * ncb - offset,
                score,
            );
        }
        d.count = best.len();
    } else {
        if p.max_classes_per_detection == 0 {
            return Err(PostProcessError::NoClassesPerDetection);
        }
        let per_anchor = p.max_classes_per_detection.min(nc);
        let top: Vec<Vec<usize>> = (0..boxes.len())
            .map(|i| top_k(row(i), per_anchor))
            .collect();
        let max_scores: Vec<f32> = (0..boxes.len()).map(|i| row(i)[top[i][0]]).collect();
        let sel = nms_single_class(
            boxes,
            &max_scores,
            p.max_detections,
            p.score_threshold,
            p.iou_threshold,
        );
        for (k, &i) in sel.iter().enumerate() {
            for (col, &c) in top[i].iter().enumerate() {
                put(
                    &mut d,
                    p.max_classes_per_detection * k + col,
                    &boxes[i],
                    c,
                    row(i)[c],
                );
            }
        }
        d.count = sel.len();
    }
    Ok(d)
}

/// A binary max-heap on the score with libstdc++'s `push_heap` / `pop_heap` steps.
struct Heap(Vec<(usize, f32, usize)>);

impl Heap {
    fn less(&self, a: usize, b: &(usize, f32, usize)) -> bool {
        self.0[a].1 < b.1
    }

    /// `__push_heap`: sift `v` up from `hole` to at most `top`.
    fn sift_up(&mut self, mut hole: usize, top: usize, v: (usize, f32, usize)) {
        while hole > top {
            let parent = (hole - 1) / 2;
            if !self.less(parent, &v) {
                break;
            }
            self.0[hole] = self.0[parent];
            hole = parent;
        }
        self.0[hole] = v;
    }

    fn push(&mut self, v: (usize, f32, usize)) {
        self.0.push(v);
        let n = self.0.len();
        self.sift_up(n - 1, 0, v);
    }

    /// `pop_heap` then `pop_back`: the top, with `__adjust_heap` refilling the hole.
    fn pop(&mut self) -> Option<(usize, f32, usize)> {
        let top = *self.0.first()?;
        let last = self.0.pop()?;
        let len = self.0.len();
        if len == 0 {
            return Some(top);
        }
        let (mut hole, mut child) = (0usize, 0usize);
        while child < len.saturating_sub(1) / 2 {
            child = 2 * (child + 1);
            if self.0[child].1 < self.0[child - 1].1 {
                child -= 1;
            }
            self.0[hole] = self.0[child];
            hole = child;
        }
        if len & 1 == 0 && child == (len - 2) / 2 {
            child = 2 * (child + 1);
            self.0[hole] = self.0[child - 1];
            hole = child - 1;
        }
        self.sift_up(hole, 0, last);
        Some(top)
    }
}

/// LiteRT's NMS IoU of two boxes given as two corners in any order.
fn iou_any(a: &[f32], b: &[f32]) -> f32 {
    let norm = |v: &[f32]| {
        [
            v[0].min(v[2]),
            v[1].min(v[3]),
            v[0].max(v[2]),
            v[1].max(v[3]),
        ]
    };
    iou(&norm(a), &norm(b))
}

/// NON_MAX_SUPPRESSION_V4/V5 (`reference_ops::NonMaxSuppression`): boxes `[n, 4]`, scores
/// `[n]`; candidates above `score_threshold` are taken best first, hard-suppressed at IoU >=
/// `iou_threshold` and, with `soft_nms_sigma > 0`, soft-suppressed (score * exp(-iou^2 /
/// (2 sigma))) and queued again. Returns the selected indices and scores.
pub fn non_max_suppression(
    boxes: &[f32],
    scores: &[f32],
    max_output: usize,
    iou_threshold: f32,
    score_threshold: f32,
    soft_nms_sigma: f32,
) -> (Vec<i32>, Vec<f32>) {
    // (index, score, suppress_begin_index), a max-heap on score laid out as libstdc++'s
    // std::priority_queue keeps it, so that equal scores come out in LiteRT's order.
    let mut queue = Heap(Vec::new());
    for (i, &s) in scores.iter().enumerate() {
        if s > score_threshold {
            queue.push((i, s, 0));
        }
    }
    let n_out = queue.0.len().min(max_output);
    let (mut idx, mut sel) = (Vec::with_capacity(n_out), Vec::with_capacity(n_out));
    let scale = if soft_nms_sigma > 0.0 {
        -0.5 / soft_nms_sigma
    } else {
        0.0
    };
    let bx = |i: usize| &boxes[i * 4..i * 4 + 4];
    while idx.len() < n_out {
        let Some((i, original, begin)) = queue.pop() else {
            break;
        };
        let mut score = original;
        let mut hard = false;
        for j in (begin..idx.len()).rev() {
            let o = iou_any(bx(i), bx(idx[j] as usize));
            if o >= iou_threshold {
                hard = true;
                break;
            }
            if soft_nms_sigma > 0.0 {
                score *= (scale * o * o).exp();
            }
            if score <= score_threshold {
                break;
            }
        }
        if hard {
            continue;
        }
        // As LiteRT: the candidate goes back on the queue even when it was just selected
        // (it is later dropped by its own IoU of 1, or kept again if its box has no area).
        // The extra push and pop shape the heap, which decides the order of equal scores.
        let begin = idx.len();
        if score == original {
            idx.push(i as i32);
            sel.push(score);
        }
        if score > score_threshold {
            queue.push((i, score, begin));
        }
    }
    (idx, sel)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(regular: bool) -> PostParams {
        PostParams {
            max_detections: 3,
            max_classes_per_detection: 1,
            detections_per_class: 3,
            score_threshold: 0.1,
            iou_threshold: 0.5,
            num_classes: 2,
            scale: [1.0; 4],
            regular,
        }
    }

    /// Two overlapping boxes and one apart: the weaker overlapping one is suppressed.
    #[test]
    fn fast_and_regular_nms_by_hand() {
        let boxes = [
            [0.0, 0.0, 1.0, 1.0],
            [0.0, 0.1, 1.0, 1.1],
            [2.0, 2.0, 3.0, 3.0],
        ];
        // background, class 0, class 1
        let scores = [0.0, 0.9, 0.2, 0.0, 0.8, 0.3, 0.0, 0.05, 0.7];
        let d = post_process(&params(false), &boxes, &scores, 3).expect("runs");
        assert_eq!(d.count, 2);
        assert_eq!(d.classes[..2], [0.0, 1.0]);
        assert_eq!(d.scores[..2], [0.9, 0.7]);
        assert_eq!(d.boxes[4..8], boxes[2]);
        let d = post_process(&params(true), &boxes, &scores, 3).expect("runs");
        // class 0 keeps box 0 (0.9); class 1 keeps box 2 (0.7) and box 1 (0.3, overlaps 0 only).
        assert_eq!(d.count, 3);
        assert_eq!(d.scores, [0.9, 0.7, 0.3]);
        assert_eq!(d.classes, [0.0, 1.0, 1.0]);
    }

    #[test]
    fn nms_hard_and_soft() {
        let boxes = [0.0, 0.0, 1.0, 1.0, 1.0, 1.1, 0.0, 0.1, 2.0, 2.0, 3.0, 3.0];
        let scores = [0.9, 0.8, 0.7];
        let (i, s) = non_max_suppression(&boxes, &scores, 3, 0.5, 0.0, 0.0);
        assert_eq!((i, s), (vec![0, 2], vec![0.9, 0.7]));
        // Soft: box 1 decays below box 2 and is selected after it.
        let (i, s) = non_max_suppression(&boxes, &scores, 3, 1.0, 0.0, 0.5);
        assert_eq!(i, vec![0, 2, 1]);
        let o = iou(&[0.0, 0.0, 1.0, 1.0], &[0.0, 0.1, 1.0, 1.1]);
        assert!((s[2] - 0.8 * (-o * o).exp()).abs() < 1e-6, "{s:?}");
    }

    /// Equal scores come out in the order LiteRT 2.3.0 gives (measured with both resolvers on
    /// these inputs): the re-push of each selected candidate shapes libstdc++'s heap.
    #[test]
    fn equal_scores_in_litert_order() {
        let boxes: Vec<f32> = (0..30)
            .flat_map(|i| [i as f32 * 0.1, 0.0, i as f32 * 0.1 + 0.05, 0.05])
            .collect();
        let q = [
            3, 18, 81, 87, 58, 51, 37, 95, 127, 3, 0, 69, 109, 2, 77, 19, 38, 83, 7, 93, 39, 120,
            44, 96, 69, 23, 51, 85, 18, 85,
        ];
        let scores: Vec<f32> = q.iter().map(|&v| v as f32 * 0.007_795_914_5).collect();
        let (i, _) = non_max_suppression(&boxes, &scores, 10, 0.3, 0.2, 0.0);
        assert_eq!(i, vec![8, 21, 12, 23, 7, 19, 3, 29, 27, 17]);
        let (i, _) = non_max_suppression(&boxes, &[0.5; 30], 10, 0.3, 0.2, 0.0);
        assert_eq!(i, vec![0, 2, 6, 14, 29, 28, 27, 26, 25, 24]);
    }

    /// The heap gives scores in decreasing order whatever the insertion order.
    #[test]
    fn heap_pops_in_decreasing_order() {
        let mut h = Heap(Vec::new());
        let v = [0.3, 0.9, 0.1, 0.5, 0.9, 0.7, 0.2, 0.5];
        for (i, &s) in v.iter().enumerate() {
            h.push((i, s, 0));
        }
        let mut got = Vec::new();
        while let Some((_, s, _)) = h.pop() {
            got.push(s);
        }
        let mut want = v.to_vec();
        want.sort_by(|a, b| b.partial_cmp(a).expect("finite"));
        assert_eq!(got, want);
    }

    #[test]
    fn decoding_is_centre_size() {
        let b = decode_boxes(
            &[[1.0, -1.0, 0.0, 0.0]],
            &[[0.5, 0.5, 0.2, 0.4]],
            [10.0, 10.0, 5.0, 5.0],
        );
        let (yc, xc) = (0.1 * 0.2 + 0.5, -0.1 * 0.4 + 0.5);
        let want = [yc - 0.1, xc - 0.2, yc + 0.1, xc + 0.2];
        for (a, w) in b[0].iter().zip(want) {
            assert!((a - w as f32).abs() < 1e-6, "{b:?}");
        }
    }
}
