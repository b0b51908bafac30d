//! The optimizers: what `train` needs from one ([`Optimizer`]), plain SGD and Adam.

mod adam;
mod adam_cpu;
mod sgd;

pub use adam::Adam;
pub use sgd::Sgd;

use crate::error::{Error, Result};
use tch::Tensor;

/// What `train` needs from an optimizer: [`Adam`] and [`Sgd`] implement it.
///
/// As in PyTorch, a loop of your own calls `zero_grad`, `loss.backward()` and `step`. `train`
/// instead asks autograd for the gradients directly and passes them to `step_with`, which
/// saves clearing and adding up the `.grad()` tensors at every batch (the same numbers, with
/// less memory traffic: PyTorch's `zero_grad(set_to_none=True)` has the same aim).
///
/// ```no_run
/// # use mnist_lab::*;
/// # let (ds_l, _ds_t) = minimnist(Device::cuda_if_available())?;
/// # let dl_l = DataLoader::new(&ds_l, 100, false)?;
/// let net = Mlp::new(&[784, 100, 10], Device::cuda_if_available())?;
/// let loss_func = CrossEntropyLoss::new(Reduction::Sum);
/// let mut optimizer = Adam::new(&net, 1e-3)?;
/// for batch in dl_l.batches()? {
///     let (x, lab) = batch?;
///     let loss = loss_func.forward(&net.forward(&x)?, &lab)?;
///     optimizer.zero_grad()?;
///     loss.backward();
///     optimizer.step()?;
/// }
/// # Ok::<(), Error>(())
/// ```
pub trait Optimizer {
    /// The tensors it updates, in the network's `parameters()` order.
    fn parameters(&self) -> &[Tensor];

    /// Moves every parameter one step along `grads`: one gradient per parameter, in order;
    /// an undefined tensor leaves its parameter as it is.
    fn step_with(&mut self, grads: &[Tensor]) -> Result<()>;

    /// Clears the gradients that the last `backward` left in the parameters' `.grad()`.
    fn zero_grad(&mut self) -> Result<()> {
        for p in self.parameters() {
            let mut g = p.grad();
            if g.defined() {
                let _ = g.f_zero_()?;
            }
        }
        Ok(())
    }

    /// Moves every parameter one step along the gradient that `backward` left in its `.grad()`.
    fn step(&mut self) -> Result<()> {
        let grads: Vec<Tensor> = self.parameters().iter().map(Tensor::grad).collect();
        self.step_with(&grads)
    }
}

/// Checks a learning rate; `hint` ends the message with a value to use.
fn check_lr(lr: f64, hint: &str) -> Result<()> {
    if lr > 0.0 && lr.is_finite() {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "the learning rate must be a positive number, got {lr}; {hint}"
        )))
    }
}

/// Checks that `step_with` got one gradient per parameter.
fn check_grads(params: &[Tensor], grads: &[Tensor]) -> Result<()> {
    if params.len() == grads.len() {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "the optimizer updates {} parameters but got {} gradients; pass one per parameter, \
             in the order of the network's parameters()",
            params.len(),
            grads.len()
        )))
    }
}
