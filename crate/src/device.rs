//! Choosing where tensors live: the first GPU when one is usable, the CPU otherwise.

use std::fmt;
use std::sync::Once;

static INIT: Once = Once::new();

/// Prepares the process once; every entry point of the crate calls it.
///
/// 1. Makes CUDA visible to libtorch. A tch binary links `libtorch_cpu` but not
///    `libtorch_cuda` (the linker drops it as unused), and without that library libtorch reports
///    no GPU even on a GPU machine. Loading it with `RTLD_GLOBAL` registers the CUDA backend, as
///    `import torch` does in Python. Without a GPU (or the CUDA libraries) the load fails quietly
///    and the CPU is used.
/// 2. In an evcxr notebook kernel, sends stderr into stdout. evcxr forwards the two streams on
///    separate threads, and text written to stderr at the end of a cell (the message of an error
///    returned with `?`, a panic message) often shows up under the *next* cell. Through stdout it
///    arrives in order, under the cell that printed it.
pub fn init() {
    INIT.call_once(|| {
        // SAFETY: dlopen with a valid NUL-terminated name; the handle is kept for the life of
        // the process on purpose.
        unsafe {
            libc::dlopen(
                c"libtorch_cuda.so".as_ptr(),
                libc::RTLD_NOW | libc::RTLD_GLOBAL,
            )
        };
        if std::env::var_os("EVCXR_IS_RUNTIME").is_some() {
            // SAFETY: duplicating the process's own standard descriptors.
            unsafe { libc::dup2(libc::STDOUT_FILENO, libc::STDERR_FILENO) };
        }
    });
}

/// Where tensors live and computations run. Prints as PyTorch does: `cpu`, `cuda:0`.
///
/// (A type of this crate rather than `tch::Device`, so that a notebook can keep it in a
/// variable: evcxr can only keep values whose type the notebook can name.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Device {
    /// The CPU.
    Cpu,
    /// The GPU with this index.
    Cuda(usize),
}

impl fmt::Display for Device {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Device::Cpu => f.write_str("cpu"),
            Device::Cuda(i) => write!(f, "cuda:{i}"),
        }
    }
}

impl From<Device> for tch::Device {
    fn from(d: Device) -> tch::Device {
        match d {
            Device::Cpu => tch::Device::Cpu,
            Device::Cuda(i) => tch::Device::Cuda(i),
        }
    }
}

impl From<tch::Device> for Device {
    /// libtorch's device; devices this crate does not train on (MPS, Vulkan) map to the CPU.
    fn from(d: tch::Device) -> Device {
        match d {
            tch::Device::Cuda(i) => Device::Cuda(i),
            _ => Device::Cpu,
        }
    }
}

/// The device to train on: CUDA device 0 when a GPU is usable, the CPU otherwise.
///
/// ```no_run
/// let device = mnist_lab::device();
/// println!("{device}"); // "cuda:0" or "cpu"
/// ```
pub fn device() -> Device {
    init();
    if tch::Cuda::is_available() {
        Device::Cuda(0)
    } else {
        Device::Cpu
    }
}
