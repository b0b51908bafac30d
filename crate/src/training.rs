//! Learning: one epoch of `train`, `evaluate`, the experiments' loop `fit`, and how a running
//! loop is asked to stop.

use crate::data::DataLoader;
use crate::display::live::Progress;
use crate::error::{Error, Result};
use crate::history::{Epoch, History, Metrics};
use crate::loss::{CrossEntropyLoss, Reduction};
use crate::model::{check_takes, Model};
use crate::optim::Optimizer;
use tch::{Kind, Tensor};

/// Trains `net` for one epoch over `dl`: for each batch, forward, loss, gradients (as
/// `backward` computes them, see [`Optimizer`]), optimizer step. Returns the course's `lossL` and
/// `rateL` as [`Metrics`]: the summed loss divided by the number of samples, and the fraction
/// classified correctly (both measured while the weights change).
///
/// ```no_run
/// # use mnist_lab::*;
/// # let (ds_l, ds_t) = minimnist(Device::Cpu)?;
/// # let (dl_l, dl_t) = (DataLoader::new(&ds_l, 100, false)?, DataLoader::new(&ds_t, 100, false)?);
/// let net = Mlp::new(&[784, 100, 10], Device::Cpu)?;
/// let loss_func = CrossEntropyLoss::new(Reduction::Sum);
/// let mut optimizer = Adam::new(&net, 1e-3)?;
/// let learn = train(&net, &loss_func, &mut optimizer, &dl_l)?;
/// let test = evaluate(&net, &loss_func, &dl_t)?;
/// println!("lossL {:.5}  rateL {:.4}  lossT {:.5}  rateT {:.4}",
///          learn.loss, learn.accuracy, test.loss, test.accuracy);
/// # Ok::<(), Error>(())
/// ```
///
/// Loss and correct count are accumulated on the device and read once at the end of the epoch.
///
/// In the project's kernel a progress bar (batches done, samples per second, time left) shows
/// in place while the epoch runs, and Kernel → Interrupt ends the epoch after the batch in
/// progress: the numbers returned then cover the batches done (a line says how many), and
/// [`stop_requested`] returns true, so the notebook's loop ends and the cell goes on.
pub fn train(
    net: &impl Model,
    loss_func: &CrossEntropyLoss,
    optimizer: &mut impl Optimizer,
    dl: &DataLoader,
) -> Result<Metrics> {
    run_epoch(net, loss_func, Some(optimizer as &mut dyn Optimizer), dl)
}

/// Measures `net` on `dl` without changing it (no gradients): the course's `lossT` and `rateT`
/// as [`Metrics`], measured as for [`train`].
///
/// Kernel → Interrupt while it runs ends the pass after the batch in progress, as for
/// [`train`]: the numbers then cover the batches done, and a line says so (they are not the
/// whole set's). An interrupt that came before it started does not stop it, so the final
/// numbers measured after an interrupted training loop cover the whole set.
pub fn evaluate(
    net: &impl Model,
    loss_func: &CrossEntropyLoss,
    dl: &DataLoader,
) -> Result<Metrics> {
    tch::no_grad(|| run_epoch(net, loss_func, None, dl))
}

/// One pass over `dl`: a training epoch with an optimizer, a measurement without.
fn run_epoch(
    net: &impl Model,
    loss_func: &CrossEntropyLoss,
    mut optimizer: Option<&mut dyn Optimizer>,
    dl: &DataLoader,
) -> Result<Metrics> {
    check_takes(net, dl.n_inputs(), dl.device())?;
    if let Some(opt) = &optimizer {
        check_same_parameters(net, opt.parameters())?;
    }
    let before = crate::interrupt::count();
    let device: tch::Device = net.device().into();
    let mut loss_sum = Tensor::f_zeros([], (Kind::Double, device))?;
    let mut ncorrect = Tensor::f_zeros([], (Kind::Int64, device))?;
    let training = optimizer.is_some();
    let mut progress = Progress::new(dl.num_batches());
    let (mut done, mut samples) = (0, 0);
    for batch in dl.batches()? {
        let (x, lab) = batch?;
        let y = net.forward(&x)?;
        let loss = loss_func.forward(&y, &lab)?;
        if let Some(opt) = optimizer.as_deref_mut() {
            opt.step_with(&gradients(&loss, opt.parameters())?)?;
        }
        // Adds the float32 loss into the float64 sum (one kernel: the addition converts it).
        let _ = loss_sum.f_add_(&loss.detach())?;
        let _ = ncorrect.f_add_(
            &y.f_argmax(1, false)?
                .f_eq_tensor(&lab)?
                .f_sum(Kind::Int64)?,
        )?;
        done += 1;
        samples += lab.size().first().copied().unwrap_or(0) as usize;
        if training {
            progress.update(done, samples);
        }
        // Training stops for any interrupt of this cell (the next network of a comparison
        // too); a measurement only for one that came while it ran.
        let stop = if training {
            crate::interrupt::interrupted()
        } else {
            crate::interrupt::arrived_since(before)
        };
        if stop {
            break;
        }
    }
    progress.finish();
    if done < dl.num_batches() {
        crate::interrupt::acknowledge();
        let (pass, numbers) = if training {
            ("epoch", "training loss and rate")
        } else {
            ("evaluation", "loss and rate")
        };
        println!(
            "Interrupted: this {pass} stopped after batch {done} of {}; its {numbers} cover \
             those {samples} samples only.",
            dl.num_batches()
        );
    }
    let n = samples as f64;
    Ok(Metrics {
        loss: loss_sum.f_double_value(&[])? / n,
        accuracy: ncorrect.f_double_value(&[])? / n,
    })
}

