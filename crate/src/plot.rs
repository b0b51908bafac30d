//! Figures: panels of curves side by side, shown inline by evcxr (SVG) or saved as SVG/PNG.

use crate::display::{show_drawn, Content};
use crate::draw::{save_svg_or_png, span, svg_of};
use crate::error::{Error, Result};
use crate::fonts::{family, register_fonts};
use crate::history::{Epoch, History};
use crate::legend;
use crate::off_scale::OffScale;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// Series with more points than this are drawn without a dot at each point.
const MAX_DOTS: usize = 60;

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

/// Panels side by side. [`Figure::show`] shows it in the notebook (so does ending a cell with
/// it), [`Figure::show_live`] redraws it in place while a cell trains; [`Figure::save`] writes
/// SVG or PNG.
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

/// The font family of a panel's legend, which holds every series' label (as shown).
fn legend_family(labels: &[String]) -> &'static str {
    family(&labels.concat())
}

/// A y tick's text as plotters writes it, without the sign of a zero ("-0.0" is "0.0").
fn y_label(v: &f64) -> String {
    let text = <RangedCoordf64 as ValueFormatter<f64>>::format(v);
    match text.strip_prefix('-') {
        Some(rest) if rest.trim_start_matches(['0', '.']).is_empty() => rest.to_string(),
        _ => text,
    }
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

    /// The figure as an SVG document.
    pub fn to_svg(&self) -> Result<String> {
        self.check()?;
        svg_of((self.width, self.height), |root| {
            self.draw(root).map_err(|e| e.to_string())
        })
        .map_err(|e| Error::Io(format!("drawing the figure failed: {e}")))
    }

    /// Writes the figure to `path`, for a report: SVG for `.svg`; PNG for `.png`, at three
    /// times its size on screen (2880 × 1020 pixels for two panels), sharp in print.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        save_svg_or_png(path.as_ref(), || self.to_svg())
    }

    /// Shows the figure in the notebook now (as SVG), below what the cell printed so far; it
    /// replaces the cell's live figure and progress bar (see [`Figure::show_live`]).
    pub fn show(&self) {
        show_drawn(self.to_svg().map(Content::Svg));
    }

    /// Shows the figure in the cell's live area, redrawn in place at each call: call it after
    /// each epoch to watch the curves grow while the cell trains, then [`show`](Figure::show)
    /// the final figure. Under stock evcxr the last figure shows when the cell ends.
    pub fn show_live(&self) {
        match self.to_svg() {
            Ok(svg) => crate::display::live::figure(svg),
            Err(e) => eprintln!("{e:?}"),
        }
    }

    /// What evcxr calls for a figure that is a cell's last expression: [`Figure::show`].
    pub fn evcxr_display(&self) {
        self.show();
    }

    fn draw<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
    ) -> Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
        register_fonts();
        root.fill(&WHITE)?;
        let areas = root.split_evenly((1, self.panels.len().max(1)));
        for (panel, area) in self.panels.iter().zip(&areas) {
            let xs = panel
                .series
                .iter()
                .flat_map(|s| s.points.iter().map(|p| p.0));
            let (x0, x1) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
                (lo.min(x), hi.max(x))
            });
            let (x0, x1) = if x0.is_finite() { (x0, x1) } else { (0.0, 1.0) };
            // Whole numbers on the x axis (epochs) get whole-number ticks: at most one per unit.
            let whole_x = panel
                .series
                .iter()
                .flat_map(|s| &s.points)
                .all(|p| p.0.fract() == 0.0);
            // 5% of room on each side; half an epoch at least, so that the first and last dots
            // stay clear of the axes.
            let pad = (x1 - x0) * 0.05;
            let pad = if whole_x || pad == 0.0 {
                pad.max(0.5)
            } else {
                pad
            };
            let (xr, (y0, y1)) = ((x0 - pad)..(x1 + pad), panel.ylim);
            // (At most 10: computed in f64, so that a range of 1e20 epochs cannot overflow.)
            let x_ticks = if whole_x {
                (x1 - x0).min(9.0) as usize + 1
            } else {
                10
            };
            let whole_label = |x: &f64| {
                if x.fract() == 0.0 {
                    format!("{x:.0}")
                } else {
                    String::new()
                }
            };
            let mut chart = ChartBuilder::on(area)
                .caption(&panel.title, (family(&panel.title), 17))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(70)
                .build_cartesian_2d(xr.clone(), y0..y1)?;
            let mut mesh = chart.configure_mesh();
            mesh.light_line_style(WHITE)
                .bold_line_style(RGBColor(0xe5, 0xe5, 0xe5))
                .x_desc(&panel.x_label)
                .y_desc(&panel.y_label)
                .y_label_formatter(&y_label)
                .x_labels(x_ticks)
                .label_style(("sans-serif", 13))
                .axis_desc_style((family(&(panel.x_label.clone() + &panel.y_label)), 13));
            if whole_x {
                mesh.x_label_formatter(&whole_label);
            }
            mesh.draw()?;
            // What is drawn, for the legend to avoid: the reference line, the visible parts of
            // the curves and the arrowheads that mark points off the scale.
            let mut drawn: Vec<Vec<(f64, f64)>> = Vec::new();
            if let Some(h) = panel.hline {
                drawn.push(vec![(xr.start, h), (xr.end, h)]);
                chart.draw_series(LineSeries::new(
                    [(xr.start, h), (xr.end, h)],
                    RGBColor(0x80, 0x80, 0x80).stroke_width(1),
                ))?;
            }
            let mut labels = Vec::new();
            for (i, s) in panel.series.iter().enumerate() {
                let color = PALETTE[i % PALETTE.len()];
                let inside = |p: &&(f64, f64)| (y0..=y1).contains(&p.1);
                // A point off the fixed y-range is named in the legend and marked at the edge.
                let off = OffScale::of(&s.points, (y0, y1));
                let label = off.label(&s.label);
                // (Side by side where several curves leave the range at the same x.)
                let dx = 10 * i as i32 - 5 * (panel.series.len() as i32 - 1);
                for (xs, y, tip) in [(&off.above, y1, 1), (&off.below, y0, -1)] {
                    chart.draw_series(xs.iter().map(|&x| {
                        let head = vec![(dx, 0), (dx - 5, 8 * tip), (dx + 5, 8 * tip)];
                        EmptyElement::at((x, y)) + Polygon::new(head, color.filled())
                    }))?;
                    drawn.extend(xs.iter().map(|&x| vec![(x, y)]));
                }
                labels.push(label.clone());
                // Each point's name, if any, just above it: to its right, or to its left in the
                // right third of the panel, so that it stays inside.
                let named: Vec<(&String, (f64, f64))> = s
                    .names
                    .iter()
                    .zip(s.points.iter().copied())
                    .filter(|(_, p)| (y0..=y1).contains(&p.1))
                    .collect();
                chart.draw_series(named.iter().map(|(name, p)| {
                    let left = (p.0 - xr.start) / (xr.end - xr.start) > 2.0 / 3.0;
                    let (dx, h) = if left {
                        (-6, HPos::Right)
                    } else {
                        (6, HPos::Left)
                    };
                    let font = (family(name), 11).into_font().color(&color);
                    EmptyElement::at(*p)
                        + Text::new(
                            name.to_string(),
                            (dx, -6),
                            font.pos(Pos::new(h, VPos::Bottom)),
                        )
                }))?;
                drawn.extend(named.iter().map(|(_, p)| vec![*p]));
                if s.style == Style::Dots {
                    drawn.extend(s.points.iter().filter(inside).map(|&p| vec![p]));
                    chart
                        .draw_series(
                            s.points
                                .iter()
                                .filter(inside)
                                .map(|&p| Circle::new(p, 3, color.mix(0.7).filled())),
                        )?
                        .label(label)
                        .legend(move |(x, y)| Circle::new((x + 10, y), 3, color.filled()));
                    continue;
                }
                // As matplotlib with set_ylim: the line leaves the panel at its border, and only
                // the points inside the range get a dot.
                let runs = visible_runs(&s.points, (y0, y1));
                drawn.extend(runs.iter().cloned());
                chart
                    .draw_series(
                        runs.into_iter()
                            .map(|run| PathElement::new(run, color.stroke_width(2))),
                    )?
                    .label(label)
                    .legend(move |(x, y)| {
                        PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2))
                    });
                // A dot marks each measurement (an epoch); a dense curve (a function drawn
                // through many points) is a line alone.
                let dots = if s.points.len() <= MAX_DOTS {
                    &s.points[..]
                } else {
                    &[]
                };
                chart.draw_series(
                    dots.iter()
                        .filter(inside)
                        .map(|&p| Circle::new(p, 3, color.filled())),
                )?;
            }
            // About 6 pixels a character at size 13, after a 20-pixel sample line; one row of
            // 20 pixels per curve.
            let widest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
            let size = (6.0 * widest as f64 + 40.0, 20.0 * labels.len() as f64 + 6.0);
            let (w, h) = chart.plotting_area().dim_in_pixel();
            let curves: Vec<&[(f64, f64)]> = drawn.iter().map(Vec::as_slice).collect();
            let position = legend::corner(
                &curves,
                ((xr.start, xr.end), (y0, y1)),
                size,
                (w as f64, h as f64),
            );
            chart
                .configure_series_labels()
                .label_font((legend_family(&labels), 13))
                .background_style(WHITE.mix(0.85))
                .border_style(RGBColor(0xcc, 0xcc, 0xcc))
                .position(position)
                .draw()?;
        }
        root.present()
    }
}

