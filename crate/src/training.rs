//! Learning: the loss, the Adam optimizer, one epoch of `train`, `evaluate`, and the epoch log.

use crate::data::{DataLoader, N_CLASSES};
use crate::device::init;
use crate::error::{Error, Result};
use crate::model::{check_fits, Mlp};
use std::fmt;
use tch::{Kind, Tensor};

/// Seeds libtorch's random generators (CPU and every GPU): weight initialisation and shuffling.
/// With the same seed, a CPU run gives the same epoch log twice.
pub fn seed(seed: u64) {
    init();
    tch::manual_seed(seed as i64);
}

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

    /// The loss of `logits` `[batch, classes]` against `labels` `[batch]`.
    pub fn forward(&self, logits: &Tensor, labels: &Tensor) -> Result<Tensor> {
        let reduction = match self.reduction {
            Reduction::Sum => tch::Reduction::Sum,
            Reduction::Mean => tch::Reduction::Mean,
        };
        Ok(logits.f_cross_entropy_loss::<Tensor>(labels, None, reduction, -100, 0.0)?)
    }
}

/// The Adam optimizer with PyTorch's defaults (betas 0.9 and 0.999, eps 1e-8, no weight decay).
///
/// The update is PyTorch's own single-tensor Adam (the one `torch.optim.Adam` runs on the CPU),
/// operation for operation, so the same gradients give the same parameters.
#[derive(Debug)]
pub struct Adam {
    params: Vec<Tensor>,
    exp_avg: Vec<Tensor>,
    exp_avg_sq: Vec<Tensor>,
    steps: u64,
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
}

impl Adam {
    /// Adam over all of `net`'s parameters with learning rate `lr` (the course uses 1e-3).
    pub fn new(net: &Mlp, lr: f64) -> Result<Adam> {
        if !(lr > 0.0 && lr.is_finite()) {
            return Err(Error::InvalidArgument(format!(
                "the learning rate must be a positive number, got {lr}; the course uses 1e-3"
            )));
        }
        let params = net.parameters();
        let zeros = |p: &Tensor| p.f_zeros_like();
        Ok(Adam {
            exp_avg: params.iter().map(zeros).collect::<Result<_, _>>()?,
            exp_avg_sq: params.iter().map(zeros).collect::<Result<_, _>>()?,
            params,
            steps: 0,
            lr,
            beta1: 0.9,
            beta2: 0.999,
            eps: 1e-8,
        })
    }

    /// The learning rate.
    pub fn lr(&self) -> f64 {
        self.lr
    }

    /// Clears the gradients left by the last `backward`.
    pub fn zero_grad(&mut self) -> Result<()> {
        for p in &self.params {
            let mut g = p.grad();
            if g.defined() {
                let _ = g.f_zero_()?;
            }
        }
        Ok(())
    }

    /// Moves every parameter one Adam step along its gradient.
    pub fn step(&mut self) -> Result<()> {
        self.steps += 1;
        let step = self.steps as f64;
        let bias_correction1 = 1.0 - self.beta1.powf(step);
        let bias_correction2 = 1.0 - self.beta2.powf(step);
        let step_size = self.lr / bias_correction1;
        let bias_correction2_sqrt = bias_correction2.powf(0.5);
        tch::no_grad(|| -> Result<()> {
            for ((p, m), v) in self
                .params
                .iter_mut()
                .zip(&mut self.exp_avg)
                .zip(&mut self.exp_avg_sq)
            {
                let g = p.grad();
                if !g.defined() {
                    continue;
                }
                let _ = m.f_lerp_(&g, 1.0 - self.beta1)?;
                // addcmul_(g, g, value=c) computes v + (c*g)*g: the same as below.
                let _ = v.f_mul_scalar_(self.beta2)?;
                let _ = v.f_addcmul_(&g.f_mul_scalar(1.0 - self.beta2)?, &g)?;
                let mut denom = v.f_sqrt()?.f_div_scalar(bias_correction2_sqrt)?;
                let _ = denom.f_add_scalar_(self.eps)?;
                // addcdiv_(m, denom, value=-s) computes p + (-s*m)/denom: the same as below.
                let _ = p.f_addcdiv_(&m.f_mul_scalar(-step_size)?, &denom)?;
            }
            Ok(())
        })
    }
}

