//! The fonts of the figures and pictures, and text in any script.
//!
//! Text is drawn with DejaVu Sans (compiled in), whose glyphs cover Latin, Greek, Cyrillic and
//! many symbols. Text with a character DejaVu lacks (Japanese titles, 「実験1：損失」) is drawn
//! with IPAex Gothic instead, read from the crate's `assets/` the first time it is needed
//! (6 MB). In a picture shown inline (PNG), plotters draws that font's glyphs. In an SVG, text
//! is a `<text>` element that the viewer's browser draws with *its* fonts, and a machine
//! without a Japanese font shows boxes; so such text is written as the glyphs' outlines instead
//! (a `<path>`, with the text in its `<title>`), which looks the same everywhere. Text DejaVu
//! covers stays `<text>`. A PNG saved for a report is drawn from an SVG whose text is all
//! outlines (see `draw`), so it needs no font of the machine.

use ab_glyph::{Font, FontRef, OutlineCurve, PxScale, ScaleFont};
use plotters::style::{register_font, FontStyle};
use std::fmt::Write as _;
use std::sync::{Once, OnceLock};

/// The family of text DejaVu Sans covers.
pub(crate) const SANS: &str = "sans-serif";
/// The family of other text (IPAex Gothic).
const WIDE: &str = "mnist-lab-cjk";

static DEJAVU: &[u8] = include_bytes!("../assets/DejaVuSans.ttf");
/// Where IPAex Gothic is: in this crate's folder, which every notebook's `:dep` compiles from.
const WIDE_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/assets/IPAexGothic.ttf");

/// plotters draws text with the fonts we ship, so figures look the same everywhere.
pub(crate) fn register_fonts() {
    static FONT: Once = Once::new();
    FONT.call_once(|| {
        // The font is compiled in and known to be valid, so registration cannot fail.
        let _ = register_font(SANS, FontStyle::Normal, DEJAVU);
    });
}

/// DejaVu Sans, parsed once.
fn dejavu() -> &'static FontRef<'static> {
    static FONT: OnceLock<FontRef<'static>> = OnceLock::new();
    FONT.get_or_init(|| {
        FontRef::try_from_slice(DEJAVU).expect("the compiled-in DejaVu Sans is a valid font")
    })
}

/// IPAex Gothic, read, parsed and registered with plotters on first use; None (after one line
/// that says why and what to do) if its file cannot be read.
fn wide() -> Option<&'static FontRef<'static>> {
    static FONT: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    let read = || {
        let bytes: &'static [u8] = Vec::leak(std::fs::read(WIDE_PATH).map_err(|e| e.to_string())?);
        let font = FontRef::try_from_slice(bytes).map_err(|_| "not a valid font".to_string())?;
        let _ = register_font(WIDE, FontStyle::Normal, bytes);
        Ok::<_, String>(font)
    };
    FONT.get_or_init(|| {
        read()
            .map_err(|why| {
                println!(
                    "mnist_lab: cannot read the font for text DejaVu Sans lacks, {WIDE_PATH} ({why}); \
                     such text shows as boxes. Restore the crate's assets/ folder (git checkout crate/assets)."
                )
            })
            .ok()
    })
    .as_ref()
}

/// The font family to draw `text` with: DejaVu Sans if it has every character, else IPAex
/// Gothic (registered with plotters by this call).
pub(crate) fn family(text: &str) -> &'static str {
    register_fonts();
    let latin = dejavu();
    let covered = text
        .chars()
        .all(|c| c.is_control() || latin.glyph_id(c).0 != 0);
    if covered || wide().is_none() {
        SANS
    } else {
        WIDE
    }
}

/// Which `<text>` elements [`outline_text`] replaces by their glyphs' outlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Texts {
    /// Those drawn in IPAex Gothic: an SVG that looks the same in any browser.
    Wide,
    /// All of them: an SVG that needs no font at all, as the PNG renderer reads it.
    All,
}

