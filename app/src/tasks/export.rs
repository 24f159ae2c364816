//! Export a quantized model: the .tflite, its recipe (`OUT.recipe.json`) and, when there is
//! one, the comparison report (`OUT_report/`), all or nothing. Every file is first written to
//! a temporary file in its destination folder; only when all are written are they renamed into
//! place, and if a rename fails the ones already renamed are taken back and the files they
//! replaced restored. The source model is never overwritten (paths are compared canonically).

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result, bail};
use pocket_engine::eval::CompareReport;
use pocket_engine::quant::Recipe;

use super::defaults;

/// What to write.
pub struct Export<'a> {
    /// The model file to write (.tflite).
    pub path: &'a Path,
    /// The model's bytes.
    pub model: &'a [u8],
    /// The recipe, saved as `OUT.recipe.json`.
    pub recipe: Option<&'a Recipe>,
    /// The comparison report, saved into `OUT_report/`.
    pub report: Option<&'a CompareReport>,
    /// The model the export came from; it is never overwritten.
    pub source: Option<&'a Path>,
}

/// What was written.
#[derive(Debug, Clone)]
pub struct Written {
    /// The model file.
    pub model: PathBuf,
    /// The recipe file.
    pub recipe: Option<PathBuf>,
    /// The report folder.
    pub report: Option<PathBuf>,
}

/// `path` made absolute and canonical as far as it exists (the file itself may not exist yet).
fn canonical(path: &Path) -> Option<PathBuf> {
    if let Ok(p) = path.canonicalize() {
        return Some(p);
    }
    let name = path.file_name()?;
    let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
    let parent = parent.unwrap_or(Path::new(".")).canonicalize().ok()?;
    Some(parent.join(name))
}

/// Whether `a` and `b` name the same file, however they are spelled (`./m.tflite`,
/// `dir/../m.tflite`, a symbolic link, an absolute path).
pub fn same_path(a: &Path, b: &Path) -> bool {
    match (canonical(a), canonical(b)) {
        (Some(x), Some(y)) => x == y,
        _ => a == b,
    }
}

fn folder_of(path: &Path) -> &Path {
    path.parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
}

/// Check, before any work, that `out` can be written: it is not the source model, not a
/// folder, its folder exists and accepts files, and the recipe path beside it is not a folder.
pub fn check_destination(out: &Path, source: Option<&Path>) -> Result<()> {
    let shown = out.display();
    if out.file_name().is_none() || out.as_os_str().to_string_lossy().ends_with('/') {
        bail!("the output {shown} is not a file path");
    }
    if source.is_some_and(|s| same_path(s, out)) {
        bail!("refusing to overwrite the input model {shown}; choose another output");
    }
    if out.is_dir() {
        bail!("the output {shown} is a folder; give a file path such as {shown}/model.tflite");
    }
    let dir = folder_of(out);
    if !dir.is_dir() {
        let what = if dir.exists() {
            "is not a folder"
        } else {
            "does not exist"
        };
        bail!("cannot write the output {shown}: {} {what}", dir.display());
    }
    let probe = temp_name(out, "probe");
    std::fs::File::create(&probe)
        .with_context(|| format!("cannot write the output {shown} (in {})", dir.display()))?;
    let _ = std::fs::remove_file(&probe);
    let recipe = defaults::recipe_path(out);
    if recipe.is_dir() {
        bail!(
            "cannot write the output's recipe {}: it is a folder",
            recipe.display()
        );
    }
    Ok(())
}

/// Write the export, all or nothing.
pub fn export(e: &Export<'_>) -> Result<Written> {
    check_destination(e.path, e.source)?;
    let mut stage = Stage::default();
    stage.file(e.path, e.model)?;
    let recipe = match e.recipe {
        Some(r) => {
            let p = defaults::recipe_path(e.path);
            stage.file(&p, r.to_json().as_bytes())?;
            Some(p)
        }
        None => None,
    };
    let report = match e.report {
        Some(r) => {
            let dir = defaults::report_dir(e.path);
            stage.report(&dir, r)?;
            Some(dir)
        }
        None => None,
    };
    stage.commit()?;
    Ok(Written {
        model: e.path.to_path_buf(),
        recipe,
        report,
    })
}

