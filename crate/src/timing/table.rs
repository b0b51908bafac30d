//! A table of times measured for growing sizes: one column per way of computing, one row per
//! size, the fitted log-log slope of each way, and a note when the times contradict each other
//! (a larger problem measured faster than a smaller one: the machine was busy).

use super::{format_seconds, loglog_slope, seconds};
use crate::error::Result;
use crate::plot::{Panel, Series};
use std::fmt;

/// A larger size may take this fraction of a smaller size's time before the two are taken to
/// contradict each other (the work grows with the size, so its time cannot really shrink).
const SHRINK: f64 = 0.8;

/// Times of several ways of computing the same thing, for growing sizes `N`: add a
/// measurement with [`time`](Timings::time), print it (`println!("{timings}")`) as a table
/// with units and the slope of each way, draw it with [`panel`](Timings::panel).
///
/// ```no_run
/// # use mnist_lab::tch::{Kind, Tensor};
/// use mnist_lab::timing::Timings;
/// let mut product = Timings::new(128);
/// for n in [64, 128, 256] {
///     let a = Tensor::randn([n, n], (Kind::Float, mnist_lab::tch::Device::Cpu));
///     product.time("libtorch CPU", n as usize, || { let _ = a.f_matmul(&a)?; Ok(()) })?;
/// }
/// println!("{product}");
/// # Ok::<(), mnist_lab::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Timings {
    /// The slopes are fitted over the sizes from this one on.
    fit_from: usize,
    /// Each way's name and its (size, seconds), in the order they were first measured.
    ways: Vec<(String, Vec<(usize, f64)>)>,
}

impl Timings {
    /// An empty table whose slopes are fitted for sizes `N >= fit_from` (where the fixed cost
    /// of a call no longer counts).
    pub fn new(fit_from: usize) -> Timings {
        Timings {
            fit_from,
            ways: Vec::new(),
        }
    }

    /// Times `f` (with [`seconds`](super::seconds): the shortest of several runs after a
    /// warm-up) as the way `way` at size `n`, records it and returns the seconds.
    pub fn time(&mut self, way: &str, n: usize, f: impl FnMut() -> Result<()>) -> Result<f64> {
        let s = seconds(f)?;
        self.add(way, n, s);
        Ok(s)
    }

    /// Records a time measured otherwise (`s` seconds for the way `way` at size `n`).
    pub fn add(&mut self, way: &str, n: usize, s: f64) {
        match self.ways.iter_mut().find(|(name, _)| name == way) {
            Some((_, points)) => points.push((n, s)),
            None => self.ways.push((way.to_string(), vec![(n, s)])),
        }
    }

    /// The log-log slope of `way`'s times over the sizes from `fit_from` on: about 3 when the
    /// time grows as N³.
    pub fn slope(&self, way: &str) -> Result<f64> {
        let points = self
            .ways
            .iter()
            .find(|(name, _)| name == way)
            .map_or(&[][..], |(_, points)| &points[..]);
        let large: Vec<(f64, f64)> = points
            .iter()
            .filter(|(n, _)| *n >= self.fit_from)
            .map(|&(n, s)| (n as f64, s))
            .collect();
        loglog_slope(&large)
    }

    /// The times as lines of log10(seconds) against log10(N), each labelled with its slope.
    pub fn panel(&self, title: &str, ylim: (f64, f64)) -> Result<Panel> {
        let mut series = Vec::new();
        for (name, points) in &self.ways {
            let label = format!("{name} (slope {:.2})", self.slope(name)?);
            let logs = points.iter().map(|&(n, s)| ((n as f64).log10(), s.log10()));
            series.push(Series::line(&label, logs.collect()));
        }
        Ok(Panel {
            title: title.into(),
            x_label: "log10(N)".into(),
            y_label: "log10(time / s)".into(),
            ylim,
            hline: None,
            series,
        })
    }

