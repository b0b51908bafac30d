//! What the crate does differently inside an evcxr notebook kernel.
//!
//! evcxr runs each cell in a worker process that it marks with the environment variable
//! `EVCXR_IS_RUNTIME`. There, errors are shown to a student rather than to a log: the crate
//! keeps their order with the cell's printed text and marks them so that tools can tell a
//! failed cell from one that merely printed the word "error".

/// The prefix of a crate error's `Debug` text in a kernel, which is how the project's kernel
/// shows an error that ends a cell through `?` (evcxr's `:efmt {:?}`, set by `scripts/setup`):
/// "error:" in bold red (an ANSI escape sequence, rendered by JupyterLab and by the HTML
/// export). A student's own `println!("{e}")` does not produce it, so `scripts/nbrun.py`
/// looks for it to find the cell that failed.
pub const ERROR_MARK: &str = "\u{1b}[1;31merror:\u{1b}[0m ";

/// True in the worker process of an evcxr kernel.
pub fn in_kernel() -> bool {
    std::env::var_os("EVCXR_IS_RUNTIME").is_some()
}

/// Sends stderr into stdout when running in an evcxr kernel.
///
/// evcxr forwards the two streams on separate threads, and text written to stderr at the end
/// of a cell (the message of an error returned with `?`, a panic message) often shows up under
/// the *next* cell. Through stdout it arrives in order, under the cell that printed it.
pub(crate) fn merge_stderr_into_stdout() {
    if in_kernel() {
        crate::sys::stderr_to_stdout();
    }
}
