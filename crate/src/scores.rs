//! What a network says about a few test digits: each digit with the ten probabilities its
//! softmax gives, as bars. Drawn again while the network trains, it is the frame of the
//! training animation: shown live in place ([`show_live`](Drawing::show_live)) and collected into a GIF
//! ([`Scores::animation`]) that an HTML export keeps.

use crate::data::Dataset;
use crate::draw::{begin, draw_square, gif_of, grey, span, Drawing, PALETTE};
use crate::error::{Error, Result};
use crate::model::Model;
use crate::pictures::Animation;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use tch::{Kind, Tensor};

/// Room for a digit's picture, in screen pixels (3 per pixel of a 28 × 28 image).
const IMAGE: i32 = 84;
/// Width of one digit's column: its image and ten bars.
const COLUMN: i32 = 120;
/// Height of the tallest bar (probability 1).
const BAR: i32 = 60;
/// Where the images start, below the title.
const TOP: i32 = 40;

/// A few test digits with the network's ten probabilities for each: the true digit's bar in
/// green, the others in blue, and a caption with the guess and its probability (green when the
/// guess is right, red when wrong).
///
/// ```no_run
/// # use mnist_lab::*;
/// # let (_ds_l, ds_t) = minimnist(Device::Cpu)?;
/// let net = Mlp::new(&[784, 100, 10], Device::Cpu)?;
/// let frame = Scores::new(&net, &ds_t, &[0, 1, 2, 3], "before training")?;
/// println!("{} of {} right", frame.right(), frame.len());
/// frame.show();
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Scores {
    /// Shown above the digits.
    pub title: String,
    /// Each digit's 784 pixels (0 white to 1 black).
    pub images: Vec<Vec<f32>>,
    /// Each digit's true label.
    pub labels: Vec<i64>,
    /// Each digit's ten probabilities (softmax of the network's outputs).
    pub probabilities: Vec<[f32; 10]>,
}

impl Scores {
    /// The network's probabilities for the images `indices` of `ds` (1 to 12 of them).
    pub fn new(net: &impl Model, ds: &Dataset, indices: &[usize], title: &str) -> Result<Scores> {
        if indices.is_empty() || indices.len() > 12 || indices.iter().any(|&i| i >= ds.len()) {
            return Err(Error::InvalidArgument(format!(
                "pick 1 to 12 images (a row of the picture), with indices below {}; got {indices:?}",
                ds.len()
            )));
        }
        let index = Tensor::from_slice(&indices.iter().map(|&i| i as i64).collect::<Vec<_>>())
            .f_to_device(ds.images().device())?;
        let x = ds.images().f_index_select(0, &index)?;
        let probs = {
            let _no_grad = tch::no_grad_guard();
            net.forward(&x)?.f_softmax(-1, Kind::Float)?
        };
        let to_vec = |t: Tensor| -> Result<Vec<f32>> {
            Ok(Vec::<f32>::try_from(
                t.f_to_device(tch::Device::Cpu)?.f_reshape([-1])?,
            )?)
        };
        let (pixels, probs) = (to_vec(x)?, to_vec(probs)?);
        if probs.len() != 10 * indices.len() {
            return Err(Error::InvalidArgument(format!(
                "{} gives {} outputs per image; the scores need 10, one per digit",
                net.name(),
                probs.len() / indices.len()
            )));
        }
        let labels = Vec::<i64>::try_from(
            ds.labels()
                .f_index_select(0, &index)?
                .f_to_device(tch::Device::Cpu)?,
        )?;
        Ok(Scores {
            title: title.to_string(),
            images: pixels
                .chunks(pixels.len() / indices.len())
                .map(<[f32]>::to_vec)
                .collect(),
            labels,
            probabilities: probs
                .chunks(10)
                .map(|p| std::array::from_fn(|d| p[d]))
                .collect(),
        })
    }

    /// How many digits there are.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there are none (never, for scores made by [`Scores::new`]).
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Each digit's guess: the digit with the highest probability.
    pub fn guesses(&self) -> Vec<i64> {
        self.probabilities
            .iter()
            .map(|p| (0..10).fold(0, |best, d| if p[d] > p[best] { d } else { best }) as i64)
            .collect()
    }

    /// How many digits the network gets right.
    pub fn right(&self) -> usize {
        let guesses = self.guesses();
        guesses
            .iter()
            .zip(&self.labels)
            .filter(|(g, l)| g == l)
            .count()
    }

    /// The mean probability the network gives each digit's true label.
    pub fn mean_true_probability(&self) -> f64 {
        let sum: f64 = self
            .probabilities
            .iter()
            .zip(&self.labels)
            .map(|(p, &l)| p[l as usize] as f64)
            .sum();
        sum / self.len().max(1) as f64
    }

