//! Choosing where tensors live: the first GPU when one is usable, the CPU otherwise.

use std::sync::Once;
use tch::Device;

static LOAD_CUDA: Once = Once::new();

/// Makes CUDA visible to libtorch, once per process.
///
/// A tch binary links `libtorch_cpu` but not `libtorch_cuda` (the linker drops it as unused),
/// and without that library libtorch reports no GPU even on a GPU machine. Loading it with
/// `RTLD_GLOBAL` registers the CUDA backend, as `import torch` does in Python. On a machine
/// without a GPU (or without the CUDA libraries) the load fails quietly and the CPU is used.
pub fn load_cuda() {
    LOAD_CUDA.call_once(|| {
        for name in [c"libtorch_cuda.so", c"libtorch.so"] {
            // SAFETY: dlopen with a valid NUL-terminated name; the handle is kept for the
            // life of the process on purpose.
            let handle = unsafe { libc::dlopen(name.as_ptr(), libc::RTLD_NOW | libc::RTLD_GLOBAL) };
            if !handle.is_null() {
                break;
            }
        }
    });
}

/// The device to train on: CUDA device 0 when a GPU is usable, the CPU otherwise.
///
/// ```no_run
/// let device = mnist_lab::device();
/// println!("{}", mnist_lab::device_name(device)); // "cuda:0" or "cpu"
/// ```
pub fn device() -> Device {
    load_cuda();
    if tch::Cuda::is_available() {
        Device::Cuda(0)
    } else {
        Device::Cpu
    }
}

/// The device as PyTorch prints it: `cuda:0`, `cpu`, `mps`.
pub fn device_name(device: Device) -> String {
    match device {
        Device::Cpu => "cpu".to_string(),
        Device::Cuda(i) => format!("cuda:{i}"),
        Device::Mps => "mps".to_string(),
        Device::Vulkan => "vulkan".to_string(),
    }
}
