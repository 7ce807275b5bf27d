//! [`load_csv`] and [`parse_csv`]: lines to a feature tensor and class labels.

use std::collections::HashMap;
use std::path::Path;

use backprop_tensor::Tensor;

use super::fields::Reader;
use super::options::{CsvData, CsvOptions, LabelColumn, Labels};
use crate::DataError;

/// Reads and parses a CSV file; see [`parse_csv`] for the format.
///
/// # Errors
///
/// [`DataError::Io`] when the file cannot be read (missing, not UTF-8), and every error of
/// [`parse_csv`], named with `path` as given.
///
/// # Examples
///
/// ```
/// use backprop_data::{load_csv, CsvOptions};
///
/// let err = load_csv("no/such/file.csv", &CsvOptions::default()).unwrap_err();
/// assert!(err.to_string().starts_with("no/such/file.csv: cannot read file"));
/// ```
pub fn load_csv(path: impl AsRef<Path>, opts: &CsvOptions) -> Result<CsvData, DataError> {
    let path = path.as_ref();
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| DataError::Io {
        file: name.clone(),
        source,
    })?;
    parse_csv(&text, &name, opts)
}

/// Parses CSV text; `source_name` is the file name used in error messages.
///
/// Every row must have as many fields as the header (or, without a header, as the first data
/// row). Feature fields are parsed as `f64` and rounded to `f32`, which is what loading with
/// NumPy/pandas and converting with `torch.tensor(..., dtype=torch.float32)` does.
///
/// # Errors
///
/// A [`DataError`] naming `source_name`, the line and (for a single field) the column:
/// [`DataError::Empty`] without data rows, [`DataError::RowLength`] for a short or long row,
/// [`DataError::NotANumber`] / [`DataError::NotFinite`] for a bad feature,
/// [`DataError::NotAClassIndex`] / [`DataError::UnknownLabel`] for a bad label,
/// [`DataError::UnknownColumn`] / [`DataError::LabelColumnOutOfRange`] for a label column
/// that does not exist, and [`DataError::UnterminatedQuote`] / [`DataError::TextAfterQuote`]
/// for broken quoting.
///
/// # Panics
///
/// If `opts.delimiter` is not an ASCII byte other than `"`.
///
/// # Examples
///
/// ```
/// use backprop_data::{parse_csv, CsvOptions};
///
/// let text = "length,width,species\n5.1,3.5,setosa\n7.0,3.2,versicolor\n4.9,3.0,setosa\n";
/// let data = parse_csv(text, "flowers.csv", &CsvOptions::default()).unwrap();
/// assert_eq!(data.features.to_vec(), vec![5.1, 3.5, 7.0, 3.2, 4.9, 3.0]);
/// assert_eq!(data.labels, Some(vec![0, 1, 0]));
/// assert_eq!(data.class_names, vec!["setosa", "versicolor"]);
/// assert_eq!(data.feature_names, vec!["length", "width"]);
///
/// let err = parse_csv("a,b,c\n1,x,0\n", "bad.csv", &CsvOptions::default()).unwrap_err();
/// assert_eq!(err.to_string(), r#"bad.csv:2: column 2: "x" is not a number"#);
/// ```
#[track_caller]
pub fn parse_csv(text: &str, source_name: &str, opts: &CsvOptions) -> Result<CsvData, DataError> {
    assert!(
        opts.delimiter.is_ascii() && opts.delimiter != b'"',
        "parse_csv: delimiter {:?} must be an ASCII byte other than '\"'",
        opts.delimiter as char
    );
    let reader = Reader {
        file: source_name,
        delimiter: opts.delimiter as char,
    };
    let mut lines = text
        .lines()
        .enumerate()
        .skip(opts.skip_lines)
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim().is_empty());
    // The line after the last one, for "expected a data row" at the end of the text.
    let end_line = text.lines().count().max(opts.skip_lines) + 1;

    let header = if opts.has_header {
        let Some((line, text)) = lines.next() else {
            return Err(reader.empty(end_line));
        };
        Some((line, reader.split(text, line)?))
    } else {
        None
    };

    let mut table = Table::default();
    let mut layout: Option<Layout> = None;
    for (line, row_text) in lines {
        let fields = reader.split(row_text, line)?;
        let layout = match &layout {
            Some(l) => l,
            None => layout.insert(Layout::new(&reader, opts, header.as_ref(), &fields, line)?),
        };
        if fields.len() != layout.width {
            return Err(DataError::RowLength {
                file: reader.file.to_string(),
                line,
                expected: layout.width,
                found: fields.len(),
                reference: layout.reference.clone(),
            });
        }
        table.push_row(&reader, opts, layout, &fields, line)?;
    }
    let Some(layout) = layout else {
        return Err(reader.empty(end_line));
    };

    let rows = table.rows;
    let d = layout.width - usize::from(layout.label.is_some());
    let features =
        Tensor::from_vec(table.values, &[rows, d]).expect("every row pushed exactly d values");
    let feature_names = (0..layout.width)
        .filter(|&j| Some(j) != layout.label)
        .map(|j| match &header {
            Some((_, names)) => names[j].clone(),
            None => format!("column_{}", j + 1),
        })
        .collect();
    let (labels, class_names) = match layout.label {
        None => (None, Vec::new()),
        Some(_) => {
            let names = match &opts.labels {
                Labels::Categorical => table.categories,
                Labels::Fixed(names) => names.clone(),
                Labels::Index => {
                    let n = table.labels.iter().max().map_or(0, |&m| m + 1);
                    (0..n).map(|k| k.to_string()).collect()
                }
            };
            (Some(table.labels), names)
        }
    };
    Ok(CsvData {
        features,
        labels,
        class_names,
        feature_names,
    })
}

