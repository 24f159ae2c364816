//! A webcam through nokhwa (V4L2 on Linux, AVFoundation on macOS, Media Foundation on Windows).
//! Enumeration with no camera gives an empty list. Faults (unplugged, busy, unsupported format)
//! become `SourceError::Unavailable`; the source closes the camera and retries about once a
//! second, so the stream resumes by itself when the camera returns.

use std::time::{Duration, Instant};

use nokhwa::Camera;
use nokhwa::pixel_format::RgbFormat;
use nokhwa::utils::{
    ApiBackend, CameraFormat, CameraIndex, FrameFormat, RequestedFormat, RequestedFormatType,
};

use super::{FrameSource, RgbImage, SourceError};

/// A camera the system reports.
#[derive(Debug, Clone, PartialEq)]
pub struct CameraEntry {
    /// Index to open it with.
    pub index: u32,
    /// Human-readable name.
    pub name: String,
}

/// The cameras attached now. No camera (or no camera subsystem) gives `Ok(vec![])`; an error
/// is a message for the UI, never a panic.
pub fn list_cameras() -> Result<Vec<CameraEntry>, String> {
    // Some backends panic on odd systems; keep that from reaching the UI.
    let found = std::panic::catch_unwind(|| nokhwa::query(ApiBackend::Auto))
        .map_err(|_| "the camera backend failed while listing cameras".to_string())?;
    match found {
        Ok(list) => Ok(list
            .into_iter()
            .filter_map(|c| match c.index() {
                CameraIndex::Index(i) => Some(CameraEntry {
                    index: *i,
                    name: c.human_name(),
                }),
                CameraIndex::String(_) => None,
            })
            .collect()),
        // No /dev/video* or no permission to list: report as no cameras, with the reason.
        Err(e) => {
            let msg = e.to_string();
            if msg.contains("No such file") || msg.contains("not found") {
                Ok(Vec::new())
            } else {
                Err(format!("cannot list cameras: {msg}"))
            }
        }
    }
}

/// The webcam source.
pub struct WebcamSource {
    index: u32,
    size: (u32, u32),
    fps: u32,
    cam: Option<Camera>,
    retry_at: Option<Instant>,
    last_error: String,
    buf: Vec<u8>,
}

impl WebcamSource {
    /// Camera `index`, asking for the format closest to `size` at `fps` (opened lazily).
    pub fn new(index: u32, size: (u32, u32), fps: u32) -> WebcamSource {
        WebcamSource {
            index,
            size,
            fps: fps.clamp(1, 240),
            cam: None,
            retry_at: None,
            last_error: String::new(),
            buf: Vec::new(),
        }
    }

    fn open(&mut self) -> Result<Camera, String> {
        let want = CameraFormat::new_from(self.size.0, self.size.1, FrameFormat::MJPEG, self.fps);
        let req = RequestedFormat::new::<RgbFormat>(RequestedFormatType::Closest(want));
        let index = CameraIndex::Index(self.index);
        let opened = std::panic::catch_unwind(move || -> Result<Camera, String> {
            let mut cam = Camera::new(index, req).map_err(|e| e.to_string())?;
            cam.open_stream().map_err(|e| e.to_string())?;
            Ok(cam)
        });
        opened.unwrap_or_else(|_| Err("the camera backend failed while opening".into()))
    }

    fn fail(&mut self, what: &str, e: String) -> SourceError {
        self.cam = None;
        self.retry_at = Some(Instant::now() + Duration::from_secs(1));
        self.last_error = format!("camera {}: {what}: {e}", self.index);
        SourceError::Unavailable(format!("{} — retrying", self.last_error))
    }
}

impl FrameSource for WebcamSource {
    fn describe(&self) -> String {
        match &self.cam {
            Some(c) => {
                let f = c.camera_format();
                format!(
                    "{} {}x{} @ {} fps ({})",
                    c.info().human_name(),
                    f.width(),
                    f.height(),
                    f.frame_rate(),
                    f.format()
                )
            }
            None => format!("camera {} (not open)", self.index),
        }
    }

    fn next_frame(&mut self) -> Result<RgbImage, SourceError> {
        if self.cam.is_none() {
            if let Some(t) = self.retry_at {
                let now = Instant::now();
                if t > now {
                    std::thread::sleep((t - now).min(Duration::from_millis(500)));
                    return Err(SourceError::Unavailable(format!(
                        "{} — retrying",
                        self.last_error
                    )));
                }
            }
            match self.open() {
                Ok(c) => {
                    self.cam = Some(c);
                    self.retry_at = None;
                }
                Err(e) => return Err(self.fail("cannot open", e)),
            }
        }
        let Some(cam) = self.cam.as_mut() else {
            return Err(SourceError::Unavailable("camera not open".into()));
        };
        let frame = match cam.frame() {
            Ok(f) => f,
            Err(e) => return Err(self.fail("lost", e.to_string())),
        };
        let r = frame.resolution();
        let (w, h) = (r.width(), r.height());
        let need = (w as usize) * (h as usize) * 3;
        if need == 0 || need > 8192 * 8192 * 3 {
            return Err(self.fail("bad frame size", format!("{w}x{h}")));
        }
        self.buf.resize(need, 0);
        if let Err(e) = frame.decode_image_to_buffer::<RgbFormat>(&mut self.buf) {
            return Err(self.fail("cannot decode frame", e.to_string()));
        }
        RgbImage::from_raw(w, h, self.buf.clone())
            .ok_or_else(|| SourceError::Unavailable("frame buffer size mismatch".into()))
    }
}
