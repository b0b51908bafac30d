//! What the student sees: the model summary and the learning-curve figure.

use mnist_lab::*;

#[test]
fn summary_of_the_three_layer_net() {
    let net = Mlp::new(&[784, 1000, 1000, 10], Device::Cpu).unwrap();
    let text = summary(&net, 1).to_string();
    let expected_rows = [
        ("Linear-1", "[1, 1000]", "785,000"),
        ("ReLU-2", "[1, 1000]", "0"),
        ("Linear-3", "[1, 1000]", "1,001,000"),
        ("ReLU-4", "[1, 1000]", "0"),
        ("Linear-5", "[1, 10]", "10,010"),
    ];
    for (name, shape, params) in expected_rows {
        let line = text
            .lines()
            .find(|l| l.trim_start().starts_with(name))
            .unwrap_or_else(|| panic!("{name} in\n{text}"));
        assert_eq!(
            line.split_whitespace().collect::<Vec<_>>().join(" "),
            format!("{name} {shape} {params}")
        );
    }
    assert!(
        text.contains(
            "Total params: 1,796,010\nTrainable params: 1,796,010\nNon-trainable params: 0\n"
        ),
        "{text}"
    );
    assert!(text.contains("Params size (MB): 6.85"), "{text}");
    let logistic = summary(&Mlp::new(&[784, 10], Device::Cpu).unwrap(), 100).to_string();
    assert!(
        logistic.contains("[100, 10]") && logistic.contains("Total params: 7,850"),
        "{logistic}"
    );
    assert!(!logistic.contains("ReLU"));
}

fn history() -> History {
    let mut h = History::new();
    for t in 1..=5 {
        let f = t as f64;
        h.push(
            t,
            Metrics {
                loss: 1.0 / f,
                accuracy: 0.9 + 0.02 * f,
            },
            Metrics {
                loss: 0.5 + 0.01 * f,
                accuracy: 0.9 + 0.01 * f,
            },
        );
    }
    h
}

#[test]
fn the_figure_has_both_panels_and_legends() {
    let fig = learning_curves(
        &history(),
        "[784, 1000, 1000, 10]",
        (-0.05, 1.0),
        (0.8, 1.025),
    )
    .unwrap();
    let svg = fig.to_svg().unwrap();
    assert!(svg.starts_with("<svg"), "{}", &svg[..100]);
    for text in [
        "loss (network = [784, 1000, 1000, 10])",
        "accuracy (network = [784, 1000, 1000, 10])",
        "loss for training data",
        "loss for test data",
        "accuracy for training data",
        "accuracy for test data",
    ] {
        assert!(svg.contains(text), "missing {text:?}");
    }
    // Train blue and test orange, as matplotlib draws them.
    assert!(svg.contains("#1F77B4") && svg.contains("#FF7F0E"));
}

