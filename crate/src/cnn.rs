//! A small convolutional network, to compare with the multilayer perceptron.

use crate::device::Device;
use crate::error::{Error, Result};
use crate::model::{kaiming_uniform_bound, torch_uniform, Layer, Model};
use tch::{nn, Tensor};

/// Side of an MNIST image in pixels.
const SIDE: i64 = 28;

/// Values the hidden layer sees: `channels` maps of 24 × 24 (two 3 × 3 convolutions without
/// padding take 2 pixels each off the side of 28).
fn flat_size(channels: i64) -> i64 {
    channels * (SIDE - 4) * (SIDE - 4)
}

/// The number of elements of a tensor of `shape`, when it fits in an i64.
fn element_count(shape: &[i64]) -> Option<i64> {
    shape.iter().try_fold(1i64, |n, &d| n.checked_mul(d))
}

/// Two 3 × 3 convolutions (no padding, stride 1) with ReLU, then a fully connected hidden layer
/// with ReLU and 10 outputs. The image shrinks from 28 × 28 to 26 × 26 to 24 × 24, so the
/// hidden layer sees `channels[1] × 24 × 24` values.
///
/// Initial weights follow PyTorch's `nn.Conv2d` and `nn.Linear` (uniform ±1/√fan_in, drawn on
/// the CPU generator in parameter order), so a seeded network equals PyTorch's.
///
/// ```no_run
/// # use mnist_lab::*;
/// let net = Cnn::new([4, 4], 128, Device::cuda_if_available())?;
/// assert_eq!(net.num_parameters(), 296_518);
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug)]
pub struct Cnn {
    vs: nn::VarStore,
    convs: Vec<(Tensor, Tensor)>,
    linears: Vec<(Tensor, Tensor)>,
    channels: [i64; 2],
    hidden: i64,
}

impl Cnn {
    /// The network with `channels` output channels for the two convolutions and `hidden`
    /// units in the fully connected layer; the course's exercise uses `[4, 4]` and 128.
    pub fn new(channels: [i64; 2], hidden: i64, device: Device) -> Result<Cnn> {
        if channels.iter().chain([&hidden]).any(|&n| n <= 0) {
            return Err(Error::InvalidArgument(format!(
                "Cnn::new({channels:?}, {hidden}) is not a valid network: every channel count \
                 and the hidden layer need at least 1, e.g. Cnn::new([4, 4], 128, device)"
            )));
        }
        let [c1, c2] = channels;
        let side = SIDE - 4;
        let weights = [[c1, 1, 3, 3], [c2, c1, 3, 3], [hidden, c2, side, side]];
        if weights.iter().any(|shape| element_count(shape).is_none()) {
            return Err(Error::InvalidArgument(format!(
                "Cnn::new({channels:?}, {hidden}) is far too large: its weights could not even be \
                 counted in 64 bits (the course's exercise uses Cnn::new([4, 4], 128, device))"
            )));
        }
        let vs = nn::VarStore::new(device.into());
        let root = vs.root();
        let add = |name: String, shape: &[i64], fan_in: i64| -> Result<(Tensor, Tensor)> {
            let w = torch_uniform(shape, kaiming_uniform_bound(fan_in))?;
            let b = torch_uniform(&shape[..1], 1.0 / (fan_in as f64).sqrt())?;
            let layer = root.sub(name);
            Ok((
                layer.add("weight", w.f_to_device(device.into())?, true),
                layer.add("bias", b.f_to_device(device.into())?, true),
            ))
        };
        let flat = flat_size(c2);
        let convs = vec![
            add("conv1".into(), &[c1, 1, 3, 3], 9)?,
            add("conv2".into(), &[c2, c1, 3, 3], c1 * 9)?,
        ];
        let linears = vec![
            add("fc1".into(), &[hidden, flat], flat)?,
            add("fc2".into(), &[10, hidden], hidden)?,
        ];
        Ok(Cnn {
            vs,
            convs,
            linears,
            channels,
            hidden,
        })
    }
}

impl Model for Cnn {
    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let mut h = x.f_view([-1, 1, SIDE, SIDE])?;
        for (w, b) in &self.convs {
            h = h
                .f_conv2d(w, Some(b), [1, 1], [0, 0], [1, 1], 1)?
                .f_relu()?;
        }
        let (w1, b1) = &self.linears[0];
        let (w2, b2) = &self.linears[1];
        Ok(h.f_flatten(1, -1)?
            .f_linear(w1, Some(b1))?
            .f_relu()?
            .f_linear(w2, Some(b2))?)
    }

    fn parameters(&self) -> Vec<Tensor> {
        self.convs
            .iter()
            .chain(&self.linears)
            .flat_map(|(w, b)| [w.shallow_clone(), b.shallow_clone()])
            .collect()
    }

    /// The two convolutions' channels and the hidden layer's size, e.g. `CNN(4, 4, 128)`.
    fn name(&self) -> String {
        format!(
            "CNN({}, {}, {})",
            self.channels[0], self.channels[1], self.hidden
        )
    }

    fn device(&self) -> Device {
        self.vs.device().into()
    }

    fn layers(&self) -> Vec<Layer> {
        let [c1, c2] = self.channels;
        let image = [1, SIDE, SIDE];
        let maps1 = [c1, SIDE - 2, SIDE - 2];
        let maps2 = [c2, SIDE - 4, SIDE - 4];
        let (flat, hidden) = ([flat_size(c2)], [self.hidden]);
        vec![
            Layer::new("Conv2d", &image, &maps1, 2),
            Layer::new("ReLU", &maps1, &maps1, 0),
            Layer::new("Conv2d", &maps1, &maps2, 2),
            Layer::new("ReLU", &maps2, &maps2, 0),
            Layer::new("Flatten", &maps2, &flat, 0),
            Layer::new("Linear", &flat, &hidden, 2),
            Layer::new("ReLU", &hidden, &hidden, 0),
            Layer::new("Linear", &hidden, &[10], 2),
        ]
    }
}
