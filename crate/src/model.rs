//! The networks: the multilayer perceptron built from a `neurons` list such as
//! `[784, 1000, 1000, 10]`, and what every network offers to `train`, `evaluate` and `summary`.

use crate::device::Device;
use crate::error::{Error, Result};
use tch::{nn, Kind, Tensor};

/// One layer of a network as a summary lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layer {
    /// Its type, e.g. `Linear`, `ReLU`, `Conv2d`.
    pub kind: &'static str,
    /// The shape of one sample going in, e.g. `[784]` or `[1, 28, 28]`.
    pub input_shape: Vec<i64>,
    /// The shape of one sample coming out.
    pub output_shape: Vec<i64>,
    /// How many of the network's `parameters()` belong to it, taken in order (a Linear layer
    /// has 2: weight and bias; a ReLU none).
    pub tensors: usize,
}

impl Layer {
    /// A layer of type `kind` taking `input_shape` to `output_shape` with `tensors` parameters.
    pub fn new(
        kind: &'static str,
        input_shape: &[i64],
        output_shape: &[i64],
        tensors: usize,
    ) -> Layer {
        Layer {
            kind,
            input_shape: input_shape.to_vec(),
            output_shape: output_shape.to_vec(),
            tensors,
        }
    }
}

/// What `train`, `evaluate`, `predict`, `summary` and the optimizers need from a network:
/// its outputs, its parameters and a description of its layers. Implemented by [`Mlp`] and
/// [`crate::Cnn`]; a network of your own needs the three required methods.
pub trait Model {
    /// The network's outputs (logits) for a batch of flattened images.
    ///
    /// # Shapes
    /// - `x`: `[batch, inputs]` (inputs = 784 for MNIST)
    /// - result: `[batch, classes]`
    fn forward(&self, x: &Tensor) -> Result<Tensor>;

    /// All its tensors, in PyTorch's `parameters()` order (frozen ones, with `requires_grad`
    /// false, included).
    fn parameters(&self) -> Vec<Tensor>;

    /// Its layers in order, which `parameters()` follows.
    fn layers(&self) -> Vec<Layer>;

    /// A short name for titles and tables, e.g. `[784, 1000, 10]` or `CNN(4, 4, 128)`; by
    /// default its layer types, e.g. `Linear-ReLU-Linear`.
    fn name(&self) -> String {
        let kinds: Vec<&str> = self.layers().iter().map(|l| l.kind).collect();
        kinds.join("-")
    }

    /// The device holding the parameters (the CPU for a network without any).
    fn device(&self) -> Device {
        self.parameters()
            .first()
            .map_or(Device::Cpu, |p| p.device().into())
    }

    /// Total number of values in its parameters.
    fn num_parameters(&self) -> i64 {
        self.parameters().iter().map(|p| p.numel() as i64).sum()
    }

    /// Checks that the network takes `n_inputs` values per sample and gives `n_classes`
    /// outputs; the error says how to fix the network. By default from [`Model::layers`].
    fn check_fits(&self, n_inputs: i64, n_classes: i64) -> Result<()> {
        let layers = self.layers();
        let (Some(first), Some(last)) = (layers.first(), layers.last()) else {
            return Err(Error::InvalidArgument(format!(
                "{} has no layers to compute with",
                self.name()
            )));
        };
        let takes: i64 = first.input_shape.iter().product();
        let gives: i64 = last.output_shape.iter().product();
        if takes == n_inputs && gives == n_classes {
            return Ok(());
        }
        let input = match &first.input_shape[..] {
            [n] => format!("{n} inputs"),
            [1, h, w] => format!("{h} × {w} images"),
            shape => format!("inputs of shape {shape:?}"),
        };
        Err(Error::InvalidArgument(format!(
            "{} takes {input} and gives {gives} classes, but the data has {n_inputs} inputs and \
             {n_classes} classes",
            self.name()
        )))
    }
}

/// A fully connected network: Linear layers with ReLU between them and none after the last
/// (the softmax lives in the cross-entropy loss).
///
/// Initial weights follow PyTorch's `nn.Linear` exactly: per layer, the weight and then the bias
/// are drawn uniformly from ±1/√fan_in on the CPU generator and then moved to the device, so
/// with the same [`crate::seed`] the parameters equal PyTorch's bit for bit.
///
/// ```no_run
/// # use mnist_lab::*;
/// let neurons = [784, 1000, 1000, 10];
/// let net = Mlp::new(&neurons, Device::cuda_if_available())?;
/// assert_eq!(net.num_parameters(), 1_796_010);
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug)]
pub struct Mlp {
    vs: nn::VarStore,
    layers: Vec<(Tensor, Tensor)>,
    neurons: Vec<i64>,
}

impl Mlp {
    /// Builds the network for `neurons` (inputs, hidden layer sizes..., outputs) on `device`.
    pub fn new(neurons: &[i64], device: Device) -> Result<Mlp> {
        check_neurons(neurons)?;
        let vs = nn::VarStore::new(device.into());
        let root = vs.root();
        let mut layers = Vec::new();
        for (i, pair) in neurons.windows(2).enumerate() {
            let (fan_in, fan_out) = (pair[0], pair[1]);
            let weight = torch_uniform(&[fan_out, fan_in], kaiming_uniform_bound(fan_in))?;
            let bias = torch_uniform(&[fan_out], 1.0 / (fan_in as f64).sqrt())?;
            let layer = root.sub(i);
            layers.push((
                layer.add("weight", weight.f_to_device(device.into())?, true),
                layer.add("bias", bias.f_to_device(device.into())?, true),
            ));
        }
        Ok(Mlp {
            vs,
            layers,
            neurons: neurons.to_vec(),
        })
    }

