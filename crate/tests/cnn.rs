//! The convolutional network and plain SGD: PyTorch's initial weights and outputs, the summary,
//! errors, and training through the same `train` / `evaluate`.

mod common;

use mnist_lab::*;
use tch::{Kind, Tensor};

#[test]
fn cnn_starts_from_pytorchs_weights_and_computes_its_outputs() {
    let _rng = common::rng_lock();
    let reference = common::torch_reference();
    seed(0);
    let net = Cnn::new([2, 3], 5, Device::Cpu).unwrap();
    let params = Model::parameters(&net);
    assert_eq!(params.len(), 8);
    for (i, p) in params.iter().enumerate() {
        let v = common::values(p);
        let n = 5.min(v.len());
        assert_eq!(
            v[..n],
            reference[&format!("cnn.init.{i}.first")][..],
            "parameter {i}"
        );
        let want = reference[&format!("cnn.init.{i}.sum")][0];
        assert!((v.iter().sum::<f64>() - want).abs() < 1e-9, "parameter {i}");
    }
    let images =
        (Tensor::arange(2 * 784, (Kind::Float, tch::Device::Cpu)).fmod(255) / 255.0).view([2, 784]);
    let out = common::values(&tch::no_grad(|| Model::forward(&net, &images).unwrap()));
    let want = &reference["cnn.forward"];
    assert_eq!(out.len(), 20);
    for (k, (o, w)) in out.iter().zip(want).enumerate() {
        assert!((o - w).abs() < 1e-5, "output {k}: {o} vs {w}");
    }
}

#[test]
fn cnn_summary_counts_its_parameters() {
    let _rng = common::rng_lock();
    let net = Cnn::new([4, 4], 128, Device::Cpu).unwrap();
    assert_eq!(net.num_parameters(), 296_518);
    assert_eq!(net.name(), "CNN(4, 4, 128)");
    let s = summary(&net, 1);
    let names: Vec<&str> = s.rows.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Conv2d-1",
            "ReLU-2",
            "Conv2d-3",
            "ReLU-4",
            "Flatten-5",
            "Linear-6",
            "ReLU-7",
            "Linear-8"
        ]
    );
    assert_eq!(s.rows[2].output_shape, [1, 4, 24, 24]);
    assert_eq!(s.rows.iter().map(|r| r.params).sum::<i64>(), 296_518);
    assert!(s.to_string().contains("Total params: 296,518"));
}

#[test]
fn bad_cnn_sizes_are_explained() {
    let e = Cnn::new([4, 0], 128, Device::Cpu).unwrap_err().to_string();
    assert!(
        e.contains("Cnn::new([4, 0], 128) is not a valid network"),
        "{e}"
    );
    // Sizes whose weights overflow an i64 (an overflow panic before).
    let e = Cnn::new([4, i64::MAX / 100], 128, Device::Cpu)
        .unwrap_err()
        .to_string();
    assert!(e.contains("is far too large"), "{e}");
}

#[test]
fn a_cnn_trains_with_the_same_functions() {
    let _rng = common::rng_lock();
    seed(0);
    let (ds_l, ds_t) = minimnist(Device::Cpu).unwrap();
    let dl_l = DataLoader::new(&ds_l, 100, false).unwrap();
    let dl_t = DataLoader::new(&ds_t, 100, false).unwrap();
    let loss_func = CrossEntropyLoss::new(Reduction::Sum);
    let net = Cnn::new([4, 4], 32, Device::Cpu).unwrap();
    let Metrics { loss: before, .. } = evaluate(&net, &loss_func, &dl_t).unwrap();
    let mut adam = Adam::new(&net, 1e-3).unwrap();
    let Metrics {
        accuracy: rate_l, ..
    } = train(&net, &loss_func, &mut adam, &dl_l).unwrap();
    let Metrics {
        loss: after,
        accuracy: rate_t,
    } = evaluate(&net, &loss_func, &dl_t).unwrap();
    assert!(after < before, "test loss {before} -> {after}");
    assert!(rate_l > 0.2 && rate_t > 0.5, "rates {rate_l} {rate_t}");
    assert_eq!(predict(&net, &ds_t).unwrap().accuracy(), rate_t);

    // A CNN needs 28 x 28 images.
    let tiny = Dataset::new(
        Tensor::zeros([3, 5], (Kind::Float, tch::Device::Cpu)),
        Tensor::zeros([3], (Kind::Int64, tch::Device::Cpu)),
        Device::Cpu,
    )
    .unwrap();
    let e = evaluate(&net, &loss_func, &DataLoader::new(&tiny, 2, false).unwrap()).unwrap_err();
    assert!(
        e.to_string().contains("CNN(4, 4, 32) takes 28 × 28 images"),
        "{e}"
    );
}

#[test]
fn one_sgd_step_moves_each_weight_by_minus_lr_times_its_gradient() {
    let _rng = common::rng_lock();
    let net = Mlp::new(&[6, 3], Device::Cpu).unwrap();
    let x = Tensor::ones([2, 6], (Kind::Float, tch::Device::Cpu));
    let lab = Tensor::from_slice(&[0i64, 2]);
    let mut sgd = Sgd::new(&net, 0.5).unwrap();
    let before: Vec<Vec<f64>> = net.parameters().iter().map(common::values).collect();
    sgd.zero_grad().unwrap();
    CrossEntropyLoss::new(Reduction::Sum)
        .forward(&net.forward(&x).unwrap(), &lab)
        .unwrap()
        .backward();
    let grads: Vec<Vec<f64>> = net
        .parameters()
        .iter()
        .map(|p| common::values(&p.grad()))
        .collect();
    sgd.step().unwrap();
    for (i, p) in net.parameters().iter().enumerate() {
        for (k, v) in common::values(p).iter().enumerate() {
            let want = (before[i][k] as f32 - (0.5f32 * grads[i][k] as f32)) as f64;
            assert_eq!(*v, want, "parameter {i} value {k}");
        }
    }
    assert!(Sgd::new(&net, -1.0)
        .unwrap_err()
        .to_string()
        .contains("try 0.001"));
}

/// minimnist's learning and test sets on the CPU, in batches of 500 (quick epochs for `fit`).
fn minimnist_in_batches_of_500() -> (DataLoader, DataLoader) {
    let (ds_l, ds_t) = minimnist(Device::Cpu).unwrap();
    (
        DataLoader::new(&ds_l, 500, false).unwrap(),
        DataLoader::new(&ds_t, 500, false).unwrap(),
    )
}

#[test]
fn fit_runs_the_experiment_loop() {
    let _rng = common::rng_lock();
    let (dl_l, dl_t) = minimnist_in_batches_of_500();
    seed(3);
    let net = Mlp::new(&[784, 10], Device::Cpu).unwrap();
    let run = fit(&net, &mut Sgd::new(&net, 1e-4).unwrap(), &dl_l, &dl_t, 2).unwrap();
    let (history, secs) = (run.history(), run.secs_per_epoch());
    assert_eq!(history.len(), 2);
    assert!(secs > 0.0);
    assert!(
        history.epochs[1].train.loss < history.epochs[0].train.loss,
        "{history}"
    );
    let e = fit(&net, &mut Sgd::new(&net, 1e-4).unwrap(), &dl_l, &dl_t, 0).unwrap_err();
    assert!(e.to_string().contains("nepoch must be at least 1"));
}
