//! Pictures of what a network learned and how it fails: weight maps, digits, animations and
//! the confusion matrix's heat map. Pictures are PNG (and GIF for animations), embedded in the
//! notebook as data URIs so that they also show in exported HTML.

mod confusion;

pub use confusion::ConfusionFigure;

use crate::data::Dataset;
use crate::display::{show, Content};
use crate::draw::{begin, draw_square, gif_of, grey, span, Drawing};
use crate::error::{Error, Result};
use crate::fonts::family;
use crate::model::Mlp;
use crate::predictions::Predictions;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;
use tch::Tensor;

/// Side of an MNIST image in pixels.
const SIDE: usize = 28;

/// A grid of square pictures with captions: weight maps (blue negative, white 0, red positive,
/// one colour scale for all, shown by a colour bar) or digits (white 0 to black 1). Each
/// picture fills a square of 84 × 84 screen pixels (168 × 168 in a grid of at most four),
/// whatever its size (28 × 28 for a digit).
#[derive(Debug, Clone, PartialEq)]
pub struct ImageGrid {
    /// Shown above the grid.
    pub title: String,
    /// The pictures, row by row; each has n × n values (784 for a digit).
    pub images: Vec<Vec<f32>>,
    /// One caption per picture.
    pub captions: Vec<String>,
    /// Pictures per row.
    pub cols: usize,
    /// `Some(limit)`: a weight map, colours from −limit (blue) to +limit (red) with a colour
    /// bar. `None`: digits in grey levels from 0 (white) to 1 (black).
    pub limit: Option<f32>,
}

impl ImageGrid {
    fn color(&self, v: f32) -> RGBColor {
        match self.limit {
            Some(limit) => diverging(v / limit),
            None => grey(v),
        }
    }
}

impl ImageGrid {
    /// The room of one picture and its caption: [`CELL`], doubled in a grid of a few pictures
    /// (a digit, its convolution and its pooling side by side are 168 pixels wide each).
    fn cell(&self) -> (u32, u32) {
        if self.images.len() <= FEW {
            (2 * CELL.0 - 16, 2 * CELL.1 - 16)
        } else {
            CELL
        }
    }

    /// Grey pictures side by side (white for the smallest value of each, black for its largest),
    /// each from a square `[n, n]` tensor (leading dimensions of size 1 are ignored): e.g. a
    /// digit, the same digit after a 3 × 3 convolution, and after max pooling. Each is drawn
    /// in the same room, so a smaller picture shows with bigger pixels.
    ///
    /// ```no_run
    /// # use mnist_lab::*;
    /// # let (ds_l, _) = minimnist(Device::Cpu)?;
    /// let digit = ds_l.images().get(0).view([28, 28]);
    /// ImageGrid::side_by_side("one digit", &[("28 × 28", &digit)])?.show();
    /// # Ok::<(), Error>(())
    /// ```
    pub fn side_by_side(title: &str, pictures: &[(&str, &Tensor)]) -> Result<ImageGrid> {
        let mut images = Vec::new();
        for (caption, t) in pictures {
            let shape: Vec<i64> = t.size().into_iter().skip_while(|&d| d == 1).collect();
            let square = match shape[..] {
                [h, w] if h == w && h > 0 => true,
                [] => t.numel() == 1,
                _ => false,
            };
            if !square {
                return Err(Error::InvalidArgument(format!(
                    "picture '{caption}' has shape {:?}; give a square [n, n] tensor, e.g. \
                     `image.view([28, 28])`",
                    t.size()
                )));
            }
            let values = Vec::<f32>::try_from(
                t.f_to_device(tch::Device::Cpu)?
                    .f_to_kind(tch::Kind::Float)?
                    .f_flatten(0, -1)?,
            )?;
            let (lo, hi) = values
                .iter()
                .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &v| {
                    (lo.min(v), hi.max(v))
                });
            let range = if hi > lo { hi - lo } else { 1.0 };
            images.push(values.iter().map(|v| (v - lo) / range).collect());
        }
        Ok(ImageGrid {
            title: title.to_string(),
            captions: pictures.iter().map(|(c, _)| c.to_string()).collect(),
            cols: pictures.len().max(1),
            images,
            limit: None,
        })
    }
}