    /// The `neurons` list the network was built from.
    pub fn neurons(&self) -> &[i64] {
        &self.neurons
    }

    /// The Linear layers' `(weight [out, in], bias [out])` pairs, in order.
    pub fn linears(&self) -> &[(Tensor, Tensor)] {
        &self.layers
    }

    /// The underlying variable store (to save or load the weights with tch).
    pub fn var_store(&self) -> &nn::VarStore {
        &self.vs
    }
}

impl Model for Mlp {
    /// The network's outputs (logits) for a batch `x` of shape `[batch, neurons[0]]`.
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let last = self.layers.len() - 1;
        let mut h = x.shallow_clone();
        for (i, (w, b)) in self.layers.iter().enumerate() {
            h = h.f_linear(w, Some(b))?;
            if i < last {
                h = h.f_relu()?;
            }
        }
        Ok(h)
    }
    fn parameters(&self) -> Vec<Tensor> {
        self.layers
            .iter()
            .flat_map(|(w, b)| [w.shallow_clone(), b.shallow_clone()])
            .collect()
    }

    /// `Linear` layers with a `ReLU` after each but the last.
    fn layers(&self) -> Vec<Layer> {
        let n = &self.neurons;
        let mut layers = Vec::new();
        for (i, pair) in n.windows(2).enumerate() {
            layers.push(Layer::new("Linear", &pair[..1], &pair[1..], 2));
            if i + 2 < n.len() {
                layers.push(Layer::new("ReLU", &pair[1..], &pair[1..], 0));
            }
        }
        layers
    }

    /// The `neurons` list, e.g. `[784, 1000, 10]`.
    fn name(&self) -> String {
        format!("{:?}", self.neurons)
    }

    fn device(&self) -> Device {
        self.vs.device().into()
    }

    /// Says which entry of `neurons` to change.
    fn check_fits(&self, n_inputs: i64, n_classes: i64) -> Result<()> {
        check_fits(&self.neurons, n_inputs, n_classes)
    }
}

/// The bound of `kaiming_uniform_(w, a=√5)` as PyTorch computes it, operation for operation,
/// so that the same random numbers scale to the same floats.
pub(crate) fn kaiming_uniform_bound(fan_in: i64) -> f64 {
    let a = 5f64.sqrt();
    let gain = (2.0 / (1.0 + a.powi(2))).sqrt();
    let std = gain / (fan_in as f64).sqrt();
    3f64.sqrt() * std
}

/// `torch.empty(shape).uniform_(-bound, bound)` on the CPU generator.
pub(crate) fn torch_uniform(shape: &[i64], bound: f64) -> Result<Tensor> {
    let mut t = Tensor::f_empty(shape, (Kind::Float, tch::Device::Cpu))?;
    let _ = tch::no_grad(|| t.f_uniform_(-bound, bound))?;
    Ok(t)
}

fn check_neurons(neurons: &[i64]) -> Result<()> {
    let invalid = |why: &str| {
        Err(Error::InvalidArgument(format!(
            "neurons = {neurons:?} is not a valid network: {why}.\n\
             Give the number of inputs, any hidden layer sizes, and the number of classes, \
             e.g. [784, 10], [784, 1000, 10] or [784, 1000, 1000, 10]."
        )))
    };
    if neurons.len() < 2 {
        return invalid("it needs at least two entries (inputs and outputs)");
    }
    if let Some(i) = neurons.iter().position(|&n| n <= 0) {
        return invalid(&format!(
            "entry {i} is {}, but every layer needs at least one neuron",
            neurons[i]
        ));
    }
    Ok(())
}

/// Checks that `net` can take data of `n_inputs` values per sample on `device`, and gives one
/// output per class; the error says how to fix the network or the device.
pub(crate) fn check_takes(net: &impl Model, n_inputs: i64, device: Device) -> Result<()> {
    net.check_fits(n_inputs, crate::data::N_CLASSES)?;
    if device == net.device() {
        Ok(())
    } else {
        Err(Error::InvalidArgument(format!(
            "the network is on {} but the data is on {device}; create both with the same `device`",
            net.device()
        )))
    }
}

/// Checks that a network fits the data it is given: its first entry must equal the number of
/// inputs, its last the number of classes.
fn check_fits(neurons: &[i64], n_inputs: i64, n_classes: i64) -> Result<()> {
    let (first, last) = (neurons[0], neurons[neurons.len() - 1]);
    if first != n_inputs {
        return Err(Error::InvalidArgument(format!(
            "neurons = {neurons:?} starts with {first}, but each image has {n_inputs} inputs; \
             make the first entry {n_inputs}."
        )));
    }
    if last != n_classes {
        return Err(Error::InvalidArgument(format!(
            "neurons = {neurons:?} ends with {last}, but there are {n_classes} classes (digits 0-9); \
             make the last entry {n_classes}."
        )));
    }
    Ok(())
}
