//! Plain stochastic gradient descent.

use super::{check_grads, check_lr, Optimizer};
use crate::error::Result;
use crate::model::Model;
use tch::Tensor;

/// Plain stochastic gradient descent, like `torch.optim.SGD(params, lr)` without momentum:
/// each step moves every parameter by `-lr × gradient`.
#[derive(Debug)]
pub struct Sgd {
    params: Vec<Tensor>,
    lr: f64,
}

impl Sgd {
    /// SGD over all of `net`'s parameters with learning rate `lr`. With the course's loss summed
    /// over a batch, try 0.001 or 0.0001 (the optimizers notebook compares them); much larger
    /// rates can make training diverge.
    pub fn new(net: &impl Model, lr: f64) -> Result<Sgd> {
        check_lr(lr, "try 0.001 or 0.0001")?;
        Ok(Sgd {
            params: net.parameters(),
            lr,
        })
    }

    /// The learning rate.
    pub fn lr(&self) -> f64 {
        self.lr
    }
}

impl Optimizer for Sgd {
    fn parameters(&self) -> &[Tensor] {
        &self.params
    }

    fn step_with(&mut self, grads: &[Tensor]) -> Result<()> {
        check_grads(&self.params, grads)?;
        tch::no_grad(|| -> Result<()> {
            for (p, g) in self.params.iter_mut().zip(grads) {
                if g.defined() {
                    let _ = p.f_add_(&g.f_mul_scalar(-self.lr)?)?;
                }
            }
            Ok(())
        })
    }
}
