//! Graph view export: the whole view as SVG (boxes, text, routed edges with arrows and shape
//! labels), the canvas as PNG (from a screenshot). Files go beside the model under a name that
//! does not exist yet, written to a temporary file and renamed.

use std::path::{Path, PathBuf};

use egui::{Color32, ColorImage, Rect};

use crate::gui::layout::labels::LABEL_SIZE;
use crate::gui::layout::{
    LINE_H, LINE_SIZE, PAD, TITLE_H, TITLE_SIZE, View, WEIGHT_H, WEIGHT_ROWS,
};
use crate::gui::theme;

/// `<dir>/<model stem>_<view>.<ext>`, numbered when it exists; the temp dir without a model.
fn fresh_path(model: Option<&Path>, view: &str, ext: &str) -> Result<PathBuf, String> {
    let dir = model
        .and_then(Path::parent)
        .filter(|d| !d.as_os_str().is_empty())
        .map_or_else(std::env::temp_dir, Path::to_path_buf);
    let stem = model
        .and_then(Path::file_stem)
        .map_or("graph".into(), |s| s.to_string_lossy().into_owned());
    let view: String = view
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect();
    for k in 1..1000 {
        let name = if k == 1 {
            format!("{stem}_{view}.{ext}")
        } else {
            format!("{stem}_{view}_{k}.{ext}")
        };
        let p = dir.join(name);
        if !p.exists() {
            return Ok(p);
        }
    }
    Err(format!("no free file name in {}", dir.display()))
}

/// Where an SVG of view `view` of `model` goes.
pub fn svg_path(model: Option<&Path>, view: &str) -> Result<PathBuf, String> {
    fresh_path(model, view, "svg")
}

/// Where a PNG goes.
pub fn png_path(model: Option<&Path>, view: &str) -> Result<PathBuf, String> {
    fresh_path(model, view, "png")
}

/// Write `bytes` to `p` through a temporary file and a rename.
fn write_atomic(p: &Path, bytes: &[u8]) -> Result<(), String> {
    let tmp = p.with_extension(format!(
        "{}.tmp{}",
        p.extension().and_then(|e| e.to_str()).unwrap_or(""),
        std::process::id()
    ));
    std::fs::write(&tmp, bytes).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, p).map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("{}: {e}", p.display())
    })
}

fn hex(c: Color32) -> String {
    format!("#{:02x}{:02x}{:02x}", c.r(), c.g(), c.b())
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The SVG text of a whole view.
pub fn svg(v: &View) -> String {
    let m = 20.0;
    let (w, h) = (v.size[0] + 2.0 * m, v.size[1] + 2.0 * m);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w:.0}\" height=\"{h:.0}\" viewBox=\"{} {} {w:.0} {h:.0}\" font-family=\"sans-serif\">\n",
        -m, -m
    );
    s.push_str(&format!(
        "<defs><marker id=\"a\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"{}\"/></marker></defs>\n",
        hex(theme::EDGE)
    ));
    s.push_str(&format!(
        "<rect x=\"{}\" y=\"{}\" width=\"{w:.0}\" height=\"{h:.0}\" fill=\"white\"/>\n",
        -m, -m
    ));
    s.push_str(&format!(
        "<g fill=\"none\" stroke=\"{}\" stroke-width=\"1.2\">\n",
        hex(theme::EDGE)
    ));
    for e in &v.edges {
        let Some(first) = e.points.first() else {
            continue;
        };
        let mut d = format!("M{:.1},{:.1}", first[0], first[1]);
        for (k, w) in e.points.windows(2).enumerate() {
            let (a, b) = (w[0], w[1]);
            if k % 2 == 1 || (a[0] - b[0]).abs() < 0.5 {
                d.push_str(&format!(" L{:.1},{:.1}", b[0], b[1]));
            } else {
                let my = (a[1] + b[1]) / 2.0;
                d.push_str(&format!(
                    " C{:.1},{my:.1} {:.1},{my:.1} {:.1},{:.1}",
                    a[0], b[0], b[0], b[1]
                ));
            }
        }
        s.push_str(&format!(
            "<path d=\"{d}\" marker-end=\"url(#a)\"><title>{}</title></path>\n",
            esc(&e.details)
        ));
    }
    s.push_str("</g>\n");
    for e in &v.edges {
        if let Some(at) = e.label_pos {
            s.push_str(&format!(
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"{:.1}\" fill=\"{}\">{}</text>\n",
                at[0],
                at[1] + LABEL_SIZE,
                LABEL_SIZE,
                hex(theme::EXPORT_TEXT),
                esc(&e.label)
            ));
        }
    }
    for n in &v.nodes {
        let [x, y] = n.pos;
        s.push_str(&format!(
            "<g><title>{}</title><rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{:.1}\" rx=\"5\" fill=\"{}\"/>\n",
            esc(&n.details),
            n.size[0],
            n.size[1],
            hex(theme::look_color(n.look))
        ));
        let tx = x + PAD;
        let mut ty = y + PAD + TITLE_SIZE * 0.85;
        s.push_str(&format!(
            "<text x=\"{tx:.1}\" y=\"{ty:.1}\" font-size=\"{TITLE_SIZE}\" fill=\"white\">{}</text>\n",
            esc(&n.title)
        ));
        ty += TITLE_H - TITLE_SIZE * 0.85 + LINE_SIZE * 0.85;
        for l in &n.lines {
            s.push_str(&format!(
                "<text x=\"{tx:.1}\" y=\"{ty:.1}\" font-size=\"{LINE_SIZE}\" fill=\"white\">{}</text>\n",
                esc(l)
            ));
            ty += LINE_H;
        }
        ty += 4.0;
        for w in n.weights.iter().take(WEIGHT_ROWS) {
            s.push_str(&format!(
                "<text x=\"{tx:.1}\" y=\"{ty:.1}\" font-size=\"{:.1}\" fill=\"white\" opacity=\"0.9\">{}<title>{}</title></text>\n",
                LINE_SIZE * 0.92,
                esc(&w.text),
                esc(&w.details)
            ));
            ty += WEIGHT_H;
        }
        if n.weights.len() > WEIGHT_ROWS {
            s.push_str(&format!(
                "<text x=\"{tx:.1}\" y=\"{ty:.1}\" font-size=\"{:.1}\" fill=\"white\">+{} more</text>\n",
                LINE_SIZE * 0.92,
                n.weights.len() - WEIGHT_ROWS
            ));
        }
        s.push_str("</g>\n");
    }
    s.push_str("</svg>\n");
    s
}

