//! Colours of the studio: op families and error heat. All colours come from here.

use egui::Color32;
use pocket_engine::ir::{Op, OpFamily};

/// Colour of an op family in the graph view (exhaustive: a new family must get a colour).
pub fn family_color(f: OpFamily) -> Color32 {
    match f {
        OpFamily::Conv => Color32::from_rgb(66, 133, 244),
        OpFamily::MatMul => Color32::from_rgb(52, 168, 83),
        OpFamily::Arithmetic => Color32::from_rgb(171, 71, 188),
        OpFamily::Reduce => Color32::from_rgb(0, 150, 136),
        OpFamily::Activation => Color32::from_rgb(251, 140, 0),
        OpFamily::Convert => Color32::from_rgb(219, 68, 55),
        OpFamily::Shape | OpFamily::Custom => Color32::from_rgb(120, 130, 140),
    }
}

/// Colour of an op in the graph view: its family's.
pub fn op_color(op: &Op) -> Color32 {
    family_color(op.family())
}

/// Colour of a graph-view box: its op family's, or the input / output colour.
pub fn look_color(l: crate::gui::layout::Look) -> Color32 {
    use crate::gui::layout::Look;
    match l {
        Look::Family(f) => family_color(f),
        Look::Input => GRAPH_INPUT,
        Look::Output => GRAPH_OUTPUT,
    }
}

/// Model input boxes.
pub const GRAPH_INPUT: Color32 = Color32::from_rgb(46, 125, 50);
/// Model output boxes.
pub const GRAPH_OUTPUT: Color32 = Color32::from_rgb(173, 20, 87);
/// Band behind a box's weight rows.
pub const WEIGHT_BAND: Color32 = Color32::from_black_alpha(60);
/// Weight row text.
pub const WEIGHT_TEXT: Color32 = Color32::from_gray(235);
/// Edge shape labels.
pub const EDGE_LABEL: Color32 = Color32::from_gray(140);
/// A hovered edge.
pub const EDGE_HOVER: Color32 = Color32::from_rgb(255, 170, 0);
/// Outline of a search match (the current one is outlined in `SELECTED`).
pub const SEARCH_MATCH: Color32 = Color32::from_rgb(0, 200, 255);
/// Background of an expanded weight list.
pub const POPUP_BG: Color32 = Color32::from_rgb(40, 44, 52);
/// Text of exported SVGs on a white page.
pub const EXPORT_TEXT: Color32 = Color32::from_gray(20);

/// Heat colour for a quantization error in [0, 1] (0 = none, 1 = worst).
pub fn heat(t: f32) -> Color32 {
    let t = t.clamp(0.0, 1.0);
    Color32::from_rgb(
        (60.0 + 195.0 * t) as u8,
        (180.0 * (1.0 - t) + 40.0) as u8,
        60,
    )
}

/// Text on a node.
pub const NODE_TEXT: Color32 = Color32::WHITE;
/// Edges.
pub const EDGE: Color32 = Color32::from_gray(130);
/// Selection outline.
pub const SELECTED: Color32 = Color32::from_rgb(255, 214, 0);
/// Errors (notifications, failed sources).
pub const ERROR: Color32 = Color32::from_rgb(219, 68, 55);
/// Success notifications.
pub const OK: Color32 = Color32::from_rgb(52, 168, 83);
/// Warnings (a source that stalled but may come back).
pub const WARNING: Color32 = Color32::from_rgb(230, 160, 40);
/// Outline of a node kept in float.
pub const KEEP_FLOAT: Color32 = Color32::WHITE;
/// Minimap background.
pub const MINIMAP_BG: Color32 = Color32::from_black_alpha(140);
/// The visible area on the minimap.
pub const MINIMAP_VIEW: Color32 = Color32::WHITE;
/// The live view: the float and the quantized model disagree on a frame.
pub const DISAGREE: Color32 = Color32::from_rgb(230, 120, 30);
/// Score bars in the live view.
pub const SCORE_BAR: Color32 = Color32::from_rgb(52, 120, 200);
/// Tint of a drawn image (none).
pub const IMAGE_TINT: Color32 = Color32::WHITE;
/// Inspector histograms: float values.
pub const HIST_FLOAT: Color32 = Color32::from_rgba_premultiplied(40, 110, 200, 200);
/// Inspector histograms: dequantized values drawn over the float ones.
pub const HIST_QUANT: Color32 = Color32::from_rgb(235, 120, 20);
/// The int8 grid over an activation histogram.
pub const HIST_GRID: Color32 = Color32::from_rgb(128, 128, 128);
/// The clipping range of the int8 grid.
pub const HIST_CLIP: Color32 = Color32::from_rgb(219, 68, 55);

/// A box's fill: its look's colour, darkened on the light theme so its white text keeps a
/// readable contrast (about 5:1 or better) there.
pub fn box_fill(l: crate::gui::layout::Look, dark: bool) -> Color32 {
    let c = look_color(l);
    if dark {
        c
    } else {
        let f = |x: u8| (x as f32 * 0.72) as u8;
        Color32::from_rgb(f(c.r()), f(c.g()), f(c.b()))
    }
}

/// Edges on this theme.
pub fn edge(dark: bool) -> Color32 {
    if dark { EDGE } else { Color32::from_gray(95) }
}

/// Edge shape labels on this theme.
pub fn edge_label(dark: bool) -> Color32 {
    if dark {
        EDGE_LABEL
    } else {
        Color32::from_gray(70)
    }
}

/// The keep-in-float outline on this theme.
pub fn keep_float(dark: bool) -> Color32 {
    if dark {
        KEEP_FLOAT
    } else {
        Color32::from_rgb(20, 20, 20)
    }
}

/// The minimap's visible-area frame on this theme.
pub fn minimap_view(dark: bool) -> Color32 {
    if dark {
        MINIMAP_VIEW
    } else {
        Color32::from_rgb(20, 20, 20)
    }
}

/// The minimap's background on this theme.
pub fn minimap_bg(dark: bool) -> Color32 {
    if dark {
        MINIMAP_BG
    } else {
        Color32::from_black_alpha(40)
    }
}
