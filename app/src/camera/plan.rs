//! Which view each model output gets, looking at all outputs at once: the four outputs of
//! `TFLite_Detection_PostProcess`, SSD raw heads (boxes `[1, N, 4+2k]` beside scores
//! `[1, N, C]`, decoded with anchors), YOLO heads, landmark vectors, then the single-output
//! views of [`super::view`]. The user may switch any view to another kind; the plan and the
//! decoding settings are plain data the pipeline and the panel share. No UI here.

use super::anchors::SsdAnchorOptions;
use super::detect::{self, DecodeOptions};
use super::view::{OutputView, classes_view, heat_view, mask_view, pixel_layout};

/// One output of a run, as floats.
#[derive(Debug, Clone, PartialEq)]
pub struct RawOutput {
    /// The output's tensor name.
    pub name: String,
    /// Its shape.
    pub shape: Vec<usize>,
    /// Its values, dequantized.
    pub values: Vec<f32>,
}

/// How a view reads its outputs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViewKind {
    /// Top-k classes.
    Classes,
    /// SSD raw head: outputs (boxes `[1, N, K]`, scores `[1, N, C]`), decoded with anchors.
    Ssd,
    /// YOLO head `[1, N, 4+1+C]` (rows, with objectness) or `[1, 4+C, N]` (transposed).
    Yolo {
        /// Values are `[4+C, N]`.
        transposed: bool,
    },
    /// `TFLite_Detection_PostProcess`: boxes, classes, scores, count.
    PostProcess,
    /// A flat vector of points with `per` values each (x, y first).
    Landmarks {
        /// Values per point.
        per: usize,
    },
    /// Per-pixel mask.
    Mask,
    /// Raw values as a heat map.
    Heat,
}

impl ViewKind {
    /// A short name for the panel.
    pub fn label(&self) -> String {
        match self {
            ViewKind::Classes => "top-k classes".into(),
            ViewKind::Ssd => "SSD detector (anchors)".into(),
            ViewKind::Yolo { transposed: false } => "YOLO detector [N, 4+1+C]".into(),
            ViewKind::Yolo { transposed: true } => "YOLO detector [4+C, N]".into(),
            ViewKind::PostProcess => "detection post-process".into(),
            ViewKind::Landmarks { per } => format!("keypoints ({per} values each)"),
            ViewKind::Mask => "mask".into(),
            ViewKind::Heat => "heat map".into(),
        }
    }

    /// Whether the view draws on the frame.
    pub fn on_frame(&self) -> bool {
        !matches!(self, ViewKind::Classes | ViewKind::Heat)
    }
}

/// A view and the outputs it reads (indices into the model's outputs).
#[derive(Debug, Clone, PartialEq)]
pub struct ViewPlan {
    /// How they are shown.
    pub kind: ViewKind,
    /// Output indices.
    pub outputs: Vec<usize>,
}

/// Settings for building views.
#[derive(Debug, Clone, PartialEq)]
pub struct ViewSettings {
    /// Class names.
    pub labels: Vec<String>,
    /// Classes listed.
    pub k: usize,
    /// Model input (width, height), px.
    pub input: (usize, usize),
    /// Anchors for SSD heads; None: the preset matching the anchor count.
    pub anchors: Option<SsdAnchorOptions>,
    /// Score and IoU thresholds.
    pub decode: DecodeOptions,
    /// Kinds chosen by the user, by the first output of the automatic view.
    pub overrides: Vec<(usize, ViewKind)>,
}

impl ViewSettings {
    /// Defaults for a model with this input size and these labels.
    pub fn new(input: (usize, usize), labels: Vec<String>, k: usize) -> Self {
        ViewSettings {
            labels,
            k,
            input,
            anchors: None,
            decode: DecodeOptions::default(),
            overrides: Vec::new(),
        }
    }
}

/// A built view.
#[derive(Debug, Clone, PartialEq)]
pub struct ShownView {
    /// What it reads.
    pub plan: ViewPlan,
    /// What to draw.
    pub view: OutputView,
}

fn flat_len(s: &[usize]) -> usize {
    s.iter().product()
}

fn is_distribution(v: &[f32]) -> bool {
    let sum: f32 = v.iter().sum();
    v.iter().all(|x| (0.0..=1.0).contains(x)) && (sum - 1.0).abs() < 1e-2
}

