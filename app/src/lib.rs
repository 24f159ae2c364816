//! Pocket Studio application crate: the `pocket` CLI and the `pocket-studio` window.

pub mod camera;
pub mod cli;
pub mod gui;
