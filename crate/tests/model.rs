//! The MLP: parameter counts, PyTorch-identical initial weights, and invalid `neurons`.

mod common;

use mnist_lab::*;
use tch::{Kind, Tensor};

#[test]
fn parameter_counts() {
    let _rng = common::rng_lock();
    for (neurons, count) in [
        (vec![784, 10], 7_850),
        (vec![784, 1000, 10], 795_010),
        (vec![784, 1000, 1000, 10], 1_796_010),
        (vec![784, 100, 10], 79_510),
        (vec![784, 500, 500, 500, 10], 898_510),
    ] {
        let net = Mlp::new(&neurons, Device::Cpu).unwrap();
        assert_eq!(net.num_parameters(), count, "{neurons:?}");
        let counted: i64 = net.parameters().iter().map(|p| p.numel() as i64).sum();
        assert_eq!(counted, count);
    }
}

#[test]
fn initial_weights_equal_pytorch_bit_for_bit() {
    let _rng = common::rng_lock();
    let reference = common::torch_reference();
    seed(0);
    let small = Mlp::new(&[6, 5, 3], Device::Cpu).unwrap();
    for (i, p) in small.parameters().iter().enumerate() {
        assert_eq!(
            common::values(p),
            reference[&format!("small.init.{i}")],
            "parameter {i}"
        );
    }
    seed(0);
    let big = Mlp::new(&[784, 1000, 1000, 10], Device::Cpu).unwrap();
    for (i, p) in big.parameters().iter().enumerate() {
        let v = common::values(p);
        assert_eq!(
            v[..5],
            reference[&format!("big.init.{i}.first")][..],
            "parameter {i}"
        );
        assert_eq!(
            v[v.len() - 5..],
            reference[&format!("big.init.{i}.last")][..],
            "parameter {i}"
        );
        let sum: f64 = p
            .to_kind(tch::Kind::Double)
            .sum(tch::Kind::Double)
            .double_value(&[]);
        let want = reference[&format!("big.init.{i}.sum")][0];
        assert!(
            (sum - want).abs() < 1e-9,
            "parameter {i}: sum {sum} vs {want}"
        );
    }
}

#[test]
fn invalid_neurons_are_explained() {
    let _rng = common::rng_lock();
    let err = |n: &[i64]| Mlp::new(n, Device::Cpu).unwrap_err().to_string();
    let m = err(&[784]);
    assert!(
        m.starts_with("neurons = [784] is not a valid network: it needs at least two entries"),
        "{m}"
    );
    assert!(
        m.contains("e.g. [784, 10], [784, 1000, 10] or [784, 1000, 1000, 10]"),
        "{m}"
    );
    let m = err(&[784, 0, 10]);
    assert!(
        m.contains("entry 1 is 0, but every layer needs at least one neuron"),
        "{m}"
    );
    assert!(err(&[]).contains("at least two entries"));
}

#[test]
fn a_network_that_does_not_fit_the_data_is_explained() {
    let _rng = common::rng_lock();
    let (ds_l, _) = minimnist(Device::Cpu).unwrap();
    let dl = DataLoader::new(&ds_l, 100, false).unwrap();
    let loss_func = CrossEntropyLoss::new(Reduction::Sum);
    let net = Mlp::new(&[100, 10], Device::Cpu).unwrap();
    let m = evaluate(&net, &loss_func, &dl).unwrap_err().to_string();
    assert_eq!(m, "neurons = [100, 10] starts with 100, but each image has 784 inputs; make the first entry 784.");
    let net = Mlp::new(&[784, 1000, 9], Device::Cpu).unwrap();
    let mut opt = Adam::new(&net, 1e-3).unwrap();
    let m = train(&net, &loss_func, &mut opt, &dl)
        .unwrap_err()
        .to_string();
    assert_eq!(
        m,
        "neurons = [784, 1000, 9] ends with 9, but there are 10 classes (digits 0-9); make the last entry 10."
    );
}

/// A network of a student's own: only the three required methods of `Model`.
struct Linear {
    weight: Tensor,
    bias: Tensor,
}

impl Model for Linear {
    fn forward(&self, x: &Tensor) -> mnist_lab::Result<Tensor> {
        Ok(x.f_linear(&self.weight, Some(&self.bias))?)
    }
    fn parameters(&self) -> Vec<Tensor> {
        vec![self.weight.shallow_clone(), self.bias.shallow_clone()]
    }
    fn layers(&self) -> Vec<Layer> {
        let (outputs, inputs) = (self.weight.size()[0], self.weight.size()[1]);
        vec![Layer::new("Linear", &[inputs], &[outputs], 2)]
    }
}

fn linear(inputs: i64, outputs: i64) -> Linear {
    let opts = (Kind::Float, tch::Device::Cpu);
    Linear {
        weight: (Tensor::randn([outputs, inputs], opts) * 0.01).set_requires_grad(true),
        bias: Tensor::zeros([outputs], opts).set_requires_grad(true),
    }
}

#[test]
fn a_network_of_ones_own_trains_and_is_summarised_from_its_layers() {
    let _rng = common::rng_lock();
    let ds = Dataset::new(
        Tensor::rand([20, 784], (Kind::Float, tch::Device::Cpu)),
        Tensor::randint(10, [20], (Kind::Int64, tch::Device::Cpu)),
        Device::Cpu,
    )
    .unwrap();
    let dl = DataLoader::new(&ds, 10, false).unwrap();
    let loss_func = CrossEntropyLoss::new(Reduction::Sum);
    let net = linear(784, 10);
    assert_eq!(
        (net.name(), net.device(), net.num_parameters()),
        ("Linear".to_string(), Device::Cpu, 7850)
    );
    let mut optimizer = Adam::new(&net, 1e-2).unwrap();
    let before = evaluate(&net, &loss_func, &dl).unwrap();
    for _ in 0..5 {
        train(&net, &loss_func, &mut optimizer, &dl).unwrap();
    }
    let after = evaluate(&net, &loss_func, &dl).unwrap();
    assert!(after.loss < before.loss, "{before:?} -> {after:?}");
    let text = summary(&net, 1).to_string();
    assert!(
        text.contains("Total params: 7,850") && text.contains("Linear-1"),
        "{text}"
    );
    // The default check reads the layers: 9 outputs cannot be 10 classes.
    let m = evaluate(&linear(784, 9), &loss_func, &dl)
        .unwrap_err()
        .to_string();
    assert_eq!(
        m,
        "Linear takes 784 inputs and gives 9 classes, but the data has 784 inputs and 10 classes"
    );
}
