//! Frames from an image folder (sorted, class sub-folders included) or a single image, looping
//! at an adjustable rate. Unreadable images are skipped; a folder where nothing decodes stops.

use std::path::{Path, PathBuf};

use pocket_engine::data::folder::{Item, list};

use super::{FrameSource, Pacer, RgbImage, SourceError};

/// The image-folder source.
#[derive(Debug)]
pub struct FolderSource {
    files: Vec<PathBuf>,
    at: usize,
    fps: f32,
    size: Option<(u32, u32)>,
    pacer: Pacer,
    failures: usize,
    label: String,
}

impl FolderSource {
    /// Images of `path` (a folder, or one image file) at `fps`, scaled to `size` if given.
    pub fn new(
        path: &Path,
        fps: f32,
        size: Option<(u32, u32)>,
    ) -> Result<FolderSource, SourceError> {
        let files: Vec<PathBuf> = if path.is_file() {
            vec![path.to_path_buf()]
        } else {
            list(path, 1)
                .map_err(|e| SourceError::Fatal(e.to_string()))?
                .into_iter()
                .filter_map(|i| match i {
                    Item::Image(p, _) => Some(p),
                    Item::Arrays(_) => None,
                })
                .collect()
        };
        if files.is_empty() {
            return Err(SourceError::Fatal(format!(
                "{} holds no images",
                path.display()
            )));
        }
        Ok(FolderSource {
            label: path.display().to_string(),
            files,
            at: 0,
            fps,
            size: size.filter(|s| s.0 > 0 && s.1 > 0),
            pacer: Pacer::new(fps),
            failures: 0,
        })
    }

    /// Number of images in the loop.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Never true: a source without images is refused by [`FolderSource::new`].
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

impl FrameSource for FolderSource {
    fn describe(&self) -> String {
        format!(
            "{} ({} images) @ {} fps",
            self.label,
            self.files.len(),
            self.fps
        )
    }

    fn next_frame(&mut self) -> Result<RgbImage, SourceError> {
        self.pacer.wait();
        loop {
            let p = &self.files[self.at % self.files.len()];
            self.at = (self.at + 1) % self.files.len();
            match image::open(p) {
                Ok(img) => {
                    self.failures = 0;
                    let img = match self.size {
                        Some((w, h)) if (img.width(), img.height()) != (w, h) => {
                            img.resize_exact(w, h, image::imageops::FilterType::Triangle)
                        }
                        _ => img,
                    };
                    return Ok(img.to_rgb8());
                }
                Err(e) => {
                    self.failures += 1;
                    if self.failures >= self.files.len() {
                        return Err(SourceError::Fatal(format!(
                            "no image in {} could be decoded (last: {}: {e})",
                            self.label,
                            p.display()
                        )));
                    }
                }
            }
        }
    }
}
