//! Loss, Adam, train and evaluate: against PyTorch, a hand computation, and reproducibility.

mod common;

use mnist_lab::*;
use tch::{Kind, Tensor};

#[test]
fn adam_steps_equal_pytorch() {
    let _rng = common::rng_lock();
    let reference = common::torch_reference();
    seed(0);
    let net = Mlp::new(&[6, 5, 3], Device::Cpu).unwrap();
    let x = (Tensor::arange(24, (Kind::Float, tch::Device::Cpu)) / 24.0).view([4, 6]);
    let lab = Tensor::from_slice(&[0i64, 1, 2, 1]);
    let loss_func = CrossEntropyLoss::new(Reduction::Sum);
    let mut opt = Adam::new(&net, 1e-3).unwrap();
    for _ in 0..3 {
        let loss = loss_func.forward(&net.forward(&x).unwrap(), &lab).unwrap();
        opt.zero_grad().unwrap();
        loss.backward();
        opt.step().unwrap();
    }
    for (i, p) in net.parameters().iter().enumerate() {
        common::assert_close(
            &common::values(p),
            &reference[&format!("small.adam3.{i}")],
            &format!("parameter {i}"),
        );
    }
}

#[test]
fn evaluate_matches_a_hand_computation() {
    let _rng = common::rng_lock();
    // Logistic regression with 2 inputs; weights set by hand.
    let net = Mlp::new(&[2, 10], Device::Cpu).unwrap();
    let w: Vec<f32> = (0..20).map(|i| (i as f32 - 10.0) / 10.0).collect();
    let b: Vec<f32> = (0..10).map(|i| i as f32 / 20.0).collect();
    tch::no_grad(|| {
        let (mut weight, mut bias) = (
            net.linears()[0].0.shallow_clone(),
            net.linears()[0].1.shallow_clone(),
        );
        weight.copy_(&Tensor::from_slice(&w).view([10, 2]));
        bias.copy_(&Tensor::from_slice(&b));
    });
    let xs = [[0.5f32, -1.0], [1.0, 2.0], [0.0, 0.25]];
    let labels = [3i64, 9, 0];
    let ds = Dataset::new(
        Tensor::from_slice(&xs.concat()).view([3, 2]),
        Tensor::from_slice(&labels),
        Device::Cpu,
    )
    .unwrap();
    let dl = DataLoader::new(&ds, 2, false).unwrap();
    let Metrics {
        loss,
        accuracy: rate,
    } = evaluate(&net, &CrossEntropyLoss::new(Reduction::Sum), &dl).unwrap();

    let (mut want_loss, mut correct) = (0.0f64, 0);
    for (x, &lab) in xs.iter().zip(&labels) {
        let logits: Vec<f64> = (0..10)
            .map(|k| {
                w[2 * k] as f64 * x[0] as f64 + w[2 * k + 1] as f64 * x[1] as f64 + b[k] as f64
            })
            .collect();
        let max = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
        let log_sum_exp = max + logits.iter().map(|l| (l - max).exp()).sum::<f64>().ln();
        want_loss += log_sum_exp - logits[lab as usize];
        let argmax = (0..10)
            .max_by(|&a, &b| logits[a].total_cmp(&logits[b]))
            .unwrap();
        correct += (argmax as i64 == lab) as usize;
    }
    assert!(
        (loss - want_loss / 3.0).abs() < 1e-5,
        "{loss} vs {}",
        want_loss / 3.0
    );
    assert_eq!(rate, correct as f64 / 3.0);
}

fn short_run(seed_value: u64, epochs: usize) -> History {
    seed(seed_value);
    let (ds_l, ds_t) = minimnist(Device::Cpu).unwrap();
    let dl_l = DataLoader::new(&ds_l, 100, false).unwrap();
    let dl_t = DataLoader::new(&ds_t, 100, false).unwrap();
    let net = Mlp::new(&[784, 64, 10], Device::Cpu).unwrap();
    let loss_func = CrossEntropyLoss::new(Reduction::Sum);
    let mut optimizer = Adam::new(&net, 1e-3).unwrap();
    let mut history = History::new();
    for t in 1..=epochs {
        let Metrics {
            loss: loss_l,
            accuracy: rate_l,
        } = train(&net, &loss_func, &mut optimizer, &dl_l).unwrap();
        let Metrics {
            loss: loss_t,
            accuracy: rate_t,
        } = evaluate(&net, &loss_func, &dl_t).unwrap();
        history.push(
            t,
            Metrics {
                loss: loss_l,
                accuracy: rate_l,
            },
            Metrics {
                loss: loss_t,
                accuracy: rate_t,
            },
        );
    }
    history
}