/// Trains `net` for one epoch over `dl`: for each batch, forward, loss, `zero_grad`, `backward`,
/// `step`. Returns `(loss, rate)`: the summed loss divided by the number of samples, and the
/// fraction classified correctly (both measured while the weights change).
///
/// Loss and correct count are accumulated on the device and read once at the end of the epoch.
pub fn train(
    net: &Mlp,
    loss_func: &CrossEntropyLoss,
    optimizer: &mut Adam,
    dl: &DataLoader,
) -> Result<(f64, f64)> {
    run_epoch(net, loss_func, Some(optimizer), dl)
}

/// Measures `net` on `dl` without changing it (no gradients): `(loss, rate)` as for [`train`].
pub fn evaluate(net: &Mlp, loss_func: &CrossEntropyLoss, dl: &DataLoader) -> Result<(f64, f64)> {
    tch::no_grad(|| run_epoch(net, loss_func, None, dl))
}

fn run_epoch(
    net: &Mlp,
    loss_func: &CrossEntropyLoss,
    mut optimizer: Option<&mut Adam>,
    dl: &DataLoader,
) -> Result<(f64, f64)> {
    check_fits(net.neurons(), dl.n_inputs(), N_CLASSES)?;
    if dl.device() != net.device() {
        return Err(Error::InvalidArgument(format!(
            "the network is on {} but the data is on {}; create both with the same `device`",
            net.device(),
            dl.device()
        )));
    }
    let device: tch::Device = net.device().into();
    let mut loss_sum = Tensor::f_zeros([], (Kind::Double, device))?;
    let mut ncorrect = Tensor::f_zeros([], (Kind::Int64, device))?;
    for (x, lab) in dl.batches() {
        let y = net.forward(&x)?;
        let loss = loss_func.forward(&y, &lab)?;
        if let Some(opt) = optimizer.as_deref_mut() {
            opt.zero_grad()?;
            loss.f_backward()?;
            opt.step()?;
        }
        let _ = loss_sum.f_add_(&loss.detach().f_to_kind(Kind::Double)?)?;
        let _ = ncorrect.f_add_(
            &y.f_argmax(1, false)?
                .f_eq_tensor(&lab)?
                .f_sum(Kind::Int64)?,
        )?;
    }
    let n = dl.len() as f64;
    Ok((
        loss_sum.f_double_value(&[])? / n,
        ncorrect.f_double_value(&[])? / n,
    ))
}

/// One row of the epoch log: the epoch number, loss and rate on the learning (L) and test (T) sets.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Epoch {
    /// The epoch number, from 1.
    pub epoch: usize,
    /// Loss on the learning set (summed loss / number of samples).
    pub loss_l: f64,
    /// Loss on the test set.
    pub loss_t: f64,
    /// Accuracy on the learning set.
    pub rate_l: f64,
    /// Accuracy on the test set.
    pub rate_t: f64,
}

impl fmt::Display for Epoch {
    /// The course's table row: losses to 5 decimals, rates to 4.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}   {:.5}   {:.5}   {:.4}   {:.4}",
            self.epoch, self.loss_l, self.loss_t, self.rate_l, self.rate_t
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
    /// The header of the table that the rows' `Display` continues.
    pub const HEADER: &'static str = "# epoch  lossL  lossT  rateL  rateT";

    /// An empty log.
    pub fn new() -> History {
        History::default()
    }

    /// Records one epoch and returns its row (print it with `println!("{row}")`).
    pub fn push(
        &mut self,
        epoch: usize,
        loss_l: f64,
        loss_t: f64,
        rate_l: f64,
        rate_t: f64,
    ) -> Epoch {
        let row = Epoch {
            epoch,
            loss_l,
            loss_t,
            rate_l,
            rate_t,
        };
        self.epochs.push(row);
        row
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

/// A final report line in the fixed format tools parse:
/// `# train: loss 0.00044  accuracy 1.0000`.
pub fn final_line(which: &str, loss: f64, rate: f64) -> String {
    format!("# {which}: loss {loss:.5}  accuracy {rate:.4}")
}