/// The parts of the polyline through `points` that lie within `ylim`: each segment is cut
/// where it crosses the range's low or high edge, and a run ends where the line leaves the
/// range (points that are not finite end a run too).
fn visible_runs(points: &[(f64, f64)], (y0, y1): (f64, f64)) -> Vec<Vec<(f64, f64)>> {
    /// Ends the run being drawn (if any) and keeps it.
    fn close(runs: &mut Vec<Vec<(f64, f64)>>, run: &mut Vec<(f64, f64)>) {
        if !run.is_empty() {
            runs.push(std::mem::take(run));
        }
    }
    let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut run: Vec<(f64, f64)> = Vec::new();
    let inside = |y: f64| (y0..=y1).contains(&y);
    if let [(x, y)] = points {
        if inside(*y) {
            runs.push(vec![(*x, *y)]);
        }
    }
    for pair in points.windows(2) {
        let ((xa, ya), (xb, yb)) = (pair[0], pair[1]);
        if !(ya.is_finite() && yb.is_finite()) {
            close(&mut runs, &mut run);
            continue;
        }
        // The part of the segment with y in [y0, y1], as fractions t of the way from a to b.
        let (mut t0, mut t1) = (0.0f64, 1.0f64);
        let dy = yb - ya;
        for edge in [y0, y1] {
            if dy != 0.0 {
                let t = (edge - ya) / dy;
                // Entering or leaving through this edge, depending on the direction.
                let entering = (edge == y0) == (dy > 0.0);
                if entering {
                    t0 = t0.max(t);
                } else {
                    t1 = t1.min(t);
                }
            }
        }
        let flat_outside = dy == 0.0 && !inside(ya);
        if flat_outside || t0 > t1 {
            close(&mut runs, &mut run);
            continue;
        }
        let at = |t: f64| (xa + t * (xb - xa), (ya + t * dy).clamp(y0, y1));
        let (start, end) = (at(t0), at(t1));
        if run.last() != Some(&start) {
            close(&mut runs, &mut run);
            run.push(start);
        }
        run.push(end);
        if t1 < 1.0 {
            close(&mut runs, &mut run);
        }
    }
    close(&mut runs, &mut run);
    runs
}

