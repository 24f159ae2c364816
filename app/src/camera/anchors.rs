//! SSD anchors as MediaPipe's `SsdAnchorsCalculator` defines them (num_layers, min/max scale,
//! input size, anchor offsets, strides, aspect ratios, interpolated scale, fixed anchor size),
//! with the presets of the public MediaPipe detectors (BlazeFace short/full range, palm, pose),
//! picked by anchor count and input size. Anchors are normalized to the model input, [0, 1].

/// One anchor: centre and size, normalized to the model input.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Anchor {
    /// Centre x.
    pub x: f32,
    /// Centre y.
    pub y: f32,
    /// Width (1.0 with a fixed anchor size).
    pub w: f32,
    /// Height.
    pub h: f32,
}

/// The options of MediaPipe's SSD anchor generator (the subset the public models use).
#[derive(Debug, Clone, PartialEq)]
pub struct SsdAnchorOptions {
    /// Preset name shown in the panel ("face short range").
    pub name: String,
    /// Number of output layers (one stride each).
    pub num_layers: usize,
    /// Smallest anchor scale.
    pub min_scale: f32,
    /// Largest anchor scale.
    pub max_scale: f32,
    /// Model input width, px.
    pub input_w: usize,
    /// Model input height, px.
    pub input_h: usize,
    /// Anchor centre offset within a cell, x.
    pub offset_x: f32,
    /// Anchor centre offset within a cell, y.
    pub offset_y: f32,
    /// Stride of each layer, px.
    pub strides: Vec<usize>,
    /// Aspect ratios per cell.
    pub aspect_ratios: Vec<f32>,
    /// Aspect ratio of the extra anchor at the interpolated scale (0: none).
    pub interpolated_scale_aspect_ratio: f32,
    /// The first layer uses three predefined anchors (1, 2, 0.5).
    pub reduce_boxes_in_lowest_layer: bool,
    /// Every anchor is 1x1 (the box regressor predicts sizes directly).
    pub fixed_anchor_size: bool,
}

impl SsdAnchorOptions {
    /// BlazeFace short range (face_detection_short_range.tflite, 128x128, 896 anchors).
    pub fn face_short_range() -> Self {
        SsdAnchorOptions {
            name: "face short range".into(),
            num_layers: 4,
            min_scale: 0.1484375,
            max_scale: 0.75,
            input_w: 128,
            input_h: 128,
            offset_x: 0.5,
            offset_y: 0.5,
            strides: vec![8, 16, 16, 16],
            aspect_ratios: vec![1.0],
            interpolated_scale_aspect_ratio: 1.0,
            reduce_boxes_in_lowest_layer: false,
            fixed_anchor_size: true,
        }
    }

    /// BlazeFace full range (face_detection_full_range.tflite, 192x192, 2304 anchors).
    pub fn face_full_range() -> Self {
        SsdAnchorOptions {
            name: "face full range".into(),
            num_layers: 1,
            input_w: 192,
            input_h: 192,
            strides: vec![4],
            interpolated_scale_aspect_ratio: 0.0,
            ..Self::face_short_range()
        }
    }

    /// BlazeFace back camera (256x256, 896 anchors).
    pub fn face_back() -> Self {
        SsdAnchorOptions {
            name: "face back camera".into(),
            min_scale: 0.15625,
            input_w: 256,
            input_h: 256,
            strides: vec![16, 32, 32, 32],
            ..Self::face_short_range()
        }
    }

    /// Palm detection (lite and full, 192x192, 2016 anchors).
    pub fn palm() -> Self {
        SsdAnchorOptions {
            name: "palm".into(),
            input_w: 192,
            input_h: 192,
            ..Self::face_short_range()
        }
    }

    /// Pose detection (224x224, 2254 anchors).
    pub fn pose() -> Self {
        SsdAnchorOptions {
            name: "pose".into(),
            num_layers: 5,
            input_w: 224,
            input_h: 224,
            strides: vec![8, 16, 32, 32, 32],
            ..Self::face_short_range()
        }
    }

    /// Every preset.
    pub fn presets() -> Vec<SsdAnchorOptions> {
        vec![
            Self::face_short_range(),
            Self::face_full_range(),
            Self::face_back(),
            Self::palm(),
            Self::pose(),
        ]
    }

    /// The preset giving `n` anchors, preferring one made for the input size `(w, h)`;
    /// otherwise a preset with `n` anchors rescaled to that size (same grid, same count).
    pub fn preset_for(n: usize, input: (usize, usize)) -> Option<SsdAnchorOptions> {
        let all = Self::presets();
        let same: Vec<&SsdAnchorOptions> = all.iter().filter(|p| p.count() == n).collect();
        if let Some(p) = same
            .iter()
            .find(|p| (p.input_w, p.input_h) == input)
            .or(same.first())
        {
            return Some((*p).clone());
        }
        // The short-range grid fits any input whose strides give n anchors (e.g. 256x256 with
        // doubled strides is face_back); try the presets at the model's own size.
        all.into_iter()
            .map(|mut p| {
                p.input_w = input.0;
                p.input_h = input.1;
                p
            })
            .find(|p| p.count() == n)
    }

