//! Learning: the loss, the Adam optimizer, one epoch of `train`, `evaluate`, and the epoch log.

use crate::data::DataLoader;
use crate::device::init;
use crate::display::live::Progress;
use crate::error::{Error, Result};
use crate::model::{check_takes, Model};
use crate::parallel::for_each_part;
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
/// The update is the formula of PyTorch's `torch.optim.Adam`, step for step. On the CPU it runs
/// in one pass over each parameter (about ten times faster than one libtorch operation per
/// term); its results equal PyTorch's to float32 rounding (a few units in the last place), not
/// always bit for bit, because libtorch's own kernels round differently in their vectorised and
/// scalar parts. Elsewhere (CUDA) it uses libtorch's element-wise operations, once over all
/// parameters together (their moments live in one flat tensor): about 15 kernel launches per
/// step instead of 9 per parameter.
#[derive(Debug)]
pub struct Adam {
    params: Vec<Tensor>,
    /// The first and second moments of all parameters, one after the other.
    exp_avg: Tensor,
    exp_avg_sq: Tensor,
    /// Each parameter's part of `exp_avg` and `exp_avg_sq` (flat views).
    exp_avg_parts: Vec<Tensor>,
    exp_avg_sq_parts: Vec<Tensor>,
    steps: u64,
    lr: f64,
    beta1: f64,
    beta2: f64,
    eps: f64,
}