/// The row width and label position, fixed by the header or the first data row.
struct Layout {
    width: usize,
    label: Option<usize>,
    /// Says where `width` comes from, for [`DataError::RowLength`].
    reference: String,
}

impl Layout {
    fn new(
        reader: &Reader<'_>,
        opts: &CsvOptions,
        header: Option<&(usize, Vec<String>)>,
        first_row: &[String],
        first_line: usize,
    ) -> Result<Layout, DataError> {
        let (width, reference, ref_line) = match header {
            Some((line, names)) => (
                names.len(),
                format!("as in the header on line {line}"),
                *line,
            ),
            None => (
                first_row.len(),
                format!("as in the first row on line {first_line}"),
                first_line,
            ),
        };
        let label = match &opts.label_column {
            None => None,
            Some(LabelColumn::Name(name)) => {
                let names = header.map(|(_, n)| n.clone()).unwrap_or_default();
                match names.iter().position(|n| n == name) {
                    Some(j) => Some(j),
                    None => {
                        return Err(DataError::UnknownColumn {
                            file: reader.file.to_string(),
                            line: ref_line,
                            name: name.clone(),
                            header: names,
                        });
                    }
                }
            }
            Some(LabelColumn::Last) => Some(resolve_index(reader, -1, width, ref_line)?),
            Some(LabelColumn::Index(i)) => Some(resolve_index(reader, *i, width, ref_line)?),
        };
        Ok(Layout {
            width,
            label,
            reference,
        })
    }
}

/// Maps a possibly negative (Python-style) column index onto `0..width`.
fn resolve_index(
    reader: &Reader<'_>,
    index: isize,
    width: usize,
    line: usize,
) -> Result<usize, DataError> {
    let resolved = if index < 0 {
        width.checked_sub(index.unsigned_abs())
    } else {
        Some(index.unsigned_abs()).filter(|&i| i < width)
    };
    resolved.ok_or_else(|| DataError::LabelColumnOutOfRange {
        file: reader.file.to_string(),
        line,
        index,
        columns: width,
    })
}

/// The values gathered so far.
#[derive(Default)]
struct Table {
    rows: usize,
    values: Vec<f32>,
    labels: Vec<usize>,
    /// For [`Labels::Categorical`]: the names in order of first appearance, and their indices.
    categories: Vec<String>,
    category_index: HashMap<String, usize>,
}

impl Table {
    fn push_row(
        &mut self,
        reader: &Reader<'_>,
        opts: &CsvOptions,
        layout: &Layout,
        fields: &[String],
        line: usize,
    ) -> Result<(), DataError> {
        for (j, field) in fields.iter().enumerate() {
            let column = j + 1;
            let err_value = || (reader.file.to_string(), field.clone());
            if Some(j) == layout.label {
                let label = match &opts.labels {
                    Labels::Categorical => match self.category_index.get(field) {
                        Some(&k) => k,
                        None => {
                            let k = self.categories.len();
                            self.categories.push(field.clone());
                            self.category_index.insert(field.clone(), k);
                            k
                        }
                    },
                    Labels::Index => field.parse::<usize>().map_err(|_| {
                        let (file, value) = err_value();
                        DataError::NotAClassIndex {
                            file,
                            line,
                            column,
                            value,
                        }
                    })?,
                    Labels::Fixed(names) => {
                        names.iter().position(|n| n == field).ok_or_else(|| {
                            let (file, value) = err_value();
                            DataError::UnknownLabel {
                                file,
                                line,
                                column,
                                value,
                                expected: names.clone(),
                            }
                        })?
                    }
                };
                self.labels.push(label);
            } else {
                // Parse as f64 and round once to f32, as NumPy + `torch.float32` would.
                let x: f64 = field.parse().map_err(|_| {
                    let (file, value) = err_value();
                    DataError::NotANumber {
                        file,
                        line,
                        column,
                        value,
                    }
                })?;
                // A finite f64 beyond f32's range rounds to an infinity, so check after rounding.
                let x = x as f32;
                if !x.is_finite() {
                    let (file, value) = err_value();
                    return Err(DataError::NotFinite {
                        file,
                        line,
                        column,
                        value,
                    });
                }
                self.values.push(x);
            }
        }
        self.rows += 1;
        Ok(())
    }
}
