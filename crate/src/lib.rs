//! # mnist_lab
//!
//! The helper crate behind the Rust MNIST notebooks: everything a notebook cell calls to
//! repeat the course's experiments with multilayer perceptrons on handwritten digits, on
//! libtorch through `tch` (CUDA when a GPU is usable, the CPU otherwise).
//!
//! The modules follow the notebook's steps:
//! [`device`](mod@device) (where to compute), [`data`] (minimnist and MNIST, mini-batches),
//! [`model`] (the MLP from `neurons`, the [`Model`] trait), [`cnn`] (a small convolutional
//! network), [`training`] (loss, Adam, SGD, `train`, `evaluate`, the epoch log), [`plot`]
//! (learning curves), [`summary`](mod@summary) (parameter counts) and [`inspect`] (weights as
//! pictures, predictions, mistakes, confusion matrix).
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
//!     let (loss_l, rate_l) = train(&net, &loss_func, &mut optimizer, &dl_l)?;
//!     let (loss_t, rate_t) = evaluate(&net, &loss_func, &dl_t)?;
//!     println!("{}", history.push(t, loss_l, loss_t, rate_l, rate_t));
//! }
//! learning_curves(&history, &neurons, (-0.05, 1.0), (0.8, 1.025))?.save("curves.svg")?;
//! println!("{}", summary(&net, 1));
//! # Ok::<(), Error>(())
//! ```

pub mod cnn;
pub mod data;
pub mod device;
pub mod display;
pub mod error;
pub mod inspect;
mod interrupt;
pub mod model;
pub mod notebook;
mod parallel;
pub mod plot;
mod sigint;
pub mod summary;
pub mod training;

pub use cnn::Cnn;
pub use data::{
    data_dir, minimnist, minimnist_from, mnist, mnist_from, DataLoader, Dataset, N_CLASSES,
    N_INPUTS,
};
pub use device::Device;
pub use display::{show, Content, DisplayHandle};
pub use error::{Error, Result};
pub use inspect::{
    predict, weight_maps, Animation, ConfusionFigure, ConfusionMatrix, ImageGrid, Predictions,
};
pub use model::{Mlp, Model};
pub use plot::{learning_curves, Figure, Panel, Series};
pub use summary::{summary, Summary};
pub use training::{
    evaluate, final_line, fit, seed, stop_requested, train, Adam, CrossEntropyLoss, Epoch, History,
    Optimizer, Reduction, Sgd, STOP_FILE,
};
