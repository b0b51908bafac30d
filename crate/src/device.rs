//! Choosing where tensors live: the first GPU when one is usable, the CPU otherwise; and
//! seeding libtorch's random generators.
//!
//! Every tensor the crate places goes through `tch::Device::from(Device)`, which is also where
//! the process is set up (CUDA made visible to libtorch) before libtorch sees a device.

use std::fmt;

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
        crate::kernel::enter();
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

impl Device {
    /// The device to train on: CUDA device 0 when a GPU is usable, the CPU otherwise (PyTorch's
    /// `torch.device("cuda" if torch.cuda.is_available() else "cpu")`).
    ///
    /// ```no_run
    /// use mnist_lab::Device;
    /// let device = Device::cuda_if_available();
    /// println!("{device}"); // "cuda:0" or "cpu"
    /// ```
    ///
    /// (An associated function rather than a free function `device()`: a notebook's
    /// `let device = ...` would hide such a function, and running the notebook again from the
    /// top would fail.)
    pub fn cuda_if_available() -> Device {
        crate::kernel::enter();
        if tch::Cuda::is_available() {
            Device::Cuda(0)
        } else {
            Device::Cpu
        }
    }
}

/// Seeds libtorch's random generators (CPU and every GPU): weight initialisation and shuffling.
/// With the same seed, a CPU run gives the same epoch log twice.
pub fn seed(seed: u64) {
    // The GPUs' generators exist only once CUDA is loaded.
    crate::kernel::enter();
    tch::manual_seed(seed as i64);
}
