//! What every drawing of the crate shares: the [`Drawing`] trait (a size and a way to draw
//! give saving, PNG bytes and showing in the notebook), and its plumbing: every drawing is
//! made as SVG by plotters and, where pixels are needed, rendered by resvg in memory and
//! encoded as PNG or GIF (on screen, and at print size for a report); the colours and the
//! parts that pictures share (a titled white ground, a square of values).

use crate::display::{live, show_drawn, Content};
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
fn check_size((w, h): (u32, u32)) -> Result<()> {
    if w == 0 || h == 0 || w > MAX_SIDE || h > MAX_SIDE || w as u64 * h as u64 > MAX_PIXELS {
        return Err(Error::InvalidArgument(format!(
            "a drawing of {w} × {h} pixels cannot be made (at most {MAX_SIDE} pixels a side and \
             {} megapixels): put fewer things in one drawing (pictures, digits, panels) or give \
             it a smaller size",
            MAX_PIXELS >> 20
        )));
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
fn save_svg_or_png(path: &Path, svg: impl FnOnce() -> Result<String>) -> Result<()> {
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
fn write_error(path: &Path, e: impl fmt::Display) -> Error {
    Error::Io(format!(
        "cannot write the picture to {}: {e}",
        path.display()
    ))
}

/// The SVG of a picture of `size` that `draw` draws, its text in IPAex Gothic written as the
/// glyphs' outlines (see `fonts`), so that it looks the same in any browser.
fn svg_of(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> Result<()>,
) -> Result<String> {
    check_size(size)?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, size).into_drawing_area();
        draw(&root)?;
        root.present()?;
    }
    Ok(outline_text(svg, Texts::Wide))
}

/// The RGB pixels of a picture of `size` that `draw` draws, in memory (no file, so no other
/// user of the machine can plant one in its way): drawn as SVG and rendered as a saved PNG is,
/// since plotters' bitmap backend places each letter without its side bearing (a title read
/// "epoch 2 0").
fn rgb_of(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend, Shift>) -> Result<()>,
) -> Result<Vec<u8>> {
    let pixmap = render(&svg_of(size, draw)?, |_| 1)
        .map_err(|e| Error::Io(format!("cannot draw the picture: {e}")))?;
    // Opaque pixels (drawn on white): the RGB of each RGBA.
    Ok(pixmap
        .data()
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect())
}

/// RGB pixels of `size` as PNG bytes.
fn png_of(size: (u32, u32), rgb: &[u8]) -> Result<Vec<u8>> {
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

/// A drawing: learning curves ([`Figure`](crate::Figure)), a grid of digits or weight maps
/// ([`ImageGrid`](crate::ImageGrid)), the confusion matrix's heat map
/// ([`ConfusionFigure`](crate::ConfusionFigure)), a few digits' class scores
/// ([`Scores`](crate::Scores)), or one of your own. A drawing says how large it is and draws
/// itself with plotters; saving it for a report, its PNG bytes and showing it in the notebook
/// (at once, or in place while a cell runs) come with that.
///
/// ```no_run
/// use mnist_lab::plotters::{coord::Shift, prelude::*};
/// use mnist_lab::{Drawing, Result};
///
/// /// A red square on white.
/// struct Square;
///
/// impl Drawing for Square {
///     fn size(&self) -> (u32, u32) {
///         (100, 100)
///     }
///
///     fn draw(&self, root: &DrawingArea<SVGBackend<'_>, Shift>) -> Result<()> {
///         root.fill(&WHITE)?;
///         root.draw(&Rectangle::new([(20, 20), (80, 80)], RED.filled()))?;
///         Ok(())
///     }
/// }
///
/// Square.save("square.png")?; // for a report
/// Square.show(); // in the notebook
/// # Ok::<(), mnist_lab::Error>(())
/// ```
pub trait Drawing {
    /// Its size on screen, in pixels: (width, height).
    fn size(&self) -> (u32, u32);

    /// Draws it with plotters on `root`, an area of [`size`](Drawing::size) pixels.
    fn draw(&self, root: &DrawingArea<SVGBackend<'_>, Shift>) -> Result<()>;

    /// The drawing as an SVG document, its text written as the glyphs' outlines (IPAex Gothic,
    /// so that Japanese reads the same in any browser and in print).
    fn to_svg(&self) -> Result<String> {
        svg_of(self.size(), |root| self.draw(root))
    }

    /// The drawing as PNG bytes, at its size on screen.
    fn to_png(&self) -> Result<Vec<u8>> {
        let size = self.size();
        png_of(size, &rgb_of(size, |root| self.draw(root))?)
    }

    /// Writes the drawing to `path`, for a report: SVG for `.svg`; PNG for `.png`, at three
    /// times its size on screen (2880 × 1020 pixels for a figure of two panels), sharp in
    /// print.
    fn save(&self, path: impl AsRef<Path>) -> Result<()>
    where
        Self: Sized,
    {
        save_svg_or_png(path.as_ref(), || self.to_svg())
    }

    /// What the notebook shows: PNG (a picture of many small squares would be a heavy SVG).
    /// [`Figure`](crate::Figure) shows as SVG.
    fn content(&self) -> Result<Content> {
        self.to_png().map(Content::Png)
    }

    /// Shows the drawing in the notebook now, below what the cell printed so far; it replaces
    /// the cell's live area (see [`show_live`](Drawing::show_live)).
    fn show(&self) {
        show_drawn(self.content());
    }

    /// Shows the drawing in the cell's live area, in place of the previous one: call it after
    /// each epoch to watch the network learn while the cell trains, then
    /// [`show`](Drawing::show) the final one. Under stock evcxr the last one shows when the
    /// cell ends.
    fn show_live(&self) {
        match self.content() {
            Ok(content) => live::show(content),
            Err(e) => eprintln!("{e:?}"),
        }
    }

    /// What evcxr calls for a drawing that is a cell's last expression: [`show`](Drawing::show).
    fn evcxr_display(&self) {
        self.show();
    }
}

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for Error {
    /// What plotters could not draw.
    fn from(e: DrawingAreaErrorKind<E>) -> Error {
        Error::Io(format!("cannot draw the picture: {e}"))
    }
}

/// The GIF of an animation of `frames`, `delay_ms` milliseconds each, as large as the largest frame (each
/// drawn from the top left corner).
pub(crate) fn gif_of(frames: &[impl Drawing], delay_ms: u32) -> Result<Vec<u8>> {
    let size = frames
        .iter()
        .map(Drawing::size)
        .fold((1, 1), |(w, h), (fw, fh)| (w.max(fw), h.max(fh)));
    let rgb = frames
        .iter()
        .map(|f| rgb_of(size, |root| f.draw(root)))
        .collect::<Result<Vec<_>>>()?;
    gif_of_frames(size, rgb, delay_ms)
}
