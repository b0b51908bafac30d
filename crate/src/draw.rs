//! Drawing plumbing shared by the figures and the pictures: every drawing is made as SVG by
//! plotters and, where pixels are needed, rendered by resvg in memory and encoded as PNG or
//! GIF (on screen, and at print size for a report).

use crate::error::{Error, Result};
use crate::fonts::{family, outline_text, register_fonts, Texts};
use plotters::coord::Shift;
use plotters::prelude::*;
use resvg::{tiny_skia, usvg};
use std::fmt;
use std::path::Path;

/// PNG pixels per pixel on screen in a saved drawing: a two-panel figure (960 × 340 on screen)
/// is saved as 2880 × 1020, 300 dots per inch over 24 cm of a printed page.
pub(crate) const PRINT_SCALE: u32 = 3;

/// The largest drawing on screen: 32768 pixels a side and 32 megapixels (96 MiB of RGB), far
/// beyond any lesson's (a grid of 1000 weight maps is 820 × 13300), so that a caller's count
/// (pictures, digits, panels, a width) cannot make the kernel allocate without bound.
const MAX_SIDE: u32 = 32768;
const MAX_PIXELS: u64 = 32 << 20;
/// The most pixels of a PNG for print; a larger drawing is saved at a smaller scale.
const MAX_PRINT_PIXELS: u64 = 64 << 20;

/// Checks that a drawing of `size` pixels can be drawn: not empty, and within the limits above.
pub(crate) fn check_size((w, h): (u32, u32)) -> Result<(), String> {
    if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE || w as u64 * h as u64 > MAX_PIXELS {
        return Err(format!(
            "a drawing of {w} × {h} pixels cannot be made (at most {MAX_SIDE} pixels a side and \
             {} megapixels): put fewer things in one drawing (pictures, digits, panels) or give \
             it a smaller size",
            MAX_PIXELS >> 20
        ));
    }
    Ok(())
}

/// `count` things of `each` pixels and `extra` more, in pixels (saturating: a size that does
/// not fit is caught by [`check_size`], not an overflow).
pub(crate) fn span(count: usize, each: u32, extra: u32) -> u32 {
    u32::try_from(count)
        .unwrap_or(u32::MAX)
        .saturating_mul(each)
        .saturating_add(extra)
}

/// Writes a drawing to `path`, a file for a report: for `.svg`, the SVG that `svg` makes; for
/// `.png`, that SVG drawn at [`PRINT_SCALE`] times its size (less for a drawing of over 7
/// megapixels).
pub(crate) fn save_svg_or_png(path: &Path, svg: impl FnOnce() -> Result<String>) -> Result<()> {
    let bytes = match path.extension().and_then(|e| e.to_str()) {
        Some("svg") => svg()?.into_bytes(),
        Some("png") => png_for_print(&svg()?)?,
        _ => return Err(write_error(path, "the file name must end in .svg or .png")),
    };
    std::fs::write(path, bytes).map_err(|e| write_error(path, e))
}

/// `svg` (as plotters writes it) drawn as PNG at [`PRINT_SCALE`] times its size.
fn png_for_print(svg: &str) -> Result<Vec<u8>> {
    let fail = |e: String| Error::Io(format!("cannot draw the picture as PNG: {e}"));
    let pixmap = render(svg, |pixels| {
        (1..=PRINT_SCALE)
            .rev()
            .find(|s| pixels * u64::from(s * s) <= MAX_PRINT_PIXELS)
            .unwrap_or(1)
    })
    .map_err(fail)?;
    pixmap.encode_png().map_err(|e| fail(e.to_string()))
}

/// `svg` (as plotters writes it) drawn on white by resvg at the scale that `scale` chooses for
/// its number of pixels. Its text is drawn from the glyphs' outlines first, so the pixels
/// need no font of the machine.
fn render(svg: &str, scale: impl FnOnce(u64) -> u32) -> Result<tiny_skia::Pixmap, String> {
    let svg = outline_text(svg.to_string(), Texts::All);
    let tree = usvg::Tree::from_str(&svg, &usvg::Options::default()).map_err(|e| e.to_string())?;
    let size = tree.size().to_int_size();
    let scale = scale(size.width() as u64 * size.height() as u64);
    let mut pixmap = tiny_skia::Pixmap::new(size.width() * scale, size.height() * scale)
        .ok_or_else(|| format!("{} × {} pixels is too large", size.width(), size.height()))?;
    pixmap.fill(tiny_skia::Color::WHITE);
    let scale = scale as f32;
    resvg::render(
        &tree,
        tiny_skia::Transform::from_scale(scale, scale),
        &mut pixmap.as_mut(),
    );
    Ok(pixmap)
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
    check_size(size)?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw(&root)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(outline_text(svg, Texts::Wide))
}

