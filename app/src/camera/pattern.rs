//! A moving test pattern: colour bars that scroll, a bouncing disc and a frame counter strip.
//! It needs no camera and no files, so the Live panel always has something to show.

use super::{FrameSource, Pacer, RgbImage, SourceError};

/// The test pattern source.
#[derive(Debug)]
pub struct TestPattern {
    w: u32,
    h: u32,
    n: u64,
    fps: f32,
    pacer: Pacer,
}

impl TestPattern {
    /// A `size` pattern at `fps` (size clamped to 16..=4096 per side).
    pub fn new(size: (u32, u32), fps: f32) -> TestPattern {
        TestPattern {
            w: size.0.clamp(16, 4096),
            h: size.1.clamp(16, 4096),
            n: 0,
            fps,
            pacer: Pacer::new(fps),
        }
    }

    /// Frame number `n` (deterministic).
    pub fn render(&self, n: u64) -> RgbImage {
        const BARS: [[u8; 3]; 7] = [
            [235, 235, 235],
            [235, 235, 16],
            [16, 235, 235],
            [16, 235, 16],
            [235, 16, 235],
            [235, 16, 16],
            [16, 16, 235],
        ];
        let (w, h) = (self.w as i64, self.h as i64);
        let shift = (n as i64 * 4) % w;
        let r = (h.min(w) / 6).max(4);
        // The disc bounces across the frame.
        let period = 2 * (w - 2 * r).max(1);
        let p = (n as i64 * 7) % period;
        let cx = r + if p < period / 2 { p } else { period - p };
        let cy = h / 2 + ((n as f64 * 0.1).sin() * (h / 4) as f64) as i64;
        RgbImage::from_fn(self.w, self.h, |x, y| {
            let (x, y) = (x as i64, y as i64);
            if y >= h - h / 10 {
                // Counter strip: the frame number in binary, one cell per bit.
                let bit = (x * 16 / w) as u32;
                return if (n >> (15 - bit)) & 1 == 1 {
                    image::Rgb([255, 255, 255])
                } else {
                    image::Rgb([0, 0, 0])
                };
            }
            if (x - cx).pow(2) + (y - cy).pow(2) <= r * r {
                return image::Rgb([250, 250, 250]);
            }
            let bar = (((x + shift) % w) * 7 / w) as usize;
            image::Rgb(BARS[bar.min(6)])
        })
    }
}

impl FrameSource for TestPattern {
    fn describe(&self) -> String {
        format!("Test pattern {}x{} @ {} fps", self.w, self.h, self.fps)
    }

    fn next_frame(&mut self) -> Result<RgbImage, SourceError> {
        self.pacer.wait();
        let img = self.render(self.n);
        self.n += 1;
        Ok(img)
    }
}
