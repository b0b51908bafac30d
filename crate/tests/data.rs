//! The shipped data: checksums, shapes, dtypes, class counts, batching, and clear errors.

mod common;

use mnist_lab::*;
use std::io::Write;
use tch::Kind;

#[test]
fn minimnist_has_the_course_shapes_and_types() {
    let (ds_l, ds_t) = minimnist(Device::Cpu).unwrap();
    assert_eq!((ds_l.len(), ds_t.len()), (5000, 1000));
    assert_eq!(ds_l.images().size(), [5000, 784]);
    assert_eq!(ds_t.images().size(), [1000, 784]);
    assert_eq!(
        (ds_l.images().kind(), ds_l.labels().kind()),
        (Kind::Float, Kind::Int64)
    );
    assert_eq!(ds_l.class_counts().unwrap().iter().sum::<usize>(), 5000);
    assert_eq!(ds_t.class_counts().unwrap().iter().sum::<usize>(), 1000);
    assert!(
        ds_l.class_counts().unwrap().iter().all(|&c| c > 400),
        "{:?}",
        ds_l.class_counts().unwrap()
    );
    // pixel / 255: values span [0, 1]
    assert_eq!(ds_l.images().max().double_value(&[]), 1.0);
    assert_eq!(ds_l.images().min().double_value(&[]), 0.0);
}

