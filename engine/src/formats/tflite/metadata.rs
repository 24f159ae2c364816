//! TFLite model metadata ("TFLITE_METADATA", a flatbuffer with identifier "M001"): model name
//! and description, per-tensor normalization and colour space, and the label file; plus the
//! associated-files ZIP appended to the model.

use super::fb::{Table, u32_at};
use crate::error::{Error, Result};
use crate::ir::TensorMeta;

/// What we take from model metadata.
#[derive(Debug, Default)]
pub struct Parsed {
    /// Model name.
    pub name: Option<String>,
    /// Description.
    pub description: Option<String>,
    /// Input tensor metadata.
    pub inputs: Vec<TensorMeta>,
    /// Output tensor metadata.
    pub outputs: Vec<TensorMeta>,
}

const TENSOR_AXIS_LABELS: u8 = 2;

/// Parse a TFLITE_METADATA buffer.
pub fn parse(b: &[u8]) -> Result<Parsed> {
    if b.get(4..8) != Some(b"M001".as_slice()) {
        return Err(Error::import("metadata buffer is not an M001 flatbuffer"));
    }
    let m = Table::root(b)?;
    let mut p = Parsed {
        name: m.string(0)?.map(str::to_string),
        description: m.string(1)?.map(str::to_string),
        ..Default::default()
    };
    if let Some(sgs) = m.vector(3)?
        && !sgs.is_empty()
    {
        let sg = sgs.table(0)?;
        p.inputs = tensor_metas(&sg, 2)?;
        p.outputs = tensor_metas(&sg, 3)?;
    }
    Ok(p)
}

fn tensor_metas(sg: &Table<'_>, id: usize) -> Result<Vec<TensorMeta>> {
    let Some(v) = sg.vector(id)? else {
        return Ok(Vec::new());
    };
    (0..v.len())
        .map(|i| {
            let t = v.table(i)?;
            let mut tm = TensorMeta {
                name: t.string(0)?.map(str::to_string),
                ..Default::default()
            };
            if let Some(content) = t.table(3)?
                && content.get::<u8>(0, 0)? == 2
                && let Some(img) = content.table(1)?
            {
                tm.color = match img.get::<i8>(0, 0)? {
                    1 => Some("rgb".into()),
                    2 => Some("gray".into()),
                    _ => None,
                };
                // ImageProperties.default_size: ImageSize { width, height }.
                if let Some(size) = img.table(1)? {
                    let (w, h) = (size.get::<u32>(0, 0)?, size.get::<u32>(1, 0)?);
                    if w > 0 && h > 0 && w <= i32::MAX as u32 && h <= i32::MAX as u32 {
                        tm.image_size = Some((h as usize, w as usize));
                    }
                }
            }
            if let Some(units) = t.vector(4)? {
                for j in 0..units.len() {
                    let u = units.table(j)?;
                    if u.get::<u8>(0, 0)? == 1
                        && let Some(n) = u.table(1)?
                    {
                        tm.mean = n
                            .vector(0)?
                            .map(|v| v.scalars::<f32>())
                            .transpose()?
                            .unwrap_or_default();
                        tm.std = n
                            .vector(1)?
                            .map(|v| v.scalars::<f32>())
                            .transpose()?
                            .unwrap_or_default();
                    }
                }
            }
            if let Some(files) = t.vector(6)? {
                for j in 0..files.len() {
                    let f = files.table(j)?;
                    if f.get::<u8>(2, 0)? == TENSOR_AXIS_LABELS {
                        tm.label_file = f.string(0)?.map(str::to_string);
                    }
                }
            }
            Ok(tm)
        })
        .collect()
}

fn u16_at(d: &[u8], p: usize) -> Option<usize> {
    d.get(p..p + 2)
        .and_then(|s| <[u8; 2]>::try_from(s).ok())
        .map(|a| u16::from_le_bytes(a) as usize)
}

fn u32_opt(d: &[u8], p: usize) -> Option<usize> {
    u32_at(d, p).ok().map(|v| v as usize)
}

/// Start of a ZIP archive appended to the file, if there is one. Works whether the archive's
/// offsets count from its own start or from the start of the file.
pub fn trailing_zip(d: &[u8]) -> Option<usize> {
    let (_, cd_size, cd_off, eocd_pos) = eocd(d)?;
    let cd = eocd_pos.checked_sub(cd_size)?;
    let first_local = central_entries(d, cd, 1).first().map(|e| e.local)?;
    let start = cd.checked_sub(cd_off.checked_sub(first_local)?)?;
    (d.get(start..start + 4) == Some(b"PK\x03\x04".as_slice())).then_some(start)
}

/// (entries, central directory size, central directory offset, position of the end record).
fn eocd(d: &[u8]) -> Option<(usize, usize, usize, usize)> {
    let lo = d.len().saturating_sub(22 + 65535);
    let pos = (lo..d.len().saturating_sub(21))
        .rev()
        .find(|&p| d.get(p..p + 4) == Some(b"PK\x05\x06".as_slice()))?;
    Some((
        u16_at(d, pos + 10)?,
        u32_opt(d, pos + 12)?,
        u32_opt(d, pos + 16)?,
        pos,
    ))
}

