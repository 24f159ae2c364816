//! Live frames for the Live panel: the [`FrameSource`] trait and its three sources (a webcam
//! through nokhwa, an image folder or single image, a moving test pattern), a one-slot holder
//! that drops stale frames, the capture → inference pipeline, output views chosen by output
//! shape (detector heads decoded into boxes, landmarks into points), and snapshots into a
//! dataset folder. No egui here.

pub mod anchors;
pub mod detect;
pub mod folder;
pub mod pattern;
pub mod pipeline;
pub mod plan;
pub mod slot;
pub mod snapshot;
pub mod view;
pub mod webcam;

use std::path::PathBuf;
use std::time::{Duration, Instant};

pub use image::RgbImage;

/// Why a source gave no frame.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceError {
    /// Not available right now (camera unplugged, busy): the capture thread keeps retrying.
    Unavailable(String),
    /// Cannot work (no images in the folder, unsupported format): capture stops.
    Fatal(String),
}

impl std::fmt::Display for SourceError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SourceError::Unavailable(m) | SourceError::Fatal(m) => f.write_str(m),
        }
    }
}

/// Something that produces RGB frames.
pub trait FrameSource {
    /// A short description for the UI ("Test pattern 640x480 @ 30 fps").
    fn describe(&self) -> String;
    /// Wait until the next frame is due and return it. Returns within about a second, so that
    /// the capture thread can be stopped.
    fn next_frame(&mut self) -> Result<RgbImage, SourceError>;
}

/// Which source to open, with its settings (plain data: it crosses threads; the source itself
/// is built on the capture thread, since camera handles are not `Send`).
#[derive(Debug, Clone, PartialEq)]
pub enum SourceSpec {
    /// A webcam by its index in [`webcam::list_cameras`], with the wanted resolution and rate.
    Webcam {
        /// Camera index.
        index: u32,
        /// Wanted (width, height); the closest the camera offers is used.
        size: (u32, u32),
        /// Wanted frames per second.
        fps: u32,
    },
    /// Every image of a folder (or one image), looping.
    Folder {
        /// Folder or image file.
        path: PathBuf,
        /// Frames per second.
        fps: f32,
        /// Scale every image to this size (to stand in for a camera), or keep it.
        size: Option<(u32, u32)>,
    },
    /// A moving test pattern.
    Pattern {
        /// (width, height).
        size: (u32, u32),
        /// Frames per second.
        fps: f32,
    },
}

impl SourceSpec {
    /// Build the source (on the thread that will read it).
    pub fn open(&self) -> Result<Box<dyn FrameSource>, SourceError> {
        Ok(match self {
            SourceSpec::Webcam { index, size, fps } => {
                Box::new(webcam::WebcamSource::new(*index, *size, *fps))
            }
            SourceSpec::Folder { path, fps, size } => {
                Box::new(folder::FolderSource::new(path, *fps, *size)?)
            }
            SourceSpec::Pattern { size, fps } => Box::new(pattern::TestPattern::new(*size, *fps)),
        })
    }
}

/// Paces a source at a frame rate: `wait` sleeps until the next frame is due. A slow consumer
/// never makes the source catch up with a burst.
#[derive(Debug)]
pub struct Pacer {
    interval: Duration,
    next: Option<Instant>,
}

impl Pacer {
    /// A pacer for `fps` frames per second (clamped to 0.1..=1000).
    pub fn new(fps: f32) -> Pacer {
        let fps = if fps.is_finite() {
            fps.clamp(0.1, 1000.0)
        } else {
            30.0
        };
        Pacer {
            interval: Duration::from_secs_f32(1.0 / fps),
            next: None,
        }
    }

    /// Sleep until the next frame is due (at most one interval, capped at 1 s).
    pub fn wait(&mut self) {
        let now = Instant::now();
        if let Some(n) = self.next
            && n > now
        {
            std::thread::sleep((n - now).min(Duration::from_secs(1)));
        }
        let now = Instant::now();
        self.next = Some(match self.next {
            Some(n) if n + self.interval > now => n + self.interval,
            _ => now + self.interval,
        });
    }
}
