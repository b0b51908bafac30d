//! Figures: panels of curves side by side, shown inline by evcxr (SVG) or saved as SVG/PNG.

use crate::display::Content;
use crate::draw::{span, Drawing};
use crate::error::{Error, Result};
use crate::fonts::register_fonts;
use crate::history::{Epoch, History};
use panel::draw_panel;
use plotters::coord::Shift;
use plotters::prelude::*;

mod panel;

/// Series with more points than this are drawn without a dot at each point.
const MAX_DOTS: usize = 60;

/// How a [`Series`] is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Points joined by a line, with a dot at each point (none when there are many).
    Line,
    /// A dot at each point and no line: a scatter plot.
    Dots,
}

/// One named curve: `(x, y)` points joined by a line (with a dot at each point), or dots alone.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// The legend entry.
    pub label: String,
    /// The points, in drawing order.
    pub points: Vec<(f64, f64)>,
    /// Line or dots.
    pub style: Style,
    /// A name written beside each point, in the order of `points` (empty: none), e.g. the
    /// network each point measured (see [`Series::named`]).
    pub names: Vec<String>,
}

impl Series {
    /// `points` joined by a line, e.g. `Series::line("loss", losses.clone())`.
    pub fn line(label: &str, points: Vec<(f64, f64)>) -> Series {
        Series {
            label: label.to_string(),
            points,
            style: Style::Line,
            names: Vec::new(),
        }
    }

    /// `points` as dots without a line (a scatter plot), e.g. predicted against actual values.
    pub fn dots(label: &str, points: Vec<(f64, f64)>) -> Series {
        Series {
            style: Style::Dots,
            ..Series::line(label, points)
        }
    }

    /// The same curve with `names` written beside its points, one per point, e.g. the
    /// networks of a comparison: `Series::line("MLP", points).named(networks)`.
    pub fn named(self, names: Vec<String>) -> Series {
        Series { names, ..self }
    }

    /// One column of an epoch log against the epoch number, e.g. the test accuracy:
    /// `Series::from_history("Adam", &history, |e| e.test.accuracy)`.
    pub fn from_history(label: &str, history: &History, value: impl Fn(&Epoch) -> f64) -> Series {
        let points = history.epochs.iter();
        Series::line(label, points.map(|e| (e.epoch as f64, value(e))).collect())
    }

    /// The curve of `f` over the points `xs`, e.g. `Series::from_fn("ReLU", &xs, |x| x.max(0.0))`.
    pub fn from_fn(label: &str, xs: &[f64], f: impl Fn(f64) -> f64) -> Series {
        Series::line(label, xs.iter().map(|&x| (x, f(x))).collect())
    }
}

/// One set of axes: a title, the y-range, an optional grey reference line and the curves.
#[derive(Debug, Clone, PartialEq)]
pub struct Panel {
    /// Shown above the axes.
    pub title: String,
    /// Label of the x axis: the quantity and its unit, e.g. `"time per epoch, in seconds"`.
    pub x_label: String,
    /// Label of the y axis, the same way, e.g. `"accuracy (fraction correct)"`.
    pub y_label: String,
    /// The visible y-range `(low, high)`.
    pub ylim: (f64, f64),
    /// A grey horizontal line at this height (the course marks loss 0 and accuracy 1).
    pub hline: Option<f64>,
    /// The curves, coloured in order.
    pub series: Vec<Series>,
}

