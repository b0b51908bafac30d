//! What a trained network says about a dataset: its predictions, its mistakes and the
//! confusion matrix (numbers only; [`crate::pictures`] draws them).

use crate::data::{Dataset, N_CLASSES};
use crate::error::Result;
use crate::model::{check_takes, Model};
use std::fmt;
use tch::{Kind, Tensor};

/// What the network says about each sample of a dataset, from [`predict`].
#[derive(Debug, Clone, PartialEq)]
pub struct Predictions {
    pub(crate) labels: Vec<i64>,
    pub(crate) predicted: Vec<i64>,
    pub(crate) probability: Vec<f32>,
}

/// Runs `net` over `ds` (no gradients) and collects its predictions.
pub fn predict(net: &impl Model, ds: &Dataset) -> Result<Predictions> {
    check_takes(net, ds.n_inputs(), ds.device())?;
    let (labels, predicted, probability) = tch::no_grad(|| -> Result<_> {
        let probs = net.forward(ds.images())?.f_softmax(1, Kind::Float)?;
        let (p, k) = probs.f_max_dim(1, false)?;
        let cpu = |t: &Tensor| t.f_to_device(tch::Device::Cpu);
        Ok((
            Vec::<i64>::try_from(cpu(ds.labels())?)?,
            Vec::<i64>::try_from(cpu(&k)?)?,
            Vec::<f32>::try_from(cpu(&p)?)?,
        ))
    })?;
    Ok(Predictions {
        labels,
        predicted,
        probability,
    })
}

impl Predictions {
    /// The true digit of each sample.
    pub fn labels(&self) -> &[i64] {
        &self.labels
    }

    /// The digit the network chose for each sample (its largest output).
    pub fn predicted(&self) -> &[i64] {
        &self.predicted
    }

    /// The softmax probability the network gave to its choice, for each sample.
    pub fn probability(&self) -> &[f32] {
        &self.probability
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// True for an empty dataset.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The fraction predicted correctly.
    pub fn accuracy(&self) -> f64 {
        let right = (0..self.len())
            .filter(|&i| self.labels[i] == self.predicted[i])
            .count();
        right as f64 / self.len().max(1) as f64
    }

    /// The indices of the misclassified samples, most confident mistakes first.
    pub fn mistakes(&self) -> Vec<usize> {
        let mut wrong: Vec<usize> = (0..self.len())
            .filter(|&i| self.labels[i] != self.predicted[i])
            .collect();
        wrong.sort_by(|&a, &b| self.probability[b].total_cmp(&self.probability[a]));
        wrong
    }

    /// The 10 × 10 confusion matrix of these predictions.
    pub fn confusion_matrix(&self) -> ConfusionMatrix {
        let mut counts = [[0u64; N_CLASSES as usize]; N_CLASSES as usize];
        for (&t, &p) in self.labels.iter().zip(&self.predicted) {
            counts[t as usize][p as usize] += 1;
        }
        ConfusionMatrix { counts }
    }
}

/// How often each true digit (row) was predicted as each digit (column).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfusionMatrix {
    /// `counts[true][predicted]`.
    pub counts: [[u64; 10]; 10],
}

impl ConfusionMatrix {
    /// All samples counted.
    pub fn total(&self) -> u64 {
        self.counts.iter().flatten().sum()
    }

    /// The fraction on the diagonal (equal to the accuracy).
    pub fn accuracy(&self) -> f64 {
        let right: u64 = (0..10).map(|d| self.counts[d][d]).sum();
        right as f64 / self.total().max(1) as f64
    }

    /// For each digit: (samples of that digit, correctly classified, accuracy).
    pub fn per_class(&self) -> Vec<(u64, u64, f64)> {
        (0..10)
            .map(|d| {
                let n: u64 = self.counts[d].iter().sum();
                (
                    n,
                    self.counts[d][d],
                    self.counts[d][d] as f64 / n.max(1) as f64,
                )
            })
            .collect()
    }
}

impl fmt::Display for ConfusionMatrix {
    /// The per-class table: digit, samples, correct, accuracy.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "digit  samples  correct  accuracy")?;
        for (d, (n, right, acc)) in self.per_class().into_iter().enumerate() {
            writeln!(f, "{d:5}  {n:7}  {right:7}  {acc:8.4}")?;
        }
        write!(
            f,
            "  all  {:7}  {:7}  {:8.4}",
            self.total(),
            (0..10).map(|d| self.counts[d][d]).sum::<u64>(),
            self.accuracy()
        )
    }
}
