//! Notifications: short messages (green, or red for errors) with optional details, floating
//! over the bottom-left corner, each also written to the log. Messages fade out after
//! `MESSAGE_SECS` (not while the pointer rests on them); errors stay until dismissed.

use std::time::{Duration, Instant};

use super::theme;

/// How long a message (not an error) stays on screen.
pub const MESSAGE_SECS: u64 = 8;

/// A notification.
struct Note {
    text: String,
    details: String,
    error: bool,
    /// When it (last) counted as seen: shown, or hovered.
    seen: Instant,
}

/// The notifications and the log.
#[derive(Default)]
pub struct Notes {
    notes: Vec<Note>,
    /// Log lines, oldest first.
    pub log: Vec<String>,
}

impl Notes {
    /// Show a notification and log it.
    pub fn notify(&mut self, text: impl Into<String>, details: impl Into<String>, error: bool) {
        let (text, details) = (text.into(), details.into());
        self.log.push(format!(
            "{}{text}{}",
            if error { "error: " } else { "" },
            if details.is_empty() {
                String::new()
            } else {
                format!(" — {details}")
            }
        ));
        self.notes.push(Note {
            text,
            details,
            error,
            seen: Instant::now(),
        });
    }

    /// The notifications' texts, oldest first.
    pub fn texts(&self) -> Vec<String> {
        self.notes.iter().map(|n| n.text.clone()).collect()
    }

    /// Dismiss every notification whose text is `text`.
    pub fn dismiss(&mut self, text: &str) {
        self.notes.retain(|n| n.text != text);
    }

    /// Draw the newest five over the bottom-left corner (they never move the panels).
    pub fn ui(&mut self, ui: &mut egui::Ui) {
        let life = Duration::from_secs(MESSAGE_SECS);
        self.notes.retain(|n| n.error || n.seen.elapsed() < life);
        if self.notes.is_empty() {
            return;
        }
        if let Some(next) = self
            .notes
            .iter()
            .filter(|n| !n.error)
            .map(|n| life.saturating_sub(n.seen.elapsed()))
            .min()
        {
            ui.ctx().request_repaint_after(next);
        }
        let mut hovered = Vec::new();
        let mut dismiss = None;
        egui::Area::new(egui::Id::NULL.with("notes"))
            .anchor(egui::Align2::LEFT_BOTTOM, [10.0, -10.0])
            .order(egui::Order::Foreground)
            .show(ui.ctx(), |ui| {
                for (i, n) in self.notes.iter().enumerate().rev().take(5) {
                    let frame = egui::Frame::popup(ui.style()).show(ui, |ui| {
                        ui.set_max_width(520.0);
                        ui.horizontal(|ui| {
                            let color = if n.error { theme::ERROR } else { theme::OK };
                            ui.colored_label(color, &n.text);
                            if ui.small_button("x").on_hover_text("Dismiss").clicked() {
                                dismiss = Some(i);
                            }
                        });
                        if !n.details.is_empty() && n.details != n.text {
                            ui.collapsing("details", |ui| {
                                ui.monospace(&n.details);
                            });
                        }
                    });
                    if frame.response.contains_pointer() {
                        hovered.push(i);
                    }
                }
            });
        for i in hovered {
            if let Some(n) = self.notes.get_mut(i) {
                n.seen = Instant::now();
            }
        }
        if let Some(i) = dismiss {
            self.notes.remove(i);
        }
    }
}
