//! The side panel: one tab per step — the model (its summary, signature and input sizes),
//! quantize (and export), compare, and the inspector — the step the user is on open (the app
//! switches tabs as a model opens, is quantized or a node is selected). Each tab scrolls on its
//! own, so every one is usable at 1024×700.

use super::super::document::Document;
use super::super::panels::Command;
use super::super::panels::compare::ComparePanel;
use super::super::panels::inspector::{self, Inspect};
use super::super::panels::quantize::QuantizePanel;
use super::super::panels::sizes::SizesPanel;

/// The side panel's tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SideTab {
    /// Summary, signature, input sizes.
    Model,
    /// Quantize and export.
    Quantize,
    /// Float against quantized.
    Compare,
    /// The selected node.
    Inspect,
}

/// What the side panel draws into.
pub struct Parts<'a> {
    /// The open model.
    pub doc: &'a mut Document,
    /// The open tab.
    pub tab: &'a mut SideTab,
    /// The input size form.
    pub sizes: &'a mut SizesPanel,
    /// The quantize panel.
    pub quantize: &'a mut QuantizePanel,
    /// The compare panel.
    pub compare: &'a mut ComparePanel,
    /// The export path field.
    pub export_path: &'a mut String,
}

/// Draw the side panel (right of the canvas).
pub fn panel(
    ui: &mut egui::Ui,
    p: Parts<'_>,
    busy: Option<(usize, usize, &'static str)>,
    cmds: &mut Vec<Command>,
    want_export: &mut bool,
) {
    let width = (ui.available_width() * 0.36).clamp(280.0, 420.0);
    egui::Panel::right("side")
        .resizable(true)
        .default_size(width)
        .min_size(240.0)
        .show(ui, |ui| {
            let doc = p.doc;
            let have_quant = doc.quant.is_some();
            ui.horizontal(|ui| {
                let tab = &mut *p.tab;
                ui.selectable_value(tab, SideTab::Model, "1 Model")
                    .on_hover_text("Summary, signature and input sizes");
                ui.selectable_value(tab, SideTab::Quantize, "2 Quantize")
                    .on_hover_text("Quantize the model and export it");
                ui.selectable_value(tab, SideTab::Compare, "3 Compare")
                    .on_hover_text("Float against quantized: output error, per-layer SQNR");
                ui.selectable_value(tab, SideTab::Inspect, "Inspect")
                    .on_hover_text("The selected node");
            });
            ui.separator();
            // The export row stays in view below the tab's (scrolling) content: after a
            // comparison the compare tab is taller than the window.
            if have_quant && matches!(*p.tab, SideTab::Quantize | SideTab::Compare) {
                egui::Panel::bottom("side-export")
                    .resizable(false)
                    .show(ui, |ui| export(ui, p.export_path, want_export));
            }
            egui::ScrollArea::vertical()
                .id_salt(("side", *p.tab as u8))
                .auto_shrink([false, false])
                .show(ui, |ui| match *p.tab {
                    SideTab::Model => {
                        model(ui, doc, busy.is_some(), cmds);
                        cmds.extend(
                            p.sizes
                                .ui(ui, &doc.loaded, &p.quantize.calib, busy.is_some()),
                        );
                    }
                    SideTab::Quantize => {
                        cmds.extend(p.quantize.ui(ui, busy, &doc.keep_float));
                    }
                    SideTab::Compare => {
                        cmds.extend(p.compare.ui(
                            ui,
                            doc.report.as_ref(),
                            have_quant,
                            busy.is_some(),
                            &mut doc.numerics,
                        ));
                    }
                    SideTab::Inspect => match doc.selected {
                        Some(i) if i < doc.loaded.graph.nodes.len() => {
                            let q = doc.quant.as_ref().map(|q| (&*q.graph, doc.quant_node(i)));
                            let x = Inspect {
                                graph: &doc.loaded.graph,
                                node: i,
                                quant: q,
                                report: doc.report.as_ref(),
                                activations: doc
                                    .quant
                                    .as_ref()
                                    .and_then(|q| q.activations.as_deref()),
                            };
                            inspector::ui(ui, &x, &mut doc.weight_stats);
                        }
                        _ => {
                            ui.weak("Click a node in the graph to inspect it.");
                        }
                    },
                });
        });
}

/// The export row (below the quantize and the compare tab, once quantized).
fn export(ui: &mut egui::Ui, path: &mut String, want: &mut bool) {
    ui.add_space(4.0);
    ui.label("Export");
    ui.add(egui::TextEdit::singleline(path).desired_width(f32::INFINITY));
    if ui
        .button("Export (Ctrl+E)")
        .on_hover_text("Write the quantized .tflite, its recipe (.recipe.json) and the comparison report (<name>_report/); never touches the source file")
        .clicked()
    {
        *want = true;
    }
}

/// The model tab's summary and signature picker.
fn model(ui: &mut egui::Ui, doc: &Document, busy: bool, cmds: &mut Vec<Command>) {
    let l = &doc.loaded;
    let s = &l.summary;
    ui.heading("Model");
    ui.label(format!(
        "{} nodes, {} parameters, {:.1} MMACs, {:.1} KiB",
        s.nodes,
        s.params,
        s.macs as f64 / 1e6,
        l.bytes as f64 / 1024.0
    ));
    if l.signatures.len() > 1 {
        let current = l.signature.clone().unwrap_or_default();
        let mut pick = current.clone();
        ui.horizontal(|ui| {
            let label = ui.label("Signature");
            ui.add_enabled_ui(!busy, |ui| {
                egui::ComboBox::from_id_salt("signature")
                    .selected_text(&pick)
                    .show_ui(ui, |ui| {
                        for k in &l.signatures {
                            ui.selectable_value(&mut pick, k.clone(), k);
                        }
                    })
                    .response
                    .labelled_by(label.id)
                    .on_hover_text("The file has several entry points (TFLite SignatureDefs): the one the studio opens, runs and quantizes");
            });
        });
        if pick != current {
            cmds.push(Command::OpenSignature(pick));
        }
    } else if let Some(k) = &l.signature {
        ui.weak(format!("signature {k}"));
    }
    let g = &l.graph;
    for k in 0..g.inputs.len() {
        let t = &g.tensors[g.inputs[k]];
        ui.label(format!(
            "input {}: {} {:?}",
            g.input_name(k),
            t.dtype,
            t.shape
        ));
    }
    for k in 0..g.outputs.len() {
        let t = &g.tensors[g.outputs[k]];
        let bound = if t.is_data_sized() {
            " at most (the data sets its length)"
        } else {
            ""
        };
        ui.label(format!(
            "output {}: {} {:?}{bound}",
            g.output_name(k),
            t.dtype,
            t.shape
        ));
    }
    ui.separator();
}
