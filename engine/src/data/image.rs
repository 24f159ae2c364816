//! Image preprocessing into a model input tensor: decode, resize (stretch, or shorter side +
//! centre crop, with `fast_image_resize`), colour order, `(pixel - mean) / std`, layout (NHWC or
//! NCHW), then the input's own quantization. One code path for `pocket run`, calibration,
//! evaluation and the camera.

use std::path::Path;

use fast_image_resize as fr;
use serde::{Deserialize, Serialize};

use crate::error::{DataError, Error, Result};
use crate::ir::{DType, Data, Graph, Value};

/// Colour order fed to the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Color {
    /// Red, green, blue.
    Rgb,
    /// Blue, green, red.
    Bgr,
    /// One luma channel.
    Gray,
}

/// How an image is brought to the model's input size.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ResizeMode {
    /// Scale each axis independently (aspect ratio not kept).
    #[default]
    Stretch,
    /// Scale the shorter side to fit, then cut the centre (aspect ratio kept).
    Crop,
}

/// Memory layout of the image input.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// `[1, H, W, C]` (TFLite).
    #[default]
    Nhwc,
    /// `[1, C, H, W]` (PyTorch/ONNX).
    Nchw,
}

/// How an image becomes a tensor: `(pixel - mean[c]) / std[c]` with pixels in 0..=255.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preprocess {
    /// Channel order.
    pub color: Color,
    /// Per-channel (or single) mean.
    pub mean: Vec<f32>,
    /// Per-channel (or single) std.
    pub std: Vec<f32>,
    /// Resize mode.
    #[serde(default)]
    pub resize: ResizeMode,
    /// Tensor layout.
    #[serde(default)]
    pub layout: Layout,
    /// Where the values came from (`model metadata`, `default ...`, `command line`).
    #[serde(default)]
    pub source: String,
}

/// (height, width, channels, layout) of an image-shaped input.
fn geometry(shape: &[usize]) -> Option<(usize, usize, usize, Layout)> {
    match shape {
        [1, c @ (1 | 3), h, w] if !matches!(w, 1 | 3) => Some((*h, *w, *c, Layout::Nchw)),
        [1, h, w, c] => Some((*h, *w, *c, Layout::Nhwc)),
        [1, h, w] => Some((*h, *w, 1, Layout::Nhwc)),
        _ => None,
    }
}

impl Preprocess {
    /// Defaults for graph input `i`: the model's metadata if present, else [0, 1] scaling.
    pub fn for_input(g: &Graph, i: usize) -> Preprocess {
        let t = &g.tensors[g.inputs[i]];
        let (channels, layout) =
            geometry(&t.shape).map_or((3, Layout::Nhwc), |(_, _, c, l)| (c, l));
        let meta = g.meta.inputs.get(i);
        let color = match meta.and_then(|m| m.color.as_deref()) {
            Some("gray") => Color::Gray,
            _ if channels == 1 => Color::Gray,
            _ => Color::Rgb,
        };
        let base = Preprocess {
            color,
            mean: vec![0.0],
            std: vec![255.0],
            resize: ResizeMode::Stretch,
            layout,
            source: String::new(),
        };
        match meta.filter(|m| !m.mean.is_empty() && !m.std.is_empty()) {
            Some(m) => Preprocess {
                mean: m.mean.clone(),
                std: m.std.clone(),
                source: "model metadata".into(),
                ..base
            },
            None if t.dtype == DType::U8 && t.quant.is_none() => Preprocess {
                mean: vec![0.0],
                std: vec![1.0],
                source: "raw pixels (uint8 input)".into(),
                ..base
            },
            None => Preprocess {
                source: "default: pixels scaled to [0, 1]".into(),
                ..base
            },
        }
    }

    /// Decode an image file and turn it into the value for graph input `i`.
    pub fn load(&self, path: &Path, g: &Graph, i: usize) -> Result<Value> {
        let img = ::image::open(path).map_err(|e| {
            Error::Data(DataError::Image {
                path: path.to_path_buf(),
                why: format!("cannot decode image: {e}"),
            })
        })?;
        self.apply(&img, g, i)
    }

    /// Resize a decoded image to `w`×`h` pixels in this spec's colour order (interleaved).
    pub fn pixels(&self, img: &::image::DynamicImage, w: usize, h: usize) -> Result<Vec<u8>> {
        let (src, pt, c) = match self.color {
            Color::Gray => (img.to_luma8().into_raw(), fr::PixelType::U8, 1),
            Color::Rgb | Color::Bgr => (img.to_rgb8().into_raw(), fr::PixelType::U8x3, 3),
        };
        let (sw, sh) = (img.width(), img.height());
        if sw == 0 || sh == 0 || w == 0 || h == 0 {
            return Err(Error::data("empty image"));
        }
        let src = fr::images::Image::from_vec_u8(sw, sh, src, pt)
            .map_err(|e| Error::data(format!("image buffer: {e}")))?;
        let mut dst = fr::images::Image::new(w as u32, h as u32, pt);
        let mut opts = fr::ResizeOptions::new()
            .resize_alg(fr::ResizeAlg::Convolution(fr::FilterType::Bilinear));
        if self.resize == ResizeMode::Crop {
            opts = opts.fit_into_destination(Some((0.5, 0.5)));
        }
        fr::Resizer::new()
            .resize(&src, &mut dst, &opts)
            .map_err(|e| Error::data(format!("resize: {e}")))?;
        let mut px = dst.into_vec();
        if self.color == Color::Bgr {
            px.chunks_exact_mut(c).for_each(|p| p.swap(0, 2));
        }
        Ok(px)
    }

