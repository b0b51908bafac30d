//! Where a panel's legend goes: the corner of the plotting area where it covers the least of
//! the curves, and then of the guide lines.

use plotters::chart::SeriesLabelPosition;

/// The corners a legend may take, in the order preferred when several cover as little.
const CORNERS: [SeriesLabelPosition; 4] = [
    SeriesLabelPosition::UpperRight,
    SeriesLabelPosition::LowerRight,
    SeriesLabelPosition::UpperLeft,
    SeriesLabelPosition::LowerLeft,
];

/// Samples along a curve per width (or height) of the plotting area, so that a line that
/// crosses a corner between two measurements counts there too, as much as it is long.
const SAMPLES: f64 = 100.0;

/// The corner for a legend of `size` pixels on a plotting area of `area` pixels where the
/// `curves` (the data, in data coordinates, `x` and `y` the area's ranges) are least covered;
/// of corners that cover as much data, the one that covers least of the `guides` (such as the
/// line of the best possible value, which a legend may hide better than a measurement).
pub(crate) fn corner(
    curves: &[&[(f64, f64)]],
    guides: &[&[(f64, f64)]],
    (x, y): ((f64, f64), (f64, f64)),
    size: (f64, f64),
    area: (f64, f64),
) -> SeriesLabelPosition {
    // The legend's share of the area's width and height (plotters puts it 5 pixels in).
    let (w, h) = ((size.0 + 10.0) / area.0, (size.1 + 10.0) / area.1);
    let unit = |(px, py): (f64, f64)| ((px - x.0) / (x.1 - x.0), (py - y.0) / (y.1 - y.0));
    let sampled = |lines: &[&[(f64, f64)]]| {
        let mut points = Vec::new();
        for line in lines {
            for pair in line.windows(2) {
                let (a, b) = (unit(pair[0]), unit(pair[1]));
                let n =
                    ((b.0 - a.0).hypot(b.1 - a.1) * SAMPLES).clamp(1.0, 10.0 * SAMPLES) as usize;
                for k in 0..n {
                    let t = k as f64 / n as f64;
                    points.push((a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1)));
                }
            }
            points.extend(line.last().map(|&p| unit(p)));
        }
        points
    };
    let (data, guides) = (sampled(curves), sampled(guides));
    let covered = |corner: &SeriesLabelPosition, points: &[(f64, f64)]| {
        let (right, upper) = match corner {
            SeriesLabelPosition::UpperRight => (true, true),
            SeriesLabelPosition::LowerRight => (true, false),
            SeriesLabelPosition::UpperLeft => (false, true),
            _ => (false, false),
        };
        points
            .iter()
            .filter(|&&(px, py)| {
                let across = if right { px >= 1.0 - w } else { px <= w };
                let up = if upper { py >= 1.0 - h } else { py <= h };
                across && up && (0.0..=1.0).contains(&px) && (0.0..=1.0).contains(&py)
            })
            .count()
    };
    // The first corner of the least covered (min_by_key keeps the first of equals).
    CORNERS
        .into_iter()
        .min_by_key(|c| (covered(c, &data), covered(c, &guides)))
        .unwrap_or(SeriesLabelPosition::UpperRight)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(p: SeriesLabelPosition) -> &'static str {
        match p {
            SeriesLabelPosition::UpperRight => "upper right",
            SeriesLabelPosition::LowerRight => "lower right",
            SeriesLabelPosition::UpperLeft => "upper left",
            SeriesLabelPosition::LowerLeft => "lower left",
            _ => "other",
        }
    }

    #[test]
    fn the_legend_goes_where_the_curves_are_not() {
        let ranges = ((0.0, 10.0), (0.0, 1.0));
        let (legend, area) = ((150.0, 40.0), (400.0, 260.0));
        // A falling loss: high on the left, low on the right; the upper right is free.
        let loss: Vec<(f64, f64)> = (0..=10)
            .map(|i| (i as f64, 1.0 / (1.0 + i as f64)))
            .collect();
        assert_eq!(
            name(corner(&[&loss], &[], ranges, legend, area)),
            "upper right"
        );
        // A rising accuracy that ends at the top: the lower right is free.
        let accuracy: Vec<(f64, f64)> = (0..=10).map(|i| (i as f64, 0.1 * i as f64)).collect();
        assert_eq!(
            name(corner(&[&accuracy], &[], ranges, legend, area)),
            "lower right"
        );
        // Both, the accuracy from 0.5: the upper right has its end, the lower right the
        // loss's end and the upper left the loss's start; the lower left is free.
        let half: Vec<(f64, f64)> = (0..=10)
            .map(|i| (i as f64, 0.5 + 0.05 * i as f64))
            .collect();
        assert_eq!(
            name(corner(&[&loss, &half], &[], ranges, legend, area)),
            "lower left"
        );
        // Nothing drawn: the usual place.
        assert_eq!(name(corner(&[], &[], ranges, legend, area)), "upper right");
    }

    #[test]
    fn a_guide_line_gives_way_to_the_data() {
        // Three epochs of a loss that starts off the scale (the segment from above the top
        // down to epoch 2 crosses the upper right), with the line of loss 0 along the bottom:
        // the legend covers the guide, not the curve.
        let ranges = ((0.5, 3.5), (-0.05, 1.0));
        let (legend, area) = ((230.0, 46.0), (380.0, 240.0));
        let loss = [(1.0, 1.3), (2.0, 0.49), (3.0, 0.36)];
        let test = [(1.0, 0.72), (2.0, 0.48), (3.0, 0.41)];
        let zero = [(0.5, 0.0), (3.5, 0.0)];
        assert_eq!(
            name(corner(&[&loss, &test], &[&zero], ranges, legend, area)),
            "lower right"
        );
        // As one more curve, the guide would have won the lower corners for the data.
        assert_eq!(
            name(corner(&[&loss, &test, &zero], &[], ranges, legend, area)),
            "upper right"
        );
    }
}
