//! Drawing one panel of a [`Figure`](super::Figure): its axes, reference line and curves
//! (cut at the y-range, with marks for what lies off it and the names of points), and its
//! legend where it covers the least.

use super::{Panel, Series, Style, MAX_DOTS};
use crate::draw::PALETTE;
use crate::fonts::family;
use crate::legend;
use crate::off_scale::OffScale;
use plotters::coord::ranged1d::ValueFormatter;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::ops::Range;

/// A panel's chart: f64 on both axes.
type Chart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;
/// What drawing on a backend can fail with.
type Drawn<DB> = Result<(), DrawingAreaErrorKind<<DB as DrawingBackend>::ErrorType>>;

/// Draws `panel` on `area`: axes with their labels, the reference line, the curves and the
/// legend.
pub(super) fn draw_panel<DB: DrawingBackend>(
    panel: &Panel,
    area: &DrawingArea<DB, Shift>,
) -> Drawn<DB> {
    let (xr, whole_x, x_ticks) = x_axis(panel);
    let (y0, y1) = panel.ylim;
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
    // What is drawn, for the legend to avoid: the visible parts of the curves, the arrowheads
    // that mark points off the scale and the points' names; then the reference line.
    let mut drawn: Vec<Vec<(f64, f64)>> = Vec::new();
    let mut guides: Vec<Vec<(f64, f64)>> = Vec::new();
    if let Some(h) = panel.hline {
        guides.push(vec![(xr.start, h), (xr.end, h)]);
        chart.draw_series(LineSeries::new(
            [(xr.start, h), (xr.end, h)],
            RGBColor(0x80, 0x80, 0x80).stroke_width(1),
        ))?;
    }
    let mut labels = Vec::new();
    for (i, s) in panel.series.iter().enumerate() {
        labels.push(draw_curve(&mut chart, s, i, panel, &mut drawn)?);
    }
    draw_legend(&mut chart, &labels, &drawn, &guides, panel)
}

/// The x range of `panel` (its points' with 5% of room on each side; half an epoch at least,
/// so that the first and last dots stay clear of the axes), whether every x is a whole number
/// (epochs), and how many x ticks to draw (at most one per unit for whole numbers).
fn x_axis(panel: &Panel) -> (Range<f64>, bool, usize) {
    let points = || panel.series.iter().flat_map(|s| &s.points);
    let (x0, x1) = points().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), p| {
        (lo.min(p.0), hi.max(p.0))
    });
    let (x0, x1) = if x0.is_finite() { (x0, x1) } else { (0.0, 1.0) };
    let whole_x = points().all(|p| p.0.fract() == 0.0);
    let pad = (x1 - x0) * 0.05;
    let pad = if whole_x || pad == 0.0 {
        pad.max(0.5)
    } else {
        pad
    };
    // (At most 10: computed in f64, so that a range of 1e20 epochs cannot overflow.)
    let x_ticks = if whole_x {
        (x1 - x0).min(9.0) as usize + 1
    } else {
        10
    };
    ((x0 - pad)..(x1 + pad), whole_x, x_ticks)
}

/// Draws curve `i` of `panel`, `s`, in its colour: its visible line or dots, arrowheads at the
/// edge for its points off the y-range and its points' names; adds what it drew to `drawn` and
/// returns its legend entry.
fn draw_curve<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    s: &Series,
    i: usize,
    panel: &Panel,
    drawn: &mut Vec<Vec<(f64, f64)>>,
) -> Result<String, DrawingAreaErrorKind<DB::ErrorType>> {
    let (y0, y1) = panel.ylim;
    let xr = chart.x_range();
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
    // Each point's name, if any, just above it: to its right, or to its left in the right
    // third of the panel, so that it stays inside.
    let named: Vec<(&String, (f64, f64))> = s
        .names
        .iter()
        .zip(s.points.iter().copied())
        .filter(|(_, p)| inside(&p))
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
            .label(label.as_str())
            .legend(move |(x, y)| Circle::new((x + 10, y), 3, color.filled()));
        return Ok(label);
    }
    // As matplotlib with set_ylim: the line leaves the panel at its border, and only the
    // points inside the range get a dot.
    let runs = visible_runs(&s.points, (y0, y1));
    drawn.extend(runs.iter().cloned());
    chart
        .draw_series(
            runs.into_iter()
                .map(|run| PathElement::new(run, color.stroke_width(2))),
        )?
        .label(label.as_str())
        .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], color.stroke_width(2)));
    // A dot marks each measurement (an epoch); a dense curve (a function drawn through many
    // points) is a line alone.
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
    Ok(label)
}

/// Draws the legend of `labels` in the corner of the chart where it covers the least of the
/// data `drawn`, then of the `guides`.
fn draw_legend<'a, DB: DrawingBackend + 'a>(
    chart: &mut Chart<'a, DB>,
    labels: &[String],
    drawn: &[Vec<(f64, f64)>],
    guides: &[Vec<(f64, f64)>],
    panel: &Panel,
) -> Drawn<DB> {
    // About 6 pixels a character at size 13, after a 20-pixel sample line; one row of 20
    // pixels per curve.
    let widest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
    let size = (6.0 * widest as f64 + 40.0, 20.0 * labels.len() as f64 + 6.0);
    let (w, h) = chart.plotting_area().dim_in_pixel();
    let curves: Vec<&[(f64, f64)]> = drawn.iter().map(Vec::as_slice).collect();
    let guides: Vec<&[(f64, f64)]> = guides.iter().map(Vec::as_slice).collect();
    let xr = chart.x_range();
    let position = legend::corner(
        &curves,
        &guides,
        ((xr.start, xr.end), panel.ylim),
        size,
        (w as f64, h as f64),
    );
    chart
        .configure_series_labels()
        .label_font((family(&labels.concat()), 13))
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(0xcc, 0xcc, 0xcc))
        .position(position)
        .draw()
}

/// A y tick's text as plotters writes it, without the sign of a zero ("-0.0" is "0.0").
fn y_label(v: &f64) -> String {
    let text = <RangedCoordf64 as ValueFormatter<f64>>::format(v);
    match text.strip_prefix('-') {
        Some(rest) if rest.trim_start_matches(['0', '.']).is_empty() => rest.to_string(),
        _ => text,
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