#[test]
fn training_lowers_the_loss_and_the_same_seed_gives_the_same_log() {
    let _rng = common::rng_lock();
    let a = short_run(1, 3);
    let e = &a.epochs;
    assert!(
        e[2].train.loss < e[0].train.loss && e[2].test.loss < e[0].test.loss,
        "{a}"
    );
    assert!(e[2].test.accuracy > 0.85, "{a}");
    let b = short_run(1, 3);
    assert_eq!(a, b, "same seed, different log:\n{a}\n{b}");
    let c = short_run(2, 1);
    assert_ne!(a.epochs[0], c.epochs[0]);
}

#[test]
fn the_log_prints_the_course_table() {
    let mut h = History::new();
    let row = h.push(
        1,
        Metrics {
            loss: 0.902721,
            accuracy: 0.761,
        },
        Metrics {
            loss: 0.440981,
            accuracy: 0.864,
        },
    );
    assert_eq!(
        row.to_string(),
        "      1   0.90272   0.44098   0.7610   0.8640"
    );
    h.push(
        2,
        Metrics {
            loss: 0.35590,
            accuracy: 0.8924,
        },
        Metrics {
            loss: 0.33107,
            accuracy: 0.904,
        },
    );
    assert_eq!(
        h.to_string(),
        "# epoch     lossL     lossT    rateL    rateT\n      \
         1   0.90272   0.44098   0.7610   0.8640\n      \
         2   0.35590   0.33107   0.8924   0.9040\n"
    );
    // Every column ends under the end of its word, up to a 4-digit epoch.
    let mut long = History::new();
    let row = long
        .push(1000, h.epochs[0].train, h.epochs[0].test)
        .to_string();
    let ends = |line: &str| -> Vec<usize> {
        let mut ends: Vec<usize> = line
            .match_indices(|c: char| c != ' ')
            .map(|(i, _)| i)
            .collect();
        ends.retain(|&i| line[i + 1..].starts_with(' ') || i + 1 == line.len());
        ends
    };
    assert_eq!(ends(&row), ends(History::HEADER)[1..], "{row}");
}

#[test]
fn a_bad_learning_rate_is_explained() {
    let _rng = common::rng_lock();
    let net = Mlp::new(&[784, 10], Device::Cpu).unwrap();
    let m = Adam::new(&net, 0.0).unwrap_err().to_string();
    assert_eq!(
        m,
        "the learning rate must be a positive number, got 0; the course uses 1e-3"
    );
}

#[test]
fn out_of_memory_gets_advice() {
    let e: Error =
        tch::TchError::Torch("CUDA out of memory. Tried to allocate 20.00 GiB\nmore".into()).into();
    assert!(matches!(e, Error::OutOfMemory(_)));
    let m = e.to_string();
    assert!(
        m.starts_with("out of memory: CUDA out of memory. Tried to allocate 20.00 GiB\n"),
        "{m}"
    );
    assert!(
        m.contains("smaller network") && m.contains("smaller batch size"),
        "{m}"
    );
}

/// The GPU. The tests that call it are `#[ignore]`d, run only where a GPU is expected
/// (`scripts/gpu-run` passes `--include-ignored`): there, a CPU fallback is a failure.
fn gpu() -> Device {
    let device = Device::cuda_if_available();
    assert_ne!(
        device,
        Device::Cpu,
        "this test needs a GPU, but libtorch sees none (Device::cuda_if_available() = cpu)"
    );
    device
}

