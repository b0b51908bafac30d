//! The one path by which figures, animations and other rich output reach the notebook.
//!
//! Stock evcxr collects rich output (lines between `EVCXR_BEGIN_CONTENT` and
//! `EVCXR_END_CONTENT`) and sends it once, when the cell ends, one item per MIME type. The
//! project's kernel (evcxr_jupyter with `scripts/evcxr_jupyter.patch`) also turns a line
//! `EVCXR_JUPYTER_MESSAGE {json}` into a Jupyter message for the running cell at once:
//! `display_data` (shown now, in order with the printed text), `update_display_data` (replaces
//! what an earlier display with the same id shows) or `clear_output`; a display marked
//! `"live": true` (the cell's live area) is kept under the text printed after it, so a table
//! printed while a figure is redrawn stays together above the figure. Its kernelspec says so
//! with an environment variable; without it the crate falls back to evcxr's end-of-cell
//! display, and outside a kernel showing does nothing.
//!
//! ```no_run
//! use mnist_lab::display::{show, Content, DisplayHandle};
//! show(&Content::Html("<b>now</b>".into()));
//! let handle = DisplayHandle::new(&Content::Text("epoch 1".into()));
//! handle.update(&Content::Text("epoch 2".into()));
//! ```

pub(crate) mod live;

use crate::kernel::{Kernel, CONTENT_BEGIN, CONTENT_END, MESSAGE};
use base64::Engine;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

/// What the notebook can show.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    /// An SVG document (figures drawn with plotters).
    Svg(String),
    /// PNG bytes (pictures).
    Png(Vec<u8>),
    /// GIF bytes (animations), shown through an HTML `<img>`.
    Gif(Vec<u8>),
    /// An HTML fragment.
    Html(String),
    /// Plain text.
    Text(String),
}

impl Content {
    /// Nothing: shown, it takes no room (how a display is removed in place).
    pub fn empty() -> Content {
        Content::Text(String::new())
    }

    /// The MIME type and the text Jupyter carries for it.
    fn mime_data(&self) -> (&'static str, String) {
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        match self {
            Content::Svg(svg) => ("image/svg+xml", svg.clone()),
            Content::Png(png) => ("image/png", b64(png)),
            Content::Gif(gif) => (
                "text/html",
                format!("<img src=\"data:image/gif;base64,{}\"/>", b64(gif)),
            ),
            Content::Html(html) => ("text/html", html.clone()),
            Content::Text(text) => ("text/plain", text.clone()),
        }
    }
}

/// Shows `content` in the running cell: at once, between the lines printed before and after
/// (patched kernel); when the cell ends (stock evcxr); not at all outside a kernel. The cell's
/// live area (progress bar, live figure) is emptied first: what follows is the final output.
pub fn show(content: &Content) {
    live::close();
    send("display_data", content, None, false);
}

/// Shows what `draw` made (as [`show`] does), or, when drawing failed, its error under the
/// cell: the one way the crate's figures and pictures reach the notebook.
pub(crate) fn show_drawn(drawn: crate::error::Result<Content>) {
    match drawn {
        Ok(content) => show(&content),
        Err(e) => eprintln!("{e:?}"),
    }
}

/// A display that can be changed in place after it is shown, like IPython's
/// `display(..., display_id=True)`: every [`update`](DisplayHandle::update) replaces what it
/// shows, wherever it is. Under stock evcxr the last content shows when the cell ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayHandle {
    id: String,
    live: bool,
}

impl DisplayHandle {
    /// Shows `content` (as [`show`] does) and returns the handle that updates it.
    pub fn new(content: &Content) -> DisplayHandle {
        DisplayHandle::shown(content, false)
    }

    /// Shows the cell's live area: the patched kernel keeps it under what the cell prints and
    /// shows after it.
    pub(crate) fn live(content: &Content) -> DisplayHandle {
        DisplayHandle::shown(content, true)
    }

    fn shown(content: &Content, live: bool) -> DisplayHandle {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let handle = DisplayHandle {
            live,
            id: format!(
                "mnist-lab-{}-{:x}-{}",
                std::process::id(),
                // The address tells apart the copies of this crate in different cells.
                &NEXT as *const AtomicU64 as usize,
                NEXT.fetch_add(1, Ordering::Relaxed)
            ),
        };
        send("display_data", content, Some(&handle.id), live);
        handle
    }

    /// Replaces what this display shows by `content`.
    pub fn update(&self, content: &Content) {
        send("update_display_data", content, Some(&self.id), self.live);
    }
}

/// Prints the line that shows `content` under the current kernel.
fn send(msg_type: &str, content: &Content, display_id: Option<&str>, live: bool) {
    let (mime, data) = content.mime_data();
    match Kernel::current() {
        Kernel::Patched => println!(
            "{MESSAGE} {}",
            message(msg_type, mime, &data, display_id, live)
        ),
        Kernel::Stock => println!("{CONTENT_BEGIN} {mime}\n{data}\n{CONTENT_END}"),
        Kernel::None => {}
    }
}

/// The JSON of a `display_data` or `update_display_data` request for the patched kernel; a
/// `live` one (the live area's) says so.
fn message(msg_type: &str, mime: &str, data: &str, display_id: Option<&str>, live: bool) -> String {
    let transient = match display_id {
        Some(id) => format!("{{\"display_id\": {}}}", json_string(id)),
        None => "{}".into(),
    };
    format!(
        "{{\"msg_type\": {}, \"content\": {{\"data\": {{{}: {}}}, \"metadata\": {{}}, \"transient\": {transient}}}{}}}",
        json_string(msg_type),
        json_string(mime),
        json_string(data),
        if live { ", \"live\": true" } else { "" }
    )
}

/// `s` as a JSON string literal, on one line.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_escape_what_json_requires() {
        assert_eq!(
            json_string("a\"b\\c\nd\te\u{1}é"),
            r#""a\"b\\c\nd\te\u0001é""#
        );
    }

    #[test]
    fn messages_carry_the_data_and_the_display_id() {
        assert_eq!(
            message("update_display_data", "text/plain", "x", Some("id1"), false),
            r#"{"msg_type": "update_display_data", "content": {"data": {"text/plain": "x"}, "metadata": {}, "transient": {"display_id": "id1"}}}"#
        );
        assert!(message("display_data", "text/html", "<b>", None, false)
            .ends_with(r#""transient": {}}}"#));
        assert!(message("display_data", "text/html", "<b>", Some("a"), true)
            .ends_with(r#"}}, "live": true}"#));
    }

    #[test]
    fn gifs_show_through_html_and_pngs_as_base64() {
        assert_eq!(
            Content::Png(vec![1, 2, 3]).mime_data(),
            ("image/png", "AQID".into())
        );
        let (mime, html) = Content::Gif(vec![1, 2, 3]).mime_data();
        assert_eq!(
            (mime, html.as_str()),
            ("text/html", "<img src=\"data:image/gif;base64,AQID\"/>")
        );
    }
}