/// Room for one picture with its caption, in pixels (twice as much in a grid of a few).
const CELL: (u32, u32) = (100, 106);
/// A grid of at most this many pictures draws them twice as large.
const FEW: usize = 4;
/// Screen pixels per image pixel of a digit in a grid of more than [`FEW`] (the colour bar is
/// as tall as two such digits).
const PIXEL: u32 = 3;

/// Blue (−1) – white (0) – red (+1), like matplotlib's "bwr"; values beyond ±1 saturate.
fn diverging(t: f32) -> RGBColor {
    let t = t.clamp(-1.0, 1.0);
    let fade = (255.0 * (1.0 - t.abs())).round() as u8;
    if t < 0.0 {
        RGBColor(fade, fade, 255)
    } else {
        RGBColor(255, fade, fade)
    }
}

/// The incoming weights of the first `units` units of `layer` (0 = the first Linear layer) as
/// 28 × 28 maps on one colour scale (± the largest absolute weight shown). For logistic
/// regression `[784, 10]`, layer 0 has one map per digit; for a hidden layer, one per unit.
pub fn weight_maps(net: &Mlp, layer: usize, units: usize, title: &str) -> Result<ImageGrid> {
    let neurons = net.neurons();
    let Some((weight, _)) = net.linears().get(layer) else {
        return Err(Error::InvalidArgument(format!(
            "layer {layer} does not exist: the network {neurons:?} has layers 0 to {}",
            net.linears().len() - 1
        )));
    };
    if neurons[layer] != (SIDE * SIDE) as i64 {
        return Err(Error::InvalidArgument(format!(
            "layer {layer} of {neurons:?} has {} inputs, not 784 pixels; only the first layer's \
             weights can be shown as 28 × 28 pictures",
            neurons[layer]
        )));
    }
    let n = units.min(neurons[layer + 1] as usize);
    let w = weight
        .f_narrow(0, 0, n as i64)?
        .f_to_device(tch::Device::Cpu)?;
    let images: Vec<Vec<f32>> = (0..n)
        .map(|u| Vec::<f32>::try_from(w.f_get(u as i64)?.detach()))
        .collect::<Result<_, _>>()?;
    let limit = images
        .iter()
        .flatten()
        .fold(0f32, |m, v| m.max(v.abs()))
        .max(f32::MIN_POSITIVE);
    let output_layer = layer + 2 == neurons.len();
    Ok(ImageGrid {
        title: title.to_string(),
        captions: (0..n)
            .map(|u| {
                if output_layer {
                    format!("digit {u}")
                } else {
                    format!("unit {u}")
                }
            })
            .collect(),
        cols: if n <= 10 { 5 } else { 8 },
        images,
        limit: Some(limit),
    })
}

/// An animated GIF made of several [`ImageGrid`]s, shown inline as an HTML `<img>` (so it also
/// plays in exported HTML).
#[derive(Debug, Clone, PartialEq)]
pub struct Animation {
    /// The GIF file's bytes.
    pub gif: Vec<u8>,
}

impl Animation {
    /// Frames shown `delay_ms` milliseconds each, looping. All frames must have the same size.
    /// Weight maps are all drawn on the widest colour scale among them, so that a colour means
    /// the same weight in every frame.
    pub fn new(frames: &[ImageGrid], delay_ms: u32) -> Result<Animation> {
        let Some(first) = frames.first() else {
            return Err(Error::InvalidArgument(
                "an animation needs at least one frame".into(),
            ));
        };
        let size = first.size();
        if let Some(f) = frames.iter().find(|f| f.size() != size) {
            return Err(Error::InvalidArgument(format!(
                "all frames of an animation must have the same size; '{}' differs from '{}'",
                f.title, first.title
            )));
        }
        let widest = frames.iter().filter_map(|f| f.limit).reduce(f32::max);
        let frames: Vec<ImageGrid> = frames
            .iter()
            .map(|f| ImageGrid {
                limit: f.limit.and(widest),
                ..f.clone()
            })
            .collect();
        Ok(Animation {
            gif: gif_of(&frames, delay_ms)?,
        })
    }

