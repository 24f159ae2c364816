//! Read access to the app's state for tests and the front end's callers (the panels read
//! through `frame`; nothing here changes state but `show_tab`).

use pocket_engine::Graph;
use pocket_engine::eval::CompareReport;
use pocket_engine::quant::Recipe;

use super::super::document::Document;
use super::super::panels::graph::GraphView;
use super::{StudioApp, Tab};
use crate::camera::pipeline::{LiveResult, Pipeline};

impl StudioApp {
    /// The calibration and comparison folders the panels show (tests).
    pub fn data_folders(&self) -> (&str, &str) {
        (&self.quantize.calib, &self.compare.data)
    }

    /// The log's lines, oldest first (tests).
    pub fn log(&self) -> &[String] {
        &self.notes.log
    }

    /// The open model, if any (tests).
    pub fn model(&self) -> Option<&Graph> {
        self.doc.as_ref().map(|d| &**d.graph())
    }

    /// The open document, if any (tests).
    pub fn document(&self) -> Option<&Document> {
        self.doc.as_ref()
    }

    /// The graph view (tests read what it drew).
    pub fn graph_view(&self) -> &GraphView {
        &self.graph
    }

    /// The recipe the Quantize button would run: the panel's, plus the nodes kept in float.
    pub fn recipe(&self) -> Recipe {
        match &self.doc {
            Some(d) => d.recipe(&self.quantize.recipe),
            None => self.quantize.recipe.clone(),
        }
    }

    /// The comparison report, if any (tests).
    pub fn report(&self) -> Option<&CompareReport> {
        self.doc.as_ref()?.report.as_ref()
    }

    /// Notifications' texts (tests).
    pub fn notifications(&self) -> Vec<String> {
        self.notes.texts()
    }

    /// The newest live result (tests).
    pub fn live_result(&self) -> Option<&LiveResult> {
        self.live_result.as_ref()
    }

    /// The live pipeline, if running (tests).
    pub fn pipeline(&self) -> Option<&Pipeline> {
        self.pipeline.as_ref()
    }

    /// Show a central tab.
    pub fn show_tab(&mut self, t: Tab) {
        self.tab = t;
    }

    /// Whether a job is running (tests).
    pub fn busy(&self) -> bool {
        self.running.is_some()
    }
}
