//! The data: minimnist (5000/1000) and full MNIST (60000/10000), as tensors on the device,
//! and a loader that hands them out in mini-batches.
//!
//! Both sets ship in the repository's `data/` folder and are checked against their MD5s
//! when loaded; `scripts/make-data` re-creates them.

mod loader;

pub use loader::{Batches, DataLoader};

use crate::device::Device;
use crate::error::{Error, Result};
use crate::npz::Npz;
use flate2::read::GzDecoder;
use ndarray::{Array1, Array2};
use std::io::Read;
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

/// What to do about a missing or damaged data file, for the folder the crate reads from.
fn remake_hint() -> String {
    match std::env::var_os("MNIST_LAB_DATA") {
        Some(dir) => format!(
            "MNIST_LAB_DATA points to {}: copy the files of the repository's data/ folder there, \
             or unset MNIST_LAB_DATA to read the repository's data/",
            Path::new(&dir).display()
        ),
        None => "restore it with `git checkout data/` or re-create data/ with scripts/make-data"
            .to_string(),
    }
}

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
/// # Shapes
/// `images()` is `[n, inputs]` float32 (for MNIST `[n, 784]`, pixel / 255), `labels()` is
/// `[n]` int64 with values in `0..10`; `n` is at least 1. [`Dataset::new`] checks all of it,
/// so every function that takes a dataset can rely on it.
#[derive(Debug)]
pub struct Dataset {
    images: Tensor,
    labels: Tensor,
}

impl Dataset {
    /// A dataset from tensors you made yourself: `images` `[n, d]` float, `labels` `[n]` int64
    /// with values in 0..10 (one per digit), `n` at least 1. Both are moved to `device`.
    pub fn new(images: Tensor, labels: Tensor, device: Device) -> Result<Dataset> {
        let (isz, lsz) = (images.size(), labels.size());
        if isz.len() != 2 || lsz.len() != 1 || isz[0] != lsz[0] {
            return Err(Error::InvalidArgument(format!(
                "a dataset needs images of shape [n, inputs] and labels of shape [n]; \
                 got images {isz:?} and labels {lsz:?}"
            )));
        }
        if lsz[0] == 0 || isz[1] == 0 {
            return Err(Error::InvalidArgument(format!(
                "a dataset needs at least one sample with at least one input; got images {isz:?}"
            )));
        }
        if labels.kind() != Kind::Int64 {
            return Err(Error::InvalidArgument(format!(
                "labels must be int64, got {:?}; convert them with .to_kind(Kind::Int64)",
                labels.kind()
            )));
        }
        let (low, high) = (
            labels.f_min()?.f_int64_value(&[])?,
            labels.f_max()?.f_int64_value(&[])?,
        );
        if low < 0 || high >= N_CLASSES {
            let bad = if low < 0 { low } else { high };
            return Err(Error::InvalidArgument(format!(
                "labels must be digits from 0 to {}, but one label is {bad}; \
                 each label is the class of its image (labels range over {low}..={high} here)",
                N_CLASSES - 1
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

    /// The images, `[n, inputs]` float32.
    pub fn images(&self) -> &Tensor {
        &self.images
    }

    /// The labels, `[n]` int64, each a digit 0–9.
    pub fn labels(&self) -> &Tensor {
        &self.labels
    }

    /// How many samples of each digit the set holds (index = digit).
    pub fn class_counts(&self) -> Result<Vec<usize>> {
        let labels = Vec::<i64>::try_from(self.labels.f_to_device(tch::Device::Cpu)?)?;
        let mut counts = vec![0; N_CLASSES as usize];
        for label in labels {
            // Dataset::new checked that every label is in 0..N_CLASSES.
            counts[label as usize] += 1;
        }
        Ok(counts)
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
/// let (ds_l, ds_t) = mnist_lab::minimnist(mnist_lab::Device::cuda_if_available())?;
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

pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| {
        Error::Data(format!(
            "cannot read data file {}: {e}.\nThe file should ship with the repository: {}.",
            path.display(),
            remake_hint()
        ))
    })
}

pub(crate) fn check_md5(path: &Path, bytes: &[u8], want: &str) -> Result<()> {
    let got = format!("{:x}", md5::compute(bytes));
    if got == want {
        Ok(())
    } else {
        Err(Error::Data(format!(
            "data file {} has MD5 {got}, expected {want}: it is damaged or not the shipped file; {}.",
            path.display(),
            remake_hint()
        )))
    }
}

fn gunzip(path: &Path, bytes: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    GzDecoder::new(bytes).read_to_end(&mut out).map_err(|e| {
        Error::Data(format!(
            "data file {} is not a valid gzip file ({e}); {}.",
            path.display(),
            remake_hint()
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
            "data file {} is not an MNIST IDX file; {}.",
            path.display(),
            remake_hint()
        ))
    };
    if bytes.len() < header || u32::from_be_bytes(bytes[0..4].try_into().unwrap()) != magic {
        return Err(bad());
    }
    // The sizes multiplied with a check: a damaged header's product may not fit in a usize.
    let n = (0..ndim).try_fold(1usize, |n, i| {
        n.checked_mul(u32::from_be_bytes(bytes[4 + 4 * i..8 + 4 * i].try_into().unwrap()) as usize)
    });
    if n.and_then(|n| n.checked_add(header)) != Some(bytes.len()) {
        return Err(bad());
    }
    Ok(&bytes[header..])
}

fn parse_minimnist(path: &Path, bytes: &[u8], device: Device) -> Result<(Dataset, Dataset)> {
    let bad = |what: String| {
        Error::Data(format!(
            "{} is not a valid minimnist file: {what}.\n\
             It needs the arrays datL (uint8, n×784), labL (int64, n), datT, labT; {}.",
            path.display(),
            remake_hint()
        ))
    };
    let mut npz = Npz::new(bytes).map_err(bad)?;
    let mut set = |dat: &str, lab: &str| -> Result<Dataset> {
        let x: Array2<u8> = npz
            .array(dat)
            .map_err(|e| bad(format!("array {dat}: {e}")))?;
        let y: Array1<i64> = npz
            .array(lab)
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
