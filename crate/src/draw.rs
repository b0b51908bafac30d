//! Drawing plumbing shared by the figures and the pictures: pictures made through plotters'
//! file-based bitmap backend, and drawings saved for a report (SVG, or PNG at print size).

use crate::error::{Error, Result};
use crate::fonts::{outline_text, Texts};
use resvg::{tiny_skia, usvg};
use std::fmt;
use std::path::{Path, PathBuf};

/// PNG pixels per pixel on screen in a saved drawing: a two-panel figure (960 × 340 on screen)
/// is saved as 2880 × 1020, 300 dots per inch over 24 cm of a printed page.
pub(crate) const PRINT_SCALE: u32 = 3;

/// Writes a drawing to `path`, a file for a report: for `.svg`, the SVG that `svg` makes; for
/// `.png`, that SVG drawn at [`PRINT_SCALE`] times its size.
pub(crate) fn save_svg_or_png(path: &Path, svg: impl FnOnce() -> Result<String>) -> Result<()> {
    let bytes = match path.extension().and_then(|e| e.to_str()) {
        Some("svg") => svg()?.into_bytes(),
        Some("png") => png_for_print(&svg()?)?,
        _ => return Err(write_error(path, "the file name must end in .svg or .png")),
    };
    std::fs::write(path, bytes).map_err(|e| write_error(path, e))
}

/// `svg` (as plotters writes it) drawn as PNG at [`PRINT_SCALE`] times its size. Its text is
/// drawn from the glyphs' outlines first, so the PNG needs no font of the machine.
fn png_for_print(svg: &str) -> Result<Vec<u8>> {
    let fail = |e: String| Error::Io(format!("cannot draw the picture as PNG: {e}"));
    let svg = outline_text(svg.to_string(), Texts::All);
    let tree =
        usvg::Tree::from_str(&svg, &usvg::Options::default()).map_err(|e| fail(e.to_string()))?;
    let scale = PRINT_SCALE as f32;
    let size = tree.size().to_int_size();
    let mut pixmap =
        tiny_skia::Pixmap::new(size.width() * PRINT_SCALE, size.height() * PRINT_SCALE)
            .ok_or_else(|| {
                fail(format!(
                    "{} × {} pixels is too large",
                    size.width(),
                    size.height()
                ))
            })?;
    pixmap.fill(tiny_skia::Color::WHITE);
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    pixmap.encode_png().map_err(|e| fail(e.to_string()))
}

/// The error of a picture that could not be written to `path`.
pub(crate) fn write_error(path: &Path, e: impl fmt::Display) -> Error {
    Error::Io(format!(
        "cannot write the picture to {}: {e}",
        path.display()
    ))
}

/// Runs `write` on a fresh temporary path with extension `ext`, returns the file's bytes and
/// removes it (plotters encodes PNG and GIF only into files).
pub(crate) fn with_temp_file(
    ext: &str,
    write: impl FnOnce(&Path) -> Result<()>,
) -> Result<Vec<u8>> {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path: PathBuf =
        std::env::temp_dir().join(format!("mnist_lab-{}-{n}.{ext}", std::process::id()));
    let result = write(&path).and_then(|()| {
        std::fs::read(&path)
            .map_err(|e| Error::Io(format!("cannot read back {}: {e}", path.display())))
    });
    let _ = std::fs::remove_file(&path);
    result
}