    /// What in these times cannot be right: for each way, the first larger size measured
    /// faster than a smaller one, said with what to do about it.
    pub fn doubts(&self) -> Vec<String> {
        let mut doubts = Vec::new();
        for (name, points) in &self.ways {
            let mut sorted = points.clone();
            sorted.sort_by_key(|&(n, _)| n);
            let found = sorted.iter().enumerate().find_map(|(j, &(n, s))| {
                let slower = sorted[..j]
                    .iter()
                    .find(|&&(m, t)| m < n && s < SHRINK * t)?;
                Some((n, s, *slower))
            });
            if let Some((n, s, (m, t))) = found {
                doubts.push(format!(
                    "{name}: N = {n} took {}, less than N = {m} ({}). More work cannot take less \
                     time, so something else was using this machine while these were timed: \
                     run the cell again when it is idle for numbers you can trust.",
                    format_seconds(s),
                    format_seconds(t)
                ));
            }
        }
        doubts
    }
}

/// The table: one row per size (`-` where a way was not timed), each way's slope, then the
/// doubts, if any.
impl fmt::Display for Timings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut sizes: Vec<usize> = self
            .ways
            .iter()
            .flat_map(|(_, points)| points.iter().map(|&(n, _)| n))
            .collect();
        sizes.sort_unstable();
        sizes.dedup();
        write!(f, "{:>6}", "N")?;
        for (name, _) in &self.ways {
            write!(f, "{name:>16}")?;
        }
        writeln!(f)?;
        for n in sizes {
            write!(f, "{n:>6}")?;
            for (_, points) in &self.ways {
                match points.iter().find(|p| p.0 == n) {
                    Some(&(_, s)) => write!(f, "{:>16}", format_seconds(s))?,
                    None => write!(f, "{:>16}", "-")?,
                }
            }
            writeln!(f)?;
        }
        write!(f, " slope")?;
        for (name, _) in &self.ways {
            match self.slope(name) {
                Ok(slope) => write!(f, "{slope:>16.2}")?,
                Err(_) => write!(f, "{:>16}", "-")?,
            }
        }
        write!(f, "   (fitted for N >= {})", self.fit_from)?;
        for doubt in self.doubts() {
            write!(f, "\nnote: {doubt}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cubes() -> Timings {
        let mut t = Timings::new(20);
        for n in [10, 20, 40] {
            t.add("cube", n, 1e-9 * (n * n * n) as f64);
            if n >= 20 {
                t.add("square", n, 1e-6 * (n * n) as f64);
            }
        }
        t
    }

    #[test]
    fn the_table_has_units_dashes_and_slopes() {
        let t = cubes();
        assert_eq!(
            t.to_string(),
            "     N            cube          square\n    \
                 10         1.00 µs               -\n    \
                 20         8.00 µs          400 µs\n    \
                 40         64.0 µs         1.60 ms\n \
             slope            3.00            2.00   (fitted for N >= 20)"
        );
        assert!((t.slope("cube").unwrap() - 3.0).abs() < 1e-12);
        assert!(t.slope("nothing").is_err());
        let panel = t.panel("product", (-7.0, 0.0)).unwrap();
        assert_eq!(panel.series[1].label, "square (slope 2.00)");
        assert_eq!(panel.series[1].points[0], (20f64.log10(), 4e-4f64.log10()));
    }

    #[test]
    fn a_larger_size_measured_faster_is_a_doubt() {
        let mut t = cubes();
        assert!(t.doubts().is_empty());
        t.add("cube", 80, 5e-5); // less than N = 40's 64 µs
        let doubts = t.doubts();
        assert_eq!(doubts.len(), 1, "{doubts:?}");
        assert!(
            doubts[0].starts_with("cube: N = 80 took 50.0 µs, less than N = 40 (64.0 µs)."),
            "{doubts:?}"
        );
        assert!(t.to_string().ends_with(&format!("\nnote: {}", doubts[0])));
        // Within the tolerance is no doubt: tiny sizes cost about the same.
        t = Timings::new(1);
        t.add("flat", 16, 1.0e-6);
        t.add("flat", 32, 0.9e-6);
        assert!(t.doubts().is_empty());
    }
}
