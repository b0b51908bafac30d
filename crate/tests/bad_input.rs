//! Input a notebook can build that does not fit: each gets one message of the crate (what is
//! wrong and what to do), never a panic and never libtorch's C++ stack trace.

mod common;

use mnist_lab::*;
use tch::{Kind, Tensor};

fn images(n: i64) -> Tensor {
    Tensor::zeros([n, 784], (Kind::Float, tch::Device::Cpu))
}

fn dataset_error(labels: &[i64]) -> String {
    let n = labels.len() as i64;
    Dataset::new(images(n), Tensor::from_slice(labels), Device::Cpu)
        .unwrap_err()
        .to_string()
}

#[test]
fn labels_outside_the_digits_are_refused_when_the_dataset_is_made() {
    // Doubled labels (0-18), a negative one, and PyTorch's ignore index -100.
    let m = dataset_error(&[0, 2, 18]);
    assert!(
        m.contains("labels must be digits from 0 to 9, but one label is 18"),
        "{m}"
    );
    let m = dataset_error(&[3, -1, 4]);
    assert!(m.contains("one label is -1"), "{m}");
    let m = dataset_error(&[-100, 1]);
    assert!(m.contains("one label is -100"), "{m}");
    let m = Dataset::new(images(0), Tensor::from_slice::<i64>(&[]), Device::Cpu)
        .unwrap_err()
        .to_string();
    assert!(m.contains("at least one sample"), "{m}");
    // Valid labels: every digit counted once.
    let ds = Dataset::new(
        images(10),
        Tensor::arange(10, (Kind::Int64, tch::Device::Cpu)),
        Device::Cpu,
    )
    .unwrap();
    assert_eq!(ds.class_counts().unwrap(), vec![1; 10]);
}

/// libtorch's own message, one line, with what to do, and no C++ frames.
fn assert_one_clean_message(m: &str, first_line: &str) {
    assert!(m.contains(first_line), "{m}");
    for trace in [
        "Exception raised from",
        "frame #",
        ".cpp",
        "(most recent call first)",
    ] {
        assert!(
            !m.contains(trace),
            "libtorch's trace leaked ({trace:?}): {m}"
        );
    }
    assert!(m.lines().count() <= 3, "{m}");
}

#[test]
fn a_libtorch_error_keeps_its_first_line_and_drops_the_trace() {
    // A real libtorch failure: the loss of a label that has no output (10 of 10 classes).
    let logits = Tensor::zeros([2, 10], (Kind::Float, tch::Device::Cpu));
    let labels = Tensor::from_slice(&[1i64, 10]);
    let e = CrossEntropyLoss::new(Reduction::Sum)
        .forward(&logits, &labels)
        .unwrap_err();
    assert!(matches!(e, Error::Torch(_)), "{e}");
    let m = e.to_string();
    assert_one_clean_message(
        &m,
        "libtorch reported an error: Target 10 is out of bounds.",
    );
    assert!(m.contains("check them"), "{m}");
}

#[test]
fn a_network_too_large_for_memory_is_out_of_memory_with_advice() {
    // 784 × 100,000,000 float32 weights: 314 GB, more than any machine here has.
    let e = Mlp::new(&[784, 100_000_000, 10], Device::Cpu).unwrap_err();
    assert!(matches!(e, Error::OutOfMemory(_)), "{e}");
    let m = e.to_string();
    assert_one_clean_message(&m, "out of memory: ");
    assert!(m.contains("allocate"), "{m}");
    assert!(
        m.contains("smaller network") && m.contains("smaller batch size"),
        "{m}"
    );
}