#[test]
#[ignore = "needs a GPU: scripts/gpu-run runs it with --include-ignored"]
fn cuda_smoke_test() {
    let _rng = common::rng_lock();
    let device = gpu();
    println!("device: {device}");
    let (ds_l, ds_t) = minimnist(device).unwrap();
    assert_eq!(ds_l.device(), device);
    let dl_l = DataLoader::new(&ds_l, 100, false).unwrap();
    let dl_t = DataLoader::new(&ds_t, 100, false).unwrap();
    let net = Mlp::new(&[784, 1000, 1000, 10], device).unwrap();
    let loss_func = CrossEntropyLoss::new(Reduction::Sum);
    let mut optimizer = Adam::new(&net, 1e-3).unwrap();
    let learn = train(&net, &loss_func, &mut optimizer, &dl_l).unwrap();
    let test = evaluate(&net, &loss_func, &dl_t).unwrap();
    println!(
        "{}",
        Epoch {
            epoch: 1,
            train: learn,
            test
        }
    );
    assert!(test.accuracy > 0.8);
}

/// The CPU single-pass update against libtorch's element-wise chain (PyTorch's
/// `_single_tensor_adam`), on tensors large enough for every vector width and several threads.
#[test]
fn single_pass_adam_equals_the_operation_chain() {
    let _rng = common::rng_lock();
    seed(7);
    let neurons = [300, 517, 10];
    let net = Mlp::new(&neurons, Device::Cpu).unwrap();
    let params: Vec<Tensor> = net.parameters().iter().map(|p| p.detach().copy()).collect();
    let mut m: Vec<Tensor> = params.iter().map(Tensor::zeros_like).collect();
    let mut v: Vec<Tensor> = params.iter().map(Tensor::zeros_like).collect();
    let mut reference = params;
    let mut opt = Adam::new(&net, 1e-3).unwrap();
    let (beta1, beta2, lr, eps) = (0.9f64, 0.999f64, 1e-3f64, 1e-8f64);
    for step in 1..=5 {
        // The same gradients for both: fresh random values each step.
        opt.zero_grad().unwrap();
        let x = Tensor::randn([64, 300], (Kind::Float, tch::Device::Cpu));
        let lab = Tensor::randint(10, [64], (Kind::Int64, tch::Device::Cpu));
        let loss = CrossEntropyLoss::new(Reduction::Sum)
            .forward(&net.forward(&x).unwrap(), &lab)
            .unwrap();
        loss.backward();
        let grads: Vec<Tensor> = net.parameters().iter().map(|p| p.grad().copy()).collect();
        opt.step().unwrap();

        let bc1 = 1.0 - beta1.powi(step);
        let bc2_sqrt = (1.0 - beta2.powi(step)).powf(0.5);
        for i in 0..reference.len() {
            let g = &grads[i];
            let _ = m[i].lerp_(g, 1.0 - beta1);
            let _ = v[i].g_mul_scalar_(beta2).addcmul_(&(g * (1.0 - beta2)), g);
            let denom = v[i].sqrt() / bc2_sqrt + eps;
            let _ = reference[i].addcdiv_(&(&m[i] * (-lr / bc1)), &denom);
        }
        for (i, p) in net.parameters().iter().enumerate() {
            common::assert_close(
                &common::values(p),
                &common::values(&reference[i]),
                &format!("step {step}, parameter {i}"),
            );
        }
    }
}

/// `train` hands autograd's gradients straight to `step_with`; that must take exactly the steps
/// of the PyTorch-style loop (`zero_grad`, `backward`, `step`), and leave frozen parameters alone.
#[test]
fn train_takes_the_steps_of_the_backward_loop() {
    let _rng = common::rng_lock();
    same_steps_as_the_backward_loop(|net| Adam::new(net, 1e-3).unwrap());
    same_steps_as_the_backward_loop(|net| Sgd::new(net, 1e-3).unwrap());
}

fn same_steps_as_the_backward_loop<O: Optimizer>(optimizer: impl Fn(&Mlp) -> O) {
    seed(5);
    let images = Tensor::rand([50, 20], (Kind::Float, tch::Device::Cpu));
    let labels = Tensor::randint(10, [50], (Kind::Int64, tch::Device::Cpu));
    let ds = Dataset::new(images, labels, Device::Cpu).unwrap();
    let dl = DataLoader::new(&ds, 10, false).unwrap();
    let loss_func = CrossEntropyLoss::new(Reduction::Sum);
    let [by_train, by_hand] = [(); 2].map(|_| {
        seed(6);
        let net = Mlp::new(&[20, 16, 10], Device::Cpu).unwrap();
        let _ = net.linears()[0].1.set_requires_grad(false);
        net
    });
    let before = net_values(&by_train);
    let (mut opt_train, mut opt_hand) = (optimizer(&by_train), optimizer(&by_hand));
    for _ in 0..2 {
        train(&by_train, &loss_func, &mut opt_train, &dl).unwrap();
        for batch in dl.batches().unwrap() {
            let (x, lab) = batch.unwrap();
            let loss = loss_func
                .forward(&by_hand.forward(&x).unwrap(), &lab)
                .unwrap();
            opt_hand.zero_grad().unwrap();
            loss.backward();
            opt_hand.step().unwrap();
        }
    }
    let after = net_values(&by_train);
    assert_eq!(after, net_values(&by_hand));
    assert_eq!(after[1], before[1], "the frozen bias changed");
    for i in [0, 2, 3] {
        assert_ne!(after[i], before[i], "parameter {i} did not change");
    }
}

