//! Tables of numbers for regression: the shipped diabetes data (442 patients), columns by name.

use crate::data::{check_md5, data_dir, read_file};
use crate::device::Device;
use crate::error::{Error, Result};
use std::path::Path;
use tch::Tensor;

/// MD5 of the shipped `data/diabetes.csv` (written by scripts/make-data).
pub const DIABETES_MD5: &str = "38f2b7c6ea34ae87805df2d21101acfd";

/// A table of numbers with named columns, read from a CSV file whose first line holds the
/// names: one row per sample, one column per variable.
///
/// ```no_run
/// let table = mnist_lab::diabetes()?;
/// let x = table.columns(&["bmi", "bp", "s5"], mnist_lab::Device::Cpu)?; // [442, 3]
/// let y = table.columns(&["progression"], mnist_lab::Device::Cpu)?;    // [442, 1]
/// # Ok::<(), mnist_lab::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    names: Vec<String>,
    /// Row after row.
    values: Vec<f64>,
}

impl Table {
    /// Reads a CSV file of numbers with a header line (no checksum: for your own data).
    pub fn read_csv(path: impl AsRef<Path>) -> Result<Table> {
        let path = path.as_ref();
        Table::parse_csv(path, &as_text(path, read_file(path)?)?)
    }

    fn parse_csv(path: &Path, text: &str) -> Result<Table> {
        let bad = |line: usize, what: String| {
            Error::Data(format!(
                "{} line {line}: {what}; a table needs a header line of column names, then rows \
                 of numbers separated by commas",
                path.display()
            ))
        };
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let Some((_, header)) = lines.next() else {
            return Err(bad(1, "the file is empty".into()));
        };
        let names: Vec<String> = header.split(',').map(|n| n.trim().to_string()).collect();
        let mut values = Vec::new();
        for (i, line) in lines {
            let row: Vec<&str> = line.split(',').collect();
            if row.len() != names.len() {
                return Err(bad(
                    i + 1,
                    format!("{} values for {} columns", row.len(), names.len()),
                ));
            }
            for cell in row {
                let v = cell
                    .trim()
                    .parse::<f64>()
                    .map_err(|_| bad(i + 1, format!("'{cell}' is not a number")))?;
                values.push(v);
            }
        }
        if values.is_empty() {
            return Err(bad(2, "the file has no rows".into()));
        }
        Ok(Table { names, values })
    }

    /// The column names, in order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The number of rows (samples).
    pub fn len(&self) -> usize {
        self.values.len() / self.names.len()
    }

    /// Whether the table has no rows (never true for a table that was read).
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The columns called `names`, side by side, as a float32 tensor `[rows, names.len()]` on
    /// `device`; an unknown name is an error that lists the table's columns.
    pub fn columns(&self, names: &[&str], device: Device) -> Result<Tensor> {
        let index: Vec<usize> = names
            .iter()
            .map(|name| {
                self.names.iter().position(|n| n == name).ok_or_else(|| {
                    Error::InvalidArgument(format!(
                        "the table has no column '{name}'; its columns are {}",
                        self.names.join(", ")
                    ))
                })
            })
            .collect::<Result<_>>()?;
        if index.is_empty() {
            return Err(Error::InvalidArgument(
                "name at least one column, e.g. &[\"bmi\"]".into(),
            ));
        }
        let width = self.names.len();
        let picked: Vec<f32> = self
            .values
            .chunks(width)
            .flat_map(|row| index.iter().map(|&j| row[j] as f32))
            .collect();
        Ok(Tensor::from_slice(&picked)
            .f_view([self.len() as i64, index.len() as i64])?
            .f_to_device(device.into())?)
    }
}

/// The diabetes data of Efron, Hastie, Johnstone and Tibshirani (2004), as scikit-learn ships
/// it: 442 patients, ten measurements at the start (`age`, `sex`, `bmi` body mass index, `bp`
/// blood pressure, `s1`–`s6` blood serum values) and `progression`, a measure of how the
/// disease advanced one year later. Read from the shipped `data/diabetes.csv`, MD5 checked.
pub fn diabetes() -> Result<Table> {
    let path = data_dir().join("diabetes.csv");
    let bytes = read_file(&path)?;
    check_md5(&path, &bytes, DIABETES_MD5)?;
    Table::parse_csv(&path, &as_text(&path, bytes)?)
}

fn as_text(path: &Path, bytes: Vec<u8>) -> Result<String> {
    String::from_utf8(bytes)
        .map_err(|_| Error::Data(format!("{} is not a text file", path.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_table_has_its_patients_and_columns() {
        let table = diabetes().unwrap();
        assert_eq!(table.len(), 442);
        assert_eq!(table.names().len(), 11);
        let x = table.columns(&["bmi", "progression"], Device::Cpu).unwrap();
        assert_eq!(x.size(), [442, 2]);
        // The first patient: bmi 32.1, progression 151.
        assert!((x.double_value(&[0, 0]) - 32.1).abs() < 1e-5);
        assert_eq!(x.double_value(&[0, 1]), 151.0);
    }

    #[test]
    fn bad_names_and_bad_files_say_what_is_wrong() {
        let table = diabetes().unwrap();
        let e = table.columns(&["bmj"], Device::Cpu).unwrap_err();
        assert!(e
            .message()
            .contains("no column 'bmj'; its columns are age, sex, bmi"));
        let e = Table::parse_csv(Path::new("t.csv"), "a,b\n1,2\n3\n").unwrap_err();
        assert!(
            e.message().contains("t.csv line 3: 1 values for 2 columns"),
            "{e}"
        );
        let e = Table::parse_csv(Path::new("t.csv"), "a,b\n1,x\n").unwrap_err();
        assert!(e.message().contains("'x' is not a number"), "{e}");
    }
}