    /// The frames as an animated GIF, `delay_ms` milliseconds each, looping (as wide as the
    /// frame with the longest title).
    pub fn animation(frames: &[Scores], delay_ms: u32) -> Result<Animation> {
        let Some(first) = frames.first() else {
            return Err(Error::InvalidArgument(
                "an animation needs at least one frame".into(),
            ));
        };
        if let Some(f) = frames.iter().find(|f| f.len() != first.len()) {
            return Err(Error::InvalidArgument(format!(
                "all frames of an animation must show the same digits; '{}' has {} and '{}' {}",
                f.title,
                f.len(),
                first.title,
                first.len()
            )));
        }
        Ok(Animation {
            gif: gif_of(frames, delay_ms)?,
        })
    }
}

impl Drawing for Scores {
    fn size(&self) -> (u32, u32) {
        let title = span(self.title.chars().count(), 9, 20);
        let width = span(self.len(), COLUMN as u32, 10).max(title);
        (width, (TOP + IMAGE + 12 + BAR + 40) as u32)
    }

    fn draw(&self, root: &DrawingArea<SVGBackend<'_>, Shift>) -> Result<()> {
        begin(root, &self.title)?;
        // The figures' colours: blue, green and red of matplotlib's cycle.
        let (blue, green, red) = (PALETTE[0], PALETTE[2], PALETTE[3]);
        let centred = Pos::new(HPos::Center, VPos::Top);
        for (k, ((image, &label), (probs, guess))) in self
            .images
            .iter()
            .zip(&self.labels)
            .zip(self.probabilities.iter().zip(self.guesses()))
            .enumerate()
        {
            let x0 = 10 + k as i32 * COLUMN;
            draw_square(root, image, (x0 + 12, TOP), IMAGE, grey)?;
            let base = TOP + IMAGE + 12 + BAR;
            for (d, &p) in probs.iter().enumerate() {
                let x = x0 + d as i32 * 10;
                let color = if d as i64 == label { green } else { blue };
                let top = base - (p.clamp(0.0, 1.0) * BAR as f32).round() as i32;
                root.draw(&Rectangle::new(
                    [(x, top.min(base - 1)), (x + 8, base)],
                    color.filled(),
                ))?;
                root.draw(&Text::new(
                    d.to_string(),
                    (x + 4, base + 2),
                    ("sans-serif", 10).into_font().color(&BLACK).pos(centred),
                ))?;
            }
            // The guess and its probability, green when right and red when wrong.
            let ink = if guess == label { green } else { red };
            root.draw(&Text::new(
                format!("guess {guess}, {:.0} %", 100.0 * probs[guess as usize]),
                (x0 + 50, base + 16),
                ("sans-serif", 12).into_font().color(&ink).pos(centred),
            ))?;
        }
        root.present()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Device, Mlp};

    fn digits() -> Dataset {
        let images = Tensor::rand([3, 784], (Kind::Float, tch::Device::Cpu));
        Dataset::new(images, Tensor::from_slice(&[7i64, 2, 1]), Device::Cpu).unwrap()
    }

    #[test]
    fn probabilities_guesses_and_a_picture_of_the_right_size() {
        let net = Mlp::new(&[784, 10], Device::Cpu).unwrap();
        let scores = Scores::new(&net, &digits(), &[0, 2], "start").unwrap();
        assert_eq!(scores.labels, [7, 1]);
        for p in &scores.probabilities {
            assert!((p.iter().sum::<f32>() - 1.0).abs() < 1e-5);
        }
        assert!(scores.right() <= 2 && (0.0..=1.0).contains(&scores.mean_true_probability()));
        let png = scores.to_png().unwrap();
        assert_eq!(&png[1..4], b"PNG");
        let (w, h) = scores.size();
        assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), w);
        assert_eq!(u32::from_be_bytes(png[20..24].try_into().unwrap()), h);
        let gif = Scores::animation(&[scores.clone(), scores], 100).unwrap();
        assert_eq!(&gif.gif[..3], b"GIF");
    }

    #[test]
    fn bad_indices_and_networks_say_what_is_wrong() {
        let net = Mlp::new(&[784, 10], Device::Cpu).unwrap();
        let e = Scores::new(&net, &digits(), &[3], "x").unwrap_err();
        assert!(e.message().contains("indices below 3; got [3]"), "{e}");
        assert!(Scores::new(&net, &digits(), &[0; 13], "x").is_err());
        let net = Mlp::new(&[784, 4], Device::Cpu).unwrap();
        let e = Scores::new(&net, &digits(), &[0], "x").unwrap_err();
        assert!(e.message().contains("gives 4 outputs per image"), "{e}");
        assert!(Scores::animation(&[], 100).is_err());
    }
}