fn net_values(net: &Mlp) -> Vec<Vec<f64>> {
    net.parameters().iter().map(common::values).collect()
}

#[test]
fn an_optimizer_of_another_network_is_refused() {
    let _rng = common::rng_lock();
    let ds = Dataset::new(
        Tensor::rand([4, 784], (Kind::Float, tch::Device::Cpu)),
        Tensor::from_slice(&[1i64, 2, 3, 4]),
        Device::Cpu,
    )
    .unwrap();
    let dl = DataLoader::new(&ds, 2, false).unwrap();
    let net = Mlp::new(&[784, 10], Device::Cpu).unwrap();
    let other = Mlp::new(&[784, 10], Device::Cpu).unwrap();
    let mut optimizer = Adam::new(&other, 1e-3).unwrap();
    let loss_func = CrossEntropyLoss::new(Reduction::Sum);
    let m = train(&net, &loss_func, &mut optimizer, &dl)
        .unwrap_err()
        .to_string();
    assert_eq!(
        m,
        "the optimizer was created for another network than [784, 10]; create it for this one, \
         e.g. `Adam::new(&net, 1e-3)?` after `let net = ...`"
    );
}

/// A gradient passed by hand may share memory with its parameter: the step must then be the
/// element-wise operations' (the first Adam step along g moves a value by -lr·g/(|g| + eps)).
#[test]
fn adam_accepts_a_gradient_that_is_its_parameter() {
    let _rng = common::rng_lock();
    let net = Mlp::new(&[300, 517, 10], Device::Cpu).unwrap();
    let before = net_values(&net);
    let mut optimizer = Adam::new(&net, 1e-3).unwrap();
    let grads: Vec<Tensor> = net.parameters().iter().map(Tensor::detach).collect();
    optimizer.step_with(&grads).unwrap();
    for (b, a) in before.iter().zip(net_values(&net)) {
        for (b, a) in b.iter().zip(a) {
            let want = b - 1e-3 * b / (b.abs() + 1e-8);
            assert!((a - want).abs() < 1e-8, "{a} vs {want} (was {b})");
        }
    }
    let m = optimizer.step_with(&grads[1..]).unwrap_err().to_string();
    assert!(
        m.contains("updates 4 parameters but got 3 gradients"),
        "{m}"
    );
}

/// Adam on the GPU (libtorch's operations over the flat moments) takes the CPU's steps.
#[test]
#[ignore = "needs a GPU: scripts/gpu-run runs it with --include-ignored"]
fn adam_on_the_gpu_equals_adam_on_the_cpu() {
    let _rng = common::rng_lock();
    let device = gpu();
    let nets = [Device::Cpu, device].map(|d| {
        seed(3);
        Mlp::new(&[300, 517, 10], d).unwrap()
    });
    let mut optimizers = nets.each_ref().map(|net| Adam::new(net, 1e-3).unwrap());
    for _ in 0..3 {
        let grads: Vec<Tensor> = nets[0]
            .parameters()
            .iter()
            .map(|p| Tensor::randn(p.size(), (Kind::Float, tch::Device::Cpu)))
            .collect();
        let on_gpu: Vec<Tensor> = grads.iter().map(|g| g.to_device(device.into())).collect();
        optimizers[0].step_with(&grads).unwrap();
        optimizers[1].step_with(&on_gpu).unwrap();
    }
    for (i, (a, b)) in net_values(&nets[0])
        .iter()
        .zip(net_values(&nets[1]))
        .enumerate()
    {
        common::assert_close(a, &b, &format!("parameter {i}"));
    }
}