#[cfg(test)]
mod tests {
    use super::visible_runs;

    #[test]
    fn lines_outside_the_range_are_cut_at_its_edges() {
        // Epoch 1 above the top (loss 1.575 with ylim up to 1.0), then inside.
        let runs = visible_runs(&[(1.0, 1.575), (2.0, 0.575), (3.0, 0.4)], (-0.05, 1.0));
        assert_eq!(runs, vec![vec![(1.575, 1.0), (2.0, 0.575), (3.0, 0.4)]]);
        // In, out through the bottom, back in: two runs.
        let runs = visible_runs(&[(1.0, 0.9), (2.0, 0.7), (3.0, 0.9)], (0.8, 1.0));
        assert_eq!(runs.len(), 2);
        assert!((runs[0][1].0 - 1.5).abs() < 1e-12 && runs[0][1].1 == 0.8);
        assert!((runs[1][0].0 - 2.5).abs() < 1e-12 && runs[1][0].1 == 0.8);
        // Wholly outside: nothing; a single point inside: itself.
        assert!(visible_runs(&[(1.0, 2.0), (2.0, 3.0)], (0.0, 1.0)).is_empty());
        assert_eq!(
            visible_runs(&[(1.0, 0.5)], (0.0, 1.0)),
            vec![vec![(1.0, 0.5)]]
        );
        // Crossing the whole range in one segment.
        let runs = visible_runs(&[(0.0, -1.0), (4.0, 3.0)], (0.0, 1.0));
        assert_eq!(runs, vec![vec![(1.0, 0.0), (2.0, 1.0)]]);
    }
}