/// The automatic views for outputs of `shapes` (`values`: one run's outputs, to tell landmark
/// vectors from class scores; may be empty).
pub fn plan(shapes: &[Vec<usize>], values: &[&[f32]]) -> Vec<ViewPlan> {
    let mut used = vec![false; shapes.len()];
    let mut out = Vec::new();
    // TFLite_Detection_PostProcess: [1, N, 4], [1, N], [1, N], [1].
    if let [b, c, s, n] = shapes
        && matches!(b.as_slice(), [1, _, 4])
        && c.as_slice() == [1, b[1]]
        && s.as_slice() == [1, b[1]]
        && flat_len(n) == 1
    {
        return vec![ViewPlan {
            kind: ViewKind::PostProcess,
            outputs: vec![0, 1, 2, 3],
        }];
    }
    // SSD pairs: boxes [1, N, 4 + 2k] beside scores [1, N, C] with C smaller.
    for i in 0..shapes.len() {
        let [1, n, k] = shapes[i].as_slice() else {
            continue;
        };
        if *n < 16 || *k < 4 || (k - 4) % 2 != 0 || used[i] {
            continue;
        }
        let partner = (0..shapes.len()).find(|&j| {
            j != i
                && !used[j]
                && matches!(shapes[j].as_slice(), [1, m, c] if m == n && *c >= 1 && c < k)
        });
        if let Some(j) = partner {
            used[i] = true;
            used[j] = true;
            out.push(ViewPlan {
                kind: ViewKind::Ssd,
                outputs: vec![i, j],
            });
        }
    }
    for (i, s) in shapes.iter().enumerate() {
        if used[i] {
            continue;
        }
        let v = values.get(i).copied().unwrap_or(&[]);
        out.push(ViewPlan {
            kind: single_kind(s, v),
            outputs: vec![i],
        });
    }
    out.sort_by_key(|p| p.outputs[0]);
    out
}

/// The automatic kind of one output.
fn single_kind(s: &[usize], v: &[f32]) -> ViewKind {
    let n = flat_len(s);
    let big = s.iter().filter(|&&d| d > 1).count();
    if let [1, a, b] = s {
        if *b >= 6 && *a >= 4 * b {
            return ViewKind::Yolo { transposed: false };
        }
        if *a >= 5 && *b >= 4 * a && *a <= 1004 {
            return ViewKind::Yolo { transposed: true };
        }
    }
    if big <= 1
        && let Some((_, per)) = detect::landmark_layout(n)
        && !is_distribution(v)
    {
        return ViewKind::Landmarks { per };
    }
    if big <= 1 && n >= 2 {
        return ViewKind::Classes;
    }
    if pixel_layout(s).is_some() {
        return ViewKind::Mask;
    }
    ViewKind::Heat
}

/// The kinds the user may switch `p` to (its own kind first).
pub fn choices(p: &ViewPlan, shapes: &[Vec<usize>]) -> Vec<ViewKind> {
    let mut v = vec![p.kind];
    let s = shapes.get(p.outputs[0]).map_or(&[][..], |s| s.as_slice());
    let n = flat_len(s);
    v.push(ViewKind::Classes);
    let per = detect::landmark_layout(n).map_or(if n % 3 == 0 { 3 } else { 2 }, |l| l.1);
    if n >= per && n % per == 0 {
        v.push(ViewKind::Landmarks { per });
    }
    if pixel_layout(s).is_some() {
        v.push(ViewKind::Mask);
    }
    v.push(ViewKind::Heat);
    let mut seen = Vec::new();
    v.retain(|k| {
        let fresh = !seen.contains(k);
        seen.push(*k);
        fresh
    });
    v
}

/// The automatic plan with the user's choices applied: a grouped view switched to a
/// single-output kind becomes one view per output.
pub fn apply_overrides(auto: Vec<ViewPlan>, overrides: &[(usize, ViewKind)]) -> Vec<ViewPlan> {
    let mut out = Vec::new();
    for p in auto {
        match overrides.iter().find(|o| o.0 == p.outputs[0]) {
            Some(&(_, k)) if k != p.kind => {
                for &o in &p.outputs {
                    out.push(ViewPlan {
                        kind: k,
                        outputs: vec![o],
                    });
                }
            }
            _ => out.push(p),
        }
    }
    out
}