/// A temporary name beside `dest`, unique within this process.
fn temp_name(dest: &Path, what: &str) -> PathBuf {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    folder_of(dest).join(format!(".{name}.{what}{}-{n}", std::process::id()))
}

/// Files written to temporary names, waiting to be renamed into place. Dropping a stage removes
/// whatever temporary files are left.
#[derive(Default)]
pub(crate) struct Stage {
    /// (temporary file, destination).
    files: Vec<(PathBuf, PathBuf)>,
    /// Folders to create before renaming.
    dirs: Vec<PathBuf>,
    /// Temporary folders (report staging).
    tmp_dirs: Vec<PathBuf>,
}

impl Stage {
    /// Write `bytes` to a temporary file beside `dest`.
    pub(crate) fn file(&mut self, dest: &Path, bytes: &[u8]) -> Result<()> {
        use std::io::Write;
        let tmp = temp_name(dest, "tmp");
        self.files.push((tmp.clone(), dest.to_path_buf()));
        let mut f =
            std::fs::File::create(&tmp).with_context(|| format!("writing {}", dest.display()))?;
        f.write_all(bytes)
            .and_then(|()| f.sync_all())
            .with_context(|| format!("writing {}", dest.display()))
    }

    /// Write the report into a temporary folder beside `dir`; its files go into `dir`.
    fn report(&mut self, dir: &Path, r: &CompareReport) -> Result<()> {
        if dir.exists() && !dir.is_dir() {
            bail!(
                "cannot write the report into {}: it is a file",
                dir.display()
            );
        }
        let tmp = temp_name(dir, "tmp");
        self.tmp_dirs.push(tmp.clone());
        r.write(&tmp).context("writing the comparison report")?;
        let mut names: Vec<PathBuf> = std::fs::read_dir(&tmp)
            .with_context(|| format!("reading {}", tmp.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.is_file())
            .collect();
        names.sort();
        for f in names {
            if let Some(name) = f.file_name() {
                let dest = dir.join(name);
                self.files.push((f, dest));
            }
        }
        self.dirs.push(dir.to_path_buf());
        Ok(())
    }

    /// Rename every temporary file into place, or none: on failure the renamed ones are
    /// removed and the files they replaced restored.
    pub(crate) fn commit(self) -> Result<()> {
        let mut created = Vec::new();
        let mut done: Vec<(PathBuf, Option<PathBuf>)> = Vec::new();
        let res = (|| -> Result<()> {
            for d in &self.dirs {
                if !d.exists() {
                    std::fs::create_dir(d).with_context(|| format!("creating {}", d.display()))?;
                    created.push(d.clone());
                }
            }
            for (tmp, dest) in &self.files {
                let old = std::fs::symlink_metadata(dest).is_ok_and(|m| !m.is_dir());
                let backup = if old {
                    let b = temp_name(dest, "old");
                    std::fs::rename(dest, &b)
                        .with_context(|| format!("replacing {}", dest.display()))?;
                    Some(b)
                } else {
                    None
                };
                if let Err(e) = std::fs::rename(tmp, dest) {
                    if let Some(b) = &backup {
                        let _ = std::fs::rename(b, dest);
                    }
                    return Err(e).with_context(|| format!("writing {}", dest.display()));
                }
                done.push((dest.clone(), backup));
            }
            Ok(())
        })();
        match res {
            Ok(()) => {
                for b in done.iter().filter_map(|(_, b)| b.as_ref()) {
                    let _ = std::fs::remove_file(b);
                }
            }
            Err(_) => {
                for (dest, backup) in done.iter().rev() {
                    let _ = std::fs::remove_file(dest);
                    if let Some(b) = backup {
                        let _ = std::fs::rename(b, dest);
                    }
                }
                for d in created.iter().rev() {
                    let _ = std::fs::remove_dir(d);
                }
            }
        }
        res
    }
}

impl Drop for Stage {
    fn drop(&mut self) {
        for (tmp, _) in &self.files {
            let _ = std::fs::remove_file(tmp);
        }
        for d in &self.tmp_dirs {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("pocket-export-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("scratch");
        d
    }

    fn listing(d: &Path) -> Vec<String> {
        let mut v: Vec<String> = std::fs::read_dir(d)
            .expect("dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn a_failed_second_rename_restores_the_first_file() {
        let d = scratch("rollback");
        let model = d.join("m.tflite");
        std::fs::write(&model, b"old model").expect("old");
        // The recipe's destination is a folder holding a user file: renaming onto it fails.
        let recipe = d.join("m.recipe.json");
        std::fs::create_dir(&recipe).expect("dir");
        std::fs::write(recipe.join("keep.txt"), b"mine").expect("user file");
        let mut s = Stage::default();
        s.file(&model, b"new model").expect("stage model");
        s.file(&recipe, b"{}").expect("stage recipe");
        let err = s.commit().expect_err("the recipe rename must fail");
        assert!(format!("{err:#}").contains("m.recipe.json"), "{err:#}");
        assert_eq!(std::fs::read(&model).expect("model"), b"old model");
        assert_eq!(
            std::fs::read(recipe.join("keep.txt")).expect("kept"),
            b"mine"
        );
        assert_eq!(
            listing(&d),
            ["m.recipe.json", "m.tflite"],
            "no temporary files left"
        );
    }

    #[test]
    fn a_failed_rename_with_no_old_file_leaves_no_model() {
        let d = scratch("rollback-new");
        let model = d.join("m.tflite");
        let recipe = d.join("m.recipe.json");
        std::fs::create_dir(&recipe).expect("dir");
        std::fs::write(recipe.join("x"), b"x").expect("user file");
        let mut s = Stage::default();
        s.file(&model, b"new model").expect("stage");
        s.file(&recipe, b"{}").expect("stage");
        assert!(s.commit().is_err());
        assert!(!model.exists());
        assert_eq!(listing(&d), ["m.recipe.json"]);
    }

    #[test]
    fn export_replaces_both_files_and_refuses_the_source() {
        let d = scratch("ok");
        let model = d.join("m.tflite");
        std::fs::write(&model, b"old").expect("old");
        std::fs::write(defaults::recipe_path(&model), b"old recipe").expect("old");
        let r = Recipe::new(pocket_engine::quant::Mode::Float16);
        let w = export(&Export {
            path: &model,
            model: b"new",
            recipe: Some(&r),
            report: None,
            source: Some(&d.join("src.tflite")),
        })
        .expect("export");
        assert_eq!(std::fs::read(&w.model).expect("model"), b"new");
        let back = std::fs::read_to_string(w.recipe.expect("recipe")).expect("recipe");
        assert_eq!(Recipe::from_json(&back).expect("json"), r);
        assert_eq!(listing(&d), ["m.recipe.json", "m.tflite"]);
        // The source spelled differently is still the source.
        let odd = d
            .join(".")
            .join("..")
            .join(d.file_name().expect("n"))
            .join("m.tflite");
        let e = export(&Export {
            path: &odd,
            model: b"newer",
            recipe: None,
            report: None,
            source: Some(&model),
        })
        .expect_err("must refuse");
        assert!(format!("{e:#}").contains("refusing to overwrite"), "{e:#}");
        assert_eq!(std::fs::read(&model).expect("model"), b"new");
    }

    #[test]
    fn unusable_destinations_are_named_before_any_work() {
        let d = scratch("dest");
        let e = check_destination(&d.join("nope/m.tflite"), None).expect_err("missing folder");
        assert!(format!("{e:#}").contains("does not exist"), "{e:#}");
        let e = check_destination(&d, None).expect_err("a folder");
        assert!(format!("{e:#}").contains("is a folder"), "{e:#}");
        assert!(check_destination(&d.join("m.tflite"), None).is_ok());
        assert!(listing(&d).is_empty(), "the probe is removed");
    }
}
