//! Arrays read from an `.npz` archive (NumPy's `np.savez`), checked before anything is
//! allocated: a damaged header that claims an absurd shape is an error, not an abort.

use ndarray::{ArrayBase, DataOwned, Dimension};
use ndarray_npy::{ReadNpyExt, ReadableElement};
use std::io::{Cursor, Read};
use zip::result::ZipError;
use zip::ZipArchive;

/// An `.npz` archive in memory.
pub(crate) struct Npz<'a>(ZipArchive<Cursor<&'a [u8]>>);

impl<'a> Npz<'a> {
    /// Opens the archive held in `bytes`; the error says what is wrong with it.
    pub(crate) fn new(bytes: &'a [u8]) -> Result<Npz<'a>, String> {
        ZipArchive::new(Cursor::new(bytes))
            .map(Npz)
            .map_err(|e| format!("not an npz archive ({e})"))
    }

    /// The array stored as `name` (or `name.npy`, as NumPy names them). Its `.npy` header must
    /// describe exactly the bytes that follow it, so memory is only taken for data the file
    /// holds.
    pub(crate) fn array<S, D>(&mut self, name: &str) -> Result<ArrayBase<S, D>, String>
    where
        S: DataOwned,
        S::Elem: ReadableElement,
        D: Dimension,
    {
        let bytes = self.entry(name)?;
        check_npy_size(&bytes)?;
        ArrayBase::<S, D>::read_npy(&bytes[..]).map_err(|e| e.to_string())
    }

    /// The bytes of the entry `name` or `name.npy` (as many as the archive really holds).
    fn entry(&mut self, name: &str) -> Result<Vec<u8>, String> {
        let name = match self.0.index_for_name(name) {
            Some(_) => name.to_string(),
            None => format!("{name}.npy"),
        };
        let mut bytes = Vec::new();
        self.0
            .by_name(&name)
            .and_then(|mut file| Ok(file.read_to_end(&mut bytes)?))
            .map_err(|e| match e {
                ZipError::FileNotFound => "not in the archive".to_string(),
                other => other.to_string(),
            })?;
        Ok(bytes)
    }
}

/// Checks that an `.npy` file's header (format versions 1–3) gives a shape and a number size
/// whose product is the length of the data after it.
fn check_npy_size(bytes: &[u8]) -> Result<(), String> {
    let bad = |what: &str| format!("its .npy header is damaged ({what})");
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return Err(bad("no NUMPY magic"));
    }
    let (len, start) = match bytes[6] {
        1 => (u16::from_le_bytes([bytes[8], bytes[9]]) as usize, 10usize),
        2 | 3 if bytes.len() >= 12 => (
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
            12,
        ),
        _ => return Err(bad("unknown format version")),
    };
    let header = bytes
        .get(start..start.saturating_add(len))
        .and_then(|h| std::str::from_utf8(h).ok())
        .ok_or_else(|| bad("header longer than the file"))?;
    let shape = value_after(header, "'shape'")
        .and_then(|s| s.strip_prefix('('))
        .and_then(|s| s.split_once(')'))
        .map(|(dims, _)| {
            dims.split(',')
                .map(str::trim)
                .filter(|d| !d.is_empty())
                .map(str::parse::<u64>)
                .collect::<Result<Vec<u64>, _>>()
        })
        .and_then(Result::ok)
        .ok_or_else(|| bad("no shape"))?;
    // The number's size in bytes ends its type code: '|u1', '<i8', '<f4'.
    let size = value_after(header, "'descr'")
        .and_then(|s| s.strip_prefix('\''))
        .and_then(|s| s.split_once('\''))
        .and_then(|(code, _)| code.get(2..)?.parse::<u64>().ok())
        .ok_or_else(|| bad("no number type"))?;
    let data = (bytes.len() - start - len) as u64;
    let claimed = shape
        .iter()
        .try_fold(size, |n, &d| n.checked_mul(d))
        .filter(|&n| n == data);
    match claimed {
        Some(_) => Ok(()),
        None => Err(format!(
            "its header claims shape {shape:?} of {size}-byte numbers, but the file holds \
             {data} bytes of data: it is damaged"
        )),
    }
}

/// The text after `key:` in a header dictionary, its leading spaces removed.
fn value_after<'h>(header: &'h str, key: &str) -> Option<&'h str> {
    let at = header.find(key)? + key.len();
    Some(header[at..].trim_start().strip_prefix(':')?.trim_start())
}

#[cfg(test)]
mod tests {
    use super::check_npy_size;

    fn npy(header: &str, data: usize) -> Vec<u8> {
        let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
        bytes.extend((header.len() as u16).to_le_bytes());
        bytes.extend(header.as_bytes());
        bytes.extend(vec![0; data]);
        bytes
    }

    #[test]
    fn a_header_must_describe_the_bytes_that_follow() {
        let h = "{'descr': '<i8', 'fortran_order': False, 'shape': (3, 2), }";
        assert_eq!(check_npy_size(&npy(h, 48)), Ok(()));
        let m = check_npy_size(&npy(h, 47)).unwrap_err();
        assert!(m.contains("claims shape [3, 2] of 8-byte numbers"), "{m}");
        let scalar = "{'descr': '|u1', 'fortran_order': False, 'shape': (), }";
        assert_eq!(check_npy_size(&npy(scalar, 1)), Ok(()));
        // 5e15 × 784 bytes would overflow u64 when multiplied by 8 more: refused, not wrapped.
        let huge =
            "{'descr': '<i8', 'fortran_order': False, 'shape': (5000000000000000, 784000), }";
        assert!(check_npy_size(&npy(huge, 8)).is_err());
        assert!(check_npy_size(b"\x93NUMPY\x01\x00\xff\x00{").is_err());
        assert!(check_npy_size(b"PK\x03\x04").is_err());
    }
}