#[test]
fn predict_checks_the_network_against_the_data() {
    let _rng = common::rng_lock();
    let ds = Dataset::new(
        images(5),
        Tensor::from_slice(&[0i64, 1, 2, 3, 4]),
        Device::Cpu,
    )
    .unwrap();
    let net = Mlp::new(&[100, 10], Device::Cpu).unwrap();
    let m = predict(&net, &ds).unwrap_err().to_string();
    assert!(
        m.contains("neurons = [100, 10] starts with 100, but each image has 784 inputs"),
        "{m}"
    );
    let net = Mlp::new(&[784, 10], Device::Cpu).unwrap();
    let pred = predict(&net, &ds).unwrap();
    let other = Dataset::new(images(3), Tensor::from_slice(&[0i64, 1, 2]), Device::Cpu).unwrap();
    let m = pred.mistakes_grid(&other, 4).unwrap_err().to_string();
    assert!(m.contains("these predictions are for 5 samples"), "{m}");
    assert_eq!(pred.confusion_matrix().total(), 5);
}

#[test]
fn shuffled_batches_gather_each_sample_once() {
    let _rng = common::rng_lock();
    seed(1);
    let labels = Tensor::arange(10, (Kind::Int64, tch::Device::Cpu));
    let images = labels.to_kind(Kind::Float).unsqueeze(1).repeat([1, 3]);
    let ds = Dataset::new(images, labels, Device::Cpu).unwrap();
    let dl = DataLoader::new(&ds, 4, true).unwrap();
    assert_eq!(dl.num_batches(), 3);
    let batches: Vec<(Tensor, Tensor)> = dl.batches().unwrap().map(Result::unwrap).collect();
    assert_eq!(
        batches.iter().map(|b| b.1.size()[0]).collect::<Vec<_>>(),
        [4, 4, 2]
    );
    let mut seen: Vec<i64> = batches
        .iter()
        .flat_map(|b| Vec::<i64>::try_from(&b.1).unwrap())
        .collect();
    // Each image row still belongs to its label.
    for (x, y) in &batches {
        assert!(x.select(1, 0).equal(&y.to_kind(Kind::Float)));
    }
    assert_ne!(seen, (0..10).collect::<Vec<_>>(), "not shuffled");
    seen.sort();
    assert_eq!(seen, (0..10).collect::<Vec<_>>());
}

/// A GPU asked for on a machine without one: one short message that says so and what to use,
/// not libtorch's list of backends (1.3 kB, with a line for "Facebook employees").
#[test]
fn a_gpu_that_is_not_there_is_named_as_such() {
    if tch::Cuda::is_available() {
        return;
    }
    let m = Mlp::new(&[784, 10], Device::Cuda(0))
        .unwrap_err()
        .to_string();
    assert!(m.starts_with("there is no usable GPU (CUDA) here"), "{m}");
    assert!(m.contains("Device::cuda_if_available()"), "{m}");
    assert!(m.len() < 300 && !m.contains("Facebook"), "{m}");
}

/// Sizes a caller chooses (pictures per row, a figure's width) that would overflow or take
/// unbounded memory: one message, before anything is allocated (an overflow panic before).
#[test]
fn a_drawing_too_large_to_make_is_refused_with_advice() {
    let grid = ImageGrid {
        title: "digits".into(),
        images: vec![vec![0.5; 784]; 3],
        captions: vec!["a".into(), "b".into(), "c".into()],
        cols: usize::MAX,
        limit: None,
    };
    let m = grid.to_png().unwrap_err().to_string();
    assert!(
        m.contains("a drawing of 4294967295 × 246 pixels cannot be made"),
        "{m}"
    );
    assert!(m.contains("put fewer things in one drawing"), "{m}");
    let mut figure = Figure::new(vec![]).unwrap();
    figure.width = 100_000;
    let m = figure.to_svg().unwrap_err().to_string();
    assert!(
        m.contains("a drawing of 100000 × 340 pixels cannot be made"),
        "{m}"
    );
    // The longest delay a GIF frame can have, not an overflow.
    let small = ImageGrid { cols: 3, ..grid };
    assert!(Animation::new(&[small], u32::MAX).is_ok());
}