#[test]
fn mnist_has_60000_and_10000_samples_and_minimnist_is_its_prefix() {
    let (ds_l, ds_t) = mnist(Device::Cpu).unwrap();
    assert_eq!((ds_l.len(), ds_t.len()), (60000, 10000));
    assert_eq!(ds_l.images().size(), [60000, 784]);
    assert_eq!(ds_l.labels().kind(), Kind::Int64);
    assert_eq!(
        ds_t.class_counts().unwrap(),
        [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    );
    let (mini_l, mini_t) = minimnist(Device::Cpu).unwrap();
    assert!(mini_l.labels().equal(&ds_l.labels().narrow(0, 0, 5000)));
    assert!(mini_t.labels().equal(&ds_t.labels().narrow(0, 0, 1000)));
    // Same pixels (both are pixel/255 in float32; rounding may differ by one ulp).
    let diff = (mini_l.images() - ds_l.images().narrow(0, 0, 5000))
        .abs()
        .max()
        .double_value(&[]);
    assert!(diff < 1e-7, "{diff}");
}

#[test]
fn the_loader_hands_out_views_in_order() {
    let (ds_l, _) = minimnist(Device::Cpu).unwrap();
    let dl = DataLoader::new(&ds_l, 100, false).unwrap();
    let batches: Vec<_> = dl.batches().unwrap().map(Result::unwrap).collect();
    assert_eq!(batches.len(), 50);
    assert_eq!(batches[0].0.size(), [100, 784]);
    assert!(batches[1].1.equal(&ds_l.labels().narrow(0, 100, 100)));
    // A view shares the dataset's storage: no copy per batch.
    assert_eq!(batches[0].0.data_ptr(), ds_l.images().data_ptr());
    let odd = DataLoader::new(&ds_l, 300, false).unwrap();
    let sizes: Vec<i64> = odd
        .batches()
        .unwrap()
        .map(|b| b.unwrap().0.size()[0])
        .collect();
    assert_eq!((sizes.len(), *sizes.last().unwrap()), (17, 200));
}

#[test]
fn shuffling_is_a_seeded_permutation() {
    let _rng = common::rng_lock();
    let (ds_l, _) = minimnist(Device::Cpu).unwrap();
    let dl = DataLoader::new(&ds_l, 5000, true).unwrap();
    seed(3);
    let a = dl.batches().unwrap().next().unwrap().unwrap().1;
    seed(3);
    let b = dl.batches().unwrap().next().unwrap().unwrap().1;
    assert!(a.equal(&b));
    assert!(!a.equal(ds_l.labels()));
    assert_eq!(
        a.bincount::<tch::Tensor>(None, 10)
            .sum(Kind::Int64)
            .int64_value(&[]),
        5000
    );
    assert!(a.sort(0, false).0.equal(&ds_l.labels().sort(0, false).0));
}

#[test]
fn batch_size_zero_is_an_error() {
    let (ds_l, _) = minimnist(Device::Cpu).unwrap();
    let e = DataLoader::new(&ds_l, 0, false).unwrap_err();
    assert_eq!(
        e.to_string(),
        "batch_size must be at least 1 (the course uses 100)"
    );
}

#[test]
fn a_missing_file_names_the_path_and_the_script() {
    let e = minimnist_from("/nonexistent/minimnist.npz", Device::Cpu).unwrap_err();
    let m = e.to_string();
    assert!(
        m.starts_with("cannot read data file /nonexistent/minimnist.npz"),
        "{m}"
    );
    assert!(m.contains("scripts/make-data"), "{m}");
    let e = mnist_from("/nonexistent", Device::Cpu).unwrap_err();
    assert!(
        e.to_string()
            .contains("/nonexistent/train-images-idx3-ubyte.gz"),
        "{e}"
    );
}

#[test]
fn a_corrupted_npz_is_reported() {
    let dir = common::temp_dir("corrupt");
    let path = dir.join("minimnist.npz");
    let mut bytes = std::fs::read(data_dir().join("minimnist.npz")).unwrap();
    bytes.truncate(1000);
    std::fs::write(&path, &bytes).unwrap();
    let m = minimnist_from(&path, Device::Cpu).unwrap_err().to_string();
    assert!(
        m.contains("is not a valid minimnist file: not an npz archive"),
        "{m}"
    );
    assert!(m.contains("datL (uint8, n×784)"), "{m}");
}

#[test]
fn an_npz_without_the_expected_keys_is_reported() {
    let dir = common::temp_dir("keys");
    let path = dir.join("other.npz");
    let mut npz = ndarray_npy::NpzWriter::new(std::fs::File::create(&path).unwrap());
    npz.add_array("datL", &ndarray::Array2::<u8>::zeros((3, 784)))
        .unwrap();
    npz.add_array("labL", &ndarray::Array1::<i64>::zeros(3))
        .unwrap();
    npz.finish().unwrap();
    let m = minimnist_from(&path, Device::Cpu).unwrap_err().to_string();
    assert!(m.contains("array datT"), "{m}");
    let mut npz = ndarray_npy::NpzWriter::new(std::fs::File::create(&path).unwrap());
    npz.add_array("datL", &ndarray::Array2::<u8>::zeros((3, 10)))
        .unwrap();
    npz.add_array("labL", &ndarray::Array1::<i64>::zeros(3))
        .unwrap();
    npz.finish().unwrap();
    let m = minimnist_from(&path, Device::Cpu).unwrap_err().to_string();
    assert!(
        m.contains("datL has shape [3, 10] and labL has 3 labels; expected n×784 and n"),
        "{m}"
    );
}

/// A header that claims 3.9e15 bytes aborted the process (`memory allocation of
/// 3920000000000000 bytes failed`) inside ndarray-npy, before any data was read.
#[test]
fn an_npz_whose_header_claims_an_absurd_shape_is_refused_before_allocating() {
    let dir = common::temp_dir("absurd");
    let path = dir.join("minimnist.npz");
    let header = "{'descr': '|u1', 'fortran_order': False, 'shape': (5000000000000, 784), }\n";
    let mut npy = b"\x93NUMPY\x01\x00".to_vec();
    npy.extend((header.len() as u16).to_le_bytes());
    npy.extend(header.as_bytes());
    npy.extend([0u8; 784]);
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&path).unwrap());
    zip.start_file("datL.npy", zip::write::SimpleFileOptions::default())
        .unwrap();
    zip.write_all(&npy).unwrap();
    zip.finish().unwrap();
    let m = minimnist_from(&path, Device::Cpu).unwrap_err().to_string();
    assert!(
        m.contains(
            "array datL: its header claims shape [5000000000000, 784] of 1-byte numbers, but \
             the file holds 784 bytes of data: it is damaged"
        ),
        "{m}"
    );
}

#[test]
fn a_changed_mnist_file_fails_its_checksum() {
    let dir = common::temp_dir("md5");
    for (name, _) in MNIST_FILES_FOR_TEST {
        std::fs::copy(data_dir().join("mnist").join(name), dir.join(name)).unwrap();
    }
    // Same format, one label changed.
    let src = std::fs::read(data_dir().join("mnist/t10k-labels-idx1-ubyte.gz")).unwrap();
    let mut raw = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&src[..]), &mut raw).unwrap();
    raw[8] = (raw[8] + 1) % 10;
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&raw).unwrap();
    std::fs::write(dir.join("t10k-labels-idx1-ubyte.gz"), gz.finish().unwrap()).unwrap();
    let m = mnist_from(&dir, Device::Cpu).unwrap_err().to_string();
    assert!(m.contains("t10k-labels-idx1-ubyte.gz has MD5"), "{m}");
    assert!(
        m.contains("expected 27ae3e4e09519cfbb04c329615203637"),
        "{m}"
    );
}

const MNIST_FILES_FOR_TEST: [(&str, &str); 4] = mnist_lab::data::MNIST_FILES;
