//! What a detector's boxes and a segmenter's masks lose to quantization: during a comparison
//! both models' outputs are decoded per sample as the live view decodes them (SSD heads with
//! MediaPipe's anchors, YOLO heads, `TFLite_Detection_PostProcess`, per-pixel masks; see
//! [`crate::camera::plan`]) and matched: boxes greedily by IoU within a class (a pair counts at
//! IoU ≥ 0.5), masks pixel by pixel. The views are planned on the first sample's float outputs
//! and kept for every sample.

use std::sync::Mutex;

use pocket_engine::Graph;
use pocket_engine::eval::TaskAgreement;

use crate::camera::detect::{Detection, iou};
use crate::camera::plan::{self, RawOutput, ViewKind, ViewPlan, ViewSettings};
use crate::camera::view::OutputView;

/// IoU at which a quantized box counts as the float box's match.
const MATCH_IOU: f32 = 0.5;

/// Running sums for one decoded view.
#[derive(Debug, Clone)]
enum Sums {
    Boxes {
        float: u64,
        quant: u64,
        matched: u64,
        iou: f64,
    },
    /// Per class: (intersection, union) pixel counts; and pixels agreeing / compared.
    Mask {
        per_class: Vec<(u64, u64)>,
        same: u64,
        pixels: u64,
    },
}

/// Accumulates box and mask agreement over a comparison's samples.
pub struct Agreement {
    names: Vec<String>,
    shapes: Vec<Vec<usize>>,
    settings: ViewSettings,
    state: Mutex<Option<Vec<(ViewPlan, Sums)>>>,
}

impl Agreement {
    /// For comparing `float` (its labels; `input`: its input's width and height, px) with
    /// its quantized version.
    pub fn new(float: &Graph, input: (usize, usize)) -> Agreement {
        Agreement {
            names: (0..float.outputs.len())
                .map(|o| float.output_name(o))
                .collect(),
            shapes: float
                .outputs
                .iter()
                .map(|&t| float.tensors[t].shape.clone())
                .collect(),
            settings: ViewSettings::new(input, float.meta.labels.clone(), 5),
            state: Mutex::new(None),
        }
    }

    fn raw(&self, values: &[Vec<f32>]) -> Vec<RawOutput> {
        values
            .iter()
            .zip(self.names.iter().zip(&self.shapes))
            .map(|(v, (n, s))| RawOutput {
                name: n.clone(),
                shape: s.clone(),
                values: v.clone(),
            })
            .collect()
    }

