//! What a panel's fixed y-range leaves out: the points of a curve above or below it, said in
//! the curve's legend entry and marked by arrowheads at the panel's edge, so that a figure
//! never names a curve it does not show.

/// The points of a curve outside the y-range `(low, high)`: the x values of those above it
/// and of those below it (points that are not numbers are neither).
#[derive(Debug, Default, PartialEq)]
pub(crate) struct OffScale {
    /// x of each point above the range.
    pub(crate) above: Vec<f64>,
    /// x of each point below the range.
    pub(crate) below: Vec<f64>,
}

impl OffScale {
    /// The points of `points` that lie outside `(low, high)`.
    pub(crate) fn of(points: &[(f64, f64)], (low, high): (f64, f64)) -> OffScale {
        let xs = |outside: &dyn Fn(f64) -> bool| -> Vec<f64> {
            points
                .iter()
                .filter(|p| outside(p.1))
                .map(|p| p.0)
                .collect()
        };
        OffScale {
            above: xs(&|y| y > high),
            below: xs(&|y| y < low),
        }
    }

    /// The curve's legend entry: its label, followed by how many points lie above (↑) and
    /// below (↓) the scale, e.g. "SGD, lr 0.0001 (↓ 20 off scale)".
    pub(crate) fn label(&self, label: &str) -> String {
        let part = |arrow: &str, n: usize| (n > 0).then(|| format!("{arrow} {n}"));
        let parts: Vec<String> = [part("↑", self.above.len()), part("↓", self.below.len())]
            .into_iter()
            .flatten()
            .collect();
        if parts.is_empty() {
            label.to_string()
        } else {
            format!("{label} ({} off scale)", parts.join(", "))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::OffScale;

    #[test]
    fn points_off_the_scale_are_counted_and_named_in_the_label() {
        let points = [
            (1.0, 1.3),
            (2.0, 0.6),
            (3.0, -0.2),
            (4.0, f64::NAN),
            (5.0, 1.0),
        ];
        let off = OffScale::of(&points, (0.0, 1.0));
        assert_eq!(off.above, vec![1.0]);
        assert_eq!(off.below, vec![3.0]);
        assert_eq!(
            off.label("[784, 100, 10]"),
            "[784, 100, 10] (↑ 1, ↓ 1 off scale)"
        );
        let below = OffScale::of(&[(1.0, 0.5), (2.0, 0.7)], (0.8, 1.0));
        assert_eq!(below.label("SGD"), "SGD (↓ 2 off scale)");
        assert_eq!(
            OffScale::of(&[(1.0, 0.9)], (0.8, 1.0)).label("Adam"),
            "Adam"
        );
    }
}