impl Adam {
    /// Adam over all of `net`'s parameters with learning rate `lr` (the course uses 1e-3).
    pub fn new(net: &impl Model, lr: f64) -> Result<Adam> {
        check_lr(lr, "the course uses 1e-3")?;
        let params = net.parameters();
        let Some(first) = params.first() else {
            return Err(Error::InvalidArgument(format!(
                "{} has no parameters for Adam to train",
                net.name()
            )));
        };
        let options = (first.kind(), first.device());
        if params.iter().any(|p| (p.kind(), p.device()) != options) {
            return Err(Error::InvalidArgument(format!(
                "Adam needs all of {}'s parameters on one device with one element type; \
                 build the network with a single `device`",
                net.name()
            )));
        }
        let total = params.iter().map(|p| p.numel() as i64).sum::<i64>();
        let exp_avg = Tensor::f_zeros([total], options)?;
        let exp_avg_sq = Tensor::f_zeros([total], options)?;
        Ok(Adam {
            exp_avg_parts: parts(&exp_avg, &params)?,
            exp_avg_sq_parts: parts(&exp_avg_sq, &params)?,
            exp_avg,
            exp_avg_sq,
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
}

impl Optimizer for Adam {
    fn parameters(&self) -> &[Tensor] {
        &self.params
    }

    /// Moves every parameter one Adam step along its gradient.
    fn step_with(&mut self, grads: &[Tensor]) -> Result<()> {
        check_grads(&self.params, grads)?;
        self.steps += 1;
        let c = Coefficients::new(self.lr, self.beta1, self.beta2, self.eps, self.steps);
        tch::no_grad(|| -> Result<()> {
            let on_cpu = self.params[0].device() == tch::Device::Cpu;
            if !on_cpu && grads.iter().all(Tensor::defined) {
                return adam_tensor_ops(
                    &mut self.params,
                    grads,
                    &mut self.exp_avg,
                    &mut self.exp_avg_sq,
                    &c,
                );
            }
            for (((p, g), m), v) in self
                .params
                .iter_mut()
                .zip(grads)
                .zip(&mut self.exp_avg_parts)
                .zip(&mut self.exp_avg_sq_parts)
            {
                if g.defined() && !adam_cpu_single_pass(p, g, m, v, &c) {
                    adam_tensor_ops(std::slice::from_mut(p), std::slice::from_ref(g), m, v, &c)?;
                }
            }
            Ok(())
        })
    }
}

/// The flat views of `flat` that hold each parameter's values, one after the other.
fn parts(flat: &Tensor, params: &[Tensor]) -> Result<Vec<Tensor>> {
    let mut offset = 0;
    params
        .iter()
        .map(|p| {
            let n = p.numel() as i64;
            offset += n;
            Ok(flat.f_narrow(0, offset - n, n)?)
        })
        .collect()
}

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

/// The scalars of one Adam step.
struct Coefficients {
    beta1: f64,
    beta2: f64,
    step_size: f64,
    bias_correction2_sqrt: f64,
    eps: f64,
}

impl Coefficients {
    /// The scalars of step number `step` (from 1), as PyTorch's Adam computes them.
    fn new(lr: f64, beta1: f64, beta2: f64, eps: f64, step: u64) -> Coefficients {
        let step = step as f64;
        let bias_correction1 = 1.0 - beta1.powf(step);
        let bias_correction2 = 1.0 - beta2.powf(step);
        Coefficients {
            beta1,
            beta2,
            step_size: lr / bias_correction1,
            bias_correction2_sqrt: bias_correction2.powf(0.5),
            eps,
        }
    }
}

/// PyTorch's single-tensor Adam update, operation for operation, with libtorch's kernels, for
/// `params` whose moments are the flat tensors `m` and `v` (the parameters' values one after
/// the other): each operation runs once over all of them.
fn adam_tensor_ops(
    params: &mut [Tensor],
    grads: &[Tensor],
    m: &mut Tensor,
    v: &mut Tensor,
    c: &Coefficients,
) -> Result<()> {
    let flat: Vec<Tensor> = grads
        .iter()
        .map(|g| g.f_reshape([-1]))
        .collect::<Result<_, _>>()?;
    let g = match &flat[..] {
        [one] => one.shallow_clone(),
        _ => Tensor::f_cat(&flat, 0)?,
    };
    let _ = m.f_lerp_(&g, 1.0 - c.beta1)?;
    // addcmul_(g, g, value=c) computes v + (c*g)*g: the same as below.
    let _ = v.f_mul_scalar_(c.beta2)?;
    let _ = v.f_addcmul_(&g.f_mul_scalar(1.0 - c.beta2)?, &g)?;
    let mut denom = v.f_sqrt()?.f_div_scalar(c.bias_correction2_sqrt)?;
    let _ = denom.f_add_scalar_(c.eps)?;
    // addcdiv_(m, denom, value=-s) computes p + (-s*m)/denom: the same as below.
    let update = m.f_mul_scalar(-c.step_size)?;
    let (updates, denoms) = (parts(&update, params)?, parts(&denom, params)?);
    for ((p, update), denom) in params.iter_mut().zip(updates).zip(denoms) {
        let shape = p.size();
        let _ = p.f_addcdiv_(&update.f_view(&shape[..])?, &denom.f_view(&shape[..])?)?;
    }
    Ok(())
}

/// The same update as [`adam_tensor_ops`] in one pass over contiguous float32 CPU tensors,
/// split over libtorch's threads. Returns false (and changes nothing) for any other tensors,
/// and when the gradient shares memory with the parameter.
///
/// The scalars are rounded to float32 as libtorch rounds them, and each value goes through the
/// same operations in the same order; `lerp` and `addcmul` use a fused multiply-add, as
/// libtorch's vectorised kernels do, and `sqrt` is exact.
fn adam_cpu_single_pass(
    p: &mut Tensor,
    g: &Tensor,
    m: &mut Tensor,
    v: &mut Tensor,
    c: &Coefficients,
) -> bool {
    let n = p.numel();
    let fits = |t: &Tensor| {
        t.device() == tch::Device::Cpu
            && t.kind() == Kind::Float
            && t.is_contiguous()
            && t.numel() == n
    };
    // The moments are the optimizer's own; a gradient passed to `step_with` could share memory
    // with its parameter, which the element-wise operations handle and this loop must not see.
    let bytes = |t: &Tensor| {
        let start = t.data_ptr() as usize;
        start..start + 4 * n
    };
    if ![&*p, g, &*m, &*v].into_iter().all(fits) {
        return false;
    }
    let (pb, gb) = (bytes(p), bytes(g));
    if pb.start < gb.end && gb.start < pb.end {
        return false;
    }
    let k = AdamF32 {
        lerp_weight: (1.0 - c.beta1) as f32,
        beta2: c.beta2 as f32,
        one_minus_beta2: (1.0 - c.beta2) as f32,
        bias_correction2_sqrt: c.bias_correction2_sqrt as f32,
        eps: c.eps as f32,
        neg_step_size: (-c.step_size) as f32,
    };
    // Addresses, so that every thread can make a slice of its own part of the tensors.
    let [p, m, v] = [p, m, v].map(|t| t.data_ptr() as usize);
    // SAFETY: the gradient is a contiguous float32 CPU tensor of n values (checked above),
    // only read during the step.
    let g = unsafe { std::slice::from_raw_parts(g.data_ptr() as *const f32, n) };
    let threads = (tch::get_num_threads().max(1) as usize).min(n.div_ceil(1 << 16));
    let chunk = n.div_ceil(threads).next_multiple_of(64);
    for_each_part(n.div_ceil(chunk), &|i| {
        let range = i * chunk..((i + 1) * chunk).min(n);
        // SAFETY: p, m and v are distinct contiguous float32 CPU tensors of n values each
        // (checked above) that nothing else touches during the step; the parts' ranges are
        // disjoint and inside them.
        let [p, m, v] = [p, m, v].map(|t| unsafe {
            std::slice::from_raw_parts_mut((t as *mut f32).add(range.start), range.len())
        });
        k.update(p, &g[range], m, v);
    });
    true
}

/// The Adam scalars as float32, as libtorch's float32 kernels use them.
#[derive(Clone, Copy)]
struct AdamF32 {
    lerp_weight: f32,
    beta2: f32,
    one_minus_beta2: f32,
    bias_correction2_sqrt: f32,
    eps: f32,
    neg_step_size: f32,
}

impl AdamF32 {
    fn update(&self, p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("fma") && std::arch::is_x86_feature_detected!("avx2")
        {
            // SAFETY: the CPU has the features the function is compiled for (checked above).
            return unsafe { self.update_avx2(p, g, m, v) };
        }
        self.update_portable(p, g, m, v)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,fma")]
    unsafe fn update_avx2(&self, p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
        self.update_portable(p, g, m, v)
    }

    #[inline(always)]
    fn update_portable(&self, p: &mut [f32], g: &[f32], m: &mut [f32], v: &mut [f32]) {
        for (((p, &g), m), v) in p.iter_mut().zip(g).zip(m.iter_mut()).zip(v.iter_mut()) {
            *m = self.lerp_weight.mul_add(g - *m, *m);
            *v = (g * self.one_minus_beta2).mul_add(g, *v * self.beta2);
            let denom = v.sqrt() / self.bias_correction2_sqrt + self.eps;
            *p += *m * self.neg_step_size / denom;
        }
    }
}

/// Trains `net` for one epoch over `dl`: for each batch, forward, loss, gradients (as
/// `backward` computes them, see [`Optimizer`]), optimizer step. Returns `(loss, rate)`: the
/// summed loss divided by the number of samples, and the fraction classified correctly (both
/// measured while the weights change).
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
) -> Result<(f64, f64)> {
    run_epoch(net, loss_func, Some(optimizer as &mut dyn Optimizer), dl)
}

/// Measures `net` on `dl` without changing it (no gradients): `(loss, rate)` as for [`train`].
///
/// An interrupt does not cut a measurement short (its numbers would look right and be wrong):
/// the pass ends, and the loop's [`stop_requested`] ends the training.
pub fn evaluate(
    net: &impl Model,
    loss_func: &CrossEntropyLoss,
    dl: &DataLoader,
) -> Result<(f64, f64)> {
    tch::no_grad(|| run_epoch(net, loss_func, None, dl))
}

fn run_epoch(
    net: &impl Model,
    loss_func: &CrossEntropyLoss,
    mut optimizer: Option<&mut dyn Optimizer>,
    dl: &DataLoader,
) -> Result<(f64, f64)> {
    check_takes(net, dl.n_inputs(), dl.device())?;
    if let Some(opt) = &optimizer {
        check_same_parameters(net, opt.parameters())?;
    }
    crate::interrupt::watch();
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
            if crate::interrupt::interrupted() {
                break;
            }
        }
    }
    progress.finish();
    if training && done < dl.num_batches() {
        crate::interrupt::acknowledge();
        println!(
            "Interrupted: this epoch stopped after batch {done} of {}; its training loss and \
             rate cover those {samples} samples.",
            dl.num_batches()
        );
    }
    let n = samples as f64;
    Ok((
        loss_sum.f_double_value(&[])? / n,
        ncorrect.f_double_value(&[])? / n,
    ))
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

/// The experiments' loop without the table: `nepoch` epochs of [`train`] on `dl_l` and
/// [`evaluate`] on `dl_t` (loss summed over each batch). Returns the epoch log and the mean
/// seconds per epoch (train + evaluate), for notebooks that compare several runs.
///
/// Like the experiments' loop, it checks [`stop_requested`] after each epoch: a `STOP` file
/// ends this run (with a line saying so) and the next one starts normally; Kernel → Interrupt
/// ends this run and makes every later one in the same cell stop after its first batch.
pub fn fit(
    net: &impl Model,
    optimizer: &mut impl Optimizer,
    dl_l: &DataLoader,
    dl_t: &DataLoader,
    nepoch: usize,
) -> Result<(History, f64)> {
    if nepoch == 0 {
        return Err(Error::InvalidArgument(
            "nepoch must be at least 1 to train anything".into(),
        ));
    }
    let loss_func = CrossEntropyLoss::new(Reduction::Sum);
    let mut history = History::new();
    let start = std::time::Instant::now();
    for t in 1..=nepoch {
        let (loss_l, rate_l) = train(net, &loss_func, optimizer, dl_l)?;
        let (loss_t, rate_t) = evaluate(net, &loss_func, dl_t)?;
        history.push(t, loss_l, loss_t, rate_l, rate_t);
        if stop_requested() {
            println!("stopped after epoch {t}");
            break;
        }
    }
    let secs_per_epoch = start.elapsed().as_secs_f64() / history.len() as f64;
    Ok((history, secs_per_epoch))
}

/// The name of the file that asks a running training loop to stop (see [`stop_requested`]).
pub const STOP_FILE: &str = "STOP";

/// True when the notebook asked the training to stop: Kernel → Interrupt was chosen while the
/// cell ran (in the project's kernel; true from then to the end of the cell), or a file named
/// `STOP` exists in the kernel's working folder (a notebook's own folder; it is removed, so the
/// next run starts normally).
///
/// Check it once per epoch and `break`: the cell then goes on with the epochs done so far
/// (learning curves, final numbers), and every variable survives. An interrupt also ends the
/// running epoch of [`train`] early. The `STOP` file is for kernels without that: create it
/// with File → New → Text File, saved as `STOP` beside the notebook, or `touch STOP`.
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
    crate::interrupt::watch();
    if crate::interrupt::interrupted() {
        crate::interrupt::acknowledge();
        return true;
    }
    std::fs::remove_file(STOP_FILE).is_ok()
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
        // A cell that builds what it trains catches an interrupt from here on.
        crate::interrupt::watch();
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The flat operation chain (the CUDA path) and the CPU single pass take the same steps
    /// over several parameters, to float32 rounding.
    #[test]
    fn flat_tensor_ops_equal_the_single_pass() {
        let shapes: [&[i64]; 4] = [&[517, 300], &[517], &[10, 517], &[10]];
        let opts = (Kind::Float, tch::Device::Cpu);
        let start: Vec<Tensor> = shapes.iter().map(|s| Tensor::randn(*s, opts)).collect();
        let total = start.iter().map(|p| p.numel() as i64).sum::<i64>();
        let mut flat: Vec<Tensor> = start.iter().map(Tensor::copy).collect();
        let mut single: Vec<Tensor> = start.iter().map(Tensor::copy).collect();
        let [mut m, mut v] = [(); 2].map(|_| Tensor::zeros([total], opts));
        let [m1, v1] = [(); 2].map(|_| Tensor::zeros([total], opts));
        let (mut m1, mut v1) = (parts(&m1, &start).unwrap(), parts(&v1, &start).unwrap());
        for step in 1..=3 {
            let grads: Vec<Tensor> = shapes.iter().map(|s| Tensor::randn(*s, opts)).collect();
            let c = Coefficients::new(1e-3, 0.9, 0.999, 1e-8, step);
            adam_tensor_ops(&mut flat, &grads, &mut m, &mut v, &c).unwrap();
            for i in 0..start.len() {
                assert!(adam_cpu_single_pass(
                    &mut single[i],
                    &grads[i],
                    &mut m1[i],
                    &mut v1[i],
                    &c
                ));
            }
        }
        for (a, b) in flat.iter().zip(&single) {
            let a = Vec::<f32>::try_from(&a.flatten(0, -1)).unwrap();
            let b = Vec::<f32>::try_from(&b.flatten(0, -1)).unwrap();
            for (x, y) in a.iter().zip(&b) {
                let ulp = f32::from_bits(x.abs().max(y.abs()).to_bits() + 1) - x.abs().max(y.abs());
                assert!((x - y).abs() <= 4.0 * ulp + 1e-9, "{x} vs {y}");
            }
        }
        assert_ne!(flat[0].sum(Kind::Double), start[0].sum(Kind::Double));
    }
}
