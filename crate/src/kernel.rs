//! The process the crate runs in: which notebook kernel (if any) runs it, the lines by which
//! it talks to the project's patched kernel, and the process's set-up, done by [`enter`].
//!
//! evcxr runs a notebook's code in a worker process that it marks with the environment
//! variable `EVCXR_IS_RUNTIME`, and links a fresh copy of this crate into every cell. There,
//! what the crate prints is shown to a student rather than written to a log, and it must
//! arrive in order under the cell that printed it. The project's kernel also sets
//! [`PATCHED_VAR`], understands the lines that start with [`MESSAGE`], and answers Kernel →
//! Interrupt by sending SIGINT, which [`enter`] makes the running cell's copy count; the copy
//! says it stops by itself by printing [`INTERRUPT_HANDLED`].
//!
//! Only the crate's edges use this module: `device` (where tensors are placed, the first
//! thing a notebook does), `interrupt` (stop requests) and `display` (output). The types of
//! the lesson (data, networks, histories) know nothing of it.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Once;

/// Set to `1` by the kernelspec of the project's patched kernel (`scripts/write_kernelspec.py`).
pub(crate) const PATCHED_VAR: &str = "EVCXR_JUPYTER_MESSAGES";

/// The start of a line that the patched kernel sends as a Jupyter message (display_data,
/// update_display_data, clear_output) for the running cell.
pub(crate) const MESSAGE: &str = "EVCXR_JUPYTER_MESSAGE";

/// The lines between which stock evcxr takes rich output (`EVCXR_BEGIN_CONTENT mime`), shown
/// when the cell ends.
pub(crate) const CONTENT_BEGIN: &str = "EVCXR_BEGIN_CONTENT";
/// See [`CONTENT_BEGIN`].
pub(crate) const CONTENT_END: &str = "EVCXR_END_CONTENT";

/// The line that tells the patched kernel that the cell caught the interrupt and ends by
/// itself.
pub(crate) const INTERRUPT_HANDLED: &str = "EVCXR_INTERRUPT_HANDLED";

/// Which kernel runs this code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kernel {
    /// The project's patched evcxr_jupyter: output is shown at once and can be updated;
    /// Kernel → Interrupt sends SIGINT.
    Patched,
    /// Stock evcxr: rich output is shown when the cell ends, the last item per MIME type.
    Stock,
    /// Not a notebook kernel (a program, a test): nothing is shown.
    None,
}

impl Kernel {
    /// The kernel this process runs in, from the environment evcxr and the kernelspec set.
    pub(crate) fn current() -> Kernel {
        if std::env::var_os("EVCXR_IS_RUNTIME").is_none() {
            Kernel::None
        } else if std::env::var_os(PATCHED_VAR).is_some_and(|v| v == "1") {
            Kernel::Patched
        } else {
            Kernel::Stock
        }
    }
}

/// SIGINTs received by this copy's handler.
static SIGINTS: AtomicU32 = AtomicU32::new(0);

/// Sets the process up, once per copy of the crate (cheap after that):
///
/// 1. Makes CUDA visible to libtorch. A tch binary links `libtorch_cpu` but not
///    `libtorch_cuda` (the linker drops it as unused), and without that library libtorch
///    reports no GPU even on a GPU machine. Loading it with `RTLD_GLOBAL` registers the CUDA
///    backend, as `import torch` does in Python. Without a GPU (or the CUDA libraries) the load
///    fails quietly and the CPU is used.
/// 2. In a notebook kernel, sends stderr into stdout: evcxr forwards the two streams on
///    separate threads, and text written to stderr at the end of a cell (a libtorch warning, a
///    student's `eprintln!`) often showed under the *next* cell.
/// 3. In the patched kernel, counts SIGINT (see [`sigints`]) instead of dying of it. The
///    handler of the copy entered last wins: the running cell's, as long as it enters before
///    it trains.
pub(crate) fn enter() {
    static ENTERED: Once = Once::new();
    ENTERED.call_once(|| {
        crate::sys::load_cuda_backend();
        let kernel = Kernel::current();
        if kernel != Kernel::None {
            crate::sys::stderr_to_stdout();
        }
        if kernel == Kernel::Patched {
            crate::sys::install_sigint(on_sigint);
        }
    });
}

/// The handler: one atomic addition, which is async-signal-safe.
extern "C" fn on_sigint(_signal: libc::c_int) {
    SIGINTS.fetch_add(1, Ordering::SeqCst);
}

/// The SIGINTs this copy has received since it was [entered](enter).
pub(crate) fn sigints() -> u32 {
    enter();
    SIGINTS.load(Ordering::SeqCst)
}
