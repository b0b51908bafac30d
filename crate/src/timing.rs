//! Measuring how long a computation takes, and how that time grows with the problem's size.

mod steps;
mod table;

pub use steps::{difference, Steps};
pub use table::Timings;

use crate::device::Device;
use crate::error::{Error, Result};
use std::time::{Duration, Instant};

/// Stop repeating a measurement once the runs have taken this long together.
const BUDGET: Duration = Duration::from_millis(150);
/// Runs at most this many times.
const MAX_RUNS: usize = 20;

/// The time of one run of `f` in seconds: the shortest of several runs after one warm-up
/// run (the first run pays for allocating memory, loading code and starting threads; the
/// shortest of the rest is the least disturbed by other programs). Runs are repeated until
/// they have taken about 0.15 s together, 20 runs at most.
///
/// For work on a GPU, `f` must wait for the GPU before it returns (see [`synchronize`]): a
/// GPU call only queues the work.
///
/// ```no_run
/// # use mnist_lab::tch::{Kind, Tensor};
/// let a = Tensor::randn([512, 512], (Kind::Float, mnist_lab::tch::Device::Cpu));
/// let s = mnist_lab::timing::seconds(|| { let _ = a.f_matmul(&a)?; Ok(()) })?;
/// println!("{:.2} ms", s * 1e3);
/// # Ok::<(), mnist_lab::Error>(())
/// ```
pub fn seconds(mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    f()?;
    let (mut best, mut total, mut runs) = (f64::INFINITY, Duration::ZERO, 0);
    while runs == 0 || (total < BUDGET && runs < MAX_RUNS) {
        let start = Instant::now();
        f()?;
        let took = start.elapsed();
        best = best.min(took.as_secs_f64());
        total += took;
        runs += 1;
    }
    Ok(best)
}

/// Waits until `device` has finished the work queued on it (nothing to wait for on the CPU).
pub fn synchronize(device: Device) {
    if let Device::Cuda(index) = device {
        tch::Cuda::synchronize(index as i64);
    }
}

/// The slope of the straight line through `(size, seconds)` points on log-log axes (least
/// squares on the logarithms): about 3 when the time grows as the size cubed.
pub fn loglog_slope(points: &[(f64, f64)]) -> Result<f64> {
    if points.len() < 2 || points.iter().any(|&(x, y)| !(x > 0.0 && y > 0.0)) {
        return Err(Error::InvalidArgument(format!(
            "a slope needs at least two points with positive sizes and times; got {points:?}"
        )));
    }
    let logs: Vec<(f64, f64)> = points.iter().map(|&(x, y)| (x.ln(), y.ln())).collect();
    let n = logs.len() as f64;
    let (mx, my) = logs
        .iter()
        .fold((0.0, 0.0), |(sx, sy), (x, y)| (sx + x / n, sy + y / n));
    let sxy: f64 = logs.iter().map(|(x, y)| (x - mx) * (y - my)).sum();
    let sxx: f64 = logs.iter().map(|(x, _)| (x - mx) * (x - mx)).sum();
    if sxx == 0.0 {
        return Err(Error::InvalidArgument(
            "a slope needs at least two different sizes".into(),
        ));
    }
    Ok(sxy / sxx)
}

/// A time in seconds with three significant digits and a unit that suits it: `12.3 µs`,
/// `4.56 ms`, `1.23 s`.
pub fn format_seconds(s: f64) -> String {
    let (value, unit) = match s {
        s if s < 1e-3 => (s * 1e6, "µs"),
        s if s < 1.0 => (s * 1e3, "ms"),
        s => (s, "s"),
    };
    let decimals = match value {
        v if v < 10.0 => 2,
        v if v < 100.0 => 1,
        _ => 0,
    };
    format!("{value:.decimals$} {unit}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slopes_of_powers_and_bad_points() {
        let cube: Vec<(f64, f64)> = [10.0, 20.0, 40.0]
            .iter()
            .map(|&n| (n, 1e-9 * n * n * n))
            .collect();
        assert!((loglog_slope(&cube).unwrap() - 3.0).abs() < 1e-12);
        assert!(loglog_slope(&[(1.0, 1.0)]).is_err());
        assert!(loglog_slope(&[(1.0, 0.0), (2.0, 1.0)]).is_err());
        assert!(loglog_slope(&[(2.0, 1.0), (2.0, 3.0)]).is_err());
    }

    #[test]
    fn times_read_with_three_digits_and_a_unit() {
        assert_eq!(format_seconds(12.34e-6), "12.3 µs");
        assert_eq!(format_seconds(4.567e-3), "4.57 ms");
        assert_eq!(format_seconds(0.2), "200 ms");
        assert_eq!(format_seconds(1.234), "1.23 s");
    }

    #[test]
    fn a_measurement_runs_its_work_and_reports_its_error() {
        let mut calls = 0;
        let s = seconds(|| {
            calls += 1;
            std::thread::sleep(Duration::from_millis(2));
            Ok(())
        })
        .unwrap();
        assert!(s >= 0.002 && calls >= 3, "{s} {calls}");
        let e = seconds(|| Err(Error::InvalidArgument("no".into()))).unwrap_err();
        assert_eq!(e.message(), "no");
    }
}
