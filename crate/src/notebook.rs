//! What the crate does differently inside an evcxr notebook kernel.
//!
//! evcxr runs each cell in a worker process that it marks with the environment variable
//! `EVCXR_IS_RUNTIME`. There, what the crate prints is shown to a student rather than written
//! to a log, and it must arrive in order under the cell that printed it.

/// True in the worker process of an evcxr kernel.
pub fn in_kernel() -> bool {
    std::env::var_os("EVCXR_IS_RUNTIME").is_some()
}

/// Sends stderr into stdout when running in an evcxr kernel.
///
/// evcxr forwards the two streams on separate threads, and text written to stderr at the end
/// of a cell (a libtorch warning, a student's `eprintln!`) often shows up under the *next*
/// cell. Through stdout it arrives in order, under the cell that printed it.
pub(crate) fn merge_stderr_into_stdout() {
    if in_kernel() {
        crate::sys::stderr_to_stdout();
    }
}