    /// Decode one sample's outputs of both models and add their agreement.
    pub fn add(&self, float: &[Vec<f32>], quant: &[Vec<f32>]) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        // No box or mask view (a classifier, a landmark model): nothing to decode or copy.
        if state.as_ref().is_some_and(Vec::is_empty) {
            return;
        }
        let (rf, rq) = (self.raw(float), self.raw(quant));
        let views = state.get_or_insert_with(|| {
            plan::plan_for(&rf, &self.settings)
                .into_iter()
                .filter_map(|p| {
                    let sums = match p.kind {
                        ViewKind::Ssd | ViewKind::Yolo { .. } | ViewKind::PostProcess => {
                            Sums::Boxes {
                                float: 0,
                                quant: 0,
                                matched: 0,
                                iou: 0.0,
                            }
                        }
                        ViewKind::Mask => Sums::Mask {
                            per_class: Vec::new(),
                            same: 0,
                            pixels: 0,
                        },
                        _ => return None,
                    };
                    Some((p, sums))
                })
                .collect()
        });
        for (p, sums) in views.iter_mut() {
            let (vf, vq) = (
                plan::build(p, &rf, &self.settings),
                plan::build(p, &rq, &self.settings),
            );
            match (sums, vf, vq) {
                (
                    Sums::Boxes {
                        float,
                        quant,
                        matched,
                        iou,
                    },
                    OutputView::Detections { boxes: bf, .. },
                    OutputView::Detections { boxes: bq, .. },
                ) => {
                    let pairs = match_boxes(&bf, &bq);
                    *float += bf.len() as u64;
                    *quant += bq.len() as u64;
                    *matched += pairs.len() as u64;
                    *iou += pairs.iter().map(|&x| f64::from(x)).sum::<f64>();
                }
                (
                    Sums::Mask {
                        per_class,
                        same,
                        pixels,
                    },
                    OutputView::Mask {
                        classes, data: df, ..
                    },
                    OutputView::Mask { data: dq, .. },
                ) => {
                    let label = |v: f32| {
                        if classes > 1 {
                            v as usize
                        } else {
                            usize::from(v >= 0.5)
                        }
                    };
                    let n = classes.max(2);
                    if per_class.len() < n {
                        per_class.resize(n, (0, 0));
                    }
                    for (&a, &b) in df.iter().zip(&dq) {
                        let (a, b) = (label(a).min(n - 1), label(b).min(n - 1));
                        *pixels += 1;
                        if a == b {
                            *same += 1;
                            if let Some(c) = per_class.get_mut(a) {
                                c.0 += 1;
                                c.1 += 1;
                            }
                        } else {
                            for c in [a, b] {
                                if let Some(c) = per_class.get_mut(c) {
                                    c.1 += 1;
                                }
                            }
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// The agreement of every decoded view, for the report.
    pub fn finish(self) -> Vec<TaskAgreement> {
        let state = self.state.into_inner().unwrap_or_else(|e| e.into_inner());
        let names = &self.names;
        state
            .unwrap_or_default()
            .into_iter()
            .map(|(p, sums)| {
                let outputs = p
                    .outputs
                    .iter()
                    .map(|&o| names.get(o).map_or("?", String::as_str))
                    .collect::<Vec<_>>()
                    .join(" + ");
                match sums {
                    Sums::Boxes {
                        float,
                        quant,
                        matched,
                        iou,
                    } => TaskAgreement {
                        outputs,
                        kind: "boxes".into(),
                        mean_iou: if matched > 0 {
                            iou / matched as f64
                        } else {
                            f64::NAN
                        },
                        matched: if float > 0 {
                            matched as f64 / float as f64
                        } else {
                            f64::NAN
                        },
                        detail: format!(
                            "{matched} of {float} float boxes matched (same class, IoU ≥ \
                             {MATCH_IOU}); the quantized model found {quant} ({})",
                            p.kind.label()
                        ),
                    },
                    Sums::Mask {
                        per_class,
                        same,
                        pixels,
                    } => {
                        // A score map's background is not a class of interest.
                        let skip = usize::from(per_class.len() == 2);
                        let ious: Vec<f64> = per_class
                            .iter()
                            .skip(skip)
                            .filter(|c| c.1 > 0)
                            .map(|&(i, u)| i as f64 / u as f64)
                            .collect();
                        TaskAgreement {
                            outputs,
                            kind: "mask".into(),
                            mean_iou: if ious.is_empty() {
                                f64::NAN
                            } else {
                                ious.iter().sum::<f64>() / ious.len() as f64
                            },
                            matched: same as f64 / pixels.max(1) as f64,
                            detail: format!(
                                "{same} of {pixels} pixels the same class; IoU over {} {}",
                                ious.len(),
                                if skip == 1 {
                                    "foreground mask (score ≥ 0.5)"
                                } else {
                                    "classes present"
                                }
                            ),
                        }
                    }
                }
            })
            .collect()
    }
}

/// Greedy matching, best IoU first, within a class: the IoU of each matched pair.
fn match_boxes(f: &[Detection], q: &[Detection]) -> Vec<f32> {
    let mut cand: Vec<(f32, usize, usize)> = Vec::new();
    for (i, a) in f.iter().enumerate() {
        for (j, b) in q.iter().enumerate() {
            let v = iou(&a.rect, &b.rect);
            if a.class == b.class && v >= MATCH_IOU {
                cand.push((v, i, j));
            }
        }
    }
    cand.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (mut used_f, mut used_q) = (vec![false; f.len()], vec![false; q.len()]);
    let mut out = Vec::new();
    for (v, i, j) in cand {
        if !used_f[i] && !used_q[j] {
            used_f[i] = true;
            used_q[j] = true;
            out.push(v);
        }
    }
    out
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    fn det(rect: [f32; 4], class: usize) -> Detection {
        Detection {
            rect,
            score: 0.9,
            class,
            keypoints: Vec::new(),
        }
    }

    #[test]
    fn boxes_match_best_first_within_their_class() {
        let f = [det([0.0, 0.0, 0.5, 0.5], 0), det([0.5, 0.5, 1.0, 1.0], 1)];
        let q = [
            det([0.0, 0.0, 0.5, 0.4], 0),  // IoU 0.8 with f[0]
            det([0.5, 0.5, 1.0, 1.0], 0),  // same place as f[1], other class
            det([0.0, 0.0, 0.45, 0.5], 0), // IoU 0.9 with f[0]: taken first
        ];
        let m = match_boxes(&f, &q);
        assert_eq!(m.len(), 1);
        assert!((m[0] - 0.9).abs() < 1e-6, "{m:?}");
    }
}
