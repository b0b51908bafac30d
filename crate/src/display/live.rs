//! The cell's live area: a progress bar for the epoch that trains and the latest drawing given
//! to [`Drawing::show_live`](crate::Drawing::show_live) (learning curves, a training
//! animation's frame), redrawn in place while the cell runs.
//!
//! It needs the project's kernel (see [`display`](super)); under stock evcxr
//! `show_live` falls back to showing the drawing when the cell ends and there is no progress
//! bar. The area appears where the cell is when it is first needed, and the kernel keeps it
//! under what the cell prints after that (a table printed epoch by epoch stays together above
//! it); [`show`](super::show) empties it for good, so a cell ends with its final figure once
//! and no leftover progress bar (which is also what an HTML export keeps).
//!
//! evcxr links a fresh copy of this crate into every cell, so each cell has its own area.

use super::{Content, DisplayHandle};
use crate::kernel::Kernel;
use crate::numbers::thousands;
use base64::Engine;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The cell's area, once shown.
static AREA: Mutex<Option<Area>> = Mutex::new(None);

struct Area {
    handle: DisplayHandle,
    progress: String,
    figure: Option<String>,
}

/// What the area shows: the progress line, then the figure.
fn content(progress: &str, figure: Option<&str>) -> Content {
    match figure {
        None if progress.is_empty() => Content::empty(),
        // The progress line keeps its height when empty, so the figure does not jump.
        figure => Content::Html(format!(
            "<div style=\"font-family: monospace; white-space: pre; height: 1.6em\">{progress}</div>{}",
            figure.unwrap_or("")
        )),
    }
}

/// Changes the area (showing it first if needed) and redraws it. Patched kernel only.
fn change(edit: impl FnOnce(&mut String, &mut Option<String>)) {
    if Kernel::current() != Kernel::Patched {
        return;
    }
    let mut area = AREA.lock().unwrap_or_else(|e| e.into_inner());
    match area.as_mut() {
        Some(a) => {
            edit(&mut a.progress, &mut a.figure);
            a.handle.update(&content(&a.progress, a.figure.as_deref()));
        }
        None => {
            let (mut progress, mut figure) = (String::new(), None);
            edit(&mut progress, &mut figure);
            let handle = DisplayHandle::live(&content(&progress, figure.as_deref()));
            *area = Some(Area {
                handle,
                progress,
                figure,
            });
        }
    }
}

/// Shows a drawing's `content` (SVG or PNG) in the area, in place of the previous one (stock
/// evcxr: when the cell ends).
pub(crate) fn show(content: Content) {
    match Kernel::current() {
        Kernel::Patched => {
            let html = match content {
                Content::Svg(svg) => svg,
                Content::Png(png) => {
                    let b64 = base64::engine::general_purpose::STANDARD.encode(&png);
                    format!("<img src=\"data:image/png;base64,{b64}\"/>")
                }
                other => other.mime_data().1,
            };
            change(|_, figure| *figure = Some(html))
        }
        Kernel::Stock => super::show(&content),
        Kernel::None => {}
    }
}

/// Empties the area for good: a later one starts below what the cell shows next.
pub(crate) fn close() {
    let mut area = AREA.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(a) = area.take() {
        a.handle.update(&Content::empty());
    }
}

/// The progress bar of one pass over a data loader's batches.
pub(crate) struct Progress {
    total: usize,
    start: Instant,
    last: Option<Instant>,
    gradient: bool,
}

impl Progress {
    /// Shown no earlier than this after the pass starts, so that short passes show nothing.
    const FIRST: Duration = Duration::from_millis(300);
    /// At most one redraw per this interval.
    const EVERY: Duration = Duration::from_millis(250);

    /// A pass over `total` batches starts.
    pub(crate) fn new(total: usize) -> Progress {
        Progress {
            total,
            start: Instant::now(),
            last: None,
            gradient: false,
        }
    }

    /// A numerical gradient of `total` parameter elements starts.
    pub(crate) fn gradient(total: usize) -> Progress {
        Progress {
            gradient: true,
            ..Progress::new(total)
        }
    }

    /// `done` batches, `samples` samples are done.
    pub(crate) fn update(&mut self, done: usize, samples: usize) {
        let now = Instant::now();
        let elapsed = now - self.start;
        let due = match self.last {
            None => elapsed >= Self::FIRST,
            Some(last) => now - last >= Self::EVERY,
        };
        if !due || done == 0 {
            return;
        }
        self.last = Some(now);
        let secs = elapsed.as_secs_f64();
        let left = secs / done as f64 * (self.total - done.min(self.total)) as f64;
        let what = if self.gradient {
            format!(
                "{done}/{} parameter elements · {left:.1} s left for this gradient",
                self.total
            )
        } else {
            format!(
                "{done}/{} batches · {} samples/s · {left:.1} s left in this epoch",
                self.total,
                thousands((samples as f64 / secs).round() as i64)
            )
        };
        let text = format!(
            "<progress value=\"{done}\" max=\"{}\" style=\"width: 14em; vertical-align: middle\"></progress> {what}",
            self.total
        );
        change(|progress, _| *progress = text);
    }

    /// The pass is over: its bar goes (the area keeps its figure).
    pub(crate) fn finish(self) {
        if self.last.is_some() {
            change(|progress, _| progress.clear());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_area_without_figure_or_progress_is_empty() {
        assert_eq!(content("", None), Content::empty());
        let Content::Html(html) = content("", Some("<svg/>")) else {
            panic!("a figure shows as HTML")
        };
        assert!(html.ends_with("</div><svg/>"), "{html}");
    }
}
