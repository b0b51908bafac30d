//! The data: minimnist (5000/1000) and full MNIST (60000/10000), as tensors on the device,
//! and a loader that hands them out in mini-batches.
//!
//! Both sets ship in the repository's `data/` folder and are checked against their MD5s
//! when loaded; `scripts/make-data` re-creates them.

use crate::device::{init, Device};
use crate::error::{Error, Result};
use flate2::read::GzDecoder;
use ndarray::{Array1, Array2};
use ndarray_npy::NpzReader;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};
use tch::{Kind, Tensor};

/// Number of inputs of every MNIST image (28 × 28 pixels).
pub const N_INPUTS: i64 = 784;
/// Number of classes (the digits 0–9).
pub const N_CLASSES: i64 = 10;

/// MD5 of the shipped `minimnist.npz` file (written deterministically by scripts/make-data).
pub const MINIMNIST_MD5: &str = "d8a98786bfeb225eb2c9e22e0b0dc070";
/// The four MNIST files with the official MD5s of their *uncompressed* contents.
pub const MNIST_FILES: [(&str, &str); 4] = [
    (
        "train-images-idx3-ubyte.gz",
        "6bbc9ace898e44ae57da46a324031adb",
    ),
    (
        "train-labels-idx1-ubyte.gz",
        "a25bea736e30d166cdddb491f175f624",
    ),
    (
        "t10k-images-idx3-ubyte.gz",
        "2646ac647ad5339dbf082846283269ea",
    ),
    (
        "t10k-labels-idx1-ubyte.gz",
        "27ae3e4e09519cfbb04c329615203637",
    ),
];

const REMAKE: &str =
    "restore it with `git checkout data/` or re-create data/ with scripts/make-data";

/// The folder holding the shipped data: `$MNIST_LAB_DATA` when set, else the repository's `data/`.
pub fn data_dir() -> PathBuf {
    match std::env::var_os("MNIST_LAB_DATA") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("data"),
    }
}

/// A labelled set of images, stored once on its device.
///
/// `images` is `[n, 784]` float32 (pixel / 255), `labels` is `[n]` int64.
#[derive(Debug)]
pub struct Dataset {
    /// The images, one row of 784 values in [0, 1] per sample.
    pub images: Tensor,
    /// The digit shown by each image.
    pub labels: Tensor,
}

impl Dataset {
    /// A dataset from tensors you made yourself: `images` `[n, d]` float, `labels` `[n]` int64
    /// with values in 0..10. Both are moved to `device`.
    pub fn new(images: Tensor, labels: Tensor, device: Device) -> Result<Dataset> {
        init();
        let (isz, lsz) = (images.size(), labels.size());
        if isz.len() != 2 || lsz.len() != 1 || isz[0] != lsz[0] {
            return Err(Error::InvalidArgument(format!(
                "a dataset needs images of shape [n, inputs] and labels of shape [n]; \
                 got images {isz:?} and labels {lsz:?}"
            )));
        }
        if labels.kind() != Kind::Int64 {
            return Err(Error::InvalidArgument(format!(
                "labels must be int64, got {:?}; convert them with .to_kind(Kind::Int64)",
                labels.kind()
            )));
        }
        Ok(Dataset {
            images: images.f_to_kind(Kind::Float)?.f_to_device(device.into())?,
            labels: labels.f_to_device(device.into())?,
        })
    }

    /// Number of samples.
    pub fn len(&self) -> usize {
        self.labels.size()[0] as usize
    }

    /// True when the set has no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Number of inputs per sample (784 for MNIST).
    pub fn n_inputs(&self) -> i64 {
        self.images.size()[1]
    }

    /// How many samples of each digit the set holds (index = digit).
    pub fn class_counts(&self) -> Vec<usize> {
        let counts = self
            .labels
            .bincount::<Tensor>(None, N_CLASSES)
            .to_device(tch::Device::Cpu);
        Vec::<i64>::try_from(&counts)
            .expect("bincount returns int64")
            .into_iter()
            .map(|c| c as usize)
            .collect()
    }

    /// The device the set lives on.
    pub fn device(&self) -> Device {
        self.images.device().into()
    }
}

