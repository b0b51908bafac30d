//! The loss: cross-entropy between the network's outputs and the labels.

use crate::error::Result;
use tch::Tensor;

/// How a loss over a batch is reduced to one number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reduction {
    /// The sum over the batch (the course's choice: `reduction='sum'`).
    Sum,
    /// The mean over the batch (PyTorch's default).
    Mean,
}

/// Cross-entropy between the network's outputs (logits, softmax applied inside) and the labels,
/// like PyTorch's `nn.CrossEntropyLoss`.
#[derive(Debug, Clone, Copy)]
pub struct CrossEntropyLoss {
    reduction: Reduction,
}

impl CrossEntropyLoss {
    /// The loss with the given reduction; the course uses `CrossEntropyLoss::new(Reduction::Sum)`.
    pub fn new(reduction: Reduction) -> CrossEntropyLoss {
        CrossEntropyLoss { reduction }
    }

    /// The loss of `logits` against `labels`.
    ///
    /// # Shapes
    /// - `logits`: `[batch, classes]`, float
    /// - `labels`: `[batch]`, int64 class indices
    /// - result: `[]` (a scalar)
    pub fn forward(&self, logits: &Tensor, labels: &Tensor) -> Result<Tensor> {
        let reduction = match self.reduction {
            Reduction::Sum => tch::Reduction::Sum,
            Reduction::Mean => tch::Reduction::Mean,
        };
        Ok(logits.f_cross_entropy_loss::<Tensor>(labels, None, reduction, -100, 0.0)?)
    }
}
