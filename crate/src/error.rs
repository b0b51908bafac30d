//! One error type for everything a notebook cell can get wrong.

use std::fmt;

/// What went wrong, in words that say how to fix it.
///
/// `Debug` prints the same message as `Display`, because evcxr shows an error
/// returned from a cell (`?`) with `{:?}`: the student sees the message, not a struct dump.
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
            | Error::Io(m) => m,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for Error {}

impl From<tch::TchError> for Error {
    fn from(e: tch::TchError) -> Self {
        let text = match e {
            tch::TchError::Torch(message) => message,
            other => other.to_string(),
        };
        if text.contains("out of memory") {
            // libtorch's message is long; keep its first line, which names the sizes.
            let first = text.lines().next().unwrap_or(&text);
            Error::OutOfMemory(format!(
                "out of memory: {first}\n\
                 Try a smaller network (fewer or narrower layers in `neurons`) or a smaller batch size."
            ))
        } else {
            Error::Torch(format!("libtorch reported an error: {text}"))
        }
    }
}
