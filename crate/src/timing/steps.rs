//! The speed lesson's race: several ways of computing one product of two N × N matrices, each
//! timed and set against libtorch's: its speed, how many times faster libtorch was, and how
//! far its result lies from libtorch's.

use super::{format_seconds, seconds};
use crate::error::{Error, Result};
use std::fmt;
use std::time::Instant;
use tch::Tensor;

/// The largest difference between `ours` and `reference` (the same numbers, row after row),
/// relative to the largest value of `reference`: about 1e-7 for float32 results that agree up
/// to rounding.
pub fn difference(ours: &[f32], reference: &Tensor) -> Result<f64> {
    let reference =
        Vec::<f32>::try_from(reference.f_reshape([-1])?.f_to_device(tch::Device::Cpu)?)?;
    if ours.len() != reference.len() {
        return Err(Error::InvalidArgument(format!(
            "a result of {} numbers cannot be compared with a reference of {}",
            ours.len(),
            reference.len()
        )));
    }
    let scale = reference.iter().fold(0f32, |m, v| m.max(v.abs())) as f64;
    let largest = ours
        .iter()
        .zip(&reference)
        .map(|(a, b)| (a - b).abs() as f64)
        .fold(0.0, f64::max);
    Ok(largest / scale)
}

/// One way's line.
#[derive(Debug, Clone, PartialEq)]
struct Step {
    name: String,
    seconds: f64,
    difference: f64,
}

/// Ways of computing the product of two N × N matrices, each timed against libtorch's: print it
/// (`println!("{steps}")`) for a table of each way's time, speed in GFLOP/s, how many times
/// faster libtorch was, and its largest difference from libtorch's result (see
/// [`difference`]); libtorch's own line comes last.
///
/// ```no_run
/// # use mnist_lab::tch::{Kind, Tensor};
/// use mnist_lab::timing::Steps;
/// let n = 256;
/// let a = Tensor::randn([n, n], (Kind::Float, mnist_lab::tch::Device::Cpu));
/// let mut steps = Steps::new("N = 256", &a, &a)?;
/// steps.time("ndarray", || { /* your product of a and a, row after row */ Ok(vec![0.0; 256 * 256]) })?;
/// println!("{steps}");
/// # Ok::<(), mnist_lab::Error>(())
/// ```
#[derive(Debug)]
pub struct Steps {
    title: String,
    /// N.
    n: usize,
    /// libtorch's product, the reference.
    reference: Tensor,
    /// libtorch's time, and the threads it had.
    libtorch: (f64, i32),
    steps: Vec<Step>,
}

impl Steps {
    /// A table titled `title` for the product of `a` and `b`, two N × N float32 matrices:
    /// libtorch's product is timed now (with [`seconds`](super::seconds), on the threads
    /// libtorch has at this moment) and is the reference.
    pub fn new(title: &str, a: &Tensor, b: &Tensor) -> Result<Steps> {
        let size = a.size();
        if size.len() != 2 || size[0] != size[1] || b.size() != size {
            return Err(Error::InvalidArgument(format!(
                "Steps::new needs two N × N matrices; got {size:?} and {:?}",
                b.size()
            )));
        }
        let reference = a.f_matmul(b)?;
        let s = seconds(|| {
            let _ = a.f_matmul(b)?;
            Ok(())
        })?;
        Ok(Steps {
            title: title.to_string(),
            n: size[0] as usize,
            reference,
            libtorch: (s, tch::get_num_threads()),
            steps: Vec::new(),
        })
    }

    /// Times `product` (with [`seconds`](super::seconds): the shortest of several runs after
    /// a warm-up), which returns its result row after row, and adds its line; returns the
    /// seconds.
    pub fn time(
        &mut self,
        name: &str,
        mut product: impl FnMut() -> Result<Vec<f32>>,
    ) -> Result<f64> {
        let mut result = Vec::new();
        let s = seconds(|| {
            result = product()?;
            Ok(())
        })?;
        self.add(name, s, &result)?;
        Ok(s)
    }

    /// As [`time`](Steps::time), for a product so slow that one run is timed.
    pub fn time_once(
        &mut self,
        name: &str,
        product: impl FnOnce() -> Result<Vec<f32>>,
    ) -> Result<f64> {
        let start = Instant::now();
        let result = product()?;
        let s = start.elapsed().as_secs_f64();
        self.add(name, s, &result)?;
        Ok(s)
    }

    /// libtorch's time for the product, in seconds.
    pub fn libtorch_seconds(&self) -> f64 {
        self.libtorch.0
    }

    fn add(&mut self, name: &str, seconds: f64, result: &[f32]) -> Result<()> {
        let difference = difference(result, &self.reference)?;
        self.steps.push(Step {
            name: name.to_string(),
            seconds,
            difference,
        });
        Ok(())
    }
}

impl fmt::Display for Steps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let flops = 2.0 * (self.n as f64).powi(3);
        let (torch, threads) = self.libtorch;
        writeln!(
            f,
            "{:<34} {:>9} {:>10} {:>21} {:>12}",
            self.title, "time", "GFLOP/s", "libtorch is x faster", "difference"
        )?;
        let libtorch = match threads {
            1 => "   libtorch".to_string(),
            k => format!("   libtorch ({k} threads)"),
        };
        let mut lines: Vec<(&str, f64, f64)> = self
            .steps
            .iter()
            .map(|s| (s.name.as_str(), s.seconds, s.difference))
            .collect();
        lines.push((&libtorch, torch, 0.0));
        for (i, (name, s, difference)) in lines.into_iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(
                f,
                "{name:<34} {:>9} {:>10.1} {:>21.1} {:>12.1e}",
                format_seconds(s),
                flops / s / 1e9,
                s / torch,
                difference
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tch::Kind;

    #[test]
    fn each_way_is_set_against_libtorch() {
        let a = Tensor::from_slice(&[1f32, 2.0, 3.0, 4.0]).view([2, 2]);
        let mut steps = Steps::new("N = 2", &a, &a).unwrap();
        steps
            .time("right", || Ok(vec![7.0, 10.0, 15.0, 22.0]))
            .unwrap();
        steps
            .time_once("off by one", || Ok(vec![7.0, 10.0, 15.0, 21.0]))
            .unwrap();
        let table = steps.to_string();
        let lines: Vec<&str> = table.lines().collect();
        assert_eq!(lines.len(), 4, "{table}");
        assert!(
            lines[0].starts_with("N = 2")
                && lines[0].ends_with("libtorch is x faster   difference")
        );
        assert!(
            lines[1].starts_with("right ") && lines[1].ends_with(" 0.0e0"),
            "{table}"
        );
        // 1 off in 22, the largest value.
        assert!(
            lines[2].ends_with(&format!("{:>12.1e}", 1.0 / 22.0)),
            "{table}"
        );
        assert!(lines[3].starts_with("   libtorch"), "{table}");
        assert!(steps.libtorch_seconds() > 0.0);
    }

    #[test]
    fn results_of_another_size_and_non_square_matrices_are_refused() {
        let a = Tensor::zeros([2, 2], (Kind::Float, tch::Device::Cpu));
        let mut steps = Steps::new("N = 2", &a, &a).unwrap();
        let e = steps.time("short", || Ok(vec![0.0; 3])).unwrap_err();
        assert!(
            e.message()
                .contains("3 numbers cannot be compared with a reference of 4"),
            "{e}"
        );
        let b = Tensor::zeros([2, 3], (Kind::Float, tch::Device::Cpu));
        assert!(Steps::new("x", &b, &b).is_err());
    }
}
