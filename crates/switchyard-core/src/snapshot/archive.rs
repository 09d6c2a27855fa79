//! The snapshot as one `.zip`: the HTML page, the JSON, and each chart as a PNG
//! rasterised from its SVG by resvg (pure Rust). Chart text needs fonts: the system's
//! are loaded (DejaVu Sans, from `fonts-dejavu-core`, stands in for `sans-serif`). With
//! no font at all the labels would silently vanish, so the PNGs are then left out and a
//! note in the archive says why.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use zip::write::SimpleFileOptions;

use super::{render_html, render_json, Snapshot, SnapshotError};

/// What went into the archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ZipReport {
    pub entries: Vec<String>,
    pub pngs: usize,
    /// Why no PNGs were written, when none were.
    pub pngs_skipped: Option<String>,
}

/// Fonts for the chart labels, loaded once per archive (loading scans the system).
fn fonts() -> Option<Arc<resvg::usvg::fontdb::Database>> {
    let mut db = resvg::usvg::fontdb::Database::new();
    db.load_system_fonts();
    if db.is_empty() {
        return None;
    }
    let has = |family: &str| {
        db.faces()
            .any(|f| f.families.iter().any(|(name, _)| name == family))
    };
    // fontdb maps `sans-serif` to Arial by default, which Linux rarely has.
    for family in ["DejaVu Sans", "Liberation Sans", "Noto Sans", "Arial"] {
        if has(family) {
            db.set_sans_serif_family(family);
            break;
        }
    }
    Some(Arc::new(db))
}

/// An SVG as PNG bytes, at its own size. `None` when it cannot be parsed or drawn.
pub fn png_of_svg(svg: &str, fonts: Arc<resvg::usvg::fontdb::Database>) -> Option<Vec<u8>> {
    let options = resvg::usvg::Options {
        fontdb: fonts,
        ..resvg::usvg::Options::default()
    };
    let tree = resvg::usvg::Tree::from_str(svg, &options).ok()?;
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height())?;
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().ok()
}

/// A file name from a service or series name: letters, digits, `.`, `-` and `_`.
fn file_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let trimmed = cleaned.trim_start_matches('.');
    if trimmed.is_empty() {
        "_".to_string()
    } else {
        trimmed.to_string()
    }
}

/// Writes `snapshot.html`, `snapshot.json` and `charts/<service>/<series>.png` (plus
/// `charts/breakers.png`) into a new zip at `path`.
pub fn write_zip(snapshot: &Snapshot, path: &Path) -> Result<ZipReport, SnapshotError> {
    let zip_error = |e: &dyn std::fmt::Display| SnapshotError::Zip {
        path: path.to_path_buf(),
        message: e.to_string(),
    };
    let file = std::fs::File::create(path).map_err(|source| SnapshotError::Write {
        path: path.to_path_buf(),
        source,
    })?;
    let mut zip = zip::ZipWriter::new(std::io::BufWriter::new(file));
    let text = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    // PNGs are compressed already.
    let stored = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let mut report = ZipReport {
        entries: Vec::new(),
        pngs: 0,
        pngs_skipped: None,
    };
    let mut add = |zip: &mut zip::ZipWriter<_>,
                   name: String,
                   options: SimpleFileOptions,
                   bytes: &[u8]|
     -> Result<(), SnapshotError> {
        zip.start_file(name.as_str(), options)
            .map_err(|e| zip_error(&e))?;
        zip.write_all(bytes).map_err(|e| zip_error(&e))?;
        report.entries.push(name);
        Ok(())
    };
    add(
        &mut zip,
        "snapshot.html".into(),
        text,
        render_html(snapshot).as_bytes(),
    )?;
    add(
        &mut zip,
        "snapshot.json".into(),
        text,
        render_json(snapshot)?.as_bytes(),
    )?;

    let mut pngs = 0usize;
    let mut skipped = None;
    match fonts() {
        None => {
            let note = "no system fonts were found, so the charts' labels could not be drawn; \
                        the PNG renderings were left out (the charts are in snapshot.html as SVG)";
            add(&mut zip, "NO-PNG.txt".into(), text, note.as_bytes())?;
            skipped = Some(note.to_string());
        }
        Some(fonts) => {
            if let Some(svg) = &snapshot.breaker_timeline_svg {
                if let Some(png) = png_of_svg(svg, fonts.clone()) {
                    add(&mut zip, "charts/breakers.png".into(), stored, &png)?;
                    pngs += 1;
                }
            }
            for service in &snapshot.services {
                for chart in &service.charts {
                    if let Some(png) = png_of_svg(&chart.svg, fonts.clone()) {
                        let name = format!(
                            "charts/{}/{}.png",
                            file_name(&service.name),
                            file_name(&chart.series)
                        );
                        add(&mut zip, name, stored, &png)?;
                        pngs += 1;
                    }
                }
            }
        }
    }
    let writer = zip.finish().map_err(|e| zip_error(&e))?;
    writer
        .into_inner()
        .map_err(|e| zip_error(&e.error().to_string()))?
        .sync_all()
        .map_err(|source| SnapshotError::Write {
            path: path.to_path_buf(),
            source,
        })?;
    report.pngs = pngs;
    report.pngs_skipped = skipped;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::file_name;

    #[test]
    fn file_names_cannot_escape_the_folder() {
        assert_eq!(file_name("../etc/passwd"), "_etc_passwd");
        assert_eq!(file_name("queue.depth"), "queue.depth");
        assert_eq!(file_name(""), "_");
    }
}