/// Loads minimnist (the first 5000 training and 1000 test images of MNIST) from the shipped
/// `data/minimnist.npz`, checks its MD5, and returns `(learning set, test set)` on `device`.
///
/// ```no_run
/// let (ds_l, ds_t) = mnist_lab::minimnist(mnist_lab::device())?;
/// assert_eq!((ds_l.len(), ds_t.len()), (5000, 1000));
/// # Ok::<(), mnist_lab::Error>(())
/// ```
pub fn minimnist(device: Device) -> Result<(Dataset, Dataset)> {
    let path = data_dir().join("minimnist.npz");
    let bytes = read_file(&path)?;
    let sets = parse_minimnist(&path, &bytes, device)?;
    check_md5(&path, &bytes, MINIMNIST_MD5)?;
    Ok(sets)
}

/// Loads an npz file with minimnist's layout (`datL`, `labL`, `datT`, `labT`) from any path,
/// without a checksum (for your own data). Returns `(learning set, test set)`.
pub fn minimnist_from(path: impl AsRef<Path>, device: Device) -> Result<(Dataset, Dataset)> {
    let path = path.as_ref();
    parse_minimnist(path, &read_file(path)?, device)
}

/// Loads full MNIST (60000 training and 10000 test images) from the shipped IDX files in
/// `data/mnist/`, checks their MD5s, and returns `(learning set, test set)` on `device`.
pub fn mnist(device: Device) -> Result<(Dataset, Dataset)> {
    mnist_from(data_dir().join("mnist"), device)
}

/// Loads full MNIST from the four `.gz` IDX files in `dir`, checking their MD5s.
pub fn mnist_from(dir: impl AsRef<Path>, device: Device) -> Result<(Dataset, Dataset)> {
    let dir = dir.as_ref();
    let mut raw = Vec::new();
    for (name, md5) in MNIST_FILES {
        let path = dir.join(name);
        let bytes = gunzip(&path, &read_file(&path)?)?;
        check_md5(&path, &bytes, md5)?;
        raw.push((path, bytes));
    }
    let set = |images: &(PathBuf, Vec<u8>), labels: &(PathBuf, Vec<u8>)| -> Result<Dataset> {
        let x = idx_payload(&images.0, &images.1, 0x803)?;
        let y = idx_payload(&labels.0, &labels.1, 0x801)?;
        // As torchvision's ToTensor: float32 pixel / 255.
        let x = Tensor::from_slice(x)
            .f_view([-1, N_INPUTS])?
            .f_to_kind(Kind::Float)?
            / 255.0;
        let y = Tensor::from_slice(y).f_to_kind(Kind::Int64)?;
        Dataset::new(x, y, device)
    };
    Ok((set(&raw[0], &raw[1])?, set(&raw[2], &raw[3])?))
}

fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| {
        Error::Data(format!(
            "cannot read data file {}: {e}.\nThe file should ship with the repository: {REMAKE}.",
            path.display()
        ))
    })
}

fn check_md5(path: &Path, bytes: &[u8], want: &str) -> Result<()> {
    let got = format!("{:x}", md5::compute(bytes));
    if got == want {
        Ok(())
    } else {
        Err(Error::Data(format!(
            "data file {} has MD5 {got}, expected {want}: it is damaged or not the shipped file; {REMAKE}.",
            path.display()
        )))
    }
}

fn gunzip(path: &Path, bytes: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    GzDecoder::new(bytes).read_to_end(&mut out).map_err(|e| {
        Error::Data(format!(
            "data file {} is not a valid gzip file ({e}); {REMAKE}.",
            path.display()
        ))
    })?;
    Ok(out)
}

/// The payload of an IDX file after checking its magic number and header.
fn idx_payload<'a>(path: &Path, bytes: &'a [u8], magic: u32) -> Result<&'a [u8]> {
    let ndim = (magic & 0xff) as usize;
    let header = 4 + 4 * ndim;
    let bad = || {
        Error::Data(format!(
            "data file {} is not an MNIST IDX file; {REMAKE}.",
            path.display()
        ))
    };
    if bytes.len() < header || u32::from_be_bytes(bytes[0..4].try_into().unwrap()) != magic {
        return Err(bad());
    }
    let n: usize = (0..ndim)
        .map(|i| u32::from_be_bytes(bytes[4 + 4 * i..8 + 4 * i].try_into().unwrap()) as usize)
        .product();
    if bytes.len() != header + n {
        return Err(bad());
    }
    Ok(&bytes[header..])
}