/// `svg` with the `<text>` elements `which` names replaced by the outlines of their glyphs
/// (see the module's documentation). plotters writes a text element as
/// `<text x=".." y=".." dy=".." text-anchor=".." font-family=".." font-size=".." opacity=".."
/// fill=".." [font-weight=".."] [transform=".."]>\nTEXT\n</text>\n`.
pub(crate) fn outline_text(svg: String, which: Texts) -> String {
    if which == Texts::Wide && !svg.contains(&format!("font-family=\"{WIDE}\"")) {
        return svg;
    }
    let mut out = String::with_capacity(svg.len());
    let mut rest = svg.as_str();
    while let Some(start) = rest.find("<text ") {
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let replaced = rest.find("</text>\n").and_then(|end| {
            let element = &rest[..end];
            let (head, body) = element.split_once(">\n")?;
            let head = head.strip_prefix("<text ")?;
            let path = outline(
                which,
                &attributes(head),
                &unescape(body.trim_end_matches('\n')),
            )?;
            Some((path, end + "</text>\n".len()))
        });
        match replaced {
            Some((path, used)) => {
                out.push_str(&path);
                rest = &rest[used..];
            }
            None => {
                out.push_str("<text ");
                rest = &rest["<text ".len()..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// The `name="value"` pairs of an opening tag's attributes.
fn attributes(head: &str) -> Vec<(&str, &str)> {
    head.split('"')
        .collect::<Vec<_>>()
        .chunks(2)
        .filter_map(|pair| match pair {
            [name, value] => Some((name.trim().trim_end_matches('=').trim(), *value)),
            _ => None,
        })
        .collect()
}

/// Text as plotters' SVG backend escapes it, unescaped.
fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// The `<path>` that draws `text` where the text element with `attrs` would be, or None if
/// `which` leaves the element as text (or its font cannot be read).
fn outline(which: Texts, attrs: &[(&str, &str)], text: &str) -> Option<String> {
    let get = |name: &str| attrs.iter().find(|(n, _)| *n == name).map(|(_, v)| *v);
    // The element's font, and DejaVu Sans for the characters IPAex Gothic lacks (text in
    // DejaVu Sans has none it lacks: `family` chose it so).
    let (font, other) = match get("font-family")? {
        WIDE => (wide()?, Some(dejavu())),
        _ if which == Texts::All => (dejavu(), None),
        _ => return None,
    };
    let number = |name: &str| get(name).and_then(|v| v.parse::<f32>().ok());
    let (x, y) = (number("x")?, number("y")?);
    // plotters writes font-size as its pixel size / 1.24 and draws PNG glyphs at the pixel size.
    let scale = PxScale::from(number("font-size")? * 1.24);
    let scaled = font.as_scaled(scale);
    // Each character with its font: the element's, or the other for the few it lacks.
    let glyphs: Vec<(&FontRef<'static>, ab_glyph::GlyphId)> = text
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| match (font.glyph_id(c), other) {
            (id, _) if id.0 != 0 => (font, id),
            (id, None) => (font, id),
            (_, Some(other)) => (other, other.glyph_id(c)),
        })
        .collect();
    let width: f32 = glyphs
        .iter()
        .map(|&(f, id)| f.as_scaled(scale).h_advance(id))
        .sum();
    let mut pen = match get("text-anchor") {
        Some("middle") => x - width / 2.0,
        Some("end") => x - width,
        _ => x,
    };
    let baseline = match get("dy") {
        Some("0.76em") => y + scaled.ascent(),
        Some("0.5ex") => y + (scaled.ascent() + scaled.descent()) / 2.0,
        _ => y + scaled.descent(),
    };
    let mut d = String::new();
    for (f, id) in glyphs {
        let glyph = f.as_scaled(scale);
        let (outline, factor, advance) = (f.outline(id), glyph.scale_factor(), glyph.h_advance(id));
        if let Some(outline) = outline.filter(|o| !o.curves.is_empty()) {
            let at = |p: ab_glyph::Point| {
                (
                    pen + p.x * factor.horizontal,
                    baseline - p.y * factor.vertical,
                )
            };
            let mut last = None;
            for curve in &outline.curves {
                let (start, command, points) = match *curve {
                    OutlineCurve::Line(a, b) => (a, 'L', vec![b]),
                    OutlineCurve::Quad(a, b, c) => (a, 'Q', vec![b, c]),
                    OutlineCurve::Cubic(a, b, c, e) => (a, 'C', vec![b, c, e]),
                };
                let start = at(start);
                if last != Some(start) {
                    let _ = write!(d, "M{:.2} {:.2}", start.0, start.1);
                }
                d.push(command);
                for p in points {
                    let (px, py) = at(p);
                    let _ = write!(d, "{px:.2} {py:.2} ");
                    last = Some((px, py));
                }
            }
            d.push('Z');
        }
        pen += advance;
    }
    let mut path = format!(
        "<path d=\"{d}\" fill=\"{}\" opacity=\"{}\"",
        get("fill").unwrap_or("#000000"),
        get("opacity").unwrap_or("1")
    );
    if let Some(transform) = get("transform") {
        let _ = write!(path, " transform=\"{transform}\"");
    }
    let mut title = String::new();
    for c in text.chars() {
        match c {
            '<' => title.push_str("&lt;"),
            '>' => title.push_str("&gt;"),
            '&' => title.push_str("&amp;"),
            c => title.push(c),
        }
    }
    let _ = writeln!(path, "><title>{title}</title></path>");
    Some(path)
}
