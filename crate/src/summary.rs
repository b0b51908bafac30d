//! A model summary in the style of torchsummary: layers, output shapes, parameter counts.

use crate::model::Model;
use crate::numbers::thousands;
use std::fmt;
use tch::Tensor;

/// One row of a [`Summary`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayerRow {
    /// Layer type and position, e.g. `Linear-1`, `ReLU-2`.
    pub name: String,
    /// Shape of the layer's output for the summary's batch size.
    pub output_shape: Vec<i64>,
    /// Number of parameters of the layer.
    pub params: i64,
}

/// The table printed by [`summary`].
#[derive(Debug, Clone, PartialEq)]
pub struct Summary {
    /// One row per layer, in order.
    pub rows: Vec<LayerRow>,
    /// All parameters.
    pub total_params: i64,
    /// Parameters the optimizer changes (`requires_grad`).
    pub trainable_params: i64,
    /// Batch size used for the shapes and sizes.
    pub batch_size: i64,
    /// Number of input values per sample.
    pub n_inputs: i64,
}

/// Summarises `net` for batches of `batch_size` samples, like `torchsummary.summary`: each
/// layer's output shape and parameters (counted from the tensors themselves), the trainable
/// and frozen totals, and the memory of one pass (-1, torchsummary's default, stands for any
/// batch size and counts as one sample).
///
/// ```no_run
/// # use mnist_lab::*;
/// let net = Mlp::new(&[784, 1000, 1000, 10], Device::cuda_if_available())?;
/// println!("{}", summary(&net, 1));   // ... Total params: 1,796,010 ...
/// # Ok::<(), Error>(())
/// ```
pub fn summary(net: &impl Model, batch_size: i64) -> Summary {
    let layers = net.layers();
    let params = net.parameters();
    let numel = |p: &Tensor| p.numel() as i64;
    let mut tensors = params.iter();
    let rows = layers
        .iter()
        .enumerate()
        .map(|(i, layer)| LayerRow {
            name: format!("{}-{}", layer.kind, i + 1),
            output_shape: [batch_size]
                .into_iter()
                .chain(layer.output_shape.iter().copied())
                .collect(),
            params: tensors.by_ref().take(layer.tensors).map(numel).sum(),
        })
        .collect();
    Summary {
        rows,
        total_params: params.iter().map(numel).sum(),
        trainable_params: params.iter().filter(|p| p.requires_grad()).map(numel).sum(),
        batch_size,
        n_inputs: layers.first().map_or(0, |l| l.input_shape.iter().product()),
    }
}

/// Megabytes (MiB, as torchsummary) of the float32 values of a tensor of `shape` (in floating
/// point, so that no batch size overflows; a batch size of -1, torchsummary's "any", counts 1).
fn mb(shape: impl IntoIterator<Item = i64>) -> f64 {
    let n: f64 = shape.into_iter().map(|d| d as f64).product();
    n.abs() * 4.0 / (1024.0 * 1024.0)
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let line = "-".repeat(64);
        let double = "=".repeat(64);
        writeln!(f, "{line}")?;
        writeln!(
            f,
            "{:>20}  {:>25} {:>15}",
            "Layer (type)", "Output Shape", "Param #"
        )?;
        writeln!(f, "{double}")?;
        for r in &self.rows {
            writeln!(
                f,
                "{:>20}  {:>25} {:>15}",
                r.name,
                format!("{:?}", r.output_shape),
                thousands(r.params)
            )?;
        }
        writeln!(f, "{double}")?;
        writeln!(f, "Total params: {}", thousands(self.total_params))?;
        writeln!(f, "Trainable params: {}", thousands(self.trainable_params))?;
        writeln!(
            f,
            "Non-trainable params: {}",
            thousands(self.total_params - self.trainable_params)
        )?;
        writeln!(f, "{line}")?;
        let input = mb([self.batch_size, self.n_inputs]);
        // Outputs are kept for the backward pass, which stores a gradient of the same size.
        let activations = 2.0
            * self
                .rows
                .iter()
                .map(|r| mb(r.output_shape.iter().copied()))
                .sum::<f64>();
        let params = mb([self.total_params]);
        writeln!(f, "Input size (MB): {input:.2}")?;
        writeln!(f, "Forward/backward pass size (MB): {activations:.2}")?;
        writeln!(f, "Params size (MB): {params:.2}")?;
        writeln!(
            f,
            "Estimated Total Size (MB): {:.2}",
            input + activations + params
        )?;
        write!(f, "{line}")
    }
}