fn parse_minimnist(path: &Path, bytes: &[u8], device: Device) -> Result<(Dataset, Dataset)> {
    let bad = |what: String| {
        Error::Data(format!(
            "{} is not a valid minimnist file: {what}.\n\
             It needs the arrays datL (uint8, n×784), labL (int64, n), datT, labT; {REMAKE}.",
            path.display()
        ))
    };
    let mut npz =
        NpzReader::new(Cursor::new(bytes)).map_err(|e| bad(format!("not an npz archive ({e})")))?;
    let mut set = |dat: &str, lab: &str| -> Result<Dataset> {
        let x: Array2<u8> = npz
            .by_name(dat)
            .map_err(|e| bad(format!("array {dat}: {e}")))?;
        let y: Array1<i64> = npz
            .by_name(lab)
            .map_err(|e| bad(format!("array {lab}: {e}")))?;
        if x.ncols() != N_INPUTS as usize || x.nrows() != y.len() {
            return Err(bad(format!(
                "{dat} has shape {:?} and {lab} has {} labels; expected n×784 and n",
                x.shape(),
                y.len()
            )));
        }
        if let Some(l) = y.iter().find(|&&l| !(0..N_CLASSES).contains(&l)) {
            return Err(bad(format!("{lab} holds the label {l}, outside 0..=9")));
        }
        let (n, x) = (x.nrows() as i64, x.as_standard_layout());
        // As the course's dataset class: float64 pixel / 255, then float32.
        let images = Tensor::from_slice(x.as_slice().expect("standard layout"))
            .f_view([n, N_INPUTS])?
            .f_to_kind(Kind::Double)?
            / 255.0;
        Dataset::new(
            images,
            Tensor::from_slice(y.as_slice().expect("1-D array")),
            device,
        )
    };
    Ok((set("datL", "labL")?, set("datT", "labT")?))
}

/// Hands out a dataset in mini-batches, like PyTorch's `DataLoader`.
///
/// Batches are views into the dataset (no copies); with `shuffle`, the order is drawn once per
/// epoch from libtorch's generator (see [`crate::seed`]) and the set is gathered once.
///
/// ```no_run
/// # use mnist_lab::*;
/// let (ds_l, _ds_t) = minimnist(device())?;
/// let dl_l = DataLoader::new(&ds_l, 100, false)?;
/// assert_eq!(dl_l.batches().count(), 50);
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

    /// Number of inputs per sample.
    pub fn n_inputs(&self) -> i64 {
        self.images.size()[1]
    }

    /// The device the data lives on.
    pub fn device(&self) -> Device {
        self.images.device().into()
    }

    /// One epoch of `(images, labels)` batches.
    pub fn batches(&self) -> Batches {
        let (images, labels) = if self.shuffle {
            let order = Tensor::randperm(self.len() as i64, (Kind::Int64, tch::Device::Cpu))
                .to_device(self.images.device());
            (
                self.images.index_select(0, &order),
                self.labels.index_select(0, &order),
            )
        } else {
            (self.images.shallow_clone(), self.labels.shallow_clone())
        };
        Batches {
            images,
            labels,
            batch_size: self.batch_size,
            start: 0,
        }
    }
}

/// The batches of one epoch, from [`DataLoader::batches`].
#[derive(Debug)]
pub struct Batches {
    images: Tensor,
    labels: Tensor,
    batch_size: i64,
    start: i64,
}

impl Iterator for Batches {
    type Item = (Tensor, Tensor);

    fn next(&mut self) -> Option<Self::Item> {
        let n = self.labels.size()[0];
        if self.start >= n {
            return None;
        }
        let len = self.batch_size.min(n - self.start);
        let batch = (
            self.images.narrow(0, self.start, len),
            self.labels.narrow(0, self.start, len),
        );
        self.start += len;
        Some(batch)
    }
}
