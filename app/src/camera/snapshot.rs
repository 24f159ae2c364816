//! Save the current frame into a dataset folder under a class name (`<dataset>/<class>/`), to
//! grow a calibration or evaluation set from the camera. Written to a temporary file and
//! renamed; never overwrites an existing file.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use super::RgbImage;

/// Save `img` as PNG into `dataset/class/`; returns the new file's path.
pub fn save(img: &RgbImage, dataset: &Path, class: &str) -> Result<PathBuf, String> {
    let class = class.trim();
    if class.is_empty() || class == "." || class == ".." || class.contains(['/', '\\', ':', '\0']) {
        return Err(format!(
            "'{class}' is not a usable class name (a folder name without slashes)"
        ));
    }
    if dataset.as_os_str().is_empty() {
        return Err("choose a dataset folder first".into());
    }
    let dir = dataset.join(class);
    std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let mut path = dir.join(format!("snap_{ms}.png"));
    let mut k = 1;
    while path.exists() {
        path = dir.join(format!("snap_{ms}_{k}.png"));
        k += 1;
    }
    let mut png = Vec::new();
    img.write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .map_err(|e| format!("cannot encode PNG: {e}"))?;
    pocket_engine::formats::write_atomic(&path, &png).map_err(|e| e.chain())?;
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saves_under_the_class_and_refuses_bad_names() {
        let d = std::env::temp_dir().join(format!("pocket-snap-{}", std::process::id()));
        let img = RgbImage::from_pixel(8, 6, image::Rgb([10, 20, 30]));
        let a = save(&img, &d, "cat").expect("save");
        let b = save(&img, &d, "cat").expect("save");
        assert_ne!(a, b);
        assert_eq!(a.parent(), Some(d.join("cat").as_path()));
        let back = image::open(&a).expect("decode").to_rgb8();
        assert_eq!(back, img);
        for bad in ["", "..", "a/b", " "] {
            assert!(save(&img, &d, bad).is_err(), "{bad:?}");
        }
        let _ = std::fs::remove_dir_all(&d);
    }
}
