//! Start screen: open (dialog or path field), recent files, the bundled samples, a drop zone.

use std::path::PathBuf;

use super::{Command, samples};

/// Start-screen state.
#[derive(Default)]
pub struct StartPanel {
    path: String,
}

impl StartPanel {
    /// Draw; returns commands.
    pub fn ui(&mut self, ui: &mut egui::Ui, recent: &[PathBuf]) -> Vec<Command> {
        let mut out = Vec::new();
        ui.vertical_centered(|ui| {
            ui.add_space(30.0);
            ui.heading(egui::RichText::new("Pocket Studio").size(32.0));
            ui.label("Squeeze a trained network for phones, cameras and microcontrollers — and see what it costs.");
            ui.add_space(20.0);
        });
        ui.columns(2, |cols| {
            let ui = &mut cols[0];
            ui.heading("Open a model");
            if ui
                .add(egui::Button::new("Open… (Ctrl+O)").min_size(egui::vec2(160.0, 0.0)))
                .on_hover_text("Choose a .tflite or .onnx file")
                .clicked()
            {
                out.push(Command::OpenDialog);
            }
            ui.horizontal(|ui| {
                let r = ui.add(
                    egui::TextEdit::singleline(&mut self.path)
                        .hint_text("or type a path to a .tflite or .onnx file")
                        .desired_width(320.0),
                );
                let enter = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
                if (ui.button("Open").clicked() || enter) && !self.path.trim().is_empty() {
                    out.push(Command::Open(PathBuf::from(self.path.trim())));
                }
            });
            ui.add_space(10.0);
            egui::Frame::group(ui.style()).show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.add_space(28.0);
                ui.vertical_centered(|ui| {
                    ui.label("Drop a .tflite or .onnx file anywhere on this window")
                });
                ui.add_space(28.0);
            });
            ui.add_space(10.0);
            ui.heading("Recent");
            if recent.is_empty() {
                ui.weak("Nothing opened yet.");
            }
            for p in recent {
                if ui.link(p.display().to_string()).clicked() {
                    out.push(Command::Open(p.clone()));
                }
            }
            let ui = &mut cols[1];
            ui.heading("Sample models");
            for (name, what, path) in samples() {
                egui::Frame::group(ui.style()).show(ui, |ui| {
                    ui.set_min_width(ui.available_width());
                    ui.horizontal(|ui| {
                        if ui
                            .button(format!("Open {name}"))
                            .on_hover_text(path.display().to_string())
                            .clicked()
                        {
                            out.push(Command::Open(path.clone()));
                        }
                        ui.label(what);
                    });
                });
            }
        });
        out
    }
}
