//! Mini-batches: a dataset handed out batch by batch, in order or shuffled once per epoch.

use super::Dataset;
use crate::device::Device;
use crate::error::{Error, Result};
use tch::{Kind, Tensor};

/// Hands out a dataset in mini-batches, like PyTorch's `DataLoader`.
///
/// Without shuffling, batches are views into the dataset (no copies). With `shuffle`, the
/// order is drawn once per epoch from libtorch's generator (see [`crate::seed`]) and each
/// batch gathers its own samples, so an epoch never holds a second copy of the set.
///
/// ```no_run
/// # use mnist_lab::*;
/// let (ds_l, _ds_t) = minimnist(Device::cuda_if_available())?;
/// let dl_l = DataLoader::new(&ds_l, 100, false)?;
/// assert_eq!(dl_l.batches()?.count(), 50);
/// # Ok::<(), Error>(())
/// ```
#[derive(Debug)]
pub struct DataLoader {
    images: Tensor,
    labels: Tensor,
    batch_size: i64,
    shuffle: bool,
}

impl DataLoader {
    /// A loader over `dataset` with `batch_size` samples per batch (the last may be smaller).
    pub fn new(dataset: &Dataset, batch_size: usize, shuffle: bool) -> Result<DataLoader> {
        if batch_size == 0 {
            return Err(Error::InvalidArgument(
                "batch_size must be at least 1 (the course uses 100)".to_string(),
            ));
        }
        Ok(DataLoader {
            images: dataset.images.shallow_clone(),
            labels: dataset.labels.shallow_clone(),
            batch_size: batch_size as i64,
            shuffle,
        })
    }

    /// Number of samples in one epoch.
    pub fn len(&self) -> usize {
        self.labels.size()[0] as usize
    }

    /// True when there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Samples per batch.
    pub fn batch_size(&self) -> usize {
        self.batch_size as usize
    }

    /// Number of batches in one epoch.
    pub fn num_batches(&self) -> usize {
        self.len().div_ceil(self.batch_size())
    }

    /// Number of inputs per sample.
    pub fn n_inputs(&self) -> i64 {
        self.images.size()[1]
    }

    /// The device the data lives on.
    pub fn device(&self) -> Device {
        self.images.device().into()
    }

    /// One epoch of `(images, labels)` batches; with shuffling, in a new random order.
    ///
    /// # Shapes
    /// Each batch is `([b, inputs], [b])` with `b` = the batch size (smaller for the last one).
    pub fn batches(&self) -> Result<Batches> {
        let order = if self.shuffle {
            let order = Tensor::f_randperm(self.len() as i64, (Kind::Int64, tch::Device::Cpu))?;
            Some(order.f_to_device(self.images.device())?)
        } else {
            None
        };
        Ok(Batches {
            images: self.images.shallow_clone(),
            labels: self.labels.shallow_clone(),
            order,
            batch_size: self.batch_size,
            start: 0,
        })
    }
}

/// The batches of one epoch, from [`DataLoader::batches`]: each item is a batch, or the error
/// libtorch reported while gathering it (out of memory).
#[derive(Debug)]
pub struct Batches {
    images: Tensor,
    labels: Tensor,
    /// The shuffled order of the samples, if any.
    order: Option<Tensor>,
    batch_size: i64,
    start: i64,
}

impl Batches {
    /// The batch of `len` samples from position `start`.
    fn batch(&self, start: i64, len: i64) -> Result<(Tensor, Tensor)> {
        Ok(match &self.order {
            None => (
                self.images.f_narrow(0, start, len)?,
                self.labels.f_narrow(0, start, len)?,
            ),
            Some(order) => {
                let picked = order.f_narrow(0, start, len)?;
                (
                    self.images.f_index_select(0, &picked)?,
                    self.labels.f_index_select(0, &picked)?,
                )
            }
        })
    }
}

impl Iterator for Batches {
    type Item = Result<(Tensor, Tensor)>;

    fn next(&mut self) -> Option<Self::Item> {
        let n = self.labels.size()[0];
        if self.start >= n {
            return None;
        }
        let len = self.batch_size.min(n - self.start);
        let batch = self.batch(self.start, len);
        self.start += len;
        Some(batch)
    }
}