    /// Turn a decoded image into the value for graph input `i`.
    pub fn apply(&self, img: &::image::DynamicImage, g: &Graph, i: usize) -> Result<Value> {
        let (w, h) = self.input_size(g, i)?;
        let px = self.pixels(img, w, h)?;
        self.from_pixels(&px, g, i)
    }

    /// (width, height) of image input `i`, checked against this spec's colour mode.
    pub fn input_size(&self, g: &Graph, i: usize) -> Result<(usize, usize)> {
        let t = g
            .inputs
            .get(i)
            .map(|&t| &g.tensors[t])
            .ok_or_else(|| Error::data(format!("the model has no input {i}")))?;
        let (h, w, c, _) = geometry(&t.shape).ok_or_else(|| {
            Error::data(format!(
                "input '{}' has shape {:?}; an image needs [1, H, W, C], [1, C, H, W] or [1, H, W]",
                t.name, t.shape
            ))
        })?;
        let want = if self.color == Color::Gray { 1 } else { 3 };
        if c != want {
            return Err(Error::data(format!(
                "input '{}' has {c} channels but the colour mode {:?} gives {want}",
                t.name, self.color
            )));
        }
        Ok((w, h))
    }

    /// The value for graph input `i` from pixels made by [`Preprocess::pixels`] at the input's
    /// size (what the camera shows as "the crop the model sees").
    pub fn from_pixels(&self, px: &[u8], g: &Graph, i: usize) -> Result<Value> {
        let (w, h) = self.input_size(g, i)?;
        let t = &g.tensors[g.inputs[i]];
        let (_, _, c, layout) = geometry(&t.shape).unwrap_or((h, w, 1, Layout::Nhwc));
        if px.len() != w * h * c {
            return Err(Error::data(format!(
                "{} pixel values for a {w}x{h}x{c} input",
                px.len()
            )));
        }
        let pick = |v: &[f32], k: usize| {
            if v.len() == c {
                v[k]
            } else {
                v.first().copied().unwrap_or(0.0)
            }
        };
        let (mean, std): (Vec<f32>, Vec<f32>) = (0..c)
            .map(|k| (pick(&self.mean, k), pick(&self.std, k)))
            .unzip();
        let norm = |k: usize, x: u8| (x as f32 - mean[k]) / std[k];
        let v: Vec<f32> = match layout {
            Layout::Nhwc => px
                .iter()
                .enumerate()
                .map(|(j, &x)| norm(j % c, x))
                .collect(),
            Layout::Nchw => (0..c)
                .flat_map(|k| px.iter().skip(k).step_by(c).map(move |&x| (k, x)))
                .map(|(k, x)| norm(k, x))
                .collect(),
        };
        to_input(Value::f32(t.shape.clone(), v), g, i)
    }
}

/// Convert a float array into graph input `i`'s type: quantized with the input's parameters
/// for int8/uint8 inputs, as is for float inputs.
pub fn to_input(v: Value, g: &Graph, i: usize) -> Result<Value> {
    let t = &g.tensors[g.inputs[i]];
    if v.dtype() == t.dtype {
        return Ok(v);
    }
    let Data::F32(x) = &v.data else {
        return Err(Error::data(format!(
            "input '{}' is {}, got {}",
            t.name,
            t.dtype,
            v.dtype()
        )));
    };
    let q = t.quant.as_ref().filter(|q| q.scale.len() == 1);
    let (scale, zp) = match (t.dtype, q) {
        (DType::I8 | DType::U8 | DType::I16, Some(q)) => (q.scale[0], q.zero_point[0] as f32),
        (DType::U8, None) => (1.0, 0.0),
        _ => {
            return Err(Error::data(format!(
                "input '{}' is {}; cannot convert float data to it",
                t.name, t.dtype
            )));
        }
    };
    let qv = |lo: f32, hi: f32| {
        x.iter()
            .map(move |&f| ((f / scale).round() + zp).clamp(lo, hi))
    };
    let data = match t.dtype {
        DType::I8 => Data::I8(qv(-128.0, 127.0).map(|v| v as i8).collect()),
        DType::U8 => Data::U8(qv(0.0, 255.0).map(|v| v as u8).collect()),
        _ => Data::I16(qv(-32768.0, 32767.0).map(|v| v as i16).collect()),
    };
    Ok(Value::new(v.shape, data))
}