/// The gradients of `loss` with respect to `params`, from libtorch's autograd, without storing
/// them in `.grad()`; undefined for parameters that need none (`requires_grad` false).
fn gradients(loss: &Tensor, params: &[Tensor]) -> Result<Vec<Tensor>> {
    let trained: Vec<&Tensor> = params.iter().filter(|p| p.requires_grad()).collect();
    let mut grads = if trained.is_empty() {
        Vec::new()
    } else {
        Tensor::f_run_backward(&[loss], &trained, false, false)?
    }
    .into_iter();
    Ok(params
        .iter()
        .map(|p| {
            if p.requires_grad() {
                grads.next().unwrap_or_default()
            } else {
                Tensor::new()
            }
        })
        .collect())
}

/// Checks that an optimizer updates the network being trained.
fn check_same_parameters(net: &impl Model, params: &[Tensor]) -> Result<()> {
    let address = |p: &Tensor| p.data_ptr() as usize;
    if net
        .parameters()
        .iter()
        .map(address)
        .eq(params.iter().map(address))
    {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "the optimizer was created for another network than {}; create it for this one, \
             e.g. `Adam::new(&net, 1e-3)?` after `let net = ...`",
            net.name()
        )))
    }
}

/// What [`fit`] returns: which network was trained, its epoch log (at least one epoch) and its
/// speed.
#[derive(Debug, Clone, PartialEq)]
pub struct Run {
    network: String,
    params: i64,
    history: History,
    secs_per_epoch: f64,
}

impl Run {
    /// The network's name ([`Model::name`]), e.g. `[784, 100, 10]` or `CNN(4, 4, 128)`.
    pub fn network(&self) -> &str {
        &self.network
    }

    /// The network's number of parameters.
    pub fn params(&self) -> i64 {
        self.params
    }

    /// One row per epoch trained.
    pub fn history(&self) -> &History {
        &self.history
    }

    /// The last epoch's row.
    pub fn last(&self) -> &Epoch {
        &self.history.epochs[self.history.len() - 1]
    }

    /// Mean seconds per epoch (train + evaluate).
    pub fn secs_per_epoch(&self) -> f64 {
        self.secs_per_epoch
    }
}

/// The experiments' loop without the table: `nepoch` epochs of [`train`] on `dl_l` and
/// [`evaluate`] on `dl_t` (loss summed over each batch), for notebooks that compare several
/// runs.
///
/// Like the experiments' loop, it checks [`stop_requested`] after each epoch: Kernel →
/// Interrupt ends this run and makes every later one in the same cell stop after its first
/// batch.
///
/// ```no_run
/// # use mnist_lab::*;
/// # let (ds_l, ds_t) = minimnist(Device::Cpu)?;
/// # let (dl_l, dl_t) = (DataLoader::new(&ds_l, 100, false)?, DataLoader::new(&ds_t, 100, false)?);
/// let net = Mlp::new(&[784, 100, 10], Device::Cpu)?;
/// let run = fit(&net, &mut Adam::new(&net, 1e-3)?, &dl_l, &dl_t, 5)?;
/// println!("{}: {} ({:.2} s/epoch)", run.network(), run.last(), run.secs_per_epoch());
/// # Ok::<(), Error>(())
/// ```
pub fn fit(
    net: &impl Model,
    optimizer: &mut impl Optimizer,
    dl_l: &DataLoader,
    dl_t: &DataLoader,
    nepoch: usize,
) -> Result<Run> {
    if nepoch == 0 {
        return Err(Error::InvalidArgument(
            "nepoch must be at least 1 to train anything".into(),
        ));
    }
    let loss_func = CrossEntropyLoss::new(Reduction::Sum);
    let mut history = History::new();
    let start = std::time::Instant::now();
    for t in 1..=nepoch {
        let learn = train(net, &loss_func, optimizer, dl_l)?;
        let test = evaluate(net, &loss_func, dl_t)?;
        history.push(t, learn, test);
        if stop_requested() {
            println!("stopped after epoch {t}");
            break;
        }
    }
    Ok(Run {
        network: net.name(),
        params: net.num_parameters(),
        secs_per_epoch: start.elapsed().as_secs_f64() / history.len() as f64,
        history,
    })
}

/// True when Kernel → Interrupt was chosen while the cell ran (in the project's kernel; true
/// from then to the end of the cell).
///
/// Check it once per epoch and `break`: the cell then goes on with the epochs done so far
/// (learning curves, final numbers), and every variable survives. An interrupt also ends the
/// running epoch of [`train`] early, with a line that says after which batch.
///
/// ```no_run
/// # use mnist_lab::*;
/// for t in 1..=1000 {
///     // ... train and evaluate one epoch ...
///     if stop_requested() {
///         println!("stopped after epoch {t}");
///         break;
///     }
/// }
/// ```
pub fn stop_requested() -> bool {
    let asked = crate::interrupt::interrupted();
    if asked {
        crate::interrupt::acknowledge();
    }
    asked
}
