//! The shipped minimnist.npz is checked against its MD5 (own test binary: it sets MNIST_LAB_DATA).

mod common;

#[test]
fn a_changed_minimnist_fails_its_checksum_and_the_shipped_one_passes() {
    assert_eq!(
        format!(
            "{:x}",
            md5::compute(std::fs::read(mnist_lab::data_dir().join("minimnist.npz")).unwrap())
        ),
        mnist_lab::data::MINIMNIST_MD5
    );
    let dir = common::temp_dir("npz_md5");
    // The shipped arrays with one pixel changed: a valid npz, but not the shipped file.
    let file = std::fs::File::open(mnist_lab::data_dir().join("minimnist.npz")).unwrap();
    let mut npz = ndarray_npy::NpzReader::new(file).unwrap();
    let mut out =
        ndarray_npy::NpzWriter::new(std::fs::File::create(dir.join("minimnist.npz")).unwrap());
    for (dat, lab) in [("datL", "labL"), ("datT", "labT")] {
        let mut x: ndarray::Array2<u8> = npz.by_name(dat).unwrap();
        let y: ndarray::Array1<i64> = npz.by_name(lab).unwrap();
        x[[0, 0]] ^= 1;
        out.add_array(dat, &x).unwrap();
        out.add_array(lab, &y).unwrap();
    }
    out.finish().unwrap();
    // SAFETY: this test binary runs this single test, so no other thread reads the environment.
    unsafe { std::env::set_var("MNIST_LAB_DATA", &dir) };
    let m = mnist_lab::minimnist(mnist_lab::Device::Cpu)
        .unwrap_err()
        .to_string();
    assert!(m.contains("minimnist.npz has MD5"), "{m}");
    assert!(
        m.contains(&format!("expected {}", mnist_lab::data::MINIMNIST_MD5)),
        "{m}"
    );
    // The advice fits the folder in use: MNIST_LAB_DATA, not the repository's data/.
    assert!(
        m.contains(&format!("MNIST_LAB_DATA points to {}", dir.display())),
        "{m}"
    );
    assert!(!m.contains("git checkout"), "{m}");
}