    /// Writes the GIF to `path`.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        std::fs::write(path, &self.gif)
            .map_err(|e| Error::Io(format!("cannot write {}: {e}", path.display())))
    }

    /// Shows the animation in the notebook now.
    pub fn show(&self) {
        show(&Content::Gif(self.gif.clone()));
    }

    /// What evcxr calls for an animation that is a cell's last expression: [`Animation::show`].
    pub fn evcxr_display(&self) {
        self.show();
    }
}

impl Predictions {
    /// The first `n` [`Predictions::mistakes`] of `ds` as digits captioned
    /// "true → predicted (probability)".
    /// `ds` must be the dataset the predictions were made for.
    pub fn mistakes_grid(&self, ds: &Dataset, n: usize) -> Result<ImageGrid> {
        if ds.len() != self.len() || ds.n_inputs() != (SIDE * SIDE) as i64 {
            return Err(Error::InvalidArgument(format!(
                "these predictions are for {} samples, but the dataset has {} samples of {} \
                 inputs; pass the 28 × 28-image dataset given to `predict`, e.g. \
                 `pred.mistakes_grid(&ds_t, 32)` after `let pred = predict(&net, &ds_t)?`",
                self.len(),
                ds.len(),
                ds.n_inputs()
            )));
        }
        let mut picked = self.mistakes();
        let wrong = picked.len();
        picked.truncate(n);
        let images = ds.images().f_to_device(tch::Device::Cpu)?;
        Ok(ImageGrid {
            title: format!(
                "{wrong} of {} test digits misclassified; the {} most confident mistakes",
                self.len(),
                picked.len()
            ),
            images: picked
                .iter()
                .map(|&i| Vec::<f32>::try_from(images.f_get(i as i64)?))
                .collect::<Result<_, _>>()?,
            captions: picked
                .iter()
                .map(|&i| {
                    format!(
                        "{} → {} ({:.2})",
                        self.labels[i], self.predicted[i], self.probability[i]
                    )
                })
                .collect(),
            cols: 8,
            limit: None,
        })
    }
}

impl Drawing for ImageGrid {
    /// The cells, and room for the title (about 9 pixels a character at its size).
    fn size(&self) -> (u32, u32) {
        let rows = self.images.len().div_ceil(self.cols.max(1)).max(1);
        let bar = if self.limit.is_some() { 90 } else { 0 };
        let title = span(self.title.chars().count(), 9, 20);
        (
            span(self.cols, self.cell().0, bar + 20).max(title),
            span(rows, self.cell().1, 50),
        )
    }

    fn draw(&self, root: &DrawingArea<SVGBackend<'_>, Shift>) -> Result<()> {
        begin(root, &self.title)?;
        let (w, _) = self.size();
        let cols = self.cols.max(1);
        let cell = self.cell();
        for (k, (img, caption)) in self.images.iter().zip(&self.captions).enumerate() {
            let (x0, y0) = (
                10 + (k % cols) as i32 * cell.0 as i32,
                40 + (k / cols) as i32 * cell.1 as i32,
            );
            root.draw(&Text::new(
                caption.clone(),
                (x0, y0),
                (family(caption), 12).into_font(),
            ))?;
            let room = cell.0 as i32 - 16;
            draw_square(root, img, (x0, y0 + 16), room, |v| self.color(v))?;
        }
        if let Some(limit) = self.limit {
            // The colour bar: −limit at the bottom, +limit at the top.
            let (x0, top, height) = (w as i32 - 80, 56, 4 * PIXEL as i32 * SIDE as i32 / 2);
            for j in 0..height {
                let v = limit * (1.0 - 2.0 * j as f32 / (height - 1) as f32);
                root.draw(&Rectangle::new(
                    [(x0, top + j), (x0 + 14, top + j + 1)],
                    self.color(v).filled(),
                ))?;
            }
            for (v, y) in [
                (limit, top),
                (0.0, top + height / 2),
                (-limit, top + height),
            ] {
                root.draw(&Text::new(
                    format!("{v:+.3}"),
                    (x0 + 18, y - 6),
                    ("sans-serif", 12).into_font(),
                ))?;
            }
        }
        root.present()?;
        Ok(())
    }
}
