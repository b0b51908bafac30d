//! The epoch log: what `train` and `evaluate` measure, one row per epoch, and the final lines.

use std::fmt;

/// What one pass over a data set measured: the course's `loss` and `rate`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metrics {
    /// The summed loss divided by the number of samples.
    pub loss: f64,
    /// The fraction of samples classified correctly (the course's "rate").
    pub accuracy: f64,
}

/// One row of the epoch log: the epoch number and the metrics on the learning (training) and
/// test sets: the course's `lossL`, `rateL` (`train`) and `lossT`, `rateT` (`test`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Epoch {
    /// The epoch number, from 1.
    pub epoch: usize,
    /// Measured on the learning set while training.
    pub train: Metrics,
    /// Measured on the test set after the epoch.
    pub test: Metrics,
}

impl Epoch {
    /// Whether both losses are finite numbers (not NaN, not infinite).
    fn is_finite(&self) -> bool {
        self.train.loss.is_finite() && self.test.loss.is_finite()
    }
}

impl fmt::Display for Epoch {
    /// The course's table row `epoch lossL lossT rateL rateT`: losses to 5 decimals, rates to 4,
    /// each right-aligned under its word of [`History::HEADER`] (for epochs up to 9999999 and
    /// losses below 10).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:>7}   {:>7.5}   {:>7.5}   {:>6.4}   {:>6.4}",
            self.epoch, self.train.loss, self.test.loss, self.train.accuracy, self.test.accuracy
        )
    }
}

/// The epoch log: one [`Epoch`] per epoch, in order (the course's list `L`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct History {
    /// The rows, first epoch first.
    pub epochs: Vec<Epoch>,
}

impl History {
    /// The header of the table that the rows' `Display` continues: the course's words, each
    /// above the end of its column.
    pub const HEADER: &'static str = "# epoch     lossL     lossT    rateL    rateT";

    /// An empty log.
    pub fn new() -> History {
        History::default()
    }

    /// Records epoch `epoch` with what `train` and `evaluate` measured, and returns its row
    /// (print it with `println!("{row}")`).
    ///
    /// ```
    /// # use mnist_lab::*;
    /// let mut history = History::new();
    /// let learn = Metrics { loss: 0.35, accuracy: 0.90 };
    /// let test = Metrics { loss: 0.30, accuracy: 0.91 };
    /// let row = history.push(1, learn, test);
    /// assert_eq!(row.to_string(), "      1   0.35000   0.30000   0.9000   0.9100");
    /// ```
    ///
    /// The first row whose loss is not a number (or infinite) is preceded by a line that says
    /// the training diverged and what usually causes it.
    pub fn push(&mut self, epoch: usize, train: Metrics, test: Metrics) -> Epoch {
        let row = Epoch { epoch, train, test };
        if self.diverged_at().is_none() && !row.is_finite() {
            println!(
                "# training diverged at epoch {epoch}: the loss became {}; the usual cause is a \
                 learning rate that is too large: try one 10 times smaller",
                if row.train.loss.is_finite() {
                    row.test.loss
                } else {
                    row.train.loss
                }
            );
        }
        self.epochs.push(row);
        row
    }

    /// The first epoch whose loss is not a finite number (the training diverged), if any.
    pub fn diverged_at(&self) -> Option<usize> {
        self.epochs.iter().find(|e| !e.is_finite()).map(|e| e.epoch)
    }

    /// Number of epochs recorded.
    pub fn len(&self) -> usize {
        self.epochs.len()
    }

    /// True before the first epoch.
    pub fn is_empty(&self) -> bool {
        self.epochs.is_empty()
    }

    /// The last row, if any.
    pub fn last(&self) -> Option<&Epoch> {
        self.epochs.last()
    }

    /// The row where `value` is smallest (e.g. `|e| e.test.loss`), if any.
    pub fn best_by(&self, value: impl Fn(&Epoch) -> f64) -> Option<&Epoch> {
        self.epochs
            .iter()
            .min_by(|a, b| value(a).total_cmp(&value(b)))
    }
}

impl fmt::Display for History {
    /// The whole table: header, then every row.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", History::HEADER)?;
        for row in &self.epochs {
            writeln!(f, "{row}")?;
        }
        Ok(())
    }
}
