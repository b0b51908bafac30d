//! The losses: cross-entropy between the network's outputs and the labels (classification),
//! mean squared error between predictions and targets (regression).

use crate::error::{Error, Result};
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

/// The squared error between predictions and targets, like PyTorch's `nn.MSELoss`: with
/// [`Reduction::Mean`] the mean of `(prediction - target)²` over all values.
#[derive(Debug, Clone, Copy)]
pub struct MseLoss {
    reduction: Reduction,
}

impl MseLoss {
    /// The loss with the given reduction (regression usually takes [`Reduction::Mean`]).
    pub fn new(reduction: Reduction) -> MseLoss {
        MseLoss { reduction }
    }

    /// The loss of `prediction` against `target`, which must have the same shape: a
    /// `[batch, 1]` prediction against a `[batch]` target would otherwise broadcast to
    /// `[batch, batch]` and give a wrong loss without any error.
    pub fn forward(&self, prediction: &Tensor, target: &Tensor) -> Result<Tensor> {
        let (p, t) = (prediction.size(), target.size());
        if p != t {
            return Err(Error::InvalidArgument(format!(
                "the prediction has shape {p:?} and the target {t:?}; they must be the same \
                 (e.g. both [batch, 1]: reshape with .f_view([-1, 1]))"
            )));
        }
        let reduction = match self.reduction {
            Reduction::Sum => tch::Reduction::Sum,
            Reduction::Mean => tch::Reduction::Mean,
        };
        Ok(prediction.f_mse_loss(target, reduction)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_squared_error_and_a_shape_mismatch() {
        let p = Tensor::from_slice(&[1.0f32, 2.0, 4.0]).view([3, 1]);
        let t = Tensor::from_slice(&[1.0f32, 0.0, 1.0]).view([3, 1]);
        let mean = MseLoss::new(Reduction::Mean).forward(&p, &t).unwrap();
        assert!((mean.double_value(&[]) - 13.0 / 3.0).abs() < 1e-6);
        let sum = MseLoss::new(Reduction::Sum).forward(&p, &t).unwrap();
        assert_eq!(sum.double_value(&[]), 13.0);
        let e = MseLoss::new(Reduction::Mean)
            .forward(&p, &t.view([3]))
            .unwrap_err();
        assert!(
            e.message().contains("shape [3, 1] and the target [3]"),
            "{e}"
        );
    }
}
