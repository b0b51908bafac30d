//! # mnist_lab
//!
//! The helper crate behind the Rust MNIST notebooks: everything a notebook cell calls to
//! repeat the course's experiments with multilayer perceptrons on handwritten digits, on
//! libtorch through `tch` (CUDA when a GPU is usable, the CPU otherwise).
//!
//! It follows the notebook's steps: [`Device`] (where to compute), [`minimnist`], [`mnist`]
//! and [`DataLoader`] (the data, mini-batches), [`Mlp`] (the MLP from `neurons`, a [`Model`]),
//! [`Cnn`] (a small convolutional network), [`CrossEntropyLoss`], [`Adam`] and [`Sgd`],
//! [`train`], [`evaluate`] and [`fit`] (stopping with [`stop_requested`]), [`History`] (the
//! epoch log), [`learning_curves`] and [`Figure`], [`summary()`] (parameter counts),
//! [`predict`] and [`ConfusionMatrix`], [`pictures`] (weights and digits as pictures),
//! [`Scores`] (the class probabilities of a few digits), [`gradcheck`] (gradients by finite
//! differences, to check backpropagation), [`Table`] (tabular data for regression), [`timing`]
//! and [`matmul`] (the speed lesson: measuring, and matrix products written by hand). Every
//! figure and picture is a [`Drawing`] (saved for a report, shown, redrawn in place), and
//! [`display`] is how all of it reaches the notebook.
//!
//! The modules named like a cell's own variables (`history`, `loss`, `model`, `summary`,
//! `scores`, ...) are private, their items re-exported here, so that `use mnist_lab::*;`
//! brings no module of such a name: a cell that uses a variable it does not have gets "cannot
//! find value `history`", not a message about a module. The modules a cell names in a path
//! (`timing::seconds`, `matmul::blocked`, `gradcheck::numerical_gradient`) stay public.
//!
//! ```compile_fail
//! use mnist_lab::history::History; // private: `History` is `mnist_lab::History`
//! ```
//!
//! ```no_run
//! use mnist_lab::*;
//! let device = Device::cuda_if_available();
//! let (ds_l, ds_t) = minimnist(device)?;
//! let dl_l = DataLoader::new(&ds_l, 100, false)?;
//! let dl_t = DataLoader::new(&ds_t, 100, false)?;
//! let neurons = [784, 1000, 1000, 10];
//! let net = Mlp::new(&neurons, device)?;
//! let loss_func = CrossEntropyLoss::new(Reduction::Sum);
//! let mut optimizer = Adam::new(&net, 1e-3)?;
//! let mut history = History::new();
//! println!("{}", History::HEADER);
//! for t in 1..=5 {
//!     let learn = train(&net, &loss_func, &mut optimizer, &dl_l)?;
//!     let test = evaluate(&net, &loss_func, &dl_t)?;
//!     println!("{}", history.push(t, learn, test));
//! }
//! learning_curves(&history, &net.name(), (-0.05, 1.0), (0.8, 1.025))?.save("curves.svg")?;
//! println!("{}", summary(&net, 1));
//! # Ok::<(), Error>(())
//! ```

mod cnn;
pub mod data;
pub mod device;
pub mod display;
mod draw;
mod error;
mod fonts;
pub mod gradcheck;
mod history;
mod interrupt;
mod kernel;
mod legend;
mod loss;
pub mod matmul;
mod model;
mod npz;
mod numbers;
mod off_scale;
pub mod optim;
pub mod pictures;
mod plot;
mod predictions;
mod scores;
mod summary;
mod sys;
mod table;
pub mod timing;
mod training;

pub use cnn::Cnn;
pub use data::{
    data_dir, minimnist, minimnist_from, mnist, mnist_from, DataLoader, Dataset, N_CLASSES,
    N_INPUTS,
};
pub use device::{seed, Device};
pub use display::{show, Content, DisplayHandle};
pub use draw::Drawing;
pub use error::{Error, Result};
pub use history::{Epoch, History, Metrics};
pub use loss::{CrossEntropyLoss, MseLoss, Reduction};
pub use model::{Layer, Mlp, Model};
/// The ndarray crate (the speed notebook compares its products), so that a notebook needs no
/// `:dep` of its own for it.
pub use ndarray;
pub use optim::{Adam, Optimizer, Sgd};
pub use pictures::{weight_maps, Animation, ConfusionFigure, ImageGrid};
pub use plot::{learning_curves, Figure, Panel, Series, Style};
/// The plotters crate the drawings are made with, for a [`Drawing`] of one's own.
pub use plotters;
pub use predictions::{predict, ConfusionMatrix, Predictions};
pub use scores::Scores;
pub use summary::{summary, LayerRow, Summary};
pub use table::{diabetes, Table};
/// The tch crate the notebooks' tensors come from (`use mnist_lab::tch::Tensor;`), so that a
/// notebook needs no `:dep` of its own for it and always gets the same version.
pub use tch;
pub use training::{evaluate, fit, stop_requested, train, Run};