#[test]
fn the_figure_saves_as_svg_and_png() {
    let fig = learning_curves(&history(), "[784, 10]", (-0.05, 1.0), (0.8, 1.025)).unwrap();
    let dir = std::env::temp_dir().join(format!("mnist_lab_fig_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    fig.save(dir.join("c.svg")).unwrap();
    fig.save(dir.join("c.png")).unwrap();
    assert!(std::fs::read_to_string(dir.join("c.svg"))
        .unwrap()
        .contains("loss (network = [784, 10])"));
    assert_eq!(&std::fs::read(dir.join("c.png")).unwrap()[1..4], b"PNG");
    let m = fig.save(dir.join("c.jpg")).unwrap_err().to_string();
    assert!(m.ends_with("the file name must end in .svg or .png"), "{m}");
}

#[test]
fn an_empty_log_or_a_bad_range_is_explained() {
    let m = learning_curves(&History::new(), "[784, 10]", (-0.05, 1.0), (0.8, 1.025))
        .unwrap_err()
        .to_string();
    assert!(
        m.contains("train for at least one epoch (nepoch >= 1)"),
        "{m}"
    );
    let m = learning_curves(&history(), "[784, 10]", (1.0, 0.0), (0.8, 1.025))
        .unwrap_err()
        .to_string();
    assert!(m.contains("the low end below the high end"), "{m}");
}

/// Limits and x values that would have no end of ticks (the drawing used to hang on an infinite
/// y-limit, and to overflow on whole-number x values near 1e20) are refused with a message,
/// also when the figure was built from its public fields.
#[test]
fn infinite_limits_and_huge_ranges_are_refused_or_drawn() {
    let m = learning_curves(&history(), "x", (0.0, f64::INFINITY), (0.8, 1.0))
        .unwrap_err()
        .to_string();
    assert!(m.contains("give two finite numbers"), "{m}");
    let mut fig = learning_curves(&history(), "x", (0.0, 1.0), (0.8, 1.0)).unwrap();
    fig.panels[0].ylim = (f64::NAN, 1.0);
    let m = fig.to_svg().unwrap_err().to_string();
    assert!(
        m.contains("the y-range of panel 'loss (network = x)' is (NaN, 1.0)"),
        "{m}"
    );
    let points = |x: f64| vec![Series::line("a", vec![(0.0, 0.5), (x, 0.5)])];
    let panel = |series| Panel {
        title: "t".into(),
        x_label: "x".into(),
        y_label: "y".into(),
        ylim: (0.0, 1.0),
        hline: None,
        series,
    };
    let m = Figure::new(vec![panel(points(f64::INFINITY))])
        .unwrap_err()
        .to_string();
    assert!(
        m.contains("has a point at x = inf; every x must be a finite number"),
        "{m}"
    );
    // Whole numbers far apart: drawn, with at most 10 ticks.
    assert!(Figure::new(vec![panel(points(1e20))])
        .unwrap()
        .to_svg()
        .is_ok());
}

/// Values outside the y-range are not pinned to the panel's edge (matplotlib draws no dot
/// there), and the epoch axis has whole-number ticks only, also after one epoch.
#[test]
fn points_outside_the_range_get_no_dot_and_epochs_whole_ticks() {
    let texts = |svg: &str| -> Vec<String> {
        svg.split("<text")
            .skip(1)
            .map(|t| {
                t[t.find('>').unwrap() + 1..t.find("</text>").unwrap()]
                    .trim()
                    .to_string()
            })
            .collect()
    };
    let mut one = History::new();
    // Logistic regression's first epoch: lossL 1.575 above the loss range, rateL 0.689 below
    // the accuracy range; the test values inside.
    one.push(
        1,
        Metrics {
            loss: 1.575,
            accuracy: 0.689,
        },
        Metrics {
            loss: 0.6,
            accuracy: 0.85,
        },
    );
    let svg = learning_curves(&one, "[784, 10]", (-0.05, 1.0), (0.8, 1.025))
        .unwrap()
        .to_svg()
        .unwrap();
    assert_eq!(
        svg.matches("<circle").count(),
        2,
        "only the two test points"
    );
    // But the two training points are not hidden: an arrowhead marks each at the edge it lies
    // beyond (and its legend entry says "(↑ 1 off scale)", drawn as outlines).
    assert_eq!(
        svg.matches("<polygon").count(),
        2,
        "one arrowhead per hidden point"
    );
    let labels = texts(&svg);
    // One epoch tick per panel, "1"; no "1.0" or "1.5" on the epoch axis (the only decimal
    // labels are the y axes', which hold 1.0 once per panel).
    assert_eq!(labels.iter().filter(|t| *t == "1").count(), 2, "{labels:?}");
    assert!(!labels.iter().any(|t| t == "1.5"), "{labels:?}");
    assert_eq!(
        labels.iter().filter(|t| *t == "1.0").count(),
        2,
        "{labels:?}"
    );
    let mut fifty = History::new();
    for t in 1..=50 {
        fifty.push(
            t,
            Metrics {
                loss: 0.1,
                accuracy: 0.95,
            },
            Metrics {
                loss: 0.1,
                accuracy: 0.95,
            },
        );
    }
    let svg = learning_curves(&fifty, "[784, 10]", (-0.05, 1.0), (0.8, 1.025))
        .unwrap()
        .to_svg()
        .unwrap();
    let labels = texts(&svg);
    for tick in ["10", "20", "30", "40", "50"] {
        assert_eq!(
            labels.iter().filter(|t| *t == tick).count(),
            2,
            "{labels:?}"
        );
    }
    assert!(
        !labels.iter().any(|t| t == "2.5" || t == "7.5"),
        "{labels:?}"
    );
}

#[test]
fn the_summary_counts_frozen_parameters_and_takes_any_input_size() {
    let net = Mlp::new(&[20, 16, 10], Device::Cpu).unwrap();
    let _ = net.linears()[0].0.set_requires_grad(false);
    let s = summary(&net, 4);
    assert_eq!(s.total_params, 20 * 16 + 16 + 16 * 10 + 10);
    assert_eq!(s.trainable_params, s.total_params - 20 * 16);
    assert_eq!(s.n_inputs, 20);
    let rows: Vec<(&str, &[i64], i64)> = s
        .rows
        .iter()
        .map(|r| (r.name.as_str(), &r.output_shape[..], r.params))
        .collect();
    assert_eq!(
        rows,
        [
            ("Linear-1", &[4, 16][..], 336),
            ("ReLU-2", &[4, 16][..], 0),
            ("Linear-3", &[4, 10][..], 170)
        ]
    );
    let text = s.to_string();
    assert!(
        text.contains("Trainable params: 186\nNon-trainable params: 320\n"),
        "{text}"
    );
    // 4 samples of 20 float32 inputs.
    assert!(text.contains("Input size (MB): 0.00"), "{text}");
    let wide = summary(&Mlp::new(&[100_000, 10], Device::Cpu).unwrap(), 10);
    assert!(wide.to_string().contains("Input size (MB): 3.81"), "{wide}");
    // A batch size whose sizes do not fit in an i64 (an overflow panic before), and
    // torchsummary's -1 for "any batch size".
    let huge = summary(&net, i64::MAX).to_string();
    assert!(
        huge.contains("Input size (MB): 703687441776640.00"),
        "{huge}"
    );
    let any = summary(&net, -1).to_string();
    assert!(
        any.contains("[-1, 16]") && any.contains("Params size (MB): 0.00"),
        "{any}"
    );
}

/// A one-panel figure with this title, x and y labels and series label.
fn titled(title: &str, x_label: &str, y_label: &str, label: &str) -> Figure {
    Figure::new(vec![Panel {
        title: title.into(),
        x_label: x_label.into(),
        y_label: y_label.into(),
        ylim: (0.0, 1.0),
        hline: None,
        series: vec![Series::line(label, vec![(1.0, 0.2), (2.0, 0.5)])],
    }])
    .unwrap()
}

/// The RGB pixels of a PNG file (RGB or RGBA), its width and its height.
fn pixels(path: &std::path::Path) -> (Vec<u8>, usize, usize) {
    let decoder = png::Decoder::new(std::fs::File::open(path).unwrap());
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).unwrap();
    buf.truncate(info.buffer_size());
    let rgb = match info.color_type {
        png::ColorType::Rgb => buf,
        png::ColorType::Rgba => buf.chunks(4).flat_map(|p| p[..3].to_vec()).collect(),
        other => panic!("{}: {other:?} pixels", path.display()),
    };
    (rgb, info.width as usize, info.height as usize)
}

/// The rows `rows` of an RGB picture of `width` pixels.
fn band(rgb: &[u8], width: usize, rows: std::ops::Range<usize>) -> &[u8] {
    &rgb[rows.start * width * 3..rows.end * width * 3]
}

#[test]
fn japanese_text_is_drawn_with_real_glyphs_in_png_and_svg() {
    let dir = std::env::temp_dir().join(format!("mnist_lab_cjk_{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let japanese = titled(
        "実験1：損失",
        "エポック（回）",
        "損失（交差エントロピー）",
        "訓練データの損失",
    );
    japanese.save(dir.join("ja.png")).unwrap();
    // Characters no font has: drawn as the font's empty box (.notdef), as garbled text is.
    titled("\u{e000}\u{e001}1\u{e002}\u{e003}\u{e004}", "x", "y", "y")
        .save(dir.join("boxes.png"))
        .unwrap();
    titled("実実1実実実", "x", "y", "y")
        .save(dir.join("same.png"))
        .unwrap();
    let (ja, width, height) = pixels(&dir.join("ja.png"));
    let (boxes, _, _) = pixels(&dir.join("boxes.png"));
    let (same, _, _) = pixels(&dir.join("same.png"));
    // For print: three times the figure's size on screen.
    assert_eq!((width, height), (3 * 480, 3 * 340));
    // The title is in the top 90 rows: inked, and not boxes; and its characters differ from
    // each other (boxes, or one glyph for all, would not).
    let title = |rgb| band(rgb, width, 0..90).to_vec();
    assert!(title(&ja).iter().any(|&v| v < 100), "no ink in the title");
    assert_ne!(
        title(&ja),
        title(&boxes),
        "the title is drawn as empty boxes"
    );
    assert_ne!(
        title(&ja),
        title(&same),
        "all characters of the title look alike"
    );

    let svg = japanese.to_svg().unwrap();
    // No <text> holds the Japanese (a browser without a Japanese font would draw boxes); each
    // text is a path of its glyphs' outlines, titled with the text.
    for text in svg.split("<text").skip(1) {
        let content = &text[text.find('>').unwrap()..text.find("</text>").unwrap()];
        assert!(content.is_ascii(), "a <text> with Japanese: {content}");
    }
    for words in [
        "実験1：損失",
        "エポック（回）",
        "損失（交差エントロピー）",
        "訓練データの損失",
    ] {
        let at = svg
            .find(&format!("<title>{words}</title>"))
            .unwrap_or_else(|| panic!("{words} not in the SVG"));
        let path = &svg[svg[..at].rfind("<path d=\"").unwrap()..at];
        let segments = path.matches(['L', 'Q', 'C']).count();
        assert!(
            segments > 20 * words.chars().count() / 2,
            "{words}: {segments} segments"
        );
        // The y label stands up the axis, as its text would.
        let turned = path.contains("transform=\"rotate(270");
        assert_eq!(turned, words.starts_with("損失（"), "{words}: {path:.200}");
    }
    // Text DejaVu covers stays text, as before.
    assert!(titled("loss", "epoch", "cross-entropy", "train")
        .to_svg()
        .unwrap()
        .contains(">\nloss\n</text>"));
}

/// A run whose loss became NaN (a learning rate far too large) says so: the epoch it diverged
/// at, in the loss panel's title (and in a line before its table row).
#[test]
fn a_diverged_run_is_named_in_the_figure() {
    let mut h = history();
    assert_eq!(h.diverged_at(), None);
    let nan = Metrics {
        loss: f64::NAN,
        accuracy: 0.085,
    };
    h.push(6, nan, nan);
    h.push(7, nan, nan);
    assert_eq!(h.diverged_at(), Some(6));
    let fig = learning_curves(&h, "[784, 10]", (-0.05, 1.0), (0.8, 1.025)).unwrap();
    assert_eq!(
        fig.panels[0].title,
        "loss (network = [784, 10]), diverged at epoch 6"
    );
    assert!(fig.to_svg().is_ok());
}

/// A range around zero had a tick labelled "-0.0" (building_blocks' activations).
#[test]
fn a_zero_tick_has_no_sign() {
    let mut figure = titled("tanh", "x", "tanh(x)", "tanh");
    figure.panels[0].ylim = (-1.05, 1.05);
    let svg = figure.to_svg().unwrap();
    let ticks: Vec<&str> = svg
        .split("</text>")
        .filter_map(|t| t.rsplit('>').next())
        .map(str::trim)
        .collect();
    assert!(ticks.contains(&"0.0"), "{ticks:?}");
    assert!(!ticks.contains(&"-0.0"), "{ticks:?}");
}
