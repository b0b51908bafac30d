//! Drawing plumbing shared by the figures and the pictures: pictures drawn in memory through
//! plotters' bitmap backend and encoded as PNG or GIF, and drawings saved for a report (SVG,
//! or PNG at print size).

use crate::error::{Error, Result};
use crate::fonts::{outline_text, Texts};
use plotters::coord::Shift;
use plotters::prelude::*;
use resvg::{tiny_skia, usvg};
use std::fmt;
use std::path::Path;

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

/// The SVG of a picture of `size` that `draw` draws, its text in IPAex Gothic written as the
/// glyphs' outlines (see `fonts`), so that it looks the same in any browser.
pub(crate) fn svg_of(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> Result<(), String>,
) -> Result<String, String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw(&root)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(outline_text(svg, Texts::Wide))
}

/// The RGB pixels (plotters' bitmap layout) of a picture of `size` that `draw` draws, in
/// memory: no file, so no other user of the machine can plant one in its way.
pub(crate) fn rgb_of(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend, Shift>) -> Result<(), String>,
) -> Result<Vec<u8>, String> {
    let mut rgb = vec![0u8; size.0 as usize * size.1 as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
        draw(&root)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(rgb)
}

/// RGB pixels of `size` as PNG bytes.
pub(crate) fn png_of(size: (u32, u32), rgb: &[u8]) -> Result<Vec<u8>> {
    let fail = |e: png::EncodingError| Error::Io(format!("cannot encode the picture as PNG: {e}"));
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, size.0, size.1);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(fail)?;
    writer.write_image_data(rgb).map_err(fail)?;
    writer.finish().map_err(fail)?;
    Ok(bytes)
}

/// Frames of RGB pixels of `size` as an endlessly repeating GIF, `delay_ms` milliseconds each
/// (encoded as plotters' GIF backend does).
pub(crate) fn gif_of_frames(
    size: (u32, u32),
    frames: impl IntoIterator<Item = Vec<u8>>,
    delay_ms: u32,
) -> Result<Vec<u8>> {
    let fail = |e: String| Error::Io(format!("cannot encode the animation: {e}"));
    let (w, h) = (u16::try_from(size.0), u16::try_from(size.1));
    let (Ok(w), Ok(h)) = (w, h) else {
        return Err(fail(format!(
            "{} × {} pixels is larger than a GIF can be (65535 × 65535)",
            size.0, size.1
        )));
    };
    let mut bytes = Vec::new();
    {
        let mut encoder =
            gif::Encoder::new(&mut bytes, w, h, &[]).map_err(|e| fail(e.to_string()))?;
        encoder
            .set_repeat(gif::Repeat::Infinite)
            .map_err(|e| fail(e.to_string()))?;
        for rgb in frames {
            let mut frame = gif::Frame::from_rgb_speed(w, h, &rgb, 10);
            frame.delay = ((delay_ms + 5) / 10).min(u16::MAX as u32) as u16;
            encoder
                .write_frame(&frame)
                .map_err(|e| fail(e.to_string()))?;
        }
    }
    Ok(bytes)
}