    /// Number of anchors these options give (without building them).
    pub fn count(&self) -> usize {
        self.generate().len()
    }

    /// The anchors, in the order the model's outputs list them.
    pub fn generate(&self) -> Vec<Anchor> {
        let mut out = Vec::new();
        let layers = self.num_layers.min(self.strides.len());
        let n_strides = self.strides.len();
        let scale_at = |i: usize| -> f32 {
            if n_strides == 1 {
                (self.min_scale + self.max_scale) * 0.5
            } else {
                self.min_scale
                    + (self.max_scale - self.min_scale) * i as f32 / (n_strides - 1) as f32
            }
        };
        let mut layer = 0;
        while layer < layers {
            let mut ratios = Vec::new();
            let mut scales = Vec::new();
            // Layers with the same stride share one grid; their anchors are merged per cell.
            let mut last = layer;
            while last < n_strides && self.strides[last] == self.strides[layer] {
                let scale = scale_at(last);
                if last == 0 && self.reduce_boxes_in_lowest_layer {
                    ratios.extend([1.0, 2.0, 0.5]);
                    scales.extend([0.1, scale, scale]);
                } else {
                    for &r in &self.aspect_ratios {
                        ratios.push(r);
                        scales.push(scale);
                    }
                    if self.interpolated_scale_aspect_ratio > 0.0 {
                        let next = if last == n_strides - 1 {
                            1.0
                        } else {
                            scale_at(last + 1)
                        };
                        scales.push((scale * next).sqrt());
                        ratios.push(self.interpolated_scale_aspect_ratio);
                    }
                }
                last += 1;
            }
            let sizes: Vec<(f32, f32)> = ratios
                .iter()
                .zip(&scales)
                .map(|(&r, &s)| {
                    let q = r.max(1e-6).sqrt();
                    (s * q, s / q)
                })
                .collect();
            let stride = self.strides[layer].max(1);
            let fh = self.input_h.div_ceil(stride);
            let fw = self.input_w.div_ceil(stride);
            for y in 0..fh {
                for x in 0..fw {
                    for &(w, h) in &sizes {
                        let (w, h) = if self.fixed_anchor_size {
                            (1.0, 1.0)
                        } else {
                            (w, h)
                        };
                        out.push(Anchor {
                            x: (x as f32 + self.offset_x) / fw as f32,
                            y: (y as f32 + self.offset_y) / fh as f32,
                            w,
                            h,
                        });
                    }
                }
            }
            layer = last.max(layer + 1);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preset_anchor_counts_match_the_mediapipe_models() {
        // 16x16 cells x 2 anchors + 8x8 cells x 6 anchors.
        let a = SsdAnchorOptions::face_short_range().generate();
        assert_eq!(a.len(), 16 * 16 * 2 + 8 * 8 * 6);
        assert_eq!(a.len(), 896);
        assert_eq!(SsdAnchorOptions::face_full_range().count(), 48 * 48);
        assert_eq!(SsdAnchorOptions::palm().count(), 2016);
        assert_eq!(SsdAnchorOptions::pose().count(), 2254);
        assert_eq!(SsdAnchorOptions::face_back().count(), 896);
    }

    #[test]
    fn anchors_sit_at_cell_centres_in_grid_order() {
        let a = SsdAnchorOptions::face_short_range().generate();
        // First cell of the stride-8 grid: two anchors at (0.5/16, 0.5/16).
        assert_eq!(a[0], a[1]);
        assert!((a[0].x - 0.5 / 16.0).abs() < 1e-6 && (a[0].y - 0.5 / 16.0).abs() < 1e-6);
        // Second cell moves along x.
        assert!((a[2].x - 1.5 / 16.0).abs() < 1e-6 && (a[2].y - a[0].y).abs() < 1e-6);
        // The stride-16 grid starts at 512 with 6 anchors per cell.
        assert!((a[512].x - 0.5 / 8.0).abs() < 1e-6);
        assert_eq!(a[512], a[517]);
        assert!((a[518].x - 1.5 / 8.0).abs() < 1e-6);
        assert!(a.iter().all(|a| a.w == 1.0 && a.h == 1.0));
        // Without a fixed size, widths follow scale * sqrt(ratio).
        let mut o = SsdAnchorOptions::face_short_range();
        o.fixed_anchor_size = false;
        o.aspect_ratios = vec![4.0];
        o.interpolated_scale_aspect_ratio = 0.0;
        let a = o.generate();
        assert!((a[0].w - 0.1484375 * 2.0).abs() < 1e-6);
        assert!((a[0].h - 0.1484375 / 2.0).abs() < 1e-6);
    }

    #[test]
    fn presets_are_picked_by_count_and_size() {
        let p = SsdAnchorOptions::preset_for(896, (256, 256)).expect("preset");
        assert_eq!(p.name, "face back camera");
        let p = SsdAnchorOptions::preset_for(896, (128, 128)).expect("preset");
        assert_eq!(p.name, "face short range");
        assert!(SsdAnchorOptions::preset_for(7, (128, 128)).is_none());
    }
}