/// Build the view `p` of `raw` outputs.
pub fn build(p: &ViewPlan, raw: &[RawOutput], s: &ViewSettings) -> OutputView {
    let get = |k: usize| p.outputs.get(k).and_then(|&i| raw.get(i));
    let Some(first) = get(0) else {
        return OutputView::Detections {
            boxes: Vec::new(),
            note: "missing output".into(),
        };
    };
    let (iw, ih) = (s.input.0 as f32, s.input.1 as f32);
    match p.kind {
        ViewKind::Classes => classes_view(&first.values, &s.labels, s.k),
        ViewKind::Mask => mask_view(&first.shape, &first.values)
            .unwrap_or_else(|| heat_view(&first.shape, &first.values)),
        ViewKind::Heat => heat_view(&first.shape, &first.values),
        ViewKind::Landmarks { per } => {
            OutputView::Landmarks(detect::landmarks(&first.values, per, (iw, ih)))
        }
        ViewKind::Ssd => {
            let Some(scores) = get(1) else {
                return OutputView::Detections {
                    boxes: Vec::new(),
                    note: "an SSD head needs boxes and scores".into(),
                };
            };
            let n = first.shape.get(1).copied().unwrap_or(0);
            let k = first.shape.get(2).copied().unwrap_or(0);
            let c = scores.shape.get(2).copied().unwrap_or(1);
            let opts = s
                .anchors
                .clone()
                .or_else(|| SsdAnchorOptions::preset_for(n, s.input));
            let Some(opts) = opts else {
                return OutputView::Detections {
                    boxes: Vec::new(),
                    note: format!("no anchor preset gives {n} anchors: set the anchor options"),
                };
            };
            let anchors = opts.generate();
            if anchors.len() != n {
                return OutputView::Detections {
                    boxes: Vec::new(),
                    note: format!(
                        "the anchor options give {} anchors, the model has {n}",
                        anchors.len()
                    ),
                };
            }
            let boxes = detect::decode_ssd(
                &first.values,
                k,
                &scores.values,
                c,
                &anchors,
                (opts.input_w as f32, opts.input_h as f32),
                &s.decode,
            );
            OutputView::Detections {
                boxes,
                note: format!("anchors: {} ({n})", opts.name),
            }
        }
        ViewKind::Yolo { transposed } => {
            let (a, b) = match first.shape.as_slice() {
                [1, a, b] => (*a, *b),
                _ => (0, 0),
            };
            let (n, d) = if transposed { (b, a) } else { (a, b) };
            let boxes = detect::decode_yolo(
                &first.values,
                n,
                d,
                transposed,
                !transposed,
                (iw, ih),
                &s.decode,
            );
            OutputView::Detections {
                boxes,
                note: format!("{n} candidates"),
            }
        }
        ViewKind::PostProcess => {
            let (Some(c), Some(sc), Some(n)) = (get(1), get(2), get(3)) else {
                return OutputView::Detections {
                    boxes: Vec::new(),
                    note: "post-process needs four outputs".into(),
                };
            };
            let count = n.values.first().copied().unwrap_or(0.0);
            OutputView::Detections {
                boxes: detect::decode_postprocess(
                    &first.values,
                    &c.values,
                    &sc.values,
                    count,
                    &s.decode,
                ),
                note: format!("{count} valid"),
            }
        }
    }
}

/// Every view of one model's outputs under plan `plans`.
pub fn build_all(plans: &[ViewPlan], raw: &[RawOutput], s: &ViewSettings) -> Vec<ShownView> {
    plans
        .iter()
        .map(|p| ShownView {
            plan: p.clone(),
            view: build(p, raw, s),
        })
        .collect()
}

/// The automatic plan of a run's outputs with the user's overrides.
pub fn plan_for(raw: &[RawOutput], s: &ViewSettings) -> Vec<ViewPlan> {
    let shapes: Vec<Vec<usize>> = raw.iter().map(|r| r.shape.clone()).collect();
    let values: Vec<&[f32]> = raw.iter().map(|r| r.values.as_slice()).collect();
    apply_overrides(plan(&shapes, &values), &s.overrides)
}

