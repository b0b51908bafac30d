//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::collections::HashMap;

/// The reference values written by scripts/make_fixtures.py from real PyTorch.
pub fn torch_reference() -> HashMap<String, Vec<f64>> {
    let text = include_str!("../fixtures/torch_reference.txt");
    text.lines()
        .filter(|l| !l.starts_with('#'))
        .map(|l| {
            let mut parts = l.split_whitespace();
            let key = parts.next().unwrap().to_string();
            (key, parts.map(|v| v.parse().unwrap()).collect())
        })
        .collect()
}

/// A tensor's values as f64.
pub fn values(t: &tch::Tensor) -> Vec<f64> {
    Vec::<f64>::try_from(&t.to_kind(tch::Kind::Double).flatten(0, -1)).unwrap()
}

/// A fresh temporary folder for one test.
pub fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("mnist_lab_test_{}_{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// libtorch has one global random generator, and tests run in parallel threads: a test that
/// seeds it, or draws from it (new networks, shuffling), holds this lock throughout.
pub fn rng_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Asserts that two float32 parameter lists agree to float32 rounding of Adam's updates: within
/// 4 units in the last place of the larger value plus a millionth of the learning rate 1e-3
/// (each step moves a value by about the learning rate, and implementations may round a term of
/// that step differently).
pub fn assert_close(got: &[f64], want: &[f64], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: lengths differ");
    for (k, (&g, &w)) in got.iter().zip(want).enumerate() {
        let ulp = (g.abs().max(w.abs()) as f32).to_bits();
        let ulp = f32::from_bits(ulp + 1) as f64 - f32::from_bits(ulp) as f64;
        assert!(
            (g - w).abs() <= 4.0 * ulp + 1e-9,
            "{what}, value {k}: {g} vs {w}"
        );
    }
}
