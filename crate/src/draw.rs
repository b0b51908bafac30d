//! Drawing plumbing shared by the figures and the pictures: pictures made through plotters'
//! file-based bitmap backend.

use crate::error::{Error, Result};
use std::fmt;
use std::path::{Path, PathBuf};

/// The error of a picture that could not be written to `path`.
pub(crate) fn write_error(path: &Path, e: impl fmt::Display) -> Error {
    Error::Io(format!(
        "cannot write the picture to {}: {e}",
        path.display()
    ))
}

/// Runs `write` on a fresh temporary path with extension `ext`, returns the file's bytes and
/// removes it (plotters encodes PNG and GIF only into files).
pub(crate) fn with_temp_file(
    ext: &str,
    write: impl FnOnce(&Path) -> Result<()>,
) -> Result<Vec<u8>> {
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path: PathBuf =
        std::env::temp_dir().join(format!("mnist_lab-{}-{n}.{ext}", std::process::id()));
    let result = write(&path).and_then(|()| {
        std::fs::read(&path)
            .map_err(|e| Error::Io(format!("cannot read back {}: {e}", path.display())))
    });
    let _ = std::fs::remove_file(&path);
    result
}
