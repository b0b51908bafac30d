//! Weight pictures, predictions, mistakes and the confusion matrix.

mod common;

use mnist_lab::*;

#[test]
fn weight_maps_show_each_units_incoming_weights() {
    let _rng = common::rng_lock();
    seed(0);
    let net = Mlp::new(&[784, 10], Device::Cpu).unwrap();
    let maps = weight_maps(&net, 0, 16, "weights").unwrap();
    assert_eq!(
        maps.images.len(),
        10,
        "a [784, 10] network has 10 output units"
    );
    assert_eq!(maps.captions[3], "digit 3");
    let w = common::values(&net.linears()[0].0);
    assert_eq!(maps.images[3].len(), 784);
    assert_eq!(maps.images[3][5] as f64, w[3 * 784 + 5]);
    let largest = w.iter().fold(0f64, |m, v| m.max(v.abs()));
    assert_eq!(maps.limit, Some(largest as f32));
    assert!(maps.to_png().unwrap().starts_with(b"\x89PNG"));

    let hidden = Mlp::new(&[784, 100, 10], Device::Cpu).unwrap();
    let maps = weight_maps(&hidden, 0, 16, "first layer").unwrap();
    assert_eq!(
        (maps.images.len(), maps.captions[15].as_str()),
        (16, "unit 15")
    );
    let e = weight_maps(&hidden, 1, 16, "x").unwrap_err().to_string();
    assert!(
        e.contains("layer 1 of [784, 100, 10] has 100 inputs, not 784 pixels"),
        "{e}"
    );
    let e = weight_maps(&hidden, 2, 16, "x").unwrap_err().to_string();
    assert!(e.contains("layer 2 does not exist"), "{e}");
}

#[test]
fn an_animation_is_a_gif_of_equal_frames() {
    let _rng = common::rng_lock();
    let net = Mlp::new(&[784, 10], Device::Cpu).unwrap();
    let frame = |t: &str| weight_maps(&net, 0, 10, t).unwrap();
    let anim = Animation::new(&[frame("epoch 1"), frame("epoch 2")], 500).unwrap();
    assert!(anim.gif.starts_with(b"GIF89a"), "not a GIF");
    let mut small = frame("small");
    small.images.truncate(5);
    small.captions.truncate(5);
    let e = Animation::new(&[frame("a"), small], 500)
        .unwrap_err()
        .to_string();
    assert!(e.contains("same size"), "{e}");
    assert!(Animation::new(&[], 500).is_err());
}

#[test]
fn predictions_confusion_matrix_and_mistakes_agree_with_evaluate() {
    let _rng = common::rng_lock();
    seed(1);
    let (ds_l, ds_t) = minimnist(Device::Cpu).unwrap();
    let net = Mlp::new(&[784, 100, 10], Device::Cpu).unwrap();
    let loss_func = CrossEntropyLoss::new(Reduction::Sum);
    let mut opt = Adam::new(&net, 1e-3).unwrap();
    train(
        &net,
        &loss_func,
        &mut opt,
        &DataLoader::new(&ds_l, 100, false).unwrap(),
    )
    .unwrap();
    let Metrics { accuracy: rate, .. } = evaluate(
        &net,
        &loss_func,
        &DataLoader::new(&ds_t, 100, false).unwrap(),
    )
    .unwrap();

    let pred = predict(&net, &ds_t).unwrap();
    assert_eq!(pred.len(), 1000);
    assert_eq!(pred.accuracy(), rate);
    let cm = pred.confusion_matrix();
    assert_eq!(cm.total(), 1000);
    assert_eq!(cm.accuracy(), rate);
    let per_class = cm.per_class();
    let counts = ds_t.class_counts().unwrap();
    for d in 0..10 {
        assert_eq!(per_class[d].0 as usize, counts[d], "digit {d}");
    }
    let table = cm.to_string();
    assert!(
        table.starts_with("digit  samples  correct  accuracy"),
        "{table}"
    );
    assert!(
        table.trim_end().ends_with(&format!("{:8.4}", rate)),
        "{table}"
    );

    let wrong = pred.mistakes();
    assert_eq!(wrong.len(), ((1.0 - rate) * 1000.0).round() as usize);
    assert!(wrong
        .iter()
        .all(|&i| pred.labels()[i] != pred.predicted()[i]));
    assert!(wrong
        .windows(2)
        .all(|w| pred.probability()[w[0]] >= pred.probability()[w[1]]));
    let grid = pred.mistakes_grid(&ds_t, 24).unwrap();
    assert_eq!(grid.images.len(), 24.min(wrong.len()));
    let i = wrong[0];
    assert_eq!(
        grid.captions[0],
        format!(
            "{} → {} ({:.2})",
            pred.labels()[i],
            pred.predicted()[i],
            pred.probability()[i]
        )
    );
    let path = common::temp_dir("inspect").join("confusion.png");
    cm.figure("confusion").save(&path).unwrap();
    assert!(std::fs::read(&path).unwrap().starts_with(b"\x89PNG"));
}

/// Pictures and animations are encoded in memory: files or folders that another user of a
/// shared machine plants at the temporary paths the crate used to write through
/// (`/tmp/mnist_lab-PID-N.png`) neither break them nor get written to.
#[test]
fn pictures_do_not_go_through_temporary_files() {
    let planted: Vec<_> = (0..64)
        .flat_map(|n| ["png", "gif"].map(|ext| (n, ext)))
        .map(|(n, ext)| {
            std::env::temp_dir().join(format!("mnist_lab-{}-{n}.{ext}", std::process::id()))
        })
        .collect();
    for path in &planted {
        std::fs::create_dir_all(path).unwrap();
    }
    let grid = ImageGrid {
        title: "digits".into(),
        images: vec![vec![0.5; 784]; 2],
        captions: vec!["a".into(), "b".into()],
        cols: 2,
        limit: None,
    };
    let png = grid.to_png();
    let gif = Animation::new(&[grid.clone(), grid], 100);
    for path in &planted {
        let _ = std::fs::remove_dir(path);
    }
    assert!(png.unwrap().starts_with(b"\x89PNG"));
    assert!(gif.unwrap().gif.starts_with(b"GIF89a"));
}