/// The RGB pixels of a picture of `size` that `draw` draws, in memory (no file, so no other
/// user of the machine can plant one in its way): drawn as SVG and rendered as a saved PNG is,
/// since plotters' bitmap backend places each letter without its side bearing (a title read
/// "epoch 2 0").
pub(crate) fn rgb_of(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> Result<(), String>,
) -> Result<Vec<u8>, String> {
    let pixmap = render(&svg_of(size, draw)?, |_| 1)?;
    // Opaque pixels (drawn on white): the RGB of each RGBA.
    Ok(pixmap
        .data()
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect())
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
            frame.delay = (delay_ms.saturating_add(5) / 10).min(u16::MAX as u32) as u16;
            encoder
                .write_frame(&frame)
                .map_err(|e| fail(e.to_string()))?;
        }
    }
    Ok(bytes)
}

/// matplotlib's default colour cycle, so the curves look as in the course (train blue, test orange).
pub(crate) const PALETTE: [RGBColor; 10] = [
    RGBColor(0x1f, 0x77, 0xb4),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0x94, 0x67, 0xbd),
    RGBColor(0x8c, 0x56, 0x4b),
    RGBColor(0xe3, 0x77, 0xc2),
    RGBColor(0x7f, 0x7f, 0x7f),
    RGBColor(0xbc, 0xbd, 0x22),
    RGBColor(0x17, 0xbe, 0xcf),
];

/// Starts a picture on `root`: white, with `title` at the top left.
pub(crate) fn begin<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    register_fonts();
    root.fill(&WHITE)?;
    root.draw(&Text::new(
        title.to_string(),
        (10, 8),
        (family(title), 17).into_font(),
    ))
}

/// Draws the square picture `values` (row by row, n × n of them) with its top left corner at
/// `at`, in a square of about `room` screen pixels (whole screen pixels per value, at least
/// one), each value in the colour `color` gives it.
pub(crate) fn draw_square<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    values: &[f32],
    (x0, y0): (i32, i32),
    room: i32,
    color: impl Fn(f32) -> RGBColor,
) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let side = ((values.len() as f64).sqrt() as usize).max(1);
    let px = (room / side as i32).max(1);
    for (i, &v) in values.iter().enumerate() {
        let (r, c) = ((i / side) as i32, (i % side) as i32);
        root.draw(&Rectangle::new(
            [
                (x0 + c * px, y0 + r * px),
                (x0 + (c + 1) * px, y0 + (r + 1) * px),
            ],
            color(v).filled(),
        ))?;
    }
    Ok(())
}

/// A digit's grey levels: white for 0 (no ink) to black for 1.
pub(crate) fn grey(v: f32) -> RGBColor {
    let g = (255.0 * (1.0 - v.clamp(0.0, 1.0))).round() as u8;
    RGBColor(g, g, g)
}

/// The crate's pictures, drawn through plotters' SVG backend (then rendered for the notebook,
/// an animation or a report).
pub(crate) trait Picture {
    /// Pixel size of the whole picture.
    fn size(&self) -> (u32, u32);
    /// Draws the picture on `root`, of [`Picture::size`].
    fn draw_on<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

/// Writes `picture` to `path` for a report: SVG, or PNG at print size (see
/// [`save_svg_or_png`]).
pub(crate) fn save(picture: &impl Picture, path: &Path) -> Result<()> {
    save_svg_or_png(path, || {
        svg_of(picture.size(), |root| picture.draw_on(root)).map_err(|e| write_error(path, e))
    })
}

/// `picture` as PNG bytes, at its size on screen.
pub(crate) fn png_bytes(picture: &impl Picture) -> Result<Vec<u8>> {
    let size = picture.size();
    let rgb = rgb_of(size, |root| picture.draw_on(root))
        .map_err(|e| Error::Io(format!("cannot draw the picture: {e}")))?;
    png_of(size, &rgb)
}

/// The GIF of an animation of `frames`, `delay_ms` milliseconds each, as large as the largest frame (each
/// drawn from the top left corner).
pub(crate) fn gif_of(frames: &[impl Picture], delay_ms: u32) -> Result<Vec<u8>> {
    let size = frames
        .iter()
        .map(Picture::size)
        .fold((1, 1), |(w, h), (fw, fh)| (w.max(fw), h.max(fh)));
    let fail = |e: String| Error::Io(format!("cannot draw the animation: {e}"));
    let rgb = frames
        .iter()
        .map(|f| rgb_of(size, |root| f.draw_on(root)).map_err(fail))
        .collect::<Result<Vec<_>>>()?;
    gif_of_frames(size, rgb, delay_ms)
}