/// Panels side by side, a [`Drawing`]: [`show`](Drawing::show) shows it in the notebook (so
/// does ending a cell with it), [`show_live`](Drawing::show_live) redraws it in place while a
/// cell trains, [`save`](Drawing::save) writes SVG or PNG.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// The panels, left to right.
    pub panels: Vec<Panel>,
    /// Width in pixels (the whole figure).
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// The course's two-panel learning-curve figure for an epoch log: loss (train vs test) on the
/// left, accuracy on the right, titled with the `network` (e.g. `net.name()`, for any model).
/// `loss_ylim` and `rate_ylim` are the y-ranges; the course uses `(-0.05, 1.0)` and
/// `(0.8, 1.025)` for minimnist.
///
/// ```no_run
/// # use mnist_lab::*;
/// # let history = History::new();
/// # let net = Mlp::new(&[784, 1000, 1000, 10], Device::Cpu)?;
/// let fig = learning_curves(&history, &net.name(), (-0.05, 1.0), (0.8, 1.025))?;
/// fig.save("curves.svg")?;
/// # Ok::<(), Error>(())
/// ```
pub fn learning_curves(
    history: &History,
    network: &str,
    loss_ylim: (f64, f64),
    rate_ylim: (f64, f64),
) -> Result<Figure> {
    if history.is_empty() {
        return Err(Error::InvalidArgument(
            "the epoch log is empty, so there is nothing to plot; train for at least one epoch (nepoch >= 1)".into(),
        ));
    }
    let curve = |label: &str, value: fn(&Epoch) -> f64| Series::from_history(label, history, value);
    Figure::new(vec![
        Panel {
            title: match history.diverged_at() {
                Some(t) => format!("loss (network = {network}), diverged at epoch {t}"),
                None => format!("loss (network = {network})"),
            },
            x_label: "epoch".into(),
            y_label: "cross-entropy per digit".into(),
            ylim: loss_ylim,
            hline: Some(0.0),
            series: vec![
                curve("loss for training data", |e| e.train.loss),
                curve("loss for test data", |e| e.test.loss),
            ],
        },
        Panel {
            title: format!("accuracy (network = {network})"),
            x_label: "epoch".into(),
            y_label: "accuracy (fraction correct)".into(),
            ylim: rate_ylim,
            hline: Some(1.0),
            series: vec![
                curve("accuracy for training data", |e| e.train.accuracy),
                curve("accuracy for test data", |e| e.test.accuracy),
            ],
        },
    ])
}

impl Figure {
    /// A figure of `panels`, 480 × 340 pixels per panel (two panels fit JupyterLab's notebook
    /// column beside the file browser on a 1400-pixel-wide screen, without scrolling).
    pub fn new(panels: Vec<Panel>) -> Result<Figure> {
        let width = span(panels.len().max(1), 480, 0);
        let figure = Figure {
            panels,
            width,
            height: 340,
        };
        figure.check()?;
        Ok(figure)
    }

    /// Whether the figure can be drawn: finite y-ranges, low end below high end, and finite x
    /// values (an infinite range would have endless ticks). Checked again before drawing, since
    /// the fields are public.
    fn check(&self) -> Result<()> {
        for p in &self.panels {
            let (low, high) = p.ylim;
            if !(low.is_finite() && high.is_finite() && low < high) {
                return Err(Error::InvalidArgument(format!(
                    "the y-range of panel '{}' is {:?}; give two finite numbers, the low end below the high end",
                    p.title, p.ylim
                )));
            }
            for s in &p.series {
                if let Some(&(x, _)) = s.points.iter().find(|p| !p.0.is_finite()) {
                    return Err(Error::InvalidArgument(format!(
                        "the curve '{}' of panel '{}' has a point at x = {x}; every x must be a finite number",
                        s.label, p.title
                    )));
                }
            }
        }
        Ok(())
    }
}

impl Drawing for Figure {
    fn size(&self) -> (u32, u32) {
        (self.width, self.height)
    }

    fn draw(&self, root: &DrawingArea<SVGBackend<'_>, Shift>) -> Result<()> {
        self.check()?;
        register_fonts();
        root.fill(&WHITE)?;
        let areas = root.split_evenly((1, self.panels.len().max(1)));
        for (panel, area) in self.panels.iter().zip(&areas) {
            draw_panel(panel, area)?;
        }
        root.present()?;
        Ok(())
    }

    /// SVG: curves and text stay sharp at any zoom, and the document is small.
    fn content(&self) -> Result<Content> {
        self.to_svg().map(Content::Svg)
    }
}
