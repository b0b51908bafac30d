//! The MLP: parameter counts, PyTorch-identical initial weights, and invalid `neurons`.

mod common;

use mnist_lab::*;

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
