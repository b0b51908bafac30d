//! One error type for everything a notebook cell can get wrong.

use std::fmt;

/// What went wrong, in words that say how to fix it.
///
/// `Display` and `Debug` both print the message, so that an error returned from a cell (`?`),
/// which the project's kernel shows as the cell's error, and a failed `unwrap()` both show the
/// student the message, not a struct dump.
#[derive(Clone, PartialEq, Eq)]
pub enum Error {
    /// An argument the user chose (`neurons`, `batch_size`, `nepoch`, ...) is not valid.
    InvalidArgument(String),
    /// A data file is missing, unreadable, malformed or does not match its checksum.
    Data(String),
    /// The GPU (or the host) ran out of memory.
    OutOfMemory(String),
    /// Any other failure reported by libtorch.
    Torch(String),
    /// Reading or writing a file failed.
    Io(String),
    /// Kernel → Interrupt stopped a computation that has no partial result to return.
    Interrupted(String),
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// The message, without the kind.
    pub fn message(&self) -> &str {
        match self {
            Error::InvalidArgument(m)
            | Error::Data(m)
            | Error::OutOfMemory(m)
            | Error::Torch(m)
            | Error::Io(m)
            | Error::Interrupted(m) => m,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl fmt::Debug for Error {
    /// The message, as `Display` prints it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for Error {}

impl From<tch::TchError> for Error {
    /// Keeps libtorch's own words (its first meaningful line, without the C++ stack trace that
    /// follows it) and adds what to do.
    fn from(e: tch::TchError) -> Self {
        let text = match e {
            tch::TchError::Torch(message) => message,
            other => other.to_string(),
        };
        let first = libtorch_message(&text);
        if text.contains("from the 'CUDA' backend") || text.contains("Found no NVIDIA driver") {
            // libtorch without CUDA lists every backend it has instead; with CUDA but no
            // driver, it says so among other lines.
            Error::InvalidArgument(
                "there is no usable GPU (CUDA) here: this machine's libtorch cannot run on one.\n\
                 Use Device::cuda_if_available(), which is the CPU where there is no GPU, or Device::Cpu."
                    .into(),
            )
        } else if is_out_of_memory(&text) {
            Error::OutOfMemory(format!(
                "out of memory: {first}\n\
                 Try a smaller network (fewer or narrower layers in `neurons`) or a smaller batch size."
            ))
        } else {
            Error::Torch(format!(
                "libtorch reported an error: {first}\n\
                 The values given to this call do not fit together (shapes, label values, devices); \
                 check them against the call's documentation."
            ))
        }
    }
}

/// The first line of libtorch's text that says what went wrong: not blank, not the
/// "Exception raised from ..." line or the `frame #N` lines of the C++ trace, and without the
/// `[enforce fail at file.cpp:N] ` prefix of some of its checks.
fn libtorch_message(text: &str) -> &str {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| {
            !l.is_empty() && !l.starts_with("Exception raised from") && !l.starts_with("frame #")
        })
        .unwrap_or("(no message)");
    match line.strip_prefix("[enforce fail at ") {
        Some(rest) => rest.split_once("] ").map_or(line, |(_, msg)| msg),
        None => line,
    }
}

/// True when libtorch could not allocate memory, on the GPU ("CUDA out of memory") or on the
/// CPU (`DefaultCPUAllocator: can't allocate memory` / `not enough memory`).
fn is_out_of_memory(text: &str) -> bool {
    [
        "out of memory",
        "DefaultCPUAllocator",
        "can't allocate memory",
        "not enough memory",
    ]
    .iter()
    .any(|needle| text.contains(needle))
}