/// Signal-to-quantization-noise ratio of `q` against `f`, dB (None when sizes differ or the
/// reference is all zero; infinite when equal).
pub fn sqnr_db(f: &[f32], q: &[f32]) -> Option<f64> {
    if f.len() != q.len() || f.is_empty() {
        return None;
    }
    let (mut s, mut e) = (0.0f64, 0.0f64);
    for (&a, &b) in f.iter().zip(q) {
        s += f64::from(a) * f64::from(a);
        e += f64::from(a - b) * f64::from(a - b);
    }
    if !(s > 0.0) || !s.is_finite() || !e.is_finite() {
        return None;
    }
    Some(if e == 0.0 {
        f64::INFINITY
    } else {
        10.0 * (s / e).log10()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shapes(v: &[&[usize]]) -> Vec<Vec<usize>> {
        v.iter().map(|s| s.to_vec()).collect()
    }

    #[test]
    fn outputs_get_views_by_shape_together() {
        let p = plan(&shapes(&[&[1, 896, 16], &[1, 896, 1]]), &[]);
        assert_eq!(
            p,
            vec![ViewPlan {
                kind: ViewKind::Ssd,
                outputs: vec![0, 1]
            }]
        );
        // Scores first, boxes second (palm detection order differs between exports).
        let p = plan(&shapes(&[&[1, 2016, 1], &[1, 2016, 18]]), &[]);
        assert_eq!(p[0].outputs, vec![1, 0]);
        let p = plan(&shapes(&[&[1, 10, 4], &[1, 10], &[1, 10], &[1]]), &[]);
        assert_eq!(p[0].kind, ViewKind::PostProcess);
        let p = plan(&shapes(&[&[1, 8400, 85]]), &[]);
        assert_eq!(p[0].kind, ViewKind::Yolo { transposed: false });
        let p = plan(&shapes(&[&[1, 84, 8400]]), &[]);
        assert_eq!(p[0].kind, ViewKind::Yolo { transposed: true });
        // Pose landmark: keypoints, a score, a mask, heat maps, world landmarks.
        let s = shapes(&[
            &[1, 195],
            &[1, 1],
            &[1, 256, 256, 1],
            &[1, 64, 64, 39],
            &[1, 117],
        ]);
        let kinds: Vec<ViewKind> = plan(&s, &[]).into_iter().map(|p| p.kind).collect();
        assert_eq!(
            kinds,
            vec![
                ViewKind::Landmarks { per: 5 },
                ViewKind::Heat,
                ViewKind::Mask,
                ViewKind::Mask,
                ViewKind::Classes
            ]
        );
        // 15 values summing to one are class scores, not 5 points.
        let probs = [1.0 / 15.0; 15];
        assert_eq!(
            plan(&shapes(&[&[1, 15]]), &[&probs])[0].kind,
            ViewKind::Classes
        );
        assert_eq!(
            plan(&shapes(&[&[1, 1, 1, 1404]]), &[])[0].kind,
            ViewKind::Landmarks { per: 3 }
        );
    }

    #[test]
    fn overrides_split_grouped_views() {
        let auto = plan(&shapes(&[&[1, 896, 16], &[1, 896, 1]]), &[]);
        let p = apply_overrides(auto.clone(), &[(0, ViewKind::Heat)]);
        assert_eq!(p.len(), 2);
        assert!(p.iter().all(|p| p.kind == ViewKind::Heat));
        assert_eq!(apply_overrides(auto.clone(), &[(1, ViewKind::Heat)]), auto);
        let c = choices(&auto[0], &shapes(&[&[1, 896, 16], &[1, 896, 1]]));
        assert_eq!(c[0], ViewKind::Ssd);
        assert!(c.contains(&ViewKind::Heat));
    }

    #[test]
    fn an_ssd_head_decodes_with_the_preset_anchors() {
        // All 896 anchors score low but one, shifted 0 px: a box centred on its anchor.
        let mut boxes = vec![0.0; 896 * 16];
        boxes[2] = 32.0;
        boxes[3] = 32.0;
        let mut scores = vec![-10.0; 896];
        scores[0] = 5.0;
        let raw = vec![
            RawOutput {
                name: "b".into(),
                shape: vec![1, 896, 16],
                values: boxes,
            },
            RawOutput {
                name: "s".into(),
                shape: vec![1, 896, 1],
                values: scores,
            },
        ];
        let s = ViewSettings::new((128, 128), Vec::new(), 5);
        let p = plan_for(&raw, &s);
        match build(&p[0], &raw, &s) {
            OutputView::Detections { boxes, note } => {
                assert_eq!(boxes.len(), 1, "{note}");
                let c = 0.5 / 16.0;
                assert!((boxes[0].rect[0] - (c - 0.125)).abs() < 1e-6);
                assert!(note.contains("face short range"));
            }
            v => panic!("{v:?}"),
        }
        // Anchor options that do not fit say so.
        let mut s2 = s.clone();
        s2.anchors = Some(SsdAnchorOptions::face_full_range());
        match build(&p[0], &raw, &s2) {
            OutputView::Detections { boxes, note } => {
                assert!(boxes.is_empty() && note.contains("2304"), "{note}")
            }
            v => panic!("{v:?}"),
        }
    }

    #[test]
    fn sqnr_by_hand() {
        // Signal power 5 / 2 = 2.5, noise 0.25 / 2: 10 log10(20).
        let v = sqnr_db(&[1.0, 2.0], &[1.5, 2.0]).expect("sqnr");
        assert!((v - 10.0 * 20f64.log10()).abs() < 1e-9);
        assert_eq!(sqnr_db(&[1.0], &[1.0]), Some(f64::INFINITY));
        assert_eq!(sqnr_db(&[1.0], &[1.0, 2.0]), None);
        assert_eq!(sqnr_db(&[0.0], &[1.0]), None);
    }
}