/// Write the view's SVG to `p`.
pub fn write_svg(v: &View, p: &Path) -> Result<(), String> {
    write_atomic(p, svg(v).as_bytes())
}

/// Crop a window screenshot to `area` (points; `ppp` pixels per point) and write it as PNG.
pub fn write_png(img: &ColorImage, area: Rect, ppp: f32, p: &Path) -> Result<(), String> {
    let [iw, ih] = img.size;
    let x0 = ((area.min.x * ppp).max(0.0) as usize).min(iw);
    let y0 = ((area.min.y * ppp).max(0.0) as usize).min(ih);
    let x1 = ((area.max.x * ppp) as usize).clamp(x0, iw);
    let y1 = ((area.max.y * ppp) as usize).clamp(y0, ih);
    if x1 == x0 || y1 == y0 {
        return Err("the canvas is empty".into());
    }
    let mut out = image::RgbaImage::new((x1 - x0) as u32, (y1 - y0) as u32);
    for y in y0..y1 {
        for x in x0..x1 {
            let c = img.pixels[y * iw + x];
            out.put_pixel(
                (x - x0) as u32,
                (y - y0) as u32,
                image::Rgba([c.r(), c.g(), c.b(), 255]),
            );
        }
    }
    let mut bytes = Vec::new();
    image::DynamicImage::ImageRgba8(out)
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .map_err(|e| e.to_string())?;
    write_atomic(p, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_has_every_box_and_edge_and_files_are_never_overwritten() {
        let g = crate::gui::layout::tests::fp16_conv();
        let v = crate::gui::layout::layout(&g).main;
        let s = svg(&v);
        assert_eq!(s.matches("<rect x=").count(), v.nodes.len() + 1);
        assert_eq!(s.matches("marker-end").count(), v.edges.len());
        assert!(s.contains(">CONV_2D<") && s.contains("filter 4×3×3×3 f16 as f32"));
        let dir = std::env::temp_dir().join(format!("pocket-svg-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        let model = dir.join("m.tflite");
        let p1 = svg_path(Some(&model), "Main graph").expect("path");
        assert_eq!(p1, dir.join("m_main_graph.svg"));
        write_svg(&v, &p1).expect("write");
        let p2 = svg_path(Some(&model), "Main graph").expect("path");
        assert_eq!(p2, dir.join("m_main_graph_2.svg"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