struct Entry {
    name: String,
    method: usize,
    size: usize,
    local: usize,
}

fn central_entries(d: &[u8], mut p: usize, n: usize) -> Vec<Entry> {
    let mut out = Vec::new();
    for _ in 0..n {
        if d.get(p..p + 4) != Some(b"PK\x01\x02".as_slice()) {
            break;
        }
        let (Some(method), Some(size), Some(nlen), Some(elen), Some(clen), Some(local)) = (
            u16_at(d, p + 10),
            u32_opt(d, p + 20),
            u16_at(d, p + 28),
            u16_at(d, p + 30),
            u16_at(d, p + 32),
            u32_opt(d, p + 42),
        ) else {
            break;
        };
        let name = d
            .get(p + 46..p + 46 + nlen)
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default();
        out.push(Entry {
            name,
            method,
            size,
            local,
        });
        p += 46 + nlen + elen + clen;
    }
    out
}

/// Labels (one per line) from the stored (uncompressed) entry `name` of an archive that starts
/// at byte 0 of `zip`, or from the first `.txt` entry when no name is given.
pub fn labels_from_zip(zip: &[u8], name: Option<&str>) -> Vec<String> {
    let Some((n, cd_size, cd_off, eocd_pos)) = eocd(zip) else {
        return Vec::new();
    };
    let Some(cd) = eocd_pos.checked_sub(cd_size) else {
        return Vec::new();
    };
    let entries = central_entries(zip, cd, n);
    // Offsets may count from an earlier prefix: shift them so the first entry sits at 0.
    let Some(shift) = cd_off.checked_sub(cd) else {
        return Vec::new();
    };
    for e in &entries {
        let wanted = name.map_or(e.name.ends_with(".txt"), |w| w == e.name);
        if !wanted || e.method != 0 {
            continue;
        }
        let Some(lp) = e.local.checked_sub(shift) else {
            continue;
        };
        if zip.get(lp..lp + 4) != Some(b"PK\x03\x04".as_slice()) {
            continue;
        }
        if let (Some(ln), Some(le)) = (u16_at(zip, lp + 26), u16_at(zip, lp + 28)) {
            let s = lp + 30 + ln + le;
            if let Some(bytes) = zip.get(s..s + e.size) {
                return String::from_utf8_lossy(bytes)
                    .lines()
                    .map(|l| l.trim().to_string())
                    .filter(|l| !l.is_empty())
                    .collect();
            }
        }
    }
    Vec::new()
}

/// Every entry of a ZIP archive starting at byte 0 of `zip`: (name, bytes, stored uncompressed).
/// `None` when the bytes are not a ZIP archive.
pub fn zip_entries(zip: &[u8]) -> Option<Vec<(String, &[u8], bool)>> {
    let (n, cd_size, cd_off, eocd_pos) = eocd(zip)?;
    let cd = eocd_pos.checked_sub(cd_size)?;
    let shift = cd_off.checked_sub(cd)?;
    let mut out = Vec::new();
    for e in central_entries(zip, cd, n) {
        let lp = e.local.checked_sub(shift)?;
        if zip.get(lp..lp + 4) != Some(b"PK\x03\x04".as_slice()) {
            return None;
        }
        let (ln, le) = (u16_at(zip, lp + 26)?, u16_at(zip, lp + 28)?);
        let s = lp + 30 + ln + le;
        out.push((e.name, zip.get(s..s + e.size)?, e.method == 0));
    }
    Some(out)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::super::builder::{Obj, TableB, finish};
    use super::*;

    /// ModelMetadata → SubGraphMetadata → TensorMetadata → Content(ImageProperties{rgb,
    /// default_size}) as the metadata schema lays them out.
    fn image_metadata(width: u32, height: u32) -> Vec<u8> {
        let size = TableB::new().u32(0, width).u32(1, height);
        let props = TableB::new().u8(0, 1).obj(1, Obj::Table(size));
        let content = TableB::new().u8(0, 2).obj(1, Obj::Table(props));
        let tensor = TableB::new().str(0, "image").obj(3, Obj::Table(content));
        let sg = TableB::new().obj(2, Obj::Objs(vec![Obj::Table(tensor)]));
        let root = TableB::new()
            .str(0, "detector")
            .obj(3, Obj::Objs(vec![Obj::Table(sg)]));
        finish(&root, b"M001")
    }

    #[test]
    fn image_default_size_is_read_as_height_and_width() {
        let p = parse(&image_metadata(640, 480)).unwrap();
        assert_eq!(p.inputs[0].image_size, Some((480, 640)));
        assert_eq!(p.inputs[0].color.as_deref(), Some("rgb"));
        // A zero side states no size.
        assert_eq!(
            parse(&image_metadata(0, 480)).unwrap().inputs[0].image_size,
            None
        );
    }
}
